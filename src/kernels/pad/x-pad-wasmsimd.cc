// Constant padding, the reference's walk with x_copy__wasmsimd: int8 rows
// requantized sixteen at a time.
#include "kernels/copy/copy-walkers.h"
#include "kernels/kernels.h"

namespace qwasm {

void x_pad__wasmsimd(const PadParams& p, const void* input, void* output) {
  PadWalk(p, input, output, x_copy__wasmsimd);
}

}  // namespace qwasm
