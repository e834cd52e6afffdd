#include "ptq/mixed_precision.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace qwasm {

namespace {

std::string Db(double db) {
  if (db == std::numeric_limits<double>::infinity()) return "exact";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f dB", db);
  return buf;
}

// Within the budget as measured, not as bounded.
bool Uncertified(const MixedEvaluation& e, const MixedPrecisionOptions& o) {
  return o.max_drop >= 0.0 && e.drop <= o.max_drop + 1e-9 && e.output_sqnr_db >= o.min_sqnr_db &&
         !MeetsBudget(e, o);
}

}  // namespace

std::string DropText(const MixedEvaluation& e, const MixedPrecisionOptions& o) {
  char buf[200];
  const char* what = e.labelled ? "top-1 drop" : "answers changed";
  if (o.confidence > 0.0 && e.samples > 0) {
    char counts[64];
    if (e.labelled) std::snprintf(counts, sizeof counts, "%zu lost, %zu gained", e.lost, e.gained);
    else std::snprintf(counts, sizeof counts, "%zu changed", e.changed);
    std::snprintf(buf, sizeof buf, "%s %.2f points, %g%% upper bound %.2f, on %zu samples (%s)", what, e.drop,
                  100.0 * o.confidence, DropUpperBound(e, o.confidence), e.samples, counts);
  } else {
    std::snprintf(buf, sizeof buf, "%s %.2f points", what, e.drop);
  }
  return buf;
}

size_t EncodedWeightBytes(const LayerWeights& w, const WeightEncoding& e) {
  const size_t n = w.elements, groups = e.per_channel_codebook ? w.channels : 1;
  switch (e.format) {
    case WeightFormat::kInt8: return n;
    case WeightFormat::kInt4: return (n + 1) / 2;
    case WeightFormat::kLut4: return (n + 1) / 2 + 16 * groups;
    case WeightFormat::kLut8: return n + 256 * groups;
    case WeightFormat::kFloat16: return 2 * n;
    case WeightFormat::kFloat32: return 4 * n;
  }
  return n;
}

double NormalQuantile(double p) {
  // Bisection on Phi(z) = erfc(-z / sqrt 2) / 2: exact to double rounding,
  // and called a handful of times per search.
  double lo = -40.0, hi = 40.0;
  for (int i = 0; i < 200 && hi - lo > 1e-15; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p) lo = mid; else hi = mid;
  }
  return 0.5 * (lo + hi);
}

double DropUpperBound(const MixedEvaluation& e, double confidence) {
  if (!(confidence > 0.0) || e.samples == 0) return e.drop;
  const double z = NormalQuantile(confidence);
  const double lost = static_cast<double>(e.lost), gained = static_cast<double>(e.gained);
  const double m = static_cast<double>(e.samples) + 2.0;
  const double var = std::max(0.0, (lost + gained + 1.0) - (lost - gained) * (lost - gained) / m);
  return 100.0 * ((lost - gained) / m + z * std::sqrt(var) / m);
}

bool MeetsBudget(const MixedEvaluation& e, const MixedPrecisionOptions& o) {
  if (o.max_drop >= 0.0 && DropUpperBound(e, o.confidence) > o.max_drop + 1e-9) return false;
  return e.output_sqnr_db >= o.min_sqnr_db;
}

