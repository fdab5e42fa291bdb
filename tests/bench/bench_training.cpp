// Training end to end, against the GEMM floor measured in the same process.
//
// BM_MLPEpoch/T: one `fit` epoch of the Fashion-MNIST MLP (784-512-256-10, ReLU, Adam 1e-3,
//   batch 128, sparse categorical cross-entropy from logits, shuffled each epoch) on T threads.
//   Each iteration is followed by the GEMMs that epoch needs (469 steps: forward, dW, and dX
//   except for the first layer), called through the same OpenBLAS on aligned buffers; the
//   counters give both times and the median of the per-iteration ratios.
// BM_MLPStepPhases/T: the MLP's step taken apart: gather, forward + loss, gradient, Adam; the
//   forward and backward paired with their GEMMs.
// BM_CNNStep/T: one training step (batch gather + train_on_batch) of the small CNN
//   Conv(32,3)-Pool-Conv(64,3)-Pool-Dense(128)-Dense(10), batch 64, Adam, paired the same way
//   with the GEMMs of its im2col convolutions and dense layers. Compare `step_ms` with LibTorch's
//   `cnn_torch T` run in the same session.
//
// BM_AdamStep/T: Adam's apply_gradients over the MLP's six variables (535k parameters), each
//   step preceded by one of the MLP's GEMMs (not timed) so that OpenBLAS's threads are in the
//   state they are in during training.
//
// BM_ShuffledBatches: one pass of data::Dataset over the 60,000 images, shuffled, batches of
//   128 (what fit does each epoch), against copying the same bytes in order.
//
// The Fashion-MNIST files come from Debian's dataset-fashion-mnist; without them the benchmark
// uses random images of the same shapes (the timings do not depend on the values).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <deque>
#include <vector>

#include "bench_util.hpp"

using namespace strata;

namespace {

using bench::Clock;
using bench::median;
using bench::seconds_since;

struct Data {
  Tensor x, y;  // x: [N, 28, 28] float32 in [0, 1]; y: [N] int64
};

const Data& fashion_mnist() {
  static const Data d = [] {
    try {
      data::FashionMNIST fm = data::load_fashion_mnist();
      return Data{fm.x_train, fm.y_train};
    } catch (const Error&) {
      Tensor y = cast(Tensor::random_uniform({60000}, 0.0, 10.0), DType::int64);
      return Data{Tensor::random_uniform({60000, 28, 28}), y};
    }
  }();
  return d;
}

/// One GEMM C[M,N] = op(A) op(B) with buffers of its own, run on demand.
struct Gemm {
  bool ta, tb;
  std::int64_t M, N, K;
  bench::AlignedVec a, b, c;
  Gemm(bool ta_, bool tb_, std::int64_t M_, std::int64_t N_, std::int64_t K_)
      : ta(ta_), tb(tb_), M(M_), N(N_), K(K_), a(static_cast<std::size_t>(M_ * K_), 0.01f),
        b(static_cast<std::size_t>(K_ * N_), 0.02f), c(static_cast<std::size_t>(M_ * N_)) {}
  void run() {
    blas::gemm(ta, tb, M, N, K, 1.0f, a.data(), ta ? M : K, b.data(), tb ? K : N, 0.0f, c.data(), N);
  }
};

/// The GEMMs of a training step through Dense layers of the given widths with batch B:
/// forward X W, dW = X^T dY, and dX = dY W^T for every layer but the first unless `first_dx`.
void add_dense_gemms(std::deque<Gemm>& g, std::int64_t B, const std::vector<std::int64_t>& widths,
                     bool first_dx = false) {
  for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
    const std::int64_t in = widths[l], out = widths[l + 1];
    g.emplace_back(false, false, B, out, in);
    g.emplace_back(true, false, in, out, B);
    if (l > 0 || first_dx) g.emplace_back(false, true, B, in, out);
  }
}

/// 0..n-1 in a fixed scrambled order (i * 7919 mod n; 7919 is prime to 60000): batches drawn
/// from all over the dataset, the same in every run.
Tensor fixed_permutation(std::int64_t n) {
  std::vector<double> p(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) p[static_cast<std::size_t>(i)] = static_cast<double>((i * 7919) % n);
  return Tensor::from_vector(p, {n}, DType::int64);
}

double run_all(std::deque<Gemm>& g) {
  const auto t0 = Clock::now();
  for (Gemm& x : g) x.run();
  return seconds_since(t0);
}

