// Automatic mixed precision (ptq/mixed_precision.h) against a synthetic
// evaluator whose answer is known: each layer's format costs a fixed number
// of dB of output SQNR, so the best choice can be worked out by hand.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "ptq/quantizer.h"
#include "graph_builder.h"
#include "ptq/mixed_precision.h"

using namespace qwasm;

namespace {

struct Costs {
  std::map<std::string, double> lut4, int8;  // dB lost per layer; float16 loses 0
  double Sqnr(const PtqOptions& o) const {
    double db = 40.0;
    for (const auto& [name, e] : o.layer_weights) {
      if (e.format == WeightFormat::kLut4) db -= lut4.at(name);
      if (e.format == WeightFormat::kInt8) db -= int8.at(name);
    }
    return db;
  }
};

// Layers of 4 channels x 64 weights: a per-channel 4-bit codebook saves bytes.
std::vector<LayerWeights> Layers(const std::vector<std::string>& names) {
  std::vector<LayerWeights> v;
  for (const std::string& n : names) v.push_back({n, 256, 4});
  return v;
}

std::map<std::string, std::string> Formats(const MixedResult& r) {
  std::map<std::string, std::string> f;
  for (const auto& [name, e] : r.options.layer_weights) f[name] = WeightEncodingName(e);
  return f;
}

}  // namespace

TEST_CASE("mixed precision: the least sensitive layers go to lut4 while the SQNR budget holds") {
  Costs c{{{"a", 1}, {"b", 20}, {"c", 5}, {"d", 10}}, {{"a", 0.5}, {"b", 0.5}, {"c", 0.5}, {"d", 0.5}}};
  MixedPrecisionOptions o;
  o.min_sqnr_db = 30.0;
  auto eval = [&](const PtqOptions& p, bool) -> Result<MixedEvaluation> { return MixedEvaluation{c.Sqnr(p), 1.0}; };
  Result<MixedResult> r = ChooseMixedPrecision(Layers({"a", "b", "c", "d"}), PtqOptions{}, o, eval);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  // int8 everywhere: 38 dB. lut4 on a alone: 37.5, c alone: 33.5, d alone: 28.5; a and c: 33 dB;
  // d too would give 23.5.
  CHECK(Formats(r.value()) ==
        std::map<std::string, std::string>{{"a", "lut4/channel"}, {"b", "int8"}, {"c", "lut4/channel"}, {"d", "int8"}});
  CHECK(r.value().quality.output_sqnr_db == doctest::Approx(33.0));
  const std::vector<MixedChoice>& ch = r.value().choices;
  REQUIRE(ch.size() == 4);
  CHECK(ch[0].why == "lut4/channel: rank 1 of 4 by 4-bit sensitivity (37.5 dB alone)");
  CHECK(ch[3].why == "int8: rank 3 of 4 by 4-bit sensitivity (28.5 dB alone); lut4/channel here would miss the budget");
}

TEST_CASE("mixed precision: when int8 misses the budget, the fewest most helpful layers go to float16") {
  Costs c{{{"a", 9}, {"b", 9}, {"c", 9}}, {{"a", 3}, {"b", 0.2}, {"c", 1}}};
  MixedPrecisionOptions o;
  o.min_sqnr_db = 39.0;  // int8 everywhere: 35.8; a in float16: 38.8; a and c: 39.8
  auto eval = [&](const PtqOptions& p, bool) -> Result<MixedEvaluation> { return MixedEvaluation{c.Sqnr(p), 1.0}; };
  Result<MixedResult> r = ChooseMixedPrecision(Layers({"a", "b", "c"}), PtqOptions{}, o, eval);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  CHECK(Formats(r.value()) == std::map<std::string, std::string>{{"a", "float16"}, {"b", "int8"}, {"c", "float16"}});
  // An unreachable budget is an error that says so.
  o.min_sqnr_db = 41.0;
  Result<MixedResult> bad = ChooseMixedPrecision(Layers({"a", "b", "c"}), PtqOptions{}, o, eval);
  REQUIRE(!bad.ok());
  CHECK(bad.status().message().find("cannot be met even with every weighted layer in float16") != std::string::npos);
  // No budget at all is an error too.
  CHECK(!ChooseMixedPrecision(Layers({"a"}), PtqOptions{}, MixedPrecisionOptions{}, eval).ok());
}

