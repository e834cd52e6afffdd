#include "runtime/memory_plan.h"

#include <algorithm>
#include <numeric>

namespace qwasm {

MemoryPlan PlanMemory(const std::vector<BufferLifetime>& buffers, size_t alignment) {
  const size_t n = buffers.size();
  auto round_up = [&](size_t v) { return (v + alignment - 1) & ~(alignment - 1); };
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  // Largest first; ties by earlier start, then index, so the plan is
  // deterministic.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (buffers[a].bytes != buffers[b].bytes) return buffers[a].bytes > buffers[b].bytes;
    return buffers[a].first < buffers[b].first;
  });
  MemoryPlan plan;
  plan.offsets.assign(n, 0);
  std::vector<size_t> placed;  // indices already given an offset
  std::vector<std::pair<size_t, size_t>> busy;  // [begin, end) of live overlaps
  for (size_t idx : order) {
    const BufferLifetime& b = buffers[idx];
    busy.clear();
    for (size_t p : placed) {
      const BufferLifetime& o = buffers[p];
      if (o.last < b.first || b.last < o.first) continue;  // never alive together
      busy.emplace_back(plan.offsets[p], plan.offsets[p] + round_up(o.bytes));
    }
    std::sort(busy.begin(), busy.end());
    // Lowest gap that fits.
    size_t offset = 0;
    const size_t need = round_up(b.bytes);
    for (const auto& r : busy) {
      if (r.first >= offset + need) break;
      offset = std::max(offset, r.second);
    }
    plan.offsets[idx] = offset;
    plan.arena_bytes = std::max(plan.arena_bytes, offset + need);
    placed.push_back(idx);
  }
  return plan;
}

}  // namespace qwasm
