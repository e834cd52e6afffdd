// scratch_slots.h — working memory for the tiles of one operator, sized by
// threads, not by the output. A tile claims a free slot for as long as it
// runs; at most threads() tiles of one Run are in flight (threadpool.h), so
// that many slots always suffice however many tiles the output is cut into.
// A model declaring a huge input thus costs no more scratch than a small one.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace qwasm {

class ScratchSlots {
 public:
  // `slots` zeroed slots of `bytes` each, every one 64-byte aligned (on its
  // own cache lines: threads rewrite them every few rows).
  void Reset(size_t slots, size_t bytes) {
    stride_ = (bytes + 63) / 64 * 64;
    slots_ = slots;
    storage_.assign(slots * stride_ + 64, 0);
    busy_.reset(new std::atomic<bool>[slots]);
    for (size_t i = 0; i < slots; ++i) busy_[i].store(false, std::memory_order_relaxed);
  }

  // Claims a slot for the calling tile; release it with Release(slot).
  size_t Claim() {
    for (;;) {
      for (size_t i = 0; i < slots_; ++i) {
        if (!busy_[i].load(std::memory_order_relaxed) && !busy_[i].exchange(true, std::memory_order_acquire)) return i;
      }
    }
  }
  void Release(size_t slot) { busy_[slot].store(false, std::memory_order_release); }

  uint8_t* data(size_t slot) {
    uint8_t* base = storage_.data() + (64 - reinterpret_cast<uintptr_t>(storage_.data()) % 64) % 64;
    return base + slot * stride_;
  }

 private:
  std::vector<uint8_t> storage_;
  std::unique_ptr<std::atomic<bool>[]> busy_;
  size_t slots_ = 0, stride_ = 0;
};

// Claims a slot for one scope.
class ScratchSlot {
 public:
  explicit ScratchSlot(ScratchSlots& s) : slots_(s), slot_(s.Claim()) {}
  ~ScratchSlot() { slots_.Release(slot_); }
  ScratchSlot(const ScratchSlot&) = delete;
  ScratchSlot& operator=(const ScratchSlot&) = delete;
  uint8_t* data() { return slots_.data(slot_); }

 private:
  ScratchSlots& slots_;
  size_t slot_;
};

}  // namespace qwasm
