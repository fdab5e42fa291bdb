// Core speed: per-op tape overhead, op overhead without a tape, and matmul forward+backward
// against the raw sgemm calls (strata::blas::gemm, the same OpenBLAS) it needs, all measured in the same process.
#include "bench_util.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <vector>

#include <strata/strata.hpp>

using namespace strata;

namespace {

using bench::AlignedVec;

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

Shape chain_shape(int size) { return size == 1 ? Shape{1} : Shape{size, size}; }

// x = x * 1.0001 + 0.0001, 10,000 ops (5,000 iterations), under a tape, then gradient.
void BM_TapeChain(benchmark::State& state) {
  const int size = static_cast<int>(state.range(0));
  const int ops = 10000;
  double fwd = 0, bwd = 0;
  for (auto _ : state) {
    Tensor x = Tensor::ones(chain_shape(size));
    const double t0 = now();
    GradientTape tape;
    tape.watch(x);
    Tensor y = x;
    for (int i = 0; i < ops / 2; ++i) y = y * 1.0001 + 0.0001;
    const double t1 = now();
    Tensor g = tape.gradient(y, {x})[0];
    const double t2 = now();
    benchmark::DoNotOptimize(g);
    fwd += t1 - t0;
    bwd += t2 - t1;
  }
  state.counters["fwd_us_per_op"] = benchmark::Counter(fwd * 1e6 / ops, benchmark::Counter::kAvgIterations);
  state.counters["bwd_us_per_op"] = benchmark::Counter(bwd * 1e6 / ops, benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_TapeChain)->Arg(1)->Arg(64)->Unit(benchmark::kMillisecond);

// The same chain with no tape: what an op costs when nothing records.
void BM_NoTapeChain(benchmark::State& state) {
  const int size = static_cast<int>(state.range(0));
  const int ops = 10000;
  double total = 0;
  for (auto _ : state) {
    const double t0 = now();
    Tensor y = Tensor::ones(chain_shape(size));
    for (int i = 0; i < ops / 2; ++i) y = y * 1.0001 + 0.0001;
    benchmark::DoNotOptimize(y);
    total += now() - t0;
  }
  state.counters["us_per_op"] = benchmark::Counter(total * 1e6 / ops, benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_NoTapeChain)->Arg(1)->Arg(64)->Unit(benchmark::kMillisecond);

// matmul forward + backward of [128,784] x [784,512] (dW and dX) through the tape.
void BM_MatmulFwdBwd(benchmark::State& state) {
  Tensor x = Tensor::random_normal({128, 784});
  Variable w(Tensor::random_normal({784, 512}), "w");
  Tensor gy = Tensor::random_normal({128, 512});
  for (auto _ : state) {
    GradientTape tape;
    tape.watch(x);
    Tensor y = matmul(x, w);
    auto g = tape.gradient(y, {x, w.value()}, gy);
    benchmark::DoNotOptimize(g);
  }
}
BENCHMARK(BM_MatmulFwdBwd)->Unit(benchmark::kMicrosecond);

// The floor: the three raw sgemm calls (y = xW, dX = gy W^T, dW = x^T gy).
void BM_SgemmTriple(benchmark::State& state) {
  AlignedVec x(128 * 784, 0.5f), w(784 * 512, 0.25f), gy(128 * 512, 1.0f);
  AlignedVec y(128 * 512), dx(128 * 784), dw(784 * 512);
  for (auto _ : state) {
    blas::gemm(false, false, 128, 512, 784, 1.f, x.data(), 784, w.data(), 512, 0.f,
                y.data(), 512);
    blas::gemm(false, true, 128, 784, 512, 1.f, gy.data(), 512, w.data(), 512, 0.f,
                dx.data(), 784);
    blas::gemm(true, false, 784, 512, 128, 1.f, x.data(), 784, gy.data(), 512, 0.f,
                dw.data(), 512);
    benchmark::DoNotOptimize(dw.data());
  }
}
BENCHMARK(BM_SgemmTriple)->Unit(benchmark::kMicrosecond);

// One op with no tape: add on a [1] and a [64, 64] tensor.
void BM_AddNoTape(benchmark::State& state) {
  const int size = static_cast<int>(state.range(0));
  Tensor a = Tensor::ones(chain_shape(size)), b = Tensor::ones(chain_shape(size));
  for (auto _ : state) benchmark::DoNotOptimize(add(a, b));
}
BENCHMARK(BM_AddNoTape)->Arg(1)->Arg(64);

void BM_RawAdd(benchmark::State& state) {
  const int size = static_cast<int>(state.range(0));
  const std::size_t n = static_cast<std::size_t>(size) * static_cast<std::size_t>(size);
  std::vector<float> a(n, 1.f), b(n, 1.f);
  for (auto _ : state) {
    std::vector<float> c(n);
    for (std::size_t k = 0; k < n; ++k) c[k] = a[k] + b[k];
    benchmark::DoNotOptimize(c.data());
  }
}
BENCHMARK(BM_RawAdd)->Arg(1)->Arg(64);

}  // namespace

int main(int argc, char** argv) { return strata::bench::run_main(argc, argv); }