TEST_CASE("mixed precision: a top-1 drop budget") {
  // 200 samples; every lut4 layer loses one more answer (0.5 points each).
  auto eval = [&](const PtqOptions& p, bool) -> Result<MixedEvaluation> {
    size_t flips = 0;
    for (const auto& [name, e] : p.layer_weights) flips += e.format == WeightFormat::kLut4;
    MixedEvaluation e{30.0, 1.0 - flips / 200.0};
    e.drop = 100.0 * flips / 200.0;
    e.labelled = true;
    e.samples = 200;
    e.lost = e.changed = flips;
    return e;
  };
  auto lut4 = [](const MixedResult& r) {
    int n = 0;
    for (const auto& [name, e] : r.options.layer_weights) n += e.format == WeightFormat::kLut4;
    return n;
  };
  MixedPrecisionOptions o;
  o.max_drop = 1.0;
  // Without the guard, 2 of 200 answers may be lost.
  o.confidence = 0.0;
  Result<MixedResult> r = ChooseMixedPrecision(Layers({"a", "b", "c", "d"}), PtqOptions{}, o, eval);
  REQUIRE(r.ok());
  CHECK(lut4(r.value()) == 2);
  CHECK(r.value().quality.agreement == doctest::Approx(0.99));
  CHECK(r.value().quality.drop_bound == doctest::Approx(1.0));
  CHECK(MeetsBudget(r.value().quality, o));
  // With the 95% guard one lost answer already has a bound of 1.65 points
  // (see the DropUpperBound case); none lost: 0.81. So everything stays int8.
  o.confidence = 0.95;
  r = ChooseMixedPrecision(Layers({"a", "b", "c", "d"}), PtqOptions{}, o, eval);
  REQUIRE(r.ok());
  CHECK(lut4(r.value()) == 0);
  CHECK(r.value().quality.drop == 0.0);
  CHECK(r.value().quality.drop_bound == doctest::Approx(81.42839737 / 100.0));
  CHECK(r.value().confidence == 0.95);
  // A budget of 2 points allows one loss (bound 1.65), not two (2.40).
  o.max_drop = 2.0;
  r = ChooseMixedPrecision(Layers({"a", "b", "c", "d"}), PtqOptions{}, o, eval);
  REQUIRE(r.ok());
  CHECK(lut4(r.value()) == 1);
  // Counts-free evaluations are taken at their word.
  MixedEvaluation three{30.0, 0.985};
  three.drop = 1.5;
  CHECK(MeetsBudget(three, o));  // 1.5 <= 2
  o.max_drop = 1.0;
  CHECK(!MeetsBudget(three, o));
  o.confidence = 1.0;
  CHECK(!ChooseMixedPrecision(Layers({"a"}), PtqOptions{}, o, eval).ok());
  // Too few samples to certify even with every layer in float16 (nothing
  // changes, bound 0.81 > 0.5): an error that says what would help.
  o.confidence = 0.95;
  o.max_drop = 0.5;
  Result<MixedResult> few = ChooseMixedPrecision(Layers({"a"}), PtqOptions{}, o, eval);
  REQUIRE(!few.ok());
  CHECK(few.status().message() ==
        "quantize: the budget cannot be met even with every weighted layer in float16 (output SQNR 30.0 dB, top-1 drop "
        "0.00 points, 95% upper bound 0.81, on 200 samples (0 lost, 0 gained)): the measured drop is within the budget "
        "but these samples cannot certify it; judge on more samples (budget images) or allow a larger drop");
}

