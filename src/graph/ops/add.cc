// ADD with a fused activation: int8 tensors of the same shape (no
// broadcasting), in TFLite's fixed-point or ONNX Runtime's float arithmetic
// (QAddParams); float32 tensors with broadcasting (binary_common.h).
#include <algorithm>
#include <cmath>

#include "graph/op_registry.h"
#include "graph/ops/binary_common.h"
#include "quant/requantize.h"

namespace qwasm {
namespace {

PrepareResult PrepareAdd(const OpContext& c) {
  QW_RETURN_IF_ERROR(CheckQ8Binary(c));
  const Tensor& a = c.Input(0);
  const Tensor& b = c.Input(1);
  const Tensor& output = c.Output(0);
  if (a.shape != b.shape || a.shape != output.shape) {
    return c.Error("inputs " + ShapeString(a.shape) + " and " + ShapeString(b.shape) + " and output " +
                   ShapeString(output.shape) + " differ (broadcasting ADD is not supported)");
  }
  Result<QOutput> stage = c.OutputStage(output, c.node().attrs.activation);
  if (!stage.ok()) return stage.status();
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
  p.size = static_cast<size_t>(output.num_elements());
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
  p.output = stage.value();
  // Ranges of whole 16-element vectors; only the last has a tail.
  return std::unique_ptr<PreparedOp>(new BinaryOp<QAddParams, int8_t>(p, c.kernels().qs8_add, 16, c.node().inputs[0],
                                                                      c.node().inputs[1], c.node().outputs[0]));
}

PrepareResult PrepareAddF32(const OpContext& c) { return PrepareF32Binary(c, c.kernels().f32_add); }

}  // namespace

QWASM_OPERATOR(Add) = {OpType::kAdd, "ADD", 4, 0, PrepareAdd, PrepareAddF32, {}};

}  // namespace qwasm
