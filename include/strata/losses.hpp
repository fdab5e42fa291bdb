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
#include <string>

#include "strata/config.hpp"
#include "strata/tensor.hpp"

namespace strata::losses {

enum class Reduction {
  sum_over_batch_size,  ///< Keras's default: sum of the weighted losses / their number
  sum,
  none,
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
Tensor sparse_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits = false);
/// sum(y_true * log(y_true / y_pred)) over the last axis, both clipped to [1e-7, 1].
Tensor kl_divergence(const Tensor& y_true, const Tensor& y_pred);
/// -cos(y_true, y_pred) along `axis` (Keras returns the negative, so lower is better).
Tensor cosine_similarity(const Tensor& y_true, const Tensor& y_pred, std::int64_t axis = -1);

/// A loss with a reduction, applied to (y_true, y_pred[, sample_weight]).
class Loss {
 public:
  explicit Loss(std::string name, Reduction reduction = Reduction::sum_over_batch_size);
  virtual ~Loss() = default;
  /// The per-sample losses (no reduction).
  virtual Tensor call(const Tensor& y_true, const Tensor& y_pred) const = 0;
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
                                   Reduction r = Reduction::sum_over_batch_size);
  Tensor call(const Tensor& t, const Tensor& p) const override;
  std::string class_name() const override { return "CategoricalCrossentropy"; }
  Config get_config() const override;
  bool from_logits() const { return from_logits_; }

 private:
  bool from_logits_;
  double label_smoothing_;
};

class SparseCategoricalCrossentropy : public Loss {
 public:
  explicit SparseCategoricalCrossentropy(bool from_logits = false, Reduction r = Reduction::sum_over_batch_size);
  Tensor call(const Tensor& t, const Tensor& p) const override;
  std::string class_name() const override { return "SparseCategoricalCrossentropy"; }
  Config get_config() const override;
  bool from_logits() const { return from_logits_; }

 private:
  bool from_logits_;
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

/// A loss by Keras identifier: "mse", "mean_squared_error", "sparse_categorical_crossentropy",
/// "binary_crossentropy", "huber", "kld", ... (ValueError listing the known ones otherwise).
std::shared_ptr<Loss> get(const std::string& name);
/// Reduction by Keras name ("sum_over_batch_size", "sum", "none", or "auto").
Reduction reduction_from_name(const std::string& name);
const char* reduction_name(Reduction r);

}  // namespace strata::losses
