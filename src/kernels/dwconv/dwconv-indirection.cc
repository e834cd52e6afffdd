// The depthwise indirection buffer: one input pointer per tap of every
// output pixel (layout in dwconv.h).
#include <algorithm>

#include "kernels/dwconv/dwconv.h"

namespace qwasm {

size_t dwconv_zero_bytes(int channels) { return (static_cast<size_t>(channels) + 7) & ~size_t{7}; }

size_t dwconv_pixel_step(const WindowShape& s) {
  // With dilation 1, pixel x + 1's tap (kx, ky) is pixel x's tap
  // (kx + stride_w, ky): the pixels share pointers.
  const int step_w = s.dilation_w == 1 ? std::min(s.stride_w, s.kernel_w) : s.kernel_w;
  return static_cast<size_t>(step_w) * s.kernel_h;
}

size_t dwconv_row_step(const WindowShape& s) {
  return static_cast<size_t>(s.kernel_h) * s.kernel_w + (s.out_w - 1) * dwconv_pixel_step(s);
}

void dwconv_indirection_init_rows(const WindowShape& s, const int8_t* input, const int8_t* zero, size_t row_begin,
                                  size_t row_end, const int8_t** indirection) {
  const size_t row_step = dwconv_row_step(s), pixel_step = dwconv_pixel_step(s);
  for (size_t r = row_begin; r < row_end; ++r) {
    const size_t n = r / static_cast<size_t>(s.out_h);
    const int y = static_cast<int>(r % static_cast<size_t>(s.out_h));
    const int8_t** row = indirection + (r - row_begin) * row_step;
    for (int x = 0; x < s.out_w; ++x) {
      for (int kx = 0; kx < s.kernel_w; ++kx) {
        const int ix = x * s.stride_w - s.pad_left + kx * s.dilation_w;
        for (int ky = 0; ky < s.kernel_h; ++ky) {
          const int iy = y * s.stride_h - s.pad_top + ky * s.dilation_h;
          const bool inside = iy >= 0 && iy < s.in_h && ix >= 0 && ix < s.in_w;
          row[x * pixel_step + kx * s.kernel_h + ky] =
              inside ? input + ((n * s.in_h + iy) * s.in_w + ix) * s.in_c : zero;
        }
      }
    }
  }
}

void dwconv_indirection_init(const WindowShape& s, const int8_t* input, const int8_t* zero,
                             const int8_t** indirection) {
  dwconv_indirection_init_rows(s, input, zero, 0, static_cast<size_t>(s.batch) * s.out_h, indirection);
}

}  // namespace qwasm
