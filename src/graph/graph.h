// graph.h — qwasm's internal model representation (IR).
//
// A Graph is a list of tensors and a list of nodes in execution order. Model
// readers (src/import) build it; the Interpreter (graph/interpreter.h)
// validates and prepares it once, then runs it.
//
// Quantized tensors are always int8 inside the graph: readers convert uint8
// tensors to int8 by q - 128 with zero_point - 128, which represents the same
// real values. Graph inputs/outputs remember that they were uint8 so the
// interpreter converts at the boundary and users see the model's own types.
//
// Constant data is borrowed: `data` points into the model bytes or into
// Graph::owned storage, both of which live as long as the Graph.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "graph/metadata.h"

namespace qwasm {

// Every operator qwasm runs, in OpType order. Each is defined in one file,
// graph/ops/<op>.cc: its name, .qwm id, validation and preparation, and
// quantization rule (its OpDef, graph/op_registry.h). Adding an operator:
// one line here, its file, its kernels, and the importers' mappings.
#define QWASM_OPERATORS(X)                                                                    \
  X(Conv2D) X(DepthwiseConv2D) X(FullyConnected) X(Add) X(AveragePool2D) X(Mean) X(Reshape)   \
  X(Softmax) X(Quantize) X(Dequantize) X(Mul) X(MaxPool2D) X(Concatenation) X(Pad)           \
  X(Transpose) X(Clamp) X(HardSwish) X(HardSigmoid) X(Logistic) X(Slice)

enum class OpType : uint8_t {
#define QWASM_OP_ENUM(Name) k##Name,
  QWASM_OPERATORS(QWASM_OP_ENUM)
#undef QWASM_OP_ENUM
};
const char* OpTypeName(OpType op);  // TFLite-style names, e.g. "CONV_2D" (the OpDef's)

enum class Activation : uint8_t { kNone, kRelu, kReluN1To1, kRelu6 };
// kExplicit: OpAttrs::pads (ONNX pads, which need not be TFLite's SAME).
enum class Padding : uint8_t { kSame, kValid, kExplicit };

// Quantization of one tensor. Empty `scale` means "not quantized".
struct QuantInfo {
  std::vector<float> scale;
  std::vector<int32_t> zero_point;
  int axis = 0;  // channel axis when scale.size() > 1
  bool quantized() const { return !scale.empty(); }
  bool per_channel() const { return scale.size() > 1; }
};

struct Tensor {
  std::string name;
  DType dtype = DType::kFloat32;
  std::vector<int32_t> shape;
  QuantInfo quant;
  const uint8_t* data = nullptr;  // non-null for constants
  size_t data_bytes = 0;
  bool was_uint8 = false;  // converted from uint8 by the reader
  // kLut4 / kLut8 weights: CodebookEntries(dtype) int8 values per group, on
  // the tensor's quantization grid (the expanded weight is an ordinary int8
  // weight with these scales and zero points). One group for the whole
  // tensor, or one per slice of quant.axis (group c for channel c).
  std::vector<int8_t> codebook;

  bool is_constant() const { return data != nullptr; }
  int64_t num_elements() const;
  size_t num_bytes() const { return DTypeBytes(dtype, static_cast<size_t>(num_elements())); }
  // Codebook groups (codebook.size() / entries), 0 for other dtypes.
  size_t codebook_groups() const {
    return CodebookEntries(dtype) ? codebook.size() / CodebookEntries(dtype) : 0;
  }
};

// The most cells a tflite_numerics pooling window may have (OpAttrs).
inline constexpr int64_t kTflitePoolMaxCells = 65536;

// Attributes of all supported ops; each op reads the fields it documents.
struct OpAttrs {
  Padding padding = Padding::kValid;
  int32_t pads[4] = {0, 0, 0, 0};  // kExplicit: top, left, bottom, right
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  int filter_h = 1, filter_w = 1;  // pooling window
  int depth_multiplier = 1;
  Activation activation = Activation::kNone;
  float beta = 1.0f;  // softmax
  bool keep_dims = false;  // mean
  bool count_include_pad = false;  // average pool, explicit padding
  // int8 ADD and SOFTMAX compute exactly what ONNX Runtime's QLinearAdd and
  // QLinearSoftmax compute (float32 rescaling; ORT's exp table and
  // rounding) instead of TFLite's (XNNPACK's) arithmetic. The ONNX importer
  // sets it, so a QDQ model gives ONNX Runtime's output bytes.
  bool onnx_numerics = false;
  // int8 AVERAGE_POOL_2D rounds as TFLite's builtin kernel does (which
  // TFLite runs for quantized pools even where XNNPACK runs the rest): an
  // integer division of the raw sum, half up for uint8 models (the input
  // was_uint8), half away from zero for int8 (kernels/params.h
  // PoolRounding). The TFLite importer sets it where input and output share
  // their quantization and the window has at most kTflitePoolMaxCells, so an
  // imported model gives TFLite's output bytes; qwasm's own models keep
  // the half-to-even Requantize.
  bool tflite_numerics = false;
  int axis = 0;                    // concatenation (in the node's own layout)
  std::vector<int32_t> perm;       // transpose: output axis i = input axis perm[i]
  std::vector<int32_t> paddings;   // pad: before, after for each axis in turn; slice: elements cut off
  float pad_value = 0.0f;          // pad (real value)
  float clamp_min = -3.402823466e38f, clamp_max = 3.402823466e38f;  // clamp
  float hard_alpha = 0.2f, hard_beta = 0.5f;                         // hard sigmoid
  // CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED: a per-channel CLAMP the
  // interpreter fused into the node (graph/fuse.h), never read from or
  // written to a file: output channel c is clamped to [fused_min,
  // fused_max[c]] after the activation. Empty: none.
  float fused_min = 0.0f;
  std::vector<float> fused_max;
};

struct Node {
  OpType op = OpType::kConv2D;
  std::string name;  // for messages: the name of its first output tensor
  std::vector<int32_t> inputs;   // tensor indices; -1 = optional, absent
  std::vector<int32_t> outputs;
  OpAttrs attrs;
};

struct Graph {
  std::vector<Tensor> tensors;
  std::vector<Node> nodes;
  std::vector<int32_t> inputs;
  std::vector<int32_t> outputs;
  std::vector<std::unique_ptr<std::vector<uint8_t>>> owned;  // converted constants
  std::shared_ptr<const std::vector<uint8_t>> source;  // model bytes constants point into
  ModelMetadata metadata;

  // Stores bytes for the graph's lifetime and returns a pointer to them.
  const uint8_t* Own(std::vector<uint8_t> bytes);
};

// A deep copy whose constants live in its own storage.
std::unique_ptr<Graph> CloneGraph(const Graph& g);

// "node 12 'name' (CONV_2D)": how messages refer to a node.
std::string NodeLabel(const Graph& g, size_t node_index);

// The index of the node writing tensor t, or g.nodes.size() when none does
// (a graph input or constant). Nodes run in index order, so the ones after
// it are what tensor t's value reaches.
size_t ProducerOf(const Graph& g, int32_t t);

}  // namespace qwasm
