#pragma once
// The monitored quantity of EarlyStopping, ModelCheckpoint and ReduceLROnPlateau.
#include <iostream>
#include <string>

#include "strata/models/training.hpp"

#include "detail/errors.hpp"

namespace strata::callbacks::detail_monitor {

/// Keras's "auto" mode: maximize accuracy-like metrics, minimize the rest.
inline bool maximize(const std::string& monitor, const std::string& mode) {
  if (mode == "max") return true;
  if (mode == "min") return false;
  if (mode != "auto") ::strata::detail::raise<ValueError>("callbacks: mode must be auto, min or max, got '{}'", mode);
  for (const char* k : {"acc", "auc", "precision", "recall", "fmeasure"})
    if (monitor.find(k) != std::string::npos) return true;
  return false;
}

/// Keras's warning for a callback conditioned on a value the logs do not hold (a typo such as
/// "val_acuracy", or val_ metrics without validation data), on standard error.
inline void warn_missing_monitor(const char* callback, const std::string& monitor, const Logs& logs) {
  std::string keys;
  for (const auto& [k, v] : logs.items()) keys += (keys.empty() ? "" : ", ") + k;
  std::cerr << "strata: warning: " << callback << " is conditioned on '" << monitor
            << "', which the logs do not hold (they hold: " << (keys.empty() ? "nothing" : keys) << ")\n";
}

}  // namespace strata::callbacks::detail_monitor
