#include "ptq/ptq.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <cstring>
#include <set>

#include "graph/op.h"
#include "graph/ops/packed_weights.h"
#include "ptq/codebook.h"
#include "quant/float16.h"
#include "ptq/int4.h"

namespace qwasm {

void TensorRange::Update(const float* x, size_t n) {
  float lo = min, hi = max;
  for (size_t i = 0; i < n; ++i) {  // comparisons skip NaN
    if (x[i] < lo) lo = x[i];
    if (x[i] > hi) hi = x[i];
  }
  min = lo;
  max = hi;
}

QuantInfo ActivationQuant(const TensorRange& r) {
  double lo = r.seen() ? std::min(0.0, static_cast<double>(r.min)) : 0.0;
  double hi = r.seen() ? std::max(0.0, static_cast<double>(r.max)) : 0.0;
  if (hi - lo < 1e-8) hi = lo + 1e-8;  // an all-zero tensor still needs a valid grid
  const double scale = (hi - lo) / 255.0;
  const long zp = std::clamp(std::lround(-128.0 - lo / scale), -128L, 127L);
  QuantInfo q;
  q.scale = {static_cast<float>(scale)};
  q.zero_point = {static_cast<int32_t>(zp)};
  return q;
}

std::string WeightEncodingName(const WeightEncoding& e) {
  switch (e.format) {
    case WeightFormat::kInt8: return "int8";
    case WeightFormat::kInt4: return "int4";
    case WeightFormat::kLut4: return e.per_channel_codebook ? "lut4/channel" : "lut4/layer";
    case WeightFormat::kLut8: return e.per_channel_codebook ? "lut8/channel" : "lut8/layer";
    case WeightFormat::kFloat16: return "float16";
    case WeightFormat::kFloat32: return "float32";
  }
  return "?";
}

Result<WeightEncoding> ParseWeightEncoding(const std::string& name) {
  static const struct {
    const char* name;
    WeightEncoding e;
  } kNames[] = {
      {"int8", {WeightFormat::kInt8, false}},          {"int4", {WeightFormat::kInt4, false}},
      {"lut4", {WeightFormat::kLut4, true}},           {"lut4/channel", {WeightFormat::kLut4, true}},
      {"lut4/layer", {WeightFormat::kLut4, false}},    {"lut8", {WeightFormat::kLut8, true}},
      {"lut8/channel", {WeightFormat::kLut8, true}},   {"lut8/layer", {WeightFormat::kLut8, false}},
      {"float16", {WeightFormat::kFloat16, false}},    {"float32", {WeightFormat::kFloat32, false}},
  };
  std::string known;
  for (const auto& n : kNames) {
    if (name == n.name) return n.e;
    known += std::string(known.empty() ? "" : ", ") + n.name;
  }
  return Status::Error("unknown weight format '" + name + "' (known: " + known + ")");
}

const QuantRule& RuleOf(OpType op) {
  static const QuantRule kNone = QuantRule::FloatOnly();
  const OpDef* def = FindOpDef(op);
  return def ? def->quant : kNone;
}

namespace {


const float* FloatData(const Tensor& t) { return reinterpret_cast<const float*>(t.data); }

// Chooses each weight's code from its candidates (learned rounding,
// ptq/learned_rounding.h); an error is returned as is.
using ChooseCodes = std::function<Result<std::vector<int32_t>>(const RoundingCandidates&)>;

// Symmetric int8 weights: one scale per slice of `axis` (or one for all).
// An all-zero channel gets scale 1 so its bias stays representable.
// Rounded to nearest, or by `choose`.
Result<Tensor> QuantizeWeights(const Tensor& w, int axis, bool per_channel, Graph* g,
                               const ChooseCodes& choose = nullptr) {
  const int64_t n = w.num_elements();
  const int32_t channels = per_channel ? w.shape[axis] : 1;
  int64_t inner = 1;
  for (size_t d = axis + 1; d < w.shape.size(); ++d) inner *= w.shape[d];
  auto channel_of = [&](int64_t i) { return per_channel ? static_cast<int32_t>((i / inner) % channels) : 0; };
  std::vector<float> max_abs(channels, 0.0f);
  const float* x = FloatData(w);
  for (int64_t i = 0; i < n; ++i) max_abs[channel_of(i)] = std::max(max_abs[channel_of(i)], std::fabs(x[i]));
  Tensor q;
  q.name = w.name + "/int8";
  q.dtype = DType::kInt8;
  q.shape = w.shape;
  q.quant.axis = per_channel ? axis : 0;
  for (float m : max_abs) {
    q.quant.scale.push_back(m > 0.0f ? m / 127.0f : 1.0f);
    q.quant.zero_point.push_back(0);
  }
  std::vector<uint8_t> bytes(n);
  if (choose) {
    RoundingCandidates c;
    UniformCandidates(x, static_cast<size_t>(n), q.quant.scale.data(), channel_of, -127, 127, &c);
    Result<std::vector<int32_t>> codes = choose(c);
    if (!codes.ok()) return codes.status();
    for (int64_t i = 0; i < n; ++i) bytes[i] = static_cast<uint8_t>(static_cast<int8_t>(codes.value()[i]));
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const float v = std::nearbyint(x[i] / q.quant.scale[channel_of(i)]);
      bytes[i] = static_cast<uint8_t>(static_cast<int8_t>(std::clamp(v, -127.0f, 127.0f)));
    }
  }
  q.data_bytes = bytes.size();
  q.data = g->Own(std::move(bytes));
  return q;
}

// int4 or codebook weights (WeightFormat), scales per output channel like
// QuantizeWeights (or one for all); rounded to nearest, or by `choose`.
Result<Tensor> QuantizeLowBitWeights(const Tensor& w, int axis, bool per_channel, const WeightEncoding& e, Graph* g,
                                     const ChooseCodes& choose = nullptr) {
  const size_t n = static_cast<size_t>(w.num_elements());
  size_t inner = 1;
  for (size_t d = axis + 1; d < w.shape.size(); ++d) inner *= w.shape[d];
  const size_t channels = per_channel ? w.shape[axis] : 1;
  if (!per_channel) inner = n;
  Tensor q;
  q.shape = w.shape;
  q.quant.axis = per_channel ? axis : 0;
  std::vector<uint8_t> bytes;
  std::vector<float> scales;
  RoundingCandidates c;
  if (e.format == WeightFormat::kInt4) {
    Int4Weights i4 = QuantizeInt4(FloatData(w), n, channels, inner);
    if (choose) {
      UniformCandidates(FloatData(w), n, i4.scale.data(), [&](size_t i) { return (i / inner) % channels; }, -7, 7, &c);
      Result<std::vector<int32_t>> codes = choose(c);
      if (!codes.ok()) return codes.status();
      std::vector<uint8_t> nibbles(n);
      for (size_t i = 0; i < n; ++i) nibbles[i] = static_cast<uint8_t>(codes.value()[i]) & 0x0F;
      i4.packed = PackNibbles(nibbles.data(), n);
    }
    q.dtype = DType::kInt4;
    scales = std::move(i4.scale);
    bytes = std::move(i4.packed);
  } else {
    const int entries = e.format == WeightFormat::kLut4 ? 16 : 256;
    // Codebooks per channel come with scales per channel; with one scale
    // for all (per_channel false) the codebook is per layer too.
    CodebookWeights cb = QuantizeCodebook(FloatData(w), n, channels, inner, entries, e.per_channel_codebook);
    if (choose) {
      CodebookCandidates(FloatData(w), n, channels, inner, e.per_channel_codebook && per_channel, cb, &c);
      Result<std::vector<int32_t>> codes = choose(c);
      if (!codes.ok()) return codes.status();
      for (size_t i = 0; i < n; ++i) cb.indices[i] = static_cast<uint8_t>(codes.value()[i]);
      cb.stored = entries == 16 ? PackNibbles(cb.indices.data(), n) : cb.indices;
    }
    q.dtype = entries == 16 ? DType::kLut4 : DType::kLut8;
    scales = std::move(cb.scale);
    bytes = std::move(cb.stored);
    q.codebook = std::move(cb.codebook);
  }
  q.name = w.name + "/" + DTypeName(q.dtype);
  for (float s : scales) {
    q.quant.scale.push_back(s);
    q.quant.zero_point.push_back(0);
  }
  q.data_bytes = bytes.size();
  q.data = g->Own(std::move(bytes));
  return q;
}

// Asymmetric int8 for a constant operand of ADD / MUL (its own range).
Tensor QuantizeConstant(const Tensor& c, Graph* g) {
  TensorRange r;
  r.Update(FloatData(c), c.num_elements());
  Tensor q;
  q.name = c.name + "/int8";
  q.dtype = DType::kInt8;
  q.shape = c.shape;
  q.quant = ActivationQuant(r);
  std::vector<uint8_t> bytes(c.num_elements());
  for (size_t i = 0; i < bytes.size(); ++i) {
    const double v = std::nearbyint(FloatData(c)[i] / q.quant.scale[0]) + q.quant.zero_point[0];
    bytes[i] = static_cast<uint8_t>(static_cast<int8_t>(std::clamp(v, -128.0, 127.0)));
  }
  q.data_bytes = bytes.size();
  q.data = g->Own(std::move(bytes));
  return q;
}

WeightEncoding EncodingOf(const Node& n, const PtqOptions& o) {
  const auto it = o.layer_weights.find(n.name);
  return it != o.layer_weights.end() ? it->second : o.weights;
}

bool IsFloatFormat(WeightFormat f) { return f == WeightFormat::kFloat16 || f == WeightFormat::kFloat32; }

// The weight storage of a weighted layer that runs in float.
WeightFormat FloatWeightsOf(const Node& n, const PtqOptions& o) {
  const WeightEncoding e = EncodingOf(n, o);
  return IsFloatFormat(e.format) ? e.format : o.float_weights;
}

// A float32 constant stored as float16 (same name, shape).
Tensor ToFloat16(const Tensor& w, Graph* g) {
  Tensor h = w;
  h.dtype = DType::kFloat16;
  std::vector<uint8_t> bytes(static_cast<size_t>(w.num_elements()) * 2);
  for (int64_t i = 0; i < w.num_elements(); ++i) {
    const uint16_t v = Fp32ToFp16(FloatData(w)[i]);
    std::memcpy(bytes.data() + 2 * i, &v, 2);
  }
  h.data_bytes = bytes.size();
  h.data = g->Own(std::move(bytes));
  return h;
}

// Builds the mixed graph for one choice of float nodes.
class Builder {
 public:
  // `learned`: weights rounded as learned (LearnFilters), by node.
  Builder(const Graph& fg, const std::vector<TensorRange>& ranges, const PtqOptions& o,
          const std::vector<bool>& is_float, const LearnedLayers& learned)
      : fg_(fg), ranges_(ranges), options_(o), is_float_(is_float), learned_(learned.weights),
        mean_shift_(learned.mean_shift), g_(new Graph) {}

