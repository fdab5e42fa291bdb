// Shape and indexing ops: values, Python/NumPy semantics, gradchecks, errors.
#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

TEST_CASE("reshape infers -1 and shares storage", "[shape]") {
  Tensor x = iota({2, 6});
  Tensor y = reshape(x, {3, -1});
  CHECK(y.shape() == Shape{3, 4});
  CHECK(y.raw_data() == x.raw_data());  // O(1): a view
  CHECK_TENSOR(flatten(y), {12}, x.to_vector<double>());
  CHECK_THROWS_AS(reshape(x, {5, -1}), ShapeError);
  CHECK_THROWS_WITH(reshape(x, {5, 3}), Catch::Contains("reshape") && Catch::Contains("[2, 6]"));
  CHECK_THROWS_AS(reshape(x, {-1, -1}), ValueError);
  CHECK(squeeze(Tensor::ones({1, 3, 1})).shape() == Shape{3});
  CHECK(squeeze(Tensor::ones({1, 3, 1}), {-1}).shape() == Shape{1, 3});
  CHECK_THROWS_AS(squeeze(Tensor::ones({2, 3}), {0}), ValueError);
  CHECK(expand_dims(Tensor::ones({2, 3}), 1).shape() == Shape{2, 1, 3});
  CHECK(expand_dims(Tensor::ones({2, 3}), -1).shape() == Shape{2, 3, 1});
  CHECK_THROWS_AS(expand_dims(Tensor::ones({2, 3}), 3), ValueError);
}

TEST_CASE("broadcast_to and sum_to are each other's reverse", "[shape]") {
  Tensor x = f64({1, 2, 3}, {3, 1});
  CHECK_TENSOR(broadcast_to(x, {2, 3, 2}), {2, 3, 2}, {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3});
  CHECK_TENSOR(sum_to(broadcast_to(x, {2, 3, 2}), {3, 1}), {3, 1}, {4, 8, 12});
  CHECK_TENSOR(sum_to(iota({2, 3}), {3}), {3}, {3, 5, 7});
  CHECK_TENSOR(sum_to(iota({2, 3}), {}), {}, {15});
  CHECK_THROWS_AS(broadcast_to(x, {3, 4, 5}), ShapeError);
  CHECK_THROWS_AS(broadcast_to(x, {2}), ShapeError);
  CHECK_THROWS_AS(sum_to(iota({2, 3}), {4}), ShapeError);
  CHECK(broadcast_shapes({2, 1}, {1, 5}) == Shape{2, 5});
}

TEST_CASE("slice follows Python's rules", "[shape]") {
  Tensor x = iota({10});
  CHECK_TENSOR(slice(x, {2}, {5}), {3}, {2, 3, 4});
  CHECK_TENSOR(slice(x, {-3}, {100}), {3}, {7, 8, 9});
  CHECK_TENSOR(slice(x, {8}, {-100}, {-3}), {3}, {8, 5, 2});
  CHECK_TENSOR(slice(x, {100}, {-100}, {-4}), {3}, {9, 5, 1});
  CHECK_TENSOR(slice(x, {5}, {2}), {0}, {});
  Tensor m = iota({3, 4});
  CHECK_TENSOR(slice(m, {1, 0}, {3, 4}, {1, 2}), {2, 2}, {4, 6, 8, 10});
  CHECK_TENSOR(slice(m, {0}, {1}), {1, 4}, {0, 1, 2, 3});  // later axes taken whole
  CHECK_TENSOR(slice_axis(m, 1, -1, -5, -1), {3, 4}, {3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8});
  CHECK_THROWS_AS(slice(m, {0}, {1}, {0}), ValueError);
  CHECK_THROWS_AS(slice(m, {0, 0, 0}, {1, 1, 1}), ValueError);
}

