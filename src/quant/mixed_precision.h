// mixed_precision.h — automatic per-layer weight formats: the smallest model
// whose quantized outputs stay within a user budget.
//
// The budget is measured on held calibration samples against the float
// model: a top-1 accuracy drop (max_drop, in points: with labelled samples
// the measured drop; without labels the share of samples whose class
// changes, which bounds the drop, as each change costs at most one correct
// answer) and/or a minimum output SQNR.
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
// the budget.
#pragma once

#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/status.h"
#include "quant/ptq.h"

namespace qwasm {

struct MixedPrecisionOptions {
  double max_drop = -1.0;  // points of top-1 agreement; < 0: no such budget
  double min_sqnr_db = -std::numeric_limits<double>::infinity();
  WeightEncoding small{WeightFormat::kLut4, true};
};

struct MixedEvaluation {
  double output_sqnr_db = 0.0;
  double agreement = 1.0;  // share of samples whose top-1 equals the float model's
  double drop = 0.0;       // top-1 points lost against the float model (see above)
  bool labelled = false;   // drop measured against labels
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
  MixedEvaluation quality;  // of that configuration, on all samples
  std::vector<MixedChoice> choices;
  size_t evaluations = 0;
};

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
