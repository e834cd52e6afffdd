#include "ptq/observers.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qwasm {

namespace {

struct MethodName {
  CalibrationMethod method;
  const char* name;
};
constexpr MethodName kMethods[] = {{CalibrationMethod::kMinMax, "minmax"},
                                   {CalibrationMethod::kMovingAverage, "moving-average"},
                                   {CalibrationMethod::kPercentile, "percentile"},
                                   {CalibrationMethod::kMse, "mse"},
                                   {CalibrationMethod::kKl, "kl"},
                                   {CalibrationMethod::kOutput, "output"}};

// The smallest bin exponent allowed for values up to `maxabs`: bin indices
// stay below 2^41 in magnitude (int64 and double hold them exactly), and an
// all-zero tensor gets a tiny but finite width. It only grows with maxabs,
// which keeps streaming and one-shot histograms identical.
constexpr int kMinExp = -100;
int ExpFloor(float lo, float hi) {
  const float maxabs = std::max(std::fabs(lo), std::fabs(hi));
  return maxabs > 0.0f ? std::max(std::ilogb(maxabs) - 40, kMinExp) : kMinExp;
}

// floor(v / 2^exp); exact (scaling by a power of two, far from under/overflow).
int64_t BinIndex(double v, int exp) { return static_cast<int64_t>(std::floor(std::ldexp(v, -exp))); }

// floor(a / 2^d) for d >= 0, without relying on how >> treats negatives.
int64_t FloorShift(int64_t a, int d) {
  if (d >= 62) return a >= 0 ? 0 : -1;  // |a| < 2^42
  return a >= 0 ? (a >> d) : -(((-a) - 1) >> d) - 1;
}

class MinMaxObserver : public Observer {
 public:
  void Observe(const float* x, size_t n) override { range_.Update(x, n); }
  TensorRange Range() const override { return range_; }

 private:
  TensorRange range_;
};

// PyTorch's MovingAverageMinMaxObserver: the first sample's extremes, then
// m <- m + c (sample extreme - m) for each further sample.
class MovingAverageObserver : public Observer {
 public:
  explicit MovingAverageObserver(double c) : c_(c) {}
  void Observe(const float* x, size_t n) override {
    TensorRange s;
    s.Update(x, n);
    if (!s.seen()) return;
    if (!seen_) {
      lo_ = s.min;
      hi_ = s.max;
      seen_ = true;
    } else {
      lo_ += c_ * (s.min - lo_);
      hi_ += c_ * (s.max - hi_);
    }
  }
  TensorRange Range() const override {
    TensorRange r;
    if (seen_) {
      r.min = static_cast<float>(lo_);
      r.max = static_cast<float>(hi_);
    }
    return r;
  }

 private:
  double c_, lo_ = 0.0, hi_ = 0.0;
  bool seen_ = false;
};

class HistogramObserver : public Observer {
 public:
  explicit HistogramObserver(const CalibrationOptions& o) : options_(o), hist_(o.bins) {}
  void Observe(const float* x, size_t n) override { hist_.Add(x, n); }
  TensorRange Range() const override {
    switch (options_.method) {
      case CalibrationMethod::kPercentile: return PercentileRange(hist_, options_.percentile);
      case CalibrationMethod::kMse:
      case CalibrationMethod::kOutput: return MseRange(hist_);  // until the output's error chooses
      case CalibrationMethod::kKl: return KlRange(hist_);
      default: break;
    }
    TensorRange r;
    if (hist_.total() > 0) r = {hist_.min(), hist_.max()};
    return r;
  }
  const Histogram* histogram() const override { return &hist_; }

 private:
  CalibrationOptions options_;
  Histogram hist_;
};

}  // namespace

Result<CalibrationMethod> ParseCalibrationMethod(const std::string& name) {
  std::string valid;
  for (const MethodName& m : kMethods) {
    if (name == m.name) return m.method;
    valid += std::string(valid.empty() ? "" : ", ") + m.name;
  }
  return Status::Error("unknown calibration method \"" + name + "\" (valid: " + valid + ")");
}

const char* CalibrationMethodName(CalibrationMethod method) {
  for (const MethodName& m : kMethods) {
    if (m.method == method) return m.name;
  }
  return "?";
}

