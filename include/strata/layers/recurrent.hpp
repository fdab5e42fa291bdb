#pragma once
/// Recurrent layers with Keras's weights, gate orders and options, and the Bidirectional and
/// TimeDistributed wrappers.
///
///   KerasTensor seq = Input({-1, 8});                     // any length
///   auto lstm = std::make_shared<layers::LSTM>(32);
///   lstm->return_sequences = true;
///   KerasTensor h = (*lstm)(seq);                          // [None, None, 32]
///   auto outs = layers::GRU(16).apply({h});               // with return_state: {output, h}
///
/// The input is [batch, time, features]; optional initial states follow it as further inputs
/// (lstm->apply({x, h0, c0})).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "strata/layers/layer.hpp"

namespace strata::layers {

class RNN : public Layer {
 public:
  std::int64_t units;
  ActivationFn activation;
  ActivationFn recurrent_activation;
  bool use_bias = true;
  bool return_sequences = false;
  bool return_state = false;
  bool go_backwards = false;
  double dropout = 0.0;            ///< on the inputs, one mask per sequence (training only)
  double recurrent_dropout = 0.0;  ///< on the state fed back, one mask per sequence
  Initializer kernel_initializer = "glorot_uniform";
  Initializer recurrent_initializer = "orthogonal";
  Initializer bias_initializer = "zeros";
  Regularizer kernel_regularizer, recurrent_regularizer, bias_regularizer;
  Constraint kernel_constraint, recurrent_constraint, bias_constraint;
  Variable kernel, recurrent_kernel, bias;

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& input_shapes) override;
  /// ValueError unless units is positive and the dropout rates are in [0, 1).
  void validate() const;
  /// Keras keeps the weights in the layer's cell.
  std::vector<SavedPart> keras_saved_parts() const override { return {{"", {}, nullptr}, {"cell", weights(), nullptr}}; }
  /// Number of state tensors (1, or 2 for LSTM).
  virtual int num_states() const { return 1; }
  /// Keras's call(sequences, initial_state=...): apply() takes {sequences, states...}.
  std::vector<std::string> call_tensor_arguments() const override { return {"inputs", "sequences", "initial_state"}; }

 protected:
  RNN(std::int64_t units, ActivationFn activation, ActivationFn recurrent_activation, int gates);
  void build(const std::vector<Shape>& input_shapes) override;
  std::vector<Tensor> call(const std::vector<Tensor>& xs, bool training) override;
  using Layer::call;
  /// What one call keeps for its steps: its recurrent dropout mask and the slices of weights
  /// every step uses. It lives on the call's stack, so a built layer runs from several threads.
  struct CallState {
    Tensor recurrent_mask;
    std::vector<Tensor> slices;
  };
  /// The input projection x W (+ input bias), for every step at once: [B, T, gates * units].
  virtual Tensor project_inputs(const Tensor& x);
  /// One step: new states from the projected input of this step and the previous states.
  virtual std::vector<Tensor> step(const Tensor& x_proj, const std::vector<Tensor>& states,
                                   const CallState& call) = 0;
  /// Called once per sequence before the steps (the slices of weights used by every step).
  virtual void prepare(CallState&) {}
  virtual Shape bias_shape() const { return {gates_ * units}; }
  int gates_;
};

/// h_t = activation(x_t W + h_{t-1} U + b).
class SimpleRNN : public RNN {
 public:
  STRATA_LAYER(SimpleRNN)
  explicit SimpleRNN(std::int64_t units, ActivationFn activation = "tanh");
  STRATA_LAYER_CONFIG(SimpleRNN)

 protected:
  std::vector<Tensor> step(const Tensor& x_proj, const std::vector<Tensor>& states, const CallState& call) override;
};

/// Gates in Keras's order i, f, c, o; unit_forget_bias starts the forget gate's bias at 1.
class LSTM : public RNN {
 public:
  STRATA_LAYER(LSTM)
  explicit LSTM(std::int64_t units, ActivationFn activation = "tanh", ActivationFn recurrent_activation = "sigmoid");
  bool unit_forget_bias = true;
  int num_states() const override { return 2; }
  STRATA_LAYER_CONFIG(LSTM)

 protected:
  void build(const std::vector<Shape>& input_shapes) override;
  std::vector<Tensor> step(const Tensor& x_proj, const std::vector<Tensor>& states, const CallState& call) override;
};

/// Gates in Keras's order z (update), r (reset), h. reset_after = true (Keras 2's default)
/// applies the reset gate after the recurrent product and keeps separate input and recurrent
/// biases (bias [2, 3 * units]); false is the original formulation (TensorFlow.js's GRU).
class GRU : public RNN {
 public:
  STRATA_LAYER(GRU)
  explicit GRU(std::int64_t units, ActivationFn activation = "tanh", ActivationFn recurrent_activation = "sigmoid",
               bool reset_after = true);
  bool reset_after;
  STRATA_LAYER_CONFIG(GRU)

 protected:
  Shape bias_shape() const override { return reset_after ? Shape{2, 3 * units} : Shape{3 * units}; }
  Tensor project_inputs(const Tensor& x) override;
  void prepare(CallState& call) override;
  std::vector<Tensor> step(const Tensor& x_proj, const std::vector<Tensor>& states, const CallState& call) override;
};

/// Runs a recurrent layer forwards and a copy of it backwards, merging the outputs
/// ("concat", "sum", "mul", "ave", or "none" for both separately).
class Bidirectional : public Layer {
 public:
  STRATA_LAYER(Bidirectional)
  explicit Bidirectional(LayerRef layer, std::string merge_mode = "concat");
  std::shared_ptr<RNN> forward_layer, backward_layer;
  std::string merge_mode;
  std::vector<std::string> call_tensor_arguments() const override { return {"inputs", "sequences", "initial_state"}; }
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& input_shapes) override;
  Config get_config() const override;
  std::vector<SavedPart> keras_saved_parts() const override {
    return {{"", {}, nullptr}, {"backward_layer", {}, backward_layer}, {"forward_layer", {}, forward_layer}};
  }

 protected:
  void build(const std::vector<Shape>& input_shapes) override;
  std::vector<Tensor> call(const std::vector<Tensor>& xs, bool training) override;
  using Layer::call;
};

/// Applies a layer to every time step: [B, T, ...] -> [B, T, ...layer output].
class TimeDistributed : public Layer {
 public:
  STRATA_LAYER(TimeDistributed)
  explicit TimeDistributed(LayerRef layer);
  std::shared_ptr<Layer> layer;
  Shape compute_output_shape(const Shape& s) override;
  Config get_config() const override;
  std::vector<SavedPart> keras_saved_parts() const override { return {{"", {}, nullptr}, {"layer", {}, layer}}; }

 protected:
  void build(const Shape& s) override;
  Tensor call(const Tensor& x, bool training) override;
};

}  // namespace strata::layers
