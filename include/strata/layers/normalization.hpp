#pragma once
/// The normalization layers (Batch, Layer, Group, Unit and RMS normalization), with Keras's
/// weights and defaults.
///
///   layers::BatchNormalization()     // gamma, beta (trainable); moving_mean, moving_variance
#include <cstdint>
#include <vector>

#include "strata/layers/layer.hpp"

namespace strata::layers {

/// The affine part the normalization layers share: gamma (`scale`) and beta (`center`), with
/// Keras's initializers, regularizers and constraints.
struct NormalizationAffine {
  bool center = true, scale = true;
  Initializer beta_initializer = "zeros", gamma_initializer = "ones";
  Regularizer beta_regularizer, gamma_regularizer;
  Constraint beta_constraint, gamma_constraint;
  Variable gamma, beta;
};

/// Training: normalizes with the batch's mean and variance over every axis but `axis`, and
/// moves the moving statistics toward them (moving = moving * momentum + batch * (1 -
/// momentum)); inference: normalizes with the moving statistics. A frozen layer
/// (trainable = false) always runs in inference mode, as in Keras.
class BatchNormalization : public Layer, public NormalizationAffine {
 public:
  STRATA_LAYER(BatchNormalization)
  explicit BatchNormalization(std::int64_t axis = -1, double momentum = 0.99, double epsilon = 1e-3,
                              bool center = true, bool scale = true);
  std::int64_t axis;
  double momentum, epsilon;
  Initializer moving_mean_initializer = "zeros", moving_variance_initializer = "ones";
  Variable moving_mean, moving_variance;
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
/// rms_scaling (Keras 3's): x * rsqrt(var(x) + epsilon) * gamma, no beta (center and scale
/// are then ignored).
class LayerNormalization : public Layer, public NormalizationAffine {
 public:
  STRATA_LAYER(LayerNormalization)
  explicit LayerNormalization(std::vector<std::int64_t> axes = {-1}, double epsilon = 1e-3, bool center = true,
                              bool scale = true);
  std::vector<std::int64_t> axes;
  double epsilon;
  bool rms_scaling = false;
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

/// Group normalization (Wu & He, 2018): the channels of `axis` are split into `groups` groups
/// and each example is normalized per group over the group's channels and every other non-batch
/// axis; then gamma and beta per channel. groups = -1 is one group per channel (instance
/// normalization), groups = 1 normalizes over all channels.
class GroupNormalization : public Layer, public NormalizationAffine {
 public:
  STRATA_LAYER(GroupNormalization)
  explicit GroupNormalization(std::int64_t groups = 32, std::int64_t axis = -1, double epsilon = 1e-3,
                              bool center = true, bool scale = true);
  std::int64_t groups, axis;
  double epsilon;
  Shape compute_output_shape(const Shape& s) override { return s; }
  STRATA_LAYER_CONFIG(GroupNormalization)

 protected:
  void build(const Shape& s) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  void validate() const;
  std::size_t axis_ = 0;
  std::int64_t groups_ = 1;  // after -1 is resolved
};

/// x / max(||x||, 1e-6) over `axes` (the L2 norm; Keras's rsqrt(max(sum x^2, 1e-12))).
class UnitNormalization : public Layer {
 public:
  STRATA_LAYER(UnitNormalization)
  explicit UnitNormalization(std::vector<std::int64_t> axes = {-1});
  std::vector<std::int64_t> axes;
  Shape compute_output_shape(const Shape& s) override { return s; }
  STRATA_LAYER_CONFIG(UnitNormalization)

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  void validate() const;
};

/// Root-mean-square normalization (Zhang & Sennrich, 2019): x * rsqrt(mean(x^2) + epsilon) *
/// scale over `axes`, with one learned `scale` per normalized element.
class RMSNormalization : public Layer {
 public:
  STRATA_LAYER(RMSNormalization)
  explicit RMSNormalization(std::vector<std::int64_t> axes = {-1}, double epsilon = 1e-6);
  std::vector<std::int64_t> axes;
  double epsilon;
  Variable scale;
  Shape compute_output_shape(const Shape& s) override { return s; }
  STRATA_LAYER_CONFIG(RMSNormalization)

 protected:
  void build(const Shape& s) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  void validate() const;
  Shape param_shape_;
  std::vector<std::int64_t> norm_axes_;
};

}  // namespace strata::layers
