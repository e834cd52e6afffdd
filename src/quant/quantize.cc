#include "quant/quantize.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "quant/requantize.h"

namespace qwasm::quant {
namespace {

Status CheckBits(int bits) {
  if (bits < 2 || bits > 8) {
    return Status::Error("quantization bit width " + std::to_string(bits) +
                         " is outside 2..8");
  }
  return Status::Ok();
}

// Splits a row-major shape around `axis` into outer x channels x inner.
struct AxisSplit {
  size_t outer = 1, channels = 1, inner = 1;
};

Result<AxisSplit> SplitAxis(const std::vector<int32_t>& shape, int axis) {
  if (axis < 0 || axis >= static_cast<int>(shape.size())) {
    return Status::Error("per-channel axis " + std::to_string(axis) +
                         " is outside a tensor of rank " + std::to_string(shape.size()));
  }
  AxisSplit s;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] <= 0) return Status::Error("tensor dimension must be positive");
    if (static_cast<int>(d) < axis) s.outer *= shape[d];
    else if (static_cast<int>(d) == axis) s.channels = shape[d];
    else s.inner *= shape[d];
  }
  return s;
}

}  // namespace

QuantRange AffineRange(int bits, bool is_signed) {
  if (is_signed) return {-(1 << (bits - 1)), (1 << (bits - 1)) - 1};
  return {0, (1 << bits) - 1};
}

QuantRange SymmetricRange(int bits) {
  const int32_t m = (1 << (bits - 1)) - 1;
  return {-m, m};
}

Result<AffineParams> ChooseAffine(float lo, float hi, int bits, bool is_signed) {
  QW_RETURN_IF_ERROR(CheckBits(bits));
  if (!std::isfinite(lo) || !std::isfinite(hi) || lo > hi) {
    return Status::Error("affine range must be finite with lo <= hi");
  }
  const QuantRange r = AffineRange(bits, is_signed);
  const double l = std::min(0.0, static_cast<double>(lo));
  const double h = std::max(0.0, static_cast<double>(hi));
  AffineParams p;
  p.qmin = r.qmin;
  p.qmax = r.qmax;
  if (h == l) {  // all zeros: any scale represents them; keep zero exact.
    p.scale = 1.0f;
    p.zero_point = std::clamp(0, r.qmin, r.qmax);
    return p;
  }
  const double scale = (h - l) / (r.qmax - r.qmin);
  p.scale = static_cast<float>(scale);
  // Nudge: the real-valued zero point qmin - l/scale, rounded half to even.
  const double zp_real = r.qmin - l / scale;
  p.zero_point = std::clamp(static_cast<int32_t>(std::nearbyint(zp_real)), r.qmin, r.qmax);
  return p;
}

Result<AffineParams> ChooseSymmetric(float absmax, int bits) {
  QW_RETURN_IF_ERROR(CheckBits(bits));
  if (!std::isfinite(absmax) || absmax < 0) {
    return Status::Error("symmetric range needs a finite absmax >= 0");
  }
  const QuantRange r = SymmetricRange(bits);
  AffineParams p;
  p.qmin = r.qmin;
  p.qmax = r.qmax;
  p.zero_point = 0;
  p.scale = absmax == 0 ? 1.0f : static_cast<float>(static_cast<double>(absmax) / r.qmax);
  return p;
}

int32_t Quantize(float x, const AffineParams& p) {
  return RoundToQuant(x / p.scale, p.zero_point, p.qmin, p.qmax);
}

float Dequantize(int32_t q, const AffineParams& p) {
  return p.scale * static_cast<float>(q - p.zero_point);
}

int32_t Requantize(int32_t q, const AffineParams& in, const AffineParams& out) {
  return qwasm::Requantize(q - in.zero_point, RequantScale(in.scale, 1.0f, out.scale),
                           out.zero_point, out.qmin, out.qmax);
}

float UniformRange::step() const {
  return static_cast<float>((static_cast<double>(hi) - lo) / ((1 << bits) - 1));
}

int32_t QuantizeUniform(float x, const UniformRange& r) {
  return RoundToQuant((x - r.lo) / r.step(), 0, 0, (1 << r.bits) - 1);
}

float DequantizeUniform(int32_t q, const UniformRange& r) {
  return r.lo + static_cast<float>(q) * r.step();
}

Result<PerChannelParams> ChoosePerChannelSymmetric(const float* data,
                                                   const std::vector<int32_t>& shape,
                                                   int axis, int bits) {
  QW_RETURN_IF_ERROR(CheckBits(bits));
  Result<AxisSplit> split = SplitAxis(shape, axis);
  if (!split.ok()) return split.status();
  const AxisSplit s = split.value();
  std::vector<float> absmax(s.channels, 0.0f);
  for (size_t o = 0; o < s.outer; ++o) {
    for (size_t c = 0; c < s.channels; ++c) {
      const float* row = data + (o * s.channels + c) * s.inner;
      for (size_t i = 0; i < s.inner; ++i) {
        if (!std::isfinite(row[i])) return Status::Error("tensor holds a non-finite value");
        absmax[c] = std::max(absmax[c], std::fabs(row[i]));
      }
    }
  }
  PerChannelParams p;
  p.axis = axis;
  const QuantRange r = SymmetricRange(bits);
  p.qmin = r.qmin;
  p.qmax = r.qmax;
  for (size_t c = 0; c < s.channels; ++c) {
    Result<AffineParams> cp = ChooseSymmetric(absmax[c], bits);
    if (!cp.ok()) return cp.status();
    p.scale.push_back(cp.value().scale);
    p.zero_point.push_back(0);
  }
  return p;
}

namespace {

Status CheckPerChannel(const std::vector<int32_t>& shape, const PerChannelParams& p,
                       AxisSplit* split) {
  Result<AxisSplit> s = SplitAxis(shape, p.axis);
  if (!s.ok()) return s.status();
  if (p.scale.size() != s.value().channels || p.zero_point.size() != s.value().channels) {
    return Status::Error("per-channel parameters have " + std::to_string(p.scale.size()) +
                         " scales for " + std::to_string(s.value().channels) + " channels");
  }
  *split = s.value();
  return Status::Ok();
}

// Calls fn(channel params, first index, count) for each contiguous run of one channel.
template <typename Fn>
Status ForEachChannelRun(const std::vector<int32_t>& shape, const PerChannelParams& p, Fn fn) {
  AxisSplit s;
  QW_RETURN_IF_ERROR(CheckPerChannel(shape, p, &s));
  for (size_t o = 0; o < s.outer; ++o) {
    for (size_t c = 0; c < s.channels; ++c) fn(p.channel(c), (o * s.channels + c) * s.inner, s.inner);
  }
  return Status::Ok();
}

}  // namespace

Status QuantizePerChannel(const float* data, const std::vector<int32_t>& shape,
                          const PerChannelParams& p, int32_t* q) {
  return ForEachChannelRun(shape, p, [&](const AffineParams& cp, size_t base, size_t n) {
    for (size_t i = base; i < base + n; ++i) q[i] = Quantize(data[i], cp);
  });
}

Status DequantizePerChannel(const int32_t* q, const std::vector<int32_t>& shape,
                            const PerChannelParams& p, float* data) {
  return ForEachChannelRun(shape, p, [&](const AffineParams& cp, size_t base, size_t n) {
    for (size_t i = base; i < base + n; ++i) data[i] = Dequantize(q[i], cp);
  });
}

}  // namespace qwasm::quant
