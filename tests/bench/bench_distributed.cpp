// Data-parallel fit over MPI: the Fashion-MNIST 784-512-256-10 MLP, global batch 256, one
// thread per rank. Run it under mpirun (./run.sh bench does, with 2 ranks):
//
//   mpirun -np 2 build/tests/bench/bench_distributed
//
// BM_FitEpoch/1: rank 0 alone trains on the global batch (the other ranks wait): the
//   one-process baseline, in the same run.
// BM_FitEpoch/0: every rank trains its slice of each global batch (fit with strata::distributed).
// BM_Allreduce: the fixed-order sum of the MLP's gradients (535,818 floats, 2.1 MB), alone.
// At the end rank 0 prints the medians, the speed-up and the reduction's share of a step.
// Every benchmark runs a fixed number of iterations, so every rank runs the same collectives.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "bench_util.hpp"

using namespace strata;

namespace {

using bench::Clock;
using bench::median;
using bench::seconds_since;

constexpr std::int64_t kExamples = 256 * 40;  // 40 steps of the global batch per epoch

struct Data {
  Tensor x, y;
};
const Data& fashion_mnist() {
  static const Data d = [] {
    try {
      data::FashionMNIST fm = data::load_fashion_mnist();
      return Data{slice_axis(reshape(fm.x_train, {-1, 784}), 0, 0, kExamples), slice_axis(fm.y_train, 0, 0, kExamples)};
    } catch (const Error&) {  // without the Debian package: random images (timings do not depend on values)
      Generator g(1);
      return Data{Tensor::random_uniform({kExamples, 784}, 0, 1, DType::float32, g),
                  cast(Tensor::random_uniform({kExamples}, 0, 10, DType::float32, g), DType::int64)};
    }
  }();
  return d;
}

Sequential mlp() {
  set_seed(1);
  Sequential m({layers::Dense(512, "relu"), layers::Dense(256, "relu"), layers::Dense(10)});
  m.build({-1, 784});
  m.compile(optimizers::Adam(1e-3), losses::SparseCategoricalCrossentropy(true));
  return m;
}

std::vector<double> g_epoch_seconds[3];  // [distributed, one process, independent processes]
std::vector<double> g_reduce_seconds;

void BM_FitEpoch(benchmark::State& state) {
  // 1: rank 0 alone (the others wait); 2: every rank trains its own model on the global batch,
  // no communication (the machine's ceiling for N processes); 0: data-parallel
  const bool alone = state.range(0) != 0, everyone = state.range(0) == 2;
  const Data& d = fashion_mnist();
  Sequential m = mlp();
  FitOptions o;
  o.batch_size = 256;
  o.epochs = 1;
  o.verbose = 0;
  o.seed = 3;
  o.distributed = !alone;
  for (auto _ : state) {
    distributed::barrier();
    const auto t0 = Clock::now();
    if (!alone || everyone || distributed::is_root()) m.fit(d.x, d.y, o);
    const double s = seconds_since(t0);
    state.SetIterationTime(s);
    g_epoch_seconds[everyone ? 2 : alone ? 1 : 0].push_back(s);
  }
  distributed::barrier();
  state.SetItemsProcessed(state.iterations() * kExamples);
  state.counters["ranks"] = alone && !everyone ? 1 : distributed::size();
}
BENCHMARK(BM_FitEpoch)->Arg(1)->Arg(2)->Arg(0)->Iterations(5)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_Allreduce(benchmark::State& state) {
  Sequential m = mlp();
  std::vector<Tensor> grads;
  for (const auto& w : m.trainable_weights()) grads.push_back(w.value());
  for (auto _ : state) {
    distributed::barrier();
    const auto t0 = Clock::now();
    auto sum = distributed::allreduce_sum(grads, 0.5);
    benchmark::DoNotOptimize(sum);
    const double s = seconds_since(t0);
    state.SetIterationTime(s);
    g_reduce_seconds.push_back(s);
  }
  state.SetBytesProcessed(state.iterations() * 535818 * 4);
}
BENCHMARK(BM_Allreduce)->Iterations(200)->UseManualTime()->Unit(benchmark::kMicrosecond);

/// What the ranks other than 0 report: nothing (rank 0 prints for all).
class Silent : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

}  // namespace

int main(int argc, char** argv) {
  distributed::init(&argc, &argv);
  set_num_threads(1);
  benchmark::Initialize(&argc, argv);
  Silent silent;
  if (distributed::is_root()) benchmark::RunSpecifiedBenchmarks();
  else benchmark::RunSpecifiedBenchmarks(&silent);
  benchmark::Shutdown();
  if (distributed::is_root() && !g_epoch_seconds[0].empty() && !g_epoch_seconds[1].empty()) {
    const double many = median(g_epoch_seconds[0]), one = median(g_epoch_seconds[1]);
    const double reduce = median(g_reduce_seconds), step = many / (kExamples / 256);
    std::printf("fit epoch (%ld steps of 256): 1 rank %.1f ms, %d ranks %.1f ms: speed-up %.2fx\n",
                static_cast<long>(kExamples / 256), one * 1e3, distributed::size(), many * 1e3, one / many);
    std::printf("%d independent processes (no communication): %.1f ms an epoch each, the machine's ceiling %.2fx\n",
                distributed::size(), median(g_epoch_seconds[2]) * 1e3,
                distributed::size() * one / median(g_epoch_seconds[2]));
    std::printf("allreduce of the gradients (2.1 MB): %.0f us, %.1f%% of a %.2f ms distributed step\n", reduce * 1e6,
                100 * reduce / step, step * 1e3);
  }
  return 0;
}
