// strata's own loops on several threads: the split loops give the same bits as one thread, cover
// every element across chunk boundaries (odd sizes, broadcasting), and set_num_threads checks
// its argument; a shared layer first called from several threads builds once.
#include <atomic>
#include <thread>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {

/// Every op family that splits its loop, on sizes well above the split threshold.
std::vector<Tensor> workload() {
  Generator g(11);
  const Tensor a = Tensor::random_normal({1100, 517}, 0, 1, DType::float32, g);
  const Tensor b = Tensor::random_normal({517}, 0, 1, DType::float32, g);
  const Tensor c = Tensor::random_normal({1100, 1}, 0, 1, DType::float32, g);
  const Tensor flat = Tensor::random_normal({1000003}, 0, 1, DType::float32, g);
  std::vector<Tensor> out{add(a, b), mul(c, a), sub(c, b), exp(flat), relu(flat), tanh(a), where(greater(a, 0.0), a, b)};
  // strata's GEMM kernels: a short K split by rows, a long K by fixed blocks of partial sums
  const Tensor tall = Tensor::random_normal({30001, 9}, 0, 1, DType::float32, g);
  const Tensor wide = Tensor::random_normal({9, 50001}, 0, 1, DType::float32, g);
  out.push_back(matmul(tall, Tensor::random_normal({9, 40}, 0, 1, DType::float32, g)));
  out.push_back(matmul(wide, Tensor::random_normal({50001, 32}, 0, 1, DType::float32, g)));
  // a convolution's patches (im2col, and col2im in the backward), pooling and the fused bias +
  // relu on a batch big enough to split. (Not the convolution's GEMM with OpenBLAS: its
  // threading may change its own bits with the thread count, as seen on AMD EPYC with AVX-512.)
  const Tensor img = Tensor::random_normal({64, 28, 28, 3}, 0, 1, DType::float32, g);
  const Tensor kb = Tensor::random_normal({27}, 0, 1, DType::float32, g);
  Variable vimg(img, "img"), vkb(kb, "kb");
  {
    GradientTape tape;
    const Tensor y = nn::max_pool2d(nn::bias_relu(nn::extract_patches(vimg, 3), vkb), 2);
    out.push_back(y);
    for (const Tensor& gr : tape.gradient(sum(square(y)), {vimg, vkb})) out.push_back(gr);
  }
  Variable w(Tensor::random_normal({1000, 700}, 0, 1, DType::float32, g), "w");
  GradientTape tape;
  const Tensor loss = sum(square(relu(add(w, 0.1))));
  const std::vector<Tensor> grads = tape.gradient(loss, {w});
  out.push_back(grads[0]);
  optimizers::Adam opt(1e-2);
  for (int i = 0; i < 3; ++i) opt.apply_gradients(grads, {w});
  out.push_back(w.value());
  // every optimizer's updates of several variables, run as one split loop
  for (const char* name : {"sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax", "nadam"}) {
    auto o = optimizers::get(name);
    std::vector<Variable> vars = mixed_variables(g);
    for (int step = 0; step < 2; ++step) {
      std::vector<Tensor> gs;
      for (const Variable& v : vars) gs.push_back(Tensor::random_normal(v.shape(), 0, 1, v.dtype(), g));
      o->apply_gradients(gs, vars);
    }
    for (const Variable& v : vars) out.push_back(v.value());
  }
  return out;
}

}  // namespace

TEST_CASE("split loops give the same bits on any number of threads", "[threads]") {
  ThreadsGuard guard;
  set_num_threads(1);
  const std::vector<Tensor> one = workload();
  for (int t : {2, 3, 4}) {
    INFO(t << " threads");
    set_num_threads(t);
    CHECK(get_num_threads() == t);
    const std::vector<Tensor> many = workload();
    REQUIRE(many.size() == one.size());
    for (std::size_t i = 0; i < one.size(); ++i) {
      INFO("result " << i);
      CHECK(array_equal(many[i], one[i]));
    }
  }
}

