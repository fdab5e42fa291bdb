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

/// Sets the thread's floating-point mode for a scope and restores the previous one after.
class ScopedFpMode {
 public:
  explicit ScopedFpMode(unsigned mode) : saved_(fp_mode()) {
    if (mode != saved_) set_fp_mode(mode);
  }
  ~ScopedFpMode() {
    if (fp_mode() != saved_) set_fp_mode(saved_);
  }
  ScopedFpMode(const ScopedFpMode&) = delete;
  ScopedFpMode& operator=(const ScopedFpMode&) = delete;

 private:
  unsigned saved_;
};

/// Flushes denormals to zero (FTZ + DAZ) for a scope.
class ScopedFlushDenormals : public ScopedFpMode {
 public:
#if defined(__SSE__)
  ScopedFlushDenormals() : ScopedFpMode(fp_mode() | 0x8000u /* FTZ */ | 0x0040u /* DAZ */) {}
#else
  ScopedFlushDenormals() : ScopedFpMode(fp_mode()) {}
#endif
};

}  // namespace strata::detail
