// Scalar reference expansion of low-bit weights (see weight-expand.h).
#include "kernels/weight-expand/weight-expand.h"

namespace qwasm {

void qs8_expand_lut8__ref(const uint8_t* index, size_t n, const int8_t table[256], int8_t* out) {
  for (size_t i = 0; i < n; ++i) out[i] = table[index[i]];
}

}  // namespace qwasm
