// Losses and metrics against values computed here from their definitions.
#include <cmath>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

TEST_CASE("regression losses", "[losses]") {
  Tensor t = f64({1, 2, 3, 4}, {2, 2});
  Tensor p = f64({1.5, 1, 3, 6}, {2, 2});
  CHECK_TENSOR(losses::mean_squared_error(t, p), {2}, {(0.25 + 1) / 2, (0 + 4) / 2});
  CHECK_TENSOR(losses::mean_absolute_error(t, p), {2}, {(0.5 + 1) / 2, (0 + 2) / 2});
  // huber, delta 1: |e| = .5 -> .125; 1 -> .5; 0 -> 0; 2 -> 1.5
  CHECK_TENSOR(losses::huber(t, p), {2}, {(0.125 + 0.5) / 2, (0 + 1.5) / 2});
  CHECK_TENSOR(losses::huber(t, p, 2.0), {2}, {(0.125 + 0.5) / 2, (0 + 2.0) / 2});
  Tensor a = f64({1, 0, 0, 1}, {2, 2}), b = f64({1, 1, 0, -2}, {2, 2});
  CHECK_TENSOR(losses::cosine_similarity(a, b), {2}, {-1 / std::sqrt(2.0), 1});
  // the Loss objects reduce; weights scale each sample; mean divides by the number of samples
  losses::MeanSquaredError mse;
  CHECK(mse(t, p).item<double>() == Approx((0.625 + 2) / 2));
  CHECK(mse(t, p, f64({1, 0}, {2})).item<double>() == Approx(0.625 / 2));
  CHECK(losses::MeanSquaredError(losses::Reduction::sum)(t, p).item<double>() == Approx(2.625));
  CHECK(losses::MeanSquaredError(losses::Reduction::none)(t, p).shape() == Shape{2});
  CHECK_THROWS_AS(losses::mean_squared_error(f64({1, 2, 3}, {3}), p), ShapeError);
}

TEST_CASE("cross-entropies from probabilities and from logits agree", "[losses]") {
  Tensor logits = rnd({4, 5}, 1);
  Tensor probs = nn::softmax(logits);
  Tensor labels = i64({0, 4, 2, 1}, {4});
  Tensor onehot = one_hot(labels, 5, DType::float64);
  const Tensor ref = neg(sum(onehot * log(probs), -1));
  CHECK(allclose(losses::sparse_categorical_crossentropy(labels, logits, true), ref, 1e-10));
  CHECK(allclose(losses::sparse_categorical_crossentropy(labels, probs), ref, 1e-6));
  CHECK(allclose(losses::sparse_categorical_crossentropy(reshape(labels, {4, 1}), probs), ref, 1e-6));  // [N, 1] labels
  CHECK(allclose(losses::categorical_crossentropy(onehot, logits, true), ref, 1e-10));
  CHECK(allclose(losses::categorical_crossentropy(onehot, probs), ref, 1e-6));
  // label smoothing 0.1 over 5 classes: targets 0.92 / 0.02
  Tensor smooth = onehot * 0.9 + 0.02;
  CHECK(allclose(losses::categorical_crossentropy(onehot, logits, true, 0.1), neg(sum(smooth * log(probs), -1)), 1e-10));
  // binary: from logits vs probabilities, and the definition
  Tensor z = rnd({3, 2}, 2), y = f64({1, 0, 0, 1, 1, 1}, {3, 2});
  Tensor s = sigmoid(z);
  const Tensor bref = mean(neg(y * log(s) + (1.0 - y) * log(1.0 - s)), -1);
  CHECK(allclose(losses::binary_crossentropy(y, z, true), bref, 1e-10));
  CHECK(allclose(losses::binary_crossentropy(y, s), bref, 1e-6));
  // probabilities are clipped: no infinity for a confident wrong answer
  CHECK(std::isfinite(losses::binary_crossentropy(f64({1}, {1}), f64({0}, {1})).item<double>()));
  CHECK(losses::binary_crossentropy(f64({1}, {1}), f64({0}, {1})).item<double>() == Approx(-std::log(1e-7)).epsilon(1e-3));
  // KL divergence
  Tensor pt = f64({0.5, 0.5}, {1, 2}), pp = f64({0.25, 0.75}, {1, 2});
  CHECK(losses::kl_divergence(pt, pp).item<double>() == Approx(0.5 * std::log(2.0) + 0.5 * std::log(0.5 / 0.75)));
  CHECK_THROWS_WITH(losses::sparse_categorical_crossentropy(i64({7}, {1}), f64({0.5, 0.5}, {1, 2})),
                    Catch::Contains("7"));
  CHECK_THROWS_AS(losses::get("msee"), ValueError);
  CHECK(losses::get("mse")->name() == "mean_squared_error");
}

