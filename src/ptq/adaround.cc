#include "ptq/adaround.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

namespace qwasm {
namespace {

constexpr double kZeta = 1.1, kGamma = -0.1;  // the rectified sigmoid's stretch

double Sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

// The layer's G = E[x~ x~^T] applied to vectors: G itself, or its factor
// (the rows X, G = X^T X / R) when that is cheaper, i.e. R < K / 2; with
// shrunk moments G = (1 - a) X^T X / R + a diag(G).
class Gram {
 public:
  explicit Gram(const LayerMoments& m) : m_(m), k_(m.k) {
    factored_ = m.row_count > 0 && m.rows.size() == m.row_count * m.k && 2 * m.row_count < m.k;
  }

  // u^T G v in double.
  double Quadratic(const double* u, const double* v) const {
    double sum = 0;
    if (factored_) {
      for (size_t r = 0; r < m_.row_count; ++r) {
        const float* x = &m_.rows[r * k_];
        double xu = 0, xv = 0;
        for (size_t j = 0; j < k_; ++j) xu += x[j] * u[j], xv += x[j] * v[j];
        sum += xu * xv;
      }
      sum *= (1 - m_.shrink) / static_cast<double>(m_.row_count);
      for (size_t j = 0; j < k_; ++j) sum += m_.shrink * m_.gram[j * k_ + j] * u[j] * v[j];
      return sum;
    }
    for (size_t i = 0; i < k_; ++i) {
      double row = 0;
      for (size_t j = 0; j < k_; ++j) row += m_.gram[i * k_ + j] * v[j];
      sum += u[i] * row;
    }
    return sum;
  }

  // out = D G for the n rows of D (n x K, float) with the table's float GEMM:
  // G (symmetric) packed as the weights of a K-output layer, or X packed as
  // an R-output layer and X^T / R as a K-output one.
  void Pack(const FGemmKernel& gemm, size_t n) {
    gemm_ = &gemm, n_ = n;
    const int k = static_cast<int>(k_);
    if (!factored_) {
      std::vector<float> gf(k_ * k_);
      for (size_t i = 0; i < k_ * k_; ++i) gf[i] = static_cast<float>(m_.gram[i]);
      g_ = gemm.pack(k, k, gf.data(), k_, nullptr);
      return;
    }
    const size_t rows = m_.row_count;
    std::vector<float> xt(k_ * rows);
    const float inv = static_cast<float>((1 - m_.shrink) / static_cast<double>(rows));
    for (size_t r = 0; r < rows; ++r) {
      for (size_t j = 0; j < k_; ++j) xt[j * rows + r] = m_.rows[r * k_ + j] * inv;
    }
    x_ = gemm.pack(static_cast<int>(rows), k, m_.rows.data(), k_, nullptr);
    xt_ = gemm.pack(k, static_cast<int>(rows), xt.data(), rows, nullptr);
    t_.resize(n * rows);
  }
  void Run(const float* d, float* out) {
    if (!factored_) {
      gemm_->run(g_, FOutput{}, n_, d, k_, out, k_, 0, k_);
      return;
    }
    const size_t rows = m_.row_count;
    gemm_->run(x_, FOutput{}, n_, d, k_, t_.data(), rows, 0, rows);
    gemm_->run(xt_, FOutput{}, n_, t_.data(), rows, out, k_, 0, k_);
    if (m_.shrink == 0) return;
    for (size_t i = 0; i < n_; ++i) {  // + shrink diag(G) d: the gram's diagonal is never shrunk
      for (size_t j = 0; j < k_; ++j) {
        out[i * k_ + j] += static_cast<float>(m_.shrink * m_.gram[j * k_ + j]) * d[i * k_ + j];
      }
    }
  }

