// Post-training quantization (ptq/ptq.h) on small float graphs built in
// code: the grids it picks, the int8 weights and bias it writes, and that
// the int8 graph computes what the float graph does (checked against a
// double-precision evaluation of the same network).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "graph/interpreter.h"
#include "ptq/ptq.h"

using namespace qwasm;

namespace {

int32_t AddTensor(Graph* g, const std::string& name, DType dtype, std::vector<int32_t> shape,
                  const void* data = nullptr, size_t bytes = 0) {
  Tensor t;
  t.name = name;
  t.dtype = dtype;
  t.shape = std::move(shape);
  if (data) {
    const uint8_t* p = static_cast<const uint8_t*>(data);
    t.data_bytes = bytes;
    t.data = g->Own(std::vector<uint8_t>(p, p + bytes));
  }
  g->tensors.push_back(t);
  return static_cast<int32_t>(g->tensors.size() - 1);
}

void AddNode(Graph* g, OpType op, std::vector<int32_t> in, int32_t out, OpAttrs attrs = {}) {
  Node n;
  n.op = op;
  n.name = g->tensors[out].name;
  n.inputs = std::move(in);
  n.outputs = {out};
  n.attrs = attrs;
  g->nodes.push_back(n);
}

// x [1,4,4,2] -> CONV 1x1 (2 -> 3, bias, ReLU) -> MEAN over H, W -> FC (3 -> 2).
struct TinyNet {
  std::vector<float> conv_w = {0.5f, -0.25f, 1.0f, 0.75f, -0.5f, 0.125f};  // [3,1,1,2]
  std::vector<float> conv_b = {0.1f, -0.2f, 0.05f};
  std::vector<float> fc_w = {1.0f, -2.0f, 0.5f, -0.75f, 0.25f, 1.5f};  // [2,3]
  std::vector<float> fc_b = {0.3f, -0.1f};
  int32_t in = 0, conv = 0, mean = 0, out = 0;

  std::unique_ptr<Graph> Build() {
    auto g = std::make_unique<Graph>();
    in = AddTensor(g.get(), "x", DType::kFloat32, {1, 4, 4, 2});
    const int32_t w = AddTensor(g.get(), "conv/w", DType::kFloat32, {3, 1, 1, 2}, conv_w.data(), 24);
    const int32_t b = AddTensor(g.get(), "conv/b", DType::kFloat32, {3}, conv_b.data(), 12);
    conv = AddTensor(g.get(), "conv", DType::kFloat32, {1, 4, 4, 3});
    OpAttrs a;
    a.activation = Activation::kRelu;
    AddNode(g.get(), OpType::kConv2D, {in, w, b}, conv, a);
    const int32_t axes_data[] = {1, 2};
    const int32_t axes = AddTensor(g.get(), "axes", DType::kInt32, {2}, axes_data, 8);
    mean = AddTensor(g.get(), "mean", DType::kFloat32, {1, 1, 1, 3});
    OpAttrs m;
    m.keep_dims = true;
    AddNode(g.get(), OpType::kMean, {conv, axes}, mean, m);
    const int32_t fw = AddTensor(g.get(), "fc/w", DType::kFloat32, {2, 3}, fc_w.data(), 24);
    const int32_t fb = AddTensor(g.get(), "fc/b", DType::kFloat32, {2}, fc_b.data(), 8);
    out = AddTensor(g.get(), "logits", DType::kFloat32, {1, 2});
    AddNode(g.get(), OpType::kFullyConnected, {mean, fw, fb}, out);
    g->inputs = {in};
    g->outputs = {out};
    return g;
  }

  // The network in double precision; fills every tensor's values.
  void Eval(const std::vector<float>& x, std::vector<double>* conv_out, std::vector<double>* mean_out,
            std::vector<double>* logits) const {
    conv_out->assign(16 * 3, 0.0);
    mean_out->assign(3, 0.0);
    logits->assign(2, 0.0);
    for (int p = 0; p < 16; ++p) {
      for (int o = 0; o < 3; ++o) {
        double acc = conv_b[o];
        for (int i = 0; i < 2; ++i) acc += static_cast<double>(conv_w[o * 2 + i]) * x[p * 2 + i];
        (*conv_out)[p * 3 + o] = std::max(acc, 0.0);
        (*mean_out)[o] += std::max(acc, 0.0) / 16.0;
      }
    }
    for (int o = 0; o < 2; ++o) {
      double acc = fc_b[o];
      for (int i = 0; i < 3; ++i) acc += static_cast<double>(fc_w[o * 3 + i]) * (*mean_out)[i];
      (*logits)[o] = acc;
    }
  }
};

void Widen(TensorRange* r, const std::vector<double>& v) {
  for (double x : v) {
    const float f = static_cast<float>(x);
    r->Update(&f, 1);
  }
}

}  // namespace

