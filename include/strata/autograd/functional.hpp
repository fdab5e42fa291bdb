#pragma once
/// Derivatives of whole functions, built on GradientTape.
///
///   auto f = [](const Tensor& x) { return sum(x * x * x); };
///   Tensor x = Tensor::from_vector({1, 2}, {2}, DType::float64);
///   jacobian([](const Tensor& x) { return x * x; }, x);   // diag(2x): [[2, 0], [0, 4]]
///   hvp(f, x, Tensor::ones({2}, DType::float64));           // H v = 6x * v = [6, 12]
#include <functional>
#include <vector>

#include "strata/tensor.hpp"

namespace strata {

using TensorFn = std::function<Tensor(const Tensor&)>;

/// The Jacobian of fn at x, of shape fn(x).shape() + x.shape().
Tensor jacobian(const TensorFn& fn, const Tensor& x);
/// Hessian-vector product of a scalar fn at x with v (same shape as x), by two nested tapes.
Tensor hvp(const TensorFn& fn, const Tensor& x, const Tensor& v);
/// fn(x) and its gradient (fn must return a scalar, or its sum is differentiated).
std::pair<Tensor, Tensor> value_and_grad(const TensorFn& fn, const Tensor& x);

}  // namespace strata
