#include "import/tflite_reader.h"

#include <limits>

#include "import/flatbuffer.h"
#include "import/tflite_metadata.h"

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
constexpr int kOpOpcodeIndex = 0, kOpInputs = 1, kOpOutputs = 2, kOpOptionsType = 3, kOpOptions = 4;
}  // namespace field

// BuiltinOperator codes we implement.
enum Builtin : int32_t {
  kAdd = 0, kAveragePool2D = 1, kConv2D = 3, kDepthwiseConv2D = 4, kDequantize = 6,
  kFullyConnected = 9, kReshape = 22, kSoftmax = 25, kCustom = 32, kMean = 40, kQuantize = 114,
};

// BuiltinOptions union tags of the options tables we read.
enum OptionsType : uint8_t {
  kConv2DOptions = 1, kDepthwiseConv2DOptions = 2, kPool2DOptions = 5,
  kFullyConnectedOptions = 8, kSoftmaxOptions = 9, kAddOptions = 11, kReducerOptions = 27,
};

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
  Status ReadOperators(const Table& subgraph);
  Status ReadOperator(const Table& op, size_t index);
  Status ReadOptions(const Table& op, int32_t builtin, uint8_t expected_type, Node* node,
                     const std::string& label);
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
  QW_ASSIGN_OR_RETURN(opcode, op.Scalar<uint32_t>(field::kOpOpcodeIndex, 0), label);
  if (opcode >= op_codes_.size()) {
    return Status::Error(label + ": operator code index " + std::to_string(opcode) + " is out of range");
  }
  const OpCode& code = op_codes_[opcode];
  switch (code.builtin) {
    case kConv2D: node.op = OpType::kConv2D; break;
    case kDepthwiseConv2D: node.op = OpType::kDepthwiseConv2D; break;
    case kFullyConnected: node.op = OpType::kFullyConnected; break;
    case kAdd: node.op = OpType::kAdd; break;
    case kAveragePool2D: node.op = OpType::kAveragePool2D; break;
    case kMean: node.op = OpType::kMean; break;
    case kReshape: node.op = OpType::kReshape; break;
    case kSoftmax: node.op = OpType::kSoftmax; break;
    case kQuantize: node.op = OpType::kQuantize; break;
    case kDequantize: node.op = OpType::kDequantize; break;
    case kCustom:
      return Status::Error(label + ": custom operator '" + code.custom + "' is not supported");
    default:
      return Status::Error(label + ": operator " + BuiltinName(code.builtin) + " is not supported");
  }
  label += " (" + std::string(OpTypeName(node.op)) + ")";
  QW_ASSIGN_OR_RETURN(options_type, op.Scalar<uint8_t>(field::kOpOptionsType, 0), label);
  QW_RETURN_IF_ERROR(ReadOptions(op, code.builtin, options_type, &node, label));
  graph_->nodes.push_back(std::move(node));
  return Status::Ok();
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

Status Reader::ReadOptions(const Table& op, int32_t builtin, uint8_t options_type, Node* node,
                           const std::string& label) {
  uint8_t expected = 0;
  switch (builtin) {
    case kConv2D: expected = kConv2DOptions; break;
    case kDepthwiseConv2D: expected = kDepthwiseConv2DOptions; break;
    case kAveragePool2D: expected = kPool2DOptions; break;
    case kFullyConnected: expected = kFullyConnectedOptions; break;
    case kSoftmax: expected = kSoftmaxOptions; break;
    case kAdd: expected = kAddOptions; break;
    case kMean: expected = kReducerOptions; break;
    default: return Status::Ok();  // RESHAPE, QUANTIZE, DEQUANTIZE: nothing we need
  }
  bool present = false;
  QW_ASSIGN_OR_RETURN(o, op.SubTable(field::kOpOptions, &present), label + ": options");
  if (present && options_type != expected) {
    return Status::Error(label + ": options table has type " + std::to_string(options_type) +
                         ", expected " + std::to_string(expected));
  }
  // An absent options table means all defaults, which Prepare then judges.
  OpAttrs& a = node->attrs;
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
      break;
    }
    case kAveragePool2D: {
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
      break;
    }
    case kFullyConnected: {
      // FullyConnectedOptions: activation 0, weights_format 1, keep_num_dims 2.
      QW_ASSIGN_OR_RETURN(act, i8(0), label);
      QW_ASSIGN_OR_RETURN(format, i8(1), label);
      QW_RETURN_IF_ERROR(ReadActivation(act, &a.activation, label));
      if (format != 0) return Status::Error(label + ": shuffled weight formats are not supported");
      break;
    }
    case kSoftmax: {
      QW_ASSIGN_OR_RETURN(beta, o.Scalar<float>(0, 0.0f), label);
      a.beta = beta;
      break;
    }
    case kAdd: {
      QW_ASSIGN_OR_RETURN(act, i8(0), label);
      QW_RETURN_IF_ERROR(ReadActivation(act, &a.activation, label));
      break;
    }
    case kMean: {
      QW_ASSIGN_OR_RETURN(keep, o.Scalar<uint8_t>(0, 0), label);
      a.keep_dims = keep != 0;
      break;
    }
  }
  return Status::Ok();
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
