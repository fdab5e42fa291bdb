#include "strata/layers/pooling.hpp"

#include "detail/errors.hpp"
#include "layers/config_util.hpp"
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

Config Pooling::get_config() const {
  Config c = base_config();
  const Size2 st = strides.value_or(pool_size);
  if (rank_ == 2) {
    c["pool_size"] = cfg::pair(pool_size.h, pool_size.w);
    c["padding"] = padding;
    c["strides"] = cfg::pair(st.h, st.w);
  } else {
    c["pool_size"] = Config::list({pool_size.w});
    c["padding"] = padding;
    c["strides"] = Config::list({st.w});
  }
  c["data_format"] = "channels_last";
  return c;
}

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

Config GlobalPooling::get_config() const {
  Config c = base_config();
  c["data_format"] = "channels_last";
  c["keepdims"] = keepdims;
  return c;
}

// ---- UpSampling2D, ZeroPadding2D ---------------------------------------------------------------------------------

UpSampling2D::UpSampling2D(Size2 size_) : size(size_) {
  if (size.h <= 0 || size.w <= 0) detail::raise<ValueError>("UpSampling2D: size ({}, {}) must be positive", size.h, size.w);
  set_input_spec({4, -1, {}});
}

Tensor UpSampling2D::call(const Tensor& x, bool) { return nn::upsample2d(x, size); }

Shape UpSampling2D::compute_output_shape(const Shape& s) {
  if (s.rank() != 4) fail("expected a 4-D input [batch, height, width, channels]", s);
  return {s[0], s[1] < 0 ? -1 : s[1] * size.h, s[2] < 0 ? -1 : s[2] * size.w, s[3]};
}

Config UpSampling2D::get_config() const {
  Config c = base_config();
  c["size"] = cfg::pair(size.h, size.w);
  c["data_format"] = "channels_last";
  c["interpolation"] = "nearest";
  return c;
}

ZeroPadding2D::ZeroPadding2D(std::int64_t p) : ZeroPadding2D({p, p}, {p, p}) {}

ZeroPadding2D::ZeroPadding2D(std::pair<std::int64_t, std::int64_t> h, std::pair<std::int64_t, std::int64_t> w)
    : height(h), width(w) {
  if (h.first < 0 || h.second < 0 || w.first < 0 || w.second < 0)
    throw ValueError("ZeroPadding2D: padding must be non-negative");
  set_input_spec({4, -1, {}});
}

Tensor ZeroPadding2D::call(const Tensor& x, bool) { return nn::zero_pad2d(x, height, width); }

Shape ZeroPadding2D::compute_output_shape(const Shape& s) {
  if (s.rank() != 4) fail("expected a 4-D input [batch, height, width, channels]", s);
  return {s[0], s[1] < 0 ? -1 : s[1] + height.first + height.second, s[2] < 0 ? -1 : s[2] + width.first + width.second,
          s[3]};
}

Config ZeroPadding2D::get_config() const {
  Config c = base_config();
  c["padding"] = Config::list({cfg::pair(height.first, height.second), cfg::pair(width.first, width.second)});
  c["data_format"] = "channels_last";
  return c;
}

// ---- registration -----------------------------------------------------------------------------------------------

namespace {
Size2 size2(const Config& c, const char* key, std::int64_t fallback) {
  const Config* v = c.find(key);
  if (!v || v->is_null()) return fallback;
  return {cfg::pair_at(*v, 0), cfg::pair_at(*v, 1)};
}
std::optional<Size2> opt_size2(const Config& c, const char* key) {
  const Config* v = c.find(key);
  if (!v || v->is_null()) return std::nullopt;
  return Size2{cfg::pair_at(*v, 0), cfg::pair_at(*v, 1)};
}
std::optional<std::int64_t> opt_int(const Config& c, const char* key) {
  const Config* v = c.find(key);
  if (!v || v->is_null()) return std::nullopt;
  return cfg::pair_at(*v, 0);
}

}  // namespace

void register_pooling_layers(Registry& r) {
  r.add_channels_last("MaxPooling2D", [](const Config& c) {
    return std::make_shared<MaxPooling2D>(size2(c, "pool_size", 2), opt_size2(c, "strides"), c.get_string("padding", "valid"));
  });
  r.add_channels_last("AveragePooling2D", [](const Config& c) {
    return std::make_shared<AveragePooling2D>(size2(c, "pool_size", 2), opt_size2(c, "strides"),
                                              c.get_string("padding", "valid"));
  });
  r.add_channels_last("MaxPooling1D", [](const Config& c) {
    return std::make_shared<MaxPooling1D>(opt_int(c, "pool_size").value_or(2), opt_int(c, "strides"),
                                          c.get_string("padding", "valid"));
  });
  r.add_channels_last("AveragePooling1D", [](const Config& c) {
    return std::make_shared<AveragePooling1D>(opt_int(c, "pool_size").value_or(2), opt_int(c, "strides"),
                                              c.get_string("padding", "valid"));
  });
  r.add_channels_last("GlobalAveragePooling2D",
                 [](const Config& c) { return std::make_shared<GlobalAveragePooling2D>(c.get_bool("keepdims", false)); });
  r.add_channels_last("GlobalMaxPooling2D",
                 [](const Config& c) { return std::make_shared<GlobalMaxPooling2D>(c.get_bool("keepdims", false)); });
  r.add_channels_last("GlobalAveragePooling1D",
                 [](const Config& c) { return std::make_shared<GlobalAveragePooling1D>(c.get_bool("keepdims", false)); });
  r.add_channels_last("GlobalMaxPooling1D",
                 [](const Config& c) { return std::make_shared<GlobalMaxPooling1D>(c.get_bool("keepdims", false)); });
  r.add_channels_last("UpSampling2D", [](const Config& c) {
    cfg::refuse_unless_default(c, "UpSampling2D", "interpolation", "nearest");
    return std::make_shared<UpSampling2D>(size2(c, "size", 2));
  });
  r.add_channels_last("ZeroPadding2D", [](const Config& c) {
    const Config* p = c.find("padding");
    if (!p || p->is_null()) return std::make_shared<ZeroPadding2D>(1);
    if (!p->is_list()) return std::make_shared<ZeroPadding2D>(p->as_int());
    const Config& h = (*p)[0];
    const Config& w = (*p)[1];
    auto both = [](const Config& v) {
      return v.is_list() ? std::pair<std::int64_t, std::int64_t>{v[0].as_int(), v[1].as_int()}
                         : std::pair<std::int64_t, std::int64_t>{v.as_int(), v.as_int()};
    };
    return std::make_shared<ZeroPadding2D>(both(h), both(w));
  });
}

}  // namespace strata::layers
