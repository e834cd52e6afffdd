// move_common.h — what CONCATENATION, PAD and TRANSPOSE share: any dtype
// moves as bytes; int8 inputs whose scale / zero point differ from the
// output's are requantized to the output grid on the way.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "graph/op.h"
#include "quant/requantize.h"

namespace qwasm {

// Checks that `in` can move into `out` (same dtype; int8 per-tensor) and
// returns the requantization needed, if any (null: plain copy).
inline Result<std::unique_ptr<RequantizeParams>> MoveRequant(const OpContext& c, const Tensor& in,
                                                             const Tensor& out, const char* role) {
  QW_RETURN_IF_ERROR(c.RequireDType(in, out.dtype, role));
  if (out.dtype != DType::kInt8) {
    if (in.quant.scale != out.quant.scale || in.quant.zero_point != out.quant.zero_point) {
      return c.Error(std::string(role) + " '" + in.name + "' and the output are quantized differently");
    }
    return std::unique_ptr<RequantizeParams>();
  }
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(in, role));
  QW_RETURN_IF_ERROR(c.RequirePerTensorQ8(out, "output"));
  if (in.quant.scale == out.quant.scale && in.quant.zero_point == out.quant.zero_point) {
    return std::unique_ptr<RequantizeParams>();
  }
  auto p = std::make_unique<RequantizeParams>();
  p->input_zero_point = in.quant.zero_point[0];
  p->scale = RequantScale(in.quant.scale[0], 1.0f, out.quant.scale[0]);
  if (!(p->scale > 0.0f) || !std::isfinite(p->scale)) {
    return c.Error(std::string(role) + " '" + in.name + "': input / output scale ratio is out of range");
  }
  p->output.zero_point = out.quant.zero_point[0];
  return p;
}

// Reads an int32 or int64 constant list (perm / paddings given as a tensor,
// TFLite's form) when the attribute is empty.
inline Result<std::vector<int32_t>> ConstantInts(const OpContext& c, size_t input, const char* role) {
  if (!c.HasInput(input)) return c.Error(std::string("the ") + role + " are missing");
  const Tensor& t = c.Input(input);
  QW_RETURN_IF_ERROR(c.RequireConstant(t, role));
  if (t.data_bytes != t.num_bytes()) return c.Error(std::string(role) + " have the wrong byte size");
  std::vector<int32_t> v(static_cast<size_t>(t.num_elements()));
  for (size_t i = 0; i < v.size(); ++i) {
    if (t.dtype == DType::kInt32) {
      std::memcpy(&v[i], t.data + 4 * i, 4);
    } else if (t.dtype == DType::kInt64) {
      int64_t x;
      std::memcpy(&x, t.data + 8 * i, 8);
      if (x < INT32_MIN || x > INT32_MAX) return c.Error(std::string(role) + " value out of range");
      v[i] = static_cast<int32_t>(x);
    } else {
      return c.Error(std::string(role) + " must be int32 or int64");
    }
  }
  return v;
}

}  // namespace qwasm
