// Concatenation, the reference's walk with x_copy__wasmsimd: requantized
// inputs converted sixteen elements at a time.
#include "kernels/copy/copy-walkers.h"
#include "kernels/kernels.h"

namespace qwasm {

void x_concat__wasmsimd(const ConcatParams& p, const void* const* inputs, void* output) {
  ConcatWalk(p, inputs, output, x_copy__wasmsimd);
}

}  // namespace qwasm
