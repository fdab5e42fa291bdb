#pragma once
// Per-element sample weights for the metrics that count (metrics.cpp, metrics_scores.cpp).
#include <vector>

#include "strata/ops.hpp"
#include "strata/tensor.hpp"

namespace strata::detail {

/// Per-sample weights as doubles, one per element of `values` (broadcast from [N], [N, 1] or
/// a scalar, as Keras broadcasts them).
inline std::vector<double> metric_weights(const Tensor& values, const Tensor& sample_weight) {
  const auto n = static_cast<std::size_t>(values.size());
  if (!sample_weight.defined()) return std::vector<double>(n, 1.0);
  Tensor w = sample_weight;
  if (w.rank() > values.rank() && w.shape().back() == 1) w = squeeze(w, {-1});
  while (w.rank() < values.rank()) w = expand_dims(w, -1);
  return broadcast_to(cast(w, DType::float64), values.shape()).to_vector<double>();
}

}  // namespace strata::detail
