// softmax, cross-entropies, dropout, normalization, embedding lookup.
#include <cmath>

#include "support/helpers.hpp"
#include "support/pass_op.hpp"

using namespace strata;
using namespace strata::testing;

TEST_CASE("softmax and log_softmax along any axis", "[nn]") {
  Tensor x = f64({1, 2, 3, 1, 1, 1}, {2, 3});
  const double z = std::exp(1) + std::exp(2) + std::exp(3);
  CHECK_TENSOR(nn::softmax(x), {2, 3}, {std::exp(1) / z, std::exp(2) / z, std::exp(3) / z, 1 / 3.0, 1 / 3.0, 1 / 3.0});
  CHECK_TENSOR(nn::log_softmax(x), {2, 3},
               {1 - std::log(z), 2 - std::log(z), 3 - std::log(z), -std::log(3.0), -std::log(3.0), -std::log(3.0)});
  // axis 0 of [2, 3]: pairs (1,1), (2,1), (3,1)
  auto s0 = nn::softmax(x, 0).to_vector<double>();
  CHECK(s0[2] == Approx(std::exp(3) / (std::exp(3) + std::exp(1))));
  CHECK(s0[2] + s0[5] == Approx(1.0));
  // middle axis of a 3-D tensor equals moving it last
  Tensor y = rnd({2, 4, 3}, 1);
  CHECK(allclose(nn::softmax(y, 1), transpose(nn::softmax(transpose(y, {0, 2, 1}), -1), {0, 2, 1}), 1e-12));
  // stable for inputs of 1e4, in float32 too
  Tensor big = f64({1e4, 1e4 - 1, -1e4}, {3});
  auto p = nn::softmax(big.astype(DType::float32)).to_vector<double>();
  CHECK(p[0] == Approx(1 / (1 + std::exp(-1.0))).epsilon(1e-5));
  CHECK_FALSE(std::isnan(p[2]));
  CHECK(nn::log_softmax(big).to_vector<double>()[2] == Approx(-2e4 - std::log1p(std::exp(-1.0))));
}

TEST_CASE("fused cross-entropies equal their definitions", "[nn]") {
  Tensor logits = rnd({4, 5}, 2);
  Tensor labels = i64({0, 4, 2, 2}, {4});
  Tensor onehot = one_hot(labels, 5, DType::float64);
  Tensor expected = neg(sum(onehot * nn::log_softmax(logits), 1));
  CHECK(allclose(nn::sparse_softmax_cross_entropy_with_logits(labels, logits), expected, 1e-12));
  CHECK(allclose(nn::softmax_cross_entropy_with_logits(onehot, logits), expected, 1e-12));
  // soft labels along axis 0
  Tensor soft = nn::softmax(rnd({4, 5}, 3), 0);
  CHECK(allclose(nn::softmax_cross_entropy_with_logits(soft, logits, 0), neg(sum(soft * nn::log_softmax(logits, 0), 0)),
                 1e-12));
  // large logits: no overflow
  Tensor big = f64({1e4, 0, -1e4}, {1, 3});
  CHECK(nn::sparse_softmax_cross_entropy_with_logits(i64({1}, {1}), big).item<double>() == Approx(1e4));
  CHECK(nn::sparse_softmax_cross_entropy_with_logits(i64({0}, {1}), big.astype(DType::float32)).item<double>() ==
        Approx(0.0).margin(1e-6));
  // sigmoid cross-entropy: stable for large |x|
  Tensor x = f64({-100, -1, 0, 2, 100}, {5});
  Tensor z = f64({1, 0, 1, 0.3, 0}, {5});
  std::vector<double> e;
  for (int i = 0; i < 5; ++i) {
    const double xv = x.to_vector<double>()[i], zv = z.to_vector<double>()[i];
    e.push_back(std::max(xv, 0.0) - xv * zv + std::log1p(std::exp(-std::fabs(xv))));
  }
  CHECK_TENSOR(nn::sigmoid_cross_entropy_with_logits(z, x), {5}, e, 1e-12);
  CHECK(e[0] == Approx(100.0));
}