std::unique_ptr<Observer> MakeObserver(const CalibrationOptions& options) {
  switch (options.method) {
    case CalibrationMethod::kMinMax: return std::make_unique<MinMaxObserver>();
    case CalibrationMethod::kMovingAverage: return std::make_unique<MovingAverageObserver>(options.averaging_constant);
    default: return std::make_unique<HistogramObserver>(options);
  }
}

// ---------------------------------------------------------------- Histogram

Histogram::Histogram(int bins) : counts_(static_cast<size_t>(std::max(bins, 2)), 0) {}

double Histogram::width() const { return total_ ? std::ldexp(1.0, exp_) : 0.0; }

uint64_t Histogram::count(int64_t j) const {
  const int64_t i = j - first_;
  return i >= 0 && i < bins() ? counts_[static_cast<size_t>(i)] : 0;
}

bool Histogram::Fits(int exp, float lo, float hi) const {
  return BinIndex(hi, exp) - BinIndex(lo, exp) + 1 <= bins();
}

// Coarser bins (new_exp >= exp_) and a window starting at new_min's bin.
// Every old bin lies inside one new bin, so counts move whole.
void Histogram::Rescale(int new_exp, float new_min) {
  const int d = new_exp - exp_;
  const int64_t new_first = BinIndex(new_min, new_exp);
  std::vector<uint64_t> c(counts_.size(), 0);
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    c[static_cast<size_t>(FloorShift(first_ + static_cast<int64_t>(i), d) - new_first)] += counts_[i];
  }
  counts_.swap(c);
  exp_ = new_exp;
  first_ = new_first;
}

void Histogram::Add(const float* x, size_t n) {
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) continue;
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  if (!(lo <= hi)) return;
  if (total_ == 0) {
    // Start just below the smallest exponent that can fit (w < span / bins
    // cannot), then take the first that does.
    int e = ExpFloor(lo, hi);
    const double span = static_cast<double>(hi) - lo;
    if (span > 0) e = std::max(e, std::ilogb(span / bins()) - 1);
    while (!Fits(e, lo, hi)) ++e;
    exp_ = e;
    first_ = BinIndex(lo, e);
    min_ = lo;
    max_ = hi;
  } else {
    const float new_min = std::min(min_, lo), new_max = std::max(max_, hi);
    int e = std::max(exp_, ExpFloor(new_min, new_max));
    while (!Fits(e, new_min, new_max)) ++e;
    if (e != exp_ || new_min < min_) Rescale(e, new_min);
    min_ = new_min;
    max_ = new_max;
  }
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) continue;
    ++counts_[static_cast<size_t>(BinIndex(x[i], exp_) - first_)];
    ++total_;
  }
}

// ----------------------------------------------------------- range methods

namespace {

// The part of bin i (window index) that values can occupy.
void BinBounds(const Histogram& h, size_t i, double* l, double* r) {
  const double w = h.width();
  *l = std::max<double>(h.min(), static_cast<double>(h.first() + static_cast<int64_t>(i)) * w);
  *r = std::min<double>(h.max(), static_cast<double>(h.first() + static_cast<int64_t>(i) + 1) * w);
}

struct Grid {
  double lo, hi, step;  // the real values of q = -128 and q = 127, and the scale
};
Grid GridOf(const TensorRange& r) {
  const QuantInfo q = ActivationQuant(r);
  const double s = q.scale[0];
  return {s * (-128 - q.zero_point[0]), s * (127 - q.zero_point[0]), s};
}

// Squared error of n values spread uniformly over [l, r] (a point when l == r).
double BinError(double l, double r, double n, const Grid& g) {
  if (r <= l) {
    const double v = l;
    if (v < g.lo) return n * (g.lo - v) * (g.lo - v);
    if (v > g.hi) return n * (v - g.hi) * (v - g.hi);
    return n * g.step * g.step / 12.0;
  }
  double e = 0.0;
  if (l < g.lo) {  // clipped to g.lo: integral of (g.lo - x)^2
    const double a = g.lo - l, b = g.lo - std::min(r, g.lo);
    e += (a * a * a - b * b * b) / 3.0;
  }
  if (r > g.hi) {
    const double a = r - g.hi, b = std::max(l, g.hi) - g.hi;
    e += (a * a * a - b * b * b) / 3.0;
  }
  const double inside = std::min(r, g.hi) - std::max(l, g.lo);
  if (inside > 0) e += inside * g.step * g.step / 12.0;
  return e * n / (r - l);
}

}  // namespace

