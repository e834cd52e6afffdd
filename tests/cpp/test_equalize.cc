// Cross-layer equalization (ptq/equalize.h), the per-channel CLAMP it
// introduces (graph/ops/channel_clamp.cc) and bias correction
// (PtqOptions::bias_correction): hand-checked pairs, float outputs unchanged,
// SIMD against reference, and what they do for per-tensor int8 MobileNetV2.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "api/model.h"
#include "ptq/quantizer.h"
#include "graph_builder.h"
#include "image/preprocess.h"
#include "kernels/config.h"
#include "kernels/kernels.h"
#include "ptq/equalize.h"
#include "ptq/ptq.h"
#include "test_util.h"

using namespace qwasm;
using namespace qwasm::testing;

namespace {

std::vector<float> FloatsOf(const Graph& g, int32_t t) {
  const float* p = reinterpret_cast<const float*>(g.tensors[t].data);
  return std::vector<float>(p, p + g.tensors[t].num_elements());
}

std::vector<float> RunFloat(std::unique_ptr<Graph> g, const std::vector<float>& x) {
  InterpreterOptions o;
  auto it = Interpreter::Create(std::move(g), o);
  REQUIRE_MESSAGE(it.ok(), it.status().message());
  return RunOnce<float>(*it.value(), {x});
}

// x [1,1,1,1] -> conv 1x1 (1 -> 2, ReLU6) -> conv 1x1 (2 -> 1).
std::unique_ptr<Graph> HandPair() {
  GraphBuilder b;
  const int32_t x = b.F32("x", {1, 1, 1, 1});
  const int32_t w1 = b.F32Const("w1", {2, 1, 1, 1}, {4.0f, 1.0f});
  const int32_t b1 = b.F32Const("b1", {2}, {2.0f, 0.5f});
  const int32_t h = b.F32("h", {1, 1, 1, 2});
  const int32_t w2 = b.F32Const("w2", {1, 1, 1, 2}, {1.0f, 4.0f});
  const int32_t y = b.F32("y", {1, 1, 1, 1});
  OpAttrs relu6;
  relu6.activation = Activation::kRelu6;
  b.Node(OpType::kConv2D, {x, w1, b1}, {h}, relu6);
  b.Node(OpType::kConv2D, {h, w2, -1}, {y});
  b.g->inputs = {x};
  b.g->outputs = {y};
  return std::move(b.g);
}

// x [1,6,6,C] -> conv 1x1 (C -> K, ReLU6) -> depthwise 3x3 (K, ReLU6, SAME)
// -> conv 1x1 (K -> 3): MobileNetV2's block, the depthwise's channel ranges
// spread over three decades (as batch-norm folding leaves them); channel 2
// of the depthwise is ignored by the projection.
std::unique_ptr<Graph> Block(std::mt19937& rng, int c = 3, int k = 8) {
  GraphBuilder b;
  auto spread = [&](std::vector<float> v, int channels) {
    for (size_t i = 0; i < v.size(); ++i) {
      const size_t ch = i % channels;
      v[i] *= std::pow(10.0f, 1.5f * static_cast<float>(ch % 3) - 1.5f);
    }
    return v;
  };
  const int32_t x = b.F32("x", {1, 6, 6, c});
  const int32_t ew = b.F32Const("expand/w", {k, 1, 1, c}, RandomFloats(rng, k * c));
  const int32_t eb = b.F32Const("expand/b", {k}, RandomFloats(rng, k, -0.5f, 1.0f));
  const int32_t e = b.F32("expand", {1, 6, 6, k});
  std::vector<float> dw = spread(RandomFloats(rng, 9 * k), k);
  const int32_t dww = b.F32Const("dw/w", {1, 3, 3, k}, dw);
  const int32_t dwb = b.F32Const("dw/b", {k}, RandomFloats(rng, k, -0.5f, 1.0f));
  const int32_t d = b.F32("dw", {1, 6, 6, k});
  std::vector<float> pw = RandomFloats(rng, 3 * k);
  for (int o = 0; o < 3; ++o) pw[o * k + 2] = 0.0f;
  const int32_t pww = b.F32Const("project/w", {3, 1, 1, k}, pw);
  const int32_t pwb = b.F32Const("project/b", {3}, RandomFloats(rng, 3));
  const int32_t y = b.F32("y", {1, 6, 6, 3});
  OpAttrs relu6;
  relu6.activation = Activation::kRelu6;
  OpAttrs dwa = relu6;
  dwa.padding = Padding::kSame;
  b.Node(OpType::kConv2D, {x, ew, eb}, {e}, relu6);
  b.Node(OpType::kDepthwiseConv2D, {e, dww, dwb}, {d}, dwa);
  b.Node(OpType::kConv2D, {d, pww, pwb}, {y});
  b.g->inputs = {x};
  b.g->outputs = {y};
  return std::move(b.g);
}

float MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  float m = 0.0f;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

}  // namespace

