#pragma once
// Shared pieces of the benchmark programs.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <vector>

#include <strata/strata.hpp>

namespace strata::bench {

using Clock = std::chrono::steady_clock;
inline double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n == 0 ? 0.0 : (n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]));
}

/// 64-byte aligned float buffer, as strata's tensors are (BLAS runs faster on aligned rows).
struct AlignedVec {
  explicit AlignedVec(std::size_t n, float v = 0.f)
      : n_(n), p_(static_cast<float*>(std::aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64))) {
    std::fill(p_, p_ + n, v);
  }
  ~AlignedVec() { std::free(p_); }
  AlignedVec(const AlignedVec&) = delete;
  AlignedVec& operator=(const AlignedVec&) = delete;
  float* data() { return p_; }
  std::size_t size() const { return n_; }
  std::size_t n_;
  float* p_;
};

/// Every benchmark runs single-threaded, so that figures compare like with like.
inline int run_main(int argc, char** argv) {
  strata::set_num_threads(1);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace strata::bench
