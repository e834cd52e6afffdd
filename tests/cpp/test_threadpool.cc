// ThreadPool: every tile exactly once, back-to-back jobs, idle pools that
// went to sleep, nesting, live pools sharing the workers (and their thread
// limits), jobs from several threads at once. Natively the pool runs real threads (and the ASan
// suite runs them too); the single-threaded wasm module's pool is a loop.
#include <atomic>
#include <optional>
#include <chrono>
#include <mutex>
#include <set>
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
  ThreadPool::ForgetStalls();  // a stall in an earlier test would keep workers out
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
  ThreadPool::ForgetStalls();
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
  {
    ThreadPool pool(2);
    const bool had_worker = WorkerOfPairedTiles(pool) != std::thread::id();  // (thread ids do not print)
    CHECK(had_worker);
  }
  const int workers = ThreadPool::WorkerThreads();
  CHECK(workers >= 1);
  ThreadPool pool(2);
  const bool had_worker = WorkerOfPairedTiles(pool) != std::thread::id();
  CHECK(had_worker);
  CHECK(ThreadPool::WorkerThreads() == workers);
}

// The distinct threads that ran tiles of one For(n) whose tiles each wait
// (up to `patience`) until `want` distinct threads have joined: a job that
// may use that many threads gets them, one that may not shows how many did.
size_t ThreadsOnJob(ThreadPool& pool, size_t n, size_t want, std::chrono::milliseconds patience) {
  ThreadPool::ForgetStalls();
  std::mutex mu;
  std::set<std::thread::id> ids;
  pool.For(n, [&](size_t) {
    size_t seen;
    {
      std::lock_guard<std::mutex> lock(mu);
      ids.insert(std::this_thread::get_id());
      seen = ids.size();
    }
    const auto deadline = std::chrono::steady_clock::now() + patience;
    while (seen < want && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
      std::lock_guard<std::mutex> lock(mu);
      seen = ids.size();
    }
  });
  return ids.size();
}

TEST_CASE("ThreadPool: two live pools both get their threads (issue 14)" * doctest::skip(!kThreaded)) {
  // As in a browser, where the Web Workers started with the module are all
  // the threads there will be: the first live model must not starve the next.
  { ThreadPool warm(3); }
  const int workers = ThreadPool::WorkerThreads();
  REQUIRE(workers >= 2);
  ThreadPool::LimitWorkerThreads(workers);
  {
    const int all = workers + 1;
    ThreadPool a(all);  // each wants every worker there is
    ThreadPool b(all);
    ThreadPool c(2);
    ThreadPool d(all + 2);  // more than can exist: as many as there are
    CHECK(a.threads() == all);
    CHECK(b.threads() == all);
    CHECK(c.threads() == 2);
    CHECK(d.threads() == all);
    // Each one really runs on as many threads as it reports.
    for (ThreadPool* p : {&a, &b, &c, &d}) {
      const size_t t = static_cast<size_t>(p->threads());
      CHECK(ThreadsOnJob(*p, t, t, std::chrono::seconds(10)) == t);
    }
  }
  ThreadPool::LimitWorkerThreads(-1);
  CHECK(ThreadPool::WorkerThreads() == workers);
}

