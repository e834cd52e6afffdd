#include "ptq/equalize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>

#include "graph/validate.h"

namespace qwasm {
namespace {

// A weighted layer taking part, with its float weights copied out to be
// rescaled. Filters: CONV_2D [O,H,W,I]; DEPTHWISE_CONV_2D [1,H,W,C].
struct Layer {
  size_t node = 0;
  int32_t weight_tensor = -1, bias_tensor = -1;
  bool depthwise = false;
  int32_t out_channels = 0, in_channels = 0;
  std::vector<float> w, b;
  std::vector<float> upper;  // per output channel, as layer 1 of a pair with ReLU6
  bool rescaled_upper = false;

  size_t stride_in() const { return static_cast<size_t>(depthwise ? out_channels : in_channels); }
  // Calls f(index) for every weight of output channel c.
  template <typename F>
  void ForOut(int32_t c, F f) {
    if (depthwise) return ForIn(c, f);
    const size_t per = w.size() / out_channels;
    for (size_t i = c * per; i < (c + 1) * per; ++i) f(w[i]);
  }
  // ... of input channel c.
  template <typename F>
  void ForIn(int32_t c, F f) {
    for (size_t i = c; i < w.size(); i += stride_in()) f(w[i]);
  }
  float OutRange(int32_t c) {
    float r = 0.0f;
    ForOut(c, [&](float& v) { r = std::max(r, std::fabs(v)); });
    return r;
  }
  float InRange(int32_t c) {
    float r = 0.0f;
    ForIn(c, [&](float& v) { r = std::max(r, std::fabs(v)); });
    return r;
  }
  // Widest output channel range over the mean one.
  double Spread() {
    double sum = 0.0, widest = 0.0;
    for (int32_t c = 0; c < out_channels; ++c) {
      sum += OutRange(c);
      widest = std::max<double>(widest, OutRange(c));
    }
    return sum > 0.0 ? widest * out_channels / sum : 1.0;
  }
};

std::vector<float> FloatValues(const Tensor& t) {
  std::vector<float> v(static_cast<size_t>(t.num_elements()));
  std::memcpy(v.data(), t.data, v.size() * sizeof(float));
  return v;
}

bool IsFloatConstant(const Graph& g, int32_t t) {
  return t >= 0 && g.tensors[t].is_constant() && g.tensors[t].dtype == DType::kFloat32 && !g.tensors[t].quant.quantized();
}

// The node as a Layer, or false when it cannot take part.
bool AsLayer(const Graph& g, size_t i, const std::vector<int>& uses, Layer* l) {
  const Node& n = g.nodes[i];
  if (n.op != OpType::kConv2D && n.op != OpType::kDepthwiseConv2D) return false;
  if (n.inputs.size() < 2 || !IsFloatConstant(g, n.inputs[1]) || uses[n.inputs[1]] != 1) return false;
  const bool has_bias = n.inputs.size() > 2 && n.inputs[2] >= 0;
  if (has_bias && (!IsFloatConstant(g, n.inputs[2]) || uses[n.inputs[2]] != 1)) return false;
  const Tensor& w = g.tensors[n.inputs[1]];
  if (w.shape.size() != 4) return false;
  // A grouped convolution's input channels are not the filter's I: left out.
  if (n.op == OpType::kConv2D && g.tensors[n.inputs[0]].shape.size() == 4 &&
      g.tensors[n.inputs[0]].shape[3] != w.shape[3]) {
    return false;
  }
  l->node = i;
  l->depthwise = n.op == OpType::kDepthwiseConv2D;
  if (l->depthwise && (n.attrs.depth_multiplier != 1 || w.shape[0] != 1)) return false;
  l->out_channels = l->depthwise ? w.shape[3] : w.shape[0];
  l->in_channels = w.shape[3];
  if (l->out_channels <= 0 || l->in_channels <= 0) return false;
  l->weight_tensor = n.inputs[1];
  l->bias_tensor = has_bias ? n.inputs[2] : -1;
  if (has_bias && g.tensors[n.inputs[2]].num_elements() != l->out_channels) return false;
  l->w = FloatValues(w);
  if (has_bias) l->b = FloatValues(g.tensors[n.inputs[2]]);
  return true;
}

const Tensor& OutputOf(const Graph& g, size_t node) { return g.tensors[g.nodes[node].outputs[0]]; }

}  // namespace

Result<std::unique_ptr<Graph>> EqualizeGraph(const Graph& g, EqualizeReport* report, const EqualizeOptions& options) {
  QW_RETURN_IF_ERROR(ValidateGraph(g));
  EqualizeReport r;
  std::vector<int> uses(g.tensors.size(), 0);
  std::vector<std::vector<size_t>> readers(g.tensors.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (int32_t t : g.nodes[i].inputs) {
      if (t >= 0) ++uses[t], readers[t].push_back(i);
    }
  }
  for (int32_t t : g.outputs) ++uses[t];

  // Layers by node, and the pairs (first, second) in graph order.
  std::map<size_t, Layer> layers;
  std::vector<std::pair<size_t, size_t>> pairs;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    const Activation act = n.attrs.activation;
    if (n.outputs.size() != 1 || (act != Activation::kNone && act != Activation::kRelu && act != Activation::kRelu6)) {
      continue;
    }
    const int32_t out = n.outputs[0];
    if (uses[out] != 1 || readers[out].size() != 1) continue;
    const size_t j = readers[out][0];
    if (g.nodes[j].inputs[0] != out) continue;
    Layer first, second;
    if (!(layers.count(i) ? (first = layers[i], true) : AsLayer(g, i, uses, &first))) continue;
    if (!(layers.count(j) ? (second = layers[j], true) : AsLayer(g, j, uses, &second))) continue;
    if (first.out_channels != second.in_channels || (second.depthwise && second.in_channels != second.out_channels)) {
      continue;
    }
    if (act == Activation::kRelu6) first.upper.assign(first.out_channels, 6.0f);
    layers[i] = std::move(first);
    if (!layers.count(j)) layers[j] = std::move(second);
    pairs.emplace_back(i, j);
  }
  r.pairs = pairs.size();
  // Spread of the channels equalization balances: outputs of first layers.
  auto spread = [&] {
    double worst = 0.0;
    for (const auto& pair : pairs) worst = std::max(worst, layers[pair.first].Spread());
    return worst;
  };
  r.spread_before = spread();

