// Operators without weights: activations, Add / Mul, pooling, data
// movement (Reshape, Flatten, Transpose, Concat, Pad, Identity, Dropout),
// Softmax and Constant.
#include <cmath>
#include <cstring>

#include "import/onnx/onnx_importer.h"

namespace qwasm::onnx {
namespace {

int64_t Product(const std::vector<int32_t>& s, size_t begin, size_t end) {
  int64_t n = 1;
  for (size_t i = begin; i < end; ++i) n *= s[i];
  return n;
}

Result<int> NormalizeAxis(int64_t axis, size_t rank) {
  const int64_t r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r) return Status::Error("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return static_cast<int>(axis < 0 ? axis + r : axis);
}

}  // namespace

Result<int32_t> Importer::DefineMoved(const Value& x, const std::string& name, const std::vector<int32_t>& shape,
                                      const Perm& perm) {
  QW_RETURN_IF_ERROR(CheckShape(shape));
  const Tensor& src = g_->tensors[x.tensor];
  const DType dtype = src.dtype;
  const bool was_uint8 = src.was_uint8;
  const int32_t id = AddTensor(name, dtype, StorageShape(shape, perm));
  g_->tensors[id].was_uint8 = was_uint8;
  ShareQuant(x.tensor, id);
  Value v;
  v.tensor = id;
  v.shape = shape;
  v.perm = perm;
  v.dequantized = x.dequantized;
  Define(name, v);
  return id;
}

Status Importer::ConvertUnary() {
  QW_ONNX_ASSIGN(x, ActivationInput(0));
  const std::string& op = node().op_type;
  OpAttrs a;
  OpType type;
  if (op == "Relu" || op == "Clip") {
    type = OpType::kClamp;
    QW_ONNX_ASSIGN(fixed, ClampBounds(node(), &a.clamp_min, &a.clamp_max));
    if (!fixed) return Error("Clip bounds must be constant scalars");
    if (!(a.clamp_min <= a.clamp_max)) return Error("Clip min " + std::to_string(a.clamp_min) + " exceeds max " + std::to_string(a.clamp_max));
  } else if (op == "HardSwish") {
    type = OpType::kHardSwish;
  } else if (op == "HardSigmoid") {
    type = OpType::kHardSigmoid;
    QW_ONNX_ASSIGN(alpha, FloatAttr("alpha", 0.2f));
    QW_ONNX_ASSIGN(beta, FloatAttr("beta", 0.5f));
    a.hard_alpha = alpha;
    a.hard_beta = beta;
  } else {
    type = OpType::kLogistic;  // Sigmoid
  }
  bool int8 = false;
  QW_ONNX_ASSIGN(plan, PlanOp({x}, true, false, false, &int8));
  Commit(plan);
  QW_ONNX_ASSIGN(in, OperandTensor(*x, int8));
  QW_ONNX_ASSIGN(out, DefineOutput(plan, x->shape, x->perm));
  AddNode(type, {in}, out, a);
  return Status::Ok();
}

Status Importer::ConvertBinary() {
  QW_ONNX_ASSIGN(a0, Input(0));
  QW_ONNX_ASSIGN(b0, Input(1));
  if (a0->constant && b0->constant) return Error("both inputs are constants (constant folding is not supported)");
  // Add and Mul commute: make input 0 the computed one.
  const Value* a = a0->constant ? b0 : a0;
  const Value* b = a0->constant ? a0 : b0;
  const OpType type = node().op_type == "Add" ? OpType::kAdd : OpType::kMul;
  bool int8 = false;
  int32_t other = -1;
  OutputPlan plan;
  if (!b->constant) {
    if (a->shape != b->shape) {
      return Error("broadcasting between computed tensors " + ShapeString(a->shape) + " and " + ShapeString(b->shape) +
                   " is not supported");
    }
    QW_ONNX_ASSIGN(p, PlanOp({a, b}, true, false, true, &int8));
    plan = p;
    Commit(plan);
    QW_ONNX_ASSIGN(bs, WithPerm(*b, a->perm));
    QW_ONNX_ASSIGN(t, OperandTensor(bs, int8));
    other = t;
  } else {
    // A constant broadcasts from the right; store it in a's layout.
    const Constant& c = b->c;
    const size_t rank = a->shape.size();
    if (c.dims.size() > rank) return Error("constant input has more dims than the computed one");
    std::vector<int64_t> dims(rank - c.dims.size(), 1);
    dims.insert(dims.end(), c.dims.begin(), c.dims.end());
    for (size_t d = 0; d < rank; ++d) {
      if (dims[d] != 1 && dims[d] != a->shape[d]) {
        return Error("constant of shape " + ShapeString(std::vector<int32_t>(c.dims.begin(), c.dims.end())) +
                     " does not broadcast to " + ShapeString(a->shape));
      }
    }
    const std::vector<int32_t> shape = StorageShape(std::vector<int32_t>(dims.begin(), dims.end()), a->perm);
    const bool c_q = c.quantized && (c.type == kUInt8 || c.type == kInt8) && c.scale.size() == 1;
    QW_ONNX_ASSIGN(p, PlanOp({a}, c_q, false, true, &int8));
    plan = p;
    Commit(plan);
    const std::string& cname = a0->constant ? node().input[0] : node().input[1];
    if (int8) {
      std::vector<uint8_t> raw(c.data, c.data + c.bytes);
      if (c.type == kUInt8) {
        for (uint8_t& v : raw) v ^= 0x80;
      }
      QuantInfo q;
      q.scale = c.scale;
      q.zero_point = {c.zero_point[0] - (c.type == kUInt8 ? 128 : 0)};
      other = AddConstant(cname, DType::kInt8, shape, PermuteData(raw, dims, a->perm), q);
    } else {
      QW_ONNX_ASSIGN(v, Floats(c, "constant input"));
      other = AddFloatConstant(cname, shape, PermuteData(v, dims, a->perm));
    }
  }
  QW_ONNX_ASSIGN(in, OperandTensor(*a, int8));
  OpAttrs attrs;
  attrs.activation = plan.act;
  // A QDQ Add computes what ONNX Runtime's QLinearAdd computes (float32
  // rescaling), not TFLite's fixed-point approximation of it.
  attrs.onnx_numerics = int8 && type == OpType::kAdd;
  QW_ONNX_ASSIGN(out, DefineOutput(plan, a->shape, a->perm));
  AddNode(type, {in, other}, out, attrs);
  return Status::Ok();
}

Status Importer::ConvertPool() {
  QW_ONNX_ASSIGN(x, ActivationInput(0));
  if (x->shape.size() != 4) return Error("input has shape " + ShapeString(x->shape) + "; only 2-D pooling (4-D input) is supported");
  const std::string& op = node().op_type;
  QW_ONNX_ASSIGN(xs, WithPerm(*x, DefaultPerm(4)));
  if (op == "GlobalAveragePool") {
    bool int8 = false;
    QW_ONNX_ASSIGN(plan, PlanOp({x}, true, false, false, &int8));
    Commit(plan);
    QW_ONNX_ASSIGN(in, OperandTensor(xs, int8));
    // MEAN over H, W with keep_dims, axes as a constant int32 input (as TFLite stores it).
    std::vector<uint8_t> axes(8);
    const int32_t hw[2] = {1, 2};
    std::memcpy(axes.data(), hw, 8);
    const int32_t axes_tensor = AddConstant(plan.name + "_axes", DType::kInt32, {2}, std::move(axes));
    OpAttrs a;
    a.keep_dims = true;
    QW_ONNX_ASSIGN(out, DefineOutput(plan, {x->shape[0], x->shape[1], 1, 1}, DefaultPerm(4)));
    AddNode(OpType::kMean, {in, axes_tensor}, out, a);
    return Status::Ok();
  }
  QW_ONNX_ASSIGN(kernel, IntsAttr("kernel_shape"));
  if (kernel.size() != 2) return Error("kernel_shape must have 2 values");
  QW_ONNX_ASSIGN(win, ReadWindow(x->shape, static_cast<int32_t>(std::min<int64_t>(kernel[0], 1 << 20)),
                                 static_cast<int32_t>(std::min<int64_t>(kernel[1], 1 << 20)), true));
  if (win.attrs.dilation_h != 1 || win.attrs.dilation_w != 1) return Error("dilated pooling is not supported");
  const std::vector<int32_t> out_shape = {x->shape[0], x->shape[1], win.out_h, win.out_w};
  OpAttrs a = win.attrs;
  if (op == "MaxPool") {
    QW_ONNX_ASSIGN(order, IntAttr("storage_order", 0));
    (void)order;  // only affects the Indices output, which is not computed
    // Max commutes with (de)quantization: int8 data stays int8 with its scale.
    QW_ONNX_ASSIGN(out, DefineMoved(xs, node().output[0], out_shape, DefaultPerm(4)));
    AddNode(OpType::kMaxPool2D, {xs.tensor}, out, a);
    return Status::Ok();
  }
  QW_ONNX_ASSIGN(include_pad, IntAttr("count_include_pad", 0));
  a.count_include_pad = include_pad != 0;
  if (a.count_include_pad && a.padding == Padding::kSame) a.padding = Padding::kExplicit;  // SAME excludes padding
  bool int8 = false;
  QW_ONNX_ASSIGN(plan, PlanOp({x}, true, false, false, &int8));
  Commit(plan);
  QW_ONNX_ASSIGN(in, OperandTensor(xs, int8));
  QW_ONNX_ASSIGN(out, DefineOutput(plan, out_shape, DefaultPerm(4)));
  AddNode(OpType::kAveragePool2D, {in}, out, a);
  return Status::Ok();
}

Status Importer::ConvertReshape() {
  QW_ONNX_ASSIGN(x, ActivationInput(0));
  const std::vector<int32_t>& in = x->shape;
  const int64_t count = Product(in, 0, in.size());
  std::vector<int32_t> shape;
  if (node().op_type == "Flatten") {
    QW_ONNX_ASSIGN(axis_attr, IntAttr("axis", 1));
    const int64_t r = static_cast<int64_t>(in.size());
    if (axis_attr < -r || axis_attr > r) return Error("axis " + std::to_string(axis_attr) + " is out of range");
    const size_t axis = static_cast<size_t>(axis_attr < 0 ? axis_attr + r : axis_attr);
    shape = {static_cast<int32_t>(Product(in, 0, axis)), static_cast<int32_t>(Product(in, axis, in.size()))};
  } else {
    QW_ONNX_ASSIGN(sc, ConstantInput(1));
    QW_ONNX_ASSIGN(target, Ints(*sc, "shape"));
    QW_ONNX_ASSIGN(allowzero, IntAttr("allowzero", 0));
    if (target.size() > kMaxDims) return Error("target shape has " + std::to_string(target.size()) + " dims");
    int infer = -1;
    int64_t known = 1;
    for (size_t i = 0; i < target.size(); ++i) {
      int64_t d = target[i];
      if (d == 0 && allowzero == 0) {
        if (i >= in.size()) return Error("shape entry 0 at position " + std::to_string(i) + " has no input dim to copy");
        d = in[i];
      }
      if (d == -1) {
        if (infer >= 0) return Error("more than one -1 in the target shape");
        infer = static_cast<int>(i);
        shape.push_back(1);
        continue;
      }
      if (d < 1 || d > count) return Error("target shape entry " + std::to_string(target[i]) + " is not supported");
      known *= d;
      if (known > count) break;
      shape.push_back(static_cast<int32_t>(d));
    }
    if (infer >= 0 && known <= count && count % known == 0) shape[infer] = static_cast<int32_t>(count / known);
    if (Product(shape, 0, shape.size()) != count || shape.size() != target.size()) {
      return Error("cannot reshape " + ShapeString(in) + " to the target shape");
    }
  }
  // RESHAPE keeps bytes: the input must be in logical order first.
  Value xs = *x;
  if (!SameBytesAsLogical(in, x->perm)) {
    QW_ONNX_ASSIGN(t, WithPerm(*x, IdentityPerm(in.size())));
    xs = t;
  }
  const Perm out_perm = SameBytesAsLogical(shape, DefaultPerm(shape.size())) ? DefaultPerm(shape.size())
                                                                               : IdentityPerm(shape.size());
  QW_ONNX_ASSIGN(out, DefineMoved(xs, node().output[0], shape, out_perm));
  AddNode(OpType::kReshape, {xs.tensor}, out);
  return Status::Ok();
}

Status Importer::ConvertTranspose() {
  QW_ONNX_ASSIGN(x, ActivationInput(0));
  const size_t rank = x->shape.size();
  QW_ONNX_ASSIGN(attr, IntsAttr("perm"));
  Perm t(rank);
  if (attr.empty()) {  // default: reverse the axes
    for (size_t i = 0; i < rank; ++i) t[i] = static_cast<int32_t>(rank - 1 - i);
  } else {
    if (attr.size() != rank) return Error("perm has " + std::to_string(attr.size()) + " entries for rank " + std::to_string(rank));
    for (size_t i = 0; i < rank; ++i) t[i] = attr[i] >= 0 && attr[i] < static_cast<int64_t>(rank) ? static_cast<int32_t>(attr[i]) : -1;
  }
  if (!IsPermutation(t, rank)) return Error("perm is not a permutation");
  std::vector<int32_t> shape(rank);
  for (size_t i = 0; i < rank; ++i) shape[i] = x->shape[t[i]];
  const Perm out_perm = DefaultPerm(rank);
  // IR axis j of the result = logical axis t[out_perm[j]] of the input.
  const Perm inv = Inverse(x->perm);
  Perm q(rank);
  for (size_t j = 0; j < rank; ++j) q[j] = inv[t[out_perm[j]]];
  if (IsIdentity(q)) {  // the stored bytes already are the result
    Value v = *x;
    v.shape = shape;
    v.perm = out_perm;
    Define(node().output[0], v);
    return Status::Ok();
  }
  OpAttrs a;
  a.perm = q;
  QW_ONNX_ASSIGN(out, DefineMoved(*x, node().output[0], shape, out_perm));
  AddNode(OpType::kTranspose, {x->tensor}, out, a);
  return Status::Ok();
}

Status Importer::ConvertConcat() {
  const size_t n = num_inputs();
  if (n == 0) return Error("no inputs");
  std::vector<const Value*> acts;
  for (size_t k = 0; k < n; ++k) {
    QW_ONNX_ASSIGN(v, ActivationInput(k));
    acts.push_back(v);
  }
  const Value& first = *acts[0];
  const size_t rank = first.shape.size();
  QW_ONNX_ASSIGN(axis_attr, IntAttr("axis", 0));
  Result<int> axis = NormalizeAxis(axis_attr, rank);
  if (!axis.ok()) return Error(axis.status().message());
  std::vector<int32_t> shape = first.shape;
  int64_t total = 0;
  for (const Value* v : acts) {
    bool ok = v->shape.size() == rank;
    for (size_t d = 0; ok && d < rank; ++d) ok = static_cast<int>(d) == axis.value() || v->shape[d] == shape[d];
    if (!ok) return Error("input shapes " + ShapeString(first.shape) + " and " + ShapeString(v->shape) + " do not concatenate");
    total += v->shape[axis.value()];
  }
  if (total > kMaxElements) return Error("the result is too large");
  shape[axis.value()] = static_cast<int32_t>(total);
  bool int8 = false;
  QW_ONNX_ASSIGN(plan, PlanOp(acts, true, false, false, &int8));
  Commit(plan);
  std::vector<int32_t> inputs;
  for (const Value* v : acts) {
    QW_ONNX_ASSIGN(vs, WithPerm(*v, first.perm));
    QW_ONNX_ASSIGN(t, OperandTensor(vs, int8));
    inputs.push_back(t);
  }
  OpAttrs a;
  a.axis = Inverse(first.perm)[axis.value()];
  QW_ONNX_ASSIGN(out, DefineOutput(plan, shape, first.perm));
  AddNode(OpType::kConcatenation, inputs, out, a);
  return Status::Ok();
}

Status Importer::ConvertPad() {
  QW_ONNX_ASSIGN(x, ActivationInput(0));
  const size_t rank = x->shape.size();
  QW_ONNX_ASSIGN(mode, StringAttr("mode", "constant"));
  if (mode != "constant") return Error("pad mode '" + mode + "' is not supported (only constant)");
  std::vector<int64_t> pads;
  float value = 0.0f;
  if (opset() >= 11) {
    QW_ONNX_ASSIGN(pc, ConstantInput(1));
    QW_ONNX_ASSIGN(p, Ints(*pc, "pads"));
    pads = p;
    if (HasInput(2)) {
      QW_ONNX_ASSIGN(vc, ConstantInput(2));
      if (vc->count() != 1) return Error("constant_value must be a scalar");
      QW_ONNX_ASSIGN(v, Floats(*vc, "constant_value"));
      value = v[0];
    }
    if (HasInput(3)) return Error("the axes input is not supported");
  } else {
    QW_ONNX_ASSIGN(p, IntsAttr("pads"));
    QW_ONNX_ASSIGN(v, FloatAttr("value", 0.0f));
    pads = p;
    value = v;
  }
  if (pads.size() != 2 * rank) return Error("pads has " + std::to_string(pads.size()) + " values for rank " + std::to_string(rank));
  const Tensor& t = g_->tensors[x->tensor];
  if (t.dtype != DType::kFloat32 && !x->dequantized) return Error("padding a quantized tensor is not supported");
  std::vector<int32_t> shape = x->shape;
  for (size_t d = 0; d < rank; ++d) {
    if (pads[d] < 0 || pads[rank + d] < 0 || pads[d] > 65536 || pads[rank + d] > 65536) {
      return Error("pads must lie in 0..65536 (cropping is not supported)");
    }
    shape[d] += static_cast<int32_t>(pads[d] + pads[rank + d]);
  }
  OpAttrs a;
  for (size_t j = 0; j < rank; ++j) {
    a.paddings.push_back(static_cast<int32_t>(pads[x->perm[j]]));
    a.paddings.push_back(static_cast<int32_t>(pads[rank + x->perm[j]]));
  }
  a.pad_value = value;
  QW_ONNX_ASSIGN(out, DefineMoved(*x, node().output[0], shape, x->perm));
  AddNode(OpType::kPad, {x->tensor}, out, a);
  return Status::Ok();
}

Status Importer::ConvertSoftmax() {
  QW_ONNX_ASSIGN(x, ActivationInput(0));
  const size_t rank = x->shape.size();
  QW_ONNX_ASSIGN(axis_attr, IntAttr("axis", opset() >= 13 ? -1 : 1));
  Result<int> axis = NormalizeAxis(axis_attr, rank);
  if (!axis.ok()) return Error(axis.status().message());
  if (static_cast<size_t>(axis.value()) != rank - 1) {
    return Error("Softmax over axis " + std::to_string(axis_attr) + " of a rank-" + std::to_string(rank) +
                 " tensor is not supported (only the last axis)");
  }
  bool int8 = false;
  QW_ONNX_ASSIGN(plan, PlanOp({x}, true, false, false, &int8));
  Commit(plan);
  Value xs = *x;
  if (x->perm.back() != axis.value()) {
    QW_ONNX_ASSIGN(t, WithPerm(*x, IdentityPerm(rank)));
    xs = t;
  }
  QW_ONNX_ASSIGN(in, OperandTensor(xs, int8));
  OpAttrs a;
  a.beta = 1.0f;
  a.onnx_numerics = int8;  // ONNX Runtime's QLinearSoftmax arithmetic
  QW_ONNX_ASSIGN(out, DefineOutput(plan, x->shape, xs.perm));
  AddNode(OpType::kSoftmax, {in}, out, a);
  return Status::Ok();
}

Status Importer::ConvertIdentity() {
  QW_ONNX_ASSIGN(x, Input(0));
  if (node().op_type == "Dropout" && HasInput(2)) {
    const Constant* mode = NodeConstant(node(), 2);
    if (!mode) return Error("training_mode must be a constant");
    QW_ONNX_ASSIGN(v, Floats(*mode, "training_mode"));
    if (!v.empty() && v[0] != 0.0f) return Error("training_mode=true is not supported");
  }
  Define(node().output[0], *x);
  return Status::Ok();
}

Status Importer::ConvertConstant() {
  Value v;
  v.constant = true;
  Constant& c = v.c;
  const AttributeProto* a = node().attribute.size() == 1 ? &node().attribute[0] : nullptr;
  if (!a) return Error("a Constant needs exactly one attribute");
  if (a->name == "value" && a->type == AttributeProto::kTensorAttr && a->t.size() == 1) {
    Result<Constant> made = MakeConstant(a->t[0]);
    if (!made.ok()) return Error(made.status().message());
    c = made.take();
    // The value may borrow from the decoded model, which outlives the import.
  } else if ((a->name == "value_float" && a->type == AttributeProto::kFloatAttr) ||
             (a->name == "value_floats" && a->type == AttributeProto::kFloatsAttr)) {
    const std::vector<float> f = a->type == AttributeProto::kFloatAttr ? std::vector<float>{a->f} : a->floats;
    c.type = kFloat;
    if (a->type == AttributeProto::kFloatsAttr) c.dims = {static_cast<int64_t>(f.size())};
    c.storage = std::make_shared<std::vector<uint8_t>>(f.size() * 4);
    if (!f.empty()) std::memcpy(c.storage->data(), f.data(), f.size() * 4);
  } else if ((a->name == "value_int" && a->type == AttributeProto::kIntAttr) ||
             (a->name == "value_ints" && a->type == AttributeProto::kIntsAttr)) {
    const std::vector<int64_t> i = a->type == AttributeProto::kIntAttr ? std::vector<int64_t>{a->i} : a->ints;
    c.type = kInt64;
    if (a->type == AttributeProto::kIntsAttr) c.dims = {static_cast<int64_t>(i.size())};
    c.storage = std::make_shared<std::vector<uint8_t>>(i.size() * 8);
    if (!i.empty()) std::memcpy(c.storage->data(), i.data(), i.size() * 8);
  } else {
    return Error("Constant attribute '" + a->name + "' is not supported");
  }
  if (c.storage) {
    c.data = c.storage->data();
    c.bytes = c.storage->size();
  }
  Define(node().output[0], v);
  return Status::Ok();
}

}  // namespace qwasm::onnx
