// Neural-network ops against their floors, in the same process: conv2d forward+backward
// against the raw gemm calls it contains, softmax cross-entropy against a memcpy of the bytes
// it touches, max pooling against a memcpy of the bytes it moves, an LSTM cell step built from public ops against its gemms, and the GEMMs strata
// computes with its own kernels against OpenBLAS on the same shapes.
#include "bench_util.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <strata/strata.hpp>

using namespace strata;

namespace {

using bench::AlignedVec;

struct ConvShape {
  std::int64_t n, h, w, c, o, k;
};
// [64,28,28,1] -> 32 filters 3x3 and [64,13,13,32] -> 64 filters 3x3 ("valid", as in the CNN)
const ConvShape kConv[] = {{64, 28, 28, 1, 32, 3}, {64, 13, 13, 32, 64, 3}};

void BM_Conv2dFwdBwd(benchmark::State& state) {
  const ConvShape s = kConv[state.range(0)];
  Tensor x = Tensor::random_normal({s.n, s.h, s.w, s.c});
  Variable k(Tensor::random_normal({s.k, s.k, s.c, s.o}, 0, 0.1), "k");
  const std::int64_t oh = s.h - s.k + 1, ow = s.w - s.k + 1;
  Tensor gy = Tensor::random_normal({s.n, oh, ow, s.o});
  for (auto _ : state) {
    GradientTape tape;
    tape.watch(x);
    Tensor y = nn::conv2d(x, k);
    auto g = tape.gradient(y, {x, k.value()}, gy);  // dX and dK
    benchmark::DoNotOptimize(g);
  }
}
BENCHMARK(BM_Conv2dFwdBwd)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// The three gemms of that step, nothing else. With few input channels strata builds the
// patches as [depth, rows] (transposed im2col) and flags the gemms accordingly; the same here.
void BM_Conv2dGemms(benchmark::State& state) {
  const ConvShape s = kConv[state.range(0)];
  const std::int64_t rows = s.n * (s.h - s.k + 1) * (s.w - s.k + 1);
  const std::int64_t depth = s.k * s.k * s.c, O = s.o;
  AlignedVec cols(static_cast<std::size_t>(rows * depth), 0.5f), K(static_cast<std::size_t>(depth * O), 0.1f);
  AlignedVec y(static_cast<std::size_t>(rows * O)), dy(static_cast<std::size_t>(rows * O), 1.0f);
  AlignedVec dK(K.size()), dcols(cols.size());
  const bool transposed = s.c < 4;
  for (auto _ : state) {
    if (transposed) {  // cols is [depth, rows]
      blas::gemm(true, false, rows, O, depth, 1.f, cols.data(), rows, K.data(), O, 0.f, y.data(), O);
      blas::gemm(false, false, depth, O, rows, 1.f, cols.data(), rows, dy.data(), O, 0.f, dK.data(), O);
      blas::gemm(false, true, depth, rows, O, 1.f, K.data(), O, dy.data(), O, 0.f, dcols.data(), rows);
    } else {  // cols is [rows, depth]
      blas::gemm(false, false, rows, O, depth, 1.f, cols.data(), depth, K.data(), O, 0.f, y.data(), O);
      blas::gemm(true, false, depth, O, rows, 1.f, cols.data(), depth, dy.data(), O, 0.f, dK.data(), O);
      blas::gemm(false, true, rows, depth, O, 1.f, dy.data(), O, K.data(), O, 0.f, dcols.data(), depth);
    }
    benchmark::DoNotOptimize(dcols.data());
  }
}
BENCHMARK(BM_Conv2dGemms)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// 2x2 max pooling of the CNN's conv activations ([64,26,26,32] and [64,11,11,64]) forward and
// backward on T threads, against its floor on one thread: moving the same bytes with memcpy and
// a summing pass (the forward reads x and writes y, a quarter of its size; the backward reads x
// and g and writes dx).
const Shape kPool[] = {{64, 26, 26, 32}, {64, 11, 11, 64}};

void BM_MaxPool2dFwdBwd(benchmark::State& state) {
  const int saved = get_num_threads();
  set_num_threads(static_cast<int>(state.range(1)));
  const Shape s = kPool[state.range(0)];
  Tensor x = Tensor::random_normal(s);
  Tensor gy = Tensor::random_normal({s[0], s[1] / 2, s[2] / 2, s[3]});
  for (auto _ : state) {
    GradientTape tape;
    tape.watch(x);
    Tensor y = nn::max_pool2d(x, 2);
    auto g = tape.gradient(y, {x}, gy);
    benchmark::DoNotOptimize(g);
  }
  set_num_threads(saved);
}
BENCHMARK(BM_MaxPool2dFwdBwd)->Args({0, 1})->Args({0, 2})->Args({1, 1})->Unit(benchmark::kMicrosecond);

void BM_MaxPool2dCopyFloor(benchmark::State& state) {
  const Shape s = kPool[state.range(0)];
  const auto n = static_cast<std::size_t>(s.num_elements()), m = n / 4;
  AlignedVec x(n, 0.5f), dx(n), y(m), g(m, 1.0f);
  for (auto _ : state) {
    float acc[16] = {};  // forward: read x (16 independent sums vectorize) and write y
    for (std::size_t i = 0; i + 16 <= n; i += 16)
      for (std::size_t j = 0; j < 16; ++j) acc[j] += x.data()[i + j];
    std::memcpy(y.data(), g.data(), m * sizeof(float));   // read g, write y
    std::memcpy(dx.data(), x.data(), n * sizeof(float));  // backward: read x, write dx
    benchmark::DoNotOptimize(acc);
    benchmark::DoNotOptimize(dx.data());
    benchmark::DoNotOptimize(y.data());
  }
}
BENCHMARK(BM_MaxPool2dCopyFloor)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_SoftmaxCrossEntropyFwdBwd(benchmark::State& state) {
  Tensor logits = Tensor::random_normal({128, 10});
  Tensor labels = Tensor::random_uniform({128}, 0, 10, DType::int64);
  for (auto _ : state) {
    GradientTape tape;
    tape.watch(logits);
    Tensor loss = mean(nn::sparse_softmax_cross_entropy_with_logits(labels, logits));
    auto g = tape.gradient(loss, {logits});
    benchmark::DoNotOptimize(g);
  }
}
BENCHMARK(BM_SoftmaxCrossEntropyFwdBwd)->Unit(benchmark::kMicrosecond);

// Floor: reading the logits and writing the probabilities, the loss and the gradient once.
void BM_SoftmaxCrossEntropyMemcpy(benchmark::State& state) {
  std::vector<float> a(128 * 10, 1.f), b(128 * 10);
  for (auto _ : state) {
    std::memcpy(b.data(), a.data(), a.size() * sizeof(float));  // forward: logits -> probs
    std::memcpy(a.data(), b.data(), a.size() * sizeof(float));  // backward: probs -> gradient
    benchmark::DoNotOptimize(a.data());
  }
}
BENCHMARK(BM_SoftmaxCrossEntropyMemcpy)->Unit(benchmark::kMicrosecond);

// LSTM cell, batch 64, input 128, hidden 256: z = x W + h U + b; gates; new c and h; backward.
void BM_LstmCellStep(benchmark::State& state) {
  const std::int64_t B = 64, D = 128, H = 256;
  Tensor x = Tensor::random_normal({B, D});
  Tensor h = Tensor::random_normal({B, H}), c = Tensor::random_normal({B, H});
  Variable W(Tensor::random_normal({D, 4 * H}, 0, 0.05), "W"), U(Tensor::random_normal({H, 4 * H}, 0, 0.05), "U");
  Variable b(Tensor::zeros({4 * H}), "b");
  for (auto _ : state) {
    GradientTape tape;
    Tensor z = matmul(x, W) + matmul(h, U) + b;
    auto gates = split(z, 4, 1);
    Tensor c2 = sigmoid(gates[1]) * c + sigmoid(gates[0]) * tanh(gates[2]);
    Tensor h2 = sigmoid(gates[3]) * tanh(c2);
    auto g = tape.gradient(sum(h2), {W, U, b});
    benchmark::DoNotOptimize(g);
  }
}
BENCHMARK(BM_LstmCellStep)->Unit(benchmark::kMicrosecond);

// Its gemms: two forward, two for dW and dU (the inputs x and h are not watched).
void BM_LstmCellGemms(benchmark::State& state) {
  const int B = 64, D = 128, H = 256;
  AlignedVec x(B * D, 0.5f), h(B * H, 0.5f), W(D * 4 * H, 0.1f), U(H * 4 * H, 0.1f), z(B * 4 * H),
      dz(B * 4 * H, 1.f), dW(W.size()), dU(U.size());
  for (auto _ : state) {
    blas::gemm(false, false, B, 4 * H, D, 1.f, x.data(), D, W.data(), 4 * H, 0.f,
                z.data(), 4 * H);
    blas::gemm(false, false, B, 4 * H, H, 1.f, h.data(), H, U.data(), 4 * H, 1.f,
                z.data(), 4 * H);
    blas::gemm(true, false, D, 4 * H, B, 1.f, x.data(), D, dz.data(), 4 * H, 0.f,
                dW.data(), 4 * H);
    blas::gemm(true, false, H, 4 * H, B, 1.f, h.data(), H, dz.data(), 4 * H, 0.f,
                dU.data(), 4 * H);
    benchmark::DoNotOptimize(dU.data());
  }
}
BENCHMARK(BM_LstmCellGemms)->Unit(benchmark::kMicrosecond);

// The first convolution's two GEMMs that strata's own kernels take (src/ops/skinny_gemm.cpp):
// Arg 0 the forward [43264, 9]^T-layout @ [9, 32] (short K), Arg 1 the kernel gradient
// [9, 43264] @ [43264, 32] (small output, long K); second Arg the thread count. Each iteration
// times matmul (strata's kernel) and then blas::gemm (OpenBLAS) on the same operands.
void BM_SkinnyGemm(benchmark::State& state) {
  const bool long_k = state.range(0) == 1;
  const int saved = get_num_threads();
  set_num_threads(static_cast<int>(state.range(1)));
  const std::int64_t rows = 64 * 26 * 26, depth = 9, O = 32;
  // forward: patches stored [depth, rows], used transposed; kernel gradient: [depth, rows] @ dY
  const Tensor a = Tensor::random_normal({depth, rows});
  const Tensor b = long_k ? Tensor::random_normal({rows, O}) : Tensor::random_normal({depth, O});
  const std::int64_t M = long_k ? depth : rows, N = O, K = long_k ? rows : depth;
  AlignedVec c(static_cast<std::size_t>(M * N));
  std::vector<double> ours, blas_t;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    Tensor y = matmul(a, b, !long_k, false);
    benchmark::DoNotOptimize(y);
    auto t1 = std::chrono::steady_clock::now();
    blas::gemm(!long_k, false, M, N, K, 1.f, a.data<float>(), long_k ? K : M, b.data<float>(), N, 0.f, c.data(), N);
    benchmark::DoNotOptimize(c.data());
    auto t2 = std::chrono::steady_clock::now();
    ours.push_back(std::chrono::duration<double>(t1 - t0).count());
    blas_t.push_back(std::chrono::duration<double>(t2 - t1).count());
  }
  std::sort(ours.begin(), ours.end());
  std::sort(blas_t.begin(), blas_t.end());
  state.counters["strata_us"] = 1e6 * ours[ours.size() / 2];
  state.counters["openblas_us"] = 1e6 * blas_t[blas_t.size() / 2];
  set_num_threads(saved);
}
BENCHMARK(BM_SkinnyGemm)->Args({0, 1})->Args({1, 1})->Args({0, 2})->Args({1, 2})->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) { return strata::bench::run_main(argc, argv); }