void BM_MLPEpoch(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  const Data& d = fashion_mnist();
  const Tensor x = reshape(d.x, {-1, 784});
  const std::int64_t n = x.shape()[0], batch = 128, full = n / batch, rest = n % batch;

  set_seed(1);
  Sequential model({layers::Dense(512, "relu"), layers::Dense(256, "relu"), layers::Dense(10)});
  model.compile(optimizers::Adam(1e-3), losses::SparseCategoricalCrossentropy(true));
  FitOptions fit;
  fit.batch_size = batch;
  fit.epochs = 1;
  fit.verbose = 0;

  std::deque<Gemm> step, last;
  add_dense_gemms(step, batch, {784, 512, 256, 10});
  if (rest) add_dense_gemms(last, rest, {784, 512, 256, 10});
  auto floor_epoch = [&] {
    double t = 0;
    for (std::int64_t s = 0; s < full; ++s) t += run_all(step);
    if (rest) t += run_all(last);
    return t;
  };
  floor_epoch();  // warm up BLAS's threads and buffers

  std::vector<double> epochs, floors, ratios;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    model.fit(x, d.y, fit);
    const double e = seconds_since(t0);
    state.SetIterationTime(e);
    const double f = floor_epoch();
    epochs.push_back(e);
    floors.push_back(f);
    ratios.push_back(e / f);
  }
  state.counters["epoch_s"] = median(epochs);
  state.counters["gemm_floor_s"] = median(floors);
  state.counters["ratio"] = median(ratios);
}
BENCHMARK(BM_MLPEpoch)->Arg(1)->Arg(2)->Iterations(5)->UseManualTime()->Unit(benchmark::kMillisecond);

