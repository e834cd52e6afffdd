// Automatic mixed precision (quant/mixed_precision.h) against a synthetic
// evaluator whose answer is known: each layer's format costs a fixed number
// of dB of output SQNR, so the best choice can be worked out by hand.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "quant/mixed_precision.h"

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
  // 200 samples; every lut4 layer flips one more answer (0.5 points each).
  auto eval = [&](const PtqOptions& p, bool) -> Result<MixedEvaluation> {
    int flips = 0;
    for (const auto& [name, e] : p.layer_weights) flips += e.format == WeightFormat::kLut4;
    MixedEvaluation e{30.0, 1.0 - flips / 200.0};
    e.drop = 100.0 * flips / 200.0;
    return e;
  };
  MixedPrecisionOptions o;
  o.max_drop = 1.0;  // at most 2 of 200 answers may change
  Result<MixedResult> r = ChooseMixedPrecision(Layers({"a", "b", "c", "d"}), PtqOptions{}, o, eval);
  REQUIRE(r.ok());
  int lut = 0;
  for (const auto& [name, e] : r.value().options.layer_weights) lut += e.format == WeightFormat::kLut4;
  CHECK(lut == 2);
  CHECK(r.value().quality.agreement == doctest::Approx(0.99));
  CHECK(MeetsBudget(r.value().quality, o));
  MixedEvaluation three{30.0, 0.985};
  three.drop = 1.5;
  CHECK(!MeetsBudget(three, o));
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
