// Compiling from a saved compile_config (Keras 3) or training_config (Keras 2, TF.js), and the
// compile_config of a compiled model; metrics from Keras's configs.
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "detail/errors.hpp"
#include "training/serialized.hpp"
#include "layers/node.hpp"
#include "training/compiled_state.hpp"

namespace strata {

namespace metrics {

namespace {

/// Keras's optional arguments: null (or absent) is none.
const Config* given(const Config& k, const char* key) {
  const Config* v = k.find(key);
  return v && !v->is_null() ? v : nullptr;
}

std::optional<std::int64_t> optional_int(const Config& k, const char* key) {
  if (const Config* v = given(k, key)) return v->as_int();
  return std::nullopt;
}

/// Keras's thresholds argument: absent or null (empty: the metric's default), one value, or a list.
std::vector<double> threshold_list(const Config& k, const std::string& cls) {
  std::vector<double> out;
  const Config* t = given(k, "thresholds");
  if (!t) return out;
  if (!t->is_list()) return {t->as_double()};
  if (t->size() > 1000000) detail::raise<ValueError>("metrics::deserialize: {} with {} thresholds", cls, t->size());
  for (std::size_t i = 0; i < t->size(); ++i) out.push_back((*t)[i].as_double());
  return out;
}

std::vector<std::int64_t> int_list(const Config& k, const char* key, std::vector<std::int64_t> fallback) {
  const Config* v = given(k, key);
  if (!v) return fallback;
  if (!v->is_list()) return {v->as_int()};
  if (v->size() > 65536) detail::raise<ValueError>("metrics::deserialize: {} has {} entries", key, v->size());
  std::vector<std::int64_t> out;
  for (std::size_t i = 0; i < v->size(); ++i) out.push_back((*v)[i].as_int());
  return out;
}

/// The confusion counts, F-scores, R2 and IoU metrics from their Keras configs (null if `cls` is
/// none of them).
std::shared_ptr<Metric> deserialize_score(const std::string& cls, const Config& k) {
  auto name = [&](const char* fallback) { return k.get_string("name", fallback); };
  auto optional_int = [&](const char* key) { return metrics::optional_int(k, key); };
  auto optional_double = [&](const char* key) -> std::optional<double> {
    if (const Config* v = given(k, key)) return v->as_double();
    return std::nullopt;
  };
  auto optional_string = [&](const char* key, const char* fallback) {
    const Config* v = k.find(key);
    if (!v) return std::string(fallback);
    return v->is_null() ? std::string() : v->as_string();
  };
  using Cell = ConfusionCount::Cell;
  static const std::pair<const char*, Cell> counts[] = {{"TruePositives", Cell::true_positives},
                                                        {"FalsePositives", Cell::false_positives},
                                                        {"TrueNegatives", Cell::true_negatives},
                                                        {"FalseNegatives", Cell::false_negatives}};
  for (const auto& [c, cell] : counts)
    if (cls == c) {
      std::vector<double> thresholds = threshold_list(k, cls);
      if (thresholds.empty()) thresholds = {0.5};
      static const char* const names[] = {"true_positives", "false_positives", "true_negatives", "false_negatives"};
      return std::make_shared<ConfusionCount>(cell, thresholds, name(names[static_cast<int>(cell)]));
    }
  if (cls == "FBetaScore")
    return std::make_shared<FBetaScore>(optional_string("average", ""), k.get_double("beta", 1.0),
                                        optional_double("threshold"), name("fbeta_score"));
  if (cls == "F1Score")
    return std::make_shared<F1Score>(optional_string("average", ""), optional_double("threshold"), name("f1_score"));
  if (cls == "R2Score")
    return std::make_shared<R2Score>(optional_string("class_aggregation", "uniform_average"),
                                     k.get_int("num_regressors", 0), name("r2_score"));
  const std::int64_t axis = k.get_int("axis", -1);
  if (cls == "IoU" || cls == "OneHotIoU") {
    const bool one_hot = cls == "OneHotIoU";
    return std::make_shared<IoU>(k.get_int("num_classes", 0), int_list(k, "target_class_ids", {}),
                                 name(one_hot ? "one_hot_io_u" : "io_u"), optional_int("ignore_class"),
                                 one_hot ? false : k.get_bool("sparse_y_true", true),
                                 k.get_bool("sparse_y_pred", !one_hot), axis);
  }
  if (cls == "MeanIoU" || cls == "OneHotMeanIoU") {
    const bool one_hot = cls == "OneHotMeanIoU";
    return std::make_shared<MeanIoU>(k.get_int("num_classes", 0), name(one_hot ? "one_hot_mean_io_u" : "mean_io_u"),
                                     optional_int("ignore_class"), one_hot ? false : k.get_bool("sparse_y_true", true),
                                     k.get_bool("sparse_y_pred", !one_hot), axis);
  }
  if (cls == "BinaryIoU")
    return std::make_shared<BinaryIoU>(int_list(k, "target_class_ids", {0, 1}), k.get_double("threshold", 0.5),
                                       name("binary_io_u"));
  return nullptr;
}

}  // namespace

std::shared_ptr<Metric> deserialize(const Config& c) {
  if (c.is_string()) return get(c.as_string());
  const detail::Serialized s = detail::read_serialized(c, "metrics::deserialize");
  if (!s.function_name.empty()) return get(s.function_name);
  const std::string& cls = s.class_name;
  const Config& k = s.config;
  auto name = [&](const char* fallback) { return k.get_string("name", fallback); };
  // Keras's thresholds argument: one value (or null: 0.5); a list is not supported yet.
  auto threshold = [&]() {
    const Config* t = k.find("thresholds");
    if (!t || t->is_null()) t = k.find("threshold");
    if (!t || t->is_null()) return 0.5;
    if (t->is_list()) {
      if (t->size() != 1)
        detail::raise<ValueError>("metrics::deserialize: {} with {} thresholds: strata's takes one", cls, t->size());
      return (*t)[0].as_double();
    }
    return t->as_double();
  };
  // Keras 2's wrapper of a metric function: {"class_name": "MeanMetricWrapper", "config":
  // {"name": "accuracy", "fn": "sparse_categorical_accuracy"}}
  if (cls == "MeanMetricWrapper") {
    if (!k.contains("fn") || !k.at("fn").is_string())
      detail::raise<ValueError>("metrics::deserialize: MeanMetricWrapper without a function name (config {})", k.dump());
    auto m = get(k.at("fn").as_string());
    m->set_name(name(k.at("fn").as_string().c_str()));
    return m;
  }
  if (cls == "Accuracy") return std::make_shared<Accuracy>(name("accuracy"));
  if (cls == "BinaryAccuracy") return std::make_shared<BinaryAccuracy>(name("binary_accuracy"), threshold());
  if (cls == "CategoricalAccuracy") return std::make_shared<CategoricalAccuracy>(name("categorical_accuracy"));
  if (cls == "SparseCategoricalAccuracy")
    return std::make_shared<SparseCategoricalAccuracy>(name("sparse_categorical_accuracy"));
  if (cls == "TopKCategoricalAccuracy")
    return std::make_shared<TopKCategoricalAccuracy>(k.get_int("k", 5), name("top_k_categorical_accuracy"));
  if (cls == "SparseTopKCategoricalAccuracy")
    return std::make_shared<SparseTopKCategoricalAccuracy>(k.get_int("k", 5), name("sparse_top_k_categorical_accuracy"),
                                                           k.get_bool("from_sorted_ids", false));
  if (cls == "MeanSquaredError") return std::make_shared<MeanSquaredError>(name("mean_squared_error"));
  if (cls == "Mean") return std::make_shared<Mean>(name("mean"));
  if (cls == "Sum") return std::make_shared<Sum>(name("sum"));
  if (cls == "RootMeanSquaredError") return std::make_shared<RootMeanSquaredError>(name("root_mean_squared_error"));
  if (cls == "MeanAbsoluteError") return std::make_shared<MeanAbsoluteError>(name("mean_absolute_error"));
  if (cls == "MeanAbsolutePercentageError")
    return std::make_shared<MeanAbsolutePercentageError>(name("mean_absolute_percentage_error"));
  if (cls == "MeanSquaredLogarithmicError")
    return std::make_shared<MeanSquaredLogarithmicError>(name("mean_squared_logarithmic_error"));
  if (cls == "LogCoshError") return std::make_shared<LogCoshError>(name("logcosh"));
  if (cls == "Poisson") return std::make_shared<Poisson>(name("poisson"));
  if (cls == "KLDivergence") return std::make_shared<KLDivergence>(name("kl_divergence"));
  if (cls == "Hinge") return std::make_shared<Hinge>(name("hinge"));
  if (cls == "SquaredHinge") return std::make_shared<SquaredHinge>(name("squared_hinge"));
  if (cls == "CategoricalHinge") return std::make_shared<CategoricalHinge>(name("categorical_hinge"));
  if (cls == "CosineSimilarity") return std::make_shared<CosineSimilarity>(name("cosine_similarity"), k.get_int("axis", -1));
  if (cls == "BinaryCrossentropy")
    return std::make_shared<BinaryCrossentropy>(name("binary_crossentropy"), k.get_bool("from_logits", false),
                                                k.get_double("label_smoothing", 0.0));
  if (cls == "CategoricalCrossentropy")
    return std::make_shared<CategoricalCrossentropy>(name("categorical_crossentropy"), k.get_bool("from_logits", false),
                                                     k.get_double("label_smoothing", 0.0), k.get_int("axis", -1));
  if (cls == "SparseCategoricalCrossentropy") {
    if (k.get_int("axis", -1) != -1)
      detail::raise<ValueError>("metrics::deserialize: SparseCategoricalCrossentropy with axis {}: strata's takes -1",
                                k.get_int("axis", -1));
    return std::make_shared<SparseCategoricalCrossentropy>(name("sparse_categorical_crossentropy"),
                                                           k.get_bool("from_logits", false));
  }
  if (cls == "Precision" || cls == "Recall") {
    const std::vector<double> thresholds = threshold_list(k, cls);
    const auto top_k = optional_int(k, "top_k"), class_id = optional_int(k, "class_id");
    if (cls == "Precision") return std::make_shared<Precision>(thresholds, top_k, class_id, name("precision"));
    return std::make_shared<Recall>(thresholds, top_k, class_id, name("recall"));
  }
  if (cls == "AUC") {
    for (const char* key : {"thresholds", "label_weights", "num_labels"})
      if (const Config* v = k.find(key); v && !v->is_null())
        detail::raise<ValueError>("metrics::deserialize: AUC with {} {}: not supported yet", key, v->dump());
    if (k.get_bool("multi_label", false) || k.get_bool("from_logits", false))
      throw ValueError("metrics::deserialize: AUC with multi_label or from_logits: not supported yet");
    // bounded, since a file says it: each threshold keeps four counts
    const std::int64_t n = k.get_int("num_thresholds", 200);
    if (n < 2 || n > 1000000)
      detail::raise<ValueError>("metrics::deserialize: AUC num_thresholds must be in [2, 1000000], got {}", n);
    return std::make_shared<AUC>(name("auc"), static_cast<int>(n),
                                 k.get_string("curve", "ROC"), k.get_string("summation_method", "interpolation"));
  }
  if (auto m = deserialize_score(cls, k)) return m;
  detail::raise<ValueError>("metrics::deserialize: unknown metric class '{}' (config {})", cls, k.dump());
}

}  // namespace metrics

namespace models {

namespace {

/// One entry per output from a value, a list (one per output) or a dict by output name.
std::vector<Config> per_output(const Config& v, const std::vector<std::string>& outputs, const std::string& model,
                               const char* key) {
  if (v.is_object() && !v.contains("class_name")) {
    std::vector<Config> out(outputs.size());
    for (const auto& [name, value] : v.entries()) {
      bool found = false;
      for (std::size_t k = 0; k < outputs.size(); ++k)
        if (outputs[k] == name) out[k] = value, found = true;
      if (!found)
        detail::raise<ValueError>("Model '{}': compile_from_config: {} for '{}', which is not an output (outputs: {})",
                                  model, key, name, fmt::join(outputs, ", "));
    }
    return out;
  }
  if (v.is_list() && outputs.size() > 1) {
    if (v.size() != outputs.size())
      detail::raise<ValueError>("Model '{}': compile_from_config: {} {} for {} outputs", model, v.size(), key,
                                outputs.size());
    return v.items();
  }
  return std::vector<Config>(outputs.size(), v);
}

std::vector<MetricArg> metric_list(const Config& v) {
  std::vector<MetricArg> out;
  if (v.is_null()) return out;
  for (const Config& m : v.is_list() ? v.items() : std::vector<Config>{v}) {
    if (m.is_null()) continue;
    if (m.is_string())
      out.emplace_back(m.as_string());  // resolved at the first batch, as Keras resolves "accuracy"
    else
      out.emplace_back(metrics::deserialize(m));
  }
  return out;
}

}  // namespace

void Model::compile_from_config(const Config& c) {
  if (!c.is_object())
    detail::raise<ValueError>("Model '{}': compile_from_config: expected an object, got {}", name(), c.dump());
  const std::size_t n_out = graph_ ? outputs_.size() : 1;
  std::vector<std::string> outs;
  for (std::size_t k = 0; k < n_out; ++k) outs.push_back(graph_ ? outputs_[k].node()->layer->name() : name());

  const Config* opt = c.find("optimizer");
  if (!opt || opt->is_null()) opt = c.find("optimizer_config");
  std::shared_ptr<optimizers::Optimizer> optimizer =
      opt && !opt->is_null() ? optimizers::deserialize(*opt) : optimizers::get("rmsprop");  // Keras's default

  const Config* loss = c.find("loss");
  if (!loss || loss->is_null())
    detail::raise<ValueError>("Model '{}': compile_from_config: the config has no loss ({})", name(), c.dump());
  std::vector<std::shared_ptr<losses::Loss>> loss_list;
  for (const Config& l : per_output(*loss, outs, name(), "losses")) {
    if (l.is_null()) detail::raise<ValueError>("Model '{}': compile_from_config: an output has no loss", name());
    loss_list.push_back(losses::deserialize(l));
  }

  std::vector<double> weights;
  if (const Config* w = c.find("loss_weights"); w && !w->is_null())
    for (const Config& x : per_output(*w, outs, name(), "loss weights")) weights.push_back(x.is_null() ? 1.0 : x.as_double());

  // metrics: one list for every output, a list per output, or a dict by output name; Keras's
  // weighted_metrics are metrics given the sample weights, which strata's metrics always are.
  std::vector<std::vector<MetricArg>> metric_specs(n_out);
  for (const char* key : {"metrics", "weighted_metrics"}) {
    const Config* m = c.find(key);
    if (!m || m->is_null()) continue;
    // (Keras 2 writes a list per output even for one output: [["accuracy"]])
    const bool per = (m->is_object() && !m->contains("class_name")) ||
                     (m->is_list() && m->size() == n_out && m->size() > 0 &&
                      std::all_of(m->items().begin(), m->items().end(), [](const Config& x) { return x.is_list() || x.is_null(); }));
    for (std::size_t k = 0; k < n_out; ++k) {
      const Config mine = !per ? *m : m->is_list() ? (*m)[k] : per_output(*m, outs, name(), key)[k];
      std::vector<MetricArg> list = metric_list(mine);
      metric_specs[k].insert(metric_specs[k].end(), list.begin(), list.end());
    }
  }
  compile_impl(optimizer, LossArg(std::move(loss_list)), std::move(metric_specs), std::move(weights));
}

Config Model::get_compile_config() const {
  if (!compiled_) return Config();
  const auto& c = *compiled_;
  Config loss;
  bool same = true;
  for (const auto& l : c.losses) same = same && l == c.losses[0];
  if (same) {
    loss = losses::serialize(*c.losses[0]);
  } else {
    loss = Config::list();
    for (const auto& l : c.losses) loss.push_back(losses::serialize(*l));
  }
  auto names = [](const std::vector<MetricArg>& list) {
    Config out = Config::list();
    for (const auto& m : list) out.push_back(m.get() ? m.get()->name() : m.name());
    return out;
  };
  Config metrics;
  bool same_metrics = true;
  for (const auto& m : c.metric_specs) same_metrics = same_metrics && names(m) == names(c.metric_specs[0]);
  if (same_metrics) {
    metrics = c.metric_specs.empty() || c.metric_specs[0].empty() ? Config() : names(c.metric_specs[0]);
  } else {
    metrics = Config::object();
    for (std::size_t k = 0; k < c.metric_specs.size(); ++k) metrics[c.output_names[k]] = names(c.metric_specs[k]);
  }
  Config weights;
  if (std::any_of(c.loss_weights.begin(), c.loss_weights.end(), [](double w) { return w != 1.0; })) {
    weights = Config::list();
    for (double w : c.loss_weights) weights.push_back(w);
  }
  return Config::object({{"optimizer", optimizers::serialize(*c.optimizer)},
                         {"loss", loss},
                         {"loss_weights", weights},
                         {"metrics", metrics},
                         {"weighted_metrics", Config()},
                         {"run_eagerly", false},
                         {"steps_per_execution", 1},
                         {"jit_compile", false}});
}

}  // namespace models
}  // namespace strata
