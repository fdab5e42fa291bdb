#include "strata/initializers.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "detail/dispatch.hpp"
#include "detail/tensor_impl.hpp"
#include "strata/random.hpp"

namespace strata {

Initializer::Initializer(std::string class_name, Config config, Fn fn)
    : class_name_(std::move(class_name)), config_(std::move(config)), fn_(std::move(fn)) {}

Initializer::Initializer(const char* name) : Initializer(initializers::get(name)) {}
Initializer::Initializer(const std::string& name) : Initializer(initializers::get(name)) {}

Tensor Initializer::operator()(const Shape& shape, DType dtype) const {
  if (!fn_) throw ValueError("Initializer: empty initializer called");
  for (auto d : shape)
    if (d < 0)
      detail::raise<ShapeError>("{}: cannot initialize a weight of shape {} with unknown dimensions", class_name_, shape);
  return fn_(shape, dtype);
}

Config Initializer::to_config() const {
  return Config::object({{"class_name", class_name_}, {"config", config_}});
}

namespace initializers {
namespace {

Config seed_config(std::optional<std::uint64_t> seed) {
  Config c = Config::object();
  c["seed"] = seed ? Config(static_cast<long long>(*seed)) : Config();
  return c;
}

Generator make_gen(std::optional<std::uint64_t> seed) { return Generator(seed ? *seed : global_seed_draw()); }

/// Fills with f(gen) in double, converted to dtype.
template <class F>
Tensor sample(const Shape& shape, DType dtype, std::optional<std::uint64_t> seed, F f) {
  Generator gen = make_gen(seed);
  Tensor t = detail::make_tensor(shape, dtype);
  detail::dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = detail::mut_ptr<T>(t);
    for (std::int64_t i = 0, i_end = t.size(); i < i_end; ++i) p[i] = static_cast<T>(f(gen));
  });
  return t;
}

double truncated(Generator& g) {
  for (;;) {
    const double z = g.normal();
    if (std::fabs(z) <= 2.0) return z;
  }
}

std::optional<std::uint64_t> seed_of(const Config& c) {
  const Config* s = c.find("seed");
  if (!s || s->is_null()) return std::nullopt;
  return static_cast<std::uint64_t>(s->as_int());
}

}  // namespace

std::pair<double, double> compute_fans(const Shape& shape) {
  if (shape.rank() == 0) return {1, 1};
  if (shape.rank() == 1) return {static_cast<double>(shape[0]), static_cast<double>(shape[0])};
  if (shape.rank() == 2) return {static_cast<double>(shape[0]), static_cast<double>(shape[1])};
  double receptive = 1;
  for (std::size_t d = 0; d + 2 < shape.rank(); ++d) receptive *= static_cast<double>(shape[d]);
  return {static_cast<double>(shape[shape.rank() - 2]) * receptive, static_cast<double>(shape.back()) * receptive};
}

Initializer zeros() {
  return Initializer("Zeros", Config::object(), [](const Shape& s, DType dt) { return Tensor::zeros(s, dt); });
}

Initializer ones() {
  return Initializer("Ones", Config::object(), [](const Shape& s, DType dt) { return Tensor::ones(s, dt); });
}

Initializer constant(double value) {
  return Initializer("Constant", Config::object({{"value", value}}),
                     [value](const Shape& s, DType dt) { return Tensor::full(s, value, dt); });
}

Initializer random_normal(double mean, double stddev, std::optional<std::uint64_t> seed) {
  Config c = Config::object({{"mean", mean}, {"stddev", stddev}});
  c["seed"] = seed_config(seed).at("seed");
  return Initializer("RandomNormal", c, [=](const Shape& s, DType dt) {
    return sample(s, dt, seed, [&](Generator& g) { return mean + stddev * g.normal(); });
  });
}

Initializer random_uniform(double minval, double maxval, std::optional<std::uint64_t> seed) {
  if (!(maxval > minval))
    detail::raise<ValueError>("random_uniform: maxval ({}) must exceed minval ({})", maxval, minval);
  Config c = Config::object({{"minval", minval}, {"maxval", maxval}});
  c["seed"] = seed_config(seed).at("seed");
  return Initializer("RandomUniform", c, [=](const Shape& s, DType dt) {
    return sample(s, dt, seed, [&](Generator& g) { return minval + (maxval - minval) * g.uniform(); });
  });
}

Initializer truncated_normal(double mean, double stddev, std::optional<std::uint64_t> seed) {
  Config c = Config::object({{"mean", mean}, {"stddev", stddev}});
  c["seed"] = seed_config(seed).at("seed");
  return Initializer("TruncatedNormal", c, [=](const Shape& s, DType dt) {
    return sample(s, dt, seed, [&](Generator& g) { return mean + stddev * truncated(g); });
  });
}

