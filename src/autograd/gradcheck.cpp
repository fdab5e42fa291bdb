#include "strata/autograd/gradcheck.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "detail/errors.hpp"
#include "strata/autograd/tape.hpp"
#include "strata/ops.hpp"
#include "strata/random.hpp"

namespace strata {
namespace {

/// <u, y> in double.
double project(const Tensor& u, const Tensor& y) {
  const auto vu = u.to_vector<double>();
  const auto vy = y.to_vector<double>();
  double s = 0.0;
  for (std::size_t i = 0; i < vu.size(); ++i) s += vu[i] * vy[i];
  return s;
}

Tensor evaluate(const GradcheckFn& fn, const std::vector<Tensor>& inputs) {
  Tensor y = fn(inputs);
  if (!y.defined()) throw ValueError("gradcheck: the function returned an undefined Tensor");
  if (y.dtype() != DType::float64)
    detail::raise<DTypeError>(
        "gradcheck: the function returned {} {}; it must compute in float64 (are its constants or weights "
        "float32?)",
        y.dtype(), y.shape());
  return y;
}

struct Checker {
  const GradcheckOptions& opt;
  GradcheckReport report;
  double worst_excess = -1.0;

  void compare(int input, std::int64_t element, double analytic, double numeric) {
    const double err = std::fabs(analytic - numeric);
    const double rel = err / std::max(std::fabs(numeric), std::numeric_limits<double>::min());
    const double allowed = opt.atol + opt.rtol * std::fabs(numeric);
    ++report.elements_checked;
    report.max_abs_error = std::max(report.max_abs_error, err);
    if (err > 0) report.max_rel_error = std::max(report.max_rel_error, rel);
    const bool bad = !(err <= allowed);  // NaN fails
    const double excess = bad && std::isnan(err) ? std::numeric_limits<double>::infinity() : err / allowed;
    if (bad) report.ok = false;
    if (excess > worst_excess) {
      worst_excess = excess;
      report.worst_input = input;
      report.worst_element = element;
      report.analytic = analytic;
      report.numeric = numeric;
    }
  }
};

}  // namespace

std::string GradcheckReport::to_string() const {
  if (elements_checked == 0) return "gradcheck: no float elements to check";
  std::string verdict = ok ? "gradcheck passed" : "gradcheck FAILED";
  return fmt::format(
      "{}: {} elements, max abs error {:.3g}, max rel error {:.3g}; worst at input {} element {}: analytic {:.10g} "
      "vs numeric {:.10g}",
      verdict, elements_checked, max_abs_error, max_rel_error, worst_input, worst_element, analytic, numeric);
}

GradcheckReport gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
  return gradcheck(fn, inputs, {}, options);
}

GradcheckReport gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                          const std::vector<Variable>& variables, const GradcheckOptions& options) {
  if (!fn) throw ValueError("gradcheck: the function is empty");
  std::vector<Tensor> x;
  std::vector<std::size_t> float_inputs;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    detail::check_defined("gradcheck", inputs[i], "an input");
    if (is_floating(inputs[i].dtype())) {
      x.push_back(inputs[i].astype(DType::float64).clone());
      float_inputs.push_back(i);
    } else {
      x.push_back(inputs[i]);
    }
  }
  for (const auto& v : variables) {
    if (!v.defined()) throw ValueError("gradcheck: undefined Variable");
    if (v.dtype() != DType::float64)
      detail::raise<DTypeError>("gradcheck: variable '{}' is {}; gradcheck needs float64 weights (build the layer "
                                "with dtype float64)",
                                v.name(), v.dtype());
  }
  const Tensor y0 = evaluate(fn, x);
  Generator gen(options.seed);
  const Tensor u = Tensor::random_normal(y0.shape(), 0.0, 1.0, DType::float64, gen);

  // Analytic: the tape's gradient of <u, fn(x)>.
  std::vector<Tensor> analytic_inputs, analytic_vars;
  {
    GradientTape tape(/*persistent=*/true);
    std::vector<Tensor> sources;
    for (auto i : float_inputs) {
      tape.watch(x[i]);
      sources.push_back(x[i]);
    }
    for (const auto& v : variables) tape.watch(v);
    const Tensor y = evaluate(fn, x);
    const Tensor loss = sum(mul(y, u));
    analytic_inputs = tape.gradient(loss, sources);
    analytic_vars = tape.gradient(loss, variables);
  }

  Checker check{options, {}};
  const double eps = options.eps;
  for (std::size_t k = 0; k < float_inputs.size(); ++k) {
    const std::size_t i = float_inputs[k];
    const auto grad = analytic_inputs[k].to_vector<double>();
    for (std::int64_t e = 0; e < x[i].size(); ++e) {
      std::vector<Tensor> xp = x;
      Tensor plus = x[i].clone(), minus = x[i].clone();
      plus.mutable_data<double>()[e] += eps;
      minus.mutable_data<double>()[e] -= eps;
      xp[i] = plus;
      const double fp = project(u, evaluate(fn, xp));
      xp[i] = minus;
      const double fm = project(u, evaluate(fn, xp));
      check.compare(static_cast<int>(i), e, grad[static_cast<std::size_t>(e)], (fp - fm) / (2 * eps));
    }
  }
  for (std::size_t k = 0; k < variables.size(); ++k) {
    Variable v = variables[k];
    const auto grad = analytic_vars[k].to_vector<double>();
    for (std::int64_t e = 0; e < v.size(); ++e) {
      const double orig = v.value().data<double>()[e];
      v.mutable_data<double>()[e] = orig + eps;
      const double fp = project(u, evaluate(fn, x));
      v.mutable_data<double>()[e] = orig - eps;
      const double fm = project(u, evaluate(fn, x));
      v.mutable_data<double>()[e] = orig;
      check.compare(static_cast<int>(inputs.size() + k), e, grad[static_cast<std::size_t>(e)], (fp - fm) / (2 * eps));
    }
  }
  return check.report;
}

GradcheckReport gradgradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                              const GradcheckOptions& options) {
  if (!fn) throw ValueError("gradgradcheck: the function is empty");
  std::vector<Tensor> x;
  for (const auto& in : inputs) {
    detail::check_defined("gradgradcheck", in, "an input");
    x.push_back(is_floating(in.dtype()) ? in.astype(DType::float64) : in);
  }
  const Tensor y0 = evaluate(fn, x);
  Generator gen(options.seed ^ 0x9e3779b97f4a7c15ULL);
  const Tensor u = Tensor::random_normal(y0.shape(), 0.0, 1.0, DType::float64, gen);
  // g(x) = d<u, fn(x)>/dx for every float input, flattened and joined.
  GradcheckFn grad_fn = [&fn, u](const std::vector<Tensor>& xs) {
    GradientTape tape;
    std::vector<Tensor> sources;
    for (const auto& t : xs)
      if (is_floating(t.dtype())) {
        tape.watch(t);
        sources.push_back(t);
      }
    const Tensor loss = sum(mul(evaluate(fn, xs), u));
    std::vector<Tensor> parts;
    for (const auto& g : tape.gradient(loss, sources)) parts.push_back(flatten(g));
    return concat(parts, 0);
  };
  return gradcheck(grad_fn, x, options);
}

}  // namespace strata
