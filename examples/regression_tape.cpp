// Fits y = sin(3x) with a small tanh network, trained by hand with the GradientTape and plain
// gradient descent: the whole define-by-run loop in a few lines.
//
//   ./regression_tape [--steps N] [--seed N] [--threads N]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <strata/strata.hpp>

using namespace strata;

int main(int argc, char** argv) {
  int steps = 2000;
  std::uint64_t seed = 42;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--steps")) steps = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--threads")) set_num_threads(std::atoi(argv[i + 1]));
    else {
      std::fprintf(stderr, "unknown flag %s\nusage: regression_tape [--steps N] [--seed N] [--threads N]\n", argv[i]);
      return 2;
    }
  }
  set_seed(seed);

  // Data: 256 points of sin(3x) on [-1, 1] with a little noise.
  Tensor x = reshape(Tensor::arange(-1.0, 1.0, 2.0 / 256), {256, 1});
  Tensor y = sin(x * 3.0) + Tensor::random_normal({256, 1}, 0.0, 0.05);

  // A 1-32-32-1 network; weights are Variables, so the tape watches them by itself.
  Variable w1(Tensor::random_normal({1, 32}, 0.0, 1.0), "w1"), b1(Tensor::zeros({32}), "b1");
  Variable w2(Tensor::random_normal({32, 32}, 0.0, 1.0 / std::sqrt(32.0)), "w2"), b2(Tensor::zeros({32}), "b2");
  Variable w3(Tensor::random_normal({32, 1}, 0.0, 1.0 / std::sqrt(32.0)), "w3"), b3(Tensor::zeros({1}), "b3");
  std::vector<Variable> params{w1, b1, w2, b2, w3, b3};

  const double lr = 0.1;
  double first = 0, last = 0;
  for (int step = 0; step <= steps; ++step) {
    GradientTape tape;
    Tensor h = tanh(matmul(x, w1) + b1);
    h = tanh(matmul(h, w2) + b2);
    Tensor pred = matmul(h, w3) + b3;
    Tensor loss = mean(square(pred - y));
    auto grads = tape.gradient(loss, params);
    for (std::size_t i = 0; i < params.size(); ++i) params[i].assign_sub(grads[i] * lr);
    last = loss.item<double>();
    if (step == 0) first = last;
    if (step % (steps / 10 > 0 ? steps / 10 : 1) == 0) std::printf("step %5d  mse %.5f\n", step, last);
  }
  std::printf("mse went from %.4f to %.4f\n", first, last);
  if (!(last < first * 0.2)) {
    std::fprintf(stderr, "the fit did not improve enough\n");
    return 1;
  }
  return 0;
}
