// op_registry.h — what qwasm knows about each operator, defined once in the
// operator's own file (graph/ops/<op>.cc) with QWASM_OPERATOR:
//
//   QWASM_OPERATOR(Conv2D) = {OpType::kConv2D, "CONV_2D", 1, 0, PrepareConv2D, PrepareConv2DF32,
//                             QuantRule::Weighted(0)};
//
// The interpreter prepares nodes through it, the .qwm reader and writer map
// file ids through it, the post-training quantizer follows its QuantRule.
#pragma once

#include <cstdint>

#include "graph/graph.h"
#include "graph/op.h"

namespace qwasm {

using PrepareFn = PrepareResult (*)(const OpContext& c);

// How the post-training quantizer (src/ptq) turns the operator's float
// node into an int8 one.
struct QuantRule {
  enum class Output : uint8_t {
    kOwnRange,   // the output gets the grid of its calibrated range
    kInputGrid,  // the output reuses input 0's grid (the kernel moves bytes)
    kFixed,      // the output grid is fixed_scale / fixed_zero_point
  };
  bool int8 = true;          // false: runs in float only (QUANTIZE / DEQUANTIZE are placed by the quantizer)
  int weight_axis = -1;      // >= 0: input 1 is a weight quantized per slice of this axis, input 2 its bias
  bool float_constants = false;  // constant float inputs stay float (the op quantizes them itself)
  Output output = Output::kOwnRange;
  float fixed_scale = 0.0f;
  int32_t fixed_zero_point = 0;

  static constexpr QuantRule Weighted(int axis) {
    QuantRule r;
    r.weight_axis = axis;
    return r;
  }
  static constexpr QuantRule InputGrid() {
    QuantRule r;
    r.output = Output::kInputGrid;
    return r;
  }
  static constexpr QuantRule FixedOutput(float scale, int32_t zero_point) {
    QuantRule r;
    r.output = Output::kFixed;
    r.fixed_scale = scale;
    r.fixed_zero_point = zero_point;
    return r;
  }
  static constexpr QuantRule FloatOnly() {
    QuantRule r;
    r.int8 = false;
    return r;
  }
};

struct OpDef {
  OpType type;
  const char* name;   // TFLite-style, e.g. "CONV_2D"
  uint16_t file_id;   // the operator's number in .qwm files (docs/model-format.md); never reused
  uint16_t file_since_minor;  // the format minor version (of major 2) that introduced file_id
  // Validates the node completely and prepares it (graph/op.h). `prepare`
  // takes int8 nodes, and float32 ones too when `prepare_f32` is null;
  // `prepare_f32` takes nodes whose input 0 is float32.
  PrepareFn prepare;
  PrepareFn prepare_f32;
  QuantRule quant;
};

// Defines operator Name's OpDef; one per OpType, in the operator's file.
#define QWASM_OPERATOR(Name) \
  extern const OpDef kOp##Name;   \
  const OpDef kOp##Name

// The definition of `op` (null for a value outside OpType).
const OpDef* FindOpDef(OpType op);
// The operator with .qwm id `file_id`, or null.
const OpDef* FindOpDefByFileId(uint32_t file_id);
constexpr size_t kOpTypeCount = 0
#define QWASM_OP_COUNT(Name) +1
    QWASM_OPERATORS(QWASM_OP_COUNT)
#undef QWASM_OP_COUNT
    ;

}  // namespace qwasm
