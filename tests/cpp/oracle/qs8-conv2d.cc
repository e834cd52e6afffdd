// Reference 2-D convolution, NHWC input, OHWI filter, int32 accumulation.
#include "kernels/kernels.h"
#include "quant/requantize.h"

namespace qwasm {

void qs8_conv2d__ref(const QConvParams& p, const int8_t* input, int8_t* output) {
  const WindowShape& s = p.shape;
  for (int n = 0; n < s.batch; ++n) {
    for (int oy = 0; oy < s.out_h; ++oy) {
      for (int ox = 0; ox < s.out_w; ++ox) {
        for (int oc = 0; oc < s.out_c; ++oc) {
          int32_t acc = p.bias ? p.bias[oc] : 0;
          for (int ky = 0; ky < s.kernel_h; ++ky) {
            const int iy = oy * s.stride_h - s.pad_top + ky * s.dilation_h;
            if (iy < 0 || iy >= s.in_h) continue;  // padding contributes real 0
            for (int kx = 0; kx < s.kernel_w; ++kx) {
              const int ix = ox * s.stride_w - s.pad_left + kx * s.dilation_w;
              if (ix < 0 || ix >= s.in_w) continue;
              const int8_t* x = input + ((static_cast<size_t>(n) * s.in_h + iy) * s.in_w + ix) * s.in_c;
              const int8_t* w = p.filter + ((static_cast<size_t>(oc) * s.kernel_h + ky) * s.kernel_w + kx) * s.in_c;
              for (int ic = 0; ic < s.in_c; ++ic) {
                acc += (x[ic] - p.input_zero_point) * (w[ic] - p.filter_zero_point);
              }
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
