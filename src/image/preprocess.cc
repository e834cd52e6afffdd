#include "image/preprocess.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace qwasm {
namespace {

struct Tap {
  int lo, hi;
  float t;
};

// Source taps for each output coordinate along one axis of the crop.
std::vector<Tap> Taps(int out, int side) {
  std::vector<Tap> taps(out);
  const float ratio = static_cast<float>(side) / static_cast<float>(out);
  for (int j = 0; j < out; ++j) {
    const float s = (static_cast<float>(j) + 0.5f) * ratio - 0.5f;
    const float f = std::floor(s);
    taps[j].lo = std::max(static_cast<int>(f), 0);
    taps[j].hi = std::min(static_cast<int>(f) + 1, side - 1);
    taps[j].t = s - f;
  }
  return taps;
}

}  // namespace

Status CropResizeBilinear(const ImageView& in, const ResizeSpec& spec, uint8_t* out) {
  if (in.width < 1 || in.height < 1 || in.width > 32768 || in.height > 32768) {
    return Status::Error("image size " + std::to_string(in.width) + "x" + std::to_string(in.height) +
                         " is not supported (1..32768 per side)");
  }
  if (in.channels != 1 && in.channels != 3 && in.channels != 4) {
    return Status::Error("images need 1, 3 or 4 channels, got " + std::to_string(in.channels));
  }
  if (in.stride < static_cast<size_t>(in.width) * in.channels) return Status::Error("image row stride is too small");
  if (spec.out_width < 1 || spec.out_height < 1 || spec.out_width > 8192 || spec.out_height > 8192 ||
      (spec.out_channels != 1 && spec.out_channels != 3)) {
    return Status::Error("unsupported output size for preprocessing");
  }
  if (!(spec.crop_fraction > 0.0f && spec.crop_fraction <= 1.0f)) {
    return Status::Error("crop fraction must be in (0, 1]");
  }
  const int side = std::max(1, static_cast<int>(std::nearbyint(
                                   static_cast<double>(spec.crop_fraction) * std::min(in.width, in.height))));
  const int x0 = (in.width - side) / 2;
  const int y0 = (in.height - side) / 2;
  const std::vector<Tap> tx = Taps(spec.out_width, side);
  const std::vector<Tap> ty = Taps(spec.out_height, side);
  const int c_in = in.channels;
  // Channel k of RGB from a source pixel: gray replicates its one channel.
  auto sample = [&](int y, int x, int k) -> float {
    const uint8_t* p = in.pixels + static_cast<size_t>(y0 + y) * in.stride + static_cast<size_t>(x0 + x) * c_in;
    return static_cast<float>(c_in == 1 ? p[0] : p[k]);
  };
  for (int oy = 0; oy < spec.out_height; ++oy) {
    const Tap& a = ty[oy];
    for (int ox = 0; ox < spec.out_width; ++ox) {
      const Tap& b = tx[ox];
      uint8_t rgb[3];
      for (int k = 0; k < 3; ++k) {
        const float top = sample(a.lo, b.lo, k) + (sample(a.lo, b.hi, k) - sample(a.lo, b.lo, k)) * b.t;
        const float bottom = sample(a.hi, b.lo, k) + (sample(a.hi, b.hi, k) - sample(a.hi, b.lo, k)) * b.t;
        const float v = top + (bottom - top) * a.t;
        rgb[k] = static_cast<uint8_t>(std::clamp(std::nearbyint(v), 0.0f, 255.0f));
      }
      uint8_t* o = out + (static_cast<size_t>(oy) * spec.out_width + ox) * spec.out_channels;
      if (spec.out_channels == 3) {
        o[0] = rgb[0];
        o[1] = rgb[1];
        o[2] = rgb[2];
      } else {
        // BT.601 luma in fixed point: (77 R + 150 G + 29 B + 128) >> 8.
        o[0] = static_cast<uint8_t>((77 * rgb[0] + 150 * rgb[1] + 29 * rgb[2] + 128) >> 8);
      }
    }
  }
  return Status::Ok();
}

}  // namespace qwasm
