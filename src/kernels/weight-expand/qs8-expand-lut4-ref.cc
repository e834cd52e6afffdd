// Scalar reference expansion of low-bit weights (see weight-expand.h).
#include "kernels/weight-expand/weight-expand.h"

namespace qwasm {

void qs8_expand_lut4__ref(const uint8_t* packed, size_t first, size_t n, const int8_t table[16], int8_t* out) {
  for (size_t i = 0; i < n; ++i) {
    const size_t e = first + i;
    const uint8_t byte = packed[e / 2];
    out[i] = table[e % 2 == 0 ? byte & 0x0F : byte >> 4];
  }
}

}  // namespace qwasm
