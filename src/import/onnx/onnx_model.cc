#include "import/onnx/onnx_model.h"

#include <cstring>

namespace qwasm::onnx {
namespace {

using pb::Field;
using pb::Reader;
using pb::Span;

// Field numbers from onnx/onnx.proto3.
namespace field {
constexpr uint32_t kModelIrVersion = 1, kModelProducerName = 2, kModelProducerVersion = 3, kModelGraph = 7,
                   kModelOpsetImport = 8;
constexpr uint32_t kOpsetDomain = 1, kOpsetVersion = 2;
constexpr uint32_t kGraphNode = 1, kGraphName = 2, kGraphInitializer = 5, kGraphInput = 11, kGraphOutput = 12,
                   kGraphValueInfo = 13, kGraphSparseInitializer = 15;
constexpr uint32_t kNodeInput = 1, kNodeOutput = 2, kNodeName = 3, kNodeOpType = 4, kNodeAttribute = 5,
                   kNodeDomain = 7;
constexpr uint32_t kAttrName = 1, kAttrF = 2, kAttrI = 3, kAttrS = 4, kAttrT = 5, kAttrFloats = 7, kAttrInts = 8,
                   kAttrType = 20;
constexpr uint32_t kTensorDims = 1, kTensorDataType = 2, kTensorSegment = 3, kTensorFloatData = 4,
                   kTensorInt32Data = 5, kTensorStringData = 6, kTensorInt64Data = 7, kTensorName = 8,
                   kTensorRawData = 9, kTensorDoubleData = 10, kTensorUInt64Data = 11, kTensorExternalData = 13,
                   kTensorDataLocation = 14;
constexpr uint32_t kValueInfoName = 1, kValueInfoType = 2;
constexpr uint32_t kTypeTensorType = 1;             // TypeProto.tensor_type
constexpr uint32_t kTypeTensorElemType = 1, kTypeTensorShape = 2;  // TypeProto.Tensor
constexpr uint32_t kShapeDim = 1;                   // TensorShapeProto.dim
constexpr uint32_t kDimValue = 1, kDimParam = 2;    // TensorShapeProto.Dimension
}  // namespace field

constexpr size_t kMaxAttributeValues = size_t{1} << 20;

// Each decoder reads one message; `depth` counts enclosing messages.
Status CheckDepth(int depth) {
  if (depth > pb::kMaxDepth) return Status::Error("messages nested deeper than " + std::to_string(pb::kMaxDepth));
  return Status::Ok();
}

Status ExpectWire(const Field& f, pb::WireType wire, const char* what) {
  if (f.wire != wire) {
    return Status::Error(std::string(what) + " (field " + std::to_string(f.number) + ") has wire type " +
                         std::to_string(f.wire) + ", expected " + std::to_string(wire));
  }
  return Status::Ok();
}

// int32 fields encode negatives as 64-bit varints; reject anything outside int32.
Status ToInt32(const Field& f, const char* what, int32_t* out) {
  QW_RETURN_IF_ERROR(ExpectWire(f, pb::kVarint, what));
  const int64_t v = f.as_int64();
  if (v < INT32_MIN || v > INT32_MAX) {
    return Status::Error(std::string(what) + " " + std::to_string(v) + " is out of range");
  }
  *out = static_cast<int32_t>(v);
  return Status::Ok();
}

Status String(const Field& f, const char* what, std::string* out) {
  QW_RETURN_IF_ERROR(ExpectWire(f, pb::kLengthDelimited, what));
  *out = f.bytes.str();
  return Status::Ok();
}

Status Finish(const Reader& r) { return r.status(); }

Status CheckDims(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) return Status::Error("negative dimension " + std::to_string(d));
    // n * d > kMaxElements without overflow: both are at most 2^63.
    if (d != 0 && n > kMaxElements / d) {
      return Status::Error("more than " + std::to_string(kMaxElements) + " elements");
    }
    n *= d;
  }
  return Status::Ok();
}

