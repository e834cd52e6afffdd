// mixed_precision.h — automatic per-layer weight formats: the smallest model
// whose quantized outputs stay within a user budget.
//
// The budget is judged on held samples against the float model: a top-1
// accuracy drop (max_drop, in points) and/or a minimum output SQNR.
//
// The drop guard. A configuration's answers are compared with the float
// model's, sample by sample (paired): with labels, `lost` = float right and
// quantized wrong, `gained` = the reverse, drop = (lost - gained) / n;
// without labels every changed answer counts as lost (a change costs at most
// one correct answer, so the share of changes bounds the drop). A drop
// measured on n samples is noisy (sd about sqrt(lost + gained) / n: with 25
// changes in 1000 samples, 0.5 points), so a configuration is accepted only
// when a one-sided upper confidence bound of its drop lies within max_drop:
// the Wald bound for a difference of matched proportions with 0.5 added to
// each cell of the 2x2 table (Agresti & Min 2005; McNemar's discordant-pair
// variance, and a sane bound when no answer changes):
//   m = n + 2, d = (lost - gained) / m,
//   bound = d + z * sqrt((lost + gained + 1) - (lost - gained)^2 / m) / m,
// z the standard normal quantile of `confidence` (1.645 at 0.95). The bound
// holds per configuration; the search compares ~10 nested configurations on
// the same samples, so judging on samples kept apart from calibration
// (Quantizer::AddBudgetImage) and a large n matter more than the exact level.
//
// Search (evaluations of whole quantized graphs, so interactions between
// layers are measured, not modelled):
//   1. all weighted layers int8. If that misses the budget, rank layers by
//      how much keeping each one alone in float16 helps, and move the fewest
//      top-ranked layers to float16 that meet it (binary search).
//   2. sensitivity to the small format: for each int8 layer, the output SQNR
//      with only that layer in `small` (the others as chosen so far). A
//      per-channel codebook that would not be smaller than int8 (a few
//      weights per channel, e.g. 3x3 depthwise) is replaced by a per-layer
//      one; a layer that no small format shrinks stays int8.
//   3. the least sensitive layers move to `small`, as many as still meet
//      the budget (binary search over the ranking).
// Binary searches assume more float16 layers help and more small layers
// hurt; each accepted configuration is measured, so the result always meets
// the budget (its bound, on the judged samples).
#pragma once

#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/status.h"
#include "ptq/ptq.h"

namespace qwasm {

struct MixedPrecisionOptions {
  double max_drop = -1.0;  // points of top-1 agreement; < 0: no such budget
  double min_sqnr_db = -std::numeric_limits<double>::infinity();
  WeightEncoding small{WeightFormat::kLut4, true};
  // One-sided confidence of the drop bound, in [0.5, 1); 0: no guard (the
  // measured drop itself must lie within max_drop).
  double confidence = 0.95;
};

struct MixedEvaluation {
  double output_sqnr_db = 0.0;
  double agreement = 1.0;  // share of samples whose top-1 equals the float model's
  double drop = 0.0;       // top-1 points lost against the float model (see above)
  bool labelled = false;   // drop measured against labels
  // The paired counts behind `drop` (samples == 0: none given; the drop is
  // then taken as it is). Without labels lost = changed, gained = 0.
  size_t samples = 0, lost = 0, gained = 0, changed = 0;
  bool held_out = false;  // judged on samples kept apart from calibration
  double drop_bound = 0.0;  // filled by ChooseMixedPrecision: DropUpperBound
};

// A configuration's measured quality; `all_samples` false allows a cheaper
// estimate (used for the sensitivity ranking only).
using MixedEvaluate = std::function<Result<MixedEvaluation>(const PtqOptions&, bool all_samples)>;

struct MixedChoice {
  std::string layer;
  std::string format;        // WeightEncodingName
  double alone_sqnr_db = 0;  // output SQNR with only this layer changed (step 1 or 2)
  std::string why;
};

struct MixedResult {
  PtqOptions options;       // base options with layer_weights filled in
  MixedEvaluation quality;  // of that configuration, on all samples (drop_bound filled)
  double confidence = 0.0;  // of quality.drop_bound (0: no guard)
  std::vector<MixedChoice> choices;
  size_t evaluations = 0;
};

// The standard normal quantile: P(Z <= z) = p, for p in (0, 1).
double NormalQuantile(double p);

// The upper confidence bound of e's drop in points (see above); the measured
// drop when confidence is 0 or e carries no counts.
double DropUpperBound(const MixedEvaluation& e, double confidence);

// "top-1 drop 0.10 points, 95% upper bound 0.99 on 1000 samples (15 lost,
// 14 gained)" (the bound part only with counts and a confidence).
std::string DropText(const MixedEvaluation& e, const MixedPrecisionOptions& o);

// The bound within max_drop (when given) and the SQNR at least min_sqnr_db.
bool MeetsBudget(const MixedEvaluation& e, const MixedPrecisionOptions& o);

// The shape of a weighted layer's filter: element count and output channels.
struct LayerWeights {
  std::string name;
  size_t elements = 0;
  size_t channels = 1;
};

// Stored bytes of such a filter in encoding e (codebooks included; scales
// and bias, the same for every integer format, excluded).
size_t EncodedWeightBytes(const LayerWeights& w, const WeightEncoding& e);

// layers: the weighted layers to choose for, in graph order.
// progress(done, total) after each evaluation (total is an estimate).
Result<MixedResult> ChooseMixedPrecision(const std::vector<LayerWeights>& layers, const PtqOptions& base,
                                         const MixedPrecisionOptions& options, const MixedEvaluate& evaluate,
                                         const std::function<void(size_t, size_t)>& progress = {});

}  // namespace qwasm
