// interpreter.h — runs a Graph.
//
// Create() validates the whole graph (graph/validate.h), fuses what it can
// (graph/fuse.h), prepares every node (graph/op.h), plans activation memory
// (runtime/memory_plan.h: one arena, tensors with disjoint lifetimes share
// bytes) and allocates it once; after
// that Invoke() cannot fail and allocates nothing. Inputs and outputs are exposed in the model's
// own dtypes: a tensor that was uint8 in the model file is uint8 here, and is
// converted to / from the graph's internal int8 at the boundary.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "core/status.h"
#include "graph/graph.h"
#include "graph/op.h"
#include "runtime/threadpool.h"

namespace qwasm {

struct InterpreterOptions {
  int threads = 1;  // counts the calling thread (1 = single-threaded)
  // The kernel table (kernels/config.h); null = DefaultKernels(). Tests
  // pass &ReferenceKernels() to check that the optimised kernels change no
  // output byte.
  const KernelConfig* kernels = nullptr;
  // false: every activation tensor keeps its own bytes (no sharing), so
  // tests can read each intermediate result after Invoke.
  bool share_memory = true;
  // Fuse per-channel CLAMPs into the layers that produce their inputs
  // (graph/fuse.h): graph() is then the fused graph. false keeps every node
  // and tensor of the model (the quantizer observes each one).
  bool fuse = true;
};

class Interpreter {
 public:
  static Result<std::unique_ptr<Interpreter>> Create(std::unique_ptr<Graph> graph,
                                                     const InterpreterOptions& options = {});

  // The graph it runs: the model's, with fused nodes merged (graph/fuse.h).
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
  // Runs only the first `ops` operators (graph order; no output conversion):
  // the tensors they write hold their values (the quantizer reads a layer's
  // input without running what follows it).
  void InvokePrefix(size_t ops);
  // Runs operators [first, end) only, on the tensors as they are (no input
  // or output conversion): with share_memory = false, what follows a
  // tensor changed in place (mutable_tensor_data) is computed again.
  void InvokeRange(size_t first, size_t end);
  // Invoke, timing each node: op_ms[i] += milliseconds spent in node i.
  void InvokeProfiled(std::vector<double>* op_ms);

  // Internal (int8) data of any tensor; intermediate tensors hold their
  // values after Invoke only with share_memory = false.
  const uint8_t* tensor_data(int32_t t) const { return data_.ptr[t]; }
  // The same, writable: the quantizer perturbs one intermediate tensor and
  // re-runs what follows it (InvokeRange) to see the effect on the output.
  uint8_t* mutable_tensor_data(int32_t t) { return data_.ptr[t]; }
  // Peak activation memory: the arena the memory plan needs.
  size_t arena_bytes() const { return arena_bytes_; }
  // What one buffer per activation tensor would take (for comparison).
  size_t unplanned_bytes() const { return unplanned_bytes_; }
  int threads() const { return pool_->threads(); }
  // The kernel table the ops were prepared with ("wasmrelaxed", "wasmsimd", "ref").
  const char* kernels_name() const { return kernels_name_; }

 private:
  struct Port {
    uint8_t* internal = nullptr;
    uint8_t* external = nullptr;  // == internal unless converted
    size_t bytes = 0;
    bool convert = false;  // uint8 <-> int8
  };

  // uint8 <-> int8 at the graph boundary (see ExternalDType).
  void ConvertInputs();
  void ConvertOutputs();

  std::unique_ptr<Graph> graph_;
  std::vector<std::unique_ptr<PreparedOp>> ops_;
  std::unique_ptr<ThreadPool> pool_;
  struct FreeDeleter {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  using Buffer = std::unique_ptr<uint8_t, FreeDeleter>;  // malloc'ed: failure is an error, not an abort
  Buffer arena_storage_;
  RunContext data_;
  std::vector<Port> inputs_, outputs_;
  std::vector<Buffer> port_buffers_;
  size_t arena_bytes_ = 0;
  size_t unplanned_bytes_ = 0;
  const char* kernels_name_ = "";
};

}  // namespace qwasm
