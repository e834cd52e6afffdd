// adaround.h — learned weight rounding for one layer (AdaRound: Nagel et
// al. 2020, "Up or Down? Adaptive Rounding for Post-Training Quantization").
//
// Output channel n of a weighted layer computes y_n = w_n . x. Rounding w_n
// to its grid s_n [qmin, qmax] changes y_n by (w_q - w_n) . x. Nearest
// rounding minimises each weight's own error; AdaRound picks up or down per
// weight to minimise the OUTPUT error over the calibration inputs:
//
//   min over V   E[(w_s . x~ - w_n . x)^2] / E_nearest  +  lambda sum (1 - |2h - 1|^beta) / (N K)
//   w_s = s_n (floor(w / s_n) + h),   h = clip(sigmoid(V) (zeta - gamma) + gamma, 0, 1)
//
// beta anneals from 20 to 2 after a warm-up, pushing every h to 0 or 1;
// the result rounds down where h < 1/2, up elsewhere. The data enter only
// through second moments: with G = E[x~ x~^T] (K x K) and c_n = E[x~ x^T]
// w_n, the error is w_s^T G w_s - 2 w_s^T c_n + const and its gradient
// 2 (G w_s - c_n), so one full-batch step costs an N x K by K x K product
// (the table's float GEMM) whatever the number of calibration columns.
// x~ = x (the float graph's input) is AdaRound as published; x~ = the input
// the partly quantized graph gives this layer is its sequential form (the
// caller passes E[x~ x^T] as `cross`).
//
// The grid need not be uniform: AdaRoundPairs takes, per weight, the two
// grid values either side of it (a codebook's neighbouring entries, say),
// with w_s = down + h (up - down); AdaRound is the uniform-grid case.
//
// Deterministic: full-batch Adam from h = (w - down) / (up - down), no
// randomness, sums in a fixed order. Weights already on the grid, or clipped
// by it, keep their value. The result is never worse than nearest rounding
// on the error minimised: when the learned choice scores worse (possible
// when a time limit stops it early), nearest is returned.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/status.h"
#include "kernels/config.h"

