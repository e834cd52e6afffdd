// kernels.h — every kernel variant qwasm has, by one naming grammar:
//   <dtype>_<op>__<variant>
// qs8 = signed 8-bit quantized; f32 = float. "__ref" variants are the scalar
// reference kernels: readable, slow on purpose, built without
// auto-vectorisation, and the truth every optimised variant must match byte
// for byte. None of them reads or writes past the sizes in its params.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/params.h"

namespace qwasm {

void qs8_conv2d__ref(const QConvParams& p, const int8_t* input, int8_t* output);
void qs8_depthwise_conv2d__ref(const QConvParams& p, const int8_t* input, int8_t* output);
void qs8_fully_connected__ref(const QFullyConnectedParams& p, const int8_t* input,
                              int8_t* output);
void qs8_add__ref(const QAddParams& p, const int8_t* a, const int8_t* b, int8_t* output);
void qs8_average_pool__ref(const QPoolParams& p, const int8_t* input, int8_t* output);
void qs8_mean_hw__ref(const QMeanParams& p, const int8_t* input, int8_t* output);
void qs8_softmax__ref(const QSoftmaxParams& p, const int8_t* input, int8_t* output);

// Fills table[d] = exp(-beta * input_scale * d), d = 0..255.
void BuildSoftmaxExpTable(float beta, float input_scale, float table[256]);
// ONNX Runtime's QLinearSoftmax table for rows of `cols` elements: the same
// exponentials times e^shift, the largest factor that keeps a row's sum below
// FLT_MAX / e^5, each computed in double and rounded to float as ORT does.
void BuildSoftmaxExpTableOnnx(float input_scale, int cols, float table[256]);

void f32_qs8_quantize__ref(const QuantizeParams& p, size_t n, const float* input,
                           int8_t* output);
void qs8_f32_dequantize__ref(const DequantizeParams& p, size_t n, const int8_t* input,
                             float* output);
void qs8_requantize__ref(const RequantizeParams& p, size_t n, const int8_t* input,
                         int8_t* output);

// ---- float32 references (orders of accumulation in params.h) ----
void f32_conv2d__ref(const FConvParams& p, const float* input, float* output);
void f32_depthwise_conv2d__ref(const FConvParams& p, const float* input, float* output);
void f32_fully_connected__ref(const FFullyConnectedParams& p, const float* input, float* output);
void f32_add__ref(const FBinaryParams& p, const float* a, const float* b, float* output);
void f32_mul__ref(const FBinaryParams& p, const float* a, const float* b, float* output);
void f32_average_pool__ref(const FPoolParams& p, const float* input, float* output);
void f32_max_pool__ref(const FPoolParams& p, const float* input, float* output);
void f32_mean_hw__ref(const FMeanParams& p, const float* input, float* output);
void f32_softmax__ref(const FSoftmaxParams& p, const float* input, float* output);
void f32_unary__ref(const FUnaryParams& p, size_t n, const float* input, float* output);

// ---- int8 forms of the operators added with the float path ----
void qs8_mul__ref(const QMulParams& p, const int8_t* a, const int8_t* b, int8_t* output);
void qs8_max_pool__ref(const QMaxPoolParams& p, const int8_t* input, int8_t* output);
// output[i] = table[input[i] + 128]: every int8 elementwise function.
void qs8_lut__ref(const int8_t table[256], size_t n, const int8_t* input, int8_t* output);
// output[r][c] = min(max(input[r][c], lo), hi[c]) over rows x channels.
void f32_channel_clamp__ref(size_t rows, size_t channels, float lo, const float* hi, const float* input,
                            float* output);
void qs8_channel_clamp__ref(size_t rows, size_t channels, int8_t lo, const int8_t* hi, const int8_t* input,
                            int8_t* output);
// table[q + 128] = requantize(f(dequantize(q))) for the 256 int8 values q,
// f evaluated by f32_unary__ref, rounded to the output grid (full int8 range).
void BuildUnaryTable(const FUnaryParams& f, float in_scale, int32_t in_zero_point, float out_scale,
                     int32_t out_zero_point, int8_t table[256]);

// ---- data movement, any element type ----
// Copies (or requantizes) n elements.
void CopyElements(const ElementCopy& c, const void* src, void* dst, size_t n);
void x_transpose__ref(const TransposeParams& p, const void* input, void* output);
void x_pad__ref(const PadParams& p, const void* input, void* output);
void x_concat__ref(const ConcatParams& p, const void* const* inputs, void* output);

}  // namespace qwasm
