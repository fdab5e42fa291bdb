// compile / fit / evaluate / predict end to end: convergence, Keras's progress output,
// validation, callbacks, weights, determinism, multi-output, custom train steps, leaks.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <regex>
#include <sstream>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {

/// y = x . [1, -2, 3] + 0.5 (plus a little noise), 256 examples.
std::pair<Tensor, Tensor> linear_data(std::uint64_t seed = 1) {
  Generator g(seed);
  Tensor x = Tensor::random_normal({256, 3}, 0, 1, DType::float32, g);
  Tensor y = matmul(x, Tensor::from_vector({1, -2, 3}, {3, 1})) + 0.5 +
             Tensor::random_normal({256, 1}, 0, 0.01, DType::float32, g);
  return {x, y};
}

/// Two gaussian blobs in 2-D, labels 0/1, for classification.
std::pair<Tensor, Tensor> blobs(std::int64_t n = 200, std::uint64_t seed = 2) {
  Generator g(seed);
  std::vector<double> xs, ys;
  for (std::int64_t i = 0; i < n; ++i) {
    const int c = static_cast<int>(i % 2);
    xs.push_back(g.normal() * 0.5 + (c ? 2 : -2));
    xs.push_back(g.normal() * 0.5 + (c ? 1 : -1));
    ys.push_back(c);
  }
  return {Tensor::from_vector(xs, {n, 2}), Tensor::from_vector(ys, {n}, DType::int64)};
}

Model small_classifier() {
  KerasTensor in = Input({2});
  KerasTensor h = layers::Dense(8, "relu")(in);
  return Model(in, layers::Dense(2)(h), "clf");
}

FitOptions quiet(int epochs, std::int64_t batch = 32) {
  FitOptions o;
  o.epochs = epochs;
  o.batch_size = batch;
  o.verbose = 0;
  return o;
}

}  // namespace

TEST_CASE("fit converges on linear regression", "[fit]") {
  set_seed(3);
  auto [x, y] = linear_data();
  Sequential m({layers::Dense(1)});
  m.compile(optimizers::Adam(0.05), "mse");
  History h = m.fit(x, y, quiet(40));
  REQUIRE(h.epochs().size() == 40);
  const auto& loss = h.get("loss");
  CHECK(loss.back() < loss.front() * 0.01);
  CHECK(m.evaluate(x, y).get("loss") < 0.01);
  auto dense = std::dynamic_pointer_cast<layers::Dense>(m.layers()[0]);
  CHECK(allclose(dense->kernel.value(), Tensor::from_vector({1, -2, 3}, {3, 1}), 0, 0.05));
  CHECK_THROWS_WITH(h.get("accuracy"), Catch::Contains("loss"));
}

TEST_CASE("classification with accuracy, validation and prediction", "[fit]") {
  set_seed(4);
  auto [x, y] = blobs();
  Model m = small_classifier();
  m.compile(optimizers::Adam(0.05), losses::SparseCategoricalCrossentropy(true), {"accuracy"});
  FitOptions o = quiet(15);
  o.validation_split = 0.25;
  History h = m.fit(x, y, o);
  CHECK(h.keys() == std::vector<std::string>{"loss", "accuracy", "val_loss", "val_accuracy"});
  CHECK(h.get("accuracy").back() > 0.95);
  CHECK(h.get("val_accuracy").back() > 0.95);
  // evaluate returns the same metrics; predict gives the logits for any batch size
  const Logs e = m.evaluate(x, y);
  CHECK(e.get("accuracy") > 0.95);
  Tensor p = m.predict(x, 7);
  REQUIRE(p.shape() == Shape{200, 2});
  CHECK(allclose(p, m(x), 1e-5, 1e-5));
  // "accuracy" resolved to the sparse form: argmax(logits) == labels
  const auto pred = argmax(p, 1).to_vector<std::int64_t>(), labels = y.to_vector<std::int64_t>();
  double right = 0;
  for (std::size_t i = 0; i < pred.size(); ++i) right += pred[i] == labels[i];
  CHECK(e.get("accuracy") == Approx(right / 200));
}

