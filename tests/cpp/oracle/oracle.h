// oracle.h — the test oracles: for every kernel family of the kernel table
// (kernels/config.h), the direct math the family is defined by
// (kernels/params.h, gemm/gemm.h, dwconv/dwconv.h), written for clarity
// over whole tensors: unpacked weights, no ranges, no tiles, plain index
// arithmetic (no window walker, no indirection buffer). They round through
// quant/requantize.h, the one definition of rounding, and call no kernel.
//
// The kernel testers (tests/cpp/kernels/*-tester.h) compare every variant of
// every table with these, byte for byte, so the reference variants are
// checked too. Names: <dtype>_<op>__oracle, as the kernels' grammar.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/params.h"

namespace qwasm {

// ---- int8 ----

// out[b][o] = Requantize(bias[o] + sum_k (x[b][k] - zx) (w[o][k] - zw)):
// the int8 GEMM (qs8_gemm) with A = input, W = filter.
void qs8_fully_connected__oracle(const QFullyConnectedParams& p, const int8_t* input, int8_t* output);
// NHWC input, OHWI filter, padding taps skipped (they add a real 0).
void qs8_conv2d__oracle(const QConvParams& p, const int8_t* input, int8_t* output);
// Filter [kh][kw][out_c], output channel oc reads input channel
// oc / (out_c / in_c): qs8_dwconv (multiplier 1) and qs8_dwconv_any.
void qs8_depthwise_conv2d__oracle(const QConvParams& p, const int8_t* input, int8_t* output);
void qs8_add__oracle(const QAddParams& p, const int8_t* a, const int8_t* b, int8_t* output);
void qs8_mul__oracle(const QMulParams& p, const int8_t* a, const int8_t* b, int8_t* output);
// Padding cells excluded from the count (dilation 1).
void qs8_average_pool__oracle(const QPoolParams& p, const int8_t* input, int8_t* output);
void qs8_max_pool__oracle(const QMaxPoolParams& p, const int8_t* input, int8_t* output);
void qs8_mean_hw__oracle(const QMeanParams& p, const int8_t* input, int8_t* output);
void qs8_softmax__oracle(const QSoftmaxParams& p, const int8_t* input, int8_t* output);
void f32_qs8_quantize__oracle(const QuantizeParams& p, size_t n, const float* input, int8_t* output);
void qs8_f32_dequantize__oracle(const DequantizeParams& p, size_t n, const int8_t* input, float* output);
void qs8_requantize__oracle(const RequantizeParams& p, size_t n, const int8_t* input, int8_t* output);
void qs8_lut__oracle(const int8_t table[256], size_t n, const int8_t* input, int8_t* output);
// table[q + 128] = RoundToQuant(f(dequantize(q)) / out_scale), f = f32_unary__oracle.
void qs8_lut_init_unary__oracle(const FUnaryParams& f, float in_scale, int32_t in_zero_point, float out_scale,
                                int32_t out_zero_point, int8_t table[256]);
void qs8_channel_clamp__oracle(size_t rows, size_t channels, int8_t lo, const int8_t* hi, const int8_t* input,
                               int8_t* output);
// Nibble e of `packed` is the low half of byte e / 2 for even e.
void qs8_expand_lut4__oracle(const uint8_t* packed, size_t first, size_t n, const int8_t table[16], int8_t* out);
void qs8_expand_lut8__oracle(const uint8_t* index, size_t n, const int8_t table[256], int8_t* out);

// ---- float32 (the accumulation orders of params.h) ----

void f32_fully_connected__oracle(const FFullyConnectedParams& p, const float* input, float* output);
void f32_conv2d__oracle(const FConvParams& p, const float* input, float* output);
void f32_depthwise_conv2d__oracle(const FConvParams& p, const float* input, float* output);
void f32_unary__oracle(const FUnaryParams& p, size_t n, const float* input, float* output);
void f32_average_pool__oracle(const FPoolParams& p, const float* input, float* output);
void f32_max_pool__oracle(const FPoolParams& p, const float* input, float* output);
void f32_mean_hw__oracle(const FMeanParams& p, const float* input, float* output);
void f32_softmax__oracle(const FSoftmaxParams& p, const float* input, float* output);
void f32_add__oracle(const FBinaryParams& p, const float* a, const float* b, float* output);
void f32_mul__oracle(const FBinaryParams& p, const float* a, const float* b, float* output);
void f32_channel_clamp__oracle(size_t rows, size_t channels, float lo, const float* hi, const float* input,
                               float* output);

// ---- data movement, any element type ----

void x_transpose__oracle(const TransposeParams& p, const void* input, void* output);
void x_pad__oracle(const PadParams& p, const void* input, void* output);
void x_slice__oracle(const SliceParams& p, const void* input, void* output);
void x_concat__oracle(const ConcatParams& p, const void* const* inputs, void* output);

}  // namespace qwasm
