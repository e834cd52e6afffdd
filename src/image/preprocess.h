// preprocess.h — image -> model input pixels.
//
// The standard evaluation preprocessing of ImageNet classifiers: a central
// square crop covering `crop_fraction` of the shorter side, then a bilinear
// resize with half-pixel centres and no antialiasing (TensorFlow's
// resize_bilinear(half_pixel_centers=True)), producing 8-bit pixels.
//
// Exact definition (so any other implementation can reproduce it):
//   side = max(1, rne(crop_fraction * min(w, h)));  x0 = (w - side) / 2;
//   y0 = (h - side) / 2 (integer division). For output column j of out_w:
//   s = (j + 0.5) * side / out_w - 0.5 (float32), lo = max(floor(s), 0),
//   hi = min(floor(s) + 1, side - 1), t = s - floor(s); likewise for rows.
//   v = top + (bottom - top) * ty with top/bottom interpolated along x;
//   pixel = clamp(rne(v), 0, 255).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/status.h"

namespace qwasm {

struct ImageView {
  const uint8_t* pixels = nullptr;
  int width = 0;
  int height = 0;
  int channels = 4;   // 1 (gray), 3 (RGB) or 4 (RGBA; alpha ignored)
  size_t stride = 0;  // bytes per row
};

struct ResizeSpec {
  int out_width = 0;
  int out_height = 0;
  int out_channels = 3;        // 3 = RGB; 1 = gray (BT.601 luma of RGB)
  float crop_fraction = 0.875f;  // 1 = no crop beyond the central square
};

// Writes out_height * out_width * out_channels bytes to `out`.
Status CropResizeBilinear(const ImageView& in, const ResizeSpec& spec, uint8_t* out);

}  // namespace qwasm
