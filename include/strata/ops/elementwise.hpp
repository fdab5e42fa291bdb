#pragma once
/// More elementwise ops, NumPy's and keras.ops' names and meanings: trigonometric and
/// hyperbolic functions, exponentials and logarithms in other bases, rounding, remainders,
/// and predicates. Binary ops broadcast as math.hpp's do and need operands of one dtype.
///
///   Tensor angle = arctan2(y, x);          // in (-pi, pi], quadrant-aware
///   Tensor lse = logaddexp(a, b);          // log(exp(a) + exp(b)) without overflow
///   Tensor safe = divide_no_nan(a, b);     // 0 where b == 0, gradients included
///
/// Every op is differentiable where it is mathematically (gradients are written with public
/// ops, so they are differentiable again); rounding, remainders' integer parts and predicates
/// are piecewise constant and record nothing.
#include <optional>

#include "strata/tensor.hpp"

namespace strata {

// ---- trigonometric and hyperbolic -------------------------------------------------------------
Tensor tan(const Tensor& x);
Tensor sinh(const Tensor& x);
Tensor cosh(const Tensor& x);
/// Inverse functions (NumPy's names); outside their domain they give NaN.
Tensor arcsin(const Tensor& x);
Tensor arccos(const Tensor& x);
Tensor arctan(const Tensor& x);
Tensor arcsinh(const Tensor& x);
Tensor arccosh(const Tensor& x);
Tensor arctanh(const Tensor& x);
/// The angle of the point (x, y) in (-pi, pi] (std::atan2's quadrants and signed zeros).
Tensor arctan2(const Tensor& y, const Tensor& x);
/// sqrt(a^2 + b^2) without overflow or underflow.
Tensor hypot(const Tensor& a, const Tensor& b);
/// sin(pi x) / (pi x), 1 at 0 (NumPy's normalized sinc).
Tensor sinc(const Tensor& x);

// ---- exponentials and logarithms ---------------------------------------------------------------
/// exp(x) - 1, accurate near 0.
Tensor expm1(const Tensor& x);
Tensor exp2(const Tensor& x);
Tensor log2(const Tensor& x);
Tensor log10(const Tensor& x);
/// log(exp(a) + exp(b)), stable for large |a|, |b|; its gradient is (sigmoid(a - b), sigmoid(b - a)).
Tensor logaddexp(const Tensor& a, const Tensor& b);
/// 1 - erf(x), accurate for large x.
Tensor erfc(const Tensor& x);
/// The real cube root (negative for negative x).
Tensor cbrt(const Tensor& x);
/// 1 / x
Tensor reciprocal(const Tensor& x);

// ---- division and remainders -------------------------------------------------------------------
/// a / b, and 0 where b == 0 (both the value and the gradients).
Tensor divide_no_nan(const Tensor& a, const Tensor& b);
/// Python's a % b: the remainder with the sign of b (NumPy's mod / remainder). The gradient
/// is 1 for a and -floor(a / b) for b.
Tensor mod(const Tensor& a, const Tensor& b);
/// C's fmod: the remainder with the sign of a. The gradient is 1 for a and -trunc(a / b) for b.
Tensor fmod(const Tensor& a, const Tensor& b);
/// floor(a / b) (no gradient).
Tensor floor_divide(const Tensor& a, const Tensor& b);

// ---- rounding and predicates (piecewise constant: no gradient) ---------------------------------
Tensor floor(const Tensor& x);
Tensor ceil(const Tensor& x);
/// Toward zero.
Tensor trunc(const Tensor& x);
/// To the nearest integer, halves to even (NumPy's round).
Tensor round(const Tensor& x);
/// 1 where the sign bit is set (-0.0 and NaNs with it included), else 0.
Tensor signbit(const Tensor& x);
/// 1 where x is +inf or -inf.
Tensor isinf(const Tensor& x);
/// 0 where x < 0, `at_zero` where x == 0, 1 where x > 0 (NumPy's heaviside(x, at_zero)).
Tensor heaviside(const Tensor& x, const Tensor& at_zero);
/// |a - b| <= atol + rtol |b| elementwise (NaNs unequal unless equal_nan).
Tensor isclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false);
/// (a != 0) != (b != 0), as 0/1 in the operands' dtype.
Tensor logical_xor(const Tensor& a, const Tensor& b);

/// NaN -> nan, +inf -> posinf, -inf -> neginf (by default the dtype's largest and lowest finite
/// values, as NumPy); the gradient passes where x is finite.
Tensor nan_to_num(const Tensor& x, double nan = 0.0, std::optional<double> posinf = std::nullopt,
                  std::optional<double> neginf = std::nullopt);

}  // namespace strata
