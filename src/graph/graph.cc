#include "graph/graph.h"

namespace qwasm {

const char* OpTypeName(OpType op) {
  switch (op) {
    case OpType::kConv2D: return "CONV_2D";
    case OpType::kDepthwiseConv2D: return "DEPTHWISE_CONV_2D";
    case OpType::kFullyConnected: return "FULLY_CONNECTED";
    case OpType::kAdd: return "ADD";
    case OpType::kAveragePool2D: return "AVERAGE_POOL_2D";
    case OpType::kMean: return "MEAN";
    case OpType::kReshape: return "RESHAPE";
    case OpType::kSoftmax: return "SOFTMAX";
    case OpType::kQuantize: return "QUANTIZE";
    case OpType::kDequantize: return "DEQUANTIZE";
    case OpType::kMul: return "MUL";
    case OpType::kMaxPool2D: return "MAX_POOL_2D";
    case OpType::kConcatenation: return "CONCATENATION";
    case OpType::kPad: return "PAD";
    case OpType::kTranspose: return "TRANSPOSE";
    case OpType::kClamp: return "CLAMP";
    case OpType::kHardSwish: return "HARD_SWISH";
    case OpType::kHardSigmoid: return "HARD_SIGMOID";
    case OpType::kLogistic: return "LOGISTIC";
  }
  return "?";
}

int64_t Tensor::num_elements() const {
  int64_t n = 1;
  for (int32_t d : shape) n *= d;
  return n;
}

const uint8_t* Graph::Own(std::vector<uint8_t> bytes) {
  owned.push_back(std::make_unique<std::vector<uint8_t>>(std::move(bytes)));
  return owned.back()->data();
}

std::unique_ptr<Graph> CloneGraph(const Graph& g) {
  auto c = std::make_unique<Graph>();
  c->tensors = g.tensors;
  for (Tensor& t : c->tensors) {
    if (t.is_constant()) t.data = c->Own(std::vector<uint8_t>(t.data, t.data + t.data_bytes));
  }
  c->nodes = g.nodes;
  c->inputs = g.inputs;
  c->outputs = g.outputs;
  c->metadata = g.metadata;
  return c;
}

std::string NodeLabel(const Graph& g, size_t node_index) {
  const Node& n = g.nodes[node_index];
  return "node " + std::to_string(node_index) + " '" + n.name + "' (" + OpTypeName(n.op) + ")";
}

}  // namespace qwasm
