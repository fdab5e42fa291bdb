#pragma once
/// Direct access to the BLAS strata uses (OpenBLAS), for custom kernels and benchmarks.
///
///   strata::blas::gemm(false, true, M, N, K, 1.0f, a, K, b, K, 0.0f, c, N);  // C = A B^T
///
/// strata loads OpenBLAS itself when the library is loaded. OpenBLAS 0.3.21 (Debian 12) does not
/// recognise some recent CPUs and then falls back to generic kernels that run several times
/// slower; unless OPENBLAS_CORETYPE is set, strata asks for the kernels matching the CPU's
/// instruction set (SkylakeX with AVX-512, Haswell with AVX2 and FMA). If the program itself
/// already loaded OpenBLAS, that instance is used as it is.
#include <cstdint>
#include <string>

namespace strata::blas {

/// C = alpha op(A) op(B) + beta C, row-major, op = transpose when trans_* is true.
void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
          std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C, std::int64_t ldc);
void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, double alpha, const double* A,
          std::int64_t lda, const double* B, std::int64_t ldb, double beta, double* C, std::int64_t ldc);

/// OpenBLAS's name for the kernels in use ("SkylakeX", "Haswell", "Prescott", ...).
std::string corename();
/// The shared library that was loaded.
std::string library();

}  // namespace strata::blas
