// threadpool.h — a persistent pool that splits one operator's tiles across
// threads (pthreadpool's model: the calling thread works too, tiles are
// claimed dynamically, Run returns when every tile is done).
//
// Operators split their output into tiles (rows of pixels, blocks of
// channels) and call For(). With threads() == 1 (the single-threaded wasm
// build, or a model loaded with threads: 1) For is a plain loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace qwasm {

class ThreadPool {
 public:
  // `threads` counts the calling thread; values < 1 mean 1. The pool may
  // start fewer threads than asked when the platform cannot provide them.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const;

  // Calls task(ctx, i) for every i in [0, n), each exactly once, spread over
  // the pool; returns when all calls have returned. Not reentrant.
  void Run(size_t n, void (*task)(void* ctx, size_t i), void* ctx);

  template <typename F>
  void For(size_t n, F&& f) {
    if (n == 1 || threads() == 1) {
      for (size_t i = 0; i < n; ++i) f(i);
      return;
    }
    Run(n, [](void* c, size_t i) { (*static_cast<F*>(c))(i); }, &f);
  }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// How many tiles to cut an operator's work into: 1 when single-threaded or
// when the work is too small to pay for waking a thread (under ~32K
// multiply-adds or bytes per tile), else up to 4 per thread (tiles are
// claimed dynamically, so uneven ones still balance).
inline size_t TileCount(uint64_t work, int threads) {
  if (threads <= 1) return 1;
  const uint64_t by_size = 1 + work / 32768;
  const size_t most = 4 * static_cast<size_t>(threads);
  return by_size < most ? static_cast<size_t>(by_size) : most;
}

// Splits [0, n) into `tiles` near-equal ranges; range t is [begin, end).
inline void TileRange(size_t n, size_t tiles, size_t t, size_t* begin, size_t* end) {
  *begin = n * t / tiles;
  *end = n * (t + 1) / tiles;
}

}  // namespace qwasm
