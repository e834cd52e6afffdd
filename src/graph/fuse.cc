#include "graph/fuse.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace qwasm {
namespace {

bool TakesChannelBound(OpType op) {
  return op == OpType::kConv2D || op == OpType::kDepthwiseConv2D || op == OpType::kFullyConnected;
}

// The clamp's input and output hold the same values where it does not clamp.
bool OneGrid(const Tensor& a, const Tensor& b) {
  if (a.dtype != b.dtype || a.shape != b.shape) return false;
  if (a.dtype == DType::kFloat32) return !a.quant.quantized() && !b.quant.quantized();
  return a.dtype == DType::kInt8 && a.quant.scale.size() == 1 && a.quant.zero_point.size() == 1 &&
         a.quant.scale == b.quant.scale && a.quant.zero_point == b.quant.zero_point;
}

// A per-channel CLAMP's upper bounds min(bound[c], clamp_max), or empty when
// `n` is none or its range is empty somewhere (it then stays a node).
std::vector<float> UpperBounds(const Graph& g, const Node& n) {
  if (n.op != OpType::kClamp || n.inputs.size() != 2 || n.outputs.size() != 1 || n.inputs[0] < 0 ||
      n.inputs[1] < 0) {
    return {};
  }
  const Tensor& in = g.tensors[n.inputs[0]];
  const Tensor& bound = g.tensors[n.inputs[1]];
  if (in.shape.empty() || !bound.is_constant() || bound.dtype != DType::kFloat32 ||
      bound.shape != std::vector<int32_t>{in.shape.back()} || bound.data_bytes != bound.num_bytes()) {
    return {};
  }
  std::vector<float> hi(static_cast<size_t>(bound.num_elements()));
  std::memcpy(hi.data(), bound.data, bound.data_bytes);  // model buffers may be unaligned
  for (float& h : hi) {
    h = std::min(h, n.attrs.clamp_max);
    if (!(n.attrs.clamp_min <= h)) return {};
  }
  return hi;
}

}  // namespace

size_t FuseChannelClamps(Graph* g) {
  std::vector<int> readers(g->tensors.size(), 0), producer(g->tensors.size(), -1);
  for (size_t i = 0; i < g->nodes.size(); ++i) {
    for (int32_t t : g->nodes[i].inputs) {
      if (t >= 0) ++readers[t];
    }
    for (int32_t t : g->nodes[i].outputs) producer[t] = static_cast<int>(i);
  }
  for (int32_t t : g->outputs) ++readers[t];  // a graph output is read by the caller
  std::vector<bool> fused(g->nodes.size(), false);
  size_t count = 0;
  for (size_t i = 0; i < g->nodes.size(); ++i) {
    const Node& clamp = g->nodes[i];
    std::vector<float> hi = UpperBounds(*g, clamp);
    if (hi.empty()) continue;
    const int32_t raw = clamp.inputs[0], out = clamp.outputs[0];
    const int p = producer[raw];
    if (p < 0 || readers[raw] != 1 || !OneGrid(g->tensors[raw], g->tensors[out])) continue;
    Node& layer = g->nodes[p];
    // One clamp per layer (a second in a row stays a node).
    if (!TakesChannelBound(layer.op) || layer.outputs.size() != 1 || !layer.attrs.fused_max.empty()) continue;
    layer.outputs[0] = out;
    layer.attrs.fused_min = clamp.attrs.clamp_min;
    layer.attrs.fused_max = std::move(hi);
    producer[out] = p;
    fused[i] = true;
    ++count;
  }
  if (count == 0) return 0;
  std::vector<Node> kept;
  kept.reserve(g->nodes.size() - count);
  for (size_t i = 0; i < g->nodes.size(); ++i) {
    if (!fused[i]) kept.push_back(std::move(g->nodes[i]));
  }
  g->nodes = std::move(kept);
  return count;
}

}  // namespace qwasm
