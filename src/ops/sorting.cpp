// take_along_axis (and its adjoint, a scatter-add along an axis), argsort, sort, top_k,
// in_top_k, searchsorted and the quantiles. Values pick elements through take_along_axis, so
// their gradients are its scatter-add; indices have none.
#include "strata/ops/sorting.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "detail/dispatch.hpp"
#include "detail/errors.hpp"
#include "detail/tensor_impl.hpp"
#include "strata/autograd/tape.hpp"
#include "strata/ops.hpp"

namespace strata {

using autograd::BackwardContext;

namespace {

/// A tensor viewed as [outer, n, inner] around `axis`.
struct Lanes {
  std::int64_t outer = 1, n = 1, inner = 1;
  std::size_t axis = 0;
};

Lanes lanes_of(const Shape& s, std::size_t axis) {
  Lanes l;
  l.axis = axis;
  for (std::size_t d = 0; d < s.rank(); ++d) {
    if (d < axis) l.outer *= s[d];
    if (d == axis) l.n = s[d];
    if (d > axis) l.inner *= s[d];
  }
  return l;
}

/// The indices as int64 values in [0, n), negative ones counted from the end.
std::vector<std::int64_t> checked_indices(const char* op, const Tensor& indices, std::int64_t n) {
  if (indices.dtype() != DType::int64)
    detail::raise<DTypeError>("{}: indices must be int64, got {} {}", op, dtype_name(indices.dtype()), indices.shape());
  std::vector<std::int64_t> v = indices.to_vector<std::int64_t>();
  for (auto& i : v) {
    if (i < -n || i >= n) detail::raise<ValueError>("{}: index {} is out of range for an axis of size {}", op, i, n);
    if (i < 0) i += n;
  }
  return v;
}

void check_along(const char* op, const Shape& x, const Shape& idx, std::size_t axis) {
  bool ok = x.rank() == idx.rank();
  for (std::size_t d = 0; ok && d < x.rank(); ++d) ok = d == axis || x[d] == idx[d];
  if (!ok)
    detail::raise<ShapeError>("{}: indices {} must have the shape of the input {} except along axis {}", op, idx, x,
                              axis);
}

Tensor scatter_add_along(const Shape& shape, const Tensor& indices, const Tensor& g, std::size_t axis);

/// f(position in the indices' layout, position in x's) for every index.
template <class F>
void for_each_index(const Lanes& li, const Lanes& lx, const std::vector<std::int64_t>& idx, F f) {
  for (std::int64_t o = 0; o < li.outer; ++o)
    for (std::int64_t j = 0; j < li.n; ++j)
      for (std::int64_t i = 0; i < li.inner; ++i) {
        const std::int64_t at = (o * li.n + j) * li.inner + i;
        f(at, (o * lx.n + idx[static_cast<std::size_t>(at)]) * lx.inner + i);
      }
}

Tensor take_forward(const Tensor& x, const Tensor& indices, std::size_t axis) {
  const Lanes lx = lanes_of(x.shape(), axis), li = lanes_of(indices.shape(), axis);
  const std::vector<std::int64_t> idx = checked_indices("take_along_axis", indices, lx.n);
  Tensor out = detail::make_tensor(indices.shape(), x.dtype());
  detail::dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = detail::ptr<T>(x);
    T* po = detail::mut_ptr<T>(out);
    for_each_index(li, lx, idx, [&](std::int64_t at, std::int64_t from) { po[at] = px[from]; });
  });
  if (autograd::should_record({&x}))
    autograd::record("take_along_axis", {&x}, {&out}, {indices}, [axis, shape = x.shape()](const BackwardContext& c) {
      return std::vector<Tensor>{scatter_add_along(shape, c.saved(0), c.grad(), axis)};
    });
  return out;
}

/// zeros(shape) with g added at `indices` along `axis`: take_along_axis's adjoint (linear in g,
/// so its own gradient is take_along_axis again).
Tensor scatter_add_along(const Shape& shape, const Tensor& indices, const Tensor& g, std::size_t axis) {
  const Lanes lx = lanes_of(shape, axis), li = lanes_of(indices.shape(), axis);
  const std::vector<std::int64_t> idx = checked_indices("take_along_axis", indices, lx.n);
  Tensor out = Tensor::zeros(shape, g.dtype());
  detail::dispatch(g.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* pg = detail::ptr<T>(g);
    T* po = detail::mut_ptr<T>(out);
    for_each_index(li, lx, idx, [&](std::int64_t at, std::int64_t to) { po[to] += pg[at]; });
  });
  if (autograd::should_record({&g}))
    autograd::record("scatter_add_along_axis", {&g}, {&out}, {indices}, [axis](const BackwardContext& c) {
      return std::vector<Tensor>{take_forward(c.grad(), c.saved(0), axis)};
    });
  return out;
}

/// NumPy's order: numbers ascending, NaN last.
template <class T>
bool before(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (b != b) return a == a;
    if (a != a) return false;
  }
  return a < b;
}

}  // namespace

Tensor take_along_axis(const Tensor& x, const Tensor& indices, std::int64_t axis) {
  detail::check_defined("take_along_axis", x);
  detail::check_defined("take_along_axis", indices, "indices");
  const std::size_t ax = normalize_axis(axis, x.rank(), "take_along_axis");
  check_along("take_along_axis", x.shape(), indices.shape(), ax);
  return take_forward(x, indices, ax);
}

