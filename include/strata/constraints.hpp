#pragma once
/// Weight constraints with Keras's names, applied by optimizers after each update.
///
///   d->kernel_constraint = constraints::max_norm(3.0);   // each column's norm stays <= 3
#include <cstdint>
#include <functional>
#include <string>

#include "strata/config.hpp"
#include "strata/tensor.hpp"

namespace strata {

class Constraint {
 public:
  using Fn = std::function<Tensor(const Tensor&)>;
  Constraint() = default;
  Constraint(std::string class_name, Config config, Fn fn);
  /// "max_norm", "non_neg", "unit_norm" or "min_max_norm" with Keras's defaults.
  Constraint(const char* name);  // NOLINT

  /// The projected weight.
  Tensor operator()(const Tensor& w) const;
  explicit operator bool() const { return static_cast<bool>(fn_); }
  const Fn& fn() const { return fn_; }
  const std::string& class_name() const { return class_name_; }
  const Config& config() const { return config_; }
  Config to_config() const;
  static Constraint from_config(const Config& c);

 private:
  std::string class_name_;
  Config config_;
  Fn fn_;
};

namespace constraints {
/// Rescales slices along `axis` (norms computed over it) so their norm is at most max_value.
Constraint max_norm(double max_value = 2.0, std::int64_t axis = 0);
/// Clips to non-negative values.
Constraint non_neg();
/// Rescales to unit norm along `axis`.
Constraint unit_norm(std::int64_t axis = 0);
/// Norms pulled into [min_value, max_value] at `rate` (1 = fully).
Constraint min_max_norm(double min_value = 0.0, double max_value = 1.0, double rate = 1.0, std::int64_t axis = 0);
}  // namespace constraints

}  // namespace strata
