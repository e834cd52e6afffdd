// DEPTHWISE_CONV_2D on float32: filter [1, kh, kw, in_c * multiplier] (float32
// or float16, constant), optional float bias, fused activation. Multiplier 1
// runs the SIMD kernel split over output rows; others the reference.
#include <algorithm>

#include "graph/ops/conv_common.h"
#include "graph/ops/float_common.h"
#include "kernels/kernels-wasmsimd.h"
#include "kernels/kernels.h"
#include "runtime/threadpool.h"

namespace qwasm {
namespace {

class F32DepthwiseOp final : public PreparedOp {
 public:
  F32DepthwiseOp(std::vector<float> filter, std::vector<float> bias, FConvParams p, int32_t in, int32_t out)
      : filter_(std::move(filter)), bias_(std::move(bias)), p_(p), in_(in), out_(out) {
    p_.filter = filter_.data();
    p_.bias = bias_.empty() ? nullptr : bias_.data();
  }
  void Attach(const RunContext& t) override {
    const WindowShape& s = p_.shape;
    const uint64_t macs = uint64_t{static_cast<uint64_t>(s.batch) * s.out_h} * s.out_w * s.out_c * s.kernel_h * s.kernel_w;
    tiles_ = std::min<size_t>(static_cast<size_t>(s.batch) * s.out_h, TileCount(macs, t.pool->threads()));
  }
  void Run(const RunContext& t) override {
    const float* in = t.at<float>(in_);
    float* out = t.at<float>(out_);
    const size_t rows = static_cast<size_t>(p_.shape.batch) * p_.shape.out_h;
    t.pool->For(tiles_, [&](size_t i) {
      size_t r0, r1;
      TileRange(rows, tiles_, i, &r0, &r1);
      f32_depthwise_conv2d__wasmsimd(p_, r0, r1, in, out);
    });
  }

 private:
  std::vector<float> filter_, bias_;
  FConvParams p_;
  size_t tiles_ = 1;
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
#if QWASM_HAVE_SIMD128
  if (!c.reference_kernels() && out_c == in_c) {
    return std::unique_ptr<PreparedOp>(new F32DepthwiseOp(std::move(w_values), std::move(bias_values), p, in, out));
  }
#endif
  return std::unique_ptr<PreparedOp>(
      new FloatWeightedOp<FConvParams, f32_depthwise_conv2d__ref>(std::move(w_values), std::move(bias_values), p, in, out));
}

}  // namespace qwasm
