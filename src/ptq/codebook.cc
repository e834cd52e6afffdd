#include "ptq/codebook.h"

#include <algorithm>
#include <cmath>

#include "quant/float16.h"
#include "ptq/int4.h"

namespace qwasm {

std::vector<float> KMeans1D(const float* x, size_t n, int k, int max_iterations) {
  std::vector<float> sorted(x, x + n);
  std::sort(sorted.begin(), sorted.end());
  std::vector<float> distinct = sorted;
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  std::vector<float> centres;
  if (distinct.size() <= static_cast<size_t>(k)) {
    centres = distinct;
    if (centres.empty()) centres.push_back(0.0f);
    centres.resize(k, centres.back());
    return centres;
  }
  // Prefix sums (double) make each cluster's mean O(1) once its range is known.
  std::vector<double> prefix(n + 1, 0.0);
  for (size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + sorted[i];
  for (int j = 0; j < k; ++j) centres.push_back(sorted[(2 * static_cast<size_t>(j) + 1) * n / (2 * k)]);
  for (int it = 0; it < max_iterations; ++it) {
    std::vector<float> next(k);
    size_t begin = 0;
    for (int j = 0; j < k; ++j) {
      // Cluster j: values up to the midpoint to the next centre (inclusive,
      // so a tie goes to the lower centre).
      size_t end = n;
      if (j + 1 < k) {
        const double mid = (static_cast<double>(centres[j]) + centres[j + 1]) / 2;
        end = std::upper_bound(sorted.begin() + begin, sorted.end(), mid,
                               [](double m, float v) { return m < v; }) - sorted.begin();
      }
      next[j] = end > begin ? static_cast<float>((prefix[end] - prefix[begin]) / (end - begin)) : centres[j];
      begin = end;
    }
    std::sort(next.begin(), next.end());
    if (next == centres) break;
    centres = std::move(next);
  }
  return centres;
}

int NearestEntry(const int8_t* entries, int k, float v) {
  // First entry >= v, then compare with its lower neighbour.
  int lo = 0, hi = k;
  while (lo < hi) {
    const int mid = (lo + hi) / 2;
    if (entries[mid] < v) lo = mid + 1; else hi = mid;
  }
  if (lo == k) return k - 1;
  if (lo == 0) return 0;
  // Equal entries: the first of them (lower index).
  int below = lo - 1;
  while (below > 0 && entries[below - 1] == entries[below]) --below;
  return v - entries[below] <= entries[lo] - v ? below : lo;
}

CodebookWeights QuantizeCodebook(const float* w, size_t n, size_t channels, size_t inner, int entries,
                                 bool per_channel_codebook) {
  CodebookWeights q;
  q.entries = entries;
  auto channel_of = [&](size_t i) { return (i / inner) % channels; };
  std::vector<float> max_abs(channels, 0.0f);
  for (size_t i = 0; i < n; ++i) max_abs[channel_of(i)] = std::max(max_abs[channel_of(i)], std::fabs(w[i]));
  for (float m : max_abs) q.scale.push_back(m > 0.0f ? RoundUpToFloat16(m / 127.0f) : 1.0f);
  // Weights on the int8 grid (not rounded: k-means sees the real spread).
  std::vector<float> grid(n);
  for (size_t i = 0; i < n; ++i) grid[i] = std::clamp(w[i] / q.scale[channel_of(i)], -127.0f, 127.0f);
  const size_t groups = per_channel_codebook ? channels : 1;
  q.codebook.resize(groups * entries);
  q.indices.resize(n);
  std::vector<std::vector<size_t>> where(groups);  // the elements of each group
  for (size_t i = 0; i < n; ++i) where[groups == 1 ? 0 : channel_of(i)].push_back(i);
  for (size_t g = 0; g < groups; ++g) {
    std::vector<float> members;
    for (size_t i : where[g]) members.push_back(grid[i]);
    // When the group's int8 values fit in the codebook it holds them all
    // (then the weights are exactly the int8 quantization's), else k-means.
    std::vector<float> rounded;
    for (float v : members) rounded.push_back(std::nearbyint(v));
    std::sort(rounded.begin(), rounded.end());
    rounded.erase(std::unique(rounded.begin(), rounded.end()), rounded.end());
    const std::vector<float> centres = rounded.size() <= static_cast<size_t>(entries)
                                           ? KMeans1D(rounded.data(), rounded.size(), entries)
                                           : KMeans1D(members.data(), members.size(), entries);
    int8_t* book = q.codebook.data() + g * entries;
    for (int j = 0; j < entries; ++j) book[j] = static_cast<int8_t>(std::clamp(std::nearbyint(centres[j]), -127.0f, 127.0f));
    for (size_t m = 0; m < members.size(); ++m) {
      q.indices[where[g][m]] = static_cast<uint8_t>(NearestEntry(book, entries, members[m]));
    }
  }
  q.stored = entries == 16 ? PackNibbles(q.indices.data(), n) : q.indices;
  return q;
}

}  // namespace qwasm
