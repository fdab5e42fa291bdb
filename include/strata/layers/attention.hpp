#pragma once
/// Keras's MultiHeadAttention: inputs {query, value} or {query, value, key}, each
/// [batch, time, features]; output [batch, query time, query features] (or output_shape).
///
///   auto mha = std::make_shared<layers::MultiHeadAttention>(/*num_heads=*/4, /*key_dim=*/16);
///   KerasTensor y = (*mha)({x, x});            // self-attention
///   mha->use_causal_mask = true;               // each position attends to itself and the past
///
/// Weights as Keras's (EinsumDense) layout: query/key/value kernels [features, heads, dim] with
/// biases [heads, dim], and an output kernel [heads, value_dim, out] with bias [out].
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "strata/layers/layer.hpp"

namespace strata::layers {

class MultiHeadAttention : public Layer {
 public:
  STRATA_LAYER(MultiHeadAttention)
  MultiHeadAttention(std::int64_t num_heads, std::int64_t key_dim, std::optional<std::int64_t> value_dim = std::nullopt,
                     double dropout = 0.0, bool use_bias = true);
  std::int64_t num_heads, key_dim, value_dim;
  double dropout;
  bool use_bias;
  std::optional<std::int64_t> output_shape;  ///< output features (default: the query's)
  bool use_causal_mask = false;
  /// Also return the attention scores [batch, heads, query time, key time] as a second output.
  bool return_attention_scores = false;
  Initializer kernel_initializer = "glorot_uniform";
  Initializer bias_initializer = "zeros";
  Regularizer kernel_regularizer, bias_regularizer;
  Constraint kernel_constraint, bias_constraint;
  Variable query_kernel, query_bias, key_kernel, key_bias, value_kernel, value_bias, output_kernel, output_bias;

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& input_shapes) override;
  STRATA_LAYER_CONFIG(MultiHeadAttention)
  /// Keras's call(query, value, key=None, ...).
  std::vector<std::string> call_tensor_arguments() const override { return {"query", "value", "key"}; }
  /// use_causal_mask (on every call or none: it is a layer setting here) and
  /// return_attention_scores=False; the other arguments are refused.
  void load_call_arguments(const std::vector<Config>& per_node, const std::string& where) override;
  /// Keras's four EinsumDense projections, each with its kernel (and bias).
  std::vector<SavedPart> keras_saved_parts() const override;

 protected:
  void build(const std::vector<Shape>& input_shapes) override;
  std::vector<Tensor> call(const std::vector<Tensor>& xs, bool training) override;
  using Layer::call;

 private:
  void validate() const;
};

}  // namespace strata::layers
