// CONV_2D: NHWC input, OHWI filter, optional bias [O], fused activation; a
// GEMM underneath (1x1 direct, else im2col; gemm_op.h).
//  int8:    int8 (or low-bit) filter, per-tensor or per-output-channel
//           symmetric, int32 bias; the table's qs8_gemm.
//  float32: float32 or float16 filter and bias; the table's f32_gemm.
#include "graph/op_registry.h"
#include "graph/ops/conv_common.h"
#include "graph/ops/float_common.h"
#include "graph/ops/gemm_op.h"

namespace qwasm {
namespace {

// Output channels, or an error when the filter does not fit the input.
Result<int32_t> ConvOutputChannels(const OpContext& c) {
  const Tensor& input = c.Input(0);
  const Tensor& filter = c.Input(1);
  if (filter.shape[3] != input.shape[3]) {
    return c.Error("filter '" + filter.name + "' " + ShapeString(filter.shape) + " expects " +
                   std::to_string(filter.shape[3]) + " input channels, input has " +
                   std::to_string(input.shape[3]) + " (grouped convolution is not supported)");
  }
  return filter.shape[0];
}

PrepareResult PrepareConv2D(const OpContext& c) {
  Result<QuantConv> q = PrepareQuantConv(c, ConvOutputChannels, false);
  if (!q.ok()) return q.status();
  const int32_t out_c = q.value().out_c;
  const int64_t terms = q.value().terms;
  const int32_t a_zp = c.Input(0).quant.zero_point[0];
  const ConvQuant& cq = q.value().quant;
  const QGemmKernel& k = c.kernels().qs8_gemm;
  QGemmWeights w = k.pack(out_c, static_cast<int>(terms), FilterInt8(cq, c.Input(1)), static_cast<size_t>(terms),
                          cq.filter_zero_point, cq.bias.data(), cq.scale.data(), a_zp);
  return std::unique_ptr<PreparedOp>(new GemmOp(k, std::move(w), q.value().output, ConvGemmRows(q.value().shape),
                                                a_zp, c.node().inputs[0], c.node().outputs[0]));
}

PrepareResult PrepareConv2DF32(const OpContext& c) {
  QW_RETURN_IF_ERROR(CheckFloatConvTensors(c));
  Result<int32_t> channels = ConvOutputChannels(c);
  if (!channels.ok()) return channels.status();
  const int32_t out_c = channels.value();
  const Tensor& filter = c.Input(1);
  FConvParams p;
  std::vector<float> w_values, bias_values;
  QW_RETURN_IF_ERROR(PrepareFloatConv(c, out_c, &p, &w_values, &bias_values));
  const int k = filter.shape[1] * filter.shape[2] * filter.shape[3];
  const FGemmKernel& kernel = c.kernels().f32_gemm;
  FGemmWeights packed = kernel.pack(out_c, k, w_values.data(), static_cast<size_t>(k),
                                    bias_values.empty() ? nullptr : bias_values.data());
  return std::unique_ptr<PreparedOp>(new F32GemmOp(kernel, std::move(packed), p.output, ConvGemmRows(p.shape),
                                                   c.node().inputs[0], c.node().outputs[0]));
}

}  // namespace

QWASM_OPERATOR(Conv2D) = {OpType::kConv2D, "CONV_2D", 1, 0, PrepareConv2D, PrepareConv2DF32, QuantRule::Weighted(0)};

}  // namespace qwasm