TEST_CASE("concat, stack, split", "[shape]") {
  Tensor a = iota({2, 2}), b = iota({2, 1}) + 10.0;
  CHECK_TENSOR(concat({a, b}, 1), {2, 3}, {0, 1, 10, 2, 3, 11});
  CHECK_TENSOR(concat({a, a}, 0), {4, 2}, {0, 1, 2, 3, 0, 1, 2, 3});
  CHECK_TENSOR(stack({a, a}, 1), {2, 2, 2}, {0, 1, 0, 1, 2, 3, 2, 3});
  CHECK_TENSOR(stack({f64({1}, {}), f64({2}, {})}), {2}, {1, 2});
  auto parts = split(iota({2, 6}), 3, 1);
  REQUIRE(parts.size() == 3);
  CHECK_TENSOR(parts[1], {2, 2}, {2, 3, 8, 9});
  auto uneven = split_sizes(iota({5}), {1, 4});
  CHECK_TENSOR(uneven[1], {4}, {1, 2, 3, 4});
  CHECK_THROWS_AS(concat({a, iota({3, 3})}, 1), ShapeError);
  CHECK_THROWS_AS(concat({}, 0), ValueError);
  CHECK_THROWS_AS(concat({a, a.astype(DType::float32)}, 0), DTypeError);
  CHECK_THROWS_AS(stack({a, b}), ShapeError);
  CHECK_THROWS_AS(split(iota({5}), 2), ValueError);
  CHECK_THROWS_AS(split_sizes(iota({5}), {1, 2}), ShapeError);
}

TEST_CASE("gather takes along an axis; one_hot encodes", "[shape]") {
  Tensor x = iota({3, 4});
  CHECK_TENSOR(gather(x, i64({2, 0, 2}, {3})), {3, 4}, {8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11});
  CHECK_TENSOR(gather(x, i64({3, -1}, {2}), 1), {3, 2}, {3, 3, 7, 7, 11, 11});
  CHECK(gather(x, i64({1, 0, 2, 2}, {2, 2}), 0).shape() == Shape{2, 2, 4});
  CHECK_THROWS_WITH(gather(x, i64({3}, {1})), Catch::Contains("index 3") && Catch::Contains("size 3"));
  CHECK_THROWS_AS(gather(x, f64({0}, {1})), DTypeError);
  CHECK_TENSOR(one_hot(i64({0, 2, -1}, {3}), 3), {3, 3}, {1, 0, 0, 0, 0, 1, 0, 0, 0});
  CHECK(one_hot(i64({1}, {1}), 2, DType::float64).dtype() == DType::float64);
  // repeated indices add up in the gradient
  Tensor t = f64({1, 2, 3}, {3});
  GradientTape tape;
  tape.watch(t);
  Tensor y = sum(gather(t, i64({0, 0, 2, 0}, {4})));
  CHECK_TENSOR(tape.gradient(y, {t})[0], {3}, {3, 0, 1});
}

TEST_CASE("pad in constant, reflect and symmetric modes, and tile", "[shape]") {
  Tensor x = f64({1, 2, 3, 4}, {4});
  CHECK_TENSOR(pad(x, {{2, 1}}, -1.0), {7}, {-1, -1, 1, 2, 3, 4, -1});
  CHECK_TENSOR(pad(x, {{2, 3}}, 0, "reflect"), {9}, {3, 2, 1, 2, 3, 4, 3, 2, 1});
  CHECK_TENSOR(pad(x, {{2, 3}}, 0, "symmetric"), {9}, {2, 1, 1, 2, 3, 4, 4, 3, 2});
  CHECK_TENSOR(pad(f64({1, 2, 3, 4}, {2, 2}), {{1, 0}, {0, 1}}), {3, 3}, {0, 0, 0, 1, 2, 0, 3, 4, 0});
  CHECK_THROWS_AS(pad(x, {{4, 0}}, 0, "reflect"), ValueError);
  CHECK_THROWS_AS(pad(x, {{-1, 0}}), ValueError);
  CHECK_THROWS_AS(pad(x, {{1, 0}, {1, 0}}), ValueError);
  CHECK_THROWS_AS(pad(x, {{1, 0}}, 0, "wrap"), ValueError);
  CHECK_TENSOR(tile(f64({1, 2}, {2}), {2}), {4}, {1, 2, 1, 2});
  CHECK_TENSOR(tile(f64({1, 2}, {2}), {2, 1}), {2, 2}, {1, 2, 1, 2});
  CHECK_TENSOR(tile(f64({1, 2, 3, 4}, {2, 2}), {1, 2}), {2, 4}, {1, 2, 1, 2, 3, 4, 3, 4});
}

