#include "graph/interpreter.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>

#include "graph/fuse.h"
#include "graph/validate.h"
#include "runtime/memory_plan.h"

namespace qwasm {
namespace {

// uint8 q and int8 q - 128 hold the same real value; flipping the top bit is
// exactly that shift in both directions.
void FlipSign(const uint8_t* src, uint8_t* dst, size_t n) {
  for (size_t i = 0; i < n; ++i) dst[i] = src[i] ^ 0x80;
}

}  // namespace

// Bytes kernels may read (never write) past the end of the arena: SIMD
// kernels load whole 16-byte vectors (XNNPACK's XNN_EXTRA_BYTES).
constexpr size_t kArenaTail = 64;
constexpr size_t kArenaAlign = 64;

Result<std::unique_ptr<Interpreter>> Interpreter::Create(std::unique_ptr<Graph> graph,
                                                         const InterpreterOptions& options) {
  QW_RETURN_IF_ERROR(ValidateGraph(*graph));
  std::unique_ptr<Interpreter> it(new Interpreter());
  it->graph_ = std::move(graph);
  if (options.fuse) FuseChannelClamps(it->graph_.get());
  const Graph& g = *it->graph_;
  const KernelConfig& kernels = options.kernels ? *options.kernels : DefaultKernels();
  it->kernels_name_ = kernels.name;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    PrepareResult op = PrepareNode(g, i, kernels);
    if (!op.ok()) return op.status();
    it->ops_.push_back(op.take());
  }
  // Lifetimes in op indices: graph inputs are alive from before the first
  // op, graph outputs until after the last.
  const int num_ops = static_cast<int>(g.nodes.size());
  std::vector<int> first(g.tensors.size(), -1), last(g.tensors.size(), -1);
  auto touch = [&](int32_t t, int when) {
    if (t < 0 || g.tensors[t].is_constant()) return;
    if (first[t] < 0 || when < first[t]) first[t] = when;
    last[t] = std::max(last[t], when);
  };
  for (int32_t t : g.inputs) touch(t, 0);
  for (int i = 0; i < num_ops; ++i) {
    for (int32_t t : g.nodes[i].inputs) touch(t, i);
    for (int32_t t : g.nodes[i].outputs) touch(t, i);
  }
  for (int32_t t : g.outputs) touch(t, num_ops);
  if (!options.share_memory) {
    for (size_t t = 0; t < g.tensors.size(); ++t) {
      if (first[t] >= 0) first[t] = 0, last[t] = num_ops;
    }
  }
  std::vector<BufferLifetime> lifetimes;
  std::vector<int32_t> planned;
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    if (first[t] < 0) continue;
    lifetimes.push_back({g.tensors[t].num_bytes(), first[t], last[t]});
    planned.push_back(static_cast<int32_t>(t));
    it->unplanned_bytes_ += g.tensors[t].num_bytes();
  }
  const MemoryPlan plan = PlanMemory(lifetimes, kArenaAlign);
  it->arena_bytes_ = plan.arena_bytes;
  const size_t storage = plan.arena_bytes + kArenaTail + kArenaAlign;
  // Built without C++ exceptions, a failed operator new aborts (in wasm: the
  // whole module); malloc fails softly, so a model whose activations do not
  // fit is an error and the module stays usable. Not zeroed: every tensor is
  // written before it is read (ValidateGraph), so load time does not grow
  // with a model's declared activations; only the over-read tail is cleared.
  it->arena_storage_.reset(static_cast<uint8_t*>(std::malloc(storage)));
  if (!it->arena_storage_) {
    return Status::Error("the model's activations need " + std::to_string((storage + (1u << 19)) >> 20) +
                         " MB, more than the memory has free");
  }
  uint8_t* base = it->arena_storage_.get();
  std::memset(base + storage - kArenaTail - kArenaAlign, 0, kArenaTail + kArenaAlign);
  base += (kArenaAlign - reinterpret_cast<uintptr_t>(base) % kArenaAlign) % kArenaAlign;
  it->data_.ptr.assign(g.tensors.size(), nullptr);
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    if (g.tensors[t].is_constant()) {
      it->data_.ptr[t] = const_cast<uint8_t*>(g.tensors[t].data);  // kernels never write inputs
    }
  }
  for (size_t k = 0; k < planned.size(); ++k) it->data_.ptr[planned[k]] = base + plan.offsets[k];
  it->pool_.reset(new ThreadPool(options.threads));
  it->data_.pool = it->pool_.get();
  for (const auto& op : it->ops_) op->Attach(it->data_);
  // uint8 ports: the caller's side of the conversion (not zeroed either:
  // callers write the whole input before running).
  auto make_ports = [&](const std::vector<int32_t>& ids, std::vector<Port>* ports) {
    for (int32_t id : ids) {
      Port p;
      p.internal = it->data_.ptr[id];
      p.bytes = g.tensors[id].num_bytes();
      p.convert = g.tensors[id].was_uint8;
      p.external = p.internal;
      if (p.convert) {
        it->port_buffers_.emplace_back(static_cast<uint8_t*>(std::malloc(p.bytes)));
        p.external = it->port_buffers_.back().get();
        if (!p.external) return false;
      }
      ports->push_back(p);
    }
    return true;
  };
  if (!make_ports(g.inputs, &it->inputs_) || !make_ports(g.outputs, &it->outputs_)) {
    return Status::Error("the model's uint8 inputs and outputs need more memory than is free");
  }
  return it;
}

void Interpreter::ConvertInputs() {
  for (const Port& p : inputs_) {
    if (p.convert) FlipSign(p.external, p.internal, p.bytes);
  }
}

void Interpreter::ConvertOutputs() {
  for (const Port& p : outputs_) {
    if (p.convert) FlipSign(p.internal, p.external, p.bytes);
  }
}

void Interpreter::Invoke() {
  ConvertInputs();
  for (const auto& op : ops_) op->Run(data_);
  ConvertOutputs();
}

void Interpreter::InvokePrefix(size_t ops) {
  ConvertInputs();
  for (size_t i = 0; i < std::min(ops, ops_.size()); ++i) ops_[i]->Run(data_);
}

void Interpreter::InvokeRange(size_t first, size_t end) {
  for (size_t i = first; i < std::min(end, ops_.size()); ++i) ops_[i]->Run(data_);
}

void Interpreter::InvokeProfiled(std::vector<double>* op_ms) {
  using Clock = std::chrono::steady_clock;
  op_ms->resize(ops_.size(), 0.0);
  ConvertInputs();
  for (size_t i = 0; i < ops_.size(); ++i) {
    const Clock::time_point start = Clock::now();
    ops_[i]->Run(data_);
    (*op_ms)[i] += std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  }
  ConvertOutputs();
}

}  // namespace qwasm
