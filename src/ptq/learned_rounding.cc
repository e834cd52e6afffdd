#include "ptq/learned_rounding.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "kernels/config.h"

namespace qwasm {
namespace {

double Db(double energy, double error) {
  if (!(error > 0)) return std::numeric_limits<double>::infinity();
  return 10 * std::log10(energy / error);
}

}  // namespace

Result<std::vector<int32_t>> LearnFilterRounding(const float* w, size_t count, size_t rows, bool depthwise,
                                                 const RoundingCandidates& candidates,
                                                 const std::vector<LayerMoments>& moments,
                                                 const AdaRoundOptions& options, LayerRounding* report) {
  const auto start = std::chrono::steady_clock::now();
  if (rows == 0 || count % rows != 0 || candidates.size() != count) {
    return Status::Error("learned rounding: " + std::to_string(count) + " weights in " + std::to_string(rows) +
                         " rows, " + std::to_string(candidates.size()) + " candidate pairs");
  }
  const FGemmKernel& gemm = DefaultKernels().f32_gemm;
  const size_t k = count / rows;
  double nearest = 0, learned = 0, energy = 0;
  LayerRounding r;
  r.weights = count;
  std::vector<int32_t> codes(count);
  if (!depthwise) {
    if (moments.size() != 1) return Status::Error("learned rounding: a layer with one input moment expected");
    Result<AdaRoundResult> a = AdaRoundPairs(w, rows, k, candidates, moments[0], gemm, options);
    if (!a.ok()) return a.status();
    const AdaRoundResult& v = a.value();
    codes = v.levels;
    nearest = v.nearest_error, learned = v.learned_error, energy = v.energy;
    r.changed = v.changed, r.iterations = v.iterations_done;
    if (v.iterations_done == 0 && moments[0].shrink > options.max_shrink) {
      char note[160];
      std::snprintf(note, sizeof note,
                    "no steps: its input moments, from few rows, are shrunk by %.2f (over %.2f) towards their "
                    "diagonal, for which nearest rounding is optimal",
                    moments[0].shrink, options.max_shrink);
      r.note = note;
    }
  } else {  // channel c: every rows-th weight, from c
    if (moments.size() != rows) {
      return Status::Error("learned rounding: " + std::to_string(moments.size()) + " input moments for " +
                           std::to_string(rows) + " depthwise channels");
    }
    AdaRoundOptions per = options;
    per.max_seconds = options.max_seconds / static_cast<double>(rows);
    std::vector<float> row(k);
    RoundingCandidates one;
    one.Resize(k);
    for (size_t c = 0; c < rows; ++c) {
      for (size_t t = 0; t < k; ++t) {
        const size_t i = t * rows + c;
        row[t] = w[i];
        one.down[t] = candidates.down[i], one.up[t] = candidates.up[i];
        one.down_code[t] = candidates.down_code[i], one.up_code[t] = candidates.up_code[i];
        one.nearest_up[t] = candidates.nearest_up[i];
      }
      Result<AdaRoundResult> a = AdaRoundPairs(row.data(), 1, k, one, moments[c], gemm, per);
      if (!a.ok()) return a.status();
      const AdaRoundResult& v = a.value();
      for (size_t t = 0; t < k; ++t) codes[t * rows + c] = v.levels[t];
      nearest += v.nearest_error, learned += v.learned_error, energy += v.energy;
      r.changed += v.changed;
      r.iterations = std::max(r.iterations, v.iterations_done);
    }
  }
  r.learned = true;
  r.nearest_sqnr_db = Db(energy, nearest);
  r.learned_sqnr_db = Db(energy, learned);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (report) *report = r;
  return codes;
}

void CodebookCandidates(const float* w, size_t count, size_t channels, size_t inner, bool per_channel_codebook,
                        const CodebookWeights& cb, RoundingCandidates* c) {
  c->Resize(count);
  const int k = cb.entries;
  for (size_t i = 0; i < count; ++i) {
    const size_t channel = (i / inner) % channels;
    const int8_t* book = cb.codebook.data() + (per_channel_codebook ? channel : 0) * k;
    const double s = cb.scale[channel];
    const double v = std::clamp(static_cast<double>(w[i]) / s, -127.0, 127.0);
    // The entries either side (ascending; the first of equal ones).
    int up = static_cast<int>(std::lower_bound(book, book + k, v, [](int8_t e, double x) { return e < x; }) - book);
    int down = up;
    if (up == k) down = up = k - 1;
    if (book[up] > v && up > 0) down = up - 1;
    while (down > 0 && book[down - 1] == book[down]) --down;
    while (up > 0 && book[up - 1] == book[up]) --up;
    const int nearest = NearestEntry(book, k, static_cast<float>(v));
    if (book[down] == book[up]) down = up = nearest;  // on an entry, or beyond the first or last
    c->down_code[i] = down, c->up_code[i] = up;
    c->down[i] = static_cast<float>(book[down] * s), c->up[i] = static_cast<float>(book[up] * s);
    c->nearest_up[i] = down != up && book[nearest] == book[up];
  }
}

}  // namespace qwasm