Status CheckTensorData(const TensorProto& t) {
  const int64_t n = t.num_elements();
  auto count_error = [&](const char* field, size_t count) {
    return Status::Error(std::string(field) + " holds " + std::to_string(count) + " values for " +
                         std::to_string(n) + " elements");
  };
  if (t.has_raw_data) {
    const size_t size = DataTypeSize(t.data_type);
    if (size != 0 && t.raw_data.size != static_cast<size_t>(n) * size) {
      return Status::Error("raw_data holds " + std::to_string(t.raw_data.size) + " bytes, " + std::to_string(n) +
                           " elements of " + DataTypeName(t.data_type) + " need " +
                           std::to_string(static_cast<size_t>(n) * size));
    }
  }
  if (!t.float_data.empty() && t.float_data.size() != static_cast<size_t>(n)) {
    return count_error("float_data", t.float_data.size());
  }
  if (!t.int32_data.empty() && t.int32_data.size() != static_cast<size_t>(n)) {
    return count_error("int32_data", t.int32_data.size());
  }
  if (!t.int64_data.empty() && t.int64_data.size() != static_cast<size_t>(n)) {
    return count_error("int64_data", t.int64_data.size());
  }
  return Status::Ok();
}

Result<Span> SubMessage(const Field& f, const char* what, int depth) {
  QW_RETURN_IF_ERROR(ExpectWire(f, pb::kLengthDelimited, what));
  QW_RETURN_IF_ERROR(CheckDepth(depth + 1));
  return f.bytes;
}

Result<OperatorSetId> DecodeOpset(Span s) {
  OperatorSetId o;
  Reader r(s);
  Field f;
  while (r.Next(&f)) {
    if (f.number == field::kOpsetDomain) {
      QW_RETURN_IF_ERROR(String(f, "domain", &o.domain));
    } else if (f.number == field::kOpsetVersion) {
      QW_RETURN_IF_ERROR(ExpectWire(f, pb::kVarint, "version"));
      o.version = f.as_int64();
    }
  }
  QW_RETURN_IF_ERROR(Finish(r));
  return o;
}

// TensorShapeProto.Dimension
Status DecodeDim(Span s, ValueInfoProto* v) {
  int64_t value = -1;
  std::string param;
  Reader r(s);
  Field f;
  while (r.Next(&f)) {
    if (f.number == field::kDimValue) {
      QW_RETURN_IF_ERROR(ExpectWire(f, pb::kVarint, "dim_value"));
      value = f.as_int64() < 0 ? -1 : f.as_int64();
    } else if (f.number == field::kDimParam) {
      QW_RETURN_IF_ERROR(String(f, "dim_param", &param));
    }
  }
  QW_RETURN_IF_ERROR(Finish(r));
  v->dims.push_back(value);
  v->dim_params.push_back(param);
  return Status::Ok();
}

Status DecodeShape(Span s, ValueInfoProto* v, int depth) {
  v->has_shape = true;
  Reader r(s);
  Field f;
  while (r.Next(&f)) {
    if (f.number != field::kShapeDim) continue;
    if (v->dims.size() >= kMaxDims) return Status::Error("shape has more than " + std::to_string(kMaxDims) + " dims");
    QW_ASSIGN_OR_RETURN(dim, SubMessage(f, "dim", depth), "shape");
    QW_RETURN_IF_ERROR(DecodeDim(dim, v).With("dim " + std::to_string(v->dims.size())));
  }
  return Finish(r);
}

// TypeProto, of which only tensor_type is read.
Status DecodeType(Span s, ValueInfoProto* v, int depth) {
  Reader r(s);
  Field f;
  while (r.Next(&f)) {
    if (f.number != field::kTypeTensorType) continue;
    QW_ASSIGN_OR_RETURN(tt, SubMessage(f, "tensor_type", depth), "type");
    Reader rt(tt);
    Field g;
    while (rt.Next(&g)) {
      if (g.number == field::kTypeTensorElemType) {
        QW_RETURN_IF_ERROR(ToInt32(g, "elem_type", &v->elem_type));
      } else if (g.number == field::kTypeTensorShape) {
        QW_ASSIGN_OR_RETURN(shape, SubMessage(g, "shape", depth + 1), "tensor_type");
        QW_RETURN_IF_ERROR(DecodeShape(shape, v, depth + 2).With("tensor_type"));
      }
    }
    QW_RETURN_IF_ERROR(Finish(rt).With("tensor_type"));
  }
  return Finish(r);
}

