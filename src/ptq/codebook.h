// codebook.h — lookup-table (codebook) weights: k-means over a layer's or a
// channel's weights gives 16 or 256 int8 entries on the weight's int8 grid
// (per-channel symmetric scale max|w| / 127 rounded up to a float16
// value, RoundUpToFloat16), and every weight becomes the
// index of its nearest entry (DType::kLut4 / kLut8, core/dtype.h). The
// expanded weights are ordinary int8 weights, so the int8 kernels run them
// unchanged and give exactly an int8 layer's results.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace qwasm {

inline constexpr int kKMeansIterations = 50;

// Deterministic 1-D k-means (Lloyd) over n values; returns k centres in
// ascending order.
//  - When the values take at most k distinct values, the centres are
//    exactly those values (then the largest repeated), so nothing is lost.
//  - Otherwise: init at the quantiles (centre j = the sorted value at rank
//    floor((2j + 1) n / 2k)); each step assigns every value to its nearest
//    centre (a value exactly halfway goes to the lower centre), moves each
//    centre to its cluster's mean (an empty cluster keeps its centre) and
//    re-sorts; at most `max_iterations` steps, fewer once nothing moves.
std::vector<float> KMeans1D(const float* x, size_t n, int k, int max_iterations = kKMeansIterations);

// Index of the entry nearest to v in `entries` (ascending, k of them); a
// tie goes to the lower index.
int NearestEntry(const int8_t* entries, int k, float v);

struct CodebookWeights {
  std::vector<float> scale;      // [channels]: max|w| / 127 (float16-exact), 1 for an all-zero channel
  std::vector<int8_t> codebook;  // groups x entries, each group ascending
  std::vector<uint8_t> indices;  // [n]: one per weight
  std::vector<uint8_t> stored;   // the tensor's bytes: nibbles (16 entries) or the indices (256)
  // The int8 weight element i stands for.
  int8_t Value(size_t i, size_t group) const { return codebook[group * entries + indices[i]]; }
  int entries = 16;
};

// Element i of `w` belongs to channel (i / inner) % channels (see
// QuantizeInt4). The k-means runs on the weights divided by their channel's
// scale (so channels of different magnitude share one codebook sensibly);
// its centres round to integers in [-127, 127]. When a group's weights
// round to at most `entries` distinct int8 values, its codebook is those
// values, so the result equals int8 quantization exactly (always for 256
// entries). `per_channel_codebook`: one
// codebook per channel, else one for the whole tensor.
CodebookWeights QuantizeCodebook(const float* w, size_t n, size_t channels, size_t inner, int entries,
                                 bool per_channel_codebook);

}  // namespace qwasm
