// Data-parallel training under mpirun (run.sh runs this binary with 2 and 3 ranks): the
// fixed-order sums against the same sums done here in rank order, fit on N ranks against fit
// in one process in float64, identical bits across ranks, merged metrics, callbacks, errors.
// Every rank runs every check; a collective is never skipped on one rank only.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <sstream>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;
namespace dist = strata::distributed;

namespace {

/// A float64 MLP (4 -> 6 tanh, L2 -> 3 softmax) whose initial weights the seed fixes.
/// sgd: SGD with momentum, whose steps scale with the gradient (a wrongly scaled reduction
/// shows); otherwise Adam with a global norm clip (clipped after the reduction, on the global
/// batch's gradient).
Model mlp(std::uint64_t seed, std::int64_t hidden = 6, bool sgd = false) {
  set_seed(seed);
  KerasTensor in = Input({4});
  auto d1 = std::make_shared<layers::Dense>(hidden, "tanh");
  d1->set_dtype(DType::float64);
  d1->kernel_regularizer = regularizers::l2(0.01);
  auto d2 = std::make_shared<layers::Dense>(3, "softmax");
  d2->set_dtype(DType::float64);
  d1->set_name("hidden");  // the same names in every model, as a restarted program has
  d2->set_name("probabilities");
  Model m(in, (*d2)((*d1)(in)), "mlp");
  if (sgd) {
    m.compile(optimizers::SGD(0.2, 0.9), "sparse_categorical_crossentropy", {"accuracy"});
  } else {
    optimizers::Adam adam(0.05);
    adam.global_clipnorm = 0.05;
    m.compile(std::move(adam), "sparse_categorical_crossentropy", {"accuracy"});
  }
  return m;
}

struct Data {
  Tensor x, y, w;
};
/// 13 examples: with batch 4 the last global batch has 1, so some ranks' slices are empty.
Data make_data(std::int64_t n = 13) {
  Generator g(11);
  Tensor x = Tensor::random_normal({n, 4}, 0, 1, DType::float64, g);
  std::vector<double> labels, weights;
  for (std::int64_t i = 0; i < n; ++i) {
    labels.push_back(static_cast<double>((i * 7) % 3));
    weights.push_back(0.5 + static_cast<double>(i % 4) * 0.25);
  }
  return {x, Tensor::from_vector(labels, {n}, DType::int64), Tensor::from_vector(weights, {n}, DType::float64)};
}

FitOptions options(int epochs, std::int64_t batch = 4) {
  FitOptions o;
  o.epochs = epochs;
  o.batch_size = batch;
  o.verbose = 0;
  o.seed = 5;
  return o;
}

bool close(const Tensor& a, const Tensor& b, double rtol, std::string& why) {
  const auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  if (va.size() != vb.size()) return why = "sizes differ", false;
  for (std::size_t i = 0; i < va.size(); ++i)
    if (std::abs(va[i] - vb[i]) > rtol * std::max(std::abs(vb[i]), 1e-300) + 1e-300) {
      why = "element " + std::to_string(i) + ": " + std::to_string(va[i]) + " vs " + std::to_string(vb[i]);
      return false;
    }
  return true;
}

void check_weights_close(const Model& a, const Model& b, double rtol) {
  const auto wa = a.get_weights(), wb = b.get_weights();
  REQUIRE(wa.size() == wb.size());
  for (std::size_t i = 0; i < wa.size(); ++i) {
    std::string why;
    const bool ok = close(wa[i], wb[i], rtol, why);
    INFO("weight " << i << " on rank " << dist::rank() << ": " << why);
    CHECK(ok);
  }
}

/// fit on this rank alone (the one-process reference every rank computes for itself).
History fit_alone(Model& m, const Data& d, FitOptions o) {
  o.distributed = false;
  return m.fit(d.x, d.y, o);
}

/// Whether every rank holds these bits.
bool same_on_every_rank(std::uint64_t h) {
  for (std::int64_t v : dist::allgather(static_cast<std::int64_t>(h)))
    if (static_cast<std::uint64_t>(v) != h) return false;
  return true;
}

/// A folder every rank names alike (rank 0's process id).
std::string shared_folder(const std::string& tag) {
  const std::int64_t pid = dist::allgather(static_cast<std::int64_t>(getpid()))[0];
  return "/tmp/strata_mpi_" + tag + "_" + std::to_string(pid);
}

}  // namespace

