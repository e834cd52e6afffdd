#include "graph/graph.h"

namespace qwasm {

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

size_t ProducerOf(const Graph& g, int32_t t) {
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (int32_t o : g.nodes[i].outputs) {
      if (o == t) return i;
    }
  }
  return g.nodes.size();
}

}  // namespace qwasm
