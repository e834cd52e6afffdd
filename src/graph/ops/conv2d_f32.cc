// CONV_2D on float32: NHWC input, OHWI filter (float32 or float16, constant),
// optional float bias [O], fused activation. Runs as a float GEMM (1x1
// direct, else im2col) with the table's f32_gemm.
#include "graph/ops/conv_common.h"
#include "graph/ops/float_common.h"
#include "graph/ops/gemm_op.h"

namespace qwasm {

PrepareResult PrepareConv2DF32(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(2, 3, 1));
  const Tensor& input = c.Input(0);
  const Tensor& filter = c.Input(1);
  const Tensor& output = c.Output(0);
  QW_RETURN_IF_ERROR(RequireF32(c, input, "input"));
  QW_RETURN_IF_ERROR(c.RequireRank(input, 4, "input"));
  QW_RETURN_IF_ERROR(c.RequireRank(filter, 4, "filter"));
  QW_RETURN_IF_ERROR(RequireF32(c, output, "output"));
  QW_RETURN_IF_ERROR(c.RequireRank(output, 4, "output"));
  const int32_t out_c = filter.shape[0];
  if (filter.shape[3] != input.shape[3]) {
    return c.Error("filter '" + filter.name + "' " + ShapeString(filter.shape) + " expects " +
                   std::to_string(filter.shape[3]) + " input channels, input has " +
                   std::to_string(input.shape[3]) + " (grouped convolution is not supported)");
  }
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

}  // namespace qwasm