  // On success fills `origin` (node of the float graph each new node came from).
  Status Build(std::vector<int32_t>* origin) {
    g_->metadata = fg_.metadata;
    for (const Tensor& t : fg_.tensors) {
      Tensor c = t;
      if (t.is_constant()) {
        c.data = g_->Own(std::vector<uint8_t>(t.data, t.data + t.data_bytes));
      }
      g_->tensors.push_back(std::move(c));
    }
    const size_t n = fg_.tensors.size();
    int8_of_.assign(n, -1);
    float_of_.assign(n, -1);
    std::vector<std::vector<size_t>> consumers(n);
    for (size_t i = 0; i < fg_.nodes.size(); ++i) {
      for (int32_t t : fg_.nodes[i].inputs) {
        if (t >= 0) consumers[t].push_back(i);
      }
    }
    const std::set<int32_t> outputs(fg_.outputs.begin(), fg_.outputs.end());
    auto only_int8_consumers = [&](int32_t t) {
      if (outputs.count(t) || consumers[t].empty()) return false;
      for (size_t i : consumers[t]) {
        if (is_float_[i]) return false;
      }
      return true;
    };
    // Graph inputs: int8 ones stay; a float input read only by int8 nodes
    // becomes an int8 input on its observed grid.
    for (int32_t t : fg_.inputs) {
      const Tensor& ft = fg_.tensors[t];
      if (ft.dtype == DType::kFloat32 && only_int8_consumers(t)) {
        MakeInt8(t);
      } else if (ft.dtype == DType::kFloat32) {
        float_of_[t] = t;
      } else {
        int8_of_[t] = t;
      }
    }
    for (size_t i = 0; i < fg_.nodes.size(); ++i) {
      const Node& fn = fg_.nodes[i];
      const size_t before = g_->nodes.size();
      if (fn.op == OpType::kDequantize && !is_float_[i]) {
        // int8 -> float read only by int8 nodes: they read the int8 input
        // directly (one requantization fewer).
        const int32_t in = fn.inputs[0], out = fn.outputs[0];
        if (only_int8_consumers(out) && Int8Of(in) >= 0) {
          int8_of_[out] = Int8Of(in);
          removed_.push_back(i);
          continue;
        }
      }
      if (is_float_[i]) {
        QW_RETURN_IF_ERROR(AddFloatNode(fn));
      } else {
        QW_RETURN_IF_ERROR(AddInt8Node(fn));
      }
      for (size_t k = before; k < g_->nodes.size(); ++k) origin->push_back(static_cast<int32_t>(i));
    }
    for (int32_t t : fg_.inputs) g_->inputs.push_back(int8_of_[t] >= 0 ? int8_of_[t] : float_of_[t]);
    for (int32_t t : fg_.outputs) g_->outputs.push_back(int8_of_[t] >= 0 ? int8_of_[t] : float_of_[t]);
    return Status::Ok();
  }

