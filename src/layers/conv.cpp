#include "strata/layers/conv.hpp"

#include "detail/errors.hpp"
#include "layers/config_util.hpp"
#include "layers/registry.hpp"
#include "strata/ops.hpp"

namespace strata::layers {

namespace {
void check_padding(const char* cls, const std::string& p, bool causal_ok) {
  if (p == "valid" || p == "same" || (causal_ok && p == "causal")) return;
  detail::raise<ValueError>("{}: padding must be 'valid', 'same'{}, got '{}'", cls, causal_ok ? " or 'causal'" : "", p);
}

std::int64_t out_len(std::int64_t in, std::int64_t k, std::int64_t s, const std::string& p, std::int64_t d) {
  return in < 0 ? -1 : nn::conv_output_length(in, k, s, p, d);
}

/// Keras names the depthwise kernel's arguments depthwise_initializer, ... (followed by
/// pointwise_initializer when given, as SeparableConv2D's config lists them).
void rename_depthwise_args(Config& c, const Config* pointwise_initializer = nullptr) {
  for (const char* what : {"initializer", "regularizer", "constraint"}) {
    const std::string from = std::string("kernel_") + what;
    const Config v = c.at(from);  // a copy: inserting may move the entries
    c.erase(from);
    c[std::string("depthwise_") + what] = v;
    if (pointwise_initializer && from == "kernel_initializer") c["pointwise_initializer"] = *pointwise_initializer;
  }
}

}  // namespace

ConvBase::ConvBase(std::int64_t filters_, Size2 kernel_size_, Size2 strides_, std::string padding_,
                   ActivationFn activation_, bool use_bias_, Size2 dilation_rate_)
    : filters(filters_),
      kernel_size(kernel_size_),
      strides(strides_),
      padding(std::move(padding_)),
      activation(std::move(activation_)),
      use_bias(use_bias_),
      dilation_rate(dilation_rate_) {
  if (kernel_size.h <= 0 || kernel_size.w <= 0 || strides.h <= 0 || strides.w <= 0 || dilation_rate.h <= 0 ||
      dilation_rate.w <= 0)
    detail::raise<ValueError>("convolution: kernel_size ({}, {}), strides ({}, {}) and dilation_rate ({}, {}) must be "
                              "positive",
                              kernel_size.h, kernel_size.w, strides.h, strides.w, dilation_rate.h, dilation_rate.w);
}

Tensor ConvBase::finish(const Tensor& y) const {
  if (!use_bias) return activation(y);
  if (activation.is_builtin("relu")) return nn::bias_relu(y, bias);  // one pass each way
  return activation(nn::bias_add(y, bias));
}

Config ConvBase::conv_config(bool two_d) const {
  Config c = base_config();
  if (filters > 0) c["filters"] = filters;
  c["kernel_size"] = two_d ? cfg::pair(kernel_size.h, kernel_size.w) : Config::list({kernel_size.w});
  c["strides"] = two_d ? cfg::pair(strides.h, strides.w) : Config::list({strides.w});
  c["padding"] = padding;
  c["data_format"] = "channels_last";
  c["dilation_rate"] = two_d ? cfg::pair(dilation_rate.h, dilation_rate.w) : Config::list({dilation_rate.w});
  c["activation"] = activation.name();
  c["use_bias"] = use_bias;
  cfg::write_kernel_bias_args(c, *this);
  return c;
}

Config ConvBase::get_config() const { return conv_config(true); }

void ConvBase::check_rank(const Shape& s, bool two_d) const {
  if (two_d && s.rank() != 4) fail("expected a 4-D input [batch, height, width, channels]", s);
  if (!two_d && s.rank() != 3) fail("expected a 3-D input [batch, steps, channels]", s);
}

std::int64_t ConvBase::input_channels(const Shape& s, bool two_d) const {
  check_rank(s, two_d);
  if (s[s.rank() - 1] < 0) fail("the channel dimension must be known", s);
  return s[s.rank() - 1];
}

void ConvBase::finish_build(std::int64_t units, std::int64_t channels, bool two_d) {
  if (use_bias) bias = add_weight("bias", {units}, bias_initializer, bias_regularizer, bias_constraint);
  set_input_spec({two_d ? 4 : 3, -1, {{-1, channels}}});
}

Shape ConvBase::conv2d_output_shape(const Shape& s, std::int64_t channels_out) const {
  check_rank(s, true);
  return {s[0], out_len(s[1], kernel_size.h, strides.h, padding, dilation_rate.h),
          out_len(s[2], kernel_size.w, strides.w, padding, dilation_rate.w), channels_out};
}


// ---- Conv2D ---------------------------------------------------------------------------------------------------

Conv2D::Conv2D(std::int64_t filters_, Size2 kernel_size_, Size2 strides_, std::string padding_,
               ActivationFn activation_, bool use_bias_, Size2 dilation_rate_)
    : ConvBase(filters_, kernel_size_, strides_, std::move(padding_), std::move(activation_), use_bias_,
               dilation_rate_) {
  if (filters <= 0) detail::raise<ValueError>("Conv2D: filters must be positive, got {}", filters);
  check_padding("Conv2D", padding, false);
}

void Conv2D::build(const Shape& s) {
  const std::int64_t c = input_channels(s, true);
  kernel = add_weight("kernel", {kernel_size.h, kernel_size.w, c, filters}, kernel_initializer, kernel_regularizer,
                      kernel_constraint);
  finish_build(filters, c, true);
}

Tensor Conv2D::call(const Tensor& x, bool) {
  return finish(nn::conv2d(x, kernel, strides, padding, dilation_rate));
}

Shape Conv2D::compute_output_shape(const Shape& s) { return conv2d_output_shape(s, filters); }

// ---- Conv1D ---------------------------------------------------------------------------------------------------

Conv1D::Conv1D(std::int64_t filters_, std::int64_t kernel_size_, std::int64_t strides_, std::string padding_,
               ActivationFn activation_, bool use_bias_, std::int64_t dilation_rate_)
    : ConvBase(filters_, {1, kernel_size_}, {1, strides_}, std::move(padding_), std::move(activation_), use_bias_,
               {1, dilation_rate_}) {
  if (filters <= 0) detail::raise<ValueError>("Conv1D: filters must be positive, got {}", filters);
  check_padding("Conv1D", padding, true);
}

void Conv1D::build(const Shape& s) {
  const std::int64_t c = input_channels(s, false);
  kernel = add_weight("kernel", {kernel_size.w, c, filters}, kernel_initializer, kernel_regularizer, kernel_constraint);
  finish_build(filters, c, false);
}

Tensor Conv1D::call(const Tensor& x, bool) {
  return finish(nn::conv1d(x, kernel, strides.w, padding, dilation_rate.w));
}

Shape Conv1D::compute_output_shape(const Shape& s) {
  check_rank(s, false);
  return {s[0], out_len(s[1], kernel_size.w, strides.w, padding, dilation_rate.w), filters};
}

Config Conv1D::get_config() const { return conv_config(false); }

// ---- DepthwiseConv2D ------------------------------------------------------------------------------------------

DepthwiseConv2D::DepthwiseConv2D(Size2 kernel_size_, Size2 strides_, std::string padding_,
                                 std::int64_t depth_multiplier_, ActivationFn activation_, bool use_bias_,
                                 Size2 dilation_rate_)
    : ConvBase(0, kernel_size_, strides_, std::move(padding_), std::move(activation_), use_bias_, dilation_rate_),
      depth_multiplier(depth_multiplier_) {
  if (depth_multiplier <= 0)
    detail::raise<ValueError>("DepthwiseConv2D: depth_multiplier must be positive, got {}", depth_multiplier);
  check_padding("DepthwiseConv2D", padding, false);
}

void DepthwiseConv2D::build(const Shape& s) {
  const std::int64_t c = input_channels(s, true);
  kernel = add_weight("depthwise_kernel", {kernel_size.h, kernel_size.w, c, depth_multiplier}, kernel_initializer,
                      kernel_regularizer, kernel_constraint);
  finish_build(c * depth_multiplier, c, true);
}

Tensor DepthwiseConv2D::call(const Tensor& x, bool) {
  return finish(nn::depthwise_conv2d(x, kernel, strides, padding, dilation_rate));
}

Shape DepthwiseConv2D::compute_output_shape(const Shape& s) {
  return conv2d_output_shape(s, s.rank() == 4 && s[3] >= 0 ? s[3] * depth_multiplier : -1);
}

Config DepthwiseConv2D::get_config() const {
  Config c = conv_config(true);
  c["depth_multiplier"] = depth_multiplier;
  rename_depthwise_args(c);
  return c;
}

// ---- SeparableConv2D ------------------------------------------------------------------------------------------

SeparableConv2D::SeparableConv2D(std::int64_t filters_, Size2 kernel_size_, Size2 strides_, std::string padding_,
                                 std::int64_t depth_multiplier_, ActivationFn activation_, bool use_bias_,
                                 Size2 dilation_rate_)
    : ConvBase(filters_, kernel_size_, strides_, std::move(padding_), std::move(activation_), use_bias_,
               dilation_rate_),
      depth_multiplier(depth_multiplier_) {
  if (filters <= 0) detail::raise<ValueError>("SeparableConv2D: filters must be positive, got {}", filters);
  if (depth_multiplier <= 0)
    detail::raise<ValueError>("SeparableConv2D: depth_multiplier must be positive, got {}", depth_multiplier);
  check_padding("SeparableConv2D", padding, false);
}

void SeparableConv2D::build(const Shape& s) {
  const std::int64_t c = input_channels(s, true);
  kernel = add_weight("depthwise_kernel", {kernel_size.h, kernel_size.w, c, depth_multiplier}, kernel_initializer,
                      kernel_regularizer, kernel_constraint);
  pointwise_kernel = add_weight("pointwise_kernel", {1, 1, c * depth_multiplier, filters}, pointwise_initializer);
  finish_build(filters, c, true);
}

Tensor SeparableConv2D::call(const Tensor& x, bool) {
  const Tensor d = nn::depthwise_conv2d(x, kernel, strides, padding, dilation_rate);
  return finish(nn::conv2d(d, pointwise_kernel));
}

Shape SeparableConv2D::compute_output_shape(const Shape& s) { return conv2d_output_shape(s, filters); }

Config SeparableConv2D::get_config() const {
  Config c = conv_config(true);
  c["depth_multiplier"] = depth_multiplier;
  const Config pointwise = cfg::of(pointwise_initializer);
  rename_depthwise_args(c, &pointwise);
  return c;
}

// ---- Conv2DTranspose --------------------------------------------------------------------------------------------

Conv2DTranspose::Conv2DTranspose(std::int64_t filters_, Size2 kernel_size_, Size2 strides_, std::string padding_,
                                 ActivationFn activation_, bool use_bias_, Size2 dilation_rate_)
    : ConvBase(filters_, kernel_size_, strides_, std::move(padding_), std::move(activation_), use_bias_,
               dilation_rate_) {
  if (filters <= 0) detail::raise<ValueError>("Conv2DTranspose: filters must be positive, got {}", filters);
  check_padding("Conv2DTranspose", padding, false);
}

void Conv2DTranspose::check_output_padding() const {
  if (output_padding && (output_padding->h < 0 || output_padding->w < 0 || output_padding->h >= strides.h ||
                         output_padding->w >= strides.w))
    detail::raise<ValueError>("Conv2DTranspose '{}': output_padding ({}, {}) must be non-negative and less than the "
                              "strides ({}, {})",
                              name(), output_padding->h, output_padding->w, strides.h, strides.w);
}

void Conv2DTranspose::build(const Shape& s) {
  check_output_padding();
  const std::int64_t c = input_channels(s, true);
  kernel = add_weight("kernel", {kernel_size.h, kernel_size.w, filters, c}, kernel_initializer, kernel_regularizer,
                      kernel_constraint);
  finish_build(filters, c, true);
}

Tensor Conv2DTranspose::call(const Tensor& x, bool) {
  return finish(nn::conv2d_transpose(x, kernel, strides, padding, dilation_rate, output_padding));
}

Shape Conv2DTranspose::compute_output_shape(const Shape& s) {
  check_rank(s, true);
  const auto oph = output_padding ? std::optional<std::int64_t>(output_padding->h) : std::nullopt;
  const auto opw = output_padding ? std::optional<std::int64_t>(output_padding->w) : std::nullopt;
  return {s[0], nn::conv_transpose_length(s[1], kernel_size.h, strides.h, padding, dilation_rate.h, oph),
          nn::conv_transpose_length(s[2], kernel_size.w, strides.w, padding, dilation_rate.w, opw), filters};
}

Config Conv2DTranspose::get_config() const {
  Config c = conv_config(true);
  if (output_padding) c["output_padding"] = cfg::pair(output_padding->h, output_padding->w);  // null otherwise
  return c;
}

// ---- registration -----------------------------------------------------------------------------------------------

namespace {
Size2 size2(const Config& c, const char* key, std::int64_t fallback) {
  const Config* v = c.find(key);
  if (!v || v->is_null()) return fallback;
  return {cfg::pair_at(*v, 0), cfg::pair_at(*v, 1)};
}

}  // namespace

void register_conv_layers(Registry& r) {
  r.add_channels_last("Conv2D", [](const Config& c) {
    cfg::refuse_unless_default(c, "Conv2D", "groups", 1);  // grouped convolutions
    return cfg::read_kernel_bias_args(
        std::make_shared<Conv2D>(c.at("filters").as_int(), size2(c, "kernel_size", 1), size2(c, "strides", 1),
                                 c.get_string("padding", "valid"), ActivationFn(cfg::activation(c)),
                                 c.get_bool("use_bias", true), size2(c, "dilation_rate", 1)),
        c, "kernel");
  });
  r.add_channels_last("Conv1D", [](const Config& c) {
    cfg::refuse_unless_default(c, "Conv1D", "groups", 1);
    return cfg::read_kernel_bias_args(
        std::make_shared<Conv1D>(c.at("filters").as_int(), size2(c, "kernel_size", 1).w, size2(c, "strides", 1).w,
                                 c.get_string("padding", "valid"), ActivationFn(cfg::activation(c)),
                                 c.get_bool("use_bias", true), size2(c, "dilation_rate", 1).w),
        c, "kernel");
  });
  r.add_channels_last("DepthwiseConv2D", [](const Config& c) {
    return cfg::read_kernel_bias_args(std::make_shared<DepthwiseConv2D>(
                                   size2(c, "kernel_size", 1), size2(c, "strides", 1), c.get_string("padding", "valid"),
                                   c.get_int("depth_multiplier", 1), ActivationFn(cfg::activation(c)),
                                   c.get_bool("use_bias", true), size2(c, "dilation_rate", 1)),
                               c, "depthwise");
  });
  r.add_channels_last("SeparableConv2D", [](const Config& c) {
    cfg::refuse_unless_default(c, "SeparableConv2D", "pointwise_regularizer", Config());
    cfg::refuse_unless_default(c, "SeparableConv2D", "pointwise_constraint", Config());
    auto l = cfg::read_kernel_bias_args(
        std::make_shared<SeparableConv2D>(c.at("filters").as_int(), size2(c, "kernel_size", 1), size2(c, "strides", 1),
                                          c.get_string("padding", "valid"), c.get_int("depth_multiplier", 1),
                                          ActivationFn(cfg::activation(c)), c.get_bool("use_bias", true),
                                          size2(c, "dilation_rate", 1)),
        c, "depthwise");
    l->pointwise_initializer = cfg::initializer(c, "pointwise_initializer", "glorot_uniform");
    return l;
  });
  r.add_channels_last("Conv2DTranspose", [](const Config& c) {
    auto l = cfg::read_kernel_bias_args(
        std::make_shared<Conv2DTranspose>(c.at("filters").as_int(), size2(c, "kernel_size", 1), size2(c, "strides", 1),
                                          c.get_string("padding", "valid"), ActivationFn(cfg::activation(c)),
                                          c.get_bool("use_bias", true), size2(c, "dilation_rate", 1)),
        c, "kernel");
    if (const Config* p = c.find("output_padding"); p && !p->is_null()) {
      l->output_padding = Size2{cfg::pair_at(*p, 0), cfg::pair_at(*p, 1)};
      l->check_output_padding();
    }
    return l;
  });
}

}  // namespace strata::layers
