// window.h — how the window kernels (pooling, depthwise; scalar and SIMD)
// walk their output pixels and each pixel's taps, written once for every
// dtype.
#pragma once

#include <cstddef>

#include "kernels/params.h"

namespace qwasm {

// Calls f(out_pixel, n, oy, ox) for every output pixel of rows [row_begin,
// row_end) (row = n * out_h + oy), out_pixel its index in the NHWC output
// (times out_c for its first element).
template <typename F>
inline void ForEachOutputPixel(const WindowShape& s, size_t row_begin, size_t row_end, F&& f) {
  for (size_t row = row_begin; row < row_end; ++row) {
    const int n = static_cast<int>(row / s.out_h), oy = static_cast<int>(row % s.out_h);
    for (int ox = 0; ox < s.out_w; ++ox) f(row * s.out_w + ox, n, oy, ox);
  }
}

// Calls f(in_pixel, ky, kx) for the taps of output pixel (n, oy, ox) that lie
// inside the image, in (ky, kx) order (the order float sums are defined in);
// in_pixel is the tap's index in the NHWC input. Padding taps are skipped.
template <typename F>
inline void ForEachTap(const WindowShape& s, int n, int oy, int ox, F&& f) {
  for (int ky = 0; ky < s.kernel_h; ++ky) {
    const int iy = oy * s.stride_h - s.pad_top + ky * s.dilation_h;
    if (iy < 0 || iy >= s.in_h) continue;
    for (int kx = 0; kx < s.kernel_w; ++kx) {
      const int ix = ox * s.stride_w - s.pad_left + kx * s.dilation_w;
      if (ix < 0 || ix >= s.in_w) continue;
      f((static_cast<size_t>(n) * s.in_h + iy) * s.in_w + ix, ky, kx);
    }
  }
}

// The pooling kernels' loop: for output pixels of rows [row_begin, row_end)
// and channels [c_begin, c_end), folds the channel's in-image window cells
// in (ky, kx) order into an accumulator (step(acc, x)) started at `init`,
// and stores finish(acc).
template <typename In, typename Out, typename Acc, typename Step, typename Finish>
inline void PoolWindows(const WindowShape& s, size_t row_begin, size_t row_end, size_t c_begin, size_t c_end,
                        const In* input, Out* output, Acc init, Step&& step, Finish&& finish) {
  ForEachOutputPixel(s, row_begin, row_end, [&](size_t out_pixel, int n, int oy, int ox) {
    for (size_t c = c_begin; c < c_end; ++c) {
      Acc acc = init;
      ForEachTap(s, n, oy, ox, [&](size_t in_pixel, int, int) { step(acc, input[in_pixel * s.in_c + c]); });
      output[out_pixel * s.out_c + c] = finish(acc);
    }
  });
}

}  // namespace qwasm
