// learned_rounding.h — learned rounding (ptq/adaround.h) of a weighted
// layer's whole filter, in the weight format it is stored in. The format
// gives each weight its two candidates:
//   int8, int4:  the levels either side of it on its channel's scale;
//   lut4, lut8:  the codebook entries either side of it;
// this runs AdaRound over the filter's rows with the layer's input moments
// (ptq/layer_moments.h) and returns the code chosen for each weight. Rows:
//   CONV_2D, FULLY_CONNECTED  filter [O][...]: a row per output channel,
//                             one moment for all;
//   DEPTHWISE_CONV_2D         filter [1][kh][kw][C]: channel c's kh kw taps
//                             (C apart) a row, with its own moment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "graph/graph.h"
#include "ptq/adaround.h"
#include "ptq/codebook.h"

namespace qwasm {

// Where learned rounding finds each layer's input moments (one, or one per
// channel of a depthwise layer), by node index of the float graph. Made
// when asked, so that only the layer being learned holds a full copy.
class LayerMomentsSource {
 public:
  virtual ~LayerMomentsSource() = default;
  // Whether `node` is to be learned.
  virtual bool Has(size_t node) const = 0;
  // Whether its moments can be had now. The sequential form measures a
  // layer's input in the graph with the layers before it learned, so a
  // layer is ready only once they are; quantizing stops learning at the
  // first layer not ready (it and those after it round to nearest).
  virtual bool Ready(size_t node) const { return Has(node); }
  virtual std::vector<LayerMoments> Get(size_t node) const = 0;
};

// What the quantize report says of one layer's rounding. The SQNRs are of
// the layer's output against float over the moments' inputs (the
// sequential form: against the float graph's output, with the input the
// layers quantized before give it), before its activation is quantized.
struct LayerRounding {
  bool learned = false;
  int iterations = 0;  // Adam steps run (the most of any row group)
  double nearest_sqnr_db = 0, learned_sqnr_db = 0;  // +inf when exact
  size_t changed = 0, weights = 0;  // weights rounded the other way than nearest, of all
  double seconds = 0;
  // Not learned, or learned without steps: why (its moments were over the
  // memory limit; they were shrunk past AdaRoundOptions::max_shrink).
  std::string note;
};

// The codes (levels or codebook indices) for filter `w` (float32, `count`
// elements, `depthwise` layout or not, `rows` output channels). Fails when
// the moments do not fit the filter.
Result<std::vector<int32_t>> LearnFilterRounding(const float* w, size_t count, size_t rows, bool depthwise,
                                                 const RoundingCandidates& candidates,
                                                 const std::vector<LayerMoments>& moments,
                                                 const AdaRoundOptions& options, LayerRounding* report);

// The candidates of codebook weights (ptq/codebook.h; element i of channel
// (i / inner) % channels): the entries either side of w / scale, codes their
// indices (the first of equal entries), nearest as NearestEntry.
void CodebookCandidates(const float* w, size_t count, size_t channels, size_t inner, bool per_channel_codebook,
                        const CodebookWeights& cb, RoundingCandidates* c);

}  // namespace qwasm
