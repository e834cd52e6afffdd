// Reference float ADD, b broadcast over a's leading dims (params.h).
#include "kernels/kernels.h"

namespace qwasm {

void f32_add__ref(const FBinaryParams& p, size_t begin, size_t end, const float* a, const float* b,
                  float* output) {
  for (size_t i = begin; i < end; ++i) output[i] = p.output.Apply(a[i] + b[i % p.b_size]);
}

}  // namespace qwasm
