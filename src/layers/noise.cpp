// The noise and regularization layers: GaussianNoise, GaussianDropout, AlphaDropout,
// SpatialDropout1D/2D/3D and ActivityRegularization (Keras 3's arithmetic and configs).
#include "strata/layers/noise.hpp"

#include <cmath>

#include "detail/errors.hpp"
#include "layers/registry.hpp"
#include "strata/layers/fields.hpp"
#include "strata/ops.hpp"

namespace strata::layers {

namespace {
void check_rate(const char* cls, double rate) {
  if (!(rate >= 0.0 && rate < 1.0)) detail::raise<ValueError>("{}: rate must be in [0, 1), got {}", cls, rate);
}
}  // namespace

std::uint64_t NoiseLayer::next_seed() {
  if (seed && !gen_) gen_.emplace(*seed);
  return gen_ ? gen_->next_u64() : global_seed_draw();
}

// ---- GaussianNoise, GaussianDropout ---------------------------------------------------------------------

GaussianNoise::GaussianNoise(double stddev_, std::optional<std::uint64_t> seed_) : NoiseLayer(seed_), stddev(stddev_) {
  validate();
}
void GaussianNoise::validate() const {
  if (!(stddev >= 0.0 && std::isfinite(stddev)))
    detail::raise<ValueError>("GaussianNoise: stddev must be a finite number >= 0, got {}", stddev);
}
Tensor GaussianNoise::call(const Tensor& x, bool training) {
  if (!training || stddev == 0.0) return x;
  Generator g(next_seed());
  return add(x, Tensor::random_normal(x.shape(), 0.0, stddev, x.dtype(), g));
}
const Fields<GaussianNoise>& GaussianNoise::config_fields() {
  static const auto f = Fields<GaussianNoise>("GaussianNoise")
                            .args("stddev", &GaussianNoise::stddev)
                            .field("seed", &GaussianNoise::seed)
                            .validate(&GaussianNoise::validate);
  return f;
}
Config GaussianNoise::get_config() const { return config_fields().write(*this, base_config()); }

GaussianDropout::GaussianDropout(double rate_, std::optional<std::uint64_t> seed_) : NoiseLayer(seed_), rate(rate_) {
  validate();
}
void GaussianDropout::validate() const { check_rate("GaussianDropout", rate); }
Tensor GaussianDropout::call(const Tensor& x, bool training) {
  if (!training || rate == 0.0) return x;
  Generator g(next_seed());
  return mul(x, Tensor::random_normal(x.shape(), 1.0, std::sqrt(rate / (1.0 - rate)), x.dtype(), g));
}
const Fields<GaussianDropout>& GaussianDropout::config_fields() {
  static const auto f = Fields<GaussianDropout>("GaussianDropout")
                            .args("rate", &GaussianDropout::rate)
                            .field("seed", &GaussianDropout::seed)
                            .validate(&GaussianDropout::validate);
  return f;
}
Config GaussianDropout::get_config() const { return config_fields().write(*this, base_config()); }

// ---- AlphaDropout -----------------------------------------------------------------------------------------

AlphaDropout::AlphaDropout(double rate_, std::vector<std::int64_t> noise_shape_, std::optional<std::uint64_t> seed_)
    : NoiseLayer(seed_), rate(rate_), noise_shape(std::move(noise_shape_)) {
  validate();
}
void AlphaDropout::validate() const {
  check_rate("AlphaDropout", rate);
  for (auto d : noise_shape)
    if (d == 0 || d < -1) detail::raise<ValueError>("AlphaDropout: noise_shape entries must be positive or null, got {}", d);
}
Tensor AlphaDropout::call(const Tensor& x, bool training) {
  if (!training || rate == 0.0) return x;
  Shape ns = x.shape();
  if (!noise_shape.empty()) {
    if (noise_shape.size() != x.rank())
      fail("noise_shape has " + std::to_string(noise_shape.size()) + " dimensions for an input of rank " +
               std::to_string(x.rank()),
           x.shape());
    for (std::size_t d = 0; d < x.rank(); ++d)
      if (noise_shape[d] >= 0) {
        if (noise_shape[d] != 1 && noise_shape[d] != ns[d])
          fail("noise_shape dimension " + std::to_string(noise_shape[d]) + " does not broadcast to the input",
               x.shape());
        ns[d] = noise_shape[d];
      }
  }
  // SELU's negative saturation value; dropped units take it, then y = a x + b keeps the mean
  // and variance of a standardised input.
  const double alpha_p = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946;
  const double a = 1.0 / std::sqrt((1.0 - rate) * (1.0 + rate * alpha_p * alpha_p));
  const double b = -a * alpha_p * rate;
  Generator g(next_seed());
  const Tensor u = Tensor::random_uniform(ns, 0.0, 1.0, x.dtype(), g);
  const Tensor kept = cast(greater_equal(u, rate), x.dtype());
  // a * (x * kept + alpha_p * (1 - kept)) + b
  return add(mul(x, mul(kept, a)), add(mul(kept, -a * alpha_p), a * alpha_p + b));
}
const Fields<AlphaDropout>& AlphaDropout::config_fields() {
  static const auto f = Fields<AlphaDropout>("AlphaDropout")
                            .args("rate", &AlphaDropout::rate)
                            .field("seed", &AlphaDropout::seed)
                            .field("noise_shape", &AlphaDropout::noise_shape, IntListOrNull{})
                            .validate(&AlphaDropout::validate);
  return f;
}
Config AlphaDropout::get_config() const { return config_fields().write(*this, base_config()); }

// ---- SpatialDropout1D/2D/3D -------------------------------------------------------------------------------

SpatialDropout::SpatialDropout(int spatial_rank, double rate_, std::string data_format_,
                               std::optional<std::uint64_t> seed_)
    : NoiseLayer(seed_), rate(rate_), data_format(std::move(data_format_)), spatial_rank_(spatial_rank) {
  validate();
}
void SpatialDropout::validate() const {
  check_rate(spatial_rank_ == 1 ? "SpatialDropout1D" : spatial_rank_ == 2 ? "SpatialDropout2D" : "SpatialDropout3D",
             rate);
  if (data_format != "channels_last" && data_format != "channels_first")
    detail::raise<ValueError>("SpatialDropout{}D: data_format must be 'channels_last' or 'channels_first', got '{}'",
                              spatial_rank_, data_format);
}
void SpatialDropout::build(const Shape&) { set_input_spec({spatial_rank_ + 2, -1, {}}); }
Tensor SpatialDropout::call(const Tensor& x, bool training) {
  if (!training || rate == 0.0) return x;
  // one draw per (example, channel), broadcast over the spatial axes
  std::vector<std::int64_t> ns(x.rank(), 1);
  ns[0] = x.dim(0);
  const std::size_t channel = data_format == "channels_first" ? 1 : x.rank() - 1;
  ns[channel] = x.shape()[channel];
  return mul(x, nn::dropout(Tensor::ones(Shape(ns), x.dtype()), rate, next_seed(), true));
}

namespace {
template <class L>
void spatial_fields(Fields<L>& f, bool with_format) {
  f.field("rate", &L::rate).required();
  f.field("seed", &L::seed);
  f.unsupported("noise_shape", Config(), false);  // Keras 2 and TF.js write a null one
  if (with_format) f.field("data_format", &L::data_format);
  f.validate(&L::validate);
}
}  // namespace

#define STRATA_SPATIAL_DROPOUT_FIELDS(Class, with_format)                                       \
  const Fields<Class>& Class::config_fields() {                                                 \
    static const auto f = Fields<Class>(#Class)                                                 \
                              .construct([] { return std::make_shared<Class>(0.0); })           \
                              .with([](auto& fl) { spatial_fields(fl, with_format); });         \
    return f;                                                                                   \
  }                                                                                             \
  Config Class::get_config() const { return config_fields().write(*this, base_config()); }
STRATA_SPATIAL_DROPOUT_FIELDS(SpatialDropout1D, false)
STRATA_SPATIAL_DROPOUT_FIELDS(SpatialDropout2D, true)
STRATA_SPATIAL_DROPOUT_FIELDS(SpatialDropout3D, true)
#undef STRATA_SPATIAL_DROPOUT_FIELDS

// ---- ActivityRegularization -------------------------------------------------------------------------------

ActivityRegularization::ActivityRegularization(double l1_, double l2_) : l1(l1_), l2(l2_) {
  validate();
  update_regularizer();
}
void ActivityRegularization::validate() const {
  if (!(l1 >= 0.0 && std::isfinite(l1)) || !(l2 >= 0.0 && std::isfinite(l2)))
    detail::raise<ValueError>("ActivityRegularization: l1 and l2 must be finite numbers >= 0, got {} and {}", l1, l2);
}
void ActivityRegularization::update_regularizer() { activity_regularizer = regularizers::l1_l2(l1, l2); }
Config ActivityRegularization::get_config() const {
  Config c = config_fields().write(*this, base_config());
  c.erase("activity_regularizer");  // it is l1 and l2, as Keras writes it
  return c;
}
const Fields<ActivityRegularization>& ActivityRegularization::config_fields() {
  auto factor = [](double ActivityRegularization::*m) {
    return [m](ActivityRegularization& l, const Config& v) {
      if (!v.is_null()) l.*m = v.as_double();
      l.validate();
      l.update_regularizer();
    };
  };
  static const auto f =
      Fields<ActivityRegularization>("ActivityRegularization")
          .custom("l1", [](const ActivityRegularization& l) { return Config(l.l1); }, factor(&ActivityRegularization::l1))
          .custom("l2", [](const ActivityRegularization& l) { return Config(l.l2); }, factor(&ActivityRegularization::l2));
  return f;
}

void register_noise_layers(Registry& r) {
  r.add("GaussianNoise", GaussianNoise::config_fields().factory());
  r.add("GaussianDropout", GaussianDropout::config_fields().factory());
  r.add("AlphaDropout", AlphaDropout::config_fields().factory());
  r.add("SpatialDropout1D", SpatialDropout1D::config_fields().factory());
  r.add("SpatialDropout2D", SpatialDropout2D::config_fields().factory());
  r.add("SpatialDropout3D", SpatialDropout3D::config_fields().factory());
  r.add("ActivityRegularization", ActivityRegularization::config_fields().factory());
}

}  // namespace strata::layers
