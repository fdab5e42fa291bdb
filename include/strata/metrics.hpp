#pragma once
/// Stateful metrics with Keras's names: update_state accumulates, result reads, reset_state
/// starts over.
///
///   metrics::SparseCategoricalAccuracy acc;
///   acc.update_state(labels, logits);       // per batch
///   double a = acc.result();                // over every batch so far
///   acc.reset_state();                      // at each epoch
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "strata/config.hpp"
#include "strata/tensor.hpp"

namespace strata::metrics {

class Metric {
 public:
  explicit Metric(std::string name) : name_(std::move(name)) {}
  virtual ~Metric() = default;
  virtual void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) = 0;
  virtual double result() const = 0;
  virtual void reset_state() = 0;
  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }

  // ---- state (Keras's metric variables), for merging metrics computed apart -------------
  /// The accumulated state in a fixed order (Mean: total, count; Precision: tp, fp; AUC: its
  /// confusion counts per threshold). Empty for a metric that does not report one.
  virtual std::vector<double> state() const { return {}; }
  /// Replaces the state with one state() returned (a ValueError if its size differs).
  virtual void set_state(const std::vector<double>& state);
  /// Adds the states of `others` (metrics of this class and configuration, e.g. updated on
  /// other shards of the data or other processes) into this one, as Keras's merge_state: the
  /// result is then what one metric updated on all of their data gives. A metric whose state
  /// is not a sum overrides it.
  virtual void merge_state(const std::vector<const Metric*>& others);

 protected:
  /// Whether `other` (of this class) counts as this one does (thresholds, curve, ...); merging
  /// metrics that do not is a ValueError.
  virtual bool same_configuration(const Metric&) const { return true; }

 private:
  std::string name_;
};

/// The (weighted) mean of values: update_state(values[, weights]).
class Mean : public Metric {
 public:
  explicit Mean(std::string name = "mean") : Metric(std::move(name)) {}
  void update_state(const Tensor& values, const Tensor& sample_weight = Tensor());
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override;
  /// total / count, 0 when count is 0 (Keras's divide_no_nan: negative weights divide too).
  double result() const override { return count_ != 0 ? total_ / count_ : 0.0; }
  void reset_state() override { total_ = count_ = 0; }
  std::vector<double> state() const override { return {total_, count_}; }
  void set_state(const std::vector<double>& s) override;

 protected:
  double total_ = 0, count_ = 0;
};

/// The mean of a per-sample score fn(y_true, y_pred) (Keras's MeanMetricWrapper).
class MeanMetricWrapper : public Mean {
 public:
  using Fn = std::function<Tensor(const Tensor&, const Tensor&)>;
  MeanMetricWrapper(std::string name, Fn fn) : Mean(std::move(name)), fn_(std::move(fn)) {}
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) override;

 private:
  Fn fn_;
};

/// Fraction of predictions equal to the labels.
class Accuracy : public MeanMetricWrapper {
 public:
  explicit Accuracy(std::string name = "accuracy");
};
/// Fraction with (y_pred > threshold) == y_true.
class BinaryAccuracy : public MeanMetricWrapper {
 public:
  explicit BinaryAccuracy(std::string name = "binary_accuracy", double threshold = 0.5);
};
/// argmax(y_pred) == argmax(y_true) (one-hot labels).
class CategoricalAccuracy : public MeanMetricWrapper {
 public:
  explicit CategoricalAccuracy(std::string name = "categorical_accuracy");
};
/// argmax(y_pred) == y_true (int64 class indices).
class SparseCategoricalAccuracy : public MeanMetricWrapper {
 public:
  explicit SparseCategoricalAccuracy(std::string name = "sparse_categorical_accuracy");
};
/// The one-hot label's class is among the k largest predictions.
class TopKCategoricalAccuracy : public MeanMetricWrapper {
 public:
  explicit TopKCategoricalAccuracy(std::int64_t k = 5, std::string name = "top_k_categorical_accuracy");
};
/// Sparse labels among the k largest predictions.
class SparseTopKCategoricalAccuracy : public MeanMetricWrapper {
 public:
  explicit SparseTopKCategoricalAccuracy(std::int64_t k = 5, std::string name = "sparse_top_k_categorical_accuracy");
};
class MeanSquaredError : public MeanMetricWrapper {
 public:
  explicit MeanSquaredError(std::string name = "mean_squared_error");
};

// ---- the losses as metrics (the mean of the per-sample loss, Keras's names and defaults) ----------
#define STRATA_LOSS_METRIC(Class, default_name)                 \
  class Class : public MeanMetricWrapper {                      \
   public:                                                      \
    explicit Class(std::string name = default_name);            \
  };
