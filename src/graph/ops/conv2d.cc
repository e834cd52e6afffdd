// CONV_2D: NHWC input, OHWI filter, optional bias [O], fused activation; a
// GEMM underneath (1x1 direct, else im2col; gemm_op.h). Grouped when the
// filter's I divides the input's channels: `groups` = C / I, each group's
// O / groups output channels reading its own I input channels.
//  int8:    int8 (or low-bit) filter, per-tensor or per-output-channel
//           symmetric, int32 bias; the table's qs8_gemm.
//  float32: float32 or float16 filter and bias; the table's f32_gemm.
// Either may carry a fused per-channel CLAMP (graph/fuse.h).
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
  const int32_t per_group = filter.shape[3];
  if (per_group < 1 || input.shape[3] % per_group != 0 || filter.shape[0] % (input.shape[3] / per_group) != 0) {
    return c.Error("filter '" + filter.name + "' " + ShapeString(filter.shape) + " does not fit an input of " +
                   std::to_string(input.shape[3]) + " channels (its input channels must divide them, and the " +
                   "groups that makes must divide its output channels)");
  }
  return filter.shape[0];
}

int Groups(const OpContext& c) { return c.Input(0).shape[3] / c.Input(1).shape[3]; }

PrepareResult PrepareConv2D(const OpContext& c) {
  Result<QuantConv> q = PrepareQuantConv(c, ConvOutputChannels, false);
  if (!q.ok()) return q.status();
  const int32_t out_c = q.value().out_c;
  const int64_t terms = q.value().terms;
  const int32_t a_zp = c.Input(0).quant.zero_point[0];
  const ConvQuant& cq = q.value().quant;
  const QGemmKernel& k = c.kernels().qs8_gemm;
  const int groups = Groups(c);
  const int group_n = out_c / groups;
  const int8_t* filter = FilterInt8(cq, c.Input(1));
  std::vector<QGemmWeights> w;
  for (int g = 0; g < groups; ++g) {
    const size_t first = static_cast<size_t>(g) * group_n;
    w.push_back(k.pack(group_n, static_cast<int>(terms), filter + first * terms, static_cast<size_t>(terms),
                       cq.filter_zero_point, cq.bias.data() + first, cq.scale.data() + first, a_zp));
  }
  Result<ChannelBound<int8_t>> bound = FusedBound<int8_t>(c, out_c);
  if (!bound.ok()) return bound.status();
  return std::unique_ptr<PreparedOp>(new GemmOp(k, std::move(w), q.value().output,
                                                ConvGemmRows(q.value().shape, groups), a_zp, c.node().inputs[0],
                                                c.node().outputs[0], bound.take()));
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
  const int groups = Groups(c);
  const int group_n = out_c / groups;
  std::vector<FGemmWeights> packed;
  for (int g = 0; g < groups; ++g) {
    const size_t first = static_cast<size_t>(g) * group_n;
    packed.push_back(kernel.pack(group_n, k, w_values.data() + first * k, static_cast<size_t>(k),
                                 bias_values.empty() ? nullptr : bias_values.data() + first));
  }
  Result<ChannelBound<float>> bound = FusedBound<float>(c, out_c);
  if (!bound.ok()) return bound.status();
  return std::unique_ptr<PreparedOp>(new F32GemmOp(kernel, std::move(packed), p.output, ConvGemmRows(p.shape, groups),
                                                   c.node().inputs[0], c.node().outputs[0], bound.take()));
}

}  // namespace

QWASM_OPERATOR(Conv2D) = {OpType::kConv2D, "CONV_2D", 1, 0, PrepareConv2D, PrepareConv2DF32, QuantRule::Weighted(0)};

}  // namespace qwasm
