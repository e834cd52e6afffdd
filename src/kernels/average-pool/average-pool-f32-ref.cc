// Reference float average pooling: window sum in (ky, kx) order over the
// cells inside the image, divided by their count, or by the whole window with
// count_include_pad (ONNX), then the fused activation.
#include "kernels/kernels.h"

namespace qwasm {

void f32_average_pool__ref(const FPoolParams& p, const float* input, float* output) {
  const WindowShape& s = p.shape;
  for (int n = 0; n < s.batch; ++n) {
    for (int oy = 0; oy < s.out_h; ++oy) {
      for (int ox = 0; ox < s.out_w; ++ox) {
        for (int c = 0; c < s.out_c; ++c) {
          float sum = 0.0f;
          int count = 0;
          for (int ky = 0; ky < s.kernel_h; ++ky) {
            const int iy = oy * s.stride_h - s.pad_top + ky;
            if (iy < 0 || iy >= s.in_h) continue;
            for (int kx = 0; kx < s.kernel_w; ++kx) {
              const int ix = ox * s.stride_w - s.pad_left + kx;
              if (ix < 0 || ix >= s.in_w) continue;
              sum += input[((static_cast<size_t>(n) * s.in_h + iy) * s.in_w + ix) * s.in_c + c];
              ++count;
            }
          }
          // count >= 1: prepare guarantees every window overlaps the image.
          if (p.count_include_pad) count = s.kernel_h * s.kernel_w;
          output[((static_cast<size_t>(n) * s.out_h + oy) * s.out_w + ox) * s.out_c + c] =
              p.output.Apply(sum / static_cast<float>(count));
        }
      }
    }
  }
}

}  // namespace qwasm
