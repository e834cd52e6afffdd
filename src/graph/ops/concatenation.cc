// CONCATENATION of any dtype along attrs.axis (negative counts from the
// end): inputs of one rank agreeing on every other axis. int8 inputs on a
// different grid than the output are requantized while copied.
#include "graph/op_registry.h"
#include "graph/ops/move_common.h"

namespace qwasm {
namespace {

class ConcatOp final : public PreparedOp {
 public:
  ConcatOp(ConcatParams p, ConcatFn kernel, size_t element_size, std::vector<int32_t> parts,
           std::vector<std::unique_ptr<RequantizeParams>> rq, std::vector<int32_t> ins, int32_t out)
      : p_(p), kernel_(kernel), parts_(std::move(parts)), rq_(std::move(rq)), ins_(std::move(ins)), out_(out) {
    for (size_t i = 0; i < ins_.size(); ++i) {
      copy_.push_back(ElementCopy{element_size, rq_[i].get()});
    }
    p_.parts = parts_.data();
    p_.copy = copy_.data();
    src_.resize(ins_.size());
  }
  void Run(const RunContext& t) override {
    for (size_t i = 0; i < ins_.size(); ++i) src_[i] = t.ptr[ins_[i]];
    kernel_(p_, src_.data(), t.ptr[out_]);
  }

 private:
  ConcatParams p_;
  ConcatFn kernel_;
  std::vector<int32_t> parts_;
  std::vector<std::unique_ptr<RequantizeParams>> rq_;
  std::vector<ElementCopy> copy_;
  std::vector<int32_t> ins_;
  std::vector<const void*> src_;
  int32_t out_;
};

PrepareResult PrepareConcatenation(const OpContext& c) {
  const Node& node = c.node();
  if (node.inputs.empty()) return c.Error("has no inputs");
  QW_RETURN_IF_ERROR(c.CheckArity(node.inputs.size(), node.inputs.size(), 1));
  const Tensor& output = c.Output(0);
  const int rank = static_cast<int>(output.shape.size());
  int axis = node.attrs.axis < 0 ? node.attrs.axis + rank : node.attrs.axis;
  if (axis < 0 || axis >= rank) {
    return c.Error("axis " + std::to_string(node.attrs.axis) + " is out of range for rank " + std::to_string(rank));
  }
  ConcatParams p;
  for (int a = 0; a < axis; ++a) p.outer *= static_cast<size_t>(output.shape[a]);
  for (int a = axis + 1; a < rank; ++a) p.inner *= static_cast<size_t>(output.shape[a]);
  std::vector<int32_t> parts;
  std::vector<std::unique_ptr<RequantizeParams>> rq;
  int64_t total = 0;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    const Tensor& in = c.Input(i);
    Result<std::unique_ptr<RequantizeParams>> r = MoveRequant(c, in, output, "input");
    if (!r.ok()) return r.status();
    rq.push_back(r.take());
    bool fits = static_cast<int>(in.shape.size()) == rank;
    for (int a = 0; fits && a < rank; ++a) fits = a == axis || in.shape[a] == output.shape[a];
    if (!fits) {
      return c.Error("input " + std::to_string(i) + " '" + in.name + "' " + ShapeString(in.shape) +
                     " does not fit output " + ShapeString(output.shape) + " on axis " + std::to_string(axis));
    }
    parts.push_back(in.shape[axis]);
    total += in.shape[axis];
  }
  if (total != output.shape[axis]) {
    return c.Error("inputs add up to " + std::to_string(total) + " along axis " + std::to_string(axis) +
                   ", output has " + std::to_string(output.shape[axis]));
  }
  p.inputs = static_cast<int>(parts.size());
  return std::unique_ptr<PreparedOp>(new ConcatOp(p, c.kernels().x_concat, DTypeSize(output.dtype), std::move(parts), std::move(rq), node.inputs, node.outputs[0]));
}

}  // namespace

QWASM_OPERATOR(Concatenation) = {OpType::kConcatenation, "CONCATENATION", 13, 0, PrepareConcatenation, nullptr, {}};

}  // namespace qwasm
