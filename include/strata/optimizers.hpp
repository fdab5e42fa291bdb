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
/// Each optimizer is defined by one update_step(gradient, variable, slots, lr, step), which
/// returns the variable's update as an elementwise kernel (an Update) for apply_gradients to
/// run: the built-in ones fuse the variable and its slots in one pass over memory, and
/// apply_gradients runs the kernels of all variables as one loop split across the threads.
/// An update_step that does its work itself returns an empty Update. A rule of your own:
///
///   class SignSGD : public optimizers::Optimizer {  // w -= lr sign(g), float32 variables
///    public:
///     SignSGD() : Optimizer("SignSGD", 0.01) {}
///     std::vector<std::string> slot_names() const override { return {}; }
///     std::string class_name() const override { return "SignSGD"; }
///    protected:
///     optimizers::Update update_step(const Tensor& g, Variable& v, std::vector<Tensor>&, double lr,
///                                    std::int64_t) override {
///       float* w = v.mutable_data<float>();
///       const float* gp = g.data<float>();
///       const float a = static_cast<float>(lr);
///       return {v.size(), [=](std::int64_t begin, std::int64_t end) {
///                 for (std::int64_t i = begin; i < end; ++i) w[i] -= gp[i] > 0 ? a : gp[i] < 0 ? -a : 0.0f;
///               }};
///     }
///   };
///
/// Gradient clipping (clipnorm, clipvalue, global_clipnorm) and decoupled weight_decay apply
/// to all; a Variable's constraint is applied after its update. The state (iterations and
/// slots) is inspectable and restorable.
#include <cstdint>
#include <functional>
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
  /// The fixed value (meaningless for a schedule) and the schedule (empty for a fixed value).
  double value() const { return value_; }
  const schedules::Schedule& schedule() const { return schedule_; }
  void set(double value) {
    value_ = value;
    schedule_ = nullptr;
  }

 private:
  double value_;
  schedules::Schedule schedule_;
};

/// One variable's update, as update_step hands it to apply_gradients: a kernel that updates
/// the elements [begin, end) of the variable (and of its slots) in place, for a variable of
/// size() elements. Empty (default-constructed) when update_step did its work itself.
///
///   Update u = Adam::update_step(g, v, slots, lr, step);
///   u.run();                   // the variable is updated now
///   record(v.value());         // ... so it can be read
///   return {};                 // nothing left for apply_gradients to run
///
/// The kernel may run in parts, on several threads at once, after update_step has returned:
/// it must touch only elements in its range, give the same result however [0, size) is split,
/// and capture by value (in apply_gradients, the gradient's, variable's and slots' buffers
/// live until it has run).
class Update {
 public:
  using Kernel = std::function<void(std::int64_t begin, std::int64_t end)>;
  Update() = default;
  Update(std::int64_t size, Kernel kernel);
  bool empty() const { return !kernel_; }
  std::int64_t size() const { return size_; }
  /// Runs the kernel over [begin, end) (of a non-empty Update).
  void operator()(std::int64_t begin, std::int64_t end) const { kernel_(begin, end); }
  /// Runs the whole update now, split across the threads from 64k elements on (an empty
  /// Update does nothing).
  void run() const;

 private:
  std::int64_t size_ = 0;
  Kernel kernel_;
};

class Optimizer {
 public:
  Optimizer(std::string name, LearningRate learning_rate);
  virtual ~Optimizer() = default;

  /// Applies one step, then counts the iteration: clips the gradients; applies decoupled
  /// weight decay (w *= 1 - lr weight_decay) to every variable first, as one loop, as Keras
  /// does; calls update_step for each pair, in order, and runs the Updates it returns as one
  /// loop over all their variables, then applies those variables' constraints (a variable
  /// whose update_step returned {} gets its constraint at once). A variable listed twice gets
  /// its updates in list order: the Updates collected so far run before its second
  /// update_step. Undefined gradients are skipped (the variable is untouched).
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
  /// Keras 3's config: name, learning_rate (a number, or a serialized schedule), weight_decay,
  /// the clipping options, use_ema (false) ... and each class's own arguments. A schedule that is
  /// a user's callable cannot be described: ValueError.
  virtual Config get_config() const;

 protected:
  /// The update of `variable` (and its slots) for `gradient` at learning rate `lr`; `step`
  /// counts from 1; slots are in slot_names() order. Return the update as a kernel for
  /// apply_gradients to run with the other variables' (the built-in ones do), or do the work
  /// here and return {}. A kernel may run after the update_steps of the variables listed
  /// after this one, so an update_step must not expect other variables to be updated yet.
  virtual Update update_step(const Tensor& gradient, Variable& variable, std::vector<Tensor>& slots, double lr,
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
  Config get_config() const override;
  double momentum;
  bool nesterov;

 protected:
  Update update_step(const Tensor& g, Variable& v, std::vector<Tensor>& s, double lr, std::int64_t step) override;
};

/// Adam (amsgrad optional); AdamW is Adam with a decoupled weight_decay (0.004 by default).
class Adam : public Optimizer {
 public:
  explicit Adam(LearningRate learning_rate = 0.001, double beta_1 = 0.9, double beta_2 = 0.999, double epsilon = 1e-7,
                bool amsgrad = false);
  std::vector<std::string> slot_names() const override;
  std::string class_name() const override { return "Adam"; }
  Config get_config() const override;
  double beta_1, beta_2, epsilon;
  bool amsgrad;

