#include "graph/validate.h"

#include <cmath>
#include <string>

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
    if ((t.dtype == DType::kInt8 && !ok8) || (t.dtype == DType::kInt32 && zp != 0)) {
      return Status::Error(label + " has zero point " + std::to_string(zp) + " outside its type's range");
    }
  }
  return Status::Ok();
}

}  // namespace

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
