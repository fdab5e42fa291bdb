#pragma once
/// Weight penalties with Keras's names: each maps a weight to a scalar added to the loss.
///
///   auto d = std::make_shared<layers::Dense>(64);
///   d->kernel_regularizer = regularizers::l2(1e-4);   // model.losses() then holds 1e-4 * sum(w^2)
#include <functional>
#include <string>

#include "strata/config.hpp"
#include "strata/tensor.hpp"

namespace strata {

class Regularizer {
 public:
  using Fn = std::function<Tensor(const Tensor&)>;
  Regularizer() = default;
  Regularizer(std::string class_name, Config config, Fn fn);
  /// "l1", "l2" or "l1_l2" with Keras's default factor 0.01.
  Regularizer(const char* name);  // NOLINT

  /// The penalty of x (a 0-d tensor of x's dtype).
  Tensor operator()(const Tensor& x) const;
  explicit operator bool() const { return static_cast<bool>(fn_); }
  const std::string& class_name() const { return class_name_; }
  const Config& config() const { return config_; }
  Config to_config() const;
  static Regularizer from_config(const Config& c);

 private:
  std::string class_name_;
  Config config_;
  Fn fn_;
};

namespace regularizers {
/// l1 * sum(|x|)
Regularizer l1(double l1 = 0.01);
/// l2 * sum(x^2)
Regularizer l2(double l2 = 0.01);
Regularizer l1_l2(double l1 = 0.01, double l2 = 0.01);
}  // namespace regularizers

}  // namespace strata
