// Optimizers: each update_step returns one fused loop over the variable, its gradient and its
// slots (read once, written once, in place) as an Update; apply_gradients runs them together.
#include "strata/optimizers.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <unordered_set>

#include "detail/dispatch.hpp"
#include "detail/denormals.hpp"
#include "detail/errors.hpp"
#include "detail/parallel.hpp"
#include "detail/tensor_impl.hpp"
#include "strata/autograd/tape.hpp"
#include "strata/ops.hpp"

namespace strata {

namespace optimizers {

// ---- Optimizer ---------------------------------------------------------------------------------------------------

Optimizer::Optimizer(std::string name, LearningRate learning_rate)
    : name_(std::move(name)), learning_rate_(std::move(learning_rate)) {}

Tensor Optimizer::initial_slot(std::size_t, const Variable& v) const { return Tensor::zeros(v.shape(), v.dtype()); }

Optimizer::Slots& Optimizer::slots_for(const Variable& v) {
  for (auto& s : slots_)
    if (s.variable.is_same(v)) return s;
  Slots s{v, {}};
  for (std::size_t k = 0; k < slot_names().size(); ++k) s.values.push_back(initial_slot(k, v));
  slots_.push_back(std::move(s));
  return slots_.back();
}

void Optimizer::build(const std::vector<Variable>& variables) {
  for (const auto& v : variables) slots_for(v);
}

namespace {
/// The optimizer loops' grain: they split across the threads from 64k elements on.
constexpr std::int64_t kUpdateGrain = 32768;

/// Runs the updates as one loop over their variables' concatenated elements, split across the
/// threads: one wake of the worker threads per step rather than one per variable. Each
/// variable starts at a multiple of 16 so that chunk bounds keep SIMD batches whole. No two
/// chunks share an element, and the updates are of distinct variables, so none race.
void run_together(const std::vector<Update>& q) {
  std::vector<std::int64_t> start(q.size() + 1, 0);
  for (std::size_t k = 0; k < q.size(); ++k) start[k + 1] = (start[k] + q[k].size() + 15) / 16 * 16;
  detail::parallel_for(start.back(), [&](std::int64_t b, std::int64_t e) {
    std::size_t k = static_cast<std::size_t>(std::upper_bound(start.begin(), start.end(), b) - start.begin()) - 1;
    for (; k < q.size() && start[k] < e; ++k) {
      const std::int64_t lo = std::max(b, start[k]), hi = std::min(e, start[k] + q[k].size());
      if (lo < hi) q[k](lo - start[k], hi - start[k]);
    }
  }, kUpdateGrain);
}

/// A variable's slot buffers, offset to the part an update runs over (no allocation per part).
template <class T>
struct SlotPtrs {
  static constexpr std::size_t kMax = 3;  // Adam with amsgrad, centered RMSprop with momentum
  std::array<T*, kMax> p{};
  std::size_t n = 0;
  T* operator[](std::size_t k) const { return p[k]; }
  bool empty() const { return n == 0; }
};

/// The Update running f(w, g, slot pointers, n, T{}) over float or double buffers: every
/// element's update is independent, so any split gives the same bits. `f` is kept by value
/// (it runs after update_step returns), so update rules capture by value.
template <class F>
Update fused(const char* op, const Tensor& g, Variable& v, std::vector<Tensor>& slots, F f) {
  if (slots.size() > SlotPtrs<float>::kMax) throw std::logic_error("optimizer update with more than 3 slots");
  Update out;
  detail::dispatch_float(v.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    T* w = v.mutable_data<T>();
    const T* gp = g.data<T>();
    SlotPtrs<T> sp;
    for (Tensor& s : slots) sp.p[sp.n++] = s.mutable_data<T>();
    out = Update(v.size(), [w, gp, sp, f](std::int64_t b, std::int64_t e) {
      SlotPtrs<T> part = sp;
      for (std::size_t k = 0; k < part.n; ++k) part.p[k] += b;
      f(w + b, gp + b, part, e - b, T{});
    });
  });
  return out;
}

/// Decoupled weight decay of one variable: w *= 1 - lr wd.
Update decay(Variable& v, double factor) {
  Update out;
  detail::dispatch_float(v.dtype(), "weight decay", [&](auto tag) {
    using T = decltype(tag);
    T* w = v.mutable_data<T>();
    out = Update(v.size(), [w, factor](std::int64_t b, std::int64_t e) {
      for (std::int64_t k = b; k < e; ++k) w[k] *= static_cast<T>(factor);
    });
  });
  return out;
}

void apply_constraint(Variable& v) {
  if (v.constraint()) v.assign(v.constraint()(v.value()));
}

/// Updates of distinct variables, collected to run as one loop (run_together).
class Batch {
 public:
  bool has(const Variable& v) const { return ids_.count(v.state()) > 0; }
  void add(Update u, const Variable& v) {
    updates_.push_back(std::move(u));
    variables_.push_back(v);
    ids_.insert(v.state());
  }
  /// Runs the updates, then (when asked) applies their variables' constraints, and empties the batch.
  void run(bool constrain) {
    run_together(updates_);
    if (constrain)
      for (Variable& v : variables_) apply_constraint(v);
    updates_.clear();
    variables_.clear();
    ids_.clear();
  }

