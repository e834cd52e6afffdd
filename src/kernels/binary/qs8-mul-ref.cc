// Reference int8 MUL: the exact integer product of the zero-point-free
// operands, then the one Requantize of requantize.h.
#include "kernels/kernels.h"
#include "quant/requantize.h"

namespace qwasm {

void qs8_mul__ref(const QMulParams& p, size_t begin, size_t end, const int8_t* a, const int8_t* b,
                  int8_t* output) {
  for (size_t i = begin; i < end; ++i) {
    const int32_t acc = (a[i] - p.a_zero_point) * (b[i % p.b_size] - p.b_zero_point);
    output[i] = static_cast<int8_t>(Requantize(acc, p.scale, p.output.zero_point, p.output.min, p.output.max));
  }
}

}  // namespace qwasm
