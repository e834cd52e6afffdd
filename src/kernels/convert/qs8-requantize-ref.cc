// Reference int8 -> int8 conversion (QUANTIZE between quantized types): the
// one Requantize of quant/requantize.h.
#include "kernels/kernels.h"
#include "quant/requantize.h"

namespace qwasm {

void qs8_requantize__ref(const RequantizeParams& p, size_t n, const int8_t* input,
                         int8_t* output) {
  for (size_t i = 0; i < n; ++i) {
    output[i] = static_cast<int8_t>(Requantize(input[i] - p.input_zero_point, p.scale,
                                               p.output.zero_point, p.output.min,
                                               p.output.max));
  }
}

}  // namespace qwasm
