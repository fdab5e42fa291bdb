// Normalization (with adapt), Rescaling, CategoryEncoding and Discretization.
#include "strata/layers/preprocessing.hpp"

#include <algorithm>
#include <cmath>

#include "detail/errors.hpp"
#include "layers/registry.hpp"
#include "strata/autograd/tape.hpp"
#include "strata/layers/fields.hpp"
#include "strata/ops.hpp"

namespace strata::layers {

namespace {
constexpr double kEpsilon = 1e-7;  // Keras's backend.epsilon()

/// A number, or a list of numbers (nested lists flattened in order); null is empty.
struct Numbers {
  static Config write(const std::vector<double>& v) {
    if (v.empty()) return Config();
    if (v.size() == 1) return Config(v[0]);
    Config l = Config::list();
    for (double d : v) l.push_back(d);
    return l;
  }
  static void flatten(const Config& c, std::vector<double>& out) {
    if (c.is_list()) {
      for (const auto& e : c.items()) flatten(e, out);
      return;
    }
    out.push_back(c.as_double());
  }
  static std::vector<double> decode(const Config& c) {
    std::vector<double> v;
    flatten(c, v);
    return v;
  }
  static void reset(std::vector<double>& v) { v.clear(); }
};
/// A list of numbers, always written as a list.
struct NumberList : Numbers {
  static Config write(const std::vector<double>& v) {
    Config l = Config::list();
    for (double d : v) l.push_back(d);
    return l;
  }
};
/// Keras writes a tuple of axes; null means none kept, a number one axis.
struct AxisTuple {
  static Config write(const std::vector<std::int64_t>& v) {
    Config l = Config::list();
    for (auto a : v) l.push_back(a);
    return l;
  }
  static std::vector<std::int64_t> decode(const Config& c) {
    if (!c.is_list()) return {c.as_int()};
    std::vector<std::int64_t> v;
    for (const auto& a : c.items()) v.push_back(a.as_int());
    return v;
  }
  static void reset(std::vector<std::int64_t>& v) { v.clear(); }
};
}  // namespace

// ---- Normalization ----------------------------------------------------------------------------------------------

Normalization::Normalization(std::vector<std::int64_t> axes_, std::vector<double> mean_, std::vector<double> variance_,
                             bool invert_)
    : axes(std::move(axes_)), mean(std::move(mean_)), variance(std::move(variance_)), invert(invert_) {
  validate();
}

void Normalization::validate() const {
  if (mean.empty() != variance.empty())
    throw ValueError("Normalization: when setting values directly, both mean and variance must be set");
  if (mean.size() != variance.size())
    detail::raise<ValueError>("Normalization: mean has {} values and variance {}; they must have the same shape",
                              mean.size(), variance.size());
  for (double v : variance)
    if (!(v >= 0)) detail::raise<ValueError>("Normalization: variance must be >= 0, got {}", v);
}

void Normalization::build(const Shape& s) {
  keep_.clear();
  for (auto a : axes) keep_.push_back(static_cast<std::int64_t>(normalize_axis(a, s.rank(), "Normalization")));
  std::sort(keep_.begin(), keep_.end());
  keep_.erase(std::unique(keep_.begin(), keep_.end()), keep_.end());
  broadcast_ = Shape::filled(s.rank(), 1);
  Shape stats;
  for (auto a : keep_) {
    const auto d = s[static_cast<std::size_t>(a)];
    if (d < 0) fail("the kept axes must have known sizes", s);
    broadcast_[static_cast<std::size_t>(a)] = d;
    stats.push_back(d);
  }
  built_shape_ = s;
  if (!mean.empty()) {
    if (mean.size() != 1 && static_cast<std::int64_t>(mean.size()) != stats.num_elements())
      fail("mean and variance have " + std::to_string(mean.size()) + " values for " +
               std::to_string(stats.num_elements()) + " kept positions",
           s);
    return;
  }
  adapt_mean = add_weight("mean", stats, "zeros", {}, {}, false);
  adapt_variance = add_weight("variance", stats, "ones", {}, {}, false);
  count = add_weight("count", {}, "zeros", {}, {}, false);
}

void Normalization::adapt(const Tensor& data) {
  if (!data.defined() || data.rank() == 0) throw ValueError("Normalization.adapt: data must have a batch axis");
  if (!mean.empty()) throw ValueError("Normalization.adapt: the layer was given its mean and variance");
  if (!built()) {
    build(data.shape());
    mark_built();
  } else {
    for (auto a : keep_)
      if (data.rank() != built_shape_.rank() ||
          data.dim(a) != built_shape_[static_cast<std::size_t>(a)])
        detail::raise<ValueError>("Normalization.adapt: the layer was built for inputs {}, but the data is {}",
                                  built_shape_, data.shape());
  }
  if (data.size() == 0) throw ValueError("Normalization.adapt: the data is empty");
  Axes reduce;
  for (std::size_t d = 0; d < data.rank(); ++d)
    if (!std::binary_search(keep_.begin(), keep_.end(), static_cast<std::int64_t>(d)))
      reduce.push_back(static_cast<std::int64_t>(d));
  NoGradGuard no_grad;
  const Tensor x = cast(data, DType::float64);  // statistics in float64, stored in the layer's dtype
  const auto [m, v] = nn::moments(x, reduce, false);
  adapt_mean.assign(cast(reshape(m, adapt_mean.shape()), adapt_mean.dtype()));
  adapt_variance.assign(cast(reshape(v, adapt_variance.shape()), adapt_variance.dtype()));
}

Tensor Normalization::call(const Tensor& x, bool) {
  const Tensor in = is_floating(x.dtype()) ? x : cast(x, dtype());
  Tensor m, v;
  if (!mean.empty()) {
    const Shape s = mean.size() == 1 ? Shape() : broadcast_;
    m = Tensor::from_vector(mean, s, in.dtype());
    v = Tensor::from_vector(variance, s, in.dtype());
  } else {
    m = reshape(adapt_mean, broadcast_);
    v = reshape(adapt_variance, broadcast_);
  }
  const Tensor sd = maximum(sqrt(v), kEpsilon);
  return invert ? add(m, mul(in, sd)) : div(sub(in, m), sd);
}

const Fields<Normalization>& Normalization::config_fields() {
  static const auto f = Fields<Normalization>("Normalization")
                            .field("axis", &Normalization::axes, AxisTuple{})
                            .field("invert", &Normalization::invert)
                            .field("mean", &Normalization::mean, Numbers{})
                            .field("variance", &Normalization::variance, Numbers{})
                            .validate(&Normalization::validate);
  return f;
}
Config Normalization::get_config() const { return config_fields().write(*this, base_config()); }

// ---- Rescaling --------------------------------------------------------------------------------------------------

Rescaling::Rescaling(std::vector<double> scale_, std::vector<double> offset_)
    : scale(std::move(scale_)), offset(std::move(offset_)) {
  validate();
}
void Rescaling::validate() const {
  if (scale.empty() || offset.empty()) throw ValueError("Rescaling: scale and offset need at least one value");
}
Tensor Rescaling::call(const Tensor& x, bool) {
  const Tensor in = is_floating(x.dtype()) ? x : cast(x, dtype());
  auto along_last = [&](const std::vector<double>& v) {
    if (v.size() == 1) return Tensor::from_vector(v, {}, in.dtype());
    if (in.rank() == 0 || in.dim(-1) != static_cast<std::int64_t>(v.size()))
      fail("scale and offset have " + std::to_string(v.size()) + " values, one per element of the last axis",
           in.shape());
    return Tensor::from_vector(v, {static_cast<std::int64_t>(v.size())}, in.dtype());
  };
  return add(mul(in, along_last(scale)), along_last(offset));
}
const Fields<Rescaling>& Rescaling::config_fields() {
  static const auto f = Fields<Rescaling>("Rescaling")
                            .field("scale", &Rescaling::scale, Numbers{})
                            .field("offset", &Rescaling::offset, Numbers{})
                            .validate(&Rescaling::validate);
  return f;
}
Config Rescaling::get_config() const { return config_fields().write(*this, base_config()); }

// ---- CategoryEncoding -------------------------------------------------------------------------------------------

CategoryEncoding::CategoryEncoding(std::int64_t num_tokens_, std::string output_mode_)
    : num_tokens(num_tokens_), output_mode(std::move(output_mode_)) {
  validate();
}
void CategoryEncoding::validate() const {
  if (num_tokens <= 0) detail::raise<ValueError>("CategoryEncoding: num_tokens must be positive, got {}", num_tokens);
  if (output_mode != "one_hot" && output_mode != "multi_hot" && output_mode != "count")
    detail::raise<ValueError>("CategoryEncoding: output_mode must be 'one_hot', 'multi_hot' or 'count', got '{}'",
                              output_mode);
}
Shape CategoryEncoding::compute_output_shape(const Shape& s) {
  if (s.rank() == 0 || s.rank() > 2) fail("expected an input [batch] or [batch, k]", s);
  if (output_mode == "one_hot" && s.rank() == 2 && s[1] != 1 && s[1] >= 0)
    fail("one_hot takes one id per example ([batch] or [batch, 1])", s);
  return {s[0], num_tokens};
}
Tensor CategoryEncoding::call(const Tensor& x, bool) {
  compute_output_shape(x.shape());
  const std::vector<double> ids = cast(x, DType::float64).to_vector<double>();
  const std::int64_t n = x.dim(0), k = x.rank() == 2 ? x.dim(1) : 1;
  std::vector<double> out(static_cast<std::size_t>(n * num_tokens), 0.0);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < k; ++j) {
      const double id = ids[static_cast<std::size_t>(i * k + j)];
      if (!(id >= 0 && id < static_cast<double>(num_tokens)) || id != std::floor(id))
        fail("id " + std::to_string(id) + " is outside [0, num_tokens = " + std::to_string(num_tokens) + ")",
             x.shape());
      double& o = out[static_cast<std::size_t>(i * num_tokens + static_cast<std::int64_t>(id))];
      o = output_mode == "count" ? o + 1 : 1;
    }
  return Tensor::from_vector(out, {n, num_tokens}, dtype());
}
const Fields<CategoryEncoding>& CategoryEncoding::config_fields() {
  static const auto f = Fields<CategoryEncoding>("CategoryEncoding")
                            .field("num_tokens", &CategoryEncoding::num_tokens)
                            .required()
                            .field("output_mode", &CategoryEncoding::output_mode)
                            .unsupported("sparse", false)
                            .construct([] { return std::make_shared<CategoryEncoding>(1); })
                            .validate(&CategoryEncoding::validate);
  return f;
}
Config CategoryEncoding::get_config() const { return config_fields().write(*this, base_config()); }

