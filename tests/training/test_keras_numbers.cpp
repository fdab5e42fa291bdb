// Keras 3's own test cases, with their expected values derived by hand (the comments give the
// arithmetic): where strata used to differ from Keras.
#include <cmath>
#include <iostream>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

TEST_CASE("fit on a model without an input shape equals fit on the model built first", "[fit][keras]") {
  using namespace strata::layers;
  Generator g(3);
  const Tensor x = Tensor::random_normal({64, 4}, 0, 1, DType::float32, g);
  const Tensor y = sum(x, {1}, true);
  auto run = [&](bool build_first) {
    clear_session();
    set_seed(11);
    auto m = std::make_shared<Sequential>(std::vector<LayerRef>{Dense(8, "relu"), Dense(1)});
    if (build_first) m->build({-1, 4});
    m->compile(optimizers::SGD(0.05), "mse");
    FitOptions o;
    o.verbose = 0;
    o.epochs = 3;
    o.batch_size = 16;
    o.seed = 1;
    const std::vector<double> losses = m->fit(x, y, o).get("loss");
    return std::make_pair(losses, m->optimizer()->iterations());
  };
  const auto [unbuilt, steps_unbuilt] = run(false);
  const auto [built, steps_built] = run(true);
  REQUIRE(unbuilt.size() == 3);
  for (std::size_t e = 0; e < 3; ++e) CHECK(unbuilt[e] == built[e]);
  CHECK(steps_unbuilt == steps_built);
  CHECK(steps_built == 12);
  // train_on_batch on an unbuilt model: the first step updates the weights, as on a built one
  auto first_step = [&](bool build_first) {
    clear_session();
    set_seed(12);
    auto m = std::make_shared<Sequential>(std::vector<LayerRef>{Dense(1)});
    if (build_first) m->build({-1, 4});
    m->compile(optimizers::SGD(0.1), "mse");
    m->train_on_batch(std::vector<Tensor>{x}, std::vector<Tensor>{y});
    CHECK(m->optimizer()->iterations() == 1);
    return m->get_weights()[0];
  };
  CHECK(allclose(first_step(false), first_step(true), 0, 0));
}

TEST_CASE("BinaryAccuracy brings labels and predictions to one rank and scores each element", "[metrics][keras]") {
  const Tensor labels = Tensor::from_vector({1, 0, 1, 0}, {4});
  const Tensor preds = Tensor::from_vector({0.9, 0.2, 0.3, 0.1}, {4, 1});
  metrics::BinaryAccuracy acc;
  acc.update_state(labels, preds);
  CHECK(acc.result() == Approx(0.75));  // 3 of 4 agree; the [4] x [4, 1] broadcast gave 0.5
  metrics::BinaryAccuracy weighted;
  // per-element weights [4, 1]: (1*1 + 2*1 + 3*0 + 4*1) / (1 + 2 + 3 + 4) = 0.7
  weighted.update_state(labels, preds, Tensor::from_vector({1, 2, 3, 4}, {4, 1}));
  CHECK(weighted.result() == Approx(0.7));
  metrics::BinaryAccuracy rowwise;
  // [2, 2] labels with per-sample weights [2]: row 0 scores (1 + 0) / 2, row 1 (1 + 1) / 2;
  // weighted (1 * 0.5 + 3 * 1) / 4 = 0.875
  rowwise.update_state(Tensor::from_vector({1, 1, 0, 0}, {2, 2}), Tensor::from_vector({0.7, 0.2, 0.1, 0.4}, {2, 2}),
                       Tensor::from_vector({1, 3}, {2}));
  CHECK(rowwise.result() == Approx(0.875));
}

TEST_CASE("Mean divides by the summed weights whatever their sign, as divide_no_nan", "[metrics][keras]") {
  metrics::Mean m;
  m.update_state(Tensor::from_vector({1, 3}, {2}), Tensor::from_vector({-1, -1}, {2}));
  CHECK(m.result() == Approx(2.0));  // -4 / -2
  metrics::Mean zero;
  zero.update_state(Tensor::from_vector({5}, {1}), Tensor::from_vector({0}, {1}));
  CHECK(zero.result() == 0.0);
}

TEST_CASE("AUC's summation methods on Keras's test case", "[metrics][keras]") {
  // Keras's AUCTest: three thresholds (-eps, 0.5, 1 + eps), weights 1..4:
  // tp = [7, 4, 0], fp = [3, 0, 0], fn = [0, 3, 7], tn = [0, 3, 3]
  const Tensor y_pred = Tensor::from_vector({0, 0.5, 0.3, 0.9}, {4});
  const Tensor y_true = Tensor::from_vector({0, 0, 1, 1}, {4});
  const Tensor w = Tensor::from_vector({1, 2, 3, 4}, {4});
  auto auc = [&](const char* curve, const char* method) {
    metrics::AUC a("auc", 3, curve, method);
    a.update_state(y_true, y_pred, w);
    return a.result();
  };
  // PR interpolation: slope = [3/6, 4/4], intercept = [4 - 0.5 * 4, 0] = [2, 0], P ratio [10/4, 1]:
  // (0.5 * (3 + 2 ln 2.5)) / 7 + (1 * 4) / 7
  CHECK(auc("PR", "interpolation") == Approx((0.5 * (3 + 2 * std::log(2.5))) / 7 + 4.0 / 7).epsilon(1e-9));
  // precision [0.7, 1, 0], recall [1, 4/7, 0]
  CHECK(auc("PR", "minoring") == Approx(0.7 * 3.0 / 7 + 0 * 4.0 / 7));
  CHECK(auc("PR", "majoring") == Approx(1 * 3.0 / 7 + 1 * 4.0 / 7));
  // ROC: fpr [1, 0, 0], tpr [1, 4/7, 0]: the trapezoid (1 + 4/7) / 2, and the two Riemann sums
  CHECK(auc("ROC", "interpolation") == Approx((1 + 4.0 / 7) / 2));
  CHECK(auc("ROC", "minoring") == Approx(4.0 / 7));
  CHECK(auc("ROC", "majoring") == Approx(1.0));
  CHECK_THROWS_AS(metrics::AUC("auc", 3, "PR", "riemann"), ValueError);
}
