// observers.h — calibration observers: how the range [lo, hi] that an
// activation's int8 grid covers is chosen from the values it took over the
// calibration samples.
//
// Every method ends in a TensorRange, which QuantizeGraph turns into the
// asymmetric int8 grid of ActivationQuant (ptq/ptq.h) exactly as before;
// only the choice of range changes. The methods are those of the common
// toolkits:
//   minmax          the extreme values seen (TFLite converter, qwasm's default);
//   moving-average  per-sample min and max, exponentially averaged with
//                   constant c = 0.01 (PyTorch's MovingAverageMinMaxObserver);
//   percentile      clip (100 - p) / 2 percent of the values off each tail
//                   (ONNX Runtime's percentile calibrator, asymmetric form);
//   mse             the range whose int8 grid minimises the expected squared
//                   error, clipping plus rounding noise, over the histogram;
//   kl              TensorRT's entropy calibration: the threshold whose
//                   128-level quantized histogram Q is closest to P in
//                   KL(P || Q) (signed tensors: see KlRange);
//   output          per tensor, the candidate among the ranges above (and
//                   tighter percentiles) whose grid, alone in the float
//                   graph, least changes the model's output on the first
//                   16 kept samples (ptq/output_ranges.h); mse until then.
// The histogram methods see every value once, in one streaming pass with a
// fixed number of bins (class Histogram); nothing is random and sums run in
// a fixed order, so the same samples always give the same ranges.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "ptq/ptq.h"

namespace qwasm {

enum class CalibrationMethod { kMinMax, kMovingAverage, kPercentile, kMse, kKl, kOutput };

struct CalibrationOptions {
  CalibrationMethod method = CalibrationMethod::kMinMax;
  double percentile = 99.99;         // kPercentile: share of values kept, in (0, 100]
  double averaging_constant = 0.01;  // kMovingAverage: weight of each new sample (PyTorch's default)
  int bins = 2048;                   // histogram methods (TensorRT's 2048)
  // Cross-layer equalization of the float graph before any sample is seen
  // (ptq/equalize.h); the quantizer then calibrates the equalized graph.
  bool equalize = false;
  // Learn the weights' rounding at Finish (Quantizer::LearnSequentially),
  // from each weighted layer's input moments (ptq/layer_moments.h).
  bool input_moments = false;
};

// "minmax", "moving-average", "percentile", "mse", "kl", "output"; an unknown name is
// an error that lists these.
Result<CalibrationMethod> ParseCalibrationMethod(const std::string& name);
const char* CalibrationMethodName(CalibrationMethod method);

class Histogram;

// Values of one tensor, one calibration sample at a time.
class Observer {
 public:
  virtual ~Observer() = default;
  virtual void Observe(const float* x, size_t n) = 0;  // one sample's values (NaN and ±inf ignored by histograms)
  virtual TensorRange Range() const = 0;                // unseen: TensorRange{} (not seen())
  virtual const Histogram* histogram() const { return nullptr; }  // histogram methods: the values seen
};

std::unique_ptr<Observer> MakeObserver(const CalibrationOptions& options);

// A histogram with a fixed number of bins of width w = 2^k, anchored at 0:
// bin j (an integer, negative below 0) counts the values in [j w, (j+1) w).
// k is the smallest exponent for which all values seen so far fit in `bins`
// consecutive bins. When new values do not fit, k grows and each new bin is
// the exact sum of 2^d old ones (the edges of the coarse grid are edges of
// the fine one), so no count is ever split or estimated: the result after any
// sequence of Add calls equals one Add of all the values together. Memory is
// `bins` counters whatever the number of values.
class Histogram {
 public:
  explicit Histogram(int bins = 2048);

  void Add(const float* x, size_t n);  // ignores NaN and ±inf

  int bins() const { return static_cast<int>(counts_.size()); }
  double width() const;                 // 2^k; 0 before any value
  int exponent() const { return exp_; }
  int64_t first() const { return first_; }  // bin index of counts()[0]
  const std::vector<uint64_t>& counts() const { return counts_; }
  uint64_t total() const { return total_; }
  float min() const { return min_; }  // exact extremes of the values added
  float max() const { return max_; }
  // Count of bin j (0 outside the window).
  uint64_t count(int64_t j) const;

 private:
  bool Fits(int exp, float lo, float hi) const;
  void Rescale(int new_exp, float new_min);

  std::vector<uint64_t> counts_;
  int exp_ = 0;
  int64_t first_ = 0;  // = floor(min / w): the window starts at the smallest value
  uint64_t total_ = 0;
  float min_ = 0.0f, max_ = 0.0f;
};

// The range methods over a histogram (all return the observed min/max when
// the histogram is too coarse for the method to choose anything else).
//
// Keeps percent p of the values: the range runs from the lower edge of the
// bin holding the first kept value to the upper edge of the bin holding the
// last, each clamped to the observed extremes, where (100 - p) / 2 percent of
// the total count is cut from each tail. p = 100 gives [min, max].
TensorRange PercentileRange(const Histogram& h, double percent);

// Expected squared error of quantizing the histogram's values with the int8
// grid ActivationQuant(r): values are taken as spread uniformly over their
// bin (the end bins over their part of [min, max]); a value inside the grid
// costs step^2 / 12, one outside it its squared distance to the grid's end.
double ExpectedQuantError(const Histogram& h, const TensorRange& r);
// The range among candidates at bin edges (at most kMseCandidates per side
// of 0, evenly spaced, always including min and max) that minimises
// ExpectedQuantError; ties go to the wider range.
TensorRange MseRange(const Histogram& h);
constexpr int kMseCandidates = 256;

// TensorRT's entropy calibration on the histogram of |x| (bin j < 0 folds
// onto bin -j - 1, exactly, as the grid is anchored at 0): for every count
// i >= levels of kept bins, P = the first i bins with the rest added to bin
// i - 1, Q = the first i bins merged into `levels` groups and spread back
// over the non-empty bins of each group; the i with the smallest KL(P || Q)
// gives the threshold t = i w (TensorRT writes (i + 0.5) w; i w is the edge
// where P piles the clipped values). A candidate with Q = 0 where P > 0 has
// infinite divergence. Signed tensors: our grid is asymmetric, so rather
// than the symmetric [-t, t] the range is [max(min, -t), min(max, t)]: one
// threshold for both tails, chosen on the folded histogram, and never wider
// than what was observed. One-sided tensors (ReLU outputs) are TensorRT's
// case. One change, from NVIDIA's pytorch-quantization calibrator: bin 0
// (the spike of exact zeros) counts as bin 1. 128 levels for every tensor,
// as TensorRT (pytorch-quantization uses 256 for unsigned tensors; on
// MobileNetV2 that measured 89.25% top-1 against 89.75% with 128).
TensorRange KlRange(const Histogram& h, int levels = 128);
// KL(P || Q) of TensorRT's candidate i over magnitude counts `mag` (exposed
// for tests); +inf when Q = 0 somewhere P > 0.
double KlDivergence(const std::vector<uint64_t>& mag, int i, int levels);

}  // namespace qwasm