TEST_CASE("mixed precision: the drop bound from paired counts, by hand") {
  CHECK(NormalQuantile(0.95) == doctest::Approx(1.6448536270).epsilon(1e-9));
  CHECK(NormalQuantile(0.975) == doctest::Approx(1.9599639845).epsilon(1e-9));
  CHECK(NormalQuantile(0.5) == doctest::Approx(0.0));
  auto counts = [](size_t n, size_t lost, size_t gained, bool labelled = true) {
    MixedEvaluation e;
    e.samples = n;
    e.lost = lost;
    e.gained = gained;
    e.changed = lost + gained;
    e.labelled = labelled;
    e.drop = 100.0 * (double(lost) - double(gained)) / double(n);
    return e;
  };
  // n = 98, 3 lost, 1 gained: m = 100, d = 2/100, var = (3 + 1 + 1) - 2^2/100
  // = 4.96; bound = 100 (0.02 + 1.644854 sqrt(4.96) / 100) = 2 + 3.66326.
  CHECK(DropUpperBound(counts(98, 3, 1), 0.95) == doctest::Approx(5.663263).epsilon(1e-6));
  CHECK(counts(98, 3, 1).drop == doctest::Approx(2.0408163));
  // Nothing changed on 998: 100 * 1.644854 * sqrt(1) / 1000.
  CHECK(DropUpperBound(counts(998, 0, 0), 0.95) == doctest::Approx(0.1644854));
  // 200 samples, one lost: 100 (1/202 + 1.644854 sqrt(2 - 1/202) / 202).
  CHECK(DropUpperBound(counts(200, 1, 0), 0.95) == doctest::Approx(1.6451948));
  CHECK(DropUpperBound(counts(200, 2, 0), 0.95) == doctest::Approx(2.3958178));
  // Without labels, 5 changes in 98 count as 5 lost: 5 + 1.644854 sqrt(6 - 25/100).
  CHECK(DropUpperBound(counts(98, 5, 0, false), 0.95) == doctest::Approx(8.944220));
  // The Fashion-MNIST case: a 0.1-point measured drop from 15 lost and 14
  // gained of 1000 cannot certify 0.2 points (bound 0.999), but meets 1.0.
  const MixedEvaluation fashion = counts(1000, 15, 14);
  CHECK(fashion.drop == doctest::Approx(0.1));
  CHECK(DropUpperBound(fashion, 0.95) == doctest::Approx(0.9989106));
  MixedPrecisionOptions o;
  o.max_drop = 0.2;
  CHECK(!MeetsBudget(fashion, o));
  o.confidence = 0.0;  // unguarded: the point estimate passes
  CHECK(MeetsBudget(fashion, o));
  CHECK(DropUpperBound(fashion, 0.0) == doctest::Approx(0.1));
  o.confidence = 0.95;
  o.max_drop = 1.0;
  CHECK(MeetsBudget(fashion, o));
  // 190 discordant answers in 20000 (drop 0.05): bound 0.164, within 0.2.
  o.max_drop = 0.2;
  CHECK(DropUpperBound(counts(20000, 100, 90), 0.95) == doctest::Approx(0.1636438));
  CHECK(MeetsBudget(counts(20000, 100, 90), o));
  CHECK(DropText(fashion, o) == "top-1 drop 0.10 points, 95% upper bound 1.00, on 1000 samples (15 lost, 14 gained)");
  CHECK(DropText(counts(98, 5, 0, false), o) ==
        "answers changed 5.10 points, 95% upper bound 8.94, on 98 samples (5 changed)");
}

