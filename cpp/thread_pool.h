// The batch engine's workers: a small pool of std::threads that share one list of tasks.
// A pool lives for one batch call. It owns no kernel state: each worker makes its own (an Inflater,
// a scratch buffer) through the caller's per-worker state type, so nothing is shared but the task counter.
#pragma once
#include <atomic>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace framecodec {

// The number of workers for `threads` (0: one per core) and `tasks`: never more workers than tasks.
inline unsigned worker_count(unsigned threads, size_t tasks) {
  unsigned n = threads ? threads : std::thread::hardware_concurrency();
  if (n == 0) n = 1;
  if (tasks < n) n = tasks ? static_cast<unsigned>(tasks) : 1;
  return n;
}

// Runs run(state, i) for every i in [0, tasks), on worker_count(threads, tasks) workers; the calling
// thread is one of them, so threads = 1 spawns nothing. Each worker constructs one State (default
// constructible) and hands it to every task it takes; tasks are taken one at a time in order, so the
// work balances itself. `run` must not throw (record failures instead); an exception from State's
// constructor is rethrown here after every worker has stopped.
template <class State, class Fn>
void run_parallel(size_t tasks, unsigned threads, Fn&& run) {
  std::atomic<size_t> next{0};
  std::exception_ptr failure;
  std::atomic<bool> failed{false};
  auto work = [&] {
    try {
      State state;
      for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < tasks;) run(state, i);
    } catch (...) {
      if (!failed.exchange(true)) failure = std::current_exception();
      next.store(tasks);  // the others stop taking tasks
    }
  };
  const unsigned n = worker_count(threads, tasks);
  std::vector<std::thread> pool;
  pool.reserve(n - 1);
  try {
    for (unsigned w = 1; w < n; ++w) pool.emplace_back(work);
  } catch (...) {  // no thread could be started: the ones that did, and this one, do the work
  }
  work();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace framecodec