Result<ValueInfoProto> DecodeValueInfo(Span s, int depth) {
  ValueInfoProto v;
  Reader r(s);
  Field f;
  while (r.Next(&f)) {
    if (f.number == field::kValueInfoName) {
      QW_RETURN_IF_ERROR(String(f, "name", &v.name));
    } else if (f.number == field::kValueInfoType) {
      QW_ASSIGN_OR_RETURN(type, SubMessage(f, "type", depth), "'" + v.name + "'");
      QW_RETURN_IF_ERROR(DecodeType(type, &v, depth + 1).With("'" + v.name + "'"));
    }
  }
  QW_RETURN_IF_ERROR(Finish(r));
  return v;
}

Status DecodeTensorField(const Field& f, TensorProto* t) {
  switch (f.number) {
    case field::kTensorDims: {
      QW_RETURN_IF_ERROR(pb::AppendVarints(f, kMaxDims, &t->dims).With("dims"));
      return Status::Ok();
    }
    case field::kTensorDataType: return ToInt32(f, "data_type", &t->data_type);
    case field::kTensorName: return String(f, "name", &t->name);
    case field::kTensorRawData:
      QW_RETURN_IF_ERROR(ExpectWire(f, pb::kLengthDelimited, "raw_data"));
      t->raw_data = f.bytes;
      t->has_raw_data = true;
      return Status::Ok();
    case field::kTensorFloatData: {
      std::vector<uint32_t> bits;
      QW_RETURN_IF_ERROR(pb::AppendFixed32(f, kMaxElements - t->float_data.size(), &bits).With("float_data"));
      const size_t old = t->float_data.size();
      t->float_data.resize(old + bits.size());
      if (!bits.empty()) std::memcpy(t->float_data.data() + old, bits.data(), bits.size() * 4);
      return Status::Ok();
    }
    case field::kTensorInt32Data: {
      std::vector<int64_t> v;
      QW_RETURN_IF_ERROR(pb::AppendVarints(f, kMaxElements - t->int32_data.size(), &v).With("int32_data"));
      for (int64_t x : v) t->int32_data.push_back(static_cast<int32_t>(x));  // int32 varints: low 32 bits
      return Status::Ok();
    }
    case field::kTensorInt64Data:
      return pb::AppendVarints(f, kMaxElements, &t->int64_data).With("int64_data");
    case field::kTensorExternalData:
      t->external = true;
      return Status::Ok();
    case field::kTensorDataLocation:
      QW_RETURN_IF_ERROR(ExpectWire(f, pb::kVarint, "data_location"));
      if (f.varint == 1) t->external = true;
      return Status::Ok();
    case field::kTensorSegment:
    case field::kTensorStringData:
    case field::kTensorDoubleData:
    case field::kTensorUInt64Data:
      t->has_other_data = true;
      return Status::Ok();
    default:
      return Status::Ok();  // doc_string and fields of later versions
  }
}

