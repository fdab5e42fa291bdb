// Normalization (adapt, given statistics, invert, saved weights), Rescaling, CategoryEncoding and
// Discretization against the examples of Keras's documentation, their configs and refusals.
#include "support/helpers.hpp"

using namespace strata;
using namespace strata::layers;
using namespace strata::testing;

TEST_CASE("Normalization: adapt, given statistics and invert, as Keras's examples", "[layers][preprocessing]") {
  const Tensor data = f64({0, 7, 4, 2, 9, 6, 0, 7, 4, 2, 9, 6}, {4, 3});
  Normalization per_feature;
  per_feature.adapt(data);
  CHECK(near(per_feature.adapt_mean, {1, 8, 5}, 1e-6));
  CHECK(near(per_feature.adapt_variance, {1, 1, 1}, 1e-6));
  CHECK(near(per_feature(f64({0, 7, 4}, {1, 3})), {-1, -1, -1}, 1e-6));
  Normalization inverse(std::vector<std::int64_t>{-1}, {}, {}, true);
  inverse.adapt(data);
  CHECK(near(inverse(f64({1, 2, 3}, {1, 3})), {2, 10, 8}, 1e-6));
  // axis None: one mean and variance over everything
  Normalization global(std::vector<std::int64_t>{});
  global.adapt(f64({1, 2, 3, 4, 5}, {5}));
  CHECK(near(global(f64({1, 2, 3}, {3})), {-1.4142135, -0.70710677, 0}, 1e-6));
  Normalization given(std::vector<std::int64_t>{-1}, {3}, {2});
  CHECK(near(given(f64({1, 2, 3}, {3, 1})), {-1.4142135, -0.70710677, 0}, 1e-6));
  CHECK(given.weights().empty());
  // a zero variance divides by epsilon, not by zero
  Normalization flat;
  flat.adapt(f64({5, 5, 5}, {3, 1}));
  CHECK(near(flat(f64({5}, {1, 1})), {0}, 0));

  CHECK_THROWS_WITH(Normalization(std::vector<std::int64_t>{-1}, {1}, {}), Catch::Contains("both mean and variance"));
  CHECK_THROWS_WITH(per_feature.adapt(f64({1, 2, 3, 4}, {2, 2})), Catch::Contains("built for inputs"));
  CHECK_THROWS_WITH(given.adapt(data), Catch::Contains("given its mean and variance"));
  const Config c = per_feature.get_config();
  CHECK(c.at("axis") == Config::parse("[-1]"));
  CHECK(c.at("mean").is_null());
  CHECK(given.get_config().at("mean") == Config(3.0));
}

TEST_CASE("an adapted Normalization saves its statistics", "[layers][preprocessing][io]") {
  KerasTensor in = Input({3});
  auto norm = std::make_shared<Normalization>();
  Model m(in, Dense(2)((*norm)(in)));
  norm->adapt(f64({0, 7, 4, 2, 9, 6, 1, 1, 1}, {3, 3}));
  const Tensor x = f64({1, 2, 3, 4, 5, 6}, {2, 3});
  for (const char* name : {"norm.keras", "norm.h5"}) {
    const std::string path = temp_path(name);
    io::save_model(m, path);
    auto back = io::load_model(path);
    CHECK(allclose(back->predict(x), m.predict(x), 1e-6, 1e-6));
  }
}

TEST_CASE("Rescaling, CategoryEncoding and Discretization as Keras's examples", "[layers][preprocessing]") {
  Rescaling r(1.0 / 255);
  const Tensor pixels = i64({0, 51, 255}, {1, 3});
  CHECK_TENSOR(r(pixels), Shape({1, 3}), {0, 0.2, 1});
  CHECK(r(pixels).dtype() == DType::float32);
  CHECK_TENSOR(Rescaling(std::vector<double>{1, 2}, std::vector<double>{0, 1})(f64({1, 1, 2, 2}, {2, 2})),
               Shape({2, 2}), {1, 3, 2, 5});
  CHECK_THROWS_WITH(Rescaling(std::vector<double>{1, 2}, std::vector<double>{0})(f64({1, 2, 3}, {1, 3})),
                    Catch::Contains("one per element of the last axis"));

  CHECK_TENSOR(CategoryEncoding(4, "one_hot")(i64({3, 2, 0, 1}, {4})), Shape({4, 4}),
               {0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0});
  const Tensor ids = i64({0, 1, 0, 0, 1, 2, 3, 1}, {4, 2});
  CHECK_TENSOR(CategoryEncoding(4, "multi_hot")(ids), Shape({4, 4}), {1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1});
  CHECK_TENSOR(CategoryEncoding(4, "count")(ids), Shape({4, 4}), {1, 1, 0, 0, 2, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1});
  CHECK_THROWS_WITH(CategoryEncoding(4)(i64({4}, {1, 1})), Catch::Contains("outside [0, num_tokens = 4)"));
  CHECK_THROWS_WITH(CategoryEncoding(4, "one_hot")(ids), Catch::Contains("one id per example"));
  CHECK_THROWS_WITH(CategoryEncoding(4, "tf_idf"), Catch::Contains("output_mode"));

  Discretization d({0.0, 1.0, 2.0});
  const Tensor buckets = d(f64({-1.5, 1.0, 3.4, 0.5, 0.0, 3.0, 1.3, 0.0}, {2, 4}));
  CHECK(buckets.dtype() == DType::int64);
  CHECK_TENSOR(buckets, Shape({2, 4}), {0, 2, 3, 1, 1, 3, 2, 1});
  CHECK(d.get_config().at("bin_boundaries") == Config::parse("[0.0, 1.0, 2.0]"));
  CHECK_THROWS_WITH(Discretization({2.0, 1.0}), Catch::Contains("sorted"));
}