namespace {
Initializer scaling(const char* class_name, double scale, const std::string& mode, const std::string& distribution,
                    std::optional<std::uint64_t> seed, bool named) {
  if (!(scale > 0)) detail::raise<ValueError>("variance_scaling: scale must be positive, got {}", scale);
  if (mode != "fan_in" && mode != "fan_out" && mode != "fan_avg")
    detail::raise<ValueError>("variance_scaling: mode must be fan_in, fan_out or fan_avg, got '{}'", mode);
  if (distribution != "truncated_normal" && distribution != "untruncated_normal" && distribution != "uniform" &&
      distribution != "normal")
    detail::raise<ValueError>(
        "variance_scaling: distribution must be truncated_normal, untruncated_normal or uniform, got '{}'",
        distribution);
  Config c = named ? Config::object() : Config::object({{"scale", scale}, {"mode", mode}, {"distribution", distribution}});
  c["seed"] = seed_config(seed).at("seed");
  return Initializer(class_name, c, [=](const Shape& s, DType dt) {
    const auto [fan_in, fan_out] = compute_fans(s);
    const double fan = mode == "fan_in" ? fan_in : mode == "fan_out" ? fan_out : (fan_in + fan_out) / 2;
    const double var = scale / std::max(1.0, fan);
    if (distribution == "uniform") {
      const double limit = std::sqrt(3.0 * var);
      return sample(s, dt, seed, [&](Generator& g) { return -limit + 2 * limit * g.uniform(); });
    }
    if (distribution == "truncated_normal" || distribution == "normal") {
      // the stddev of a standard normal truncated to [-2, 2]
      const double stddev = std::sqrt(var) / 0.87962566103423978;
      return sample(s, dt, seed, [&](Generator& g) { return stddev * truncated(g); });
    }
    const double stddev = std::sqrt(var);
    return sample(s, dt, seed, [&](Generator& g) { return stddev * g.normal(); });
  });
}
}  // namespace

Initializer variance_scaling(double scale, const std::string& mode, const std::string& distribution,
                             std::optional<std::uint64_t> seed) {
  return scaling("VarianceScaling", scale, mode, distribution, seed, false);
}
Initializer glorot_uniform(std::optional<std::uint64_t> seed) {
  return scaling("GlorotUniform", 1.0, "fan_avg", "uniform", seed, true);
}
Initializer glorot_normal(std::optional<std::uint64_t> seed) {
  return scaling("GlorotNormal", 1.0, "fan_avg", "truncated_normal", seed, true);
}
Initializer he_normal(std::optional<std::uint64_t> seed) {
  return scaling("HeNormal", 2.0, "fan_in", "truncated_normal", seed, true);
}
Initializer he_uniform(std::optional<std::uint64_t> seed) { return scaling("HeUniform", 2.0, "fan_in", "uniform", seed, true); }
Initializer lecun_normal(std::optional<std::uint64_t> seed) {
  return scaling("LecunNormal", 1.0, "fan_in", "truncated_normal", seed, true);
}
Initializer lecun_uniform(std::optional<std::uint64_t> seed) {
  return scaling("LecunUniform", 1.0, "fan_in", "uniform", seed, true);
}

Initializer orthogonal(double gain, std::optional<std::uint64_t> seed) {
  Config c = Config::object({{"gain", gain}});
  c["seed"] = seed_config(seed).at("seed");
  return Initializer("Orthogonal", c, [=](const Shape& s, DType dt) {
    if (s.rank() < 2)
      detail::raise<ShapeError>("orthogonal: needs a weight of rank >= 2, got shape {}", s);
    std::int64_t rows = 1;
    for (std::size_t d = 0; d + 1 < s.rank(); ++d) rows *= s[d];
    const std::int64_t cols = s.back();
    // QR (Householder) of a normal [m, n] sample with m >= n; Q's first n columns are orthonormal.
    const std::int64_t m = std::max(rows, cols), n = std::min(rows, cols);
    Generator g = make_gen(seed);
    std::vector<double> a(static_cast<std::size_t>(m * n));
    for (auto& v : a) v = g.normal();
    std::vector<double> q(static_cast<std::size_t>(m * m), 0.0);
    for (std::int64_t i = 0; i < m; ++i) q[static_cast<std::size_t>(i * m + i)] = 1.0;
    std::vector<double> diag(static_cast<std::size_t>(n));
    for (std::int64_t k = 0; k < n; ++k) {
      double norm = 0;
      for (std::int64_t i = k; i < m; ++i) norm += a[i * n + k] * a[i * n + k];
      norm = std::sqrt(norm);
      const double alpha = a[k * n + k] > 0 ? -norm : norm;
      std::vector<double> v(static_cast<std::size_t>(m), 0.0);
      for (std::int64_t i = k; i < m; ++i) v[i] = a[i * n + k];
      v[k] -= alpha;
      double vnorm = 0;
      for (std::int64_t i = k; i < m; ++i) vnorm += v[i] * v[i];
      if (vnorm > 0) {
        for (std::int64_t j = k; j < n; ++j) {  // a = (I - 2vv^T/|v|^2) a
          double dot = 0;
          for (std::int64_t i = k; i < m; ++i) dot += v[i] * a[i * n + j];
          for (std::int64_t i = k; i < m; ++i) a[i * n + j] -= 2 * v[i] * dot / vnorm;
        }
        for (std::int64_t r = 0; r < m; ++r) {  // q = q (I - 2vv^T/|v|^2)
          double dot = 0;
          for (std::int64_t i = k; i < m; ++i) dot += q[r * m + i] * v[i];
          for (std::int64_t i = k; i < m; ++i) q[r * m + i] -= 2 * dot * v[i] / vnorm;
        }
      }
      diag[k] = a[k * n + k];
    }
    // Q[:, :n] * sign(diag(R)) makes the result unique (as Keras does); transpose if rows < cols.
    std::vector<double> out(static_cast<std::size_t>(rows * cols));
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j) {
        const double v = gain * q[i * m + j] * (diag[j] < 0 ? -1.0 : 1.0);
        if (rows >= cols)
          out[i * cols + j] = v;
        else
          out[j * cols + i] = v;
      }
    return Tensor::from_vector(out, s, dt);
  });
}

