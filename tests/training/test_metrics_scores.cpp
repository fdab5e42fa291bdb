// The confusion counts, F-scores, R2 and IoU metrics against Keras's documented examples and
// against the definitions computed independently (NumPy, by the formulas Keras documents).
#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {
Tensor v(const std::vector<double>& x) { return f64(x, {static_cast<std::int64_t>(x.size())}); }
}  // namespace

TEST_CASE("TruePositives, FalsePositives, TrueNegatives, FalseNegatives", "[metrics]") {
  // Keras's examples
  metrics::TruePositives tp;
  tp.update_state(v({0, 1, 1, 1}), v({1, 0, 1, 1}));
  CHECK(tp.result() == 2.0);
  tp.reset_state();
  tp.update_state(v({0, 1, 1, 1}), v({1, 0, 1, 1}), v({0, 0, 1, 0}));
  CHECK(tp.result() == 1.0);
  metrics::FalsePositives fp;
  fp.update_state(v({0, 1, 0, 0}), v({0, 0, 1, 1}));
  CHECK(fp.result() == 2.0);
  metrics::TrueNegatives tn;
  tn.update_state(v({0, 1, 0, 0}), v({1, 1, 0, 0}), v({0, 0, 1, 0}));
  CHECK(tn.result() == 1.0);
  metrics::FalseNegatives fn;
  fn.update_state(v({0, 1, 1, 1}), v({0, 1, 0, 0}));
  CHECK(fn.result() == 2.0);
  CHECK(fn.name() == "false_negatives");

  // several thresholds: a prediction counts as positive above each (strictly)
  const Tensor y = v({0, 1, 0, 1}), p = v({0.1, 0.4, 0.6, 0.9});
  const std::vector<double> th{0.0, 0.5, 1.0};
  metrics::TruePositives tp3(th);
  metrics::FalsePositives fp3(th);
  metrics::TrueNegatives tn3(th);
  metrics::FalseNegatives fn3(th);
  for (metrics::ConfusionCount* m : std::vector<metrics::ConfusionCount*>{&tp3, &fp3, &tn3, &fn3}) m->update_state(y, p);
  CHECK(tp3.results() == std::vector<double>{2, 1, 0});
  CHECK(fp3.results() == std::vector<double>{2, 1, 0});
  CHECK(tn3.results() == std::vector<double>{0, 1, 2});
  CHECK(fn3.results() == std::vector<double>{0, 1, 2});
  CHECK_THROWS_WITH(tp3.result(), Catch::Contains("read results()"));
  // a label is positive when it is not zero; weights broadcast from [N] over [N, 1]
  metrics::TruePositives tpw;
  tpw.update_state(f64({2, 0, 1}, {3, 1}), f64({0.9, 0.9, 0.7}, {3, 1}), v({0.5, 1, 3}));
  CHECK(tpw.result() == 3.5);
  // merged states are one metric's
  metrics::TruePositives a(th), b(th);
  a.update_state(slice_axis(y, 0, 0, 2), slice_axis(p, 0, 0, 2));
  b.update_state(slice_axis(y, 0, 2, 4), slice_axis(p, 0, 2, 4));
  a.merge_state({&b});
  CHECK(a.results() == tp3.results());
  metrics::TruePositives other({0.5});
  CHECK_THROWS_AS(a.merge_state({&other}), ValueError);
  CHECK_THROWS_AS(metrics::TruePositives({1.5}), ValueError);
  CHECK_THROWS_AS(metrics::TruePositives(std::vector<double>{}), ValueError);
  CHECK_THROWS_AS(tp.update_state(v({1, 0}), v({1, 0, 1})), ShapeError);
}