TensorRange PercentileRange(const Histogram& h, double percent) {
  TensorRange out;
  if (h.total() == 0) return out;
  const double cut = static_cast<double>(h.total()) * (100.0 - percent) / 200.0;
  const std::vector<uint64_t>& c = h.counts();
  size_t lo = 0, hi = c.size() - 1;
  uint64_t cum = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    cum += c[i];
    if (static_cast<double>(cum) > cut) { lo = i; break; }
  }
  cum = 0;
  for (size_t i = c.size(); i-- > 0;) {
    cum += c[i];
    if (static_cast<double>(cum) > cut) { hi = i; break; }
  }
  double l, r, unused;
  BinBounds(h, lo, &l, &unused);
  BinBounds(h, hi, &unused, &r);
  out.min = static_cast<float>(l);
  out.max = static_cast<float>(r);
  return out;
}

double ExpectedQuantError(const Histogram& h, const TensorRange& range) {
  const Grid g = GridOf(range);
  double e = 0.0;
  for (size_t i = 0; i < h.counts().size(); ++i) {
    if (h.counts()[i] == 0) continue;
    double l, r;
    BinBounds(h, i, &l, &r);
    e += BinError(l, r, static_cast<double>(h.counts()[i]), g);
  }
  return e;
}

TensorRange MseRange(const Histogram& h) {
  TensorRange out;
  if (h.total() == 0) return out;
  const std::vector<uint64_t>& c = h.counts();
  const size_t nb = c.size();
  const double w = h.width();
  // Prefix sums of n, n E[x], n E[x^2] (x uniform over the bin): the bins
  // wholly inside or wholly outside a grid then cost O(1), and only the (at
  // most two) bins a grid end cuts are integrated directly.
  std::vector<double> s0(nb + 1, 0.0), s1(nb + 1, 0.0), s2(nb + 1, 0.0);
  for (size_t i = 0; i < nb; ++i) {
    double l, r;
    BinBounds(h, i, &l, &r);
    const double n = static_cast<double>(c[i]);
    s0[i + 1] = s0[i] + n;
    s1[i + 1] = s1[i] + (n ? n * (l + r) / 2.0 : 0.0);
    s2[i + 1] = s2[i] + (n ? n * (l * l + l * r + r * r) / 3.0 : 0.0);
  }
  auto window_index = [&](double v) {  // window bin holding v, clamped to [-1, nb]
    const double j = std::floor(v / w) - static_cast<double>(h.first());
    return static_cast<int64_t>(std::clamp(j, -1.0, static_cast<double>(nb)));
  };
  auto cost = [&](const Grid& g) {
    const int64_t kl = window_index(g.lo), kh = window_index(g.hi);
    const auto sum = [](const std::vector<double>& s, int64_t a, int64_t b) {  // bins [a, b)
      return b > a ? s[static_cast<size_t>(b)] - s[static_cast<size_t>(a)] : 0.0;
    };
    const int64_t below_end = std::max<int64_t>(kl, 0), above_begin = std::min<int64_t>(kh + 1, nb);
    double e = sum(s2, 0, below_end) - 2 * g.lo * sum(s1, 0, below_end) + g.lo * g.lo * sum(s0, 0, below_end);
    e += sum(s2, above_begin, nb) - 2 * g.hi * sum(s1, above_begin, nb) + g.hi * g.hi * sum(s0, above_begin, nb);
    e += sum(s0, std::max<int64_t>(kl + 1, 0), std::min<int64_t>(kh, nb)) * g.step * g.step / 12.0;
    const auto partial = [&](int64_t k) {  // a bin cut by a grid end
      if (k < 0 || k >= static_cast<int64_t>(nb) || c[static_cast<size_t>(k)] == 0) return 0.0;
      double l, r;
      BinBounds(h, static_cast<size_t>(k), &l, &r);
      return BinError(l, r, static_cast<double>(c[static_cast<size_t>(k)]), g);
    };
    e += partial(kl);
    if (kh != kl) e += partial(kh);
    return e;
  };
  // Candidates, outermost first: min, then the bin edges above it up to 0
  // (or up to max); likewise max and the edges below it down to 0.
  std::vector<double> los = {h.min()}, his = {h.max()};
  const double lo_limit = std::min(0.0, static_cast<double>(h.max()));
  for (int64_t j = h.first() + 1; static_cast<double>(j) * w <= lo_limit; ++j) los.push_back(static_cast<double>(j) * w);
  const double hi_limit = std::max(0.0, static_cast<double>(h.min()));
  for (int64_t j = h.first() + static_cast<int64_t>(nb) - 1; j > h.first() && static_cast<double>(j) * w >= hi_limit; --j) {
    if (static_cast<double>(j) * w < h.max()) his.push_back(static_cast<double>(j) * w);
  }
  auto thin = [](std::vector<double>* v) {  // every k-th, the outermost kept
    if (v->size() <= static_cast<size_t>(kMseCandidates)) return;
    const size_t k = (v->size() + kMseCandidates - 1) / kMseCandidates;
    std::vector<double> t;
    for (size_t i = 0; i < v->size(); i += k) t.push_back((*v)[i]);
    v->swap(t);
  };
  thin(&los);
  thin(&his);
  double best = std::numeric_limits<double>::infinity();
  for (double lo : los) {
    for (double hi : his) {
      TensorRange r;
      r.min = static_cast<float>(lo);
      r.max = static_cast<float>(hi);
      const double e = cost(GridOf(r));
      if (e < best) {
        best = e;
        out = r;
      }
    }
  }
  return out;
}

