// Reference elementwise add of two same-shaped quantized tensors: a two-term
// integer dot product with fixed-point multipliers (exact in int32), then the
// one Requantize of requantize.h.
#include "kernels/kernels.h"
#include "quant/requantize.h"

namespace qwasm {

void qs8_add__ref(const QAddParams& p, const int8_t* a, const int8_t* b, int8_t* output) {
  for (size_t i = 0; i < p.size; ++i) {
    const int32_t acc = p.a_multiplier * (a[i] - p.a_zero_point) + p.b_multiplier * (b[i] - p.b_zero_point);
    output[i] = static_cast<int8_t>(
        Requantize(acc, p.scale, p.output.zero_point, p.output.min, p.output.max));
  }
}

}  // namespace qwasm
