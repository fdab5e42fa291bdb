#include "strata/layers/normalization.hpp"

#include <algorithm>

#include "detail/errors.hpp"
#include "layers/config_util.hpp"
#include "layers/registry.hpp"
#include "strata/autograd/tape.hpp"
#include "strata/ops.hpp"

namespace strata::layers {

// ---- BatchNormalization ------------------------------------------------------------------------------------------

BatchNormalization::BatchNormalization(std::int64_t axis_, double momentum_, double epsilon_, bool center_, bool scale_)
    : axis(axis_), momentum(momentum_), epsilon(epsilon_), center(center_), scale(scale_) {
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
  if (!training || !trainable())
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

Config BatchNormalization::get_config() const {
  Config c = base_config();
  c["axis"] = axis;
  c["momentum"] = momentum;
  c["epsilon"] = epsilon;
  c["center"] = center;
  c["scale"] = scale;
  c["beta_initializer"] = cfg::of(beta_initializer);
  c["gamma_initializer"] = cfg::of(gamma_initializer);
  c["moving_mean_initializer"] = cfg::of(moving_mean_initializer);
  c["moving_variance_initializer"] = cfg::of(moving_variance_initializer);
  c["beta_regularizer"] = cfg::of(beta_regularizer);
  c["gamma_regularizer"] = cfg::of(gamma_regularizer);
  c["beta_constraint"] = cfg::of(beta_constraint);
  c["gamma_constraint"] = cfg::of(gamma_constraint);
  return c;
}

// ---- LayerNormalization --------------------------------------------------------------------------------------------

LayerNormalization::LayerNormalization(std::vector<std::int64_t> axes_, double epsilon_, bool center_, bool scale_)
    : axes(std::move(axes_)), epsilon(epsilon_), center(center_), scale(scale_) {
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
  if (scale) gamma = add_weight("gamma", weight_shape, gamma_initializer, gamma_regularizer, gamma_constraint);
  if (center) beta = add_weight("beta", weight_shape, beta_initializer, beta_regularizer, beta_constraint);
  set_input_spec(spec);
}

Tensor LayerNormalization::call(const Tensor& x, bool) {
  const Tensor g = scale ? reshape(gamma, param_shape_) : Tensor();
  const Tensor b = center ? reshape(beta, param_shape_) : Tensor();
  return nn::layer_norm(x, g, b, norm_axes_, epsilon);
}

Config LayerNormalization::get_config() const {
  Config c = base_config();
  Config a = Config::list();
  for (auto v : axes) a.push_back(v);
  c["axis"] = axes.size() == 1 ? Config(axes[0]) : a;
  c["epsilon"] = epsilon;
  c["center"] = center;
  c["scale"] = scale;
  c["beta_initializer"] = cfg::of(beta_initializer);
  c["gamma_initializer"] = cfg::of(gamma_initializer);
  c["beta_regularizer"] = cfg::of(beta_regularizer);
  c["gamma_regularizer"] = cfg::of(gamma_regularizer);
  c["beta_constraint"] = cfg::of(beta_constraint);
  c["gamma_constraint"] = cfg::of(gamma_constraint);
  return c;
}

namespace {
template <class L>
void norm_weights(L& l, const Config& c) {
  l.beta_initializer = cfg::initializer(c, "beta_initializer", "zeros");
  l.gamma_initializer = cfg::initializer(c, "gamma_initializer", "ones");
  l.beta_regularizer = cfg::regularizer(c, "beta_regularizer");
  l.gamma_regularizer = cfg::regularizer(c, "gamma_regularizer");
  l.beta_constraint = cfg::constraint(c, "beta_constraint");
  l.gamma_constraint = cfg::constraint(c, "gamma_constraint");
}

}  // namespace

void register_normalization_layers(Registry& r) {
  r.add("BatchNormalization", [](const Config& c) {
    // Keras 2's batch renormalization and ghost batches change the training statistics
    cfg::refuse_unless_default(c, "BatchNormalization", "renorm", false);
    cfg::refuse_unless_default(c, "BatchNormalization", "virtual_batch_size", Config());
    const Config* a = c.find("axis");
    std::int64_t axis = -1;
    if (a && a->is_list()) {
      if (a->size() != 1) throw ValueError("BatchNormalization: only one normalized axis is supported");
      axis = (*a)[0].as_int();
    } else if (a && !a->is_null()) {
      axis = a->as_int();
    }
    auto l = std::make_shared<BatchNormalization>(axis, c.get_double("momentum", 0.99), c.get_double("epsilon", 1e-3),
                                                  c.get_bool("center", true), c.get_bool("scale", true));
    norm_weights(*l, c);
    l->moving_mean_initializer = cfg::initializer(c, "moving_mean_initializer", "zeros");
    l->moving_variance_initializer = cfg::initializer(c, "moving_variance_initializer", "ones");
    return l;
  });
  r.add("LayerNormalization", [](const Config& c) {
    cfg::refuse_unless_default(c, "LayerNormalization", "rms_scaling", false);
    std::vector<std::int64_t> axes{-1};
    if (const Config* a = c.find("axis"); a && !a->is_null()) {
      axes.clear();
      if (a->is_list())
        for (const auto& v : a->items()) axes.push_back(v.as_int());
      else
        axes.push_back(a->as_int());
    }
    auto l = std::make_shared<LayerNormalization>(axes, c.get_double("epsilon", 1e-3), c.get_bool("center", true),
                                                  c.get_bool("scale", true));
    norm_weights(*l, c);
    return l;
  });
}

}  // namespace strata::layers
