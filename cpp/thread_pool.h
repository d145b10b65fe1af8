// The batch engine's workers: one pool of threads for the whole process, started on first need and kept,
// so a batch call costs a wake-up rather than a thread start and join (thread_pool.cpp).
// The pool owns no kernel state: each participant of a call makes its own (an Inflater, a scratch buffer)
// through the caller's per-worker state type, so a call shares nothing but its own task counter.
#pragma once
#include <atomic>
#include <cstddef>
#include <exception>

namespace framecodec {

// The number of workers for `threads` (0: one per core) and `tasks`: never more workers than tasks.
unsigned worker_count(unsigned threads, size_t tasks);

// Below this many bytes of work (roughly the bytes a call produces, see run_parallel) a call runs on the calling
// thread alone. Waking a worker and waiting for its last task costs tens of microseconds on an idle machine and
// milliseconds on a loaded one, when the worker waits for a core; the fast kernels produce 1 to 10 GB/s (a copy,
// RLE) or 0.3 to 1 GB/s (inflate). Measured on a loaded 2-core machine, pixel_array with threads=2 on RLE and
// deflate files lost to threads=1 up to 512 KB of pixels, broke even around 2 MB and won at 8 MB; 1 MB keeps
// the small files' loss away and the large ones' gain. The batch decoder weighs its bytes by codec (decode_work in
// batch_decode.cpp: RLE and the copies are cheaper a byte than inflate). The fuzz build sets 0, so its small
// inputs use the pool.
#ifndef FRAMECODEC_INLINE_WORK_BYTES
#define FRAMECODEC_INLINE_WORK_BYTES (size_t{1} << 20)
#endif
constexpr size_t inline_work_bytes = FRAMECODEC_INLINE_WORK_BYTES;

namespace detail {

// One call of run_parallel as the pool sees it: its task counter and the work each participant runs.
struct Job {
  std::atomic<size_t> next{0};  // the next task to take; >= tasks when every task is taken
  size_t tasks = 0;
  void (*work)(void* context) = nullptr;  // takes tasks until none is left; never throws
  void* context = nullptr;
  // The pool's bookkeeping, under its lock.
  unsigned seats = 0;    // pool workers that may still join
  unsigned active = 0;   // pool workers working on it now
  Job* later = nullptr;  // the next job offered to the workers (a list in the job, so offering allocates nothing)
};

// Offers `job` to up to `helpers` pool workers (starting them if the pool has fewer), runs job.work here too,
// and returns once every worker that joined has left it. helpers = 0: runs it here only, touching no pool.
void run_job(Job& job, unsigned helpers) noexcept;

}  // namespace detail

// Runs run(state, i) for every i in [0, tasks), on at most worker_count(threads, tasks) threads counting the
// calling one, which always works on its own call (so a call never waits on workers busy with another call:
// several calls at once, from several Python threads, each complete). threads = 1, one task, or `work_bytes`
// (an estimate of the work, in bytes produced) under inline_work_bytes: the calling thread does it all and no
// worker is woken. Each participant constructs one State (default constructible) and hands it to every task it
// takes; tasks are taken one at a time in order, so the work balances itself. `run` must not throw (record
// failures instead); an exception from State's constructor is rethrown here after every participant has stopped.
template <class State, class Fn>
void run_parallel(size_t tasks, unsigned threads, size_t work_bytes, Fn&& run) {
  struct Context {
    detail::Job job;
    Fn& run;
    std::exception_ptr failure;
    std::atomic<bool> failed{false};
  } c{{}, run, nullptr, {false}};
  c.job.tasks = tasks;
  c.job.context = &c;
  c.job.work = [](void* p) {
    Context& c = *static_cast<Context*>(p);
    try {
      State state;
      for (size_t i; (i = c.job.next.fetch_add(1, std::memory_order_relaxed)) < c.job.tasks;) c.run(state, i);
    } catch (...) {
      if (!c.failed.exchange(true)) c.failure = std::current_exception();
      c.job.next.store(c.job.tasks);  // the others stop taking tasks
    }
  };
  const unsigned n = work_bytes < inline_work_bytes ? 1 : worker_count(threads, tasks);
  detail::run_job(c.job, n - 1);
  if (c.failure) std::rethrow_exception(c.failure);
}

}  // namespace framecodec
