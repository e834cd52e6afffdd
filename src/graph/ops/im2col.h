// im2col.h — copies each output pixel's receptive field into one row of a
// GEMM operand (int8 and float GEMMs): rows [row_begin, row_end) of the
// window `s`, row r at scratch + (r - row_begin) * row_stride, taps in (ky, kx, ic) order,
// cells in the padding set to `pad` (the zero point: real value 0). A
// grouped convolution takes channels [c_begin, c_begin + c_count) of each
// input pixel (one group's); by default all of them.
//
// int8 window rows of at most 16 bytes (the first layer of an image model:
// 3 taps x 3 channels) are copied as one 16-byte vector where the input
// allows the read: its excess lands in the next window row, which
// overwrites it, in the row's bytes past k, which meet zero weights, or,
// for the last row, in 16 bytes of slack the caller leaves after the rows.
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
  const T* const input_end = input + static_cast<size_t>(s.batch) * s.in_h * s.in_w * in_c;
  input += c_begin;
  // One window row (kernel_w taps) is contiguous in the input when the
  // dilation is 1, it lies inside and takes every channel: copied in one go.
  const size_t segment = static_cast<size_t>(s.kernel_w) * cells;
  // int8 window rows that one vector holds (see above).
  const bool vector_rows = sizeof(T) == 1 && segment <= 16 && s.dilation_w == 1 && all_channels;
  const size_t line_step = static_cast<size_t>(s.dilation_h) * s.in_w * in_c;
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
    const int iy0 = static_cast<int>(oy) * s.stride_h - s.pad_top;
    if (vector_rows && row_inside && iy0 >= 0 && iy0 + (s.kernel_h - 1) * s.dilation_h < s.in_h) {
      // The whole window inside: kernel_h vector copies, nothing else per row.
      const T* src = input + ((b * s.in_h + static_cast<size_t>(iy0)) * s.in_w + static_cast<size_t>(ix0)) * in_c;
      const T* const last = src + static_cast<size_t>(s.kernel_h - 1) * line_step;
      if (input_end - last >= 16) {
        for (int ky = 0; ky < s.kernel_h; ++ky, dst += segment) std::memcpy(dst, src + ky * line_step, 16);
        continue;
      }
    }
    for (int ky = 0; ky < s.kernel_h; ++ky) {
      const int iy = static_cast<int>(oy) * s.stride_h - s.pad_top + ky * s.dilation_h;
      if (iy < 0 || iy >= s.in_h) {
        std::fill_n(dst, segment, pad);
        dst += segment;
        continue;
      }
      const T* line = input + (b * s.in_h + iy) * s.in_w * in_c;
      if (row_inside && s.dilation_w == 1 && all_channels) {
        const T* src = line + static_cast<size_t>(ix0) * in_c;
        if (vector_rows && input_end - src >= 16) {
          std::memcpy(dst, src, 16);  // one vector; the excess is overwritten or lies past k (see above)
        } else {
          CopyRun(dst, src, segment);
        }
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