TEST_CASE("losses are differentiable", "[losses][gradcheck]") {
  Tensor y = unif({3, 4}, 3);
  CHECK_GRADCHECK(gradcheck([&](const auto& in) { return losses::huber(y, in[0], 0.5); }, {rnd({3, 4}, 4)}));
  CHECK_GRADCHECK(gradcheck([&](const auto& in) { return losses::binary_crossentropy(y, in[0], true); }, {rnd({3, 4}, 5)}));
  CHECK_GRADCHECK(gradcheck([&](const auto& in) { return losses::kl_divergence(nn::softmax(y), nn::softmax(in[0])); },
                            {rnd({3, 4}, 6)}));
  CHECK_GRADCHECK(gradcheck([&](const auto& in) { return losses::cosine_similarity(y, in[0]); }, {rnd({3, 4}, 7)}));
}

TEST_CASE("accuracy metrics accumulate over batches", "[metrics]") {
  metrics::SparseCategoricalAccuracy acc;
  acc.update_state(i64({0, 1}, {2}), f64({0.9, 0.1, 0.2, 0.8}, {2, 2}));  // 2 right
  acc.update_state(i64({1, 1}, {2}), f64({0.9, 0.1, 0.6, 0.4}, {2, 2}));  // 0 right
  CHECK(acc.result() == Approx(0.5));
  acc.reset_state();
  CHECK(acc.result() == 0.0);
  acc.update_state(i64({1}, {1}), f64({0.2, 0.8}, {1, 2}), f64({3}, {1}));
  acc.update_state(i64({0}, {1}), f64({0.2, 0.8}, {1, 2}), f64({1}, {1}));
  CHECK(acc.result() == Approx(0.75));  // weighted
  metrics::CategoricalAccuracy cat;
  cat.update_state(f64({0, 1, 1, 0}, {2, 2}), f64({0.3, 0.7, 0.6, 0.4}, {2, 2}));
  CHECK(cat.result() == Approx(1.0));
  metrics::BinaryAccuracy bin;
  bin.update_state(f64({1, 0, 1, 0}, {4, 1}), f64({0.7, 0.2, 0.4, 0.6}, {4, 1}));
  CHECK(bin.result() == Approx(0.5));
  metrics::TopKCategoricalAccuracy top2(2);
  top2.update_state(f64({0, 1, 0, 1, 0, 0}, {2, 3}), f64({0.5, 0.3, 0.2, 0.2, 0.3, 0.5}, {2, 3}));
  CHECK(top2.result() == Approx(0.5));  // row 0: class 1 is second; row 1: class 0 is last
  metrics::SparseTopKCategoricalAccuracy stop1(1);
  stop1.update_state(i64({2, 0}, {2}), f64({0.5, 0.3, 0.2, 0.2, 0.3, 0.5}, {2, 3}));
  CHECK(stop1.result() == Approx(0.0));
  metrics::Accuracy exact;
  exact.update_state(i64({1, 2, 3}, {3}), i64({1, 0, 3}, {3}));
  CHECK(exact.result() == Approx(2.0 / 3));
  metrics::Mean m;
  m.update_state(f64({1, 2, 3}, {3}));
  CHECK(m.result() == Approx(2.0));
  metrics::MeanSquaredError mse;
  mse.update_state(f64({0, 0}, {1, 2}), f64({1, 3}, {1, 2}));
  CHECK(mse.result() == Approx(5.0));
}

