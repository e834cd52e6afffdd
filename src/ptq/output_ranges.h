// output_ranges.h — activation ranges chosen by the model's output error
// (calibration "output"; issue 17's "per-tensor clipping chosen by output
// error, not only by the tensor's own histogram").
//
// A tensor's own histogram (mse, kl, percentile) weighs every value alike,
// but what follows it does not: a ReLU6, a depthwise tap or the average pool
// before the classifier make some values matter more than others. Here each
// tensor's candidates (OutputRangeCandidates) are judged by what they do to
// the model's output: on each sample the float graph runs once; then, per
// tensor, its values are put on a candidate's int8 grid (ActivationQuant,
// rounded as the int8 kernels round) and only the operators after it run
// again. The candidate with the smallest squared error of the judged tensor
// (summed over the samples) wins; ties go to the earlier candidate. Each
// tensor is judged alone, the rest of the graph float: the errors of int8
// grids are small enough to add up, and the search costs one run of the
// graph's tail per tensor and candidate rather than a quantization.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/status.h"
#include "graph/interpreter.h"
#include "ptq/observers.h"
#include "ptq/ptq.h"

namespace qwasm {

// The ranges judged for a tensor with histogram `h`: mse first (the
// default), then the observed [min, max] and percentiles 99.999 down to 99
// of it, without repeats (equal ranges).
std::vector<TensorRange> OutputRangeCandidates(const Histogram& h);

struct OutputRangeChoice {
  // Per tensor of the graph: the index of the chosen candidate (0 where
  // there was nothing to choose), and the judged tensor's squared error,
  // summed over the samples, with candidate 0 and with the chosen one.
  std::vector<size_t> chosen;
  std::vector<double> first_error, chosen_error;
};

// `fi` runs the float graph with share_memory = false and fuse = false (so
// that node i is operator i and every tensor keeps its values);
// `run_sample(s)` sets sample s as its input and invokes it. candidates[t]:
// tensor t's ranges (empty: not judged). `judged`: the float tensor whose
// error counts (the logits, say). progress(done, total) after each sample.
Result<OutputRangeChoice> ChooseRangesByOutputError(Interpreter& fi, const std::function<void(size_t)>& run_sample,
                                                    size_t samples,
                                                    const std::vector<std::vector<TensorRange>>& candidates,
                                                    int32_t judged,
                                                    const std::function<void(size_t, size_t)>& progress = {});

}  // namespace qwasm