TEST_CASE("activation grid: the 8-bit [-1, 1] example, widened ranges, degenerate ranges") {
  TensorRange r;
  const float ends[] = {-1.0f, 1.0f};
  r.Update(ends, 2);
  QuantInfo q = ActivationQuant(r);
  // step 2/255; the real zero sits at -128 + 127.5, rounded away from zero
  // like TFLite's nudging: -1, i.e. 127 on the uint8 grid.
  CHECK(q.scale[0] == doctest::Approx(2.0 / 255.0).epsilon(1e-7));
  CHECK(q.zero_point[0] == -1);
  // 0.5 -> round(0.5 / step) + zp = 64 - 1 = 63 (uint8 191) -> 64 steps = 0.50196.
  const int32_t q05 = static_cast<int32_t>(std::nearbyint(0.5 / q.scale[0])) + q.zero_point[0];
  CHECK(q05 == 63);
  CHECK(q.scale[0] * (q05 - q.zero_point[0]) == doctest::Approx(0.50196).epsilon(1e-4));

  TensorRange pos;  // ReLU outputs: [0.5, 6] is widened to [0, 6], zero exact at -128
  const float p[] = {0.5f, 6.0f};
  pos.Update(p, 2);
  q = ActivationQuant(pos);
  CHECK(q.zero_point[0] == -128);
  CHECK(q.scale[0] == doctest::Approx(6.0 / 255.0).epsilon(1e-7));

  TensorRange zero;  // all zeros, or never seen: a valid tiny grid
  const float z = 0.0f;
  zero.Update(&z, 1);
  for (const TensorRange& t : {zero, TensorRange()}) {
    q = ActivationQuant(t);
    CHECK(q.scale[0] > 0.0f);
    CHECK(q.zero_point[0] >= -128);
    CHECK(q.zero_point[0] <= 127);
  }
  TensorRange nan_range;  // NaN never widens a range
  const float with_nan[] = {NAN, 2.0f, -3.0f};
  nan_range.Update(with_nan, 3);
  CHECK(nan_range.min == -3.0f);
  CHECK(nan_range.max == 2.0f);
}

