#pragma once
/// Convolution layers (channels_last, Keras's kernel layouts and padding rules).
///
///   auto c = layers::Conv2D(32, 3, 1, "same", "relu");     // filters, kernel, strides, padding, activation
///   KerasTensor y = layers::Conv2D(64, {3, 3}, 2)(x);
#include <cstdint>
#include <optional>
#include <string>

#include "strata/layers/layer.hpp"
#include "strata/ops/nn.hpp"

namespace strata::layers {

using nn::Size2;

/// Shared configuration and weights of the convolution layers.
class ConvBase : public Layer {
 public:
  ConvBase(std::int64_t filters, Size2 kernel_size, Size2 strides, std::string padding, ActivationFn activation,
           bool use_bias, Size2 dilation_rate);
  std::int64_t filters;
  Size2 kernel_size, strides;
  std::string padding;
  ActivationFn activation;
  bool use_bias;
  Size2 dilation_rate;
  Initializer kernel_initializer = "glorot_uniform";
  Initializer bias_initializer = "zeros";
  Regularizer kernel_regularizer, bias_regularizer;
  Constraint kernel_constraint, bias_constraint;
  Variable kernel, bias;

 protected:
  /// The checks every convolution's configuration passes (sizes, filters, padding), naming `cls`.
  void check_conv(const char* cls, bool needs_filters, bool causal_ok) const;
  /// activation(y + bias)
  Tensor finish(const Tensor& y) const;
  /// ShapeError unless the input has rank 4 (2-D: [batch, height, width, channels]) or 3 (1-D).
  void check_rank(const Shape& s, bool two_d) const;
  /// Checks a [batch, (height,) width, channels] input of rank 3 (1-D) or 4 (2-D) with a known
  /// channel count and returns that count.
  std::int64_t input_channels(const Shape& s, bool two_d) const;
  /// The bias (when use_bias) of `units` elements, and the input spec for `channels`.
  void finish_build(std::int64_t units, std::int64_t channels, bool two_d);
  /// [batch, OH, OW, channels_out] of a forward 2-D convolution of input shape s.
  Shape conv2d_output_shape(const Shape& s, std::int64_t channels_out) const;
};

/// x [N, H, W, C] -> [N, OH, OW, filters]; kernel [kh, kw, C, filters].
class Conv2D : public ConvBase {
 public:
  STRATA_LAYER(Conv2D)
  Conv2D(std::int64_t filters, Size2 kernel_size, Size2 strides = 1, std::string padding = "valid",
         ActivationFn activation = "linear", bool use_bias = true, Size2 dilation_rate = 1);
  Shape compute_output_shape(const Shape& s) override;
  STRATA_LAYER_CONFIG(Conv2D)

 protected:
  void build(const Shape& s) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  void validate() const;
};

/// x [N, W, C] -> [N, OW, filters]; kernel [k, C, filters]; padding also "causal".
class Conv1D : public ConvBase {
 public:
  STRATA_LAYER(Conv1D)
  Conv1D(std::int64_t filters, std::int64_t kernel_size, std::int64_t strides = 1, std::string padding = "valid",
         ActivationFn activation = "linear", bool use_bias = true, std::int64_t dilation_rate = 1);
  Shape compute_output_shape(const Shape& s) override;
  STRATA_LAYER_CONFIG(Conv1D)

 protected:
  void build(const Shape& s) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  void validate() const;
};

/// One filter bank per input channel: depthwise_kernel [kh, kw, C, depth_multiplier].
class DepthwiseConv2D : public ConvBase {
 public:
  STRATA_LAYER(DepthwiseConv2D)
  explicit DepthwiseConv2D(Size2 kernel_size, Size2 strides = 1, std::string padding = "valid",
                           std::int64_t depth_multiplier = 1, ActivationFn activation = "linear", bool use_bias = true,
                           Size2 dilation_rate = 1);
  std::int64_t depth_multiplier;
  Shape compute_output_shape(const Shape& s) override;
  STRATA_LAYER_CONFIG(DepthwiseConv2D)

 protected:
  void build(const Shape& s) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  void validate() const;
};

/// A depthwise convolution followed by a 1x1 (pointwise) one: depthwise_kernel
/// [kh, kw, C, depth_multiplier], pointwise_kernel [1, 1, C * depth_multiplier, filters].
class SeparableConv2D : public ConvBase {
 public:
  STRATA_LAYER(SeparableConv2D)
  SeparableConv2D(std::int64_t filters, Size2 kernel_size, Size2 strides = 1, std::string padding = "valid",
                  std::int64_t depth_multiplier = 1, ActivationFn activation = "linear", bool use_bias = true,
                  Size2 dilation_rate = 1);
  std::int64_t depth_multiplier;
  Initializer pointwise_initializer = "glorot_uniform";
  Variable pointwise_kernel;
  Shape compute_output_shape(const Shape& s) override;
  STRATA_LAYER_CONFIG(SeparableConv2D)

 protected:
  void build(const Shape& s) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  void validate() const;
};

/// The transposed convolution: kernel [kh, kw, filters, C]; OH = H * s ("same") or
/// H * s + max(k - s, 0) ("valid"), as Keras computes it; with output_padding p (less than the
/// strides), OH = (H - 1) * s + k - 2 * pad + p, pad = k / 2 ("same") or 0.
class Conv2DTranspose : public ConvBase {
 public:
  STRATA_LAYER(Conv2DTranspose)
  Conv2DTranspose(std::int64_t filters, Size2 kernel_size, Size2 strides = 1, std::string padding = "valid",
                  ActivationFn activation = "linear", bool use_bias = true, Size2 dilation_rate = 1);
  std::optional<Size2> output_padding;  ///< Keras's output_padding (null: the rule above)
  Shape compute_output_shape(const Shape& s) override;
  STRATA_LAYER_CONFIG(Conv2DTranspose)

 protected:
  void build(const Shape& s) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  void validate() const;
};

}  // namespace strata::layers
