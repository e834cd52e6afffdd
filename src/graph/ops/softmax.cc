// SOFTMAX over the last axis: int8 (table-driven, TFLite's or ONNX Runtime's
// numerics) and float32.
#include <algorithm>
#include <cmath>

#include "graph/op_registry.h"
#include "graph/ops/float_common.h"
#include "graph/ops/parallel.h"
#include "kernels/kernels.h"

namespace qwasm {
namespace {

class SoftmaxOp final : public PreparedOp {
 public:
  SoftmaxOp(QSoftmaxParams p, QSoftmaxFn kernel, float beta, float in_scale, int32_t in, int32_t out)
      : p_(p), kernel_(kernel), in_(in), out_(out) {
    if (p_.onnx_numerics) {
      qs8_softmax_init_onnx(beta * in_scale, p_.cols, table_);
    } else {
      qs8_softmax_init(beta, in_scale, table_);
    }
    p_.exp_table = table_;
  }
  void Run(const RunContext& t) override {
    const int8_t* in = t.at<int8_t>(in_);
    int8_t* out = t.at<int8_t>(out_);
    ParallelRanges(t.pool, static_cast<size_t>(p_.rows), 1, static_cast<uint64_t>(p_.cols),
                   [&](size_t r0, size_t r1) { kernel_(p_, r0, r1, in, out); });
  }

 private:
  QSoftmaxParams p_;
  QSoftmaxFn kernel_;
  float table_[256];
  int32_t in_, out_;
};

PrepareResult PrepareSoftmax(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(1, 1, 1));
  const Tensor& input = c.Input(0);
  const Tensor& output = c.Output(0);
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(input, "input"));
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(output, "output"));
  if (input.shape != output.shape || input.shape.empty()) {
    return c.Error("input " + ShapeString(input.shape) + " and output " + ShapeString(output.shape) +
                   " must have the same non-scalar shape");
  }
  const float beta = c.node().attrs.beta;
  if (!(beta > 0.0f) || !std::isfinite(beta)) return c.Error("beta must be a positive finite number");
  QSoftmaxParams p;
  p.cols = input.shape.back();
  p.rows = static_cast<int>(input.num_elements() / p.cols);
  p.output_scale = output.quant.scale[0];
  p.onnx_numerics = c.node().attrs.onnx_numerics;
  p.output = c.OutputStage(output, Activation::kNone).value();
  return std::unique_ptr<PreparedOp>(
      new SoftmaxOp(p, c.kernels().qs8_softmax, beta, input.quant.scale[0], c.node().inputs[0], c.node().outputs[0]));
}


PrepareResult PrepareSoftmaxF32(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(1, 1, 1));
  const Tensor& input = c.Input(0);
  const Tensor& output = c.Output(0);
  QW_RETURN_IF_ERROR(RequireF32(c, input, "input"));
  QW_RETURN_IF_ERROR(RequireF32(c, output, "output"));
  if (input.shape != output.shape || input.shape.empty()) {
    return c.Error("input " + ShapeString(input.shape) + " and output " + ShapeString(output.shape) +
                   " must have the same non-scalar shape");
  }
  FSoftmaxParams p;
  p.beta = c.node().attrs.beta;
  if (!(p.beta > 0.0f) || !std::isfinite(p.beta)) return c.Error("beta must be a positive finite number");
  p.cols = input.shape.back();
  p.rows = static_cast<int>(input.num_elements() / p.cols);
  return std::unique_ptr<PreparedOp>(new RangeOp<FSoftmaxParams, float, float>(
      p, c.kernels().f32_softmax, static_cast<size_t>(p.rows), static_cast<uint64_t>(p.cols) * 8, c.node().inputs[0],
      c.node().outputs[0]));
}

}  // namespace

// int8 output: probabilities on the fixed grid 1/256 (TFLite's).
QWASM_OPERATOR(Softmax) = {OpType::kSoftmax, "SOFTMAX", 8, 0, PrepareSoftmax, PrepareSoftmaxF32,
                           QuantRule::FixedOutput(1.0f / 256.0f, -128)};

}  // namespace qwasm
