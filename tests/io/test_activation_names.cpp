// hard_sigmoid's two meanings through the file formats: Keras 3 (.keras, and strata's own
// format) mean relu6(x + 3) / 6; Keras 2 (.h5) and TensorFlow.js mean clip(0.2 x + 0.5, 0, 1),
// which strata calls hard_sigmoid_keras2 once loaded and writes back under their name.
#include "support/helpers.hpp"

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
