// The conversion driver: opset, initializers, graph inputs and outputs,
// operator dispatch, IR tensors and layout helpers. Operators themselves
// are in onnx_conv.cc, onnx_ops.cc and onnx_qdq.cc.
#include "import/onnx/onnx_reader.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/non_finite.h"
#include "import/onnx/onnx_importer.h"
#include "quant/float16.h"

namespace qwasm::onnx {

std::string DimsString(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

namespace {

template <typename T>
std::shared_ptr<std::vector<uint8_t>> Pack(const std::vector<T>& v) {
  auto s = std::make_shared<std::vector<uint8_t>>(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(s->data(), v.data(), s->size());
  return s;
}

}  // namespace

Result<Constant> MakeConstant(const TensorProto& t) {
  const std::string ctx = "tensor '" + t.name + "'";
  if (t.external) {
    return Status::Error(ctx + " keeps its data in an external file, which qwasm cannot read; save the model "
                               "with its data embedded (onnx.save with save_as_external_data=False)");
  }
  if (t.has_other_data) return Status::Error(ctx + ": segmented, string, double or uint64 data is not supported");
  switch (t.data_type) {
    case kFloat: case kUInt8: case kInt8: case kInt32: case kInt64: case kFloat16: case kBool: break;
    default: return Status::Error(ctx + ": element type " + DataTypeName(t.data_type) + " is not supported");
  }
  Constant c;
  c.type = t.data_type;
  c.dims = t.dims;
  const int64_t n = t.num_elements();
  if (t.has_raw_data) {
    c.data = t.raw_data.data;
    c.bytes = t.raw_data.size;
    if (t.data_type == kFloat || t.data_type == kFloat16) {
    QW_RETURN_IF_ERROR(CheckFiniteValues(ctx, c.data, c.bytes / (t.data_type == kFloat ? 4 : 2), t.data_type == kFloat16));
  }
    return c;
  }
  if (!t.float_data.empty() && t.data_type == kFloat) {
    c.storage = Pack(t.float_data);
  } else if (!t.int64_data.empty() && t.data_type == kInt64) {
    c.storage = Pack(t.int64_data);
  } else if (!t.int32_data.empty() && t.data_type != kFloat && t.data_type != kInt64) {
    if (t.data_type == kInt32) {
      c.storage = Pack(t.int32_data);
    } else if (t.data_type == kFloat16) {
      std::vector<uint16_t> v(t.int32_data.begin(), t.int32_data.end());
      c.storage = Pack(v);
    } else {  // uint8, int8, bool: one value per int32
      std::vector<uint8_t> v(t.int32_data.size());
      for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<uint8_t>(t.int32_data[i]);
      c.storage = Pack(v);
    }
  } else if (n != 0) {
    return Status::Error(ctx + " of type " + DataTypeName(t.data_type) + " has no data for its " +
                         std::to_string(n) + " elements");
  } else {
    c.storage = std::make_shared<std::vector<uint8_t>>();
  }
  c.data = c.storage->data();
  c.bytes = c.storage->size();
  if (t.data_type == kFloat || t.data_type == kFloat16) {
    QW_RETURN_IF_ERROR(CheckFiniteValues(ctx, c.data, c.bytes / (t.data_type == kFloat ? 4 : 2), t.data_type == kFloat16));
  }
  return c;
}

namespace {

using Converter = Status (Importer::*)();

Converter FindConverter(const std::string& op) {
  static const std::unordered_map<std::string, Converter> kTable = {
      {"Conv", &Importer::ConvertConv},
      {"Gemm", &Importer::ConvertGemm},
      {"MatMul", &Importer::ConvertMatMul},
      {"BatchNormalization", &Importer::ConvertBatchNorm},
      {"Relu", &Importer::ConvertUnary},
      {"Clip", &Importer::ConvertUnary},
      {"HardSwish", &Importer::ConvertUnary},
      {"HardSigmoid", &Importer::ConvertUnary},
      {"Sigmoid", &Importer::ConvertUnary},
      {"Add", &Importer::ConvertBinary},
      {"Mul", &Importer::ConvertBinary},
      {"Sub", &Importer::ConvertBinary},
      {"Div", &Importer::ConvertBinary},
      {"ReduceMean", &Importer::ConvertReduce},
      {"ReduceMax", &Importer::ConvertReduce},
      {"GlobalMaxPool", &Importer::ConvertReduce},
      {"Slice", &Importer::ConvertSlice},
      {"Split", &Importer::ConvertSlice},
      {"Squeeze", &Importer::ConvertSqueeze},
      {"Unsqueeze", &Importer::ConvertSqueeze},
      {"GlobalAveragePool", &Importer::ConvertPool},
      {"AveragePool", &Importer::ConvertPool},
      {"MaxPool", &Importer::ConvertPool},
      {"Reshape", &Importer::ConvertReshape},
      {"Flatten", &Importer::ConvertReshape},
      {"Transpose", &Importer::ConvertTranspose},
      {"Concat", &Importer::ConvertConcat},
      {"Pad", &Importer::ConvertPad},
      {"Softmax", &Importer::ConvertSoftmax},
      {"QuantizeLinear", &Importer::ConvertQuantize},
      {"DequantizeLinear", &Importer::ConvertDequantize},
      {"Identity", &Importer::ConvertIdentity},
      {"Dropout", &Importer::ConvertIdentity},
      {"Constant", &Importer::ConvertConstant},
  };
  auto it = kTable.find(op);
  return it == kTable.end() ? nullptr : it->second;
}

constexpr int64_t kMinOpset = 7, kMaxOpset = 18;

}  // namespace

int64_t Constant::count() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

std::string Importer::Label(size_t index) const {
  const NodeProto& n = m_.graph.node[index];
  return "onnx: node " + std::to_string(index) + " '" + n.name + "' (" + n.op_type + ")";
}

Status Importer::Error(const std::string& message) const {
  return Status::Error(Label(node_index_) + ": " + message);
}

size_t Importer::num_inputs() const {
  size_t n = node().input.size();
  while (n > 0 && node().input[n - 1].empty()) --n;
  return n;
}

bool Importer::HasInput(size_t k) const { return k < node().input.size() && !node().input[k].empty(); }

Result<const Value*> Importer::Input(size_t k) const {
  if (!HasInput(k)) return Error("input " + std::to_string(k) + " is missing");
  auto it = values_.find(node().input[k]);
  if (it == values_.end()) {
    return Error("input " + std::to_string(k) + " '" + node().input[k] + "' is not defined before this node");
  }
  return &it->second;
}

Result<const Value*> Importer::ActivationInput(size_t k) const {
  Result<const Value*> v = Input(k);
  if (v.ok() && v.value()->constant) {
    return Error("input " + std::to_string(k) + " '" + node().input[k] + "' is a constant; qwasm expects a computed tensor");
  }
  return v;
}

Result<const Constant*> Importer::ConstantInput(size_t k) const {
  Result<const Value*> in = Input(k);
  if (!in.ok()) return in.status();
  const Value* v = in.value();
  if (!v->constant) {
    return Error("input " + std::to_string(k) + " '" + node().input[k] + "' must be a constant (an initializer)");
  }
  return &v->c;
}

const Constant* Importer::NodeConstant(const NodeProto& n, size_t k) const {
  if (k >= n.input.size() || n.input[k].empty()) return nullptr;
  auto it = values_.find(n.input[k]);
  return it != values_.end() && it->second.constant ? &it->second.c : nullptr;
}

Result<int64_t> Importer::IntAttr(const char* name, int64_t fallback) const {
  const AttributeProto* a = node().Attr(name);
  if (!a) return fallback;
  if (a->type != AttributeProto::kIntAttr) return Error(std::string("attribute '") + name + "' is not an integer");
  return a->i;
}

Result<float> Importer::FloatAttr(const char* name, float fallback) const {
  const AttributeProto* a = node().Attr(name);
  if (!a) return fallback;
  if (a->type != AttributeProto::kFloatAttr) return Error(std::string("attribute '") + name + "' is not a float");
  if (!std::isfinite(a->f)) return Error(std::string("attribute '") + name + "' is " + std::to_string(a->f) + ", not a finite number");
  return a->f;
}

Result<std::string> Importer::StringAttr(const char* name, const std::string& fallback) const {
  const AttributeProto* a = node().Attr(name);
  if (!a) return fallback;
  if (a->type != AttributeProto::kStringAttr) return Error(std::string("attribute '") + name + "' is not a string");
  return a->s;
}

Result<std::vector<int64_t>> Importer::IntsAttr(const char* name) const {
  const AttributeProto* a = node().Attr(name);
  if (!a) return std::vector<int64_t>{};
  if (a->type != AttributeProto::kIntsAttr) return Error(std::string("attribute '") + name + "' is not a list of integers");
  return a->ints;
}

Result<std::vector<int64_t>> Importer::IntsInputOrAttr(size_t k, const char* name) const {
  if (!HasInput(k)) return IntsAttr(name);
  QW_ONNX_ASSIGN(c, ConstantInput(k));
  return Ints(*c, name);
}

Result<std::vector<float>> Importer::Floats(const Constant& c, const char* role) const {
  const size_t n = static_cast<size_t>(c.count());
  std::vector<float> out(n);
  if (c.type == kFloat && !c.quantized) {  // the common case: weights of float models
    if (n) std::memcpy(out.data(), c.data, n * 4);
    return out;
  }
  auto load = [&](size_t i, auto tag) {
    decltype(tag) v;
    std::memcpy(&v, c.data + i * sizeof(v), sizeof(v));
    return v;
  };
  for (size_t i = 0; i < n; ++i) {
    switch (c.type) {
      case kFloat: out[i] = load(i, float{}); break;
      case kFloat16: {  // a NaN becomes the canonical quiet NaN, whatever its sign and payload
        const float f = Fp16ToFp32(load(i, uint16_t{}));
        out[i] = std::isnan(f) ? std::numeric_limits<float>::quiet_NaN() : f;
        break;
      }
      case kUInt8: out[i] = load(i, uint8_t{}); break;
      case kInt8: out[i] = load(i, int8_t{}); break;
      case kInt32: out[i] = static_cast<float>(load(i, int32_t{})); break;
      case kInt64: out[i] = static_cast<float>(load(i, int64_t{})); break;
      default: return Error(std::string(role) + " has element type " + DataTypeName(c.type) + ", expected numbers");
    }
  }
  if (c.quantized) {
    // Per-axis: the element's index along `axis` picks its scale.
    int64_t inner = 1;
    for (size_t d = c.axis + 1; d < c.dims.size(); ++d) inner *= c.dims[d];
    const size_t channels = c.scale.size();
    for (size_t i = 0; i < n; ++i) {
      const size_t ch = channels == 1 ? 0 : static_cast<size_t>(i / inner) % channels;
      out[i] = (out[i] - static_cast<float>(c.zero_point[ch])) * c.scale[ch];
    }
  }
  return out;
}

Result<std::vector<int64_t>> Importer::Ints(const Constant& c, const char* role) const {
  if (c.quantized || (c.type != kInt64 && c.type != kInt32)) {
    return Error(std::string(role) + " must hold int64 or int32 values, has " + DataTypeName(c.type));
  }
  const size_t n = static_cast<size_t>(c.count());
  std::vector<int64_t> out(n);
  for (size_t i = 0; i < n; ++i) {
    if (c.type == kInt64) {
      std::memcpy(&out[i], c.data + 8 * i, 8);
    } else {
      int32_t v;
      std::memcpy(&v, c.data + 4 * i, 4);
      out[i] = v;
    }
  }
  return out;
}

Status Importer::CheckShape(const std::vector<int32_t>& shape) const {
  if (shape.size() > kMaxDims) return Error("a result of rank " + std::to_string(shape.size()) + " is not supported");
  int64_t n = 1;
  for (int32_t d : shape) {
    if (d < 1) return Error("result shape " + ShapeString(shape) + " has an empty dimension");
    n *= d;
    if (n > kMaxElements) return Error("result shape " + ShapeString(shape) + " is too large");
  }
  return Status::Ok();
}

int32_t Importer::AddTensor(const std::string& name, DType dtype, std::vector<int32_t> shape) {
  Tensor t;
  t.name = name;
  t.dtype = dtype;
  t.shape = std::move(shape);
  g_->tensors.push_back(std::move(t));
  group_.push_back(static_cast<int32_t>(groups_.size()));
  groups_.emplace_back();
  return static_cast<int32_t>(g_->tensors.size() - 1);
}

int32_t Importer::AddConstant(const std::string& name, DType dtype, std::vector<int32_t> shape,
                              std::vector<uint8_t> bytes, QuantInfo quant) {
  const int32_t id = AddTensor(name, dtype, std::move(shape));
  Tensor& t = g_->tensors[id];
  t.data_bytes = bytes.size();
  t.data = g_->Own(std::move(bytes));
  groups_[group_[id]] = std::move(quant);
  return id;
}

int32_t Importer::AddFloatConstant(const std::string& name, std::vector<int32_t> shape, const std::vector<float>& v) {
  std::vector<uint8_t> bytes(v.size() * 4);
  if (!v.empty()) std::memcpy(bytes.data(), v.data(), bytes.size());
  return AddConstant(name, DType::kFloat32, std::move(shape), std::move(bytes));
}

void Importer::AddNode(OpType op, std::vector<int32_t> inputs, int32_t output, const OpAttrs& attrs) {
  Node n;
  n.op = op;
  n.name = g_->tensors[output].name;
  n.inputs = std::move(inputs);
  n.outputs = {output};
  n.attrs = attrs;
  g_->nodes.push_back(std::move(n));
}

Result<int32_t> Importer::DefineOutput(const OutputPlan& plan, const std::vector<int32_t>& shape, const Perm& perm) {
  QW_RETURN_IF_ERROR(CheckShape(shape));
  const int32_t id = AddTensor(plan.name, plan.quantized ? DType::kInt8 : DType::kFloat32, StorageShape(shape, perm));
  if (plan.quantized) {
    g_->tensors[id].was_uint8 = plan.q.type == kUInt8;
    QW_RETURN_IF_ERROR(SetTensorQuant(id, ToQuantInfo(plan.q)));
  }
  Value v;
  v.tensor = id;
  v.shape = shape;
  v.perm = perm;
  values_[plan.name] = v;
  return id;
}

void Importer::Alias(const std::string& name, const Value& v) { values_[name] = v; }

Result<Value> Importer::WithPerm(const Value& v, const Perm& perm) {
  if (v.perm == perm) return v;
  Value out = v;
  out.perm = perm;
  if (SameBytes(v.shape, v.perm, perm)) {  // only size-1 axes move: a RESHAPE, no copy
    const std::vector<int32_t> shape = StorageShape(v.shape, perm);
    if (shape == g_->tensors[v.tensor].shape) return out;
    auto key = std::make_pair(v.tensor, Perm(shape.begin(), shape.end()));
    auto it = reshaped_.find(key);
    if (it == reshaped_.end()) {
      const Tensor& src = g_->tensors[v.tensor];
      const DType dtype = src.dtype;
      const bool was_uint8 = src.was_uint8;
      const int32_t id = AddTensor(src.name + "_reshaped", dtype, shape);
      g_->tensors[id].was_uint8 = was_uint8;
      ShareQuant(v.tensor, id);
      AddNode(OpType::kReshape, {v.tensor}, id);
      it = reshaped_.emplace(key, id).first;
    }
    out.tensor = it->second;
    return out;
  }
  // The IR transpose, not the logical perm, identifies the result: one IR
  // tensor may be read through several logical views.
  OpAttrs a;
  a.perm = StorageTransform(v.perm, perm);
  auto key = std::make_pair(v.tensor, a.perm);
  auto it = transposed_.find(key);
  if (it != transposed_.end()) {
    out.tensor = it->second;
    return out;
  }
  const Tensor& src = g_->tensors[v.tensor];
  const DType dtype = src.dtype;
  const bool was_uint8 = src.was_uint8;
  const std::string name = src.name + (perm == DefaultPerm(perm.size()) && perm.size() == 4 ? "_nhwc" : "_transposed");
  out.tensor = AddTensor(name, dtype, StorageShape(v.shape, perm));
  g_->tensors[out.tensor].was_uint8 = was_uint8;
  ShareQuant(v.tensor, out.tensor);
  AddNode(OpType::kTranspose, {v.tensor}, out.tensor, a);
  transposed_[key] = out.tensor;
  return out;
}

Result<int32_t> Importer::FloatTensor(const Value& v) {
  const Tensor& t = g_->tensors[v.tensor];
  if (t.dtype == DType::kFloat32) return v.tensor;
  if (!v.dequantized) {
    return Error("tensor '" + t.name + "' is quantized (" + DTypeName(t.dtype) +
                 ") where a float tensor is expected; a DequantizeLinear is missing");
  }
  auto it = float_of_.find(v.tensor);
  if (it != float_of_.end()) return it->second;
  const int32_t f = AddTensor(t.name + "_float", DType::kFloat32, g_->tensors[v.tensor].shape);
  AddNode(OpType::kDequantize, {v.tensor}, f);
  float_of_[v.tensor] = f;
  return f;
}

Result<int32_t> Importer::OperandTensor(const Value& v, bool int8) {
  if (int8) return v.tensor;
  return FloatTensor(v);
}

Status Importer::SetTensorQuant(int32_t tensor, const QuantInfo& q) {
  QuantInfo& have = groups_[group_[tensor]];
  if (!have.quantized()) {
    have = q;
    return Status::Ok();
  }
  if (have.zero_point != q.zero_point || have.scale.size() != q.scale.size()) {
    return Error("the quantization of '" + g_->tensors[tensor].name + "' differs from the one it was given before");
  }
  for (size_t i = 0; i < q.scale.size(); ++i) {
    if (std::fabs(have.scale[i] - q.scale[i]) > 1e-6f * std::fabs(have.scale[i])) {
      return Error("scale " + std::to_string(q.scale[i]) + " of '" + g_->tensors[tensor].name +
                   "' differs from its scale " + std::to_string(have.scale[i]) + " given before");
    }
  }
  return Status::Ok();
}

Status Importer::ReadOpset() {
  bool found = false;
  for (const OperatorSetId& o : m_.opset_import) {
    if (o.domain.empty() || o.domain == "ai.onnx") {
      opset_ = o.version;
      found = true;
    }
  }
  if (!found) return Status::Error("onnx: the model imports no opset of the default ONNX domain");
  if (opset_ < kMinOpset || opset_ > kMaxOpset) {
    return Status::Error("onnx: opset " + std::to_string(opset_) + " is not supported (" + std::to_string(kMinOpset) +
                         ".." + std::to_string(kMaxOpset) + ")");
  }
  return Status::Ok();
}

Status Importer::ReadInitializers() {
  for (const TensorProto& t : m_.graph.initializer) {
    QW_ASSIGN_OR_RETURN(c, MakeConstant(t), "onnx: initializer");
    if (values_.count(t.name)) return Status::Error("onnx: initializer '" + t.name + "' is defined twice");
    Value v;
    v.constant = true;
    v.c = std::move(c);
    values_[t.name] = std::move(v);
  }
  return Status::Ok();
}

// The shared models feed their NHWC image through Transpose(0, 3, 1, 2)
// (possibly after a DequantizeLinear): then the input is NHWC already.
bool Importer::InputIsNhwc(const std::string& name, int depth) const {
  auto it = consumers_.find(name);
  if (depth > 8 || it == consumers_.end() || it->second.empty() || graph_output_uses_.count(name)) return false;
  for (size_t i : it->second) {
    const NodeProto& n = m_.graph.node[i];
    if (n.op_type == "Transpose") {
      const AttributeProto* perm = n.Attr("perm");
      if (!perm || perm->ints != std::vector<int64_t>{0, 3, 1, 2}) return false;
    } else if (n.op_type == "DequantizeLinear" || n.op_type == "QuantizeLinear" || n.op_type == "Identity") {
      if (n.output.empty() || !InputIsNhwc(n.output[0], depth + 1)) return false;
    } else {
      return false;
    }
  }
  return true;
}

Status Importer::ReadInputs() {
  for (const ValueInfoProto& in : m_.graph.input) {
    if (values_.count(in.name)) continue;  // an initializer listed as input (IR < 4)
    const std::string ctx = "onnx: input '" + in.name + "'";
    DType dtype;
    switch (in.elem_type) {
      case kFloat: dtype = DType::kFloat32; break;
      case kUInt8: case kInt8: dtype = DType::kInt8; break;
      default:
        return Status::Error(ctx + ": element type " + std::string(DataTypeName(in.elem_type)) + " is not supported");
    }
    if (!in.has_shape) return Status::Error(ctx + ": the model does not give its shape");
    std::vector<int32_t> shape;
    for (size_t d = 0; d < in.dims.size(); ++d) {
      if (d == 0 && in.dims.size() > 1 && in.dims[0] < 0) {
        // A dynamic batch dimension (torch.onnx.export's dynamic_axes): qwasm runs one item.
        g_->metadata.notes.push_back("input '" + in.name + "': dynamic batch dimension" +
                                     (in.dim_params[0].empty() ? "" : " '" + in.dim_params[0] + "'") + " fixed to 1");
        shape.push_back(1);
        continue;
      }
      if (in.dims[d] < 1 || in.dims[d] > kMaxElements) {
        return Status::Error(ctx + ": dimension " + std::to_string(d) +
                             (in.dim_params[d].empty() ? " is unknown" : " is symbolic ('" + in.dim_params[d] + "')") +
                             "; qwasm needs fixed input shapes (export with fixed sizes)");
      }
      shape.push_back(static_cast<int32_t>(in.dims[d]));
    }
    Value v;
    v.shape = shape;
    v.perm = IdentityPerm(shape.size());
    if (shape.size() == 4 && !InputIsNhwc(in.name, 0)) {
      v.perm = DefaultPerm(4);
      g_->metadata.notes.push_back("input '" + in.name + "': ONNX NCHW " + ShapeString(shape) + " is NHWC " +
                                   ShapeString(StorageShape(shape, v.perm)) + " in qwasm");
    }
    Status s = Status::Ok();
    if (shape.size() > kMaxDims) s = Status::Error("rank " + std::to_string(shape.size()) + " is not supported");
    int64_t n = 1;
    for (int32_t d : shape) n *= d;  // each <= 2^28, at most 8 of them: the check below stops growth
    if (n > kMaxElements) s = Status::Error("the input is too large");
    QW_RETURN_IF_ERROR(s.With(ctx));
    v.tensor = AddTensor(in.name, dtype, StorageShape(shape, v.perm));
    g_->tensors[v.tensor].was_uint8 = in.elem_type == kUInt8;
    g_->inputs.push_back(v.tensor);
    values_[in.name] = v;
  }
  if (g_->inputs.empty()) return Status::Error("onnx: the graph has no inputs");
  return Status::Ok();
}

Status Importer::ConvertNode(size_t index) {
  node_index_ = index;
  const NodeProto& n = node();
  if (!n.domain.empty() && n.domain != "ai.onnx") {
    return Error("operator " + n.op_type + " of domain '" + n.domain + "' is not supported");
  }
  if (n.output.empty() || n.output[0].empty()) return Error("the node has no output");
  for (const std::string& out : n.output) {
    if (!out.empty() && values_.count(out)) return Error("output '" + out + "' is already defined");
  }
  QW_ONNX_ASSIGN(folded, TryFold());
  if (folded) return Status::Ok();
  Converter convert = FindConverter(n.op_type);
  if (!convert) {
    return Error("operator " + n.op_type + " runs only on constants in qwasm (shape arithmetic, folded at import); " +
                 "here an input is computed");
  }
  QW_RETURN_IF_ERROR((this->*convert)());
  // Extra outputs (MaxPool indices, Dropout mask, training statistics) are
  // not produced: fine unless something reads them.
  for (size_t k = 0; k < n.output.size(); ++k) {
    const std::string& out = n.output[k];
    if (out.empty() || values_.count(out)) continue;
    bool used = graph_output_uses_.count(out) > 0;
    auto it = consumers_.find(out);
    if (it != consumers_.end()) {
      for (size_t c : it->second) used |= !absorbed_[c];  // absorbed: folded into this node
    }
    if (used) {
      return Error("output " + std::to_string(k) + " '" + out + "' is used, but qwasm does not compute it");
    }
  }
  return Status::Ok();
}

// Every operator the model uses that qwasm cannot convert, in one message,
// before any tensor is judged.
Status Importer::CheckOperators() const {
  struct Use {
    size_t first = 0, count = 0;
  };
  std::vector<std::pair<std::string, Use>> missing;
  for (size_t i = 0; i < m_.graph.node.size(); ++i) {
    const NodeProto& n = m_.graph.node[i];
    const bool default_domain = n.domain.empty() || n.domain == "ai.onnx";
    if (default_domain && (FindConverter(n.op_type) || IsFoldable(n.op_type))) continue;
    const std::string key = default_domain ? n.op_type : n.op_type + " (domain '" + n.domain + "')";
    auto it = std::find_if(missing.begin(), missing.end(), [&](const auto& m) { return m.first == key; });
    if (it == missing.end()) {
      missing.push_back({key, {i, 1}});
    } else {
      ++it->second.count;
    }
  }
  if (missing.empty()) return Status::Ok();
  std::string list;
  for (const auto& [op, use] : missing) {
    const NodeProto& n = m_.graph.node[use.first];
    list += (list.empty() ? "" : ", ") + op + " (" +
            (use.count > 1 ? std::to_string(use.count) + " nodes, first " : "") + "node " +
            std::to_string(use.first) + (n.name.empty() ? "" : " '" + n.name + "'") + ")";
  }
  return Status::Error("onnx: this model needs " + std::to_string(missing.size()) + " operator" +
                       (missing.size() > 1 ? "s" : "") + " qwasm does not support: " + list);
}

Status Importer::ReadOutputs() {
  for (const ValueInfoProto& out : m_.graph.output) {
    const std::string ctx = "onnx: output '" + out.name + "'";
    auto it = values_.find(out.name);
    if (it == values_.end()) return Status::Error(ctx + " is not computed by any node");
    if (it->second.constant) return Status::Error(ctx + " is a constant");
    Value v = it->second;
    if (v.dequantized) {
      QW_ASSIGN_OR_RETURN(f, FloatTensor(v), ctx);
      v.tensor = f;
      v.dequantized = false;
    }
    const Perm want = DefaultPerm(v.shape.size());
    QW_ASSIGN_OR_RETURN(stored, WithPerm(v, want), ctx);
    if (v.shape.size() == 4) {
      g_->metadata.notes.push_back("output '" + out.name + "': ONNX NCHW " + ShapeString(v.shape) + " is NHWC " +
                                   ShapeString(StorageShape(v.shape, want)) + " in qwasm");
    }
    Tensor& t = g_->tensors[stored.tensor];
    const bool declared_float = out.elem_type == kFloat;
    const bool declared_q8 = out.elem_type == kUInt8 || out.elem_type == kInt8;
    if ((declared_float && t.dtype != DType::kFloat32) || (declared_q8 && t.dtype != DType::kInt8)) {
      return Status::Error(ctx + " is declared " + DataTypeName(out.elem_type) + " but computes " + DTypeName(t.dtype));
    }
    if (out.has_shape && out.dims.size() == v.shape.size()) {
      for (size_t d = 0; d < out.dims.size(); ++d) {
        if (out.dims[d] >= 0 && out.dims[d] != v.shape[d]) {
          return Status::Error(ctx + " is declared with shape " + DimsString(out.dims) + " but computes " +
                               ShapeString(v.shape));
        }
      }
    }
    bool is_input = false;
    for (int32_t i : g_->inputs) is_input |= i == stored.tensor;
    if (!is_input) t.name = out.name;
    g_->outputs.push_back(stored.tensor);
  }
  if (g_->outputs.empty()) return Status::Error("onnx: the graph has no outputs");
  return Status::Ok();
}

Status Importer::FinishQuant() {
  for (size_t i = 0; i < g_->tensors.size(); ++i) {
    Tensor& t = g_->tensors[i];
    t.quant = groups_[group_[i]];
    if (t.dtype == DType::kInt8 && !t.quant.quantized()) {
      return Status::Error("onnx: tensor '" + t.name + "' is " + (t.was_uint8 ? "uint8" : "int8") +
                           " but no QuantizeLinear or DequantizeLinear gives its scale");
    }
  }
  return Status::Ok();
}

Status Importer::Run() {
  QW_RETURN_IF_ERROR(ReadOpset());
  if (!m_.has_graph) return Status::Error("onnx: the model has no graph");
  QW_RETURN_IF_ERROR(CheckOperators());
  if (m_.graph.has_sparse_initializer) return Status::Error("onnx: sparse initializers are not supported");
  const std::vector<NodeProto>& nodes = m_.graph.node;
  absorbed_.assign(nodes.size(), false);
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (const std::string& in : nodes[i].input) {
      if (!in.empty()) consumers_[in].push_back(i);
    }
  }
  for (const ValueInfoProto& out : m_.graph.output) ++graph_output_uses_[out.name];
  QW_RETURN_IF_ERROR(ReadInitializers());
  QW_RETURN_IF_ERROR(ReadInputs());
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!absorbed_[i]) QW_RETURN_IF_ERROR(ConvertNode(i));
  }
  QW_RETURN_IF_ERROR(ReadOutputs());
  return FinishQuant();
}

Result<std::unique_ptr<Graph>> ReadOnnx(std::shared_ptr<const std::vector<uint8_t>> bytes) {
  if (!bytes) return Status::Error("no model bytes");
  Result<ModelProto> decoded = DecodeModel({bytes->data(), bytes->size()});
  if (!decoded.ok()) return decoded.status();
  const ModelProto& model = decoded.value();
  auto graph = std::make_unique<Graph>();
  Importer importer(model, graph.get());
  QW_RETURN_IF_ERROR(importer.Run());
  graph->metadata.producer = "onnx";
  graph->metadata.name = model.graph.name;
  if (!model.producer_name.empty()) {
    graph->metadata.notes.push_back("converted by " + model.producer_name +
                                    (model.producer_version.empty() ? "" : " " + model.producer_version));
  }
  graph->source = std::move(bytes);
  return graph;
}

}  // namespace qwasm::onnx