TEST_CASE("the fused cross-entropy gradient is softmax minus one-hot", "[nn]") {
  Tensor logits = rnd({3, 4}, 4);
  Tensor labels = i64({1, 0, 3}, {3});
  GradientTape tape;
  tape.watch(logits);
  Tensor loss = sum(nn::sparse_softmax_cross_entropy_with_logits(labels, logits));
  Tensor g = tape.gradient(loss, {logits})[0];
  CHECK(allclose(g, nn::softmax(logits) - one_hot(labels, 4, DType::float64), 1e-12));
}

TEST_CASE("softmax, cross-entropy and normalization gradcheck", "[nn][gradcheck]") {
  for (std::int64_t axis : {-1, 0, 1}) {
    INFO("axis " << axis);
    CHECK_GRADCHECK(gradcheck([&](const auto& in) { return nn::softmax(in[0], axis); }, {rnd({3, 4, 2}, 5)}));
    CHECK_GRADCHECK(gradcheck([&](const auto& in) { return nn::log_softmax(in[0], axis); }, {rnd({3, 4, 2}, 6)}));
    CHECK_GRADCHECK(gradcheck([&](const auto& in) { return nn::softmax_cross_entropy_with_logits(in[0], in[1], axis); },
                              {unif({3, 4, 2}, 7), rnd({3, 4, 2}, 8)}));
  }
  for (const auto& s : {Shape{5}, Shape{3, 4}, Shape{2, 2, 3}}) {
    INFO(s);
    Tensor labels = Tensor::random_uniform(Shape(s.begin(), s.end() - 1), 0, static_cast<double>(s.back()), DType::int64);
    CHECK_GRADCHECK(gradcheck([&](const auto& in) { return nn::sparse_softmax_cross_entropy_with_logits(labels, in[0]); },
                              {rnd(s, 9)}));
  }
  CHECK_GRADCHECK(gradcheck([](const auto& in) { return nn::sigmoid_cross_entropy_with_logits(in[0], in[1]); },
                            {unif({3, 4}, 10), rnd({3, 4}, 11) * 3.0}));
  // batch norm in training (batch moments) and inference (given moments) form
  CHECK_GRADCHECK(gradcheck(
      [](const auto& in) {
        auto [m, v] = nn::moments(in[0], {0, 1, 2});
        return nn::batch_norm(in[0], m, v, in[1], in[2], 1e-3);
      },
      {rnd({2, 3, 3, 4}, 12), rnd({4}, 13), rnd({4}, 14)}));
  CHECK_GRADCHECK(gradcheck([](const auto& in) { return nn::batch_norm(in[0], in[1], unif({3}, 15), in[2], in[3]); },
                            {rnd({5, 3}, 16), rnd({3}, 17), rnd({3}, 18), rnd({3}, 19)}));
  CHECK_GRADCHECK(gradcheck([](const auto& in) { return nn::layer_norm(in[0], in[1], in[2], {-1}); },
                            {rnd({3, 5}, 20), rnd({5}, 21), rnd({5}, 22)}));
  CHECK_GRADCHECK(gradcheck([](const auto& in) { return nn::layer_norm(in[0], in[1], in[2], {-2, -1}); },
                            {rnd({2, 3, 4}, 23), rnd({3, 4}, 24), rnd({4}, 25)}));
  CHECK_GRADCHECK(gradcheck([](const auto& in) { return nn::embedding_lookup(in[0], i64({1, 3, 1, 0, 1, 2}, {2, 3})); },
                            {rnd({4, 3}, 26)}));
  CHECK_GRADCHECK(gradcheck([](const auto& in) { return nn::dropout(in[0], 0.4, 7); }, {rnd({4, 5}, 27)}));
}

TEST_CASE("softmax and cross-entropy are differentiable twice", "[nn][gradcheck]") {
  CHECK_GRADCHECK(gradgradcheck([](const auto& in) { return nn::softmax(in[0]); }, {rnd({2, 3}, 28)}));
  CHECK_GRADCHECK(gradgradcheck([](const auto& in) { return nn::log_softmax(in[0], 0); }, {rnd({3, 2}, 29)}));
  CHECK_GRADCHECK(gradgradcheck(
      [](const auto& in) { return nn::sparse_softmax_cross_entropy_with_logits(i64({2, 0}, {2}), in[0]); },
      {rnd({2, 3}, 30)}));
  CHECK_GRADCHECK(gradgradcheck([](const auto& in) { return nn::softmax_cross_entropy_with_logits(in[0], in[1]); },
                                {unif({2, 3}, 31), rnd({2, 3}, 32)}));
  CHECK_GRADCHECK(gradgradcheck([](const auto& in) { return nn::layer_norm(in[0], Tensor(), Tensor()); },
                                {rnd({2, 4}, 33)}));
}