  std::unique_ptr<Graph> TakeGraph() { return std::move(g_); }
  const std::vector<int32_t>& int8_of() const { return int8_of_; }
  const std::vector<int32_t>& float_of() const { return float_of_; }
  const std::vector<size_t>& removed() const { return removed_; }

 private:
  void MakeInt8(int32_t t) {
    Tensor& q = g_->tensors[t];
    q.dtype = DType::kInt8;
    q.quant = ActivationQuant(ranges_[t]);
    int8_of_[t] = t;
  }

  int32_t Append(Tensor t) {
    g_->tensors.push_back(std::move(t));
    return static_cast<int32_t>(g_->tensors.size() - 1);
  }

  // The int8 version of activation t, quantizing the float one on first use.
  int32_t Int8Of(int32_t t) {
    if (int8_of_[t] >= 0) return int8_of_[t];
    if (float_of_[t] < 0) return -1;
    Tensor q = g_->tensors[float_of_[t]];
    q.name += "/quantized";
    q.dtype = DType::kInt8;
    q.quant = ActivationQuant(ranges_[t]);
    q.was_uint8 = false;
    const int32_t qt = Append(std::move(q));
    Node node;
    node.op = OpType::kQuantize;
    node.name = g_->tensors[qt].name;
    node.inputs = {float_of_[t]};
    node.outputs = {qt};
    g_->nodes.push_back(std::move(node));
    return int8_of_[t] = qt;
  }