TEST_CASE("the world is the one mpirun made", "[distributed]") {
  CHECK(dist::available());
  CHECK(dist::initialized());
  const char* np = std::getenv("OMPI_COMM_WORLD_SIZE");
  REQUIRE(np);
  CHECK(dist::size() == std::atoi(np));
  CHECK(dist::rank() >= 0);
  CHECK(dist::rank() < dist::size());
  const auto ranks = dist::allgather(dist::rank());
  for (std::size_t r = 0; r < ranks.size(); ++r) CHECK(ranks[r] == static_cast<std::int64_t>(r));
  CHECK(dist::allreduce_max(dist::rank() * 10) == (dist::size() - 1) * 10);
  dist::barrier();
}

TEST_CASE("allreduce_sum adds in rank order, bit for bit, every dtype", "[distributed]") {
  const int n = dist::size(), me = dist::rank();
  // rank r's contribution: values whose sums round differently in different orders
  auto part = [](int r, const Shape& s, DType d, std::uint64_t seed) {
    Generator g(seed + static_cast<std::uint64_t>(r) * 1000);
    Tensor t = Tensor::random_normal(s, 0, std::pow(10.0, r % 3 * 3), DType::float64, g);
    return cast(t, d);
  };
  const std::vector<std::pair<Shape, DType>> specs = {
      {{7, 3}, DType::float32}, {{1}, DType::float64}, {{0, 2}, DType::float32}, {{5}, DType::int64},
      {{1001}, DType::float64}, {{2}, DType::float32}};
  std::vector<Tensor> mine;
  for (std::size_t k = 0; k < specs.size(); ++k) mine.push_back(part(me, specs[k].first, specs[k].second, k));
  const std::vector<Tensor> got = dist::allreduce_sum(mine);
  REQUIRE(got.size() == specs.size());
  for (std::size_t k = 0; k < specs.size(); ++k) {
    INFO("tensor " << k);
    CHECK(got[k].shape() == specs[k].first);
    CHECK(got[k].dtype() == specs[k].second);
    // the same sum, here, in rank order
    if (specs[k].second == DType::float32) {
      std::vector<float> acc = part(0, specs[k].first, DType::float32, k).to_vector<float>();
      for (int r = 1; r < n; ++r) {
        const auto p = part(r, specs[k].first, DType::float32, k).to_vector<float>();
        for (std::size_t i = 0; i < acc.size(); ++i) acc[i] += p[i];
      }
      CHECK(got[k].to_vector<float>() == acc);
    } else if (specs[k].second == DType::float64) {
      std::vector<double> acc = part(0, specs[k].first, DType::float64, k).to_vector<double>();
      for (int r = 1; r < n; ++r) {
        const auto p = part(r, specs[k].first, DType::float64, k).to_vector<double>();
        for (std::size_t i = 0; i < acc.size(); ++i) acc[i] += p[i];
      }
      CHECK(got[k].to_vector<double>() == acc);
    } else {
      std::vector<std::int64_t> acc(static_cast<std::size_t>(specs[k].first.num_elements()), 0);
      for (int r = 0; r < n; ++r) {
        const auto p = part(r, specs[k].first, DType::int64, k).to_vector<std::int64_t>();
        for (std::size_t i = 0; i < acc.size(); ++i) acc[i] += p[i];
      }
      CHECK(got[k].to_vector<std::int64_t>() == acc);
    }
  }
  // scaled contributions: the sum of 1/n of each rank's ones is one
  const Tensor third = dist::allreduce_sum({Tensor::ones({4}, DType::float64)}, 1.0 / n)[0];
  for (double v : third.to_vector<double>()) CHECK(v == Approx(1.0).epsilon(1e-15));
  // mismatched shapes are a ValueError on every rank, not a hang or garbage
  if (n > 1)
    CHECK_THROWS_WITH(dist::allreduce_sum({Tensor::zeros({me == 1 ? 3 : 2}, DType::float64)}),
                      Catch::Contains("rank 1 and rank 0 differ"));
  CHECK_THROWS_AS(dist::allreduce_sum({Tensor::zeros({2}, DType::int64)}, 0.5), DTypeError);
}