TEST_CASE("ThreadPool: live pools interleaved compute what a loop computes") {
  // Three "models" with different thread counts, alive together, each running
  // its own chain of dependent jobs, called alternately (as JS would).
  constexpr size_t kWidth = 24;
  constexpr int kJobs = 3000;
  auto step = [](const std::vector<uint32_t>& in, std::vector<uint32_t>& out, size_t b, size_t e, uint32_t salt) {
    for (size_t j = b; j < e; ++j) out[j] = in[(j + 5) % kWidth] * 7u + in[j] + salt;
  };
  struct Model {
    ThreadPool pool;
    uint32_t salt;
    std::vector<uint32_t> buf[2] = {std::vector<uint32_t>(kWidth, 1), std::vector<uint32_t>(kWidth, 0)};
    std::vector<uint32_t> serial[2] = {std::vector<uint32_t>(kWidth, 1), std::vector<uint32_t>(kWidth, 0)};
  };
  Model models[3] = {{ThreadPool(2), 11}, {ThreadPool(4), 13}, {ThreadPool(3), 17}};
  for (int job = 0; job < kJobs; ++job) {
    for (Model& m : models) {
      const size_t n = 1 + (job + m.salt) % 9;
      m.pool.For(n, [&](size_t t) {
        size_t b, e;
        TileRange(kWidth, n, t, &b, &e);
        step(m.buf[job % 2], m.buf[(job + 1) % 2], b, e, m.salt + job);
      });
      step(m.serial[job % 2], m.serial[(job + 1) % 2], 0, kWidth, m.salt + job);
    }
  }
  for (Model& m : models) CHECK(m.buf[kJobs % 2] == m.serial[kJobs % 2]);
}

TEST_CASE("ThreadPool: a pool with threads 2 lets one worker join a job" * doctest::skip(!kThreaded)) {
  ThreadPool big(4);  // three workers exist
  REQUIRE(big.threads() == 4);
  CHECK(ThreadsOnJob(big, 8, 4, std::chrono::seconds(10)) == 4);
  ThreadPool two(2);
  ThreadPool one(1);
  for (int round = 0; round < 5; ++round) {
    // Tiles wait 20 ms for a third thread, which never may come.
    CHECK(ThreadsOnJob(two, 8, 3, std::chrono::milliseconds(20)) <= 2);
    CHECK(ThreadsOnJob(one, 8, 2, std::chrono::milliseconds(5)) == 1);
  }
}

TEST_CASE("ThreadPool: a job while another thread's job runs goes inline on its caller" * doctest::skip(!kThreaded)) {
  // Thread A's job holds the workers until B's job is done: B's tiles must
  // all run on B, without waiting for A.
  ThreadPool a(2);
  ThreadPool b(3);
  std::atomic<bool> a_running{false};
  std::atomic<bool> b_done{false};
  std::atomic<bool> timed_out{false};
  std::thread ta([&] {
    a.For(2, [&](size_t) {
      a_running = true;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (!b_done.load()) {
        if (std::chrono::steady_clock::now() > deadline) {
          timed_out = true;
          return;
        }
        std::this_thread::yield();
      }
    });
  });
  while (!a_running.load()) std::this_thread::yield();
  const std::thread::id me = std::this_thread::get_id();
  std::vector<std::atomic<int>> hits(32);
  std::atomic<int> foreign{0};
  b.For(32, [&](size_t i) {
    hits[i].fetch_add(1);
    if (std::this_thread::get_id() != me) foreign.fetch_add(1);
  });
  b_done = true;
  ta.join();
  CHECK(!timed_out.load());
  CHECK(foreign.load() == 0);
  for (auto& h : hits) CHECK(h.load() == 1);
}

TEST_CASE("ThreadPool: two threads running jobs on two pools at once" * doctest::skip(!kThreaded)) {
  // Natively several threads may drive models at the same time: one job gets
  // the workers, the other runs inline, and neither waits for the other.
  constexpr int kJobs = 4000;
  ThreadPool pools[2] = {ThreadPool(2), ThreadPool(3)};
  std::atomic<int> bad{0};
  auto drive = [&](ThreadPool& pool, int seed) {
    constexpr size_t kMost = 40;
    std::vector<std::atomic<int>> hits(kMost);
    for (int job = 0; job < kJobs; ++job) {
      const size_t n = static_cast<size_t>((job * 7 + seed) % kMost) + 1;
      for (size_t i = 0; i < n; ++i) hits[i].store(0, std::memory_order_relaxed);
      pool.For(n, [&](size_t i) { hits[i].fetch_add(1, std::memory_order_relaxed); });
      for (size_t i = 0; i < n; ++i) {
        if (hits[i].load(std::memory_order_relaxed) != 1) bad.fetch_add(1);
      }
    }
  };
  std::thread t0([&] { drive(pools[0], 1); });
  std::thread t1([&] { drive(pools[1], 5); });
  drive(pools[0], 3);  // the main thread too, on a pool another thread also uses
  t0.join();
  t1.join();
  CHECK(bad.load() == 0);
}

