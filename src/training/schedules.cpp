// Learning-rate schedules with Keras's formulas.
#include "strata/schedules.hpp"

#include <algorithm>
#include <cmath>

#include "detail/errors.hpp"

namespace strata {

namespace schedules {

Schedule ExponentialDecay(double initial, double decay_steps, double rate, bool staircase) {
  if (!(decay_steps > 0)) detail::raise<ValueError>("ExponentialDecay: decay_steps must be positive, got {}", decay_steps);
  return [=](std::int64_t step) {
    double p = static_cast<double>(step) / decay_steps;
    if (staircase) p = std::floor(p);
    return initial * std::pow(rate, p);
  };
}

Schedule PiecewiseConstantDecay(std::vector<std::int64_t> boundaries, std::vector<double> values) {
  if (values.size() != boundaries.size() + 1)
    detail::raise<ValueError>("PiecewiseConstantDecay: {} values for {} boundaries (need one more value)",
                              values.size(), boundaries.size());
  if (!std::is_sorted(boundaries.begin(), boundaries.end()))
    throw ValueError("PiecewiseConstantDecay: boundaries must be increasing");
  return [=](std::int64_t step) {
    for (std::size_t i = 0; i < boundaries.size(); ++i)
      if (step <= boundaries[i]) return values[i];
    return values.back();
  };
}

Schedule InverseTimeDecay(double initial, double decay_steps, double rate, bool staircase) {
  if (!(decay_steps > 0)) detail::raise<ValueError>("InverseTimeDecay: decay_steps must be positive, got {}", decay_steps);
  return [=](std::int64_t step) {
    double p = static_cast<double>(step) / decay_steps;
    if (staircase) p = std::floor(p);
    return initial / (1 + rate * p);
  };
}

Schedule CosineDecay(double initial, double decay_steps, double alpha, double warmup_target, double warmup_steps) {
  if (!(decay_steps > 0)) detail::raise<ValueError>("CosineDecay: decay_steps must be positive, got {}", decay_steps);
  return [=](std::int64_t step_i) {
    const double step = static_cast<double>(step_i);
    const bool warm = warmup_steps > 0 && warmup_target >= 0;
    if (warm && step < warmup_steps) return initial + (warmup_target - initial) * step / warmup_steps;
    const double top = warm ? warmup_target : initial;
    const double t = std::min(warm ? step - warmup_steps : step, decay_steps) / decay_steps;
    const double cosine = 0.5 * (1 + std::cos(M_PI * t));
    return top * ((1 - alpha) * cosine + alpha);
  };
}

}  // namespace schedules

}  // namespace strata
