// AVERAGE_POOL_2D on int8 NHWC; may rescale between input and output grids.
#include "graph/ops/conv_common.h"
#include "kernels/kernels.h"

namespace qwasm {
namespace {

class AveragePool2DOp final : public PreparedOp {
 public:
  AveragePool2DOp(QPoolParams p, int32_t in, int32_t out) : p_(p), in_(in), out_(out) {}
  void Run(const RunContext& t) override {
    qs8_average_pool__ref(p_, t.at<int8_t>(in_), t.at<int8_t>(out_));
  }

 private:
  QPoolParams p_;
  int32_t in_, out_;
};

}  // namespace

PrepareResult PrepareAveragePool2D(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(1, 1, 1));
  const Tensor& input = c.Input(0);
  const Tensor& output = c.Output(0);
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(input, "input"));
  QW_RETURN_IF_ERROR(c.RequireRank(input, 4, "input"));
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(output, "output"));
  QW_RETURN_IF_ERROR(c.RequireRank(output, 4, "output"));
  const OpAttrs& a = c.node().attrs;
  if (a.filter_h < 1 || a.filter_w < 1 || a.filter_h > 4096 || a.filter_w > 4096) {
    return c.Error("pooling window " + std::to_string(a.filter_h) + "x" + std::to_string(a.filter_w) +
                   " is out of range");
  }
  if (output.shape[3] != input.shape[3]) return c.Error("output channels differ from input channels");
  QPoolParams p;
  QW_RETURN_IF_ERROR(PrepareWindow(c, input, output, a.filter_h, a.filter_w, false, &p.shape));
  // SAME padding is always smaller than the window, so every window holds at
  // least one image cell and the divisor is never 0.
  Result<QOutput> stage = c.OutputStage(output, a.activation);
  if (!stage.ok()) return stage.status();
  p.input_zero_point = input.quant.zero_point[0];
  p.input_over_output_scale = static_cast<double>(input.quant.scale[0]) / output.quant.scale[0];
  p.output = stage.value();
  return std::unique_ptr<PreparedOp>(new AveragePool2DOp(p, c.node().inputs[0], c.node().outputs[0]));
}

}  // namespace qwasm
