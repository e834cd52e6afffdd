#include "import/tflite_reader.h"

#include <limits>

#include "import/flatbuffer.h"
#include "import/tflite_metadata.h"
#include "import/tflite_ops.h"

namespace qwasm::tflite {
namespace {

using fb::Table;
using fb::Vector;

// Field ids from TFLite's schema.fbs.
namespace field {
constexpr int kModelVersion = 0, kModelOperatorCodes = 1, kModelSubgraphs = 2, kModelBuffers = 4;
constexpr int kOpCodeDeprecatedBuiltin = 0, kOpCodeCustomCode = 1, kOpCodeBuiltin = 3;
constexpr int kSubgraphTensors = 0, kSubgraphInputs = 1, kSubgraphOutputs = 2, kSubgraphOperators = 3;
constexpr int kTensorShape = 0, kTensorType = 1, kTensorBuffer = 2, kTensorName = 3,
              kTensorQuantization = 4, kTensorSparsity = 6;
constexpr int kQuantScale = 2, kQuantZeroPoint = 3, kQuantDetailsType = 4, kQuantDimension = 6;
constexpr int kBufferData = 0, kBufferOffset = 1, kBufferSize = 2;
constexpr int kOpOpcodeIndex = 0, kOpInputs = 1, kOpOutputs = 2;
}  // namespace field

constexpr int32_t kBuiltinCustom = 32;  // BuiltinOperator CUSTOM

// TensorType codes.
enum TensorType : int8_t { kFloat32 = 0, kFloat16 = 1, kInt32 = 2, kUInt8 = 3, kInt64 = 4, kInt8 = 9 };

const char* TensorTypeName(int8_t t) {
  static const char* const kNames[] = {"FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING",
                                       "BOOL", "INT16", "COMPLEX64", "INT8", "FLOAT64",
                                       "COMPLEX128", "UINT64", "RESOURCE", "VARIANT", "UINT32",
                                       "UINT16", "INT4"};
  return t >= 0 && t < 18 ? kNames[t] : "UNKNOWN";
}

// What TFLite's conventions say about an image input [N, H, W, C]: NHWC, and
// uint8 inputs take the pixels as they are (the normalisation is folded into
// the input quantization, which is how TFLite's Task Library feeds them).
void DescribeImageInput(Graph& g) {
  if (g.inputs.size() != 1 || g.inputs[0] < 0 || static_cast<size_t>(g.inputs[0]) >= g.tensors.size()) return;
  const Tensor& in = g.tensors[g.inputs[0]];
  if (in.shape.size() != 4 || in.shape[1] < 1 || in.shape[2] < 1 || in.shape[3] < 1) return;
  ModelMetadata& m = g.metadata;
  m.layout = InputLayout::kNHWC;
  m.input_height = in.shape[1];
  m.input_width = in.shape[2];
  m.input_channels = in.shape[3];
  m.pixels_are_input = in.was_uint8;
}

class Reader {
 public:
  explicit Reader(std::shared_ptr<const std::vector<uint8_t>> bytes)
      : bytes_(std::move(bytes)), buf_{bytes_->data(), bytes_->size()} {}

  Result<std::unique_ptr<Graph>> Read();

 private:
  struct OpCode {
    int32_t builtin = 0;
    std::string custom;
  };

  Status ReadOpCodes(const Table& model);
  Status ReadBuffers(const Table& model);
  Status ReadTensors(const Table& subgraph);
  Status ReadTensor(const Table& t, size_t index);
  Status ReadQuantization(const Table& t, Tensor* tensor);
  Status CheckOperatorsSupported(const Table& subgraph);
  Result<const OpCode*> OperatorCode(const Table& op, const std::string& label);
  Status ReadOperators(const Table& subgraph);
  Status ReadOperator(const Table& op, size_t index);
  Result<std::vector<int32_t>> IntVector(const Table& t, int field, const char* what);

