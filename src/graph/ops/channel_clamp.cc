// CLAMP with a per-channel upper bound (input 1: constant float32 [C], C the
// last axis): what cross-layer equalization makes of a ReLU6 whose channels
// it rescaled (ptq/equalize.h). y = min(max(x, clamp_min), min(clamp_max,
// bound[c])). float32 runs on float values; int8 needs one grid on input and
// output (the quantizer gives the producer the clamp's grid) and then clamps
// bytes: quantizing is monotone, so q(min(x, b)) = min(q(x), q(b)).
// After a CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED the interpreter
// usually fuses it into that layer (graph/fuse.h); this op runs the rest.
#include <algorithm>

#include "graph/ops/channel_bound.h"
#include "graph/ops/float_common.h"
#include "graph/ops/parallel.h"

namespace qwasm {
namespace {

template <typename T>
class ChannelClampOp final : public PreparedOp {
 public:
  ChannelClampOp(ChannelBound<T> bound, size_t rows, int32_t in, int32_t out)
      : bound_(std::move(bound)), rows_(rows), in_(in), out_(out) {}
  void Run(const RunContext& t) override {
    const T* in = t.at<T>(in_);
    T* out = t.at<T>(out_);
    const size_t channels = bound_.hi.size();
    ParallelRanges(t.pool, rows_, 1, channels, [&](size_t begin, size_t end) {
      bound_.kernel(end - begin, channels, bound_.lo, bound_.hi.data(), in + begin * channels, out + begin * channels);
    });
  }

 private:
  ChannelBound<T> bound_;
  size_t rows_;
  int32_t in_, out_;
};

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
  for (float& h : hi) h = std::min(h, a.clamp_max);
  const size_t rows = channels > 0 ? static_cast<size_t>(output.num_elements()) / channels : 0;
  const int32_t in = c.node().inputs[0], out = c.node().outputs[0];
  if (input.dtype == DType::kFloat32) {
    QW_RETURN_IF_ERROR(RequireF32(c, input, "input"));
    QW_RETURN_IF_ERROR(RequireF32(c, output, "output"));
    Result<ChannelBound<float>> b = MakeChannelBound<float>(c, a.clamp_min, std::move(hi));
    if (!b.ok()) return b.status();
    return std::unique_ptr<PreparedOp>(new ChannelClampOp<float>(b.take(), rows, in, out));
  }
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(input, "input"));
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(output, "output"));
  if (input.quant.scale[0] != output.quant.scale[0] || input.quant.zero_point[0] != output.quant.zero_point[0]) {
    return c.Error("int8 per-channel clamp needs one grid on input and output");
  }
  Result<ChannelBound<int8_t>> b = MakeChannelBound<int8_t>(c, a.clamp_min, std::move(hi));
  if (!b.ok()) return b.status();
  return std::unique_ptr<PreparedOp>(new ChannelClampOp<int8_t>(b.take(), rows, in, out));
}

}  // namespace qwasm
