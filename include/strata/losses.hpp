#pragma once
/// Losses with Keras's names and semantics.
///
/// Functions return one loss per sample (reduced over the last axis, as Keras's do); Loss
/// objects add the reduction and sample weights:
///
///   Tensor per_sample = losses::sparse_categorical_crossentropy(labels, logits, /*from_logits=*/true);
///   losses::SparseCategoricalCrossentropy loss(/*from_logits=*/true);
///   Tensor scalar = loss(labels, logits);                    // mean over the batch
///   Tensor weighted = loss(labels, logits, sample_weights);  // sum(w * l) / number of samples
///
/// With from_logits the fused, stable kernels of strata::nn are used; from probabilities, the
/// predictions are clipped to [1e-7, 1 - 1e-7] as Keras does.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/config.hpp"
#include "strata/tensor.hpp"

namespace strata::losses {

enum class Reduction {
  sum_over_batch_size,      ///< Keras's default (also "mean"): sum of the weighted losses / their number
  sum,
  none,
  mean_with_sample_weight,  ///< sum of the weighted losses / sum of the weights (their number without)
};

Tensor mean_squared_error(const Tensor& y_true, const Tensor& y_pred);
Tensor mean_absolute_error(const Tensor& y_true, const Tensor& y_pred);
/// 0.5 x^2 where |x| <= delta, delta (|x| - delta / 2) elsewhere, x = y_pred - y_true.
Tensor huber(const Tensor& y_true, const Tensor& y_pred, double delta = 1.0);
Tensor binary_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits = false,
                           double label_smoothing = 0.0);
/// y_true one-hot (or soft) along `axis`.
Tensor categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits = false,
                                double label_smoothing = 0.0, std::int64_t axis = -1);
/// y_true int64 class indices of shape y_pred.shape()[:-1] (or with a trailing 1, as Keras allows).
/// With ignore_class, samples of that label lose 0 (and the Loss object leaves them out of its mean).
Tensor sparse_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits = false,
                                       std::optional<std::int64_t> ignore_class = std::nullopt);
/// sum(y_true * log(y_true / y_pred)) over the last axis, both clipped to [1e-7, 1].
Tensor kl_divergence(const Tensor& y_true, const Tensor& y_pred);
/// -cos(y_true, y_pred) along `axis` (Keras returns the negative, so lower is better).
Tensor cosine_similarity(const Tensor& y_true, const Tensor& y_pred, std::int64_t axis = -1);
/// mean(y_pred - y_true log(y_pred + 1e-7)) over the last axis.
Tensor poisson(const Tensor& y_true, const Tensor& y_pred);
/// mean(log(cosh(y_pred - y_true))), computed as x + softplus(-2x) - log 2.
Tensor log_cosh(const Tensor& y_true, const Tensor& y_pred);
/// mean(max(1 - y_true y_pred, 0)); labels all in {0, 1} are first mapped to {-1, 1}.
Tensor hinge(const Tensor& y_true, const Tensor& y_pred);
/// mean(max(1 - y_true y_pred, 0)^2), labels mapped as hinge's.
Tensor squared_hinge(const Tensor& y_true, const Tensor& y_pred);
/// max(max((1 - y_true) y_pred) - sum(y_true y_pred) + 1, 0) over the last axis (one-hot y_true).
Tensor categorical_hinge(const Tensor& y_true, const Tensor& y_pred);
/// 100 mean(|y_true - y_pred| / max(|y_true|, 1e-7)).
Tensor mean_absolute_percentage_error(const Tensor& y_true, const Tensor& y_pred);
/// mean((log(max(y_pred, 1e-7) + 1) - log(max(y_true, 1e-7) + 1))^2).
Tensor mean_squared_logarithmic_error(const Tensor& y_true, const Tensor& y_pred);
/// Binary cross-entropy scaled by (1 - p_t)^gamma (p_t: the probability given to the true
/// label), and with apply_class_balancing by alpha (label 1) or 1 - alpha (label 0); mean over `axis`.
Tensor binary_focal_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool apply_class_balancing = false,
                                 double alpha = 0.25, double gamma = 2.0, bool from_logits = false,
                                 double label_smoothing = 0.0, std::int64_t axis = -1);
/// sum(-alpha (1 - p)^gamma y_true log p) along `axis`, p the normalized, clipped predictions.
Tensor categorical_focal_crossentropy(const Tensor& y_true, const Tensor& y_pred, double alpha = 0.25,
                                      double gamma = 2.0, bool from_logits = false, double label_smoothing = 0.0,
                                      std::int64_t axis = -1);
