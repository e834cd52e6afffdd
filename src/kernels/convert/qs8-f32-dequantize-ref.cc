// Reference int8 -> float conversion (DEQUANTIZE): scale * (q - zero_point).
#include "kernels/kernels.h"

namespace qwasm {

void qs8_f32_dequantize__ref(const DequantizeParams& p, size_t n, const int8_t* input,
                             float* output) {
  for (size_t i = 0; i < n; ++i) output[i] = p.scale * static_cast<float>(input[i] - p.zero_point);
}

}  // namespace qwasm
