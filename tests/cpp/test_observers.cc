// Calibration observers (ptq/observers.h): the streaming histogram keeps
// exact counts as it grows, and each range method picks what it should on
// small cases whose answer is known by hand or by brute force.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "ptq/quantizer.h"
#include "graph_builder.h"
#include "ptq/observers.h"

using namespace qwasm;

namespace {

// Deterministic values in [lo, hi) (a fixed LCG: tests must not depend on
// the standard library's distributions).
std::vector<float> Lcg(size_t n, float lo, float hi, uint32_t seed) {
  std::vector<float> v(n);
  uint32_t s = seed;
  for (float& x : v) {
    s = s * 1664525u + 1013904223u;
    x = lo + (hi - lo) * static_cast<float>(s >> 8) / 16777216.0f;
  }
  return v;
}

// Brute-force count of the values in bin j of h.
uint64_t CountInBin(const std::vector<float>& v, const Histogram& h, int64_t j) {
  const double w = h.width();
  uint64_t n = 0;
  for (float x : v) n += (x >= j * w && x < (j + 1) * w);
  return n;
}

void CheckExact(const Histogram& h, const std::vector<float>& all) {
  REQUIRE(h.total() == all.size());
  uint64_t sum = 0;
  for (uint64_t c : h.counts()) sum += c;
  CHECK(sum == all.size());
  for (int64_t j = h.first(); j < h.first() + h.bins(); ++j) {
    CAPTURE(j);
    CHECK(h.count(j) == CountInBin(all, h, j));
  }
}

}  // namespace

TEST_CASE("observer: method names parse, unknown names list the valid ones") {
  for (CalibrationMethod m : {CalibrationMethod::kMinMax, CalibrationMethod::kMovingAverage,
                              CalibrationMethod::kPercentile, CalibrationMethod::kMse, CalibrationMethod::kKl,
                              CalibrationMethod::kOutput}) {
    Result<CalibrationMethod> r = ParseCalibrationMethod(CalibrationMethodName(m));
    REQUIRE(r.ok());
    CHECK(r.value() == m);
  }
  Result<CalibrationMethod> bad = ParseCalibrationMethod("entropy");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() ==
        "unknown calibration method \"entropy\" (valid: minmax, moving-average, percentile, mse, kl, output)");
}

TEST_CASE("observer: histogram picks the finest power-of-two width that fits") {
  Histogram h(128);
  std::vector<float> v;
  for (int k = 0; k < 100; ++k) v.push_back(k + 0.5f);
  h.Add(v.data(), v.size());
  // Width 1: bins 0..99 (100 <= 128); width 1/2 would need 199.
  CHECK(h.width() == 1.0);
  CHECK(h.first() == 0);
  for (int k = 0; k < 100; ++k) CHECK(h.count(k) == 1);
  CHECK(h.min() == 0.5f);
  CHECK(h.max() == 99.5f);
}

TEST_CASE("observer: histogram growth merges bins exactly and conserves the count") {
  Histogram h(16);
  std::vector<float> all = Lcg(1000, 0.0f, 1.0f, 1);
  h.Add(all.data(), all.size());
  CHECK(h.width() == 1.0 / 16);
  const std::vector<uint64_t> fine = h.counts();
  CheckExact(h, all);
  // 3.5 needs bins up to 14 at width 1/4 (1/8 would need 29): every new bin
  // is the sum of four old ones.
  const float far = 3.5f;
  h.Add(&far, 1);
  all.push_back(far);
  CHECK(h.width() == 0.25);
  CHECK(h.first() == 0);
  for (int j = 0; j < 4; ++j) CHECK(h.count(j) == fine[4 * j] + fine[4 * j + 1] + fine[4 * j + 2] + fine[4 * j + 3]);
  CHECK(h.count(14) == 1);
  CheckExact(h, all);
  // Growth downwards (negative values, the window moves) and by a large factor.
  for (uint32_t seed = 2; seed < 8; ++seed) {
    const std::vector<float> more = Lcg(500, -3.0f * seed * seed, 1.0f + seed, seed);
    h.Add(more.data(), more.size());
    all.insert(all.end(), more.begin(), more.end());
    CAPTURE(seed);
    CheckExact(h, all);
  }
  CHECK(h.min() == *std::min_element(all.begin(), all.end()));
  CHECK(h.max() == *std::max_element(all.begin(), all.end()));
  // NaN and infinities are not counted.
  const float odd[] = {std::nanf(""), std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()};
  h.Add(odd, 3);
  CheckExact(h, all);
}

