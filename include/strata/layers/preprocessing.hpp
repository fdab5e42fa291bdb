#pragma once
/// Numeric preprocessing layers that carry their state into a saved model (Keras 3's names,
/// arguments, weights and configs):
///
///   layers::Normalization norm;              // per feature of the last axis
///   norm.adapt(x_train);                     // mean and variance of the data
///   layers::Rescaling(1.0 / 255)             // x * scale + offset
///   layers::CategoryEncoding(10, "one_hot")  // ids -> one-hot rows
///   layers::Discretization({0.0, 1.0, 2.0})  // values -> bucket ids
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "strata/layers/layer.hpp"

namespace strata::layers {

/// (x - mean) / max(sqrt(variance), 1e-7) per position of the kept `axes` (the last by default;
/// an empty list keeps none: one mean and variance over everything); `invert` maps back,
/// mean + x * max(sqrt(variance), 1e-7). The statistics come from `mean` and `variance` given
/// here (numbers, or one value per kept position) or from adapt(data), which stores them in the
/// non-trainable weights mean, variance (and count, kept for Keras's weight layout).
class Normalization : public Layer {
 public:
  STRATA_LAYER(Normalization)
  explicit Normalization(std::vector<std::int64_t> axes = {-1}, std::vector<double> mean = {},
                         std::vector<double> variance = {}, bool invert = false);
  std::vector<std::int64_t> axes;
  std::vector<double> mean, variance;  // given statistics; empty: adapt() sets the weights
  bool invert;
  Variable adapt_mean, adapt_variance, count;
  /// Computes the mean and (population) variance of `data` over every axis but the kept ones,
  /// building the layer from data's shape first (its kept dimensions must match a built layer's).
  void adapt(const Tensor& data);
  Shape compute_output_shape(const Shape& s) override { return s; }
  STRATA_LAYER_CONFIG(Normalization)

 protected:
  void build(const Shape& s) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  void validate() const;
  Shape broadcast_;                  // the statistics' shape against the input
  std::vector<std::int64_t> keep_;   // kept axes, sorted, non-negative
  Shape built_shape_;
};

/// x * scale + offset, in the layer's float dtype (scale and offset: numbers, or one per
/// element of the last axis).
class Rescaling : public Layer {
 public:
  STRATA_LAYER(Rescaling)
  explicit Rescaling(std::vector<double> scale = {1.0}, std::vector<double> offset = {0.0});
  Rescaling(double scale, double offset = 0.0) : Rescaling(std::vector<double>{scale}, std::vector<double>{offset}) {}
  std::vector<double> scale, offset;
  Shape compute_output_shape(const Shape& s) override { return s; }
  STRATA_LAYER_CONFIG(Rescaling)

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  void validate() const;
};

/// Integer ids in [0, num_tokens) to vectors of length num_tokens: "one_hot" (an input [N] or
/// [N, 1] gives [N, num_tokens]), "multi_hot" (each row [N, k] -> 1 at its ids) or "count"
/// (how often each id occurs in the row). An id outside the range is a ValueError.
class CategoryEncoding : public Layer {
 public:
  STRATA_LAYER(CategoryEncoding)
  explicit CategoryEncoding(std::int64_t num_tokens = 0, std::string output_mode = "multi_hot");
  std::int64_t num_tokens;
  std::string output_mode;
  Shape compute_output_shape(const Shape& s) override;
  DType compute_output_dtype(const std::vector<DType>&) const override { return dtype(); }
  STRATA_LAYER_CONFIG(CategoryEncoding)

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  void validate() const;
};

/// Bucket ids of values by sorted `bin_boundaries` (numpy.digitize: id i where
/// boundaries[i-1] <= x < boundaries[i]), as int64 ("int" output mode).
class Discretization : public Layer {
 public:
  STRATA_LAYER(Discretization)
  explicit Discretization(std::vector<double> bin_boundaries = {});
  std::vector<double> bin_boundaries;
  double epsilon = 0.01;  // Keras's adapt() accuracy: kept in the config only
  Shape compute_output_shape(const Shape& s) override { return s; }
  DType compute_output_dtype(const std::vector<DType>&) const override { return DType::int64; }
  STRATA_LAYER_CONFIG(Discretization)

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  void validate() const;
};

}  // namespace strata::layers