TEST_CASE("precision, recall and AUC", "[metrics]") {
  Tensor t = f64({1, 1, 0, 0, 1, 0}, {6});
  Tensor p = f64({0.9, 0.3, 0.8, 0.1, 0.7, 0.4}, {6});
  metrics::Precision prec;
  prec.update_state(t, p);
  CHECK(prec.result() == Approx(2.0 / 3));  // predicted 1: 0.9, 0.8, 0.7 -> 2 right
  metrics::Recall rec;
  rec.update_state(t, p);
  CHECK(rec.result() == Approx(2.0 / 3));  // positives 0.9, 0.3, 0.7 -> 2 found
  // ROC AUC: the fraction of (positive, negative) pairs ranked right: 0.9 > all three; 0.7 > 0.4 and
  // 0.1; 0.3 > 0.1 -> 6 of 9
  metrics::AUC auc;
  auc.update_state(t, p);
  CHECK(auc.result() == Approx(6.0 / 9).epsilon(0.01));
  metrics::AUC perfect;
  perfect.update_state(f64({0, 0, 1, 1}, {4}), f64({0.1, 0.2, 0.8, 0.9}, {4}));
  CHECK(perfect.result() == Approx(1.0).epsilon(1e-3));
  CHECK(metrics::get("auc")->name() == "auc");
  CHECK_THROWS_AS(metrics::get("acuracy"), ValueError);
}

