// Reference int8 max pooling on one grid: the largest cell of the window
// inside the image (padding ignored), clamped to the fused activation.
#include "kernels/kernels.h"
#include "kernels/window.h"

namespace qwasm {

void qs8_max_pool__ref(const QMaxPoolParams& p, size_t row_begin, size_t row_end, const int8_t* input,
                       int8_t* output) {
  const WindowShape& s = p.shape;
  ForEachOutputPixel(s, row_begin, row_end, [&](size_t out_pixel, int n, int oy, int ox) {
    for (int c = 0; c < s.out_c; ++c) {
      int32_t best = -128;
      ForEachTap(s, n, oy, ox, [&](size_t in_pixel, int, int) {
        const int32_t x = input[in_pixel * s.in_c + c];
        best = x > best ? x : best;
      });
      best = best < p.output.min ? p.output.min : (best > p.output.max ? p.output.max : best);
      output[out_pixel * s.out_c + c] = static_cast<int8_t>(best);
    }
  });
}

}  // namespace qwasm
