// CONV_2D: int8 NHWC input, OHWI int8 filter (per-tensor or per-output-channel
// symmetric), optional int32 bias, fused activation.
#include "graph/ops/conv_common.h"
#include "graph/ops/gemm_op.h"

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
  WindowShape s;
  QW_RETURN_IF_ERROR(PrepareWindow(c, input, output, filter.shape[1], filter.shape[2], true, &s));
  Result<ConvQuant> q = PrepareConvQuant(c, input, filter, output, 0, out_c);
  if (!q.ok()) return q.status();
  const int64_t terms = static_cast<int64_t>(filter.shape[1]) * filter.shape[2] * filter.shape[3];
  QW_RETURN_IF_ERROR(c.CheckAccumulator(terms, q.value().max_abs_bias));
  Result<QOutput> stage = c.OutputStage(output, c.node().attrs.activation);
  if (!stage.ok()) return stage.status();
  const int32_t a_zp = input.quant.zero_point[0];
  const ConvQuant& cq = q.value();
  const QGemmKernel& k = c.kernels().qs8_gemm;
  QGemmWeights w = k.pack(out_c, static_cast<int>(terms), FilterInt8(cq, filter), static_cast<size_t>(terms),
                          cq.filter_zero_point, cq.bias.data(), cq.scale.data(), a_zp);
  return std::unique_ptr<PreparedOp>(
      new GemmOp(k, std::move(w), stage.value(), ConvGemmRows(s), a_zp, c.node().inputs[0], c.node().outputs[0]));
}

}  // namespace qwasm
