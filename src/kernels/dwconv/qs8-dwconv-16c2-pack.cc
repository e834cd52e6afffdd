// Weight packing of the 16c2 depthwise kernels (layout in dwconv.h).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "kernels/dwconv/dwconv.h"

namespace qwasm {
namespace {

// Channel (relative to its block) of lane k of accumulator a: accumulators
// alternate even and odd channels, 8 channels per accumulator pair.
int LaneChannel(int a, int k) { return (a >> 1) * 8 + 2 * k + (a & 1); }

template <typename T>
void Append(std::vector<uint8_t>* out, T v) {
  uint8_t b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out->insert(out->end(), b, b + sizeof(T));
}

}  // namespace

QDepthwiseWeights qs8_dwconv_16c2_pack(int channels, int kernel_h, int kernel_w, const int8_t* filter,
                                       int32_t filter_zero_point, const int32_t* bias, const float* scale,
                                       int32_t input_zero_point) {
  QDepthwiseWeights w;
  w.channels = channels;
  w.taps = kernel_h * kernel_w;
  const int taps = w.taps;
  const int pairs = (taps + 1) / 2;
  const int padded = (channels + 7) & ~7;
  // Tap t = kx * kernel_h + ky; taps past the last (the odd tap's partner)
  // and channels past the last weigh zero.
  auto weight = [&](int t, int c) -> int32_t {
    if (t >= taps || c >= channels) return 0;
    const int ky = t % kernel_h, kx = t / kernel_h;
    return filter[(static_cast<size_t>(ky) * kernel_w + kx) * channels + c] - filter_zero_point;
  };
  // Folded bias per channel, and whether the even-channel lanes may hold 256
  // times their accumulator: |acc| <= |bias'| + 128 * sum_t |w_t - zw| must
  // stay under 2^23 so 256 * acc fits int32, and scale / 256 must be a
  // normal float so that float(256 acc) * (scale / 256) rounds exactly like
  // float(acc) * scale.
  std::vector<int32_t> folded(channels);
  w.even_x256 = true;
  for (int c = 0; c < channels; ++c) {
    int64_t b = bias ? bias[c] : 0, sum_abs = 0;
    for (int t = 0; t < taps; ++t) {
      b -= static_cast<int64_t>(input_zero_point) * weight(t, c);
      sum_abs += std::abs(weight(t, c));
    }
    // Fits: |b| <= |bias| + 128 * 255 * taps, inside the accumulator bound
    // the operator checked.
    folded[c] = static_cast<int32_t>(b);
    if (std::abs(b) + 128 * sum_abs >= (int64_t{1} << 23) || !(scale[c] >= std::ldexp(1.0f, -118))) {
      w.even_x256 = false;
    }
  }
  const int32_t even_bias_factor = w.even_x256 ? 256 : 1;
  const float even_scale_factor = w.even_x256 ? 1.0f / 256 : 1.0f;
  for (int c0 = 0; c0 < padded;) {
    const int block = padded - c0 >= 16 ? 16 : 8;
    const int accs = block / 4;
    for (int a = 0; a < accs; ++a) {
      for (int k = 0; k < 4; ++k) {
        const int c = c0 + LaneChannel(a, k);
        const int32_t b = c < channels ? folded[c] : 0;
        Append<int32_t>(&w.packed, a % 2 == 0 ? b * even_bias_factor : b);
      }
    }
    for (int p = 0; p < pairs; ++p) {
      for (int a = 0; a < accs; ++a) {
        for (int k = 0; k < 4; ++k) {
          const int c = c0 + LaneChannel(a, k);
          Append<int16_t>(&w.packed, static_cast<int16_t>(weight(2 * p, c)));
          Append<int16_t>(&w.packed, static_cast<int16_t>(weight(2 * p + 1, c)));
        }
      }
    }
    for (int a = 0; a < accs; ++a) {
      for (int k = 0; k < 4; ++k) {
        const int c = c0 + LaneChannel(a, k);
        const float sc = c < channels ? scale[c] : 1.0f;
        Append<float>(&w.packed, a % 2 == 0 ? sc * even_scale_factor : sc);
      }
    }
    c0 += block;
  }
  return w;
}

}  // namespace qwasm
