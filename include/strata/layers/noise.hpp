#pragma once
/// Regularization layers that perturb their input while training and are the identity at
/// inference (Keras's names, arguments and configs):
///
///   layers::GaussianNoise(0.1)          // x + N(0, 0.1^2)
///   layers::GaussianDropout(0.2)        // x * N(1, rate / (1 - rate))
///   layers::AlphaDropout(0.1)           // dropout that keeps SELU's mean and variance
///   layers::SpatialDropout2D(0.25)      // drops whole feature maps
///   layers::ActivityRegularization(0, 1e-4)
///
/// A seeded layer draws a reproducible sequence of noise, a different draw on every call;
/// without a seed the noise comes from the global generator (strata::set_seed).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "strata/layers/layer.hpp"
#include "strata/random.hpp"

namespace strata::layers {

/// Shared by the noise layers: the per-layer seed and its stream.
class NoiseLayer : public Layer {
 public:
  std::optional<std::uint64_t> seed;
  Shape compute_output_shape(const Shape& s) override { return s; }
  DType compute_output_dtype(const std::vector<DType>& in) const override { return in.at(0); }

 protected:
  explicit NoiseLayer(std::optional<std::uint64_t> seed_) : seed(seed_) {}
  /// The seed of the next draw: from the layer's own stream when it has a seed.
  std::uint64_t next_seed();

 private:
  std::optional<Generator> gen_;
};

/// Adds zero-centred Gaussian noise of standard deviation `stddev` while training.
class GaussianNoise : public NoiseLayer {
 public:
  STRATA_LAYER(GaussianNoise)
  explicit GaussianNoise(double stddev, std::optional<std::uint64_t> seed = std::nullopt);
  double stddev;
  STRATA_LAYER_CONFIG(GaussianNoise)

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  void validate() const;
};

/// Multiplies by Gaussian noise of mean 1 and standard deviation sqrt(rate / (1 - rate))
/// while training; rate in [0, 1).
class GaussianDropout : public NoiseLayer {
 public:
  STRATA_LAYER(GaussianDropout)
  explicit GaussianDropout(double rate, std::optional<std::uint64_t> seed = std::nullopt);
  double rate;
  STRATA_LAYER_CONFIG(GaussianDropout)

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  void validate() const;
};

/// Alpha dropout (Klambauer et al., 2017): dropped units take SELU's negative saturation value
/// and an affine map restores the input's mean and variance. `noise_shape` as Dropout's (-1:
/// as the input); rate in [0, 1).
class AlphaDropout : public NoiseLayer {
 public:
  STRATA_LAYER(AlphaDropout)
  explicit AlphaDropout(double rate, std::vector<std::int64_t> noise_shape = {},
                        std::optional<std::uint64_t> seed = std::nullopt);
  double rate;
  std::vector<std::int64_t> noise_shape;
  STRATA_LAYER_CONFIG(AlphaDropout)

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  void validate() const;
};

/// Dropout of whole feature maps: one draw per example and channel, shared over the spatial
/// axes of a [batch, spatial..., channels] input ([batch, channels, spatial...] with
/// data_format "channels_first"). Inverted scaling by 1 / (1 - rate), as Dropout's.
class SpatialDropout : public NoiseLayer {
 public:
  double rate;
  std::string data_format = "channels_last";
  /// ValueError unless rate is in [0, 1) and data_format is channels_last or channels_first.
  void validate() const;

 protected:
  SpatialDropout(int spatial_rank, double rate, std::string data_format, std::optional<std::uint64_t> seed);
  void build(const Shape& s) override;
  Tensor call(const Tensor& x, bool training) override;
  int spatial_rank_;
};

class SpatialDropout1D : public SpatialDropout {
 public:
  STRATA_LAYER(SpatialDropout1D)
  STRATA_LAYER_CONFIG(SpatialDropout1D)
  explicit SpatialDropout1D(double rate, std::optional<std::uint64_t> seed = std::nullopt)
      : SpatialDropout(1, rate, "channels_last", seed) {}
};
class SpatialDropout2D : public SpatialDropout {
 public:
  STRATA_LAYER(SpatialDropout2D)
  STRATA_LAYER_CONFIG(SpatialDropout2D)
  explicit SpatialDropout2D(double rate, std::string data_format = "channels_last",
                            std::optional<std::uint64_t> seed = std::nullopt)
      : SpatialDropout(2, rate, std::move(data_format), seed) {}
};
class SpatialDropout3D : public SpatialDropout {
 public:
  STRATA_LAYER(SpatialDropout3D)
  STRATA_LAYER_CONFIG(SpatialDropout3D)
  explicit SpatialDropout3D(double rate, std::string data_format = "channels_last",
                            std::optional<std::uint64_t> seed = std::nullopt)
      : SpatialDropout(3, rate, std::move(data_format), seed) {}
};

/// The identity, adding the activity penalty l1 * sum|x| + l2 * sum x^2 of its input as a
/// loss on every call (averaged over the batch, as every strata activity_regularizer).
class ActivityRegularization : public Layer {
 public:
  STRATA_LAYER(ActivityRegularization)
  explicit ActivityRegularization(double l1 = 0.0, double l2 = 0.0);
  double l1, l2;
  Shape compute_output_shape(const Shape& s) override { return s; }
  DType compute_output_dtype(const std::vector<DType>& in) const override { return in.at(0); }
  STRATA_LAYER_CONFIG(ActivityRegularization)

 protected:
  Tensor call(const Tensor& x, bool) override { return x; }

 private:
  void validate() const;
  void update_regularizer();
};

}  // namespace strata::layers
