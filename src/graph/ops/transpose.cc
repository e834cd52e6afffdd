// TRANSPOSE of any dtype, rank <= 6: output axis i = input axis perm[i]
// (attrs.perm, or a constant int32 / int64 input 1 as in TFLite). int8 with a
// different output grid is transposed, then requantized in place.
#include <cstring>

#include "graph/op_registry.h"
#include "graph/ops/move_common.h"

namespace qwasm {
namespace {

class TransposeOp final : public PreparedOp {
 public:
  TransposeOp(TransposeParams p, const KernelConfig& k, std::unique_ptr<RequantizeParams> rq, size_t n, int32_t in,
              int32_t out)
      : p_(p), transpose_(k.x_transpose), requantize_(k.qs8_requantize), rq_(std::move(rq)), n_(n), in_(in),
        out_(out) {}
  void Run(const RunContext& t) override {
    transpose_(p_, t.ptr[in_], t.ptr[out_]);
    if (rq_) requantize_(*rq_, n_, t.at<int8_t>(out_), t.at<int8_t>(out_));
  }

 private:
  TransposeParams p_;
  TransposeFn transpose_;
  RequantizeFn requantize_;
  std::unique_ptr<RequantizeParams> rq_;
  size_t n_;
  int32_t in_, out_;
};

PrepareResult PrepareTranspose(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(1, 2, 1));
  const Tensor& input = c.Input(0);
  const Tensor& output = c.Output(0);
  Result<std::unique_ptr<RequantizeParams>> rq = MoveRequant(c, input, output, "input");
  if (!rq.ok()) return rq.status();
  std::vector<int32_t> perm = c.node().attrs.perm;
  if (perm.empty()) {
    Result<std::vector<int32_t>> p = ConstantInts(c, 1, "permutation");
    if (!p.ok()) return p.status();
    perm = p.take();
  }
  const size_t rank = input.shape.size();
  if (rank > 6) return c.Error("rank " + std::to_string(rank) + " is over TRANSPOSE's limit of 6");
  if (perm.size() != rank) {
    return c.Error("permutation " + ShapeString(perm) + " does not match input rank " + std::to_string(rank));
  }
  TransposeParams p;
  p.rank = static_cast<int>(rank);
  p.element_size = DTypeSize(input.dtype);
  std::vector<bool> seen(rank, false);
  std::vector<int32_t> expected(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int32_t a = perm[i];
    if (a < 0 || a >= static_cast<int32_t>(rank) || seen[a]) {
      return c.Error("permutation " + ShapeString(perm) + " is not a permutation of the axes");
    }
    seen[a] = true;
    p.perm[i] = a;
    p.in_shape[i] = input.shape[i];
    expected[i] = input.shape[a];
  }
  if (output.shape != expected) {
    return c.Error("output '" + output.name + "' has shape " + ShapeString(output.shape) + ", expected " +
                   ShapeString(expected));
  }
  return std::unique_ptr<PreparedOp>(new TransposeOp(p, c.kernels(), rq.take(), static_cast<size_t>(output.num_elements()),
                                                     c.node().inputs[0], c.node().outputs[0]));
}

}  // namespace

QWASM_OPERATOR(Transpose) = {OpType::kTranspose, "TRANSPOSE", 15, 0, PrepareTranspose, nullptr, QuantRule::InputGrid()};

}  // namespace qwasm
