#pragma once
// The monitored quantity of EarlyStopping, ModelCheckpoint and ReduceLROnPlateau.
#include <string>

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

}  // namespace strata::callbacks::detail_monitor