TEST_CASE("ThreadPool: 1000 pools created and destroyed start no thread after the first" * doctest::skip(!kThreaded)) {
  { ThreadPool first(3); }
  const int workers = ThreadPool::WorkerThreads();
  CHECK(workers >= 2);
  for (int i = 0; i < 1000; ++i) {
    ThreadPool pool(1 + i % 3);
    CHECK(pool.threads() == 1 + i % 3);
    if (i % 10 == 0) CHECK(TileCounts(pool, 7) == std::vector<int>(7, 1));
  }
  CHECK(ThreadPool::WorkerThreads() == workers);
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

namespace {

// Runs a job whose worker tile sleeps 20 ms after the caller has run all
// its own (instant) tiles, as if descheduled: the caller's wait is a stall.
// Returns when it stalled, or nullopt when no worker joined in 10 s.
std::optional<std::chrono::steady_clock::time_point> StallOnce(ThreadPool& pool) {
  const std::thread::id caller = std::this_thread::get_id();
  constexpr int kTiles = 64;
  std::atomic<int> foreign{0}, caller_done{0};
  std::atomic<bool> timed_out{false};
  pool.For(kTiles, [&](size_t) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    if (std::this_thread::get_id() == caller) {
      // Keep a tile until a worker joined, so one does.
      while (foreign.load() == 0 && !timed_out) {
        if (std::chrono::steady_clock::now() > deadline) timed_out = true;
      }
      caller_done.fetch_add(1);
      return;
    }
    if (foreign.fetch_add(1) != 0) return;
    while (caller_done.load() < kTiles - 1 && !timed_out) {
      if (std::chrono::steady_clock::now() > deadline) timed_out = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  });
  if (timed_out.load()) return std::nullopt;
  return std::chrono::steady_clock::now();
}

// How many of 64 tiles ran on another thread than the caller.
int TilesElsewhere(ThreadPool& pool) {
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<int> elsewhere{0};
  pool.For(64, [&](size_t) {
    if (std::this_thread::get_id() != caller) elsewhere.fetch_add(1);
  });
  return elsewhere.load();
}

// Whether a worker joined a job of two tiles that each wait up to `wait`
// for the other to start (on the caller alone they run one after the other).
bool WorkerJoins(ThreadPool& pool, std::chrono::milliseconds wait) {
  std::atomic<int> started{0}, together{0};
  pool.For(2, [&](size_t) {
    started.fetch_add(1);
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (started.load() < 2 && std::chrono::steady_clock::now() < deadline) {
    }
    if (started.load() == 2 && std::chrono::steady_clock::now() < deadline) together.fetch_add(1);
  });
  return together.load() == 2;
}

}  // namespace

TEST_CASE("ThreadPool: after a worker stalls a job, the next jobs run on the caller alone" * doctest::skip(!kThreaded)) {
  ThreadPool pool(2);
  ThreadPool::ForgetStalls();
  const int stalls = ThreadPool::Stalls();
  const auto stalled = StallOnce(pool);
  REQUIRE(stalled.has_value());
  CHECK(ThreadPool::Stalls() == stalls + 1);
  // Within the solo time (50 ms) every tile runs on the caller; a loaded
  // machine may stop this thread longer than that, which is no failure.
  const int elsewhere = TilesElsewhere(pool);
  if (std::chrono::steady_clock::now() - *stalled < std::chrono::milliseconds(40)) {
    CHECK(elsewhere == 0);
  } else {
    MESSAGE("this thread was stopped past the solo time; the solo check was skipped");
  }
  // Afterwards workers join again (paired tiles need two threads).
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  std::atomic<int> started{0};
  pool.For(2, [&](size_t) {
    started.fetch_add(1);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (started.load() < 2 && std::chrono::steady_clock::now() < deadline) {
    }
  });
  CHECK(started.load() == 2);
  ThreadPool::ForgetStalls();
}

TEST_CASE("ThreadPool: GetStats counts shared and solo jobs, where their tiles ran, stalls and solo periods" *
          doctest::skip(!kThreaded)) {
  ThreadPool pool(2);
  ThreadPool::ForgetStalls();
  const ThreadPool::Stats before = ThreadPool::GetStats();
  REQUIRE(WorkerJoins(pool, std::chrono::seconds(10)));  // one shared job, a tile on each thread
  const ThreadPool::Stats joined = ThreadPool::GetStats();
  CHECK(joined.shared_jobs == before.shared_jobs + 1);
  CHECK(joined.caller_tiles == before.caller_tiles + 1);
  CHECK(joined.worker_tiles == before.worker_tiles + 1);
  CHECK(joined.solo_jobs == before.solo_jobs);
  CHECK(joined.wait_ms >= before.wait_ms);
  // A stall: the worker's 20 ms tile counts as the caller's wait and as a
  // stall; that job's window lost time, so a solo period starts and the
  // next job (within its 50 ms) is a solo one.
  // The workers earlier tests started spin on these 2 cores for a while, so
  // that job may have seen its worker descheduled (a stall): start afresh.
  ThreadPool::ForgetStalls();
  const auto stalled = StallOnce(pool);
  REQUIRE(stalled.has_value());
  const ThreadPool::Stats after_stall = ThreadPool::GetStats();
  CHECK(after_stall.stalls == joined.stalls + 1);
  CHECK(after_stall.solo_starts == joined.solo_starts + 1);  // the 20 ms job alone fills a window
  CHECK(after_stall.shared_jobs == joined.shared_jobs + 1);
  CHECK(after_stall.caller_tiles + after_stall.worker_tiles == joined.caller_tiles + joined.worker_tiles + 64);
  CHECK(after_stall.wait_ms - joined.wait_ms >= 10.0);
  TilesElsewhere(pool);
  if (std::chrono::steady_clock::now() - *stalled < std::chrono::milliseconds(40)) {
    CHECK(ThreadPool::GetStats().solo_jobs == after_stall.solo_jobs + 1);
  } else {
    MESSAGE("this thread was stopped past the solo time; the solo count was not checked");
  }
  ThreadPool::ForgetStalls();
}

TEST_CASE("ThreadPool: a stall soon after the caller ran alone doubles the next solo time" * doctest::skip(!kThreaded)) {
  // Stall, wait out the 50 ms, stall again at once: the machine is still
  // busy, so the caller runs alone for 100 ms now, and a third stall right
  // after would make it 200 ms. A stall long after a solo period ended
  // starts again at 50 ms.
  ThreadPool pool(2);
  ThreadPool::ForgetStalls();
  const auto first = StallOnce(pool);
  REQUIRE(first.has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  const auto second = StallOnce(pool);
  REQUIRE(second.has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(65));
  const bool joined = WorkerJoins(pool, std::chrono::milliseconds(10));
  if (*second - *first >= std::chrono::milliseconds(95)) {
    // The second stall came 45+ ms after the first period ended (this thread
    // was stopped in between): a fresh 50 ms period, rightly not doubled.
    MESSAGE("this thread was stopped between the stalls; the doubling check was skipped");
  } else if (std::chrono::steady_clock::now() - *second < std::chrono::milliseconds(95)) {
    CHECK_FALSE(joined);  // 65-85 ms after: past 50, inside 100
  } else {
    MESSAGE("this thread was stopped past the doubled solo time; the check was skipped");
  }
  // Quiet for much longer than the last period: back to 50 ms.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto later = StallOnce(pool);
  REQUIRE(later.has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(70));
  CHECK(WorkerJoins(pool, std::chrono::seconds(10)));  // 70 ms after a 50 ms period began
  ThreadPool::ForgetStalls();
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
