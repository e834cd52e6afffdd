// Transpose of a dense tensor of any element size (rank <= kMaxMoveRank):
// output rows (all axes but the last) in order; each row is one memcpy when
// the last axis stays last, else a strided gather.
#include <cstring>

#include "kernels/kernels.h"

namespace qwasm {
namespace {

template <size_t kSize>
void Gather(const uint8_t* src, size_t stride_bytes, uint8_t* dst, size_t n) {
  for (size_t i = 0; i < n; ++i, src += stride_bytes, dst += kSize) std::memcpy(dst, src, kSize);
}

}  // namespace

void x_transpose__ref(const TransposeParams& p, const void* input, void* output) {
  const int r = p.rank;
  const size_t es = p.element_size;
  size_t in_stride[kMaxMoveRank];
  size_t stride = es;
  for (int a = r - 1; a >= 0; --a) {
    in_stride[a] = stride;
    stride *= static_cast<size_t>(p.in_shape[a]);
  }
  if (r == 0) {
    std::memcpy(output, input, es);
    return;
  }
  int32_t out_shape[kMaxMoveRank] = {};
  size_t step[kMaxMoveRank] = {};  // input bytes per step along output axis i
  for (int i = 0; i < r; ++i) {
    out_shape[i] = p.in_shape[p.perm[i]];
    step[i] = in_stride[p.perm[i]];
  }
  const size_t row = static_cast<size_t>(out_shape[r - 1]);
  size_t rows = 1;
  for (int i = 0; i < r - 1; ++i) rows *= static_cast<size_t>(out_shape[i]);
  const uint8_t* in = static_cast<const uint8_t*>(input);
  uint8_t* out = static_cast<uint8_t*>(output);
  int32_t index[kMaxMoveRank] = {};
  size_t offset = 0;  // input byte offset of the current row
  for (size_t k = 0; k < rows; ++k, out += row * es) {
    if (step[r - 1] == es) {
      std::memcpy(out, in + offset, row * es);
    } else {
      switch (es) {
        case 1: Gather<1>(in + offset, step[r - 1], out, row); break;
        case 2: Gather<2>(in + offset, step[r - 1], out, row); break;
        case 4: Gather<4>(in + offset, step[r - 1], out, row); break;
        default: Gather<8>(in + offset, step[r - 1], out, row); break;
      }
    }
    // Next row: odometer over output axes r-2 .. 0.
    for (int i = r - 2; i >= 0; --i) {
      offset += step[i];
      if (++index[i] < out_shape[i]) break;
      offset -= step[i] * static_cast<size_t>(out_shape[i]);
      index[i] = 0;
    }
  }
}

}  // namespace qwasm
