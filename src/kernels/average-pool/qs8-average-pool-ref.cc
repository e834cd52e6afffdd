// Reference average pooling. As in TFLite, the divisor counts only the window
// cells inside the image (padding is excluded). The sum of (x - zx) is exact
// in int32; the division and rescale are one float32 multiply by
// fl(scale_in / (scale_out * count)), then RoundToQuant.
#include "kernels/kernels.h"
#include "kernels/window.h"
#include "quant/requantize.h"

namespace qwasm {

void qs8_average_pool__ref(const QPoolParams& p, size_t row_begin, size_t row_end, size_t c_begin,
                           size_t c_end, const int8_t* input, int8_t* output) {
  const WindowShape& s = p.shape;
  ForEachOutputPixel(s, row_begin, row_end, [&](size_t out_pixel, int n, int oy, int ox) {
    for (size_t c = c_begin; c < c_end; ++c) {
      int32_t sum = 0, count = 0;
      ForEachTap(s, n, oy, ox, [&](size_t in_pixel, int, int) {
        sum += input[in_pixel * s.in_c + c] - p.input_zero_point;
        ++count;
      });
      // count >= 1: prepare guarantees every window overlaps the image.
      const float scale = static_cast<float>(p.input_over_output_scale / count);
      output[out_pixel * s.out_c + c] =
          static_cast<int8_t>(Requantize(sum, scale, p.output.zero_point, p.output.min, p.output.max));
    }
  });
}

}  // namespace qwasm
