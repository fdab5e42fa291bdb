// Shape ops: reshape (a view), squeeze/expand_dims, broadcasting and its reverse.
#include "strata/ops/shape.hpp"

#include "detail/dispatch.hpp"
#include "detail/loops.hpp"
#include "detail/tensor_impl.hpp"
#include "ops/grad_util.hpp"
#include "strata/autograd/tape.hpp"
#include "strata/ops/reduce.hpp"

namespace strata {

using autograd::BackwardContext;

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  return detail::broadcast_shape_of<2>({&a, &b}, op);
}

Tensor reshape(const Tensor& x, const Shape& shape) {
  detail::check_defined("reshape", x);
  Shape target = shape;
  std::int64_t known = 1;
  int infer = -1;
  for (std::size_t d = 0; d < target.rank(); ++d) {
    if (target[d] == -1) {
      if (infer >= 0) detail::raise<ValueError>("reshape: only one dimension can be -1, got {}", shape);
      infer = static_cast<int>(d);
    } else if (target[d] < 0) {
      detail::raise<ValueError>("reshape: invalid dimension {} in {}", target[d], shape);
    } else {
      known *= target[d];
    }
  }
  if (infer >= 0) {
    if (known == 0 || x.size() % known != 0)
      detail::raise<ShapeError>("reshape: cannot reshape {} ({} elements) into {}", x.shape(), x.size(), shape);
    target[static_cast<std::size_t>(infer)] = x.size() / known;
  } else if (known != x.size()) {
    detail::raise<ShapeError>("reshape: cannot reshape {} ({} elements) into {} ({} elements)", x.shape(), x.size(),
                              shape, known);
  }
  Tensor y = detail::make_view(x, target);
  if (autograd::should_record({&x}))
    // the gradient is reshaped back
    autograd::record("reshape", {&x}, {&y}, {}, [](const BackwardContext& c) {
      return std::vector<Tensor>{reshape(c.grad(), c.input_shape(0))};
    });
  return y;
}

Tensor flatten(const Tensor& x) { return reshape(x, {-1}); }

Tensor squeeze(const Tensor& x) {
  detail::check_defined("squeeze", x);
  Shape s;
  for (auto d : x.shape())
    if (d != 1) s.push_back(d);
  return reshape(x, s);
}

Tensor squeeze(const Tensor& x, const std::vector<std::int64_t>& axes) {
  detail::check_defined("squeeze", x);
  std::vector<bool> drop(x.rank(), false);
  for (auto a : axes) {
    const std::size_t ax = normalize_axis(a, x.rank(), "squeeze");
    if (x.shape()[ax] != 1)
      detail::raise<ValueError>("squeeze: axis {} has size {}, not 1 (input shape {})", a, x.shape()[ax], x.shape());
    drop[ax] = true;
  }
  Shape s;
  for (std::size_t d = 0; d < x.rank(); ++d)
    if (!drop[d]) s.push_back(x.shape()[d]);
  return reshape(x, s);
}

Tensor expand_dims(const Tensor& x, std::int64_t axis) {
  detail::check_defined("expand_dims", x);
  const std::size_t ax = normalize_axis(axis, x.rank() + 1, "expand_dims");
  Shape s = x.shape();
  s.insert(ax, 1);
  return reshape(x, s);
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  detail::check_defined("broadcast_to", x);
  const auto plan = detail::plan_broadcast<2>({&x.shape(), &shape}, "broadcast_to");
  if (plan.out_shape != shape)
    detail::raise<ShapeError>("broadcast_to: cannot broadcast {} to {}", x.shape(), shape);
  if (x.shape() == shape) return reshape(x, shape);
  Tensor y = detail::make_tensor(shape, x.dtype());
  detail::dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = detail::ptr<T>(x);
    T* py = detail::mut_ptr<T>(y);
    detail::for_each_run(plan, [&](const std::array<std::int64_t, 2>& off, std::int64_t o, std::int64_t n,
                                   const std::array<std::int64_t, 2>& st) {
      const T* src = px + off[0];
      T* dst = py + o;
      if (st[0] == 1) {
        for (std::int64_t i = 0; i < n; ++i) dst[i] = src[i];
      } else {
        const T v = src[0];
        for (std::int64_t i = 0; i < n; ++i) dst[i] = v;
      }
    });
  });
  if (autograd::should_record({&x}))
    // the gradient sums over the broadcast axes
    autograd::record("broadcast_to", {&x}, {&y}, {}, [](const BackwardContext& c) {
      return std::vector<Tensor>{sum_to(c.grad(), c.input_shape(0))};
    });
  return y;
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  detail::check_defined("sum_to", x);
  if (x.shape() == shape) return x;
  const Shape& s = x.shape();
  if (shape.rank() > s.rank() || broadcast_shapes(shape, s, "sum_to") != s)
    detail::raise<ShapeError>("sum_to: cannot sum {} down to {} ({} does not broadcast to {})", s, shape, shape, s);
  Axes axes;
  const std::size_t lead = s.rank() - shape.rank();
  for (std::size_t d = 0; d < s.rank(); ++d)
    if (d < lead || (shape[d - lead] == 1 && s[d] != 1)) axes.push_back(static_cast<std::int64_t>(d));
  if (axes.empty()) return reshape(x, shape);
  return reshape(sum(x, axes, true), shape);
}

}  // namespace strata
