// Regularizers by Keras name (L1, L2, L1L2).
#include "detail/errors.hpp"
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

}  // namespace strata
