#pragma once
/// BatchNormalization and LayerNormalization, with Keras's weights and defaults.
///
///   layers::BatchNormalization()     // gamma, beta (trainable); moving_mean, moving_variance
#include <cstdint>
#include <vector>

#include "strata/layers/layer.hpp"

namespace strata::layers {

/// Training: normalizes with the batch's mean and variance over every axis but `axis`, and
/// moves the moving statistics toward them (moving = moving * momentum + batch * (1 -
/// momentum)); inference: normalizes with the moving statistics. A frozen layer
/// (trainable = false) always runs in inference mode, as in Keras.
class BatchNormalization : public Layer {
 public:
  STRATA_LAYER(BatchNormalization)
  explicit BatchNormalization(std::int64_t axis = -1, double momentum = 0.99, double epsilon = 1e-3,
                              bool center = true, bool scale = true);
  std::int64_t axis;
  double momentum, epsilon;
  bool center, scale;
  Initializer beta_initializer = "zeros", gamma_initializer = "ones";
  Initializer moving_mean_initializer = "zeros", moving_variance_initializer = "ones";
  Regularizer beta_regularizer, gamma_regularizer;
  Constraint beta_constraint, gamma_constraint;
  Variable gamma, beta, moving_mean, moving_variance;
  Shape compute_output_shape(const Shape& s) override { return s; }
  STRATA_LAYER_CONFIG(BatchNormalization)

 protected:
  void build(const Shape& s) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  void validate() const;
  Shape param_shape_;  // broadcastable against the input
  std::size_t axis_ = 0;
};

/// Normalizes each example over `axes` (the last by default) with its own statistics.
class LayerNormalization : public Layer {
 public:
  STRATA_LAYER(LayerNormalization)
  explicit LayerNormalization(std::vector<std::int64_t> axes = {-1}, double epsilon = 1e-3, bool center = true,
                              bool scale = true);
  std::vector<std::int64_t> axes;
  double epsilon;
  bool center, scale;
  Initializer beta_initializer = "zeros", gamma_initializer = "ones";
  Regularizer beta_regularizer, gamma_regularizer;
  Constraint beta_constraint, gamma_constraint;
  Variable gamma, beta;
  Shape compute_output_shape(const Shape& s) override { return s; }
  STRATA_LAYER_CONFIG(LayerNormalization)

 protected:
  void build(const Shape& s) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  void validate() const;
  Shape param_shape_;
  std::vector<std::int64_t> norm_axes_;
};

}  // namespace strata::layers