  // The float version of activation t, dequantizing the int8 one on first use.
  int32_t FloatOf(int32_t t) {
    if (float_of_[t] >= 0) return float_of_[t];
    if (int8_of_[t] < 0) return -1;
    Tensor f = g_->tensors[int8_of_[t]];
    f.name += "/dequantized";
    f.dtype = DType::kFloat32;
    f.quant = QuantInfo();
    f.was_uint8 = false;
    const int32_t ft = Append(std::move(f));
    Node node;
    node.op = OpType::kDequantize;
    node.name = g_->tensors[ft].name;
    node.inputs = {int8_of_[t]};
    node.outputs = {ft};
    g_->nodes.push_back(std::move(node));
    return float_of_[t] = ft;
  }

  Status Missing(const Node& fn, int32_t t) {
    return Status::Error("quantize: node '" + fn.name + "' (" + OpTypeName(fn.op) + "): input '" +
                         fg_.tensors[t].name + "' is not produced before it");
  }

  Status AddFloatNode(const Node& fn) {
    Node node = fn;
    for (int32_t& t : node.inputs) {
      if (t < 0 || fg_.tensors[t].is_constant()) continue;
      const bool wants_int8 = fn.op == OpType::kDequantize;
      const int32_t mapped = wants_int8 ? Int8Of(t) : FloatOf(t);
      if (mapped < 0) return Missing(fn, t);
      t = mapped;
    }
    if (IsWeighted(fn.op) && fn.inputs.size() > 1 && fn.inputs[1] >= 0 &&
        FloatWeightsOf(fn, options_) == WeightFormat::kFloat16 && fg_.tensors[fn.inputs[1]].dtype == DType::kFloat32) {
      node.inputs[1] = Append(ToFloat16(fg_.tensors[fn.inputs[1]], g_.get()));
    }
    for (int32_t t : fn.outputs) {
      if (fn.op == OpType::kQuantize) {
        int8_of_[t] = t;  // keeps the grid the model gave it
      } else {
        float_of_[t] = t;
      }
    }
    g_->nodes.push_back(std::move(node));
    return Status::Ok();
  }

