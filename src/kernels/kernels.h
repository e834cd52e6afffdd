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

void f32_qs8_quantize__ref(const QuantizeParams& p, size_t n, const float* input,
                           int8_t* output);
void qs8_f32_dequantize__ref(const DequantizeParams& p, size_t n, const int8_t* input,
                             float* output);
void qs8_requantize__ref(const RequantizeParams& p, size_t n, const int8_t* input,
                         int8_t* output);

}  // namespace qwasm
