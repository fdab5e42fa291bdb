// Constraints by Keras name (MaxNorm, NonNeg, UnitNorm, MinMaxNorm).
#include <algorithm>

#include "detail/errors.hpp"
#include "strata/constraints.hpp"
#include "strata/ops.hpp"

namespace strata {

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

}  // namespace strata
