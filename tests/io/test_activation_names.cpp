// hard_sigmoid's two meanings through the file formats: Keras 3 (.keras, and strata's own
// format) mean relu6(x + 3) / 6; Keras 2 (.h5) and TensorFlow.js mean clip(0.2 x + 0.5, 0, 1),
// which strata calls hard_sigmoid_keras2 once loaded and writes back under their name.
#include <fstream>

#include "support/helpers.hpp"
#include "io/h5.hpp"

using namespace strata;
using namespace strata::testing;

namespace {

std::shared_ptr<Model> dense_model(const std::string& activation) {
  clear_session();
  set_seed(5);
  auto m = std::make_shared<Sequential>(std::vector<layers::LayerRef>{layers::Dense(3, activation)}, "hs");
  m->build({-1, 4});
  return m;
}

/// x W + b of the model's Dense, in float64.
Tensor pre_activation(Model& m, const Tensor& x) {
  const auto w = m.layers().back()->weights();
  return add(matmul(x, w[0].value().astype(DType::float64)), w[1].value().astype(DType::float64));
}

std::string activation_of(Model& m) { return m.layers().back()->get_config().at("activation").as_string(); }

}  // namespace

TEST_CASE("hard_sigmoid keeps each format's meaning", "[io][activations]") {
  const Tensor x = rnd({5, 4}, 3) * 4.0;
  SECTION("Keras 3's .keras and strata's own format: relu6(x + 3) / 6") {
    for (const char* ext : {".keras", ".strata"}) {
      INFO(ext);
      const std::string path = temp_path(std::string("hs3") + ext);
      io::save_model(*dense_model("hard_sigmoid"), path);
      auto m = io::load_model(path);
      CHECK(activation_of(*m) == "hard_sigmoid");
      const Tensor want = div(relu6(add(pre_activation(*m, x), 3.0)), 6.0);
      CHECK(allclose(m->predict(x.astype(DType::float32)).astype(DType::float64), want, 1e-5, 1e-6));
    }
  }
  SECTION("Keras 2's .h5 and TF.js: clip(0.2 x + 0.5, 0, 1), saved under their name hard_sigmoid") {
    for (io::Format f : {io::Format::h5, io::Format::tfjs}) {
      const bool h5 = f == io::Format::h5;
      INFO((h5 ? "h5" : "tfjs"));
      const std::string path = temp_path(h5 ? "hs2.h5" : "hs2_tfjs");
      io::save_model(*dense_model("hard_sigmoid_keras2"), path, f);
      const std::string bytes = slurp(h5 ? path : path + "/model.json");
      CHECK(bytes.find("\"activation\": \"hard_sigmoid\"") != std::string::npos);
      CHECK(bytes.find("hard_sigmoid_keras2") == std::string::npos);
      auto m = io::load_model(path);
      CHECK(activation_of(*m) == "hard_sigmoid_keras2");
      const Tensor want = clip(add(mul(pre_activation(*m, x), 0.2), 0.5), 0.0, 1.0);
      CHECK(allclose(m->predict(x.astype(DType::float32)).astype(DType::float64), want, 1e-5, 1e-6));
      // Keras 3's hard_sigmoid has no name in these formats
      CHECK_THROWS_WITH(io::save_model(*dense_model("hard_sigmoid"), temp_path(h5 ? "hs3.h5" : "hs3_tfjs"), f),
                        Catch::Contains("hard_sigmoid") && Catch::Contains("relu6(x + 3) / 6"));
    }
    // nor has Keras 2's in Keras 3's
    CHECK_THROWS_WITH(io::save_model(*dense_model("hard_sigmoid_keras2"), temp_path("hs2.keras")),
                      Catch::Contains("Keras 3 has no activation name"));
  }
}

TEST_CASE("a .h5 written by Keras 3 keeps Keras 3's hard_sigmoid, one by Keras 2 its own", "[io][activations][keras2]") {
  clear_session();
  auto act = std::make_shared<layers::Activation>(ActivationFn("hard_sigmoid"));
  act->set_name("act");
  Sequential model({act}, "k");
  model.build({-1, 3});
  const Config config = Config::object({{"class_name", model.class_name()}, {"config", model.get_config()}});
  const Tensor x = f64({-4, -1, 0.5}, {1, 3});
  // the layout both write (no weights here): model_config, keras_version, model_weights/layer_names
  for (const char* version : {"3.10.0", "2.13.1"}) {
    INFO(version);
    detail::h5::Writer w("hs.h5");
    w.string_attribute("", "model_config", {config.dump()}, true);
    w.string_attribute("", "keras_version", {version}, true);
    w.group("model_weights/act");
    w.string_attribute("model_weights", "layer_names", {"act"});
    const std::string path = temp_path(std::string("hs_") + version + ".h5");
    std::ofstream(path, std::ios::binary) << w.finish();
    auto m = io::load_model(path);
    const bool keras3 = version[0] == '3';
    CHECK(m->layers().back()->get_config().at("activation").as_string() ==
          (keras3 ? "hard_sigmoid" : "hard_sigmoid_keras2"));
    // relu6(x + 3) / 6 or clip(0.2 x + 0.5, 0, 1) on [-4, -1, 0.5]
    CHECK_TENSOR(m->predict(x), {1, 3}, keras3 ? std::vector<double>{0, 1.0 / 3, 7.0 / 12} : std::vector<double>{0, 0.3, 0.6},
                 1e-6);  // float32
  }
}
