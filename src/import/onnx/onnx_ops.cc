// Operators without weights: activations, Add / Mul, pooling, data
// movement (Reshape, Flatten, Transpose, Concat, Pad, Identity, Dropout),
// Softmax and Constant.
#include <algorithm>
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

// True when `part` (IR shape) broadcasts over `full` the way the IR's
// binary operators take it: leading 1s dropped, the rest equal to full's
// trailing dims ([C] or [1, 1, 1, C] over [N, H, W, C]; a scalar; the same shape).
static bool TrailingBroadcast(const std::vector<int32_t>& part, const std::vector<int32_t>& full) {
  size_t lead = 0;
  while (lead < part.size() && part[lead] == 1) ++lead;
  const size_t rest = part.size() - lead;
  return rest <= full.size() && std::equal(part.begin() + lead, part.end(), full.end() - rest);
}

// Add, Mul, Sub, Div. Sub / Div by a constant become Add / Mul of its
// negation / reciprocal; Sub of two computed tensors is a + (-1 * b).
// Computed tensors broadcast when one of them, stored in the other's
// layout, covers that one's trailing dims (squeeze-and-excitation's
// [N, C, 1, 1] x [N, C, H, W]); constants broadcast from the right.
Status Importer::ConvertBinary() {
  QW_ONNX_ASSIGN(a0, Input(0));
  QW_ONNX_ASSIGN(b0, Input(1));
  const std::string& op = node().op_type;
  if (a0->constant && b0->constant) return Error("both inputs are constants and the node was not folded");
  if ((op == "Sub" || op == "Div") && a0->constant) {
    return Error(op + " of a constant by a computed tensor is not supported");
  }
  if (op == "Div" && !b0->constant) return Error("Div by a computed tensor is not supported (only by constants)");
  if (op == "Sub" && !b0->constant) return ConvertSubtract(*a0, *b0);
  // Add and Mul commute: make input 0 the computed one.
  const Value* a = a0->constant ? b0 : a0;
  const Value* b = a0->constant ? a0 : b0;
  const OpType type = op == "Add" || op == "Sub" ? OpType::kAdd : OpType::kMul;
  bool int8 = false;
  int32_t other = -1;
  OutputPlan plan;
  std::vector<int32_t> out_shape = a->shape;
  if (!b->constant) {
    if (a->shape.size() != b->shape.size()) {
      return Error("computed inputs of ranks " + std::to_string(a->shape.size()) + " and " +
                   std::to_string(b->shape.size()) + " do not broadcast (equal ranks only)");
    }
    // The full-size operand first; the other is stored in its layout.
    bool swap = false;
    for (size_t d = 0; d < a->shape.size(); ++d) swap |= a->shape[d] == 1 && b->shape[d] != 1;
    if (swap) std::swap(a, b);
    out_shape = a->shape;
    bool fits = true;
    for (size_t d = 0; d < a->shape.size(); ++d) fits = fits && (b->shape[d] == a->shape[d] || b->shape[d] == 1);
    if (!fits || !TrailingBroadcast(StorageShape(b->shape, a->perm), StorageShape(a->shape, a->perm))) {
      return Error("broadcasting between computed tensors " + ShapeString(a0->shape) + " and " + ShapeString(b0->shape) +
                   " is not supported (one must have the other's shape, or 1 in every dim but the channels)");
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
    const bool rewrite = op == "Sub" || op == "Div";  // the constant changes: it is float from here on
    const bool c_q = !rewrite && c.quantized && (c.type == kUInt8 || c.type == kInt8) && c.scale.size() == 1;
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
      for (float& x : v) {
        if (op == "Sub") x = -x;
        if (op == "Div") x = 1.0f / x;
      }
      other = AddFloatConstant(cname, shape, PermuteData(v, dims, a->perm));
    }
  }
  QW_ONNX_ASSIGN(in, OperandTensor(*a, int8));
  OpAttrs attrs;
  attrs.activation = plan.act;
  // A QDQ Add computes what ONNX Runtime's QLinearAdd computes (float32
  // rescaling), not TFLite's fixed-point approximation of it.
  attrs.onnx_numerics = int8 && type == OpType::kAdd;
  QW_ONNX_ASSIGN(out, DefineOutput(plan, out_shape, a->perm));
  AddNode(type, {in, other}, out, attrs);
  return Status::Ok();
}

