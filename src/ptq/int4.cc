#include "ptq/int4.h"

#include <algorithm>
#include <cmath>

#include "quant/float16.h"

namespace qwasm {

std::vector<uint8_t> PackNibbles(const uint8_t* values, size_t n) {
  std::vector<uint8_t> out((n + 1) / 2, 0);
  for (size_t i = 0; i < n; ++i) out[i / 2] |= static_cast<uint8_t>((values[i] & 0x0F) << (i % 2 ? 4 : 0));
  return out;
}

Int4Weights QuantizeInt4(const float* w, size_t n, size_t channels, size_t inner) {
  Int4Weights q;
  std::vector<float> max_abs(channels, 0.0f);
  auto channel_of = [&](size_t i) { return (i / inner) % channels; };
  for (size_t i = 0; i < n; ++i) max_abs[channel_of(i)] = std::max(max_abs[channel_of(i)], std::fabs(w[i]));
  // Each channel's scale: of max|w| / 7 x a, a = 1.00, 0.99, ..., 0.50, the
  // one whose levels lie closest to the weights (least squared error; the
  // largest on ties). Clipping the few largest weights of a heavy-tailed
  // channel buys the rest a finer grid: with 15 levels that pays.
  const size_t blocks = n / (channels * inner);
  for (size_t c = 0; c < channels; ++c) {
    if (!(max_abs[c] > 0.0f)) {
      q.scale.push_back(1.0f);
      continue;
    }
    double best = -1;
    float best_scale = 1.0f;
    for (int a = 100; a >= 50; --a) {
      const float s = RoundUpToFloat16(max_abs[c] * static_cast<float>(a) / 700.0f);
      double error = 0;
      for (size_t b = 0; b < blocks; ++b) {
        for (size_t j = 0; j < inner; ++j) {
          const float x = w[(b * channels + c) * inner + j];
          const double d = std::clamp(std::nearbyint(x / s), -7.0f, 7.0f) * s - x;
          error += d * d;
        }
      }
      if (best < 0 || error < best) best = error, best_scale = s;
    }
    q.scale.push_back(best_scale);
  }
  q.values.resize(n);
  std::vector<uint8_t> nibbles(n);
  for (size_t i = 0; i < n; ++i) {
    const float v = std::clamp(std::nearbyint(w[i] / q.scale[channel_of(i)]), -7.0f, 7.0f);
    q.values[i] = static_cast<int8_t>(v);
    nibbles[i] = static_cast<uint8_t>(q.values[i]) & 0x0F;
  }
  q.packed = PackNibbles(nibbles.data(), n);
  return q;
}

}  // namespace qwasm