  for (r.sweeps = 0; r.sweeps < static_cast<size_t>(options.max_sweeps) && !pairs.empty();) {
    ++r.sweeps;
    double worst = 0.0;
    for (const auto& [i, j] : pairs) {
      Layer& a = layers[i];
      Layer& b = layers[j];
      for (int32_t c = 0; c < a.out_channels; ++c) {
        const float r1 = a.OutRange(c), r2 = b.InRange(c);
        if (r2 == 0.0f && (r1 > 0.0f || (!a.b.empty() && a.b[c] != 0.0f))) {
          // The second layer ignores channel c: the first may as well
          // compute 0 there (the limit s -> inf), which keeps its dead
          // weights from setting a per-tensor scale.
          a.ForOut(c, [&](float& v) { v = 0.0f; });
          if (!a.b.empty()) a.b[c] = 0.0f;
          worst = std::max(worst, 1.0);
          continue;
        }
        if (!(r1 > 0.0f && r2 > 0.0f) || !std::isfinite(r1) || !std::isfinite(r2)) continue;
        const float s = std::sqrt(r1 / r2);
        if (!(s > 0.0f) || !std::isfinite(s) || s == 1.0f) continue;
        worst = std::max(worst, std::fabs(static_cast<double>(s) - 1.0));
        a.ForOut(c, [&](float& v) { v /= s; });
        if (!a.b.empty()) a.b[c] /= s;
        if (!a.upper.empty()) a.upper[c] /= s, a.rescaled_upper = true;
        b.ForIn(c, [&](float& v) { v *= s; });
      }
    }
    if (worst <= options.tolerance) break;
  }
  r.spread_after = spread();

  // The equalized graph: new weights and biases; a ReLU6 layer whose bounds
  // moved gets ReLU and a per-channel CLAMP writing its old output tensor.
  std::unique_ptr<Graph> eg = CloneGraph(g);
  auto store = [&](int32_t t, const std::vector<float>& v) {
    std::vector<uint8_t> bytes(v.size() * sizeof(float));
    std::memcpy(bytes.data(), v.data(), bytes.size());
    eg->tensors[t].data = eg->Own(std::move(bytes));
  };
  std::vector<Node> nodes;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    nodes.push_back(eg->nodes[i]);
    auto it = layers.find(i);
    if (it == layers.end()) continue;
    Layer& l = it->second;
    store(l.weight_tensor, l.w);
    if (l.bias_tensor >= 0) store(l.bias_tensor, l.b);
    if (!l.rescaled_upper) continue;
    const int32_t out = g.nodes[i].outputs[0];
    Tensor raw = OutputOf(g, i);
    raw.name += "/unclamped";
    Tensor bound;
    bound.name = OutputOf(g, i).name + "/channel_bound";
    bound.dtype = DType::kFloat32;
    bound.shape = {l.out_channels};
    eg->tensors.push_back(std::move(raw));
    const int32_t raw_t = static_cast<int32_t>(eg->tensors.size() - 1);
    eg->tensors.push_back(std::move(bound));
    const int32_t bound_t = static_cast<int32_t>(eg->tensors.size() - 1);
    store(bound_t, l.upper);
    eg->tensors[bound_t].data_bytes = l.upper.size() * sizeof(float);
    nodes.back().attrs.activation = Activation::kRelu;
    nodes.back().outputs[0] = raw_t;
    Node clamp;
    clamp.op = OpType::kClamp;
    clamp.name = OutputOf(g, i).name + "/channel_clamp";
    clamp.inputs = {raw_t, bound_t};
    clamp.outputs = {out};
    clamp.attrs.clamp_min = 0.0f;
    nodes.push_back(std::move(clamp));
    ++r.channel_clamps;
  }
  eg->nodes = std::move(nodes);
  QW_RETURN_IF_ERROR(ValidateGraph(*eg));
  if (report) *report = r;
  return eg;
}

}  // namespace qwasm
