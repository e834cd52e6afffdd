// CLAMP with a per-channel upper bound (input 1: constant float32 [C], C the
// last axis): what cross-layer equalization makes of a ReLU6 whose channels
// it rescaled (ptq/equalize.h). y = min(max(x, clamp_min), min(clamp_max,
// bound[c])). float32 runs on float values; int8 needs one grid on input and
// output (the quantizer gives the producer the clamp's grid) and then clamps
// bytes: quantizing is monotone, so q(min(x, b)) = min(q(x), q(b)).
#include <algorithm>
#include <cmath>

#include "graph/ops/float_common.h"
#include "graph/ops/parallel.h"

namespace qwasm {
namespace {

template <typename T>
class ChannelClampOp final : public PreparedOp {
 public:
  using Kernel = void (*)(size_t, size_t, T, const T*, const T*, T*);
  ChannelClampOp(Kernel kernel, size_t rows, T lo, std::vector<T> hi, int32_t in, int32_t out)
      : kernel_(kernel), rows_(rows), lo_(lo), hi_(std::move(hi)), in_(in), out_(out) {}
  void Run(const RunContext& t) override {
    const T* in = t.at<T>(in_);
    T* out = t.at<T>(out_);
    const size_t channels = hi_.size();
    ParallelRanges(t.pool, rows_, 1, channels, [&](size_t begin, size_t end) {
      kernel_(end - begin, channels, lo_, hi_.data(), in + begin * channels, out + begin * channels);
    });
  }

 private:
  Kernel kernel_;
  size_t rows_;
  T lo_;
  std::vector<T> hi_;
  int32_t in_, out_;
};

using F32ChannelClamp = ChannelClampOp<float>;
using Qs8ChannelClamp = ChannelClampOp<int8_t>;

int8_t QuantizeBound(float v, float scale, int32_t zero_point) {
  const double q = std::nearbyint(static_cast<double>(v) / scale) + zero_point;
  return static_cast<int8_t>(std::clamp(q, -128.0, 127.0));  // +-inf saturate too
}

}  // namespace

PrepareResult PrepareChannelClamp(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(2, 2, 1));
  const Tensor& input = c.Input(0);
  const Tensor& bound = c.Input(1);
  const Tensor& output = c.Output(0);
  if (input.shape != output.shape || input.shape.empty()) {
    return c.Error("input " + ShapeString(input.shape) + " and output " + ShapeString(output.shape) +
                   " must be equal and of rank >= 1");
  }
  QW_RETURN_IF_ERROR(c.RequireNotConstant(input, "input"));
  QW_RETURN_IF_ERROR(c.RequireConstant(bound, "channel bound"));
  QW_RETURN_IF_ERROR(RequireF32(c, bound, "channel bound"));
  const int32_t channels = input.shape.back();
  if (bound.shape != std::vector<int32_t>{channels}) {
    return c.Error("channel bound " + ShapeString(bound.shape) + " must be [" + std::to_string(channels) + "]");
  }
  const OpAttrs& a = c.node().attrs;
  Result<std::vector<float>> bounds = ReadFloatConstant(c, bound, "channel bound");
  if (!bounds.ok()) return bounds.status();
  std::vector<float> hi = bounds.take();
  for (float& h : hi) {
    h = std::min(h, a.clamp_max);
    if (!(a.clamp_min <= h)) {
      return c.Error("clamp range [" + std::to_string(a.clamp_min) + ", " + std::to_string(h) + "] is empty");
    }
  }
  const size_t rows = channels > 0 ? static_cast<size_t>(output.num_elements()) / channels : 0;
  const int32_t in = c.node().inputs[0], out = c.node().outputs[0];
  if (input.dtype == DType::kFloat32) {
    QW_RETURN_IF_ERROR(RequireF32(c, input, "input"));
    QW_RETURN_IF_ERROR(RequireF32(c, output, "output"));
    return std::unique_ptr<PreparedOp>(new F32ChannelClamp(c.kernels().f32_channel_clamp, rows, a.clamp_min, hi, in, out));
  }
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(input, "input"));
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(output, "output"));
  const float scale = output.quant.scale[0];
  const int32_t zero_point = output.quant.zero_point[0];
  if (input.quant.scale[0] != scale || input.quant.zero_point[0] != zero_point) {
    return c.Error("int8 per-channel clamp needs one grid on input and output");
  }
  std::vector<int8_t> qhi(hi.size());
  for (size_t k = 0; k < hi.size(); ++k) qhi[k] = QuantizeBound(hi[k], scale, zero_point);
  return std::unique_ptr<PreparedOp>(new Qs8ChannelClamp(c.kernels().qs8_channel_clamp, rows,
                                                         QuantizeBound(a.clamp_min, scale, zero_point), std::move(qhi),
                                                         in, out));
}

}  // namespace qwasm