Initializer get(const std::string& name) {
  if (name == "zeros" || name == "Zeros" || name == "zero") return zeros();
  if (name == "ones" || name == "Ones" || name == "one") return ones();
  if (name == "constant" || name == "Constant") return constant();
  if (name == "random_normal" || name == "RandomNormal" || name == "normal") return random_normal();
  if (name == "random_uniform" || name == "RandomUniform" || name == "uniform") return random_uniform();
  if (name == "truncated_normal" || name == "TruncatedNormal") return truncated_normal();
  if (name == "variance_scaling" || name == "VarianceScaling") return variance_scaling();
  if (name == "glorot_uniform" || name == "GlorotUniform") return glorot_uniform();
  if (name == "glorot_normal" || name == "GlorotNormal") return glorot_normal();
  if (name == "he_normal" || name == "HeNormal") return he_normal();
  if (name == "he_uniform" || name == "HeUniform") return he_uniform();
  if (name == "lecun_normal" || name == "LecunNormal") return lecun_normal();
  if (name == "lecun_uniform" || name == "LecunUniform") return lecun_uniform();
  // "OrthogonalInitializer" is the class name Keras 3.2-3.3 wrote; Keras still reads it
  if (name == "orthogonal" || name == "Orthogonal" || name == "OrthogonalInitializer") return orthogonal();
  detail::raise<ValueError>(
      "unknown initializer '{}' (known: constant, glorot_normal, glorot_uniform, he_normal, he_uniform, lecun_normal, "
      "lecun_uniform, ones, orthogonal, random_normal, random_uniform, truncated_normal, variance_scaling, zeros)",
      name);
}

}  // namespace initializers

Initializer Initializer::from_config(const Config& c) {
  using namespace initializers;
  if (c.is_string()) return get(c.as_string());
  const std::string cls = c.at("class_name").as_string();
  const Config cfg = c.contains("config") ? c.at("config") : Config::object();
  const auto seed = seed_of(cfg);
  if (cls == "Zeros") return zeros();
  if (cls == "Ones") return ones();
  if (cls == "Constant") return constant(cfg.get_double("value", 0.0));
  if (cls == "RandomNormal") return random_normal(cfg.get_double("mean", 0.0), cfg.get_double("stddev", 0.05), seed);
  if (cls == "RandomUniform")
    return random_uniform(cfg.get_double("minval", -0.05), cfg.get_double("maxval", 0.05), seed);
  if (cls == "TruncatedNormal")
    return truncated_normal(cfg.get_double("mean", 0.0), cfg.get_double("stddev", 0.05), seed);
  if (cls == "VarianceScaling")
    return variance_scaling(cfg.get_double("scale", 1.0), cfg.get_string("mode", "fan_in"),
                            cfg.get_string("distribution", "truncated_normal"), seed);
  if (cls == "Orthogonal" || cls == "OrthogonalInitializer") return orthogonal(cfg.get_double("gain", 1.0), seed);
  if (cls == "GlorotUniform") return glorot_uniform(seed);
  if (cls == "GlorotNormal") return glorot_normal(seed);
  if (cls == "HeNormal") return he_normal(seed);
  if (cls == "HeUniform") return he_uniform(seed);
  if (cls == "LecunNormal") return lecun_normal(seed);
  if (cls == "LecunUniform") return lecun_uniform(seed);
  return get(cls);  // throws naming it
}

}  // namespace strata