// a - b of two computed tensors of one shape, in float: a + (-1 * b).
Status Importer::ConvertSubtract(const Value& a, const Value& b) {
  if (a.shape != b.shape) {
    return Error("Sub of computed tensors " + ShapeString(a.shape) + " and " + ShapeString(b.shape) +
                 " is not supported (equal shapes only)");
  }
  QW_ONNX_ASSIGN(plan, PlanOutput(false, true, false));
  Commit(plan);
  QW_ONNX_ASSIGN(ta, FloatTensor(a));
  QW_ONNX_ASSIGN(bs, WithPerm(b, a.perm));
  QW_ONNX_ASSIGN(tb, FloatTensor(bs));
  const int32_t minus_one = AddFloatConstant(plan.name + "_minus_one", {1}, {-1.0f});
  const int32_t negated = AddTensor(plan.name + "_negated", DType::kFloat32, StorageShape(a.shape, a.perm));
  AddNode(OpType::kMul, {tb, minus_one}, negated);
  OpAttrs attrs;
  attrs.activation = plan.act;
  QW_ONNX_ASSIGN(out, DefineOutput(plan, a.shape, a.perm));
  AddNode(OpType::kAdd, {ta, negated}, out, attrs);
  return Status::Ok();
}

Status Importer::ConvertPool() {
  QW_ONNX_ASSIGN(x, ActivationInput(0));
  if (x->shape.size() != 4) return Error("input has shape " + ShapeString(x->shape) + "; only 2-D pooling (4-D input) is supported");
  const std::string& op = node().op_type;
  QW_ONNX_ASSIGN(xs, WithPerm(*x, DefaultPerm(4)));
  if (op == "GlobalAveragePool") return SpatialReduce(*x, false, true);
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
  if (a.count_include_pad && win.ceil_padding) {
    return Error("count_include_pad=1 with ceil_mode=1 adding a partial window is not supported");
  }
  if (a.count_include_pad && a.padding == Padding::kSame) a.padding = Padding::kExplicit;  // SAME excludes padding
  bool int8 = false;
  QW_ONNX_ASSIGN(plan, PlanOp({x}, true, false, false, &int8));
  Commit(plan);
  QW_ONNX_ASSIGN(in, OperandTensor(xs, int8));
  QW_ONNX_ASSIGN(out, DefineOutput(plan, out_shape, DefaultPerm(4)));
  AddNode(OpType::kAveragePool2D, {in}, out, a);
  return Status::Ok();
}

// Mean or max over the spatial axes of a 4-D tensor: MEAN over NHWC axes
// {1, 2}, or a MAX_POOL_2D whose window is the whole image (then a RESHAPE
// when the dims are not kept).
Status Importer::SpatialReduce(const Value& x, bool max, bool keep_dims) {
  QW_ONNX_ASSIGN(xs, WithPerm(x, DefaultPerm(4)));
  const std::vector<int32_t> kept = {x.shape[0], x.shape[1], 1, 1};
  const std::vector<int32_t> shape = keep_dims ? kept : std::vector<int32_t>{x.shape[0], x.shape[1]};
  const Perm perm = DefaultPerm(shape.size());
  if (max) {
    OpAttrs a;
    a.filter_h = x.shape[2];
    a.filter_w = x.shape[3];
    a.padding = Padding::kValid;
    const std::string name = keep_dims ? node().output[0] : node().output[0] + "_pooled";
    QW_ONNX_ASSIGN(pooled, DefineMoved(xs, name, kept, DefaultPerm(4)));
    AddNode(OpType::kMaxPool2D, {xs.tensor}, pooled, a);
    if (keep_dims) return Status::Ok();
    Value p = values_.at(name);
    QW_ONNX_ASSIGN(out, DefineMoved(p, node().output[0], shape, perm));
    AddNode(OpType::kReshape, {pooled}, out);
    return Status::Ok();
  }
  bool int8 = false;
  QW_ONNX_ASSIGN(plan, PlanOp({&x}, true, false, false, &int8));
  Commit(plan);
  QW_ONNX_ASSIGN(in, OperandTensor(xs, int8));
  // MEAN over H, W, axes as a constant int32 input (as TFLite stores it).
  std::vector<uint8_t> axes(8);
  const int32_t hw[2] = {1, 2};
  std::memcpy(axes.data(), hw, 8);
  const int32_t axes_tensor = AddConstant(plan.name + "_axes", DType::kInt32, {2}, std::move(axes));
  OpAttrs a;
  a.keep_dims = keep_dims;
  QW_ONNX_ASSIGN(out, DefineOutput(plan, shape, perm));
  AddNode(OpType::kMean, {in, axes_tensor}, out, a);
  return Status::Ok();
}

