// The ops of strata/ops/arrays.hpp: values against NumPy (computed with numpy 1.x on the same
// inputs: x = arange(n) * 0.37 - 1.1 reshaped), first- and second-order gradchecks, the
// zero-norm subgradient, and refusals.
#include <cmath>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {
Tensor X(const Shape& s, double a = 0.37, double b = -1.1) { return add(mul(iota(s), a), b); }

struct Row {
  const char* name;
  std::function<Tensor(const std::vector<Tensor>&)> op;
  std::vector<Shape> shapes;
};

/// One row per differentiable op (inputs drawn away from ties and zeros).
std::vector<Row> rows() {
  return {
      {"norm", [](const std::vector<Tensor>& x) { return norm(x[0], 2.0, {1}); }, {{3, 4}}},
      {"norm p=3", [](const std::vector<Tensor>& x) { return norm(x[0], 3.0, {0}, true); }, {{3, 4}}},
      {"norm l1 all", [](const std::vector<Tensor>& x) { return norm(x[0], 1.0); }, {{2, 3, 2}}},
      {"matrix_norm", [](const std::vector<Tensor>& x) { return matrix_norm(x[0]); }, {{2, 3, 4}}},
      {"matrix_norm inf", [](const std::vector<Tensor>& x) { return matrix_norm(x[0], "inf"); }, {{3, 4}}},
      {"cumsum", [](const std::vector<Tensor>& x) { return cumsum(x[0], 1); }, {{3, 4}}},
      {"logcumsumexp", [](const std::vector<Tensor>& x) { return logcumsumexp(x[0], 0); }, {{3, 4}}},
      {"ptp", [](const std::vector<Tensor>& x) { return ptp(x[0], {1}); }, {{3, 4}}},
      {"average", [](const std::vector<Tensor>& x) { return average(x[0], add(abs(x[1]), 0.5), 1); },
       {{3, 4}, {4}}},
      {"trapezoid", [](const std::vector<Tensor>& x) { return trapezoid(x[0], 0.5); }, {{3, 4}}},
      {"flip", [](const std::vector<Tensor>& x) { return mul(flip(x[0], {0, 2}), x[0]); }, {{2, 3, 2}}},
      {"roll", [](const std::vector<Tensor>& x) { return mul(roll(x[0], -1, 1), x[0]); }, {{3, 4}}},
      {"moveaxis", [](const std::vector<Tensor>& x) { return square(moveaxis(x[0], 0, 2)); }, {{2, 3, 4}}},
      {"swapaxes", [](const std::vector<Tensor>& x) { return square(swapaxes(x[0], 0, 1)); }, {{2, 3}}},
      {"repeat", [](const std::vector<Tensor>& x) { return square(repeat(x[0], 3, 0)); }, {{2, 3}}},
      {"diff", [](const std::vector<Tensor>& x) { return square(diff(x[0], 2, 1)); }, {{2, 5}}},
      {"tril", [](const std::vector<Tensor>& x) { return square(tril(x[0], 1)); }, {{2, 3, 4}}},
      {"triu", [](const std::vector<Tensor>& x) { return square(triu(x[0])); }, {{4, 3}}},
      {"diagonal", [](const std::vector<Tensor>& x) { return square(diagonal(x[0], -1)); }, {{2, 4, 3}}},
      {"trace", [](const std::vector<Tensor>& x) { return square(trace(x[0])); }, {{3, 3}}},
      {"diag", [](const std::vector<Tensor>& x) { return square(diag(x[0], -2)); }, {{3}}},
      {"outer", [](const std::vector<Tensor>& x) { return outer(x[0], x[1]); }, {{3}, {2, 2}}},
      {"inner", [](const std::vector<Tensor>& x) { return inner(x[0], x[1]); }, {{2, 3}, {4, 3}}},
      {"vdot", [](const std::vector<Tensor>& x) { return vdot(x[0], x[1]); }, {{2, 3}, {6}}},
      {"kron", [](const std::vector<Tensor>& x) { return kron(x[0], x[1]); }, {{2, 2}, {2, 3}}},
      {"cross", [](const std::vector<Tensor>& x) { return cross(x[0], x[1]); }, {{2, 3}, {3}}},
      {"tensordot", [](const std::vector<Tensor>& x) { return tensordot(x[0], x[1], 2); }, {{2, 3, 2}, {3, 2, 2}}},
      {"hstack", [](const std::vector<Tensor>& x) { return square(hstack({x[0], x[1]})); }, {{2, 2}, {2, 3}}},
      {"vstack", [](const std::vector<Tensor>& x) { return square(vstack({x[0], x[1]})); }, {{3}, {2, 3}}},
      {"dstack", [](const std::vector<Tensor>& x) { return square(dstack({x[0], x[1]})); }, {{2, 3}, {2, 3, 2}}},
      {"column_stack", [](const std::vector<Tensor>& x) { return square(column_stack({x[0], x[1]})); }, {{3}, {3, 2}}},
      {"unstack", [](const std::vector<Tensor>& x) { return mul(unstack(x[0], 1)[0], unstack(x[0], 1)[2]); },
       {{2, 3}}},
      {"array_split", [](const std::vector<Tensor>& x) { return square(array_split(x[0], 3, 1)[0]); }, {{2, 5}}},
      {"meshgrid", [](const std::vector<Tensor>& x) { return mul(meshgrid({x[0], x[1]})[0], meshgrid({x[0], x[1]})[1]); },
       {{3}, {2}}},
      {"depth_to_space", [](const std::vector<Tensor>& x) { return square(depth_to_space(x[0], 2)); }, {{1, 2, 1, 8}}},
      {"space_to_depth", [](const std::vector<Tensor>& x) { return square(space_to_depth(x[0], 2)); }, {{1, 2, 4, 1}}},
      {"clip", [](const std::vector<Tensor>& x) { return clip(x[0], mul(x[1], 0.1), add(x[2], 2.0)); },
       {{3, 4}, {4}, {3, 1}}},
      {"copysign", [](const std::vector<Tensor>& x) { return copysign(x[0], x[1]); }, {{3, 4}, {4}}},
  };
}
}  // namespace

