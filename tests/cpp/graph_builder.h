// graph_builder.h — builds small graphs in code for the float / mixed
// operator tests and runs them through the Interpreter.
#pragma once

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "graph/interpreter.h"
#include "quant/float16.h"

namespace qwasm::testing {

template <typename T>
std::vector<uint8_t> AsBytes(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(b.data(), v.data(), b.size());
  return b;
}

inline std::vector<uint8_t> AsHalfBytes(const std::vector<float>& v) {
  std::vector<uint16_t> h(v.size());
  for (size_t i = 0; i < v.size(); ++i) h[i] = Fp32ToFp16(v[i]);
  return AsBytes(h);
}

struct GraphBuilder {
  std::unique_ptr<Graph> g = std::make_unique<Graph>();

  int32_t Tensor(const std::string& name, DType dtype, std::vector<int32_t> shape,
                 std::vector<uint8_t> data = {}, float scale = 0.0f, int32_t zp = 0) {
    qwasm::Tensor t;
    t.name = name;
    t.dtype = dtype;
    t.shape = std::move(shape);
    if (scale > 0.0f) {
      t.quant.scale = {scale};
      t.quant.zero_point = {zp};
    }
    if (!data.empty()) {
      t.data_bytes = data.size();
      t.data = g->Own(std::move(data));
    }
    g->tensors.push_back(t);
    return static_cast<int32_t>(g->tensors.size() - 1);
  }
  int32_t F32(const std::string& name, std::vector<int32_t> shape) { return Tensor(name, DType::kFloat32, shape); }
  int32_t F32Const(const std::string& name, std::vector<int32_t> shape, const std::vector<float>& v) {
    return Tensor(name, DType::kFloat32, shape, AsBytes(v));
  }
  int32_t F16Const(const std::string& name, std::vector<int32_t> shape, const std::vector<float>& v) {
    return Tensor(name, DType::kFloat16, shape, AsHalfBytes(v));
  }
  int32_t I32Const(const std::string& name, std::vector<int32_t> shape, const std::vector<int32_t>& v) {
    return Tensor(name, DType::kInt32, shape, AsBytes(v));
  }
  int32_t Q8(const std::string& name, std::vector<int32_t> shape, float scale, int32_t zp) {
    return Tensor(name, DType::kInt8, shape, {}, scale, zp);
  }
  void Node(OpType op, std::vector<int32_t> in, std::vector<int32_t> out, OpAttrs attrs = {}) {
    qwasm::Node n;
    n.op = op;
    n.name = g->tensors[out[0]].name;
    n.inputs = std::move(in);
    n.outputs = std::move(out);
    n.attrs = std::move(attrs);
    g->nodes.push_back(n);
  }
  Result<std::unique_ptr<Interpreter>> Build(bool reference = false, int threads = 1, bool share_memory = true) {
    InterpreterOptions o;
    o.share_memory = share_memory;
    o.kernels = reference ? &ReferenceKernels() : nullptr;
    o.threads = threads;
    return Interpreter::Create(std::move(g), o);
  }
};

// Runs a built interpreter on raw input bytes; returns output `k`'s bytes.
template <typename In, typename Out = In>
std::vector<Out> RunOnce(Interpreter& it, const std::vector<std::vector<In>>& inputs, size_t k = 0) {
  for (size_t i = 0; i < inputs.size(); ++i) std::memcpy(it.input_buffer(i), inputs[i].data(), it.input_bytes(i));
  it.Invoke();
  std::vector<Out> out(it.output_bytes(k) / sizeof(Out));
  std::memcpy(out.data(), it.output_buffer(k), it.output_bytes(k));
  return out;
}

inline std::vector<float> RandomFloats(std::mt19937& rng, size_t n, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

}  // namespace qwasm::testing
