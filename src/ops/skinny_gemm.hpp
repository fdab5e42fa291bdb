#pragma once
// Two GEMM shapes that OpenBLAS handles poorly and convolutions over few input channels make:
//
// - a short inner dimension (K <= kShortK): the forward of a 3x3 convolution over one channel
//   is [N*H*W, 9] @ [9, filters]. OpenBLAS packs both operands and zeroes C first; here each
//   output row is one pass of K broadcasts over a packed op(B) kept in cache (K * N up to
//   kShortPacked), written once.
// - a small output over a long inner dimension (M * N <= kSmallOutput, K >= kLongK): that
//   convolution's kernel gradient, [9, N*H*W] @ [N*H*W, filters]. Here the output stays in
//   L1 while K streams past, in fixed blocks whose partial sums are added in block order (the
//   same bits on any number of threads).
//
// Both compute C[M,N] = op(A) op(B), row-major, with the leading dimensions of unpadded
// matrices (A is [M,K], or [K,M] when ta; B is [K,N], or [N,K] when tb).
#include <cstdint>

namespace strata::detail {

constexpr std::int64_t kShortK = 16;
constexpr std::int64_t kShortPacked = 32768;  // elements of packed op(B) at most (L2-resident)
constexpr std::int64_t kLongK = 4096;
constexpr std::int64_t kSmallOutput = 1024;

/// Computes C and returns true for the two shapes above; returns false (C untouched) otherwise.
template <class T>
bool skinny_gemm(bool ta, bool tb, std::int64_t M, std::int64_t N, std::int64_t K, const T* A, const T* B, T* C);

}  // namespace strata::detail
