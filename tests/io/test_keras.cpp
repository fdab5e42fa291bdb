// Keras 3 files: .keras archives and .weights.h5 in Keras's HDF5 layout. The fixtures in
// tests/fixtures/keras were written with h5py and numpy by keras_files.py following the layout
// Keras 3 writes, with outputs computed by numpy; the same script reads back (with h5py) the
// files strata saves and recomputes their outputs.
#include <atomic>
#include <fstream>
#include <thread>

#include "support/helpers.hpp"
#include "io/keras.hpp"
#include "strata/io/npy.hpp"

using namespace strata;
using namespace strata::testing;

namespace {

/// keras_files.py's "branch" model, built in code with the layers created in another order
/// than Keras lists them: weights are found by Keras's depth order, not by creation order.
std::shared_ptr<Model> branch_model() {
  clear_session();
  set_seed(11);
  KerasTensor x = Input({4}, DType::float32, "x");
  auto head = std::make_shared<layers::Dense>(2);
  head->set_name("head");
  auto left = std::make_shared<layers::Dense>(3, "relu");
  left->set_name("left");
  auto right = std::make_shared<layers::Dense>(3);
  right->set_name("right");
  auto pre = std::make_shared<layers::Dense>(5, "tanh");
  pre->set_name("pre");
  auto cat = std::make_shared<layers::Concatenate>();
  cat->set_name("cat");
  KerasTensor l = (*left)(x);
  KerasTensor r = (*right)((*pre)(x));
  return std::make_shared<Model>(x, (*head)((*cat)({l, r})), "branch");
}

std::shared_ptr<Model> rnn_model() {
  clear_session();
  set_seed(12);
  auto m = std::make_shared<Sequential>(std::vector<layers::LayerRef>{layers::LSTM(4), layers::Dense(2, "sigmoid")}, "rnn");
  m->build({-1, 5, 3});
  return m;
}

void check_predicts(Model& m, const std::string& name) {
  const Tensor x = io::load_npy(fixture("keras/" + name + "_x.npy"));
  const Tensor y = io::load_npy(fixture("keras/" + name + "_y.npy"));
  const Tensor got = m.predict(x);
  REQUIRE(got.shape() == y.shape());
  CHECK(allclose(got, y, 1e-4, 1e-5));
}

void copy_file(const std::string& from, const std::string& to, std::size_t keep = std::string::npos) {
  std::ifstream in(from, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(to, std::ios::binary) << data.substr(0, keep);
}

}  // namespace

TEST_CASE("a .keras archive in Keras 3's format loads and predicts as numpy computes", "[io][keras]") {
  auto m = io::load_model(fixture("keras/branch.keras"));
  CHECK(m->name() == "branch");
  CHECK(m->layers().size() == 6);
  auto pre = std::dynamic_pointer_cast<layers::Dense>(m->get_layer("pre"));
  REQUIRE(pre);
  CHECK(pre->units == 5);
  CHECK(pre->kernel.shape() == Shape{4, 5});
  check_predicts(*m, "branch");
}

TEST_CASE("a Sequential .keras archive with Keras 3's LSTM config loads and predicts", "[io][keras]") {
  auto m = io::load_model(fixture("keras/rnn.keras"));
  CHECK(m->class_name() == "Sequential");
  CHECK(m->name() == "rnn");
  REQUIRE(m->layers().size() == 2);
  auto lstm = std::dynamic_pointer_cast<layers::LSTM>(m->layers()[0]);
  REQUIRE(lstm);
  CHECK(lstm->units == 4);
  check_predicts(*m, "rnn");
}

TEST_CASE(".weights.h5 in Keras's layout loads into models built in code", "[io][keras]") {
  auto branch = branch_model();
  branch->load_weights(fixture("keras/branch.weights.h5"));
  check_predicts(*branch, "branch");
  // the weights of a .keras archive too
  auto again = branch_model();
  again->load_weights(fixture("keras/branch.keras"));
  check_predicts(*again, "branch");

  auto rnn = rnn_model();
  rnn->load_weights(fixture("keras/rnn.weights.h5"));
  check_predicts(*rnn, "rnn");
}

TEST_CASE("strata's .keras and .weights.h5 round-trip every kind of weight", "[io][keras]") {
  clear_session();
  set_seed(5);
  KerasTensor seq = Input({6, 3}, DType::float32, "seq");
  KerasTensor h = layers::Conv1D(4, 2, 1, "valid", "relu")(seq);
  h = layers::BatchNormalization()(h);
  auto gru = std::make_shared<layers::GRU>(3);
  gru->return_sequences = true;
  h = layers::Bidirectional(gru)(h);
  h = layers::TimeDistributed(layers::Dense(2))(h);
  KerasTensor att = layers::MultiHeadAttention(2, 3)({h, h});
  KerasTensor out = layers::Dense(1)(layers::GlobalAveragePooling1D()(att));
  auto m = std::make_shared<Model>(seq, out, "kinds");
  // non-trivial BatchNormalization statistics
  for (const Variable& v : m->weights()) {
    Variable w = v;
    if (v.name().find("moving") != std::string::npos) w.assign(Tensor::random_uniform(v.shape(), 0.5, 1.5));
  }
  const Tensor x = Tensor::random_normal({3, 6, 3});
  const Tensor y = m->predict(x);

  const std::string keras_path = temp_path("kinds.keras");
  m->save(keras_path);
  auto loaded = io::load_model(keras_path);
  CHECK(array_equal(loaded->predict(x), y));
  CHECK(loaded->count_params() == m->count_params());

  const std::string h5_path = temp_path("kinds.weights.h5");
  m->save_weights(h5_path);
  auto fresh = io::load_model(keras_path);  // same architecture
  for (const Variable& v : fresh->weights()) {
    Variable w = v;
    w.assign(zeros_like(v.value()));
  }
  CHECK_FALSE(array_equal(fresh->predict(x), y));
  fresh->load_weights(h5_path);
  CHECK(array_equal(fresh->predict(x), y));
}

TEST_CASE(".weights.h5 loads while another thread allocates tensors", "[io][keras][threads]") {
  // Each load forks a reader process. A thread that holds the tensor allocator's lock at that
  // moment does not exist in the child; the lock is held across fork() so the child never
  // inherits it taken (it would wait forever on its first tensor of 16 KiB or more).
  set_seed(3);
  Sequential m({layers::Dense(64), layers::Dense(8)});
  m(Tensor::zeros({1, 100}));  // a 100 x 64 kernel: 25.6 KB, from the allocator's cache
  const std::string path = temp_path("stress.weights.h5");
  m.save_weights(path);
  std::atomic<bool> stop{false};
#if defined(__SANITIZE_ADDRESS__)
  // Under AddressSanitizer strata's buffer cache is compiled out and ASan's own allocator is
  // not safe across fork() while another thread allocates (GCC 12's libasan): the child can
  // stall inside it. The loads below then run without the allocating thread.
  stop = true;
#endif
  std::thread churn([&] {
    while (!stop) {
      Tensor t = Tensor::zeros({8192});  // 32 KiB buffers in and out of the cache
      (void)t;
    }
  });
  Sequential loaded({layers::Dense(64), layers::Dense(8)});
  loaded(Tensor::zeros({1, 100}));
  bool all = true;
  for (int i = 0; i < 40 && all; ++i) {
    try {
      loaded.load_weights(path);
    } catch (const std::exception& e) {
      all = false;
      FAIL_CHECK(e.what());
    }
  }
  stop = true;
  churn.join();
  CHECK(all);
  CHECK(array_equal(loaded.get_weights()[0], m.get_weights()[0]));
}

TEST_CASE("HDF5 datasets of other types, links, nested models and damaged .keras archives", "[io][keras]") {
  // A Dense(3) on 4 inputs written by h5py in Keras's layout in several ways (Keras writes
  // float32; other writers may store float16, integers, or compress).
  const std::string dir = temp_path("h5_kinds");
  REQUIRE(run_command("mkdir -p " + dir).first == 0);
  const std::string script = dir + "/make.py";
  std::ofstream(script) << R"(import sys, h5py, numpy as np, zipfile, json
d = sys.argv[1]
k = (np.arange(12).reshape(4, 3) / 4.0)
def write(name, kernel, bias, **kw):
    with h5py.File(f"{d}/{name}", "w") as f:
        f.create_group("vars")
        v = f.create_group("layers/dense/vars")
        v.create_dataset("0", data=kernel, **kw)
        v.create_dataset("1", data=bias, **kw)
write("f16.weights.h5", k.astype(np.float16), np.array([1, 2, 3], np.float16))
write("ints.weights.h5", np.arange(12, dtype=np.int32).reshape(4, 3), np.array([1, 2, 3], np.int64))
write("gzip.weights.h5", k.astype(np.float32), np.array([1, 2, 3], np.float32), compression="gzip")
with h5py.File(f"{d}/soft.weights.h5", "w") as f:
    f.create_group("vars")
    v = f.create_group("layers/dense/vars")
    v.create_dataset("x", data=k.astype(np.float32))
    v["0"] = h5py.SoftLink("/layers/dense/vars/x")
    v.create_dataset("1", data=np.zeros(3, np.float32))
with h5py.File(f"{d}/external.weights.h5", "w") as f:
    f.create_group("vars")
    v = f.create_group("layers/dense/vars")
    v["0"] = h5py.ExternalLink("gzip.weights.h5", "/layers/dense/vars/0")
    v.create_dataset("1", data=np.zeros(3, np.float32))
w = open(f"{d}/gzip.weights.h5", "rb").read()
def archive(name, entries):
    with zipfile.ZipFile(f"{d}/{name}", "w") as z:
        for n, b in entries.items(): z.writestr(n, b)
archive("noconfig.keras", {"metadata.json": "{}", "model.weights.h5": w})
archive("npz.keras", {"config.json": "{}", "model.weights.npz": b"x"})
archive("badjson.keras", {"config.json": "{not json", "model.weights.h5": w})
)";
  const auto [rc, out] = run_command("/usr/bin/python3 " + script + " " + dir);
  INFO(out);
  REQUIRE(rc == 0);
  auto dense = [] {
    auto m = std::make_shared<Sequential>(std::vector<layers::LayerRef>{layers::Dense(3)});
    m->build({-1, 4});
    return m;
  };
  std::vector<double> kernel(12);
  for (int i = 0; i < 12; ++i) kernel[static_cast<std::size_t>(i)] = i / 4.0;
  for (const char* name : {"f16.weights.h5", "gzip.weights.h5"}) {
    INFO(name);
    auto m = dense();
    m->load_weights(dir + "/" + name);
    CHECK_TENSOR(m->get_weights()[0], {4, 3}, kernel);  // quarters are exact in float16
    CHECK_TENSOR(m->get_weights()[1], {3}, {1, 2, 3});
  }
  {
    auto m = dense();
    m->load_weights(dir + "/ints.weights.h5");
    CHECK_TENSOR(m->get_weights()[0], {4, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  }
  for (const char* name : {"soft.weights.h5", "external.weights.h5"}) {
    INFO(name);
    CHECK_THROWS_AS(dense()->load_weights(dir + "/" + name), IOError);
    CHECK_THROWS_WITH(dense()->load_weights(dir + "/" + name), Catch::Contains(name) && Catch::Contains("not a hard link"));
  }
  CHECK_THROWS_WITH(io::load_model(dir + "/noconfig.keras"), Catch::Contains("noconfig.keras") && Catch::Contains("no config.json"));
  CHECK_THROWS_WITH(io::load_model(dir + "/npz.keras"), Catch::Contains("npz.keras") && Catch::Contains("model.weights.npz"));
  CHECK_THROWS_AS(io::load_model(dir + "/badjson.keras"), IOError);
  CHECK_THROWS_WITH(io::load_model(dir + "/badjson.keras"), Catch::Contains("badjson.keras:config.json"));

  // a functional model nested in another: its weights under layers/functional/layers/...
  clear_session();
  set_seed(4);
  KerasTensor a = Input({4});
  auto inner = std::make_shared<Model>(a, layers::Dense(3)(a), "inner");
  KerasTensor x = Input({4});
  Model outer(x, layers::Dense(2)((*inner)(x)));
  const std::string nested = dir + "/nested.weights.h5";
  outer.save_weights(nested);
  const auto [rc2, listing] = run_command(
      "/usr/bin/python3 -c \"import h5py; f = h5py.File('" + nested + "'); f.visit(lambda n: print(n))\"");
  REQUIRE(rc2 == 0);
  CHECK_THAT(listing, Catch::Contains("layers/functional/layers/dense/vars/0\n") &&
                          Catch::Contains("layers/functional/layers/dense/vars/1\n") &&
                          Catch::Contains("layers/dense/vars/0\n"));
  KerasTensor a2 = Input({4});
  auto inner2 = std::make_shared<Model>(a2, layers::Dense(3)(a2), "inner");
  KerasTensor x2 = Input({4});
  Model again(x2, layers::Dense(2)((*inner2)(x2)));
  again.load_weights(nested);
  const Tensor probe = Tensor::random_normal({5, 4});
  CHECK(array_equal(again.predict(probe), outer.predict(probe)));
}

TEST_CASE("h5py reads the .keras and .weights.h5 files strata writes", "[io][keras]") {
  const std::string dir = temp_path("for_h5py");
  REQUIRE(run_command("mkdir -p " + dir).first == 0);
  auto branch = branch_model();
  const Tensor bx = Tensor::random_normal({4, 4});
  branch->save(dir + "/branch.keras");
  io::save_npy(dir + "/branch_x.npy", bx);
  io::save_npy(dir + "/branch_y.npy", branch->predict(bx));
  auto rnn = rnn_model();
  const Tensor rx = Tensor::random_normal({3, 5, 3});
  rnn->save_weights(dir + "/rnn.weights.h5");
  io::save_npy(dir + "/rnn_x.npy", rx);
  io::save_npy(dir + "/rnn_y.npy", rnn->predict(rx));
  const auto [rc, out] = run_command("/usr/bin/python3 " + fixture("keras/keras_files.py") + " check " + dir);
  INFO(out);
  CHECK(rc == 0);
  CHECK(out.find("keras_files.py check: ok") != std::string::npos);
}

TEST_CASE("Keras weight files that do not fit the model, or are damaged, throw naming the problem", "[io][keras]") {
  // a layer with another size: the path and both shapes
  {
    clear_session();
    KerasTensor x = Input({4}, DType::float32, "x");
    KerasTensor l = layers::Dense(3, "relu")(x);
    KerasTensor r = layers::Dense(3)(layers::Dense(6, "tanh")(x));
    Model wrong(x, layers::Dense(2)(layers::Concatenate()({l, r})));
    CHECK_THROWS_WITH(wrong.load_weights(fixture("keras/branch.weights.h5")),
                      Catch::Contains("branch.weights.h5") && Catch::Contains("layers/dense/vars/0") &&
                          Catch::Contains("[4, 5]") && Catch::Contains("[4, 6]"));
  }
  // a layer the file does not have
  CHECK_THROWS_WITH(rnn_model()->load_weights(fixture("keras/branch.weights.h5")),
                    Catch::Contains("branch.weights.h5") && Catch::Contains("no weight at 'layers/lstm/cell/vars/0'"));
  // fewer variables in the model than in the file (no bias)
  {
    clear_session();
    auto m = std::make_shared<Sequential>(
        std::vector<layers::LayerRef>{layers::LSTM(4), layers::Dense(2, "sigmoid", /*use_bias=*/false)});
    m->build({-1, 5, 3});
    CHECK_THROWS_WITH(m->load_weights(fixture("keras/rnn.weights.h5")),
                      Catch::Contains("layers/dense/vars") && Catch::Contains("holds 2 variables"));
  }
  // truncated, not HDF5, absurd sizes: IOError naming the file, before any big allocation
  const std::string cut = temp_path("cut.weights.h5");
  copy_file(fixture("keras/branch.weights.h5"), cut, 3000);
  CHECK_THROWS_AS(branch_model()->load_weights(cut), IOError);
  CHECK_THROWS_WITH(branch_model()->load_weights(cut), Catch::Contains("cut.weights.h5"));
  const std::string text = temp_path("text.weights.h5");
  std::ofstream(text) << "not hdf5 at all";
  CHECK_THROWS_WITH(branch_model()->load_weights(text), Catch::Contains("text.weights.h5") && Catch::Contains("HDF5"));
  {
    clear_session();
    auto m = std::make_shared<Sequential>(std::vector<layers::LayerRef>{layers::Dense(8)});
    m->build({-1, 4});
    CHECK_THROWS_WITH(m->load_weights(fixture("keras/absurd.weights.h5")),
                      Catch::Contains("absurd.weights.h5") && Catch::Contains("absurdly large"));
  }
  // Files on which HDF5 1.10.8 itself allocates hundreds of GB from a corrupt heap size and
  // then uses the failed allocation (found by fuzzing): HDF5 runs in a child process, so the
  // load throws instead of crashing.
  for (const char* name : {"hostile_heap.weights.h5", "hostile_null.weights.h5"}) {
    INFO(name);
    CHECK_THROWS_AS(rnn_model()->load_weights(fixture(std::string("keras/") + name)), IOError);
    CHECK_THROWS_WITH(rnn_model()->load_weights(fixture(std::string("keras/") + name)), Catch::Contains(name));
  }
  // a damaged .keras archive
  copy_file(fixture("keras/branch.keras"), temp_path("cut.keras"), 500);
  CHECK_THROWS_AS(io::load_model(temp_path("cut.keras")), IOError);
  CHECK_THROWS_WITH(io::load_model(temp_path("cut.keras")), Catch::Contains("cut.keras"));
}

namespace {
/// A user's layer whose Keras counterpart keeps its kernel in an inner object "proj".
class Projected : public layers::Layer {
 public:
  STRATA_LAYER(Projected)
  Shape compute_output_shape(const Shape& s) override { return {s[0], 2}; }
  std::vector<SavedPart> keras_saved_parts() const override { return {{"", {}, nullptr}, {"proj", {w_}, nullptr}}; }

 protected:
  void build(const Shape& s) override { w_ = add_weight("w", {s.back(), 2}); }
  Tensor call(const Tensor& x, bool) override { return matmul(x, w_); }

 private:
  Variable w_;
};
}  // namespace

TEST_CASE("each layer says where Keras 3 keeps its weights; the file formats name no layer", "[io][keras]") {
  clear_session();
  KerasTensor seq = Input({5, 3}, DType::float32, "seq");
  auto lstm = std::make_shared<layers::LSTM>(2);
  lstm->return_sequences = true;
  KerasTensor h = layers::Bidirectional(lstm)(seq);
  auto td = layers::TimeDistributed(layers::Dense(2))(h);
  KerasTensor att = layers::MultiHeadAttention(1, 2)({td, td});
  KerasTensor out = Projected()(layers::Flatten()(att));
  Model m(seq, out, "parts");
  std::vector<std::string> paths;
  for (const auto& [path, var] : io::keras::weight_paths(m)) paths.push_back(path + (var.defined() ? " " + var.shape().to_string() : ""));
  const std::vector<std::string> expected = {
      "vars",
      "layers/input_layer/vars",
      "layers/bidirectional/vars",
      "layers/bidirectional/backward_layer/vars",
      "layers/bidirectional/backward_layer/cell/vars/0 [3, 8]",
      "layers/bidirectional/backward_layer/cell/vars/1 [2, 8]",
      "layers/bidirectional/backward_layer/cell/vars/2 [8]",
      "layers/bidirectional/forward_layer/vars",
      "layers/bidirectional/forward_layer/cell/vars/0 [3, 8]",
      "layers/bidirectional/forward_layer/cell/vars/1 [2, 8]",
      "layers/bidirectional/forward_layer/cell/vars/2 [8]",
      "layers/time_distributed/vars",
      "layers/time_distributed/layer/vars/0 [4, 2]",
      "layers/time_distributed/layer/vars/1 [2]",
      "layers/multi_head_attention/vars",
      "layers/multi_head_attention/_key_dense/vars/0 [2, 1, 2]",
      "layers/multi_head_attention/_key_dense/vars/1 [1, 2]",
      "layers/multi_head_attention/_output_dense/vars/0 [1, 2, 2]",
      "layers/multi_head_attention/_output_dense/vars/1 [2]",
      "layers/multi_head_attention/_query_dense/vars/0 [2, 1, 2]",
      "layers/multi_head_attention/_query_dense/vars/1 [1, 2]",
      "layers/multi_head_attention/_value_dense/vars/0 [2, 1, 2]",
      "layers/multi_head_attention/_value_dense/vars/1 [1, 2]",
      "layers/flatten/vars",
      "layers/projected/vars",
      "layers/projected/proj/vars/0 [10, 2]",
  };
  CHECK(paths == expected);
}