TEST_CASE("broadcast gives rank 0's tensors; batch_slice splits like fit", "[distributed]") {
  const std::vector<Tensor> got =
      dist::broadcast({Tensor::full({2, 3}, dist::rank() + 1.0, DType::float64), i64({dist::rank() + 5.0}, {1})});
  CHECK_TENSOR(got[0], {2, 3}, {1, 1, 1, 1, 1, 1});
  CHECK(got[1].to_vector<std::int64_t>() == std::vector<std::int64_t>{5});
  const int last = dist::size() - 1;
  CHECK(dist::broadcast({Tensor::scalar(dist::rank(), DType::float64)}, last)[0].item<double>() == last);
  CHECK_THROWS_AS(dist::broadcast({Tensor::scalar(1)}, dist::size()), ValueError);
}

TEST_CASE("a distributed fit matches one process on the global batch (float64)", "[distributed][fit]") {
  const Data d = make_data();
  FitOptions o = options(3);
  o.sample_weight = d.w;
  o.class_weight = {{0, 1.0}, {1, 2.0}, {2, 0.5}};
  o.validation_split = 0.0;
  o.check_weights_every = 1;  // a hash of the weights compared after every step
  const bool sgd = GENERATE(true, false);
  INFO((sgd ? "SGD with momentum" : "Adam, global_clipnorm"));
  // the distributed model starts from different weights on each rank: rank 0's are broadcast
  Model m = mlp(100 + static_cast<std::uint64_t>(dist::rank()), 6, sgd);
  History h = m.fit(d.x, d.y, o);
  Model ref = mlp(100, 6, sgd);
  History hr = fit_alone(ref, d, o);
  check_weights_close(m, ref, 1e-12);
  REQUIRE(h.get("loss").size() == 3);
  for (std::size_t e = 0; e < 3; ++e) {
    CHECK(h.get("loss")[e] == Approx(hr.get("loss")[e]).epsilon(1e-12));
    CHECK(h.get("accuracy")[e] == Approx(hr.get("accuracy")[e]).epsilon(1e-12));
  }
  CHECK(m.optimizer()->iterations() == ref.optimizer()->iterations());
  CHECK(m.optimizer()->iterations() == 12);  // 4 steps x 3 epochs, on every rank
  // every rank holds the same bits, and History is the same everywhere
  CHECK(same_on_every_rank(dist::weights_hash(m)));
  CHECK_NOTHROW(dist::check_identical_weights(m));
  std::uint64_t hh = 0;
  for (double v : h.get("loss")) hh = hh * 31 + std::hash<double>()(v);
  CHECK(same_on_every_rank(hh));
}

TEST_CASE("validation data is sharded and merged: val_ logs match one process", "[distributed][fit]") {
  const Data d = make_data(21);
  FitOptions o = options(2, 5);
  o.validation_split = 0.3;  // 6 validation rows: uneven slices over 3 ranks... and 4
  Model m = mlp(7, 6, true);
  History h = m.fit(d.x, d.y, o);
  Model ref = mlp(7, 6, true);
  History hr = fit_alone(ref, d, o);
  check_weights_close(m, ref, 1e-12);
  for (std::size_t e = 0; e < 2; ++e) {
    CHECK(h.get("val_loss")[e] == Approx(hr.get("val_loss")[e]).epsilon(1e-12));
    CHECK(h.get("val_accuracy")[e] == Approx(hr.get("val_accuracy")[e]).epsilon(1e-12));
  }
}

TEST_CASE("the same run twice gives the same bits", "[distributed][fit]") {
  const Data d = make_data();
  std::uint64_t first = 0;
  for (int run = 0; run < 2; ++run) {
    Model m = mlp(3);
    m.fit(d.x, d.y, options(2));
    if (run == 0) first = dist::weights_hash(m);
    else CHECK(dist::weights_hash(m) == first);
  }
}