Result<AttributeProto> DecodeAttribute(Span s, int depth) {
  AttributeProto a;
  Reader r(s);
  Field f;
  while (r.Next(&f)) {
    switch (f.number) {
      case field::kAttrName: QW_RETURN_IF_ERROR(String(f, "name", &a.name)); break;
      case field::kAttrType: QW_RETURN_IF_ERROR(ToInt32(f, "type", &a.type)); break;
      case field::kAttrF:
        QW_RETURN_IF_ERROR(ExpectWire(f, pb::kFixed32, "f"));
        a.f = f.as_float();
        break;
      case field::kAttrI:
        QW_RETURN_IF_ERROR(ExpectWire(f, pb::kVarint, "i"));
        a.i = f.as_int64();
        break;
      case field::kAttrS: QW_RETURN_IF_ERROR(String(f, "s", &a.s)); break;
      case field::kAttrT: {
        QW_ASSIGN_OR_RETURN(ts, SubMessage(f, "t", depth), "'" + a.name + "'");
        QW_ASSIGN_OR_RETURN(t, DecodeTensor(ts, depth + 1), "'" + a.name + "': tensor");
        a.t.clear();
        a.t.push_back(std::move(t));
        break;
      }
      case field::kAttrFloats: {
        std::vector<uint32_t> bits;
        QW_RETURN_IF_ERROR(pb::AppendFixed32(f, kMaxAttributeValues - a.floats.size(), &bits).With("'" + a.name + "' floats"));
        for (uint32_t b : bits) {
          float v;
          std::memcpy(&v, &b, 4);
          a.floats.push_back(v);
        }
        break;
      }
      case field::kAttrInts:
        QW_RETURN_IF_ERROR(pb::AppendVarints(f, kMaxAttributeValues, &a.ints).With("'" + a.name + "' ints"));
        break;
      default: break;  // graphs, strings, sparse tensors: no supported operator uses them
    }
  }
  QW_RETURN_IF_ERROR(Finish(r));
  return a;
}

Result<NodeProto> DecodeNode(Span s, int depth) {
  NodeProto n;
  Reader r(s);
  Field f;
  while (r.Next(&f)) {
    switch (f.number) {
      case field::kNodeInput: {
        std::string v;
        QW_RETURN_IF_ERROR(String(f, "input", &v));
        n.input.push_back(std::move(v));
        break;
      }
      case field::kNodeOutput: {
        std::string v;
        QW_RETURN_IF_ERROR(String(f, "output", &v));
        n.output.push_back(std::move(v));
        break;
      }
      case field::kNodeName: QW_RETURN_IF_ERROR(String(f, "name", &n.name)); break;
      case field::kNodeOpType: QW_RETURN_IF_ERROR(String(f, "op_type", &n.op_type)); break;
      case field::kNodeDomain: QW_RETURN_IF_ERROR(String(f, "domain", &n.domain)); break;
      case field::kNodeAttribute: {
        const std::string ctx = "attribute " + std::to_string(n.attribute.size());
        QW_ASSIGN_OR_RETURN(as, SubMessage(f, "attribute", depth), ctx);
        QW_ASSIGN_OR_RETURN(a, DecodeAttribute(as, depth + 1), ctx);
        n.attribute.push_back(std::move(a));
        break;
      }
      default: break;
    }
  }
  QW_RETURN_IF_ERROR(Finish(r));
  return n;
}

Status DecodeGraph(Span s, GraphProto* g, int depth) {
  Reader r(s);
  Field f;
  while (r.Next(&f)) {
    switch (f.number) {
      case field::kGraphName: QW_RETURN_IF_ERROR(String(f, "name", &g->name)); break;
      case field::kGraphNode: {
        const std::string ctx = "node " + std::to_string(g->node.size());
        QW_ASSIGN_OR_RETURN(ns, SubMessage(f, "node", depth), ctx);
        QW_ASSIGN_OR_RETURN(n, DecodeNode(ns, depth + 1), ctx);
        g->node.push_back(std::move(n));
        break;
      }
      case field::kGraphInitializer: {
        const std::string ctx = "initializer " + std::to_string(g->initializer.size());
        QW_ASSIGN_OR_RETURN(ts, SubMessage(f, "initializer", depth), ctx);
        QW_ASSIGN_OR_RETURN(t, DecodeTensor(ts, depth + 1), ctx);
        g->initializer.push_back(std::move(t));
        break;
      }
      case field::kGraphInput:
      case field::kGraphOutput:
      case field::kGraphValueInfo: {
        std::vector<ValueInfoProto>* list = f.number == field::kGraphInput    ? &g->input
                                            : f.number == field::kGraphOutput ? &g->output
                                                                              : &g->value_info;
        const char* what = f.number == field::kGraphInput    ? "input"
                           : f.number == field::kGraphOutput ? "output"
                                                             : "value_info";
        const std::string ctx = std::string(what) + " " + std::to_string(list->size());
        QW_ASSIGN_OR_RETURN(vs, SubMessage(f, what, depth), ctx);
        QW_ASSIGN_OR_RETURN(v, DecodeValueInfo(vs, depth + 1), ctx);
        list->push_back(std::move(v));
        break;
      }
      case field::kGraphSparseInitializer: g->has_sparse_initializer = true; break;
      default: break;
    }
  }
  return Finish(r);
}

}  // namespace

