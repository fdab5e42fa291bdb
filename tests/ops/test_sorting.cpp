// Sorting and selection: values against NumPy (x = sin(3 (arange(12) 0.37 - 1.1)) as [3, 4];
// numpy's stable argsort, sort, quantile, median, searchsorted), ties and NaN, gradients to
// the selected elements (first and second order), and refusals.
#include <cmath>
#include <limits>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {
Tensor X() { return sin(mul(add(mul(iota({3, 4}), 0.37), -1.1), 3.0)); }
}  // namespace

TEST_CASE("sort, argsort, quantiles and searchsorted against NumPy", "[sorting]") {
  const Tensor x = X();
  CHECK_TENSOR(sort(x, 1), {3, 4},
               {-0.881957806885, -0.814340892426, 0.029995500202, 0.157745694143, -0.970767336658, -0.216675080387,
                0.778073196888, 0.908633496116, -0.646650672256, 0.395685999203, 0.49234159777, 0.998543345375},
               1e-11);
  const Tensor a0 = argsort(x, 0);
  CHECK(a0.dtype() == DType::int64);
  CHECK_TENSOR(a0, {3, 4}, {2, 0, 0, 1, 0, 2, 1, 0, 1, 1, 2, 2}, 0);
  CHECK(near(sort(x, 1, true), values(flip(sort(x, 1), {1})), 0));
  CHECK_TENSOR(quantile(x, 0.3, 1), {3}, {-0.821102583872, -0.292084306014, 0.291452332057}, 1e-11);
  CHECK_TENSOR(median(x, 0), {4}, {0.157745694143, 0.395685999203, -0.216675080387, 0.029995500202}, 1e-11);
  CHECK(median(x, 0, true).shape() == Shape({1, 4}));
  const Tensor seq = f64({1, 2, 2, 3}, {4}), v = f64({0, 2, 2.5, 3, 4}, {5});
  CHECK_TENSOR(searchsorted(seq, v), {5}, {0, 1, 3, 3, 4}, 0);
  CHECK_TENSOR(searchsorted(seq, v, "right"), {5}, {0, 3, 3, 4, 4}, 0);
  // stable among ties; NaN last ascending, first descending (NumPy)
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_TENSOR(argsort(f64({2, 1, 2, 1}, {4})), {4}, {1, 3, 0, 2}, 0);
  CHECK_TENSOR(argsort(f64({2, nan, 1}, {3})), {3}, {2, 0, 1}, 0);
  CHECK_TENSOR(argsort(f64({2, nan, 1}, {3}), -1, true), {3}, {1, 0, 2}, 0);
  CHECK_TENSOR(argsort(i64({3, -1, 2}, {3})), {3}, {1, 2, 0}, 0);
}

TEST_CASE("top_k, in_top_k and take_along_axis", "[sorting]") {
  const Tensor x = f64({1, 5, 3, 5, 2, 0, 9, 9}, {2, 4});
  const auto [v, i] = top_k(x, 2);
  CHECK_TENSOR(v, {2, 2}, {5, 5, 9, 9}, 0);
  CHECK_TENSOR(i, {2, 2}, {1, 3, 2, 3}, 0);  // the lower index first among equal values
  const auto [v3, i3] = top_k(x, 3, false);
  CHECK_TENSOR(i3, {2, 3}, {1, 2, 3, 0, 2, 3}, 0);  // in x's order
  CHECK_TENSOR(v3, {2, 3}, {5, 3, 5, 2, 9, 9}, 0);
  CHECK(top_k(x, 0).first.shape() == Shape({2, 0}));
  // targets 2 (score 3, two higher) and 0 (score 2, two higher): in the top 3, not the top 2
  const Tensor targets = i64({2, 0}, {2});
  CHECK_TENSOR(in_top_k(targets, x, 3), {2}, {1, 1}, 0);
  CHECK_TENSOR(in_top_k(targets, x, 2), {2}, {0, 0}, 0);
  CHECK_TENSOR(in_top_k(i64({1, 2}, {2}), x, 1), {2}, {1, 1}, 0);  // ties at the boundary count as in
  CHECK_TENSOR(take_along_axis(x, i64({3, 0, -1, 0}, {2, 2}), 1), {2, 2}, {5, 1, 9, 2}, 0);
  CHECK_THROWS_WITH(take_along_axis(x, i64({4, 0}, {2, 1}), 1), Catch::Contains("out of range"));
  CHECK_THROWS_WITH(take_along_axis(x, i64({1, 1, 1}, {3, 1}), 1), Catch::Contains("except along axis 1"));
  CHECK_THROWS_AS(take_along_axis(x, f64({1, 1}, {2, 1}), 1), DTypeError);
  CHECK_THROWS_WITH(top_k(x, 5), Catch::Contains("k = 5"));
  CHECK_THROWS_WITH(quantile(x, 1.5), Catch::Contains("q must be in [0, 1]"));
  CHECK_THROWS_WITH(searchsorted(x, x), Catch::Contains("1-D"));
}

TEST_CASE("selection gradients go to the selected elements", "[sorting][gradcheck]") {
  {  // repeated indices add up
    const Tensor x = f64({1, 2, 3}, {1, 3});
    GradientTape tape;
    tape.watch(x);
    const Tensor y = take_along_axis(x, i64({2, 2, 0}, {1, 3}), 1);
    CHECK_TENSOR(tape.gradient(sum(y), {x})[0], {1, 3}, {1, 0, 2}, 0);
  }
  struct Row {
    const char* name;
    std::function<Tensor(const Tensor&)> op;
  };
  const std::vector<Row> rows = {
      {"take_along_axis", [](const Tensor& x) { return square(take_along_axis(x, i64({1, 0, 1, 2, 2, 0}, {3, 2}), 1)); }},
      {"sort", [](const Tensor& x) { return mul(sort(x, 0), iota({3, 3})); }},
      {"top_k", [](const Tensor& x) { return square(top_k(x, 2).first); }},
      {"quantile", [](const Tensor& x) { return square(quantile(x, 0.3, 1)); }},
      {"median", [](const Tensor& x) { return square(median(x, 0)); }},
  };
  const Tensor x = add(mul(unif({3, 3}, 7), 2.0), iota({3, 3}));  // distinct values
  for (const auto& r : rows) {
    INFO(r.name);
    auto f = [&](const std::vector<Tensor>& in) { return r.op(in[0]); };
    CHECK_GRADCHECK(gradcheck(f, {x}));
    CHECK_GRADCHECK(gradgradcheck(f, {x}));
  }
}
