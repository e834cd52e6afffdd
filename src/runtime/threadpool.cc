// threadpool.cc — the shared worker threads behind ThreadPool::For.
//
// Built with threads natively and in the -pthread wasm module; the
// single-threaded wasm module (no -pthread) gets the plain loop at the end.
//
// One process-wide set of worker threads serves every ThreadPool. A pool is
// a handle holding a thread limit; its Run publishes a job to the shared
// workers, of which at most threads() - 1 join it. The workers run one job
// at a time: Run first takes `busy` (an atomic flag, never waited for); a
// Run that finds it taken (another thread's job) runs its tiles inline.
//
// Protocol (one job at a time, published through one atomic word):
//   state   = job id << 1 | open. Run (holding busy) writes the job (task,
//             ctx, n, next = 0, seats = threads - 1), then stores an odd
//             state: "job open".
//   workers wait for state to change (spin, then sleep), take a reference
//             (refs += 1), re-read state and, only if that same job is still
//             open, take a seat (seats -= 1); with a seat they claim tiles
//             with next.fetch_add until none is left. Then they drop the
//             reference.
//   Run     claims tiles too; when none is left it closes the job (even
//             state), waits until refs == 0 and releases busy.
// The seq_cst pair "refs += 1; read state" (worker) / "close; read refs"
// (caller) guarantees that either the caller sees the worker's reference and
// waits for it, or the worker sees the job closed and never touches it. So
// Run never waits for a worker that is asleep or was never scheduled (in a
// browser a worker can start late): the caller then does every tile itself,
// and a late worker cannot read the next job's half-written fields.
//
// A busy machine: when other processes share the cores, the OS may stop a
// worker in the middle of a tile, and the caller, done with every other
// tile, waits until the worker runs again (milliseconds), so an inference
// on 2 threads could take longer than on 1. The caller therefore times its
// own tiles and its wait for the workers' last ones, and judges shared jobs
// in windows of kWindow of their time: when a window took longer than the
// caller alone would have (its mean tile times the tiles), the jobs of the
// next kSoloTime run on the caller alone before workers are tried again. A
// losing window within kSoloTime after such a period ended (the machine is
// still busy) doubles the next one, up to kMaxSoloTime, so on a machine
// that stays busy the caller runs alone nearly all the time: 2 threads then
// cost what 1 does, instead of a stall per inference. An idle machine
// stalls a worker too, now and then (1-4 ms, a few times a second in
// Chromium on 2 cores): a window's gain pays for that, and it stays shared.
// (Sending jobs solo at every stall, as this pool first did, ran such a
// machine's 2-thread inferences alone most of the time.)
//
// Worker threads are started on demand, when a pool asks for more than
// exist, and never end, so loading and disposing models creates no threads
// after the first load. (In a browser a thread is a Web Worker from
// Emscripten's pre-started pool; one that exits only returns to that pool
// when the JS event loop runs, so create/exit cycles would run dry.) Once
// pthread_create fails the set stops growing for good: in a browser the
// Workers are all started with the module, and Emscripten 3.1.6 leaks the
// new thread's 2 MB stack on every failed pthread_create.
#include "runtime/threadpool.h"

