// The worker pool behind parallel_for: threads - 1 workers made on first use, sleeping on a
// condition variable between loops. The caller claims chunks too, so a loop never waits for a
// worker that has not woken up yet: it only waits for chunks a worker has already started.
#include "detail/parallel.hpp"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "detail/denormals.hpp"
#include "strata/threads.hpp"

#ifdef __linux__
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#endif

namespace strata::detail {
namespace {

thread_local bool t_in_chunk = false;

class Pool {
 public:
  /// False when another thread is running a loop on the pool (the caller then runs inline).
  bool run(std::int64_t n, int chunks, int threads, std::int64_t align, ChunkFn fn, void* ctx) {
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock()) return false;
    {
      std::lock_guard<std::mutex> lk(m_);
      active_ = std::min(chunks, threads) - 1;
      while (static_cast<int>(workers_.size()) < active_) {
        const int index = static_cast<int>(workers_.size());
        try {
          workers_.emplace_back([this, index] { work(index); });
        } catch (const std::system_error&) {  // no more threads (a container's limit): use those there are
          active_ = index;
          break;
        }
        workers_cpu_ = -1;  // the new worker needs its CPU set
      }
      fp_mode_ = fp_mode();  // workers run the chunks in the caller's mode (denormals flushed or not)
      fn_ = fn;
      ctx_ = ctx;
      n_ = n;
      align_ = align;
      chunks_ = chunks;
      next_ = 0;
      done_ = 0;
      error_ = nullptr;
    }
    keep_off_caller_cpu();
    work_cv_.notify_all();
    std::unique_lock<std::mutex> lk(m_);
    while (next_ < chunks_) run_one(lk);
    done_cv_.wait(lk, [this] { return done_ == chunks_; });
    chunks_ = 0;
    if (error_) std::rethrow_exception(error_);
    return true;
  }

 private:
  /// Lets the workers run on every allowed CPU but the caller's. Right after a GEMM the other
  /// CPUs are busy with OpenBLAS's threads (they spin, yielding, for a while), so the scheduler
  /// sees no idle CPU and would wake a worker on the caller's own CPU, where it preempts the
  /// caller and the loop runs on one core after all. Updated only when the caller has moved.
  void keep_off_caller_cpu() {
#ifdef __linux__
    const int cpu = sched_getcpu();
    if (cpu < 0 || cpu == workers_cpu_ || workers_.empty()) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(getpid(), sizeof(set), &set) != 0) return;  // the main thread's CPUs
    CPU_CLR(cpu, &set);
    if (CPU_COUNT(&set) == 0) return;  // the process may use this CPU only
    for (auto& w : workers_) pthread_setaffinity_np(w.native_handle(), sizeof(set), &set);
    workers_cpu_ = cpu;
#endif
  }

  /// Worker `index` takes part in loops that want more than `index` workers (a loop on fewer
  /// threads than the pool has leaves the others asleep).
  void work(int index) {
    std::unique_lock<std::mutex> lk(m_);
    for (;;) {
      work_cv_.wait(lk, [this, index] { return next_ < chunks_ && index < active_; });
      while (next_ < chunks_) run_one(lk);
    }
  }

  /// Claims the next chunk and runs it with the lock released. Called with `lk` held.
  void run_one(std::unique_lock<std::mutex>& lk) {
    const int c = next_++;
    const std::int64_t b = bound(c), e = bound(c + 1);
    const ChunkFn fn = fn_;
    void* const ctx = ctx_;
    const unsigned caller_mode = fp_mode_;
    lk.unlock();
    std::exception_ptr err;
    t_in_chunk = true;
    try {
      const ScopedFpMode mode(caller_mode);
      if (e > b) fn(ctx, b, e);
    } catch (...) {
      err = std::current_exception();
    }
    t_in_chunk = false;
    lk.lock();
    if (err && !error_) error_ = err;
    if (++done_ == chunks_) done_cv_.notify_all();
  }

  std::int64_t bound(int c) const {
    if (c >= chunks_) return n_;
    const std::int64_t raw = n_ * c / chunks_;
    return raw / align_ * align_;
  }

  std::mutex busy_;  // one loop at a time
  std::mutex m_;
  std::condition_variable work_cv_, done_cv_;
  std::vector<std::thread> workers_;
  ChunkFn fn_ = nullptr;
  void* ctx_ = nullptr;
  std::int64_t n_ = 0, align_ = 1;
  int chunks_ = 0, next_ = 0, done_ = 0, active_ = 0;
  int workers_cpu_ = -1;  // the CPU the workers were last kept off
  unsigned fp_mode_ = 0;  // the caller's floating-point mode
  std::exception_ptr error_;
};

Pool& pool() {
  // Never destroyed: workers sleep until the process ends, so no thread is joined while
  // static objects are being torn down.
  static Pool* p = new Pool;
  return *p;
}

}  // namespace

int chunks_for(std::int64_t n, std::int64_t grain) {
  if (t_in_chunk || n < 2 * grain) return 1;
  const int threads = get_num_threads();
  if (threads <= 1) return 1;
  // Several chunks per thread: a worker wakes tens of µs after the caller starts (longer on a
  // virtual machine, whose idle cores are halted), and the caller meanwhile claims chunks
  // itself, so it never waits long for a late worker.
  const std::int64_t chunks =
      std::min<std::int64_t>(kChunksPerThread * threads, std::max<std::int64_t>(threads, kChunksPerThread * n / grain));
  return static_cast<int>(std::min(chunks, n));  // no empty chunks
}

void run_chunks(std::int64_t n, int chunks, std::int64_t align, ChunkFn fn, void* ctx) {
  if (chunks <= 1 || t_in_chunk || !pool().run(n, chunks, get_num_threads(), std::max<std::int64_t>(align, 1), fn, ctx))
    fn(ctx, 0, n);
}

}  // namespace strata::detail