STRATA_LOSS_METRIC(MeanAbsoluteError, "mean_absolute_error")
STRATA_LOSS_METRIC(MeanAbsolutePercentageError, "mean_absolute_percentage_error")
STRATA_LOSS_METRIC(MeanSquaredLogarithmicError, "mean_squared_logarithmic_error")
STRATA_LOSS_METRIC(LogCoshError, "logcosh")
STRATA_LOSS_METRIC(Poisson, "poisson")
STRATA_LOSS_METRIC(KLDivergence, "kl_divergence")
STRATA_LOSS_METRIC(Hinge, "hinge")
STRATA_LOSS_METRIC(SquaredHinge, "squared_hinge")
STRATA_LOSS_METRIC(CategoricalHinge, "categorical_hinge")
#undef STRATA_LOSS_METRIC
/// cos(y_true, y_pred) along `axis` (positive: higher is better, unlike the loss).
class CosineSimilarity : public MeanMetricWrapper {
 public:
  explicit CosineSimilarity(std::string name = "cosine_similarity", std::int64_t axis = -1);
};
class BinaryCrossentropy : public MeanMetricWrapper {
 public:
  explicit BinaryCrossentropy(std::string name = "binary_crossentropy", bool from_logits = false,
                              double label_smoothing = 0.0);
};
class CategoricalCrossentropy : public MeanMetricWrapper {
 public:
  explicit CategoricalCrossentropy(std::string name = "categorical_crossentropy", bool from_logits = false,
                                   double label_smoothing = 0.0, std::int64_t axis = -1);
};
class SparseCategoricalCrossentropy : public MeanMetricWrapper {
 public:
  explicit SparseCategoricalCrossentropy(std::string name = "sparse_categorical_crossentropy",
                                         bool from_logits = false);
};
/// sqrt of the (weighted) mean of (y_pred - y_true)^2 over every element.
class RootMeanSquaredError : public Mean {
 public:
  explicit RootMeanSquaredError(std::string name = "root_mean_squared_error") : Mean(std::move(name)) {}
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) override;
  double result() const override;
};
/// The (weighted) sum of values: update_state(values[, weights]).
class Sum : public Mean {
 public:
  explicit Sum(std::string name = "sum") : Mean(std::move(name)) {}
  double result() const override { return total_; }
};

/// true positives / predicted positives, with predictions thresholded at 0.5.
class Precision : public Metric {
 public:
  explicit Precision(std::string name = "precision", double threshold = 0.5);
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) override;
  double result() const override { return tp_ + fp_ > 0 ? tp_ / (tp_ + fp_) : 0.0; }
  void reset_state() override { tp_ = fp_ = 0; }
  std::vector<double> state() const override { return {tp_, fp_}; }
  void set_state(const std::vector<double>& s) override;

 protected:
  bool same_configuration(const Metric& other) const override;

 private:
  double threshold_, tp_ = 0, fp_ = 0;
};

/// true positives / actual positives.
class Recall : public Metric {
 public:
  explicit Recall(std::string name = "recall", double threshold = 0.5);
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) override;
  double result() const override { return tp_ + fn_ > 0 ? tp_ / (tp_ + fn_) : 0.0; }
  void reset_state() override { tp_ = fn_ = 0; }
  std::vector<double> state() const override { return {tp_, fn_}; }
  void set_state(const std::vector<double>& s) override;

 protected:
  bool same_configuration(const Metric& other) const override;

 private:
  double threshold_, tp_ = 0, fn_ = 0;
};

/// Area under the ROC curve (or the precision-recall curve with curve = "PR"), as Keras
/// computes it: confusion counts at num_thresholds evenly spaced thresholds, trapezoidal sum.
class AUC : public Metric {
 public:
  /// summation_method: "interpolation" (Keras's default: the trapezoid for ROC, Davis and
  /// Goadrich's interpolation for PR), "minoring" or "majoring" (the lower or upper Riemann sum).
  explicit AUC(std::string name = "auc", int num_thresholds = 200, std::string curve = "ROC",
               std::string summation_method = "interpolation");
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) override;
  double result() const override;
  void reset_state() override;
  /// tp, fp, tn and fn at each threshold.
  std::vector<double> state() const override;
  void set_state(const std::vector<double>& s) override;

 protected:
  bool same_configuration(const Metric& other) const override;

 private:
  std::vector<double> thresholds_, tp_, fp_, tn_, fn_;
  std::string curve_, summation_;
  double interpolated_pr() const;
};

/// By Keras name: "accuracy", "sparse_categorical_accuracy", "mse", "auc", "precision", ...
std::shared_ptr<Metric> get(const std::string& name);
/// A metric from a Keras config ({"class_name": "AUC", "config": {"name": "auc", "num_thresholds":
/// 200, "curve": "PR", ...}}) or a name (as get); ValueError naming an unknown class.
std::shared_ptr<Metric> deserialize(const Config& config);

}  // namespace strata::metrics