 protected:
  Update update_step(const Tensor& g, Variable& v, std::vector<Tensor>& s, double lr, std::int64_t step) override;
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
  Config get_config() const override;
  double rho, momentum, epsilon;
  bool centered;

 protected:
  Update update_step(const Tensor& g, Variable& v, std::vector<Tensor>& s, double lr, std::int64_t step) override;
};

class Adagrad : public Optimizer {
 public:
  explicit Adagrad(LearningRate learning_rate = 0.001, double initial_accumulator_value = 0.1, double epsilon = 1e-7);
  std::vector<std::string> slot_names() const override { return {"accumulator"}; }
  std::string class_name() const override { return "Adagrad"; }
  Config get_config() const override;
  double initial_accumulator_value, epsilon;

 protected:
  Update update_step(const Tensor& g, Variable& v, std::vector<Tensor>& s, double lr, std::int64_t step) override;
  Tensor initial_slot(std::size_t k, const Variable& variable) const override;
};

class Adadelta : public Optimizer {
 public:
  explicit Adadelta(LearningRate learning_rate = 0.001, double rho = 0.95, double epsilon = 1e-7);
  std::vector<std::string> slot_names() const override { return {"accumulated_grad", "accumulated_delta_var"}; }
  std::string class_name() const override { return "Adadelta"; }
  Config get_config() const override;
  double rho, epsilon;

 protected:
  Update update_step(const Tensor& g, Variable& v, std::vector<Tensor>& s, double lr, std::int64_t step) override;
};

class Adamax : public Optimizer {
 public:
  explicit Adamax(LearningRate learning_rate = 0.001, double beta_1 = 0.9, double beta_2 = 0.999,
                  double epsilon = 1e-7);
  std::vector<std::string> slot_names() const override { return {"momentum", "norm"}; }
  std::string class_name() const override { return "Adamax"; }
  Config get_config() const override;
  double beta_1, beta_2, epsilon;

 protected:
  Update update_step(const Tensor& g, Variable& v, std::vector<Tensor>& s, double lr, std::int64_t step) override;
};

/// Nesterov Adam with Keras's momentum schedule (0.96 decay).
class Nadam : public Optimizer {
 public:
  explicit Nadam(LearningRate learning_rate = 0.001, double beta_1 = 0.9, double beta_2 = 0.999, double epsilon = 1e-7);
  std::vector<std::string> slot_names() const override { return {"momentum", "velocity"}; }
  std::string class_name() const override { return "Nadam"; }
  Config get_config() const override;
  double beta_1, beta_2, epsilon;

 protected:
  Update update_step(const Tensor& g, Variable& v, std::vector<Tensor>& s, double lr, std::int64_t step) override;
  void before_step(std::int64_t step) override;

 private:
  double u_product_ = 1.0;
  std::int64_t u_product_step_ = 0;
};

/// Lion (Chen et al., 2023): w -= lr * sign(beta_1 m + (1 - beta_1) g), then
/// m = beta_2 m + (1 - beta_2) g. Its steps have size lr in every coordinate, so it wants a
/// learning rate 3-10x smaller than Adam's.
class Lion : public Optimizer {
 public:
  explicit Lion(LearningRate learning_rate = 0.001, double beta_1 = 0.9, double beta_2 = 0.99);
  std::vector<std::string> slot_names() const override { return {"momentum"}; }
  std::string class_name() const override { return "Lion"; }
  Config get_config() const override;
  double beta_1, beta_2;

 protected:
  Update update_step(const Tensor& g, Variable& v, std::vector<Tensor>& s, double lr, std::int64_t step) override;
};

/// By Keras name with default arguments: "sgd", "adam", "adamw", "rmsprop", "adagrad",
/// "adadelta", "adamax", "nadam", "lion".
std::shared_ptr<Optimizer> get(const std::string& name);

/// {"module": "keras.optimizers", "class_name": "Adam", "config": get_config(),
/// "registered_name": null}, as Keras 3 saves an optimizer.
Config serialize(const Optimizer& optimizer);
/// An optimizer from a name ("adam") or a Keras 2 / Keras 3 / TF.js config
/// ({"class_name": "Adam", "config": {...}}): Keras 2's "lr" and legacy "decay" (an
/// InverseTimeDecay of the step) are read, a learning_rate may be a serialized schedule.
/// Options strata does not have (use_ema, gradient accumulation, a loss scale) are a ValueError.
std::shared_ptr<Optimizer> deserialize(const Config& config);

}  // namespace strata::optimizers
