// Compiling from the compile arguments a file saved (Keras 3's compile_config, Keras 2's and
// TF.js's training_config), and writing them: load_model gives back a compiled model that trains
// as the one that was saved.
#include <fstream>
#include <sstream>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {

std::pair<Tensor, Tensor> make_data(std::int64_t n = 48) {
  Generator g(11);
  std::vector<double> xs, ys;
  for (std::int64_t i = 0; i < n; ++i) {
    const int c = static_cast<int>(i % 3);
    for (int d = 0; d < 4; ++d) xs.push_back(g.normal() * 0.5 + (d == c ? 1.5 : 0.0));
    ys.push_back(c);
  }
  return {Tensor::from_vector(xs, {n, 4}), Tensor::from_vector(ys, {n}, DType::int64)};
}

/// A Dense layer with a name.
std::shared_ptr<layers::Dense> dense(std::int64_t units, const char* activation, const char* name) {
  auto d = std::make_shared<layers::Dense>(units, ActivationFn(activation));
  d->set_name(name);
  return d;
}

std::shared_ptr<Model> net(std::uint64_t seed = 5) {
  clear_session();
  set_seed(seed);
  KerasTensor in = Input({4}, DType::float32, "x");
  KerasTensor h = layers::Dense(8, "tanh")(in);
  return std::make_shared<Model>(in, (*dense(3, "softmax", "out"))(h), "net");
}

FitOptions quiet(int epochs = 3) {
  FitOptions o;
  o.epochs = epochs;
  o.batch_size = 16;
  o.verbose = 0;
  o.shuffle = false;
  return o;
}

std::vector<double> losses_of(Model& m) {
  auto [x, y] = make_data();
  return m.fit(x, y, quiet()).get("loss");
}

}  // namespace