TEST_CASE("BatchNormalization's moving statistics are averaged: identical on every rank", "[distributed][fit]") {
  const Data d = make_data(17);  // batches of 8, 8 and 1: the last one's slices are empty but one
  set_seed(9);
  KerasTensor in = Input({4});
  KerasTensor h = layers::Dense(5)(in);
  h = layers::BatchNormalization()(h);
  Model m(in, layers::Dense(3, "softmax")(h), "bn");
  m.compile(optimizers::SGD(0.1), "sparse_categorical_crossentropy");
  m.fit(cast(d.x, DType::float32), d.y, options(2, 8));
  CHECK(same_on_every_rank(dist::weights_hash(m)));
  // the moving mean moved away from its zeros (every rank's statistics reached it)
  bool moved = false, finite = true;
  for (const auto& v : m.non_trainable_weights())
    for (double x : v.value().to_vector<double>()) {
      finite = finite && std::isfinite(x);
      if (v.name().find("moving_mean") != std::string::npos) moved = moved || x != 0.0;
    }
  CHECK(moved);
  CHECK(finite);  // an empty slice skipped its forward (BatchNormalization on no rows is NaN)

  // with the weights held still (lr 0), the moving mean is one process's: the ranks' batch
  // means weighted by their shares are the global batch's mean
  std::vector<Tensor> means;
  for (bool distributed : {true, false}) {
    set_seed(9);
    auto bn = std::make_shared<layers::BatchNormalization>();
    bn->set_dtype(DType::float64);
    bn->set_name("bn");
    Sequential s({bn});
    s.compile(optimizers::SGD(0.0), "mse");
    FitOptions o = options(2, 8);
    o.distributed = distributed;
    s.fit(d.x, d.x, o);
    for (const auto& v : s.non_trainable_weights())
      if (v.name().find("moving_mean") != std::string::npos) means.push_back(v.value());
  }
  REQUIRE(means.size() == 2);
  std::string why;
  const bool ok = close(means[0], means[1], 1e-12, why);
  INFO(why);
  CHECK(ok);
}

TEST_CASE("rank 0 alone prints the progress bar", "[distributed][callbacks]") {
  const Data d = make_data();
  Model m = mlp(2);
  std::ostringstream out;
  FitOptions o = options(1);
  o.verbose = 1;
  o.out = &out;
  o.terminal = false;
  m.fit(d.x, d.y, o);
  if (dist::is_root()) CHECK(out.str().find("Epoch 1/1") != std::string::npos);
  else CHECK(out.str().empty());
}

TEST_CASE("merged AUC and precision over the ranks equal one process's", "[distributed][metrics]") {
  Generator g(4);
  const std::int64_t n = 23;
  Tensor x = Tensor::random_normal({n, 3}, 0, 1, DType::float32, g);
  std::vector<double> labels;
  for (std::int64_t i = 0; i < n; ++i) labels.push_back(static_cast<double>((i * 5) % 2));
  Tensor y = Tensor::from_vector(labels, {n, 1});
  set_seed(2);
  Sequential m({layers::Dense(1, "sigmoid")});
  m.compile(optimizers::SGD(0.1), "binary_crossentropy",
            {std::make_shared<metrics::AUC>(), std::make_shared<metrics::Precision>(), "accuracy"});
  EvaluateOptions eo;
  eo.batch_size = 4;
  m.build({-1, 3});
  const Logs all = m.evaluate(x, y, eo);
  eo.distributed = false;
  const Logs one = m.evaluate(x, y, eo);
  for (const char* k : {"loss", "auc", "precision", "accuracy"}) {
    INFO(k);
    CHECK(all.get(k) == Approx(one.get(k)).epsilon(1e-6));
  }
  // a metric alone: each rank's share, merged
  metrics::AUC auc;
  const auto [b, e] = dist::batch_slice(n, dist::rank(), dist::size());
  if (e > b) auc.update_state(slice_axis(y, 0, b, e), m.predict(slice_axis(x, 0, b, e)));
  dist::merge_metric(auc);
  metrics::AUC ref;
  ref.update_state(y, m.predict(x));
  CHECK(auc.result() == Approx(ref.result()).epsilon(1e-12));
}

TEST_CASE("a stop on one rank stops every rank after the same step", "[distributed][callbacks]") {
  const Data d = make_data(40);
  Model m = mlp(1);
  auto stopper = std::make_shared<callbacks::LambdaCallback>();
  stopper->on_batch_end_fn = [&](std::int64_t batch, Logs&) {
    if (dist::rank() == dist::size() - 1 && batch == 2) m.stop_training = true;
  };
  FitOptions o = options(3);
  o.callbacks = {stopper};
  History h = m.fit(d.x, d.y, o);
  CHECK(m.optimizer()->iterations() == 3);
  CHECK(h.epochs().size() == 1);
  CHECK(same_on_every_rank(dist::weights_hash(m)));
}

