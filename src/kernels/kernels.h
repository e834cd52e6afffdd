// kernels.h — the kernel variants qwasm has (besides the GEMM and depthwise
// families in gemm/gemm.h and dwconv/dwconv.h), one naming grammar:
//   <dtype>_<op>[_<tile>]__<variant>,  file <dtype>-<op>[-<tile>]-<variant>.cc
// qs8 = signed 8-bit quantized; f32 = float; x = any element type. "__ref"
// variants are the scalar references: readable, built without
// auto-vectorisation, and the truth every other variant must match byte for
// byte; "__wasmsimd" ones use WebAssembly SIMD128 (simd128.h). Twins share
// one signature (config.h names each family's type). Kernels with a range
// compute only that part of the output, so operators can split work over
// threads; none of them reads or writes past its tensors (no reliance on
// the arena's tail padding, so constant inputs are fine too).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/params.h"

namespace qwasm {

// ---- int8 ----

// Elements [begin, end).
void qs8_add__ref(const QAddParams& p, size_t begin, size_t end, const int8_t* a, const int8_t* b,
                  int8_t* output);
void qs8_add__wasmsimd(const QAddParams& p, size_t begin, size_t end, const int8_t* a, const int8_t* b,
                       int8_t* output);
void qs8_mul__ref(const QMulParams& p, size_t begin, size_t end, const int8_t* a, const int8_t* b,
                  int8_t* output);
void qs8_mul__wasmsimd(const QMulParams& p, size_t begin, size_t end, const int8_t* a, const int8_t* b,
                       int8_t* output);

// Output rows [row_begin, row_end) (row = n * out_h + oy) and channels
// [c_begin, c_end). The SIMD variant computes whole 16-channel vectors for
// ranges of at least 16 channels (a narrower one computes a vector and
// stores part of it), so split channels in multiples of 16, the last range
// taking the remainder.
void qs8_average_pool__ref(const QPoolParams& p, size_t row_begin, size_t row_end, size_t c_begin,
                           size_t c_end, const int8_t* input, int8_t* output);
void qs8_average_pool__wasmsimd(const QPoolParams& p, size_t row_begin, size_t row_end, size_t c_begin,
                                size_t c_end, const int8_t* input, int8_t* output);
// Output rows [row_begin, row_end).
void qs8_max_pool__ref(const QMaxPoolParams& p, size_t row_begin, size_t row_end, const int8_t* input,
                       int8_t* output);
void qs8_max_pool__wasmsimd(const QMaxPoolParams& p, size_t row_begin, size_t row_end, const int8_t* input,
                            int8_t* output);

// Channels [c_begin, c_end), every batch; split channels as for
// qs8_average_pool.
void qs8_mean_hw__ref(const QMeanParams& p, size_t c_begin, size_t c_end, const int8_t* input,
                      int8_t* output);
void qs8_mean_hw__wasmsimd(const QMeanParams& p, size_t c_begin, size_t c_end, const int8_t* input,
                           int8_t* output);

// Rows [row_begin, row_end). The normaliser is a scalar sum in every
// variant: float addition is not associative, and the reference's index
// order is the definition.
void qs8_softmax__ref(const QSoftmaxParams& p, size_t row_begin, size_t row_end, const int8_t* input,
                      int8_t* output);
void qs8_softmax__wasmsimd(const QSoftmaxParams& p, size_t row_begin, size_t row_end, const int8_t* input,
                           int8_t* output);
// Fills table[d] = exp(-beta * input_scale * d), d = 0..255.
void qs8_softmax_init(float beta, float input_scale, float table[256]);
// ONNX Runtime's QLinearSoftmax table for rows of `cols` elements: the same
// exponentials times e^shift, the largest factor that keeps a row's sum below
// FLT_MAX / e^5, each computed in double and rounded to float as ORT does.
void qs8_softmax_init_onnx(float input_scale, int cols, float table[256]);

// Conversions over n elements; callers split work by offsetting pointers.
void f32_qs8_quantize__ref(const QuantizeParams& p, size_t n, const float* input, int8_t* output);
void f32_qs8_quantize__wasmsimd(const QuantizeParams& p, size_t n, const float* input, int8_t* output);
void qs8_f32_dequantize__ref(const DequantizeParams& p, size_t n, const int8_t* input, float* output);
void qs8_f32_dequantize__wasmsimd(const DequantizeParams& p, size_t n, const int8_t* input, float* output);
void qs8_requantize__ref(const RequantizeParams& p, size_t n, const int8_t* input, int8_t* output);
void qs8_requantize__wasmsimd(const RequantizeParams& p, size_t n, const int8_t* input, int8_t* output);

// output[i] = table[input[i] + 128]: every int8 elementwise function.
void qs8_lut__ref(const int8_t table[256], size_t n, const int8_t* input, int8_t* output);
void qs8_lut__wasmsimd(const int8_t table[256], size_t n, const int8_t* input, int8_t* output);
// table[q + 128] = requantize(f(dequantize(q))) for the 256 int8 values q,
// f evaluated by f32_unary__ref, rounded to the output grid (full int8 range).
void qs8_lut_init_unary(const FUnaryParams& f, float in_scale, int32_t in_zero_point, float out_scale,
                        int32_t out_zero_point, int8_t table[256]);

// output[r][c] = min(max(input[r][c], lo), hi[c]) over rows x channels.
void qs8_channel_clamp__ref(size_t rows, size_t channels, int8_t lo, const int8_t* hi, const int8_t* input,
                            int8_t* output);
void qs8_channel_clamp__wasmsimd(size_t rows, size_t channels, int8_t lo, const int8_t* hi,
                                 const int8_t* input, int8_t* output);

// ---- float32 (each SIMD variant equals its __ref twin exactly for finite
// data: same operations in the same order, lane by lane) ----

// Output rows [row_begin, row_end) of the depthwise convolution (filter
// [kh][kw][out_c]); the reference takes any depth multiplier, the SIMD
// variant multiplier 1.
void f32_dwconv__ref(const FConvParams& p, size_t row_begin, size_t row_end, const float* input,
                     float* output);
void f32_dwconv__wasmsimd(const FConvParams& p, size_t row_begin, size_t row_end, const float* input,
                          float* output);
// Elements [begin, end), b broadcast (FBinaryParams).
void f32_add__ref(const FBinaryParams& p, size_t begin, size_t end, const float* a, const float* b,
                  float* output);
void f32_add__wasmsimd(const FBinaryParams& p, size_t begin, size_t end, const float* a, const float* b,
                       float* output);
void f32_mul__ref(const FBinaryParams& p, size_t begin, size_t end, const float* a, const float* b,
                  float* output);
void f32_mul__wasmsimd(const FBinaryParams& p, size_t begin, size_t end, const float* a, const float* b,
                       float* output);
// Output rows [row_begin, row_end).
void f32_average_pool__ref(const FPoolParams& p, size_t row_begin, size_t row_end, const float* input,
                           float* output);
void f32_average_pool__wasmsimd(const FPoolParams& p, size_t row_begin, size_t row_end, const float* input,
                                float* output);
void f32_max_pool__ref(const FPoolParams& p, size_t row_begin, size_t row_end, const float* input,
                       float* output);
void f32_max_pool__wasmsimd(const FPoolParams& p, size_t row_begin, size_t row_end, const float* input,
                            float* output);
// Channels [c_begin, c_end), every batch.
void f32_mean_hw__ref(const FMeanParams& p, size_t c_begin, size_t c_end, const float* input, float* output);
void f32_mean_hw__wasmsimd(const FMeanParams& p, size_t c_begin, size_t c_end, const float* input,
                           float* output);
// Rows [row_begin, row_end).
void f32_softmax__ref(const FSoftmaxParams& p, size_t row_begin, size_t row_end, const float* input,
                      float* output);
void f32_softmax__wasmsimd(const FSoftmaxParams& p, size_t row_begin, size_t row_end, const float* input,
                           float* output);
// n elements (LOGISTIC calls exp lane by lane in the SIMD variant).
void f32_unary__ref(const FUnaryParams& p, size_t n, const float* input, float* output);
void f32_unary__wasmsimd(const FUnaryParams& p, size_t n, const float* input, float* output);
void f32_channel_clamp__ref(size_t rows, size_t channels, float lo, const float* hi, const float* input,
                            float* output);
void f32_channel_clamp__wasmsimd(size_t rows, size_t channels, float lo, const float* hi, const float* input,
                                 float* output);

// ---- data movement, any element type ----
// Copies (or requantizes) n elements: the element mover of pad, slice and
// concat (their walks are copy/copy-walkers.h, one per copy variant).
void x_copy__ref(const ElementCopy& c, const void* src, void* dst, size_t n);
void x_copy__wasmsimd(const ElementCopy& c, const void* src, void* dst, size_t n);
void x_transpose__ref(const TransposeParams& p, const void* input, void* output);
void x_transpose__wasmsimd(const TransposeParams& p, const void* input, void* output);
void x_pad__ref(const PadParams& p, const void* input, void* output);
void x_pad__wasmsimd(const PadParams& p, const void* input, void* output);
void x_slice__ref(const SliceParams& p, const void* input, void* output);
void x_slice__wasmsimd(const SliceParams& p, const void* input, void* output);
void x_concat__ref(const ConcatParams& p, const void* const* inputs, void* output);
void x_concat__wasmsimd(const ConcatParams& p, const void* const* inputs, void* output);

}  // namespace qwasm
