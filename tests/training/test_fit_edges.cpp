// fit, evaluate, predict and compile at their edges, decided as Keras decides them: no examples
// (fit and evaluate refuse, predict returns [0, ...]), absurd batch sizes and step counts, null
// arguments, and a monitored value the logs do not hold.
#include <cstdint>
#include <iostream>
#include <limits>
#include <sstream>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {

std::shared_ptr<Model> regressor() {
  using namespace strata::layers;
  clear_session();
  set_seed(5);
  auto m = std::make_shared<Sequential>(std::vector<LayerRef>{Dense(4, "relu"), Dense(1)}, "reg");
  m->build({-1, 3});
  m->compile("sgd", "mse");
  return m;
}

std::pair<Tensor, Tensor> make_data(std::int64_t n) {
  Generator g(9);
  Tensor x = Tensor::random_normal({n, 3}, 0, 1, DType::float32, g);
  return {x, sum(x, {1}, true)};
}

FitOptions quiet() {
  FitOptions o;
  o.verbose = 0;
  o.shuffle = false;
  return o;
}

}  // namespace

TEST_CASE("fit, evaluate and train_on_batch refuse data with no examples; predict returns no rows", "[fit][errors]") {
  auto m = regressor();
  const auto [x0, y0] = make_data(0);
  CHECK_THROWS_WITH(m->fit(x0, y0, quiet()), Catch::Contains("no examples"));
  CHECK_THROWS_WITH(m->evaluate(x0, y0), Catch::Contains("no examples"));
  CHECK_THROWS_WITH(m->train_on_batch(std::vector<Tensor>{x0}, std::vector<Tensor>{y0}), Catch::Contains("empty batch"));
  CHECK_THROWS_WITH(m->test_on_batch(std::vector<Tensor>{x0}, std::vector<Tensor>{y0}), Catch::Contains("empty batch"));
  const Tensor p = m->predict(x0);
  CHECK(p.shape() == Shape{0, 1});
  CHECK(m->predict(Tensor::zeros({0, 3}), 4).shape() == Shape{0, 1});
  const auto [x, y] = make_data(8);
  FitOptions o = quiet();
  o.validation_x = {x0};
  o.validation_y = {y0};
  CHECK_THROWS_WITH(m->fit(x, y, o), Catch::Contains("validation data has no examples"));
}

TEST_CASE("fit's step counts and batch sizes", "[fit][errors]") {
  const auto [x, y] = make_data(10);
  for (std::int64_t steps : {0, -1}) {
    FitOptions o = quiet();
    o.steps_per_epoch = steps;
    CHECK_THROWS_WITH(regressor()->fit(x, y, o), Catch::Contains("steps_per_epoch must be positive"));
  }
  // a batch larger than the data is the whole data, as it is in Keras (no overflow to 0 batches)
  auto a = regressor(), b = regressor();
  FitOptions all = quiet(), huge = quiet();
  all.batch_size = 10;
  huge.batch_size = std::numeric_limits<std::int64_t>::max();
  a->fit(x, y, all);
  b->fit(x, y, huge);
  CHECK(allclose(a->get_weights()[0], b->get_weights()[0], 0, 0));
  CHECK(data::Dataset::from_tensors({x}).batch(std::numeric_limits<std::int64_t>::max()).cardinality() == 1);
}

TEST_CASE("null callbacks, losses, optimizers and metrics are ValueErrors naming the argument", "[fit][errors]") {
  auto m = regressor();
  const auto [x, y] = make_data(8);
  FitOptions o = quiet();
  o.callbacks = {nullptr};
  CHECK_THROWS_AS(m->fit(x, y, o), ValueError);
  CHECK_THROWS_WITH(m->fit(x, y, o), Catch::Contains("callbacks[0] is null"));
  EvaluateOptions e;
  e.callbacks = {nullptr};
  CHECK_THROWS_WITH(m->evaluate(x, y, e), Catch::Contains("callbacks[0] is null"));
  CHECK_THROWS_WITH(m->compile("sgd", std::shared_ptr<losses::Loss>()), Catch::Contains("loss 0 is null"));
  CHECK_THROWS_WITH(m->compile("sgd", static_cast<const char*>(nullptr)), Catch::Contains("loss 0 is null"));
  CHECK_THROWS_WITH(m->compile(std::shared_ptr<optimizers::Optimizer>(), "mse"), Catch::Contains("optimizer is null"));
  CHECK_THROWS_WITH(m->compile(static_cast<const char*>(nullptr), "mse"), Catch::Contains("optimizer is null"));
  CHECK_THROWS_WITH(m->compile("sgd", "mse", {static_cast<const char*>(nullptr)}), Catch::Contains("a metric is null"));
  CHECK_THROWS_WITH(m->compile("sgd", "mse", {std::shared_ptr<metrics::Metric>()}), Catch::Contains("a metric is null"));
}

TEST_CASE("EarlyStopping on a value the logs do not hold warns once, as Keras does", "[fit][callbacks]") {
  auto m = regressor();
  const auto [x, y] = make_data(8);
  FitOptions o = quiet();
  o.epochs = 3;
  o.callbacks = {std::make_shared<callbacks::EarlyStopping>("val_bogus")};
  std::ostringstream err;
  auto* old = std::cerr.rdbuf(err.rdbuf());
  const auto h = m->fit(x, y, o);
  std::cerr.rdbuf(old);
  const std::string s = err.str();
  CHECK(s.find("EarlyStopping is conditioned on 'val_bogus'") != std::string::npos);
  CHECK(s.find("they hold: loss") != std::string::npos);
  CHECK(s.find("val_bogus", s.find("val_bogus") + 1) == std::string::npos);  // once in three epochs
  CHECK(h.epochs().size() == 3);                                                   // and it never stops training
}
