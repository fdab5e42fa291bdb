#include "strata/layers/core.hpp"

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "detail/errors.hpp"
#include "strata/layers/fields.hpp"
#include "layers/registry.hpp"
#include "layers/node.hpp"
#include "strata/ops.hpp"

namespace strata::layers {

// ---- Dense -------------------------------------------------------------------------------------------

Dense::Dense(std::int64_t units_, ActivationFn activation_, bool use_bias_)
    : units(units_), activation(std::move(activation_)), use_bias(use_bias_) {
  if (units <= 0) detail::raise<ValueError>("Dense: units must be positive, got {}", units);
}

void Dense::build(const Shape& s) {
  if (s.rank() < 2) fail("expected an input of rank >= 2 [batch, ..., features]", s);
  const std::int64_t in = s.back();
  if (in < 0) fail("the last dimension of the input must be known", s);
  kernel = add_weight("kernel", {in, units}, kernel_initializer, kernel_regularizer, kernel_constraint);
  if (use_bias) bias = add_weight("bias", {units}, bias_initializer, bias_regularizer, bias_constraint);
  set_input_spec({-1, 2, {{-1, in}}});
}

Tensor Dense::call(const Tensor& x, bool) {
  const Tensor y = matmul(x, kernel);
  if (!use_bias) return activation(y);
  if (activation.is_builtin("relu")) return nn::bias_relu(y, bias);  // one pass each way
  return activation(nn::bias_add(y, bias));
}

Shape Dense::compute_output_shape(const Shape& s) {
  Shape out = s;
  out[out.rank() - 1] = units;
  return out;
}

const Fields<Dense>& Dense::config_fields() {
  static const auto f = Fields<Dense>("Dense")
                            .args("units", &Dense::units)
                            .field("activation", &Dense::activation)
                            .field("use_bias", &Dense::use_bias)
                            .kernel_bias();
  return f;
}
Config Dense::get_config() const { return config_fields().write(*this, base_config()); }

// ---- Activation ---------------------------------------------------------------------------------------

Activation::Activation(ActivationFn activation_) : activation(std::move(activation_)) {}
Tensor Activation::call(const Tensor& x, bool) { return activation(x); }
const Fields<Activation>& Activation::config_fields() {
  static const auto f = Fields<Activation>("Activation").args("activation", &Activation::activation);
  return f;
}
Config Activation::get_config() const { return config_fields().write(*this, base_config()); }

// ---- Dropout --------------------------------------------------------------------------------------------

Dropout::Dropout(double rate_, std::optional<std::uint64_t> seed_, std::vector<std::int64_t> noise_shape_)
    : rate(rate_), noise_shape(std::move(noise_shape_)), seed(seed_) {
  if (!(rate >= 0.0 && rate < 1.0)) detail::raise<ValueError>("Dropout: rate must be in [0, 1), got {}", rate);
}

Tensor Dropout::call(const Tensor& x, bool training) {
  if (!training || rate == 0.0) return x;
  // A seeded layer gives a reproducible sequence of masks, a different one on every call.
  if (seed && !gen_) gen_.emplace(*seed);
  const std::uint64_t op_seed = gen_ ? gen_->next_u64() : global_seed_draw();
  if (noise_shape.empty()) return nn::dropout(x, rate, op_seed, true);
  if (noise_shape.size() != x.rank())
    fail("noise_shape has " + std::to_string(noise_shape.size()) + " dimensions for an input of rank " +
             std::to_string(x.rank()),
         x.shape());
  Shape ns;
  for (std::size_t d = 0; d < x.rank(); ++d) ns.push_back(noise_shape[d] < 0 ? x.dim(static_cast<std::int64_t>(d)) : noise_shape[d]);
  return mul(x, nn::dropout(Tensor::ones(ns, x.dtype()), rate, op_seed, true));
}

const Fields<Dropout>& Dropout::config_fields() {
  static const auto f = Fields<Dropout>("Dropout")
                            .args("rate", &Dropout::rate)
                            .field("noise_shape", &Dropout::noise_shape, IntListOrNull{})
                            .field("seed", &Dropout::seed);
  return f;
}
Config Dropout::get_config() const { return config_fields().write(*this, base_config()); }

// ---- Flatten, Reshape, Permute, RepeatVector ----------------------------------------------------------

Shape Flatten::compute_output_shape(const Shape& s) {
  if (s.rank() == 0) fail("expected an input with a batch dimension", s);
  std::int64_t n = 1;
  for (std::size_t d = 1; d < s.rank(); ++d) n = (n < 0 || s[d] < 0) ? -1 : n * s[d];
  return {s[0], n};
}

Tensor Flatten::call(const Tensor& x, bool) {
  if (x.rank() == 0) fail("expected an input with a batch dimension", x.shape());
  std::int64_t n = 1;  // from the shape, not the element count: the batch may be empty
  for (std::size_t d = 1; d < x.rank(); ++d) n *= x.dim(static_cast<std::int64_t>(d));
  return reshape(x, {x.dim(0), n});
}

Reshape::Reshape(Shape target) : target_shape(std::move(target)) {
  int unknown = 0;
  for (auto d : target_shape) {
    if (d == -1) ++unknown;
    else if (d <= 0) detail::raise<ValueError>("Reshape: invalid target dimension {} in {}", d, target_shape);
  }
  if (unknown > 1) detail::raise<ValueError>("Reshape: at most one dimension can be -1, got {}", target_shape);
}

Shape Reshape::compute_output_shape(const Shape& s) {
  Shape out = target_shape;
  out.insert(0, s.rank() ? s[0] : -1);
  std::int64_t in = 1;
  bool known = true;
  for (std::size_t d = 1; d < s.rank(); ++d) {
    if (s[d] < 0) known = false;
    in *= s[d];
  }
  std::int64_t prod = 1;
  int infer = -1;
  for (std::size_t d = 1; d < out.rank(); ++d) {
    if (out[d] == -1) infer = static_cast<int>(d);
    else prod *= out[d];
  }
  if (known) {
    if (infer >= 0) {
      if (in % prod != 0) fail("cannot reshape to " + target_shape.to_string(), s);
      out[static_cast<std::size_t>(infer)] = in / prod;
    } else if (in != prod) {
      fail("cannot reshape " + std::to_string(in) + " elements per example into " + target_shape.to_string(), s);
    }
  }
  return out;
}

Tensor Reshape::call(const Tensor& x, bool) {
  // The per-example size comes from the shape, so an empty batch reshapes too.
  std::int64_t per_example = 1;
  for (std::size_t d = 1; d < x.rank(); ++d) per_example *= x.dim(static_cast<std::int64_t>(d));
  std::int64_t prod = 1;
  for (auto d : target_shape) prod *= d < 0 ? 1 : d;
  const auto unknown = std::find(target_shape.begin(), target_shape.end(), -1);
  if ((unknown == target_shape.end() && per_example != prod) ||
      (unknown != target_shape.end() && (prod == 0 || per_example % prod != 0)))
    fail("cannot reshape " + std::to_string(per_example) + " elements per example into " + target_shape.to_string(),
         x.shape());
  Shape out = target_shape;
  if (unknown != target_shape.end()) out[static_cast<std::size_t>(unknown - target_shape.begin())] = per_example / prod;
  out.insert(0, x.dim(0));
  return reshape(x, out);
}

const Fields<Reshape>& Reshape::config_fields() {
  static const auto f = Fields<Reshape>("Reshape").args("target_shape", &Reshape::target_shape);
  return f;
}
Config Reshape::get_config() const { return config_fields().write(*this, base_config()); }

Permute::Permute(std::vector<std::int64_t> d) : dims(std::move(d)) {
  std::vector<bool> seen(dims.size() + 1, false);
  for (auto v : dims) {
    if (v < 1 || v > static_cast<std::int64_t>(dims.size()) || seen[static_cast<std::size_t>(v)])
      detail::raise<ValueError>("Permute: dims must be a permutation of 1..{} (1-based, the batch axis excluded)",
                                dims.size());
    seen[static_cast<std::size_t>(v)] = true;
  }
}

void Permute::build(const Shape&) { set_input_spec({static_cast<int>(dims.size()) + 1, -1, {}}); }

Shape Permute::compute_output_shape(const Shape& s) {
  if (s.rank() != dims.size() + 1) fail("expected rank " + std::to_string(dims.size() + 1), s);
  Shape out{s[0]};
  for (auto d : dims) out.push_back(s[static_cast<std::size_t>(d)]);
  return out;
}

Tensor Permute::call(const Tensor& x, bool) {
  std::vector<std::int64_t> perm{0};
  perm.insert(perm.end(), dims.begin(), dims.end());
  return transpose(x, perm);
}

const Fields<Permute>& Permute::config_fields() {
  static const auto f = Fields<Permute>("Permute").args("dims", &Permute::dims);
  return f;
}
Config Permute::get_config() const { return config_fields().write(*this, base_config()); }

RepeatVector::RepeatVector(std::int64_t n_) : n(n_) {
  if (n <= 0) detail::raise<ValueError>("RepeatVector: n must be positive, got {}", n);
  set_input_spec({2, -1, {}});
}

Shape RepeatVector::compute_output_shape(const Shape& s) {
  if (s.rank() != 2) fail("expected a 2-D input [batch, features]", s);
  return {s[0], n, s[1]};
}

Tensor RepeatVector::call(const Tensor& x, bool) {
  return broadcast_to(expand_dims(x, 1), {x.dim(0), n, x.dim(1)});
}

const Fields<RepeatVector>& RepeatVector::config_fields() {
  static const auto f = Fields<RepeatVector>("RepeatVector").args("n", &RepeatVector::n);
  return f;
}
Config RepeatVector::get_config() const { return config_fields().write(*this, base_config()); }

// ---- Lambda ----------------------------------------------------------------------------------------------

namespace {
std::mutex& fn_mutex() {
  static std::mutex m;
  return m;
}
std::unordered_map<std::string, Lambda::Fn>& functions() {
  static std::unordered_map<std::string, Lambda::Fn> f;
  return f;
}
}  // namespace

void register_function(const std::string& name, Lambda::Fn fn) {
  std::lock_guard<std::mutex> lock(fn_mutex());
  functions()[name] = std::move(fn);
}

Lambda::Lambda(Fn fn_, std::string function_name_, std::optional<Shape> output_shape_)
    : fn(std::move(fn_)), function_name(std::move(function_name_)), output_shape(std::move(output_shape_)) {
  if (!fn) throw ValueError("Lambda: the function is empty");
}

Shape Lambda::compute_output_shape(const Shape& s) {
  if (!output_shape) return Layer::compute_output_shape(s);
  Shape out = *output_shape;
  out.insert(0, s.rank() ? s[0] : -1);
  return out;
}

Tensor Lambda::call(const Tensor& x, bool) { return fn(x); }

std::string Lambda::save_refusal() const {
  if (function_name.empty())
    return fmt::format("the Lambda layer '{}' has no function name, so the saved model could not be loaded: register "
                       "its function with strata::layers::register_function and name it (Lambda(fn, \"name\"))",
                       name());
  bool registered;
  {
    std::lock_guard<std::mutex> lock(fn_mutex());
    registered = functions().count(function_name) > 0;
  }
  if (!registered)
    return fmt::format("the Lambda layer '{}' names the function '{}', which is not registered, so the saved model "
                       "could not be loaded (strata::layers::register_function)",
                       name(), function_name);
  return "";
}

Config Lambda::get_config() const {
  Config c = base_config();
  c["function"] = function_name.empty() ? Config() : Config(function_name);
  c["output_shape"] = output_shape ? shape_to_config(*output_shape) : Config();
  return c;
}

// ---- Embedding -------------------------------------------------------------------------------------------

Embedding::Embedding(std::int64_t input_dim_, std::int64_t output_dim_) : input_dim(input_dim_), output_dim(output_dim_) {
  if (input_dim <= 0 || output_dim <= 0)
    detail::raise<ValueError>("Embedding: input_dim and output_dim must be positive, got {} and {}", input_dim,
                              output_dim);
}

void Embedding::build(const Shape&) {
  embeddings = add_weight("embeddings", {input_dim, output_dim}, embeddings_initializer, embeddings_regularizer,
                          embeddings_constraint);
}

Tensor Embedding::call(const Tensor& x, bool) {
  const Tensor ids = x.dtype() == DType::int64 ? x : cast(x, DType::int64);
  const std::vector<std::int64_t> v = ids.to_vector<std::int64_t>();
  for (auto id : v)
    if (id < 0 || id >= input_dim)
      detail::raise<ValueError>("Embedding '{}': id {} is out of range for input_dim {} (input shape {})", name(), id,
                                input_dim, x.shape());
  return nn::embedding_lookup(embeddings, ids);
}

Shape Embedding::compute_output_shape(const Shape& s) {
  Shape out = s;
  out.push_back(output_dim);
  return out;
}

const Fields<Embedding>& Embedding::config_fields() {
  static const auto f = Fields<Embedding>("Embedding")
                            .args("input_dim", &Embedding::input_dim, "output_dim", &Embedding::output_dim)
                            .field("embeddings_initializer", &Embedding::embeddings_initializer)
                            .field("embeddings_regularizer", &Embedding::embeddings_regularizer)
                            .field("embeddings_constraint", &Embedding::embeddings_constraint)
                            .unsupported("mask_zero", false);  // strata has no masking yet
  return f;
}
Config Embedding::get_config() const { return config_fields().write(*this, base_config()); }

// ---- activation layers ---------------------------------------------------------------------------------------

ReLU::ReLU(std::optional<double> max_value_, double negative_slope_, double threshold_)
    : max_value(max_value_), negative_slope(negative_slope_), threshold(threshold_) {
  validate();
}

void ReLU::validate() const {
  if (max_value && *max_value < 0) detail::raise<ValueError>("ReLU: max_value must be >= 0, got {}", *max_value);
  if (negative_slope < 0) detail::raise<ValueError>("ReLU: negative_slope must be >= 0, got {}", negative_slope);
}

// Keras 3's relu(x, negative_slope, max_value, threshold): x where x > threshold (strictly), else
// 0, clipped to [0, max_value], minus negative_slope * relu(threshold - x). NaN stays NaN.
Tensor ReLU::call(const Tensor& x, bool) {
  if (negative_slope == 0.0 && threshold == 0.0 && !max_value) return relu(x);
  if (negative_slope != 0.0 && threshold == 0.0 && !max_value) return leaky_relu(x, negative_slope);
  Tensor y = threshold != 0.0 ? mul(x, cast(greater(x, threshold), x.dtype())) : relu(x);
  if (max_value) y = clip(y, 0.0, *max_value);
  if (negative_slope != 0.0) y = sub(y, mul(relu(sub(threshold, x)), negative_slope));
  return y;
}

const Fields<ReLU>& ReLU::config_fields() {
  static const auto f = Fields<ReLU>("ReLU")
                            .field("max_value", &ReLU::max_value)
                            .field("negative_slope", &ReLU::negative_slope)
                            .field("threshold", &ReLU::threshold)
                            .validate(&ReLU::validate);
  return f;
}
Config ReLU::get_config() const { return config_fields().write(*this, base_config()); }

LeakyReLU::LeakyReLU(double alpha_) : alpha(alpha_) { validate(); }
void LeakyReLU::validate() const {
  if (alpha < 0) detail::raise<ValueError>("LeakyReLU: alpha must be >= 0, got {}", alpha);
}
Tensor LeakyReLU::call(const Tensor& x, bool) { return leaky_relu(x, alpha); }
const Fields<LeakyReLU>& LeakyReLU::config_fields() {
  static const auto f = Fields<LeakyReLU>("LeakyReLU")
                            .field("alpha", &LeakyReLU::alpha)
                            .alias("negative_slope")  // Keras 3's name
                            .validate(&LeakyReLU::validate);
  return f;
}
Config LeakyReLU::get_config() const { return config_fields().write(*this, base_config()); }

ThresholdedReLU::ThresholdedReLU(double theta_) : theta(theta_) { validate(); }
void ThresholdedReLU::validate() const {
  if (!(theta >= 0)) detail::raise<ValueError>("ThresholdedReLU: theta must be >= 0, got {}", theta);
}
Tensor ThresholdedReLU::call(const Tensor& x, bool) { return threshold(x, theta, 0.0); }
const Fields<ThresholdedReLU>& ThresholdedReLU::config_fields() {
  static const auto f = Fields<ThresholdedReLU>("ThresholdedReLU")
                            .field("theta", &ThresholdedReLU::theta)
                            .validate(&ThresholdedReLU::validate);
  return f;
}
Config ThresholdedReLU::get_config() const { return config_fields().write(*this, base_config()); }

PReLU::PReLU(std::vector<std::int64_t> shared_axes_) : shared_axes(std::move(shared_axes_)) {}

void PReLU::build(const Shape& s) {
  Shape ps(s.begin() + 1, s.end());
  for (auto a : shared_axes) {
    if (a < 1 || a >= static_cast<std::int64_t>(s.rank()))
      fail("shared axis " + std::to_string(a) + " is out of range (axes are 1-based, the batch axis excluded)", s);
    ps[static_cast<std::size_t>(a - 1)] = 1;
  }
  for (auto d : ps)
    if (d < 0) fail("dimensions that are not shared must be known", s);
  alpha = add_weight("alpha", ps, alpha_initializer, alpha_regularizer, alpha_constraint);
  InputSpec spec{static_cast<int>(s.rank()), -1, {}};
  for (std::size_t d = 1; d < s.rank(); ++d)
    if (ps[d - 1] != 1 || s[d] == 1) spec.axes[static_cast<std::int64_t>(d)] = s[d];
  set_input_spec(spec);
}

// relu(x) - alpha * relu(-x)
Tensor PReLU::call(const Tensor& x, bool) { return sub(relu(x), mul(alpha, relu(neg(x)))); }

const Fields<PReLU>& PReLU::config_fields() {
  static const auto f = Fields<PReLU>("PReLU")
                            .field("alpha_initializer", &PReLU::alpha_initializer)
                            .field("alpha_regularizer", &PReLU::alpha_regularizer)
                            .field("alpha_constraint", &PReLU::alpha_constraint)
                            .field("shared_axes", &PReLU::shared_axes, IntListOrNull{});
  return f;
}
Config PReLU::get_config() const { return config_fields().write(*this, base_config()); }

ELU::ELU(double alpha_) : alpha(alpha_) {}
Tensor ELU::call(const Tensor& x, bool) { return elu(x, alpha); }
const Fields<ELU>& ELU::config_fields() {
  static const auto f = Fields<ELU>("ELU").field("alpha", &ELU::alpha);
  return f;
}
Config ELU::get_config() const { return config_fields().write(*this, base_config()); }

Softmax::Softmax(std::int64_t axis_) : axis(axis_) {}
Tensor Softmax::call(const Tensor& x, bool) { return nn::softmax(x, axis); }
const Fields<Softmax>& Softmax::config_fields() {
  static const auto f = Fields<Softmax>("Softmax").field("axis", &Softmax::axis);
  return f;
}
Config Softmax::get_config() const { return config_fields().write(*this, base_config()); }

// ---- registration -------------------------------------------------------------------------------------------

void register_core_layers(Registry& r) {
  r.add("Dense", Dense::config_fields().factory());
  r.add("Activation", Activation::config_fields().factory());
  r.add("Dropout", Dropout::config_fields().factory());
  r.add_channels_last("Flatten", [](const Config&) { return std::make_shared<Flatten>(); });
  r.add("Reshape", Reshape::config_fields().factory());
  r.add("Permute", Permute::config_fields().factory());
  r.add("RepeatVector", RepeatVector::config_fields().factory());
  r.add("Lambda", [](const Config& c) -> std::shared_ptr<Layer> {
    const Config* f = c.find("function");
    if (!f || !f->is_string())
      throw ValueError("Lambda: the config has no registered function name; register the function with "
                       "strata::layers::register_function and name it in the Lambda");
    Lambda::Fn fn;
    {
      std::lock_guard<std::mutex> lock(fn_mutex());
      auto it = functions().find(f->as_string());
      if (it == functions().end())
        detail::raise<ValueError>("Lambda: function '{}' is not registered (strata::layers::register_function)",
                                  f->as_string());
      fn = it->second;
    }
    if (const Config* a = c.find("arguments"); a && !a->is_null() && !(a->is_object() && a->size() == 0))
      detail::raise<ValueError>("Lambda '{}': arguments={} are not supported (strata's functions take one tensor)",
                                f->as_string(), a->dump());
    std::optional<Shape> os;
    if (const Config* o = c.find("output_shape"); o && o->is_list()) os = shape_from_config(*o);
    return std::make_shared<Lambda>(fn, f->as_string(), os);
  });
  r.add("Embedding", Embedding::config_fields().factory());
  r.add("ReLU", ReLU::config_fields().factory());
  r.add("LeakyReLU", LeakyReLU::config_fields().factory());
  r.add("ThresholdedReLU", ThresholdedReLU::config_fields().factory());
  r.add("PReLU", PReLU::config_fields().factory());
  r.add("ELU", ELU::config_fields().factory());
  r.add("Softmax", Softmax::config_fields().factory());
  r.add("InputLayer", [](const Config& c) {
    const Config* s = c.find("batch_input_shape");
    if (!s) s = c.find("batch_shape");
    if (!s) throw ValueError("InputLayer: the config has no batch_input_shape");
    return std::make_shared<InputLayer>(shape_from_config(*s), dtype_from_name(c.get_string("dtype", "float32")));
  });
}

}  // namespace strata::layers
