// QDQ: QuantizeLinear / DequantizeLinear, quantized constants, and the
// planning that turns "DequantizeLinear -> operator -> QuantizeLinear" into
// one int8 operator (and folds BatchNormalization and Relu/Clip).
#include <cmath>
#include <limits>

#include "import/onnx/onnx_importer.h"

namespace qwasm::onnx {

long Importer::SoleConsumer(const std::string& name) const {
  auto it = consumers_.find(name);
  if (it == consumers_.end() || it->second.size() != 1 || graph_output_uses_.count(name)) return -1;
  const size_t i = it->second[0];
  const NodeProto& n = m_.graph.node[i];
  // Only a later default-domain node with a new output can be folded into this one.
  const bool foldable = i > node_index_ && !absorbed_[i] && !n.output.empty() && !n.output[0].empty() &&
                        !values_.count(n.output[0]) && (n.domain.empty() || n.domain == "ai.onnx");
  return foldable ? static_cast<long>(i) : -1;
}

Result<QParams> Importer::ReadQParams(const NodeProto& n) const {
  QParams q;
  const Constant* scale = NodeConstant(n, 1);
  if (!scale) return Error("the scale of '" + n.name + "' must be a constant");
  if (scale->dims.size() > 1) return Error("the scale of '" + n.name + "' must be a scalar or 1-D");
  QW_ONNX_ASSIGN(s, Floats(*scale, "scale"));
  if (s.empty()) return Error("the scale of '" + n.name + "' is empty");
  for (float v : s) {
    if (!(v > 0.0f) || !std::isfinite(v)) return Error("scale " + std::to_string(v) + " must be positive and finite");
  }
  q.scale = s;
  q.zero_point.assign(s.size(), 0);
  q.type = kUInt8;  // the default when no zero point is given
  if (const Constant* zp = NodeConstant(n, 2)) {
    if (zp->type != kUInt8 && zp->type != kInt8 && zp->type != kInt32) {
      return Error(std::string("zero point type ") + DataTypeName(zp->type) + " is not supported");
    }
    if (zp->quantized || zp->count() != static_cast<int64_t>(s.size())) {
      return Error("'" + n.name + "' has " + std::to_string(s.size()) + " scales but " +
                   std::to_string(zp->count()) + " zero points");
    }
    QW_ONNX_ASSIGN(z, Floats(*zp, "zero point"));
    for (size_t i = 0; i < z.size(); ++i) q.zero_point[i] = static_cast<int32_t>(z[i]);
    q.type = zp->type;
  } else if (n.input.size() > 2 && !n.input[2].empty()) {
    return Error("the zero point of '" + n.name + "' must be a constant");
  }
  q.axis = 1;
  if (const AttributeProto* a = n.Attr("axis")) {
    if (a->type != AttributeProto::kIntAttr || a->i < -8 || a->i > 8) return Error("invalid axis attribute");
    q.axis = static_cast<int>(a->i);
  }
  return q;
}

QuantInfo Importer::ToQuantInfo(const QParams& q) {
  QuantInfo info;
  info.scale = q.scale;
  info.zero_point = q.zero_point;
  if (q.type == kUInt8) {
    for (int32_t& z : info.zero_point) z -= 128;
  }
  info.axis = q.axis;
  return info;
}

Result<bool> Importer::ClampBounds(const NodeProto& n, float* lo, float* hi) const {
  *lo = -std::numeric_limits<float>::max();
  *hi = std::numeric_limits<float>::max();
  if (n.op_type == "Relu") {
    *lo = 0.0f;
    return true;
  }
  if (n.op_type != "Clip") return false;
  if (opset_ < 11) {
    if (const AttributeProto* a = n.Attr("min")) *lo = a->f;
    if (const AttributeProto* a = n.Attr("max")) *hi = a->f;
    return true;
  }
  for (size_t k = 1; k <= 2; ++k) {
    if (k >= n.input.size() || n.input[k].empty()) continue;
    const Constant* c = NodeConstant(n, k);
    if (!c || c->count() != 1) return false;  // computed bounds: not a fixed clamp
    QW_ONNX_ASSIGN(v, Floats(*c, "Clip bound"));
    (k == 1 ? *lo : *hi) = v[0];
  }
  return true;
}

Result<OutputPlan> Importer::PlanOutput(bool allow_batch_norm, bool allow_activation, bool allow_quantize) const {
  const std::vector<NodeProto>& nodes = m_.graph.node;
  OutputPlan p;
  p.name = node().output[0];
  long next = SoleConsumer(p.name);
  if (allow_batch_norm && next >= 0 && nodes[next].op_type == "BatchNormalization") {
    const NodeProto& bn = nodes[next];
    bool constant = bn.input.size() >= 5;
    for (size_t k = 1; constant && k < 5; ++k) constant = NodeConstant(bn, k) != nullptr;
    if (constant && (bn.output.size() == 1 || bn.output[1].empty())) {
      p.batch_norm = &bn;
      p.absorb.push_back(next);
      p.name = bn.output[0];
      next = SoleConsumer(p.name);
    }
  }
  if (allow_activation && next >= 0) {
    float lo, hi;
    Result<bool> clamp = ClampBounds(nodes[next], &lo, &hi);
    if (clamp.ok() && clamp.value()) {
      Activation act = Activation::kNone;
      if (lo == 0.0f && hi == std::numeric_limits<float>::max()) act = Activation::kRelu;
      if (lo == 0.0f && hi == 6.0f) act = Activation::kRelu6;
      if (lo == -1.0f && hi == 1.0f) act = Activation::kReluN1To1;
      if (act != Activation::kNone) {
        p.act = act;
        p.absorb.push_back(next);
        p.name = nodes[next].output[0];
        next = SoleConsumer(p.name);
      }
    }
  }
  if (allow_quantize && next >= 0 && nodes[next].op_type == "QuantizeLinear") {
    Result<QParams> q = ReadQParams(nodes[next]);
    // Invalid parameters are reported when the QuantizeLinear itself is read.
    if (q.ok() && q.value().scale.size() == 1 && q.value().type != kInt32) {
      p.quantized = true;
      p.q = q.take();
      p.absorb.push_back(next);
      p.name = nodes[next].output[0];
    }
  }
  return p;
}

Result<OutputPlan> Importer::PlanOp(const std::vector<const Value*>& acts, bool weights_ok, bool allow_batch_norm,
                                    bool allow_activation, bool* int8) const {
  bool dequantized = !acts.empty();
  for (const Value* v : acts) dequantized = dequantized && v->dequantized;
  if (dequantized && weights_ok) {
    QW_ONNX_ASSIGN(plan, PlanOutput(false, allow_activation, true));
    if (plan.quantized) {
      *int8 = true;
      return plan;
    }
  }
  *int8 = false;
  return PlanOutput(allow_batch_norm, allow_activation, false);
}

void Importer::Commit(const OutputPlan& plan) {
  for (size_t i : plan.absorb) absorbed_[i] = true;
}

Status Importer::ConvertDequantize() {
  QW_ONNX_ASSIGN(x, Input(0));
  QW_ONNX_ASSIGN(q, ReadQParams(node()));
  const bool per_axis = q.scale.size() > 1;
  if (x->constant) {
    const Constant& c = x->c;
    if (c.quantized) return Error("input 0 is already dequantized");
    if (c.type != kUInt8 && c.type != kInt8 && c.type != kInt32) {
      return Error(std::string("cannot dequantize a constant of type ") + DataTypeName(c.type));
    }
    if (HasInput(2) && q.type != c.type) {
      return Error(std::string("zero point type ") + DataTypeName(q.type) + " differs from the input type " +
                   DataTypeName(c.type));
    }
    Value out = *x;
    out.c.quantized = true;
    out.c.scale = q.scale;
    out.c.zero_point = q.zero_point;
    out.c.axis = 0;
    if (per_axis) {
      const int rank = static_cast<int>(c.dims.size());
      const int axis = q.axis < 0 ? q.axis + rank : q.axis;
      if (axis < 0 || axis >= rank || c.dims[axis] != static_cast<int64_t>(q.scale.size())) {
        return Error(std::to_string(q.scale.size()) + " scales do not match axis " + std::to_string(q.axis) +
                     " of the input's shape");
      }
      out.c.axis = axis;
    }
    Define(node().output[0], out);
    return Status::Ok();
  }
  const Tensor& t = g_->tensors[x->tensor];
  if (x->dequantized || t.dtype != DType::kInt8) {
    return Error("input 0 '" + node().input[0] + "' is " + (x->dequantized ? "float" : DTypeName(t.dtype)) +
                 ", expected an 8-bit quantized tensor");
  }
  if (per_axis) return Error("per-axis quantization of activations is not supported");
  if (q.type == kInt32 || (HasInput(2) && (q.type == kUInt8) != t.was_uint8)) {
    return Error(std::string("zero point type ") + DataTypeName(q.type) + " differs from the input type " +
                 (t.was_uint8 ? "UINT8" : "INT8"));
  }
  QW_RETURN_IF_ERROR(SetTensorQuant(x->tensor, ToQuantInfo(q)));
  Value out = *x;
  out.dequantized = true;
  Define(node().output[0], out);
  return Status::Ok();
}

Status Importer::ConvertQuantize() {
  QW_ONNX_ASSIGN(x, Input(0));
  if (x->constant) return Error("QuantizeLinear of a constant is not supported");
  QW_ONNX_ASSIGN(q, ReadQParams(node()));
  if (q.scale.size() != 1) return Error("per-axis quantization of activations is not supported");
  if (q.type == kInt32) return Error("quantizing to int32 is not supported");
  OutputPlan plan;
  plan.name = node().output[0];
  plan.quantized = true;
  plan.q = q;
  const QuantInfo target = ToQuantInfo(q);
  if (x->dequantized) {
    const QuantInfo& have = TensorQuant(x->tensor);
    if (have.zero_point == target.zero_point && have.scale == target.scale) {
      Value out = *x;  // DequantizeLinear then QuantizeLinear with the same parameters: the same bytes
      out.dequantized = false;
      Define(plan.name, out);
      return Status::Ok();
    }
    QW_ONNX_ASSIGN(out, DefineOutput(plan, x->shape, x->perm));
    AddNode(OpType::kQuantize, {x->tensor}, out);  // int8 -> int8 requantization
    return Status::Ok();
  }
  QW_ONNX_ASSIGN(in, FloatTensor(*x));
  QW_ONNX_ASSIGN(out, DefineOutput(plan, x->shape, x->perm));
  AddNode(OpType::kQuantize, {in}, out);
  return Status::Ok();
}

}  // namespace qwasm::onnx
