// Saving whole models and weights (.strata, .npz), checkpoints that resume training bitwise
// (BackupAndRestore), ModelCheckpoint, and saves that survive being killed midway.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {

/// Two blobs in 4-D with labels 0/1.
std::pair<Tensor, Tensor> blobs(std::int64_t n = 96) {
  Generator g(3);
  std::vector<double> xs, ys;
  for (std::int64_t i = 0; i < n; ++i) {
    const int c = static_cast<int>(i % 2);
    for (int d = 0; d < 4; ++d) xs.push_back(g.normal() * 0.7 + (c ? 1.0 : -1.0) * (d % 2 ? 1 : -1));
    ys.push_back(c);
  }
  return {Tensor::from_vector(xs, {n, 4}), Tensor::from_vector(ys, {n}, DType::int64)};
}

/// The same model every time for a seed: Dense, Dropout (random masks), BatchNormalization
/// (non-trainable state), Dense.
std::shared_ptr<Model> make_model(std::uint64_t seed) {
  clear_session();
  set_seed(seed);
  KerasTensor in = Input({4}, DType::float32, "x");
  KerasTensor h = layers::Dense(16, "relu")(in);
  h = layers::Dropout(0.3)(h);
  h = layers::BatchNormalization()(h);
  auto m = std::make_shared<Model>(in, layers::Dense(2)(h), "clf");
  m->compile(optimizers::Adam(0.01), losses::SparseCategoricalCrossentropy(true), {"accuracy"});
  return m;
}

bool same_weights(const Model& a, const Model& b) {
  const auto wa = a.get_weights(), wb = b.get_weights();
  if (wa.size() != wb.size()) return false;
  for (std::size_t i = 0; i < wa.size(); ++i)
    if (!array_equal(wa[i], wb[i])) return false;
  return true;
}

FitOptions quiet(int epochs) {
  FitOptions o;
  o.epochs = epochs;
  o.batch_size = 16;
  o.verbose = 0;
  return o;
}

}  // namespace

TEST_CASE(".strata archives keep architecture, weights, optimizer state and the epoch", "[io][saving]") {
  auto [x, y] = blobs();
  auto m = make_model(1);
  CHECK(m->epochs_completed == 0);
  m->fit(x, y, quiet(2));
  CHECK(m->epochs_completed == 2);
  const std::string path = temp_path("model.strata");
  m->save(path);
  std::shared_ptr<Model> back = io::load_model(path);
  CHECK(back->epochs_completed == 2);
  CHECK(back->to_json() == m->to_json());
  CHECK(same_weights(*back, *m));
  CHECK(allclose(back->predict(x), m->predict(x), 0, 0));
  // NumPy reads the archive's weights
  const auto [status, out] = run_command(
      "/usr/bin/python3 -c \"import zipfile, io, numpy as np; z = zipfile.ZipFile('" + path +
      "'); print(sorted(n for n in z.namelist() if n.startswith('weights/'))[0], "
      "np.load(io.BytesIO(z.read('weights/dense/kernel.npy'))).shape)\"");
  INFO(out);
  CHECK(status == 0);
  CHECK(out == "weights/batch_normalization/beta.npy (4, 16)\n");
  // into a compiled model, load_weights restores the optimizer too: both continue identically
  auto fresh = make_model(99);
  fresh->load_weights(path);
  CHECK(same_weights(*fresh, *m));
  CHECK(fresh->optimizer()->iterations() == m->optimizer()->iterations());
  CHECK(fresh->epochs_completed == 2);
  // epoch 3 of both, resumed at the saved epoch (initial_epoch, as in Keras)
  FitOptions third = quiet(3);
  third.initial_epoch = fresh->epochs_completed;
  set_seed(5);
  m->fit(x, y, third);
  set_seed(5);
  const callbacks::History h = fresh->fit(x, y, third);
  CHECK(h.epochs() == std::vector<int>{2});
  CHECK(fresh->epochs_completed == 3);
  CHECK(same_weights(*fresh, *m));
  // a damaged epoch count is an IOError naming the file, not a silent 0
  const std::string bad = temp_path("bad_epoch.strata");
  const auto [rc, msg] = run_command(
      "/usr/bin/python3 -c \"import zipfile, json; src = zipfile.ZipFile('" + path + "'); dst = zipfile.ZipFile('" +
      bad + "', 'w')\n" +
      "for n in src.namelist():\n" +
      "    d = src.read(n)\n" +
      "    if n == 'metadata.json': m = json.loads(d); m['epoch'] = 10**12; d = json.dumps(m).encode()\n" +
      "    dst.writestr(n, d)\n" +
      "dst.close()\"");
  INFO(msg);
  REQUIRE(rc == 0);
  CHECK_THROWS_AS(io::load_model(bad), IOError);
  CHECK_THROWS_WITH(io::load_model(bad), Catch::Contains("bad_epoch.strata") && Catch::Contains("epoch is 1000000000000"));
}

