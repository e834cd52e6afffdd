// Slice, the reference's walk with x_copy__wasmsimd: int8 runs requantized
// sixteen at a time.
#include "kernels/copy/copy-walkers.h"
#include "kernels/kernels.h"

namespace qwasm {

void x_slice__wasmsimd(const SliceParams& p, const void* input, void* output) {
  SliceWalk(p, input, output, x_copy__wasmsimd);
}

}  // namespace qwasm