TEST_CASE("equalization: a hand-checked pair, and ReLU6 rescaled per channel") {
  std::unique_ptr<Graph> g = HandPair();
  EqualizeReport r;
  auto eg = EqualizeGraph(*g, &r);
  REQUIRE_MESSAGE(eg.ok(), eg.status().message());
  // r1 = (4, 1), r2 = (1, 4): s = sqrt(r1 / r2) = (2, 0.5); both layers get
  // ranges sqrt(r1 r2) = (2, 2); the bias divides by s, ReLU6's bound too.
  const Graph& e = *eg.value();
  CHECK(FloatsOf(e, 1) == std::vector<float>{2.0f, 2.0f});
  CHECK(FloatsOf(e, 2) == std::vector<float>{1.0f, 1.0f});
  CHECK(FloatsOf(e, 4) == std::vector<float>{2.0f, 2.0f});
  CHECK(r.pairs == 1);
  CHECK(r.channel_clamps == 1);
  CHECK(r.sweeps == 2);  // the second finds nothing to move
  REQUIRE(e.nodes.size() == 3);
  CHECK(e.nodes[0].attrs.activation == Activation::kRelu);
  CHECK(e.nodes[1].op == OpType::kClamp);
  CHECK(FloatsOf(e, e.nodes[1].inputs[1]) == std::vector<float>{3.0f, 12.0f});
  CHECK(e.nodes[1].outputs[0] == g->nodes[0].outputs[0]);  // writes the old tensor
  // x = 2: ReLU6 saturates channel 0 (10 -> 6); the output is 6 + 4 * 2.5 = 16
  // both ways. Had the bound stayed 6, the equalized graph would give 20.
  CHECK(RunFloat(CloneGraph(*g), {2.0f}) == std::vector<float>{16.0f});
  CHECK(RunFloat(std::move(eg.value()), {2.0f}) == std::vector<float>{16.0f});
}

TEST_CASE("equalization: an expand / depthwise / project block keeps its float outputs, ranges flatten") {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 4; ++trial) {
    CAPTURE(trial);
    std::unique_ptr<Graph> g = Block(rng, 3 + trial, 8 + 4 * trial);
    EqualizeReport r;
    auto eg = EqualizeGraph(*g, &r);
    REQUIRE_MESSAGE(eg.ok(), eg.status().message());
    CHECK(r.pairs == 2);
    CHECK(r.channel_clamps == 2);
    CHECK(r.sweeps > 2);  // a chain needs several sweeps to settle
    CHECK(r.spread_after < r.spread_before);
    const Graph& e = *eg.value();
    // Channel 2 feeds nothing: the depthwise computes 0 there.
    const int k = g->tensors[g->nodes[1].inputs[1]].shape[3];
    const std::vector<float> dw = FloatsOf(e, e.nodes[2].inputs[1]);
    for (int i = 2; i < 9 * k; i += k) CHECK(dw[i] == 0.0f);
    // Balanced pairs: channel ranges of the expand's outputs equal the
    // depthwise's (up to the tolerance the sweeps stop at).
    const std::vector<float> ew = FloatsOf(e, e.nodes[0].inputs[1]);
    const int c = static_cast<int>(ew.size()) / k;
    for (int ch = 0; ch < k; ++ch) {
      if (ch == 2) continue;
      float r1 = 0.0f, r2 = 0.0f;
      for (int i = 0; i < c; ++i) r1 = std::max(r1, std::fabs(ew[ch * c + i]));
      for (int i = ch; i < 9 * k; i += k) r2 = std::max(r2, std::fabs(dw[i]));
      CHECK(r1 == doctest::Approx(r2).epsilon(1e-3));
    }
    for (int s = 0; s < 3; ++s) {
      const std::vector<float> x = RandomFloats(rng, 36 * (3 + trial), -3.0f, 3.0f);
      const std::vector<float> want = RunFloat(CloneGraph(*g), x);
      const std::vector<float> got = RunFloat(CloneGraph(e), x);
      float scale = 0.0f;
      for (float v : want) scale = std::max(scale, std::fabs(v));
      CHECK(MaxAbsDiff(want, got) <= 1e-5f * std::max(1.0f, scale));
    }
  }
}