TEST_CASE("PTQ of a small float network: weights, bias, grids, and int8 results") {
  TinyNet net;
  std::unique_ptr<Graph> fg = net.Build();
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<TensorRange> ranges(fg->tensors.size());
  std::vector<std::vector<float>> inputs;
  for (int s = 0; s < 20; ++s) {
    std::vector<float> x(32);
    for (float& v : x) v = d(rng);
    std::vector<double> c, m, l;
    net.Eval(x, &c, &m, &l);
    ranges[net.in].Update(x.data(), x.size());
    Widen(&ranges[net.conv], c);
    Widen(&ranges[net.mean], m);
    Widen(&ranges[net.out], l);
    inputs.push_back(std::move(x));
  }

  for (bool per_channel : {true, false}) {
    CAPTURE(per_channel);
    PtqOptions o;
    o.per_channel = per_channel;
    Result<PtqResult> r = QuantizeGraph(*fg, ranges, o);
    REQUIRE(r.ok());
    const Graph& g = *r.value().graph;
    REQUIRE(r.value().layers.size() == 3);
    for (const PtqLayer& l : r.value().layers) CHECK(l.precision == "int8");
    // Float weights and biases are gone; int8 weights and int32 biases took their place.
    for (const Tensor& t : g.tensors) CHECK(t.dtype != DType::kFloat32);
    const Tensor& w = g.tensors[g.nodes[0].inputs[1]];
    const Tensor& b = g.tensors[g.nodes[0].inputs[2]];
    REQUIRE(w.dtype == DType::kInt8);
    REQUIRE(b.dtype == DType::kInt32);
    const int8_t* wq = reinterpret_cast<const int8_t*>(w.data);
    if (per_channel) {
      // channel max |w|: 0.5, 1.0, 0.5 -> scales 0.5/127, 1/127, 0.5/127.
      REQUIRE(w.quant.scale.size() == 3);
      CHECK(w.quant.scale[1] == doctest::Approx(1.0 / 127));
      CHECK(wq[0] == 127);   // 0.5 / (0.5/127)
      CHECK(wq[1] == -64);   // -0.25 / (0.5/127) = -63.5 -> ties to even: -64
      CHECK(wq[2] == 127);
      CHECK(wq[3] == 95);    // 0.75 * 127 = 95.25
      CHECK(wq[4] == -127);
      CHECK(wq[5] == 32);    // 0.125 / (0.5/127) = 31.75
    } else {
      REQUIRE(w.quant.scale.size() == 1);
      CHECK(wq[0] == 64);    // 0.5 * 127 = 63.5 -> 64
      CHECK(wq[5] == 16);    // 0.125 * 127 = 15.875
    }
    for (int32_t z : w.quant.zero_point) CHECK(z == 0);
    // bias = round(b / (input scale x weight scale)).
    const float in_scale = g.tensors[g.inputs[0]].quant.scale[0];
    const int32_t* bq = reinterpret_cast<const int32_t*>(b.data);
    for (int o2 = 0; o2 < 3; ++o2) {
      const double s = static_cast<double>(in_scale) * w.quant.scale[per_channel ? o2 : 0];
      CHECK(bq[o2] == static_cast<int32_t>(std::nearbyint(net.conv_b[o2] / s)));
    }
    // The int8 graph: input int8 on the calibrated grid, output int8.
    Result<std::unique_ptr<Interpreter>> it = Interpreter::Create(CloneGraph(g));
    REQUIRE(it.ok());
    Interpreter& i = *it.value();
    const Tensor& qin = i.input_tensor(0);
    const Tensor& qout = i.output_tensor(0);
    REQUIRE(qin.dtype == DType::kInt8);
    REQUIRE(qout.dtype == DType::kInt8);
    double worst = 0;
    for (const std::vector<float>& x : inputs) {
      for (size_t k = 0; k < x.size(); ++k) {
        const double qv = std::nearbyint(x[k] / qin.quant.scale[0]) + qin.quant.zero_point[0];
        i.input_buffer(0)[k] = static_cast<uint8_t>(static_cast<int8_t>(std::clamp(qv, -128.0, 127.0)));
      }
      i.Invoke();
      std::vector<double> c, m, l;
      net.Eval(x, &c, &m, &l);
      for (int o2 = 0; o2 < 2; ++o2) {
        const double y = qout.quant.scale[0] *
                         (static_cast<int8_t>(i.output_buffer(0)[o2]) - qout.quant.zero_point[0]);
        worst = std::max(worst, std::fabs(y - l[o2]) / qout.quant.scale[0]);
      }
    }
    // Input, weight and activation rounding together: a few output steps.
    CHECK(worst <= (per_channel ? 3.0 : 4.0));
    MESSAGE("per_channel=" << per_channel << ": worst logit error " << worst << " output steps");
  }
}

TEST_CASE("PTQ keeps requested layers in float with QUANTIZE / DEQUANTIZE at the seams") {
  TinyNet net;
  std::unique_ptr<Graph> fg = net.Build();
  std::vector<TensorRange> ranges(fg->tensors.size());
  const float span[] = {-1.0f, 2.0f};
  for (TensorRange& r : ranges) r.Update(span, 2);
  PtqOptions o;
  o.keep_float = {"mean"};
  Result<PtqResult> r = QuantizeGraph(*fg, ranges, o);
  REQUIRE(r.ok());
  const Graph& g = *r.value().graph;
  CHECK(r.value().layers[1].precision == "float32");
  CHECK(r.value().layers[1].reason == "kept in float on request");
  std::vector<OpType> ops;
  for (const Node& n : g.nodes) ops.push_back(n.op);
  const std::vector<OpType> expected = {OpType::kConv2D, OpType::kDequantize, OpType::kMean,
                                        OpType::kQuantize, OpType::kFullyConnected};
  CHECK(ops == expected);
  CHECK(g.tensors[g.nodes[2].outputs[0]].dtype == DType::kFloat32);
  // tensor_map points each float tensor at the tensor holding its values.
  CHECK(g.tensors[r.value().tensor_map[net.mean]].dtype == DType::kFloat32);
  CHECK(g.tensors[r.value().tensor_map[net.conv]].dtype == DType::kInt8);
}

