#pragma once
/// Optimizers with Keras 3's update rules and defaults. They see only (gradient, Variable)
/// pairs, never layers:
///
///   optimizers::Adam opt(1e-3);
///   GradientTape tape;
///   Tensor loss = ...;
///   auto weights = model.trainable_weights();
///   opt.apply_gradients(tape.gradient(loss, weights), weights);
///
/// Each optimizer is defined by one update_step(gradient, variable, learning_rate), which
/// updates the variable and its slots in place in one fused pass over memory. Gradient
/// clipping (clipnorm, clipvalue, global_clipnorm) and decoupled weight_decay apply to all;
/// a Variable's constraint is applied after its update. The state (iterations and slots) is
/// inspectable and restorable.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "strata/autograd/variable.hpp"
#include "strata/schedules.hpp"
#include "strata/tensor.hpp"

namespace strata::optimizers {

/// A fixed learning rate or a schedule of the step.
class LearningRate {
 public:
  LearningRate(double value) : value_(value) {}  // NOLINT
  LearningRate(float value) : value_(value) {}   // NOLINT
  LearningRate(schedules::Schedule schedule) : value_(0), schedule_(std::move(schedule)) {}  // NOLINT
  double at(std::int64_t step) const { return schedule_ ? schedule_(step) : value_; }
  bool is_schedule() const { return static_cast<bool>(schedule_); }
  void set(double value) {
    value_ = value;
    schedule_ = nullptr;
  }

 private:
  double value_;
  schedules::Schedule schedule_;
};

class Optimizer {
 public:
  Optimizer(std::string name, LearningRate learning_rate);
  virtual ~Optimizer() = default;

  /// Applies one step: clipping, weight decay, update_step for each pair, constraints; then
  /// counts the iteration. Undefined gradients are skipped (the variable is untouched).
  void apply_gradients(const std::vector<Tensor>& gradients, const std::vector<Variable>& variables);

  /// The learning rate at the current step.
  double learning_rate() const { return learning_rate_.at(iterations_); }
  void set_learning_rate(LearningRate lr) { learning_rate_ = std::move(lr); }
  bool has_schedule() const { return learning_rate_.is_schedule(); }
  std::int64_t iterations() const { return iterations_; }
  const std::string& name() const { return name_; }

  // clipping and weight decay (Keras's optimizer arguments); at most one clipping mode
  std::optional<double> clipnorm, clipvalue, global_clipnorm;
  std::optional<double> weight_decay;
  /// Variables whose name contains one of these are not decayed (Keras's
  /// exclude_from_weight_decay); "bias" is a common choice.
  std::vector<std::string> exclude_from_weight_decay;

  // ---- state -----------------------------------------------------------------------------------------------
  /// The slot names an update keeps per variable ("momentum", "velocity", ...).
  virtual std::vector<std::string> slot_names() const = 0;
  /// Every slot as (variable name + "/" + slot name, value), in the order variables were first
  /// seen; with "iterations" first.
  std::vector<std::pair<std::string, Tensor>> state() const;
  /// Restores state() output: iterations and slots matched by name; the variables must have
  /// been seen (apply_gradients) or be given to build() first. ValueError on a mismatch.
  void load_state(const std::vector<std::pair<std::string, Tensor>>& state);
  /// Creates the slots of these variables now (Keras's optimizer.build).
  void build(const std::vector<Variable>& variables);
  virtual std::string class_name() const = 0;

 protected:
  /// Updates `variable` (and its slots) for `gradient` at learning rate `lr`; `step` counts
  /// from 1. Slots are in slot_names() order.
  virtual void update_step(const Tensor& gradient, Variable& variable, std::vector<Tensor>& slots, double lr,
                           std::int64_t step) = 0;
  /// The initial value of slot `k` for a variable (zeros by default).
  virtual Tensor initial_slot(std::size_t k, const Variable& variable) const;
  /// Called once per apply_gradients before the updates (Nadam's running product).
  virtual void before_step(std::int64_t) {}

 private:
  struct Slots {
    Variable variable;
    std::vector<Tensor> values;
  };
  Slots& slots_for(const Variable& v);
  std::string name_;
  LearningRate learning_rate_;
  std::int64_t iterations_ = 0;
  std::vector<Slots> slots_;
};

/// v = momentum v - lr g; w += v (nesterov: w += momentum v - lr g). Plain SGD without momentum.
class SGD : public Optimizer {
 public:
  explicit SGD(LearningRate learning_rate = 0.01, double momentum = 0.0, bool nesterov = false);
  std::vector<std::string> slot_names() const override;
  std::string class_name() const override { return "SGD"; }
  double momentum;
  bool nesterov;

