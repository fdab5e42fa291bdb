// The losses as metrics, RootMeanSquaredError and Sum against the examples of Keras's metric
// documentation (unweighted and with sample weights), their names and configs.
#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {
/// result() after one update, relative tolerance for Keras's float32 numbers.
void check_metric(metrics::Metric& m, const Tensor& t, const Tensor& p, const Tensor& w, double want) {
  m.reset_state();
  m.update_state(t, p, w);
  INFO(m.name() << ": " << m.result() << " vs " << want);
  CHECK(std::abs(m.result() - want) <= 2e-6 * std::max(1.0, std::abs(want)));
}
}  // namespace

TEST_CASE("loss metrics compute Keras's documented numbers", "[metrics]") {
  const Tensor t = f64({0, 1, 0, 0}, {2, 2}), p = f64({1, 1, 0, 0}, {2, 2});
  const Tensor q = f64({0.6, 0.4, 0.4, 0.6}, {2, 2});
  const Tensor none, w10 = f64({1, 0}, {2});
  struct Case {
    std::shared_ptr<metrics::Metric> m;
    Tensor t, p;
    double plain, weighted;
  };
  const std::vector<Case> cases = {
      {std::make_shared<metrics::MeanAbsoluteError>(), t, p, 0.25, 0.5},
      {std::make_shared<metrics::RootMeanSquaredError>(), t, p, 0.5, 0.70710677},
      {std::make_shared<metrics::MeanAbsolutePercentageError>(), t, p, 250000000.0, 500000000.0},
      {std::make_shared<metrics::MeanSquaredLogarithmicError>(), t, p, 0.12011322, 0.24022643},
      {std::make_shared<metrics::LogCoshError>(), t, p, 0.10844523, 0.21689045},
      {std::make_shared<metrics::Poisson>(), t, p, 0.49999997, 0.99999994},
      {std::make_shared<metrics::KLDivergence>(), t, q, 0.45814306, 0.9162892},
      {std::make_shared<metrics::Hinge>(), t, q, 1.3, 1.1},
      {std::make_shared<metrics::SquaredHinge>(), t, q, 1.86, 1.46},
      {std::make_shared<metrics::CategoricalHinge>(), t, q, 1.4000001, 1.2},
      {std::make_shared<metrics::BinaryCrossentropy>(), t, q, 0.81492424, 0.9162905},
  };
  for (const auto& c : cases) {
    check_metric(*c.m, c.t, c.p, none, c.plain);
    check_metric(*c.m, c.t, c.p, w10, c.weighted);
  }
  // the categorical ones, with weights [0.3, 0.7]
  const Tensor onehot = f64({0, 1, 0, 0, 0, 1}, {2, 3}), probs = f64({0.05, 0.95, 0, 0.1, 0.8, 0.1}, {2, 3});
  const Tensor w37 = f64({0.3, 0.7}, {2});
  metrics::CategoricalCrossentropy cce;
  check_metric(cce, onehot, probs, none, 1.1769392);
  check_metric(cce, onehot, probs, w37, 1.6271976);
  metrics::SparseCategoricalCrossentropy scce;
  check_metric(scce, i64({1, 2}, {2}), probs, none, 1.1769392);
  check_metric(scce, i64({1, 2}, {2}), probs, w37, 1.6271976);
  metrics::CosineSimilarity cos("cosine_similarity", 1);
  check_metric(cos, f64({0, 1, 1, 1}, {2, 2}), f64({1, 0, 1, 1}, {2, 2}), none, 0.49999997);
  check_metric(cos, f64({0, 1, 1, 1}, {2, 2}), f64({1, 0, 1, 1}, {2, 2}), w37, 0.6999999);
  metrics::Sum s;
  s.update_state(f64({1, 3, 5, 7}, {4}));
  CHECK(s.result() == 16);
  s.reset_state();
  s.update_state(f64({1, 3, 5, 7}, {4}), f64({1, 0, 0, 1}, {4}));
  CHECK(s.result() == 8);
}

TEST_CASE("loss metrics by name and from Keras configs", "[metrics][config]") {
  CHECK(metrics::get("mae")->name() == "mae");
  CHECK(dynamic_cast<metrics::MeanAbsoluteError*>(metrics::get("mean_absolute_error").get()));
  CHECK(dynamic_cast<metrics::KLDivergence*>(metrics::get("kld").get()));
  CHECK(dynamic_cast<metrics::LogCoshError*>(metrics::get("logcosh").get()));
  const auto bce = metrics::deserialize(Config::parse(
      R"({"class_name": "BinaryCrossentropy", "config": {"name": "bce", "dtype": "float32", "from_logits": true, "label_smoothing": 0.0}})"));
  CHECK(bce->name() == "bce");
  // from_logits: the sigmoid is applied first
  bce->update_state(f64({1}, {1, 1}), f64({0}, {1, 1}));
  CHECK(std::abs(bce->result() - std::log(2.0)) < 1e-6);
  CHECK(metrics::deserialize(Config::parse(R"({"class_name": "RootMeanSquaredError", "config": {"name": "rmse"}})"))
            ->name() == "rmse");
  CHECK_THROWS_WITH(metrics::deserialize(Config::parse(
                        R"({"class_name": "SparseCategoricalCrossentropy", "config": {"name": "s", "axis": 1}})")),
                    Catch::Contains("axis"));
  CHECK_THROWS_WITH(metrics::get("rmsle"), Catch::Contains("root_mean_squared_error"));
}