  Status AddInt8Node(const Node& fn) {
    Node node = fn;
    for (size_t k = 0; k < fn.inputs.size(); ++k) {
      const int32_t t = fn.inputs[k];
      if (t < 0) continue;
      const Tensor& ft = fg_.tensors[t];
      if (!ft.is_constant()) {
        const int32_t mapped = Int8Of(t);
        if (mapped < 0) return Missing(fn, t);
        node.inputs[k] = mapped;
        continue;
      }
      // Axes, shapes and clamp bounds (real values the op quantizes itself) stay.
      if (ft.dtype != DType::kFloat32 || RuleOf(fn.op).float_constants) continue;
      if (IsWeighted(fn.op) && k == 1) {
        const int axis = FilterChannelAxis(fn.op);
        const WeightEncoding e = EncodingOf(fn, options_);
        const auto learned = learned_.find(static_cast<size_t>(&fn - fg_.nodes.data()));
        if (learned != learned_.end()) {  // the weights' bytes are the store's: copy them
          Tensor q = learned->second;
          q.data = g_->Own(std::vector<uint8_t>(q.data, q.data + q.data_bytes));
          node.inputs[k] = Append(std::move(q));
        } else {
          Result<Tensor> q = e.format == WeightFormat::kInt8
                                 ? QuantizeWeights(ft, axis, options_.per_channel, g_.get())
                                 : QuantizeLowBitWeights(ft, axis, options_.per_channel, e, g_.get());
          QW_RETURN_IF_ERROR(q.status());
          node.inputs[k] = Append(q.take());
        }
      } else if (IsWeighted(fn.op) && k == 2) {
        node.inputs[k] = -2;  // after the input and weights are known
      } else {
        node.inputs[k] = Append(QuantizeConstant(ft, g_.get()));
      }
    }
    if (IsWeighted(fn.op)) {
      const bool has_bias = fn.inputs.size() > 2 && fn.inputs[2] >= 0;
      std::vector<float> bias = FloatBias(fn, node);
      if (has_bias || !bias.empty()) {
        node.inputs.resize(3);
        node.inputs[2] = Append(QuantizeBias(has_bias ? fg_.tensors[fn.inputs[2]].name : fn.name + "/bias", bias, node));
      }
    }
    for (int32_t t : fn.outputs) {
      const Tensor& in = g_->tensors[node.inputs[0]];
      const QuantRule& rule = RuleOf(fn.op);
      if (rule.output == QuantRule::Output::kInputGrid && in.quant.quantized()) {
        Tensor& q = g_->tensors[t];
        q.dtype = DType::kInt8;
        q.quant = in.quant;
        int8_of_[t] = t;
      } else if (rule.output == QuantRule::Output::kFixed) {
        Tensor& q = g_->tensors[t];
        q.dtype = DType::kInt8;
        q.quant.scale = {rule.fixed_scale};
        q.quant.zero_point = {rule.fixed_zero_point};
        int8_of_[t] = t;
      } else {
        MakeInt8(t);
      }
    }
    g_->nodes.push_back(std::move(node));
    return Status::Ok();
  }

  // The float bias of weighted node fn (empty when it has none), corrected
  // for the error of its quantized weights (node.inputs[1]) when asked and
  // the input's channel means are known (then a missing bias becomes one).
  std::vector<float> FloatBias(const Node& fn, const Node& node) const {
    std::vector<float> bias;
    if (fn.inputs.size() > 2 && fn.inputs[2] >= 0) {
      const Tensor& fb = fg_.tensors[fn.inputs[2]];
      bias.assign(FloatData(fb), FloatData(fb) + fb.num_elements());
    }
    const auto measured = mean_shift_.find(static_cast<size_t>(&fn - fg_.nodes.data()));
    if (options_.bias_correction && measured != mean_shift_.end()) {
      bias.resize(measured->second.size(), 0.0f);
      for (size_t o = 0; o < bias.size(); ++o) bias[o] = static_cast<float>(bias[o] - measured->second[o]);
      return bias;
    }
    const std::vector<float>& mean = ranges_[fn.inputs[0]].channel_mean;
    const Tensor& fw = fg_.tensors[fn.inputs[1]];
    const Tensor& qw = g_->tensors[node.inputs[1]];
    const int axis = FilterChannelAxis(fn.op);
    const int32_t outs = fw.shape[axis];
    const int32_t last = fw.shape.back();  // input channels (depthwise: outputs)
    const int32_t multiplier = fn.op == OpType::kDepthwiseConv2D ? std::max(1, fn.attrs.depth_multiplier) : 1;
    const size_t ins = static_cast<size_t>(last / multiplier);
    if (!options_.bias_correction || mean.size() != ins || fw.dtype != DType::kFloat32) return bias;
    const std::vector<int8_t> q = qw.dtype == DType::kInt8
                                      ? std::vector<int8_t>(qw.data, qw.data + qw.data_bytes)
                                      : ExpandWeights(qw, ReferenceKernels());
    const int64_t n = fw.num_elements();
    const int64_t per_out = n / outs;
    std::vector<double> shift(outs, 0.0);
    for (int64_t i = 0; i < n; ++i) {
      // Conv / FC [O, ..., I]: output i / per_out, input i % I; depthwise
      // [1, H, W, C*M]: output i % (C*M), input that / M.
      const int32_t o = axis == 0 ? static_cast<int32_t>(i / per_out) : static_cast<int32_t>(i % last);
      const size_t in = axis == 0 ? static_cast<size_t>(i % last) : static_cast<size_t>(o / multiplier);
      const float s = qw.quant.scale[qw.quant.per_channel() ? o : 0];
      const double err = static_cast<double>(s) * q[i] - FloatData(fw)[i];
      shift[o] += err * mean[in];
    }
    bias.resize(outs, 0.0f);
    for (int32_t o = 0; o < outs; ++o) bias[o] = static_cast<float>(bias[o] - shift[o]);
    return bias;
  }