TEST_CASE("F1Score and FBetaScore: Keras's example, every average, beta, no threshold", "[metrics]") {
  const Tensor yt = f64({1, 1, 1, 1, 0, 0, 1, 1, 0}, {3, 3});
  const Tensor yp = f64({0.2, 0.6, 0.7, 0.2, 0.6, 0.6, 0.6, 0.8, 0.0}, {3, 3});
  metrics::F1Score f1("", 0.5);
  f1.update_state(yt, yp);
  const auto r = f1.results();
  REQUIRE(r.size() == 3);
  CHECK(r[0] == Approx(0.49999994).epsilon(1e-7));  // Keras: [0.5, 0.8, 0.6666667]
  CHECK(r[1] == Approx(0.79999992).epsilon(1e-7));
  CHECK(r[2] == Approx(0.66666658).epsilon(1e-7));
  CHECK_THROWS_WITH(f1.result(), Catch::Contains("read results()"));
  const std::vector<std::pair<std::string, double>> averaged = {
      {"micro", 0.6666666055555593}, {"macro", 0.65555547842593}, {"weighted", 0.6277776945833383}};
  for (const auto& [avg, want] : averaged) {
    metrics::F1Score m(avg, 0.5);
    m.update_state(yt, yp);
    INFO(avg);
    CHECK(m.result() == Approx(want).epsilon(1e-12));
  }
  // beta 2, the row's largest prediction as the positive one, sample weights
  metrics::FBetaScore fb("", 2.0);
  fb.update_state(yt, yp, v({1, 0.5, 2}));
  const auto rb = fb.results();
  CHECK(rb[0] == Approx(0.0).margin(1e-12));
  CHECK(rb[1] == Approx(0.68965513).epsilon(1e-7));
  CHECK(rb[2] == Approx(0.9090908).epsilon(1e-7));
  metrics::FBetaScore fw("weighted", 2.0);
  fw.update_state(yt, yp, v({1, 0.5, 2}));
  CHECK(fw.result() == Approx(0.39707415391140016).epsilon(1e-12));
  // merging halves
  metrics::FBetaScore h1("weighted", 2.0), h2("weighted", 2.0);
  h1.update_state(slice_axis(yt, 0, 0, 1), slice_axis(yp, 0, 0, 1), v({1}));
  h2.update_state(slice_axis(yt, 0, 1, 3), slice_axis(yp, 0, 1, 3), v({0.5, 2}));
  h1.merge_state({&h2});
  CHECK(h1.result() == Approx(fw.result()).epsilon(1e-14));
  CHECK(metrics::F1Score().result() == 0.0);  // nothing seen yet
  CHECK_THROWS_AS(metrics::FBetaScore("mean"), ValueError);
  CHECK_THROWS_AS(metrics::FBetaScore("", 0.0), ValueError);
  CHECK_THROWS_AS(metrics::F1Score("", 1.5), ValueError);
  CHECK_THROWS_AS(f1.update_state(v({1, 0}), v({1, 0})), ShapeError);
  CHECK_THROWS_AS(f1.update_state(f64({1, 0}, {1, 2}), f64({1, 0}, {1, 2})), ShapeError);  // 2 classes after 3
}

TEST_CASE("R2Score: Keras's example, weights, aggregations, adjusted", "[metrics]") {
  metrics::R2Score r2;
  r2.update_state(f64({1, 4, 3}, {3, 1}), f64({2, 4, 4}, {3, 1}));
  CHECK(r2.result() == Approx(0.57142854).epsilon(1e-7));
  const Tensor t = f64({1, 2, 4, 0, 3, 5, 2, 2}, {4, 2}), p = f64({2, 1, 4, 1, 4, 4, 1, 3}, {4, 2});
  const Tensor w = v({1, 2, 0.5, 1});
  metrics::R2Score none(""), uniform, variance("variance_weighted_average"), adjusted("uniform_average", 2);
  for (metrics::R2Score* m : std::vector<metrics::R2Score*>{&none, &uniform, &variance, &adjusted}) m->update_state(t, p, w);
  const auto raw = none.results();
  REQUIRE(raw.size() == 2);
  CHECK(raw[0] == Approx(0.6311475409836066).epsilon(1e-12));  // = sklearn's weighted r2 of column 0
  CHECK(raw[1] == Approx(0.595).epsilon(1e-12));
  CHECK(uniform.result() == Approx(0.6130737704918032).epsilon(1e-12));
  CHECK(variance.result() == Approx(0.6086956521739131).epsilon(1e-12));
  CHECK(adjusted.result() == Approx(0.4583032786885245).epsilon(1e-12));  // n = 8 values, p = 2
  // too few samples for the adjusted score: Keras falls back to R2
  metrics::R2Score few("uniform_average", 5);
  few.update_state(f64({1, 4, 3}, {3, 1}), f64({2, 4, 4}, {3, 1}));
  CHECK(few.result() == Approx(0.57142854).epsilon(1e-7));
  // a constant target: Keras reports 0 instead of -inf
  metrics::R2Score flat;
  flat.update_state(v({2, 2, 2}), v({1, 2, 3}));
  CHECK(flat.result() == 0.0);
  metrics::R2Score h1, h2;
  h1.update_state(slice_axis(t, 0, 0, 3), slice_axis(p, 0, 0, 3), slice_axis(w, 0, 0, 3));
  h2.update_state(slice_axis(t, 0, 3, 4), slice_axis(p, 0, 3, 4), slice_axis(w, 0, 3, 4));
  h1.merge_state({&h2});
  CHECK(h1.result() == Approx(uniform.result()).epsilon(1e-14));
  CHECK_THROWS_AS(metrics::R2Score("mean"), ValueError);
  CHECK_THROWS_AS(metrics::R2Score("uniform_average", -1), ValueError);
  CHECK_THROWS_AS(r2.update_state(f64({1, 2}, {1, 2}), f64({1, 2}, {2, 1})), ShapeError);
  CHECK_THROWS_WITH(none.result(), Catch::Contains("read results()"));
}

