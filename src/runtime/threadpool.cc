// threadpool.cc — the persistent pool behind ThreadPool::For.
//
// Built with threads natively and in the -pthread wasm module; the
// single-threaded wasm module (no -pthread) gets the plain loop at the end.
//
// Protocol (one job at a time, published through one atomic word):
//   state   = job id << 1 | open. Run writes the job (task, ctx, n, next = 0),
//             then stores an odd state: "job open".
//   workers wait for state to change (spin, then sleep), take a reference
//             (refs += 1), re-read state and join only if that same job is
//             still open; they claim tiles with next.fetch_add until none is
//             left and drop the reference.
//   Run     claims tiles too; when none is left it closes the job (even
//             state) and waits until refs == 0.
// The seq_cst pair "refs += 1; read state" (worker) / "close; read refs"
// (caller) guarantees that either the caller sees the worker's reference and
// waits for it, or the worker sees the job closed and never touches it. So
// Run never waits for a worker that is asleep or was never scheduled (in a
// browser a worker can start late): the caller then does every tile itself,
// and a late worker cannot read the next job's half-written fields.
//
// Worker threads outlive pools: a pool borrows them from a process-wide cache
// and gives them back when destroyed, so loading and disposing models creates
// no threads after the first load. (In a browser a thread is a Web Worker
// from Emscripten's pre-started pool; one that exits only returns to that
// pool when the JS event loop runs, so create/exit cycles would run dry.)
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
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace qwasm {
namespace {

// Workers spin this long for the next job before sleeping: longer than the
// gap between two operators of a model, so a whole inference runs without
// futex wake-ups (10-100 µs in browsers), short enough not to burn a core
// long after the inference.
constexpr auto kSpin = std::chrono::microseconds(1000);

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

// Locks without blocking: the caller may be a browser's main thread, which
// must not block (Emscripten warns). Every lock here is held for an instant.
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

// What the caller and the workers share.
struct Pool {
  // The job; written by Run only while no worker holds a reference.
  void (*task)(void*, size_t) = nullptr;
  void* ctx = nullptr;
  size_t n = 0;
  alignas(64) std::atomic<size_t> next{0};
  alignas(64) std::atomic<uint32_t> state{0};  // what idle workers poll
  std::atomic<bool> stop{false};
  alignas(64) std::atomic<uint32_t> refs{0};
  std::atomic<int> attached{0};  // borrowed workers still inside WorkerLoop

  std::mutex mu;
  std::condition_variable job_cv;  // idle workers sleep here
  std::atomic<int> sleeping{0};

  void RunTiles() {
    tls_in_task = true;
    for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n;) task(ctx, i);
    tls_in_task = false;
  }

  // Blocks until state != seen or stop; returns the new state.
  uint32_t WaitForChange(uint32_t seen) {
    auto changed = [&] {
      return state.load(std::memory_order_seq_cst) != seen || stop.load(std::memory_order_seq_cst);
    };
    if (!SpinUntil(changed)) {
      std::unique_lock<std::mutex> lock(mu);
      sleeping.fetch_add(1, std::memory_order_seq_cst);
      job_cv.wait(lock, changed);
      sleeping.fetch_sub(1, std::memory_order_relaxed);
    }
    return state.load(std::memory_order_acquire);
  }

  // A borrowed worker's life in this pool; returns once stop is set.
  void WorkerLoop() {
    uint32_t seen = 0;  // the initial state: a job opened before this thread arrived is still joined
    for (;;) {
      const uint32_t s = WaitForChange(seen);
      if (stop.load(std::memory_order_acquire)) return;
      seen = s;
      if (!(s & 1)) continue;  // a closed job
      refs.fetch_add(1, std::memory_order_seq_cst);
      if (state.load(std::memory_order_seq_cst) == s) RunTiles();
      refs.fetch_sub(1, std::memory_order_release);
    }
  }

  // Wakes sleeping workers after state or stop changed. Taking the lock
  // orders this after a sleeper's last look at state.
  void WakeWorkers() {
    if (sleeping.load(std::memory_order_seq_cst) == 0) return;
    LockSpinning(mu).unlock();
    job_cv.notify_all();
  }

  // The caller never sleeps (a browser main thread cannot); past the spin
  // time it yields, which matters natively when threads outnumber cores.
  template <typename Ready>
  static void SpinThenYield(Ready ready) {
    while (!SpinUntil(ready)) std::this_thread::yield();
  }
};

// Parked worker threads, shared by all pools. Never destroyed: its threads
// live until the process (or the wasm module) ends.
class ThreadCache {
 public:
  struct Worker {
    std::mutex mu;
    std::condition_variable cv;
    Pool* pool = nullptr;  // guarded by mu
  };

  static ThreadCache& Get() {
    static ThreadCache* cache = new ThreadCache();
    return *cache;
  }

  // Lends a parked worker to `pool`, starting a thread if none is parked;
  // false when no thread can be started.
  bool Lend(Pool* pool) {
    Worker* w = nullptr;
    {
      auto lock = LockSpinning(mu_);
      if (!parked_.empty()) {
        w = parked_.back();
        parked_.pop_back();
      }
    }
    if (!w) {
      w = new Worker();
      pthread_t thread;
      if (pthread_create(&thread, nullptr, &ThreadCache::Main, w) != 0) {
        delete w;
        return false;
      }
      pthread_detach(thread);
    }
    pool->attached.fetch_add(1, std::memory_order_relaxed);
    {
      auto lock = LockSpinning(w->mu);
      w->pool = pool;
    }
    w->cv.notify_one();
    return true;
  }

 private:
  static void* Main(void* arg) {
    Worker* w = static_cast<Worker*>(arg);
    for (;;) {
      Pool* pool;
      {
        std::unique_lock<std::mutex> lock(w->mu);
        w->cv.wait(lock, [&] { return w->pool != nullptr; });
        pool = w->pool;
        w->pool = nullptr;
      }
      pool->WorkerLoop();
      {
        std::lock_guard<std::mutex> lock(Get().mu_);
        Get().parked_.push_back(w);
      }
      // Parked before detaching, so the next pool finds this thread; after
      // this line the pool may be gone.
      pool->attached.fetch_sub(1, std::memory_order_release);
    }
  }

  std::mutex mu_;
  std::vector<Worker*> parked_;
};

}  // namespace

