// Reference int8 depthwise convolution, any depth multiplier. Output channel
// oc reads input channel oc / depth_multiplier (out_c = in_c *
// depth_multiplier); filter is [kernel_h][kernel_w][out_c] (TFLite's
// [1, kh, kw, out_c]).
#include "kernels/dwconv/dwconv.h"
#include "kernels/window.h"
#include "quant/requantize.h"

namespace qwasm {

void qs8_dwconv__ref(const QConvParams& p, size_t row_begin, size_t row_end, const int8_t* input,
                     int8_t* output) {
  const WindowShape& s = p.shape;
  const int multiplier = s.out_c / s.in_c;
  ForEachOutputPixel(s, row_begin, row_end, [&](size_t out_pixel, int n, int oy, int ox) {
    for (int oc = 0; oc < s.out_c; ++oc) {
      int32_t acc = p.bias ? p.bias[oc] : 0;
      ForEachTap(s, n, oy, ox, [&](size_t in_pixel, int ky, int kx) {
        const int32_t x = input[in_pixel * s.in_c + oc / multiplier];
        const int32_t w = p.filter[(static_cast<size_t>(ky) * s.kernel_w + kx) * s.out_c + oc];
        acc += (x - p.input_zero_point) * (w - p.filter_zero_point);
      });
      output[out_pixel * s.out_c + oc] =
          static_cast<int8_t>(Requantize(acc, p.scale[oc], p.output.zero_point, p.output.min, p.output.max));
    }
  });
}

}  // namespace qwasm
