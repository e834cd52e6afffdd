// Reference elementwise conversions: float -> int8 (QUANTIZE from float),
// int8 -> float (DEQUANTIZE), int8 -> int8 (QUANTIZE between quantized types).
#include "kernels/kernels.h"
#include "quant/requantize.h"

namespace qwasm {

void f32_qs8_quantize__ref(const QuantizeParams& p, size_t n, const float* input,
                           int8_t* output) {
  for (size_t i = 0; i < n; ++i) {
    output[i] = static_cast<int8_t>(
        RoundToQuant(input[i] / p.scale, p.output.zero_point, p.output.min, p.output.max));
  }
}

void qs8_f32_dequantize__ref(const DequantizeParams& p, size_t n, const int8_t* input,
                             float* output) {
  for (size_t i = 0; i < n; ++i) output[i] = p.scale * static_cast<float>(input[i] - p.zero_point);
}

void qs8_requantize__ref(const RequantizeParams& p, size_t n, const int8_t* input,
                         int8_t* output) {
  for (size_t i = 0; i < n; ++i) {
    output[i] = static_cast<int8_t>(Requantize(input[i] - p.input_zero_point, p.scale,
                                               p.output.zero_point, p.output.min,
                                               p.output.max));
  }
}

}  // namespace qwasm
