// Optimizers to and from Keras's configs (Keras 3's keys; Keras 2's "lr" and "decay" read too).
#include <algorithm>
#include <cctype>

#include "detail/errors.hpp"
#include "training/serialized.hpp"
#include "strata/optimizers.hpp"

namespace strata::optimizers {

namespace {
Config optional_number(const std::optional<double>& v) { return v ? Config(*v) : Config(); }

std::optional<double> read_optional(const Config& k, const char* key) {
  const Config* v = k.find(key);
  if (!v || v->is_null()) return std::nullopt;
  return v->as_double();
}
/// TF.js writes its optimizers' configs in camelCase (learningRate, beta1, initialAccumulatorValue,
/// useNesterov; RMSProp's "decay" is Keras's rho): the same config under Keras's keys.
Config tfjs_to_keras(const std::string& lower_class, const Config& k) {
  if (!k.contains("learningRate")) return k;
  Config out = Config::object();
  for (const auto& [key, v] : k.entries()) {
    std::string name = key;
    if (key == "learningRate") name = "learning_rate";
    if (key == "beta1") name = "beta_1";
    if (key == "beta2") name = "beta_2";
    if (key == "initialAccumulatorValue") name = "initial_accumulator_value";
    if (key == "useNesterov") name = "nesterov";
    if (key == "decay" && lower_class == "rmsprop") name = "rho";
    out[name] = v;
  }
  return out;
}
}  // namespace

Config Optimizer::get_config() const {
  Config lr;
  if (learning_rate_.is_schedule()) {
    if (!schedules::serializable(learning_rate_.schedule()))
      detail::raise<ValueError>("{} '{}': get_config: the learning rate is a user's callable, which has no Keras config "
                                "(use one of strata::schedules' functions to save it)",
                                class_name(), name_);
    lr = schedules::serialize(learning_rate_.schedule());
  } else {
    lr = learning_rate_.value();
  }
  return Config::object({{"name", name_},
                         {"learning_rate", lr},
                         {"weight_decay", optional_number(weight_decay)},
                         {"clipnorm", optional_number(clipnorm)},
                         {"global_clipnorm", optional_number(global_clipnorm)},
                         {"clipvalue", optional_number(clipvalue)},
                         {"use_ema", false},
                         {"ema_momentum", 0.99},
                         {"ema_overwrite_frequency", Config()},
                         {"loss_scale_factor", Config()},
                         {"gradient_accumulation_steps", Config()}});
}

Config SGD::get_config() const {
  Config c = Optimizer::get_config();
  c["momentum"] = momentum;
  c["nesterov"] = nesterov;
  return c;
}

Config Adam::get_config() const {
  Config c = Optimizer::get_config();
  c["beta_1"] = beta_1;
  c["beta_2"] = beta_2;
  c["epsilon"] = epsilon;
  c["amsgrad"] = amsgrad;
  return c;
}

Config RMSprop::get_config() const {
  Config c = Optimizer::get_config();
  c["rho"] = rho;
  c["momentum"] = momentum;
  c["epsilon"] = epsilon;
  c["centered"] = centered;
  return c;
}

Config Adagrad::get_config() const {
  Config c = Optimizer::get_config();
  c["initial_accumulator_value"] = initial_accumulator_value;
  c["epsilon"] = epsilon;
  return c;
}

Config Adadelta::get_config() const {
  Config c = Optimizer::get_config();
  c["rho"] = rho;
  c["epsilon"] = epsilon;
  return c;
}

Config Adamax::get_config() const {
  Config c = Optimizer::get_config();
  c["beta_1"] = beta_1;
  c["beta_2"] = beta_2;
  c["epsilon"] = epsilon;
  return c;
}

Config Nadam::get_config() const {
  Config c = Optimizer::get_config();
  c["beta_1"] = beta_1;
  c["beta_2"] = beta_2;
  c["epsilon"] = epsilon;
  return c;
}

Config Lion::get_config() const {
  Config c = Optimizer::get_config();
  c["beta_1"] = beta_1;
  c["beta_2"] = beta_2;
  return c;
}

Config serialize(const Optimizer& optimizer) {
  return Config::object({{"module", "keras.optimizers"},
                         {"class_name", optimizer.class_name()},
                         {"config", optimizer.get_config()},
                         {"registered_name", Config()}});
}

std::shared_ptr<Optimizer> deserialize(const Config& c) {
  if (c.is_string()) return get(c.as_string());
  const detail::Serialized s = detail::read_serialized(c, "optimizers::deserialize");
  const std::string& cls = s.class_name;
  std::string lower = cls;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  const Config k = tfjs_to_keras(lower, s.config);
  if (lower == "momentum") lower = "sgd";  // TF.js's MomentumOptimizer

  if (k.get_bool("use_ema", false))
    detail::raise<ValueError>("optimizers::deserialize: {} with use_ema=true: strata's optimizers keep no moving "
                              "average of the weights",
                              cls);
  if (const Config* v = k.find("loss_scale_factor"); v && !v->is_null())
    detail::raise<ValueError>("optimizers::deserialize: {} with loss_scale_factor {}: strata does not scale losses",
                              cls, v->dump());
  if (k.get_int("gradient_accumulation_steps", 1) > 1)
    detail::raise<ValueError>("optimizers::deserialize: {} with gradient_accumulation_steps {}: not supported", cls,
                              k.at("gradient_accumulation_steps").dump());

  // learning_rate (Keras 3, tf.keras) or lr (Keras 2.0-2.3): a number or a schedule.
  std::shared_ptr<Optimizer> opt = get(lower);  // the class's defaults; ValueError for an unknown class
  const Config* lr = k.find("learning_rate");
  if (!lr || lr->is_null()) lr = k.find("lr");
  if (lr && lr->is_object()) {
    opt->set_learning_rate(schedules::deserialize(*lr));
  } else if (lr && !lr->is_null()) {
    const double value = lr->as_double();
    // Keras 2's legacy decay: lr / (1 + decay * iterations).
    const double decay = k.get_double("decay", 0.0);
    if (decay != 0.0)
      opt->set_learning_rate(schedules::InverseTimeDecay(value, 1.0, decay));
    else
      opt->set_learning_rate(value);
  }
  opt->clipnorm = read_optional(k, "clipnorm");
  opt->clipvalue = read_optional(k, "clipvalue");
  opt->global_clipnorm = read_optional(k, "global_clipnorm");
  if (const auto wd = read_optional(k, "weight_decay"); wd || lower != "adamw") opt->weight_decay = wd;
  if (int(opt->clipnorm.has_value()) + int(opt->clipvalue.has_value()) + int(opt->global_clipnorm.has_value()) > 1)
    detail::raise<ValueError>("optimizers::deserialize: {} sets more than one of clipnorm, clipvalue, global_clipnorm",
                              cls);

  auto num = [&](const char* key, double& field) { field = k.get_double(key, field); };
  auto flag = [&](const char* key, bool& field) { field = k.get_bool(key, field); };
  if (auto* o = dynamic_cast<SGD*>(opt.get())) {
    num("momentum", o->momentum);
    flag("nesterov", o->nesterov);
    if (o->momentum < 0 || o->momentum > 1)
      detail::raise<ValueError>("optimizers::deserialize: SGD momentum must be in [0, 1], got {}", o->momentum);
  } else if (auto* o = dynamic_cast<Adam*>(opt.get())) {  // Adam and AdamW
    num("beta_1", o->beta_1);
    num("beta_2", o->beta_2);
    num("epsilon", o->epsilon);
    flag("amsgrad", o->amsgrad);
  } else if (auto* o = dynamic_cast<RMSprop*>(opt.get())) {
    num("rho", o->rho);
    num("momentum", o->momentum);
    num("epsilon", o->epsilon);
    flag("centered", o->centered);
  } else if (auto* o = dynamic_cast<Adagrad*>(opt.get())) {
    num("initial_accumulator_value", o->initial_accumulator_value);
    num("epsilon", o->epsilon);
  } else if (auto* o = dynamic_cast<Adadelta*>(opt.get())) {
    num("rho", o->rho);
    num("epsilon", o->epsilon);
  } else if (auto* o = dynamic_cast<Adamax*>(opt.get())) {
    num("beta_1", o->beta_1);
    num("beta_2", o->beta_2);
    num("epsilon", o->epsilon);
  } else if (auto* o = dynamic_cast<Nadam*>(opt.get())) {
    num("beta_1", o->beta_1);
    num("beta_2", o->beta_2);
    num("epsilon", o->epsilon);
  } else if (auto* o = dynamic_cast<Lion*>(opt.get())) {
    num("beta_1", o->beta_1);
    num("beta_2", o->beta_2);
  }
  return opt;
}

}  // namespace strata::optimizers