Result<MixedResult> ChooseMixedPrecision(const std::vector<LayerWeights>& shapes, const PtqOptions& base,
                                         const MixedPrecisionOptions& options, const MixedEvaluate& evaluate,
                                         const std::function<void(size_t, size_t)>& progress) {
  std::vector<std::string> layers;
  std::map<std::string, WeightEncoding> small_of;  // the small format each layer would take
  for (const LayerWeights& w : shapes) {
    layers.push_back(w.name);
    WeightEncoding s = options.small;
    if (EncodedWeightBytes(w, s) >= w.elements && s.per_channel_codebook) s.per_channel_codebook = false;
    small_of[w.name] = s;
  }
  if (options.max_drop < 0.0 && !(options.min_sqnr_db > -std::numeric_limits<double>::infinity())) {
    return Status::Error("quantize: automatic mixed precision needs a budget (a maximum drop or a minimum SQNR)");
  }
  if (!(options.confidence == 0.0 || (options.confidence >= 0.5 && options.confidence < 1.0))) {
    return Status::Error("quantize: the drop bound's confidence must lie in [0.5, 1) (0: no bound), not " +
                         std::to_string(options.confidence));
  }
  const WeightEncoding int8{WeightFormat::kInt8, false}, half{WeightFormat::kFloat16, false};
  MixedResult r;
  size_t total = 2 * layers.size() + 16;
  auto eval = [&](const std::map<std::string, WeightEncoding>& lw, bool all) -> Result<MixedEvaluation> {
    PtqOptions o = base;
    o.layer_weights = lw;
    Result<MixedEvaluation> e = evaluate(o, all);
    if (e.ok()) e.value().drop_bound = DropUpperBound(e.value(), options.confidence);
    ++r.evaluations;
    if (progress) progress(r.evaluations, std::max(total, r.evaluations));
    return e;
  };
  // The largest k in [lo, hi] with ok(k), assuming ok is monotone and ok(lo).
  auto largest = [&](size_t lo, size_t hi, const std::function<Result<bool>(size_t)>& ok) -> Result<size_t> {
    while (lo < hi) {
      const size_t mid = (lo + hi + 1) / 2;
      Result<bool> m = ok(mid);
      if (!m.ok()) return m.status();
      if (m.value()) lo = mid; else hi = mid - 1;
    }
    return lo;
  };

  std::map<std::string, WeightEncoding> chosen;
  for (const std::string& l : layers) chosen[l] = int8;
  std::map<std::string, MixedChoice> why;
  for (const std::string& l : layers) why[l] = {l, "int8", 0.0, ""};

  // 1. int8 everywhere, or the fewest float16 layers that meet the budget.
  Result<MixedEvaluation> all8 = eval(chosen, true);
  if (!all8.ok()) return all8.status();
  if (!MeetsBudget(all8.value(), options)) {
    std::vector<std::pair<double, std::string>> gain;  // output SQNR with the layer alone in float16
    for (const std::string& l : layers) {
      auto lw = chosen;
      lw[l] = half;
      Result<MixedEvaluation> e = eval(lw, false);
      if (!e.ok()) return e.status();
      gain.push_back({e.value().output_sqnr_db, l});
      why[l].alone_sqnr_db = e.value().output_sqnr_db;
    }
    std::stable_sort(gain.begin(), gain.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    auto with_half = [&](size_t k) {
      auto lw = chosen;
      for (size_t i = 0; i < k; ++i) lw[gain[i].second] = half;
      return lw;
    };
    Result<MixedEvaluation> all_half = eval(with_half(gain.size()), true);
    if (!all_half.ok()) return all_half.status();
    if (!MeetsBudget(all_half.value(), options)) {
      return Status::Error("quantize: the budget cannot be met even with every weighted layer in float16 (output SQNR " +
                           Db(all_half.value().output_sqnr_db) + ", " + DropText(all_half.value(), options) + ")" +
                           (Uncertified(all_half.value(), options)
                                ? ": the measured drop is within the budget but these samples cannot certify it; judge on "
                                  "more samples (budget images) or allow a larger drop"
                                : ""));
    }
    // Smallest k meeting the budget = largest count of int8 layers kept.
    Result<size_t> keep8 = largest(0, gain.size(), [&](size_t j) -> Result<bool> {
      Result<MixedEvaluation> e = eval(with_half(gain.size() - j), true);
      if (!e.ok()) return e.status();
      return MeetsBudget(e.value(), options);
    });
    if (!keep8.ok()) return keep8.status();
    const size_t k = gain.size() - keep8.value();
    chosen = with_half(k);
    for (size_t i = 0; i < k; ++i) {
      why[gain[i].second].format = "float16";
      why[gain[i].second].why = "float16: rank " + std::to_string(i + 1) + " of " + std::to_string(gain.size()) +
                                " by how much float16 here helps (" + Db(gain[i].first) + " alone); int8 missed the budget";
    }
  }

  // 2. Sensitivity of each remaining int8 layer to the small format.
  std::vector<std::pair<double, std::string>> harm;  // output SQNR with the layer alone small
  for (const LayerWeights& w : shapes) {
    const std::string& l = w.name;
    if (chosen[l].format != WeightFormat::kInt8) continue;
    if (EncodedWeightBytes(w, small_of[l]) >= w.elements) {
      why[l].why = "int8: " + WeightEncodingName(small_of[l]) + " would not be smaller";
      continue;
    }
    auto lw = chosen;
    lw[l] = small_of[l];
    Result<MixedEvaluation> e = eval(lw, false);
    if (!e.ok()) return e.status();
    harm.push_back({e.value().output_sqnr_db, l});
    why[l].alone_sqnr_db = e.value().output_sqnr_db;
  }
  std::stable_sort(harm.begin(), harm.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  auto with_small = [&](size_t k) {
    auto lw = chosen;
    for (size_t i = 0; i < k; ++i) lw[harm[i].second] = small_of[harm[i].second];
    return lw;
  };
  // 3. As many of the least sensitive as the budget allows.
  Result<size_t> k = largest(0, harm.size(), [&](size_t j) -> Result<bool> {
    Result<MixedEvaluation> e = eval(with_small(j), true);
    if (!e.ok()) return e.status();
    return MeetsBudget(e.value(), options);
  });
  if (!k.ok()) return k.status();
  chosen = with_small(k.value());
  for (size_t i = 0; i < harm.size(); ++i) {
    MixedChoice& c = why[harm[i].second];
    const std::string small = WeightEncodingName(small_of[harm[i].second]);
    const std::string rank = "rank " + std::to_string(i + 1) + " of " + std::to_string(harm.size()) +
                             " by 4-bit sensitivity (" + Db(harm[i].first) + " alone)";
    if (i < k.value()) {
      c.format = small;
      c.why = small + ": " + rank;
    } else {
      c.why = "int8: " + rank + "; " + small + " here would miss the budget";
    }
  }
  Result<MixedEvaluation> final_e = eval(chosen, true);
  if (!final_e.ok()) return final_e.status();
  if (!MeetsBudget(final_e.value(), options)) return Status::Error("quantize: mixed precision did not settle on the budget");
  r.options = base;
  r.options.layer_weights = chosen;
  r.quality = final_e.value();
  r.confidence = options.confidence;
  for (const std::string& l : layers) r.choices.push_back(why[l]);
  return r;
}

}  // namespace qwasm
