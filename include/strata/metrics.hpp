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
#include <initializer_list>
#include <memory>
#include <optional>
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
  /// from_sorted_ids: y_pred holds each row's predicted class ids, best first ([N, m], as
  /// top_k's indices), and a hit is the label among the first k of them (Keras 3).
  explicit SparseTopKCategoricalAccuracy(std::int64_t k = 5, std::string name = "sparse_top_k_categorical_accuracy",
                                         bool from_sorted_ids = false);
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

/// Precision (tp / (tp + fp)) or recall (tp / (tp + fn)) as Keras counts them: a label is
/// positive when it is not 0, a prediction when it is above the threshold (each of several:
/// read results()); top_k keeps only each row's k largest predictions (then, without
/// thresholds, those k are the positive ones), class_id scores one column of [N, classes].
class PrecisionRecall : public Metric {
 public:
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) override;
  /// The score (ValueError with several thresholds: read results()).
  double result() const override;
  /// The score at each threshold (0 where nothing was counted).
  std::vector<double> results() const;
  void reset_state() override;
  /// tp at each threshold, then fp (precision) or fn (recall).
  std::vector<double> state() const override;
  void set_state(const std::vector<double>& s) override;
  const std::vector<double>& thresholds() const { return thresholds_; }
  std::optional<std::int64_t> top_k() const { return top_k_; }
  std::optional<std::int64_t> class_id() const { return class_id_; }

 protected:
  PrecisionRecall(bool precision, std::string name, std::vector<double> thresholds, std::optional<std::int64_t> top_k,
                  std::optional<std::int64_t> class_id);
  bool same_configuration(const Metric& other) const override;

 private:
  bool precision_;
  std::vector<double> thresholds_;
  std::optional<std::int64_t> top_k_, class_id_;
  std::vector<double> tp_, other_;
};

/// Keras's Precision(thresholds, top_k, class_id) and Recall(...); no thresholds: 0.5 (or, with
/// top_k, the top k); Precision({0.3, 0.7}) reads as thresholds.
#define STRATA_PRECISION_RECALL(Class, is_precision, default_name)                                          \
  class Class : public PrecisionRecall {                                                                    \
   public:                                                                                                  \
    explicit Class(std::vector<double> thresholds = {}, std::optional<std::int64_t> top_k = std::nullopt,    \
                   std::optional<std::int64_t> class_id = std::nullopt, std::string name = default_name)     \
        : PrecisionRecall(is_precision, std::move(name), std::move(thresholds), top_k, class_id) {}         \
    explicit Class(std::initializer_list<double> thresholds, std::optional<std::int64_t> top_k = std::nullopt, \
                   std::optional<std::int64_t> class_id = std::nullopt, std::string name = default_name)     \
        : Class(std::vector<double>(thresholds), top_k, class_id, std::move(name)) {}                       \
  };
STRATA_PRECISION_RECALL(Precision, true, "precision")
STRATA_PRECISION_RECALL(Recall, false, "recall")
#undef STRATA_PRECISION_RECALL

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

// ---- confusion counts, F-scores, R2, IoU (metrics_scores.cpp) ---------------------------------

/// Weighted counts of one cell of the confusion matrix at each threshold, as Keras's
/// TruePositives / FalsePositives / TrueNegatives / FalseNegatives: a label is positive when it is
/// not 0, a prediction when it is above the threshold.
class ConfusionCount : public Metric {
 public:
  enum class Cell { true_positives, false_positives, true_negatives, false_negatives };
  ConfusionCount(Cell cell, std::vector<double> thresholds, std::string name);
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) override;
  /// The count (ValueError with several thresholds: read results()).
  double result() const override;
  /// The count at each threshold.
  std::vector<double> results() const { return counts_; }
  void reset_state() override;
  std::vector<double> state() const override { return counts_; }
  void set_state(const std::vector<double>& s) override;
  const std::vector<double>& thresholds() const { return thresholds_; }

 protected:
  bool same_configuration(const Metric& other) const override;

 private:
  Cell cell_;
  std::vector<double> thresholds_, counts_;
};
#define STRATA_CONFUSION_COUNT(Class, cell, default_name)                                        \
  class Class : public ConfusionCount {                                                           \
   public:                                                                                        \
    explicit Class(std::vector<double> thresholds = {0.5}, std::string name = default_name)        \
        : ConfusionCount(Cell::cell, std::move(thresholds), std::move(name)) {}                   \
  };
STRATA_CONFUSION_COUNT(TruePositives, true_positives, "true_positives")
STRATA_CONFUSION_COUNT(FalsePositives, false_positives, "false_positives")
STRATA_CONFUSION_COUNT(TrueNegatives, true_negatives, "true_negatives")
STRATA_CONFUSION_COUNT(FalseNegatives, false_negatives, "false_negatives")
#undef STRATA_CONFUSION_COUNT

