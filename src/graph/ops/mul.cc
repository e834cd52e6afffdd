// MUL of int8 tensors (the exact integer product requantized once) and of
// float32 tensors, broadcasting one operand (binary_common.h).
#include <cmath>

#include "graph/op_registry.h"
#include "graph/ops/binary_common.h"
#include "quant/requantize.h"

namespace qwasm {
namespace {

PrepareResult PrepareMul(const OpContext& c) {
  QW_RETURN_IF_ERROR(CheckQ8Binary(c));
  const Tensor& a = c.Input(0);
  const Tensor& b = c.Input(1);
  const Tensor& output = c.Output(0);
  Result<Broadcast> bc = ResolveBroadcast(c, a, b, output);
  if (!bc.ok()) return bc.status();
  Result<QOutput> stage = c.OutputStage(output, c.node().attrs.activation);
  if (!stage.ok()) return stage.status();
  const Tensor& full = bc.value().swap ? b : a;
  const Tensor& part = bc.value().swap ? a : b;
  QMulParams p;
  p.size = bc.value().size;
  p.b_size = bc.value().b_size;
  p.a_zero_point = full.quant.zero_point[0];
  p.b_zero_point = part.quant.zero_point[0];
  p.scale = RequantScale(a.quant.scale[0], b.quant.scale[0], output.quant.scale[0]);
  if (!(p.scale > 0.0f) || !std::isfinite(p.scale)) {
    return c.Error("requantization scale of the product is not a positive finite float");
  }
  p.output = stage.value();
  int32_t in_a = c.node().inputs[0], in_b = c.node().inputs[1];
  if (bc.value().swap) std::swap(in_a, in_b);
  return std::unique_ptr<PreparedOp>(
      new BinaryOp<QMulParams, int8_t>(p, c.kernels().qs8_mul, 16, in_a, in_b, c.node().outputs[0]));
}

PrepareResult PrepareMulF32(const OpContext& c) { return PrepareF32Binary(c, c.kernels().f32_mul); }

}  // namespace

QWASM_OPERATOR(Mul) = {OpType::kMul, "MUL", 11, 0, PrepareMul, PrepareMulF32, {}};

}  // namespace qwasm
