#include "graph/ops/channel_bound.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace qwasm {
namespace {

Status CheckRange(const OpContext& c, float lo, const std::vector<float>& hi) {
  for (float h : hi) {
    if (!(lo <= h)) return c.Error("clamp range [" + std::to_string(lo) + ", " + std::to_string(h) + "] is empty");
  }
  return Status::Ok();
}

int8_t QuantizeBound(float v, float scale, int32_t zero_point) {
  const double q = std::nearbyint(static_cast<double>(v) / scale) + zero_point;
  return static_cast<int8_t>(std::clamp(q, -128.0, 127.0));  // +-inf saturate too
}

}  // namespace

template <>
Result<ChannelBound<float>> MakeChannelBound<float>(const OpContext& c, float lo, std::vector<float> hi) {
  QW_RETURN_IF_ERROR(CheckRange(c, lo, hi));
  ChannelBound<float> b;
  b.kernel = c.kernels().f32_channel_clamp;
  b.lo = lo;
  b.hi = std::move(hi);
  return b;
}

// Quantizing is monotone, so on one grid q(min(max(x, lo), hi)) =
// min(max(q(x), q(lo)), q(hi)): the clamp moves bytes only.
template <>
Result<ChannelBound<int8_t>> MakeChannelBound<int8_t>(const OpContext& c, float lo, std::vector<float> hi) {
  QW_RETURN_IF_ERROR(CheckRange(c, lo, hi));
  const float scale = c.Output(0).quant.scale[0];
  const int32_t zero_point = c.Output(0).quant.zero_point[0];
  ChannelBound<int8_t> b;
  b.kernel = c.kernels().qs8_channel_clamp;
  b.lo = QuantizeBound(lo, scale, zero_point);
  b.hi.resize(hi.size());
  for (size_t k = 0; k < hi.size(); ++k) b.hi[k] = QuantizeBound(hi[k], scale, zero_point);
  return b;
}

template <typename T>
Result<ChannelBound<T>> FusedBound(const OpContext& c, int32_t channels) {
  const OpAttrs& a = c.node().attrs;
  if (a.fused_max.empty()) return ChannelBound<T>();
  const size_t n = a.fused_max.size();
  if (n != static_cast<size_t>(channels)) {
    return c.Error("fused channel clamp has " + std::to_string(n) + " bounds for " + std::to_string(channels) +
                   " channels");
  }
  return MakeChannelBound<T>(c, a.fused_min, a.fused_max);
}

template Result<ChannelBound<float>> FusedBound<float>(const OpContext&, int32_t);
template Result<ChannelBound<int8_t>> FusedBound<int8_t>(const OpContext&, int32_t);

}  // namespace qwasm
