// FULLY_CONNECTED: input [..., K] flattened to [batch, K], filter [N, K],
// optional bias [N]; a GEMM underneath (gemm_op.h).
//  int8:    per-tensor or per-row symmetric int8 (or low-bit) filter, int32
//           bias; the table's qs8_gemm.
//  float32: float32 or float16 filter and bias; the table's f32_gemm.
// Either may carry a fused per-channel CLAMP (graph/fuse.h).
#include "graph/op_registry.h"
#include "graph/ops/conv_common.h"
#include "graph/ops/float_common.h"
#include "graph/ops/gemm_op.h"

namespace qwasm {
namespace {

// Rows of the flattened input; the output must hold `rows` x N values.
Result<int64_t> FullyConnectedBatch(const OpContext& c) {
  const Tensor& input = c.Input(0);
  const Tensor& output = c.Output(0);
  const int32_t n = c.Input(1).shape[0];
  const int32_t k = c.Input(1).shape[1];
  if (k <= 0) return c.Error("filter '" + c.Input(1).name + "' " + ShapeString(c.Input(1).shape) + " has no inputs");
  if (input.num_elements() % k != 0) {
    return c.Error("input " + ShapeString(input.shape) + " does not flatten to rows of " + std::to_string(k) +
                   " values");
  }
  const int64_t batch = input.num_elements() / k;
  if (output.num_elements() != batch * n || output.shape.empty() || output.shape.back() != n) {
    return c.Error("output '" + output.name + "' has shape " + ShapeString(output.shape) + ", expected " +
                   std::to_string(batch) + " rows of " + std::to_string(n));
  }
  return batch;
}

PrepareResult PrepareFullyConnected(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(2, 3, 1));
  const Tensor& input = c.Input(0);
  const Tensor& filter = c.Input(1);
  const Tensor& output = c.Output(0);
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(input, "input"));
  QW_RETURN_IF_ERROR(CheckFilterDType(c, filter));
  QW_RETURN_IF_ERROR(c.RequireRank(filter, 2, "filter"));
  QW_RETURN_IF_ERROR(c.RequireConstant(filter, "filter"));
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(output, "output"));
  const int32_t n = filter.shape[0];
  const int32_t k = filter.shape[1];
  Result<int64_t> batch_rows = FullyConnectedBatch(c);
  if (!batch_rows.ok()) return batch_rows.status();
  const int64_t batch = batch_rows.value();
  Result<ConvQuant> q = PrepareConvQuant(c, input, filter, output, 0, n);
  if (!q.ok()) return q.status();
  QW_RETURN_IF_ERROR(c.CheckAccumulator(k, q.value().max_abs_bias));
  Result<QOutput> stage = c.OutputStage(output, c.node().attrs.activation);
  if (!stage.ok()) return stage.status();
  const ConvQuant& cq = q.value();
  const QGemmKernel& kernel = c.kernels().qs8_gemm;
  const int32_t a_zp = input.quant.zero_point[0];
  QGemmWeights w = kernel.pack(n, k, FilterInt8(cq, filter), static_cast<size_t>(k), cq.filter_zero_point,
                               cq.bias.data(), cq.scale.data(), a_zp);
  GemmRows rows;
  rows.m = static_cast<size_t>(batch);
  Result<ChannelBound<int8_t>> bound = FusedBound<int8_t>(c, n);
  if (!bound.ok()) return bound.status();
  return std::unique_ptr<PreparedOp>(new GemmOp(kernel, OneGroup(std::move(w)), stage.value(), rows, a_zp,
                                                c.node().inputs[0], c.node().outputs[0], bound.take()));
}

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
  Result<int64_t> batch_rows = FullyConnectedBatch(c);
  if (!batch_rows.ok()) return batch_rows.status();
  const int64_t batch = batch_rows.value();
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
  Result<ChannelBound<float>> bound = FusedBound<float>(c, n);
  if (!bound.ok()) return bound.status();
  return std::unique_ptr<PreparedOp>(new F32GemmOp(kernel, OneGroup(std::move(packed)), act, rows, c.node().inputs[0],
                                                   c.node().outputs[0], bound.take()));
}

}  // namespace

QWASM_OPERATOR(FullyConnected) = {OpType::kFullyConnected, "FULLY_CONNECTED", 3, 0, PrepareFullyConnected,
                                  PrepareFullyConnectedF32, QuantRule::Weighted(0)};

}  // namespace qwasm
