#pragma once
// Flush denormal floats to zero (FTZ + DAZ) for the lifetime of a scope, as TensorFlow runs
// its kernels. Optimizer slots of weights whose gradient stays zero (Adam's m of an always-black
// pixel's row) decay into denormals after a few hundred steps, and arithmetic on denormals is
// ~15x slower on x86; below 1e-38 the values carry nothing a network can use.
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace strata::detail {

class ScopedFlushDenormals {
 public:
#if defined(__SSE__)
  ScopedFlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kFtz | kDaz); }
  ~ScopedFlushDenormals() { _mm_setcsr(saved_); }

 private:
  static constexpr unsigned kFtz = 0x8000, kDaz = 0x0040;
  unsigned saved_;
#else
  ScopedFlushDenormals() = default;
#endif
 public:
  ScopedFlushDenormals(const ScopedFlushDenormals&) = delete;
  ScopedFlushDenormals& operator=(const ScopedFlushDenormals&) = delete;
};

}  // namespace strata::detail
