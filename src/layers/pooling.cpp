#include "strata/layers/pooling.hpp"

#include "detail/errors.hpp"
#include "strata/layers/fields.hpp"
#include "layers/registry.hpp"
#include "strata/ops.hpp"

namespace strata::layers {

namespace {
const char* layout(int rank) {
  return rank == 2 ? "a 4-D input [batch, height, width, channels]" : "a 3-D input [batch, steps, channels]";
}
}  // namespace

// ---- Pooling -------------------------------------------------------------------------------------------------

Pooling::Pooling(bool is_max, int rank, Size2 pool_size_, std::optional<Size2> strides_, std::string padding_)
    : pool_size(pool_size_), strides(strides_), padding(std::move(padding_)), is_max_(is_max), rank_(rank) {
  validate();
}

void Pooling::validate() const {
  if (pool_size.h <= 0 || pool_size.w <= 0 || (strides && (strides->h <= 0 || strides->w <= 0)))
    detail::raise<ValueError>("pooling: pool_size ({}, {}) and strides must be positive", pool_size.h, pool_size.w);
  if (padding != "valid" && padding != "same")
    detail::raise<ValueError>("pooling: padding must be 'valid' or 'same', got '{}'", padding);
}

void Pooling::build(const Shape&) { set_input_spec({rank_ + 2, -1, {}}); }

Tensor Pooling::call(const Tensor& x, bool) {
  if (rank_ == 2) return is_max_ ? nn::max_pool2d(x, pool_size, strides, padding) : nn::avg_pool2d(x, pool_size, strides, padding);
  const std::optional<std::int64_t> s = strides ? std::optional<std::int64_t>(strides->w) : std::nullopt;
  return is_max_ ? nn::max_pool1d(x, pool_size.w, s, padding) : nn::avg_pool1d(x, pool_size.w, s, padding);
}

Shape Pooling::compute_output_shape(const Shape& s) {
  if (static_cast<int>(s.rank()) != rank_ + 2) fail(std::string("expected ") + layout(rank_), s);
  const Size2 st = strides.value_or(pool_size);
  auto len = [&](std::int64_t in, std::int64_t k, std::int64_t stride) {
    if (in < 0) return std::int64_t{-1};
    if (padding == "valid" && in < k) fail("the pool is larger than the input under 'valid' padding", s);
    return nn::conv_output_length(in, k, stride, padding);
  };
  if (rank_ == 2) return {s[0], len(s[1], pool_size.h, st.h), len(s[2], pool_size.w, st.w), s[3]};
  return {s[0], len(s[1], pool_size.w, st.w), s[2]};
}

namespace {
/// Keras writes strides as the pool size when they are not given.
template <class Size>
struct PoolFields {
  template <class L>
  void operator()(Fields<L>& f) const {
    f.field("pool_size", &L::pool_size, Size{})
        .field("padding", &L::padding)
        .custom(
            "strides", [](const L& l) { return Size::write(l.strides.value_or(l.pool_size)); },
            [](L& l, const Config& v) { l.strides = v.is_null() ? std::nullopt : std::optional<Size2>(Size::decode(v)); })
        .unsupported("data_format", "channels_last")
        .validate(&L::validate);
  }
};
}  // namespace

#define STRATA_POOLING_FIELDS(Class, Size)                                            \
  const Fields<Class>& Class::config_fields() {                                       \
    static const auto f = Fields<Class>(#Class).with(PoolFields<Size>{});             \
    return f;                                                                         \
  }                                                                                   \
  Config Class::get_config() const { return config_fields().write(*this, base_config()); }
STRATA_POOLING_FIELDS(MaxPooling2D, ConfigCodec<Size2>)
STRATA_POOLING_FIELDS(AveragePooling2D, ConfigCodec<Size2>)
STRATA_POOLING_FIELDS(MaxPooling1D, Width)
STRATA_POOLING_FIELDS(AveragePooling1D, Width)
#undef STRATA_POOLING_FIELDS

// ---- GlobalPooling --------------------------------------------------------------------------------------------------

GlobalPooling::GlobalPooling(bool is_max, int rank, bool keepdims_) : keepdims(keepdims_), is_max_(is_max), rank_(rank) {}

void GlobalPooling::build(const Shape&) { set_input_spec({rank_ + 2, -1, {}}); }

Tensor GlobalPooling::call(const Tensor& x, bool) {
  if (rank_ == 2) return is_max_ ? nn::global_max_pool2d(x, keepdims) : nn::global_avg_pool2d(x, keepdims);
  return is_max_ ? nn::global_max_pool1d(x, keepdims) : nn::global_avg_pool1d(x, keepdims);
}

Shape GlobalPooling::compute_output_shape(const Shape& s) {
  if (static_cast<int>(s.rank()) != rank_ + 2) fail(std::string("expected ") + layout(rank_), s);
  if (!keepdims) return {s[0], s.back()};
  Shape out = Shape::filled(s.rank(), 1);
  out[0] = s[0];
  out[s.rank() - 1] = s.back();
  return out;
}

#define STRATA_GLOBAL_POOLING_FIELDS(Class)                                                                   \
  const Fields<Class>& Class::config_fields() {                                                               \
    static const auto f =                                                                                     \
        Fields<Class>(#Class).unsupported("data_format", "channels_last").field("keepdims", &Class::keepdims); \
    return f;                                                                                                 \
  }                                                                                                           \
  Config Class::get_config() const { return config_fields().write(*this, base_config()); }
STRATA_GLOBAL_POOLING_FIELDS(GlobalAveragePooling2D)
STRATA_GLOBAL_POOLING_FIELDS(GlobalMaxPooling2D)
STRATA_GLOBAL_POOLING_FIELDS(GlobalAveragePooling1D)
STRATA_GLOBAL_POOLING_FIELDS(GlobalMaxPooling1D)
#undef STRATA_GLOBAL_POOLING_FIELDS

// ---- registration -----------------------------------------------------------------------------------------------

void register_pooling_layers(Registry& r) {
  r.add_channels_last("MaxPooling2D", MaxPooling2D::config_fields().factory());
  r.add_channels_last("AveragePooling2D", AveragePooling2D::config_fields().factory());
  r.add_channels_last("MaxPooling1D", MaxPooling1D::config_fields().factory());
  r.add_channels_last("AveragePooling1D", AveragePooling1D::config_fields().factory());
  r.add_channels_last("GlobalAveragePooling2D", GlobalAveragePooling2D::config_fields().factory());
  r.add_channels_last("GlobalMaxPooling2D", GlobalMaxPooling2D::config_fields().factory());
  r.add_channels_last("GlobalAveragePooling1D", GlobalAveragePooling1D::config_fields().factory());
  r.add_channels_last("GlobalMaxPooling1D", GlobalMaxPooling1D::config_fields().factory());
}

}  // namespace strata::layers
