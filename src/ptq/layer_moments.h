// layer_moments.h — the second moments of a weighted layer's input over the
// calibration samples, E[x x^T] for the rows x its weights multiply: what
// learned rounding (ptq/learned_rounding.h) needs, instead of the samples
// themselves.
//   CONV_2D (one group):  x = the im2col row of an output position, K = kh kw
//                         in_c in the filter's (ky, kx, ci) order, padding 0;
//   FULLY_CONNECTED:      x = an input row of K features;
//   DEPTHWISE_CONV_2D     (multiplier 1): per channel c, x = the window's
//                         kh kw taps of channel c: one K = kh kw moment per
//                         channel, since channel c's weights see only those.
// Positions are subsampled evenly (at most `max_positions` per sample) and
// summed in a fixed order, so the same samples always give the same bytes.
// A paired collector takes each sample twice, as the partly quantized graph
// gives it (x~) and as the float graph does (x), and also sums E[x~ x^T]
// and E[x x^T] and the means E[x~], E[x] (LayerMoments::cross,
// reference_gram, mean, reference_mean): learned rounding's sequential form.
#pragma once

#include <cstddef>
#include <vector>

#include "core/status.h"
#include "graph/graph.h"
#include "kernels/params.h"
#include "ptq/adaround.h"

namespace qwasm {

class LayerMomentsCollector {
 public:
  // A layer's moments take groups x K x K doubles, three times that paired:
  // 64 MB by default (input rows up to 2896 values, 1672 paired;
  // MobileNetV2's largest, 1280, take 13 MB, 39 MB paired). Only the layer
  // being learned holds them.
  static constexpr size_t kMaxBytes = size_t{64} << 20;

  // For float node `n` of `g`; an error for other operators, grouped
  // convolutions, depthwise multipliers above 1, and moments larger than
  // `max_bytes` (checked before anything is allocated; a paired collector
  // needs twice the sums).
  static Result<LayerMomentsCollector> For(const Graph& g, const Node& n, size_t max_positions = 256,
                                           size_t max_bytes = kMaxBytes, bool paired = false);
  // The K x K sums, and room for the rows kept while they are few.
  size_t bytes() const {
    return (sums_.size() + cross_.size() + ref_sums_.size()) * k_ * k_ * sizeof(double) +
           keep_rows_ * k_ * sizeof(float);
  }

  // One sample's input tensor (the node's input 0, float32). Paired: x~ as
  // `input`, x as `reference` (same shape; null: x = x~); else `reference` is ignored.
  void Add(const float* input, const float* reference = nullptr);

  // How many moments there are (1, or the channels of a depthwise layer)
  // and the mean over the rows added so far of moment `group` (with the
  // rows themselves when there are at most K / 4).
  //
  // `shrink_weight` w > 0 pulls moments measured on few rows towards their
  // diagonals: with R rows of K values the off-diagonal entries of gram,
  // cross and reference_gram are scaled by 1 - a, a = w K / (R + w K)
  // (LayerMoments::shrink; the diagonal stays). With w = 4, R = 100 rows of
  // K = 1280 (a classifier) give a = 0.98, 4900 rows of 960 (a 7 x 7 layer)
  // 0.44, 25600 rows of 144 0.02. Learned rounding then minimises a mix of the layer's
  // output error and each input's own share of it, and fits the
  // calibration samples less closely where they determine the full moments
  // poorly (Ledoit and Wolf's shrinkage of a sample covariance, with a
  // fixed weight).
  size_t groups() const { return sums_.size(); }
  LayerMoments Moments(size_t group, double shrink_weight = 0) const;
  size_t rows() const { return rows_; }  // rows added per group

 private:
  Status Allocate(size_t groups, size_t max_bytes);  // sums_, within max_bytes
  void AddRow();  // row_ (and ref_ when paired) into group 0
  void AddCross(size_t group);  // cross_[group] += row_ ref_^T, ref_sums_[group] += ref_ ref_^T

  enum class Kind { kConv, kFullyConnected, kDepthwise };
  Kind kind_ = Kind::kConv;
  WindowShape s_;       // conv and depthwise
  size_t k_ = 0;        // row length
  size_t fc_rows_ = 0;  // fully connected: rows per sample
  size_t max_positions_ = 256;
  bool paired_ = false;
  std::vector<std::vector<double>> sums_;  // per group, K x K (upper triangle filled)
  size_t rows_ = 0;
  // One group: the rows themselves while there are at most keep_rows_ (K / 4,
  // within max_bytes) of them, for LayerMoments::rows; dropped beyond.
  size_t keep_rows_ = 0;
  std::vector<float> kept_;
  std::vector<std::vector<double>> cross_;     // paired: per group, K x K (all of it)
  std::vector<std::vector<double>> ref_sums_;  // paired: per group, x x^T (upper triangle)
  std::vector<std::vector<double>> mean_sums_, ref_mean_sums_;  // paired: per group, x~ and x (K each)
  std::vector<double> row_, ref_;  // scratch: x~ and x
};

}  // namespace qwasm