TEST_CASE("Keras 3's other losses, on values derived from their definitions", "[losses]") {
  // log_cosh: per sample mean(log(cosh(e))): [log(cosh(1)) / 2, 0]; Keras's example reduces to 0.108
  Tensor t = f64({0, 1, 0, 0}, {2, 2}), p = f64({1, 1, 0, 0}, {2, 2});
  CHECK_TENSOR(losses::log_cosh(t, p), {2}, {std::log(std::cosh(1.0)) / 2, 0});
  CHECK(losses::LogCosh()(t, p).item<double>() == Approx(std::log(std::cosh(1.0)) / 4));  // Keras: 0.108
  CHECK(losses::LogCosh()(t, p).item<double>() == Approx(0.108).epsilon(5e-3));
  CHECK(std::isfinite(losses::log_cosh(f64({0}, {1}), f64({1000}, {1})).item<double>()));  // |x| - log 2, no overflow
  // poisson: mean(p - t log(p + 1e-7))
  Tensor pt = f64({1, 2}, {1, 2}), pp = f64({0.5, 3}, {1, 2});
  CHECK_TENSOR(losses::poisson(pt, pp), {1}, {((0.5 - std::log(0.5 + 1e-7)) + (3 - 2 * std::log(3 + 1e-7))) / 2});
  // hinge: labels {0, 1} become {-1, 1}; mean(max(1 - t p, 0))
  Tensor ht = f64({0, 1, 1, 0}, {2, 2}), hp = f64({0.3, 0.4, 2.0, -0.5}, {2, 2});
  // t' = [-1, 1; 1, -1]: 1 - t'p = [1.3, 0.6; -1, 0.5] -> max(., 0) = [1.3, 0.6; 0, 0.5]
  CHECK_TENSOR(losses::hinge(ht, hp), {2}, {(1.3 + 0.6) / 2, 0.25});
  CHECK_TENSOR(losses::squared_hinge(ht, hp), {2}, {(1.69 + 0.36) / 2, 0.125});
  // labels already in {-1, 1} are kept
  CHECK_TENSOR(losses::hinge(f64({-1, 1}, {1, 2}), f64({0.5, 0.5}, {1, 2})), {1}, {(1.5 + 0.5) / 2});
  // categorical hinge: max(max((1 - t) p) - sum(t p) + 1, 0)
  Tensor ct = f64({0, 1, 0, 1, 0, 0}, {2, 3}), cp = f64({0.2, 0.7, 0.1, 0.9, 0.05, 0.05}, {2, 3});
  CHECK_TENSOR(losses::categorical_hinge(ct, cp), {2}, {0.2 - 0.7 + 1, 0.05 - 0.9 + 1});
  // MAPE and MSLE
  CHECK_TENSOR(losses::mean_absolute_percentage_error(f64({2, 4}, {1, 2}), f64({1, 5}, {1, 2})), {1},
               {100 * (0.5 + 0.25) / 2});
  CHECK_TENSOR(losses::mean_squared_logarithmic_error(f64({1, 0}, {1, 2}), f64({3, -1}, {1, 2})), {1},
               {(std::pow(std::log(4.0) - std::log(2.0), 2) + std::pow(std::log(1 + 1e-7) - std::log(1 + 1e-7), 2)) / 2});
  // focal cross-entropies: Keras's documented examples
  Tensor ft = f64({0, 1, 0, 0}, {2, 2}), fp = f64({0.6, 0.4, 0.4, 0.6}, {2, 2});
  // sample 0: both elements bce -log 0.4, p_t 0.4, factor 0.6^2; sample 1: -log 0.6 * 0.4^2 and -log 0.4 * 0.6^2
  const double s0 = -std::log(0.4) * 0.36, s1 = (-std::log(0.6) * 0.16 + -std::log(0.4) * 0.36) / 2;
  CHECK_TENSOR(losses::binary_focal_crossentropy(ft, fp), {2}, {s0, s1});
  CHECK(s0 == Approx(0.330).epsilon(2e-3));
  CHECK(s1 == Approx(0.206).epsilon(2e-3));
  // class balancing: alpha for label 1, 1 - alpha for label 0
  CHECK_TENSOR(losses::binary_focal_crossentropy(ft, fp, true), {2},
               {(0.75 * -std::log(0.4) * 0.36 + 0.25 * -std::log(0.4) * 0.36) / 2, 0.75 * s1});
  // from logits: the sigmoid first
  CHECK(allclose(losses::binary_focal_crossentropy(ft, log(div(fp, sub(1.0, fp))), false, 0.25, 2.0, true),
                 losses::binary_focal_crossentropy(ft, fp), 1e-9));
  Tensor cft = f64({0, 1, 0, 0, 0, 1}, {2, 3}), cfp = f64({0.05, 0.9, 0.05, 0.1, 0.85, 0.05}, {2, 3});
  CHECK_TENSOR(losses::categorical_focal_crossentropy(cft, cfp), {2},
               {0.25 * 0.01 * -std::log(0.9), 0.25 * 0.95 * 0.95 * -std::log(0.05)});
  // dice, Keras's example: per sample over axes 1..3 [0.5, 0.7575...], and one number over all
  Tensor dt = f64({1, 1, 0, 0, 1, 1, 0, 0}, {2, 2, 2, 1}), dp = f64({0, 1, 0, 1, 0.4, 0, 0, 0.9}, {2, 2, 2, 1});
  CHECK_TENSOR(losses::dice(dt, dp, {1, 2, 3}), {2}, {1 - 2.0 / (2 + 2 + 1e-7), 1 - 0.8 / (2 + 1.3 + 1e-7)});
  CHECK(losses::dice(dt, dp).item<double>() == Approx(1 - 2 * 1.4 / (4 + 3.3 + 1e-7)));
  CHECK(losses::dice(dt, dp).item<double>() == Approx(0.6164384).epsilon(1e-6));
  // tversky: TP = sum(t p), FP = sum((1 - p) t), FN = sum(p (1 - t))
  const double tp = 1.4, fpv = (1 + 0) + (0.6 + 1), fn = 1 + 0.9;
  CHECK(losses::tversky(dt, dp).item<double>() == Approx(1 - tp / (tp + 0.5 * fpv + 0.5 * fn + 1e-7)));
  CHECK(losses::tversky(dt, dp, 0.7, 0.3).item<double>() == Approx(1 - tp / (tp + 0.7 * fpv + 0.3 * fn + 1e-7)));
  for (const char* n : {"poisson", "log_cosh", "logcosh", "hinge", "squared_hinge", "categorical_hinge", "mape", "msle",
                        "binary_focal_crossentropy", "categorical_focal_crossentropy", "dice", "tversky"})
    CHECK_NOTHROW(losses::get(n));
  CHECK(losses::get("logcosh")->class_name() == "LogCosh");
}

