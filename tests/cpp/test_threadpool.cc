// ThreadPool: every tile exactly once, back-to-back jobs, idle pools that
// went to sleep, nesting. Natively the pool runs real threads (and the ASan
// suite runs them too); the single-threaded wasm module's pool is a loop.
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "doctest/doctest.h"
#include "runtime/threadpool.h"

namespace qwasm {
namespace {

#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
constexpr bool kThreaded = false;
#else
constexpr bool kThreaded = true;
#endif

// Runs For(n) and returns how many times each tile ran.
std::vector<int> TileCounts(ThreadPool& pool, size_t n) {
  std::vector<std::atomic<int>> hits(n);
  pool.For(n, [&](size_t i) { hits[i].fetch_add(1, std::memory_order_relaxed); });
  std::vector<int> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = hits[i].load();
  return out;
}

TEST_CASE("ThreadPool: threads() counts the caller; < 1 means 1") {
  CHECK(ThreadPool(0).threads() == 1);
  CHECK(ThreadPool(-3).threads() == 1);
  CHECK(ThreadPool(1).threads() == 1);
  CHECK(ThreadPool(3).threads() == (kThreaded ? 3 : 1));
}

TEST_CASE("ThreadPool: every tile runs exactly once, for any n and thread count") {
  for (int threads : {1, 2, 3, 4, 8}) {
    ThreadPool pool(threads);
    for (size_t n : {0, 1, 2, 3, 7, 8, 9, 64, 1000}) {
      CAPTURE(threads);
      CAPTURE(n);
      const std::vector<int> counts = TileCounts(pool, n);
      CHECK(counts == std::vector<int>(n, 1));
    }
  }
}

TEST_CASE("ThreadPool: n = 0 never calls the task") {
  ThreadPool pool(4);
  int calls = 0;
  pool.Run(0, [](void* c, size_t) { ++*static_cast<int*>(c); }, &calls);
  pool.For(0, [&](size_t) { ++calls; });
  CHECK(calls == 0);
}

TEST_CASE("ThreadPool: many jobs back to back, each seeing the previous one's output") {
  // Job k reads everything job k-1 wrote (plain memory, double-buffered), so
  // a Run that returned before all its tiles were done, or a late worker
  // running a stale job, changes the result.
  constexpr size_t kWidth = 16;
  constexpr int kJobs = 20000;
  auto step = [](const std::vector<uint32_t>& in, std::vector<uint32_t>& out, size_t b, size_t e, int job) {
    for (size_t j = b; j < e; ++j) out[j] = in[(j + 1) % kWidth] * 3u + in[j] + static_cast<uint32_t>(job);
  };
  std::vector<uint32_t> serial[2] = {std::vector<uint32_t>(kWidth, 1), std::vector<uint32_t>(kWidth, 0)};
  for (int job = 0; job < kJobs; ++job) step(serial[job % 2], serial[(job + 1) % 2], 0, kWidth, job);

  ThreadPool pool(4);
  std::vector<uint32_t> buf[2] = {std::vector<uint32_t>(kWidth, 1), std::vector<uint32_t>(kWidth, 0)};
  for (int job = 0; job < kJobs; ++job) {
    const size_t n = 1 + job % 7;  // fewer and more tiles than threads
    pool.For(n, [&](size_t t) {
      size_t b, e;
      TileRange(kWidth, n, t, &b, &e);
      step(buf[job % 2], buf[(job + 1) % 2], b, e, job);
    });
  }
  CHECK(buf[kJobs % 2] == serial[kJobs % 2]);
}

TEST_CASE("ThreadPool: workers really run tiles concurrently" * doctest::skip(!kThreaded)) {
  // Two tiles that each wait for the other to start: finishes only if two
  // threads run them at the same time (a 10 s guard turns a hang into a
  // failure).
  ThreadPool pool(2);
  std::atomic<int> started{0};
  std::atomic<bool> timed_out{false};
  pool.For(2, [&](size_t) {
    started.fetch_add(1);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (started.load() < 2) {
      if (std::chrono::steady_clock::now() > deadline) {
        timed_out = true;
        return;
      }
    }
  });
  CHECK(!timed_out.load());
  CHECK(started.load() == 2);
}

// The id of the worker thread that ran one of two tiles that wait for each
// other (so the caller cannot run both).
std::thread::id WorkerOfPairedTiles(ThreadPool& pool) {
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<int> started{0};
  std::thread::id worker;
  pool.For(2, [&](size_t) {
    started.fetch_add(1);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (started.load() < 2 && std::chrono::steady_clock::now() < deadline) {
    }
    if (std::this_thread::get_id() != caller) worker = std::this_thread::get_id();
  });
  return worker;
}

TEST_CASE("ThreadPool: a destroyed pool's workers serve the next pool" * doctest::skip(!kThreaded)) {
  // No thread is created per model: in a browser new threads would need new
  // Web Workers, which only start when the JS event loop runs.
  std::thread::id first;
  {
    ThreadPool pool(2);
    first = WorkerOfPairedTiles(pool);
  }
  ThreadPool pool(2);
  const bool had_worker = first != std::thread::id();  // (thread ids do not print)
  const bool same_worker = WorkerOfPairedTiles(pool) == first;
  CHECK(had_worker);
  CHECK(same_worker);
}

TEST_CASE("ThreadPool: jobs after the workers went to sleep, and slow tiles") {
  ThreadPool pool(3);
  for (int round = 0; round < 3; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // > the spin time
    CHECK(TileCounts(pool, 16) == std::vector<int>(16, 1));
  }
  // Tiles slower than the spin time: the caller sleeps waiting for workers.
  std::atomic<int> done{0};
  pool.For(3, [&](size_t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(4));
    done.fetch_add(1);
  });
  CHECK(done.load() == 3);
}

TEST_CASE("ThreadPool: a For inside a task runs inline on that thread") {
  // Nesting is not parallel (one job at a time): the inner loop runs on the
  // thread that runs the outer tile.
  ThreadPool pool(3);
  std::vector<std::atomic<int>> hits(8 * 8);
  std::atomic<int> foreign{0};
  pool.For(8, [&](size_t i) {
    const std::thread::id me = std::this_thread::get_id();
    pool.For(8, [&](size_t j) {
      hits[i * 8 + j].fetch_add(1);
      if (std::this_thread::get_id() != me) foreign.fetch_add(1);
    });
  });
  for (auto& h : hits) CHECK(h.load() == 1);
  CHECK(foreign.load() == 0);
}

TEST_CASE("ThreadPool: created and destroyed at once, with or without work") {
  for (int i = 0; i < 50; ++i) {
    ThreadPool idle(4);
    ThreadPool busy(4);
    CHECK(TileCounts(busy, 9) == std::vector<int>(9, 1));
  }
}

TEST_CASE("TileRange: near-equal ranges that cover [0, n)") {
  for (size_t n : {0, 1, 5, 100, 101}) {
    for (size_t tiles : {1, 2, 3, 7}) {
      size_t expect_begin = 0;
      for (size_t t = 0; t < tiles; ++t) {
        size_t b, e;
        TileRange(n, tiles, t, &b, &e);
        CHECK(b == expect_begin);
        CHECK(e - b <= n / tiles + 1);
        expect_begin = e;
      }
      CHECK(expect_begin == n);
    }
  }
}

}  // namespace
}  // namespace qwasm
