// parallel.h — how operators split one kernel call over the thread pool.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "graph/op.h"
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
  void Run(const RunContext& t) override {
    const In* in = t.at<In>(in_);
    Out* out = t.at<Out>(out_);
    ParallelRanges(t.pool, n_, 1, cost_, [&](size_t begin, size_t end) { kernel_(p_, begin, end, in, out); });
  }

 private:
  Params p_;
  Kernel kernel_;
  size_t n_;
  uint64_t cost_;
  int32_t in_, out_;
  std::shared_ptr<const void> owned_;
};

// Output rows (n * out_h + oy) of a window operation and the work of one.
inline size_t WindowRows(const WindowShape& s) { return static_cast<size_t>(s.batch) * s.out_h; }
inline uint64_t WindowRowCost(const WindowShape& s) {
  return uint64_t{static_cast<uint64_t>(s.out_w)} * s.out_c * s.kernel_h * s.kernel_w;
}

}  // namespace qwasm