TEST_CASE("observer: a streamed histogram equals the one-shot histogram") {
  // Chunks with growing and shifting ranges, including an all-zero one and
  // a constant one, as activations give.
  std::vector<std::vector<float>> chunks = {std::vector<float>(50, 0.0f), std::vector<float>(20, 5.0f),
                                            Lcg(300, 0.0f, 6.0f, 3), Lcg(300, -0.01f, 0.01f, 4),
                                            Lcg(300, -40.0f, 2.0f, 5), Lcg(300, 100.0f, 101.0f, 6)};
  Histogram streamed(64);
  std::vector<float> all;
  for (const auto& c : chunks) {
    streamed.Add(c.data(), c.size());
    all.insert(all.end(), c.begin(), c.end());
  }
  Histogram once(64);
  once.Add(all.data(), all.size());
  CHECK(streamed.exponent() == once.exponent());
  CHECK(streamed.first() == once.first());
  CHECK(streamed.counts() == once.counts());
  CheckExact(streamed, all);
}

TEST_CASE("observer: min-max and moving average") {
  CalibrationOptions o;
  o.method = CalibrationMethod::kMovingAverage;
  o.averaging_constant = 0.5;
  std::unique_ptr<Observer> ma = MakeObserver(o);
  std::unique_ptr<Observer> mm = MakeObserver(CalibrationOptions{});
  CHECK_FALSE(ma->Range().seen());
  const std::vector<std::vector<float>> samples = {{-4.0f, 2.0f, 0.0f}, {-2.0f, 6.0f}, {1.0f, -8.0f, 4.0f}};
  for (const auto& s : samples) {
    ma->Observe(s.data(), s.size());
    mm->Observe(s.data(), s.size());
  }
  // min: -4, then -4 + 0.5 (-2 + 4) = -3, then -3 + 0.5 (-8 + 3) = -5.5;
  // max: 2, then 2 + 0.5 (6 - 2) = 4, then 4 + 0.5 (4 - 4) = 4.
  CHECK(ma->Range().min == -5.5f);
  CHECK(ma->Range().max == 4.0f);
  CHECK(mm->Range().min == -8.0f);
  CHECK(mm->Range().max == 6.0f);
  // The default constant is PyTorch's 0.01.
  std::unique_ptr<Observer> d = MakeObserver({CalibrationMethod::kMovingAverage});
  for (const auto& s : samples) d->Observe(s.data(), s.size());
  const double lo = (-4.0 + 0.01 * (-2.0 + 4.0)), hi = 2.0 + 0.01 * (6.0 - 2.0);
  CHECK(d->Range().min == static_cast<float>(lo + 0.01 * (-8.0 - lo)));
  CHECK(d->Range().max == static_cast<float>(hi + 0.01 * (4.0 - hi)));
}

TEST_CASE("observer: percentile clips each tail by whole values") {
  Histogram h(128);
  std::vector<float> v;
  for (int k = 0; k < 100; ++k) v.push_back(k + 0.5f);  // one value per bin of width 1
  h.Add(v.data(), v.size());
  // 98%: one value (0.5 and 99.5) off each tail; the range runs over the
  // bins of the kept values 1.5 .. 98.5.
  TensorRange r = PercentileRange(h, 98.0);
  CHECK(r.min == 1.0f);
  CHECK(r.max == 99.0f);
  r = PercentileRange(h, 90.0);  // five values off each tail
  CHECK(r.min == 5.0f);
  CHECK(r.max == 95.0f);
  r = PercentileRange(h, 89.0);  // 5.5 values: still only five whole ones
  CHECK(r.min == 5.0f);
  CHECK(r.max == 95.0f);
  r = PercentileRange(h, 100.0);  // nothing clipped: the exact extremes
  CHECK(r.min == 0.5f);
  CHECK(r.max == 99.5f);
  // Through the observer, streamed.
  CalibrationOptions o;
  o.method = CalibrationMethod::kPercentile;
  o.percentile = 98.0;
  o.bins = 128;
  std::unique_ptr<Observer> ob = MakeObserver(o);
  ob->Observe(v.data(), 50);
  ob->Observe(v.data() + 50, 50);
  CHECK(ob->Range().min == 1.0f);
  CHECK(ob->Range().max == 99.0f);
}

TEST_CASE("observer: MSE picks the brute-force optimum over all candidate ranges") {
  // Skewed signed data in 64 bins: every bin edge is a candidate.
  std::vector<float> v = Lcg(4000, -1.0f, 1.0f, 9);
  for (float& x : v) x = x > 0 ? 6.0f * x * x * x : x;  // long positive tail
  const std::vector<float> tail = {7.5f, -2.5f};
  v.insert(v.end(), tail.begin(), tail.end());
  Histogram h(64);
  h.Add(v.data(), v.size());
  const double w = h.width();
  std::vector<double> los = {h.min()}, his = {h.max()};
  for (int64_t j = h.first(); j < h.first() + h.bins() + 1; ++j) {
    if (j * w > h.min() && j * w <= 0) los.push_back(j * w);
    if (j * w >= 0 && j * w < h.max()) his.push_back(j * w);
  }
  double best = std::numeric_limits<double>::infinity();
  for (double lo : los) {
    for (double hi : his) {
      best = std::min(best, ExpectedQuantError(h, {static_cast<float>(lo), static_cast<float>(hi)}));
    }
  }
  const TensorRange r = MseRange(h);
  CHECK(ExpectedQuantError(h, r) == doctest::Approx(best).epsilon(1e-12));
  // It clips: the full range costs more.
  CHECK(ExpectedQuantError(h, {h.min(), h.max()}) > best * 1.01);
  CHECK((r.min > h.min() || r.max < h.max()));
}

