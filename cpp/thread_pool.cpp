// The process's pool of batch workers (thread_pool.h). Workers start on first need, one at a time up to the
// most helpers any call has asked for, and then wait on a condition variable for the next call: a call that
// was spending a thread start and join per worker now spends a wake-up.
//
// Lifetime: the pool lives in static storage and is never destroyed. Its workers are detached and block on
// the pool's condition variable between calls; destroying that variable (or a mutex) under waiting threads at
// exit is undefined, and joining them would need a shutdown handshake run from a static destructor while
// Python may still be calling in. The process's exit ends the threads instead. Being in static storage, the
// pool is no leak to LeakSanitizer (the fuzz targets run under it).
//
// fork: the child has only the forking thread, so its copy of the pool has workers that do not exist, maybe
// jobs of callers that do not exist, and a mutex or condition variable caught mid-use. The handlers below hold
// the pool's lock across fork() (so no worker is inside it) and build a fresh, empty pool in the child over the
// old one, which is abandoned undestroyed for the reason above.
#include "thread_pool.h"

#include <pthread.h>
#include <signal.h>

#include <condition_variable>
#include <mutex>
#include <new>
#include <thread>

namespace framecodec {

unsigned worker_count(unsigned threads, size_t tasks) {
  unsigned n = threads ? threads : std::thread::hardware_concurrency();
  if (n == 0) n = 1;
  if (tasks < n) n = tasks ? static_cast<unsigned>(tasks) : 1;
  return n;
}

namespace detail {
namespace {

class Pool {
 public:
  void run(Job& job, unsigned helpers) noexcept {
    {
      std::lock_guard<std::mutex> hold(lock_);
      helpers = grow(helpers);
      job.seats = helpers;
      if (helpers) {
        job.later = offered_;
        offered_ = &job;
      }
    }
    for (unsigned i = 0; i < helpers; ++i) wake_.notify_one();
    job.work(job.context);  // the caller takes tasks too, so its call ends even if no worker ever comes
    std::unique_lock<std::mutex> hold(lock_);
    withdraw(job);
    left_.wait(hold, [&] { return job.active == 0; });  // the job lives on the caller's stack
  }

  void lock() { lock_.lock(); }
  void unlock() { lock_.unlock(); }

 private:
  // Starts workers until there are `helpers` (under the lock) and returns how many there are, at most
  // `helpers`: a worker that cannot be started leaves its share to the others and the caller.
  unsigned grow(unsigned helpers) {
    if (workers_ < helpers) {
      // Workers block every signal, so a process-directed one (Ctrl-C) goes to a Python thread, which can act on it.
      sigset_t all, old;
      sigfillset(&all);
      pthread_sigmask(SIG_SETMASK, &all, &old);
      try {
        for (; workers_ < helpers; ++workers_) std::thread([this] { serve(); }).detach();
      } catch (...) {  // std::system_error: no more threads now
      }
      pthread_sigmask(SIG_SETMASK, &old, nullptr);
    }
    return workers_ < helpers ? workers_ : helpers;
  }

  // Takes the seat of an offered job that has tasks left (under the lock), dropping jobs with none.
  Job* take() {
    for (Job** p = &offered_; *p;) {
      Job* job = *p;
      if (job->seats == 0 || job->next.load(std::memory_order_relaxed) >= job->tasks) {
        *p = job->later;  // nothing left to share: no more workers join it
        continue;
      }
      if (--job->seats == 0) *p = job->later;
      ++job->active;
      return job;
    }
    return nullptr;
  }

  void withdraw(Job& job) {  // under the lock
    job.seats = 0;
    for (Job** p = &offered_; *p; p = &(*p)->later)
      if (*p == &job) {
        *p = job.later;
        return;
      }
  }

  void serve() {
    std::unique_lock<std::mutex> hold(lock_);
    for (;;) {
      Job* job = nullptr;
      wake_.wait(hold, [&] { return (job = take()) != nullptr; });
      hold.unlock();
      job->work(job->context);
      hold.lock();
      // Under the lock: the caller cannot see active == 0, return and free the job before this is done.
      if (--job->active == 0) left_.notify_all();
    }
  }

  std::mutex lock_;
  std::condition_variable wake_;  // workers wait for an offered job
  std::condition_variable left_;  // callers wait for the workers to leave their job
  Job* offered_ = nullptr;        // jobs with seats left, newest first
  unsigned workers_ = 0;
};

alignas(Pool) unsigned char storage[sizeof(Pool)];  // never destroyed: see the top of the file
Pool* pool_ptr = nullptr;

Pool& pool() {
  static Pool* const made = [] {
    pool_ptr = new (storage) Pool();
    pthread_atfork([] { pool_ptr->lock(); }, [] { pool_ptr->unlock(); },
                   [] { pool_ptr = new (storage) Pool(); });  // the old one is abandoned: see the top of the file
    return pool_ptr;
  }();
  (void)made;
  return *pool_ptr;
}

}  // namespace

void run_job(Job& job, unsigned helpers) noexcept {
  if (helpers == 0) {
    job.work(job.context);
    return;
  }
  pool().run(job, helpers);
}

}  // namespace detail
}  // namespace framecodec
