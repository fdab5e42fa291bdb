// Cropping1D/2D/3D, ZeroPadding1D/2D/3D, UpSampling1D/2D/3D and Identity: one implementation
// per family over the number of spatial axes and both layouts.
#include "strata/layers/reshaping.hpp"

#include <algorithm>
#include <cmath>

#include "detail/errors.hpp"
#include "layers/registry.hpp"
#include "strata/layers/fields.hpp"
#include "strata/ops.hpp"

namespace strata::layers {

namespace {
std::string class_of(const char* family, int rank) { return std::string(family) + std::to_string(rank) + "D"; }

std::string layout(int rank, const std::string& data_format) {
  static const char* dims[] = {"", "steps", "height, width", "dim1, dim2, dim3"};
  const std::string spatial = dims[rank];
  return "a " + std::to_string(rank + 2) + "-D input " +
         (data_format == "channels_first" ? "[batch, channels, " + spatial + "]" : "[batch, " + spatial + ", channels]");
}

/// Keras writes (a, b) for one spatial axis and ((a, b), ...) for more.
Config pairs_to_config(const SpatialPairs& p) {
  if (p.size() == 1) return Config::list({p[0].first, p[0].second});
  Config l = Config::list();
  for (const auto& q : p) l.push_back(Config::list({q.first, q.second}));
  return l;
}

/// n (every side), or per axis n or (before, after); (before, after) for one axis.
SpatialPairs pairs_from_config(const Config& v, std::size_t rank, const std::string& cls, const char* key) {
  auto bad = [&]() -> std::int64_t {
    detail::raise<ValueError>("{}: {} must be an integer, {} integers or {} (before, after) pairs, got {}", cls, key,
                              rank, rank, v.dump());
  };
  auto num = [&](const Config& c) { return c.is_int() ? c.as_int() : bad(); };
  if (!v.is_list()) return SpatialPairs(rank, {num(v), num(v)});
  SpatialPairs out;
  if (rank == 1) {
    if (v.size() == 2 && !v[0].is_list()) return {{num(v[0]), num(v[1])}};
    if (v.size() == 1 && v[0].is_list() && v[0].size() == 2) return {{num(v[0][0]), num(v[0][1])}};
    bad();
  }
  if (v.size() != rank) bad();
  for (const auto& item : v.items()) {
    if (item.is_list()) {
      if (item.size() != 2) bad();
      out.emplace_back(num(item[0]), num(item[1]));
    } else {
      out.emplace_back(num(item), num(item));
    }
  }
  return out;
}

std::vector<std::int64_t> sizes_from_config(const Config& v, std::size_t rank, const std::string& cls) {
  auto bad = [&]() -> std::int64_t {
    detail::raise<ValueError>("{}: size must be an integer or {} integers, got {}", cls, rank, v.dump());
  };
  if (!v.is_list()) return std::vector<std::int64_t>(rank, v.is_int() ? v.as_int() : bad());
  if (v.size() != rank) bad();
  std::vector<std::int64_t> out;
  for (const auto& d : v.items()) out.push_back(d.is_int() ? d.as_int() : bad());
  return out;
}

/// Linear interpolation weights along one axis upsampled by `s`: out[i] = x[i0] (1 - f) + x[i1] f.
struct Lerp {
  std::vector<double> i0, i1, f;
};
Lerp lerp_axis(std::int64_t n, std::int64_t s, bool half_pixel) {
  Lerp l;
  for (std::int64_t i = 0; i < n * s; ++i) {
    double src = half_pixel ? (static_cast<double>(i) + 0.5) / static_cast<double>(s) - 0.5
                            : static_cast<double>(i) / static_cast<double>(s);
    src = std::max(src, 0.0);
    const std::int64_t lo = std::min(static_cast<std::int64_t>(std::floor(src)), n - 1);
    l.i0.push_back(static_cast<double>(lo));
    l.i1.push_back(static_cast<double>(std::min(lo + 1, n - 1)));
    l.f.push_back(src - static_cast<double>(lo));
  }
  return l;
}
}  // namespace

// ---- SpatialLayer ---------------------------------------------------------------------------------------------

SpatialLayer::SpatialLayer(int spatial_rank, std::string data_format_)
    : data_format(std::move(data_format_)), spatial_rank_(spatial_rank) {}

void SpatialLayer::check_format(const char* family) const {
  if (data_format != "channels_last" && data_format != "channels_first")
    detail::raise<ValueError>("{}: data_format must be 'channels_last' or 'channels_first', got '{}'",
                              class_of(family, spatial_rank_), data_format);
}

void SpatialLayer::check_pairs(const char* family, const char* key, const SpatialPairs& pairs) const {
  check_format(family);
  const std::string cls = class_of(family, spatial_rank_);
  if (static_cast<int>(pairs.size()) != spatial_rank_)
    detail::raise<ValueError>("{}: {} needs {} (before, after) pairs, got {}", cls, key, spatial_rank_, pairs.size());
  for (const auto& [a, b] : pairs)
    if (a < 0 || b < 0) detail::raise<ValueError>("{}: {} must be non-negative, got ({}, {})", cls, key, a, b);
}

void SpatialLayer::check_rank(const Shape& s) {
  if (static_cast<int>(s.rank()) != spatial_rank_ + 2) fail("expected " + layout(spatial_rank_, data_format), s);
}

void SpatialLayer::build(const Shape&) { set_input_spec({spatial_rank_ + 2, -1, {}}); }

// ---- Cropping ---------------------------------------------------------------------------------------------------

Cropping::Cropping(int spatial_rank, SpatialPairs cropping_, std::string data_format_)
    : SpatialLayer(spatial_rank, std::move(data_format_)), cropping(std::move(cropping_)) {
  validate();
}

void Cropping::validate() const { check_pairs("Cropping", "cropping", cropping); }

Shape Cropping::compute_output_shape(const Shape& s) {
  check_rank(s);
  Shape out = s;
  for (int k = 0; k < spatial_rank_; ++k) {
    const auto axis = static_cast<std::size_t>(spatial_axis(k));
    const auto [a, b] = cropping[static_cast<std::size_t>(k)];
    if (s[axis] < 0) continue;
    if (a + b >= s[axis])
      fail("cropping (" + std::to_string(a) + ", " + std::to_string(b) + ") leaves nothing of spatial dimension " +
               std::to_string(s[axis]),
           s);
    out[axis] = s[axis] - a - b;
  }
  return out;
}

Tensor Cropping::call(const Tensor& x, bool) {
  compute_output_shape(x.shape());  // the checks, with the input's shape in the message
  Tensor y = x;
  for (int k = 0; k < spatial_rank_; ++k) {
    const std::int64_t axis = spatial_axis(k);
    const auto [a, b] = cropping[static_cast<std::size_t>(k)];
    if (a != 0 || b != 0) y = slice_axis(y, axis, a, x.dim(axis) - b);
  }
  return y;
}

// ---- ZeroPadding ------------------------------------------------------------------------------------------------

ZeroPadding::ZeroPadding(int spatial_rank, SpatialPairs padding_, std::string data_format_)
    : SpatialLayer(spatial_rank, std::move(data_format_)), padding(std::move(padding_)) {
  validate();
}

void ZeroPadding::validate() const { check_pairs("ZeroPadding", "padding", padding); }

Shape ZeroPadding::compute_output_shape(const Shape& s) {
  check_rank(s);
  Shape out = s;
  for (int k = 0; k < spatial_rank_; ++k) {
    const auto axis = static_cast<std::size_t>(spatial_axis(k));
    if (s[axis] >= 0) out[axis] = s[axis] + padding[static_cast<std::size_t>(k)].first + padding[static_cast<std::size_t>(k)].second;
  }
  return out;
}

Tensor ZeroPadding::call(const Tensor& x, bool) {
  check_rank(x.shape());
  std::vector<std::pair<std::int64_t, std::int64_t>> all(x.rank(), {0, 0});
  for (int k = 0; k < spatial_rank_; ++k) all[static_cast<std::size_t>(spatial_axis(k))] = padding[static_cast<std::size_t>(k)];
  return pad(x, all);
}

// ---- UpSampling -------------------------------------------------------------------------------------------------

UpSampling::UpSampling(int spatial_rank, std::vector<std::int64_t> size_, std::string interpolation_,
                       std::string data_format_)
    : SpatialLayer(spatial_rank, std::move(data_format_)), size(std::move(size_)), interpolation(std::move(interpolation_)) {
  validate();
}

void UpSampling::validate() const {
  const std::string cls = class_of("UpSampling", spatial_rank_);
  check_format("UpSampling");
  if (static_cast<int>(size.size()) != spatial_rank_)
    detail::raise<ValueError>("{}: size needs {} factors, got {}", cls, spatial_rank_, size.size());
  for (auto s : size)
    if (s <= 0) detail::raise<ValueError>("{}: size factors must be positive, got {}", cls, s);
  if (interpolation != "nearest" && !(spatial_rank_ == 2 && interpolation == "bilinear"))
    detail::raise<ValueError>("{}: interpolation '{}' is not supported ({})", cls, interpolation,
                              spatial_rank_ == 2 ? "nearest and bilinear are" : "it repeats: nearest");
}

Shape UpSampling::compute_output_shape(const Shape& s) {
  check_rank(s);
  Shape out = s;
  for (int k = 0; k < spatial_rank_; ++k) {
    const auto axis = static_cast<std::size_t>(spatial_axis(k));
    if (s[axis] >= 0) out[axis] = s[axis] * size[static_cast<std::size_t>(k)];
  }
  return out;
}

Tensor UpSampling::call(const Tensor& x, bool) {
  check_rank(x.shape());
  if (interpolation == "nearest" && spatial_rank_ == 2 && data_format == "channels_last")
    return nn::upsample2d(x, Size2{size[0], size[1]});  // the fused kernel
  Tensor y = x;
  for (int k = 0; k < spatial_rank_; ++k) {
    const std::int64_t axis = spatial_axis(k), s = size[static_cast<std::size_t>(k)], n = x.dim(axis);
    if (s == 1 || n == 0) continue;
    if (interpolation == "nearest") {
      std::vector<double> idx;
      for (std::int64_t i = 0; i < n * s; ++i) idx.push_back(static_cast<double>(i / s));
      y = gather(y, Tensor::from_vector(idx, {n * s}, DType::int64), axis);
      continue;
    }
    const Lerp l = lerp_axis(n, s, half_pixel_centers);
    Shape fs(std::vector<std::int64_t>(y.rank(), 1));
    fs[static_cast<std::size_t>(axis)] = n * s;
    const Tensor f = Tensor::from_vector(l.f, fs, y.dtype());
    const Tensor lo = gather(y, Tensor::from_vector(l.i0, {n * s}, DType::int64), axis);
    const Tensor hi = gather(y, Tensor::from_vector(l.i1, {n * s}, DType::int64), axis);
    y = add(lo, mul(sub(hi, lo), f));
  }
  return y;
}

// ---- configs ----------------------------------------------------------------------------------------------------

namespace {
template <class L, class B>
void pairs_field(Fields<L>& f, const char* key, SpatialPairs B::*member, std::size_t rank, bool with_format) {
  const std::string cls = f.class_name();
  f.custom(
      key, [member](const L& l) { return pairs_to_config(l.*member); },
      [member, rank, cls, key](L& l, const Config& v) {
        if (!v.is_null()) l.*member = pairs_from_config(v, rank, cls, key);
      });
  if (with_format) f.field("data_format", &L::data_format);
  f.validate(&L::validate);
}

template <class L>
void size_field(Fields<L>& f, std::size_t rank, bool with_format, bool with_interpolation) {
  const std::string cls = f.class_name();
  f.custom(
      "size",
      [rank](const L& l) {
        if (rank == 1) return Config(static_cast<long long>(l.size[0]));  // Keras writes UpSampling1D's as a number
        Config c = Config::list();
        for (auto s : l.size) c.push_back(s);
        return c;
      },
      [rank, cls](L& l, const Config& v) {
        if (!v.is_null()) l.size = sizes_from_config(v, rank, cls);
      });
  if (with_format) f.field("data_format", &L::data_format);
  if (with_interpolation) {
    f.field("interpolation", &L::interpolation);
    // strata's own key, only in the configs of layers loaded from TF.js (its bilinear resize
    // has no half-pixel centres): the TF.js saver takes it out again, the Keras savers refuse it
    f.custom(
         "half_pixel_centers", [](const L& l) { return l.half_pixel_centers ? Config() : Config(false); },
         [](L& l, const Config& v) { l.half_pixel_centers = v.is_null() || v.as_bool(); })
        .omit_null();
  }
  f.validate(&L::validate);
}
}  // namespace

#define STRATA_SPATIAL_FIELDS(Class, adder, ...)                                                \
  const Fields<Class>& Class::config_fields() {                                                 \
    static const auto f = Fields<Class>(#Class).with([](auto& fl) { adder(fl, __VA_ARGS__); }); \
    return f;                                                                                   \
  }                                                                                             \
  Config Class::get_config() const { return config_fields().write(*this, base_config()); }
STRATA_SPATIAL_FIELDS(Cropping1D, pairs_field, "cropping", &Cropping1D::cropping, 1, false)
STRATA_SPATIAL_FIELDS(Cropping2D, pairs_field, "cropping", &Cropping2D::cropping, 2, true)
STRATA_SPATIAL_FIELDS(Cropping3D, pairs_field, "cropping", &Cropping3D::cropping, 3, true)
STRATA_SPATIAL_FIELDS(ZeroPadding1D, pairs_field, "padding", &ZeroPadding1D::padding, 1, false)
STRATA_SPATIAL_FIELDS(ZeroPadding2D, pairs_field, "padding", &ZeroPadding2D::padding, 2, true)
STRATA_SPATIAL_FIELDS(ZeroPadding3D, pairs_field, "padding", &ZeroPadding3D::padding, 3, true)
STRATA_SPATIAL_FIELDS(UpSampling1D, size_field, 1, false, false)
STRATA_SPATIAL_FIELDS(UpSampling2D, size_field, 2, true, true)
STRATA_SPATIAL_FIELDS(UpSampling3D, size_field, 3, true, false)
#undef STRATA_SPATIAL_FIELDS

void register_reshaping_layers(Registry& r) {
  r.add("Cropping1D", Cropping1D::config_fields().factory());
  r.add("Cropping2D", Cropping2D::config_fields().factory());
  r.add("Cropping3D", Cropping3D::config_fields().factory());
  r.add("ZeroPadding1D", ZeroPadding1D::config_fields().factory());
  r.add("ZeroPadding2D", ZeroPadding2D::config_fields().factory());
  r.add("ZeroPadding3D", ZeroPadding3D::config_fields().factory());
  r.add("UpSampling1D", UpSampling1D::config_fields().factory());
  r.add("UpSampling2D", UpSampling2D::config_fields().factory());
  r.add("UpSampling3D", UpSampling3D::config_fields().factory());
  r.add("Identity", [](const Config&) { return std::make_shared<Identity>(); });
}

}  // namespace strata::layers