const char* DataTypeName(int32_t type) {
  static const char* const kNames[] = {"UNDEFINED", "FLOAT",  "UINT8",  "INT8",      "UINT16",     "INT16",
                                       "INT32",     "INT64",  "STRING", "BOOL",      "FLOAT16",    "DOUBLE",
                                       "UINT32",    "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16"};
  return type >= 0 && type < 17 ? kNames[type] : "UNKNOWN";
}

size_t DataTypeSize(int32_t type) {
  switch (type) {
    case kFloat: case kInt32: case kUInt32: return 4;
    case kUInt8: case kInt8: case kBool: return 1;
    case kUInt16: case kInt16: case kFloat16: return 2;
    case kInt64: case kDouble: case kUInt64: return 8;
    default: return 0;
  }
}

int64_t TensorProto::num_elements() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

const AttributeProto* NodeProto::Attr(const std::string& attr_name) const {
  for (const AttributeProto& a : attribute) {
    if (a.name == attr_name) return &a;
  }
  return nullptr;
}

Result<TensorProto> DecodeTensor(Span s, int depth) {
  QW_RETURN_IF_ERROR(CheckDepth(depth));
  TensorProto t;
  Reader r(s);
  Field f;
  while (r.Next(&f)) QW_RETURN_IF_ERROR(DecodeTensorField(f, &t).With(t.name.empty() ? "tensor" : "tensor '" + t.name + "'"));
  QW_RETURN_IF_ERROR(Finish(r));
  const std::string ctx = "tensor '" + t.name + "'";
  QW_RETURN_IF_ERROR(CheckDims(t.dims).With(ctx));
  QW_RETURN_IF_ERROR(CheckTensorData(t).With(ctx));
  return t;
}

Result<ModelProto> DecodeModel(Span bytes) {
  ModelProto m;
  Reader r(bytes);
  Field f;
  while (r.Next(&f)) {
    switch (f.number) {
      case field::kModelIrVersion:
        QW_RETURN_IF_ERROR(ExpectWire(f, pb::kVarint, "ir_version").With("onnx: model"));
        m.ir_version = f.as_int64();
        break;
      case field::kModelProducerName:
        QW_RETURN_IF_ERROR(String(f, "producer_name", &m.producer_name).With("onnx: model"));
        break;
      case field::kModelProducerVersion:
        QW_RETURN_IF_ERROR(String(f, "producer_version", &m.producer_version).With("onnx: model"));
        break;
      case field::kModelOpsetImport: {
        QW_ASSIGN_OR_RETURN(os, SubMessage(f, "opset_import", 0), "onnx: model");
        QW_ASSIGN_OR_RETURN(o, DecodeOpset(os), "onnx: opset_import");
        m.opset_import.push_back(std::move(o));
        break;
      }
      case field::kModelGraph: {
        // A repeated message field merges; ONNX writers emit one graph.
        if (m.has_graph) return Status::Error("onnx: the model holds more than one graph");
        QW_ASSIGN_OR_RETURN(gs, SubMessage(f, "graph", 0), "onnx: model");
        QW_RETURN_IF_ERROR(DecodeGraph(gs, &m.graph, 1).With("onnx: graph"));
        m.has_graph = true;
        break;
      }
      default: break;
    }
  }
  QW_RETURN_IF_ERROR(r.status().With("onnx: model"));
  return m;
}

}  // namespace qwasm::onnx
