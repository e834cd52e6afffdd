// parallel.h — how operators split one kernel call over the thread pool.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "graph/op.h"
#include "graph/ops/channel_bound.h"
#include "runtime/threadpool.h"

namespace qwasm {

// Splits [0, n) into ranges whose boundaries are multiples of `unit` (the
// last range takes the remainder), as many as TileCount says for n items of
// `cost` bytes or multiply-adds each, and calls f(begin, end) for each on
// the pool.
template <typename F>
inline void ParallelRanges(ThreadPool* pool, size_t n, size_t unit, uint64_t cost, F&& f) {
  const size_t units = (n + unit - 1) / unit;
  const size_t ranges = std::min(units, TileCount(uint64_t{n} * cost, pool->threads()));
  pool->For(ranges, [&](size_t r) {
    size_t begin, end;
    TileRange(units, ranges, r, &begin, &end);
    f(begin * unit, std::min(end * unit, n));
  });
}

// One input, one output, one kernel over a range of [0, n) (output rows,
// or channels for MEAN), split over the pool; `cost` is the work per item.
// `owned` keeps alive what the params point at (weights, bias, scales).
template <typename Params, typename In, typename Out>
class RangeOp final : public PreparedOp {
 public:
  using Kernel = void (*)(const Params&, size_t, size_t, const In*, Out*);
  RangeOp(Params p, Kernel kernel, size_t n, uint64_t cost, int32_t in, int32_t out,
          std::shared_ptr<const void> owned = nullptr)
      : p_(p), kernel_(kernel), n_(n), cost_(cost), in_(in), out_(out), owned_(std::move(owned)) {}

  // A CLAMP fused into this op (graph/fuse.h): each item is `pixels` x
  // `channels` outputs, clamped a few items at a time right after they are
  // written (channel_bound.h RunClamped).
  RangeOp* Bound(ChannelBound<Out> bound, size_t pixels, size_t channels) {
    bound_ = std::move(bound);
    pixels_ = pixels;
    channels_ = channels;
    return this;
  }

  void Run(const RunContext& t) override {
    const In* in = t.at<In>(in_);
    Out* out = t.at<Out>(out_);
    const size_t item = pixels_ * channels_;
    ParallelRanges(t.pool, n_, 1, cost_, [&](size_t begin, size_t end) {
      RunClamped(
          static_cast<bool>(bound_), end - begin, BoundChunkRows(item * sizeof(Out), 1),
          [&](size_t r0, size_t r1) { kernel_(p_, begin + r0, begin + r1, in, out); },
          [&](size_t r0, size_t r1) {
            bound_.Apply(out + (begin + r0) * item, (r1 - r0) * pixels_, channels_, 0, channels_);
          });
    });
  }

 private:
  Params p_;
  Kernel kernel_;
  size_t n_;
  uint64_t cost_;
  int32_t in_, out_;
  std::shared_ptr<const void> owned_;
  ChannelBound<Out> bound_;
  size_t pixels_ = 0, channels_ = 0;
};

// Output rows (n * out_h + oy) of a window operation and the work of one.
inline size_t WindowRows(const WindowShape& s) { return static_cast<size_t>(s.batch) * s.out_h; }
inline uint64_t WindowRowCost(const WindowShape& s) {
  return uint64_t{static_cast<uint64_t>(s.out_w)} * s.out_c * s.kernel_h * s.kernel_w;
}

}  // namespace qwasm
