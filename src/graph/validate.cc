#include "graph/validate.h"

#include <cmath>
#include <string>

#include "core/non_finite.h"
#include "graph/op.h"

namespace qwasm {
namespace {

Status ValidateTensor(const Tensor& t, size_t index) {
  const std::string label = "tensor " + std::to_string(index) + " '" + t.name + "'";
  if (t.shape.size() > kMaxRank) return Status::Error(label + " has rank " + std::to_string(t.shape.size()));
  int64_t n = 1;
  for (int32_t d : t.shape) {
    if (d < 1) return Status::Error(label + " has shape " + ShapeString(t.shape) + " with a dimension < 1");
    n *= d;
    if (n > kMaxTensorElements) {
      return Status::Error(label + " has shape " + ShapeString(t.shape) + ", over the limit of " +
                           std::to_string(kMaxTensorElements) + " elements");
    }
  }
  if (t.is_constant() && t.data_bytes != t.num_bytes()) {
    return Status::Error(label + " holds " + std::to_string(t.data_bytes) + " bytes, shape " +
                         ShapeString(t.shape) + " of " + DTypeName(t.dtype) + " needs " +
                         std::to_string(t.num_bytes()));
  }
  QW_RETURN_IF_ERROR(CheckPackedWeights(t).With(label));
  if (t.is_constant() && (t.dtype == DType::kFloat32 || t.dtype == DType::kFloat16)) {
    // In the file, or made by an importer's folding (Gemm alpha 1e38 times B).
    QW_RETURN_IF_ERROR(CheckFiniteValues(label, t.data, static_cast<size_t>(t.num_elements()), t.dtype == DType::kFloat16));
  }
  const QuantInfo& q = t.quant;
  if (!q.quantized()) {
    if (t.dtype == DType::kInt8) return Status::Error(label + " is int8 without quantization parameters");
    return Status::Ok();
  }
  if (q.scale.size() != q.zero_point.size()) {
    return Status::Error(label + " has " + std::to_string(q.scale.size()) + " scales but " +
                         std::to_string(q.zero_point.size()) + " zero points");
  }
  if (q.per_channel()) {
    if (q.axis < 0 || q.axis >= static_cast<int>(t.shape.size()) ||
        t.shape[q.axis] != static_cast<int32_t>(q.scale.size())) {
      return Status::Error(label + " has " + std::to_string(q.scale.size()) + " scales for axis " +
                           std::to_string(q.axis) + " of shape " + ShapeString(t.shape));
    }
  }
  for (float s : q.scale) {
    if (!(s > 0.0f) || !std::isfinite(s)) {
      return Status::Error(label + " has scale " + std::to_string(s) + "; scales must be positive and finite");
    }
  }
  for (int32_t zp : q.zero_point) {
    const bool ok8 = zp >= -128 && zp <= 127;
    if (((t.dtype == DType::kInt8 || t.dtype == DType::kLut4 || t.dtype == DType::kLut8) && !ok8) ||
        (t.dtype == DType::kInt4 && (zp < -8 || zp > 7)) || (t.dtype == DType::kInt32 && zp != 0)) {
      return Status::Error(label + " has zero point " + std::to_string(zp) + " outside its type's range");
    }
  }
  return Status::Ok();
}

}  // namespace

Status CheckPackedWeights(const Tensor& t) {
  const int entries = CodebookEntries(t.dtype);
  if (!entries) {
    if (!t.codebook.empty()) return Status::Error("is " + std::string(DTypeName(t.dtype)) + " but has a codebook");
    if (!IsPackedWeightDType(t.dtype)) return Status::Ok();
  }
  const std::string type = DTypeName(t.dtype);
  if (!t.is_constant()) return Status::Error("is " + type + ", which only constant weights may be");
  if (!t.quant.quantized()) return Status::Error("is " + type + " without quantization parameters");
  if (entries) {
    const size_t groups = t.codebook_groups();
    const int axis = t.quant.axis;
    const bool per_axis = axis >= 0 && static_cast<size_t>(axis) < t.shape.size() &&
                          static_cast<size_t>(t.shape[axis]) == groups;
    if (groups == 0 || t.codebook.size() % entries != 0 || (groups != 1 && !per_axis)) {
      return Status::Error("has a codebook of " + std::to_string(t.codebook.size()) + " entries; " + type +
                           " needs " + std::to_string(entries) + " per group, one group or one per slice of axis " +
                           std::to_string(axis) + " of shape " + ShapeString(t.shape));
    }
  }
  const int64_t n = t.num_elements();
  if (IsNibbleDType(t.dtype) && n % 2 == 1 && t.data_bytes == t.num_bytes() && (t.data[n / 2] >> 4) != 0) {
    return Status::Error("has " + std::to_string(n) + " " + type + " values, but the unused high nibble of its last byte is not 0");
  }
  return Status::Ok();
}

Status ValidateGraph(const Graph& g) {
  const int64_t count = static_cast<int64_t>(g.tensors.size());
  int64_t activation = 0;
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    QW_RETURN_IF_ERROR(ValidateTensor(g.tensors[i], i));
    if (!g.tensors[i].is_constant()) activation += static_cast<int64_t>(g.tensors[i].num_bytes());
  }
  if (activation > kMaxActivationBytes) {
    return Status::Error("the model needs " + std::to_string(activation >> 20) +
                         " MiB of activations, over the limit of " +
                         std::to_string(kMaxActivationBytes >> 20) + " MiB");
  }
  if (g.inputs.empty() || g.outputs.empty()) return Status::Error("the graph has no inputs or no outputs");
  // ready[t]: tensor t holds data by the time the current node runs.
  std::vector<bool> ready(g.tensors.size(), false);
  for (size_t i = 0; i < g.tensors.size(); ++i) ready[i] = g.tensors[i].is_constant();
  for (int32_t id : g.inputs) {
    if (id < 0 || id >= count) return Status::Error("graph input index " + std::to_string(id) + " is out of range");
    if (g.tensors[id].is_constant()) return Status::Error("graph input '" + g.tensors[id].name + "' is a constant");
    ready[id] = true;
  }
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    const Node& node = g.nodes[n];
    for (int32_t id : node.inputs) {
      if (id == -1) continue;
      if (id < 0 || id >= count) {
        return Status::Error(NodeLabel(g, n) + ": input index " + std::to_string(id) + " is out of range");
      }
      if (!ready[id]) {
        return Status::Error(NodeLabel(g, n) + ": reads tensor " + std::to_string(id) + " '" +
                             g.tensors[id].name + "' before any node produces it");
      }
    }
    for (int32_t id : node.outputs) {
      if (id < 0 || id >= count) {
        return Status::Error(NodeLabel(g, n) + ": output index " + std::to_string(id) + " is out of range");
      }
      if (ready[id]) {
        return Status::Error(NodeLabel(g, n) + ": output tensor " + std::to_string(id) + " '" +
                             g.tensors[id].name + "' is a constant, an input or already produced");
      }
      ready[id] = true;
    }
  }
  for (int32_t id : g.outputs) {
    if (id < 0 || id >= count) return Status::Error("graph output index " + std::to_string(id) + " is out of range");
    if (!ready[id] || g.tensors[id].is_constant()) {
      return Status::Error("graph output '" + g.tensors[id].name + "' is never computed");
    }
  }
  return Status::Ok();
}

}  // namespace qwasm
