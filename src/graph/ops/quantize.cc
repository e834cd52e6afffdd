// QUANTIZE (float32 -> int8, or int8 -> int8 with new scale / zero point) and
// DEQUANTIZE (int8 -> float32).
#include "graph/op.h"
#include "kernels/kernels.h"
#include "quant/requantize.h"

namespace qwasm {
namespace {

class QuantizeOp final : public PreparedOp {
 public:
  QuantizeOp(QuantizeParams p, size_t n, int32_t in, int32_t out) : p_(p), n_(n), in_(in), out_(out) {}
  void Run(const RunContext& t) override { f32_qs8_quantize__ref(p_, n_, t.at<float>(in_), t.at<int8_t>(out_)); }

 private:
  QuantizeParams p_;
  size_t n_;
  int32_t in_, out_;
};

class RequantizeOp final : public PreparedOp {
 public:
  RequantizeOp(RequantizeParams p, size_t n, int32_t in, int32_t out) : p_(p), n_(n), in_(in), out_(out) {}
  void Run(const RunContext& t) override { qs8_requantize__ref(p_, n_, t.at<int8_t>(in_), t.at<int8_t>(out_)); }

 private:
  RequantizeParams p_;
  size_t n_;
  int32_t in_, out_;
};

class DequantizeOp final : public PreparedOp {
 public:
  DequantizeOp(DequantizeParams p, size_t n, int32_t in, int32_t out) : p_(p), n_(n), in_(in), out_(out) {}
  void Run(const RunContext& t) override { qs8_f32_dequantize__ref(p_, n_, t.at<int8_t>(in_), t.at<float>(out_)); }

 private:
  DequantizeParams p_;
  size_t n_;
  int32_t in_, out_;
};

Status CheckSameShape(const OpContext& c, const Tensor& a, const Tensor& b) {
  if (a.shape != b.shape) {
    return c.Error("input " + ShapeString(a.shape) + " and output " + ShapeString(b.shape) + " differ");
  }
  return Status::Ok();
}

}  // namespace

PrepareResult PrepareQuantize(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(1, 1, 1));
  const Tensor& input = c.Input(0);
  const Tensor& output = c.Output(0);
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(output, "output"));
  QW_RETURN_IF_ERROR(CheckSameShape(c, input, output));
  const size_t n = static_cast<size_t>(output.num_elements());
  const QOutput stage = c.OutputStage(output, Activation::kNone).value();
  const int32_t in = c.node().inputs[0], out = c.node().outputs[0];
  if (input.dtype == DType::kFloat32) {
    QuantizeParams p;
    p.scale = output.quant.scale[0];
    p.output = stage;
    return std::unique_ptr<PreparedOp>(new QuantizeOp(p, n, in, out));
  }
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(input, "input"));
  RequantizeParams p;
  p.input_zero_point = input.quant.zero_point[0];
  p.scale = RequantScale(input.quant.scale[0], 1.0f, output.quant.scale[0]);
  p.output = stage;
  return std::unique_ptr<PreparedOp>(new RequantizeOp(p, n, in, out));
}

PrepareResult PrepareDequantize(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(1, 1, 1));
  const Tensor& input = c.Input(0);
  const Tensor& output = c.Output(0);
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(input, "input"));
  QW_RETURN_IF_ERROR(c.RequireDType(output, DType::kFloat32, "output"));
  QW_RETURN_IF_ERROR(CheckSameShape(c, input, output));
  DequantizeParams p;
  p.scale = input.quant.scale[0];
  p.zero_point = input.quant.zero_point[0];
  return std::unique_ptr<PreparedOp>(
      new DequantizeOp(p, static_cast<size_t>(output.num_elements()), c.node().inputs[0], c.node().outputs[0]));
}

}  // namespace qwasm
