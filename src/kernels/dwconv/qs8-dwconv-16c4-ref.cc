// Reference 16c4 depthwise kernel: the packed layout of dwconv.h read one
// channel at a time, with the relaxed kernel's arithmetic (inputs offset by
// a_offset, padding taps re-reading the last tap) in uint32, modulo 2^32
// like its lanes.
#include <algorithm>

#include "core/unaligned.h"
#include "kernels/dwconv/dwconv.h"
#include "quant/requantize.h"

namespace qwasm {
namespace {

}  // namespace

void qs8_dwconv_16c4__ref(const QDepthwiseWeights& w, const QOutput& out, const WindowShape& s,
                          const int8_t* const* indirection, int8_t* output, size_t row_begin, size_t row_end,
                          size_t c_begin, size_t c_end) {
  if (!w.c4) {
    qs8_dwconv_16c2__ref(w, out, s, indirection, output, row_begin, row_end, c_begin, c_end);
    return;
  }
  const size_t taps = static_cast<size_t>(w.taps), per_quad = static_cast<size_t>(w.taps_per_quad);
  const size_t quads = dwconv_16c4_quads(taps, per_quad);
  const size_t padded = (static_cast<size_t>(w.channels) + 7) & ~size_t{7};
  const size_t block16_bytes = dwconv_16c4_block_bytes(16, quads);
  const size_t row_step = dwconv_row_step(s), pixel_step = dwconv_pixel_step(s);
  for (size_t r = row_begin; r < row_end; ++r) {
    for (int x = 0; x < s.out_w; ++x) {
      const int8_t* const* tap = indirection + r * row_step + x * pixel_step;
      int8_t* o = output + (r * s.out_w + x) * s.out_c;
      for (size_t c = c_begin; c < c_end; ++c) {
        const size_t c0 = c / 16 * 16, j = c - c0;
        const size_t block = c0 + 16 <= padded ? 16 : 8;
        const uint8_t* b = w.packed.data() + c / 16 * block16_bytes;
        uint32_t acc = static_cast<uint32_t>(LoadUnaligned<int32_t>(b + 4 * j));
        for (size_t q = 0; q < quads; ++q) {
          for (size_t e = 0; e < 4; ++e) {
            const int32_t weight = static_cast<int8_t>(b[4 * block + 4 * block * q + 4 * j + e]);
            const size_t t = std::min(q * per_quad + std::min(e, per_quad - 1), taps - 1);
            acc += static_cast<uint32_t>(weight * (tap[t][c] + w.a_offset));
          }
        }
        const float scale = LoadUnaligned<float>(b + 4 * block * (quads + 1) + 4 * j);
        o[c] = static_cast<int8_t>(Requantize(static_cast<int32_t>(acc), scale, out.zero_point, out.min, out.max));
      }
    }
  }
}

}  // namespace qwasm