TEST_CASE("IoU, MeanIoU, BinaryIoU, OneHotIoU, OneHotMeanIoU: Keras's examples", "[metrics]") {
  metrics::IoU iou(2, {0});
  iou.update_state(v({0, 0, 1, 1}), v({0, 1, 0, 1}));
  CHECK(iou.result() == Approx(0.33333334).epsilon(1e-6));
  iou.reset_state();
  iou.update_state(v({0, 0, 1, 1}), v({0, 1, 0, 1}), v({0.3, 0.3, 0.3, 0.1}));
  CHECK(iou.result() == Approx(0.33333334).epsilon(1e-6));
  metrics::MeanIoU mean(2);
  mean.update_state(v({0, 0, 1, 1}), v({0, 1, 0, 1}), v({0.3, 0.3, 0.3, 0.1}));
  CHECK(mean.result() == Approx(0.23809525).epsilon(1e-6));
  CHECK(mean.name() == "mean_io_u");
  metrics::BinaryIoU bin({0, 1}, 0.3);
  bin.update_state(v({0, 1, 0, 1}), v({0.1, 0.2, 0.4, 0.7}));
  CHECK(bin.result() == Approx(0.33333334).epsilon(1e-6));
  bin.reset_state();
  bin.update_state(v({0, 1, 0, 1}), v({0.1, 0.2, 0.4, 0.7}), v({0.2, 0.3, 0.4, 0.1}));
  CHECK(bin.result() == Approx(0.17361112).epsilon(1e-6));
  const Tensor yt = f64({0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0}, {4, 3});
  const Tensor yp = f64({0.2, 0.3, 0.5, 0.1, 0.2, 0.7, 0.5, 0.3, 0.1, 0.1, 0.4, 0.5}, {4, 3});
  metrics::OneHotIoU oh(3, {0, 2});
  oh.update_state(yt, yp, v({0.1, 0.2, 0.3, 0.4}));
  CHECK(oh.result() == Approx(0.07142857).epsilon(1e-6));
  metrics::OneHotMeanIoU ohm(3);
  ohm.update_state(yt, yp, v({0.1, 0.2, 0.3, 0.4}));
  CHECK(ohm.result() == Approx(0.047619).epsilon(1e-5));
  // ignore_class: its positions count for nothing; cm [[1, 1], [0, 1]]: IoU 1/2 for both classes
  metrics::MeanIoU ign(2, "m", -1);
  ign.update_state(i64({0, 0, 1, -1}, {4}), i64({0, 1, 1, 0}, {4}));
  CHECK(ign.result() == Approx(0.5).epsilon(1e-6));
  CHECK(ign.state() == std::vector<double>{1, 1, 0, 1});
  // a class absent from labels and predictions is left out of the mean
  metrics::MeanIoU three(3);
  three.update_state(v({0, 1}), v({0, 1}));
  CHECK(three.result() == Approx(1.0).epsilon(1e-6));
  // merge
  metrics::MeanIoU m1(2), m2(2);
  m1.update_state(v({0, 0}), v({0, 1}), v({0.3, 0.3}));
  m2.update_state(v({1, 1}), v({0, 1}), v({0.3, 0.1}));
  m1.merge_state({&m2});
  CHECK(m1.result() == Approx(mean.result()).epsilon(1e-12));
  CHECK_THROWS_AS(m1.merge_state({&three}), ValueError);
  CHECK_THROWS_WITH(metrics::IoU(2, {2}), Catch::Contains("out of range"));
  CHECK_THROWS_AS(metrics::IoU(0, {0}), ValueError);
  CHECK_THROWS_AS(metrics::MeanIoU(2).update_state(v({0, 3}), v({0, 1})), ValueError);
  CHECK_THROWS_AS(metrics::MeanIoU(2).update_state(v({0, 1}), v({0, 1, 1})), ShapeError);
}

