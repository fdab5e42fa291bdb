// The worker pool behind parallel_for: threads - 1 workers made on first use, sleeping on a
// condition variable between loops. The caller claims chunks too, so a loop never waits for a
// worker that has not woken up yet: it only waits for chunks a worker has already started.
#include "detail/parallel.hpp"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "strata/threads.hpp"

namespace strata::detail {
namespace {

thread_local bool t_in_chunk = false;

class Pool {
 public:
  /// False when another thread is running a loop on the pool (the caller then runs inline).
  bool run(std::int64_t n, int chunks, std::int64_t align, ChunkFn fn, void* ctx) {
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock()) return false;
    {
      std::lock_guard<std::mutex> lk(m_);
      while (static_cast<int>(workers_.size()) < chunks - 1) workers_.emplace_back([this] { work(); });
      fn_ = fn;
      ctx_ = ctx;
      n_ = n;
      align_ = align;
      chunks_ = chunks;
      next_ = 0;
      done_ = 0;
      error_ = nullptr;
    }
    work_cv_.notify_all();
    std::unique_lock<std::mutex> lk(m_);
    while (next_ < chunks_) run_one(lk);
    done_cv_.wait(lk, [this] { return done_ == chunks_; });
    chunks_ = 0;
    if (error_) std::rethrow_exception(error_);
    return true;
  }

 private:
  void work() {
    std::unique_lock<std::mutex> lk(m_);
    for (;;) {
      work_cv_.wait(lk, [this] { return next_ < chunks_; });
      while (next_ < chunks_) run_one(lk);
    }
  }

  /// Claims the next chunk and runs it with the lock released. Called with `lk` held.
  void run_one(std::unique_lock<std::mutex>& lk) {
    const int c = next_++;
    const std::int64_t b = bound(c), e = bound(c + 1);
    const ChunkFn fn = fn_;
    void* const ctx = ctx_;
    lk.unlock();
    std::exception_ptr err;
    t_in_chunk = true;
    try {
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
  int chunks_ = 0, next_ = 0, done_ = 0;
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
  return static_cast<int>(std::min<std::int64_t>(threads, n / grain));
}

void run_chunks(std::int64_t n, int chunks, std::int64_t align, ChunkFn fn, void* ctx) {
  if (chunks <= 1 || t_in_chunk || !pool().run(n, chunks, std::max<std::int64_t>(align, 1), fn, ctx)) fn(ctx, 0, n);
}

}  // namespace strata::detail
