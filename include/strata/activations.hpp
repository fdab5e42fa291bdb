#pragma once
/// Activation functions by Keras name (layers take the name: Dense(64, "gelu")):
///   ActivationFn a("gelu");          // or ActivationFn::get("gelu")
///   Tensor y = a(x);
///   ActivationFn("swishh");          // ValueError: unknown activation 'swishh' (known: elu, ...)
/// (The layer that applies one is layers::Activation.)
#include <functional>
#include <string>
#include <vector>

#include "strata/tensor.hpp"

namespace strata {

class ActivationFn {
 public:
  using Fn = std::function<Tensor(const Tensor&)>;
  /// "linear".
  ActivationFn();
  /// A known Keras name (None-like "linear" also accepts an empty string).
  ActivationFn(const char* name);         // NOLINT: layers take "relu" where they take an ActivationFn
  ActivationFn(const std::string& name);  // NOLINT
  /// A custom activation, serialized under `name`.
  ActivationFn(std::string name, Fn fn);

  Tensor operator()(const Tensor& x) const;
  const std::string& name() const { return name_; }
  bool is_linear() const { return name_ == "linear"; }
  /// True for the built-in activation of that name (not a custom one registered under it);
  /// layers use it to fuse "relu" into their bias add.
  bool is_builtin(const std::string& name) const { return builtin_ && name_ == name; }

  static ActivationFn get(const std::string& name);
  /// The names get() knows.
  static std::vector<std::string> known();

 private:
  std::string name_;
  Fn fn_;
  bool builtin_ = false;
};

}  // namespace strata
