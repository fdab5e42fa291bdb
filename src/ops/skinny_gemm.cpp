// GEMMs with a short inner dimension or a small output (see skinny_gemm.hpp), over chunks of
// an output row one SIMD register wide.
#include "ops/skinny_gemm.hpp"

#include <algorithm>
#include <vector>

#include "detail/parallel.hpp"
#include "detail/simd.hpp"

namespace strata::detail {
namespace {

template <class T>
using Batch = xsimd::batch<T>;
/// Elements per chunk of an output row: one SIMD register.
template <class T>
constexpr std::int64_t kWidth = static_cast<std::int64_t>(Batch<T>::size);

/// Stores the first w elements of v at out (w <= the batch size).
template <class T>
void store_first(const Batch<T>& v, T* out, std::int64_t w) {
  if (w == kWidth<T>) {
    v.store_unaligned(out);
  } else {
    alignas(64) T buf[kWidth<T>];
    v.store_aligned(buf);
    std::copy(buf, buf + w, out);
  }
}

/// op(B) rows [k0, k0 + kn) into `out` as kn rows of Np elements, zero-padded past N.
template <class T>
void pack_b(bool tb, std::int64_t N, std::int64_t K, const T* B, std::int64_t k0, std::int64_t kn, std::int64_t Np,
            T* out) {
  for (std::int64_t k = 0; k < kn; ++k) {
    T* row = out + k * Np;
    if (tb)
      for (std::int64_t n = 0; n < N; ++n) row[n] = B[n * K + k0 + k];
    else
      std::copy(B + (k0 + k) * N, B + (k0 + k + 1) * N, row);
    std::fill(row + N, row + Np, T(0));
  }
}

/// Rows [m, m + R) of C = op(A) op(B) for K <= kShortK, from op(B) packed as K rows of Np:
/// R independent accumulators per chunk of the row, so the FMAs do not wait on each other.
template <class T, int R>
void short_k_rows(bool ta, std::int64_t M, std::int64_t N, std::int64_t K, const T* A, const T* pb, std::int64_t Np,
                  T* C, std::int64_t m) {
  constexpr std::int64_t W = kWidth<T>;
  T a[R][kShortK];
  for (int r = 0; r < R; ++r)
    for (std::int64_t k = 0; k < K; ++k) a[r][k] = ta ? A[k * M + m + r] : A[(m + r) * K + k];
  for (std::int64_t n0 = 0; n0 < N; n0 += W) {
    Batch<T> acc[R];
    for (int r = 0; r < R; ++r) acc[r] = Batch<T>(T(0));
    for (std::int64_t k = 0; k < K; ++k) {
      const Batch<T> b = Batch<T>::load_unaligned(pb + k * Np + n0);
      for (int r = 0; r < R; ++r) acc[r] = xsimd::fma(Batch<T>(a[r][k]), b, acc[r]);
    }
    const std::int64_t w = std::min(W, N - n0);
    for (int r = 0; r < R; ++r) store_first(acc[r], C + (m + r) * N + n0, w);
  }
}

/// C = op(A) op(B) for K <= kShortK: op(B) packed once, then blocks of 8 rows of C.
template <class T>
void short_k(bool ta, bool tb, std::int64_t M, std::int64_t N, std::int64_t K, const T* A, const T* B, T* C) {
  constexpr std::int64_t W = kWidth<T>;
  constexpr int R = 8;
  const std::int64_t Np = (N + W - 1) / W * W;
  std::vector<T> packed(static_cast<std::size_t>(K * Np));
  pack_b(tb, N, K, B, 0, K, Np, packed.data());
  const T* pb = packed.data();
  const std::int64_t blocks = (M + R - 1) / R;
  parallel_for(
      blocks,
      [=](std::int64_t b0, std::int64_t b1) {
        for (std::int64_t blk = b0; blk < b1; ++blk) {
          const std::int64_t m = blk * R;
          if (m + R <= M) {
            short_k_rows<T, R>(ta, M, N, K, A, pb, Np, C, m);
          } else {
            for (std::int64_t r = m; r < M; ++r) short_k_rows<T, 1>(ta, M, N, K, A, pb, Np, C, r);
          }
        }
      },
      std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(R * Np * K, 1)), 1);
}

/// C = op(A) op(B) for a small C over a long K: fixed blocks of K, each summed into its own
/// copy of C (kept in L1 while its rows of op(B) stream past), then the copies in order.
template <class T>
void long_k(bool ta, bool tb, std::int64_t M, std::int64_t N, std::int64_t K, const T* A, const T* B, T* C) {
  constexpr std::int64_t W = kWidth<T>;
  constexpr std::int64_t kBlock = kLongK;  // rows of op(B) per partial sum
  constexpr std::int64_t kPanel = 128;   // rows of op(B) packed at a time
  const std::int64_t Np = (N + W - 1) / W * W;
  const std::int64_t blocks = (K + kBlock - 1) / kBlock;
  std::vector<T> partial(static_cast<std::size_t>(blocks * M * Np));
  T* part = partial.data();
  // rows of op(B) are used in place when they are whole chunks already, else packed
  const bool direct = !tb && N == Np;
  parallel_for(
      blocks,
      [=](std::int64_t b0, std::int64_t b1) {
        std::vector<T> panel(direct ? 0 : static_cast<std::size_t>(kPanel * Np));
        for (std::int64_t blk = b0; blk < b1; ++blk) {
          T* P = part + blk * M * Np;
          std::fill(P, P + M * Np, T(0));
          const std::int64_t k_end = std::min(K, (blk + 1) * kBlock);
          for (std::int64_t k0 = blk * kBlock; k0 < k_end; k0 += kPanel) {
            const std::int64_t kn = std::min(kPanel, k_end - k0);
            if (!direct) pack_b(tb, N, K, B, k0, kn, Np, panel.data());
            const T* rows = direct ? B + k0 * N : panel.data();
            for (std::int64_t m = 0; m < M; ++m)
              for (std::int64_t n0 = 0; n0 < Np; n0 += W) {
                // four interleaved sums over k, so the FMAs do not wait on each other
                Batch<T> acc0(T(0)), acc1(T(0)), acc2(T(0)), acc3(T(0));
                const T* pp = rows + n0;
                auto a_at = [&](std::int64_t k) { return Batch<T>(ta ? A[(k0 + k) * M + m] : A[m * K + k0 + k]); };
                std::int64_t k = 0;
                for (; k + 4 <= kn; k += 4) {
                  acc0 = xsimd::fma(a_at(k), Batch<T>::load_unaligned(pp + k * Np), acc0);
                  acc1 = xsimd::fma(a_at(k + 1), Batch<T>::load_unaligned(pp + (k + 1) * Np), acc1);
                  acc2 = xsimd::fma(a_at(k + 2), Batch<T>::load_unaligned(pp + (k + 2) * Np), acc2);
                  acc3 = xsimd::fma(a_at(k + 3), Batch<T>::load_unaligned(pp + (k + 3) * Np), acc3);
                }
                for (; k < kn; ++k) acc0 = xsimd::fma(a_at(k), Batch<T>::load_unaligned(pp + k * Np), acc0);
                const Batch<T> sum = Batch<T>::load_unaligned(P + m * Np + n0) + ((acc0 + acc1) + (acc2 + acc3));
                sum.store_unaligned(P + m * Np + n0);
              }
          }
        }
      },
      1, 1);
  for (std::int64_t m = 0; m < M; ++m)
    for (std::int64_t n = 0; n < N; ++n) {
      T s = T(0);
      for (std::int64_t blk = 0; blk < blocks; ++blk) s += part[(blk * M + m) * Np + n];
      C[m * N + n] = s;
    }
}

}  // namespace

template <class T>
bool skinny_gemm(bool ta, bool tb, std::int64_t M, std::int64_t N, std::int64_t K, const T* A, const T* B, T* C) {
  if (M <= 0 || N <= 0 || K <= 0) return false;
  constexpr std::int64_t W = kWidth<T>;
  if (K <= kShortK && M >= 2 * W && K * ((N + W - 1) / W * W) <= kShortPacked) {
    short_k(ta, tb, M, N, K, A, B, C);
    return true;
  }
  if (K >= kLongK && M * ((N + W - 1) / W * W) <= kSmallOutput) {
    long_k(ta, tb, M, N, K, A, B, C);
    return true;
  }
  return false;
}

template bool skinny_gemm<float>(bool, bool, std::int64_t, std::int64_t, std::int64_t, const float*, const float*,
                                 float*);
template bool skinny_gemm<double>(bool, bool, std::int64_t, std::int64_t, std::int64_t, const double*, const double*,
                                  double*);

}  // namespace strata::detail