TEST_CASE("EarlyStopping stops every rank in the same epoch", "[distributed][callbacks]") {
  const Data d = make_data(40);
  Model m = mlp(1);
  FitOptions o = options(10);
  // no epoch improves the loss by 1: the second epoch stops training
  o.callbacks = {std::make_shared<callbacks::EarlyStopping>("loss", /*min_delta=*/1.0, /*patience=*/0)};
  History h = m.fit(d.x, d.y, o);
  CHECK(h.epochs().size() == 2);
  const auto epochs = dist::allgather(static_cast<std::int64_t>(h.epochs().size()));
  for (std::int64_t e : epochs) CHECK(e == epochs[0]);
  CHECK(same_on_every_rank(dist::weights_hash(m)));
}

TEST_CASE("BackupAndRestore: rank 0 writes, the resumed run ends where an uninterrupted one does",
          "[distributed][callbacks]") {
  const Data d = make_data();
  const std::string dir = shared_folder("backup");
  Model whole = mlp(21);
  whole.fit(d.x, d.y, options(3));

  Model first = mlp(21);
  auto crash = std::make_shared<callbacks::LambdaCallback>();
  crash->on_epoch_end_fn = [](int epoch, Logs&) {
    if (epoch == 1) throw std::runtime_error("interrupted");
  };
  FitOptions o = options(3);
  o.callbacks = {std::make_shared<callbacks::BackupAndRestore>(dir), crash};
  CHECK_THROWS_WITH(first.fit(d.x, d.y, o), "interrupted");
  dist::barrier();
  CHECK(std::filesystem::exists(dir + "/backup.strata"));
  Model resumed = mlp(99);  // other weights: the backup (on rank 0) and the broadcast replace them
  o.callbacks = {std::make_shared<callbacks::BackupAndRestore>(dir)};
  History h = resumed.fit(d.x, d.y, o);
  CHECK(h.epochs() == std::vector<int>{2});
  check_weights_close(resumed, whole, 1e-12);
  CHECK(same_on_every_rank(dist::weights_hash(resumed)));
  CHECK_FALSE(std::filesystem::exists(dir + "/backup.strata"));  // deleted when training completes
  dist::barrier();
  if (dist::is_root()) std::filesystem::remove_all(dir);
}

TEST_CASE("CSVLogger and ModelCheckpoint write on rank 0 only", "[distributed][callbacks]") {
  const Data d = make_data();
  const std::string dir = shared_folder("files");
  if (dist::is_root()) std::filesystem::create_directories(dir);
  dist::barrier();
  Model m = mlp(5);
  FitOptions o = options(2);
  o.callbacks = {std::make_shared<callbacks::CSVLogger>(dir + "/log.csv"),
                 std::make_shared<callbacks::ModelCheckpoint>(dir + "/w-{epoch}.npz", "loss", false, "auto", true)};
  CHECK(o.callbacks[0]->root_only());
  m.fit(d.x, d.y, o);
  // after fit's closing barrier, rank 0's files are there for everyone
  CHECK(std::filesystem::exists(dir + "/log.csv"));
  CHECK(std::filesystem::exists(dir + "/w-2.npz"));
  std::ifstream f(dir + "/log.csv");
  std::string line;
  int lines = 0;
  while (std::getline(f, line)) ++lines;
  CHECK(lines == 3);  // a header and two epochs, written once
  dist::barrier();
  if (dist::is_root()) std::filesystem::remove_all(dir);
}