TEST_CASE("observer: MSE against its closed form, a bulk and a far outlier") {
  // N values uniform over [0, 1] and one at X = 100. For hi = c in [1, X)
  // the grid is [0, c] in 255 steps, so the cost is N (c/255)^2 / 12 +
  // (X - c)^2, smallest at c* = X / (1 + N / (12 * 255^2)): the outlier is
  // clipped, but not down to the bulk.
  const size_t n = 1000000;
  std::vector<float> v(n);
  for (size_t k = 0; k < n; ++k) v[k] = (k + 0.5f) / n;
  v.push_back(100.0f);
  CalibrationOptions o;
  o.method = CalibrationMethod::kMse;
  std::unique_ptr<Observer> ob = MakeObserver(o);
  ob->Observe(v.data(), v.size());
  const TensorRange r = ob->Range();
  const double c = 100.0 / (1.0 + n / (12.0 * 255 * 255));  // 43.83
  CHECK(r.min == v[0]);  // widened to 0 by the grid
  // Candidates lie every 7 bins of 1/16 (1600 edges thinned to 256).
  CHECK(std::fabs(r.max - c) < 7.0 / 16);
}

TEST_CASE("observer: KL matches a literal TensorRT loop and clips a far outlier") {
  // A decaying bulk (so merging bins loses information) over magnitude bins
  // 0..255 and one value far out in bin 2000, in 2048 bins of width 1.
  std::vector<float> v;
  for (int b = 0; b < 256; ++b) {
    const int count = static_cast<int>(std::lround(2000.0 * std::exp(-b / 40.0))) + 1;
    for (int k = 0; k < count; ++k) v.push_back(b + 0.5f);
  }
  v.push_back(2000.5f);
  Histogram h(2048);
  h.Add(v.data(), v.size());
  REQUIRE(h.width() == 1.0);
  REQUIRE(h.first() == 0);
  // TensorRT's algorithm written out plainly, on the counts.
  std::vector<double> hist(2001, 0.0);
  for (int j = 0; j <= 2000; ++j) hist[j] = static_cast<double>(h.count(j));
  hist[0] = hist[1];  // the zero spike ignored, as pytorch-quantization does
  int best_i = -1;
  double best = std::numeric_limits<double>::infinity();
  for (int i = 128; i <= 2001; ++i) {
    std::vector<double> p(hist.begin(), hist.begin() + i);
    for (int j = i; j <= 2000; ++j) p[i - 1] += hist[j];
    std::vector<double> q(i, 0.0);
    const int m = i / 128;
    for (int g = 0; g < 128; ++g) {
      const int a = g * m, b = g == 127 ? i : a + m;
      double s = 0;
      int nz = 0;
      for (int j = a; j < b; ++j) s += hist[j], nz += hist[j] > 0;
      for (int j = a; j < b; ++j) q[j] = hist[j] > 0 ? s / nz : 0;
    }
    double ps = 0, qs = 0, kl = 0;
    for (int j = 0; j < i; ++j) ps += p[j], qs += q[j];
    bool inf = false;
    for (int j = 0; j < i; ++j) {
      if (p[j] == 0) continue;
      if (q[j] == 0) { inf = true; break; }
      kl += p[j] / ps * std::log((p[j] / ps) / (q[j] / qs));
    }
    if (!inf && kl < best) best = kl, best_i = i;
  }
  REQUIRE(best_i > 0);
  const TensorRange r = KlRange(h);
  CHECK(r.min == 0.5f);  // one-sided: the observed minimum
  CHECK(r.max == static_cast<float>(best_i));
  CHECK(r.max <= 256.0f);  // the outlier at 2000 is clipped
  CHECK(r.max >= 128.0f);

  // Signed: folded magnitudes choose one threshold; each side keeps its
  // observed extreme when that lies inside it.
  std::vector<float> s = v;
  s.pop_back();
  for (int k = 0; k < 50; ++k) s.push_back(-1.0f - k / 100.0f);  // a small negative tail down to -1.49
  s.push_back(2000.5f);
  Histogram hs(2048);
  hs.Add(s.data(), s.size());
  const TensorRange rs = KlRange(hs);
  CHECK(rs.min == hs.min());
  CHECK(rs.max < 300.0f);
}

