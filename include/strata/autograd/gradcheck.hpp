#pragma once
/// Checks a function's analytic (tape) gradients against central finite differences in
/// float64: the tool for testing a custom op or layer.
///
///   auto report = gradcheck([](const std::vector<Tensor>& in) { return tanh(in[0]) * in[1]; },
///                           {Tensor::random_normal({3, 4}), Tensor::random_normal({4})});
///   if (!report.ok) std::cerr << report.to_string();
///
/// Inputs are converted to float64 (int64 inputs pass through unchecked). With a random
/// cotangent u, the tape's gradient of sum(u * fn(x)) is compared with
/// (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) for every element of every float input.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "strata/autograd/variable.hpp"
#include "strata/tensor.hpp"

namespace strata {

struct GradcheckOptions {
  double eps = 1e-6;    ///< finite-difference step
  double atol = 1e-6;   ///< an element passes when |analytic - numeric| <= atol + rtol*|numeric|
  double rtol = 1e-4;
  std::uint64_t seed = 1234;  ///< seeds the random cotangent u
};

struct GradcheckReport {
  bool ok = true;
  double max_abs_error = 0.0;
  double max_rel_error = 0.0;
  /// Where |analytic - numeric| is worst: the input (or, counting on after the inputs, the
  /// variable), its flat element index, and the two values there. -1 when nothing was checked.
  int worst_input = -1;
  std::int64_t worst_element = -1;
  double analytic = 0.0;
  double numeric = 0.0;
  std::int64_t elements_checked = 0;
  /// One paragraph: verdict, errors, the worst element.
  std::string to_string() const;
  explicit operator bool() const { return ok; }
};

using GradcheckFn = std::function<Tensor(const std::vector<Tensor>&)>;

GradcheckReport gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options = {});
/// Also checks the gradients of `variables` (a layer's weights, which must be float64): each
/// element is perturbed in place and restored.
GradcheckReport gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                          const std::vector<Variable>& variables,
                          const GradcheckOptions& options = {});
/// Second order: checks the tape's gradient of the gradient (u . dfn/dx, with a random u)
/// with gradcheck, which needs every backward rule involved to be differentiable.
GradcheckReport gradgradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                              const GradcheckOptions& options = {});

}  // namespace strata
