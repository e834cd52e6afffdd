// interpreter.h — runs a Graph.
//
// Create() validates the whole graph (graph/validate.h), prepares every node
// (graph/op.h) and allocates activation buffers; after that Invoke() cannot
// fail and allocates nothing. Inputs and outputs are exposed in the model's
// own dtypes: a tensor that was uint8 in the model file is uint8 here, and is
// converted to / from the graph's internal int8 at the boundary.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/status.h"
#include "graph/graph.h"
#include "graph/op.h"

namespace qwasm {

class Interpreter {
 public:
  static Result<std::unique_ptr<Interpreter>> Create(std::unique_ptr<Graph> graph);

  const Graph& graph() const { return *graph_; }
  size_t num_inputs() const { return graph_->inputs.size(); }
  size_t num_outputs() const { return graph_->outputs.size(); }
  const Tensor& input_tensor(size_t i) const { return graph_->tensors[graph_->inputs[i]]; }
  const Tensor& output_tensor(size_t i) const { return graph_->tensors[graph_->outputs[i]]; }
  // The model-facing dtype (uint8 for tensors the file declared uint8).
  static DType ExternalDType(const Tensor& t) { return t.was_uint8 ? DType::kUInt8 : t.dtype; }
  static int32_t ExternalZeroPoint(const Tensor& t, size_t c = 0) {
    return t.quant.zero_point[c] + (t.was_uint8 ? 128 : 0);
  }

  uint8_t* input_buffer(size_t i) { return inputs_[i].external; }
  const uint8_t* output_buffer(size_t i) const { return outputs_[i].external; }
  size_t input_bytes(size_t i) const { return input_tensor(i).num_bytes(); }
  size_t output_bytes(size_t i) const { return output_tensor(i).num_bytes(); }

  void Invoke();

  size_t activation_bytes() const { return activation_bytes_; }

 private:
  struct Port {
    uint8_t* internal = nullptr;
    uint8_t* external = nullptr;  // == internal unless converted
    size_t bytes = 0;
    bool convert = false;  // uint8 <-> int8
  };

  std::unique_ptr<Graph> graph_;
  std::vector<std::unique_ptr<PreparedOp>> ops_;
  std::vector<std::vector<uint8_t>> buffers_;  // one per activation tensor
  TensorData data_;
  std::vector<Port> inputs_, outputs_;
  std::vector<std::vector<uint8_t>> port_buffers_;
  size_t activation_bytes_ = 0;
};

}  // namespace qwasm
