#pragma once
/// The arguments of Model::compile and Model::fit (Keras's keyword arguments), kept light:
/// optimizers, losses, metrics and callbacks are only forward-declared here.
///
///   model.compile(optimizers::Adam(1e-3), "sparse_categorical_crossentropy", {"accuracy"});
///   FitOptions opt;
///   opt.batch_size = 128;
///   opt.epochs = 5;
///   opt.validation_split = 0.1;
///   History h = model.fit(x, y, opt);
#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "strata/tensor.hpp"

namespace strata {

namespace optimizers {
class Optimizer;
std::shared_ptr<Optimizer> get(const std::string& name);
}  // namespace optimizers
namespace losses {
class Loss;
std::shared_ptr<Loss> get(const std::string& name);
}  // namespace losses
namespace metrics {
class Metric;
}
namespace callbacks {
class Callback;
class History;
}  // namespace callbacks

/// Named values in insertion order ("loss", "accuracy", "val_loss", ...), as Keras's logs.
class Logs {
 public:
  void set(const std::string& key, double value);
  bool contains(const std::string& key) const;
  /// ValueError naming the key (and the keys present) when absent.
  double get(const std::string& key) const;
  const std::vector<std::pair<std::string, double>>& items() const { return items_; }
  bool empty() const { return items_.empty(); }

 private:
  std::vector<std::pair<std::string, double>> items_;
};

/// An optimizer: a Keras name ("adam"), a shared_ptr, or a temporary (moved in).
class OptimizerArg {
 public:
  OptimizerArg(const char* name) : ptr_(name ? optimizers::get(name) : nullptr) {}  // NOLINT
  OptimizerArg(const std::string& name) : ptr_(optimizers::get(name)) {}  // NOLINT
  template <class O>
  OptimizerArg(std::shared_ptr<O> o) : ptr_(std::move(o)) {}  // NOLINT
  template <class O, class = std::enable_if_t<!std::is_lvalue_reference_v<O> &&
                                              std::is_base_of_v<optimizers::Optimizer, std::decay_t<O>>>>
  OptimizerArg(O&& o) : ptr_(std::make_shared<std::decay_t<O>>(std::move(o))) {}  // NOLINT
  const std::shared_ptr<optimizers::Optimizer>& get() const { return ptr_; }

 private:
  std::shared_ptr<optimizers::Optimizer> ptr_;
};

/// A loss (name, shared_ptr or temporary), or a list with one loss per model output.
class LossArg {
 public:
  LossArg(const char* name) : losses_{name ? losses::get(name) : nullptr} {}  // NOLINT
  LossArg(const std::string& name) : losses_{losses::get(name)} {}  // NOLINT
  template <class L>
  LossArg(std::shared_ptr<L> l) : losses_{std::move(l)} {}  // NOLINT
  template <class L, class = std::enable_if_t<!std::is_lvalue_reference_v<L> &&
                                              std::is_base_of_v<losses::Loss, std::decay_t<L>>>>
  LossArg(L&& l) : losses_{std::make_shared<std::decay_t<L>>(std::move(l))} {}  // NOLINT
  LossArg(std::initializer_list<LossArg> per_output) {
    for (const auto& l : per_output) losses_.insert(losses_.end(), l.losses_.begin(), l.losses_.end());
  }
  explicit LossArg(std::vector<std::shared_ptr<losses::Loss>> per_output) : losses_(std::move(per_output)) {}
  const std::vector<std::shared_ptr<losses::Loss>>& get() const { return losses_; }

 private:
  std::vector<std::shared_ptr<losses::Loss>> losses_;
};

/// A metric: a Keras name ("accuracy", "auc", ...), a shared_ptr, or a temporary.
class MetricArg {
 public:
  MetricArg(const char* name) : name_(name ? name : "") {}  // NOLINT
  MetricArg(const std::string& name) : name_(name) {}  // NOLINT
  template <class M>
  MetricArg(std::shared_ptr<M> m) : ptr_(std::move(m)) {}  // NOLINT
  template <class M, class = std::enable_if_t<!std::is_lvalue_reference_v<M> &&
                                              std::is_base_of_v<metrics::Metric, std::decay_t<M>>>>
  MetricArg(M&& m) : ptr_(std::make_shared<std::decay_t<M>>(std::move(m))) {}  // NOLINT
  const std::string& name() const { return name_; }
  const std::shared_ptr<metrics::Metric>& get() const { return ptr_; }

 private:
  std::string name_;
  std::shared_ptr<metrics::Metric> ptr_;
};

/// Metrics by output layer name, as Keras 3 takes them:
///   model.compile(opt, {"sparse_categorical_crossentropy", "mse"}, MetricsByOutput{{"class", {"accuracy"}}});
struct MetricsByOutput {
  std::map<std::string, std::vector<MetricArg>> metrics;
  MetricsByOutput(std::initializer_list<std::pair<const std::string, std::vector<MetricArg>>> m) : metrics(m) {}
};

struct FitOptions {
  std::int64_t batch_size = 32;
  int epochs = 1;
  /// 0: silent; 1: Keras's progress bar (updated in place on a terminal, one line per epoch
  /// otherwise); 2: one line per epoch.
  int verbose = 1;
  /// The last fraction of the examples (before shuffling) held out for validation.
  double validation_split = 0.0;
  /// validation_data: inputs and targets.
  std::vector<Tensor> validation_x, validation_y;
  bool shuffle = true;
  /// Weight of each class in the loss (sparse or one-hot targets of a single output).
  std::map<std::int64_t, double> class_weight;
  /// Weight of each example in the loss, [N].
  Tensor sample_weight;
  std::vector<std::shared_ptr<callbacks::Callback>> callbacks;
  int initial_epoch = 0;
  /// Batches per epoch (default: all).
  std::optional<std::int64_t> steps_per_epoch;
  /// Seeds the shuffling (default: drawn from strata's global generator).
  std::optional<std::uint64_t> seed;
  /// Where progress goes (std::cout by default), and whether to treat it as a terminal
  /// (default: asks isatty when it is std::cout).
  std::ostream* out = nullptr;
  std::optional<bool> terminal;
  /// Data-parallel over the ranks of strata::distributed (default: when there are several):
  /// fit is then collective, each rank computing its slice of every global batch of batch_size.
  std::optional<bool> distributed;
  /// In a distributed fit, every this many steps compare a hash of the weights across ranks
  /// (ValueError on every rank if they differ; 0: never).
  std::int64_t check_weights_every = 0;
};

struct EvaluateOptions {
  std::int64_t batch_size = 32;
  int verbose = 0;
  Tensor sample_weight;
  std::vector<std::shared_ptr<callbacks::Callback>> callbacks;
  std::ostream* out = nullptr;
  std::optional<bool> terminal;
  /// Each rank evaluates its balanced slice of the data and the metrics are merged (default:
  /// when strata::distributed has several ranks; evaluate is then collective).
  std::optional<bool> distributed;
};

}  // namespace strata
