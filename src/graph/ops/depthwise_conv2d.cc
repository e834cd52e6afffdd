// DEPTHWISE_CONV_2D: filter [1, kh, kw, in_c * multiplier], per-tensor or
// per-channel (axis 3) symmetric weights, optional bias, fused activation.
// Multiplier 1 (every MobileNet) runs the packed SIMD kernel
// (kernels/depthwise-conv2d/depthwise-conv2d.h); larger multipliers, and
// reference runs, the scalar reference kernel.
#include <algorithm>

#include "graph/ops/conv_common.h"
#include "kernels/depthwise-conv2d/depthwise-conv2d.h"
#include "kernels/kernels.h"
#include "kernels/simd128.h"
#include "runtime/threadpool.h"

namespace qwasm {
#if QWASM_HAVE_SIMD128
namespace {

class DepthwiseOp final : public PreparedOp {
 public:
  DepthwiseOp(QDepthwiseWeights w, const QConvParams& p, int32_t in, int32_t out)
      : w_(std::move(w)),
        s_(p.shape),
        out_stage_(p.output),
        zero_(DepthwiseZeroBytes(s_.in_c), static_cast<int8_t>(p.input_zero_point)),
        indirection_(static_cast<size_t>(s_.batch) * s_.out_h * DepthwiseRowStep(s_)),
        in_(in),
        out_(out) {}

  void Attach(const RunContext& t) override {
    BuildDepthwiseIndirection(s_, t.at<int8_t>(in_), zero_.data(), indirection_.data());
    // Tiles: output rows x blocks of 16 channels (runtime/threadpool.h
    // TileCount).
    const size_t rows = static_cast<size_t>(s_.batch) * s_.out_h;
    const size_t blocks = (static_cast<size_t>(s_.out_c) + 15) / 16;
    const size_t macs = rows * s_.out_w * s_.out_c * w_.taps;
    const size_t want = TileCount(macs, t.pool->threads());
    row_tiles_ = std::min(rows, want);
    channel_tiles_ = std::min(blocks, (want + row_tiles_ - 1) / row_tiles_);
  }

  void Run(const RunContext& t) override {
    int8_t* output = t.at<int8_t>(out_);
    const size_t rows = static_cast<size_t>(s_.batch) * s_.out_h;
    const size_t blocks = (static_cast<size_t>(s_.out_c) + 15) / 16;
    t.pool->For(row_tiles_ * channel_tiles_, [&](size_t i) {
      size_t r0, r1, b0, b1;
      TileRange(rows, row_tiles_, i / channel_tiles_, &r0, &r1);
      TileRange(blocks, channel_tiles_, i % channel_tiles_, &b0, &b1);
      qs8_depthwise_conv2d__wasmsimd(w_, out_stage_, s_, indirection_.data(), output, r0, r1,
                                     b0 * 16, std::min<size_t>(b1 * 16, s_.out_c));
    });
  }

 private:
  QDepthwiseWeights w_;
  WindowShape s_;
  QOutput out_stage_;
  std::vector<int8_t> zero_;  // DepthwiseZeroBytes of the input zero point
  std::vector<const int8_t*> indirection_;
  size_t row_tiles_ = 1, channel_tiles_ = 1;
  int32_t in_, out_;
};

}  // namespace
#endif

PrepareResult PrepareDepthwiseConv2D(const OpContext& c) {
  QW_RETURN_IF_ERROR(CheckConvTensors(c));
  const Tensor& input = c.Input(0);
  const Tensor& filter = c.Input(1);
  const Tensor& output = c.Output(0);
  const int32_t out_c = filter.shape[3];
  const int32_t in_c = input.shape[3];
  if (filter.shape[0] != 1) return c.Error("filter '" + filter.name + "' must have shape [1, kh, kw, c]");
  // The multiplier follows from the shapes; the stored option is advisory
  // (some converters write 0) but must agree when set.
  if (out_c % in_c != 0) {
    return c.Error("filter has " + std::to_string(out_c) + " channels, not a multiple of the input's " +
                   std::to_string(in_c));
  }
  const int dm = c.node().attrs.depth_multiplier;
  if (dm > 0 && dm != out_c / in_c) {
    return c.Error("depth_multiplier " + std::to_string(dm) + " disagrees with the shapes (" +
                   std::to_string(out_c / in_c) + ")");
  }
  if (output.shape[3] != out_c) {
    return c.Error("output has " + std::to_string(output.shape[3]) + " channels, filter makes " +
                   std::to_string(out_c));
  }
  QConvParams p;
  QW_RETURN_IF_ERROR(PrepareWindow(c, input, output, filter.shape[1], filter.shape[2], true, &p.shape));
  Result<ConvQuant> q = PrepareConvQuant(c, input, filter, output, 3, out_c);
  if (!q.ok()) return q.status();
  const int64_t terms = static_cast<int64_t>(filter.shape[1]) * filter.shape[2];
  QW_RETURN_IF_ERROR(c.CheckAccumulator(terms, q.value().max_abs_bias));
  Result<QOutput> stage = c.OutputStage(output, c.node().attrs.activation);
  if (!stage.ok()) return stage.status();
  p.input_zero_point = input.quant.zero_point[0];
  p.filter_zero_point = q.value().filter_zero_point;
  p.filter = FilterInt8(q.value(), filter);  // WeightedOp re-points it at its own copy
  p.output = stage.value();
  const int32_t in = c.node().inputs[0], out = c.node().outputs[0];
#if QWASM_HAVE_SIMD128
  if (!c.reference_kernels() && out_c == in_c) {
    const ConvQuant& cq = q.value();
    QDepthwiseWeights w = PackQDepthwiseWeights(out_c, p.shape.kernel_h, p.shape.kernel_w, p.filter,
                                                p.filter_zero_point, cq.bias.data(),
                                                cq.scale.data(), p.input_zero_point);
    return std::unique_ptr<PreparedOp>(new DepthwiseOp(std::move(w), p, in, out));
  }
#endif
  return std::unique_ptr<PreparedOp>(
      new WeightedOp<QConvParams, qs8_depthwise_conv2d__ref>(q.take(), p, in, out));
}

}  // namespace qwasm