TEST_CASE("compile_from_config reads Keras 3's compile_config and trains as compile does", "[io][compile]") {
  auto a = net(), b = net();
  b->set_weights(a->get_weights());
  a->compile(optimizers::Adam(schedules::ExponentialDecay(0.05, 2, 0.5), 0.8), "sparse_categorical_crossentropy",
             {"accuracy"});
  b->compile_from_config(Config::parse(R"({
      "optimizer": {"module": "keras.optimizers", "class_name": "Adam", "config": {"name": "adam",
        "learning_rate": {"module": "keras.optimizers.schedules", "class_name": "ExponentialDecay",
          "config": {"initial_learning_rate": 0.05, "decay_steps": 2, "decay_rate": 0.5, "staircase": false}},
        "beta_1": 0.8, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": false, "use_ema": false}, "registered_name": null},
      "loss": "sparse_categorical_crossentropy", "loss_weights": null, "metrics": ["accuracy"],
      "weighted_metrics": null, "run_eagerly": false, "steps_per_execution": 1, "jit_compile": false})"));
  REQUIRE(b->compiled());
  auto [x, y] = make_data();
  const auto ha = a->fit(x, y, quiet()), hb = b->fit(x, y, quiet());
  CHECK(ha.get("loss") == hb.get("loss"));
  CHECK(hb.get("accuracy") == ha.get("accuracy"));
  CHECK(b->get_compile_config() == a->get_compile_config());
  CHECK(b->get_compile_config().at("optimizer").at("config").at("learning_rate").at("class_name").as_string() ==
        "ExponentialDecay");
  CHECK(net()->get_compile_config().is_null());
}

TEST_CASE("compile_from_config reads Keras 2's training_config, losses per output and serialized objects",
          "[io][compile]") {
  auto a = net(), b = net();
  b->set_weights(a->get_weights());
  a->compile(optimizers::SGD(0.1, 0.9), losses::SparseCategoricalCrossentropy(), {"sparse_categorical_accuracy"});
  b->compile_from_config(Config::parse(R"({"loss": {"class_name": "SparseCategoricalCrossentropy",
      "config": {"reduction": "auto", "name": "sparse_categorical_crossentropy", "from_logits": false}},
      "metrics": [{"class_name": "SparseCategoricalAccuracy", "config": {"name": "sparse_categorical_accuracy", "dtype": "float32"}}],
      "weighted_metrics": null, "loss_weights": null, "sample_weight_mode": null,
      "optimizer_config": {"class_name": "SGD", "config": {"name": "SGD", "lr": 0.1, "decay": 0.0, "momentum": 0.9, "nesterov": false}}})"));
  CHECK(losses_of(*a) == losses_of(*b));

  // tf.keras 2.x: metrics as a list per output (even for one output), a metric function in a
  // MeanMetricWrapper, and its own optimizers registered as "Custom>Adam"
  auto c = net();
  c->compile_from_config(Config::parse(R"({"loss": "sparse_categorical_crossentropy",
      "metrics": [[{"class_name": "MeanMetricWrapper", "config": {"name": "accuracy", "dtype": "float32", "fn": "sparse_categorical_accuracy"}}]],
      "weighted_metrics": null, "loss_weights": null,
      "optimizer_config": {"class_name": "Custom>Adam", "config": {"name": "Adam", "weight_decay": null, "clipnorm": null,
        "global_clipnorm": null, "clipvalue": null, "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": null,
        "jit_compile": false, "is_legacy_optimizer": false, "learning_rate": 0.003, "beta_1": 0.9, "beta_2": 0.999,
        "epsilon": 1e-07, "amsgrad": false}}})"));
  CHECK(c->optimizer()->class_name() == "Adam");
  CHECK(c->optimizer()->learning_rate() == 0.003);
  {
    auto [x, y] = make_data();
    const Logs logs = c->evaluate(x, y);
    CHECK(logs.contains("accuracy"));
    CHECK_FALSE(logs.contains("sparse_categorical_accuracy"));
  }
  CHECK(keras_class_name("Custom>Adam") == "Adam");
  CHECK(keras_class_name("Adam") == "Adam");

  // two outputs: losses and loss weights by output name, metrics per output
  clear_session();
  KerasTensor in = Input({4});
  KerasTensor h = layers::Dense(6, "relu")(in);
  Model two({in}, {(*dense(3, "softmax", "cls"))(h), (*dense(1, "linear", "reg"))(h)}, "two");
  two.compile_from_config(Config::parse(R"({"optimizer": "sgd",
      "loss": {"reg": "mse", "cls": "sparse_categorical_crossentropy"}, "loss_weights": {"cls": 1.0, "reg": 0.25},
      "metrics": {"cls": ["accuracy"], "reg": ["mse"]}})"));
  const Config cc = two.get_compile_config();
  INFO(cc.dump());
  REQUIRE(cc.at("loss").is_list());
  CHECK(cc.at("loss")[0].at("class_name").as_string() == "SparseCategoricalCrossentropy");
  CHECK(cc.at("loss")[1].at("class_name").as_string() == "MeanSquaredError");
  CHECK(cc.at("loss_weights")[1].as_double() == 0.25);
  CHECK(cc.at("metrics").at("cls")[0].as_string() == "accuracy");
  auto [x, y] = make_data();
  const Logs logs = two.evaluate(std::vector<Tensor>{x}, std::vector<Tensor>{y, Tensor::zeros({48, 1})});
  CHECK(logs.contains("cls_accuracy"));
  CHECK(logs.contains("reg_mse"));
  CHECK(logs.get("loss") == Approx(logs.get("cls_loss") + 0.25 * logs.get("reg_loss")).epsilon(1e-6));

  CHECK_THROWS_WITH(two.compile_from_config(Config::parse(R"({"optimizer": "sgd", "loss": {"nope": "mse"}})")),
                    Catch::Contains("losses for 'nope', which is not an output"));
  CHECK_THROWS_WITH(two.compile_from_config(Config::parse(R"({"optimizer": "sgd", "loss": ["mse", "mse", "mse"]})")),
                    Catch::Contains("3 losses for 2 outputs"));
  CHECK_THROWS_WITH(two.compile_from_config(Config::parse(R"({"optimizer": "adam"})")), Catch::Contains("has no loss"));
  CHECK_THROWS_WITH(two.compile_from_config(Config::parse(R"({"loss": "mse", "metrics": [{"class_name": "PrecisionAtRecall"}]})")),
                    Catch::Contains("unknown metric class 'PrecisionAtRecall'"));
  CHECK_THROWS_WITH(two.compile_from_config(Config::parse(
                        R"({"loss": "mse", "metrics": [{"class_name": "AUC", "config": {"num_thresholds": 4000000000}}]})")),
                    Catch::Contains("AUC num_thresholds must be in [2, 1000000], got 4000000000"));
  CHECK_THROWS_WITH(two.compile_from_config(Config::parse(R"({"loss": "mse", "loss_weights": "heavy"})")),
                    Catch::Contains("string"));
}

TEST_CASE("a compiled model saved as .keras, .h5, .strata or TF.js loads compiled and trains on", "[io][compile]") {
  for (const std::string ext : {".keras", ".h5", ".strata"}) {
    INFO(ext);
    auto a = net();
    a->compile(optimizers::RMSprop(0.01, 0.8), losses::SparseCategoricalCrossentropy(), {"accuracy"});
    auto [x, y] = make_data();
    a->fit(x, y, quiet(1));
    const std::string path = temp_path("compiled" + ext);
    a->save(path);
    auto b = io::load_model(path);
    REQUIRE(b->compiled());
    CHECK(b->get_compile_config() == a->get_compile_config());
    if (ext == ".strata") {
      // the optimizer's slots and iterations come back too: training resumes exactly
      CHECK(b->optimizer()->iterations() == a->optimizer()->iterations());
      CHECK(losses_of(*a) == losses_of(*b));
    }
  }
  // TF.js: a model.json with TF.js's own trainingConfig (camelCase optimizer config)
  auto m = net();
  m->save(temp_path("tfjs_compiled"));
  const std::string json_path = temp_path("tfjs_compiled") + "/model.json";
  std::ifstream in(json_path);
  std::stringstream text;
  text << in.rdbuf();
  Config doc = Config::parse(text.str());
  doc["trainingConfig"] = Config::parse(R"({"loss": "sparse_categorical_crossentropy", "metrics": ["acc"],
      "optimizer_config": {"class_name": "Adam", "config": {"learningRate": 0.002, "beta1": 0.85, "beta2": 0.99, "epsilon": 1e-8}}})");
  std::ofstream(json_path) << doc.dump();
  auto t = io::load_model(json_path);
  REQUIRE(t->compiled());
  auto* adam = dynamic_cast<optimizers::Adam*>(t->optimizer().get());
  REQUIRE(adam != nullptr);
  CHECK((adam->beta_1 == 0.85 && adam->epsilon == 1e-8 && adam->learning_rate() == 0.002));

  // a training config strata cannot honour: the model loads, uncompiled, with a warning
  doc["trainingConfig"] = Config::parse(R"({"loss": "my_custom_loss", "optimizer_config": "adam"})");
  std::ofstream(json_path) << doc.dump();
  auto u = io::load_model(json_path);
  CHECK_FALSE(u->compiled());
  CHECK(u->count_params() == m->count_params());
}
