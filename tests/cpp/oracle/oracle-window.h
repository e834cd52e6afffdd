// oracle-window.h — index arithmetic of 2-D windows (convolutions, pools)
// for the oracles, written apart from kernels/window.h on purpose: the
// oracles must not share code with the kernels they judge.
#pragma once

#include <cstddef>

#include "kernels/params.h"

namespace qwasm::oracle {

// Calls f(out_pixel, n, oy, ox) for every output pixel of s in NHWC order;
// out_pixel is the pixel's index (times out_c: its first element).
template <typename F>
void ForEachOutput(const WindowShape& s, F&& f) {
  size_t out_pixel = 0;
  for (int n = 0; n < s.batch; ++n) {
    for (int oy = 0; oy < s.out_h; ++oy) {
      for (int ox = 0; ox < s.out_w; ++ox) f(out_pixel++, n, oy, ox);
    }
  }
}

// Calls f(in_pixel, ky, kx) for each tap of output pixel (n, oy, ox) that
// falls inside the image, ky outer, kx inner (the order float sums are
// defined in); padding taps are skipped.
template <typename F>
void ForEachImageTap(const WindowShape& s, int n, int oy, int ox, F&& f) {
  for (int ky = 0; ky < s.kernel_h; ++ky) {
    for (int kx = 0; kx < s.kernel_w; ++kx) {
      const int iy = oy * s.stride_h + ky * s.dilation_h - s.pad_top;
      const int ix = ox * s.stride_w + kx * s.dilation_w - s.pad_left;
      if (iy >= 0 && iy < s.in_h && ix >= 0 && ix < s.in_w) {
        f((static_cast<size_t>(n) * s.in_h + iy) * s.in_w + ix, ky, kx);
      }
    }
  }
}

}  // namespace qwasm::oracle