TEST_CASE("observer: KL ignores the spike of zeros") {
  // A ReLU6 output: 90% exact zeros, the rest spread evenly over (0, 6).
  std::vector<float> v(90000, 0.0f);
  const std::vector<float> rest = Lcg(10000, 0.0f, 6.0f, 11);
  v.insert(v.end(), rest.begin(), rest.end());
  Histogram h(2048);
  h.Add(v.data(), v.size());
  // Merging bin 0's spike into a group makes every wide candidate look bad:
  // counted as it is, the threshold falls to 1.0, where bin 0 stays alone
  // (2.0 with 256 levels); with bin 0 read as bin 1 the even spread is
  // kept whole.
  for (int levels : {128, 256}) {
    CAPTURE(levels);
    const TensorRange r = KlRange(h, levels);
    CHECK(r.max > 5.5f);
    CHECK(r.max <= 6.0f);
  }
}

TEST_CASE("observer: KL of a candidate that represents P exactly is 0, an unrepresented pile is infinite") {
  // Uniform over 256 bins: Q merges pairs of equal bins, P has no clipped tail.
  std::vector<uint64_t> uniform(256, 10);
  CHECK(KlDivergence(uniform, 256, 128) == 0.0);
  // A clipped tail piled on an empty bin i - 1 has Q = 0 there.
  std::vector<uint64_t> gap(300, 0);
  for (int j = 0; j < 200; ++j) gap[j] = 5;
  gap[299] = 1;
  CHECK(std::isinf(KlDivergence(gap, 250, 128)));
  CHECK(std::isfinite(KlDivergence(gap, 200, 128)));
}

TEST_CASE("observer: the quantizer calibrates with the chosen method") {
  // x [1,2,4,1] -> CONV 1x1 (1 -> 2) -> y; calibrated on three samples.
  auto graph = [] {
    testing::GraphBuilder b;
    const int32_t x = b.F32("x", {1, 2, 4, 1});
    const int32_t w = b.F32Const("w", {2, 1, 1, 1}, {1.0f, -0.25f});
    const int32_t bias = b.F32Const("b", {2}, {0.0f, 0.1f});
    const int32_t y = b.F32("y", {1, 2, 4, 2});
    b.Node(OpType::kConv2D, {x, w, bias}, {y});
    b.g->inputs = {x};
    b.g->outputs = {y};
    return std::move(b.g);
  };
  const std::vector<std::vector<float>> samples = {
      {0.0f, 1.0f, 2.0f, -1.0f, 0.5f, 0.5f, 3.0f, 0.0f},
      {-2.0f, 1.0f, 0.0f, 0.0f, 1.0f, -1.0f, 0.25f, 4.0f},
      {1.0f, 1.0f, -1.0f, 2.0f, 0.0f, 0.0f, 0.5f, 0.5f}};
  std::vector<std::vector<TensorRange>> ranges;
  for (const char* name : {"minmax", "moving-average", "percentile", "mse", "kl"}) {
    CAPTURE(name);
    CalibrationOptions o;
    o.method = ParseCalibrationMethod(name).value();
    o.percentile = 100.0;
    Result<std::unique_ptr<Quantizer>> q = Quantizer::Create(graph(), 1, o);
    REQUIRE_MESSAGE(q.ok(), q.status().message());
    for (const auto& s : samples) REQUIRE(q.value()->AddTensor(s.data(), s.size()).ok());
    ranges.push_back(q.value()->Ranges());
    QuantizeReport report;
    Result<PtqResult> r = q.value()->Finish(PtqOptions{}, &report);
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    CHECK(report.calibration == name);
    CHECK(report.samples == 3);
  }
  // Input x: min-max is [-2, 4]; percentile 100 the same; the moving average
  // with c = 0.01 from [-1, 3] moves towards [-2, 4] then [-1, 2].
  CHECK(ranges[0][0].min == -2.0f);
  CHECK(ranges[0][0].max == 4.0f);
  CHECK(ranges[2][0].min == -2.0f);
  CHECK(ranges[2][0].max == 4.0f);
  CHECK(ranges[1][0].min == static_cast<float>(-1.0 + 0.01 * (-2.0 + 1.0) + 0.01 * (-1.0 - (-1.01))));
  CHECK(ranges[1][0].max == static_cast<float>(3.0 + 0.01 * (4.0 - 3.0) + 0.01 * (2.0 - 3.01)));
  CHECK_FALSE(ranges[0][1].seen());  // a constant has no range
  // Bad options are errors.
  CalibrationOptions bad;
  bad.method = CalibrationMethod::kPercentile;
  bad.percentile = 0.0;
  CHECK_FALSE(Quantizer::Create(graph(), 1, bad).ok());
}
