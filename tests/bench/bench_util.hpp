#pragma once
// Shared pieces of the benchmark programs.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>

#include <strata/strata.hpp>

namespace strata::bench {

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
