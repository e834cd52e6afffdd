// threadpool.h — splits one operator's tiles across threads (pthreadpool's
// model: the calling thread works too, tiles are claimed dynamically, Run
// returns when every tile is done).
//
// Operators split their output into tiles (rows of pixels, blocks of
// channels) and call For(). With threads() == 1 (the single-threaded wasm
// build, or a model loaded with threads: 1) For is a plain loop.
//
// A ThreadPool is a handle: every pool in the process runs its jobs on one
// shared set of worker threads, so any number of live models each get the
// threads they asked for (as far as the platform has threads at all).
#pragma once

#include <cstddef>
#include <cstdint>

namespace qwasm {

class ThreadPool {
 public:
  // `threads` counts the calling thread; values < 1 mean 1. Starts shared
  // worker threads until threads - 1 exist (they are never stopped); the
  // pool gets fewer threads than asked when the platform cannot provide them.
  explicit ThreadPool(int threads);
  ~ThreadPool() = default;  // the shared workers keep running
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // min(threads asked, 1 + worker threads the process could start).
  int threads() const { return threads_; }

  // Calls task(ctx, i) for every i in [0, n), each exactly once, spread over
  // the caller and at most threads() - 1 shared workers; returns when all
  // calls have returned (for a while after a worker was descheduled mid-job
  // on a busy machine, all on the caller). The workers run one job at a time:
  // a Run that finds them busy with another pool's job (another thread's
  // call), or a Run from inside a task, does every tile itself. So Run
  // never waits for another
  // job and may be called from several threads at once, on the same or
  // different pools.
  void Run(size_t n, void (*task)(void* ctx, size_t i), void* ctx);

  template <typename F>
  void For(size_t n, F&& f) {
    if (n == 1 || threads() == 1) {
      for (size_t i = 0; i < n; ++i) f(i);
      return;
    }
    Run(n, [](void* c, size_t i) { (*static_cast<F*>(c))(i); }, &f);
  }

  // For tests: worker threads started so far in this process (shared by all
  // pools, never ended; 0 in the single-threaded wasm module), and a cap on
  // how many may be started (as a browser's fixed set of Web Workers caps
  // them; < 0: no cap but the platform's).
  static int WorkerThreads();
  static void LimitWorkerThreads(int most);
  // Jobs whose caller waited for a descheduled worker (threadpool.cc: when
  // a window of shared jobs lost time to such waits, the jobs that follow
  // run on their caller alone for a while), and, for tests that need
  // workers to join, an end to that while.
  static int Stalls();
  static void ForgetStalls();

  // What the shared workers did since the process started, for benchmarks
  // and for anyone asking why two threads ran like one: jobs run with the
  // workers and jobs run by their caller alone (a solo period, threadpool.cc),
  // where the shared jobs' tiles ran, the callers' waits for the workers'
  // last tiles, how many of those were stalls, and how many solo periods
  // began.
  struct Stats {
    uint64_t shared_jobs = 0, solo_jobs = 0;
    uint64_t caller_tiles = 0, worker_tiles = 0;
    double wait_ms = 0;
    int stalls = 0, solo_starts = 0;
  };
  static Stats GetStats();

 private:
  int threads_ = 1;
};

// How many tiles to cut an operator's work into: 1 when single-threaded or
// when the work is too small to pay for waking a thread (under ~32K
// multiply-adds or bytes per tile), else up to 8 per thread (tiles are
// claimed dynamically, so uneven ones still balance; the caller's wait for
// the last one is about half a tile).
inline size_t TileCount(uint64_t work, int threads) {
  if (threads <= 1) return 1;
  const uint64_t by_size = 1 + work / 32768;
  const size_t most = 8 * static_cast<size_t>(threads);
  return by_size < most ? static_cast<size_t>(by_size) : most;
}

// Splits [0, n) into `tiles` near-equal ranges; range t is [begin, end).
inline void TileRange(size_t n, size_t tiles, size_t t, size_t* begin, size_t* end) {
  *begin = n * t / tiles;
  *end = n * (t + 1) / tiles;
}

}  // namespace qwasm
