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