TEST_CASE("a model or data that differs between ranks is a ValueError on every rank", "[distributed][errors]") {
  const Data d = make_data();
  // (with one rank, nothing can differ: every call below succeeds)
  const bool many = dist::size() > 1;
  auto throws_with = [&](const std::function<void()>& f, const std::string& text) {
    try {
      f();
    } catch (const ValueError& e) {
      return many && std::string(e.what()).find(text) != std::string::npos;
    }
    return !many;
  };
  Model other = mlp(1, dist::rank() == 1 ? 5 : 6);
  CHECK(throws_with([&] { other.fit(d.x, d.y, options(1)); }, "differs between ranks"));
  Model m = mlp(1);
  const Data fewer = make_data(dist::rank() == 0 ? 13 : 12);
  CHECK(throws_with([&] { m.fit(fewer.x, fewer.y, options(1)); }, "same data on every rank"));
  // weights that drifted apart are caught by the hash check
  m.fit(d.x, d.y, options(1));
  if (dist::rank() == 1) {
    Variable k = m.trainable_weights()[0];
    k.assign(add(k.value(), 1e-9));
  }
  CHECK(throws_with([&] { dist::check_identical_weights(m); }, "differ in the weights"));
}

TEST_CASE("a hand-written loop: shard, reduce_gradients, the one-process gradient", "[distributed][tape]") {
  const Data d = make_data(10);
  Model m = mlp(8, 6, true);
  Model ref = mlp(8, 6, true);
  auto loss_of = [](Model& model, const Tensor& x, const Tensor& y) {
    return model.compute_loss({y}, model.apply({x}, true), Tensor());
  };
  // the global batch is all 10 rows; this rank takes its balanced slice
  const auto [b, e] = dist::batch_slice(10, dist::rank(), dist::size());
  std::vector<Tensor> grads;
  {
    GradientTape tape;
    const Tensor l = loss_of(m, slice_axis(d.x, 0, b, e), slice_axis(d.y, 0, b, e));
    grads = tape.gradient(l, m.trainable_weights());
  }
  grads = dist::reduce_gradients(grads, e - b, 10);
  GradientTape tape;
  const Tensor l = loss_of(ref, d.x, d.y);
  const std::vector<Tensor> want = tape.gradient(l, ref.trainable_weights());
  for (std::size_t i = 0; i < want.size(); ++i) {
    std::string why;
    const bool ok = close(grads[i], want[i], 1e-12, why);
    INFO("gradient " << i << ": " << why);
    CHECK(ok);
  }
  // Dataset::shard: the ranks' shards are disjoint and cover every example
  const data::Dataset shard = data::Dataset::from_tensors({iota({10})}).shard(dist::size(), dist::rank());
  double local = 0;
  for (const auto& ex : shard) local += ex[0].item<double>() + 1;
  const double total = dist::allreduce_sum({Tensor::scalar(local, DType::float64)})[0].item<double>();
  CHECK(total == 55.0);
  CHECK_THROWS_AS(dist::reduce_gradients(grads, 11, 10), ValueError);
}

namespace {
/// A model whose train_step is written out by hand, as Keras users override it.
struct HandStep : Model {
  HandStep(const Model& m, bool reduce) : Model(m.inputs(), m.outputs(), "hand"), reduce_(reduce) {}
  Logs train_step(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const Tensor& sw) override {
    const std::vector<Variable> params = trainable_weights();
    GradientTape tape;
    const std::vector<Tensor> y_pred = apply(x, true);
    const Tensor loss = compute_loss(y, y_pred, sw);
    std::vector<Tensor> grads = tape.gradient(loss, params);
    if (reduce_) grads = reduce_gradients(grads);
    optimizer()->apply_gradients(grads, params);
    return update_metrics(y, y_pred, sw, loss);
  }
  bool reduce_;
};
}  // namespace

TEST_CASE("an overridden train_step reduces through Model::reduce_gradients, or fit refuses it",
          "[distributed][fit]") {
  const Data d = make_data();
  HandStep hand(mlp(31, 6, true), true);
  hand.compile(optimizers::SGD(0.2, 0.9), "sparse_categorical_crossentropy");
  hand.fit(d.x, d.y, options(2));
  Model ref = mlp(31, 6, true);
  fit_alone(ref, d, options(2));
  check_weights_close(hand, ref, 1e-12);
  CHECK(same_on_every_rank(dist::weights_hash(hand)));
  HandStep forgets(mlp(31, 6, true), false);
  forgets.compile(optimizers::SGD(0.2, 0.9), "sparse_categorical_crossentropy");
  if (dist::size() > 1)
    CHECK_THROWS_WITH(forgets.fit(d.x, d.y, options(1)), Catch::Contains("must pass its gradients through"));
  else
    CHECK_NOTHROW(forgets.fit(d.x, d.y, options(1)));  // a world of one has nothing to reduce
}
