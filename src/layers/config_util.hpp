#pragma once
// Reading and writing the Keras config fields layers share.
#include <memory>
#include <optional>
#include <string>

#include "detail/errors.hpp"
#include "strata/config.hpp"
#include "strata/constraints.hpp"
#include "strata/initializers.hpp"
#include "strata/regularizers.hpp"

namespace strata::layers::cfg {

inline Config of(const Regularizer& r) { return r ? r.to_config() : Config(); }
inline Config of(const Constraint& c) { return c ? c.to_config() : Config(); }
inline Config of(const Initializer& i) { return i.to_config(); }

inline Regularizer regularizer(const Config& c, const std::string& key) {
  const Config* v = c.find(key);
  return v && !v->is_null() ? Regularizer::from_config(*v) : Regularizer();
}
inline Constraint constraint(const Config& c, const std::string& key) {
  const Config* v = c.find(key);
  return v && !v->is_null() ? Constraint::from_config(*v) : Constraint();
}
inline Initializer initializer(const Config& c, const std::string& key, const char* fallback) {
  const Config* v = c.find(key);
  return v && !v->is_null() ? Initializer::from_config(*v) : Initializer(fallback);
}
inline std::string activation(const Config& c, const std::string& key = "activation") {
  const Config* v = c.find(key);
  return v && !v->is_null() ? v->as_string() : "linear";
}
/// Keras writes tuples as lists: (3, 3) -> [3, 3].
inline Config pair(std::int64_t a, std::int64_t b) { return Config::list({a, b}); }
/// A size given as a number or a pair; element i.
inline std::int64_t pair_at(const Config& v, std::size_t i) { return v.is_list() ? v[v.size() == 1 ? 0 : i].as_int() : v.as_int(); }
inline std::optional<std::uint64_t> seed(const Config& c) {
  const Config* v = c.find("seed");
  if (!v || v->is_null()) return std::nullopt;
  return static_cast<std::uint64_t>(v->as_int());
}

/// A Keras option strata does not implement: a config that sets `key` to anything but its
/// default (absent or null count as the default) is refused with a ValueError naming the class
/// and the option, rather than loaded and run without it.
inline void refuse_unless_default(const Config& c, const std::string& cls, const std::string& key,
                                  const Config& default_value) {
  const Config* v = c.find(key);
  if (!v || v->is_null() || *v == default_value) return;
  detail::raise<ValueError>("{}: {}={} is not supported", cls, key, v->dump());
}

/// Keras's six kernel and bias arguments of a layer with kernel_initializer, bias_initializer,
/// kernel_regularizer, ... members (Dense, the convolutions, MultiHeadAttention), in Keras's
/// order.
template <class L>
void write_kernel_bias_args(Config& c, const L& l) {
  c["kernel_initializer"] = of(l.kernel_initializer);
  c["bias_initializer"] = of(l.bias_initializer);
  c["kernel_regularizer"] = of(l.kernel_regularizer);
  c["bias_regularizer"] = of(l.bias_regularizer);
  c["kernel_constraint"] = of(l.kernel_constraint);
  c["bias_constraint"] = of(l.bias_constraint);
}
/// Reads them back; `kernel` names the kernel's keys ("depthwise" for the depthwise convolutions).
template <class L>
std::shared_ptr<L> read_kernel_bias_args(std::shared_ptr<L> l, const Config& c, const std::string& kernel = "kernel") {
  l->kernel_initializer = initializer(c, kernel + "_initializer", "glorot_uniform");
  l->bias_initializer = initializer(c, "bias_initializer", "zeros");
  l->kernel_regularizer = regularizer(c, kernel + "_regularizer");
  l->bias_regularizer = regularizer(c, "bias_regularizer");
  l->kernel_constraint = constraint(c, kernel + "_constraint");
  l->bias_constraint = constraint(c, "bias_constraint");
  return l;
}

}  // namespace strata::layers::cfg