TEST_CASE("dropout: inverted, seeded, identity when not training", "[nn]") {
  Tensor x = Tensor::ones({100, 100});
  Tensor a = nn::dropout(x, 0.3, 42);
  Tensor b = nn::dropout(x, 0.3, 42);
  CHECK(array_equal(a, b));
  CHECK_FALSE(array_equal(a, nn::dropout(x, 0.3, 43)));
  const auto v = a.to_vector<double>();
  int zeros = 0;
  for (double e : v) {
    if (e == 0) ++zeros;
    else CHECK(e == Approx(1 / 0.7));
  }
  CHECK(std::fabs(zeros / 10000.0 - 0.3) < 0.03);
  CHECK(nn::dropout(x, 0.3, 42, /*training=*/false).is_same(x));
  CHECK(nn::dropout(x, 0.0).is_same(x));
  set_seed(5);
  Tensor c = nn::dropout(x, 0.5);
  set_seed(5);
  CHECK(array_equal(c, nn::dropout(x, 0.5)));
  CHECK_THROWS_AS(nn::dropout(x, -0.1), ValueError);
  CHECK_THROWS_WITH(nn::dropout(x, 1.0), Catch::Contains("dropout") && Catch::Contains("rate"));
}

TEST_CASE("moments, batch_norm and layer_norm values", "[nn]") {
  Tensor x = f64({1, 2, 3, 4, 5, 6}, {3, 2});
  auto [m, v] = nn::moments(x, {0});
  CHECK_TENSOR(m, {2}, {3, 4});
  CHECK_TENSOR(v, {2}, {8 / 3.0, 8 / 3.0});
  Tensor y = nn::batch_norm(x, m, v, f64({0.5, 0}, {2}), f64({2, 1}, {2}), 0.0);
  const double s = std::sqrt(8 / 3.0);
  CHECK_TENSOR(y, {3, 2}, {2 * (-2 / s) + 0.5, -2 / s, 0.5, 0, 2 * (2 / s) + 0.5, 2 / s});
  Tensor ln = nn::layer_norm(f64({1, 3, 2, 2}, {2, 2}), Tensor(), Tensor(), {-1}, 1e-12);
  CHECK_TENSOR(ln, {2, 2}, {-1, 1, 0, 0});  // a constant row normalizes to 0 thanks to epsilon
}

TEST_CASE("embedding lookup gathers rows and adds repeated gradients", "[nn]") {
  Tensor table = f64({0, 1, 10, 11, 20, 21}, {3, 2});
  CHECK_TENSOR(nn::embedding_lookup(table, i64({2, 0, 2}, {3})), {3, 2}, {20, 21, 0, 1, 20, 21});
  GradientTape tape;
  tape.watch(table);
  Tensor y = sum(nn::embedding_lookup(table, i64({2, 0, 2, 2}, {2, 2})));
  CHECK_TENSOR(tape.gradient(y, {table})[0], {3, 2}, {1, 1, 0, 0, 3, 3});
  CHECK_THROWS_WITH(nn::embedding_lookup(table, i64({3}, {1})),
                    Catch::Contains("id 3") && Catch::Contains("3 rows"));
  CHECK_THROWS_AS(nn::embedding_lookup(table, i64({-1}, {1})), ValueError);
  CHECK_THROWS_AS(nn::embedding_lookup(table, f64({0}, {1})), DTypeError);
}

TEST_CASE("cross-entropy and softmax errors", "[nn][errors]") {
  Tensor logits = Tensor::ones({2, 3});
  CHECK_THROWS_WITH(nn::sparse_softmax_cross_entropy_with_logits(i64({0, 3}, {2}), logits),
                    Catch::Contains("label 3") && Catch::Contains("3 classes"));
  CHECK_THROWS_AS(nn::sparse_softmax_cross_entropy_with_logits(i64({0, 1, 2}, {3}), logits), ShapeError);
  CHECK_THROWS_AS(nn::sparse_softmax_cross_entropy_with_logits(Tensor::zeros({2}), logits), DTypeError);
  CHECK_THROWS_AS(nn::softmax_cross_entropy_with_logits(Tensor::ones({2, 4}), logits), ShapeError);
  CHECK_THROWS_AS(nn::softmax(logits, 2), ValueError);
  CHECK_THROWS_AS(nn::softmax(Tensor::ones({2}, DType::int64)), DTypeError);
  CHECK_THROWS_AS(nn::softmax(Tensor::scalar(1.0)), ShapeError);
}

