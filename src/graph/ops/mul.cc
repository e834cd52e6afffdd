// MUL of int8 tensors (the exact integer product requantized once) and of
// float32 tensors, broadcasting one operand (binary_common.h).
#include <cmath>

#include "graph/op_registry.h"
#include "graph/ops/binary_common.h"
#include "quant/requantize.h"

namespace qwasm {
namespace {

PrepareResult PrepareMul(const OpContext& c) {
  Result<Q8Binary> q = PrepareQ8Binary(c);
  if (!q.ok()) return q.status();
  const Broadcast bc = q.value().bc;
  const Tensor& a = c.Input(0);
  const Tensor& b = c.Input(1);
  const Tensor& output = c.Output(0);
  const Tensor& full = bc.swap ? b : a;
  const Tensor& part = bc.swap ? a : b;
  QMulParams p;
  p.size = bc.size;
  p.b_size = bc.b_size;
  p.a_zero_point = full.quant.zero_point[0];
  p.b_zero_point = part.quant.zero_point[0];
  p.scale = RequantScale(a.quant.scale[0], b.quant.scale[0], output.quant.scale[0]);
  if (!(p.scale > 0.0f) || !std::isfinite(p.scale)) {
    return c.Error("requantization scale of the product is not a positive finite float");
  }
  p.output = q.value().stage;
  int32_t in_a = c.node().inputs[0], in_b = c.node().inputs[1];
  if (bc.swap) std::swap(in_a, in_b);
  return std::unique_ptr<PreparedOp>(
      new BinaryOp<QMulParams, int8_t>(p, c.kernels().qs8_mul, 16, in_a, in_b, c.node().outputs[0]));
}

PrepareResult PrepareMulF32(const OpContext& c) { return PrepareF32Binary(c, c.kernels().f32_mul); }

}  // namespace

QWASM_OPERATOR(Mul) = {OpType::kMul, "MUL", 11, 0, PrepareMul, PrepareMulF32, {}};

}  // namespace qwasm