  // int32 bias on the grid input scale x weight scale of each channel.
  Tensor QuantizeBias(const std::string& name, const std::vector<float>& fb, const Node& node) {
    const Tensor& in = g_->tensors[node.inputs[0]];
    const Tensor& w = g_->tensors[node.inputs[1]];
    Tensor b;
    b.name = name + "/int32";
    b.dtype = DType::kInt32;
    b.shape = {static_cast<int32_t>(fb.size())};
    const int64_t n = static_cast<int64_t>(fb.size());
    std::vector<int32_t> values(n);
    for (int64_t c = 0; c < n; ++c) {
      const double s = static_cast<double>(in.quant.scale[0]) * w.quant.scale[w.quant.per_channel() ? c : 0];
      const double v = std::nearbyint(fb[c] / s);
      values[c] = static_cast<int32_t>(std::clamp(v, -2147483647.0, 2147483647.0));
      b.quant.scale.push_back(static_cast<float>(s));
      b.quant.zero_point.push_back(0);
    }
    std::vector<uint8_t> bytes(n * sizeof(int32_t));
    std::memcpy(bytes.data(), values.data(), bytes.size());
    b.data_bytes = bytes.size();
    b.data = g_->Own(std::move(bytes));
    return b;
  }

  const Graph& fg_;
  const std::vector<TensorRange>& ranges_;
  const PtqOptions& options_;
  const std::vector<bool>& is_float_;
  const std::map<size_t, Tensor>& learned_;
  const std::map<size_t, std::vector<double>>& mean_shift_;
  std::unique_ptr<Graph> g_;
  std::vector<int32_t> int8_of_, float_of_;
  std::vector<size_t> removed_;  // DEQUANTIZE nodes whose readers take the int8 input
};

// Drops tensors nothing refers to; returns old index -> new index (or -1).
std::vector<int32_t> Compact(Graph* g) {
  std::vector<bool> used(g->tensors.size(), false);
  for (const Node& n : g->nodes) {
    for (int32_t t : n.inputs) if (t >= 0) used[t] = true;
    for (int32_t t : n.outputs) used[t] = true;
  }
  for (int32_t t : g->inputs) used[t] = true;
  for (int32_t t : g->outputs) used[t] = true;
  std::vector<int32_t> remap(g->tensors.size(), -1);
  std::vector<Tensor> kept;
  for (size_t t = 0; t < g->tensors.size(); ++t) {
    if (!used[t]) continue;
    remap[t] = static_cast<int32_t>(kept.size());
    kept.push_back(std::move(g->tensors[t]));
  }
  g->tensors = std::move(kept);
  for (Node& n : g->nodes) {
    for (int32_t& t : n.inputs) if (t >= 0) t = remap[t];
    for (int32_t& t : n.outputs) t = remap[t];
  }
  for (int32_t& t : g->inputs) t = remap[t];
  for (int32_t& t : g->outputs) t = remap[t];
  return remap;
}

size_t WeightBytes(const Graph& g, const Node& n) {
  size_t bytes = 0;
  for (size_t k = 1; k < n.inputs.size(); ++k) {
    if (n.inputs[k] >= 0 && g.tensors[n.inputs[k]].is_constant()) {
      bytes += g.tensors[n.inputs[k]].data_bytes + g.tensors[n.inputs[k]].codebook.size();
    }
  }
  return bytes;
}

// The real values of quantized filter qw (int8, int4 or codebook; scales
// per channel of `axis` or one).
std::vector<double> RealWeights(const Tensor& qw, int axis) {
  const std::vector<int8_t> q = qw.dtype == DType::kInt8 ? std::vector<int8_t>(qw.data, qw.data + qw.data_bytes)
                                                         : ExpandWeights(qw, ReferenceKernels());
  const size_t channels = static_cast<size_t>(std::max(1, qw.shape[axis]));
  size_t inner = 1;
  for (size_t d = static_cast<size_t>(axis) + 1; d < qw.shape.size(); ++d) inner *= static_cast<size_t>(qw.shape[d]);
  std::vector<double> v(q.size());
  for (size_t i = 0; i < q.size(); ++i) {
    const size_t c = (i / inner) % channels;
    v[i] = static_cast<double>(qw.quant.scale[qw.quant.per_channel() ? c : 0]) * q[i];
  }
  return v;
}

// Per output channel, E[w_q . x~] - E[w . x] from paired moments' means (a
// row per output channel; depthwise: channel c's taps, C apart, moment c).
std::vector<double> MeanShift(const Tensor& fw, const Tensor& qw, bool depthwise,
                              const std::vector<LayerMoments>& moments) {
  const int axis = depthwise ? 3 : 0;
  const std::vector<double> wq = RealWeights(qw, axis);
  const size_t outs = static_cast<size_t>(std::max(1, fw.shape[axis])), n = wq.size(), k = n / outs;
  std::vector<double> shift(outs, 0.0);
  for (size_t i = 0; i < n; ++i) {
    const size_t o = depthwise ? i % outs : i / k, j = depthwise ? i / outs : i % k;
    const LayerMoments& m = moments[depthwise ? o : 0];
    shift[o] += wq[i] * m.mean[j] - static_cast<double>(FloatData(fw)[i]) * m.reference_mean[j];
  }
  return shift;
}

// Learned rounding, before any graph is built (a rebuild reuses it): the
// weights of every weighted layer that will run quantized and has input
// moments, into `store` (layers it already holds are reused; learning stops
// at the first layer whose moments are not ready). The time budget is
// shared by cost (weights x row length per iteration) over all such layers
// from the store's first call; once a layer has shown the speed, the next
// get as many iterations as fit their share.
Status LearnFilters(const Graph& fg, const std::vector<bool>& is_float, const PtqOptions& options,
                    LearnedLayers* store) {
  const LearnedRoundingOptions& lr = options.learned_rounding;
  if (!lr.moments) return Status::Ok();
  struct Job {
    size_t node;
    double cost;  // per iteration
  };
  std::vector<Job> jobs;
  double total_cost = 0, spent_cost = 0;
  size_t done_jobs = 0;
  for (size_t i = 0; i < fg.nodes.size(); ++i) {
    const Node& n = fg.nodes[i];
    if (is_float[i] || !IsWeighted(n.op) || n.inputs.size() < 2 || n.inputs[1] < 0 || !lr.moments->Has(i)) continue;
    const Tensor& w = fg.tensors[n.inputs[1]];
    if (!w.is_constant() || w.dtype != DType::kFloat32 || w.shape.empty()) continue;
    const size_t axis = static_cast<size_t>(FilterChannelAxis(n.op));
    const size_t rows = axis < w.shape.size() ? static_cast<size_t>(std::max(1, w.shape[axis])) : 1;
    const double count = static_cast<double>(w.num_elements());
    jobs.push_back({i, count * (count / rows)});
    total_cost += jobs.back().cost;
    if (store->weights.count(i)) spent_cost += jobs.back().cost, ++done_jobs;
  }
  if (!store->started) store->started = true, store->start = std::chrono::steady_clock::now();
  for (const Job& job : jobs) {
    if (store->weights.count(job.node)) continue;
    if (!lr.moments->Ready(job.node)) break;
    const Node& n = fg.nodes[job.node];
    const Tensor& w = fg.tensors[n.inputs[1]];
    const int axis = FilterChannelAxis(n.op);
    const bool depthwise = n.op == OpType::kDepthwiseConv2D;
    const size_t rows = static_cast<size_t>(std::max(1, w.shape[axis]));
    AdaRoundOptions ada = lr.adaround;
    if (lr.time_budget > 0) {
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - store->start).count();
      const double share = std::max(0.0, lr.time_budget - elapsed) * job.cost / (total_cost - spent_cost);
      ada.max_seconds = std::max(share, 1e-3);
      if (store->seconds_per_cost > 0) {
        const double fit = share / (store->seconds_per_cost * job.cost);
        ada.iterations = static_cast<int>(std::clamp(fit, 0.0, static_cast<double>(ada.iterations)));
      }
    }
    LayerRounding done;
    const std::vector<LayerMoments> moments = lr.moments->Get(job.node);  // this layer's only
    auto choose = [&](const RoundingCandidates& c) {
      return LearnFilterRounding(FloatData(w), static_cast<size_t>(w.num_elements()), rows, depthwise, c, moments,
                                 ada, &done);
    };
    const WeightEncoding e = EncodingOf(n, options);
    Result<Tensor> q = e.format == WeightFormat::kInt8
                           ? QuantizeWeights(w, axis, options.per_channel, &store->owner, choose)
                           : QuantizeLowBitWeights(w, axis, options.per_channel, e, &store->owner, choose);
    if (!q.ok()) return q.status().With("node '" + n.name + "' (" + OpTypeName(n.op) + ")");
    if (!moments.empty() && !moments[0].mean.empty()) {
      store->mean_shift[job.node] = MeanShift(w, q.value(), depthwise, moments);
    }
    store->weights[job.node] = q.take();
    store->report[job.node] = done;
    spent_cost += job.cost;
    if (done.iterations > 0) store->seconds_per_cost = done.seconds / (job.cost * done.iterations);
    if (lr.progress) lr.progress(++done_jobs, jobs.size());
  }
  return Status::Ok();
}

}  // namespace

