// CONV_2D: int8 NHWC input, OHWI int8 filter (per-tensor or per-output-channel
// symmetric), optional int32 bias, fused activation.
#include "graph/ops/conv_common.h"
#include "graph/ops/gemm_op.h"
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
  WindowShape s;
  QW_RETURN_IF_ERROR(PrepareWindow(c, input, output, filter.shape[1], filter.shape[2], true, &s));
  Result<ConvQuant> q = PrepareConvQuant(c, input, filter, output, 0, out_c);
  if (!q.ok()) return q.status();
  const int64_t terms = static_cast<int64_t>(filter.shape[1]) * filter.shape[2] * filter.shape[3];
  QW_RETURN_IF_ERROR(c.CheckAccumulator(terms, q.value().max_abs_bias));
  Result<QOutput> stage = c.OutputStage(output, c.node().attrs.activation);
  if (!stage.ok()) return stage.status();
  const int32_t a_zp = input.quant.zero_point[0];
  const int32_t in = c.node().inputs[0], out = c.node().outputs[0];
  if (c.reference_kernels()) {
    QConvParams p;
    p.shape = s;
    p.input_zero_point = a_zp;
    p.filter_zero_point = q.value().filter_zero_point;
    p.filter = FilterInt8(q.value(), filter);
    p.output = stage.value();
    return std::unique_ptr<PreparedOp>(new WeightedOp<QConvParams, qs8_conv2d__ref>(q.take(), p, in, out));
  }
  const ConvQuant& cq = q.value();
  QGemmWeights w = PackQGemmWeights(out_c, static_cast<int>(terms),
                                    FilterInt8(cq, filter),
                                    static_cast<size_t>(terms), cq.filter_zero_point,
                                    cq.bias.data(), cq.scale.data(), a_zp);
  if (s.kernel_h == 1 && s.kernel_w == 1 && s.stride_h == 1 && s.stride_w == 1 &&
      s.pad_top == 0 && s.pad_left == 0) {
    // 1x1: the input pixels already are the rows of A.
    const size_t m = static_cast<size_t>(s.batch) * s.out_h * s.out_w;
    return std::unique_ptr<PreparedOp>(new GemmOp(std::move(w), stage.value(), m, in, out));
  }
  return std::unique_ptr<PreparedOp>(new GemmOp(std::move(w), stage.value(), s, a_zp, in, out));
}

}  // namespace qwasm
