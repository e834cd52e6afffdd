// onnx_importer.h — internal: the state of one ONNX -> IR conversion, shared
// by onnx_reader.cc (values, tensors, graph inputs/outputs), onnx_qdq.cc
// (QuantizeLinear / DequantizeLinear, quantized constants, fusion planning),
// onnx_conv.cc (Conv, Gemm, MatMul, BatchNormalization) and onnx_ops.cc (the
// other operators).
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "graph/graph.h"
#include "graph/op.h"
#include "import/onnx/onnx_layout.h"
#include "import/onnx/onnx_model.h"

// QW_ASSIGN_OR_RETURN without added context: messages already name the node.
#define QW_ONNX_ASSIGN(var, expr)                                  \
  auto var##_result = (expr);                                      \
  if (!var##_result.ok()) return var##_result.status();            \
  auto var = var##_result.take()

namespace qwasm::onnx {

// A constant: an initializer, a Constant node's value, or a DequantizeLinear
// of one (then `quantized`: the ONNX value is (q - zero_point) * scale).
struct Constant {
  int32_t type = kUndefined;  // ONNX DataType of the stored elements
  std::vector<int64_t> dims;
  const uint8_t* data = nullptr;  // little-endian elements, borrowed or in `storage`
  size_t bytes = 0;
  std::shared_ptr<std::vector<uint8_t>> storage;
  bool quantized = false;
  std::vector<float> scale;
  std::vector<int32_t> zero_point;  // in the ONNX type (uint8 not yet shifted)
  int axis = 0;                     // logical axis of per-axis scales
  int64_t count() const;
};

// An ONNX value during conversion.
struct Value {
  bool constant = false;
  Constant c;
  // Activations: the IR tensor, the ONNX shape and how it is stored.
  int32_t tensor = -1;
  std::vector<int32_t> shape;  // logical (ONNX) shape
  Perm perm;                   // IR axis j = logical axis perm[j]
  // The ONNX value is the float DequantizeLinear of the int8 IR tensor.
  bool dequantized = false;
};

// Quantization parameters read from a QuantizeLinear / DequantizeLinear.
struct QParams {
  std::vector<float> scale;
  std::vector<int32_t> zero_point;  // ONNX values
  int32_t type = kUInt8;            // of the quantized side
  int axis = 1;
};

// What an operator's IR output stands for once the nodes that follow it are
// folded in: BatchNormalization (float Conv/Gemm), Relu/Clip as a fused
// activation, QuantizeLinear (int8 output quantization).
struct OutputPlan {
  std::string name;  // the ONNX value the IR output is
  Activation act = Activation::kNone;
  const NodeProto* batch_norm = nullptr;
  bool quantized = false;
  QParams q;
  std::vector<size_t> absorb;  // nodes folded into this one
};

// Window geometry of Conv / pooling: attrs (padding, pads, strides,
// dilations, filter size) and the output size.
struct Window {
  OpAttrs attrs;
  int32_t out_h = 0, out_w = 0;
  bool ceil_padding = false;  // ceil_mode added end padding
};

// An IR int8 / int32 constant built from a quantized ONNX constant.
struct QuantizedData {
  std::vector<uint8_t> bytes;
  QuantInfo quant;
};

// A TensorProto as a Constant (raw_data borrowed, typed fields packed).
Result<Constant> MakeConstant(const TensorProto& t);

class Importer {
 public:
  Importer(const ModelProto& model, Graph* graph) : m_(model), g_(graph) {}
  Status Run();

  // --- used by the operator converters ---
  const NodeProto& node() const { return m_.graph.node[node_index_]; }
  int64_t opset() const { return opset_; }
  Status Error(const std::string& message) const;  // "onnx: node 7 'x' (Conv): message"
  size_t num_inputs() const;  // trailing empty names dropped
  bool HasInput(size_t k) const;
  Result<const Value*> Input(size_t k) const;  // error when absent or unknown
  Result<const Value*> ActivationInput(size_t k) const;
  Result<const Constant*> ConstantInput(size_t k) const;

  // Attributes, with type checks.
  Result<int64_t> IntAttr(const char* name, int64_t fallback) const;
  Result<float> FloatAttr(const char* name, float fallback) const;
  Result<std::string> StringAttr(const char* name, const std::string& fallback) const;
  Result<std::vector<int64_t>> IntsAttr(const char* name) const;  // empty when absent
  // Constant input k when present (newer opsets), else attribute `name`.
  Result<std::vector<int64_t>> IntsInputOrAttr(size_t k, const char* name) const;

  // Constant contents.
  Result<std::vector<float>> Floats(const Constant& c, const char* role) const;
  Result<std::vector<int64_t>> Ints(const Constant& c, const char* role) const;

  // IR building.
  int32_t AddTensor(const std::string& name, DType dtype, std::vector<int32_t> shape);
  int32_t AddConstant(const std::string& name, DType dtype, std::vector<int32_t> shape,
                      std::vector<uint8_t> bytes, QuantInfo quant = {});
  int32_t AddFloatConstant(const std::string& name, std::vector<int32_t> shape, const std::vector<float>& v);
  void AddNode(OpType op, std::vector<int32_t> inputs, int32_t output, const OpAttrs& attrs = {});
  Status CheckShape(const std::vector<int32_t>& shape) const;
  // Creates the IR tensor for an operator's output (float32, or int8 when
  // plan.quantized) and defines plan.name as it.
  Result<int32_t> DefineOutput(const OutputPlan& plan, const std::vector<int32_t>& shape, const Perm& perm);
  // Defines an ONNX value as an existing IR tensor (aliases, no node).
  void Alias(const std::string& name, const Value& v);
  void Define(const std::string& name, Value v) { values_[name] = std::move(v); }

  // Layout: the IR tensor of `v` stored with `perm` (a TRANSPOSE when needed).
  Result<Value> WithPerm(const Value& v, const Perm& perm);
  // A float32 IR tensor for the value (a DEQUANTIZE when it is a dequantized view).
  Result<int32_t> FloatTensor(const Value& v);
  // The tensor an operator reads: the int8 tensor in int8 mode, else float.
  Result<int32_t> OperandTensor(const Value& v, bool int8);

  // Fusion planning (onnx_qdq.cc).
  Result<OutputPlan> PlanOutput(bool allow_batch_norm, bool allow_activation, bool allow_quantize) const;
  // Plans an operator whose activation inputs `acts` may run in int8: int8
  // when they are all dequantized views, `weights_ok`, and a QuantizeLinear
  // follows. *int8 says which.
  Result<OutputPlan> PlanOp(const std::vector<const Value*>& acts, bool weights_ok, bool allow_batch_norm,
                            bool allow_activation, bool* int8) const;
  void Commit(const OutputPlan& plan);
  // Quantization groups: IR tensors that share bytes' meaning (a tensor and
  // its reshapes) share one QuantInfo, set by a QuantizeLinear or by the
  // first DequantizeLinear that reads them.
  const QuantInfo& TensorQuant(int32_t tensor) const { return groups_[group_[tensor]]; }
  Status SetTensorQuant(int32_t tensor, const QuantInfo& q);
  void ShareQuant(int32_t from, int32_t to) { group_[to] = group_[from]; }
  // Scale, zero point and axis of a QuantizeLinear / DequantizeLinear node.
  Result<QParams> ReadQParams(const NodeProto& n) const;
  static QuantInfo ToQuantInfo(const QParams& q);

  // Operator converters (one per ONNX operator family).
  Status ConvertConv();
  Status ConvertGemm();
  Status ConvertMatMul();
  Status ConvertBatchNorm();
  Status ConvertUnary();  // Relu, Clip, HardSwish, HardSigmoid, Sigmoid
  Status ConvertBinary();  // Add, Mul, Sub, Div
  Status ConvertSubtract(const Value& a, const Value& b);
  Status ConvertPool();    // GlobalAveragePool, AveragePool, MaxPool
  Status ConvertReshape();  // Reshape, Flatten
  Status ReshapeTo(const Value& x, const std::vector<int32_t>& shape);
  Status ConvertTranspose();
  Status ConvertConcat();
  Status ConvertPad();
  Status ConvertSoftmax();
  Status ConvertQuantize();
  Status ConvertDequantize();
  Status ConvertIdentity();  // Identity, Dropout
  Status ConvertConstant();
  Status ConvertReduce();  // ReduceMean, ReduceMax, GlobalMaxPool
  Status SpatialReduce(const Value& x, bool max, bool keep_dims);
  Status ConvertSlice();   // Slice and Split of computed tensors
  Status SliceTo(const Value& x, const std::string& name, const std::vector<int64_t>& begin,
                 const std::vector<int32_t>& shape);
  Status ConvertSqueeze();  // Squeeze, Unsqueeze of computed tensors
  // Constant folding (onnx_fold.cc): evaluates the node when its inputs are
  // constants (any Shape); true when it did.
  Result<bool> TryFold();
  // Reads strides / dilations / pads / auto_pad (/ ceil_mode for pools) for
  // a kernel_h x kernel_w window over an NCHW input.
  Result<Window> ReadWindow(const std::vector<int32_t>& input, int32_t kernel_h, int32_t kernel_w, bool pool);
  // Weights of a DequantizeLinear'd 8-bit constant as IR int8, permuted with
  // `perm`; per-axis scales must lie on `logical_axis` and go to `ir_axis`.
  // Scales are multiplied by `scale_factor` (Gemm's alpha).
  Result<QuantizedData> QuantizedWeights(const Constant& w, const Perm& perm, int ir_axis, int logical_axis,
                                         float scale_factor) const;
  // An int32 bias whose scale must be input scale x weight scale.
  Result<QuantizedData> QuantizedBias(const Constant& b, float input_scale, const std::vector<float>& weight_scale,
                                      float scale_factor, int64_t channels) const;
  // Folds BatchNormalization `bn` into weights w (output channel major) and bias b.
  Status FoldBatchNorm(const NodeProto& bn, std::vector<float>* w, std::vector<float>* b) const;
  Status FullyConnected(const Value& a, const Constant& b, bool trans_b, const Constant* c, float alpha, float beta);
  // A new activation holding the same kind of data as `x` (float, or int8
  // sharing x's quantization, dequantized view or not), for operators that
  // move data without computing (Reshape, Transpose, Pad, MaxPool).
  Result<int32_t> DefineMoved(const Value& x, const std::string& name, const std::vector<int32_t>& shape,
                              const Perm& perm);
  // Relu / Clip bounds of a node, when it is one (constant bounds only).
  Result<bool> ClampBounds(const NodeProto& n, float* lo, float* hi) const;
  // Constant input k of another node (nullptr when absent or not constant).
  const Constant* NodeConstant(const NodeProto& n, size_t k) const;

 private:
  Status ReadOpset();
  Status CheckOperators() const;
  Status ReadInitializers();
  Status ReadInputs();
  Status ConvertNode(size_t index);
  Status ReadOutputs();
  Status FinishQuant();
  bool InputIsNhwc(const std::string& name, int depth) const;
  // The only node reading `name` (not a graph output, not yet converted), or -1.
  long SoleConsumer(const std::string& name) const;
  std::string Label(size_t index) const;

  const ModelProto& m_;
  Graph* g_;
  int64_t opset_ = 0;
  size_t node_index_ = 0;
  std::unordered_map<std::string, Value> values_;
  std::unordered_map<std::string, std::vector<size_t>> consumers_;
  std::unordered_map<std::string, int> graph_output_uses_;
  std::vector<bool> absorbed_;
  std::vector<int32_t> group_;     // per IR tensor
  std::vector<QuantInfo> groups_;
  std::map<int32_t, int32_t> float_of_;  // int8 tensor -> its DEQUANTIZE
  std::map<std::pair<int32_t, Perm>, int32_t> transposed_;  // (tensor, IR perm) -> its TRANSPOSE
  std::map<std::pair<int32_t, Perm>, int32_t> reshaped_;    // (tensor, IR shape) -> its RESHAPE
};

// "[1, 3, 224, 224]", for messages (onnx_reader.cc).
std::string DimsString(const std::vector<int64_t>& dims);

// Operators that fold when their inputs are constants (onnx_fold.cc).
bool IsFoldable(const std::string& op);
// Shapes of Unsqueeze / Squeeze / Slice, shared by folding and the IR forms.
Result<std::vector<int64_t>> UnsqueezedDims(const Importer& im, const std::vector<int64_t>& in, std::vector<int64_t> axes);
Result<std::vector<int64_t>> SqueezedDims(const Importer& im, const std::vector<int64_t>& in, const std::vector<int64_t>& axes);
// Per-axis begin, step and result size of an ONNX Slice over shape `in`.
Status ResolveOnnxSlice(const Importer& im, const std::vector<int64_t>& in, const std::vector<int64_t>& starts,
                        const std::vector<int64_t>& ends, std::vector<int64_t> axes, std::vector<int64_t> steps,
                        std::vector<int64_t>* begin, std::vector<int64_t>* step, std::vector<int64_t>* out);

}  // namespace qwasm::onnx