// ---- Discretization ---------------------------------------------------------------------------------------------

Discretization::Discretization(std::vector<double> bins) : bin_boundaries(std::move(bins)) { validate(); }
void Discretization::validate() const {
  if (!std::is_sorted(bin_boundaries.begin(), bin_boundaries.end()))
    throw ValueError("Discretization: bin_boundaries must be sorted");
}
Tensor Discretization::call(const Tensor& x, bool) {
  if (bin_boundaries.empty())
    fail("no bin_boundaries (strata's Discretization takes them given; it has no adapt)", x.shape());
  const std::vector<double> v = cast(x, DType::float64).to_vector<double>();
  std::vector<double> ids(v.size());
  for (std::size_t i = 0; i < v.size(); ++i)
    ids[i] = static_cast<double>(std::upper_bound(bin_boundaries.begin(), bin_boundaries.end(), v[i]) -
                                 bin_boundaries.begin());
  return Tensor::from_vector(ids, x.shape(), DType::int64);
}
const Fields<Discretization>& Discretization::config_fields() {
  static const auto f = Fields<Discretization>("Discretization")
                            .field("bin_boundaries", &Discretization::bin_boundaries, NumberList{})
                            .unsupported("num_bins", Config(), false)
                            .field("epsilon", &Discretization::epsilon)
                            .unsupported("output_mode", "int")
                            .unsupported("sparse", false)
                            .validate(&Discretization::validate);
  return f;
}
Config Discretization::get_config() const { return config_fields().write(*this, base_config()); }

void register_preprocessing_layers(Registry& r) {
  r.add("Normalization", Normalization::config_fields().factory());
  r.add("Rescaling", Rescaling::config_fields().factory());
  r.add("CategoryEncoding", CategoryEncoding::config_fields().factory());
  r.add("Discretization", Discretization::config_fields().factory());
}

}  // namespace strata::layers
