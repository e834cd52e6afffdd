// Constant padding of a dense tensor of any element size: axis by axis,
// padding rows filled with pad_value, input rows copied (or requantized).
// The walk is also x_pad__wasmsimd's (copy-walkers.h).
#include <cstring>

#include "kernels/copy/copy-walkers.h"
#include "kernels/kernels.h"

namespace qwasm {
namespace {

void Fill(const PadParams& p, uint8_t* dst, size_t n) {
  const size_t es = p.copy.element_size;
  if (es == 1) {
    std::memset(dst, p.pad_value[0], n);
    return;
  }
  for (size_t i = 0; i < n; ++i) std::memcpy(dst + i * es, p.pad_value, es);
}

// Writes the padded block of `axis` (and the axes after it) for one input
// block; `in_inner` / `out_inner`: elements per step along `axis`.
void PadAxis(const PadParams& p, ElementCopyFn copy, int axis, const size_t* in_inner, const size_t* out_inner,
             const uint8_t* in, uint8_t** out) {
  const size_t es = p.copy.element_size;
  const size_t before = static_cast<size_t>(p.before[axis]) * out_inner[axis];
  const size_t after = static_cast<size_t>(p.after[axis]) * out_inner[axis];
  Fill(p, *out, before);
  *out += before * es;
  if (axis == p.rank - 1) {
    copy(p.copy, in, *out, static_cast<size_t>(p.in_shape[axis]));
    *out += static_cast<size_t>(p.in_shape[axis]) * es;
  } else {
    for (int32_t i = 0; i < p.in_shape[axis]; ++i) {
      PadAxis(p, copy, axis + 1, in_inner, out_inner, in + static_cast<size_t>(i) * in_inner[axis] * es, out);
    }
  }
  Fill(p, *out, after);
  *out += after * es;
}

}  // namespace

__attribute__((noinline)) void PadWalk(const PadParams& p, const void* input, void* output, ElementCopyFn copy) {
  uint8_t* out = static_cast<uint8_t*>(output);
  if (p.rank == 0) {
    copy(p.copy, input, out, 1);
    return;
  }
  size_t in_inner[kMaxMoveRank], out_inner[kMaxMoveRank];
  size_t in_n = 1, out_n = 1;
  for (int a = p.rank - 1; a >= 0; --a) {
    in_inner[a] = in_n;
    out_inner[a] = out_n;
    in_n *= static_cast<size_t>(p.in_shape[a]);
    out_n *= static_cast<size_t>(p.before[a] + p.in_shape[a] + p.after[a]);
  }
  PadAxis(p, copy, 0, in_inner, out_inner, static_cast<const uint8_t*>(input), &out);
}

void x_pad__ref(const PadParams& p, const void* input, void* output) { PadWalk(p, input, output, x_copy__ref); }

}  // namespace qwasm