TEST_CASE("fit prints Keras's progress bar", "[fit][progress]") {
  auto [x, y] = blobs(64);
  Model m = small_classifier();
  m.compile("adam", losses::SparseCategoricalCrossentropy(true), {"accuracy"});
  std::ostringstream out;
  FitOptions o = quiet(2, 16);
  o.verbose = 1;
  o.out = &out;
  o.terminal = false;  // a log file: one line per epoch
  m.fit(x, y, o);
  const std::regex epoch_line(
      R"(Epoch 1/2\n4/4 \[==============================\] - \d+s \d+(us|ms)/step - loss: \d\.\d{4} - accuracy: \d\.\d{4}\nEpoch 2/2\n4/4 \[==============================\] - \d+s \d+(us|ms)/step - loss: \d\.\d{4} - accuracy: \d\.\d{4}\n)");
  INFO(out.str());
  CHECK(std::regex_match(out.str(), epoch_line));
  // on a terminal the bar updates in place with an ETA
  std::ostringstream tty;
  o.out = &tty;
  o.terminal = true;
  o.epochs = 1;
  m.fit(x, y, o);
  CHECK(tty.str().find('\r') != std::string::npos);
  CHECK(tty.str().find("4/4 [==============================]") != std::string::npos);
  // verbose 0 prints nothing
  std::ostringstream silent;
  o.verbose = 0;
  o.out = &silent;
  m.fit(x, y, o);
  CHECK(silent.str().empty());
}

TEST_CASE("fit is deterministic under set_seed", "[fit][determinism]") {
  ThreadsGuard threads;
  auto run = [] {
    set_num_threads(1);
    set_seed(123);
    auto [x, y] = blobs(96);
    Sequential m({layers::Dense(16, "relu"), layers::Dropout(0.3), layers::Dense(2)});
    m.compile(optimizers::Adam(0.01), losses::SparseCategoricalCrossentropy(true), {"accuracy"});
    m.fit(x, y, quiet(3, 16));
    return m.get_weights();
  };
  const auto a = run(), b = run();
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(array_equal(a[i], b[i]));
}

TEST_CASE("early stopping and restoring the best weights", "[fit][callbacks]") {
  auto [x, y] = linear_data();
  Sequential m({layers::Dense(1)});
  m.compile(optimizers::SGD(0.5), "mse");  // diverges: the loss grows after the first epochs
  auto stop = std::make_shared<callbacks::EarlyStopping>("loss", 0.0, 2);
  stop->restore_best_weights = true;
  std::vector<std::vector<Tensor>> snapshots;
  auto snap = std::make_shared<callbacks::LambdaCallback>();
  snap->on_epoch_end_fn = [&](int, Logs&) {
    std::vector<Tensor> w;
    for (const auto& t : m.get_weights()) w.push_back(t.clone());
    snapshots.push_back(w);
  };
  FitOptions o = quiet(50);
  o.batch_size = 256;
  o.callbacks = {snap, stop};
  History h = m.fit(x, y, o);
  CHECK(stop->stopped_epoch() >= 0);
  CHECK(h.epochs().size() < 50);
  const auto& loss = h.get("loss");
  const std::size_t best = static_cast<std::size_t>(std::min_element(loss.begin(), loss.end()) - loss.begin());
  CHECK(stop->best_epoch() == static_cast<int>(best));
  const auto now = m.get_weights();
  for (std::size_t i = 0; i < now.size(); ++i) CHECK(array_equal(now[i], snapshots[best][i]));
}

