#pragma once
// What Model::compile sets up, shared by compile.cpp (losses and metrics) and fit.cpp (the loops).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "detail/errors.hpp"
#include "strata/losses.hpp"
#include "strata/metrics.hpp"
#include "strata/models/model.hpp"
#include "strata/optimizers.hpp"

namespace strata {

namespace detail {

/// What compile() set up.
struct CompiledState {
  std::shared_ptr<optimizers::Optimizer> optimizer;
  std::vector<std::shared_ptr<losses::Loss>> losses;  // one per output
  std::vector<double> loss_weights;
  std::vector<std::vector<MetricArg>> metric_specs;  // per output
  // per output, resolved at the first batch (so "accuracy" can look at the labels)
  std::vector<std::vector<std::shared_ptr<metrics::Metric>>> metrics;
  bool resolved = false;
  metrics::Mean loss_tracker{"loss"};
  std::vector<metrics::Mean> output_loss_trackers;  // multi-output models
  std::vector<std::string> output_names;
  /// Set by a distributed fit for each step: turns this rank's gradients of the trainable
  /// weights into the global batch's (and averages the non-trainable statistics).
  std::function<std::vector<Tensor>(const std::vector<Tensor>&, const std::vector<Variable>&)> reduce_gradients;
};

}  // namespace detail

namespace models {

/// ValueError when a model's inputs or targets are not as many as it has.
inline void check_count(const Model& m, const char* what, std::size_t got, std::size_t want) {
  if (got != want)
    detail::raise<ValueError>("Model '{}': {} {} given, the model has {}", m.name(), got, what, want);
}

}  // namespace models
}  // namespace strata
