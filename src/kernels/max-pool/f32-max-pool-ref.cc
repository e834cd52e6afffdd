// Reference float max pooling: the largest cell of the window inside the
// image (padding ignored), then the fused activation.
#include "kernels/kernels.h"
#include "kernels/window.h"

namespace qwasm {

void f32_max_pool__ref(const FPoolParams& p, size_t row_begin, size_t row_end, const float* input,
                       float* output) {
  const WindowShape& s = p.shape;
  ForEachOutputPixel(s, row_begin, row_end, [&](size_t out_pixel, int n, int oy, int ox) {
    for (int c = 0; c < s.out_c; ++c) {
      bool any = false;
      float best = 0.0f;
      ForEachTap(s, n, oy, ox, [&](size_t in_pixel, int, int) {
        const float x = input[in_pixel * s.in_c + c];
        if (!any || x > best || x != x) best = x;  // NaN wins, as in XNNPACK's max
        any = true;
      });
      output[out_pixel * s.out_c + c] = p.output.Apply(best);
    }
  });
}

}  // namespace qwasm
