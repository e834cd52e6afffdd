// onnx_model.h — the parts of ONNX's protobuf schema (onnx/onnx.proto3) that
// qwasm reads, decoded into plain structs.
//
// Decoding checks the wire format (protobuf.h), element counts and tensor
// sizes, but not meaning: onnx_reader.cc judges operators, types and shapes.
// Tensor raw_data is borrowed from the model bytes (no copy); the typed
// repeated fields (float_data, ...) are decoded into vectors.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "import/onnx/protobuf.h"

namespace qwasm::onnx {

// TensorProto.DataType values qwasm names in messages or reads.
enum DataType : int32_t {
  kUndefined = 0, kFloat = 1, kUInt8 = 2, kInt8 = 3, kUInt16 = 4, kInt16 = 5, kInt32 = 6,
  kInt64 = 7, kString = 8, kBool = 9, kFloat16 = 10, kDouble = 11, kUInt32 = 12, kUInt64 = 13,
};
const char* DataTypeName(int32_t type);
// Bytes per element of the fixed-size types qwasm reads, 0 for others.
size_t DataTypeSize(int32_t type);

// Limits on what a file may declare, checked before anything is allocated.
constexpr size_t kMaxDims = 8;
constexpr int64_t kMaxElements = int64_t{1} << 28;

struct TensorProto {
  std::string name;
  int32_t data_type = kUndefined;
  std::vector<int64_t> dims;
  pb::Span raw_data;  // borrowed from the model bytes
  bool has_raw_data = false;
  std::vector<float> float_data;
  std::vector<int32_t> int32_data;
  std::vector<int64_t> int64_data;
  bool external = false;  // data_location = EXTERNAL or external_data present
  bool has_other_data = false;  // string/double/uint64 data, segments

  int64_t num_elements() const;  // dims checked at decode: no overflow
};

struct AttributeProto {
  enum Type : int32_t {
    kUndefinedAttr = 0, kFloatAttr = 1, kIntAttr = 2, kStringAttr = 3, kTensorAttr = 4, kGraphAttr = 5,
    kFloatsAttr = 6, kIntsAttr = 7, kStringsAttr = 8, kTensorsAttr = 9, kGraphsAttr = 10,
  };
  std::string name;
  int32_t type = kUndefinedAttr;
  float f = 0.0f;
  int64_t i = 0;
  std::string s;
  std::vector<TensorProto> t;  // 0 or 1 tensor (field 't')
  std::vector<float> floats;
  std::vector<int64_t> ints;
};

struct NodeProto {
  std::vector<std::string> input;
  std::vector<std::string> output;
  std::string name;
  std::string op_type;
  std::string domain;
  std::vector<AttributeProto> attribute;

  const AttributeProto* Attr(const std::string& name) const;
};

// A dimension is known (dim_value >= 0) or symbolic / absent (-1).
struct ValueInfoProto {
  std::string name;
  int32_t elem_type = kUndefined;
  bool has_shape = false;
  std::vector<int64_t> dims;
  std::vector<std::string> dim_params;  // symbolic names, "" for known ones
};

struct GraphProto {
  std::string name;
  std::vector<NodeProto> node;
  std::vector<TensorProto> initializer;
  std::vector<ValueInfoProto> input;
  std::vector<ValueInfoProto> output;
  std::vector<ValueInfoProto> value_info;
  bool has_sparse_initializer = false;
};

struct OperatorSetId {
  std::string domain;
  int64_t version = 0;
};

struct ModelProto {
  int64_t ir_version = 0;
  std::vector<OperatorSetId> opset_import;
  std::string producer_name;
  std::string producer_version;
  GraphProto graph;
  bool has_graph = false;
};

// Decodes a whole ModelProto. Errors name the message path, e.g.
// "onnx: graph: node 12: attribute 3: field 8: length 90 runs past the end".
Result<ModelProto> DecodeModel(pb::Span bytes);

// Exposed for tests: decodes one TensorProto message.
Result<TensorProto> DecodeTensor(pb::Span bytes, int depth);

}  // namespace qwasm::onnx
