#pragma once
// Flush denormal floats to zero (FTZ + DAZ) for the lifetime of a scope, as TensorFlow runs
// its kernels. Optimizer slots of weights whose gradient stays zero (Adam's m of an always-black
// pixel's row) decay into denormals after a few hundred steps, and arithmetic on denormals is
// ~15x slower on x86; below 1e-38 the values carry nothing a network can use.
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace strata::detail {

/// The calling thread's floating-point control state (SSE's MXCSR: rounding, FTZ, DAZ), which
/// strata's worker threads adopt for each chunk they run for a caller.
#if defined(__SSE__)
inline unsigned fp_mode() { return _mm_getcsr(); }
inline void set_fp_mode(unsigned mode) { _mm_setcsr(mode); }
#else
inline unsigned fp_mode() { return 0; }
inline void set_fp_mode(unsigned) {}
#endif

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