TEST_CASE("the score metrics load from Keras configs and run in compile", "[metrics]") {
  auto f1 = metrics::deserialize(Config::parse(
      R"({"class_name": "F1Score", "config": {"name": "f1", "average": "macro", "threshold": 0.5, "dtype": "float32"}})"));
  CHECK(f1->name() == "f1");
  auto* f = dynamic_cast<metrics::F1Score*>(f1.get());
  REQUIRE(f);
  CHECK(f->average() == "macro");
  CHECK(f->threshold() == 0.5);
  auto none = metrics::deserialize(Config::parse(R"({"class_name": "FBetaScore", "config": {"average": null, "beta": 2.0}})"));
  CHECK(dynamic_cast<metrics::FBetaScore&>(*none).average().empty());
  CHECK(dynamic_cast<metrics::FBetaScore&>(*none).beta() == 2.0);
  auto tps = metrics::deserialize(Config::parse(R"({"class_name": "TruePositives", "config": {"thresholds": [0.2, 0.8]}})"));
  CHECK(dynamic_cast<metrics::ConfusionCount&>(*tps).thresholds() == std::vector<double>{0.2, 0.8});
  CHECK(tps->name() == "true_positives");
  auto r2 = metrics::deserialize(Config::parse(R"({"class_name": "R2Score", "config": {"class_aggregation": null}})"));
  r2->update_state(f64({1, 4, 3}, {3, 1}), f64({2, 4, 4}, {3, 1}));
  CHECK(dynamic_cast<metrics::R2Score&>(*r2).results().size() == 1);
  auto biou = metrics::deserialize(Config::parse(R"({"class_name": "BinaryIoU", "config": {"target_class_ids": [1], "threshold": 0.3}})"));
  CHECK(dynamic_cast<metrics::BinaryIoU&>(*biou).threshold() == 0.3);
  auto ohm = metrics::deserialize(Config::parse(R"({"class_name": "OneHotMeanIoU", "config": {"num_classes": 3, "ignore_class": null}})"));
  CHECK(ohm->name() == "one_hot_mean_io_u");
  CHECK(dynamic_cast<metrics::IoU&>(*ohm).num_classes() == 3);
  CHECK_THROWS_AS(metrics::deserialize(Config::parse(R"({"class_name": "IoU", "config": {"num_classes": 2, "target_class_ids": [5]}})")),
                  ValueError);

  // in compile: evaluate reports them by name
  Sequential m({layers::Dense(3, "softmax")});
  m.compile("sgd", "categorical_crossentropy",
            {std::make_shared<metrics::F1Score>("micro"), std::make_shared<metrics::OneHotMeanIoU>(3)});
  const Tensor x = f64({1, 0, 0, 1, 1, 1, 0, 0}, {4, 2}), y = f64({1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0}, {4, 3});
  const Logs logs = m.evaluate(x, y);
  // the same metrics updated by hand on the predictions
  metrics::F1Score want("micro");
  metrics::OneHotMeanIoU want_iou(3);
  const Tensor pred = m.predict(x);
  want.update_state(y, pred);
  want_iou.update_state(y, pred);
  CHECK(logs.get("f1_score") == Approx(want.result()).epsilon(1e-6));
  CHECK(logs.get("one_hot_mean_io_u") == Approx(want_iou.result()).epsilon(1e-6));
}