TEST_CASE("mixed precision: budget samples judge the search, apart from calibration") {
  // x [1,2,4,1] -> CONV 1x1 (1 -> 2) -> y: 16 outputs, top-1 over them.
  testing::GraphBuilder b;
  const int32_t x = b.F32("x", {1, 2, 4, 1});
  const int32_t w = b.F32Const("w", {2, 1, 1, 1}, {1.0f, -0.25f});
  const int32_t bias = b.F32Const("b", {2}, {0.0f, 0.1f});
  const int32_t y = b.F32("y", {1, 2, 4, 2});
  b.Node(OpType::kConv2D, {x, w, bias}, {y});
  b.g->inputs = {x};
  b.g->outputs = {y};
  Result<std::unique_ptr<Quantizer>> qr = Quantizer::Create(std::move(b.g));
  REQUIRE_MESSAGE(qr.ok(), qr.status().message());
  Quantizer& q = *qr.value();
  std::vector<float> s(8);
  for (int i = 0; i < 40; ++i) {
    for (int j = 0; j < 8; ++j) s[j] = static_cast<float>((i * 7 + j * 13) % 17) / 4.0f - 2.0f;
    REQUIRE(q.AddTensor(s.data(), s.size(), 0).ok());
  }
  Result<MixedEvaluation> cal = q.Evaluate(PtqOptions{}, true);
  REQUIRE(cal.ok());
  CHECK(cal.value().samples == 40);
  CHECK(!cal.value().held_out);
  // Near-ties that int8 may resolve either way; unlabelled first.
  for (int i = 0; i < 30; ++i) {
    for (int j = 0; j < 8; ++j) s[j] = static_cast<float>((i * 5 + j * 3) % 11) / 5.0f - 1.0f + 0.003f * j;
    REQUIRE(q.AddBudgetTensor(s.data(), s.size()).ok());
  }
  CHECK(!q.AddBudgetTensor(s.data(), 7).ok());
  CHECK(q.budget_given() == 30);
  Result<MixedEvaluation> held = q.Evaluate(PtqOptions{}, true);
  REQUIRE(held.ok());
  CHECK(held.value().samples == 30);
  CHECK(held.value().held_out);
  CHECK(!held.value().labelled);
  CHECK(held.value().lost == held.value().changed);
  CHECK(held.value().gained == 0);
  CHECK(held.value().changed == static_cast<size_t>(std::lround(30 * (1.0 - held.value().agreement))));
  // The sensitivity estimate still uses the first calibration samples.
  Result<MixedEvaluation> few = q.Evaluate(PtqOptions{}, false);
  REQUIRE(few.ok());
  CHECK(few.value().samples == Quantizer::kSqnrSamples);
  CHECK(!few.value().held_out);
}

TEST_CASE("mixed precision: 4-bit only where it is smaller; per-layer codebooks for few weights per channel") {
  // 3x3 depthwise over 32 channels: int8 288 bytes; lut4 per channel 144 +
  // 512 (larger), per layer 144 + 16 (smaller).
  const LayerWeights dw{"dw", 288, 32};
  CHECK(EncodedWeightBytes(dw, {WeightFormat::kLut4, true}) == 656);
  CHECK(EncodedWeightBytes(dw, {WeightFormat::kLut4, false}) == 160);
  CHECK(EncodedWeightBytes(dw, {WeightFormat::kInt4, false}) == 144);
  CHECK(EncodedWeightBytes({"x", 3, 1}, {WeightFormat::kInt4, false}) == 2);
  // A layer of 4 weights in one channel: a 16-entry codebook never pays.
  const LayerWeights tiny{"tiny", 4, 1};
  std::vector<std::string> seen;
  auto eval = [&](const PtqOptions& p, bool) -> Result<MixedEvaluation> {
    for (const auto& [name, e] : p.layer_weights) {
      if (e.format == WeightFormat::kLut4) seen.push_back(name + " " + WeightEncodingName(e));
    }
    return MixedEvaluation{40.0, 1.0};
  };
  MixedPrecisionOptions o;
  o.min_sqnr_db = 30.0;
  Result<MixedResult> r = ChooseMixedPrecision({dw, tiny}, PtqOptions{}, o, eval);
  REQUIRE(r.ok());
  CHECK(Formats(r.value()) == std::map<std::string, std::string>{{"dw", "lut4/layer"}, {"tiny", "int8"}});
  CHECK(std::find(seen.begin(), seen.end(), "tiny lut4/layer") == seen.end());
  CHECK(r.value().choices[1].why == "int8: lut4/layer would not be smaller");
}
