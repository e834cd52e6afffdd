#include "ptq/output_ranges.h"

#include <algorithm>
#include <cstring>

#include "quant/requantize.h"

namespace qwasm {

std::vector<TensorRange> OutputRangeCandidates(const Histogram& h) {
  std::vector<TensorRange> c;
  auto add = [&](const TensorRange& r) {
    if (!r.seen()) return;
    for (const TensorRange& o : c) {
      if (o.min == r.min && o.max == r.max) return;
    }
    c.push_back(r);
  };
  add(MseRange(h));
  for (double p : {100.0, 99.999, 99.99, 99.9, 99.5, 99.0}) add(PercentileRange(h, p));
  return c;
}

namespace {

// x onto the int8 grid q and back, as an int8 kernel's output would be.
void FakeQuantize(const float* x, size_t n, const QuantInfo& q, float* y) {
  const float scale = q.scale[0], inverse = 1.0f / scale;
  const int32_t zp = q.zero_point[0];
  for (size_t i = 0; i < n; ++i) y[i] = static_cast<float>(RoundToQuant(x[i] * inverse, zp, -128, 127) - zp) * scale;
}

}  // namespace

Result<OutputRangeChoice> ChooseRangesByOutputError(Interpreter& fi, const std::function<void(size_t)>& run_sample,
                                                    size_t samples,
                                                    const std::vector<std::vector<TensorRange>>& candidates,
                                                    int32_t judged,
                                                    const std::function<void(size_t, size_t)>& progress) {
  const Graph& g = fi.graph();
  if (candidates.size() != g.tensors.size()) return Status::Error("output ranges: one candidate list per tensor expected");
  if (judged < 0 || static_cast<size_t>(judged) >= g.tensors.size() || g.tensors[judged].dtype != DType::kFloat32) {
    return Status::Error("output ranges: the judged tensor is not a float tensor of the graph");
  }
  // The tensors judged, in the order their producers run.
  struct Judged {
    int32_t t;
    size_t producer;
  };
  std::vector<Judged> order;
  for (size_t t = 0; t < candidates.size(); ++t) {
    if (candidates[t].size() < 2 || g.tensors[t].dtype != DType::kFloat32 || g.tensors[t].is_constant()) continue;
    const size_t p = ProducerOf(g, static_cast<int32_t>(t));
    if (p < g.nodes.size()) order.push_back({static_cast<int32_t>(t), p});
  }
  std::stable_sort(order.begin(), order.end(), [](const Judged& a, const Judged& b) { return a.producer < b.producer; });

  std::vector<std::vector<double>> error(g.tensors.size());
  for (const Judged& j : order) error[j.t].assign(candidates[j.t].size(), 0.0);
  const size_t out_n = static_cast<size_t>(g.tensors[judged].num_elements());
  std::vector<float> reference(out_n), saved;
  for (size_t s = 0; s < samples; ++s) {
    run_sample(s);
    std::memcpy(reference.data(), fi.tensor_data(judged), out_n * sizeof(float));
    for (const Judged& j : order) {
      const size_t n = static_cast<size_t>(g.tensors[j.t].num_elements());
      float* x = reinterpret_cast<float*>(fi.mutable_tensor_data(j.t));
      saved.assign(x, x + n);
      for (size_t c = 0; c < candidates[j.t].size(); ++c) {
        FakeQuantize(saved.data(), n, ActivationQuant(candidates[j.t][c]), x);
        fi.InvokeRange(j.producer + 1, g.nodes.size());
        const float* y = reinterpret_cast<const float*>(fi.tensor_data(judged));
        double e = 0.0;
        for (size_t i = 0; i < out_n; ++i) e += (double{y[i]} - reference[i]) * (double{y[i]} - reference[i]);
        error[j.t][c] += e;
      }
      // Back to the float values, for the tensors judged next.
      std::memcpy(x, saved.data(), n * sizeof(float));
      fi.InvokeRange(j.producer + 1, g.nodes.size());
    }
    if (progress) progress(s + 1, samples);
  }
  OutputRangeChoice choice;
  choice.chosen.assign(g.tensors.size(), 0);
  choice.first_error.assign(g.tensors.size(), 0.0);
  choice.chosen_error.assign(g.tensors.size(), 0.0);
  for (const Judged& j : order) {
    const std::vector<double>& e = error[j.t];
    const size_t best = static_cast<size_t>(std::min_element(e.begin(), e.end()) - e.begin());
    choice.chosen[j.t] = best;
    choice.first_error[j.t] = e[0];
    choice.chosen_error[j.t] = e[best];
  }
  return choice;
}

}  // namespace qwasm
