// Reference 16c2 depthwise kernel: the packed layout of dwconv.h read one
// channel at a time, lane by lane as the SIMD kernel computes it (including
// the 256x even lanes), through the same indirection buffer. The sum runs
// in uint32 like the SIMD kernel's wrapping int32 lanes.

#include "core/unaligned.h"
#include "kernels/dwconv/dwconv.h"
#include "quant/requantize.h"

namespace qwasm {
namespace {

}  // namespace

void qs8_dwconv_16c2__ref(const QDepthwiseWeights& w, const QOutput& out, const WindowShape& s,
                          const int8_t* const* indirection, int8_t* output, size_t row_begin, size_t row_end,
                          size_t c_begin, size_t c_end) {
  const size_t taps = static_cast<size_t>(w.taps), pairs = (taps + 1) / 2;
  const size_t padded = (static_cast<size_t>(w.channels) + 7) & ~size_t{7};
  const size_t block16_bytes = 16 * 4 * (pairs + 2);  // bias, tap pairs, scales
  const size_t row_step = dwconv_row_step(s), pixel_step = dwconv_pixel_step(s);
  for (size_t r = row_begin; r < row_end; ++r) {
    for (int x = 0; x < s.out_w; ++x) {
      const int8_t* const* tap = indirection + r * row_step + x * pixel_step;
      int8_t* o = output + (r * s.out_w + x) * s.out_c;
      for (size_t c = c_begin; c < c_end; ++c) {
        // Block of 16 channels (8 for a short last block); within it,
        // channel j sits in lane k of accumulator a.
        const size_t c0 = c / 16 * 16, j = c - c0;
        const size_t block = c0 + 16 <= padded ? 16 : 8, accs = block / 4;
        const size_t lane = ((j / 8) * 2 + (j & 1)) * 4 + (j % 8) / 2;
        const uint8_t* b = w.packed.data() + c / 16 * block16_bytes;
        const int32_t x256 = w.even_x256 && j % 2 == 0 ? 256 : 1;
        uint32_t acc = static_cast<uint32_t>(LoadUnaligned<int32_t>(b + 4 * lane));
        for (size_t p = 0; p < pairs; ++p) {
          const uint8_t* wp = b + 16 * accs + p * 16 * accs + 4 * lane;
          for (size_t e = 0; e < 2 && 2 * p + e < taps; ++e) {
            acc += static_cast<uint32_t>(tap[2 * p + e][c] * x256 * LoadUnaligned<int16_t>(wp + 2 * e));
          }
        }
        const float scale = LoadUnaligned<float>(b + 16 * accs * (pairs + 1) + 4 * lane);
        o[c] = static_cast<int8_t>(Requantize(static_cast<int32_t>(acc), scale, out.zero_point, out.min, out.max));
      }
    }
  }
}

}  // namespace qwasm
