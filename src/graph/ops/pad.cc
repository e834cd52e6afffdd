// PAD of any dtype with a constant value: attrs.paddings (before, after per
// axis; or a constant [rank, 2] int32 / int64 input 1 as in TFLite),
// attrs.pad_value as a real value (quantized to the output grid for int8).
// int8 input rows are requantized when the grids differ.
#include <cstring>

#include "graph/op_registry.h"
#include "graph/ops/move_common.h"

namespace qwasm {
namespace {

class PadOp final : public PreparedOp {
 public:
  PadOp(PadParams p, PadFn kernel, std::unique_ptr<RequantizeParams> rq, uint64_t value, int32_t in, int32_t out)
      : p_(p), kernel_(kernel), rq_(std::move(rq)), value_(value), in_(in), out_(out) {
    p_.pad_value = reinterpret_cast<const uint8_t*>(&value_);
    p_.copy.requant = rq_.get();
  }
  void Run(const RunContext& t) override { kernel_(p_, t.ptr[in_], t.ptr[out_]); }

 private:
  PadParams p_;
  PadFn kernel_;
  std::unique_ptr<RequantizeParams> rq_;
  uint64_t value_;  // the pad element's bytes
  int32_t in_, out_;
};

PrepareResult PreparePad(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(1, 3, 1));
  const Tensor& input = c.Input(0);
  const Tensor& output = c.Output(0);
  Result<std::unique_ptr<RequantizeParams>> rq = MoveRequant(c, input, output, "input");
  if (!rq.ok()) return rq.status();
  std::vector<int32_t> pads = c.node().attrs.paddings;
  if (pads.empty()) {
    Result<std::vector<int32_t>> p = ConstantInts(c, 1, "paddings");
    if (!p.ok()) return p.status();
    pads = p.take();
  }
  const size_t rank = input.shape.size();
  if (rank > static_cast<size_t>(kMaxMoveRank)) return c.Error("rank " + std::to_string(rank) + " is too large");
  if (pads.size() != 2 * rank) {
    return c.Error("paddings " + ShapeString(pads) + " need 2 values per axis of rank " + std::to_string(rank));
  }
  PadParams p;
  p.rank = static_cast<int>(rank);
  p.copy.element_size = DTypeSize(input.dtype);
  std::vector<int32_t> expected(rank);
  for (size_t a = 0; a < rank; ++a) {
    const int32_t before = pads[2 * a], after = pads[2 * a + 1];
    if (before < 0 || after < 0 || before > (1 << 20) || after > (1 << 20)) {
      return c.Error("padding " + std::to_string(before) + ", " + std::to_string(after) + " of axis " +
                     std::to_string(a) + " is out of range (negative padding is not supported)");
    }
    p.in_shape[a] = input.shape[a];
    p.before[a] = before;
    p.after[a] = after;
    expected[a] = input.shape[a] + before + after;
  }
  if (output.shape != expected) {
    return c.Error("output '" + output.name + "' has shape " + ShapeString(output.shape) + ", expected " +
                   ShapeString(expected));
  }
  uint64_t value = 0;
  const float v = c.node().attrs.pad_value;
  switch (output.dtype) {
    case DType::kFloat32: std::memcpy(&value, &v, 4); break;
    case DType::kInt8: {
      const int8_t q = static_cast<int8_t>(
          RoundToQuant(v / output.quant.scale[0], output.quant.zero_point[0], -128, 127));
      std::memcpy(&value, &q, 1);
      break;
    }
    default:
      if (v != 0.0f) return c.Error(std::string("a nonzero pad value on ") + DTypeName(output.dtype) + " is not supported");
      break;
  }
  return std::unique_ptr<PreparedOp>(new PadOp(p, c.kernels().x_pad, rq.take(), value, c.node().inputs[0], c.node().outputs[0]));
}

}  // namespace

QWASM_OPERATOR(Pad) = {OpType::kPad, "PAD", 14, 0, PreparePad, nullptr, QuantRule::InputGrid()};

}  // namespace qwasm
