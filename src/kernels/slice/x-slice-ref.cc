// A box cut out of a dense tensor of any element size: for every output
// row (all axes but the last), one contiguous run of the input row copied
// (or requantized). The walk is also x_slice__wasmsimd's (copy-walkers.h).
#include "kernels/copy/copy-walkers.h"
#include "kernels/kernels.h"

namespace qwasm {

__attribute__((noinline)) void SliceWalk(const SliceParams& p, const void* input, void* output, ElementCopyFn copy) {
  const size_t es = p.copy.element_size;
  const uint8_t* in = static_cast<const uint8_t*>(input);
  uint8_t* out = static_cast<uint8_t*>(output);
  if (p.rank == 0) {
    copy(p.copy, in, out, 1);
    return;
  }
  size_t stride[kMaxMoveRank];  // input elements per step along each axis
  size_t rows = 1;
  stride[p.rank - 1] = 1;
  for (int a = p.rank - 1; a > 0; --a) stride[a - 1] = stride[a] * static_cast<size_t>(p.in_shape[a]);
  for (int a = 0; a + 1 < p.rank; ++a) rows *= static_cast<size_t>(p.out_shape[a]);
  const size_t run = static_cast<size_t>(p.out_shape[p.rank - 1]);
  int32_t idx[kMaxMoveRank] = {};
  for (size_t r = 0; r < rows; ++r) {
    size_t offset = static_cast<size_t>(p.begin[p.rank - 1]);
    for (int a = 0; a + 1 < p.rank; ++a) offset += static_cast<size_t>(p.begin[a] + idx[a]) * stride[a];
    copy(p.copy, in + offset * es, out, run);
    out += run * es;
    for (int a = p.rank - 2; a >= 0; --a) {
      if (++idx[a] < p.out_shape[a]) break;
      idx[a] = 0;
    }
  }
}

void x_slice__ref(const SliceParams& p, const void* input, void* output) { SliceWalk(p, input, output, x_copy__ref); }

}  // namespace qwasm
