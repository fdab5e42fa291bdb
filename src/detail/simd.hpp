#pragma once
// SIMD maps and sums over contiguous float buffers with xsimd (exp, log, tanh, erf, ...
// vectorized; the compiler cannot vectorize libm calls on its own).
// GCC 12 reports false "used uninitialized" warnings inside its AVX-512 intrinsics headers
// when xsimd inlines them; silence them for those headers only (clang has no such warning).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <xsimd/xsimd.hpp>
#pragma GCC diagnostic pop
#else
#include <xsimd/xsimd.hpp>
#endif

#include <algorithm>
#include <cstdint>

#include "detail/parallel.hpp"

namespace strata::detail {

/// out[i] = f(in[i]); f takes and returns an xsimd batch. The tail runs through a padded
/// batch too, so every element is computed by the same instructions.
template <class T, class F>
void simd_map_serial(const T* in, T* out, std::int64_t n, F&& f) {
  using B = xsimd::batch<T>;
  constexpr std::int64_t W = static_cast<std::int64_t>(B::size);
  std::int64_t i = 0;
  for (; i + W <= n; i += W) f(B::load_unaligned(in + i)).store_unaligned(out + i);
  if (i < n) {
    alignas(64) T buf[W] = {};
    std::copy(in + i, in + n, buf);
    f(B::load_unaligned(buf)).store_unaligned(buf);
    std::copy(buf, buf + (n - i), out + i);
  }
}

/// simd_map_serial split across the threads for large n (same results for any thread count).
template <class T, class F>
void simd_map(const T* in, T* out, std::int64_t n, F&& f) {
  parallel_for(n, [&](std::int64_t b, std::int64_t e) { simd_map_serial(in + b, out + b, e - b, f); });
}

/// out[i] = f(a[i], b[i]) with batches.
template <class T, class F>
void simd_map2(const T* a, const T* b, T* out, std::int64_t n, F&& f) {
  using B = xsimd::batch<T>;
  constexpr std::int64_t W = static_cast<std::int64_t>(B::size);
  std::int64_t i = 0;
  for (; i + W <= n; i += W) f(B::load_unaligned(a + i), B::load_unaligned(b + i)).store_unaligned(out + i);
  if (i < n) {
    alignas(64) T ba[W] = {};
    alignas(64) T bb[W] = {};
    std::copy(a + i, a + n, ba);
    std::copy(b + i, b + n, bb);
    f(B::load_unaligned(ba), B::load_unaligned(bb)).store_unaligned(ba);
    std::copy(ba, ba + (n - i), out + i);
  }
}

/// Sum of a contiguous buffer with four batch accumulators.
template <class T>
T simd_sum(const T* x, std::int64_t n) {
  using B = xsimd::batch<T>;
  constexpr std::int64_t W = static_cast<std::int64_t>(B::size);
  B acc0(T(0)), acc1(T(0)), acc2(T(0)), acc3(T(0));
  std::int64_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W) {
    acc0 += B::load_unaligned(x + i);
    acc1 += B::load_unaligned(x + i + W);
    acc2 += B::load_unaligned(x + i + 2 * W);
    acc3 += B::load_unaligned(x + i + 3 * W);
  }
  for (; i + W <= n; i += W) acc0 += B::load_unaligned(x + i);
  T s = xsimd::hadd((acc0 + acc1) + (acc2 + acc3));
  for (; i < n; ++i) s += x[i];
  return s;
}

}  // namespace strata::detail
