// ADD of two int8 tensors of the same shape (no broadcasting), fused activation.
#include <algorithm>
#include <cmath>

#include "graph/op.h"
#include "graph/ops/parallel.h"
#include "quant/requantize.h"

namespace qwasm {
namespace {

class AddOp final : public PreparedOp {
 public:
  AddOp(QAddParams p, QAddFn kernel, int32_t a, int32_t b, int32_t out)
      : p_(p), kernel_(kernel), a_(a), b_(b), out_(out) {}
  void Run(const RunContext& t) override {
    const int8_t* a = t.at<int8_t>(a_);
    const int8_t* b = t.at<int8_t>(b_);
    int8_t* out = t.at<int8_t>(out_);
    // Ranges of whole 16-element vectors; only the last has a tail.
    ParallelRanges(t.pool, p_.size, 16, 1, [&](size_t begin, size_t end) { kernel_(p_, begin, end, a, b, out); });
  }

 private:
  QAddParams p_;
  QAddFn kernel_;
  int32_t a_, b_, out_;
};

}  // namespace

PrepareResult PrepareAdd(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(2, 2, 1));
  const Tensor& a = c.Input(0);
  const Tensor& b = c.Input(1);
  const Tensor& output = c.Output(0);
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(a, "first input"));
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(b, "second input"));
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(output, "output"));
  if (a.shape != b.shape || a.shape != output.shape) {
    return c.Error("inputs " + ShapeString(a.shape) + " and " + ShapeString(b.shape) + " and output " +
                   ShapeString(output.shape) + " differ (broadcasting ADD is not supported)");
  }
  Result<QOutput> stage = c.OutputStage(output, c.node().attrs.activation);
  if (!stage.ok()) return stage.status();
  // Each input's scale relative to the output, as a fixed-point multiplier:
  // the larger one gets 21 significant bits (XNNPACK's choice, which keeps
  // qwasm bit-identical to TFLite-WASM), the other the same shift.
  const float a_scale = RequantScale(a.quant.scale[0], 1.0f, output.quant.scale[0]);
  const float b_scale = RequantScale(b.quant.scale[0], 1.0f, output.quant.scale[0]);
  const float larger = std::max(a_scale, b_scale);
  if (!(larger >= 0x1.0p-60f && larger < 0x1.0p+60f)) {
    return c.Error("input / output scale ratio " + std::to_string(larger) + " is out of range");
  }
  const int shift = 20 - std::ilogb(larger);  // larger * 2^shift in [2^20, 2^21)
  QAddParams p;
  p.size = static_cast<size_t>(output.num_elements());
  p.a_zero_point = a.quant.zero_point[0];
  p.b_zero_point = b.quant.zero_point[0];
  p.a_multiplier = static_cast<int32_t>(std::nearbyint(std::ldexp(static_cast<double>(a_scale), shift)));
  p.b_multiplier = static_cast<int32_t>(std::nearbyint(std::ldexp(static_cast<double>(b_scale), shift)));
  p.scale = std::ldexp(1.0f, -shift);
  p.float_rescale = c.node().attrs.onnx_numerics;
  p.a_scale = a.quant.scale[0];
  p.b_scale = b.quant.scale[0];
  p.output_scale = output.quant.scale[0];
  // The zero point in the output's model dtype (see QAddParams).
  p.rounding_zero_point = output.quant.zero_point[0] + (output.was_uint8 ? 128 : 0);
  p.output = stage.value();
  return std::unique_ptr<PreparedOp>(
      new AddOp(p, c.kernels().qs8_add, c.node().inputs[0], c.node().inputs[1], c.node().outputs[0]));
}

}  // namespace qwasm