TEST_CASE("learning-rate callbacks", "[fit][callbacks]") {
  auto [x, y] = linear_data();
  Sequential m({layers::Dense(1)});
  m.compile(optimizers::SGD(0.1), "mse");
  FitOptions o = quiet(3, 256);
  o.callbacks = {std::make_shared<callbacks::LearningRateScheduler>([](int epoch, double) { return 0.1 / (epoch + 1); })};
  History h = m.fit(x, y, o);
  CHECK(h.get("learning_rate") == std::vector<double>{0.1, 0.05, 0.1 / 3});
  // ReduceLROnPlateau: nothing counts as an improvement (min_delta huge) -> halve after 2 epochs
  m.compile(optimizers::SGD(0.01), "mse");
  FitOptions p = quiet(5, 256);
  p.callbacks = {std::make_shared<callbacks::ReduceLROnPlateau>("loss", 0.5, 2, "min", 1e9)};
  History h2 = m.fit(x, y, p);
  CHECK(h2.get("learning_rate") == std::vector<double>{0.01, 0.01, 0.01, 0.005, 0.005});
}

TEST_CASE("CSVLogger, TerminateOnNaN and History files", "[fit][callbacks]") {
  auto [x, y] = blobs(64);
  Model m = small_classifier();
  m.compile("sgd", losses::SparseCategoricalCrossentropy(true), {"accuracy"});
  const std::string csv = temp_path("test_csvlogger.csv");
  FitOptions o = quiet(2, 32);
  o.validation_split = 0.5;
  o.callbacks = {std::make_shared<callbacks::CSVLogger>(csv)};
  History h = m.fit(x, y, o);
  std::ifstream f(csv);
  std::string header, row1, row2;
  std::getline(f, header);
  std::getline(f, row1);
  std::getline(f, row2);
  CHECK(header == "epoch,accuracy,loss,val_accuracy,val_loss");  // sorted, as Keras writes it
  CHECK(row1.rfind("0,", 0) == 0);
  CHECK(row2.rfind("1,", 0) == 0);
  h.save_csv(temp_path("test_history.csv"));
  std::ifstream hf(temp_path("test_history.csv"));
  std::getline(hf, header);
  CHECK(header == "epoch,loss,accuracy,val_loss,val_accuracy");
  const std::string svg = h.to_svg();
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.find("polyline") != std::string::npos);
  CHECK(svg.find("val_accuracy") != std::string::npos);
  // a huge learning rate gives a NaN loss: training stops at that batch
  Sequential bad({layers::Dense(1)});
  bad.compile(optimizers::SGD(1e30), "mse");
  auto [lx, ly] = linear_data();
  FitOptions n = quiet(5, 8);
  n.callbacks = {std::make_shared<callbacks::TerminateOnNaN>()};
  History hn = bad.fit(lx * 1e10, ly, n);
  CHECK(hn.epochs().size() == 1);
  CHECK_FALSE(std::isfinite(hn.get("loss")[0]));
}

TEST_CASE("class and sample weights scale the loss", "[fit]") {
  auto [x, y] = blobs(8);
  Model m = small_classifier();
  m.compile("sgd", losses::SparseCategoricalCrossentropy(true));
  const Tensor per = losses::sparse_categorical_crossentropy(y, m(x), true);
  EvaluateOptions e;
  e.sample_weight = Tensor::from_vector({1, 0, 1, 0, 1, 0, 1, 0}, {8});
  const double weighted = m.evaluate(x, y, e).get("loss");
  CHECK(weighted == Approx(sum(per * e.sample_weight).item<double>() / 8).epsilon(1e-5));
  // class_weight multiplies each example by its class's weight (a zero weight trains nothing)
  FitOptions o = quiet(1, 8);
  o.class_weight = {{0, 0.0}, {1, 0.0}};
  const auto before = m.get_weights();
  m.fit(x, y, o);
  const auto after = m.get_weights();
  for (std::size_t i = 0; i < before.size(); ++i) CHECK(array_equal(before[i], after[i]));
}

