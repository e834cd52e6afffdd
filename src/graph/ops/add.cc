// ADD of two int8 tensors of the same shape (no broadcasting), fused activation.
#include "graph/op.h"
#include "kernels/kernels.h"
#include "quant/requantize.h"

namespace qwasm {
namespace {

class AddOp final : public PreparedOp {
 public:
  AddOp(QAddParams p, int32_t a, int32_t b, int32_t out) : p_(p), a_(a), b_(b), out_(out) {}
  void Run(const TensorData& t) override {
    qs8_add__ref(p_, t.at<int8_t>(a_), t.at<int8_t>(b_), t.at<int8_t>(out_));
  }

 private:
  QAddParams p_;
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
  QAddParams p;
  p.size = static_cast<size_t>(output.num_elements());
  p.a_zero_point = a.quant.zero_point[0];
  p.b_zero_point = b.quant.zero_point[0];
  p.a_scale = RequantScale(a.quant.scale[0], 1.0, output.quant.scale[0]);
  p.b_scale = RequantScale(b.quant.scale[0], 1.0, output.quant.scale[0]);
  p.output = stage.value();
  return std::unique_ptr<PreparedOp>(
      new AddOp(p, c.node().inputs[0], c.node().inputs[1], c.node().outputs[0]));
}

}  // namespace qwasm
