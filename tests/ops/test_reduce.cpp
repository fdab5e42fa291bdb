// Reductions: values against loops written here, axes/keepdims rules, gradchecks, errors.
#include <cmath>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {

// x[i,j,k] = i*100 + j*10 + k for shape [2,3,4]
Tensor iota3() {
  std::vector<double> v;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) v.push_back(i * 100 + j * 10 + k);
  return f64(v, {2, 3, 4});
}

Tensor distinct(const Shape& s, std::uint64_t seed) {
  // random values without ties (max/min gradients are unique)
  Generator g(seed);
  return Tensor::random_normal(s, 0, 1, DType::float64, g);
}
}  // namespace

TEST_CASE("sum over every axis set", "[reduce]") {
  Tensor x = iota3();
  CHECK_TENSOR(sum(x), {}, {(0 + 100) * 12 + (0 + 10 + 20) * 8 + (0 + 1 + 2 + 3) * 6});
  // axis 0: x[0,j,k] + x[1,j,k] = 100 + 2*(10j + k)
  std::vector<double> e0;
  for (int j = 0; j < 3; ++j)
    for (int k = 0; k < 4; ++k) e0.push_back(100 + 2 * (10 * j + k));
  CHECK_TENSOR(sum(x, 0), {3, 4}, e0);
  // axis 1: sum_j (100i + 10j + k) = 300i + 30 + 3k
  std::vector<double> e1;
  for (int i = 0; i < 2; ++i)
    for (int k = 0; k < 4; ++k) e1.push_back(300 * i + 30 + 3 * k);
  CHECK_TENSOR(sum(x, 1), {2, 4}, e1);
  CHECK_TENSOR(sum(x, 1, true), {2, 1, 4}, e1);
  // axes {0, 2}: sum_i sum_k = 4*100 + 2*4*10j + 2*6
  CHECK_TENSOR(sum(x, {0, 2}), {3}, {412, 492, 572});
  CHECK_TENSOR(sum(x, {-1}), {2, 3}, {6, 46, 86, 406, 446, 486});
  CHECK_TENSOR(sum(x, {0, 1, 2}, true), {1, 1, 1}, {sum(x).item<double>()});
  CHECK_TENSOR(sum(Tensor::zeros({0, 3}), 0), {3}, {0, 0, 0});
  CHECK_TENSOR(sum(Tensor::from_vector({1, 2, 3}, {3}, DType::int64)), {}, {6});
  // a long float32 sum stays accurate
  CHECK(sum(Tensor::ones({1000003})).item<double>() == 1000003.0);
}

