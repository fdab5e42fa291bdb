// MaxPooling3D, AveragePooling3D, GlobalAveragePooling3D, GlobalMaxPooling3D and the adaptive
// pooling layers, in both layouts. Box pooling is separable: each spatial axis is pooled in
// turn by the 1-D kernels, on a [before, axis, after] view of the tensor (no transposes).
#include <cmath>

#include "detail/errors.hpp"
#include "layers/registry.hpp"
#include "strata/layers/fields.hpp"
#include "strata/layers/pooling.hpp"
#include "strata/ops.hpp"

namespace strata::layers {

namespace {

/// 1-D max or average pooling of x along `axis`.
Tensor pool_axis(const Tensor& x, std::int64_t axis, bool is_max, std::int64_t k, std::int64_t s,
                 const std::string& padding) {
  std::int64_t before = 1, after = 1;
  const auto ax = static_cast<std::size_t>(axis);
  for (std::size_t d = 0; d < x.rank(); ++d) {
    if (d < ax) before *= x.shape()[d];
    if (d > ax) after *= x.shape()[d];
  }
  const Tensor v = reshape(x, {before, x.shape()[ax], after});
  const Tensor p = is_max ? nn::max_pool1d(v, k, s, padding) : nn::avg_pool1d(v, k, s, padding);
  Shape out = x.shape();
  out[ax] = p.dim(1);
  return reshape(p, out);
}

struct Sizes3 {  // an integer or three
  static Config write(const std::vector<std::int64_t>& v) { return ConfigCodec<std::vector<std::int64_t>>::write(v); }
  static std::vector<std::int64_t> decode(const Config& c) {
    if (!c.is_list()) return std::vector<std::int64_t>(3, c.as_int());
    return ConfigCodec<std::vector<std::int64_t>>::decode(c);
  }
  static void reset(std::vector<std::int64_t>&) {}
};

}  // namespace

// ---- Pooling3D --------------------------------------------------------------------------------------------------

Pooling3D::Pooling3D(bool is_max, std::vector<std::int64_t> pool_size_, std::optional<std::vector<std::int64_t>> strides_,
                     std::string padding_, std::string data_format_)
    : SpatialLayer(3, std::move(data_format_)),
      pool_size(std::move(pool_size_)),
      strides(std::move(strides_)),
      padding(std::move(padding_)),
      is_max_(is_max) {
  validate();
}

void Pooling3D::validate() const {
  const char* family = is_max_ ? "MaxPooling" : "AveragePooling";
  const std::string cls = std::string(family) + "3D";
  check_format(family);
  auto positive = [&](const std::vector<std::int64_t>& v, const char* what) {
    if (v.size() != 3) detail::raise<ValueError>("{}: {} needs 3 values, got {}", cls, what, v.size());
    for (auto d : v)
      if (d <= 0) detail::raise<ValueError>("{}: {} must be positive, got {}", cls, what, d);
  };
  positive(pool_size, "pool_size");
  if (strides) positive(*strides, "strides");
  if (padding != "valid" && padding != "same")
    detail::raise<ValueError>("{}: padding must be 'valid' or 'same', got '{}'", cls, padding);
}

Shape Pooling3D::compute_output_shape(const Shape& s) {
  check_rank(s);
  const std::vector<std::int64_t> st = strides.value_or(pool_size);
  Shape out = s;
  for (int k = 0; k < 3; ++k) {
    const auto ax = static_cast<std::size_t>(spatial_axis(k));
    const std::int64_t in = s[ax], p = pool_size[static_cast<std::size_t>(k)];
    if (in < 0) continue;
    if (padding == "valid" && in < p) fail("the pool is larger than the input under 'valid' padding", s);
    out[ax] = nn::conv_output_length(in, p, st[static_cast<std::size_t>(k)], padding);
  }
  return out;
}

Tensor Pooling3D::call(const Tensor& x, bool) {
  compute_output_shape(x.shape());
  const std::vector<std::int64_t> st = strides.value_or(pool_size);
  Tensor y = x;
  for (int k = 0; k < 3; ++k)
    y = pool_axis(y, spatial_axis(k), is_max_, pool_size[static_cast<std::size_t>(k)], st[static_cast<std::size_t>(k)],
                  padding);
  return y;
}

#define STRATA_POOLING3D_FIELDS(Class)                                                                   \
  const Fields<Class>& Class::config_fields() {                                                          \
    static const auto f =                                                                                \
        Fields<Class>(#Class)                                                                            \
            .field("pool_size", &Class::pool_size, Sizes3{})                                             \
            .field("padding", &Class::padding)                                                           \
            .custom(                                                                                     \
                "strides", [](const Class& l) { return Sizes3::write(l.strides.value_or(l.pool_size)); }, \
                [](Class& l, const Config& v) {                                                          \
                  l.strides = v.is_null() ? std::nullopt : std::optional(Sizes3::decode(v));             \
                })                                                                                       \
            .field("data_format", &Class::data_format)                                                   \
            .validate(&Class::validate);                                                                 \
    return f;                                                                                            \
  }                                                                                                      \
  Config Class::get_config() const { return config_fields().write(*this, base_config()); }
STRATA_POOLING3D_FIELDS(MaxPooling3D)
STRATA_POOLING3D_FIELDS(AveragePooling3D)
#undef STRATA_POOLING3D_FIELDS

// ---- GlobalPooling3D --------------------------------------------------------------------------------------------

GlobalPooling3D::GlobalPooling3D(bool is_max, bool keepdims_, std::string data_format_)
    : SpatialLayer(3, std::move(data_format_)), keepdims(keepdims_), is_max_(is_max) {
  check_format(is_max ? "GlobalMaxPooling" : "GlobalAveragePooling");
}

Shape GlobalPooling3D::compute_output_shape(const Shape& s) {
  check_rank(s);
  const std::size_t c = data_format == "channels_first" ? 1 : 4;
  if (!keepdims) return {s[0], s[c]};
  Shape out = Shape::filled(5, 1);
  out[0] = s[0];
  out[c] = s[c];
  return out;
}

Tensor GlobalPooling3D::call(const Tensor& x, bool) {
  check_rank(x.shape());
  const Axes axes = {spatial_axis(0), spatial_axis(1), spatial_axis(2)};
  return is_max_ ? max(x, axes, keepdims) : mean(x, axes, keepdims);
}

#define STRATA_GLOBAL3D_FIELDS(Class)                                                                            \
  const Fields<Class>& Class::config_fields() {                                                                  \
    static const auto f = Fields<Class>(#Class).field("data_format", &Class::data_format).field("keepdims",       \
                                                                                                 &Class::keepdims); \
    return f;                                                                                                    \
  }                                                                                                              \
  Config Class::get_config() const { return config_fields().write(*this, base_config()); }
STRATA_GLOBAL3D_FIELDS(GlobalAveragePooling3D)
STRATA_GLOBAL3D_FIELDS(GlobalMaxPooling3D)
#undef STRATA_GLOBAL3D_FIELDS

// ---- AdaptivePooling --------------------------------------------------------------------------------------------

AdaptivePooling::AdaptivePooling(int spatial_rank, bool is_max, std::vector<std::int64_t> output_size_,
                                 std::string data_format_)
    : SpatialLayer(spatial_rank, std::move(data_format_)), output_size(std::move(output_size_)), is_max_(is_max) {
  validate();
}

void AdaptivePooling::validate() const {
  const char* family = is_max_ ? "AdaptiveMaxPooling" : "AdaptiveAveragePooling";
  check_format(family);
  if (static_cast<int>(output_size.size()) != spatial_rank_)
    detail::raise<ValueError>("{}{}D: output_size needs {} values, got {}", family, spatial_rank_, spatial_rank_,
                              output_size.size());
  for (auto d : output_size)
    if (d <= 0) detail::raise<ValueError>("{}{}D: output_size must be positive, got {}", family, spatial_rank_, d);
}

Shape AdaptivePooling::compute_output_shape(const Shape& s) {
  check_rank(s);
  Shape out = s;
  for (int k = 0; k < spatial_rank_; ++k) out[static_cast<std::size_t>(spatial_axis(k))] = output_size[static_cast<std::size_t>(k)];
  return out;
}

Tensor AdaptivePooling::call(const Tensor& x, bool) {
  check_rank(x.shape());
  Tensor y = x;
  for (int k = 0; k < spatial_rank_; ++k) {
    const std::int64_t axis = spatial_axis(k), len = y.dim(axis), out = output_size[static_cast<std::size_t>(k)];
    if (len == 0) fail("cannot pool an empty spatial axis", x.shape());
    std::vector<Tensor> parts;
    for (std::int64_t i = 0; i < out; ++i) {
      const std::int64_t start = (i * len) / out, stop = ((i + 1) * len + out - 1) / out;  // floor, ceil
      const Tensor w = slice_axis(y, axis, start, stop);
      parts.push_back(is_max_ ? max(w, axis, true) : mean(w, axis, true));
    }
    y = concat(parts, axis);
  }
  return y;
}

namespace {
template <class L>
void adaptive_fields(Fields<L>& f, std::size_t rank) {
  f.custom(
      "output_size", [](const L& l) { return ConfigCodec<std::vector<std::int64_t>>::write(l.output_size); },
      [rank](L& l, const Config& v) {
        if (v.is_null()) return;
        l.output_size = v.is_list() ? ConfigCodec<std::vector<std::int64_t>>::decode(v)
                                    : std::vector<std::int64_t>(rank, v.as_int());
      });
  f.field("data_format", &L::data_format).validate(&L::validate);
}
}  // namespace

#define STRATA_ADAPTIVE_FIELDS(Class, rank)                                                         \
  const Fields<Class>& Class::config_fields() {                                                     \
    static const auto f = Fields<Class>(#Class).with([](auto& fl) { adaptive_fields(fl, rank); });   \
    return f;                                                                                       \
  }                                                                                                 \
  Config Class::get_config() const { return config_fields().write(*this, base_config()); }
STRATA_ADAPTIVE_FIELDS(AdaptiveAveragePooling1D, 1)
STRATA_ADAPTIVE_FIELDS(AdaptiveAveragePooling2D, 2)
STRATA_ADAPTIVE_FIELDS(AdaptiveAveragePooling3D, 3)
STRATA_ADAPTIVE_FIELDS(AdaptiveMaxPooling1D, 1)
STRATA_ADAPTIVE_FIELDS(AdaptiveMaxPooling2D, 2)
STRATA_ADAPTIVE_FIELDS(AdaptiveMaxPooling3D, 3)
#undef STRATA_ADAPTIVE_FIELDS

void register_pooling_nd_layers(Registry& r) {
  r.add("MaxPooling3D", MaxPooling3D::config_fields().factory());
  r.add("AveragePooling3D", AveragePooling3D::config_fields().factory());
  r.add("GlobalAveragePooling3D", GlobalAveragePooling3D::config_fields().factory());
  r.add("GlobalMaxPooling3D", GlobalMaxPooling3D::config_fields().factory());
  r.add("AdaptiveAveragePooling1D", AdaptiveAveragePooling1D::config_fields().factory());
  r.add("AdaptiveAveragePooling2D", AdaptiveAveragePooling2D::config_fields().factory());
  r.add("AdaptiveAveragePooling3D", AdaptiveAveragePooling3D::config_fields().factory());
  r.add("AdaptiveMaxPooling1D", AdaptiveMaxPooling1D::config_fields().factory());
  r.add("AdaptiveMaxPooling2D", AdaptiveMaxPooling2D::config_fields().factory());
  r.add("AdaptiveMaxPooling3D", AdaptiveMaxPooling3D::config_fields().factory());
}

}  // namespace strata::layers