// The MLP's training step taken apart (the loop `fit` runs, written out): gathering a shuffled
// batch, forward + loss, the tape's gradient, and Adam's update, each the median over steps;
// the forward and backward are paired with their own GEMMs (3 and 5) run right after.
void BM_MLPStepPhases(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  const Data& d = fashion_mnist();
  const Tensor x = reshape(d.x, {-1, 784});
  const std::int64_t n = x.shape()[0], B = 128;
  set_seed(1);
  Sequential model({layers::Dense(512, "relu"), layers::Dense(256, "relu"), layers::Dense(10)});
  model.build({-1, 784});
  const std::vector<Variable> params = model.trainable_weights();
  optimizers::Adam adam(1e-3);
  losses::SparseCategoricalCrossentropy loss_fn(true);
  std::deque<Gemm> fwd, bwd;
  fwd.emplace_back(false, false, B, 512, 784);
  fwd.emplace_back(false, false, B, 256, 512);
  fwd.emplace_back(false, false, B, 10, 256);
  bwd.emplace_back(true, false, 256, 10, B);
  bwd.emplace_back(false, true, B, 256, 10);
  bwd.emplace_back(true, false, 512, 256, B);
  bwd.emplace_back(false, true, B, 512, 256);
  bwd.emplace_back(true, false, 784, 512, B);
  const Tensor perm = fixed_permutation(n);
  std::int64_t at = 0;
  std::vector<double> tg, tf, tb, ta, gf, gb;
  for (auto _ : state) {
    if (at + B > n) at = 0;
    {
      const auto t0 = Clock::now();
      const Tensor idx = slice_axis(perm, 0, at, at + B);
      at += B;
      const Tensor xb = gather(x, idx), yb = gather(d.y, idx);
      const auto t1 = Clock::now();
      GradientTape tape;
      const Tensor loss = loss_fn(yb, model(xb, true));
      const auto t2 = Clock::now();
      const std::vector<Tensor> grads = tape.gradient(loss, params);
      const auto t3 = Clock::now();
      adam.apply_gradients(grads, params);
      const auto t4 = Clock::now();
      state.SetIterationTime(std::chrono::duration<double>(t4 - t0).count());
      tg.push_back(std::chrono::duration<double>(t1 - t0).count());
      tf.push_back(std::chrono::duration<double>(t2 - t1).count());
      tb.push_back(std::chrono::duration<double>(t3 - t2).count());
      ta.push_back(std::chrono::duration<double>(t4 - t3).count());
    }
    gf.push_back(run_all(fwd));
    gb.push_back(run_all(bwd));
  }
  state.counters["gather_us"] = 1e6 * median(tg);
  state.counters["forward_us"] = 1e6 * median(tf);
  state.counters["forward_gemms_us"] = 1e6 * median(gf);
  state.counters["backward_us"] = 1e6 * median(tb);
  state.counters["backward_gemms_us"] = 1e6 * median(gb);
  state.counters["adam_us"] = 1e6 * median(ta);
}
BENCHMARK(BM_MLPStepPhases)->Arg(1)->Arg(2)->Iterations(1000)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_CNNStep(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  const Data& d = fashion_mnist();
  const Tensor x = reshape(d.x, {-1, 28, 28, 1});
  const std::int64_t B = 64, n = x.shape()[0];

  set_seed(1);
  KerasTensor in = Input({28, 28, 1});
  KerasTensor h = layers::Conv2D(32, 3, 1, "valid", "relu")(in);
  h = layers::MaxPooling2D(2)(h);
  h = layers::Conv2D(64, 3, 1, "valid", "relu")(h);
  h = layers::MaxPooling2D(2)(h);
  h = layers::Flatten()(h);
  h = layers::Dense(128, "relu")(h);
  Model model(in, layers::Dense(10)(h));
  model.compile(optimizers::Adam(1e-3), losses::SparseCategoricalCrossentropy(true));

  std::deque<Gemm> floor;
  floor.emplace_back(false, false, B * 26 * 26, 32, 9);   // conv1 forward (im2col rows x 3*3*1)
  floor.emplace_back(true, false, 9, 32, B * 26 * 26);    // conv1 dK (no dX: the input)
  floor.emplace_back(false, false, B * 11 * 11, 64, 288);  // conv2 forward
  floor.emplace_back(true, false, 288, 64, B * 11 * 11);   // conv2 dK
  floor.emplace_back(false, true, B * 11 * 11, 288, 64);   // conv2 dX (patches' gradient)
  add_dense_gemms(floor, B, {1600, 128, 10}, /*first_dx=*/true);  // its dX feeds the convolutions

  const Tensor perm = fixed_permutation(n);
  std::int64_t at = 0;
  auto step = [&] {
    if (at + B > n) at = 0;
    const Tensor idx = slice_axis(perm, 0, at, at + B);
    at += B;
    model.train_on_batch({gather(x, idx)}, {gather(d.y, idx)});
  };
  for (int i = 0; i < 20; ++i) step();  // warm up, as cnn_torch does
  run_all(floor);

  std::vector<double> steps, floors, ratios;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    step();
    const double s = seconds_since(t0);
    state.SetIterationTime(s);
    const double f = run_all(floor);
    steps.push_back(s);
    floors.push_back(f);
    ratios.push_back(s / f);
  }
  state.counters["step_ms"] = 1e3 * median(steps);
  state.counters["gemm_floor_ms"] = 1e3 * median(floors);
  state.counters["ratio"] = median(ratios);
}
BENCHMARK(BM_CNNStep)->Arg(1)->Arg(2)->Iterations(200)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_AdamStep(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  set_seed(1);
  std::vector<Variable> vars;
  std::vector<Tensor> grads;
  const std::vector<std::int64_t> widths{784, 512, 256, 10};
  for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
    for (const Shape& s : {Shape{widths[l], widths[l + 1]}, Shape{widths[l + 1]}}) {
      vars.emplace_back(Tensor::random_normal(s));
      grads.push_back(Tensor::random_normal(s));
    }
  }
  optimizers::Adam adam(1e-3);
  Gemm gemm(true, false, 784, 512, 128);  // the first layer's dW
  std::vector<double> steps;
  for (auto _ : state) {
    gemm.run();
    const auto t0 = Clock::now();
    adam.apply_gradients(grads, vars);
    const double s = seconds_since(t0);
    state.SetIterationTime(s);
    steps.push_back(s);
  }
  state.counters["step_us"] = 1e6 * median(steps);
}
BENCHMARK(BM_AdamStep)->Arg(1)->Arg(2)->Iterations(2000)->UseManualTime()->Unit(benchmark::kMicrosecond);

void BM_ShuffledBatches(benchmark::State& state) {
  const Data& d = fashion_mnist();
  const Tensor x = reshape(d.x, {-1, 784});
  const auto ds = data::Dataset::from_tensors({x, d.y}).shuffle(1).batch(128);
  std::vector<double> passes, copies;
  bench::AlignedVec out(static_cast<std::size_t>(x.size()));
  for (auto _ : state) {
    auto t0 = Clock::now();
    std::int64_t rows = 0;
    for (const auto& b : ds) rows += b[0].shape()[0];
    const double p = seconds_since(t0);
    state.SetIterationTime(p);
    benchmark::DoNotOptimize(rows);
    t0 = Clock::now();
    std::memcpy(out.data(), x.data<float>(), static_cast<std::size_t>(x.size()) * sizeof(float));
    benchmark::ClobberMemory();
    copies.push_back(seconds_since(t0));
    passes.push_back(p);
  }
  state.counters["batch_us"] = 1e6 * median(passes) / 469;
  state.counters["in_order_copy_us"] = 1e6 * median(copies) / 469;
}
BENCHMARK(BM_ShuffledBatches)->Iterations(20)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