  std::shared_ptr<const std::vector<uint8_t>> bytes_;
  fb::Bytes buf_;
  std::vector<OpCode> op_codes_;
  std::vector<fb::Bytes> buffers_;
  std::unique_ptr<Graph> graph_ = std::make_unique<Graph>();
};

Result<std::vector<int32_t>> Reader::IntVector(const Table& t, int f, const char* what) {
  QW_ASSIGN_OR_RETURN(v, t.VectorField(f, 4), what);
  std::vector<int32_t> out(v.count);
  for (uint32_t i = 0; i < v.count; ++i) out[i] = v.At<int32_t>(i);
  return out;
}

Result<std::unique_ptr<Graph>> Reader::Read() {
  if (!LooksLikeTFLite(buf_.data, buf_.size)) {
    return Status::Error("not a TFLite model (missing the 'TFL3' file identifier)");
  }
  QW_ASSIGN_OR_RETURN(model, Table::Root(buf_), "tflite: model");
  QW_ASSIGN_OR_RETURN(version, model.Scalar<uint32_t>(field::kModelVersion, 0), "tflite: model version");
  if (version != 3) {
    return Status::Error("tflite: schema version " + std::to_string(version) + " is not supported (expected 3)");
  }
  QW_RETURN_IF_ERROR(ReadOpCodes(model));
  QW_RETURN_IF_ERROR(ReadBuffers(model));
  QW_ASSIGN_OR_RETURN(subgraphs, model.VectorField(field::kModelSubgraphs, 4), "tflite: subgraphs");
  if (subgraphs.count < 1) return Status::Error("tflite: the model has no subgraph");
  QW_ASSIGN_OR_RETURN(sg, Table::TableAt(subgraphs, 0), "tflite: subgraph 0");
  // Operators first: a model qwasm cannot run is named by the operators it
  // lacks, not by the first tensor type or quantization they would use.
  QW_RETURN_IF_ERROR(CheckOperatorsSupported(sg));
  QW_RETURN_IF_ERROR(ReadTensors(sg));
  QW_ASSIGN_OR_RETURN(inputs, IntVector(sg, field::kSubgraphInputs, "inputs"), "tflite: subgraph 0");
  QW_ASSIGN_OR_RETURN(outputs, IntVector(sg, field::kSubgraphOutputs, "outputs"), "tflite: subgraph 0");
  graph_->inputs = inputs;
  graph_->outputs = outputs;
  QW_RETURN_IF_ERROR(ReadOperators(sg));
  QW_RETURN_IF_ERROR(ReadMetadata(buf_, model, buffers_, &graph_->metadata));
  graph_->metadata.producer = "tflite";
  DescribeImageInput(*graph_);
  graph_->source = bytes_;
  return std::move(graph_);
}

Status Reader::ReadOpCodes(const Table& model) {
  QW_ASSIGN_OR_RETURN(codes, model.VectorField(field::kModelOperatorCodes, 4), "tflite: operator codes");
  for (uint32_t i = 0; i < codes.count; ++i) {
    const std::string ctx = "tflite: operator code " + std::to_string(i);
    QW_ASSIGN_OR_RETURN(t, Table::TableAt(codes, i), ctx);
    // Old files store the code in a byte field; new ones in an int field and
    // cap the byte at 127 (PLACEHOLDER_FOR_GREATER_OP_CODES). Take the larger.
    QW_ASSIGN_OR_RETURN(old_code, t.Scalar<int8_t>(field::kOpCodeDeprecatedBuiltin, 0), ctx);
    QW_ASSIGN_OR_RETURN(new_code, t.Scalar<int32_t>(field::kOpCodeBuiltin, 0), ctx);
    QW_ASSIGN_OR_RETURN(custom, t.String(field::kOpCodeCustomCode), ctx);
    op_codes_.push_back({std::max<int32_t>(old_code, new_code), custom});
  }
  return Status::Ok();
}

Status Reader::ReadBuffers(const Table& model) {
  QW_ASSIGN_OR_RETURN(list, model.VectorField(field::kModelBuffers, 4), "tflite: buffers");
  for (uint32_t i = 0; i < list.count; ++i) {
    const std::string ctx = "tflite: buffer " + std::to_string(i);
    QW_ASSIGN_OR_RETURN(t, Table::TableAt(list, i), ctx);
    QW_ASSIGN_OR_RETURN(data, t.VectorField(field::kBufferData, 1), ctx);
    fb::Bytes b{data.data(), data.count};
    // Models over 2 GB keep data after the flatbuffer, addressed by offset/size.
    QW_ASSIGN_OR_RETURN(offset, t.Scalar<uint64_t>(field::kBufferOffset, 0), ctx);
    QW_ASSIGN_OR_RETURN(size, t.Scalar<uint64_t>(field::kBufferSize, 0), ctx);
    if (offset > 1) {
      if (offset > buf_.size || size > buf_.size - offset) {
        return Status::Error(ctx + ": external data [" + std::to_string(offset) + ", +" + std::to_string(size) +
                             ") lies outside the file (truncated or corrupt)");
      }
      b = {buf_.data + offset, static_cast<size_t>(size)};
    }
    buffers_.push_back(b);
  }
  return Status::Ok();
}

Status Reader::ReadTensors(const Table& subgraph) {
  QW_ASSIGN_OR_RETURN(list, subgraph.VectorField(field::kSubgraphTensors, 4), "tflite: tensors");
  graph_->tensors.resize(list.count);
  for (uint32_t i = 0; i < list.count; ++i) {
    QW_ASSIGN_OR_RETURN(t, Table::TableAt(list, i), "tflite: tensor " + std::to_string(i));
    QW_RETURN_IF_ERROR(ReadTensor(t, i));
  }
  return Status::Ok();
}

Status Reader::ReadTensor(const Table& t, size_t index) {
  Tensor& tensor = graph_->tensors[index];
  std::string ctx = "tflite: tensor " + std::to_string(index);
  QW_ASSIGN_OR_RETURN(name, t.String(field::kTensorName), ctx);
  tensor.name = name;
  ctx += " '" + name + "'";
  QW_ASSIGN_OR_RETURN(shape, IntVector(t, field::kTensorShape, "shape"), ctx);
  tensor.shape = shape;
  QW_ASSIGN_OR_RETURN(type, t.Scalar<int8_t>(field::kTensorType, kFloat32), ctx);
  switch (type) {
    case kFloat32: tensor.dtype = DType::kFloat32; break;
    case kInt32: tensor.dtype = DType::kInt32; break;
    case kUInt8: tensor.dtype = DType::kUInt8; break;
    case kInt8: tensor.dtype = DType::kInt8; break;
    case kInt64: tensor.dtype = DType::kInt64; break;
    default:
      return Status::Error(ctx + ": tensor type " + TensorTypeName(type) + " is not supported");
  }
  if (t.Has(field::kTensorSparsity)) return Status::Error(ctx + ": sparse tensors are not supported");
  QW_RETURN_IF_ERROR(ReadQuantization(t, &tensor).With(ctx));
  QW_ASSIGN_OR_RETURN(buffer, t.Scalar<uint32_t>(field::kTensorBuffer, 0), ctx);
  if (buffer >= buffers_.size() && buffer != 0) {
    return Status::Error(ctx + ": buffer index " + std::to_string(buffer) + " is out of range");
  }
  if (buffer != 0 && buffers_[buffer].size > 0) {
    tensor.data = buffers_[buffer].data;
    tensor.data_bytes = buffers_[buffer].size;
  }
  if (tensor.dtype == DType::kUInt8) {
    if (!tensor.quant.quantized()) return Status::Error(ctx + ": uint8 tensor without quantization parameters");
    // uint8 q with zero point z is int8 q - 128 with zero point z - 128.
    tensor.dtype = DType::kInt8;
    tensor.was_uint8 = true;
    for (int32_t& zp : tensor.quant.zero_point) zp -= 128;
    if (tensor.is_constant()) {
      std::vector<uint8_t> shifted(tensor.data, tensor.data + tensor.data_bytes);
      for (uint8_t& v : shifted) v ^= 0x80;
      tensor.data = graph_->Own(std::move(shifted));
    }
  }
  return Status::Ok();
}

Status Reader::ReadQuantization(const Table& t, Tensor* tensor) {
  bool present = false;
  QW_ASSIGN_OR_RETURN(q, t.SubTable(field::kTensorQuantization, &present), "quantization");
  if (!present) return Status::Ok();
  QW_ASSIGN_OR_RETURN(details, q.Scalar<uint8_t>(field::kQuantDetailsType, 0), "quantization");
  if (details != 0) return Status::Error("custom quantization details are not supported");
  QW_ASSIGN_OR_RETURN(scale, q.VectorField(field::kQuantScale, 4), "quantization scales");
  QW_ASSIGN_OR_RETURN(zero, q.VectorField(field::kQuantZeroPoint, 8), "quantization zero points");
  QW_ASSIGN_OR_RETURN(axis, q.Scalar<int32_t>(field::kQuantDimension, 0), "quantization");
  if (scale.count == 0) return Status::Ok();  // min/max only: not quantized for inference
  if (zero.count != scale.count) {
    return Status::Error("quantization has " + std::to_string(scale.count) + " scales but " +
                         std::to_string(zero.count) + " zero points");
  }
  for (uint32_t i = 0; i < scale.count; ++i) {
    const int64_t zp = zero.At<int64_t>(i);
    if (zp < std::numeric_limits<int32_t>::min() || zp > std::numeric_limits<int32_t>::max()) {
      return Status::Error("zero point " + std::to_string(zp) + " is out of range");
    }
    tensor->quant.scale.push_back(scale.At<float>(i));
    tensor->quant.zero_point.push_back(static_cast<int32_t>(zp));
  }
  tensor->quant.axis = axis;
  return Status::Ok();
}

// One unsupported operator (a builtin, or a custom op by its name): where it
// first appears and how often.
struct Unsupported {
  int32_t builtin;
  std::string custom;
  std::string first;  // "node 3 'lstm/out'"
  size_t count;
};

std::string UnsupportedMessage(const std::vector<Unsupported>& list) {
  std::string msg = "tflite: this model needs " + std::to_string(list.size()) +
                    (list.size() == 1 ? " operator" : " operators") + " qwasm does not support: ";
  for (size_t i = 0; i < list.size(); ++i) {
    const Unsupported& u = list[i];
    if (i) msg += ", ";
    msg += BuiltinName(u.builtin);
    if (!u.custom.empty()) msg += " '" + u.custom + "'";
    msg += u.count == 1 ? " (" + u.first + ")" : " (" + std::to_string(u.count) + " nodes, first " + u.first + ")";
  }
  return msg;
}

Result<const Reader::OpCode*> Reader::OperatorCode(const Table& op, const std::string& label) {
  QW_ASSIGN_OR_RETURN(opcode, op.Scalar<uint32_t>(field::kOpOpcodeIndex, 0), label);
  if (opcode >= op_codes_.size()) {
    return Status::Error(label + ": operator code index " + std::to_string(opcode) + " is out of range");
  }
  return &op_codes_[opcode];
}

// Reads only what naming an operator needs (its code and its first output's
// name), so that every unsupported operator is listed in one message, each
// once (custom ops by name), before any tensor is judged.
Status Reader::CheckOperatorsSupported(const Table& subgraph) {
  QW_ASSIGN_OR_RETURN(tensors, subgraph.VectorField(field::kSubgraphTensors, 4), "tflite: tensors");
  QW_ASSIGN_OR_RETURN(list, subgraph.VectorField(field::kSubgraphOperators, 4), "tflite: operators");
  std::vector<Unsupported> unsupported;
  for (uint32_t i = 0; i < list.count; ++i) {
    const std::string label = "tflite: node " + std::to_string(i);
    QW_ASSIGN_OR_RETURN(op, Table::TableAt(list, i), label);
    Result<const OpCode*> found = OperatorCode(op, label);
    if (!found.ok()) return found.status();
    const OpCode* code = found.value();
    OpType type;
    if (GraphOperator(code->builtin, &type)) continue;
    const std::string custom = code->builtin == kBuiltinCustom ? code->custom : "";
    bool seen = false;
    for (Unsupported& u : unsupported) {
      if (u.builtin == code->builtin && u.custom == custom) {
        ++u.count;
        seen = true;
        break;
      }
    }
    if (seen) continue;
    std::string where = "node " + std::to_string(i);
    QW_ASSIGN_OR_RETURN(outputs, IntVector(op, field::kOpOutputs, "outputs"), label);
    if (!outputs.empty() && outputs[0] >= 0 && static_cast<uint32_t>(outputs[0]) < tensors.count) {
      QW_ASSIGN_OR_RETURN(t, Table::TableAt(tensors, outputs[0]), label + ": output tensor");
      QW_ASSIGN_OR_RETURN(name, t.String(field::kTensorName), label + ": output tensor");
      if (!name.empty()) where += " '" + name + "'";
    }
    unsupported.push_back({code->builtin, custom, where, 1});
  }
  if (unsupported.empty()) return Status::Ok();
  return Status::Error(UnsupportedMessage(unsupported));
}

Status Reader::ReadOperators(const Table& subgraph) {
  QW_ASSIGN_OR_RETURN(list, subgraph.VectorField(field::kSubgraphOperators, 4), "tflite: operators");
  for (uint32_t i = 0; i < list.count; ++i) {
    QW_ASSIGN_OR_RETURN(op, Table::TableAt(list, i), "tflite: node " + std::to_string(i));
    QW_RETURN_IF_ERROR(ReadOperator(op, i));
  }
  return Status::Ok();
}

Status Reader::ReadOperator(const Table& op, size_t index) {
  Node node;
  std::string label = "tflite: node " + std::to_string(index);
  QW_ASSIGN_OR_RETURN(inputs, IntVector(op, field::kOpInputs, "inputs"), label);
  QW_ASSIGN_OR_RETURN(outputs, IntVector(op, field::kOpOutputs, "outputs"), label);
  node.inputs = inputs;
  node.outputs = outputs;
  for (int32_t id : node.outputs) {
    if (id >= 0 && static_cast<size_t>(id) < graph_->tensors.size()) {
      node.name = graph_->tensors[id].name;
      break;
    }
  }
  label += " '" + node.name + "'";
  Result<const OpCode*> found = OperatorCode(op, label);
  if (!found.ok()) return found.status();
  const OpCode* code = found.value();
  // CheckOperatorsSupported has refused the rest.
  if (!GraphOperator(code->builtin, &node.op)) return Status::Error(label + ": unsupported operator");
  label += " (" + BuiltinName(code->builtin) + ")";
  QW_RETURN_IF_ERROR(ReadNodeOptions(op, code->builtin, *graph_, &node, label));
  return AppendNodes(std::move(node), code->builtin, graph_.get(), label);
}

}  // namespace

bool LooksLikeTFLite(const uint8_t* data, size_t size) {
  return size >= 8 && data[4] == 'T' && data[5] == 'F' && data[6] == 'L' && data[7] == '3';
}

Result<std::unique_ptr<Graph>> ReadModel(std::shared_ptr<const std::vector<uint8_t>> bytes) {
  if (!bytes) return Status::Error("no model bytes");
  Reader reader(std::move(bytes));
  return reader.Read();
}

}  // namespace qwasm::tflite
