// Single-threaded ThreadPool: the fallback when the build has no threads.
// (The multi-threaded implementation replaces this file's body under
// QWASM_THREADS.)
#include "runtime/threadpool.h"

namespace qwasm {

struct ThreadPool::Impl {};

ThreadPool::ThreadPool(int) : impl_(new Impl()) {}
ThreadPool::~ThreadPool() = default;
int ThreadPool::threads() const { return 1; }
void ThreadPool::Run(size_t n, void (*task)(void*, size_t), void* ctx) {
  for (size_t i = 0; i < n; ++i) task(ctx, i);
}

}  // namespace qwasm