TEST_CASE("equalization leaves alone what it cannot rescale exactly") {
  std::mt19937 rng(3);
  auto unchanged = [](const Graph& g) {
    EqualizeReport r;
    auto eg = EqualizeGraph(g, &r);
    REQUIRE_MESSAGE(eg.ok(), eg.status().message());
    CHECK(r.pairs == 0);
    REQUIRE(eg.value()->nodes.size() == g.nodes.size());
    for (size_t t = 0; t < g.tensors.size(); ++t) {
      if (g.tensors[t].is_constant() && g.tensors[t].dtype == DType::kFloat32) {
        CHECK(FloatsOf(*eg.value(), static_cast<int32_t>(t)) == FloatsOf(g, static_cast<int32_t>(t)));
      }
    }
  };
  {  // ReLU_N1_TO_1 is not scale-equivariant (its lower bound moves too)
    std::unique_ptr<Graph> g = Block(rng);
    g->nodes[0].attrs.activation = Activation::kReluN1To1;
    g->nodes[1].attrs.activation = Activation::kReluN1To1;
    unchanged(*g);
  }
  {  // the expand's output also leaves the graph: its values are visible
    std::unique_ptr<Graph> g = Block(rng);
    g->outputs.push_back(g->nodes[0].outputs[0]);
    g->outputs.push_back(g->nodes[1].outputs[0]);
    unchanged(*g);
  }
  {  // one weight tensor shared by two layers
    std::unique_ptr<Graph> g = HandPair();
    GraphBuilder b;
    b.g = std::move(g);
    const int32_t z = b.F32("z", {1, 1, 1, 2});
    b.Node(OpType::kConv2D, {0, 1, 2}, {z});
    b.g->outputs.push_back(z);
    unchanged(*b.g);
  }
}

