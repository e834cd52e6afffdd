// channel_bound.h — a per-channel clamp [lo, hi[c]] applied in place to the
// rows of an output whose last axis is channels: what CLAMP with a bound
// input computes (channel_clamp.cc), and the same clamp fused into the
// CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED that produces its input
// (graph/fuse.h), run by each tile on the rows it has just written.
#pragma once

#include <cstddef>
#include <vector>

#include "graph/op.h"

namespace qwasm {

template <typename T>
struct ChannelBound {
  using Kernel = void (*)(size_t rows, size_t channels, T lo, const T* hi, const T* input, T* output);
  Kernel kernel = nullptr;  // the table's channel clamp; null: no bound
  T lo{};
  std::vector<T> hi;  // [channels]

  explicit operator bool() const { return kernel != nullptr; }
  // Channels [c0, c1) of `rows` rows `stride` elements apart, in place (the
  // kernels read each element before writing it).
  void Apply(T* out, size_t rows, size_t stride, size_t c0, size_t c1) const {
    if (c0 == 0 && c1 == stride) {
      kernel(rows, stride, lo, hi.data(), out, out);
      return;
    }
    for (size_t r = 0; r < rows; ++r) kernel(1, c1 - c0, lo, hi.data() + c0, out + r * stride + c0, out + r * stride + c0);
  }
};

// How many rows of `row_bytes` output bytes a bounded tile computes before
// clamping them: about 16 KB, so the clamp reads what is still in L1 (a
// whole tile can be MBs), in a multiple of the kernel's rows.
inline size_t BoundChunkRows(size_t row_bytes, size_t multiple) {
  const size_t rows = row_bytes ? (16384 / row_bytes) / multiple * multiple : multiple;
  return rows > multiple ? rows : multiple;
}

// Computes rows [0, rows) of a tile with run(r0, r1): in one call without
// a bound, else `chunk` rows at a time, each clamped by clamp(r0, r1) right
// after it is written. Rows are independent, so the bytes are the same.
template <typename Run, typename Clamp>
void RunClamped(bool bounded, size_t rows, size_t chunk, Run&& run, Clamp&& clamp) {
  if (!bounded) {
    run(size_t{0}, rows);
    return;
  }
  for (size_t r = 0; r < rows; r += chunk) {
    const size_t e = rows - r < chunk ? rows : r + chunk;
    run(r, e);
    clamp(r, e);
  }
}

// The clamp [lo, min(hi[c], clamp_max)] of CLAMP node `c` with bounds `hi`;
// an empty range is an error. T is float or int8_t; int8: on output 0's grid
// (one with input 0's, which the caller checks), each bound rounded to the
// nearest byte.
template <typename T>
Result<ChannelBound<T>> MakeChannelBound(const OpContext& c, float lo, std::vector<float> hi);
template <>
Result<ChannelBound<float>> MakeChannelBound<float>(const OpContext& c, float lo, std::vector<float> hi);
template <>
Result<ChannelBound<int8_t>> MakeChannelBound<int8_t>(const OpContext& c, float lo, std::vector<float> hi);

// The CLAMP fused into node `c` (OpAttrs::fused_max) over its `channels`
// output channels, on its output's grid; none when nothing was fused.
template <typename T>
Result<ChannelBound<T>> FusedBound(const OpContext& c, int32_t channels);

}  // namespace qwasm
