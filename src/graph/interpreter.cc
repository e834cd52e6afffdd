#include "graph/interpreter.h"

#include <cstring>

#include "graph/validate.h"

namespace qwasm {
namespace {

// uint8 q and int8 q - 128 hold the same real value; flipping the top bit is
// exactly that shift in both directions.
void FlipSign(const uint8_t* src, uint8_t* dst, size_t n) {
  for (size_t i = 0; i < n; ++i) dst[i] = src[i] ^ 0x80;
}

}  // namespace

Result<std::unique_ptr<Interpreter>> Interpreter::Create(std::unique_ptr<Graph> graph) {
  QW_RETURN_IF_ERROR(ValidateGraph(*graph));
  std::unique_ptr<Interpreter> it(new Interpreter());
  it->graph_ = std::move(graph);
  const Graph& g = *it->graph_;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    PrepareResult op = PrepareNode(g, i);
    if (!op.ok()) return op.status();
    it->ops_.push_back(op.take());
  }
  it->buffers_.resize(g.tensors.size());
  it->data_.ptr.assign(g.tensors.size(), nullptr);
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    const Tensor& tensor = g.tensors[t];
    if (tensor.is_constant()) {
      it->data_.ptr[t] = const_cast<uint8_t*>(tensor.data);  // kernels never write inputs
    } else {
      it->buffers_[t].assign(tensor.num_bytes(), 0);
      it->data_.ptr[t] = it->buffers_[t].data();
      it->activation_bytes_ += tensor.num_bytes();
    }
  }
  auto make_ports = [&](const std::vector<int32_t>& ids, std::vector<Port>* ports) {
    for (int32_t id : ids) {
      Port p;
      p.internal = it->data_.ptr[id];
      p.bytes = g.tensors[id].num_bytes();
      p.convert = g.tensors[id].was_uint8;
      if (p.convert) {
        it->port_buffers_.emplace_back(p.bytes, 0);
        p.external = it->port_buffers_.back().data();
      } else {
        p.external = p.internal;
      }
      ports->push_back(p);
    }
  };
  it->port_buffers_.reserve(g.inputs.size() + g.outputs.size());  // stable pointers
  make_ports(g.inputs, &it->inputs_);
  make_ports(g.outputs, &it->outputs_);
  return it;
}

void Interpreter::Invoke() {
  for (const Port& p : inputs_) {
    if (p.convert) FlipSign(p.external, p.internal, p.bytes);
  }
  for (const auto& op : ops_) op->Run(data_);
  for (const Port& p : outputs_) {
    if (p.convert) FlipSign(p.internal, p.external, p.bytes);
  }
}

}  // namespace qwasm