/// Keras's FBetaScore over [N, classes] labels and predictions: (1 + beta^2) P R / (beta^2 P + R)
/// per class, with predictions above `threshold` positive (without one, each row's largest
/// non-zero prediction). average: "" (Keras's None: one score per class, read results()),
/// "micro" (counts over every class), "macro" (the mean of the classes' scores) or "weighted"
/// (the mean weighted by each class's support).
class FBetaScore : public Metric {
 public:
  explicit FBetaScore(std::string average = "", double beta = 1.0, std::optional<double> threshold = std::nullopt,
                      std::string name = "fbeta_score");
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) override;
  /// The averaged score (ValueError when average is "" and there are several classes).
  double result() const override;
  std::vector<double> results() const;
  void reset_state() override;
  /// tp, fp, fn and support, per class (one each for "micro"); empty before the first update.
  std::vector<double> state() const override;
  void set_state(const std::vector<double>& s) override;
  const std::string& average() const { return average_; }
  double beta() const { return beta_; }
  std::optional<double> threshold() const { return threshold_; }

 protected:
  bool same_configuration(const Metric& other) const override;

 private:
  std::string average_;
  double beta_;
  std::optional<double> threshold_;
  std::vector<double> tp_, fp_, fn_, support_;
};
class F1Score : public FBetaScore {
 public:
  explicit F1Score(std::string average = "", std::optional<double> threshold = std::nullopt,
                   std::string name = "f1_score")
      : FBetaScore(std::move(average), 1.0, threshold, std::move(name)) {}
};

/// The coefficient of determination, 1 - SS_res / SS_tot per output column of [N, outputs]
/// (Keras's R2Score): class_aggregation "uniform_average", "variance_weighted_average" or ""
/// (one score per column, read results()); num_regressors > 0 gives the adjusted R2.
class R2Score : public Metric {
 public:
  explicit R2Score(std::string class_aggregation = "uniform_average", std::int64_t num_regressors = 0,
                   std::string name = "r2_score");
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) override;
  double result() const override;
  std::vector<double> results() const;
  void reset_state() override;
  /// sum, squared sum, residual sum and count per column, then the number of values.
  std::vector<double> state() const override;
  void set_state(const std::vector<double>& s) override;

 protected:
  bool same_configuration(const Metric& other) const override;

 private:
  std::string aggregation_;
  std::int64_t num_regressors_;
  std::vector<double> sum_, squared_sum_, residual_, count_;
  double num_samples_ = 0;
};

/// Intersection over union from a weighted confusion matrix of num_classes classes (Keras's
/// IoU): tp / (tp + fp + fn) per class, averaged over target_class_ids that occur. Labels and
/// predictions are class ids (sparse) or scores whose argmax along `axis` is taken;
/// ignore_class's positions count for nothing. Weights stay fractional (Keras 3 truncates
/// them to integers under its default integer dtype, with a warning).
class IoU : public Metric {
 public:
  IoU(std::int64_t num_classes, std::vector<std::int64_t> target_class_ids, std::string name = "io_u",
      std::optional<std::int64_t> ignore_class = std::nullopt, bool sparse_y_true = true, bool sparse_y_pred = true,
      std::int64_t axis = -1);
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) override;
  double result() const override;
  void reset_state() override;
  /// The confusion matrix, row-major [true class, predicted class].
  std::vector<double> state() const override { return cm_; }
  void set_state(const std::vector<double>& s) override;
  std::int64_t num_classes() const { return num_classes_; }

 protected:
  bool same_configuration(const Metric& other) const override;
  /// The predicted class of each position (BinaryIoU thresholds instead).
  virtual std::vector<std::int64_t> predicted_classes(const Tensor& y_pred) const;

 private:
  std::int64_t num_classes_;
  std::vector<std::int64_t> targets_;
  std::optional<std::int64_t> ignore_;
  bool sparse_true_, sparse_pred_;
  std::int64_t axis_;
  std::vector<double> cm_;
};
/// IoU averaged over every class.
class MeanIoU : public IoU {
 public:
  explicit MeanIoU(std::int64_t num_classes, std::string name = "mean_io_u",
                   std::optional<std::int64_t> ignore_class = std::nullopt, bool sparse_y_true = true,
                   bool sparse_y_pred = true, std::int64_t axis = -1);
};
/// IoU of one-hot labels and scores (argmax of both).
class OneHotIoU : public IoU {
 public:
  OneHotIoU(std::int64_t num_classes, std::vector<std::int64_t> target_class_ids, std::string name = "one_hot_io_u",
            std::optional<std::int64_t> ignore_class = std::nullopt, bool sparse_y_pred = false, std::int64_t axis = -1)
      : IoU(num_classes, std::move(target_class_ids), std::move(name), ignore_class, false, sparse_y_pred, axis) {}
};
class OneHotMeanIoU : public MeanIoU {
 public:
  explicit OneHotMeanIoU(std::int64_t num_classes, std::string name = "one_hot_mean_io_u",
                         std::optional<std::int64_t> ignore_class = std::nullopt, bool sparse_y_pred = false,
                         std::int64_t axis = -1)
      : MeanIoU(num_classes, std::move(name), ignore_class, false, sparse_y_pred, axis) {}
};
/// IoU of binary labels, predictions >= threshold being class 1.
class BinaryIoU : public IoU {
 public:
  explicit BinaryIoU(std::vector<std::int64_t> target_class_ids = {0, 1}, double threshold = 0.5,
                     std::string name = "binary_io_u");
  double threshold() const { return threshold_; }

 protected:
  std::vector<std::int64_t> predicted_classes(const Tensor& y_pred) const override;
  bool same_configuration(const Metric& other) const override;

 private:
  double threshold_;
};

/// By Keras name: "accuracy", "sparse_categorical_accuracy", "mse", "auc", "precision", ...
std::shared_ptr<Metric> get(const std::string& name);
/// A metric from a Keras config ({"class_name": "AUC", "config": {"name": "auc", "num_thresholds":
/// 200, "curve": "PR", ...}}) or a name (as get); ValueError naming an unknown class.
std::shared_ptr<Metric> deserialize(const Config& config);

}  // namespace strata::metrics
