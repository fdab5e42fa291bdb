#include "strata/layers/conv.hpp"

#include "detail/errors.hpp"
#include "strata/layers/fields.hpp"
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


}  // namespace

ConvBase::ConvBase(std::int64_t filters_, Size2 kernel_size_, Size2 strides_, std::string padding_,
                   ActivationFn activation_, bool use_bias_, Size2 dilation_rate_)
    : filters(filters_),
      kernel_size(kernel_size_),
      strides(strides_),
      padding(std::move(padding_)),
      activation(std::move(activation_)),
      use_bias(use_bias_),
      dilation_rate(dilation_rate_) {}

void ConvBase::check_conv(const char* cls, bool needs_filters, bool causal_ok) const {
  if (kernel_size.h <= 0 || kernel_size.w <= 0 || strides.h <= 0 || strides.w <= 0 || dilation_rate.h <= 0 ||
      dilation_rate.w <= 0)
    detail::raise<ValueError>("{}: kernel_size ({}, {}), strides ({}, {}) and dilation_rate ({}, {}) must be positive",
                              cls, kernel_size.h, kernel_size.w, strides.h, strides.w, dilation_rate.h,
                              dilation_rate.w);
  if (needs_filters && filters <= 0) detail::raise<ValueError>("{}: filters must be positive, got {}", cls, filters);
  check_padding(cls, padding, causal_ok);
}

Tensor ConvBase::finish(const Tensor& y) const {
  if (!use_bias) return activation(y);
  if (activation.is_builtin("relu")) return nn::bias_relu(y, bias);  // one pass each way
  return activation(nn::bias_add(y, bias));
}

/// The keys every convolution shares, in Keras's order; 1-D layers write their sizes as [w].
/// The depthwise convolutions' own keys, in the order strata has always written them (bias
/// first; SeparableConv2D's pointwise_initializer after the depthwise one).
struct DepthwiseFields {
  template <class L>
  void operator()(Fields<L>& f) const {
    f.field("bias_initializer", &L::bias_initializer)
        .field("bias_regularizer", &L::bias_regularizer)
        .field("bias_constraint", &L::bias_constraint)
        .field("depth_multiplier", &L::depth_multiplier)
        .field("depthwise_initializer", &L::kernel_initializer);
    if constexpr (std::is_same_v<L, SeparableConv2D>) f.field("pointwise_initializer", &L::pointwise_initializer);
    f.field("depthwise_regularizer", &L::kernel_regularizer).field("depthwise_constraint", &L::kernel_constraint);
  }
};

template <class Size = ConfigCodec<Size2>>
struct ConvFields {
  template <class L>
  void operator()(Fields<L>& f) const {
    f.field("kernel_size", &L::kernel_size, Size{})
        .field("strides", &L::strides, Size{})
        .field("padding", &L::padding)
        .unsupported("data_format", "channels_last")
        .field("dilation_rate", &L::dilation_rate, Size{})
        .unsupported("groups", 1, /*written=*/false)  // grouped convolutions
        .field("activation", &L::activation)
        .field("use_bias", &L::use_bias);
  }
};

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
  validate();
}

void Conv2D::validate() const { check_conv("Conv2D", true, false); }

const Fields<Conv2D>& Conv2D::config_fields() {
  static const auto f = Fields<Conv2D>("Conv2D")
                            .args("filters", &Conv2D::filters, "kernel_size", &Conv2D::kernel_size)
                            .with(ConvFields<>{})
                            .kernel_bias()
                            .validate(&Conv2D::validate);
  return f;
}
Config Conv2D::get_config() const { return config_fields().write(*this, base_config()); }

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
  validate();
}

void Conv1D::validate() const { check_conv("Conv1D", true, true); }

const Fields<Conv1D>& Conv1D::config_fields() {
  static const auto f = Fields<Conv1D>("Conv1D")
                            .construct([] { return std::make_shared<Conv1D>(1, 1); })  // then every field
                            .field("filters", &Conv1D::filters)
                            .required()
                            .with(ConvFields<Width>{})
                            .kernel_bias()
                            .validate(&Conv1D::validate);
  return f;
}
Config Conv1D::get_config() const { return config_fields().write(*this, base_config()); }

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


// ---- DepthwiseConv2D ------------------------------------------------------------------------------------------

DepthwiseConv2D::DepthwiseConv2D(Size2 kernel_size_, Size2 strides_, std::string padding_,
                                 std::int64_t depth_multiplier_, ActivationFn activation_, bool use_bias_,
                                 Size2 dilation_rate_)
    : ConvBase(0, kernel_size_, strides_, std::move(padding_), std::move(activation_), use_bias_, dilation_rate_),
      depth_multiplier(depth_multiplier_) {
  validate();
}