namespace {
/// Mean sparse cross-entropy and accuracy of the model's logits on (x, y), computed here in
/// double from predict's outputs.
std::pair<double, double> batch_scores(Model& m, const Tensor& x, const Tensor& y) {
  const std::vector<double> logits = m.predict(x).to_vector<double>();
  const std::vector<std::int64_t> labels = y.to_vector<std::int64_t>();
  const std::size_t n = labels.size(), k = logits.size() / n;
  double loss = 0, hits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double* z = &logits[i * k];
    const double top = *std::max_element(z, z + k);
    double denom = 0;
    for (std::size_t j = 0; j < k; ++j) denom += std::exp(z[j] - top);
    loss += std::log(denom) + top - z[labels[i]];
    hits += static_cast<double>(std::max_element(z, z + k) - z) == static_cast<double>(labels[i]);
  }
  return {loss / static_cast<double>(n), hits / static_cast<double>(n)};
}
}  // namespace

TEST_CASE("train_on_batch and test_on_batch report their own batch", "[fit]") {
  auto [x, y] = blobs(16);
  const Tensor xa = slice_axis(x, 0, 0, 8), ya = slice_axis(y, 0, 0, 8);
  const Tensor xb = slice_axis(x, 0, 8, 16), yb = slice_axis(y, 0, 8, 16);
  set_seed(3);
  Model m = small_classifier();
  m.compile(optimizers::SGD(0.5), losses::SparseCategoricalCrossentropy(true), {"accuracy"});

  const auto [loss_a, acc_a] = batch_scores(m, xa, ya);  // before the step, as the step sees it
  const Logs la = m.train_on_batch({xa}, {ya});
  CHECK(la.get("loss") == Approx(loss_a).epsilon(1e-5));
  CHECK(la.get("accuracy") == Approx(acc_a));
  const auto [loss_b, acc_b] = batch_scores(m, xb, yb);
  REQUIRE(std::abs(loss_b - loss_a) > 1e-2);  // so a running mean could not pass for either
  const Logs lb = m.train_on_batch({xb}, {yb});
  CHECK(lb.get("loss") == Approx(loss_b).epsilon(1e-5));
  CHECK(lb.get("accuracy") == Approx(acc_b));

  // reset_metrics = false: the mean over the calls since the last reset (equal batch sizes)
  const auto [loss_c, acc_c] = batch_scores(m, xa, ya);
  const Logs lc = m.train_on_batch({xa}, {ya}, Tensor(), /*reset_metrics=*/false);
  CHECK(lc.get("loss") == Approx((loss_b + loss_c) / 2).epsilon(1e-5));
  CHECK(lc.get("accuracy") == Approx((acc_b + acc_c) / 2));

  // test_on_batch: the batch's own scores, weights untouched
  const auto weights = m.get_weights();
  const double loss_ta = batch_scores(m, xa, ya).first;
  const auto [loss_tb, acc_tb] = batch_scores(m, xb, yb);
  CHECK(m.test_on_batch({xa}, {ya}).get("loss") == Approx(loss_ta).epsilon(1e-5));
  const Logs tb = m.test_on_batch({xb}, {yb});
  CHECK(tb.get("loss") == Approx(loss_tb).epsilon(1e-5));
  CHECK(tb.get("accuracy") == Approx(acc_tb));
  CHECK(m.test_on_batch({xa}, {ya}, Tensor(), false).get("loss") == Approx((loss_ta + loss_tb) / 2).epsilon(1e-5));
  const auto after = m.get_weights();
  for (std::size_t i = 0; i < weights.size(); ++i) CHECK(array_equal(weights[i], after[i]));
}