// ReduceMean / ReduceMax over the spatial axes (axes as attribute, or as
// input 1 from opset 18), GlobalMaxPool.
Status Importer::ConvertReduce() {
  QW_ONNX_ASSIGN(x, ActivationInput(0));
  const std::string& op = node().op_type;
  if (op == "GlobalMaxPool") {
    if (x->shape.size() != 4) return Error("only 4-D inputs are supported");
    return SpatialReduce(*x, true, true);
  }
  QW_ONNX_ASSIGN(axes, IntsInputOrAttr(1, "axes"));
  QW_ONNX_ASSIGN(keep, IntAttr("keepdims", 1));
  const int64_t rank = static_cast<int64_t>(x->shape.size());
  for (int64_t& a : axes) a = a < 0 ? a + rank : a;
  std::sort(axes.begin(), axes.end());
  if (rank != 4 || axes != std::vector<int64_t>{2, 3}) {
    return Error(op + " over axes " + ShapeString(std::vector<int32_t>(axes.begin(), axes.end())) + " of a rank-" +
                 std::to_string(rank) + " tensor is not supported (only the spatial axes [2, 3] of a 4-D tensor)");
  }
  return SpatialReduce(*x, op == "ReduceMax", keep != 0);
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
  return ReshapeTo(*x, shape);
}

