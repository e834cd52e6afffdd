#include "graph/ops/binary_common.h"

#include <algorithm>

#include "graph/ops/float_common.h"

namespace qwasm {

Result<Broadcast> ResolveBroadcast(const OpContext& c, const Tensor& a, const Tensor& b, const Tensor& out) {
  Broadcast r;
  const Tensor* full = &a;
  const Tensor* part = &b;
  if (a.shape != out.shape) {
    r.swap = true;
    std::swap(full, part);
  }
  auto fail = [&]() {
    return c.Error("inputs " + ShapeString(a.shape) + " and " + ShapeString(b.shape) + " and output " +
                   ShapeString(out.shape) + " do not broadcast (one operand must have the output's " +
                   "shape, the other its trailing dims)");
  };
  if (full->shape != out.shape) return fail();
  size_t lead = 0;
  while (lead < part->shape.size() && part->shape[lead] == 1) ++lead;
  const size_t rest = part->shape.size() - lead;
  if (rest > out.shape.size() ||
      !std::equal(part->shape.begin() + lead, part->shape.end(), out.shape.end() - rest)) {
    return fail();
  }
  r.size = static_cast<size_t>(out.num_elements());
  r.b_size = static_cast<size_t>(part->num_elements());
  return r;
}

PrepareResult PrepareF32Binary(const OpContext& c, FBinaryFn kernel) {
  QW_RETURN_IF_ERROR(c.CheckArity(2, 2, 1));
  const Tensor& a = c.Input(0);
  const Tensor& b = c.Input(1);
  const Tensor& output = c.Output(0);
  QW_RETURN_IF_ERROR(RequireF32(c, a, "first input"));
  QW_RETURN_IF_ERROR(RequireF32(c, b, "second input"));
  QW_RETURN_IF_ERROR(RequireF32(c, output, "output"));
  Result<Broadcast> bc = ResolveBroadcast(c, a, b, output);
  if (!bc.ok()) return bc.status();
  FBinaryParams p;
  p.size = bc.value().size;
  p.b_size = bc.value().b_size;
  p.output = FloatActivation(c.node().attrs.activation);
  int32_t in_a = c.node().inputs[0], in_b = c.node().inputs[1];
  if (bc.value().swap) std::swap(in_a, in_b);
  return std::unique_ptr<PreparedOp>(
      new BinaryOp<FBinaryParams, float>(p, kernel, 1, in_a, in_b, c.node().outputs[0]));
}

Result<Q8Binary> PrepareQ8Binary(const OpContext& c) {
  QW_RETURN_IF_ERROR(c.CheckArity(2, 2, 1));
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(c.Input(0), "first input"));
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(c.Input(1), "second input"));
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(c.Output(0), "output"));
  Result<Broadcast> bc = ResolveBroadcast(c, c.Input(0), c.Input(1), c.Output(0));
  if (!bc.ok()) return bc.status();
  Result<QOutput> stage = c.OutputStage(c.Output(0), c.node().attrs.activation);
  if (!stage.ok()) return stage.status();
  return Q8Binary{bc.value(), stage.value()};
}

}  // namespace qwasm
