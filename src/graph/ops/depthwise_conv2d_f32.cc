// DEPTHWISE_CONV_2D on float32: filter [1, kh, kw, in_c * multiplier] (float32
// or float16, constant), optional float bias, fused activation. Multiplier 1
// runs the table's f32_dwconv, others f32_dwconv_any, split over output rows.
#include <algorithm>

#include "graph/ops/conv_common.h"
#include "graph/ops/float_common.h"
#include "graph/ops/parallel.h"

namespace qwasm {
namespace {

// Owns the float weights and bias the kernel params point at; the kernel
// runs over output rows, split over the pool.
class F32DepthwiseOp final : public PreparedOp {
 public:
  F32DepthwiseOp(std::vector<float> filter, std::vector<float> bias, FConvParams p, FDwconvFn kernel, int32_t in,
                 int32_t out)
      : filter_(std::move(filter)), bias_(std::move(bias)), p_(p), kernel_(kernel), in_(in), out_(out) {
    p_.filter = filter_.data();
    p_.bias = bias_.empty() ? nullptr : bias_.data();
  }
  void Run(const RunContext& t) override {
    const float* in = t.at<float>(in_);
    float* out = t.at<float>(out_);
    ParallelRanges(t.pool, WindowRows(p_.shape), 1, WindowRowCost(p_.shape),
                   [&](size_t r0, size_t r1) { kernel_(p_, r0, r1, in, out); });
  }

 private:
  std::vector<float> filter_, bias_;
  FConvParams p_;
  FDwconvFn kernel_;
  int32_t in_, out_;
};

}  // namespace

PrepareResult PrepareDepthwiseConv2DF32(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(2, 3, 1));
  const Tensor& input = c.Input(0);
  const Tensor& filter = c.Input(1);
  const Tensor& output = c.Output(0);
  QW_RETURN_IF_ERROR(RequireF32(c, input, "input"));
  QW_RETURN_IF_ERROR(c.RequireRank(input, 4, "input"));
  QW_RETURN_IF_ERROR(c.RequireRank(filter, 4, "filter"));
  QW_RETURN_IF_ERROR(RequireF32(c, output, "output"));
  QW_RETURN_IF_ERROR(c.RequireRank(output, 4, "output"));
  const int32_t out_c = filter.shape[3];
  const int32_t in_c = input.shape[3];
  if (filter.shape[0] != 1) return c.Error("filter '" + filter.name + "' must have shape [1, kh, kw, c]");
  if (out_c % in_c != 0) {
    return c.Error("filter has " + std::to_string(out_c) + " channels, not a multiple of the input's " +
                   std::to_string(in_c));
  }
  const int dm = c.node().attrs.depth_multiplier;
  if (dm > 0 && dm != out_c / in_c) {
    return c.Error("depth_multiplier " + std::to_string(dm) + " disagrees with the shapes (" +
                   std::to_string(out_c / in_c) + ")");
  }
  FConvParams p;
  std::vector<float> w_values, bias_values;
  QW_RETURN_IF_ERROR(PrepareFloatConv(c, out_c, &p, &w_values, &bias_values));
  const int32_t in = c.node().inputs[0], out = c.node().outputs[0];
  const FDwconvFn kernel = out_c == in_c ? c.kernels().f32_dwconv : c.kernels().f32_dwconv_any;
  return std::unique_ptr<PreparedOp>(
      new F32DepthwiseOp(std::move(w_values), std::move(bias_values), p, kernel, in, out));
}

}  // namespace qwasm
