// Regularizers, constraints and activations by Keras name.
#include <algorithm>

#include "detail/errors.hpp"
#include "strata/activations.hpp"
#include "strata/constraints.hpp"
#include "strata/ops.hpp"
#include "strata/regularizers.hpp"

namespace strata {

// ---- regularizers ------------------------------------------------------------------------------

Regularizer::Regularizer(std::string class_name, Config config, Fn fn)
    : class_name_(std::move(class_name)), config_(std::move(config)), fn_(std::move(fn)) {}

Regularizer::Regularizer(const char* name) : Regularizer(from_config(Config(name))) {}

Tensor Regularizer::operator()(const Tensor& x) const {
  if (!fn_) throw ValueError("Regularizer: empty regularizer called");
  return fn_(x);
}

Config Regularizer::to_config() const { return Config::object({{"class_name", class_name_}, {"config", config_}}); }

Regularizer Regularizer::from_config(const Config& c) {
  if (c.is_string()) {
    const std::string& n = c.as_string();
    if (n == "l1" || n == "L1") return regularizers::l1();
    if (n == "l2" || n == "L2") return regularizers::l2();
    if (n == "l1_l2" || n == "L1L2") return regularizers::l1_l2();
    detail::raise<ValueError>("unknown regularizer '{}' (known: l1, l2, l1_l2)", n);
  }
  const std::string cls = c.at("class_name").as_string();
  const Config cfg = c.contains("config") ? c.at("config") : Config::object();
  if (cls == "L1") return regularizers::l1(cfg.get_double("l1", 0.01));
  if (cls == "L2") return regularizers::l2(cfg.get_double("l2", 0.01));
  if (cls == "L1L2") return regularizers::l1_l2(cfg.get_double("l1", 0.0), cfg.get_double("l2", 0.0));
  detail::raise<ValueError>("unknown regularizer class '{}' (known: L1, L2, L1L2)", cls);
}

namespace regularizers {
Regularizer l1(double f) {
  return Regularizer("L1", Config::object({{"l1", f}}), [f](const Tensor& x) { return mul(sum(abs(x)), f); });
}
Regularizer l2(double f) {
  return Regularizer("L2", Config::object({{"l2", f}}), [f](const Tensor& x) { return mul(sum(square(x)), f); });
}
Regularizer l1_l2(double a, double b) {
  return Regularizer("L1L2", Config::object({{"l1", a}, {"l2", b}}), [a, b](const Tensor& x) {
    return add(mul(sum(abs(x)), a), mul(sum(square(x)), b));
  });
}
}  // namespace regularizers

// ---- constraints --------------------------------------------------------------------------------------

Constraint::Constraint(std::string class_name, Config config, Fn fn)
    : class_name_(std::move(class_name)), config_(std::move(config)), fn_(std::move(fn)) {}

Constraint::Constraint(const char* name) : Constraint(from_config(Config(name))) {}

Tensor Constraint::operator()(const Tensor& w) const {
  if (!fn_) throw ValueError("Constraint: empty constraint called");
  return fn_(w);
}

Config Constraint::to_config() const { return Config::object({{"class_name", class_name_}, {"config", config_}}); }

Constraint Constraint::from_config(const Config& c) {
  using namespace constraints;
  if (c.is_string()) {
    const std::string& n = c.as_string();
    if (n == "max_norm" || n == "MaxNorm") return max_norm();
    if (n == "non_neg" || n == "NonNeg") return non_neg();
    if (n == "unit_norm" || n == "UnitNorm") return unit_norm();
    if (n == "min_max_norm" || n == "MinMaxNorm") return min_max_norm();
    detail::raise<ValueError>("unknown constraint '{}' (known: max_norm, min_max_norm, non_neg, unit_norm)", n);
  }
  const std::string cls = c.at("class_name").as_string();
  const Config cfg = c.contains("config") ? c.at("config") : Config::object();
  if (cls == "MaxNorm") return max_norm(cfg.get_double("max_value", 2.0), cfg.get_int("axis", 0));
  if (cls == "NonNeg") return non_neg();
  if (cls == "UnitNorm") return unit_norm(cfg.get_int("axis", 0));
  if (cls == "MinMaxNorm")
    return min_max_norm(cfg.get_double("min_value", 0.0), cfg.get_double("max_value", 1.0),
                        cfg.get_double("rate", 1.0), cfg.get_int("axis", 0));
  detail::raise<ValueError>("unknown constraint class '{}' (known: MaxNorm, MinMaxNorm, NonNeg, UnitNorm)", cls);
}

namespace constraints {
namespace {
constexpr double kEpsilon = 1e-7;  // Keras's backend epsilon
Tensor norms(const Tensor& w, std::int64_t axis) { return sqrt(sum(square(w), axis, true)); }
}  // namespace

Constraint max_norm(double max_value, std::int64_t axis) {
  return Constraint("MaxNorm", Config::object({{"max_value", max_value}, {"axis", axis}}),
                    [=](const Tensor& w) {
                      const Tensor n = norms(w, axis);
                      return div(mul(w, clip(n, 0.0, max_value)), add(n, kEpsilon));
                    });
}

Constraint non_neg() {
  return Constraint("NonNeg", Config::object(), [](const Tensor& w) { return mul(w, greater_equal(w, 0.0)); });
}

Constraint unit_norm(std::int64_t axis) {
  return Constraint("UnitNorm", Config::object({{"axis", axis}}),
                    [=](const Tensor& w) { return div(w, add(norms(w, axis), kEpsilon)); });
}

Constraint min_max_norm(double min_value, double max_value, double rate, std::int64_t axis) {
  return Constraint("MinMaxNorm",
                    Config::object({{"min_value", min_value}, {"max_value", max_value}, {"rate", rate}, {"axis", axis}}),
                    [=](const Tensor& w) {
                      const Tensor n = norms(w, axis);
                      const Tensor desired = add(mul(clip(n, min_value, max_value), rate), mul(n, 1.0 - rate));
                      return div(mul(w, desired), add(n, kEpsilon));
                    });
}
}  // namespace constraints

// ---- activations --------------------------------------------------------------------------------------

namespace {
struct NamedActivation {
  const char* name;
  ActivationFn::Fn fn;
};

const std::vector<NamedActivation>& table() {
  static const std::vector<NamedActivation> t = {
      {"elu", [](const Tensor& x) { return elu(x); }},
      {"exponential", [](const Tensor& x) { return exp(x); }},
      {"gelu", [](const Tensor& x) { return gelu(x); }},
      {"hard_sigmoid", [](const Tensor& x) { return hard_sigmoid(x); }},
      {"hard_silu", [](const Tensor& x) { return div(mul(x, relu6(add(x, 3.0))), 6.0); }},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.2); }},
      {"linear", [](const Tensor& x) { return x; }},
      {"log_softmax", [](const Tensor& x) { return nn::log_softmax(x); }},
      {"mish", [](const Tensor& x) { return mul(x, tanh(softplus(x))); }},
      {"relu", [](const Tensor& x) { return relu(x); }},
      {"relu6", [](const Tensor& x) { return relu6(x); }},
      {"selu", [](const Tensor& x) { return selu(x); }},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }},
      {"silu", [](const Tensor& x) { return swish(x); }},
      {"softmax", [](const Tensor& x) { return nn::softmax(x); }},
      {"softplus", [](const Tensor& x) { return softplus(x); }},
      {"softsign", [](const Tensor& x) { return softsign(x); }},
      {"swish", [](const Tensor& x) { return swish(x); }},
      {"tanh", [](const Tensor& x) { return tanh(x); }},
  };
  return t;
}
}  // namespace

ActivationFn::ActivationFn() : ActivationFn(get("linear")) {}
ActivationFn::ActivationFn(const char* name) : ActivationFn(get(name)) {}
ActivationFn::ActivationFn(const std::string& name) : ActivationFn(get(name)) {}
ActivationFn::ActivationFn(std::string name, Fn fn) : name_(std::move(name)), fn_(std::move(fn)) {}

Tensor ActivationFn::operator()(const Tensor& x) const { return fn_(x); }

ActivationFn ActivationFn::get(const std::string& name) {
  const std::string key = name.empty() || name == "None" ? "linear" : name;
  for (const auto& a : table())
    if (key == a.name) {
      ActivationFn f(a.name, a.fn);
      f.builtin_ = true;
      return f;
    }
  std::string names;
  for (const auto& a : table()) names += (names.empty() ? "" : ", ") + std::string(a.name);
  detail::raise<ValueError>("unknown activation '{}' (known: {})", name, names);
}

std::vector<std::string> ActivationFn::known() {
  std::vector<std::string> names;
  for (const auto& a : table()) names.emplace_back(a.name);
  return names;
}

}  // namespace strata
