// Optimizers, schedules and losses to and from Keras's configs (Keras 3, Keras 2 and TF.js keys):
// a round trip gives the same updates and values, and what strata cannot honour is refused.
#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {

/// Four steps on w = [1, -2, 0.5] with gradients that change per step; returns w.
std::vector<double> steps(optimizers::Optimizer& opt) {
  Variable w(f64({1, -2, 0.5}, {3}), "w");
  for (int t = 1; t <= 4; ++t) opt.apply_gradients({f64({0.5 * t, -0.25 * t * t, 3.0 / t}, {3})}, {w});
  return w.value().to_vector<double>();
}

}  // namespace

TEST_CASE("schedules serialize to Keras's config and back to the same learning rates", "[optimizers][config]") {
  const std::vector<schedules::Schedule> all = {
      schedules::ExponentialDecay(0.1, 10, 0.5, true), schedules::InverseTimeDecay(0.2, 5, 0.3),
      schedules::CosineDecay(0.1, 100, 0.1, 0.3, 10), schedules::CosineDecay(0.05, 20),
      schedules::PiecewiseConstantDecay({3, 8}, {0.1, 0.05, 0.01}), schedules::PolynomialDecay(0.1, 10, 0.01, 0.5, true),
      schedules::CosineDecayRestarts(0.1, 10, 2.0, 0.5, 0.1)};
  for (const auto& s : all) {
    const Config c = schedules::serialize(s);
    INFO(c.dump());
    CHECK(c.at("module").as_string() == "keras.optimizers.schedules");
    const schedules::Schedule back = schedules::deserialize(Config::parse(c.dump()));
    for (std::int64_t step : {0, 1, 3, 4, 9, 10, 15, 57, 200}) CHECK(back(step) == s(step));
    CHECK(schedules::serialize(back) == c);
  }
  // Keras's own keys, as a .keras file holds them
  const auto keras = schedules::deserialize(Config::parse(
      R"({"module": "keras.optimizers.schedules", "class_name": "ExponentialDecay", "config": {"initial_learning_rate": 0.01, "decay_steps": 100, "decay_rate": 0.96, "staircase": false, "name": "ExponentialDecay"}, "registered_name": null})"));
  CHECK(keras(50) == Approx(0.01 * std::pow(0.96, 0.5)).epsilon(1e-15));

  schedules::Schedule mine = [](std::int64_t) { return 0.1; };
  CHECK_FALSE(schedules::serializable(mine));
  CHECK_THROWS_WITH(schedules::serialize(mine), Catch::Contains("user's callable"));
  CHECK_THROWS_WITH(schedules::deserialize(Config::parse(R"({"class_name": "LinearDecay", "config": {}})")),
                    Catch::Contains("unknown schedule class 'LinearDecay'"));
  CHECK_THROWS_WITH(schedules::deserialize(Config::parse(R"({"class_name": "PolynomialDecay", "config": {"initial_learning_rate": 1}})")),
                    Catch::Contains("needs 'decay_steps'"));
  CHECK_THROWS_WITH(schedules::deserialize(Config::parse(R"({"class_name": "ExponentialDecay", "config": {"decay_steps": 3}})")),
                    Catch::Contains("needs 'initial_learning_rate'"));
  CHECK_THROWS_AS(schedules::deserialize(Config("adam")), ValueError);
}