TEST_CASE("split loops cover every element", "[threads]") {
  ThreadsGuard guard;
  set_num_threads(3);
  // [m, n] + [n] and [m, 1] * [1, n]: each element checked against its own formula
  const std::int64_t m = 3001, n = 233;
  const Tensor rows = iota({m, 1}), cols = iota({1, n});
  const std::vector<double> s = values(add(mul(rows, 1000.0), cols));
  const std::vector<double> p = values(mul(rows, cols));
  REQUIRE(s.size() == static_cast<std::size_t>(m * n));
  bool all = true;
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      all = all && s[static_cast<std::size_t>(i * n + j)] == static_cast<double>(i * 1000 + j);
      all = all && p[static_cast<std::size_t>(i * n + j)] == static_cast<double>(i * j);
    }
  CHECK(all);
  // one long run of odd length: relu of -k .. k keeps exactly the positive half
  const std::int64_t k = 500001;
  const std::vector<double> r = values(relu(sub(Tensor::arange(static_cast<double>(2 * k + 1), DType::float64),
                                                static_cast<double>(k))));
  REQUIRE(r.size() == static_cast<std::size_t>(2 * k + 1));
  bool ok = true;
  for (std::int64_t i = 0; i <= 2 * k; ++i) ok = ok && r[static_cast<std::size_t>(i)] == std::max<double>(0, i - k);
  CHECK(ok);
}

TEST_CASE("set_num_threads rejects counts below one", "[threads]") {
  ThreadsGuard guard;
  CHECK_THROWS_AS(set_num_threads(0), ValueError);
  CHECK_THROWS_WITH(set_num_threads(-2), Catch::Contains("-2"));
  CHECK(get_num_threads() >= 1);
}

TEST_CASE("a shared layer first called from several threads at once builds once", "[threads][layers]") {
  // Keras builds under a lock: the first call builds, concurrent first calls wait for it.
  for (int round = 0; round < 20; ++round) {
    auto dense = std::make_shared<layers::Dense>(3, "tanh");
    auto lstm = std::make_shared<layers::LSTM>(2);
    const Tensor x = Tensor::random_normal({4, 5});
    const Tensor seq = Tensor::random_normal({2, 3, 5});
    constexpr int kThreads = 4;
    std::vector<Tensor> outs(kThreads), seq_outs(kThreads);
    std::vector<std::string> names(kThreads);
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        ++ready;
        while (ready.load() < kThreads) {
        }  // start together
        names[static_cast<std::size_t>(t)] = dense->name();
        outs[static_cast<std::size_t>(t)] = (*dense)(x);
        seq_outs[static_cast<std::size_t>(t)] = (*lstm)(seq);
      });
    for (auto& th : threads) th.join();
    INFO("round " << round);
    REQUIRE(dense->weights().size() == 2);
    REQUIRE(lstm->weights().size() == 3);
    for (int t = 1; t < kThreads; ++t) {
      CHECK(names[static_cast<std::size_t>(t)] == names[0]);
      CHECK(array_equal(outs[static_cast<std::size_t>(t)], outs[0]));
      CHECK(array_equal(seq_outs[static_cast<std::size_t>(t)], seq_outs[0]));
    }
    // the outputs are the layer's, computed with its one set of weights
    CHECK(allclose(outs[0], tanh(add(matmul(x, dense->kernel), dense->bias)), 1e-6, 1e-6));
  }
}

TEST_CASE("a built model predicts from several threads at once", "[threads][layers]") {
  auto in = Input({6});
  auto h = layers::Dense(8, "relu")(in);
  auto out = layers::Dense(2)(h);
  Model m(in, out);
  const Tensor x = Tensor::random_normal({16, 6});
  const Tensor want = m.predict(x);
  std::vector<Tensor> got(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < got.size(); ++t) threads.emplace_back([&, t] { got[t] = m.predict(x); });
  for (auto& th : threads) th.join();
  for (const Tensor& g : got) CHECK(array_equal(g, want));
}