TEST_CASE("mean, var, stddev, prod, max, min, logsumexp values", "[reduce]") {
  Tensor x = f64({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK_TENSOR(mean(x, 1), {2}, {2, 5});
  CHECK_TENSOR(var(x, 1), {2}, {2.0 / 3, 2.0 / 3});
  CHECK_TENSOR(stddev(x), {}, {std::sqrt(17.5 / 6)});
  CHECK_TENSOR(prod(x, 0), {3}, {4, 10, 18});
  CHECK_TENSOR(max(x, 0), {3}, {4, 5, 6});
  CHECK_TENSOR(min(x, {1}, true), {2, 1}, {1, 4});
  CHECK_TENSOR(max(x), {}, {6});
  const double lse = std::log(std::exp(1) + std::exp(2) + std::exp(3));
  CHECK_TENSOR(logsumexp(x, 1), {2}, {lse, lse + 3});
  // stable for large inputs
  CHECK_TENSOR(logsumexp(f64({1e4, 1e4}, {2})), {}, {1e4 + std::log(2.0)});
  CHECK_TENSOR(logsumexp(f64({-INFINITY, -INFINITY}, {2})), {}, {-INFINITY});
  CHECK_TENSOR(max(f64({1, NAN, 3}, {3})), {}, {NAN});
}

TEST_CASE("argmax and argmin pick the first extreme", "[reduce]") {
  Tensor x = f64({1, 7, 7, 0, 9, -1}, {2, 3});
  CHECK_TENSOR(argmax(x, 1), {2}, {1, 1});
  CHECK_TENSOR(argmin(x, 1), {2}, {0, 2});
  CHECK_TENSOR(argmax(x, 0), {3}, {0, 1, 0});
  CHECK_TENSOR(argmax(x, 0, true), {1, 3}, {0, 1, 0});
  CHECK_TENSOR(argmax(x), {}, {4});
  CHECK(argmax(x).dtype() == DType::int64);
}

TEST_CASE("reductions gradcheck over axes and shapes", "[reduce][gradcheck]") {
  struct Case {
    const char* name;
    std::function<Tensor(const Tensor&, const Axes&, bool)> op;
  };
  const std::vector<Case> cases = {
      {"sum", [](const Tensor& x, const Axes& a, bool k) { return sum(x, a, k); }},
      {"mean", [](const Tensor& x, const Axes& a, bool k) { return mean(x, a, k); }},
      {"max", [](const Tensor& x, const Axes& a, bool k) { return max(x, a, k); }},
      {"min", [](const Tensor& x, const Axes& a, bool k) { return min(x, a, k); }},
      {"prod", [](const Tensor& x, const Axes& a, bool k) { return prod(x, a, k); }},
      {"var", [](const Tensor& x, const Axes& a, bool k) { return var(x, a, k); }},
      {"stddev", [](const Tensor& x, const Axes& a, bool k) { return stddev(x, a, k); }},
      {"logsumexp", [](const Tensor& x, const Axes& a, bool k) { return logsumexp(x, a, k); }},
  };
  const std::vector<std::pair<Shape, Axes>> configs = {
      {{5}, {}}, {{3, 4}, {1}}, {{3, 4}, {0}}, {{2, 3, 4}, {0, 2}}, {{2, 1, 3}, {1}}, {{4, 1}, {}},
  };
  for (const auto& c : cases)
    for (const auto& [shape, axes] : configs)
      for (bool keep : {false, true}) {
        // sqrt'(0) is infinite: the deviation over a size-1 axis has no gradient (NaN, as in TF)
        if (std::string(c.name) == "stddev" && shape == Shape{2, 1, 3}) continue;
        INFO(c.name << " of " << shape << " keepdims " << keep);
        Tensor x = distinct(shape, 11);
        CHECK_GRADCHECK(gradcheck([&](const std::vector<Tensor>& in) { return c.op(in[0], axes, keep); }, {x}));
      }
}

TEST_CASE("max shares the gradient among ties; prod handles zeros", "[reduce]") {
  Tensor x = f64({1, 3, 3, 2}, {4});
  GradientTape tape;
  tape.watch(x);
  CHECK_TENSOR(tape.gradient(max(x), {x})[0], {4}, {0, 0.5, 0.5, 0});
  Tensor z = f64({2, 0, 3}, {3});
  GradientTape t2;
  t2.watch(z);
  CHECK_TENSOR(t2.gradient(prod(z), {z})[0], {3}, {0, 6, 0});
}

TEST_CASE("reductions second order", "[reduce][gradcheck]") {
  CHECK_GRADCHECK(gradgradcheck([](const std::vector<Tensor>& in) { return var(in[0], 1); }, {distinct({3, 4}, 12)}));
  CHECK_GRADCHECK(
      gradgradcheck([](const std::vector<Tensor>& in) { return logsumexp(in[0], 0); }, {distinct({3, 4}, 13)}));
  CHECK_GRADCHECK(gradgradcheck([](const std::vector<Tensor>& in) { return square(sum(in[0], 0)); },
                                {distinct({3, 2}, 14)}));
}

TEST_CASE("bad axes and empty reductions throw", "[reduce][errors]") {
  Tensor x = Tensor::ones({2, 3});
  CHECK_THROWS_AS(sum(x, 2), ValueError);
  CHECK_THROWS_WITH(sum(x, -3), Catch::Contains("sum") && Catch::Contains("axis -3"));
  CHECK_THROWS_AS(sum(x, {0, 0}), ValueError);
  CHECK_THROWS_AS(max(Tensor::zeros({0, 3}), 0), ValueError);
  CHECK_THROWS_AS(argmax(Tensor::zeros({0})), ValueError);
  CHECK_THROWS_AS(mean(Tensor::ones({2}, DType::int64)), DTypeError);
}