TEST_CASE("array ops against NumPy", "[arrays]") {
  const Tensor x = X({3, 4}), y = X({4}, 0.5, -0.7);
  CHECK_TENSOR(norm(x, 2.0, {1}), {3}, {1.36842975706, 2.04484718255, 4.90034692649}, 1e-10);
  CHECK_TENSOR(norm(x, 1.0, {0}), {4}, {3.34, 3.71, 4.08, 4.47}, 1e-10);
  CHECK_TENSOR(norm(x, INFINITY), {}, {2.97}, 1e-12);
  CHECK_TENSOR(norm(x, 3.0, {1}), {3}, {1.20888634642, 1.73132512327, 3.94290765981}, 1e-10);
  CHECK_TENSOR(norm(x, 0.0, {1}), {3}, {4, 4, 4}, 0);
  CHECK_TENSOR(matrix_norm(x, "1"), {}, {4.47}, 1e-12);
  CHECK_TENSOR(matrix_norm(x, "inf"), {}, {9.66}, 1e-12);
  CHECK_TENSOR(matrix_norm(x), {}, {5.4833748732}, 1e-10);
  CHECK_TENSOR(cumsum(x, 1), {3, 4}, {-1.1, -1.83, -2.19, -2.18, 0.38, 1.13, 2.25, 3.74, 1.86, 4.09, 6.69, 9.66}, 1e-12);
  CHECK_TENSOR(logcumsumexp(x, 0), {3, 4},
               {-1.1, -0.73, -0.36, 0.01, 0.585091744159, 0.955091744159, 1.32509174416, 1.69509174416, 2.10643546089,
                2.47643546089, 2.84643546089, 3.21643546089},
               1e-10);
  CHECK_TENSOR(ptp(x), {}, {4.07}, 1e-12);
  CHECK_TENSOR(average(x, add(y, 2.0), 1), {3}, {-0.432195121951, 1.04780487805, 2.52780487805}, 1e-10);
  CHECK_TENSOR(trapezoid(x, 0.5), {3}, {-0.8175, 1.4025, 3.6225}, 1e-12);
  CHECK_TENSOR(roll(x, 3, 1), {3, 4}, {-0.73, -0.36, 0.01, -1.1, 0.75, 1.12, 1.49, 0.38, 2.23, 2.6, 2.97, 1.86}, 1e-12);
  CHECK_TENSOR(roll(x, -5, 1), {3, 4}, values(roll(x, 3, 1)), 0);
  CHECK_TENSOR(diff(square(x), 2, 1), {3, 2}, std::vector<double>(6, 2 * 0.37 * 0.37), 1e-12);
  CHECK_TENSOR(tril(x, -1), {3, 4}, {0, 0, 0, 0, 0.38, 0, 0, 0, 1.86, 2.23, 0, 0}, 1e-12);
  CHECK_TENSOR(triu(x, 1), {3, 4}, {0, -0.73, -0.36, 0.01, 0, 0, 1.12, 1.49, 0, 0, 0, 2.97}, 1e-12);
  CHECK_TENSOR(diagonal(x, 1), {3}, {-0.73, 1.12, 2.97}, 1e-12);
  CHECK_TENSOR(diagonal(x, -1), {2}, {0.38, 2.23}, 1e-12);
  CHECK_TENSOR(trace(x), {}, {2.25}, 1e-12);
  CHECK_TENSOR(diag(y, 1), {5, 5}, {0, -0.7, 0, 0, 0, 0, 0, -0.2, 0, 0, 0, 0, 0, 0.3, 0, 0, 0, 0, 0, 0.8, 0, 0, 0, 0, 0},
               1e-12);
  CHECK_TENSOR(diag(x, 1), {3}, {-0.73, 1.12, 2.97}, 1e-12);
  CHECK_TENSOR(outer(y, slice_axis(y, 0, 0, 3)), {4, 3},
               {0.49, 0.14, -0.21, 0.14, 0.04, -0.06, -0.21, -0.06, 0.09, -0.56, -0.16, 0.24}, 1e-12);
  CHECK_TENSOR(inner(x, y), {3}, {0.816, 1.112, 1.408}, 1e-12);
  CHECK_TENSOR(kron(slice(x, {0, 0}, {2, 2}), slice(x, {1, 1}, {3, 4})), {4, 6},
               {-0.825, -1.232, -1.639, -0.5475, -0.8176, -1.0877, -2.453, -2.86, -3.267, -1.6279, -1.898, -2.1681,
                0.285, 0.4256, 0.5662, 0.5625, 0.84, 1.1175, 0.8474, 0.988, 1.1286, 1.6725, 1.95, 2.2275},
               1e-12);
  CHECK_TENSOR(cross(X({2, 3}), X({3}, -0.3, 0.8)), {2, 3}, {0.034, -0.068, 0.034, -0.299, 0.598, -0.299}, 1e-12);
  CHECK_TENSOR(tensordot(X({2, 3, 4}), X({3, 4, 2}, 0.1, 0.2), 2), {2, 2}, {25.168, 26.29, 94.432, 100.882}, 1e-9);
  CHECK_TENSOR(repeat(y, 2, 0), {8}, {-0.7, -0.7, -0.2, -0.2, 0.3, 0.3, 0.8, 0.8}, 1e-12);
  CHECK_TENSOR(vdot(x, x), {}, {5.4833748732 * 5.4833748732}, 1e-9);
  CHECK_TENSOR(flip(iota({2, 3}), {1}), {2, 3}, {2, 1, 0, 5, 4, 3}, 0);
  CHECK_TENSOR(flip(iota({2, 2})), {2, 2}, {3, 2, 1, 0}, 0);
  CHECK(moveaxis(iota({2, 3, 4}), 0, -1).shape() == Shape({3, 4, 2}));
  CHECK_TENSOR(swapaxes(iota({2, 3}), 0, 1), {3, 2}, {0, 3, 1, 4, 2, 5}, 0);
  CHECK_TENSOR(eye(2, 3, 1), {2, 3}, {0, 1, 0, 0, 0, 1}, 0);
  CHECK_TENSOR(count_nonzero(f64({0, 1, 2, 0, 0, 3}, {2, 3}), {1}), {2}, {2, 1}, 0);
  CHECK(count_nonzero(f64({0, 1}, {2})).dtype() == DType::int64);
  CHECK_TENSOR(all(f64({1, 2, 0, 3}, {2, 2}), {1}), {2}, {1, 0}, 0);
  // NumPy's stacks, splits and grids
  const Tensor a = f64({1, 2}, {2}), b = f64({3, 4}, {2});
  CHECK_TENSOR(hstack({a, b}), {4}, {1, 2, 3, 4}, 0);
  CHECK_TENSOR(vstack({a, b}), {2, 2}, {1, 2, 3, 4}, 0);
  CHECK_TENSOR(column_stack({a, b}), {2, 2}, {1, 3, 2, 4}, 0);
  CHECK_TENSOR(dstack({a, b}), {1, 2, 2}, {1, 3, 2, 4}, 0);
  CHECK(unstack(iota({2, 3}), 1).size() == 3);
  CHECK_TENSOR(unstack(iota({2, 3}), 1)[2], {2}, {2, 5}, 0);
  const auto parts = array_split(iota({7}), 3);
  REQUIRE(parts.size() == 3);
  CHECK_TENSOR(parts[0], {3}, {0, 1, 2}, 0);
  CHECK_TENSOR(parts[2], {2}, {5, 6}, 0);
  const auto g = meshgrid({f64({1, 2, 3}, {3}), f64({4, 5}, {2})});
  CHECK_TENSOR(g[0], {2, 3}, {1, 2, 3, 1, 2, 3}, 0);
  CHECK_TENSOR(g[1], {2, 3}, {4, 4, 4, 5, 5, 5}, 0);
  CHECK(meshgrid({f64({1, 2, 3}, {3}), f64({4, 5}, {2})}, "ij")[0].shape() == Shape({3, 2}));
  CHECK_TENSOR(linspace(2, 3, 5, true, DType::float64), {5}, {2, 2.25, 2.5, 2.75, 3}, 1e-15);
  CHECK_TENSOR(linspace(2, 3, 4, false, DType::float64), {4}, {2, 2.25, 2.5, 2.75}, 1e-15);
  CHECK_TENSOR(logspace(0, 3, 4, true, 10, DType::float64), {4}, {1, 10, 100, 1000}, 1e-12);
  CHECK_TENSOR(geomspace(-1, -1000, 4, true, DType::float64), {4}, {-1, -10, -100, -1000}, 1e-12);
  CHECK_TENSOR(tri(2, 3, 0), {2, 3}, {1, 0, 0, 1, 1, 0}, 0);
  // TensorFlow's depth_to_space: [1, 1, 1, 4] -> [1, 2, 2, 1]; space_to_depth inverts it
  CHECK_TENSOR(depth_to_space(f64({1, 2, 3, 4}, {1, 1, 1, 4}), 2), {1, 2, 2, 1}, {1, 2, 3, 4}, 0);
  const Tensor img = iota({2, 4, 6, 3});
  CHECK(near(depth_to_space(space_to_depth(img, 2), 2), values(img), 0));
  CHECK_TENSOR(space_to_depth(iota({1, 2, 2, 1}), 2), {1, 1, 1, 4}, {0, 1, 2, 3}, 0);
  CHECK_TENSOR(clip(f64({-2, 0.5, 3}, {3}), f64({-1, -1, -1}, {3}), f64({1}, {1})), {3}, {-1, 0.5, 1}, 0);
  CHECK_TENSOR(copysign(f64({1, -2, 3}, {3}), f64({-0.0, 1, -5}, {3})), {3}, {-1, 2, -3}, 0);
  CHECK_THROWS_WITH(geomspace(0, 1, 3), Catch::Contains("non-zero"));
  CHECK_THROWS_WITH(depth_to_space(iota({1, 2, 2, 3}), 2), Catch::Contains("divisible"));
  CHECK_THROWS_WITH(meshgrid({iota({2, 2})}), Catch::Contains("1-D"));
  CHECK_TENSOR(any(f64({0, 0, 0, 3}, {2, 2}), {1}), {2}, {0, 1}, 0);
}