Tensor argsort(const Tensor& x, std::int64_t axis, bool descending) {
  detail::check_defined("argsort", x);
  if (x.rank() == 0) return Tensor::zeros({}, DType::int64);
  const Lanes l = lanes_of(x.shape(), normalize_axis(axis, x.rank(), "argsort"));
  std::vector<double> out(static_cast<std::size_t>(x.size()));
  detail::dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = detail::ptr<T>(x);
    std::vector<std::int64_t> order(static_cast<std::size_t>(l.n));
    for (std::int64_t o = 0; o < l.outer; ++o)
      for (std::int64_t i = 0; i < l.inner; ++i) {
        const T* lane = px + o * l.n * l.inner + i;
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
          const T va = lane[a * l.inner], vb = lane[b * l.inner];
          return descending ? before(vb, va) : before(va, vb);
        });
        for (std::int64_t j = 0; j < l.n; ++j)
          out[static_cast<std::size_t>((o * l.n + j) * l.inner + i)] = static_cast<double>(order[static_cast<std::size_t>(j)]);
      }
  });
  return Tensor::from_vector(out, x.shape(), DType::int64);
}

Tensor sort(const Tensor& x, std::int64_t axis, bool descending) {
  if (x.rank() == 0) return x;
  return take_along_axis(x, argsort(x, axis, descending), axis);
}

std::pair<Tensor, Tensor> top_k(const Tensor& x, std::int64_t k, bool sorted) {
  detail::check_defined("top_k", x);
  if (x.rank() == 0) throw ShapeError("top_k: needs a tensor of rank >= 1, got a scalar");
  const std::int64_t n = x.dim(-1);
  if (k < 0 || k > n) detail::raise<ValueError>("top_k: k = {} must be in [0, {}] for the input {}", k, n, x.shape());
  Tensor idx = slice_axis(argsort(x, -1, true), -1, 0, k);
  if (!sorted) idx = sort(idx, -1);  // in the order of x
  return {take_along_axis(x, idx, -1), idx};
}

Tensor in_top_k(const Tensor& targets, const Tensor& predictions, std::int64_t k) {
  detail::check_defined("in_top_k", predictions);
  if (predictions.rank() != 2 || targets.rank() != 1 || targets.dim(0) != predictions.dim(0))
    detail::raise<ShapeError>("in_top_k: expected targets [N] and predictions [N, C], got {} and {}", targets.shape(),
                              predictions.shape());
  const Tensor t = reshape(targets, {targets.dim(0), 1});
  const Tensor target_score = take_along_axis(stop_gradient(predictions), t, 1);
  // the number of classes scored strictly higher than the target
  const Tensor higher = sum(greater(stop_gradient(predictions), target_score), 1);
  return less(higher, static_cast<double>(k));
}

Tensor searchsorted(const Tensor& sorted_sequence, const Tensor& values, const std::string& side) {
  detail::check_defined("searchsorted", sorted_sequence);
  if (sorted_sequence.rank() != 1)
    detail::raise<ShapeError>("searchsorted: sorted_sequence must be 1-D, got {}", sorted_sequence.shape());
  if (side != "left" && side != "right")
    detail::raise<ValueError>("searchsorted: side must be 'left' or 'right', got '{}'", side);
  const std::vector<double> seq = cast(sorted_sequence, DType::float64).to_vector<double>();
  const std::vector<double> v = cast(values, DType::float64).to_vector<double>();
  std::vector<double> out;
  out.reserve(v.size());
  for (double e : v) {
    const auto it = side == "left" ? std::lower_bound(seq.begin(), seq.end(), e) : std::upper_bound(seq.begin(), seq.end(), e);
    out.push_back(static_cast<double>(it - seq.begin()));
  }
  return Tensor::from_vector(out, values.shape(), DType::int64);
}

Tensor quantile(const Tensor& x, double q, std::int64_t axis, bool keepdims) {
  detail::check_defined("quantile", x);
  detail::check_floating("quantile", x);
  if (!(q >= 0 && q <= 1)) detail::raise<ValueError>("quantile: q must be in [0, 1], got {}", q);
  const auto ax = static_cast<std::int64_t>(normalize_axis(axis, x.rank(), "quantile"));
  const std::int64_t n = x.dim(ax);
  if (n == 0) detail::raise<ValueError>("quantile: axis {} of {} is empty", axis, x.shape());
  const Tensor s = sort(x, ax);
  const double pos = q * static_cast<double>(n - 1);
  const auto lo = static_cast<std::int64_t>(std::floor(pos));
  const std::int64_t hi = std::min(lo + 1, n - 1);
  const double frac = pos - static_cast<double>(lo);
  const Tensor a = slice_axis(s, ax, lo, lo + 1), b = slice_axis(s, ax, hi, hi + 1);
  const Tensor r = frac == 0.0 ? a : add(a, mul(sub(b, a), frac));
  return keepdims ? r : squeeze(r, {ax});
}

Tensor median(const Tensor& x, std::int64_t axis, bool keepdims) { return quantile(x, 0.5, axis, keepdims); }

}  // namespace strata
