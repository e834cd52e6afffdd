// Reference float -> int8 conversion (QUANTIZE from float): RoundToQuant
// of x / scale, quant/requantize.h.
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

}  // namespace qwasm