TEST_CASE("array ops gradcheck, first and second order", "[arrays][gradcheck]") {
  for (const auto& r : rows()) {
    INFO(r.name);
    std::vector<Tensor> in;
    for (std::size_t i = 0; i < r.shapes.size(); ++i) {
      // distinct, non-zero values: no ties for max/min, no kinks of |x|
      Tensor t = unif(r.shapes[i], 10 + i, 0.2, 1.0);
      in.push_back(mul(t, sub(1.0, mul(greater(unif(r.shapes[i], 20 + i), 0.55), 2.0))));
    }
    CHECK_GRADCHECK(gradcheck(r.op, in));
    CHECK_GRADCHECK(gradgradcheck(r.op, in));
  }
}

TEST_CASE("the 2-norm's gradient at zero is zero; refusals", "[arrays]") {
  const Tensor g = f64({0, 0, 3, 4}, {2, 2});  // a zero row, as a WGAN-GP penalty meets
  GradientTape tape;
  tape.watch(g);
  const Tensor n = norm(g, 2.0, {1});
  CHECK_TENSOR(n, {2}, {0, 5}, 0);
  CHECK_TENSOR(tape.gradient(sum(n), {g})[0], {2, 2}, {0, 0, 0.6, 0.8}, 1e-15);
  CHECK_THROWS_WITH(matrix_norm(f64({1, 2, 3, 4}, {2, 2}), "nuc"), Catch::Contains("singular values"));
  CHECK_THROWS_WITH(norm(g, -1.0), Catch::Contains("ord"));
  CHECK_THROWS_WITH(trace(f64({1, 2}, {2})), Catch::Contains("trace") && Catch::Contains("rank >= 2"));
  CHECK_THROWS_WITH(cross(f64({1, 2}, {2}), f64({1, 2}, {2})), Catch::Contains("3-vectors"));
  CHECK_THROWS_WITH(tensordot(iota({2, 3}), iota({2, 3}), 1), Catch::Contains("do not match"));
  CHECK_THROWS_WITH(average(iota({2, 3}), f64({1, 1}, {2}), 1), Catch::Contains("2 weights"));
  CHECK_THROWS_WITH(repeat(iota({2}), -1, 0), Catch::Contains("repeats"));
  CHECK_THROWS_AS(cumsum(iota({2}), 3), ValueError);
}
