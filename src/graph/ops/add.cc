// ADD with a fused activation, broadcasting one operand (binary_common.h):
// int8 in TFLite's fixed-point or ONNX Runtime's float arithmetic
// (QAddParams), float32.
#include <algorithm>
#include <cmath>

#include "graph/op_registry.h"
#include "graph/ops/binary_common.h"
#include "quant/requantize.h"

namespace qwasm {
namespace {

PrepareResult PrepareAdd(const OpContext& c) {
  Result<Q8Binary> q = PrepareQ8Binary(c);
  if (!q.ok()) return q.status();
  const Broadcast bc = q.value().bc;
  const Tensor& a = c.Input(0);
  const Tensor& b = c.Input(1);
  const Tensor& output = c.Output(0);
  // Each input's scale relative to the output, as a fixed-point multiplier:
  // the larger one gets 21 significant bits (XNNPACK's choice, which keeps
  // qwasm bit-identical to TFLite-WASM), the other the same shift.
  const float a_scale = RequantScale(a.quant.scale[0], 1.0f, output.quant.scale[0]);
  const float b_scale = RequantScale(b.quant.scale[0], 1.0f, output.quant.scale[0]);
  const float larger = std::max(a_scale, b_scale);
  if (!(larger >= 0x1.0p-60f && larger < 0x1.0p+60f)) {
    return c.Error("input / output scale ratio " + std::to_string(larger) + " is out of range");
  }
  const int shift = 20 - std::ilogb(larger);  // larger * 2^shift in [2^20, 2^21)
  QAddParams p;
  p.size = bc.size;
  p.a_zero_point = a.quant.zero_point[0];
  p.b_zero_point = b.quant.zero_point[0];
  p.a_multiplier = static_cast<int32_t>(std::nearbyint(std::ldexp(static_cast<double>(a_scale), shift)));
  p.b_multiplier = static_cast<int32_t>(std::nearbyint(std::ldexp(static_cast<double>(b_scale), shift)));
  p.scale = std::ldexp(1.0f, -shift);
  p.float_rescale = c.node().attrs.onnx_numerics;
  p.a_scale = a.quant.scale[0];
  p.b_scale = b.quant.scale[0];
  p.output_scale = output.quant.scale[0];
  // The zero point in the output's model dtype (see QAddParams).
  p.rounding_zero_point = output.quant.zero_point[0] + (output.was_uint8 ? 128 : 0);
  p.output = q.value().stage;
  // The full operand is a: swap the inputs' roles (ADD commutes).
  int32_t in_a = c.node().inputs[0], in_b = c.node().inputs[1];
  if (bc.swap) {
    std::swap(in_a, in_b);
    std::swap(p.a_zero_point, p.b_zero_point);
    std::swap(p.a_multiplier, p.b_multiplier);
    std::swap(p.a_scale, p.b_scale);
  }
  // Ranges of whole 16-element vectors; a broadcast b is walked in stretches.
  return std::unique_ptr<PreparedOp>(new BinaryOp<QAddParams, int8_t>(p, c.kernels().qs8_add, 16, in_a, in_b,
                                                                      c.node().outputs[0], bc.b_size));
}

PrepareResult PrepareAddF32(const OpContext& c) { return PrepareF32Binary(c, c.kernels().f32_add); }

}  // namespace

QWASM_OPERATOR(Add) = {OpType::kAdd, "ADD", 4, 0, PrepareAdd, PrepareAddF32, {}};

}  // namespace qwasm