 protected:
  void update_step(const Tensor& g, Variable& v, std::vector<Tensor>& s, double lr, std::int64_t step) override;
};

/// Adam (amsgrad optional); AdamW is Adam with a decoupled weight_decay (0.004 by default).
class Adam : public Optimizer {
 public:
  explicit Adam(LearningRate learning_rate = 0.001, double beta_1 = 0.9, double beta_2 = 0.999, double epsilon = 1e-7,
                bool amsgrad = false);
  std::vector<std::string> slot_names() const override;
  std::string class_name() const override { return "Adam"; }
  double beta_1, beta_2, epsilon;
  bool amsgrad;

 protected:
  void update_step(const Tensor& g, Variable& v, std::vector<Tensor>& s, double lr, std::int64_t step) override;
};

class AdamW : public Adam {
 public:
  explicit AdamW(LearningRate learning_rate = 0.001, double weight_decay = 0.004, double beta_1 = 0.9,
                 double beta_2 = 0.999, double epsilon = 1e-7, bool amsgrad = false);
  std::string class_name() const override { return "AdamW"; }
};

/// RMSprop (Keras 3): rho, momentum, centered.
class RMSprop : public Optimizer {
 public:
  explicit RMSprop(LearningRate learning_rate = 0.001, double rho = 0.9, double momentum = 0.0, double epsilon = 1e-7,
                   bool centered = false);
  std::vector<std::string> slot_names() const override;
  std::string class_name() const override { return "RMSprop"; }
  double rho, momentum, epsilon;
  bool centered;

 protected:
  void update_step(const Tensor& g, Variable& v, std::vector<Tensor>& s, double lr, std::int64_t step) override;
};

class Adagrad : public Optimizer {
 public:
  explicit Adagrad(LearningRate learning_rate = 0.001, double initial_accumulator_value = 0.1, double epsilon = 1e-7);
  std::vector<std::string> slot_names() const override { return {"accumulator"}; }
  std::string class_name() const override { return "Adagrad"; }
  double initial_accumulator_value, epsilon;

 protected:
  void update_step(const Tensor& g, Variable& v, std::vector<Tensor>& s, double lr, std::int64_t step) override;
  Tensor initial_slot(std::size_t k, const Variable& variable) const override;
};

class Adadelta : public Optimizer {
 public:
  explicit Adadelta(LearningRate learning_rate = 0.001, double rho = 0.95, double epsilon = 1e-7);
  std::vector<std::string> slot_names() const override { return {"accumulated_grad", "accumulated_delta_var"}; }
  std::string class_name() const override { return "Adadelta"; }
  double rho, epsilon;

 protected:
  void update_step(const Tensor& g, Variable& v, std::vector<Tensor>& s, double lr, std::int64_t step) override;
};

class Adamax : public Optimizer {
 public:
  explicit Adamax(LearningRate learning_rate = 0.001, double beta_1 = 0.9, double beta_2 = 0.999,
                  double epsilon = 1e-7);
  std::vector<std::string> slot_names() const override { return {"momentum", "norm"}; }
  std::string class_name() const override { return "Adamax"; }
  double beta_1, beta_2, epsilon;

 protected:
  void update_step(const Tensor& g, Variable& v, std::vector<Tensor>& s, double lr, std::int64_t step) override;
};

/// Nesterov Adam with Keras's momentum schedule (0.96 decay).
class Nadam : public Optimizer {
 public:
  explicit Nadam(LearningRate learning_rate = 0.001, double beta_1 = 0.9, double beta_2 = 0.999, double epsilon = 1e-7);
  std::vector<std::string> slot_names() const override { return {"momentum", "velocity"}; }
  std::string class_name() const override { return "Nadam"; }
  double beta_1, beta_2, epsilon;

 protected:
  void update_step(const Tensor& g, Variable& v, std::vector<Tensor>& s, double lr, std::int64_t step) override;
  void before_step(std::int64_t step) override;

 private:
  double u_product_ = 1.0;
  std::int64_t u_product_step_ = 0;
};

/// By Keras name with default arguments: "sgd", "adam", "adamw", "rmsprop", "adagrad",
/// "adadelta", "adamax", "nadam".
std::shared_ptr<Optimizer> get(const std::string& name);

}  // namespace strata::optimizers
