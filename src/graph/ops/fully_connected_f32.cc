// FULLY_CONNECTED on float32: input [..., K] flattened to [batch, K], filter
// [N, K] (float32 or float16, constant), optional float bias [N].
#include "graph/ops/float_common.h"
#include "graph/ops/gemm_op.h"

namespace qwasm {

PrepareResult PrepareFullyConnectedF32(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(2, 3, 1));
  const Tensor& input = c.Input(0);
  const Tensor& filter = c.Input(1);
  const Tensor& output = c.Output(0);
  QW_RETURN_IF_ERROR(RequireF32(c, input, "input"));
  QW_RETURN_IF_ERROR(c.RequireRank(filter, 2, "filter"));
  QW_RETURN_IF_ERROR(RequireF32(c, output, "output"));
  const int32_t n = filter.shape[0];
  const int32_t k = filter.shape[1];
  if (input.num_elements() % k != 0) {
    return c.Error("input " + ShapeString(input.shape) + " does not flatten to rows of " +
                   std::to_string(k) + " values");
  }
  const int64_t batch = input.num_elements() / k;
  if (output.num_elements() != batch * n || output.shape.empty() || output.shape.back() != n) {
    return c.Error("output '" + output.name + "' has shape " + ShapeString(output.shape) +
                   ", expected " + std::to_string(batch) + " rows of " + std::to_string(n));
  }
  Result<std::vector<float>> w = ReadFloatConstant(c, filter, "filter");
  if (!w.ok()) return w.status();
  Result<std::vector<float>> bias = ReadFloatBias(c, n);
  if (!bias.ok()) return bias.status();
  const FOutput act = FloatActivation(c.node().attrs.activation);
  const FGemmKernel& kernel = c.kernels().f32_gemm;
  FGemmWeights packed = kernel.pack(n, k, w.value().data(), static_cast<size_t>(k),
                                    bias.value().empty() ? nullptr : bias.value().data());
  GemmRows rows;
  rows.m = static_cast<size_t>(batch);
  return std::unique_ptr<PreparedOp>(
      new F32GemmOp(kernel, std::move(packed), act, rows, c.node().inputs[0], c.node().outputs[0]));
}

}  // namespace qwasm
