// Model::fit / evaluate / predict and the steps under them: short loops over the public pieces
// (the tape, the losses, the optimizer, the metrics), as Keras's train_step is.
#include <unistd.h>

#include <cmath>
#include <exception>
#include <iostream>
#include <optional>
#include <tuple>

#include "detail/denormals.hpp"
#include "detail/errors.hpp"
#include "layers/node.hpp"
#include "strata/autograd/tape.hpp"
#include "strata/callbacks.hpp"
#include "strata/data/dataset.hpp"
#include "strata/distributed.hpp"
#include "strata/ops.hpp"
#include "strata/random.hpp"
#include "training/compiled_state.hpp"

namespace strata::models {

using detail::CompiledState;

namespace {

std::int64_t examples_of(const Model& m, const std::vector<Tensor>& xs, const std::vector<Tensor>& ys) {
  std::int64_t n = -1;
  std::string shapes;
  for (const auto* group : {&xs, &ys})
    for (const auto& t : *group) {
      detail::check_defined("fit", t);
      if (t.rank() == 0) detail::raise<ShapeError>("Model '{}': data needs a batch dimension, got a scalar", m.name());
      shapes += (shapes.empty() ? "" : ", ") + t.shape().to_string();
      if (n >= 0 && t.dim(0) != n)
        detail::raise<ShapeError>("Model '{}': inputs and targets have different numbers of examples: {}", m.name(),
                                  shapes);
      n = t.dim(0);
    }
  return n;
}

std::vector<Tensor> rows(const std::vector<Tensor>& ts, std::int64_t begin, std::int64_t end) {
  std::vector<Tensor> out;
  for (const auto& t : ts) out.push_back(slice_axis(t, 0, begin, end));
  return out;
}

/// Per-example weights from class weights (of a single output's labels) times sample weights.
Tensor example_weights(const FitOptions& o, const std::vector<Tensor>& ys, std::int64_t n) {
  Tensor w = o.sample_weight;
  if (w.defined() && (w.rank() != 1 || w.dim(0) != n))
    detail::raise<ShapeError>("fit: sample_weight must be [{}], got {}", n, w.shape());
  if (o.class_weight.empty()) return w.defined() ? cast(w, DType::float32) : w;
  if (ys.size() != 1) throw ValueError("fit: class_weight needs a single-output model");
  const Tensor& y = ys[0];
  const Tensor labels = y.dtype() == DType::int64 && (y.rank() == 1 || (y.rank() == 2 && y.dim(1) == 1))
                            ? reshape(y, {n})
                            : argmax(y, -1);
  std::vector<double> cw(static_cast<std::size_t>(n));
  const auto lv = labels.to_vector<std::int64_t>();
  for (std::int64_t i = 0; i < n; ++i) {
    auto it = o.class_weight.find(lv[static_cast<std::size_t>(i)]);
    cw[static_cast<std::size_t>(i)] = it == o.class_weight.end() ? 1.0 : it->second;
  }
  Tensor c = Tensor::from_vector(cw, {n}, DType::float32);
  return w.defined() ? mul(c, cast(w, DType::float32)) : c;
}

/// The callbacks of one fit or evaluate, called in order.
struct CallbackList {
  std::vector<std::shared_ptr<callbacks::Callback>> list;
  template <class F>
  void each(F f) {
    for (auto& c : list) f(*c);
  }
};

/// fit's arguments, checked before anything runs.
void check_fit_options(const Model& m, const std::vector<Tensor>& x, const std::vector<Tensor>& y,
                       const FitOptions& o) {
  if (m.is_graph_network()) {
    check_count(m, "inputs", x.size(), m.inputs().size());
    check_count(m, "targets", y.size(), m.outputs().size());
  }
  if (o.batch_size <= 0) detail::raise<ValueError>("fit: batch_size must be positive, got {}", o.batch_size);
  if (o.epochs < 0) detail::raise<ValueError>("fit: epochs must be non-negative, got {}", o.epochs);
  if (o.steps_per_epoch && *o.steps_per_epoch <= 0)
    detail::raise<ValueError>("fit: steps_per_epoch must be positive, got {}", *o.steps_per_epoch);
  for (std::size_t i = 0; i < o.callbacks.size(); ++i)
    if (!o.callbacks[i]) detail::raise<ValueError>("fit: callbacks[{}] is null", i);
  if (!(o.validation_split >= 0 && o.validation_split < 1))
    detail::raise<ValueError>("fit: validation_split must be in [0, 1), got {}", o.validation_split);
}

/// The training examples (inputs, targets, per-example weights) and the validation data.
struct FitData {
  std::vector<Tensor> x, y;
  Tensor weights;
  std::vector<Tensor> val_x, val_y;
};

/// Validation is the last fraction of the examples, before shuffling (as Keras does), or the
/// data given as validation_x / validation_y.
FitData split_validation(const Model& m, const std::vector<Tensor>& x, const std::vector<Tensor>& y,
                         const FitOptions& o) {
  const std::int64_t n = examples_of(m, x, y);
  if (n == 0) detail::raise<ValueError>("Model '{}': fit was given no examples (inputs {})", m.name(), x[0].shape());
  FitData d{x, y, example_weights(o, y, n), o.validation_x, o.validation_y};
  if (!d.val_x.empty() && examples_of(m, d.val_x, d.val_y) == 0)
    detail::raise<ValueError>("Model '{}': the validation data has no examples", m.name());
  if (o.validation_split > 0) {
    const auto split_at = static_cast<std::int64_t>(static_cast<double>(n) * (1.0 - o.validation_split));
    if (split_at <= 0 || split_at >= n)
      detail::raise<ValueError>("fit: validation_split {} leaves no training or no validation data ({} examples)",
                                o.validation_split, n);
    d.x = rows(x, 0, split_at);
    d.y = rows(y, 0, split_at);
    d.val_x = rows(x, split_at, n);
    d.val_y = rows(y, split_at, n);
    if (d.weights.defined()) d.weights = slice_axis(d.weights, 0, 0, split_at);
  }
  return d;
}

/// Each epoch's batches. The order depends only on the seed and the epoch, so a run resumed at
/// epoch k (BackupAndRestore, initial_epoch) sees the orders the uninterrupted run saw.
class EpochBatches {
 public:
  /// `ranks` > 1: this rank's slice of every global batch (a distributed fit).
  EpochBatches(const FitData& d, const FitOptions& o, int rank = 0, int ranks = 1)
      : nx_(d.x.size()), ny_(d.y.size()), weighted_(d.weights.defined()), batch_size_(o.batch_size),
        shuffle_(o.shuffle), seed_(o.shuffle ? (o.seed ? *o.seed : global_seed_draw()) : 0), rank_(rank),
        ranks_(ranks), examples_count_(d.x.empty() ? 0 : d.x[0].dim(0)) {
    std::vector<Tensor> components = d.x;
    components.insert(components.end(), d.y.begin(), d.y.end());
    if (weighted_) components.push_back(d.weights);
    examples_ = data::Dataset::from_tensors(components);
    const std::int64_t batches = of_epoch(0).cardinality();
    steps_ = o.steps_per_epoch ? std::min(*o.steps_per_epoch, batches) : batches;
  }
  data::Dataset of_epoch(int epoch) const {
    data::Dataset d = examples_;
    if (shuffle_) d = d.shuffle(mix_seed(seed_, static_cast<std::uint64_t>(epoch)));
    d = d.batch(batch_size_);
    return ranks_ > 1 ? d.split_batches(ranks_, rank_) : d;
  }
  /// The examples of global batch `step` (over every rank).
  std::int64_t global_batch(std::int64_t step) const {
    return std::min(batch_size_, examples_count_ - step * batch_size_);
  }
  /// Steps per epoch (all batches, or steps_per_epoch when it is fewer).
  std::int64_t steps() const { return steps_; }
  /// A batch's components as train_step takes them.
  void unpack(const std::vector<Tensor>& b, std::vector<Tensor>& x, std::vector<Tensor>& y, Tensor& w) const {
    const auto nx = static_cast<std::ptrdiff_t>(nx_), ny = static_cast<std::ptrdiff_t>(ny_);
    x.assign(b.begin(), b.begin() + nx);
    y.assign(b.begin() + nx, b.begin() + nx + ny);
    w = weighted_ ? b.back() : Tensor();
  }