TEST_CASE("PTQ weight formats: int4 for all, a lut4 per-channel override by name; formats and bytes reported") {
  TinyNet net;
  std::unique_ptr<Graph> fg = net.Build();
  std::vector<TensorRange> ranges(fg->tensors.size());
  const float span[] = {-1.0f, 2.0f};
  for (TensorRange& r : ranges) r.Update(span, 2);
  PtqOptions o;
  o.weights.format = WeightFormat::kInt4;
  o.layer_weights["logits"] = {WeightFormat::kLut4, true};
  Result<PtqResult> r = QuantizeGraph(*fg, ranges, o);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  const Graph& g = *r.value().graph;
  const Tensor& conv_w = g.tensors[g.nodes[0].inputs[1]];
  const Tensor& fc_w = g.tensors[g.nodes[2].inputs[1]];
  CHECK(conv_w.dtype == DType::kInt4);
  CHECK(conv_w.data_bytes == 3);  // 6 values, two per byte
  // conv/w channel 2 = {-0.5, 0.125}: scale 0.495 / 7 rounded up to a
  // float16 (0.0707397; 0.5 / 7 leaves 0.125 further from its level),
  // values -7.07 -> -7 and 1.767 -> 2: nibbles 0x9 (low) and 0x2 (high).
  CHECK(conv_w.quant.scale[2] == doctest::Approx(0.0707397).epsilon(1e-6));
  CHECK(conv_w.data[2] == 0x29);
  CHECK(fc_w.dtype == DType::kLut4);
  CHECK(fc_w.codebook_groups() == 2);  // per output channel
  const std::vector<PtqLayer>& l = r.value().layers;
  CHECK(l[0].weight_format == "int4");
  CHECK(l[1].weight_format.empty());  // MEAN has no weights
  CHECK(l[2].weight_format == "lut4/channel");
  CHECK(l[0].weight_bytes == 3 + 12);           // int4 filter + int32 bias
  CHECK(l[2].weight_bytes == 3 + 2 * 16 + 8);   // 6 nibbles + two codebooks + bias
  // 3 weights per channel, 16 entries: the codebook holds their int8
  // values exactly. fc/w row 0 = {1, -2, 0.5}: scale 2/127 rounded up to the
  // float16 0.0157623, values 63.44 -> 63, -126.9 -> -127, 31.7 -> 32.
  CHECK(fc_w.quant.scale[0] == 0.015762329f);
  CHECK(std::vector<int8_t>(fc_w.codebook.begin(), fc_w.codebook.begin() + 3) == std::vector<int8_t>{-127, 32, 63});
  // The graph runs (int8 input and output) and stays near the float network.
  Result<std::unique_ptr<Interpreter>> it = Interpreter::Create(std::move(r.value().graph));
  REQUIRE_MESSAGE(it.ok(), it.status().message());
  Interpreter& in = *it.value();
  REQUIRE(in.input_bytes(0) == 32);
  std::vector<float> x(32);
  const QuantInfo qi = ActivationQuant(ranges[net.in]);
  for (size_t i = 0; i < x.size(); ++i) {
    const long q = std::lround((static_cast<float>(i % 7) / 7.0f - 0.3f) / qi.scale[0]) + qi.zero_point[0];
    in.input_buffer(0)[i] = static_cast<uint8_t>(static_cast<int8_t>(q));
    x[i] = (q - qi.zero_point[0]) * qi.scale[0];
  }
  in.Invoke();
  std::vector<double> conv, mean, logits;
  net.Eval(x, &conv, &mean, &logits);
  const Tensor& out = in.output_tensor(0);
  REQUIRE(out.dtype == DType::kInt8);
  for (int k = 0; k < 2; ++k) {
    const double got = (static_cast<int8_t>(in.output_buffer(0)[k]) - out.quant.zero_point[0]) * out.quant.scale[0];
    CAPTURE(k);
    CHECK(std::fabs(got - logits[k]) < 0.1);
  }
}