void DepthwiseConv2D::validate() const {
  check_conv("DepthwiseConv2D", false, false);
  if (depth_multiplier <= 0)
    detail::raise<ValueError>("DepthwiseConv2D: depth_multiplier must be positive, got {}", depth_multiplier);
}

const Fields<DepthwiseConv2D>& DepthwiseConv2D::config_fields() {
  static const auto f = Fields<DepthwiseConv2D>("DepthwiseConv2D")
                            .args("kernel_size", &DepthwiseConv2D::kernel_size)
                            .with(ConvFields<>{})
                            .with(DepthwiseFields{})
                            .validate(&DepthwiseConv2D::validate);
  return f;
}
Config DepthwiseConv2D::get_config() const { return config_fields().write(*this, base_config()); }

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


// ---- SeparableConv2D ------------------------------------------------------------------------------------------

SeparableConv2D::SeparableConv2D(std::int64_t filters_, Size2 kernel_size_, Size2 strides_, std::string padding_,
                                 std::int64_t depth_multiplier_, ActivationFn activation_, bool use_bias_,
                                 Size2 dilation_rate_)
    : ConvBase(filters_, kernel_size_, strides_, std::move(padding_), std::move(activation_), use_bias_,
               dilation_rate_),
      depth_multiplier(depth_multiplier_) {
  validate();
}

void SeparableConv2D::validate() const {
  check_conv("SeparableConv2D", true, false);
  if (depth_multiplier <= 0)
    detail::raise<ValueError>("SeparableConv2D: depth_multiplier must be positive, got {}", depth_multiplier);
}

const Fields<SeparableConv2D>& SeparableConv2D::config_fields() {
  static const auto f = Fields<SeparableConv2D>("SeparableConv2D")
                            .args("filters", &SeparableConv2D::filters, "kernel_size", &SeparableConv2D::kernel_size)
                            .with(ConvFields<>{})
                            .with(DepthwiseFields{})
                            .unsupported("pointwise_regularizer", Config(), /*written=*/false)
                            .unsupported("pointwise_constraint", Config(), /*written=*/false)
                            .validate(&SeparableConv2D::validate);
  return f;
}
Config SeparableConv2D::get_config() const { return config_fields().write(*this, base_config()); }

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


// ---- Conv2DTranspose --------------------------------------------------------------------------------------------

Conv2DTranspose::Conv2DTranspose(std::int64_t filters_, Size2 kernel_size_, Size2 strides_, std::string padding_,
                                 ActivationFn activation_, bool use_bias_, Size2 dilation_rate_)
    : ConvBase(filters_, kernel_size_, strides_, std::move(padding_), std::move(activation_), use_bias_,
               dilation_rate_) {
  validate();
}

void Conv2DTranspose::validate() const {
  check_conv("Conv2DTranspose", true, false);
  if (output_padding && (output_padding->h < 0 || output_padding->w < 0 || output_padding->h >= strides.h ||
                         output_padding->w >= strides.w))
    detail::raise<ValueError>("Conv2DTranspose '{}': output_padding ({}, {}) must be non-negative and less than the "
                              "strides ({}, {})",
                              name(), output_padding->h, output_padding->w, strides.h, strides.w);
}

void Conv2DTranspose::build(const Shape& s) {
  validate();  // output_padding may have been set since construction
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

const Fields<Conv2DTranspose>& Conv2DTranspose::config_fields() {
  static const auto f = Fields<Conv2DTranspose>("Conv2DTranspose")
                            .args("filters", &Conv2DTranspose::filters, "kernel_size", &Conv2DTranspose::kernel_size)
                            .with(ConvFields<>{})
                            .kernel_bias()
                            .field("output_padding", &Conv2DTranspose::output_padding)
                            .omit_null()
                            .validate(&Conv2DTranspose::validate);
  return f;
}
Config Conv2DTranspose::get_config() const { return config_fields().write(*this, base_config()); }

// ---- registration -----------------------------------------------------------------------------------------------

void register_conv_layers(Registry& r) {
  r.add_channels_last("Conv2D", Conv2D::config_fields().factory());
  r.add_channels_last("Conv1D", Conv1D::config_fields().factory());
  r.add_channels_last("DepthwiseConv2D", DepthwiseConv2D::config_fields().factory());
  r.add_channels_last("SeparableConv2D", SeparableConv2D::config_fields().factory());
  r.add_channels_last("Conv2DTranspose", Conv2DTranspose::config_fields().factory());
}

}  // namespace strata::layers