TEST_CASE("shape and indexing ops gradcheck", "[shape][gradcheck]") {
  struct Case {
    const char* name;
    std::function<Tensor(const std::vector<Tensor>&)> fn;
    std::vector<Tensor> inputs;
  };
  const std::vector<Case> cases = {
      {"reshape", [](const auto& in) { return reshape(in[0], {3, -1}) * 2.0; }, {rnd({2, 6}, 1)}},
      {"squeeze", [](const auto& in) { return squeeze(in[0]) * in[0].dim(0); }, {rnd({1, 4, 1}, 2)}},
      {"expand_dims", [](const auto& in) { return expand_dims(in[0], 1) * 3.0; }, {rnd({3, 2}, 3)}},
      {"broadcast_to", [](const auto& in) { return broadcast_to(in[0], {2, 3, 4}) * rnd({2, 3, 4}, 99); },
       {rnd({3, 1}, 4)}},
      {"sum_to", [](const auto& in) { return sum_to(in[0], {1, 4}); }, {rnd({3, 2, 4}, 5)}},
      {"slice", [](const auto& in) { return slice(in[0], {1, -1}, {3, -5}, {1, -2}); }, {rnd({4, 5}, 6)}},
      {"slice_axis", [](const auto& in) { return slice_axis(in[0], 0, 0, 5, 2); }, {rnd({5, 2}, 7)}},
      {"concat", [](const auto& in) { return concat({in[0], in[1] * 2.0, in[0]}, 1); }, {rnd({2, 3}, 8), rnd({2, 1}, 9)}},
      {"stack", [](const auto& in) { return stack({in[0], in[1]}, 1); }, {rnd({2, 3}, 10), rnd({2, 3}, 11)}},
      {"split", [](const auto& in) { auto p = split_sizes(in[0], {1, 3}, 1); return p[1] * 2.0 + sum(p[0]); },
       {rnd({2, 4}, 12)}},
      {"split_unused_part", [](const auto& in) { return split(in[0], 2, 0)[1]; }, {rnd({4, 2}, 13)}},
      {"gather", [](const auto& in) { return gather(in[0], i64({2, 0, 2, 1}, {2, 2}), 1); }, {rnd({2, 3, 2}, 14)}},
      {"pad_constant", [](const auto& in) { return pad(in[0], {{1, 2}, {0, 1}}, 5.0); }, {rnd({2, 3}, 15)}},
      {"pad_reflect", [](const auto& in) { return pad(in[0], {{1, 2}, {2, 1}}, 0, "reflect"); }, {rnd({3, 4}, 16)}},
      {"pad_symmetric", [](const auto& in) { return pad(in[0], {{2, 1}}, 0, "symmetric"); }, {rnd({3}, 17)}},
      {"tile", [](const auto& in) { return tile(in[0], {2, 3}); }, {rnd({2, 2}, 18)}},
      {"transpose", [](const auto& in) { return transpose(in[0]); }, {rnd({3, 2}, 19)}},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    CHECK_GRADCHECK(gradcheck(c.fn, c.inputs));
  }
  // second order through the indexing ops' own backward ops
  CHECK_GRADCHECK(gradgradcheck(
      [](const auto& in) { return square(gather(slice(in[0], {1}, {4}), i64({0, 2, 2}, {3}))); }, {rnd({5}, 20)}));
  CHECK_GRADCHECK(gradgradcheck([](const auto& in) { return square(pad(concat({in[0], in[0]}, 0), {{1, 1}})); },
                                {rnd({3}, 21)}));
}
