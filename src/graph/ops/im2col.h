// im2col.h — copies each output pixel's receptive field into one row of a
// GEMM operand (int8 and float GEMMs): rows [row_begin, row_end) of the
// window `s`, row r at scratch + (r - row_begin) * row_stride, taps in (ky, kx, ic) order,
// cells in the padding set to `pad` (the zero point: real value 0). A
// grouped convolution takes channels [c_begin, c_begin + c_count) of each
// input pixel (one group's); by default all of them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "kernels/params.h"

namespace qwasm {

// Copies a short run (a window row): int8 8 bytes at a time, a memcpy call
// being costlier than the copy at these sizes; floats by memcpy.
template <typename T>
inline void CopyRun(T* dst, const T* src, size_t n) {
  if constexpr (sizeof(T) == 1) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) std::memcpy(dst + i, src + i, 8);
    for (; i < n; ++i) dst[i] = src[i];
  } else {
    std::memcpy(dst, src, n * sizeof(T));
  }
}

template <typename T>
void Im2colRows(const WindowShape& s, const T* input, T pad, size_t row_begin, size_t row_end,
                T* scratch, size_t row_stride, size_t c_begin = 0, size_t c_count = 0) {
  const size_t in_c = s.in_c;
  const size_t cells = c_count ? c_count : in_c;  // copied per tap
  const bool all_channels = cells == in_c;
  input += c_begin;
  // One window row (kernel_w taps) is contiguous in the input when the
  // dilation is 1, it lies inside and takes every channel: copied in one go.
  const size_t segment = static_cast<size_t>(s.kernel_w) * cells;
  // Output coordinates advance with the row (no division per row).
  size_t ox = row_begin % s.out_w, oy = row_begin / s.out_w % s.out_h;
  size_t b = row_begin / s.out_w / s.out_h;
  for (size_t row = row_begin; row < row_end; ++row) {
    if (row > row_begin && ++ox == static_cast<size_t>(s.out_w)) {
      ox = 0;
      if (++oy == static_cast<size_t>(s.out_h)) oy = 0, ++b;
    }
    T* dst = scratch + (row - row_begin) * row_stride;
    const int ix0 = static_cast<int>(ox) * s.stride_w - s.pad_left;
    const bool row_inside = ix0 >= 0 && ix0 + (s.kernel_w - 1) * s.dilation_w < s.in_w;
    for (int ky = 0; ky < s.kernel_h; ++ky) {
      const int iy = static_cast<int>(oy) * s.stride_h - s.pad_top + ky * s.dilation_h;
      if (iy < 0 || iy >= s.in_h) {
        std::fill_n(dst, segment, pad);
        dst += segment;
        continue;
      }
      const T* line = input + (b * s.in_h + iy) * s.in_w * in_c;
      if (row_inside && s.dilation_w == 1 && all_channels) {
        CopyRun(dst, line + static_cast<size_t>(ix0) * in_c, segment);
        dst += segment;
        continue;
      }
      for (int kx = 0; kx < s.kernel_w; ++kx, dst += cells) {
        const int ix = ix0 + kx * s.dilation_w;
        if (ix < 0 || ix >= s.in_w) {
          std::fill_n(dst, cells, pad);
        } else {
          CopyRun(dst, line + static_cast<size_t>(ix) * in_c, cells);
        }
      }
    }
  }
}

}  // namespace qwasm
