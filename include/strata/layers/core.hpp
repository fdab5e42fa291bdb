#pragma once
/// Core layers: Dense, Activation, Dropout, Flatten, Reshape, Permute, RepeatVector, Lambda,
/// Embedding, and the activation layers (ReLU, LeakyReLU, PReLU, ELU, Softmax).
/// Constructor arguments follow Keras's order; the less common Keras arguments are public
/// fields, set before the layer is built:
///
///   auto d = std::make_shared<layers::Dense>(64, "relu");
///   d->kernel_regularizer = regularizers::l2(1e-4);
///   d->use_bias = false;
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "strata/layers/layer.hpp"
#include "strata/random.hpp"

namespace strata::layers {

/// Densely connected layer: y = activation(x . kernel + bias), on the last axis of x.
class Dense : public Layer {
 public:
  STRATA_LAYER(Dense)
  explicit Dense(std::int64_t units, ActivationFn activation = "linear", bool use_bias = true);
  std::int64_t units;
  ActivationFn activation;
  bool use_bias;
  Initializer kernel_initializer = "glorot_uniform";
  Initializer bias_initializer = "zeros";
  Regularizer kernel_regularizer, bias_regularizer;
  Constraint kernel_constraint, bias_constraint;
  Variable kernel, bias;  // after build

  Shape compute_output_shape(const Shape& input_shape) override;
  STRATA_LAYER_CONFIG(Dense)

 protected:
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
};

/// Applies an activation function: Activation("relu").
class Activation : public Layer {
 public:
  STRATA_LAYER(Activation)
  explicit Activation(ActivationFn activation);
  ActivationFn activation;
  Shape compute_output_shape(const Shape& s) override { return s; }
  STRATA_LAYER_CONFIG(Activation)

 protected:
  Tensor call(const Tensor& x, bool training) override;
};

/// Inverted dropout while training; identity otherwise. `noise_shape` (without the batch
/// dimension being special: use -1 for "as the input") shares the mask along axes of size 1.
class Dropout : public Layer {
 public:
  STRATA_LAYER(Dropout)
  explicit Dropout(double rate, std::optional<std::uint64_t> seed = std::nullopt,
                   std::vector<std::int64_t> noise_shape = {});
  double rate;
  std::vector<std::int64_t> noise_shape;
  std::optional<std::uint64_t> seed;
  Shape compute_output_shape(const Shape& s) override { return s; }
  DType compute_output_dtype(const std::vector<DType>& in) const override { return in.at(0); }
  STRATA_LAYER_CONFIG(Dropout)

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::optional<Generator> gen_;
};

/// [N, d1, d2, ...] -> [N, d1 * d2 * ...].
class Flatten : public Layer {
 public:
  STRATA_LAYER(Flatten)
  Flatten() = default;
  Shape compute_output_shape(const Shape& s) override;
  DType compute_output_dtype(const std::vector<DType>& in) const override { return in.at(0); }

 protected:
  Tensor call(const Tensor& x, bool training) override;
};

/// [N, ...] -> [N] + target_shape (one dimension may be -1).
class Reshape : public Layer {
 public:
  STRATA_LAYER(Reshape)
  explicit Reshape(Shape target_shape);
  Shape target_shape;
  Shape compute_output_shape(const Shape& s) override;
  DType compute_output_dtype(const std::vector<DType>& in) const override { return in.at(0); }
  STRATA_LAYER_CONFIG(Reshape)

 protected:
  Tensor call(const Tensor& x, bool training) override;
};

/// Permutes the non-batch axes; dims are 1-based, as in Keras: Permute({2, 1}) swaps them.
class Permute : public Layer {
 public:
  STRATA_LAYER(Permute)
  explicit Permute(std::vector<std::int64_t> dims);
  std::vector<std::int64_t> dims;
  Shape compute_output_shape(const Shape& s) override;
  DType compute_output_dtype(const std::vector<DType>& in) const override { return in.at(0); }
  STRATA_LAYER_CONFIG(Permute)

 protected:
  void build(const Shape& s) override;
  Tensor call(const Tensor& x, bool training) override;
};

/// [N, F] -> [N, n, F].
class RepeatVector : public Layer {
 public:
  STRATA_LAYER(RepeatVector)
  explicit RepeatVector(std::int64_t n);
  std::int64_t n;
  Shape compute_output_shape(const Shape& s) override;
  DType compute_output_dtype(const std::vector<DType>& in) const override { return in.at(0); }
  STRATA_LAYER_CONFIG(RepeatVector)

