// Model::compile / fit / evaluate / predict: short loops over the public pieces (the tape,
// the losses, the optimizer, the metrics), as Keras's train_step is.
#include <unistd.h>

#include <cmath>
#include <iostream>

#include "detail/denormals.hpp"
#include "detail/errors.hpp"
#include "strata/random.hpp"
#include "layers/node.hpp"
#include "strata/autograd/tape.hpp"
#include "strata/callbacks.hpp"
#include "strata/data/dataset.hpp"
#include "strata/losses.hpp"
#include "strata/metrics.hpp"
#include "strata/ops.hpp"
#include "strata/optimizers.hpp"

namespace strata {

// ---- Logs ------------------------------------------------------------------------------------------------------

void Logs::set(const std::string& key, double value) {
  for (auto& [k, v] : items_)
    if (k == key) {
      v = value;
      return;
    }
  items_.emplace_back(key, value);
}

bool Logs::contains(const std::string& key) const {
  for (const auto& [k, v] : items_)
    if (k == key) return true;
  return false;
}

double Logs::get(const std::string& key) const {
  for (const auto& [k, v] : items_)
    if (k == key) return v;
  std::string keys;
  for (const auto& [k, v] : items_) keys += (keys.empty() ? "" : ", ") + k;
  detail::raise<ValueError>("logs have no '{}' (keys: {})", key, keys.empty() ? "none" : keys);
}

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
};

}  // namespace detail