 private:
  std::size_t nx_, ny_;
  bool weighted_;
  std::int64_t batch_size_, steps_ = 0;
  bool shuffle_;
  std::uint64_t seed_;
  int rank_, ranks_;
  std::int64_t examples_count_;
  data::Dataset examples_;
};

/// Keras's order: the progress bar first, the user's callbacks, the History last (so it records
/// what the others add to the logs, such as the learning rate).
CallbackList fit_callbacks(Model& m, const FitOptions& o, std::int64_t steps,
                           const std::shared_ptr<callbacks::History>& history, bool distributed) {
  CallbackList cbs;
  std::ostream& out = o.out ? *o.out : std::cout;
  const bool root = !distributed || distributed::is_root();
  if (o.verbose > 0 && root) {
    const bool tty = o.terminal ? *o.terminal : (&out == &std::cout && isatty(fileno(stdout)));
    auto bar = std::make_shared<callbacks::ProgbarLogger>(out, tty, o.verbose);
    bar->set_params(o.epochs, steps);
    cbs.list.push_back(bar);
  }
  for (const auto& c : o.callbacks)
    if (root || !c->root_only()) cbs.list.push_back(c);
  cbs.list.push_back(history);
  cbs.each([&](callbacks::Callback& c) { c.set_model(&m); });
  return cbs;
}

/// Keras builds a model before its first step: a model without an input shape (a Sequential
/// made without one, a subclassed model) is built here by an inference-mode call on the first
/// example, which draws nothing but the weights' initial values (no dropout, no statistics).
/// Otherwise the first step's gradients would reach no weight while the optimizer still counted it.
void build_from_data(Model& m, const std::vector<Tensor>& x) {
  if (m.built() || x.empty() || x[0].rank() == 0 || x[0].dim(0) == 0) return;
  NoGradGuard no_grad;
  m.apply(rows(x, 0, 1), /*training=*/false);
}

/// A distributed fit's steps. Each rank's gradients, scaled by its share of the global batch,
/// and the changes its forward made to the non-trainable float weights (BatchNormalization's
/// moving statistics), weighted the same way, go through one fused fixed-order reduction; then
/// every rank applies the same update.
class DistributedStep {
 public:
  explicit DistributedStep(Model& m) : model_(m) {
    for (const auto& v : m.non_trainable_weights())
      if (is_floating(v.dtype())) stats_.push_back(v);
  }
  /// Before the forward of a step of `local` of the global batch's `global` examples.
  void begin(std::int64_t local, std::int64_t global) {
    reduced_ = false;
    local_ = local;
    global_ = global;
    before_.clear();
    for (const auto& v : stats_) before_.push_back(v.value());  // values are immutable: O(1)
  }
  std::vector<Tensor> reduce(const std::vector<Tensor>& grads, const std::vector<Variable>& params) {
    NoGradGuard no_grad;
    if (grads.size() > params.size())
      detail::raise<ValueError>("Model '{}': reduce_gradients got {} gradients for {} trainable weights",
                                model_.name(), grads.size(), params.size());
    reduced_ = true;
    std::vector<Tensor> parts;
    for (std::size_t i = 0; i < params.size(); ++i)
      parts.push_back(i < grads.size() && grads[i].defined() ? grads[i]
                                                             : Tensor::zeros(params[i].shape(), params[i].dtype()));
    for (std::size_t k = 0; k < stats_.size(); ++k) parts.push_back(sub(stats_[k].value(), before_[k]));
    std::vector<Tensor> sum = distributed::reduce_gradients(parts, local_, global_);
    for (std::size_t k = 0; k < stats_.size(); ++k) stats_[k].assign(add(before_[k], sum[params.size() + k]));
    sum.resize(params.size());
    return sum;
  }
  /// A rank whose slice is empty skips the forward (BatchNormalization on no rows is NaN) and
  /// contributes zeros to the same update.
  void empty_step(optimizers::Optimizer& optimizer) {
    const std::vector<Variable> params = model_.trainable_weights();
    optimizer.apply_gradients(reduce({}, params), params);
  }
  /// Whether this step's gradients went through reduce (an overridden train_step must).
  bool reduced() const { return reduced_; }

