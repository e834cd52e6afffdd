// Activation ranges chosen by the model's output error (ptq/output_ranges.h,
// calibration "output").
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "graph_builder.h"
#include "ptq/output_ranges.h"
#include "ptq/quantizer.h"
#include "test_random.h"

namespace qwasm {
namespace {

constexpr int kIn = 32, kHidden = 16, kOut = 4;

// x [1,8,4,1] -> RESHAPE [1,32] -> FC (linear) -> h [1,16] -> CLAMP(lo, hi) -> r -> FC -> y [1,4]:
// h's values outside [lo, hi] do not reach y.
struct ClampNet {
  std::vector<float> w1, b1, w2, b2;
  float lo = 0.0f, hi = 6.0f;
  std::unique_ptr<Graph> MakeGraph() const {
    testing::GraphBuilder b;
    const int32_t x = b.F32("x", {1, 8, kIn / 8, 1});  // an image, as the quantizer wants
    const int32_t flat = b.F32("flat", {1, kIn});
    b.Node(OpType::kReshape, {x}, {flat});
    const int32_t h = b.F32("h", {1, kHidden});
    b.Node(OpType::kFullyConnected, {flat, b.F32Const("w1", {kHidden, kIn}, w1), b.F32Const("b1", {kHidden}, b1)}, {h});
    const int32_t r = b.F32("r", {1, kHidden});
    OpAttrs clamp;
    clamp.clamp_min = lo, clamp.clamp_max = hi;
    b.Node(OpType::kClamp, {h}, {r}, clamp);
    const int32_t y = b.F32("y", {1, kOut});
    b.Node(OpType::kFullyConnected, {r, b.F32Const("w2", {kOut, kHidden}, w2), b.F32Const("b2", {kOut}, b2)}, {y});
    b.g->inputs = {x};
    b.g->outputs = {y};
    return std::move(b.g);
  }
  // y from h (double arithmetic: the test's own oracle).
  std::vector<double> FromH(const std::vector<double>& h) const {
    std::vector<double> y(kOut);
    for (int o = 0; o < kOut; ++o) {
      double s = b2[o];
      for (int i = 0; i < kHidden; ++i) s += double{w2[o * kHidden + i]} * std::clamp(h[i], double{lo}, double{hi});
      y[o] = s;
    }
    return y;
  }
  std::vector<double> H(const std::vector<float>& x) const {
    std::vector<double> h(kHidden);
    for (int o = 0; o < kHidden; ++o) {
      double s = b1[o];
      for (int i = 0; i < kIn; ++i) s += double{w1[o * kIn + i]} * x[i];
      h[o] = s;
    }
    return h;
  }
};

ClampNet MakeClampNet(uint32_t seed) {
  testing::Rng rng(seed);
  ClampNet n;
  for (int i = 0; i < kHidden * kIn; ++i) n.w1.push_back(rng.Real(-0.5f, 0.5f));
  for (int i = 0; i < kHidden; ++i) n.b1.push_back(rng.Real(-0.5f, 0.5f));
  for (int i = 0; i < kOut * kHidden; ++i) n.w2.push_back(rng.Real(-1.0f, 1.0f));
  for (int i = 0; i < kOut; ++i) n.b2.push_back(rng.Real(-0.5f, 0.5f));
  return n;
}

std::vector<std::vector<float>> Samples(uint32_t seed, size_t count) {
  testing::Rng rng(seed);
  std::vector<std::vector<float>> s(count, std::vector<float>(kIn));
  for (auto& v : s) {
    for (float& x : v) x = rng.Real(-2.0f, 2.0f);
  }
  return s;
}

// v onto r's int8 grid and back, as the test sees the rule (ptq.h): scale
// (hi - lo) / 255 over the range widened to 0, zero point -128 - lo / scale
// rounded, values rounded half to even and clamped.
double OnGrid(double v, const TensorRange& r) {
  const QuantInfo q = ActivationQuant(r);
  const double s = q.scale[0];
  const double level = std::clamp(double{std::nearbyint(static_cast<float>(v * (1.0 / s)))} + q.zero_point[0], -128.0, 127.0);
  return (level - q.zero_point[0]) * s;
}

int32_t TensorNamed(const Graph& g, const std::string& name) {
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    if (g.tensors[t].name == name) return static_cast<int32_t>(t);
  }
  return -1;
}

}  // namespace

