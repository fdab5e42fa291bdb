#include "strata/layers/attention.hpp"

#include <cmath>
#include <limits>

#include "detail/errors.hpp"
#include "layers/registry.hpp"
#include "strata/layers/fields.hpp"
#include "strata/ops.hpp"

namespace strata::layers {

MultiHeadAttention::MultiHeadAttention(std::int64_t num_heads_, std::int64_t key_dim_,
                                       std::optional<std::int64_t> value_dim_, double dropout_, bool use_bias_)
    : num_heads(num_heads_), key_dim(key_dim_), value_dim(value_dim_.value_or(key_dim_)), dropout(dropout_),
      use_bias(use_bias_) {
  validate();
}

void MultiHeadAttention::validate() const {
  if (num_heads <= 0 || key_dim <= 0 || value_dim <= 0)
    detail::raise<ValueError>("MultiHeadAttention: num_heads ({}), key_dim ({}) and value_dim ({}) must be positive",
                              num_heads, key_dim, value_dim);
  if (!(dropout >= 0 && dropout < 1))
    detail::raise<ValueError>("MultiHeadAttention: dropout must be in [0, 1), got {}", dropout);
}

namespace {
void check_rank3(const Layer& l, const Shape& s, const char* what) {
  if (s.rank() != 3)
    detail::raise<ShapeError>("MultiHeadAttention '{}': {} must be [batch, time, features], got {}", l.name(), what, s);
  if (s[2] < 0)
    detail::raise<ShapeError>("MultiHeadAttention '{}': the feature dimension of {} must be known, got {}", l.name(),
                              what, s);
}
}  // namespace

void MultiHeadAttention::build(const std::vector<Shape>& in) {
  if (in.size() != 2 && in.size() != 3)
    detail::raise<ValueError>("MultiHeadAttention '{}': expected inputs {{query, value}} or {{query, value, key}}, got {}",
                              name(), in.size());
  check_rank3(*this, in[0], "the query");
  check_rank3(*this, in[1], "the value");
  const Shape& key = in.size() == 3 ? in[2] : in[1];
  check_rank3(*this, key, "the key");
  const std::int64_t dq = in[0][2], dv = in[1][2], dk = key[2];
  const std::int64_t dout = output_shape.value_or(dq);
  auto w = [&](const char* n, Shape s) {
    return add_weight(n, s, kernel_initializer, kernel_regularizer, kernel_constraint);
  };
  auto b = [&](const char* n, Shape s) {
    return use_bias ? add_weight(n, s, bias_initializer, bias_regularizer, bias_constraint) : Variable();
  };
  query_kernel = w("query/kernel", {dq, num_heads, key_dim});
  query_bias = b("query/bias", {num_heads, key_dim});
  key_kernel = w("key/kernel", {dk, num_heads, key_dim});
  key_bias = b("key/bias", {num_heads, key_dim});
  value_kernel = w("value/kernel", {dv, num_heads, value_dim});
  value_bias = b("value/bias", {num_heads, value_dim});
  output_kernel = w("attention_output/kernel", {num_heads, value_dim, dout});
  output_bias = b("attention_output/bias", {dout});
}

std::vector<Tensor> MultiHeadAttention::call(const std::vector<Tensor>& xs, bool training) {
  if (xs.size() != 2 && xs.size() != 3)
    detail::raise<ValueError>("MultiHeadAttention '{}': expected inputs {{query, value}} or {{query, value, key}}, got {}",
                              name(), xs.size());
  const Tensor& q_in = xs[0];
  const Tensor& v_in = xs[1];
  const Tensor& k_in = xs.size() == 3 ? xs[2] : xs[1];
  const std::int64_t B = q_in.dim(0), Tq = q_in.dim(1), Tk = k_in.dim(1);
  if (v_in.dim(1) != Tk || v_in.dim(0) != B || k_in.dim(0) != B)
    detail::raise<ShapeError>("MultiHeadAttention '{}': query {}, value {} and key {} do not match in batch or time",
                              name(), q_in.shape(), v_in.shape(), k_in.shape());
  // [B, T, D] @ [D, H*d] -> [B, T, H, d] -> [B, H, T, d]
  auto project = [&](const Tensor& x, const Variable& kernel, const Variable& bias, std::int64_t d) {
    Tensor y = matmul(x, reshape(kernel, {kernel.shape()[0], num_heads * d}));
    if (bias.defined()) y = add(y, reshape(bias, {num_heads * d}));
    return transpose(reshape(y, {B, x.dim(1), num_heads, d}), {0, 2, 1, 3});
  };
  const Tensor q = mul(project(q_in, query_kernel, query_bias, key_dim), 1.0 / std::sqrt(static_cast<double>(key_dim)));
  const Tensor k = project(k_in, key_kernel, key_bias, key_dim);
  const Tensor v = project(v_in, value_kernel, value_bias, value_dim);
  Tensor scores = matmul(q, k, false, true);  // [B, H, Tq, Tk]
  if (use_causal_mask) {
    // position i may attend to keys j <= i (aligned at the end when Tq != Tk, as Keras does)
    std::vector<double> mask(static_cast<std::size_t>(Tq * Tk), 0.0);
    for (std::int64_t i = 0; i < Tq; ++i)
      for (std::int64_t j = 0; j < Tk; ++j)
        if (j > i + (Tk - Tq)) mask[static_cast<std::size_t>(i * Tk + j)] = -1e9;
    scores = add(scores, Tensor::from_vector(mask, {Tq, Tk}, scores.dtype()));
  }
  Tensor probs = nn::softmax(scores, -1);
  const Tensor attended = training && dropout > 0 ? nn::dropout(probs, dropout) : probs;
  const Tensor context = matmul(attended, v);  // [B, H, Tq, dv]
  const Tensor merged = reshape(transpose(context, {0, 2, 1, 3}), {B, Tq, num_heads * value_dim});
  const std::int64_t dout = output_kernel.shape()[2];
  Tensor out = matmul(merged, reshape(output_kernel, {num_heads * value_dim, dout}));
  if (output_bias.defined()) out = add(out, output_bias);
  if (return_attention_scores) return {out, probs};
  return {out};
}

std::vector<Shape> MultiHeadAttention::compute_output_shapes(const std::vector<Shape>& in) {
  if (in.size() != 2 && in.size() != 3)
    detail::raise<ValueError>("MultiHeadAttention '{}': expected inputs {{query, value}} or {{query, value, key}}, got {}",
                              name(), in.size());
  const Shape& q = in[0];
  check_rank3(*this, q, "the query");
  std::vector<Shape> out{{q[0], q[1], output_shape.value_or(q[2])}};
  if (return_attention_scores) out.push_back({q[0], num_heads, q[1], in[1][1]});
  return out;
}

namespace {
/// The output features: a number, or a list of one (strata projects the last axis only).
struct OutputFeatures {
  static Config write(const std::optional<std::int64_t>& n) { return n ? Config(static_cast<long long>(*n)) : Config(); }
  static std::optional<std::int64_t> decode(const Config& c) {
    if (c.is_list() && c.size() != 1)
      detail::raise<ValueError>("MultiHeadAttention: output_shape={} is not supported (one trailing dimension)",
                                c.dump());
    return c.is_list() ? c[0].as_int() : c.as_int();
  }
  static void reset(std::optional<std::int64_t>& n) { n.reset(); }
};
}  // namespace

const Fields<MultiHeadAttention>& MultiHeadAttention::config_fields() {
  using M = MultiHeadAttention;
  static const auto f = Fields<M>("MultiHeadAttention")
                            .args("num_heads", &M::num_heads, "key_dim", &M::key_dim)
                            .field("value_dim", &M::value_dim)  // null: key_dim
                            .field("dropout", &M::dropout)
                            .field("use_bias", &M::use_bias)
                            .field("output_shape", &M::output_shape, OutputFeatures{})
                            .unsupported("attention_axes", Config())  // only the time axis
                            .kernel_bias()
                            .field("use_causal_mask", &M::use_causal_mask)
                            .field("return_attention_scores", &M::return_attention_scores)
                            .validate(&M::validate);
  return f;
}
Config MultiHeadAttention::get_config() const { return config_fields().write(*this, base_config()); }

void MultiHeadAttention::load_call_arguments(const std::vector<Config>& per_node, const std::string& where) {
  std::size_t causal = 0;
  for (const Config& kwargs : per_node)
    for (const auto& [key, v] : kwargs.entries()) {
      if (key == "use_causal_mask" && v.is_bool()) {
        causal += v.as_bool();
        continue;
      }
      if (key == "return_attention_scores" && v.is_bool() && !v.as_bool()) continue;
      detail::raise<ValueError>("{}: the call argument {}={} is not supported", where, key, v.dump());
    }
  if (causal == 0) return;
  if (causal != per_node.size())  // a layer setting, so every call of the layer must ask for it
    detail::raise<ValueError>("{}: use_causal_mask=True is supported on MultiHeadAttention when every call of the "
                              "layer passes it",
                              where);
  use_causal_mask = true;
}

std::vector<Layer::SavedPart> MultiHeadAttention::keras_saved_parts() const {
  auto dense = [](const char* name, const Variable& kernel, const Variable& bias) {
    std::vector<Variable> vars{kernel};
    if (bias.defined()) vars.push_back(bias);
    return SavedPart{name, vars, nullptr};
  };
  return {{"", {}, nullptr},
          dense("_key_dense", key_kernel, key_bias),
          dense("_output_dense", output_kernel, output_bias),
          dense("_query_dense", query_kernel, query_bias),
          dense("_value_dense", value_kernel, value_bias)};
}

void register_attention_layers(Registry& r) {
  r.add("MultiHeadAttention", MultiHeadAttention::config_fields().factory());
}

}  // namespace strata::layers