TEST_CASE("every optimizer round-trips through its Keras config with the same updates", "[optimizers][config]") {
  std::vector<std::shared_ptr<optimizers::Optimizer>> all = {
      std::make_shared<optimizers::SGD>(0.05, 0.9, true),
      std::make_shared<optimizers::Adam>(schedules::ExponentialDecay(0.01, 2, 0.5), 0.8, 0.99, 1e-6, true),
      std::make_shared<optimizers::AdamW>(0.01, 0.1),
      std::make_shared<optimizers::RMSprop>(0.01, 0.8, 0.5, 1e-6, true),
      std::make_shared<optimizers::Adagrad>(0.1, 0.2),
      std::make_shared<optimizers::Adadelta>(1.0, 0.9),
      std::make_shared<optimizers::Adamax>(0.02, 0.85),
      std::make_shared<optimizers::Lion>(0.003, 0.8, 0.95),
      std::make_shared<optimizers::Nadam>(0.02, 0.8)};
  all[0]->clipnorm = 1.5;
  all[4]->global_clipnorm = 0.7;
  all[5]->clipvalue = 0.3;
  all[6]->weight_decay = 0.01;
  for (auto& opt : all) {
    const Config c = optimizers::serialize(*opt);
    INFO(c.dump());
    CHECK(c.at("class_name").as_string() == opt->class_name());
    CHECK(c.at("config").at("use_ema").as_bool() == false);
    auto back = optimizers::deserialize(Config::parse(c.dump()));
    CHECK(back->class_name() == opt->class_name());
    CHECK(back->get_config() == opt->get_config());
    CHECK(steps(*back) == steps(*opt));
  }
  // A user's callable as learning rate has no config.
  optimizers::SGD custom(schedules::Schedule([](std::int64_t) { return 0.1; }));
  CHECK_THROWS_WITH(custom.get_config(), Catch::Contains("user's callable"));
}

TEST_CASE("optimizer configs from Keras 2 and TF.js files", "[optimizers][config]") {
  // Keras 2: "lr" and the legacy "decay", lr / (1 + decay * iterations)
  auto k2 = optimizers::deserialize(Config::parse(
      R"({"class_name": "Adam", "config": {"lr": 0.01, "beta_1": 0.8, "beta_2": 0.99, "decay": 0.1, "epsilon": null, "amsgrad": false}})"));
  auto* adam = dynamic_cast<optimizers::Adam*>(k2.get());
  REQUIRE(adam != nullptr);
  CHECK(adam->beta_1 == 0.8);
  CHECK(adam->epsilon == 1e-7);  // null: Keras's default
  CHECK(k2->learning_rate() == Approx(0.01));
  Variable w(f64({1.0}, {1}), "w");
  for (int i = 0; i < 10; ++i) k2->apply_gradients({f64({1.0}, {1})}, {w});
  CHECK(k2->learning_rate() == Approx(0.01 / (1 + 0.1 * 10)).epsilon(1e-14));

  // TF.js: camelCase keys; RMSProp's "decay" is rho; "Momentum" is SGD with momentum
  auto rms = optimizers::deserialize(Config::parse(
      R"({"class_name": "RMSProp", "config": {"learningRate": 0.02, "decay": 0.8, "momentum": 0.1, "epsilon": 1e-6, "centered": true}})"));
  auto* r = dynamic_cast<optimizers::RMSprop*>(rms.get());
  REQUIRE(r != nullptr);
  CHECK((r->rho == 0.8 && r->momentum == 0.1 && r->epsilon == 1e-6 && r->centered && rms->learning_rate() == 0.02));
  auto mom = optimizers::deserialize(
      Config::parse(R"({"class_name": "Momentum", "config": {"learningRate": 0.1, "momentum": 0.9, "useNesterov": true}})"));
  auto* sgd = dynamic_cast<optimizers::SGD*>(mom.get());
  REQUIRE(sgd != nullptr);
  CHECK((sgd->momentum == 0.9 && sgd->nesterov && mom->learning_rate() == 0.1));
  auto ada = optimizers::deserialize(
      Config::parse(R"({"class_name": "Adagrad", "config": {"learningRate": 0.1, "initialAccumulatorValue": 0.3}})"));
  CHECK(dynamic_cast<optimizers::Adagrad&>(*ada).initial_accumulator_value == 0.3);
  CHECK(optimizers::deserialize(Config("sgd"))->class_name() == "SGD");

  CHECK_THROWS_WITH(optimizers::deserialize(Config::parse(R"({"class_name": "Adam", "config": {"use_ema": true}})")),
                    Catch::Contains("use_ema"));
  CHECK_THROWS_WITH(
      optimizers::deserialize(Config::parse(R"({"class_name": "Adam", "config": {"gradient_accumulation_steps": 4}})")),
      Catch::Contains("gradient_accumulation_steps"));
  CHECK_THROWS_WITH(optimizers::deserialize(Config::parse(R"({"class_name": "Lamb", "config": {}})")),
                    Catch::Contains("unknown optimizer 'lamb'"));
  const auto lion = optimizers::deserialize(Config::parse(R"({"class_name": "Lion", "config": {"beta_2": 0.98}})"));
  CHECK(dynamic_cast<optimizers::Lion&>(*lion).beta_2 == 0.98);
  CHECK_THROWS_WITH(optimizers::deserialize(Config::parse(R"({"class_name": "SGD", "config": {"momentum": 2}})")),
                    Catch::Contains("momentum must be in [0, 1]"));
  CHECK_THROWS_AS(optimizers::deserialize(Config::parse("[1]")), ValueError);
}

