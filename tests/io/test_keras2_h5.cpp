// Keras 2's HDF5 files (model.save("m.h5") and save_weights("w.h5") in Keras 2 and tf.keras,
// and what Keras 3 writes for a .h5 name). tests/fixtures/keras2/keras2_files.py writes them with
// h5py in Keras 2's exact layout, with numpy's outputs for their weights; strata must load them,
// and the files strata writes must read back in that layout (the script checks them with h5py).
#include <cstdio>
#include <fstream>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {

/// The fixtures, made once per run in a temporary folder.
const std::string& fixtures() {
  static const std::string dir = [] {
    const std::string d = temp_path("keras2_fixtures");
    run_command("mkdir -p " + d);
    const auto [rc, out] = run_command("/usr/bin/python3 " + fixture("keras2/keras2_files.py") + " make " + d);
    INFO(out);
    REQUIRE(rc == 0);
    return d;
  }();
  return dir;
}

std::string at(const std::string& name) { return fixtures() + "/" + name; }

std::shared_ptr<Model> mlp() {
  using namespace strata::layers;
  clear_session();
  auto m = std::make_shared<Sequential>(
      std::vector<LayerRef>{Dense(4, "relu"), BatchNormalization(), Dense(2, "softmax")}, "sequential");
  m->build({-1, 5});
  return m;
}

void copy_file(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(to, std::ios::binary);
  out << in.rdbuf();
}

}  // namespace

TEST_CASE("Keras 2 whole-model .h5 files load with their weights", "[io][keras2]") {
  for (const char* name : {"mlp", "rnn"}) {
    INFO(name);
    const auto m = io::load_model(at(std::string(name) + ".h5"));
    const Tensor x = io::load_npy(at(std::string(name) + "_x.npy"));
    CHECK(allclose(m->predict(x), io::load_npy(at(std::string(name) + "_y.npy")), 1e-5, 1e-6));
  }
  SECTION("as Keras 3 writes a .h5 name: UTF-8 strings, nested weight names, top_level_model_weights") {
    const auto m = io::load_model(at("k3_legacy.h5"));
    CHECK(allclose(m->predict(io::load_npy(at("mlp_x.npy"))), io::load_npy(at("mlp_y.npy")), 1e-5, 1e-6));
  }
  SECTION("told apart by content: an HDF5 file named .keras loads") {
    const std::string renamed = temp_path("mlp_named.keras");
    copy_file(at("mlp.h5"), renamed);
    CHECK(allclose(io::load_model(renamed)->predict(io::load_npy(at("mlp_x.npy"))), io::load_npy(at("mlp_y.npy")),
                   1e-5, 1e-6));
  }
}

TEST_CASE("Keras 2 weights-only .h5 files load by layer order or by name", "[io][keras2]") {
  const Tensor x = io::load_npy(at("mlp_x.npy")), y = io::load_npy(at("mlp_y.npy"));
  SECTION("by the order of the layers that have weights, as Keras 2's load_weights") {
    auto m = mlp();
    m->load_weights(at("mlp_weights.h5"));
    CHECK(allclose(m->predict(x), y, 1e-5, 1e-6));
    auto w = mlp();
    w->load_weights(at("mlp.h5"));  // a whole-model file's weights load too
    CHECK(allclose(w->predict(x), y, 1e-5, 1e-6));
  }
  SECTION("by name: other layers keep their weights; skip_mismatch skips a layer that does not fit") {
    using namespace strata::layers;
    clear_session();
    auto m = std::make_shared<Sequential>(
        std::vector<LayerRef>{Dense(4, "relu", true), BatchNormalization(), Dense(3, "softmax")}, "other");
    m->build({-1, 5});
    const std::vector<Tensor> before = m->get_weights();
    CHECK_THROWS_AS(io::load_weights(*m, at("mlp_weights.h5"), io::LoadOptions{true, false}), ValueError);
    CHECK(allclose(m->get_weights()[0], before[0], 0, 0));  // nothing assigned by the refused load
    io::load_weights(*m, at("mlp_weights.h5"), io::LoadOptions{true, true});
    auto ref = mlp();
    ref->load_weights(at("mlp_weights.h5"));
    CHECK(allclose(m->get_weights()[0], ref->get_weights()[0], 0, 0));  // dense: loaded
    CHECK(allclose(m->get_weights()[2], ref->get_weights()[2], 0, 0));  // batch_normalization: loaded
    CHECK(allclose(m->get_weights()[6], before[6], 0, 0));              // dense_1 [4, 3]: skipped
    CHECK_THROWS_WITH(io::load_weights(*m, at("mlp_weights.h5"), io::LoadOptions{false, true}),
                      Catch::Contains("skip_mismatch needs by_name"));
  }
  SECTION("a model with another number of layers with weights is refused naming both lists") {
    using namespace strata::layers;
    clear_session();
    auto m = std::make_shared<Sequential>(std::vector<LayerRef>{Dense(4, "relu"), Dense(2)}, "short");
    m->build({-1, 5});
    CHECK_THROWS_WITH(m->load_weights(at("mlp_weights.h5")),
                      Catch::Contains("3 layers") && Catch::Contains("batch_normalization") &&
                          Catch::Contains("2 layers with weights"));
  }
}

TEST_CASE("HDF5 files that hold no Keras model say what they are", "[io][keras2][errors]") {
  CHECK_THROWS_WITH(io::load_model(at("mlp_weights.h5")),
                    Catch::Contains("without a Keras model_config attribute") &&
                        Catch::Contains("a Keras 2 weights file"));
  const std::string k3 = temp_path("k3_only.weights.h5");
  mlp()->save_weights(k3);
  CHECK_THROWS_WITH(io::load_model(k3), Catch::Contains("Keras 3 weights file"));
  const std::string text = temp_path("text.h5");
  std::ofstream(text) << "not hdf5";
  CHECK_THROWS_WITH(io::load_model(text), Catch::Contains("not an HDF5 file"));
}

TEST_CASE("strata writes Keras 2's layout for .h5 names, read back by h5py and by strata", "[io][keras2]") {
  const std::string dir = temp_path("keras2_out");
  run_command("mkdir -p " + dir);
  auto m = mlp();
  m->load_weights(at("mlp_weights.h5"));
  m->save(dir + "/strata_mlp.h5");
  m->save_weights(dir + "/strata_mlp_weights.h5");
  const Tensor x = io::load_npy(at("mlp_x.npy"));
  io::save_npy(dir + "/mlp_x.npy", x);
  io::save_npy(dir + "/strata_y.npy", m->predict(x));
  const auto [rc, out] = run_command("/usr/bin/python3 " + fixture("keras2/keras2_files.py") + " check " + dir);
  INFO(out);
  CHECK(rc == 0);
  CHECK(out.find("keras2_files.py check: ok") != std::string::npos);
  // and strata reads its own files
  CHECK(allclose(io::load_model(dir + "/strata_mlp.h5")->predict(x), m->predict(x), 0, 0));
  auto w = mlp();
  w->load_weights(dir + "/strata_mlp_weights.h5");
  CHECK(allclose(w->predict(x), m->predict(x), 0, 0));
}
