// TFLite builtin operators onto qwasm's graph operators (tflite_ops.h): the
// mapping, each builtin's options table, the constant inputs folded into
// attributes, and the builtins' names for messages.
#include "import/tflite_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "graph/op.h"
#include "import/tflite_reader.h"

// QW_ASSIGN_OR_RETURN without added context: the message names the node.
#define QW_TFL_ASSIGN(var, expr)                       \
  auto var##_result = (expr);                          \
  if (!var##_result.ok()) return var##_result.status(); \
  auto var = var##_result.take()

namespace qwasm::tflite {
namespace {

// BuiltinOperator codes (schema.fbs) of the builtins qwasm runs.
enum Builtin : int32_t {
  kAdd = 0, kAveragePool2D = 1, kConcatenation = 2, kConv2D = 3, kDepthwiseConv2D = 4, kDequantize = 6,
  kFullyConnected = 9, kLogistic = 14, kMaxPool2D = 17, kMul = 18, kRelu = 19, kReluN1To1 = 20, kRelu6 = 21,
  kReshape = 22, kSoftmax = 25, kPad = 34, kTranspose = 39, kMean = 40, kSqueeze = 43, kStridedSlice = 45,
  kSplit = 49, kPadV2 = 60, kSlice = 65, kExpandDims = 70, kSplitV = 102, kQuantize = 114, kHardSwish = 117,
  kRelu0To1 = 152,
};

// BuiltinOptions union tags of the options tables read here.
enum OptionsType : uint8_t {
  kConv2DOptions = 1, kDepthwiseConv2DOptions = 2, kPool2DOptions = 5, kFullyConnectedOptions = 8,
  kSoftmaxOptions = 9, kConcatenationOptions = 10, kAddOptions = 11, kMulOptions = 21, kReducerOptions = 27,
  kSqueezeOptions = 30, kStridedSliceOptions = 32,
};

// Operator table fields (schema.fbs).
constexpr int kOpOptionsType = 3, kOpOptions = 4;

// The options table each builtin's attributes come from; 0: none read
// (RESHAPE, PAD, PADV2, TRANSPOSE, EXPAND_DIMS, QUANTIZE, DEQUANTIZE and the
// activation functions have no options qwasm needs).
uint8_t OptionsTableOf(int32_t builtin) {
  switch (builtin) {
    case kConv2D: return kConv2DOptions;
    case kDepthwiseConv2D: return kDepthwiseConv2DOptions;
    case kAveragePool2D:
    case kMaxPool2D: return kPool2DOptions;
    case kFullyConnected: return kFullyConnectedOptions;
    case kSoftmax: return kSoftmaxOptions;
    case kConcatenation: return kConcatenationOptions;
    case kAdd: return kAddOptions;
    case kMul: return kMulOptions;
    case kMean: return kReducerOptions;
    case kSqueeze: return kSqueezeOptions;
    case kStridedSlice: return kStridedSliceOptions;
    default: return 0;
  }
}

Status ReadActivation(int8_t v, Activation* out, const std::string& label) {
  switch (v) {
    case 0: *out = Activation::kNone; return Status::Ok();
    case 1: *out = Activation::kRelu; return Status::Ok();
    case 2: *out = Activation::kReluN1To1; return Status::Ok();
    case 3: *out = Activation::kRelu6; return Status::Ok();
    case 4: return Status::Error(label + ": fused activation TANH is not supported");
    case 5: return Status::Error(label + ": fused activation SIGN_BIT is not supported");
    default: return Status::Error(label + ": unknown fused activation " + std::to_string(v));
  }
}

Status ReadPadding(int8_t v, Padding* out, const std::string& label) {
  if (v == 0) *out = Padding::kSame;
  else if (v == 1) *out = Padding::kValid;
  else return Status::Error(label + ": unknown padding " + std::to_string(v));
  return Status::Ok();
}

// Tensor `id` of the graph, or null when the index is out of range
// (ValidateGraph reports that with the node).
const Tensor* TensorAt(const Graph& g, int32_t id) {
  return id >= 0 && static_cast<size_t>(id) < g.tensors.size() ? &g.tensors[id] : nullptr;
}

// The value of a one-element constant (shape [] or all 1s), as a real value:
// float32, int32 / int64, or quantized int8 dequantized.
Result<double> ConstantScalar(const Graph& g, int32_t id, const char* role, const std::string& label) {
  const Tensor* t = TensorAt(g, id);
  if (!t) return Status::Error(label + ": " + role + " index " + std::to_string(id) + " is out of range");
  const std::string what = label + ": " + role + " '" + t->name + "'";
  bool one = t->is_constant() && t->data_bytes == DTypeSize(t->dtype);
  for (int32_t d : t->shape) one = one && d == 1;
  if (!one) return Status::Error(what + " must be a constant holding one value");
  switch (t->dtype) {
    case DType::kFloat32: { float v; std::memcpy(&v, t->data, 4); return static_cast<double>(v); }
    case DType::kInt32: { int32_t v; std::memcpy(&v, t->data, 4); return static_cast<double>(v); }
    case DType::kInt64: { int64_t v; std::memcpy(&v, t->data, 8); return static_cast<double>(v); }
    case DType::kInt8:
      if (t->quant.scale.size() != 1) return Status::Error(what + " is int8 without one scale");
      return static_cast<double>(t->quant.scale[0]) *
             static_cast<double>(int64_t{static_cast<int8_t>(t->data[0])} - t->quant.zero_point[0]);
    default: return Status::Error(what + " has type " + DTypeName(t->dtype) + ", which is not supported");
  }
}

// SQUEEZE and EXPAND_DIMS run as RESHAPE, which takes the output tensor's
// shape as it is: check that it is the shape the builtin defines.
Status CheckOutputShape(const Graph& g, const Node& n, const std::vector<int32_t>& expected, const std::string& label) {
  const Tensor* out = n.outputs.empty() ? nullptr : TensorAt(g, n.outputs[0]);
  if (out && out->shape != expected) {
    return Status::Error(label + ": output '" + out->name + "' has shape " + ShapeString(out->shape) + ", expected " +
                         ShapeString(expected));
  }
  return Status::Ok();
}

// SQUEEZE drops the size-1 axes in squeeze_dims (negative: from the end),
// or every size-1 axis when the list is empty.
Status CheckSqueeze(const Graph& g, const Node& n, const std::vector<int32_t>& dims, const std::string& label) {
  const Tensor* in = n.inputs.empty() ? nullptr : TensorAt(g, n.inputs[0]);
  if (!in) return Status::Ok();
  const int rank = static_cast<int>(in->shape.size());
  std::vector<bool> drop(rank, false);
  for (int a = 0; a < rank; ++a) drop[a] = dims.empty() && in->shape[a] == 1;
  for (int32_t d : dims) {
    const int a = d < 0 ? d + rank : d;
    if (a < 0 || a >= rank || in->shape[a] != 1) {
      return Status::Error(label + ": squeeze_dims " + ShapeString(dims) + " do not name size-1 axes of input " +
                           ShapeString(in->shape));
    }
    drop[a] = true;
  }
  std::vector<int32_t> expected;
  for (int a = 0; a < rank; ++a) {
    if (!drop[a]) expected.push_back(in->shape[a]);
  }
  return CheckOutputShape(g, n, expected, label);
}

// EXPAND_DIMS inserts a size-1 axis at input 1's constant axis (negative:
// from the end of the output). The axis input is dropped: RESHAPE has none.
Status FoldExpandDims(const Graph& g, Node* n, const std::string& label) {
  if (n->inputs.size() != 2) return Status::Error(label + ": EXPAND_DIMS needs 2 inputs (input, axis)");
  const Tensor* t = TensorAt(g, n->inputs[1]);
  if (t && t->dtype != DType::kInt32 && t->dtype != DType::kInt64) {
    return Status::Error(label + ": axis '" + t->name + "' must be int32 or int64");
  }
  Result<double> axis = ConstantScalar(g, n->inputs[1], "axis", label);
  if (!axis.ok()) return axis.status();
  n->inputs.resize(1);
  const Tensor* in = TensorAt(g, n->inputs[0]);
  if (!in) return Status::Ok();
  const int rank = static_cast<int>(in->shape.size());
  const double v = axis.value();
  if (!(v >= -(rank + 1) && v <= rank)) {
    const std::string shown = std::fabs(v) < 1e15 ? std::to_string(static_cast<int64_t>(v)) : std::to_string(v);
    return Status::Error(label + ": axis " + shown + " is out of range for an input of rank " + std::to_string(rank));
  }
  const int a = v < 0 ? static_cast<int>(v) + rank + 1 : static_cast<int>(v);
  std::vector<int32_t> expected = in->shape;
  expected.insert(expected.begin() + a, 1);
  return CheckOutputShape(g, *n, expected, label);
}

// PADV2's input 2 (the pad value, on the output's grid for int8) becomes
// attrs.pad_value as a real value, which PAD quantizes to the output grid;
// without it PAD pads a real 0 (the zero point), as TFLite does.
Status FoldPadValue(const Graph& g, Node* n, const std::string& label) {
  if (n->inputs.size() < 3) return Status::Ok();
  const int32_t id = n->inputs[2];
  n->inputs.resize(2);
  if (id == -1) return Status::Ok();
  Result<double> value = ConstantScalar(g, id, "constant_values", label);
  if (!value.ok()) return value.status();
  n->attrs.pad_value = static_cast<float>(value.value());
  return Status::Ok();
}

// MEAN's Prepare reads keep_dims from the output's rank; a file whose
// keep_dims says otherwise is inconsistent.
Status CheckKeepDims(const Graph& g, const Node& n, const std::string& label) {
  const Tensor* in = n.inputs.empty() ? nullptr : TensorAt(g, n.inputs[0]);
  const Tensor* out = n.outputs.empty() ? nullptr : TensorAt(g, n.outputs[0]);
  if (!in || !out) return Status::Ok();
  if ((out->shape.size() == in->shape.size()) != n.attrs.keep_dims) {
    return Status::Error(label + ": keep_dims is " + (n.attrs.keep_dims ? "true" : "false") + " but output '" +
                         out->name + "' " + ShapeString(out->shape) + " has " +
                         (n.attrs.keep_dims ? "fewer axes than" : "as many axes as") + " input " +
                         ShapeString(in->shape));
  }
  return Status::Ok();
}

Status SetClamp(float lo, float hi, OpAttrs* a) {
  a->clamp_min = lo;
  a->clamp_max = hi;
  return Status::Ok();
}


// A constant int32 / int64 list (begin, size, split sizes, axes).
Result<std::vector<int64_t>> ConstantList(const Graph& g, int32_t id, const char* role, const std::string& label) {
  const Tensor* t = TensorAt(g, id);
  if (!t || !t->is_constant() || (t->dtype != DType::kInt32 && t->dtype != DType::kInt64) ||
      t->data_bytes != t->num_bytes()) {
    return Status::Error(label + ": " + role + " must be a constant int32 or int64 tensor");
  }
  std::vector<int64_t> v(static_cast<size_t>(t->num_elements()));
  for (size_t i = 0; i < v.size(); ++i) {
    if (t->dtype == DType::kInt32) {
      int32_t x;
      std::memcpy(&x, t->data + 4 * i, 4);
      v[i] = x;
    } else {
      std::memcpy(&v[i], t->data + 8 * i, 8);
    }
  }
  return v;
}

// SLICE's attrs for the box [begin, begin + size) of `in`: elements cut off
// before and after each axis.
Status SetCut(const std::vector<int32_t>& in, const std::vector<int64_t>& begin, const std::vector<int64_t>& size,
              Node* n, const std::string& label) {
  n->attrs.paddings.clear();
  for (size_t a = 0; a < in.size(); ++a) {
    if (begin[a] < 0 || size[a] < 1 || begin[a] + size[a] > in[a]) {
      return Status::Error(label + ": the slice [" + std::to_string(begin[a]) + ", " +
                           std::to_string(begin[a] + size[a]) + ") of axis " + std::to_string(a) +
                           " does not lie in its " + std::to_string(in[a]) + " elements");
    }
    n->attrs.paddings.push_back(static_cast<int32_t>(begin[a]));
    n->attrs.paddings.push_back(static_cast<int32_t>(in[a] - begin[a] - size[a]));
  }
  return Status::Ok();
}

// SLICE (input, begin, size; size -1: to the end).
Status FoldSlice(const Graph& g, Node* n, const std::string& label) {
  if (n->inputs.size() != 3) return Status::Error(label + ": SLICE needs 3 inputs (input, begin, size)");
  const Tensor* in = TensorAt(g, n->inputs[0]);
  QW_TFL_ASSIGN(begin, ConstantList(g, n->inputs[1], "begin", label));
  QW_TFL_ASSIGN(size, ConstantList(g, n->inputs[2], "size", label));
  if (!in) return Status::Ok();
  if (begin.size() != in->shape.size() || size.size() != in->shape.size()) {
    return Status::Error(label + ": begin and size need one value per axis of " + ShapeString(in->shape));
  }
  for (size_t a = 0; a < size.size(); ++a) {
    if (size[a] == -1) size[a] = in->shape[a] - begin[a];
  }
  n->inputs.resize(1);
  return SetCut(in->shape, begin, size, n, label);
}

// STRIDED_SLICE with strides of 1, no ellipsis or new axes. A shrunk axis
// (shrink_axis_mask) keeps size 1 in the box; the output tensor's shape
// drops it, and AppendNodes adds a RESHAPE.
Status FoldStridedSlice(const fb::Table& o, const Graph& g, Node* n, const std::string& label) {
  if (n->inputs.size() != 4) {
    return Status::Error(label + ": STRIDED_SLICE needs 4 inputs (input, begin, end, strides)");
  }
  const Tensor* in = TensorAt(g, n->inputs[0]);
  QW_TFL_ASSIGN(begin, ConstantList(g, n->inputs[1], "begin", label));
  QW_TFL_ASSIGN(end, ConstantList(g, n->inputs[2], "end", label));
  QW_TFL_ASSIGN(strides, ConstantList(g, n->inputs[3], "strides", label));
  // StridedSliceOptions: begin_mask 0, end_mask 1, ellipsis_mask 2, new_axis_mask 3, shrink_axis_mask 4, offset 5.
  QW_ASSIGN_OR_RETURN(begin_mask, o.Scalar<int32_t>(0, 0), label);
  QW_ASSIGN_OR_RETURN(end_mask, o.Scalar<int32_t>(1, 0), label);
  QW_ASSIGN_OR_RETURN(ellipsis_mask, o.Scalar<int32_t>(2, 0), label);
  QW_ASSIGN_OR_RETURN(new_axis_mask, o.Scalar<int32_t>(3, 0), label);
  QW_ASSIGN_OR_RETURN(shrink_mask, o.Scalar<int32_t>(4, 0), label);
  QW_ASSIGN_OR_RETURN(offset, o.Scalar<uint8_t>(5, 0), label);
  if (ellipsis_mask != 0 || new_axis_mask != 0) {
    return Status::Error(label + ": ellipsis_mask and new_axis_mask are not supported");
  }
  if (!in) return Status::Ok();
  const size_t rank = in->shape.size();
  if (begin.size() != rank || end.size() != rank || strides.size() != rank) {
    return Status::Error(label + ": begin, end and strides need one value per axis of " + ShapeString(in->shape));
  }
  std::vector<int64_t> b(rank), size(rank);
  std::vector<int32_t> kept;
  for (size_t a = 0; a < rank; ++a) {
    if (strides[a] != 1) return Status::Error(label + ": strides other than 1 are not supported");
    const int64_t dim = in->shape[a];
    int64_t lo = begin_mask >> a & 1 ? 0 : begin[a] < 0 ? begin[a] + dim : begin[a];
    int64_t hi = end_mask >> a & 1 ? dim : offset ? lo + end[a] : end[a] < 0 ? end[a] + dim : end[a];
    if (shrink_mask >> a & 1) hi = lo + 1;
    lo = std::min(std::max<int64_t>(lo, 0), dim);
    hi = std::min(std::max<int64_t>(hi, 0), dim);
    b[a] = lo;
    size[a] = hi - lo;
    if (!(shrink_mask >> a & 1)) kept.push_back(static_cast<int32_t>(size[a]));
  }
  n->inputs.resize(1);
  QW_RETURN_IF_ERROR(SetCut(in->shape, b, size, n, label));
  return CheckOutputShape(g, *n, kept, label);
}

// SPLIT (axis, input; SplitOptions num_splits) and SPLIT_V (input,
// size_splits, axis): every output's (begin, size) along the axis, kept in
// attrs.paddings for AppendNodes, which makes one SLICE of each.
Status FoldSplit(int32_t builtin, const Graph& g, Node* n, const std::string& label) {
  const bool v = builtin == kSplitV;
  if (n->inputs.size() != (v ? 3u : 2u)) {
    return Status::Error(label + (v ? ": SPLIT_V needs 3 inputs (input, size_splits, axis)"
                                    : ": SPLIT needs 2 inputs (axis, input)"));
  }
  const int32_t data = v ? n->inputs[0] : n->inputs[1];
  QW_TFL_ASSIGN(axis_v, ConstantScalar(g, v ? n->inputs[2] : n->inputs[0], "axis", label));
  const Tensor* in = TensorAt(g, data);
  if (!in) return Status::Error(label + ": input index " + std::to_string(data) + " is out of range");
  const int rank = static_cast<int>(in->shape.size());
  // Range-checked as a double first: a huge value would not fit an int.
  if (!(axis_v >= -rank && axis_v < rank)) {
    const std::string shown = std::fabs(axis_v) < 1e15 ? std::to_string(static_cast<int64_t>(axis_v)) : std::to_string(axis_v);
    return Status::Error(label + ": axis " + shown + " is out of range");
  }
  const int axis = static_cast<int>(axis_v) < 0 ? static_cast<int>(axis_v) + rank : static_cast<int>(axis_v);
  const int64_t dim = in->shape[axis], parts = static_cast<int64_t>(n->outputs.size());
  std::vector<int64_t> sizes;
  if (v) {
    QW_TFL_ASSIGN(s, ConstantList(g, n->inputs[1], "size_splits", label));
    sizes = s;
    int64_t known = 0, infer = -1;
    for (size_t k = 0; k < sizes.size(); ++k) {
      if (sizes[k] == -1) infer = static_cast<int64_t>(k); else known += sizes[k];
    }
    if (infer >= 0) sizes[infer] = dim - known;
  } else {
    if (parts < 1 || dim % parts != 0) {
      return Status::Error(label + ": " + std::to_string(dim) + " elements do not split into " +
                           std::to_string(parts) + " equal parts");
    }
    sizes.assign(parts, dim / parts);
  }
  int64_t total = 0;
  for (int64_t s : sizes) total += s;
  if (static_cast<int64_t>(sizes.size()) != parts || total != dim) {
    return Status::Error(label + ": the split sizes do not cover axis " + std::to_string(axis) + " with " +
                         std::to_string(parts) + " outputs");
  }
  n->inputs = {data};
  n->attrs.axis = axis;
  n->attrs.paddings.clear();
  int64_t at = 0;
  for (int64_t s : sizes) {
    n->attrs.paddings.push_back(static_cast<int32_t>(at));
    n->attrs.paddings.push_back(static_cast<int32_t>(s));
    at += s;
  }
  return Status::Ok();
}

}  // namespace

bool GraphOperator(int32_t builtin, OpType* op) {
  switch (builtin) {
    case kConv2D: *op = OpType::kConv2D; return true;
    case kDepthwiseConv2D: *op = OpType::kDepthwiseConv2D; return true;
    case kFullyConnected: *op = OpType::kFullyConnected; return true;
    case kAdd: *op = OpType::kAdd; return true;
    case kMul: *op = OpType::kMul; return true;
    case kAveragePool2D: *op = OpType::kAveragePool2D; return true;
    case kMaxPool2D: *op = OpType::kMaxPool2D; return true;
    case kMean: *op = OpType::kMean; return true;
    case kSoftmax: *op = OpType::kSoftmax; return true;
    case kConcatenation: *op = OpType::kConcatenation; return true;
    case kTranspose: *op = OpType::kTranspose; return true;
    case kQuantize: *op = OpType::kQuantize; return true;
    case kDequantize: *op = OpType::kDequantize; return true;
    case kHardSwish: *op = OpType::kHardSwish; return true;
    case kLogistic: *op = OpType::kLogistic; return true;
    case kReshape:
    case kSqueeze:
    case kExpandDims: *op = OpType::kReshape; return true;
    case kPad:
    case kPadV2: *op = OpType::kPad; return true;
    case kRelu:
    case kRelu6:
    case kReluN1To1:
    case kRelu0To1: *op = OpType::kClamp; return true;
    case kSlice:
    case kStridedSlice:
    case kSplit:
    case kSplitV: *op = OpType::kSlice; return true;
    default: return false;
  }
}

// Whether TFLite computes this AVERAGE_POOL_2D with its builtin integer
// kernel (graph.h OpAttrs::tflite_numerics), which qwasm can match: a
// quantized per-tensor input and output on one grid and a window of at most
// kTflitePoolMaxCells cells. (TFLite runs a pool whose grids differ all the
// same, ignoring the difference; qwasm rescales it instead.)
bool TfliteIntegerPool(const Graph& g, const Node& node, int32_t filter_h, int32_t filter_w) {
  if (node.inputs.empty() || node.outputs.empty()) return false;
  const int32_t in = node.inputs[0], out = node.outputs[0];
  const auto valid = [&](int32_t id) { return id >= 0 && static_cast<size_t>(id) < g.tensors.size(); };
  if (!valid(in) || !valid(out)) return false;
  const QuantInfo& qi = g.tensors[in].quant;
  const QuantInfo& qo = g.tensors[out].quant;
  if (qi.scale.size() != 1 || qo.scale.size() != 1 || qi.zero_point.size() != 1 || qo.zero_point.size() != 1) {
    return false;
  }
  return qi.scale[0] == qo.scale[0] && qi.zero_point[0] == qo.zero_point[0] && filter_h > 0 && filter_w > 0 &&
         int64_t{filter_h} * filter_w <= kTflitePoolMaxCells;
}

Status ReadNodeOptions(const fb::Table& op, int32_t builtin, const Graph& g, Node* node, const std::string& label) {
  OpAttrs& a = node->attrs;
  const uint8_t expected = OptionsTableOf(builtin);
  fb::Table o;  // empty when the operator has no options table: all defaults, which Prepare then judges
  if (expected != 0) {
    QW_ASSIGN_OR_RETURN(options_type, op.Scalar<uint8_t>(kOpOptionsType, 0), label);
    bool present = false;
    QW_ASSIGN_OR_RETURN(table, op.SubTable(kOpOptions, &present), label + ": options");
    if (present && options_type != expected) {
      return Status::Error(label + ": options table has type " + std::to_string(options_type) + ", expected " +
                           std::to_string(expected));
    }
    o = table;
  }
  auto i32 = [&](int f, int32_t d) { return o.Scalar<int32_t>(f, d); };
  auto i8 = [&](int f) { return o.Scalar<int8_t>(f, 0); };
  switch (builtin) {
    case kConv2D:
    case kDepthwiseConv2D: {
      const bool dw = builtin == kDepthwiseConv2D;
      // Conv2DOptions: padding 0, stride_w 1, stride_h 2, activation 3, dilation_w 4, dilation_h 5.
      // DepthwiseConv2DOptions: the same with depth_multiplier at 3 shifting the rest by one.
      QW_ASSIGN_OR_RETURN(pad, i8(0), label);
      QW_ASSIGN_OR_RETURN(sw, i32(1, 0), label);
      QW_ASSIGN_OR_RETURN(sh, i32(2, 0), label);
      QW_ASSIGN_OR_RETURN(act, i8(dw ? 4 : 3), label);
      QW_ASSIGN_OR_RETURN(dil_w, i32(dw ? 5 : 4, 1), label);
      QW_ASSIGN_OR_RETURN(dil_h, i32(dw ? 6 : 5, 1), label);
      QW_RETURN_IF_ERROR(ReadPadding(pad, &a.padding, label));
      QW_RETURN_IF_ERROR(ReadActivation(act, &a.activation, label));
      a.stride_w = sw;
      a.stride_h = sh;
      a.dilation_w = dil_w;
      a.dilation_h = dil_h;
      if (dw) {
        QW_ASSIGN_OR_RETURN(dm, i32(3, 0), label);
        a.depth_multiplier = dm;
      }
      return Status::Ok();
    }
    case kAveragePool2D:
    case kMaxPool2D: {
      // Pool2DOptions: padding 0, stride_w 1, stride_h 2, filter_w 3, filter_h 4, activation 5.
      QW_ASSIGN_OR_RETURN(pad, i8(0), label);
      QW_ASSIGN_OR_RETURN(sw, i32(1, 0), label);
      QW_ASSIGN_OR_RETURN(sh, i32(2, 0), label);
      QW_ASSIGN_OR_RETURN(fw, i32(3, 0), label);
      QW_ASSIGN_OR_RETURN(fh, i32(4, 0), label);
      QW_ASSIGN_OR_RETURN(act, i8(5), label);
      QW_RETURN_IF_ERROR(ReadPadding(pad, &a.padding, label));
      QW_RETURN_IF_ERROR(ReadActivation(act, &a.activation, label));
      a.stride_w = sw;
      a.stride_h = sh;
      a.filter_w = fw;
      a.filter_h = fh;
      if (builtin == kAveragePool2D) a.tflite_numerics = TfliteIntegerPool(g, *node, fh, fw);
      return Status::Ok();
    }
    case kFullyConnected: {
      // FullyConnectedOptions: activation 0, weights_format 1, keep_num_dims 2.
      QW_ASSIGN_OR_RETURN(act, i8(0), label);
      QW_ASSIGN_OR_RETURN(format, i8(1), label);
      QW_RETURN_IF_ERROR(ReadActivation(act, &a.activation, label));
      if (format != 0) return Status::Error(label + ": shuffled weight formats are not supported");
      return Status::Ok();
    }
    case kSoftmax: {
      QW_ASSIGN_OR_RETURN(beta, o.Scalar<float>(0, 0.0f), label);
      a.beta = beta;
      return Status::Ok();
    }
    case kAdd:
    case kMul: {
      // AddOptions / MulOptions: activation 0.
      QW_ASSIGN_OR_RETURN(act, i8(0), label);
      return ReadActivation(act, &a.activation, label);
    }
    case kConcatenation: {
      // ConcatenationOptions: axis 0, activation 1. The graph's CONCATENATION
      // has no output stage: a fused activation is refused, not dropped.
      QW_ASSIGN_OR_RETURN(axis, i32(0, 0), label);
      QW_ASSIGN_OR_RETURN(act, i8(1), label);
      QW_RETURN_IF_ERROR(ReadActivation(act, &a.activation, label));
      if (a.activation != Activation::kNone) {
        static const char* const kNames[] = {"NONE", "RELU", "RELU_N1_TO_1", "RELU6"};
        return Status::Error(label + ": fused activation " + kNames[act] + " is not supported");
      }
      a.axis = axis;
      return Status::Ok();
    }
    case kMean: {
      QW_ASSIGN_OR_RETURN(keep, o.Scalar<uint8_t>(0, 0), label);
      a.keep_dims = keep != 0;
      return CheckKeepDims(g, *node, label);
    }
    case kSqueeze: {
      // SqueezeOptions: squeeze_dims 0.
      QW_ASSIGN_OR_RETURN(v, o.VectorField(0, 4), label + ": squeeze_dims");
      std::vector<int32_t> dims(v.count);
      for (uint32_t i = 0; i < v.count; ++i) dims[i] = v.At<int32_t>(i);
      return CheckSqueeze(g, *node, dims, label);
    }
    case kExpandDims: return FoldExpandDims(g, node, label);
    case kSlice: return FoldSlice(g, node, label);
    case kStridedSlice: return FoldStridedSlice(o, g, node, label);
    case kSplit:
    case kSplitV: return FoldSplit(builtin, g, node, label);
    case kPadV2: return FoldPadValue(g, node, label);
    case kRelu: return SetClamp(0.0f, a.clamp_max, &a);  // no upper bound
    case kRelu6: return SetClamp(0.0f, 6.0f, &a);
    case kReluN1To1: return SetClamp(-1.0f, 1.0f, &a);
    case kRelu0To1: return SetClamp(0.0f, 1.0f, &a);
    default: return Status::Ok();  // RESHAPE, PAD, TRANSPOSE, QUANTIZE, DEQUANTIZE, HARD_SWISH, LOGISTIC
  }
}

Status AppendNodes(Node node, int32_t builtin, Graph* g, const std::string& label) {
  if (builtin == kSplit || builtin == kSplitV) {  // one SLICE per output
    const std::vector<int32_t> in = g->tensors[node.inputs[0]].shape;  // FoldSplit checked the index
    const std::vector<int32_t> cuts = node.attrs.paddings;
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      Node slice = node;
      slice.outputs = {node.outputs[k]};
      if (const Tensor* t = TensorAt(*g, node.outputs[k])) slice.name = t->name;
      std::vector<int64_t> begin(in.size(), 0), size(in.begin(), in.end());
      begin[node.attrs.axis] = cuts[2 * k];
      size[node.attrs.axis] = cuts[2 * k + 1];
      QW_RETURN_IF_ERROR(SetCut(in, begin, size, &slice, label));
      slice.attrs.axis = 0;
      QW_RETURN_IF_ERROR(CheckOutputShape(*g, slice, std::vector<int32_t>(size.begin(), size.end()), label));
      g->nodes.push_back(std::move(slice));
    }
    return Status::Ok();
  }
  const Tensor* in = node.inputs.empty() ? nullptr : TensorAt(*g, node.inputs[0]);
  const Tensor* out = node.outputs.empty() ? nullptr : TensorAt(*g, node.outputs[0]);
  if (builtin == kStridedSlice && in && out) {
    std::vector<int32_t> box(in->shape.size());
    for (size_t a = 0; a < box.size(); ++a) {
      box[a] = in->shape[a] - node.attrs.paddings[2 * a] - node.attrs.paddings[2 * a + 1];
    }
    if (box != out->shape) {  // shrunk axes: SLICE into the box, then RESHAPE
      Tensor t = *out;
      t.name += "_box";
      t.shape = box;
      g->tensors.push_back(std::move(t));
      const int32_t mid = static_cast<int32_t>(g->tensors.size() - 1);
      Node reshape;
      reshape.op = OpType::kReshape;
      reshape.name = node.name;
      reshape.inputs = {mid};
      reshape.outputs = node.outputs;
      node.outputs = {mid};
      g->nodes.push_back(std::move(node));
      g->nodes.push_back(std::move(reshape));
      return Status::Ok();
    }
  }
  g->nodes.push_back(std::move(node));
  return Status::Ok();
}

std::string BuiltinName(int32_t code) {
  static const char* const kNames[] = {
      "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE",
      "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP",
      "L2_NORMALIZATION", "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC",
      "LSH_PROJECTION", "LSTM", "MAX_POOL_2D", "MUL", "RELU", "RELU_N1_TO_1", "RELU6", "RESHAPE",
      "RESIZE_BILINEAR", "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH", "CONCAT_EMBEDDINGS",
      "SKIP_GRAM", "CALL", "CUSTOM", "EMBEDDING_LOOKUP_SPARSE", "PAD",
      "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND",
      "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM",
      "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP", "TOPK_V2", "SPLIT", "LOG_SOFTMAX",
      "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM", "ARG_MAX",
      "MINIMUM", "LESS", "NEG", "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT",
      "SLICE", "SIN", "TRANSPOSE_CONV", "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL",
      "NOT_EQUAL", "LOG", "SUM", "SQRT", "RSQRT", "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT",
      "REDUCE_PROD", "REDUCE_MAX", "PACK", "LOGICAL_OR", "ONE_HOT", "LOGICAL_AND",
      "LOGICAL_NOT", "UNPACK", "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE",
      "FILL", "FLOOR_MOD", "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU",
      "SQUARED_DIFFERENCE", "MIRROR_PAD", "ABS", "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2",
      "ADD_N", "GATHER_ND", "COS", "WHERE", "RANK", "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG",
      "QUANTIZE", "MATRIX_SET_DIAG", "ROUND", "HARD_SWISH", "IF", "WHILE",
      "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5", "SCATTER_ND", "SELECT_V2", "DENSIFY",
      "SEGMENT_SUM", "BATCH_MATMUL", "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE",
      "BROADCAST_TO", "RFFT2D", "CONV_3D", "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE",
      "HASHTABLE_FIND", "HASHTABLE_IMPORT", "HASHTABLE_SIZE", "REDUCE_ALL", "CONV_3D_TRANSPOSE",
      "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "BROADCAST_ARGS",
      "RANDOM_STANDARD_NORMAL", "BUCKETIZE", "RANDOM_UNIFORM", "MULTINOMIAL", "GELU",
      "DYNAMIC_UPDATE_SLICE", "RELU_0_TO_1", "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX",
      "UNSORTED_SEGMENT_SUM", "ATAN2", "UNSORTED_SEGMENT_MIN", "SIGN", "BITCAST", "BITWISE_XOR",
      "RIGHT_SHIFT"};
  constexpr int32_t kCount = static_cast<int32_t>(sizeof(kNames) / sizeof(kNames[0]));
  if (code >= 0 && code < kCount) return kNames[code];
  return "BUILTIN_" + std::to_string(code);
}

}  // namespace qwasm::tflite
