// CONV_2D: int8 NHWC input, OHWI int8 filter (per-tensor or per-output-channel
// symmetric), optional int32 bias, fused activation.
#include "graph/ops/conv_common.h"
#include "kernels/kernels.h"

namespace qwasm {

PrepareResult PrepareConv2D(const OpContext& c) {
  QW_RETURN_IF_ERROR(CheckConvTensors(c));
  const Tensor& input = c.Input(0);
  const Tensor& filter = c.Input(1);
  const Tensor& output = c.Output(0);
  const int32_t out_c = filter.shape[0];
  if (filter.shape[3] != input.shape[3]) {
    return c.Error("filter '" + filter.name + "' " + ShapeString(filter.shape) + " expects " +
                   std::to_string(filter.shape[3]) + " input channels, input has " +
                   std::to_string(input.shape[3]) + " (grouped convolution is not supported)");
  }
  if (output.shape[3] != out_c) {
    return c.Error("output has " + std::to_string(output.shape[3]) + " channels, filter makes " +
                   std::to_string(out_c));
  }
  QConvParams p;
  QW_RETURN_IF_ERROR(PrepareWindow(c, input, output, filter.shape[1], filter.shape[2], true, &p.shape));
  Result<ConvQuant> q = PrepareConvQuant(c, input, filter, output, 0, out_c);
  if (!q.ok()) return q.status();
  const int64_t terms = static_cast<int64_t>(filter.shape[1]) * filter.shape[2] * filter.shape[3];
  QW_RETURN_IF_ERROR(c.CheckAccumulator(terms, q.value().max_abs_bias));
  Result<QOutput> stage = c.OutputStage(output, c.node().attrs.activation);
  if (!stage.ok()) return stage.status();
  p.input_zero_point = input.quant.zero_point[0];
  p.filter_zero_point = q.value().filter_zero_point;
  p.filter = reinterpret_cast<const int8_t*>(filter.data);
  p.output = stage.value();
  return std::unique_ptr<PreparedOp>(
      new WeightedOp<QConvParams, qs8_conv2d__ref>(q.take(), p, c.node().inputs[0], c.node().outputs[0]));
}

}  // namespace qwasm
