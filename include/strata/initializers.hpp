#pragma once
/// Weight initializers with Keras's names, defaults and configs.
///
///   Initializer init = initializers::he_normal();          // or the Keras string "he_normal"
///   Tensor w = init({784, 512});                            // float32 by default
///   init.to_config().dump();   // {"class_name": "HeNormal", "config": {"seed": null}}
///
/// Unseeded initializers draw from the global generator (strata::set_seed); seeded ones give
/// the same values every call.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "strata/config.hpp"
#include "strata/tensor.hpp"

namespace strata {

class Initializer {
 public:
  using Fn = std::function<Tensor(const Shape&, DType)>;
  Initializer() = default;
  Initializer(std::string class_name, Config config, Fn fn);
  /// A Keras identifier: "glorot_uniform", "zeros", "he_normal", ... (ValueError if unknown).
  Initializer(const char* name);         // NOLINT: layers accept "zeros" where they take an Initializer
  Initializer(const std::string& name);  // NOLINT

  Tensor operator()(const Shape& shape, DType dtype = DType::float32) const;
  explicit operator bool() const { return static_cast<bool>(fn_); }
  const std::string& class_name() const { return class_name_; }
  const Config& config() const { return config_; }
  /// {"class_name": ..., "config": {...}}, as Keras serializes it.
  Config to_config() const;
  /// From to_config()'s form or a string identifier.
  static Initializer from_config(const Config& c);

 private:
  std::string class_name_;
  Config config_;
  Fn fn_;
};

namespace initializers {

Initializer zeros();
Initializer ones();
Initializer constant(double value = 0.0);
Initializer random_normal(double mean = 0.0, double stddev = 0.05, std::optional<std::uint64_t> seed = std::nullopt);
Initializer random_uniform(double minval = -0.05, double maxval = 0.05,
                           std::optional<std::uint64_t> seed = std::nullopt);
/// Normal samples redrawn until within two standard deviations of the mean.
Initializer truncated_normal(double mean = 0.0, double stddev = 0.05, std::optional<std::uint64_t> seed = std::nullopt);
/// Keras's VarianceScaling: mode "fan_in" | "fan_out" | "fan_avg", distribution
/// "truncated_normal" | "untruncated_normal" | "uniform".
Initializer variance_scaling(double scale = 1.0, const std::string& mode = "fan_in",
                             const std::string& distribution = "truncated_normal",
                             std::optional<std::uint64_t> seed = std::nullopt);
Initializer glorot_uniform(std::optional<std::uint64_t> seed = std::nullopt);
Initializer glorot_normal(std::optional<std::uint64_t> seed = std::nullopt);
Initializer he_normal(std::optional<std::uint64_t> seed = std::nullopt);
Initializer he_uniform(std::optional<std::uint64_t> seed = std::nullopt);
Initializer lecun_normal(std::optional<std::uint64_t> seed = std::nullopt);
Initializer lecun_uniform(std::optional<std::uint64_t> seed = std::nullopt);
/// A (semi-)orthogonal matrix from the QR decomposition of a normal sample, times gain; for
/// ranks above 2 the leading axes are flattened.
Initializer orthogonal(double gain = 1.0, std::optional<std::uint64_t> seed = std::nullopt);
/// By Keras identifier or class name.
Initializer get(const std::string& name);

/// Keras's fan computation: (fan_in, fan_out) of a weight shape.
std::pair<double, double> compute_fans(const Shape& shape);

}  // namespace initializers
}  // namespace strata
