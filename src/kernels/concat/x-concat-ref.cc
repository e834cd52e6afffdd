// Concatenation as [outer][parts][inner]: for each outer index, every input's
// contiguous block in turn, copied or requantized. The walk is also
// x_concat__wasmsimd's (copy-walkers.h).
#include "kernels/copy/copy-walkers.h"
#include "kernels/kernels.h"

namespace qwasm {

__attribute__((noinline)) void ConcatWalk(const ConcatParams& p, const void* const* inputs, void* output, ElementCopyFn copy) {
  uint8_t* out = static_cast<uint8_t*>(output);
  for (size_t o = 0; o < p.outer; ++o) {
    for (int i = 0; i < p.inputs; ++i) {
      const size_t n = static_cast<size_t>(p.parts[i]) * p.inner;
      const size_t es = p.copy[i].element_size;
      copy(p.copy[i], static_cast<const uint8_t*>(inputs[i]) + o * n * es, out, n);
      out += n * es;
    }
  }
}

void x_concat__ref(const ConcatParams& p, const void* const* inputs, void* output) {
  ConcatWalk(p, inputs, output, x_copy__ref);
}

}  // namespace qwasm