namespace qwasm {

struct AdaRoundOptions {
  int iterations = 1000;
  double learning_rate = 1e-2;  // Adam
  // The regulariser's weight, with the output error scaled so that nearest
  // rounding scores one per weight: 10..100 all round alike on MobileNetV2
  // (the paper's unscaled 0.01 left most h undecided).
  double lambda = 30;
  double warmup = 0.2;  // share of iterations before beta starts falling
  double beta_start = 20, beta_end = 2;
  // Stop after this many seconds (0: no limit) and round by the h reached;
  // iterations_done then says how far it got.
  double max_seconds = 0;
  // Moments shrunk further than this (LayerMoments::shrink) are nearly
  // their diagonal, for which nearest rounding is optimal: no steps are
  // taken (MobileNetV2's classifier, 100 rows of 1280 shrunk by 0.98, gained
  // 0.08 dB from 1000 steps and 53 s).
  double max_shrink = 0.9;
};

// The second moments of one layer's inputs over the calibration samples
// (im2col rows for convolutions): gram = E[x~ x~^T] (K x K, row-major,
// symmetric); cross = E[x~ x^T] (K x K), or empty when x~ = x, and with it
// reference_gram = E[x x^T] (or empty: errors then leave out what no
// rounding changes, AdaRoundResult). When the
// layer saw few rows (a classifier: one per image), `rows` may hold them
// (row_count x K): gram = rows^T rows / row_count, a factor through which
// G d costs 2 R K instead of K^2 per channel.
struct LayerMoments {
  size_t k = 0;
  std::vector<double> gram, cross, reference_gram;
  // With cross: E[x~] and E[x] (K each), for the output's mean shift
  // E[w_q . x~] - E[w . x] that bias correction removes.
  std::vector<double> mean, reference_mean;
  std::vector<float> rows;
  size_t row_count = 0;
  // gram, cross and reference_gram off their diagonals are (1 - shrink) times
  // the sample moments (estimated from few rows, they are shrunk towards
  // their diagonals); `rows` are the rows themselves, unshrunk.
  double shrink = 0;
};

struct AdaRoundResult {
  std::vector<int32_t> levels;  // N x K, in [qmin, qmax]
  // E[(w_q . x~ - w . x)^2] summed over the channels, for nearest rounding
  // and for the learned one; without reference_gram less E[(w . (x~ - x))^2],
  // which no rounding changes (0 when x~ = x). And the output's energy,
  // E[(w . x)^2] (E[(w . x~)^2] without reference_gram): 10 log10(energy /
  // error) is the layer's output SQNR in dB against the float graph's.
  double nearest_error = 0, learned_error = 0, energy = 0;
  size_t changed = 0;  // weights rounded the other way than nearest
  int iterations_done = 0;
};

// Per weight (N x K, row-major), its two candidate values down <= w <= up
// (equal: the weight keeps that value) and the codes the weight format
// stores for them; nearest_up[i] != 0 where nearest rounding takes `up`.
struct RoundingCandidates {
  std::vector<float> down, up;
  std::vector<int32_t> down_code, up_code;
  std::vector<uint8_t> nearest_up;
  size_t size() const { return down.size(); }
  void Resize(size_t n) {
    down.resize(n), up.resize(n), down_code.resize(n), up_code.resize(n), nearest_up.resize(n);
  }
};

// The candidates on the uniform grid scale * [qmin, qmax] (codes: levels),
// with nearest rounding half to even like std::nearbyint. Element i's
// scale is scale[scale_index(i)].
template <typename ScaleIndex>
void UniformCandidates(const float* w, size_t count, const float* scale, ScaleIndex scale_index, int32_t qmin,
                       int32_t qmax, RoundingCandidates* c);

// Chooses down or up for each weight of W (N rows of K weights, row-major);
// `levels` in the result holds the chosen codes. `gemm`: the float GEMM to
// use (a kernel table's f32_gemm). Fails on mismatched sizes or candidates
// that do not bracket their weight.
Result<AdaRoundResult> AdaRoundPairs(const float* w, size_t n, size_t k, const RoundingCandidates& candidates,
                                     const LayerMoments& moments, const FGemmKernel& gemm,
                                     const AdaRoundOptions& options = {});

// Rounds W onto per-row grids scale[n] * [qmin, qmax] (zero point 0): the
// levels. Fails also on a non-positive or non-finite scale.
Result<AdaRoundResult> AdaRound(const float* w, size_t n, size_t k, const float* scale, int32_t qmin, int32_t qmax,
                                const LayerMoments& moments, const FGemmKernel& gemm,
                                const AdaRoundOptions& options = {});

}  // namespace qwasm

namespace qwasm {

template <typename ScaleIndex>
void UniformCandidates(const float* w, size_t count, const float* scale, ScaleIndex scale_index, int32_t qmin,
                       int32_t qmax, RoundingCandidates* c) {
  c->Resize(count);
  for (size_t i = 0; i < count; ++i) {
    const float s = scale[scale_index(i)];
    const double t = static_cast<double>(w[i]) / s, bottom = qmin, top = qmax;
    const double nearest = std::clamp(std::nearbyint(t), bottom, top);
    double lo = std::clamp(std::floor(t), bottom, top);
    double hi = std::clamp(std::ceil(t), bottom, top);
    if (t - lo < 1e-6 * (hi - lo) || hi - t < 1e-6 * (hi - lo)) lo = hi = nearest;  // on the grid
    c->down_code[i] = static_cast<int32_t>(lo), c->up_code[i] = static_cast<int32_t>(hi);
    c->down[i] = static_cast<float>(lo * s), c->up[i] = static_cast<float>(hi * s);
    c->nearest_up[i] = nearest == hi && hi != lo;
  }
}

}  // namespace qwasm
