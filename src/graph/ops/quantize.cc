// QUANTIZE (float32 -> int8, or int8 -> int8 with new scale / zero point) and
// DEQUANTIZE (int8 -> float32).
#include <algorithm>

#include "graph/op_registry.h"
#include "graph/op.h"
#include "graph/ops/parallel.h"
#include "quant/requantize.h"

namespace qwasm {
namespace {

// One elementwise conversion over ranges of whole 16-element vectors (only
// the last has a tail).
template <typename Params, typename In, typename Out>
class ConvertOp final : public PreparedOp {
 public:
  using Kernel = void (*)(const Params&, size_t, const In*, Out*);
  ConvertOp(Params p, Kernel kernel, size_t n, int32_t in, int32_t out)
      : p_(p), kernel_(kernel), n_(n), in_(in), out_(out) {}
  void Run(const RunContext& t) override {
    const In* in = t.at<In>(in_);
    Out* out = t.at<Out>(out_);
    ParallelRanges(t.pool, n_, 16, sizeof(In) + sizeof(Out),
                   [&](size_t begin, size_t end) { kernel_(p_, end - begin, in + begin, out + begin); });
  }

 private:
  Params p_;
  Kernel kernel_;
  size_t n_;
  int32_t in_, out_;
};

using QuantizeOp = ConvertOp<QuantizeParams, float, int8_t>;
using RequantizeOp = ConvertOp<RequantizeParams, int8_t, int8_t>;
using DequantizeOp = ConvertOp<DequantizeParams, int8_t, float>;

Status CheckSameShape(const OpContext& c, const Tensor& a, const Tensor& b) {
  if (a.shape != b.shape) {
    return c.Error("input " + ShapeString(a.shape) + " and output " + ShapeString(b.shape) + " differ");
  }
  return Status::Ok();
}

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
    return std::unique_ptr<PreparedOp>(new QuantizeOp(p, c.kernels().f32_qs8_quantize, n, in, out));
  }
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(input, "input"));
  RequantizeParams p;
  p.input_zero_point = input.quant.zero_point[0];
  p.scale = RequantScale(input.quant.scale[0], 1.0f, output.quant.scale[0]);
  p.output = stage;
  return std::unique_ptr<PreparedOp>(new RequantizeOp(p, c.kernels().qs8_requantize, n, in, out));
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
      new DequantizeOp(p, c.kernels().qs8_f32_dequantize, static_cast<size_t>(output.num_elements()), c.node().inputs[0], c.node().outputs[0]));
}

}  // namespace

// Placed by readers and the quantizer between float and int8 tensors; they
// are never made int8 themselves.
QWASM_OPERATOR(Quantize) = {OpType::kQuantize, "QUANTIZE", 9, 0, PrepareQuantize, nullptr, QuantRule::FloatOnly()};
QWASM_OPERATOR(Dequantize) = {OpType::kDequantize, "DEQUANTIZE", 10, 0, PrepareDequantize, nullptr,
                              QuantRule::FloatOnly()};

}  // namespace qwasm
