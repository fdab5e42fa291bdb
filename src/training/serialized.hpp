#pragma once
// Keras's serialized objects ({"module", "class_name", "config", "registered_name"}), read the
// same way by the optimizers, schedules, losses and metrics.
#include <string>

#include "detail/errors.hpp"
#include "strata/config.hpp"

namespace strata::detail {

struct Serialized {
  std::string class_name;     ///< without a registration package ("Custom>Adam" is "Adam")
  Config config;              ///< the "config" object; empty when absent or not an object
  std::string function_name;  ///< Keras 3's {"class_name": "function", "config": "mse"}: "mse"
};

/// ValueError prefixed by `what` when `c` is not a serialized object.
inline Serialized read_serialized(const Config& c, const char* what) {
  if (!c.is_object() || !c.contains("class_name") || !c.at("class_name").is_string())
    raise<ValueError>("{}: expected a name or {{\"class_name\": ..., \"config\": {{...}}}}, got {}", what, c.dump());
  Serialized s{keras_class_name(c.at("class_name").as_string()), Config::object(), ""};
  if (const Config* k = c.find("config")) {
    if (k->is_object()) s.config = *k;
    if (k->is_string() && s.class_name == "function") s.function_name = k->as_string();
  }
  return s;
}

}  // namespace strata::detail
