#pragma once
/// Elementwise ops with NumPy broadcasting; each records itself on the active GradientTape.
///
///   Tensor a = Tensor::ones({2, 3});
///   Tensor b = Tensor::from_vector({1, 2, 3}, {3});
///   Tensor c = a * b + 1.0;              // [2, 3]: b broadcast along the rows
///   Tensor d = relu(tanh(c) - 0.5);
///
/// Both operands of a binary op must have the same dtype (DTypeError otherwise); a C++ number
/// (`x * 2.0`) takes the tensor's dtype. Transcendental ops need a float dtype.
/// Comparisons return 0/1 in the operands' dtype and have no gradient.
#include "strata/tensor.hpp"

namespace strata {

// ---- binary arithmetic ----------------------------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
/// True division; int64 operands throw DTypeError (convert with astype first).
Tensor div(const Tensor& a, const Tensor& b);
/// a ** b elementwise; the gradient with respect to b is taken where a > 0 (zero elsewhere).
Tensor pow(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, double exponent);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);

// with a C++ number (the number takes the tensor's dtype)
Tensor add(const Tensor& a, double b);
Tensor sub(const Tensor& a, double b);
Tensor sub(double a, const Tensor& b);
Tensor mul(const Tensor& a, double b);
Tensor div(const Tensor& a, double b);
Tensor div(double a, const Tensor& b);
Tensor maximum(const Tensor& a, double b);
Tensor minimum(const Tensor& a, double b);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(const Tensor& a, double b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(const Tensor& a, double b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(const Tensor& a, double b);
Tensor operator/(double a, const Tensor& b);
Tensor operator-(const Tensor& a);

// ---- unary ------------------------------------------------------------------------------------
Tensor neg(const Tensor& x);
Tensor abs(const Tensor& x);
/// -1, 0 or 1 (no gradient).
Tensor sign(const Tensor& x);
Tensor square(const Tensor& x);
Tensor sqrt(const Tensor& x);
/// 1 / sqrt(x)
Tensor rsqrt(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
/// log(1 + x), accurate near 0.
Tensor log1p(const Tensor& x);
Tensor erf(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor tanh(const Tensor& x);
/// 1 / (1 + exp(-x)), without overflow for large |x|.
Tensor sigmoid(const Tensor& x);
/// Clamps to [min_value, max_value]; the gradient passes where min_value <= x <= max_value.
Tensor clip(const Tensor& x, double min_value, double max_value);

// ---- activations (Keras's definitions) ------------------------------------------------------
Tensor relu(const Tensor& x);
/// min(max(x, 0), 6)
Tensor relu6(const Tensor& x);
/// x for x > 0, alpha * x otherwise (Keras's LeakyReLU default alpha is 0.3; tf.nn's is 0.2).
Tensor leaky_relu(const Tensor& x, double alpha = 0.2);
/// x for x > 0, alpha * (exp(x) - 1) otherwise.
Tensor elu(const Tensor& x, double alpha = 1.0);
/// scale * elu(x, alpha) with the self-normalizing constants.
Tensor selu(const Tensor& x);
/// x * Phi(x); `approximate` uses the tanh formula (Keras's gelu(approximate=True)).
Tensor gelu(const Tensor& x, bool approximate = false);
/// log(1 + exp(x)), stable for large |x|.
Tensor softplus(const Tensor& x);
/// x / (1 + |x|)
Tensor softsign(const Tensor& x);
/// x * sigmoid(x) (also called silu).
Tensor swish(const Tensor& x);
/// relu6(x + 3) / 6 = clip(x / 6 + 0.5, 0, 1): Keras 3's hard_sigmoid.
Tensor hard_sigmoid(const Tensor& x);
/// clip(0.2 * x + 0.5, 0, 1): the hard_sigmoid of Keras 2 and TensorFlow.js (a model loaded
/// from their files names it "hard_sigmoid_keras2").
Tensor hard_sigmoid_keras2(const Tensor& x);
/// x * hard_sigmoid(x) (Keras 3's hard_silu, also called hard_swish).
Tensor hard_silu(const Tensor& x);
/// x for x > 0, alpha * (exp(x / alpha) - 1) otherwise.
Tensor celu(const Tensor& x, double alpha = 1.0);
/// clip(x, -1, 1)
Tensor hard_tanh(const Tensor& x);
/// x where |x| > threshold, else 0.
Tensor hard_shrink(const Tensor& x, double threshold = 0.5);
/// x - threshold above threshold, x + threshold below -threshold, 0 between.
Tensor soft_shrink(const Tensor& x, double threshold = 0.5);
/// x - tanh(x)
Tensor tanh_shrink(const Tensor& x);
/// log(sigmoid(x)) = -softplus(-x), stable for large |x|.
Tensor log_sigmoid(const Tensor& x);
/// x * tanh(softplus(x))
Tensor mish(const Tensor& x);
/// 0 for x <= -1, (x + 1)^2 / 4 for -1 < x < 1, x for x >= 1.
Tensor sparse_plus(const Tensor& x);
/// (x + sqrt(x^2 + b)) / 2
Tensor squareplus(const Tensor& x, double b = 4.0);
/// x where x > threshold, else default_value (Keras's threshold has no defaults).
Tensor threshold(const Tensor& x, double threshold, double default_value);

// ---- selection and comparison (no gradient through the condition) --------------------------
/// cond ? a : b elementwise with broadcasting of all three; cond is nonzero-means-true and may
/// have any dtype. Gradients flow to a where cond holds and to b elsewhere.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, double b);
Tensor where(const Tensor& cond, double a, const Tensor& b);
Tensor equal(const Tensor& a, const Tensor& b);
Tensor not_equal(const Tensor& a, const Tensor& b);
Tensor greater(const Tensor& a, const Tensor& b);
Tensor greater_equal(const Tensor& a, const Tensor& b);
Tensor less(const Tensor& a, const Tensor& b);
Tensor less_equal(const Tensor& a, const Tensor& b);
Tensor equal(const Tensor& a, double b);
Tensor not_equal(const Tensor& a, double b);
Tensor greater(const Tensor& a, double b);
Tensor greater_equal(const Tensor& a, double b);
Tensor less(const Tensor& a, double b);
Tensor less_equal(const Tensor& a, double b);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& a);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, double b);
Tensor operator<(const Tensor& a, double b);
Tensor operator>=(const Tensor& a, double b);
Tensor operator<=(const Tensor& a, double b);
/// True for NaN elements (0/1 in x's dtype).
Tensor isnan(const Tensor& x);
Tensor isfinite(const Tensor& x);

// ---- dtype and constants --------------------------------------------------------------------
/// astype as an op: differentiable between float32 and float64.
Tensor cast(const Tensor& x, DType dtype);
Tensor zeros_like(const Tensor& x);
Tensor ones_like(const Tensor& x);
Tensor full_like(const Tensor& x, double value);

}  // namespace strata