double KlDivergence(const std::vector<uint64_t>& mag, int i, int levels) {
  const size_t n = static_cast<size_t>(i);
  std::vector<double> p(n), q(n, 0.0);
  double p_total = 0.0, q_total = 0.0;
  for (size_t k = 0; k < mag.size(); ++k) {
    p[std::min(k, n - 1)] += static_cast<double>(mag[k]);  // the clipped tail piles on bin i - 1
    p_total += static_cast<double>(mag[k]);
  }
  const size_t merged = n / static_cast<size_t>(levels);
  for (int g = 0; g < levels; ++g) {
    const size_t start = g * merged, stop = g == levels - 1 ? n : start + merged;
    double sum = 0.0;
    int nonzero = 0;
    for (size_t k = start; k < stop; ++k) {
      sum += static_cast<double>(mag[k]);
      nonzero += mag[k] > 0;
    }
    for (size_t k = start; k < stop; ++k) q[k] = mag[k] > 0 ? sum / nonzero : 0.0;
    q_total += sum;
  }
  double kl = 0.0;
  for (size_t k = 0; k < n; ++k) {
    if (p[k] == 0.0) continue;
    if (q[k] == 0.0) return std::numeric_limits<double>::infinity();
    const double pk = p[k] / p_total, qk = q[k] / q_total;
    kl += pk * std::log(pk / qk);
  }
  return kl;
}

TensorRange KlRange(const Histogram& h, int levels) {
  TensorRange out;
  if (h.total() == 0) return out;
  out = {h.min(), h.max()};
  // |x| histogram: bin j < 0, i.e. [j w, (j + 1) w), is |x| in (-(j + 1) w, -j w].
  std::vector<uint64_t> mag;
  for (size_t i = 0; i < h.counts().size(); ++i) {
    if (h.counts()[i] == 0) continue;
    const int64_t j = h.first() + static_cast<int64_t>(i);
    const size_t k = static_cast<size_t>(j >= 0 ? j : -j - 1);
    if (mag.size() <= k) mag.resize(k + 1, 0);
    mag[k] += h.counts()[i];
  }
  // Zeros (ReLU's, padding's) pile up in bin 0; merging that spike with its
  // neighbours dominates KL and drives the threshold down to where bin 0
  // stays alone (ReLU6 outputs clipped near 1). NVIDIA's pytorch-quantization
  // (_compute_amax_entropy) replaces bin 0 by bin 1, and so do we: zero is
  // exact on our grid whatever the threshold.
  if (mag.size() > 1) mag[0] = mag[1];
  const int bins = static_cast<int>(mag.size());
  if (bins <= levels) return out;  // too few bins to clip anything
  int best_i = bins;
  double best = std::numeric_limits<double>::infinity();
  for (int i = levels; i <= bins; ++i) {
    const double d = KlDivergence(mag, i, levels);
    if (d < best) {  // the first minimum, as TensorRT's argmin
      best = d;
      best_i = i;
    }
  }
  const double t = best_i * h.width();
  out.min = static_cast<float>(std::max<double>(h.min(), -t));
  out.max = static_cast<float>(std::min<double>(h.max(), t));
  return out;
}

}  // namespace qwasm