TEST_CASE("bias_add and bias_relu: values, gradients and errors", "[nn][gradcheck]") {
  // values against a hand computation
  const Tensor x = f64({1, -2, 3, -4, 5, -6}, {2, 3});
  const Tensor b = f64({0.5, 1, -4}, {3});
  CHECK(near(nn::bias_add(x, b), {1.5, -1, -1, -3.5, 6, -10}));
  CHECK(near(nn::bias_relu(x, b), {1.5, 0, 0, 0, 6, 0}));
  // the same as add + relu on every rank, in float32 too
  for (const Shape& s : {Shape{7}, Shape{3, 4}, Shape{2, 3, 5}, Shape{2, 2, 3, 6}}) {
    INFO(s.to_string());
    const Tensor xs = rnd(s, 40), bs = rnd({s.back()}, 41);
    CHECK(allclose(nn::bias_add(xs, bs), add(xs, bs), 0, 0));
    CHECK(allclose(nn::bias_relu(xs, bs), relu(add(xs, bs)), 0, 0));
    const Tensor x32 = xs.astype(DType::float32), b32 = bs.astype(DType::float32);
    CHECK(array_equal(nn::bias_relu(x32, b32), relu(add(x32, b32))));
  }
  // gradients: inputs kept away from relu's kink at 0
  auto away = [](const Shape& s, std::uint64_t seed) {
    const Tensor r = rnd(s, seed);
    return add(r, mul(sign(r), 0.2));
  };
  for (const Shape& s : {Shape{5}, Shape{3, 4}, Shape{2, 3, 5}, Shape{2, 2, 3, 4}}) {
    INFO(s.to_string());
    const Tensor bias = Tensor::zeros({s.back()}, DType::float64);
    CHECK_GRADCHECK(gradcheck([](const auto& in) { return nn::bias_add(in[0], in[1]); }, {rnd(s, 42), rnd({s.back()}, 43)}));
    // bias 0 keeps x + b away from 0 during the check (x itself is away from it)
    CHECK_GRADCHECK(gradcheck([](const auto& in) { return nn::bias_relu(in[0], in[1]); }, {away(s, 44), bias}));
  }
  // many rows: the blocked bias gradient equals the column sums of the masked gradient
  const Tensor big = rnd({300, 7}, 45), bb = rnd({7}, 46);
  Variable vx(big, "x"), vb(bb, "b");
  GradientTape tape;
  const Tensor y = nn::bias_relu(vx, vb);
  const auto grads = tape.gradient(sum(mul(y, 3.0)), {vx, vb});
  const Tensor mask = cast(greater(add(big, bb), 0.0), DType::float64);
  CHECK(allclose(grads[0], mul(mask, 3.0), 0, 0));
  CHECK(allclose(grads[1], sum(mul(mask, 3.0), {0}), 1e-12, 1e-12));
  // differentiable twice (the backward is rebuilt from public ops under an outer tape)
  CHECK_GRADCHECK(gradgradcheck([](const auto& in) { return square(nn::bias_relu(in[0], in[1])); },
                                {away({3, 4}, 47), Tensor::zeros({4}, DType::float64)}));
  // errors name the op and both shapes
  CHECK_THROWS_WITH(nn::bias_add(x, f64({1, 2}, {2})), Catch::Contains("bias_add") && Catch::Contains("[2, 3]") &&
                                                           Catch::Contains("[2]"));
  CHECK_THROWS_AS(nn::bias_relu(x, f64({1, 2, 3}, {1, 3})), ShapeError);
  CHECK_THROWS_AS(nn::bias_add(x, Tensor::zeros({3})), DTypeError);
  CHECK_THROWS_AS(nn::bias_add(Tensor::zeros({2, 3}, DType::int64), Tensor::zeros({3}, DType::int64)), DTypeError);
  CHECK_THROWS_AS(nn::bias_add(Tensor::zeros({}), Tensor::zeros({1})), ShapeError);
}

