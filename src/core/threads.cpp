#include "strata/threads.hpp"

#include <atomic>
#include <string>

#include "strata/error.hpp"

namespace strata {
namespace detail {
void blas_set_num_threads(int n);
int blas_get_num_threads();
}  // namespace detail

namespace {
std::atomic<int> g_threads{0};  // 0: not set, BLAS's default (every core)
}

void set_num_threads(int n) {
  if (n < 1) throw ValueError("set_num_threads: need at least 1 thread, got " + std::to_string(n));
  detail::blas_set_num_threads(n);
  g_threads = n;
}

int get_num_threads() {
  const int n = g_threads.load();
  return n > 0 ? n : detail::blas_get_num_threads();
}

}  // namespace strata