// RESHAPE keeps bytes. The input keeps its storage when the axes the
// reshape merges or splits lie together in it (NHWC channels split into
// groups for a channel shuffle, [N, C, 1, 1] to [N, C]); else one
// TRANSPOSE puts them together. The result is stored in the same order.
Status Importer::ReshapeTo(const Value& x, const std::vector<int32_t>& shape) {
  Perm in_perm, out_perm;
  if (!PlanReshape(x.shape, x.perm, shape, &in_perm, &out_perm)) {
    return Error("cannot reshape " + ShapeString(x.shape) + " to " + ShapeString(shape));
  }
  Value xs = x;
  if (!SameBytes(x.shape, x.perm, in_perm)) {
    QW_ONNX_ASSIGN(t, WithPerm(x, in_perm));
    xs = t;
  }
  // Prefer the layouts other operators want when they are the same bytes.
  for (const Perm& p : {DefaultPerm(shape.size()), IdentityPerm(shape.size())}) {
    if (SameBytes(shape, out_perm, p)) {
      out_perm = p;
      break;
    }
  }
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
  // No bytes move: the result is the input's storage read with another
  // logical order (out axis j is input axis t[j]). Operators that need a
  // layout transpose when they read it (WithPerm), usually never.
  const Perm inv = Inverse(t);
  Value v = *x;
  v.shape = shape;
  for (size_t j = 0; j < rank; ++j) v.perm[j] = inv[x->perm[j]];
  Define(node().output[0], v);
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
    for (float x : f) {
      if (std::isnan(x) || (std::isinf(x) && f.size() > 1)) return Error("attribute '" + a->name + "' holds a non-finite value");
    }
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

namespace qwasm::onnx {

// One SLICE node: the box [begin, begin + size) of the logical axes of x,
// as elements cut off each IR axis (or an alias when nothing is cut).
Status Importer::SliceTo(const Value& x, const std::string& name, const std::vector<int64_t>& begin,
                         const std::vector<int32_t>& shape) {
  const size_t rank = x.shape.size();
  OpAttrs a;
  bool cut = false;
  for (size_t j = 0; j < rank; ++j) {
    const int32_t axis = x.perm[j];
    const int64_t after = x.shape[axis] - begin[axis] - shape[axis];
    a.paddings.push_back(static_cast<int32_t>(begin[axis]));
    a.paddings.push_back(static_cast<int32_t>(after));
    cut |= begin[axis] != 0 || after != 0;
  }
  if (!cut) {
    Define(name, x);
    return Status::Ok();
  }
  QW_ONNX_ASSIGN(out, DefineMoved(x, name, shape, x.perm));
  AddNode(OpType::kSlice, {x.tensor}, out, a);
  return Status::Ok();
}

// Slice (steps of 1) and Split of a computed tensor: SLICE nodes.
Status Importer::ConvertSlice() {
  QW_ONNX_ASSIGN(x, ActivationInput(0));
  const Value xv = *x;  // Define() below may rehash values_
  const size_t rank = xv.shape.size();
  const std::vector<int64_t> in(xv.shape.begin(), xv.shape.end());
  if (node().op_type == "Slice") {
    std::vector<int64_t> starts, ends, axes, steps;
    if (opset() >= 10) {
      for (size_t k = 1; k <= 4; ++k) {
        if (!HasInput(k)) continue;
        QW_ONNX_ASSIGN(c, ConstantInput(k));
        QW_ONNX_ASSIGN(v, Ints(*c, k == 1 ? "starts" : k == 2 ? "ends" : k == 3 ? "axes" : "steps"));
        (k == 1 ? starts : k == 2 ? ends : k == 3 ? axes : steps) = v;
      }
    } else {
      QW_ONNX_ASSIGN(s, IntsAttr("starts"));
      QW_ONNX_ASSIGN(e, IntsAttr("ends"));
      QW_ONNX_ASSIGN(a, IntsAttr("axes"));
      starts = s;
      ends = e;
      axes = a;
    }
    std::vector<int64_t> begin, step, out;
    QW_RETURN_IF_ERROR(ResolveOnnxSlice(*this, in, starts, ends, axes, steps, &begin, &step, &out));
    for (size_t d = 0; d < rank; ++d) {
      if (step[d] != 1) return Error("steps other than 1 are not supported on computed tensors");
      if (out[d] < 1) return Error("the slice is empty");
    }
    return SliceTo(xv, node().output[0], begin, std::vector<int32_t>(out.begin(), out.end()));
  }
  // Split: sizes from input 1 (opset 13+), the 'split' attribute, or equal parts.
  QW_ONNX_ASSIGN(axis_attr, IntAttr("axis", 0));
  Result<int> axis = NormalizeAxis(axis_attr, rank);
  if (!axis.ok()) return Error(axis.status().message());
  QW_ONNX_ASSIGN(sizes, IntsInputOrAttr(1, "split"));
  const int64_t total = in[axis.value()];
  const int64_t parts = static_cast<int64_t>(node().output.size());
  if (sizes.empty()) {
    QW_ONNX_ASSIGN(n, IntAttr("num_outputs", parts));
    if (n != parts || n < 1) return Error("num_outputs " + std::to_string(n) + " differs from the node's outputs");
    const int64_t each = (total + n - 1) / n;  // the last part takes the rest (opset 18)
    for (int64_t k = 0; k < n; ++k) sizes.push_back(std::min(each, total - k * each));
  }
  int64_t sum = 0;
  for (int64_t s : sizes) {
    if (s < 1) return Error("split sizes must be positive");
    sum += s;
  }
  if (sum != total || static_cast<int64_t>(sizes.size()) != parts) {
    return Error("split sizes do not cover axis " + std::to_string(axis_attr) + " of " + ShapeString(xv.shape) +
                 " with " + std::to_string(parts) + " outputs");
  }
  int64_t offset = 0;
  for (size_t k = 0; k < sizes.size(); ++k) {
    std::vector<int64_t> begin(rank, 0);
    std::vector<int32_t> shape = xv.shape;
    begin[axis.value()] = offset;
    shape[axis.value()] = static_cast<int32_t>(sizes[k]);
    if (!node().output[k].empty()) QW_RETURN_IF_ERROR(SliceTo(xv, node().output[k], begin, shape));
    offset += sizes[k];
  }
  return Status::Ok();
}

// Squeeze / Unsqueeze of a computed tensor: a reshape.
Status Importer::ConvertSqueeze() {
  QW_ONNX_ASSIGN(x, ActivationInput(0));
  QW_ONNX_ASSIGN(axes, IntsInputOrAttr(1, "axes"));
  const std::vector<int64_t> in(x->shape.begin(), x->shape.end());
  Result<std::vector<int64_t>> dims =
      node().op_type == "Squeeze" ? SqueezedDims(*this, in, axes) : UnsqueezedDims(*this, in, axes);
  if (!dims.ok()) return dims.status();
  const Value xv = *x;
  return ReshapeTo(xv, std::vector<int32_t>(dims.value().begin(), dims.value().end()));
}

}  // namespace qwasm::onnx