TEST_CASE("PTQ float weight storage: a float16 layer by name, float16 for layers kept in float") {
  TinyNet net;
  std::unique_ptr<Graph> fg = net.Build();
  std::vector<TensorRange> ranges(fg->tensors.size());
  const float span[] = {-1.0f, 2.0f};
  for (TensorRange& r : ranges) r.Update(span, 2);
  PtqOptions o;
  o.layer_weights["conv"] = {WeightFormat::kFloat16, false};  // float layer, half weights
  Result<PtqResult> r = QuantizeGraph(*fg, ranges, o);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  const std::vector<PtqLayer>& l = r.value().layers;
  CHECK(l[0].precision == "float32");
  CHECK(l[0].weight_format == "float16");
  CHECK(l[0].reason == "kept in float on request (float16 weights)");
  CHECK(l[0].weight_bytes == 6 * 2 + 3 * 4);  // half filter, float32 bias
  CHECK(l[2].precision == "int8");
  CHECK(l[2].weight_format == "int8");
  const Graph& g = *r.value().graph;
  const Tensor& w = g.tensors[g.nodes[0].inputs[1]];
  REQUIRE(w.dtype == DType::kFloat16);
  // 0.5, -0.25, 1, 0.75, -0.5, 0.125 are all exact halves: 0x3800, 0xB400, ...
  uint16_t h[6];
  std::memcpy(h, w.data, 12);
  CHECK(std::vector<uint16_t>(h, h + 6) == std::vector<uint16_t>{0x3800, 0xB400, 0x3C00, 0x3A00, 0xB800, 0x3000});
  CHECK(g.tensors[g.nodes[0].inputs[2]].dtype == DType::kFloat32);

  // float_weights: layers kept in float for another reason store half weights.
  PtqOptions k;
  k.keep_float = {"logits"};
  k.float_weights = WeightFormat::kFloat16;
  Result<PtqResult> rk = QuantizeGraph(*fg, ranges, k);
  REQUIRE(rk.ok());
  CHECK(rk.value().layers[0].weight_format == "int8");
  CHECK(rk.value().layers[2].weight_format == "float16");
  const Graph& gk = *rk.value().graph;
  const Node& fc = gk.nodes.back();
  REQUIRE(fc.op == OpType::kFullyConnected);
  CHECK(gk.tensors[fc.inputs[1]].dtype == DType::kFloat16);

  // The float16 conv runs and matches the double-precision network: its
  // weights are exact halves, so only the int8 layers after it add error.
  Result<std::unique_ptr<Interpreter>> it = Interpreter::Create(std::move(r.value().graph));
  REQUIRE_MESSAGE(it.ok(), it.status().message());
  Interpreter& in = *it.value();
  REQUIRE(in.input_tensor(0).dtype == DType::kFloat32);
  std::vector<float> x(32);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7) / 7.0f - 0.3f;
  std::memcpy(in.input_buffer(0), x.data(), 128);
  in.Invoke();
  std::vector<double> conv, mean, logits;
  net.Eval(x, &conv, &mean, &logits);
  const Tensor& out = in.output_tensor(0);
  for (int k2 = 0; k2 < 2; ++k2) {
    const double got = (static_cast<int8_t>(in.output_buffer(0)[k2]) - out.quant.zero_point[0]) * out.quant.scale[0];
    CHECK(std::fabs(got - logits[k2]) < 0.05);
  }
}

TEST_CASE("weight format names round-trip; unknown names list the known ones") {
  for (const char* n : {"int8", "int4", "lut4/channel", "lut4/layer", "lut8/channel", "lut8/layer", "float16", "float32"}) {
    Result<WeightEncoding> e = ParseWeightEncoding(n);
    REQUIRE(e.ok());
    CHECK(WeightEncodingName(e.value()) == n);
  }
  CHECK(WeightEncodingName(ParseWeightEncoding("lut4").value()) == "lut4/channel");
  Result<WeightEncoding> bad = ParseWeightEncoding("int3");
  REQUIRE(!bad.ok());
  CHECK(bad.status().message() ==
        "unknown weight format 'int3' (known: int8, int4, lut4, lut4/channel, lut4/layer, lut8, lut8/channel, "
        "lut8/layer, float16, float32)");
}