TEST_CASE("weights alone: .npz by name, errors on a mismatch", "[io][saving]") {
  auto m = make_model(2);
  const std::string path = temp_path("w.npz");
  m->save_weights(path);
  const io::NamedTensors arrays = io::load_npz(path);
  CHECK(arrays.size() == m->get_weights().size());
  CHECK(arrays.front().first == "dense/kernel");
  auto other = make_model(3);
  CHECK_FALSE(same_weights(*other, *m));
  other->load_weights(path);
  CHECK(same_weights(*other, *m));
  // a model with other layers: the error names the missing weight
  clear_session();
  KerasTensor in = Input({4});
  Model wider(in, layers::Dense(5)(in));
  CHECK_THROWS_WITH(wider.load_weights(path), Catch::Contains("w.npz") && Catch::Contains("shape"));
  CHECK_THROWS_WITH(m->save_weights(temp_path("w.bin")), Catch::Contains(".npz"));
  CHECK_THROWS_AS(io::load_model(temp_path("w.npz")), IOError);  // not a model archive
}

TEST_CASE("BackupAndRestore resumes an interrupted fit bitwise", "[io][saving][determinism]") {
  auto [x, y] = blobs();
  ThreadsGuard threads;
  set_num_threads(1);
  // uninterrupted: 4 epochs
  auto full = make_model(11);
  full->fit(x, y, quiet(4));
  // interrupted after epoch 2 (index 1): the process "dies" by an exception
  const std::string dir = temp_path("backup");
  auto first = make_model(11);
  auto backup = std::make_shared<callbacks::BackupAndRestore>(dir);
  auto crash = std::make_shared<callbacks::LambdaCallback>();
  crash->on_epoch_end_fn = [](int epoch, Logs&) {
    if (epoch == 1) throw std::runtime_error("killed");
  };
  FitOptions o = quiet(4);
  o.callbacks = {backup, crash};
  CHECK_THROWS_WITH(first->fit(x, y, o), "killed");
  CHECK(std::ifstream(backup->backup_path()).good());
  // a new run of the same program: same seed, same model, same callbacks
  auto second = make_model(11);
  FitOptions o2 = quiet(4);
  int epochs_run = 0;
  auto count = std::make_shared<callbacks::LambdaCallback>();
  count->on_epoch_begin_fn = [&](int, Logs&) { ++epochs_run; };
  o2.callbacks = {std::make_shared<callbacks::BackupAndRestore>(dir), count};
  History h = second->fit(x, y, o2);
  CHECK(epochs_run == 2);  // epochs 3 and 4 only
  CHECK(same_weights(*second, *full));
  CHECK(second->optimizer()->iterations() == full->optimizer()->iterations());
  CHECK_FALSE(std::ifstream(dir + "/backup.strata").good());  // deleted once training completed
}

TEST_CASE("ModelCheckpoint saves every epoch or the best one", "[io][saving]") {
  auto [x, y] = blobs();
  auto m = make_model(4);
  const std::string pattern = temp_path("ckpt-{epoch:02d}-{loss:.3f}.strata");
  auto every = std::make_shared<callbacks::ModelCheckpoint>(pattern, "loss");
  const std::string best_path = temp_path("best.npz");
  auto best = std::make_shared<callbacks::ModelCheckpoint>(best_path, "val_loss", /*save_best_only=*/true);
  FitOptions o = quiet(3);
  o.validation_split = 0.25;
  o.callbacks = {every, best};
  History h = m->fit(x, y, o);
  for (int e = 0; e < 3; ++e) {
    Logs logs;
    logs.set("loss", h.get("loss")[static_cast<std::size_t>(e)]);
    const std::string p = every->path_for(e, logs);
    INFO(p);
    CHECK(p.find("ckpt-0" + std::to_string(e + 1) + "-") != std::string::npos);
    CHECK(io::load_model(p)->count_params() == m->count_params());
  }
  // the best validation loss is what the .npz holds
  const auto& vl = h.get("val_loss");
  CHECK(best->best() == *std::min_element(vl.begin(), vl.end()));
  CHECK(io::load_npz(best_path).size() == m->get_weights().size());
  CHECK_THROWS_WITH(callbacks::ModelCheckpoint("x-{nope}.strata").path_for(0, Logs()), Catch::Contains("nope"));
}

TEST_CASE("a save killed midway leaves the previous file loadable", "[io][saving][safety]") {
  // a model of ~8 MB, so that a save takes a while
  clear_session();
  set_seed(8);
  KerasTensor in = Input({1024});
  Model big(in, layers::Dense(2048)(in), "big");
  const std::string path = temp_path("killed.strata");
  big.save(path);
  const std::vector<Tensor> before = big.get_weights();
  for (int delay_us : {0, 2000, 8000, 20000, 60000}) {
    INFO("killed after " << delay_us << " us");
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {  // saves over and over until killed
      for (;;) big.save(path);
    }
    usleep(static_cast<useconds_t>(delay_us));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFSIGNALED(status));
    std::shared_ptr<Model> back = io::load_model(path);  // never a half-written archive
    const std::vector<Tensor> w = back->get_weights();
    REQUIRE(w.size() == before.size());
    for (std::size_t i = 0; i < w.size(); ++i) CHECK(array_equal(w[i], before[i]));
  }
}
