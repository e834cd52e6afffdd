// op.h — the contract between the interpreter and each operator.
//
// Each operator lives in graph/ops/<op>.cc, which defines its OpDef
// (graph/op_registry.h) with a Prepare function. Prepare validates the node
// completely (arity, dtypes, shapes, quantization, accumulator bounds),
// precomputes everything run needs (requantization multipliers, activation
// clamps, packed weights, kernels from the table) and returns a PreparedOp.
// Run is then a straight call into a kernel: it cannot fail.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "graph/graph.h"
#include "kernels/config.h"
#include "kernels/params.h"

namespace qwasm {

class ThreadPool;

// What an operator sees when it runs: data pointers of every tensor, indexed
// like Graph::tensors, and the pool to split its work across.
struct RunContext {
  std::vector<uint8_t*> ptr;
  ThreadPool* pool = nullptr;
  template <typename T>
  T* at(int32_t index) const { return reinterpret_cast<T*>(ptr[index]); }
};

class PreparedOp {
 public:
  virtual ~PreparedOp() = default;
  // Called once after activation memory is placed, before the first Run:
  // ops that precompute addresses (indirection buffers) do it here.
  virtual void Attach(const RunContext& t) {}
  virtual void Run(const RunContext& t) = 0;
};

using PrepareResult = Result<std::unique_ptr<PreparedOp>>;
// `kernels`: the kernel table the node runs with (kernels/config.h); the
// reference table runs the scalar kernels the optimised ones are tested
// against.
PrepareResult PrepareNode(const Graph& g, size_t node_index, const KernelConfig& kernels = DefaultKernels());

// Shared validation helpers, all producing messages that name the node.
class OpContext {
 public:
  OpContext(const Graph& g, size_t node_index, const KernelConfig& kernels = DefaultKernels())
      : g_(g), index_(node_index), node_(g.nodes[node_index]), kernels_(kernels) {}
  const Node& node() const { return node_; }
  // Every kernel the node runs comes from this table.
  const KernelConfig& kernels() const { return kernels_; }
  const Graph& graph() const { return g_; }

  Status Error(const std::string& message) const;
  // Checks the number of inputs (min..max, optional ones may be -1) and outputs.
  Status CheckArity(size_t min_inputs, size_t max_inputs, size_t outputs) const;
  bool HasInput(size_t k) const { return k < node_.inputs.size() && node_.inputs[k] >= 0; }
  const Tensor& Input(size_t k) const { return g_.tensors[node_.inputs[k]]; }
  const Tensor& Output(size_t k) const { return g_.tensors[node_.outputs[k]]; }

  // `role` names the tensor in messages ("input", "filter", ...).
  Status RequireDType(const Tensor& t, DType dtype, const char* role) const;
  Status RequireRank(const Tensor& t, size_t rank, const char* role) const;
  Status RequireConstant(const Tensor& t, const char* role) const;
  Status RequireNotConstant(const Tensor& t, const char* role) const;
  // int8 with a single scale / zero point.
  Status RequirePerTensorQ8(const Tensor& t, const char* role) const;
  // Clamp range of the output grid with a fused activation folded in.
  Result<QOutput> OutputStage(const Tensor& out, Activation act) const;
  // Rejects reductions whose int32 accumulator could overflow.
  Status CheckAccumulator(int64_t terms, int64_t max_abs_bias) const;

 private:
  const Graph& g_;
  size_t index_;
  const Node& node_;
  const KernelConfig& kernels_;
};

std::string ShapeString(const std::vector<int32_t>& shape);

// Output size of a window op along one axis, TFLite's SAME/VALID rules.
// Returns -1 when the (dilated) window does not fit (VALID).
int32_t WindowOutputSize(Padding padding, int32_t in, int32_t kernel, int32_t stride,
                         int32_t dilation);
// Padding before the first element along one axis.
int32_t WindowPadBefore(Padding padding, int32_t in, int32_t out, int32_t kernel,
                        int32_t stride, int32_t dilation);

}  // namespace qwasm
