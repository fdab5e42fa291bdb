#include "strata/autograd/functional.hpp"

#include "detail/errors.hpp"
#include "strata/autograd/tape.hpp"
#include "strata/ops.hpp"

namespace strata {

Tensor jacobian(const TensorFn& fn, const Tensor& x) {
  detail::check_defined("jacobian", x);
  detail::check_floating("jacobian", x);
  GradientTape tape(/*persistent=*/true);
  tape.watch(x);
  const Tensor y = fn(x);
  detail::check_defined("jacobian", y, "fn(x)");
  std::vector<Tensor> rows;
  rows.reserve(static_cast<std::size_t>(y.size()));
  for (std::int64_t i = 0; i < y.size(); ++i) {
    std::vector<double> onehot(static_cast<std::size_t>(y.size()), 0.0);
    onehot[static_cast<std::size_t>(i)] = 1.0;
    const Tensor seed = Tensor::from_vector(onehot, y.shape(), y.dtype());
    rows.push_back(tape.gradient(y, {x}, seed)[0]);
  }
  Shape s = y.shape();
  for (auto d : x.shape()) s.push_back(d);
  if (rows.empty()) return Tensor::zeros(s, x.dtype());
  return reshape(stack(rows, 0), s);
}

Tensor hvp(const TensorFn& fn, const Tensor& x, const Tensor& v) {
  detail::check_defined("hvp", x);
  detail::check_defined("hvp", v, "vector");
  detail::check_floating("hvp", x);
  if (v.shape() != x.shape())
    detail::raise<ShapeError>("hvp: the vector has shape {} but x has shape {}", v.shape(), x.shape());
  GradientTape outer;
  outer.watch(x);
  Tensor g;
  {
    GradientTape inner;
    inner.watch(x);
    const Tensor y = fn(x);
    g = inner.gradient(y, {x})[0];
  }
  return outer.gradient(g, {x}, v)[0];
}

std::pair<Tensor, Tensor> value_and_grad(const TensorFn& fn, const Tensor& x) {
  detail::check_defined("value_and_grad", x);
  GradientTape tape;
  tape.watch(x);
  Tensor y = fn(x);
  Tensor g = tape.gradient(y, {x})[0];
  return {y, g};
}

}  // namespace strata
