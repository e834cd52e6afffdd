// Reference int8 max pooling on one grid: the largest cell of the window
// inside the image (padding ignored), clamped to the fused activation.
#include "kernels/kernels.h"

namespace qwasm {

void qs8_max_pool__ref(const QMaxPoolParams& p, const int8_t* input, int8_t* output) {
  const WindowShape& s = p.shape;
  for (int n = 0; n < s.batch; ++n) {
    for (int oy = 0; oy < s.out_h; ++oy) {
      for (int ox = 0; ox < s.out_w; ++ox) {
        for (int c = 0; c < s.out_c; ++c) {
          int32_t best = -128;
          for (int ky = 0; ky < s.kernel_h; ++ky) {
            const int iy = oy * s.stride_h - s.pad_top + ky;
            if (iy < 0 || iy >= s.in_h) continue;
            for (int kx = 0; kx < s.kernel_w; ++kx) {
              const int ix = ox * s.stride_w - s.pad_left + kx;
              if (ix < 0 || ix >= s.in_w) continue;
              const int32_t x = input[((static_cast<size_t>(n) * s.in_h + iy) * s.in_w + ix) * s.in_c + c];
              best = x > best ? x : best;
            }
          }
          best = best < p.output.min ? p.output.min : (best > p.output.max ? p.output.max : best);
          output[((static_cast<size_t>(n) * s.out_h + oy) * s.out_w + ox) * s.out_c + c] = static_cast<int8_t>(best);
        }
      }
    }
  }
}

}  // namespace qwasm
