// MAX_POOL_2D on NHWC float32, and on int8 when input and output share one
// grid (the max of quantized values is the quantized max only then).
#include "graph/op_registry.h"
#include "graph/ops/conv_common.h"
#include "graph/ops/float_common.h"
#include "graph/ops/parallel.h"

namespace qwasm {
namespace {

PrepareResult PrepareMaxPool2D(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(1, 1, 1));
  const Tensor& input = c.Input(0);
  const Tensor& output = c.Output(0);
  const int32_t in = c.node().inputs[0], out = c.node().outputs[0];
  if (input.dtype == DType::kFloat32) {
    QW_RETURN_IF_ERROR(RequireF32(c, input, "input"));
    QW_RETURN_IF_ERROR(RequireF32(c, output, "output"));
    FPoolParams p;
    QW_RETURN_IF_ERROR(PreparePoolWindow(c, &p.shape));
    p.output = FloatActivation(c.node().attrs.activation);
    return std::unique_ptr<PreparedOp>(new RangeOp<FPoolParams, float, float>(
        p, c.kernels().f32_max_pool, WindowRows(p.shape), WindowRowCost(p.shape), in, out));
  }
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(input, "input"));
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(output, "output"));
  // The max of quantized values is the quantized max only on one grid.
  if (input.quant.scale != output.quant.scale || input.quant.zero_point != output.quant.zero_point) {
    return c.Error("int8 MAX_POOL_2D needs the same scale and zero point on input and output");
  }
  QMaxPoolParams p;
  QW_RETURN_IF_ERROR(PreparePoolWindow(c, &p.shape));
  Result<QOutput> stage = c.OutputStage(output, c.node().attrs.activation);
  if (!stage.ok()) return stage.status();
  p.output = stage.value();
  return std::unique_ptr<PreparedOp>(new RangeOp<QMaxPoolParams, int8_t, int8_t>(
      p, c.kernels().qs8_max_pool, WindowRows(p.shape), WindowRowCost(p.shape), in, out));
}

}  // namespace

QWASM_OPERATOR(MaxPool2D) = {OpType::kMaxPool2D, "MAX_POOL_2D", 12, 0, PrepareMaxPool2D, nullptr, QuantRule::InputGrid()};

}  // namespace qwasm