TEST_CASE("per-channel clamp kernels: SIMD equals the reference; the op checks its bound") {
  std::mt19937 rng(5);
  for (size_t channels : {1, 3, 4, 15, 16, 17, 33, 96}) {
    for (size_t rows : {1, 2, 7}) {
      CAPTURE(channels);
      CAPTURE(rows);
      std::vector<float> x = RandomFloats(rng, rows * channels, -8.0f, 8.0f), hi = RandomFloats(rng, channels, 0.0f, 6.0f);
      x[0] = std::nanf("");
      std::vector<float> a(x.size()), b(x.size());
      f32_channel_clamp__ref(rows, channels, -1.0f, hi.data(), x.data(), a.data());
      for (const KernelConfig* k : AllKernelConfigs()) {
        k->f32_channel_clamp(rows, channels, -1.0f, hi.data(), x.data(), b.data());
        CHECK(std::memcmp(a.data(), b.data(), a.size() * 4) == 0);
      }
      for (size_t i = 1; i < x.size(); ++i) CHECK(a[i] == std::min(std::max(x[i], -1.0f), hi[i % channels]));
      std::vector<int8_t> q(rows * channels), qhi(channels), qa(q.size()), qb(q.size());
      for (int8_t& v : q) v = static_cast<int8_t>(rng());
      for (int8_t& v : qhi) v = static_cast<int8_t>(rng() % 200);
      qs8_channel_clamp__ref(rows, channels, -100, qhi.data(), q.data(), qa.data());
      for (const KernelConfig* k : AllKernelConfigs()) {
        k->qs8_channel_clamp(rows, channels, -100, qhi.data(), q.data(), qb.data());
        CHECK(qa == qb);
      }
      for (size_t i = 0; i < q.size(); ++i) CHECK(qa[i] == std::min<int>(std::max<int>(q[i], -100), qhi[i % channels]));
    }
  }
  // int8: bounds round to the grid (scale 0.05, zero point -128: 3.0 -> -68,
  // 0.52 -> -118 (10.4 rounds to 10), 100 -> 127 saturated).
  GraphBuilder b;
  const int32_t x = b.Q8("x", {1, 2, 3}, 0.05f, -128);
  const int32_t hi = b.F32Const("hi", {3}, {3.0f, 0.52f, 100.0f});
  const int32_t y = b.Q8("y", {1, 2, 3}, 0.05f, -128);
  OpAttrs a;
  a.clamp_min = 0.0f;
  b.Node(OpType::kClamp, {x, hi}, {y}, a);
  b.g->inputs = {x};
  b.g->outputs = {y};
  auto it = b.Build();
  REQUIRE_MESSAGE(it.ok(), it.status().message());
  CHECK(RunOnce<int8_t>(*it.value(), {{-128, -50, 127, 20, -118, -117}}) ==
        std::vector<int8_t>{-128, -118, 127, -68, -118, -117});
  // Hostile or mismatched: a bound of the wrong length, an empty range, two grids.
  auto error_of = [](std::vector<int32_t> bound_shape, std::vector<float> bound, float out_scale) {
    GraphBuilder g;
    const int32_t in = g.Q8("x", {1, 2, 3}, 0.05f, -128);
    const int32_t h = g.F32Const("hi", bound_shape, bound);
    const int32_t out = g.Q8("y", {1, 2, 3}, out_scale, -128);
    OpAttrs at;
    at.clamp_min = 0.0f;
    g.Node(OpType::kClamp, {in, h}, {out}, at);
    g.g->inputs = {in};
    g.g->outputs = {out};
    auto r = g.Build();
    return r.ok() ? std::string() : r.status().message();
  };
  CHECK(error_of({2}, {1.0f, 2.0f}, 0.05f).find("channel bound [2] must be [3]") != std::string::npos);
  CHECK(error_of({3}, {1.0f, -2.0f, 3.0f}, 0.05f).find("is empty") != std::string::npos);
  CHECK(error_of({3}, {1.0f, 2.0f, 3.0f}, 0.1f).find("one grid on input and output") != std::string::npos);
}

TEST_CASE("bias correction: the hand-checked shift of a rounded weight") {
  // x [1,1,1,2] -> conv 1x1 (2 -> 1), weights (1.0, 0.3), bias 0.
  // Per-tensor int8: scale 1/127, 0.3 -> round(38.1) = 38 = 0.2992126; the
  // error -0.000787 times the input mean 2 of channel 1 shifts the output by
  // -0.0015748, so the corrected bias is +0.0015748.
  GraphBuilder b;
  const int32_t x = b.F32("x", {1, 1, 1, 2});
  const int32_t w = b.F32Const("w", {1, 1, 1, 2}, {1.0f, 0.3f});
  const int32_t bias = b.F32Const("b", {1}, {0.0f});
  const int32_t y = b.F32("y", {1, 1, 1, 1});
  b.Node(OpType::kConv2D, {x, w, bias}, {y});
  b.g->inputs = {x};
  b.g->outputs = {y};
  std::vector<TensorRange> ranges(b.g->tensors.size());
  ranges[x] = {0.0f, 4.0f};
  ranges[x].channel_mean = {0.0f, 2.0f};
  ranges[y] = {0.0f, 5.0f};
  PtqOptions o;
  o.per_channel = false;
  auto bias_of = [&](const PtqOptions& opts, const Graph& g) {
    auto r = QuantizeGraph(g, ranges, opts);
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    const Graph& q = *r.value().graph;
    REQUIRE(r.value().layers[0].precision == "int8");
    for (const Node& n : q.nodes) {
      if (n.op != OpType::kConv2D) continue;
      REQUIRE(n.inputs.size() == 3);
      REQUIRE(n.inputs[2] >= 0);
      const Tensor& t = q.tensors[n.inputs[2]];
      int32_t v;
      std::memcpy(&v, t.data, 4);
      return std::make_pair(v, t.quant.scale[0]);
    }
    FAIL("no conv");
    return std::make_pair(0, 0.0f);
  };
  CHECK(bias_of(o, *b.g).first == 0);
  o.bias_correction = true;
  const auto [v, s] = bias_of(o, *b.g);
  const double want = (0.3 - 38.0 / 127.0) * 2.0;
  CHECK(want == doctest::Approx(0.0015748).epsilon(1e-3));
  CHECK(v == static_cast<int32_t>(std::nearbyint(want / s)));
  CHECK(v > 0);
  // A layer without a bias gets one when there is something to correct.
  b.g->nodes[0].inputs[2] = -1;
  CHECK(bias_of(o, *b.g).first == v);
  // Without channel means nothing changes.
  b.g->nodes[0].inputs[2] = bias;
  ranges[x].channel_mean.clear();
  CHECK(bias_of(o, *b.g).first == 0);
}