TEST_CASE("reductions, masks and the cross-entropies' options", "[losses]") {
  // Keras's SparseCategoricalCrossentropy example: 1.177, weighted 0.814
  Tensor y = i64({1, 2}, {2}), p = f64({0.05, 0.95, 0, 0.1, 0.8, 0.1}, {2, 3});
  losses::SparseCategoricalCrossentropy scce;
  const double l0 = -std::log(0.95), l1 = -std::log(0.1);
  CHECK(scce(y, p).item<double>() == Approx((l0 + l1) / 2));
  CHECK(scce(y, p, f64({0.3, 0.7}, {2})).item<double>() == Approx((0.3 * l0 + 0.7 * l1) / 2));
  CHECK(scce(y, p, f64({0.3, 0.7}, {2})).item<double>() == Approx(0.814).epsilon(1e-3));
  // mean_with_sample_weight divides by the weights' sum ("mean" is sum_over_batch_size)
  losses::SparseCategoricalCrossentropy by_weight(false, losses::reduction_from_name("mean_with_sample_weight"));
  CHECK(by_weight(y, p, f64({0.3, 0.7}, {2})).item<double>() == Approx(0.3 * l0 + 0.7 * l1));
  CHECK(by_weight(y, p).item<double>() == Approx((l0 + l1) / 2));
  CHECK(by_weight(y, p, f64({0, 0}, {2})).item<double>() == 0.0);  // divide_no_nan
  CHECK(losses::reduction_from_name("mean") == losses::Reduction::sum_over_batch_size);
  // ignore_class: those samples lose 0 and the mean is over the others
  Tensor y3 = i64({1, -1, 2}, {3}), p3 = f64({0.05, 0.95, 0, 0.3, 0.3, 0.4, 0.1, 0.8, 0.1}, {3, 3});
  CHECK_TENSOR(losses::sparse_categorical_crossentropy(y3, p3, false, -1), {3}, {l0, 0, l1});
  losses::SparseCategoricalCrossentropy ignoring(false, losses::Reduction::sum_over_batch_size, -1);
  CHECK(ignoring(y3, p3).item<double>() == Approx((l0 + l1) / (2 + 1e-7)).epsilon(1e-6));
  CHECK(losses::SparseCategoricalCrossentropy(false, losses::Reduction::sum, -1)(y3, p3).item<double>() ==
        Approx(l0 + l1));
  CHECK(ignoring.get_config().at("ignore_class").as_int() == -1);
  // CategoricalCrossentropy on another class axis
  Tensor oh = f64({1, 0, 0, 1}, {2, 2}), probs = f64({0.8, 0.3, 0.2, 0.7}, {2, 2});  // classes along axis 0
  losses::CategoricalCrossentropy axis0(false, 0.0, losses::Reduction::none, 0);
  CHECK_TENSOR(axis0(oh, probs), {2}, {-std::log(0.8), -std::log(0.7)});
  CHECK(axis0.get_config().at("axis").as_int() == 0);
}