 private:
  std::vector<Update> updates_;
  std::vector<Variable> variables_;
  std::unordered_set<const void*> ids_;
};
}  // namespace

Update::Update(std::int64_t size, Kernel kernel) : size_(size), kernel_(std::move(kernel)) {
  if (size < 0) detail::raise<ValueError>("optimizers::Update: size must be >= 0, got {}", size);
}

void Update::run() const {
  if (kernel_) detail::parallel_for(size_, kernel_, kUpdateGrain);
}

void Optimizer::apply_gradients(const std::vector<Tensor>& gradients, const std::vector<Variable>& variables) {
  if (gradients.size() != variables.size())
    detail::raise<ValueError>("{}: apply_gradients got {} gradients for {} variables", name_, gradients.size(),
                              variables.size());
  if ((clipnorm ? 1 : 0) + (clipvalue ? 1 : 0) + (global_clipnorm ? 1 : 0) > 1)
    detail::raise<ValueError>("{}: set at most one of clipnorm, clipvalue and global_clipnorm", name_);
  for (const auto& [what, v] : {std::pair<const char*, const std::optional<double>&>{"clipnorm", clipnorm},
                                {"clipvalue", clipvalue},
                                {"global_clipnorm", global_clipnorm}})
    if (v && !(*v > 0)) detail::raise<ValueError>("{}: {} must be positive, got {}", name_, what, *v);
  if (weight_decay && !(*weight_decay >= 0))
    detail::raise<ValueError>("{}: weight_decay must be >= 0, got {}", name_, *weight_decay);
  NoGradGuard no_grad;  // updates are not differentiated
  detail::ScopedFlushDenormals ftz;  // decaying slots of zero gradients would turn denormal
  std::vector<Tensor> grads = gradients;
  for (std::size_t i = 0; i < grads.size(); ++i) {
    if (!grads[i].defined()) continue;
    if (grads[i].shape() != variables[i].shape())
      detail::raise<ShapeError>("{}: gradient of shape {} for variable '{}' of shape {}", name_, grads[i].shape(),
                                variables[i].name(), variables[i].shape());
    if (!is_floating(variables[i].dtype()))
      detail::raise<DTypeError>("{}: variable '{}' is {}; only float variables are optimized", name_,
                                variables[i].name(), variables[i].dtype());
    if (grads[i].dtype() != variables[i].dtype()) grads[i] = cast(grads[i], variables[i].dtype());
  }
  if (clipvalue) {
    for (auto& g : grads)
      if (g.defined()) g = clip(g, -*clipvalue, *clipvalue);
  } else if (clipnorm) {
    for (auto& g : grads)
      if (g.defined()) {
        const double n = std::sqrt(sum(square(g)).item<double>());
        if (n > *clipnorm) g = mul(g, *clipnorm / n);
      }
  } else if (global_clipnorm) {
    double total = 0;
    for (const auto& g : grads)
      if (g.defined()) total += sum(square(g)).item<double>();
    const double n = std::sqrt(total);
    if (n > *global_clipnorm)
      for (auto& g : grads)
        if (g.defined()) g = mul(g, *global_clipnorm / n);
  }
  const double lr = learning_rate();
  const std::int64_t step = iterations_ + 1;
  before_step(step);
  // Decoupled weight decay first, for every variable (Keras's order), so that an update_step
  // that runs its update itself sees its variable decayed. A batch holds one update of each
  // variable: before a second one (a variable listed twice), the batch so far runs.
  Batch batch;
  if (weight_decay && *weight_decay > 0) {
    for (std::size_t i = 0; i < grads.size(); ++i) {
      if (!grads[i].defined()) continue;
      Variable v = variables[i];
      bool excluded = false;
      for (const auto& pat : exclude_from_weight_decay) excluded = excluded || v.name().find(pat) != std::string::npos;
      if (excluded) continue;
      if (batch.has(v)) batch.run(false);
      batch.add(decay(v, 1.0 - lr * *weight_decay), v);
    }
    batch.run(false);
  }
  // Then the update_steps, in order. Their Updates run together after them, and the
  // constraints, which need the updated variables, after that; a variable whose update_step
  // did the work itself gets its constraint at once.
  for (std::size_t i = 0; i < grads.size(); ++i) {
    if (!grads[i].defined()) continue;
    Variable v = variables[i];
    if (batch.has(v)) batch.run(true);  // its first update runs before its second update_step
    Update u = update_step(grads[i], v, slots_for(v).values, lr, step);
    if (u.empty()) {
      apply_constraint(v);
      continue;
    }
    if (u.size() != v.size())
      detail::raise<ValueError>("{}: update_step returned an update of {} elements for variable '{}' of {}", name_,
                                u.size(), v.name(), v.size());
    batch.add(std::move(u), v);
  }
  batch.run(true);
  ++iterations_;
}

std::vector<std::pair<std::string, Tensor>> Optimizer::state() const {
  std::vector<std::pair<std::string, Tensor>> out;
  out.emplace_back("iterations", Tensor::scalar(static_cast<double>(iterations_), DType::int64));
  const auto names = slot_names();
  for (const auto& s : slots_)
    for (std::size_t k = 0; k < s.values.size(); ++k) out.emplace_back(s.variable.name() + "/" + names[k], s.values[k]);
  return out;
}

void Optimizer::load_state(const std::vector<std::pair<std::string, Tensor>>& st) {
  const auto names = slot_names();
  for (const auto& [key, value] : st) {
    if (key == "iterations") {
      if (value.size() != 1)
        detail::raise<ValueError>("{}: state 'iterations' has shape {}, expected one number", name_, value.shape());
      iterations_ = value.item<std::int64_t>();
      continue;
    }
    bool found = false;
    for (auto& s : slots_)
      for (std::size_t k = 0; k < names.size() && !found; ++k)
        if (key == s.variable.name() + "/" + names[k]) {
          if (value.shape() != s.values[k].shape())
            detail::raise<ValueError>("{}: state '{}' has shape {}, expected {}", name_, key, value.shape(),
                                      s.values[k].shape());
          s.values[k] = cast(value, s.variable.dtype()).clone();
          found = true;
        }
    if (!found)
      detail::raise<ValueError>("{}: state '{}' matches no slot (build the optimizer with the model's variables first)",
                                name_, key);
  }
}


// ---- SGD -----------------------------------------------------------------------------------------------------------

SGD::SGD(LearningRate lr, double momentum_, bool nesterov_) : Optimizer("SGD", std::move(lr)), momentum(momentum_), nesterov(nesterov_) {
  if (momentum < 0 || momentum > 1) detail::raise<ValueError>("SGD: momentum must be in [0, 1], got {}", momentum);
}

std::vector<std::string> SGD::slot_names() const {
  return momentum > 0 ? std::vector<std::string>{"momentum"} : std::vector<std::string>{};
}

Update SGD::update_step(const Tensor& g, Variable& v, std::vector<Tensor>& s, double lr, std::int64_t) {
  return fused("SGD", g, v, s, [=](auto* w, const auto* gr, auto& sp, std::int64_t n, auto tag) {
    using T = decltype(tag);
    const T a = static_cast<T>(lr), m = static_cast<T>(momentum);
    if (sp.empty()) {
      for (std::int64_t i = 0; i < n; ++i) w[i] -= a * gr[i];
    } else if (nesterov) {
      T* vel = sp[0];
      for (std::int64_t i = 0; i < n; ++i) {
        vel[i] = m * vel[i] - a * gr[i];
        w[i] += m * vel[i] - a * gr[i];
      }
    } else {
      T* vel = sp[0];
      for (std::int64_t i = 0; i < n; ++i) {
        vel[i] = m * vel[i] - a * gr[i];
        w[i] += vel[i];
      }
    }
  });
}

// ---- Adam, AdamW ---------------------------------------------------------------------------------------------------

Adam::Adam(LearningRate lr, double b1, double b2, double eps, bool ams)
    : Optimizer("Adam", std::move(lr)), beta_1(b1), beta_2(b2), epsilon(eps), amsgrad(ams) {}

std::vector<std::string> Adam::slot_names() const {
  return amsgrad ? std::vector<std::string>{"momentum", "velocity", "velocity_hat"}
                 : std::vector<std::string>{"momentum", "velocity"};
}

Update Adam::update_step(const Tensor& g, Variable& v, std::vector<Tensor>& s, double lr, std::int64_t step) {
  const double t = static_cast<double>(step);
  // lr_t = lr sqrt(1 - b2^t) / (1 - b1^t); w -= lr_t m / (sqrt(v) + eps)
  const double alpha = lr * std::sqrt(1 - std::pow(beta_2, t)) / (1 - std::pow(beta_1, t));
  return fused("Adam", g, v, s, [=](auto* w, const auto* gr, auto& sp, std::int64_t n, auto tag) {
    using T = decltype(tag);
    const T b1 = static_cast<T>(beta_1), b2 = static_cast<T>(beta_2), a = static_cast<T>(alpha),
            e = static_cast<T>(epsilon);
    T* m = sp[0];
    T* vv = sp[1];
    if (amsgrad) {
      T* vh = sp[2];
      for (std::int64_t i = 0; i < n; ++i) {
        m[i] += (gr[i] - m[i]) * (T(1) - b1);
        vv[i] += (gr[i] * gr[i] - vv[i]) * (T(1) - b2);
        vh[i] = std::max(vh[i], vv[i]);
        w[i] -= a * m[i] / (std::sqrt(vh[i]) + e);
      }
    } else {
      for (std::int64_t i = 0; i < n; ++i) {
        m[i] += (gr[i] - m[i]) * (T(1) - b1);
        vv[i] += (gr[i] * gr[i] - vv[i]) * (T(1) - b2);
        w[i] -= a * m[i] / (std::sqrt(vv[i]) + e);
      }
    }
  });
}

AdamW::AdamW(LearningRate lr, double wd, double b1, double b2, double eps, bool ams) : Adam(std::move(lr), b1, b2, eps, ams) {
  weight_decay = wd;
}

// ---- RMSprop -------------------------------------------------------------------------------------------------------

RMSprop::RMSprop(LearningRate lr, double rho_, double momentum_, double eps, bool centered_)
    : Optimizer("RMSprop", std::move(lr)), rho(rho_), momentum(momentum_), epsilon(eps), centered(centered_) {}

std::vector<std::string> RMSprop::slot_names() const {
  std::vector<std::string> n{"velocity"};
  if (momentum > 0) n.push_back("momentum");
  if (centered) n.push_back("average_gradient");
  return n;
}

Update RMSprop::update_step(const Tensor& g, Variable& v, std::vector<Tensor>& s, double lr, std::int64_t) {
  return fused("RMSprop", g, v, s, [=](auto* w, const auto* gr, auto& sp, std::int64_t n, auto tag) {
    using T = decltype(tag);
    const T r = static_cast<T>(rho), a = static_cast<T>(lr), e = static_cast<T>(epsilon), mo = static_cast<T>(momentum);
    T* vel = sp[0];
    T* mom = momentum > 0 ? sp[1] : nullptr;
    T* avg = centered ? sp[momentum > 0 ? 2 : 1] : nullptr;
    for (std::int64_t i = 0; i < n; ++i) {
      vel[i] = r * vel[i] + (T(1) - r) * gr[i] * gr[i];
      T denom = vel[i];
      if (avg) {
        avg[i] = r * avg[i] + (T(1) - r) * gr[i];
        denom -= avg[i] * avg[i];
      }
      const T inc = a * gr[i] / std::sqrt(denom + e);
      if (mom) {
        mom[i] = mo * mom[i] + inc;
        w[i] -= mom[i];
      } else {
        w[i] -= inc;
      }
    }
  });
}

// ---- Adagrad, Adadelta, Adamax, Nadam --------------------------------------------------------------------------------

Adagrad::Adagrad(LearningRate lr, double init, double eps)
    : Optimizer("Adagrad", std::move(lr)), initial_accumulator_value(init), epsilon(eps) {}

Tensor Adagrad::initial_slot(std::size_t, const Variable& v) const {
  return Tensor::full(v.shape(), initial_accumulator_value, v.dtype());
}

Update Adagrad::update_step(const Tensor& g, Variable& v, std::vector<Tensor>& s, double lr, std::int64_t) {
  return fused("Adagrad", g, v, s, [=](auto* w, const auto* gr, auto& sp, std::int64_t n, auto tag) {
    using T = decltype(tag);
    const T a = static_cast<T>(lr), e = static_cast<T>(epsilon);
    T* acc = sp[0];
    for (std::int64_t i = 0; i < n; ++i) {
      acc[i] += gr[i] * gr[i];
      w[i] -= a * gr[i] / std::sqrt(acc[i] + e);
    }
  });
}

Adadelta::Adadelta(LearningRate lr, double rho_, double eps) : Optimizer("Adadelta", std::move(lr)), rho(rho_), epsilon(eps) {}

Update Adadelta::update_step(const Tensor& g, Variable& v, std::vector<Tensor>& s, double lr, std::int64_t) {
  return fused("Adadelta", g, v, s, [=](auto* w, const auto* gr, auto& sp, std::int64_t n, auto tag) {
    using T = decltype(tag);
    const T r = static_cast<T>(rho), a = static_cast<T>(lr), e = static_cast<T>(epsilon);
    T* ag = sp[0];
    T* ad = sp[1];
    for (std::int64_t i = 0; i < n; ++i) {
      ag[i] = r * ag[i] + (T(1) - r) * gr[i] * gr[i];
      const T delta = std::sqrt(ad[i] + e) / std::sqrt(ag[i] + e) * gr[i];
      ad[i] = r * ad[i] + (T(1) - r) * delta * delta;
      w[i] -= a * delta;
    }
  });
}

Adamax::Adamax(LearningRate lr, double b1, double b2, double eps)
    : Optimizer("Adamax", std::move(lr)), beta_1(b1), beta_2(b2), epsilon(eps) {}

Update Adamax::update_step(const Tensor& g, Variable& v, std::vector<Tensor>& s, double lr, std::int64_t step) {
  const double a = lr / (1 - std::pow(beta_1, static_cast<double>(step)));
  return fused("Adamax", g, v, s, [=](auto* w, const auto* gr, auto& sp, std::int64_t n, auto tag) {
    using T = decltype(tag);
    const T b1 = static_cast<T>(beta_1), b2 = static_cast<T>(beta_2), at = static_cast<T>(a), e = static_cast<T>(epsilon);
    T* m = sp[0];
    T* u = sp[1];
    for (std::int64_t i = 0; i < n; ++i) {
      m[i] += (gr[i] - m[i]) * (T(1) - b1);
      u[i] = std::max(b2 * u[i], std::abs(gr[i]));
      w[i] -= at * m[i] / (u[i] + e);
    }
  });
}

Nadam::Nadam(LearningRate lr, double b1, double b2, double eps)
    : Optimizer("Nadam", std::move(lr)), beta_1(b1), beta_2(b2), epsilon(eps) {}

void Nadam::before_step(std::int64_t step) {
  // u_product after `step` steps: prod_s beta_1 (1 - 0.5 * 0.96^s). It follows from the
  // iteration count, so restored optimizers recompute it (incrementally when steps follow on).
  auto factor = [&](std::int64_t k) { return beta_1 * (1.0 - 0.5 * std::pow(0.96, static_cast<double>(k))); };
  if (step != u_product_step_ + 1) {
    u_product_ = 1.0;
    for (std::int64_t k = 1; k < step; ++k) u_product_ *= factor(k);
  }
  u_product_ *= factor(step);
  u_product_step_ = step;
}

Update Nadam::update_step(const Tensor& g, Variable& v, std::vector<Tensor>& s, double lr, std::int64_t step) {
  const double t = static_cast<double>(step);
  const double u_t = beta_1 * (1.0 - 0.5 * std::pow(0.96, t));
  const double u_t1 = beta_1 * (1.0 - 0.5 * std::pow(0.96, t + 1));
  const double u_prod_t = u_product_, u_prod_t1 = u_product_ * u_t1;
  const double c_m = u_t1 / (1 - u_prod_t1), c_g = (1 - u_t) / (1 - u_prod_t);
  const double v_scale = 1.0 / (1 - std::pow(beta_2, t));
  return fused("Nadam", g, v, s, [=](auto* w, const auto* gr, auto& sp, std::int64_t n, auto tag) {
    using T = decltype(tag);
    const T b1 = static_cast<T>(beta_1), b2 = static_cast<T>(beta_2), a = static_cast<T>(lr), e = static_cast<T>(epsilon);
    const T cm = static_cast<T>(c_m), cg = static_cast<T>(c_g), vs = static_cast<T>(v_scale);
    T* m = sp[0];
    T* vv = sp[1];
    for (std::int64_t i = 0; i < n; ++i) {
      m[i] += (gr[i] - m[i]) * (T(1) - b1);
      vv[i] += (gr[i] * gr[i] - vv[i]) * (T(1) - b2);
      const T m_hat = cm * m[i] + cg * gr[i];
      w[i] -= a * m_hat / (std::sqrt(vv[i] * vs) + e);
    }
  });
}

Lion::Lion(LearningRate lr, double b1, double b2) : Optimizer("Lion", std::move(lr)), beta_1(b1), beta_2(b2) {
  if (!(beta_1 > 0 && beta_1 <= 1)) detail::raise<ValueError>("Lion: beta_1 must be in (0, 1], got {}", beta_1);
}

Update Lion::update_step(const Tensor& g, Variable& v, std::vector<Tensor>& s, double lr, std::int64_t) {
  return fused("Lion", g, v, s, [=](auto* w, const auto* gr, auto& sp, std::int64_t n, auto tag) {
    using T = decltype(tag);
    const T b1 = static_cast<T>(beta_1), b2 = static_cast<T>(beta_2), a = static_cast<T>(lr);
    T* m = sp[0];
    for (std::int64_t i = 0; i < n; ++i) {
      const T c = b1 * m[i] + (T(1) - b1) * gr[i];
      w[i] -= a * static_cast<T>((c > T(0)) - (c < T(0)));
      m[i] = b2 * m[i] + (T(1) - b2) * gr[i];
    }
  });
}

std::shared_ptr<Optimizer> get(const std::string& n) {
  std::string k = n;
  std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (k == "sgd") return std::make_shared<SGD>();
  if (k == "adam") return std::make_shared<Adam>();
  if (k == "adamw") return std::make_shared<AdamW>();
  if (k == "rmsprop") return std::make_shared<RMSprop>();
  if (k == "adagrad") return std::make_shared<Adagrad>();
  if (k == "adadelta") return std::make_shared<Adadelta>();
  if (k == "adamax") return std::make_shared<Adamax>();
  if (k == "nadam") return std::make_shared<Nadam>();
  if (k == "lion") return std::make_shared<Lion>();
  detail::raise<ValueError>(
      "unknown optimizer '{}' (known: adadelta, adagrad, adam, adamax, adamw, lion, nadam, rmsprop, sgd)",
                            n);
}

}  // namespace optimizers
}  // namespace strata
