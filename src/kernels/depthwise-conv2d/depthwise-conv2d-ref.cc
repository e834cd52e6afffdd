// Reference depthwise convolution. Output channel oc reads input channel
// oc / depth_multiplier (out_c = in_c * depth_multiplier); filter is
// [kernel_h][kernel_w][out_c] (TFLite's [1, kh, kw, out_c]).
#include "kernels/kernels.h"
#include "quant/requantize.h"

namespace qwasm {

void qs8_depthwise_conv2d__ref(const QConvParams& p, const int8_t* input, int8_t* output) {
  const WindowShape& s = p.shape;
  const int multiplier = s.out_c / s.in_c;
  for (int n = 0; n < s.batch; ++n) {
    for (int oy = 0; oy < s.out_h; ++oy) {
      for (int ox = 0; ox < s.out_w; ++ox) {
        for (int oc = 0; oc < s.out_c; ++oc) {
          const int ic = oc / multiplier;
          int32_t acc = p.bias ? p.bias[oc] : 0;
          for (int ky = 0; ky < s.kernel_h; ++ky) {
            const int iy = oy * s.stride_h - s.pad_top + ky * s.dilation_h;
            if (iy < 0 || iy >= s.in_h) continue;
            for (int kx = 0; kx < s.kernel_w; ++kx) {
              const int ix = ox * s.stride_w - s.pad_left + kx * s.dilation_w;
              if (ix < 0 || ix >= s.in_w) continue;
              const int32_t x = input[((static_cast<size_t>(n) * s.in_h + iy) * s.in_w + ix) * s.in_c + ic];
              const int32_t w = p.filter[(static_cast<size_t>(ky) * s.kernel_w + kx) * s.out_c + oc];
              acc += (x - p.input_zero_point) * (w - p.filter_zero_point);
            }
          }
          output[((static_cast<size_t>(n) * s.out_h + oy) * s.out_w + ox) * s.out_c + oc] =
              static_cast<int8_t>(Requantize(acc, p.scale[oc], p.output.zero_point,
                                             p.output.min, p.output.max));
        }
      }
    }
  }
}

}  // namespace qwasm
