// Loads OpenBLAS at library load time, choosing its kernels from the CPU's instruction set
// when OpenBLAS itself would not (see strata/blas.hpp).
#include "strata/blas.hpp"

#include <dlfcn.h>

#include <climits>
#include <cstdlib>
#include <string>

#include "strata/error.hpp"
#include "strata/threads.hpp"

namespace strata {
namespace {

constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;  // CBLAS enum values

using sgemm_fn = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*,
                          int);
using dgemm_fn = void (*)(int, int, int, int, int, int, double, const double*, int, const double*, int, double,
                          double*, int);

struct Blas {
  sgemm_fn sgemm = nullptr;
  dgemm_fn dgemm = nullptr;
  void (*set_threads)(int) = nullptr;
  int (*get_threads)() = nullptr;
  char* (*get_corename)() = nullptr;
  std::string library;
  std::string error;
};

const char* coretype_for_this_cpu() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  return nullptr;
}

Blas load() {
  Blas b;
  static const char* const kNames[] = {"libopenblas.so.0", "libopenblas.so", "libblas.so.3"};
  void* handle = nullptr;
  for (const char* name : kNames)  // already loaded by the program: use that instance
    if ((handle = dlopen(name, RTLD_NOW | RTLD_NOLOAD))) {
      b.library = name;
      break;
    }
  if (!handle) {
    const char* coretype = std::getenv("OPENBLAS_CORETYPE") ? nullptr : coretype_for_this_cpu();
    if (coretype) setenv("OPENBLAS_CORETYPE", coretype, 0);
    for (const char* name : kNames)
      if ((handle = dlopen(name, RTLD_NOW | RTLD_LOCAL))) {
        b.library = name;
        break;
      }
    if (coretype) unsetenv("OPENBLAS_CORETYPE");  // read once, at OpenBLAS's load
  }
  if (!handle) {
    const char* why = dlerror();
    b.error = std::string("strata: cannot load OpenBLAS (libopenblas.so.0): ") + (why ? why : "not found") +
              "; install it with: apt-get install libopenblas0";
    return b;
  }
  b.sgemm = reinterpret_cast<sgemm_fn>(dlsym(handle, "cblas_sgemm"));
  b.dgemm = reinterpret_cast<dgemm_fn>(dlsym(handle, "cblas_dgemm"));
  b.set_threads = reinterpret_cast<void (*)(int)>(dlsym(handle, "openblas_set_num_threads"));
  b.get_threads = reinterpret_cast<int (*)()>(dlsym(handle, "openblas_get_num_threads"));
  b.get_corename = reinterpret_cast<char* (*)()>(dlsym(handle, "openblas_get_corename"));
  if (!b.sgemm || !b.dgemm) b.error = "strata: " + b.library + " has no cblas_sgemm/cblas_dgemm";
  return b;
}

const Blas& instance() {
  static const Blas b = load();
  if (!b.error.empty()) throw RuntimeError(b.error);
  return b;
}

// Load while the program starts (single-threaded), so the environment is only touched then.
const bool g_loaded_at_startup = [] {
  try {
    instance();
  } catch (...) {  // reported at first use
  }
  return true;
}();

int checked_int(std::int64_t v, const char* what) {
  if (v < 0 || v > INT_MAX)
    throw ValueError(std::string("blas::gemm: ") + what + " = " + std::to_string(v) + " exceeds BLAS's 32-bit range");
  return static_cast<int>(v);
}

}  // namespace

namespace blas {

void gemm(bool ta, bool tb, std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* A,
          std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C, std::int64_t ldc) {
  instance().sgemm(kRowMajor, ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, checked_int(M, "M"), checked_int(N, "N"),
                   checked_int(K, "K"), alpha, A, checked_int(lda, "lda"), B, checked_int(ldb, "ldb"), beta, C,
                   checked_int(ldc, "ldc"));
}

void gemm(bool ta, bool tb, std::int64_t M, std::int64_t N, std::int64_t K, double alpha, const double* A,
          std::int64_t lda, const double* B, std::int64_t ldb, double beta, double* C, std::int64_t ldc) {
  instance().dgemm(kRowMajor, ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, checked_int(M, "M"), checked_int(N, "N"),
                   checked_int(K, "K"), alpha, A, checked_int(lda, "lda"), B, checked_int(ldb, "ldb"), beta, C,
                   checked_int(ldc, "ldc"));
}

std::string corename() {
  const Blas& b = instance();
  return b.get_corename ? std::string(b.get_corename()) : std::string("unknown");
}

std::string library() { return instance().library; }

}  // namespace blas

namespace detail {
void blas_set_num_threads(int n) {
  const Blas& b = instance();
  if (b.set_threads) b.set_threads(n);
}
int blas_get_num_threads() {
  const Blas& b = instance();
  return b.get_threads ? b.get_threads() : 1;
}
}  // namespace detail

}  // namespace strata