// The real case the two exist for: MobileNetV2's depthwise layers, whose
// channel ranges span decades, make per-tensor int8 collapse. Calibrated
// and judged on the shared photos (the full 400-photo figure is in
// docs/quantization.md, by tools/quant-table.mjs).
TEST_CASE("equalization + bias correction rescue per-tensor int8 MobileNetV2 (real photos)") {
  const std::vector<uint8_t> bytes = ReadFile(SharedPath("models/onnx/tf2_mobilenet_v2_1.0_224_ptq.fp32.onnx"));
  REQUIRE(!bytes.empty());
  const char* const kPhotos[] = {"bird.bmp", "cat.bmp", "grace_hopper.bmp", "sunflower.bmp", "dragonfly.bmp"};
  std::vector<Image> photos;
  for (const char* p : kPhotos) {
    Image img;
    REQUIRE(DecodeBmp(ReadFile(SharedPath(std::string("images/") + p)), &img));
    photos.push_back(std::move(img));
  }
  auto quantize = [&](bool equalize, bool correct, QuantizeReport* report) {
    auto g = ReadAnyModel(std::make_shared<std::vector<uint8_t>>(bytes));
    REQUIRE(g.ok());
    if (equalize) {  // the float model itself is unchanged by equalization
      auto eg = EqualizeGraph(*g.value());
      REQUIRE(eg.ok());
      InterpreterOptions io;
      auto a = Interpreter::Create(CloneGraph(*g.value()), io);
      auto b = Interpreter::Create(std::move(eg.value()), io);
      REQUIRE(a.ok());
      REQUIRE(b.ok());
      std::mt19937 rng(1);
      std::vector<uint8_t> px(224 * 224 * 3);
      for (uint8_t& v : px) v = static_cast<uint8_t>(rng());
      const std::vector<float> x = RunOnce<uint8_t, float>(*a.value(), {px});
      const std::vector<float> y = RunOnce<uint8_t, float>(*b.value(), {px});
      CHECK(MaxAbsDiff(x, y) < 1e-5f);
    }
    CalibrationOptions co;
    co.equalize = equalize;
    auto q = Quantizer::Create(g.take(), 1, co);
    REQUIRE_MESSAGE(q.ok(), q.status().message());
    for (const Image& img : photos) {
      ImageView v{img.rgb.data(), img.width, img.height, 3, static_cast<size_t>(img.width) * 3};
      REQUIRE(q.value()->AddImage(v, 0.875f, q.value()->model().default_norm()).ok());
    }
    PtqOptions o;
    o.per_channel = false;
    o.bias_correction = correct;
    auto r = q.value()->Finish(o, report);
    REQUIRE_MESSAGE(r.ok(), r.status().message());
  };
  QuantizeReport plain, both;
  quantize(false, false, &plain);
  quantize(true, true, &both);
  MESSAGE("per-tensor int8 output SQNR: " << plain.output_sqnr_db << " dB plain, " << both.output_sqnr_db
                                          << " dB with equalization + bias correction; " << both.equalization.pairs
                                          << " pairs, " << both.equalization.channel_clamps << " per-channel clamps");
  CHECK(plain.output_sqnr_db < 5.0);  // collapsed
  CHECK(both.output_sqnr_db > plain.output_sqnr_db + 10.0);
  CHECK(both.equalized);
  CHECK(both.bias_corrected);
  CHECK(both.equalization.pairs == 36);
  CHECK(both.equalization.channel_clamps == 34);
}
