#pragma once
// Small pieces every file format in io shares: suffix tests, JSON and model configs whose
// errors name the file they came from.
#include <memory>
#include <string>

#include "detail/errors.hpp"
#include "strata/config.hpp"
#include "strata/models/serialization.hpp"

namespace strata::io::detail_io {

inline bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// Parses JSON text read from `what`; a syntax error is an IOError naming it.
inline Config parse_json(const std::string& text, const std::string& what) {
  try {
    return Config::parse(text);
  } catch (const ValueError& e) {
    strata::detail::raise<IOError>("'{}': {}", what, e.what());
  }
}

/// models::model_from_config for a config read from `what`; its ValueError names the file.
inline std::shared_ptr<models::Model> model_from_config(const Config& config, const std::string& what) {
  try {
    return models::model_from_config(config);
  } catch (const ValueError& e) {
    strata::detail::raise<ValueError>("'{}': {}", what, e.what());
  }
}

}  // namespace strata::io::detail_io