TEST_CASE("losses round-trip through Keras's config with the same values", "[losses][config]") {
  using namespace losses;
  std::vector<std::shared_ptr<Loss>> all = {
      std::make_shared<MeanSquaredError>(Reduction::sum), std::make_shared<MeanAbsoluteError>(),
      std::make_shared<Huber>(0.7), std::make_shared<BinaryCrossentropy>(true, 0.1),
      std::make_shared<CategoricalCrossentropy>(false, 0.2, Reduction::none),
      std::make_shared<KLDivergence>(), std::make_shared<CosineSimilarity>(-1, Reduction::sum),
      std::make_shared<Poisson>(), std::make_shared<LogCosh>(), std::make_shared<Hinge>(),
      std::make_shared<SquaredHinge>(), std::make_shared<CategoricalHinge>(),
      std::make_shared<MeanAbsolutePercentageError>(), std::make_shared<MeanSquaredLogarithmicError>(),
      std::make_shared<BinaryFocalCrossentropy>(true, 0.3, 1.5, true), std::make_shared<CategoricalFocalCrossentropy>(0.4, 2.5),
      std::make_shared<Dice>(), std::make_shared<Tversky>(0.3, 0.7)};
  const Tensor t = f64({0, 1, 1, 0, 1, 0}, {2, 3});
  const Tensor p = f64({0.2, 0.7, 0.6, 0.1, 0.8, 0.3}, {2, 3});
  for (const auto& l : all) {
    const Config c = serialize(*l);
    INFO(c.dump());
    auto back = deserialize(Config::parse(c.dump()));
    CHECK(back->class_name() == l->class_name());
    CHECK(back->get_config() == l->get_config());
    CHECK((*back)(t, p).to_vector<double>() == (*l)(t, p).to_vector<double>());
  }
  auto sparse = deserialize(Config::parse(
      R"({"class_name": "SparseCategoricalCrossentropy", "config": {"from_logits": true, "ignore_class": 2, "reduction": "sum_over_batch_size"}})"));
  CHECK(sparse->get_config().at("ignore_class").as_int() == 2);
  CHECK(deserialize(Config::parse(R"({"module": "keras.losses", "class_name": "function", "config": "mean_squared_error"})"))
            ->class_name() == "MeanSquaredError");
  CHECK(deserialize(Config("categorical_crossentropy"))->class_name() == "CategoricalCrossentropy");
  CHECK_THROWS_WITH(deserialize(Config::parse(R"({"class_name": "MyLoss", "config": {}})")),
                    Catch::Contains("unknown loss class 'MyLoss'"));
  CHECK_THROWS_WITH(deserialize(Config::parse(R"({"class_name": "Huber", "config": {"reduction": "average"}})")),
                    Catch::Contains("unknown reduction 'average'"));
}