Result<PtqResult> QuantizeGraph(const Graph& fg, const std::vector<TensorRange>& ranges,
                                const PtqOptions& options) {
  if (ranges.size() != fg.tensors.size()) {
    return Status::Error("quantize: " + std::to_string(ranges.size()) + " ranges for " +
                         std::to_string(fg.tensors.size()) + " tensors");
  }
  const std::set<std::string> keep(options.keep_float.begin(), options.keep_float.end());
  std::vector<bool> is_float(fg.nodes.size());
  std::vector<std::string> reason(fg.nodes.size());
  for (size_t i = 0; i < fg.nodes.size(); ++i) {
    const Node& n = fg.nodes[i];
    if (!RuleOf(n.op).int8) {
      is_float[i] = true;
    } else if (keep.count(n.name)) {
      is_float[i] = true;
      reason[i] = "kept in float on request";
    } else if (IsWeighted(n.op) && IsFloatFormat(EncodingOf(n, options).format)) {
      is_float[i] = true;
      reason[i] = "kept in float on request (" + WeightEncodingName(EncodingOf(n, options)) + " weights)";
    }
  }
  // A per-channel CLAMP runs on one grid: the layer it clamps writes
  // straight onto the clamp's output grid (as a fused ReLU6 would).
  std::vector<TensorRange> grids = ranges;
  std::vector<int> readers(fg.tensors.size(), 0);
  for (const Node& n : fg.nodes) {
    for (int32_t t : n.inputs) readers[t >= 0 ? t : 0] += t >= 0;
  }
  for (int32_t t : fg.outputs) ++readers[t];
  for (const Node& n : fg.nodes) {
    if (n.op == OpType::kClamp && n.inputs.size() > 1 && readers[n.inputs[0]] == 1) {
      grids[n.inputs[0]].min = ranges[n.outputs[0]].min;
      grids[n.inputs[0]].max = ranges[n.outputs[0]].max;
    }
  }
  LearnedLayers one_call;
  LearnedLayers& store = options.learned_rounding.learned ? *options.learned_rounding.learned : one_call;
  QW_RETURN_IF_ERROR(LearnFilters(fg, is_float, options, &store));
  const std::map<size_t, LayerRounding>& rounding = store.report;
  // Build; an int8 node that its operator rejects goes back to float and
  // the graph is rebuilt (each round fixes at least one node).
  for (size_t round = 0; round <= fg.nodes.size(); ++round) {
    Builder b(fg, grids, options, is_float, store);
    std::vector<int32_t> origin;
    QW_RETURN_IF_ERROR(b.Build(&origin));
    std::unique_ptr<Graph> g = b.TakeGraph();
    bool changed = false;
    for (size_t j = 0; j < g->nodes.size(); ++j) {
      const size_t i = static_cast<size_t>(origin[j]);
      if (is_float[i] || g->nodes[j].op == OpType::kQuantize) continue;
      PrepareResult p = PrepareNode(*g, j);
      if (!p.ok()) {
        is_float[i] = true;
        reason[i] = p.status().message();
        changed = true;
      }
    }
    if (changed) continue;
    PtqResult r;
    const std::vector<int32_t> remap = Compact(g.get());
    r.tensor_map.assign(fg.tensors.size(), -1);
    for (size_t t = 0; t < fg.tensors.size(); ++t) {
      const int32_t i8 = b.int8_of()[t], f = b.float_of()[t];
      // The tensor itself when its node wrote it, else its converted copy.
      const bool home = i8 == static_cast<int32_t>(t) || f == static_cast<int32_t>(t);
      const int32_t pick = home ? static_cast<int32_t>(t) : (i8 >= 0 ? i8 : f);
      if (pick >= 0) r.tensor_map[t] = remap[pick];
    }
    for (size_t i = 0; i < fg.nodes.size(); ++i) {
      PtqLayer l;
      l.node = i;
      l.name = fg.nodes[i].name;
      l.op = OpTypeName(fg.nodes[i].op);
      l.precision = is_float[i] ? "float32" : "int8";
      if (IsWeighted(fg.nodes[i].op)) {
        l.weight_format = is_float[i] ? WeightEncodingName({FloatWeightsOf(fg.nodes[i], options), false})
                                      : WeightEncodingName(EncodingOf(fg.nodes[i], options));
      }
      l.reason = reason[i];
      const auto it = rounding.find(i);
      if (!is_float[i] && it != rounding.end()) l.rounding = it->second;
      r.layers.push_back(std::move(l));
    }
    for (size_t j = 0; j < g->nodes.size(); ++j) {
      r.layers[origin[j]].weight_bytes += WeightBytes(*g, g->nodes[j]);
    }
    for (size_t i : b.removed()) {
      r.layers[i].precision = "removed";
      r.layers[i].reason = "its int8 readers take its int8 input directly";
    }
    r.graph = std::move(g);
    return r;
  }
  return Status::Error("quantize: the int8 graph does not settle");
}

}  // namespace qwasm
