// Layer and Model overhead: a 50-layer chain of tiny Dense layers run as plain ops, as layer
// calls, and as a Model, in the same process. The differences divided by 50 are the per-layer
// and per-node overheads.
#include <vector>

#include "bench_util.hpp"

using namespace strata;

namespace {

constexpr int kDepth = 50;

struct Chain {
  std::vector<std::shared_ptr<layers::Dense>> dense;
  Tensor x = Tensor::random_normal({1, 4});
  Chain() {
    for (int i = 0; i < kDepth; ++i) {
      dense.push_back(std::make_shared<layers::Dense>(4));
      (*dense.back())(x);  // build
    }
  }
};

Chain& chain() {
  static Chain c;
  return c;
}

void BM_ChainOps(benchmark::State& state) {
  Chain& c = chain();
  for (auto _ : state) {
    Tensor y = c.x;
    for (auto& d : c.dense) y = add(matmul(y, d->kernel), d->bias);
    benchmark::DoNotOptimize(y);
  }
  state.counters["s_per_layer"] = benchmark::Counter(kDepth, benchmark::Counter::kIsIterationInvariantRate |
                                                                 benchmark::Counter::kInvert);
}
BENCHMARK(BM_ChainOps);

void BM_ChainLayers(benchmark::State& state) {
  Chain& c = chain();
  for (auto _ : state) {
    Tensor y = c.x;
    for (auto& d : c.dense) y = (*d)(y);
    benchmark::DoNotOptimize(y);
  }
  state.counters["s_per_layer"] = benchmark::Counter(kDepth, benchmark::Counter::kIsIterationInvariantRate |
                                                                 benchmark::Counter::kInvert);
}
BENCHMARK(BM_ChainLayers);

void BM_ChainModel(benchmark::State& state) {
  Chain& c = chain();
  KerasTensor in = Input({4});
  KerasTensor h = in;
  for (auto& d : c.dense) h = (*d)(h);
  Model model(in, h);
  for (auto _ : state) benchmark::DoNotOptimize(model(c.x));
  state.counters["s_per_layer"] = benchmark::Counter(kDepth, benchmark::Counter::kIsIterationInvariantRate |
                                                                 benchmark::Counter::kInvert);
}
BENCHMARK(BM_ChainModel);

}  // namespace

int main(int argc, char** argv) { return strata::bench::run_main(argc, argv); }
