// Reference average pooling. As in TFLite, the divisor counts only the window
// cells inside the image (padding is excluded). The sum of (x - zx) is exact
// in int32; the division and rescale are one float32 multiply by
// fl(scale_in / (scale_out * count)), then RoundToQuant.
#include "kernels/kernels.h"
#include "quant/requantize.h"

namespace qwasm {

void qs8_average_pool__ref(const QPoolParams& p, const int8_t* input, int8_t* output) {
  const WindowShape& s = p.shape;
  for (int n = 0; n < s.batch; ++n) {
    for (int oy = 0; oy < s.out_h; ++oy) {
      for (int ox = 0; ox < s.out_w; ++ox) {
        for (int c = 0; c < s.out_c; ++c) {
          int32_t sum = 0;
          int32_t count = 0;
          for (int ky = 0; ky < s.kernel_h; ++ky) {
            const int iy = oy * s.stride_h - s.pad_top + ky;
            if (iy < 0 || iy >= s.in_h) continue;
            for (int kx = 0; kx < s.kernel_w; ++kx) {
              const int ix = ox * s.stride_w - s.pad_left + kx;
              if (ix < 0 || ix >= s.in_w) continue;
              sum += input[((static_cast<size_t>(n) * s.in_h + iy) * s.in_w + ix) * s.in_c + c] -
                     p.input_zero_point;
              ++count;
            }
          }
          // count >= 1: prepare guarantees every window overlaps the image.
          const float scale = static_cast<float>(p.input_over_output_scale / count);
          output[((static_cast<size_t>(n) * s.out_h + oy) * s.out_w + ox) * s.out_c + c] =
              static_cast<int8_t>(Requantize(sum, scale, p.output.zero_point, p.output.min,
                                             p.output.max));
        }
      }
    }
  }
}

}  // namespace qwasm
