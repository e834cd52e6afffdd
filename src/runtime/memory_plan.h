// memory_plan.h — places every activation tensor at an offset in one arena,
// so tensors whose lifetimes do not overlap share bytes (TFLite's
// "greedy by size" planner): largest first, each at the lowest offset that
// collides with no already placed tensor alive at the same time.
#pragma once

#include <cstddef>
#include <vector>

namespace qwasm {

struct BufferLifetime {
  size_t bytes = 0;
  int first = 0;  // index of the first op that writes or reads it
  int last = 0;   // index of the last op that reads it (inclusive)
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // one per BufferLifetime
  size_t arena_bytes = 0;       // peak: the arena size the plan needs
};

// Offsets are multiples of `alignment` (a power of two).
MemoryPlan PlanMemory(const std::vector<BufferLifetime>& buffers, size_t alignment = 64);

}  // namespace qwasm
