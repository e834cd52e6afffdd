// Reference int8 table lookup: the kernel of every int8 elementwise function.
#include "kernels/kernels.h"

namespace qwasm {

void qs8_lut__ref(const int8_t table[256], size_t n, const int8_t* input, int8_t* output) {
  for (size_t i = 0; i < n; ++i) output[i] = table[input[i] + 128];
}

}  // namespace qwasm