TEST_CASE("Keras 3's other losses are differentiable", "[losses][gradcheck]") {
  const Tensor y = unif({3, 4}, 8), yb = f64({0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0}, {3, 4});
  const Tensor onehot = one_hot(i64({0, 3, 1}, {3}), 4, DType::float64);
  auto pos = [](const Tensor& x) { return add(sigmoid(x), 0.1); };  // positive predictions
  CHECK_GRADCHECK(gradcheck([&](const auto& in) { return losses::poisson(y, pos(in[0])); }, {rnd({3, 4}, 9)}));
  CHECK_GRADCHECK(gradcheck([&](const auto& in) { return losses::log_cosh(y, in[0]); }, {rnd({3, 4}, 10)}));
  CHECK_GRADCHECK(gradcheck([&](const auto& in) { return losses::hinge(yb, in[0]); }, {rnd({3, 4}, 11)}));
  CHECK_GRADCHECK(gradcheck([&](const auto& in) { return losses::squared_hinge(yb, in[0]); }, {rnd({3, 4}, 12)}));
  CHECK_GRADCHECK(gradcheck([&](const auto& in) { return losses::categorical_hinge(onehot, in[0]); }, {rnd({3, 4}, 13)}));
  CHECK_GRADCHECK(gradcheck([&](const auto& in) { return losses::mean_absolute_percentage_error(add(y, 1.0), in[0]); },
                            {rnd({3, 4}, 14)}));
  CHECK_GRADCHECK(gradcheck([&](const auto& in) { return losses::mean_squared_logarithmic_error(y, pos(in[0])); },
                            {rnd({3, 4}, 15)}));
  CHECK_GRADCHECK(gradcheck(
      [&](const auto& in) { return losses::binary_focal_crossentropy(yb, in[0], true, 0.25, 2.0, true); }, {rnd({3, 4}, 16)}));
  CHECK_GRADCHECK(gradcheck(
      [&](const auto& in) { return losses::categorical_focal_crossentropy(onehot, in[0], 0.25, 2.0, true); },
      {rnd({3, 4}, 17)}));
  CHECK_GRADCHECK(gradcheck([&](const auto& in) { return losses::dice(yb, sigmoid(in[0]), {1}); }, {rnd({3, 4}, 18)}));
  CHECK_GRADCHECK(gradcheck([&](const auto& in) { return losses::tversky(yb, sigmoid(in[0]), 0.7, 0.3); }, {rnd({3, 4}, 19)}));
  // and the mask of ignore_class, with weights, under the Loss object
  losses::SparseCategoricalCrossentropy ignoring(true, losses::Reduction::sum_over_batch_size, 2);
  const Tensor labels = i64({0, 2, 1}, {3});
  CHECK_GRADCHECK(gradcheck([&](const auto& in) { return ignoring(labels, in[0], f64({1, 2, 3}, {3})); }, {rnd({3, 4}, 20)}));
}

TEST_CASE("metrics report their state and merge the states of metrics updated apart", "[metrics]") {
  // two shards of the data, each into its own metric; merged, they equal one metric on all of it
  const Tensor t = f64({1, 1, 0, 0, 1, 0, 1, 0}, {8}), p = f64({0.9, 0.3, 0.8, 0.1, 0.7, 0.4, 0.6, 0.2}, {8});
  const Tensor w = f64({1, 2, 1, 1, 0.5, 1, 2, 1}, {8});
  auto half = [](const Tensor& x, int k) { return slice(x, {k * 4}, {k * 4 + 4}); };
  auto check = [&](auto make) {
    auto all = make(), a = make(), b = make();
    all->update_state(t, p, w);
    a->update_state(half(t, 0), half(p, 0), half(w, 0));
    b->update_state(half(t, 1), half(p, 1), half(w, 1));
    INFO(all->name());
    CHECK(a->result() != Approx(all->result()));  // a shard alone differs (the data is not uniform)
    a->merge_state({b.get()});
    CHECK(a->result() == Approx(all->result()));
    CHECK(a->state() == all->state());
    // a state set into a fresh metric gives its result
    auto fresh = make();
    fresh->set_state(all->state());
    CHECK(fresh->result() == Approx(all->result()));
  };
  check([] { return std::make_shared<metrics::BinaryAccuracy>(); });
  check([] { return std::make_shared<metrics::Precision>(); });
  check([] { return std::make_shared<metrics::Recall>(); });
  check([] { return std::make_shared<metrics::AUC>(); });
  check([] { return std::make_shared<metrics::AUC>("pr", 50, "PR"); });
  metrics::Mean m;
  m.update_state(f64({1, 2, 3}, {3}));
  CHECK(m.state() == std::vector<double>{6, 3});
  // only metrics that count alike merge
  metrics::Precision p5, p7({0.7});
  CHECK_THROWS_WITH(p5.merge_state({&p7}), Catch::Contains("another class or configuration"));
  metrics::Recall r;
  CHECK_THROWS_AS(p5.merge_state({&r}), ValueError);
  metrics::AUC a200, a100("auc", 100);
  CHECK_THROWS_AS(a200.merge_state({&a100}), ValueError);
  CHECK_THROWS_WITH(m.set_state({1, 2, 3}), Catch::Contains("a state of 3 values, expected 2"));
  CHECK_THROWS_AS(m.merge_state({nullptr}), ValueError);
}
