#include "strata/layers/normalization.hpp"

#include <algorithm>

#include "detail/errors.hpp"
#include "strata/layers/fields.hpp"
#include "layers/registry.hpp"
#include "strata/autograd/tape.hpp"
#include "strata/ops.hpp"

namespace strata::layers {

// ---- BatchNormalization ------------------------------------------------------------------------------------------

BatchNormalization::BatchNormalization(std::int64_t axis_, double momentum_, double epsilon_, bool center_, bool scale_)
    : axis(axis_), momentum(momentum_), epsilon(epsilon_) {
  center = center_;
  scale = scale_;
  validate();
}

void BatchNormalization::validate() const {
  if (!(momentum >= 0 && momentum <= 1))
    detail::raise<ValueError>("BatchNormalization: momentum must be in [0, 1], got {}", momentum);
  if (!(epsilon > 0)) detail::raise<ValueError>("BatchNormalization: epsilon must be positive, got {}", epsilon);
}

void BatchNormalization::build(const Shape& s) {
  if (s.rank() < 1) fail("expected an input of rank >= 1", s);
  axis_ = normalize_axis(axis, s.rank(), "BatchNormalization");
  const std::int64_t c = s[axis_];
  if (c < 0) fail("the normalized axis must have a known size", s);
  param_shape_ = Shape::filled(s.rank(), 1);
  param_shape_[axis_] = c;
  if (scale) gamma = add_weight("gamma", {c}, gamma_initializer, gamma_regularizer, gamma_constraint);
  if (center) beta = add_weight("beta", {c}, beta_initializer, beta_regularizer, beta_constraint);
  moving_mean = add_weight("moving_mean", {c}, moving_mean_initializer, {}, {}, false);
  moving_variance = add_weight("moving_variance", {c}, moving_variance_initializer, {}, {}, false);
  set_input_spec({static_cast<int>(s.rank()), -1, {{static_cast<std::int64_t>(axis_), c}}});
}

Tensor BatchNormalization::call(const Tensor& x, bool training) {
  auto shaped = [&](const Tensor& p) { return p.defined() ? reshape(p, param_shape_) : Tensor(); };
  const Tensor g = scale ? shaped(gamma) : Tensor();
  const Tensor b = center ? shaped(beta) : Tensor();
  // An empty batch has no statistics: it gives an empty output and leaves the moving ones as
  // they are (rather than averaging them with NaN).
  if (!training || !trainable() || x.size() == 0)
    return nn::batch_norm(x, shaped(moving_mean), shaped(moving_variance), b, g, epsilon);
  Axes reduce;
  for (std::size_t d = 0; d < x.rank(); ++d)
    if (d != axis_) reduce.push_back(static_cast<std::int64_t>(d));
  const auto [mean, var] = nn::moments(x, reduce, true);
  {
    NoGradGuard no_grad;  // the moving statistics are not differentiated
    moving_mean.assign(add(mul(moving_mean, momentum), mul(reshape(mean, moving_mean.shape()), 1 - momentum)));
    moving_variance.assign(
        add(mul(moving_variance, momentum), mul(reshape(var, moving_variance.shape()), 1 - momentum)));
  }
  return nn::batch_norm(x, mean, var, b, g, epsilon);
}

namespace {
/// One axis: Keras 3 writes a number, Keras 2 a list of one.
struct OneAxis {
  static Config write(std::int64_t a) { return Config(static_cast<long long>(a)); }
  static std::int64_t decode(const Config& c) {
    if (!c.is_list()) return c.as_int();
    if (c.size() != 1) throw ValueError("only one normalized axis is supported, got " + c.dump());
    return c[0].as_int();
  }
  static void reset(std::int64_t&) {}
};
/// Axes written as a number when there is one.
struct AxesCodec {
  using List = ConfigCodec<std::vector<std::int64_t>>;
  static Config write(const std::vector<std::int64_t>& v) {
    return v.size() == 1 ? Config(static_cast<long long>(v[0])) : List::write(v);
  }
  static std::vector<std::int64_t> decode(const Config& c) { return List::decode(c); }
  static void reset(std::vector<std::int64_t>&) {}
};
/// center, scale and the beta/gamma initializers, regularizers and constraints, in Keras's order
/// (BatchNormalization's moving-statistics initializers come after the two initializers).
struct NormFields {
  template <class L>
  void operator()(Fields<L>& f) const {
    f.field("center", &L::center).field("scale", &L::scale);
    f.field("beta_initializer", &L::beta_initializer).field("gamma_initializer", &L::gamma_initializer);
    if constexpr (std::is_same_v<L, BatchNormalization>)
      f.field("moving_mean_initializer", &L::moving_mean_initializer)
          .field("moving_variance_initializer", &L::moving_variance_initializer);
    f.field("beta_regularizer", &L::beta_regularizer)
        .field("gamma_regularizer", &L::gamma_regularizer)
        .field("beta_constraint", &L::beta_constraint)
        .field("gamma_constraint", &L::gamma_constraint);
  }
};
}  // namespace

const Fields<BatchNormalization>& BatchNormalization::config_fields() {
  static const auto f = Fields<BatchNormalization>("BatchNormalization")
                            .field("axis", &BatchNormalization::axis, OneAxis{})
                            .field("momentum", &BatchNormalization::momentum)
                            .field("epsilon", &BatchNormalization::epsilon)
                            .with(NormFields{})
                            // Keras 2's batch renormalization and ghost batches change the statistics
                            .unsupported("renorm", false, /*written=*/false)
                            .unsupported("virtual_batch_size", Config(), /*written=*/false)
                            .validate(&BatchNormalization::validate);
  return f;
}
Config BatchNormalization::get_config() const { return config_fields().write(*this, base_config()); }

// ---- LayerNormalization --------------------------------------------------------------------------------------------

LayerNormalization::LayerNormalization(std::vector<std::int64_t> axes_, double epsilon_, bool center_, bool scale_)
    : axes(std::move(axes_)), epsilon(epsilon_) {
  center = center_;
  scale = scale_;
  validate();
}

void LayerNormalization::validate() const {
  if (axes.empty()) throw ValueError("LayerNormalization: axes cannot be empty");
  if (!(epsilon > 0)) detail::raise<ValueError>("LayerNormalization: epsilon must be positive, got {}", epsilon);
}

void LayerNormalization::build(const Shape& s) {
  norm_axes_.clear();
  param_shape_ = Shape::filled(s.rank(), 1);
  InputSpec spec{static_cast<int>(s.rank()), -1, {}};
  for (auto a : axes) {
    const std::size_t ax = normalize_axis(a, s.rank(), "LayerNormalization");
    if (ax == 0) fail("cannot normalize over the batch axis", s);
    if (s[ax] < 0) fail("the normalized axes must have known sizes", s);
    norm_axes_.push_back(static_cast<std::int64_t>(ax));
    param_shape_[ax] = s[ax];
    spec.axes[static_cast<std::int64_t>(ax)] = s[ax];
  }
  std::sort(norm_axes_.begin(), norm_axes_.end());
  Shape weight_shape;
  for (auto a : norm_axes_) weight_shape.push_back(s[static_cast<std::size_t>(a)]);
  if (scale || rms_scaling)
    gamma = add_weight("gamma", weight_shape, gamma_initializer, gamma_regularizer, gamma_constraint);
  if (center && !rms_scaling) beta = add_weight("beta", weight_shape, beta_initializer, beta_regularizer, beta_constraint);
  set_input_spec(spec);
}

Tensor LayerNormalization::call(const Tensor& x, bool) {
  if (rms_scaling)  // Keras 3's: the variance (about the mean), no centring
    return mul(mul(x, rsqrt(add(var(x, norm_axes_, true), epsilon))), reshape(gamma, param_shape_));
  const Tensor g = scale ? reshape(gamma, param_shape_) : Tensor();
  const Tensor b = center ? reshape(beta, param_shape_) : Tensor();
  return nn::layer_norm(x, g, b, norm_axes_, epsilon);
}

const Fields<LayerNormalization>& LayerNormalization::config_fields() {
  static const auto f = Fields<LayerNormalization>("LayerNormalization")
                            .field("axis", &LayerNormalization::axes, AxesCodec{})
                            .field("epsilon", &LayerNormalization::epsilon)
                            .with(NormFields{})
                            .custom(  // written when set: Keras 2 and TF.js do not know the key
                                "rms_scaling",
                                [](const LayerNormalization& l) { return l.rms_scaling ? Config(true) : Config(); },
                                [](LayerNormalization& l, const Config& v) { l.rms_scaling = !v.is_null() && v.as_bool(); })
                            .omit_null()
                            .validate(&LayerNormalization::validate);
  return f;
}
Config LayerNormalization::get_config() const { return config_fields().write(*this, base_config()); }

// ---- GroupNormalization -------------------------------------------------------------------------------------------

GroupNormalization::GroupNormalization(std::int64_t groups_, std::int64_t axis_, double epsilon_, bool center_,
                                       bool scale_)
    : groups(groups_), axis(axis_), epsilon(epsilon_) {
  center = center_;
  scale = scale_;
  validate();
}

void GroupNormalization::validate() const {
  if (groups == 0 || groups < -1)
    detail::raise<ValueError>("GroupNormalization: groups must be positive or -1 (one per channel), got {}", groups);
  if (!(epsilon > 0)) detail::raise<ValueError>("GroupNormalization: epsilon must be positive, got {}", epsilon);
}

void GroupNormalization::build(const Shape& s) {
  if (s.rank() < 2) fail("expected an input of rank >= 2", s);
  axis_ = normalize_axis(axis, s.rank(), "GroupNormalization");
  if (axis_ == 0) fail("cannot normalize over the batch axis", s);
  const std::int64_t c = s[axis_];
  if (c < 0) fail("the channel axis must have a known size", s);
  groups_ = groups == -1 ? c : groups;
  if (c < groups_ || c % groups_ != 0)
    fail("groups (" + std::to_string(groups_) + ") must divide the number of channels (" + std::to_string(c) + ")", s);
  if (scale) gamma = add_weight("gamma", {c}, gamma_initializer, gamma_regularizer, gamma_constraint);
  if (center) beta = add_weight("beta", {c}, beta_initializer, beta_regularizer, beta_constraint);
  set_input_spec({static_cast<int>(s.rank()), -1, {{static_cast<std::int64_t>(axis_), c}}});
}

Tensor GroupNormalization::call(const Tensor& x, bool) {
  // [..., C, ...] -> [..., G, C / G, ...]; statistics over every axis but the batch and G
  const std::int64_t c = x.dim(static_cast<std::int64_t>(axis_));
  std::vector<std::int64_t> grouped(x.shape().begin(), x.shape().end());
  grouped[axis_] = c / groups_;
  grouped.insert(grouped.begin() + static_cast<std::ptrdiff_t>(axis_), groups_);
  const Tensor xg = reshape(x, Shape(grouped));
  Axes reduce;
  for (std::size_t d = 1; d < grouped.size(); ++d)
    if (d != axis_) reduce.push_back(static_cast<std::int64_t>(d));
  std::vector<std::int64_t> param(grouped.size(), 1);
  param[axis_] = groups_;
  param[axis_ + 1] = c / groups_;
  auto shaped = [&](const Variable& p) { return reshape(p, Shape(param)); };
  const auto [mean, variance] = nn::moments(xg, reduce, true);
  const Tensor y = nn::batch_norm(xg, mean, variance, center ? shaped(beta) : Tensor(), scale ? shaped(gamma) : Tensor(),
                                  epsilon);
  return reshape(y, x.shape());
}

const Fields<GroupNormalization>& GroupNormalization::config_fields() {
  static const auto f = Fields<GroupNormalization>("GroupNormalization")
                            .field("groups", &GroupNormalization::groups)
                            .field("axis", &GroupNormalization::axis, OneAxis{})
                            .field("epsilon", &GroupNormalization::epsilon)
                            .with(NormFields{})
                            .validate(&GroupNormalization::validate);
  return f;
}
Config GroupNormalization::get_config() const { return config_fields().write(*this, base_config()); }

// ---- UnitNormalization, RMSNormalization ---------------------------------------------------------------------------

UnitNormalization::UnitNormalization(std::vector<std::int64_t> axes_) : axes(std::move(axes_)) { validate(); }
void UnitNormalization::validate() const {
  if (axes.empty()) throw ValueError("UnitNormalization: axes cannot be empty");
}
Tensor UnitNormalization::call(const Tensor& x, bool) {
  Axes a;
  for (auto ax : axes) a.push_back(static_cast<std::int64_t>(normalize_axis(ax, x.rank(), "UnitNormalization")));
  return mul(x, rsqrt(maximum(sum(square(x), a, true), 1e-12)));
}
const Fields<UnitNormalization>& UnitNormalization::config_fields() {
  static const auto f = Fields<UnitNormalization>("UnitNormalization")
                            .field("axis", &UnitNormalization::axes, AxesCodec{})
                            .validate(&UnitNormalization::validate);
  return f;
}
Config UnitNormalization::get_config() const { return config_fields().write(*this, base_config()); }

RMSNormalization::RMSNormalization(std::vector<std::int64_t> axes_, double epsilon_)
    : axes(std::move(axes_)), epsilon(epsilon_) {
  validate();
}
void RMSNormalization::validate() const {
  if (axes.empty()) throw ValueError("RMSNormalization: axes cannot be empty");
  if (!(epsilon >= 0)) detail::raise<ValueError>("RMSNormalization: epsilon must be >= 0, got {}", epsilon);
}
void RMSNormalization::build(const Shape& s) {
  norm_axes_.clear();
  param_shape_ = Shape::filled(s.rank(), 1);
  for (auto a : axes) {
    const std::size_t ax = normalize_axis(a, s.rank(), "RMSNormalization");
    if (s[ax] < 0) fail("the normalized axes must have known sizes", s);
    norm_axes_.push_back(static_cast<std::int64_t>(ax));
    param_shape_[ax] = s[ax];
  }
  std::sort(norm_axes_.begin(), norm_axes_.end());
  Shape weight_shape;
  for (auto a : norm_axes_) weight_shape.push_back(s[static_cast<std::size_t>(a)]);
  scale = add_weight("scale", weight_shape, "ones");
}
Tensor RMSNormalization::call(const Tensor& x, bool) {
  return mul(mul(x, rsqrt(add(mean(square(x), norm_axes_, true), epsilon))), reshape(scale, param_shape_));
}
const Fields<RMSNormalization>& RMSNormalization::config_fields() {
  static const auto f = Fields<RMSNormalization>("RMSNormalization")
                            .field("axis", &RMSNormalization::axes, AxesCodec{})
                            .field("epsilon", &RMSNormalization::epsilon)
                            .validate(&RMSNormalization::validate);
  return f;
}
Config RMSNormalization::get_config() const { return config_fields().write(*this, base_config()); }

void register_normalization_layers(Registry& r) {
  r.add("BatchNormalization", BatchNormalization::config_fields().factory());
  r.add("LayerNormalization", LayerNormalization::config_fields().factory());
  r.add("GroupNormalization", GroupNormalization::config_fields().factory());
  r.add("UnitNormalization", UnitNormalization::config_fields().factory());
  r.add("RMSNormalization", RMSNormalization::config_fields().factory());
}

}  // namespace strata::layers
