// SLICE of any dtype: a box of the input, attrs.paddings giving the
// elements cut off before and after on each axis (a negative PAD; ONNX
// Slice and Split with step 1, TFLite SLICE / STRIDED_SLICE with strides 1).
// int8 inputs are requantized when the output grid differs.
#include "graph/op_registry.h"
#include "graph/ops/move_common.h"

namespace qwasm {
namespace {

class SliceOp final : public PreparedOp {
 public:
  SliceOp(SliceParams p, SliceFn kernel, std::unique_ptr<RequantizeParams> rq, int32_t in, int32_t out)
      : p_(p), kernel_(kernel), rq_(std::move(rq)), in_(in), out_(out) {
    p_.copy.requant = rq_.get();
  }
  void Run(const RunContext& t) override { kernel_(p_, t.ptr[in_], t.ptr[out_]); }

 private:
  SliceParams p_;
  SliceFn kernel_;
  std::unique_ptr<RequantizeParams> rq_;
  int32_t in_, out_;
};

PrepareResult PrepareSlice(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(1, 1, 1));
  const Tensor& input = c.Input(0);
  const Tensor& output = c.Output(0);
  Result<std::unique_ptr<RequantizeParams>> rq = MoveRequant(c, input, output, "input");
  if (!rq.ok()) return rq.status();
  const std::vector<int32_t>& cut = c.node().attrs.paddings;
  const size_t rank = input.shape.size();
  if (rank > static_cast<size_t>(kMaxMoveRank)) return c.Error("rank " + std::to_string(rank) + " is too large");
  if (cut.size() != 2 * rank) {
    return c.Error("slice bounds " + ShapeString(cut) + " need 2 values per axis of rank " + std::to_string(rank));
  }
  SliceParams p;
  p.rank = static_cast<int>(rank);
  p.copy.element_size = DTypeSize(input.dtype);
  std::vector<int32_t> expected(rank);
  for (size_t a = 0; a < rank; ++a) {
    const int64_t before = cut[2 * a], after = cut[2 * a + 1];
    if (before < 0 || after < 0 || before + after >= input.shape[a]) {
      return c.Error("cutting " + std::to_string(before) + " and " + std::to_string(after) + " elements off axis " +
                     std::to_string(a) + " of size " + std::to_string(input.shape[a]) + " leaves nothing");
    }
    p.in_shape[a] = input.shape[a];
    p.begin[a] = static_cast<int32_t>(before);
    p.out_shape[a] = expected[a] = static_cast<int32_t>(input.shape[a] - before - after);
  }
  if (output.shape != expected) {
    return c.Error("output '" + output.name + "' has shape " + ShapeString(output.shape) + ", expected " +
                   ShapeString(expected));
  }
  return std::unique_ptr<PreparedOp>(
      new SliceOp(p, c.kernels().x_slice, rq.take(), c.node().inputs[0], c.node().outputs[0]));
}

}  // namespace

QWASM_OPERATOR(Slice) = {OpType::kSlice, "SLICE", 20, 1, PrepareSlice, nullptr, QuantRule::InputGrid()};

}  // namespace qwasm