namespace models {

using detail::CompiledState;

detail::CompiledState& Model::compiled_state() const {
  if (!compiled_)
    detail::raise<RuntimeError>("Model '{}': call compile(optimizer, loss, metrics) before fit, evaluate or "
                                "train_on_batch",
                                name());
  return *compiled_;
}

std::shared_ptr<optimizers::Optimizer> Model::optimizer() const { return compiled_ ? compiled_->optimizer : nullptr; }

void Model::compile(OptimizerArg optimizer, LossArg loss, std::vector<MetricArg> metric_specs,
                    std::vector<double> loss_weights) {
  for (const auto& m : metric_specs)
    if (m.get() && graph_ && outputs_.size() > 1)
      detail::raise<ValueError>("Model '{}': metric objects need a single-output model; name the metrics (\"{}\") "
                                "or give them per output",
                                name(), m.get()->name());
  const std::size_t n_out = graph_ ? outputs_.size() : 1;
  compile_impl(std::move(optimizer), std::move(loss), std::vector<std::vector<MetricArg>>(n_out, metric_specs),
               std::move(loss_weights));
}

void Model::compile(OptimizerArg optimizer, LossArg loss, MetricsByOutput metrics, std::vector<double> loss_weights) {
  auto& by_output = metrics.metrics;
  const std::size_t n_out = graph_ ? outputs_.size() : 1;
  std::vector<std::vector<MetricArg>> per(n_out);
  for (auto& [out_name, list] : by_output) {
    bool found = false;
    for (std::size_t k = 0; k < n_out; ++k)
      if ((graph_ ? outputs_[k].node()->layer->name() : name()) == out_name) {
        per[k] = list;
        found = true;
      }
    if (!found) detail::raise<ValueError>("Model '{}': metrics for '{}', which is not an output layer", name(), out_name);
  }
  compile_impl(std::move(optimizer), std::move(loss), std::move(per), std::move(loss_weights));
}

void Model::compile_impl(OptimizerArg optimizer, LossArg loss, std::vector<std::vector<MetricArg>> metric_specs,
                         std::vector<double> loss_weights) {
  auto c = std::make_shared<CompiledState>();
  c->optimizer = optimizer.get();
  if (!c->optimizer) throw ValueError("Model::compile: no optimizer");
  const std::size_t n_out = graph_ ? outputs_.size() : 1;
  const auto& l = loss.get();
  if (l.empty()) throw ValueError("Model::compile: no loss");
  if (l.size() == 1) {
    c->losses.assign(n_out, l[0]);
  } else if (l.size() == n_out) {
    c->losses = l;
  } else {
    detail::raise<ValueError>("Model '{}': {} losses for {} outputs (give one, or one per output)", name(), l.size(),
                              n_out);
  }
  if (loss_weights.empty()) loss_weights.assign(n_out, 1.0);
  if (loss_weights.size() != n_out)
    detail::raise<ValueError>("Model '{}': {} loss weights for {} outputs", name(), loss_weights.size(), n_out);
  c->loss_weights = loss_weights;
  if (metric_specs.size() != n_out)
    detail::raise<ValueError>("Model '{}': metrics for {} outputs, the model has {}", name(), metric_specs.size(), n_out);
  c->metric_specs = std::move(metric_specs);
  for (std::size_t k = 0; k < n_out; ++k) {
    c->output_names.push_back(graph_ ? outputs_[k].node()->layer->name() : name());
    c->output_loss_trackers.emplace_back(c->output_names.back() + "_loss");
  }
  compiled_ = std::move(c);
}

namespace {

/// Resolves "accuracy" the way Keras does: from the loss, the labels and the output shape.
std::shared_ptr<metrics::Metric> resolve_metric(const std::string& name, const losses::Loss& loss, const Tensor& y_true,
                                                const Tensor& y_pred) {
  if (name != "accuracy" && name != "acc") return metrics::get(name);
  std::shared_ptr<metrics::Metric> m;
  const std::string cls = loss.class_name();
  if (cls == "SparseCategoricalCrossentropy") {
    m = std::make_shared<metrics::SparseCategoricalAccuracy>();
  } else if (cls == "BinaryCrossentropy" || (y_pred.rank() > 0 && y_pred.dim(-1) == 1)) {
    m = std::make_shared<metrics::BinaryAccuracy>();
  } else if (cls == "CategoricalCrossentropy") {
    m = std::make_shared<metrics::CategoricalAccuracy>();
  } else if (y_true.dtype() == DType::int64 && y_true.rank() + 1 == y_pred.rank()) {
    m = std::make_shared<metrics::SparseCategoricalAccuracy>();
  } else {
    m = std::make_shared<metrics::CategoricalAccuracy>();
  }
  m->set_name(name);
  return m;
}

void check_count(const Model& m, const char* what, std::size_t got, std::size_t want) {
  if (got != want)
    detail::raise<ValueError>("Model '{}': {} {} given, the model has {}", m.name(), got, what, want);
}

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

struct CallbackList {
  std::vector<std::shared_ptr<callbacks::Callback>> list;
  template <class F>
  void each(F f) {
    for (auto& c : list) f(*c);
  }
};

}  // namespace

Tensor Model::compute_loss(const std::vector<Tensor>& y, const std::vector<Tensor>& y_pred, const Tensor& sw) {
  CompiledState& c = compiled_state();
  check_count(*this, "targets", y.size(), y_pred.size());
  Tensor total;
  for (std::size_t k = 0; k < y_pred.size(); ++k) {
    Tensor l = (*c.losses[k])(y[k], y_pred[k], sw);
    if (c.loss_weights[k] != 1.0) l = mul(l, c.loss_weights[k]);
    total = total.defined() ? add(total, l) : l;
  }
  for (const auto& r : losses()) total = add(total, sum(cast(r, total.dtype())));
  return total;
}

Logs Model::update_metrics(const std::vector<Tensor>& y, const std::vector<Tensor>& y_pred, const Tensor& sw,
                           const Tensor& loss) {
  CompiledState& c = compiled_state();
  NoGradGuard no_grad;
  if (!c.resolved) {
    c.metrics.assign(y_pred.size(), {});
    for (std::size_t k = 0; k < y_pred.size(); ++k)
      for (const auto& spec : c.metric_specs[k]) {
        auto m = spec.get() ? spec.get() : resolve_metric(spec.name(), *c.losses[k], y[k], y_pred[k]);
        if (y_pred.size() > 1 && !spec.get()) m->set_name(c.output_names[k] + "_" + m->name());
        c.metrics[k].push_back(m);
      }
    c.resolved = true;
  }
  const std::int64_t batch = y_pred[0].rank() > 0 ? y_pred[0].dim(0) : 1;
  c.loss_tracker.update_state(loss, Tensor::scalar(static_cast<double>(batch), DType::float64));
  if (y_pred.size() > 1)
    for (std::size_t k = 0; k < y_pred.size(); ++k)
      c.output_loss_trackers[k].update_state((*c.losses[k])(y[k], y_pred[k], sw),
                                             Tensor::scalar(static_cast<double>(batch), DType::float64));
  for (std::size_t k = 0; k < y_pred.size(); ++k)
    for (auto& m : c.metrics[k]) m->update_state(y[k], y_pred[k], sw);
  return metric_results();
}

Logs Model::metric_results() const {
  const CompiledState& c = compiled_state();
  Logs logs;
  logs.set("loss", c.loss_tracker.result());
  if (c.output_loss_trackers.size() > 1)
    for (const auto& t : c.output_loss_trackers) logs.set(t.name(), t.result());
  for (const auto& per_output : c.metrics)
    for (const auto& m : per_output) logs.set(m->name(), m->result());
  return logs;
}

void Model::reset_metrics() {
  if (!compiled_) return;
  compiled_->loss_tracker.reset_state();
  for (auto& t : compiled_->output_loss_trackers) t.reset_state();
  for (auto& per_output : compiled_->metrics)
    for (auto& m : per_output) m->reset_state();
}

Logs Model::train_step(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const Tensor& sample_weight) {
  CompiledState& c = compiled_state();
  const std::vector<Variable> params = trainable_weights();
  GradientTape tape;
  const std::vector<Tensor> y_pred = apply(x, /*training=*/true);
  const Tensor loss = compute_loss(y, y_pred, sample_weight);
  const std::vector<Tensor> grads = tape.gradient(loss, params);
  c.optimizer->apply_gradients(grads, params);
  return update_metrics(y, y_pred, sample_weight, loss);
}

Logs Model::test_step(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const Tensor& sample_weight) {
  NoGradGuard no_grad;
  const std::vector<Tensor> y_pred = apply(x, /*training=*/false);
  const Tensor loss = compute_loss(y, y_pred, sample_weight);
  return update_metrics(y, y_pred, sample_weight, loss);
}

Logs Model::train_on_batch(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const Tensor& sample_weight,
                           bool reset) {
  examples_of(*this, x, y);
  if (reset) reset_metrics();
  detail::ScopedFlushDenormals ftz;
  return train_step(x, y, sample_weight);
}

Logs Model::test_on_batch(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const Tensor& sample_weight,
                          bool reset) {
  examples_of(*this, x, y);
  if (reset) reset_metrics();
  detail::ScopedFlushDenormals ftz;
  return test_step(x, y, sample_weight);
}

callbacks::History Model::fit(const Tensor& x, const Tensor& y, const FitOptions& options) {
  return fit(std::vector<Tensor>{x}, std::vector<Tensor>{y}, options);
}

callbacks::History Model::fit(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const FitOptions& o) {
  compiled_state();
  detail::ScopedFlushDenormals ftz;  // as TensorFlow runs its kernels
  if (graph_) {
    check_count(*this, "inputs", x.size(), inputs_.size());
    check_count(*this, "targets", y.size(), outputs_.size());
  }
  if (o.batch_size <= 0) detail::raise<ValueError>("fit: batch_size must be positive, got {}", o.batch_size);
  if (o.epochs < 0) detail::raise<ValueError>("fit: epochs must be non-negative, got {}", o.epochs);
  if (!(o.validation_split >= 0 && o.validation_split < 1))
    detail::raise<ValueError>("fit: validation_split must be in [0, 1), got {}", o.validation_split);
  const std::int64_t n = examples_of(*this, x, y);
  const Tensor weights = example_weights(o, y, n);

  // Validation: the last fraction of the examples, before shuffling (as Keras does).
  std::vector<Tensor> tx = x, ty = y, vx = o.validation_x, vy = o.validation_y;
  Tensor tw = weights;
  if (o.validation_split > 0) {
    const auto split_at = static_cast<std::int64_t>(static_cast<double>(n) * (1.0 - o.validation_split));
    if (split_at <= 0 || split_at >= n)
      detail::raise<ValueError>("fit: validation_split {} leaves no training or no validation data ({} examples)",
                                o.validation_split, n);
    tx = rows(x, 0, split_at);
    ty = rows(y, 0, split_at);
    vx = rows(x, split_at, n);
    vy = rows(y, split_at, n);
    if (weights.defined()) tw = slice_axis(weights, 0, 0, split_at);
  }
  const bool validate = !vx.empty();

  std::vector<Tensor> components = tx;
  components.insert(components.end(), ty.begin(), ty.end());
  if (tw.defined()) components.push_back(tw);
  const data::Dataset examples = data::Dataset::from_tensors(components);
  // Each epoch's order depends only on the seed and the epoch, so a run resumed at epoch k
  // (BackupAndRestore, initial_epoch) sees the orders the uninterrupted run saw.
  const std::uint64_t shuffle_seed = o.shuffle ? (o.seed ? *o.seed : global_seed_draw()) : 0;
  auto epoch_batches = [&](int epoch) {
    data::Dataset d = examples;
    if (o.shuffle) d = d.shuffle(mix_seed(shuffle_seed, static_cast<std::uint64_t>(epoch)));
    return d.batch(o.batch_size);
  };
  const std::int64_t batches = epoch_batches(0).cardinality();
  const std::int64_t steps = o.steps_per_epoch ? std::min(*o.steps_per_epoch, batches) : batches;

  // Keras's order: the progress bar first, the user's callbacks, the History last (so it
  // records what the others add to the logs, such as the learning rate).
  auto history = std::make_shared<callbacks::History>();
  CallbackList cbs;
  std::ostream& out = o.out ? *o.out : std::cout;
  if (o.verbose > 0) {
    const bool tty = o.terminal ? *o.terminal : (&out == &std::cout && isatty(fileno(stdout)));
    auto bar = std::make_shared<callbacks::ProgbarLogger>(out, tty, o.verbose);
    bar->set_params(o.epochs, steps);
    cbs.list.push_back(bar);
  }
  cbs.list.insert(cbs.list.end(), o.callbacks.begin(), o.callbacks.end());
  cbs.list.push_back(history);
  cbs.each([&](callbacks::Callback& c) { c.set_model(this); });

  stop_training = false;
  resume_from_epoch.reset();
  Logs train_logs;
  cbs.each([&](callbacks::Callback& c) { c.on_train_begin(train_logs); });
  const std::size_t nx = tx.size(), ny = ty.size();
  const int first_epoch = resume_from_epoch ? *resume_from_epoch : o.initial_epoch;
  for (int epoch = first_epoch; epoch < o.epochs; ++epoch) {
    reset_metrics();
    Logs epoch_logs;
    cbs.each([&](callbacks::Callback& c) { c.on_epoch_begin(epoch, epoch_logs); });
    const data::Dataset ds = epoch_batches(epoch);
    std::int64_t step = 0;
    for (auto it = ds.begin(); it != ds.end() && step < steps; ++it, ++step) {
      Logs batch_logs;
      cbs.each([&](callbacks::Callback& c) { c.on_train_batch_begin(step, batch_logs); });
      const std::vector<Tensor> b = *it;
      const std::vector<Tensor> bx(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(nx));
      const std::vector<Tensor> by(b.begin() + static_cast<std::ptrdiff_t>(nx),
                                   b.begin() + static_cast<std::ptrdiff_t>(nx + ny));
      const Tensor bw = tw.defined() ? b.back() : Tensor();
      batch_logs = train_step(bx, by, bw);
      cbs.each([&](callbacks::Callback& c) { c.on_train_batch_end(step, batch_logs); });
      if (stop_training) break;
    }
    epoch_logs = metric_results();
    if (validate) {
      EvaluateOptions eo;
      eo.batch_size = o.batch_size;
      const Logs v = evaluate(vx, vy, eo);
      for (const auto& [k, val] : v.items()) epoch_logs.set("val_" + k, val);
    }
    epochs_completed = epoch + 1;
    cbs.each([&](callbacks::Callback& c) { c.on_epoch_end(epoch, epoch_logs); });
    if (stop_training) break;
  }
  cbs.each([&](callbacks::Callback& c) { c.on_train_end(train_logs); });
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
  if (o.sample_weight.defined() && (o.sample_weight.rank() != 1 || o.sample_weight.dim(0) != n))
    detail::raise<ShapeError>("evaluate: sample_weight must be [{}], got {}", n, o.sample_weight.shape());
  reset_metrics();
  CallbackList cbs;
  cbs.list = o.callbacks;
  cbs.each([&](callbacks::Callback& c) { c.set_model(this); });
  Logs logs;
  cbs.each([&](callbacks::Callback& c) { c.on_test_begin(logs); });
  std::int64_t step = 0;
  for (std::int64_t b = 0; b < n; b += o.batch_size, ++step) {
    const std::int64_t e = std::min(n, b + o.batch_size);
    Logs bl;
    cbs.each([&](callbacks::Callback& c) { c.on_test_batch_begin(step, bl); });
    bl = test_step(rows(x, b, e), rows(y, b, e),
                   o.sample_weight.defined() ? slice_axis(o.sample_weight, 0, b, e) : Tensor());
    cbs.each([&](callbacks::Callback& c) { c.on_test_batch_end(step, bl); });
  }
  logs = metric_results();
  cbs.each([&](callbacks::Callback& c) { c.on_test_end(logs); });
  if (o.verbose > 0) {
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
  for (std::int64_t b = 0; b < n; b += batch_size) {
    std::vector<Tensor> o = apply(rows(x, b, std::min(n, b + batch_size)), false);
    if (parts.empty()) parts.resize(o.size());
    for (std::size_t k = 0; k < o.size(); ++k) parts[k].push_back(o[k]);
  }
  std::vector<Tensor> outs;
  for (auto& p : parts) outs.push_back(p.size() == 1 ? p[0] : concat(p, 0));
  return outs;
}

}  // namespace models
}  // namespace strata