 private:
  const LayerMoments& m_;
  size_t k_;
  bool factored_ = false;
  const FGemmKernel* gemm_ = nullptr;
  size_t n_ = 0;
  FGemmWeights g_, x_, xt_;
  std::vector<float> t_;
};

}  // namespace

Result<AdaRoundResult> AdaRound(const float* w, size_t n, size_t k, const float* scale, int32_t qmin, int32_t qmax,
                                const LayerMoments& moments, const FGemmKernel& gemm,
                                const AdaRoundOptions& options) {
  if (moments.k != k) {  // before anything reads n x k weights
    return Status::Error("learned rounding: input moments for " + std::to_string(moments.k) +
                         " inputs, the layer has " + std::to_string(k));
  }
  if (qmin >= qmax) return Status::Error("learned rounding: empty integer range");
  for (size_t c = 0; c < n; ++c) {
    if (!(scale[c] > 0) || !std::isfinite(scale[c])) {
      return Status::Error("learned rounding: channel " + std::to_string(c) + " has scale " + std::to_string(scale[c]));
    }
  }
  RoundingCandidates candidates;
  UniformCandidates(w, n * k, scale, [k](size_t i) { return i / k; }, qmin, qmax, &candidates);
  return AdaRoundPairs(w, n, k, candidates, moments, gemm, options);
}

Result<AdaRoundResult> AdaRoundPairs(const float* w, size_t n, size_t k, const RoundingCandidates& c,
                                     const LayerMoments& moments, const FGemmKernel& gemm,
                                     const AdaRoundOptions& options) {
  const std::string where = "learned rounding: ";
  if (moments.k != k || moments.gram.size() != k * k || (!moments.cross.empty() && moments.cross.size() != k * k) ||
      (!moments.reference_gram.empty() && (moments.cross.size() != k * k || moments.reference_gram.size() != k * k))) {
    return Status::Error(where + "input moments for " + std::to_string(moments.k) + " inputs, the layer has " +
                         std::to_string(k));
  }
  const size_t count = n * k;
  if (c.size() != count || c.up.size() != count || c.down_code.size() != count || c.up_code.size() != count ||
      c.nearest_up.size() != count) {
    return Status::Error(where + std::to_string(c.size()) + " candidate pairs for " + std::to_string(count) +
                         " weights");
  }
  const auto start = std::chrono::steady_clock::now();
  const std::vector<double>& g = moments.gram;
  const std::vector<double>& cross = moments.cross.empty() ? g : moments.cross;
  Gram gram(moments);

  // Per weight: whether it may move (strictly between its candidates), its
  // step up - down, and h's starting point (w - down) / step.
  std::vector<uint8_t> free(count);
  std::vector<double> v(count, 0.0), step(count, 0.0);
  for (size_t i = 0; i < count; ++i) {
    const double lo = c.down[i], hi = c.up[i];
    step[i] = hi - lo;
    const double frac = step[i] > 0 ? (w[i] - lo) / step[i] : 0.0;
    if (!std::isfinite(step[i]) || step[i] < 0 || frac < -1e-6 || frac > 1 + 1e-6) {
      return Status::Error(where + "weight " + std::to_string(i) + " (" + std::to_string(w[i]) +
                           ") lies outside its candidates [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
    free[i] = step[i] > 0 && frac > 1e-6 && frac < 1 - 1e-6;
    if (free[i]) {  // h(V) = frac: sigmoid(V) = (frac - gamma) / (zeta - gamma)
      const double p = (frac - kGamma) / (kZeta - kGamma);
      v[i] = std::log(p / (1 - p));
    }
  }
  // The value weight i takes for a choice (fixed weights: their nearest).
  auto value = [&](size_t i, bool up) {
    return (free[i] ? up : c.nearest_up[i] != 0) ? c.up[i] : c.down[i];
  };

  // r_n = G w_n - E[x~ x^T] w_n (zero when x~ = x). With d = w_s - w,
  // w_s . x~ - w . x = d . x~ + w . (x~ - x), so the error is
  // d^T G d + 2 d^T r + E[(w . (x~ - x))^2] and its gradient 2 (G d + r):
  // d is small, so this suffers none of the cancellation of
  // w_s^T G w_s - 2 w_s^T c. The last term no rounding changes; it is left
  // out of the errors reported.
  // With E[x x^T] (H) that term is w^T (G - C - C^T + H) w = w . r - w . C w
  // + w^T H w, and the energy w^T H w.
  std::vector<double> wd(count), r(count, 0.0);
  for (size_t i = 0; i < count; ++i) wd[i] = w[i];
  AdaRoundResult result;
  const std::vector<double>& h = moments.reference_gram;
  double fixed = 0;  // E[(w . (x~ - x))^2] when H is known
  for (size_t row = 0; row < n; ++row) {
    const double* wc = &wd[row * k];
    if (moments.cross.empty()) {
      result.energy += gram.Quadratic(wc, wc);
      continue;
    }
    double wr = 0, wcw = 0, whw = 0;
    for (size_t j = 0; j < k; ++j) {
      double gw = 0, cw = 0, hw = 0;
      for (size_t l = 0; l < k; ++l) gw += g[j * k + l] * wc[l], cw += cross[j * k + l] * wc[l];
      if (!h.empty()) {
        for (size_t l = 0; l < k; ++l) hw += h[j * k + l] * wc[l];
      }
      r[row * k + j] = gw - cw;
      wr += wc[j] * (gw - cw), wcw += wc[j] * cw, whw += wc[j] * hw;
    }
    if (h.empty()) {
      result.energy += gram.Quadratic(wc, wc);
    } else {
      result.energy += whw;
      fixed += wr - wcw + whw;
    }
  }
  // The error of a choice; `noise`: its d^T G d part alone (the rounding's
  // own noise, positive unless every weight is on its grid).
  auto error_of = [&](const std::vector<uint8_t>& up, double* noise = nullptr) {
    double total = 0, quadratic = 0;
    std::vector<double> d(k);
    for (size_t row = 0; row < n; ++row) {
      for (size_t j = 0; j < k; ++j) d[j] = static_cast<double>(value(row * k + j, up[row * k + j])) - wd[row * k + j];
      double dr = 0;
      for (size_t j = 0; j < k; ++j) dr += d[j] * r[row * k + j];
      const double q = gram.Quadratic(d.data(), d.data());
      quadratic += q;
      total += q + 2 * dr;
    }
    if (noise) *noise = quadratic;
    return h.empty() ? total : std::max(0.0, total + fixed);  // with H a mean square: below 0 only by rounding
  };
  auto codes_of = [&](const std::vector<uint8_t>& up) {
    std::vector<int32_t> codes(count);
    for (size_t i = 0; i < count; ++i) {
      const bool u = free[i] ? up[i] != 0 : c.nearest_up[i] != 0;
      codes[i] = u ? c.up_code[i] : c.down_code[i];
    }
    return codes;
  };

  const std::vector<uint8_t>& nearest = c.nearest_up;
  double nearest_noise = 0;
  result.nearest_error = error_of(nearest, &nearest_noise);
  if (!(nearest_noise > 0) || (!h.empty() && !(result.nearest_error > 0)) ||  // every weight on its grid, or no input
      moments.shrink > options.max_shrink) {
    result.levels = codes_of(nearest);
    result.learned_error = result.nearest_error;
    return result;
  }

  gram.Pack(gemm, n);
  std::vector<float> d(count), gd(count);
  std::vector<double> m1(count, 0.0), m2(count, 0.0);
  const double recon_scale = 2.0 * static_cast<double>(count) / nearest_noise;
  const int iterations = std::max(0, options.iterations);
  const int warm = static_cast<int>(options.warmup * iterations);
  constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEpsilon = 1e-8;
  double b1 = 1, b2 = 1;
  auto h_of = [&](size_t i) { return std::clamp(Sigmoid(v[i]) * (kZeta - kGamma) + kGamma, 0.0, 1.0); };
  std::vector<double> sig(count);  // this step's sigmoid(V), shared by d and the update
  for (int it = 0; it < iterations; ++it) {
    if (options.max_seconds > 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > options.max_seconds) {
      break;
    }
    result.iterations_done = it + 1;
    const bool regularize = it >= warm;
    const double beta = options.beta_start + (options.beta_end - options.beta_start) *
                                                 (it - warm) / std::max(1, iterations - warm);
    for (size_t i = 0; i < count; ++i) {
      double at = value(i, false);
      if (free[i]) {
        sig[i] = Sigmoid(v[i]);
        at = c.down[i] + std::clamp(sig[i] * (kZeta - kGamma) + kGamma, 0.0, 1.0) * step[i];
      }
      d[i] = static_cast<float>(at - wd[i]);
    }
    gram.Run(d.data(), gd.data());
    b1 *= kBeta1, b2 *= kBeta2;
    for (size_t i = 0; i < count; ++i) {
      if (!free[i]) continue;
      const double s = sig[i];
      const double raw = s * (kZeta - kGamma) + kGamma;
      if (raw <= 0 || raw >= 1) {
        // h is clipped: its gradient through the clip is 0 (the paper's
        // straight form), so V rests until the regulariser is zero too.
        continue;
      }
      const double dh_dv = s * (1 - s) * (kZeta - kGamma);
      double grad_h = recon_scale * (gd[i] + r[i]) * step[i];
      if (regularize) {
        const double u = 2 * raw - 1;
        grad_h += -options.lambda * beta * std::pow(std::fabs(u), beta - 1) * (u < 0 ? -2.0 : 2.0);
      }
      const double grad = grad_h * dh_dv;
      m1[i] = kBeta1 * m1[i] + (1 - kBeta1) * grad;
      m2[i] = kBeta2 * m2[i] + (1 - kBeta2) * grad * grad;
      v[i] -= options.learning_rate * (m1[i] / (1 - b1)) / (std::sqrt(m2[i] / (1 - b2)) + kEpsilon);
    }
  }
  std::vector<uint8_t> up(count);
  for (size_t i = 0; i < count; ++i) up[i] = free[i] ? h_of(i) >= 0.5 : nearest[i];
  result.learned_error = error_of(up);
  if (!(result.learned_error <= result.nearest_error)) {  // stopped early, or annealing went astray
    up = nearest;
    result.learned_error = result.nearest_error;
  }
  for (size_t i = 0; i < count; ++i) result.changed += free[i] && up[i] != nearest[i];
  result.levels = codes_of(up);
  return result;
}

}  // namespace qwasm