 protected:
  Tensor call(const Tensor& x, bool training) override;
};

/// A layer from a C++ callable. To be saved and loaded it needs a name registered with
/// register_function(); its output shape is found by running it unless given.
class Lambda : public Layer {
 public:
  STRATA_LAYER(Lambda)
  using Fn = std::function<Tensor(const Tensor&)>;
  explicit Lambda(Fn fn, std::string function_name = "", std::optional<Shape> output_shape = std::nullopt);
  Fn fn;
  std::string function_name;
  std::optional<Shape> output_shape;  ///< without the batch dimension
  Shape compute_output_shape(const Shape& s) override;
  DType compute_output_dtype(const std::vector<DType>& in) const override { return in.at(0); }
  Config get_config() const override;
  /// A saved Lambda loads by its function's registered name: refused without one.
  std::string save_refusal() const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;
};
/// Names a function for Lambda layers (so a saved Lambda can be loaded).
void register_function(const std::string& name, Lambda::Fn fn);

/// Rows of a [input_dim, output_dim] table at int64 ids: [...] -> [..., output_dim].
class Embedding : public Layer {
 public:
  STRATA_LAYER(Embedding)
  Embedding(std::int64_t input_dim, std::int64_t output_dim);
  std::int64_t input_dim, output_dim;
  Initializer embeddings_initializer = "uniform";
  Regularizer embeddings_regularizer;
  Constraint embeddings_constraint;
  Variable embeddings;
  Shape compute_output_shape(const Shape& s) override;
  STRATA_LAYER_CONFIG(Embedding)

 protected:
  void build(const Shape& s) override;
  Tensor call(const Tensor& x, bool training) override;
};

/// max(x, threshold) with a slope below the threshold and an optional cap (Keras's ReLU).
class ReLU : public Layer {
 public:
  STRATA_LAYER(ReLU)
  explicit ReLU(std::optional<double> max_value = std::nullopt, double negative_slope = 0.0, double threshold = 0.0);
  std::optional<double> max_value;
  double negative_slope, threshold;
  Shape compute_output_shape(const Shape& s) override { return s; }
  STRATA_LAYER_CONFIG(ReLU)

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  void validate() const;
};

class LeakyReLU : public Layer {
 public:
  STRATA_LAYER(LeakyReLU)
  /// Keras's default slope is 0.3.
  explicit LeakyReLU(double alpha = 0.3);
  double alpha;
  Shape compute_output_shape(const Shape& s) override { return s; }
  STRATA_LAYER_CONFIG(LeakyReLU)

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  void validate() const;
};

/// x where x > theta, else 0 (Keras 2's and TF.js's ThresholdedReLU; theta >= 0, 1 by default).
class ThresholdedReLU : public Layer {
 public:
  STRATA_LAYER(ThresholdedReLU)
  explicit ThresholdedReLU(double theta = 1.0);
  double theta;
  Shape compute_output_shape(const Shape& s) override { return s; }
  STRATA_LAYER_CONFIG(ThresholdedReLU)

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  void validate() const;
};

/// Leaky ReLU with a learned slope per element (shared along `shared_axes`, 1-based).
class PReLU : public Layer {
 public:
  STRATA_LAYER(PReLU)
  explicit PReLU(std::vector<std::int64_t> shared_axes = {});
  std::vector<std::int64_t> shared_axes;
  Initializer alpha_initializer = "zeros";
  Regularizer alpha_regularizer;
  Constraint alpha_constraint;
  Variable alpha;
  Shape compute_output_shape(const Shape& s) override { return s; }
  STRATA_LAYER_CONFIG(PReLU)

 protected:
  void build(const Shape& s) override;
  Tensor call(const Tensor& x, bool training) override;
};

class ELU : public Layer {
 public:
  STRATA_LAYER(ELU)
  explicit ELU(double alpha = 1.0);
  double alpha;
  Shape compute_output_shape(const Shape& s) override { return s; }
  STRATA_LAYER_CONFIG(ELU)

 protected:
  Tensor call(const Tensor& x, bool training) override;
};

class Softmax : public Layer {
 public:
  STRATA_LAYER(Softmax)
  explicit Softmax(std::int64_t axis = -1);
  std::int64_t axis;
  Shape compute_output_shape(const Shape& s) override { return s; }
  STRATA_LAYER_CONFIG(Softmax)

 protected:
  Tensor call(const Tensor& x, bool training) override;
};

}  // namespace strata::layers
