#include "graph/op.h"

#include <algorithm>
#include <cmath>

#include "graph/op_registry.h"

namespace qwasm {

std::string ShapeString(const std::vector<int32_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

Status OpContext::Error(const std::string& message) const {
  return Status::Error(NodeLabel(g_, index_) + ": " + message);
}

Status OpContext::CheckArity(size_t min_inputs, size_t max_inputs, size_t outputs) const {
  const size_t n = node_.inputs.size();
  if (n < min_inputs || n > max_inputs) {
    return Error("has " + std::to_string(n) + " inputs, expected " +
                 (min_inputs == max_inputs ? std::to_string(min_inputs)
                                           : std::to_string(min_inputs) + ".." + std::to_string(max_inputs)));
  }
  for (size_t k = 0; k < min_inputs; ++k) {
    if (node_.inputs[k] < 0) return Error("required input " + std::to_string(k) + " is missing");
  }
  if (node_.outputs.size() != outputs) {
    return Error("has " + std::to_string(node_.outputs.size()) + " outputs, expected " +
                 std::to_string(outputs));
  }
  for (int32_t o : node_.outputs) {
    if (o < 0) return Error("an output is missing");
  }
  return Status::Ok();
}

Status OpContext::RequireDType(const Tensor& t, DType dtype, const char* role) const {
  if (t.dtype != dtype) {
    return Error(std::string(role) + " '" + t.name + "' is " + DTypeName(t.dtype) + ", expected " +
                 DTypeName(dtype));
  }
  return Status::Ok();
}

Status OpContext::RequireRank(const Tensor& t, size_t rank, const char* role) const {
  if (t.shape.size() != rank) {
    return Error(std::string(role) + " '" + t.name + "' has shape " + ShapeString(t.shape) +
                 ", expected rank " + std::to_string(rank));
  }
  return Status::Ok();
}

Status OpContext::RequireConstant(const Tensor& t, const char* role) const {
  if (!t.is_constant()) return Error(std::string(role) + " '" + t.name + "' must be a constant");
  return Status::Ok();
}

Status OpContext::RequireNotConstant(const Tensor& t, const char* role) const {
  if (t.is_constant()) {
    return Error(std::string(role) + " '" + t.name + "' is a constant; computed tensor expected");
  }
  return Status::Ok();
}

Status OpContext::RequirePerTensorQ8(const Tensor& t, const char* role) const {
  QW_RETURN_IF_ERROR(RequireDType(t, DType::kInt8, role));
  if (t.quant.scale.size() != 1 || t.quant.zero_point.size() != 1) {
    return Error(std::string(role) + " '" + t.name + "' needs per-tensor quantization, has " +
                 std::to_string(t.quant.scale.size()) + " scales");
  }
  return Status::Ok();
}

Result<QOutput> OpContext::OutputStage(const Tensor& out, Activation act) const {
  const double scale = out.quant.scale[0];
  const int32_t zp = out.quant.zero_point[0];
  // Real value v on the output grid: zp + rne(v / scale), clamped to int8.
  auto grid = [&](double v) {
    const double q = zp + std::nearbyint(std::clamp(v / scale, -512.0, 512.0));
    return static_cast<int32_t>(std::clamp(q, -128.0, 127.0));
  };
  QOutput o;
  o.zero_point = zp;
  switch (act) {
    case Activation::kNone: break;
    case Activation::kRelu: o.min = std::max(o.min, zp); break;
    case Activation::kRelu6: o.min = std::max(o.min, zp); o.max = std::min(o.max, grid(6.0)); break;
    case Activation::kReluN1To1: o.min = std::max(o.min, grid(-1.0)); o.max = std::min(o.max, grid(1.0)); break;
  }
  if (o.min > o.max) return Error("fused activation leaves an empty output range");
  return o;
}

Status OpContext::CheckAccumulator(int64_t terms, int64_t max_abs_bias) const {
  if (terms * 65025 + max_abs_bias >= (int64_t{1} << 31)) {
    return Error("a reduction of " + std::to_string(terms) +
                 " products could overflow the int32 accumulator");
  }
  return Status::Ok();
}

int32_t WindowOutputSize(Padding padding, int32_t in, int32_t kernel, int32_t stride,
                         int32_t dilation) {
  const int64_t effective = (static_cast<int64_t>(kernel) - 1) * dilation + 1;
  if (padding == Padding::kSame) return static_cast<int32_t>((in + stride - 1) / stride);
  if (effective > in) return -1;
  return static_cast<int32_t>((in - effective) / stride + 1);
}

int32_t WindowPadBefore(Padding padding, int32_t in, int32_t out, int32_t kernel,
                        int32_t stride, int32_t dilation) {
  if (padding == Padding::kValid) return 0;
  const int64_t effective = (static_cast<int64_t>(kernel) - 1) * dilation + 1;
  const int64_t total = std::max<int64_t>((static_cast<int64_t>(out) - 1) * stride + effective - in, 0);
  return static_cast<int32_t>(total / 2);
}

PrepareResult PrepareNode(const Graph& g, size_t node_index, const KernelConfig& kernels) {
  const OpContext c(g, node_index, kernels);
  const OpDef* def = FindOpDef(c.node().op);
  if (!def) return c.Error("unknown operator");
  // Float layers have their own Prepare (float weights, float kernels);
  // ValidateGraph has checked the index.
  const int32_t first = c.node().inputs.empty() ? -1 : c.node().inputs[0];
  const bool f32 = first >= 0 && static_cast<size_t>(first) < g.tensors.size() &&
                   g.tensors[first].dtype == DType::kFloat32;
  return f32 && def->prepare_f32 ? def->prepare_f32(c) : def->prepare(c);
}

}  // namespace qwasm
