// Model::compile and what it sets up: the losses per output, the metrics (resolved from their
// names at the first batch, as Keras resolves "accuracy"), the loss trackers and Logs.
#include "detail/errors.hpp"
#include "layers/node.hpp"
#include "strata/autograd/tape.hpp"
#include "strata/ops.hpp"
#include "training/compiled_state.hpp"

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
  if (!c->optimizer) detail::raise<ValueError>("Model '{}': compile: the optimizer is null", name());
  const std::size_t n_out = graph_ ? outputs_.size() : 1;
  const auto& l = loss.get();
  if (l.empty()) throw ValueError("Model::compile: no loss");
  for (std::size_t k = 0; k < l.size(); ++k)
    if (!l[k]) detail::raise<ValueError>("Model '{}': compile: loss {} is null", name(), k);
  for (const auto& per_output : metric_specs)
    for (const auto& m : per_output)
      if (!m.get() && m.name().empty())
        detail::raise<ValueError>("Model '{}': compile: a metric is null (give a name or a metric object)", name());
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

void Model::resolve_metrics(const std::vector<Tensor>& y, const std::vector<Tensor>& y_pred) {
  CompiledState& c = compiled_state();
  if (c.resolved) return;
  c.metrics.assign(y_pred.size(), {});
  for (std::size_t k = 0; k < y_pred.size(); ++k)
    for (const auto& spec : c.metric_specs[k]) {
      auto m = spec.get() ? spec.get() : resolve_metric(spec.name(), *c.losses[k], y[k], y_pred[k]);
      if (y_pred.size() > 1 && !spec.get()) m->set_name(c.output_names[k] + "_" + m->name());
      c.metrics[k].push_back(m);
    }
  c.resolved = true;
}

std::vector<metrics::Metric*> Model::metrics() const {
  std::vector<metrics::Metric*> out;
  if (!compiled_) return out;
  out.push_back(&compiled_->loss_tracker);
  if (compiled_->output_loss_trackers.size() > 1)
    for (auto& t : compiled_->output_loss_trackers) out.push_back(&t);
  for (auto& per_output : compiled_->metrics)
    for (auto& m : per_output) out.push_back(m.get());
  return out;
}

Logs Model::update_metrics(const std::vector<Tensor>& y, const std::vector<Tensor>& y_pred, const Tensor& sw,
                           const Tensor& loss) {
  CompiledState& c = compiled_state();
  NoGradGuard no_grad;
  resolve_metrics(y, y_pred);
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

}  // namespace models
}  // namespace strata
