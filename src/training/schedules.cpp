// Learning-rate schedules with Keras's formulas.
#include "strata/schedules.hpp"

#include <algorithm>
#include <cmath>

#include "detail/errors.hpp"
#include "training/serialized.hpp"

namespace strata {

namespace schedules {

namespace {
/// A schedule with the Keras config that made it, so optimizers can save it.
struct Described {
  std::string class_name;
  Config config;
  std::function<double(std::int64_t)> fn;
  double operator()(std::int64_t step) const { return fn(step); }
};

Schedule described(std::string class_name, Config config, std::function<double(std::int64_t)> fn) {
  return Described{std::move(class_name), std::move(config), std::move(fn)};
}

Config number_list(const std::vector<double>& v) {
  Config c = Config::list();
  for (double x : v) c.push_back(x);
  return c;
}
}  // namespace

Schedule ExponentialDecay(double initial, double decay_steps, double rate, bool staircase) {
  if (!(decay_steps > 0)) detail::raise<ValueError>("ExponentialDecay: decay_steps must be positive, got {}", decay_steps);
  return described("ExponentialDecay",
                   Config::object({{"initial_learning_rate", initial},
                                   {"decay_steps", decay_steps},
                                   {"decay_rate", rate},
                                   {"staircase", staircase},
                                   {"name", "ExponentialDecay"}}),
                   [=](std::int64_t step) {
                     double p = static_cast<double>(step) / decay_steps;
                     if (staircase) p = std::floor(p);
                     return initial * std::pow(rate, p);
                   });
}

Schedule PiecewiseConstantDecay(std::vector<std::int64_t> boundaries, std::vector<double> values) {
  if (values.size() != boundaries.size() + 1)
    detail::raise<ValueError>("PiecewiseConstantDecay: {} values for {} boundaries (need one more value)",
                              values.size(), boundaries.size());
  if (!std::is_sorted(boundaries.begin(), boundaries.end()))
    throw ValueError("PiecewiseConstantDecay: boundaries must be increasing");
  Config b = Config::list();
  for (auto x : boundaries) b.push_back(static_cast<long long>(x));
  return described("PiecewiseConstantDecay",
                   Config::object({{"boundaries", b}, {"values", number_list(values)}, {"name", "PiecewiseConstant"}}),
                   [=](std::int64_t step) {
                     for (std::size_t i = 0; i < boundaries.size(); ++i)
                       if (step <= boundaries[i]) return values[i];
                     return values.back();
                   });
}

Schedule InverseTimeDecay(double initial, double decay_steps, double rate, bool staircase) {
  if (!(decay_steps > 0)) detail::raise<ValueError>("InverseTimeDecay: decay_steps must be positive, got {}", decay_steps);
  return described("InverseTimeDecay",
                   Config::object({{"initial_learning_rate", initial},
                                   {"decay_steps", decay_steps},
                                   {"decay_rate", rate},
                                   {"staircase", staircase},
                                   {"name", "InverseTimeDecay"}}),
                   [=](std::int64_t step) {
                     double p = static_cast<double>(step) / decay_steps;
                     if (staircase) p = std::floor(p);
                     return initial / (1 + rate * p);
                   });
}

Schedule CosineDecay(double initial, double decay_steps, double alpha, double warmup_target, double warmup_steps) {
  if (!(decay_steps > 0)) detail::raise<ValueError>("CosineDecay: decay_steps must be positive, got {}", decay_steps);
  const Config config = Config::object({{"initial_learning_rate", initial},
                                        {"decay_steps", decay_steps},
                                        {"alpha", alpha},
                                        {"name", "CosineDecay"},
                                        {"warmup_target", warmup_target >= 0 ? Config(warmup_target) : Config()},
                                        {"warmup_steps", warmup_steps}});
  return described("CosineDecay", config, [=](std::int64_t step_i) {
    const double step = static_cast<double>(step_i);
    const bool warm = warmup_steps > 0 && warmup_target >= 0;
    if (warm && step < warmup_steps) return initial + (warmup_target - initial) * step / warmup_steps;
    const double top = warm ? warmup_target : initial;
    const double t = std::min(warm ? step - warmup_steps : step, decay_steps) / decay_steps;
    const double cosine = 0.5 * (1 + std::cos(M_PI * t));
    return top * ((1 - alpha) * cosine + alpha);
  });
}

Schedule PolynomialDecay(double initial, double decay_steps, double end, double power, bool cycle) {
  if (!(decay_steps > 0)) detail::raise<ValueError>("PolynomialDecay: decay_steps must be positive, got {}", decay_steps);
  return described("PolynomialDecay",
                   Config::object({{"initial_learning_rate", initial},
                                   {"decay_steps", decay_steps},
                                   {"end_learning_rate", end},
                                   {"power", power},
                                   {"cycle", cycle},
                                   {"name", "PolynomialDecay"}}),
                   [=](std::int64_t step_i) {
                     double step = static_cast<double>(step_i), steps = decay_steps;
                     if (cycle) steps *= step == 0 ? 1.0 : std::ceil(step / decay_steps);
                     else step = std::min(step, steps);
                     return (initial - end) * std::pow(1 - step / steps, power) + end;
                   });
}

Schedule CosineDecayRestarts(double initial, double first_decay_steps, double t_mul, double m_mul, double alpha) {
  if (!(first_decay_steps > 0))
    detail::raise<ValueError>("CosineDecayRestarts: first_decay_steps must be positive, got {}", first_decay_steps);
  if (!(t_mul > 0)) detail::raise<ValueError>("CosineDecayRestarts: t_mul must be positive, got {}", t_mul);
  return described("CosineDecayRestarts",
                   Config::object({{"initial_learning_rate", initial},
                                   {"first_decay_steps", first_decay_steps},
                                   {"t_mul", t_mul},
                                   {"m_mul", m_mul},
                                   {"alpha", alpha},
                                   {"name", "SGDRDecay"}}),
                   [=](std::int64_t step) {
                     double done = static_cast<double>(step) / first_decay_steps, restart;
                     if (t_mul == 1.0) {
                       restart = std::floor(done);
                       done -= restart;
                     } else {  // periods 1, t, t^2, ...: the restart whose span holds `done`
                       restart = std::floor(std::log(1 - done * (1 - t_mul)) / std::log(t_mul));
                       const double before = (1 - std::pow(t_mul, restart)) / (1 - t_mul);
                       done = (done - before) / std::pow(t_mul, restart);
                     }
                     const double cosine = 0.5 * std::pow(m_mul, restart) * (1 + std::cos(M_PI * done));
                     return initial * ((1 - alpha) * cosine + alpha);
                   });
}

bool serializable(const Schedule& schedule) { return schedule && schedule.target<Described>() != nullptr; }

Config serialize(const Schedule& schedule) {
  const Described* d = schedule ? schedule.target<Described>() : nullptr;
  if (!d)
    throw ValueError("schedules::serialize: this schedule is a user's callable, which has no Keras config (use one of "
                     "strata::schedules' functions to save it)");
  return Config::object({{"module", "keras.optimizers.schedules"},
                         {"class_name", d->class_name},
                         {"config", d->config},
                         {"registered_name", Config()}});
}

Schedule deserialize(const Config& c) {
  const detail::Serialized s = detail::read_serialized(c, "schedules::deserialize");
  const std::string& cls = s.class_name;
  const Config& k = s.config;
  auto need = [&](const char* key) {
    if (!k.contains(key) || k.at(key).is_null())
      detail::raise<ValueError>("schedules::deserialize: {} needs '{}' (config {})", cls, key, k.dump());
    return k.at(key).as_double();
  };
  if (cls == "ExponentialDecay" || cls == "InverseTimeDecay" || cls == "CosineDecay") {
    const double initial = need("initial_learning_rate");  // read in order: the first missing key is named
    const double decay_steps = need("decay_steps");
    if (cls == "CosineDecay")
      return CosineDecay(initial, decay_steps, k.get_double("alpha", 0.0), k.get_double("warmup_target", -1.0),
                         k.get_double("warmup_steps", 0.0));
    const double rate = need("decay_rate");
    return cls == "ExponentialDecay" ? ExponentialDecay(initial, decay_steps, rate, k.get_bool("staircase", false))
                                     : InverseTimeDecay(initial, decay_steps, rate, k.get_bool("staircase", false));
  }
  if (cls == "PolynomialDecay") {
    const double initial = need("initial_learning_rate");
    const double decay_steps = need("decay_steps");
    return PolynomialDecay(initial, decay_steps, k.get_double("end_learning_rate", 1e-4), k.get_double("power", 1.0),
                           k.get_bool("cycle", false));
  }
  if (cls == "CosineDecayRestarts") {
    const double initial = need("initial_learning_rate");
    const double first = need("first_decay_steps");
    return CosineDecayRestarts(initial, first, k.get_double("t_mul", 2.0), k.get_double("m_mul", 1.0),
                               k.get_double("alpha", 0.0));
  }
  if (cls == "PiecewiseConstantDecay") {
    std::vector<std::int64_t> boundaries;
    std::vector<double> values;
    if (k.contains("boundaries"))
      for (const auto& b : k.at("boundaries").items()) boundaries.push_back(static_cast<std::int64_t>(b.as_double()));
    if (k.contains("values"))
      for (const auto& v : k.at("values").items()) values.push_back(v.as_double());
    return PiecewiseConstantDecay(std::move(boundaries), std::move(values));
  }
  detail::raise<ValueError>(
      "schedules::deserialize: unknown schedule class '{}' (known: CosineDecay, CosineDecayRestarts, ExponentialDecay, "
      "InverseTimeDecay, PiecewiseConstantDecay, PolynomialDecay)",
      cls);
}

}  // namespace schedules

}  // namespace strata
