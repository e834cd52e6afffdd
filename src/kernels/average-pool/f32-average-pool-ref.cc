// Reference float average pooling: window sum in (ky, kx) order over the
// cells inside the image, divided by their count, or by the whole window with
// count_include_pad (ONNX), then the fused activation.
#include "kernels/kernels.h"
#include "kernels/window.h"

namespace qwasm {

void f32_average_pool__ref(const FPoolParams& p, size_t row_begin, size_t row_end, const float* input,
                           float* output) {
  const WindowShape& s = p.shape;
  ForEachOutputPixel(s, row_begin, row_end, [&](size_t out_pixel, int n, int oy, int ox) {
    for (int c = 0; c < s.out_c; ++c) {
      float sum = 0.0f;
      int count = 0;
      ForEachTap(s, n, oy, ox, [&](size_t in_pixel, int, int) {
        sum += input[in_pixel * s.in_c + c];
        ++count;
      });
      // count >= 1: prepare guarantees every window overlaps the image.
      if (p.count_include_pad) count = s.kernel_h * s.kernel_w;
      output[out_pixel * s.out_c + c] = p.output.Apply(sum / static_cast<float>(count));
    }
  });
}

}  // namespace qwasm
