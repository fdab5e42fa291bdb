#pragma once
/// Learning-rate schedules with Keras's formulas: a learning rate as a function of the
/// optimizer's step (its iteration count).
///
///   auto lr = schedules::ExponentialDecay(1e-3, /*decay_steps=*/1000, /*decay_rate=*/0.9);
///   optimizers::Adam opt(lr);
#include <cstdint>
#include <functional>
#include <vector>

#include "strata/config.hpp"

namespace strata::schedules {

/// A schedule: step -> learning rate. Any callable works.
using Schedule = std::function<double(std::int64_t step)>;

/// initial * rate^(step / decay_steps), with an integer exponent when staircase.
Schedule ExponentialDecay(double initial_learning_rate, double decay_steps, double decay_rate, bool staircase = false);
/// values[i] while step <= boundaries[i] (values has one more entry than boundaries).
Schedule PiecewiseConstantDecay(std::vector<std::int64_t> boundaries, std::vector<double> values);
/// initial / (1 + rate * step / decay_steps), floored when staircase.
Schedule InverseTimeDecay(double initial_learning_rate, double decay_steps, double decay_rate, bool staircase = false);
/// Keras 3's CosineDecay: a linear warmup from initial to warmup_target over warmup_steps
/// (when warmup_steps > 0), then a cosine from there down to alpha * that rate over
/// decay_steps.
Schedule CosineDecay(double initial_learning_rate, double decay_steps, double alpha = 0.0,
                     double warmup_target = -1.0, double warmup_steps = 0.0);

/// (initial - end) * (1 - p)^power + end with p = min(step, decay_steps) / decay_steps; with
/// cycle, decay_steps grows to the first multiple of itself at or above the step.
Schedule PolynomialDecay(double initial_learning_rate, double decay_steps, double end_learning_rate = 1e-4,
                         double power = 1.0, bool cycle = false);
/// SGDR (Loshchilov & Hutter, 2017): cosine decays from initial to alpha * initial over
/// first_decay_steps, restarting with periods multiplied by t_mul and peaks by m_mul.
Schedule CosineDecayRestarts(double initial_learning_rate, double first_decay_steps, double t_mul = 2.0,
                             double m_mul = 1.0, double alpha = 0.0);

/// Keras's serialization of a schedule made by the functions above:
/// {"module": "keras.optimizers.schedules", "class_name": "ExponentialDecay", "config": {...}}.
/// A user's own callable has none: ValueError saying so.
Config serialize(const Schedule& schedule);
/// Whether serialize can describe this schedule.
bool serializable(const Schedule& schedule);
/// The schedule a Keras 2 or Keras 3 config describes ({"class_name", "config"}; "module" and
/// "registered_name" are ignored); ValueError naming the class for one strata does not have.
Schedule deserialize(const Config& config);

}  // namespace strata::schedules
