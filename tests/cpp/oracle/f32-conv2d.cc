// Reference float 2-D convolution, NHWC input, OHWI filter. Accumulates in
// float32: bias, then taps in (ky, kx, ic) order, padding skipped.
#include "kernels/kernels.h"

namespace qwasm {

void f32_conv2d__ref(const FConvParams& p, const float* input, float* output) {
  const WindowShape& s = p.shape;
  for (int n = 0; n < s.batch; ++n) {
    for (int oy = 0; oy < s.out_h; ++oy) {
      for (int ox = 0; ox < s.out_w; ++ox) {
        for (int oc = 0; oc < s.out_c; ++oc) {
          float acc = p.bias ? p.bias[oc] : 0.0f;
          for (int ky = 0; ky < s.kernel_h; ++ky) {
            const int iy = oy * s.stride_h - s.pad_top + ky * s.dilation_h;
            if (iy < 0 || iy >= s.in_h) continue;
            for (int kx = 0; kx < s.kernel_w; ++kx) {
              const int ix = ox * s.stride_w - s.pad_left + kx * s.dilation_w;
              if (ix < 0 || ix >= s.in_w) continue;
              const float* x = input + ((static_cast<size_t>(n) * s.in_h + iy) * s.in_w + ix) * s.in_c;
              const float* w = p.filter + ((static_cast<size_t>(oc) * s.kernel_h + ky) * s.kernel_w + kx) * s.in_c;
              for (int ic = 0; ic < s.in_c; ++ic) acc += x[ic] * w[ic];
            }
          }
          output[((static_cast<size_t>(n) * s.out_h + oy) * s.out_w + ox) * s.out_c + oc] = p.output.Apply(acc);
        }
      }
    }
  }
}

}  // namespace qwasm