/// 1 - 2 sum(y_true y_pred) / (sum(y_true) + sum(y_pred) + 1e-7), the sums over `axes` (all
/// axes, one number, when empty).
Tensor dice(const Tensor& y_true, const Tensor& y_pred, const std::vector<std::int64_t>& axes = {});
/// 1 - TP / (TP + alpha FP + beta FN + 1e-7) over all elements (one number), with TP =
/// sum(y_true y_pred), FP = sum((1 - y_pred) y_true), FN = sum(y_pred (1 - y_true)), as Keras.
Tensor tversky(const Tensor& y_true, const Tensor& y_pred, double alpha = 0.5, double beta = 0.5);

/// A loss with a reduction, applied to (y_true, y_pred[, sample_weight]).
class Loss {
 public:
  explicit Loss(std::string name, Reduction reduction = Reduction::sum_over_batch_size);
  virtual ~Loss() = default;
  /// The per-sample losses (no reduction).
  virtual Tensor call(const Tensor& y_true, const Tensor& y_pred) const = 0;
  /// Which per-sample losses count (1) and which do not (0), or undefined for all: Keras's loss
  /// mask (SparseCategoricalCrossentropy's ignore_class). The mean is over the counted ones.
  virtual Tensor mask(const Tensor& y_true, const Tensor& y_pred) const;
  /// Weighted and reduced. sample_weight broadcasts against the per-sample losses.
  Tensor operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) const;
  const std::string& name() const { return name_; }
  Reduction reduction() const { return reduction_; }
  /// Keras's class name and config ({"name", "reduction", ...}).
  virtual std::string class_name() const = 0;
  virtual Config get_config() const;

 private:
  std::string name_;
  Reduction reduction_;
};

class MeanSquaredError : public Loss {
 public:
  explicit MeanSquaredError(Reduction r = Reduction::sum_over_batch_size) : Loss("mean_squared_error", r) {}
  Tensor call(const Tensor& t, const Tensor& p) const override { return mean_squared_error(t, p); }
  std::string class_name() const override { return "MeanSquaredError"; }
};

class MeanAbsoluteError : public Loss {
 public:
  explicit MeanAbsoluteError(Reduction r = Reduction::sum_over_batch_size) : Loss("mean_absolute_error", r) {}
  Tensor call(const Tensor& t, const Tensor& p) const override { return mean_absolute_error(t, p); }
  std::string class_name() const override { return "MeanAbsoluteError"; }
};

class Huber : public Loss {
 public:
  explicit Huber(double delta = 1.0, Reduction r = Reduction::sum_over_batch_size);
  Tensor call(const Tensor& t, const Tensor& p) const override { return huber(t, p, delta_); }
  std::string class_name() const override { return "Huber"; }
  Config get_config() const override;

 private:
  double delta_;
};

class BinaryCrossentropy : public Loss {
 public:
  explicit BinaryCrossentropy(bool from_logits = false, double label_smoothing = 0.0,
                              Reduction r = Reduction::sum_over_batch_size);
  Tensor call(const Tensor& t, const Tensor& p) const override;
  std::string class_name() const override { return "BinaryCrossentropy"; }
  Config get_config() const override;
  bool from_logits() const { return from_logits_; }

 private:
  bool from_logits_;
  double label_smoothing_;
};

class CategoricalCrossentropy : public Loss {
 public:
  explicit CategoricalCrossentropy(bool from_logits = false, double label_smoothing = 0.0,
                                   Reduction r = Reduction::sum_over_batch_size, std::int64_t axis = -1);
  Tensor call(const Tensor& t, const Tensor& p) const override;
  std::string class_name() const override { return "CategoricalCrossentropy"; }
  Config get_config() const override;
  bool from_logits() const { return from_logits_; }

 private:
  bool from_logits_;
  double label_smoothing_;
  std::int64_t axis_;
};

class SparseCategoricalCrossentropy : public Loss {
 public:
  explicit SparseCategoricalCrossentropy(bool from_logits = false, Reduction r = Reduction::sum_over_batch_size,
                                         std::optional<std::int64_t> ignore_class = std::nullopt);
  Tensor call(const Tensor& t, const Tensor& p) const override;
  Tensor mask(const Tensor& t, const Tensor& p) const override;
  std::string class_name() const override { return "SparseCategoricalCrossentropy"; }
  Config get_config() const override;
  bool from_logits() const { return from_logits_; }

 private:
  bool from_logits_;
  std::optional<std::int64_t> ignore_class_;
};

class KLDivergence : public Loss {
 public:
  explicit KLDivergence(Reduction r = Reduction::sum_over_batch_size) : Loss("kl_divergence", r) {}
  Tensor call(const Tensor& t, const Tensor& p) const override { return kl_divergence(t, p); }
  std::string class_name() const override { return "KLDivergence"; }
};

