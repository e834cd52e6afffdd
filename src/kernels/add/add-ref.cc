// Reference elementwise add of two same-shaped quantized tensors.
//
// Each operand is rescaled to output units in float32 and the sum goes through
// RoundToQuant (requantize.h): out = zo + rne(fl(fl(a' * sa) + fl(b' * sb))),
// with a' = a - za and b' = b - zb exact small integers. The evaluation order
// is fixed so SIMD variants can reproduce it exactly.
#include "kernels/kernels.h"
#include "quant/requantize.h"

namespace qwasm {

void qs8_add__ref(const QAddParams& p, const int8_t* a, const int8_t* b, int8_t* output) {
  for (size_t i = 0; i < p.size; ++i) {
    const float va = static_cast<float>(a[i] - p.a_zero_point) * p.a_scale;
    const float vb = static_cast<float>(b[i] - p.b_zero_point) * p.b_scale;
    output[i] = static_cast<int8_t>(
        RoundToQuant(va + vb, p.output.zero_point, p.output.min, p.output.max));
  }
}

}  // namespace qwasm