struct ThreadPool::Impl {
  Pool pool;
  int threads = 1;
};

ThreadPool::ThreadPool(int threads) : impl_(new Impl()) {
  // More than 64 threads cannot help an operator of a phone-sized model.
  const int wanted = std::min(std::max(threads, 1), 64);
  while (impl_->threads < wanted && ThreadCache::Get().Lend(&impl_->pool)) ++impl_->threads;
}

ThreadPool::~ThreadPool() {
  Pool& p = impl_->pool;
  p.stop.store(true, std::memory_order_seq_cst);
  p.WakeWorkers();
  Pool::SpinThenYield([&] { return p.attached.load(std::memory_order_acquire) == 0; });
}

int ThreadPool::threads() const { return impl_->threads; }

void ThreadPool::Run(size_t n, void (*task)(void*, size_t), void* ctx) {
  Pool& p = impl_->pool;
  if (n <= 1 || impl_->threads == 1 || tls_in_task) {
    for (size_t i = 0; i < n; ++i) task(ctx, i);
    return;
  }
  p.task = task;
  p.ctx = ctx;
  p.n = n;
  p.next.store(0, std::memory_order_relaxed);
  const uint32_t open = p.state.load(std::memory_order_relaxed) + 1;  // odd
  p.state.store(open, std::memory_order_seq_cst);
  p.WakeWorkers();
  p.RunTiles();
  p.state.store(open + 1, std::memory_order_seq_cst);  // closed
  Pool::SpinThenYield([&] { return p.refs.load(std::memory_order_seq_cst) == 0; });
}

}  // namespace qwasm

#else  // single-threaded wasm module

namespace qwasm {

struct ThreadPool::Impl {};

ThreadPool::ThreadPool(int) : impl_(new Impl()) {}
ThreadPool::~ThreadPool() = default;
int ThreadPool::threads() const { return 1; }
void ThreadPool::Run(size_t n, void (*task)(void*, size_t), void* ctx) {
  for (size_t i = 0; i < n; ++i) task(ctx, i);
}

}  // namespace qwasm

#endif