class CosineSimilarity : public Loss {
 public:
  explicit CosineSimilarity(std::int64_t axis = -1, Reduction r = Reduction::sum_over_batch_size);
  Tensor call(const Tensor& t, const Tensor& p) const override { return cosine_similarity(t, p, axis_); }
  std::string class_name() const override { return "CosineSimilarity"; }
  Config get_config() const override;

 private:
  std::int64_t axis_;
};

/// The losses without options: the function, by its Keras class and function names.
#define STRATA_PLAIN_LOSS(Class, keras_name, fn)                                                          \
  class Class : public Loss {                                                                           \
   public:                                                                                              \
    explicit Class(Reduction r = Reduction::sum_over_batch_size) : Loss(keras_name, r) {}              \
    Tensor call(const Tensor& t, const Tensor& p) const override { return fn(t, p); }                   \
    std::string class_name() const override { return #Class; }                                         \
  };
STRATA_PLAIN_LOSS(Poisson, "poisson", poisson)
STRATA_PLAIN_LOSS(LogCosh, "log_cosh", log_cosh)
STRATA_PLAIN_LOSS(Hinge, "hinge", hinge)
STRATA_PLAIN_LOSS(SquaredHinge, "squared_hinge", squared_hinge)
STRATA_PLAIN_LOSS(CategoricalHinge, "categorical_hinge", categorical_hinge)
STRATA_PLAIN_LOSS(MeanAbsolutePercentageError, "mean_absolute_percentage_error", mean_absolute_percentage_error)
STRATA_PLAIN_LOSS(MeanSquaredLogarithmicError, "mean_squared_logarithmic_error", mean_squared_logarithmic_error)
#undef STRATA_PLAIN_LOSS

class BinaryFocalCrossentropy : public Loss {
 public:
  explicit BinaryFocalCrossentropy(bool apply_class_balancing = false, double alpha = 0.25, double gamma = 2.0,
                                   bool from_logits = false, double label_smoothing = 0.0, std::int64_t axis = -1,
                                   Reduction r = Reduction::sum_over_batch_size);
  Tensor call(const Tensor& t, const Tensor& p) const override;
  std::string class_name() const override { return "BinaryFocalCrossentropy"; }
  Config get_config() const override;

 private:
  bool apply_class_balancing_;
  double alpha_, gamma_;
  bool from_logits_;
  double label_smoothing_;
  std::int64_t axis_;
};

class CategoricalFocalCrossentropy : public Loss {
 public:
  explicit CategoricalFocalCrossentropy(double alpha = 0.25, double gamma = 2.0, bool from_logits = false,
                                        double label_smoothing = 0.0, std::int64_t axis = -1,
                                        Reduction r = Reduction::sum_over_batch_size);
  Tensor call(const Tensor& t, const Tensor& p) const override;
  std::string class_name() const override { return "CategoricalFocalCrossentropy"; }
  Config get_config() const override;

 private:
  double alpha_, gamma_;
  bool from_logits_;
  double label_smoothing_;
  std::int64_t axis_;
};

/// Dice loss; `axes` empty (Keras's axis=None) gives one number for the whole batch.
class Dice : public Loss {
 public:
  explicit Dice(Reduction r = Reduction::sum_over_batch_size, std::vector<std::int64_t> axes = {});
  Tensor call(const Tensor& t, const Tensor& p) const override { return dice(t, p, axes_); }
  std::string class_name() const override { return "Dice"; }
  Config get_config() const override;

 private:
  std::vector<std::int64_t> axes_;
};

class Tversky : public Loss {
 public:
  explicit Tversky(double alpha = 0.5, double beta = 0.5, Reduction r = Reduction::sum_over_batch_size);
  Tensor call(const Tensor& t, const Tensor& p) const override { return tversky(t, p, alpha_, beta_); }
  std::string class_name() const override { return "Tversky"; }
  Config get_config() const override;

 private:
  double alpha_, beta_;
};

/// A loss by Keras identifier: "mse", "mean_squared_error", "sparse_categorical_crossentropy",
/// "binary_crossentropy", "huber", "kld", ... (ValueError listing the known ones otherwise).
std::shared_ptr<Loss> get(const std::string& name);
/// A loss from a name or a Keras config ({"class_name": "BinaryCrossentropy", "config":
/// {"from_logits": true, ...}}; Keras 3's {"class_name": "function", "config": "mse"}).
std::shared_ptr<Loss> deserialize(const Config& config);
/// {"module": "keras.losses", "class_name", "config", "registered_name": null}, as Keras 3 saves a loss.
Config serialize(const Loss& loss);
/// Reduction by Keras name ("sum_over_batch_size" or its aliases "mean" and "auto", "sum",
/// "none", "mean_with_sample_weight").
Reduction reduction_from_name(const std::string& name);
const char* reduction_name(Reduction r);

}  // namespace strata::losses