TEST_CASE("multi-output models take a loss per output and loss weights", "[fit]") {
  set_seed(5);
  KerasTensor in = Input({3});
  KerasTensor h = layers::Dense(8, "relu")(in);
  auto reg_head = std::make_shared<layers::Dense>(1);
  reg_head->set_name("value");
  auto cls_head = std::make_shared<layers::Dense>(2);
  cls_head->set_name("label");
  Model m({in}, {(*reg_head)(h), (*cls_head)(h)});
  m.compile(optimizers::Adam(0.01), {"mse", losses::SparseCategoricalCrossentropy(true)}, {"accuracy"}, {1.0, 0.5});
  auto [x, yv] = linear_data();
  Tensor yc = cast(greater(sum(x, 1), 0.0), DType::int64);
  History hist = m.fit({x}, {yv, yc}, quiet(3));
  CHECK(hist.keys() == std::vector<std::string>{"loss", "value_loss", "label_loss", "value_accuracy", "label_accuracy"});
  const auto& total = hist.get("loss");
  CHECK(total.back() == Approx(hist.get("value_loss").back() + 0.5 * hist.get("label_loss").back()).epsilon(0.05));
  CHECK(m.predict_all({x}).size() == 2);
  CHECK_THROWS_AS(m.compile("adam", {"mse", "mse", "mse"}), ValueError);
}

namespace {
/// A functional model whose training step is customised (Keras's train_step override).
class CountingModel : public Model {
 public:
  CountingModel(const KerasTensor& in, const KerasTensor& out) : Model(in, out) {}
  int steps = 0;
  Logs train_step(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const Tensor& w) override {
    ++steps;
    return Model::train_step(x, y, w);
  }
};
}  // namespace

TEST_CASE("fit calls an overridden train_step", "[fit]") {
  KerasTensor in = Input({2});
  CountingModel m(in, layers::Dense(2)(in));
  m.compile("adam", losses::SparseCategoricalCrossentropy(true));
  auto [x, y] = blobs(40);
  FitOptions o = quiet(2, 16);
  o.steps_per_epoch = 2;
  m.fit(x, y, o);
  CHECK(m.steps == 4);
}

/// Resident memory of this process in bytes (Linux), 0 where unknown.
static std::int64_t resident_bytes() {
  std::ifstream f("/proc/self/statm");
  std::int64_t pages = 0, resident = 0;
  if (!(f >> pages >> resident)) return 0;
  return resident * 4096;
}

TEST_CASE("training leaves no tensors behind: memory is steady over 10,000 steps", "[fit][memory]") {
  auto [x, y] = blobs(64);
  Model m = small_classifier();
  m.compile("adam", losses::SparseCategoricalCrossentropy(true), {"accuracy"});
  for (int i = 0; i < 1000; ++i) m.train_on_batch({x}, {y});  // warm up: slots, metrics, caches
  const std::int64_t live = live_tensor_count();
  const std::int64_t rss = resident_bytes();
  for (int i = 0; i < 9000; ++i) m.train_on_batch({x}, {y});
  CHECK(live_tensor_count() == live);
#if !defined(__SANITIZE_ADDRESS__)  // (AddressSanitizer's quarantine holds freed memory on purpose)
  // the tape frees everything: no growth beyond allocator noise
  CHECK(resident_bytes() - rss < 512 * 1024);
#else
  (void)rss;
#endif
}

TEST_CASE("fit errors", "[fit][errors]") {
  auto [x, y] = blobs(16);
  Model m = small_classifier();
  CHECK_THROWS_WITH(m.fit(x, y, quiet(1)), Catch::Contains("compile"));
  m.compile("adam", losses::SparseCategoricalCrossentropy(true));
  CHECK_THROWS_AS(m.fit(x, slice_axis(y, 0, 0, 8), quiet(1)), ShapeError);
  FitOptions o = quiet(1);
  o.batch_size = 0;
  CHECK_THROWS_AS(m.fit(x, y, o), ValueError);
  o = quiet(1);
  o.validation_split = 1.0;
  CHECK_THROWS_AS(m.fit(x, y, o), ValueError);
  CHECK_THROWS_AS(m.fit({x, x}, {y}, quiet(1)), ValueError);
  CHECK_THROWS_AS(m.compile("adamax2", "mse"), ValueError);
  CHECK_THROWS_AS(m.compile("adam", "msee"), ValueError);
}