#if !defined(__EMSCRIPTEN__) || defined(__EMSCRIPTEN_PTHREADS__)

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <pthread.h>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace qwasm {
namespace {

// More than 64 threads cannot help an operator of a phone-sized model.
constexpr int kMaxWorkers = 63;

// Workers spin this long for the next job before sleeping: longer than the
// gap between two operators of a model, so a whole inference runs without
// futex wake-ups (10-100 µs in browsers), short enough not to burn a core
// long after the inference.
constexpr auto kSpin = std::chrono::microseconds(1000);

// A wait for the workers' last tiles longer than this and than 4 of the
// caller's mean tiles is counted as a stall (Stats): an OS time slice lost
// is milliseconds; a browser's late wake-ups and uneven tiles are well
// under it.
constexpr auto kStallWait = std::chrono::microseconds(1000);
// Shared jobs are judged in windows of this much of their time (waits
// included): long enough that the idle machine's rare stalls (1-4 ms,
// a few a second in Chromium on 2 cores) cost less than the window's gain, so
// only a machine that stalls the workers again and again goes solo; short
// enough that such a machine loses little before it does. Jobs then run
// alone for kSoloTime, doubled up to kMaxSoloTime while it stays busy.
constexpr auto kWindow = std::chrono::milliseconds(20);
constexpr auto kSoloTime = std::chrono::milliseconds(50);
constexpr auto kMaxSoloTime = std::chrono::milliseconds(3200);

using Clock = std::chrono::steady_clock;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Spins until ready() or kSpin elapsed; true when ready. The clock (a JS
// call in wasm) is read once every 64 polls.
template <typename Ready>
bool SpinUntil(Ready ready) {
  const auto deadline = std::chrono::steady_clock::now() + kSpin;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (ready()) return true;
      CpuRelax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return ready();
  }
}

// The caller never sleeps (a browser main thread cannot); past the spin
// time it yields, which matters natively when threads outnumber cores.
template <typename Ready>
void SpinThenYield(Ready ready) {
  while (!SpinUntil(ready)) std::this_thread::yield();
}

// Locks without blocking: the caller may be a browser's main thread, which
// must not block (Emscripten warns). Every lock here is held for an instant
// (or, in Grow, for the pthread_create of a pre-started Worker).
std::unique_lock<std::mutex> LockSpinning(std::mutex& m) {
  std::unique_lock<std::mutex> lock(m, std::try_to_lock);
  while (!lock.owns_lock()) {
    CpuRelax();
    lock.try_lock();
  }
  return lock;
}

// Set while this thread runs a task of some pool: a For() inside a task runs
// inline instead of overwriting the job that is running.
thread_local bool tls_in_task = false;

// The shared worker threads and the job they run. Never destroyed: its
// threads live until the process (or the wasm module) ends.
class Workers {
 public:
  static Workers& Get() {
    static Workers* workers = new Workers();
    return *workers;
  }

  // Starts threads until `wanted` (at most kMaxWorkers) exist or the
  // platform refuses one; returns how many exist.
  int Grow(int wanted) {
    wanted = std::min(wanted, kMaxWorkers);
    if (count() >= wanted) return count();
    auto lock = LockSpinning(grow_mu_);
    if (limit_ >= 0) wanted = std::min(wanted, limit_);
    while (count_.load(std::memory_order_relaxed) < wanted && !exhausted_) {
      pthread_t thread;
      if (pthread_create(&thread, nullptr, &Workers::Main, this) != 0) {
        exhausted_ = true;
        break;
      }
      pthread_detach(thread);
      count_.fetch_add(1, std::memory_order_release);
    }
    return count();
  }

  int count() const { return count_.load(std::memory_order_acquire); }

  void Limit(int most) {
    auto lock = LockSpinning(grow_mu_);
    limit_ = most;
  }

  // Runs the job on the caller and at most `helpers` workers; returns false
  // without running anything when another job holds the workers.
  bool TryRun(size_t n, void (*task)(void*, size_t), void* ctx, int helpers) {
    if (Solo()) {
      solo_jobs_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    if (busy_.exchange(true, std::memory_order_acquire)) return false;
    task_ = task;
    ctx_ = ctx;
    n_ = n;
    next_.store(0, std::memory_order_relaxed);
    front_.store(0, std::memory_order_relaxed);
    back_.store(0, std::memory_order_relaxed);
    seats_.store(helpers, std::memory_order_relaxed);
    const uint32_t open = state_.load(std::memory_order_relaxed) + 1;  // odd
    state_.store(open, std::memory_order_seq_cst);
    WakeWorkers();
    const Clock::time_point start = Clock::now();
    const size_t own = RunTiles(true);
    state_.store(open + 1, std::memory_order_seq_cst);  // closed
    const Clock::time_point done = Clock::now();
    Clock::time_point end = done;
    if (refs_.load(std::memory_order_seq_cst) != 0) {
      SpinThenYield([&] { return refs_.load(std::memory_order_seq_cst) == 0; });
      end = Clock::now();
      if (own > 0 && end - done > std::max<Clock::duration>(kStallWait, 4 * (done - start) / own)) {
        stalls_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    if (own > 0) Account(end - start, (done - start) * n / own, n, n - own, helpers, end);
    Count(&shared_jobs_, 1);
    Count(&caller_tiles_, own);
    Count(&worker_tiles_, n - own);
    Count(&wait_ns_, std::chrono::duration_cast<std::chrono::nanoseconds>(end - done).count());
    busy_.store(false, std::memory_order_release);
    return true;
  }

  // Whether the shared jobs of the last kWindow paid for their workers.
  // They did not if they took longer, waits for stalled workers included,
  // than the caller alone would have (its mean tile times the tiles), or if
  // the workers ran under half their share of the tiles: then other
  // processes hold the cores, and the workers' spinning takes CPU time from
  // the caller as well (a caller-only comparison missed that: 2 threads ran
  // 1.7x slower than 1 beside two CPU-bound processes). Either sends the
  // next jobs solo. (Only the busy_ holder gets here.)
  void Account(Clock::duration took, Clock::duration alone, size_t tiles, size_t worker_tiles, int helpers,
               Clock::time_point now) {
    window_took_ += took;
    window_alone_ += alone;
    window_tiles_ += tiles;
    window_worker_tiles_ += worker_tiles;
    if (window_took_ < kWindow) return;
    // Paid: faster than alone, and the workers ran at least half their
    // share of the tiles, helpers / (helpers + 1) / 2.
    const bool paid = window_took_ < window_alone_ &&
                      2 * (helpers + 1) * window_worker_tiles_ >= static_cast<size_t>(helpers) * window_tiles_;
    window_took_ = window_alone_ = Clock::duration::zero();
    window_tiles_ = window_worker_tiles_ = 0;
    if (!paid && !Solo()) StartSolo(now);
  }

  // After a window that lost time, at `now`: jobs run on their caller alone
  // for a while, twice as long as last time if that ended less than
  // kSoloTime ago (a busy machine loses the first window after it again).
  // That is a fixed time, not the last period's length: one that grew with
  // the period kept an idle machine, whose rare losses come seconds apart,
  // solo for good.
  void StartSolo(Clock::time_point now) {
    const Clock::rep last_end = solo_until_.load(std::memory_order_relaxed);
    Clock::duration solo(solo_time_.load(std::memory_order_relaxed));
    const bool still_busy =
        last_end != 0 && now.time_since_epoch().count() - last_end < Clock::duration(kSoloTime).count();
    solo = still_busy ? std::min<Clock::duration>(2 * solo, kMaxSoloTime) : Clock::duration(kSoloTime);
    solo_time_.store(solo.count(), std::memory_order_relaxed);
    solo_until_.store((now + solo).time_since_epoch().count(), std::memory_order_relaxed);
    solo_starts_.fetch_add(1, std::memory_order_relaxed);
  }

  // Whether jobs run on their caller alone for now.
  bool Solo() const {
    const Clock::rep until = solo_until_.load(std::memory_order_relaxed);
    return until != 0 && Clock::now().time_since_epoch().count() < until;
  }

  int stalls() const { return stalls_.load(std::memory_order_relaxed); }
  ThreadPool::Stats stats() const {
    ThreadPool::Stats s;
    s.shared_jobs = shared_jobs_.load(std::memory_order_relaxed);
    s.solo_jobs = solo_jobs_.load(std::memory_order_relaxed);
    s.caller_tiles = caller_tiles_.load(std::memory_order_relaxed);
    s.worker_tiles = worker_tiles_.load(std::memory_order_relaxed);
    s.wait_ms = static_cast<double>(wait_ns_.load(std::memory_order_relaxed)) / 1e6;
    s.stalls = stalls_.load(std::memory_order_relaxed);
    s.solo_starts = solo_starts_.load(std::memory_order_relaxed);
    return s;
  }
  void ForgetStalls() {  // for tests, between jobs
    window_took_ = window_alone_ = Clock::duration::zero();
    window_tiles_ = window_worker_tiles_ = 0;
    solo_until_.store(0, std::memory_order_relaxed);
    solo_time_.store(Clock::duration(kSoloTime).count(), std::memory_order_relaxed);
  }

 private:
  static void* Main(void* arg) {
    static_cast<Workers*>(arg)->WorkerLoop();
    return nullptr;
  }

  void WorkerLoop() {
    uint32_t seen = 0;  // the initial state: a job opened before this thread started is still joined
    for (;;) {
      const uint32_t s = WaitForChange(seen);
      seen = s;
      if (!(s & 1)) continue;  // a closed job
      refs_.fetch_add(1, std::memory_order_seq_cst);
      if (state_.load(std::memory_order_seq_cst) == s && seats_.fetch_sub(1, std::memory_order_relaxed) > 0) {
        RunTiles(false);
      }
      refs_.fetch_sub(1, std::memory_order_release);
    }
  }

  // Runs tiles until none is left; returns how many this thread ran. The
  // caller takes tiles from the front, workers from the back (next_ counts
  // claims, so the two ends never meet): consecutive operators cut their
  // rows alike, so each thread keeps reading the rows it just wrote, from its
  // own core's cache, instead of whichever rows a race gave it.
  size_t RunTiles(bool caller) {
    tls_in_task = true;
    size_t ran = 0;
    while (next_.fetch_add(1, std::memory_order_relaxed) < n_) {
      const size_t i = caller ? front_.fetch_add(1, std::memory_order_relaxed)
                              : n_ - 1 - back_.fetch_add(1, std::memory_order_relaxed);
      task_(ctx_, i);
      ++ran;
    }
    tls_in_task = false;
    return ran;
  }

  // Blocks until state != seen; returns the new state.
  uint32_t WaitForChange(uint32_t seen) {
    auto changed = [&] { return state_.load(std::memory_order_seq_cst) != seen; };
    if (!SpinUntil(changed)) {
      std::unique_lock<std::mutex> lock(mu_);
      sleeping_.fetch_add(1, std::memory_order_seq_cst);
      job_cv_.wait(lock, changed);
      sleeping_.fetch_sub(1, std::memory_order_relaxed);
    }
    return state_.load(std::memory_order_acquire);
  }

  // Wakes sleeping workers after state changed. Taking the lock orders this
  // after a sleeper's last look at state.
  void WakeWorkers() {
    if (sleeping_.load(std::memory_order_seq_cst) == 0) return;
    LockSpinning(mu_).unlock();
    job_cv_.notify_all();
  }

  // The job; written by the busy holder before it opens the job.
  void (*task_)(void*, size_t) = nullptr;
  void* ctx_ = nullptr;
  size_t n_ = 0;
  alignas(64) std::atomic<size_t> next_{0};  // tiles claimed
  std::atomic<size_t> front_{0}, back_{0};    // taken from each end
  std::atomic<int> seats_{0};  // workers that may still join the open job
  alignas(64) std::atomic<uint32_t> state_{0};  // what idle workers poll
  alignas(64) std::atomic<uint32_t> refs_{0};
  std::atomic<bool> busy_{false};  // held by the Run whose job the workers serve
  std::atomic<Clock::rep> solo_until_{0};  // jobs run on their caller alone until then
  std::atomic<Clock::rep> solo_time_{Clock::duration(kSoloTime).count()};  // the last solo period's length
  std::atomic<int> stalls_{0};
  // Stats(); written by the busy_ holder (solo_jobs_ by any caller).
  std::atomic<uint64_t> shared_jobs_{0}, solo_jobs_{0}, caller_tiles_{0}, worker_tiles_{0}, wait_ns_{0};
  std::atomic<int> solo_starts_{0};
  static void Count(std::atomic<uint64_t>* c, uint64_t v) {
    c->store(c->load(std::memory_order_relaxed) + v, std::memory_order_relaxed);  // one writer
  }
  // Account()'s window; touched only by the busy_ holder.
  Clock::duration window_took_{}, window_alone_{};
  size_t window_tiles_ = 0, window_worker_tiles_ = 0;

  std::mutex mu_;
  std::condition_variable job_cv_;  // idle workers sleep here
  std::atomic<int> sleeping_{0};

  std::mutex grow_mu_;
  std::atomic<int> count_{0};  // threads started
  bool exhausted_ = false;     // pthread_create failed once; guarded by grow_mu_
  int limit_ = -1;             // LimitWorkerThreads; guarded by grow_mu_
};

}  // namespace

ThreadPool::ThreadPool(int threads) {
  const int helpers = std::min(std::max(threads, 1), kMaxWorkers + 1) - 1;
  if (helpers > 0) threads_ = 1 + std::min(helpers, Workers::Get().Grow(helpers));
}

void ThreadPool::Run(size_t n, void (*task)(void*, size_t), void* ctx) {
  if (n <= 1 || threads_ == 1 || tls_in_task || !Workers::Get().TryRun(n, task, ctx, threads_ - 1)) {
    for (size_t i = 0; i < n; ++i) task(ctx, i);
  }
}

int ThreadPool::WorkerThreads() { return Workers::Get().count(); }
void ThreadPool::LimitWorkerThreads(int most) { Workers::Get().Limit(most); }
int ThreadPool::Stalls() { return Workers::Get().stalls(); }
void ThreadPool::ForgetStalls() { Workers::Get().ForgetStalls(); }
ThreadPool::Stats ThreadPool::GetStats() { return Workers::Get().stats(); }

}  // namespace qwasm

#else  // single-threaded wasm module

namespace qwasm {

ThreadPool::ThreadPool(int) {}
void ThreadPool::Run(size_t n, void (*task)(void*, size_t), void* ctx) {
  for (size_t i = 0; i < n; ++i) task(ctx, i);
}
int ThreadPool::WorkerThreads() { return 0; }
void ThreadPool::LimitWorkerThreads(int) {}
int ThreadPool::Stalls() { return 0; }
void ThreadPool::ForgetStalls() {}
ThreadPool::Stats ThreadPool::GetStats() { return {}; }

}  // namespace qwasm

#endif