 private:
  bool reduced_ = false;
  Model& model_;
  std::vector<Variable> stats_;
  std::vector<Tensor> before_;
  std::int64_t local_ = 0, global_ = 1;
};

/// Runs `f` (callbacks) on this rank; in a distributed fit, an exception on any rank then ends
/// fit on every rank (the rank's own exception where it threw), not a rank alone while the
/// others wait in the next collective. `stop` (in and out) is also agreed: any rank's stop
/// stops every rank.
template <class F>
void run_agreed(bool dist, const char* phase, bool& stop, F f) {
  std::exception_ptr err;
  try {
    f();
  } catch (...) {
    err = std::current_exception();
  }
  if (!dist) {
    if (err) std::rethrow_exception(err);
    return;
  }
  const std::vector<std::int64_t> flags = distributed::allgather((err ? 2 : 0) | (stop ? 1 : 0));
  for (std::size_t r = 0; r < flags.size(); ++r) {
    if (flags[r] & 2) {
      if (err) std::rethrow_exception(err);
      detail::raise<RuntimeError>("distributed fit: rank {} threw in {}, so every rank stops (see rank {}'s error)",
                                  r, phase, r);
    }
    stop = stop || (flags[r] & 1);
  }
}

/// One epoch of train_step over the batches, with the batch and epoch-begin callbacks; returns the
/// epoch's metrics (merged over the ranks in a distributed fit, `dist` non-null).
Logs fit_epoch(Model& m, int epoch, const EpochBatches& batches, CallbackList& cbs, CompiledState& compiled,
               DistributedStep* dist, const FitOptions& o, std::int64_t& global_step) {
  m.reset_metrics();
  Logs epoch_logs;
  bool no_stop = false;
  run_agreed(dist != nullptr, "on_epoch_begin", no_stop,
             [&] { cbs.each([&](callbacks::Callback& c) { c.on_epoch_begin(epoch, epoch_logs); }); });
  const data::Dataset ds = batches.of_epoch(epoch);
  std::vector<Tensor> bx, by;
  Tensor bw;
  std::int64_t step = 0;
  for (auto it = ds.begin(); it != ds.end() && step < batches.steps(); ++it, ++step) {
    Logs batch_logs;
    cbs.each([&](callbacks::Callback& c) { c.on_train_batch_begin(step, batch_logs); });
    batches.unpack(*it, bx, by, bw);
    if (!dist) {
      batch_logs = m.train_step(bx, by, bw);
    } else {
      const std::int64_t local = bx[0].dim(0);
      dist->begin(local, batches.global_batch(step));
      if (local > 0) {
        compiled.reduce_gradients = [dist](const std::vector<Tensor>& g, const std::vector<Variable>& p) {
          return dist->reduce(g, p);
        };
        try {
          batch_logs = m.train_step(bx, by, bw);
        } catch (...) {
          compiled.reduce_gradients = nullptr;
          throw;
        }
        compiled.reduce_gradients = nullptr;
        if (!dist->reduced())  // every rank runs the same train_step, so every rank throws here
          detail::raise<ValueError>("Model '{}': in a distributed fit, train_step must pass its gradients through "
                                    "reduce_gradients() before applying them (this one did not)",
                                    m.name());
      } else {
        dist->empty_step(*compiled.optimizer);
        batch_logs = m.metric_results();
      }
    }
    // a stop on any rank (TerminateOnNaN) stops every rank after this step
    run_agreed(dist != nullptr, "on_train_batch_end", m.stop_training,
               [&] { cbs.each([&](callbacks::Callback& c) { c.on_train_batch_end(step, batch_logs); }); });
    if (dist) {
      if (o.check_weights_every > 0 && ++global_step % o.check_weights_every == 0)
        distributed::check_identical_weights(m);
    }
    if (m.stop_training) break;
  }
  if (dist) distributed::merge_metrics(m);
  return m.metric_results();
}

/// Whether fit/evaluate run data-parallel: asked for (or not refused) with several ranks.
bool distributed_run(const std::optional<bool>& asked) { return asked.value_or(true) && distributed::size() > 1; }

/// ValueError on every rank unless every rank was given as many examples.
void check_same_examples(const Model& m, std::int64_t n, const char* what) {
  const std::vector<std::int64_t> all = distributed::allgather(n);
  for (std::size_t r = 1; r < all.size(); ++r)
    if (all[r] != all[0])
      detail::raise<ValueError>("Model '{}': a distributed {} needs the same data on every rank: rank 0 has {} "
                                "examples, rank {} has {}",
                                m.name(), what, all[0], r, all[r]);
}

}  // namespace

Logs Model::train_step(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const Tensor& sample_weight) {
  CompiledState& c = compiled_state();
  build_from_data(*this, x);  // the weights must exist before the step collects them
  const std::vector<Variable> params = trainable_weights();
  GradientTape tape;
  const std::vector<Tensor> y_pred = apply(x, /*training=*/true);
  const Tensor loss = compute_loss(y, y_pred, sample_weight);
  const std::vector<Tensor> grads = reduce_gradients(tape.gradient(loss, params));
  c.optimizer->apply_gradients(grads, params);
  return update_metrics(y, y_pred, sample_weight, loss);
}

std::vector<Tensor> Model::reduce_gradients(const std::vector<Tensor>& gradients) {
  CompiledState& c = compiled_state();
  return c.reduce_gradients ? c.reduce_gradients(gradients, trainable_weights()) : gradients;
}

Logs Model::test_step(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const Tensor& sample_weight) {
  NoGradGuard no_grad;
  const std::vector<Tensor> y_pred = apply(x, /*training=*/false);
  const Tensor loss = compute_loss(y, y_pred, sample_weight);
  return update_metrics(y, y_pred, sample_weight, loss);
}

Logs Model::train_on_batch(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const Tensor& sample_weight,
                           bool reset) {
  if (examples_of(*this, x, y) == 0) detail::raise<ValueError>("Model '{}': train_on_batch was given an empty batch", name());
  if (reset) reset_metrics();
  detail::ScopedFlushDenormals ftz;
  return train_step(x, y, sample_weight);
}

Logs Model::test_on_batch(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const Tensor& sample_weight,
                          bool reset) {
  if (examples_of(*this, x, y) == 0) detail::raise<ValueError>("Model '{}': test_on_batch was given an empty batch", name());
  if (reset) reset_metrics();
  detail::ScopedFlushDenormals ftz;
  return test_step(x, y, sample_weight);
}

callbacks::History Model::fit(const Tensor& x, const Tensor& y, const FitOptions& options) {
  return fit(std::vector<Tensor>{x}, std::vector<Tensor>{y}, options);
}

callbacks::History Model::fit(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const FitOptions& o) {
  CompiledState& compiled = compiled_state();
  detail::ScopedFlushDenormals ftz;  // as TensorFlow runs its kernels
  check_fit_options(*this, x, y, o);
  const bool dist = distributed_run(o.distributed);
  const std::int64_t n = examples_of(*this, x, y);
  if (n > 0) build_from_data(*this, x);  // before the shuffle draws its seed
  FitOptions od = o;
  if (dist) {
    check_same_examples(*this, n, "fit");
    distributed::check_same_model(*this);
    if (o.shuffle) {  // rank 0's seed, so every rank draws the same order of examples
      const std::uint64_t mine = o.seed ? *o.seed : global_seed_draw();
      od.seed = static_cast<std::uint64_t>(distributed::allgather(static_cast<std::int64_t>(mine))[0]);
    }
  }
  const FitData data = split_validation(*this, x, y, od);
  const EpochBatches batches(data, od, distributed::rank(), dist ? distributed::size() : 1);
  if (dist && !compiled.resolved) {  // a rank may never see an example: make the metrics now
    NoGradGuard no_grad;
    resolve_metrics(rows(data.y, 0, 1), apply(rows(data.x, 0, 1), /*training=*/false));
  }
  auto history = std::make_shared<callbacks::History>();
  CallbackList cbs = fit_callbacks(*this, od, batches.steps(), history, dist);
  std::optional<DistributedStep> dstep;
  if (dist) dstep.emplace(*this);

  stop_training = false;
  resume_from_epoch.reset();
  Logs train_logs;
  bool no_stop = false;
  run_agreed(dist, "on_train_begin", no_stop,
             [&] { cbs.each([&](callbacks::Callback& c) { c.on_train_begin(train_logs); }); });
  if (dist) {  // rank 0's weights, optimizer state and starting epoch (restored by BackupAndRestore there)
    distributed::broadcast_weights(*this);
    distributed::broadcast_optimizer(*compiled.optimizer, trainable_weights());
    const std::int64_t resume = distributed::allgather(resume_from_epoch ? *resume_from_epoch : -1)[0];
    if (resume >= 0) resume_from_epoch = static_cast<int>(resume); else resume_from_epoch.reset();
  }
  std::int64_t global_step = 0;
  const int first_epoch = resume_from_epoch ? *resume_from_epoch : o.initial_epoch;
  for (int epoch = first_epoch; epoch < o.epochs; ++epoch) {
    Logs logs = fit_epoch(*this, epoch, batches, cbs, compiled, dstep ? &*dstep : nullptr, od, global_step);
    if (!data.val_x.empty()) {
      EvaluateOptions eo;
      eo.batch_size = o.batch_size;
      eo.distributed = dist;
      const Logs val = evaluate(data.val_x, data.val_y, eo);
      for (const auto& [k, v] : val.items()) logs.set("val_" + k, v);
    }
    epochs_completed = epoch + 1;
    // the same decision everywhere; rank 0's files are written before any rank goes on
    run_agreed(dist, "on_epoch_end", stop_training,
               [&] { cbs.each([&](callbacks::Callback& c) { c.on_epoch_end(epoch, logs); }); });
    if (stop_training) break;
  }
  run_agreed(dist, "on_train_end", no_stop,
             [&] { cbs.each([&](callbacks::Callback& c) { c.on_train_end(train_logs); }); });
  return *history;
}

Logs Model::evaluate(const Tensor& x, const Tensor& y, const EvaluateOptions& options) {
  return evaluate(std::vector<Tensor>{x}, std::vector<Tensor>{y}, options);
}

Logs Model::evaluate(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const EvaluateOptions& o) {
  compiled_state();
  detail::ScopedFlushDenormals ftz;
  if (graph_) {
    check_count(*this, "inputs", x.size(), inputs_.size());
    check_count(*this, "targets", y.size(), outputs_.size());
  }
  if (o.batch_size <= 0) detail::raise<ValueError>("evaluate: batch_size must be positive, got {}", o.batch_size);
  const std::int64_t n = examples_of(*this, x, y);
  if (n == 0) detail::raise<ValueError>("Model '{}': evaluate was given no examples", name());
  if (o.sample_weight.defined() && (o.sample_weight.rank() != 1 || o.sample_weight.dim(0) != n))
    detail::raise<ShapeError>("evaluate: sample_weight must be [{}], got {}", n, o.sample_weight.shape());
  for (std::size_t i = 0; i < o.callbacks.size(); ++i)
    if (!o.callbacks[i]) detail::raise<ValueError>("evaluate: callbacks[{}] is null", i);
  const bool dist = distributed_run(o.distributed);
  std::int64_t lo = 0, hi = n;  // this rank's rows
  if (dist) {
    check_same_examples(*this, n, "evaluate");
    std::tie(lo, hi) = distributed::batch_slice(n, distributed::rank(), distributed::size());
    if (!compiled_state().resolved) {  // a rank may have no rows: make the metrics now
      NoGradGuard no_grad;
      resolve_metrics(rows(y, 0, 1), apply(rows(x, 0, 1), /*training=*/false));
    }
  }
  reset_metrics();
  CallbackList cbs;
  cbs.list = o.callbacks;
  cbs.each([&](callbacks::Callback& c) { c.set_model(this); });
  Logs logs;
  cbs.each([&](callbacks::Callback& c) { c.on_test_begin(logs); });
  std::int64_t step = 0;
  for (std::int64_t b = lo; b < hi; b += o.batch_size, ++step) {
    const std::int64_t e = std::min(hi, b + o.batch_size);
    Logs bl;
    cbs.each([&](callbacks::Callback& c) { c.on_test_batch_begin(step, bl); });
    bl = test_step(rows(x, b, e), rows(y, b, e),
                   o.sample_weight.defined() ? slice_axis(o.sample_weight, 0, b, e) : Tensor());
    cbs.each([&](callbacks::Callback& c) { c.on_test_batch_end(step, bl); });
  }
  if (dist) distributed::merge_metrics(*this);
  logs = metric_results();
  cbs.each([&](callbacks::Callback& c) { c.on_test_end(logs); });
  if (o.verbose > 0 && (!dist || distributed::is_root())) {
    std::ostream& out = o.out ? *o.out : std::cout;
    std::string line;
    for (const auto& [k, v] : logs.items()) line += (line.empty() ? "" : " - ") + k + ": " + std::to_string(v);
    out << line << "\n";
  }
  return logs;
}

Tensor Model::predict(const Tensor& x, std::int64_t batch_size) {
  std::vector<Tensor> outs = predict_all({x}, batch_size);
  if (outs.size() != 1)
    detail::raise<ValueError>("Model '{}': predict returns one output; this model has {} (use predict_all)", name(),
                              outs.size());
  return outs[0];
}

std::vector<Tensor> Model::predict_all(const std::vector<Tensor>& x, std::int64_t batch_size) {
  if (batch_size <= 0) detail::raise<ValueError>("predict: batch_size must be positive, got {}", batch_size);
  const std::int64_t n = examples_of(*this, x, {});
  NoGradGuard no_grad;
  detail::ScopedFlushDenormals ftz;
  std::vector<std::vector<Tensor>> parts;
  if (n == 0) return apply(x, false);  // [0, ...] outputs, as Keras's predict of no rows
  for (std::int64_t b = 0; b < n; b += batch_size) {
    std::vector<Tensor> o = apply(rows(x, b, std::min(n, b + batch_size)), false);
    if (parts.empty()) parts.resize(o.size());
    for (std::size_t k = 0; k < o.size(); ++k) parts[k].push_back(o[k]);
  }
  std::vector<Tensor> outs;
  for (auto& p : parts) outs.push_back(p.size() == 1 ? p[0] : concat(p, 0));
  return outs;
}

}  // namespace strata::models
