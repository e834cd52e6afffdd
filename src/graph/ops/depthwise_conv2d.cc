// DEPTHWISE_CONV_2D: filter [1, kh, kw, in_c * multiplier], per-tensor or
// per-channel (axis 3) symmetric weights, optional bias, fused activation.
#include "graph/ops/conv_common.h"
#include "kernels/kernels.h"

namespace qwasm {

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
  p.filter = reinterpret_cast<const int8_t*>(filter.data);
  p.output = stage.value();
  return std::unique_ptr<PreparedOp>(
      new WeightedOp<QConvParams, qs8_depthwise_conv2d__ref>(q.take(), p, c.node().inputs[0], c.node().outputs[0]));
}

}  // namespace qwasm