TEST_CASE("output ranges: each tensor judged alone on the graph's tail; the errors are the oracle's") {
  const ClampNet net = MakeClampNet(11);
  const std::vector<std::vector<float>> samples = Samples(12, 6);
  InterpreterOptions o;
  o.share_memory = false;
  o.fuse = false;
  Result<std::unique_ptr<Interpreter>> it = Interpreter::Create(net.MakeGraph(), o);
  REQUIRE_MESSAGE(it.ok(), it.status().message());
  Interpreter& fi = *it.value();
  const int32_t h = TensorNamed(fi.graph(), "h"), r = TensorNamed(fi.graph(), "r"), y = TensorNamed(fi.graph(), "y");
  // h's candidates: its whole range, the part the clamp passes, and one that
  // cuts into that part; r's: [0, 6] and a tight one.
  std::vector<std::vector<TensorRange>> candidates(fi.graph().tensors.size());
  candidates[h] = {{-8.0f, 8.0f}, {0.0f, 6.0f}, {0.0f, 1.0f}};
  candidates[r] = {{0.0f, 6.0f}, {0.0f, 0.5f}};
  auto run = [&](size_t s) {
    std::memcpy(fi.input_buffer(0), samples[s].data(), fi.input_bytes(0));
    fi.Invoke();
  };
  std::vector<size_t> progress;
  Result<OutputRangeChoice> c = ChooseRangesByOutputError(fi, run, samples.size(), candidates, y,
                                                          [&](size_t done, size_t) { progress.push_back(done); });
  REQUIRE_MESSAGE(c.ok(), c.status().message());
  CHECK(progress == std::vector<size_t>{1, 2, 3, 4, 5, 6});

  // The oracle: per tensor and candidate, that tensor alone on the grid.
  for (int32_t t : {h, r}) {
    CAPTURE(t);
    std::vector<double> error(candidates[t].size(), 0.0);
    for (size_t k = 0; k < candidates[t].size(); ++k) {
      for (const auto& x : samples) {
        std::vector<double> hv = net.H(x);
        const std::vector<double> want = net.FromH(hv);
        for (double& v : hv) {
          v = t == h ? OnGrid(v, candidates[t][k]) : OnGrid(std::clamp(v, double{net.lo}, double{net.hi}),
                                                             candidates[t][k]);
        }
        const std::vector<double> got = net.FromH(hv);
        for (int i = 0; i < kOut; ++i) error[k] += (got[i] - want[i]) * (got[i] - want[i]);
      }
    }
    const size_t best = static_cast<size_t>(std::min_element(error.begin(), error.end()) - error.begin());
    CHECK(c.value().chosen[t] == best);
    CHECK(c.value().first_error[t] == doctest::Approx(error[0]).epsilon(1e-3));
    CHECK(c.value().chosen_error[t] == doctest::Approx(error[best]).epsilon(1e-3));
  }
  // h: the values below 0 and above 6 never reach y, so [0, 6] (a grid 16/6
  // times finer) beats the whole range; [0, 1] clips what does.
  CHECK(c.value().chosen[h] == 1);
  CHECK(c.value().chosen_error[h] < c.value().first_error[h] / 4);
  CHECK(c.value().chosen[r] == 0);
  // Tensors without candidates are not judged.
  CHECK(c.value().chosen[y] == 0);
  CHECK(c.value().first_error[y] == 0.0);
  // The float values are back: a tail run from h's producer gives y as before.
  const std::vector<float> before(reinterpret_cast<const float*>(fi.tensor_data(y)),
                                  reinterpret_cast<const float*>(fi.tensor_data(y)) + kOut);
  fi.InvokeRange(2, fi.graph().nodes.size());
  CHECK(std::memcmp(before.data(), fi.tensor_data(y), sizeof(float) * kOut) == 0);

  // Bad calls are errors, not crashes.
  CHECK_FALSE(ChooseRangesByOutputError(fi, run, 1, {}, y).ok());
  CHECK_FALSE(ChooseRangesByOutputError(fi, run, 1, candidates, 1000).ok());
}

TEST_CASE("output ranges: the quantizer's \"output\" calibration clips what a later clamp removes") {
  // Hidden unit 0 alone sees input 0, with weight 20; input 0 is 0 but in
  // four samples of 64, where it is +-2: h takes +-40 there (two values in
  // 1024 per tail, fewer than percentile 99.5 cuts), the input stays in
  // [-2, 2];
  // CLAMP(-1, 1) removes them. mse keeps them (clipping them costs more than
  // a coarse grid), the output's error does not, and the int8 model's output
  // is closer to float.
  ClampNet net = MakeClampNet(21);
  net.lo = -1.0f, net.hi = 1.0f;
  for (int u = 0; u < kHidden; ++u) net.w1[u * kIn] = u == 0 ? 20.0f : 0.0f;
  std::vector<std::vector<float>> samples = Samples(22, 64);
  for (size_t s = 0; s < samples.size(); ++s) samples[s][0] = s % 16 != 0 ? 0.0f : s % 32 == 0 ? 2.0f : -2.0f;
  std::vector<QuantizeReport> reports;
  std::vector<std::vector<TensorRange>> ranges;
  for (const char* method : {"mse", "output"}) {
    CAPTURE(method);
    CalibrationOptions cal;
    cal.method = ParseCalibrationMethod(method).value();
    Result<std::unique_ptr<Quantizer>> q = Quantizer::Create(net.MakeGraph(), 1, cal);
    REQUIRE_MESSAGE(q.ok(), q.status().message());
    for (const auto& x : samples) REQUIRE(q.value()->AddTensor(x.data(), x.size()).ok());
    QuantizeReport report;
    Result<PtqResult> r = q.value()->Finish(PtqOptions{}, &report);
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    CHECK(report.calibration == method);
    reports.push_back(report);
    ranges.push_back(q.value()->Ranges());
    // Deterministic: the same bytes again.
    Result<PtqResult> again = q.value()->Finish(PtqOptions{}, nullptr);
    REQUIRE(again.ok());
    for (size_t t = 0; t < r.value().graph->tensors.size(); ++t) {
      CHECK(r.value().graph->tensors[t].quant.scale == again.value().graph->tensors[t].quant.scale);
    }
  }
  const int32_t h = TensorNamed(*net.MakeGraph(), "h");
  CAPTURE(ranges[0][h].min);
  CAPTURE(ranges[0][h].max);
  CAPTURE(ranges[1][h].min);
  CAPTURE(ranges[1][h].max);
  MESSAGE("output SQNR: mse ", reports[0].output_sqnr_db, " dB, output ", reports[1].output_sqnr_db, " dB");
  CHECK(ranges[1][h].max - ranges[1][h].min < (ranges[0][h].max - ranges[0][h].min) / 4);
  CHECK(reports[1].output_sqnr_db > reports[0].output_sqnr_db + 3.0);  // measured: 20.9 -> 25.7 dB
}

}  // namespace qwasm
