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
  for (float m : max_abs) q.scale.push_back(m > 0.0f ? RoundUpToFloat16(m / 7.0f) : 1.0f);
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
