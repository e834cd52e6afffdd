// CLAMP, HARD_SWISH, HARD_SIGMOID and LOGISTIC. float32: the elementwise
// kernel (SIMD, split over threads). int8: ONE generic 256-entry table built
// here: each of the 256 inputs dequantized, passed through the float
// reference function, requantized to the output grid; running is a lookup.
#include <algorithm>
#include <cmath>

#include "graph/op_registry.h"
#include "graph/ops/float_common.h"
#include "graph/ops/parallel.h"
#include "kernels/kernels.h"

namespace qwasm {

PrepareResult PrepareChannelClamp(const OpContext& c);  // channel_clamp.cc

namespace {

class F32UnaryOp final : public PreparedOp {
 public:
  F32UnaryOp(FUnaryParams p, FUnaryFn kernel, size_t n, int32_t in, int32_t out)
      : p_(p), kernel_(kernel), n_(n), in_(in), out_(out) {}
  void Run(const RunContext& t) override {
    const float* in = t.at<float>(in_);
    float* out = t.at<float>(out_);
    ParallelRanges(t.pool, n_, 1, 8, [&](size_t begin, size_t end) { kernel_(p_, end - begin, in + begin, out + begin); });
  }

 private:
  FUnaryParams p_;
  FUnaryFn kernel_;
  size_t n_;
  int32_t in_, out_;
};

class LutOp final : public PreparedOp {
 public:
  LutOp(const int8_t table[256], QLutFn kernel, size_t n, int32_t in, int32_t out)
      : kernel_(kernel), n_(n), in_(in), out_(out) {
    std::copy(table, table + 256, table_);
  }
  void Run(const RunContext& t) override {
    const int8_t* in = t.at<int8_t>(in_);
    int8_t* out = t.at<int8_t>(out_);
    ParallelRanges(t.pool, n_, 16, 2, [&](size_t begin, size_t end) { kernel_(table_, end - begin, in + begin, out + begin); });
  }

 private:
  int8_t table_[256];
  QLutFn kernel_;
  size_t n_;
  int32_t in_, out_;
};

PrepareResult PrepareUnary(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(1, 1, 1));
  const Tensor& input = c.Input(0);
  const Tensor& output = c.Output(0);
  if (input.shape != output.shape) {
    return c.Error("input " + ShapeString(input.shape) + " and output " + ShapeString(output.shape) + " differ");
  }
  const OpAttrs& a = c.node().attrs;
  FUnaryParams f;
  switch (c.node().op) {
    case OpType::kClamp:
      f.op = UnaryOp::kClamp;
      f.min = a.clamp_min;
      f.max = a.clamp_max;
      if (!(f.min <= f.max)) return c.Error("clamp range [" + std::to_string(f.min) + ", " + std::to_string(f.max) + "] is empty");
      break;
    case OpType::kHardSwish: f.op = UnaryOp::kHardSwish; break;
    case OpType::kHardSigmoid:
      f.op = UnaryOp::kHardSigmoid;
      f.alpha = a.hard_alpha;
      f.beta = a.hard_beta;
      if (!std::isfinite(f.alpha) || !std::isfinite(f.beta)) return c.Error("hard sigmoid alpha / beta must be finite");
      break;
    case OpType::kLogistic: f.op = UnaryOp::kLogistic; break;
    default: return c.Error("not an elementwise function");
  }
  const size_t n = static_cast<size_t>(output.num_elements());
  const int32_t in = c.node().inputs[0], out = c.node().outputs[0];
  if (input.dtype == DType::kFloat32) {
    QW_RETURN_IF_ERROR(RequireF32(c, input, "input"));
    QW_RETURN_IF_ERROR(RequireF32(c, output, "output"));
    return std::unique_ptr<PreparedOp>(new F32UnaryOp(f, c.kernels().f32_unary, n, in, out));
  }
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(input, "input"));
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(output, "output"));
  int8_t table[256];
  qs8_lut_init_unary(f, input.quant.scale[0], input.quant.zero_point[0], output.quant.scale[0],
                  output.quant.zero_point[0], table);
  return std::unique_ptr<PreparedOp>(new LutOp(table, c.kernels().qs8_lut, n, in, out));
}

// CLAMP: min(max(x, clamp_min), clamp_max) (Relu, Relu6, Clip); with input 1,
// per-channel upper bounds (channel_clamp.cc).
PrepareResult PrepareClamp(const OpContext& c) {
  return c.node().inputs.size() > 1 ? PrepareChannelClamp(c) : PrepareUnary(c);
}

// CLAMP's constant float inputs (per-channel bounds) stay float: the
// operator quantizes them itself.
constexpr QuantRule ClampRule() {
  QuantRule r;
  r.float_constants = true;
  return r;
}

}  // namespace

QWASM_OPERATOR(Clamp) = {OpType::kClamp, "CLAMP", 16, 0, PrepareClamp, nullptr, ClampRule()};
QWASM_OPERATOR(HardSwish) = {OpType::kHardSwish, "HARD_SWISH", 17, 0, PrepareUnary, nullptr, {}};
QWASM_OPERATOR(HardSigmoid) = {OpType::kHardSigmoid, "HARD_SIGMOID", 18, 0, PrepareUnary, nullptr, {}};
QWASM_OPERATOR(Logistic) = {OpType::kLogistic, "LOGISTIC", 19, 0, PrepareUnary, nullptr, {}};

}  // namespace qwasm