TEST_CASE("bias_relu's backward overwrites its upstream gradient only when nothing else holds it",
          "[nn][autograd]") {
  // The relu-masked gradient goes into the upstream gradient's memory when the tape holds the
  // only reference. Gradients asked for, shared between two inputs, or given by the caller stay.
  const Tensor x = rnd({40, 6}, 50), b1 = rnd({6}, 51), b2 = rnd({6}, 52), w = rnd({40, 6}, 53);
  const Tensor m1 = cast(greater(add(x, b1), 0.0), DType::float64);
  const Tensor m2 = cast(greater(add(x, b2), 0.0), DType::float64);
  SECTION("the output's own gradient is requested too") {
    GradientTape tape;
    tape.watch(x);
    const Tensor y = nn::bias_relu(x, b1);
    const auto g = tape.gradient(sum(mul(y, w)), {y, x});
    CHECK(allclose(g[0], w, 0, 0));  // unmasked
    CHECK(allclose(g[1], mul(w, m1), 0, 0));
  }
  SECTION("two bias_relu outputs share one upstream gradient tensor") {
    GradientTape tape;
    tape.watch(x);
    const Tensor z = add(nn::bias_relu(x, b1), nn::bias_relu(x, b2));
    const auto g = tape.gradient(sum(mul(z, w)), {x});
    CHECK(allclose(g[0], add(mul(w, m1), mul(w, m2)), 0, 0));
  }
  SECTION("the caller's output gradient") {
    const Tensor gy = w.astype(DType::float64);
    const auto before = gy.to_vector<double>();
    GradientTape tape;
    tape.watch(x);
    const Tensor y = nn::bias_relu(x, b1);
    CHECK(allclose(tape.gradient(y, {x}, gy)[0], mul(w, m1), 0, 0));
    CHECK(gy.to_vector<double>() == before);
  }
  SECTION("a residual connection: x + bias_relu(x, b)") {
    GradientTape tape;
    tape.watch(x);
    const auto g = tape.gradient(sum(mul(add(x, nn::bias_relu(x, b1)), w)), {x});
    CHECK(allclose(g[0], add(w, mul(w, m1)), 0, 0));
  }
  SECTION("a view of the output is requested") {
    GradientTape tape;
    tape.watch(x);
    const Tensor y = nn::bias_relu(x, b1);
    const Tensor flat = reshape(y, {240});
    const auto g = tape.gradient(sum(mul(flat, reshape(w, {240}))), {flat, x});
    CHECK(allclose(g[0], reshape(w, {240}), 0, 0));
    CHECK(allclose(g[1], mul(w, m1), 0, 0));
  }
  SECTION("the gradient nothing else holds is reused, under a new identity") {
    // an op whose backward makes a fresh gradient and remembers where its elements are
    const void* fresh = nullptr;
    std::uint64_t fresh_id = 0;
    auto pass = [&](const Tensor& in) {
      return testing::pass_op(in, [&](const autograd::BackwardContext& c) {
        Tensor g = mul(c.grad(), 1.0);
        fresh = g.raw_data();
        fresh_id = g.id();
        return std::vector<Tensor>{g};
      });
    };
    GradientTape tape;
    tape.watch(x);
    const Tensor dx = tape.gradient(pass(nn::bias_relu(x, b1)), {x}, w)[0];
    CHECK(allclose(dx, mul(w, m1), 0, 0));
    CHECK(dx.raw_data() == fresh);  // written into the gradient pass's backward made
    CHECK(dx.id() != fresh_id);
  }
  SECTION("a persistent tape gives the same gradients twice") {
    GradientTape tape(/*persistent=*/true);
    tape.watch(x);
    const Tensor loss = sum(mul(nn::bias_relu(mul(x, 2.0), b1), w));
    const Tensor g1 = tape.gradient(loss, {x})[0], g2 = tape.gradient(loss, {x})[0];
    CHECK(allclose(g1, g2, 0, 0));
    CHECK(allclose(g1, mul(mul(w, cast(greater(add(mul(x, 2.0), b1), 0.0), DType::float64)), 2.0), 0, 0));
  }
}