TEST_CASE("Precision and Recall: threshold lists, top_k, class_id (Keras's examples)", "[metrics]") {
  metrics::Precision p;
  p.update_state(v({0, 1, 1, 1}), v({1, 0, 1, 1}));
  CHECK(p.result() == Approx(2.0 / 3));
  p.reset_state();
  p.update_state(v({0, 1, 1, 1}), v({1, 0, 1, 1}), v({0, 0, 1, 0}));
  CHECK(p.result() == 1.0);
  metrics::Recall r;
  r.update_state(v({0, 1, 1, 1}), v({1, 0, 1, 1}));
  CHECK(r.result() == Approx(2.0 / 3));
  // top_k alone: the k largest of the row are the positive predictions (the first among equals)
  metrics::Precision top2({}, 2), top4({}, 4);
  top2.update_state(v({0, 0, 1, 1}), v({1, 1, 1, 1}));
  top4.update_state(v({0, 0, 1, 1}), v({1, 1, 1, 1}));
  CHECK(top2.result() == 0.0);
  CHECK(top4.result() == 0.5);
  // several thresholds
  metrics::Precision p3({0.0, 0.5, 0.8});
  metrics::Recall r3({0.0, 0.5, 0.8});
  p3.update_state(v({0, 1, 0, 1}), v({0.1, 0.4, 0.6, 0.9}));
  r3.update_state(v({0, 1, 0, 1}), v({0.1, 0.4, 0.6, 0.9}));
  CHECK(p3.results() == std::vector<double>{0.5, 0.5, 1.0});
  CHECK(r3.results() == std::vector<double>{1.0, 0.5, 0.5});
  CHECK_THROWS_WITH(p3.result(), Catch::Contains("read results()"));
  // class_id: one column; with top_k, the rows' top k first
  const Tensor yt = f64({0, 1, 0, 1, 0, 0, 0, 1, 0}, {3, 3}), yp = f64({0.2, 0.7, 0.1, 0.1, 0.6, 0.3, 0.5, 0.4, 0.1}, {3, 3});
  metrics::Precision pc({}, std::nullopt, 1);
  metrics::Recall rc({}, std::nullopt, 1);
  metrics::Precision pk({}, 1, 1), pkt({0.65}, 1, 1);
  for (metrics::PrecisionRecall* m : std::vector<metrics::PrecisionRecall*>{&pc, &rc, &pk, &pkt}) m->update_state(yt, yp);
  CHECK(pc.result() == 0.5);
  CHECK(rc.result() == 0.5);
  CHECK(pk.result() == 0.5);
  CHECK(pkt.result() == 1.0);
  // merge, configurations, errors
  metrics::Precision a({0.0, 0.5, 0.8}), b({0.0, 0.5, 0.8});
  a.update_state(v({0, 1}), v({0.1, 0.4}));
  b.update_state(v({0, 1}), v({0.6, 0.9}));
  a.merge_state({&b});
  CHECK(a.results() == p3.results());
  CHECK_THROWS_AS(a.merge_state({&pc}), ValueError);
  CHECK_THROWS_AS(metrics::Precision({1.5}), ValueError);
  CHECK_THROWS_AS(metrics::Recall({}, 0), ValueError);
  CHECK_THROWS_WITH(metrics::Precision({}, std::nullopt, 3).update_state(yt, yp), Catch::Contains("class_id 3 for 3 classes"));
  auto loaded = metrics::deserialize(Config::parse(
      R"({"class_name": "Precision", "config": {"name": "p", "thresholds": null, "top_k": 1, "class_id": 1}})"));
  loaded->update_state(yt, yp);
  CHECK(loaded->result() == 0.5);
  auto listed = metrics::deserialize(Config::parse(R"({"class_name": "Recall", "config": {"thresholds": [0.0, 0.5, 0.8]}})"));
  CHECK(dynamic_cast<metrics::Recall&>(*listed).thresholds().size() == 3);
}

TEST_CASE("SparseTopKCategoricalAccuracy(from_sorted_ids): the label among the first k ids", "[metrics]") {
  const Tensor labels = i64({2, 1}, {2}), ids = i64({1, 2, 3, 3, 0, 1}, {2, 3});
  const std::vector<std::pair<std::int64_t, double>> want = {{1, 0.0}, {2, 0.5}, {3, 1.0}, {5, 1.0}};
  for (const auto& [k, acc] : want) {
    metrics::SparseTopKCategoricalAccuracy m(k, "top", true);
    m.update_state(labels, ids);
    INFO("k = " << k);
    CHECK(m.result() == acc);
  }
  metrics::SparseTopKCategoricalAccuracy col(2, "top", true);  // labels [N, 1] too
  col.update_state(i64({2, 1}, {2, 1}), ids);
  CHECK(col.result() == 0.5);
  CHECK_THROWS_AS(metrics::SparseTopKCategoricalAccuracy(2, "top", true).update_state(labels, i64({1, 2}, {2})),
                  ShapeError);
  CHECK_THROWS_AS(metrics::SparseTopKCategoricalAccuracy(0), ValueError);
  auto loaded = metrics::deserialize(Config::parse(
      R"({"class_name": "SparseTopKCategoricalAccuracy", "config": {"k": 2, "from_sorted_ids": true}})"));
  loaded->update_state(labels, ids);
  CHECK(loaded->result() == 0.5);
}
