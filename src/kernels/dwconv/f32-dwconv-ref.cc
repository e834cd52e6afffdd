// Reference float depthwise convolution, any depth multiplier: filter
// [kh][kw][in_c * multiplier], output channel oc reads input channel
// oc / multiplier. Accumulates in float32: bias, then taps in (ky, kx)
// order, padding skipped.
#include "kernels/kernels.h"
#include "kernels/window.h"

namespace qwasm {

void f32_dwconv__ref(const FConvParams& p, size_t row_begin, size_t row_end, const float* input,
                     float* output) {
  const WindowShape& s = p.shape;
  const int multiplier = s.out_c / s.in_c;
  ForEachOutputPixel(s, row_begin, row_end, [&](size_t out_pixel, int n, int oy, int ox) {
    for (int oc = 0; oc < s.out_c; ++oc) {
      float acc = p.bias ? p.bias[oc] : 0.0f;
      ForEachTap(s, n, oy, ox, [&](size_t in_pixel, int ky, int kx) {
        acc += input[in_pixel * s.in_c + oc / multiplier] *
               p.filter[(static_cast<size_t>(ky) * s.kernel_w + kx) * s.out_c + oc];
      });
      output[out_pixel * s.out_c + oc] = p.output.Apply(acc);
    }
  });
}

}  // namespace qwasm
