// Indexing ops: slice, concat/stack/split, gather (and its scatter-add gradient), one_hot, pad,
// tile.
#include <algorithm>
#include <cstring>

#include "detail/dispatch.hpp"
#include "detail/tensor_impl.hpp"
#include "ops/grad_util.hpp"
#include "strata/autograd/tape.hpp"
#include "strata/ops/linalg.hpp"
#include "strata/ops/math.hpp"
#include "strata/ops/reduce.hpp"
#include "strata/ops/shape.hpp"

namespace strata {

using autograd::BackwardContext;

namespace {

std::vector<std::int64_t> row_major_strides(const Shape& s) {
  std::vector<std::int64_t> st(s.rank(), 1);
  for (std::size_t d = s.rank(); d-- > 1;) st[d - 1] = st[d] * s[d];
  return st;
}

/// A resolved slice: per axis the first index, the step and the count.
struct SliceSpec {
  std::vector<std::int64_t> start, step, count;
};

/// Visits (index into the sliced tensor, index into the full tensor) for every sliced element.
template <class F>
void for_each_slice_element(const Shape& full, const SliceSpec& sp, F f) {
  const std::size_t r = full.rank();
  std::int64_t total = 1;
  for (auto c : sp.count) total *= c;
  if (total == 0) return;
  const auto st = row_major_strides(full);
  if (r == 0) {
    f(0, 0);
    return;
  }
  std::int64_t base = 0;
  std::vector<std::int64_t> jump(r);
  for (std::size_t d = 0; d < r; ++d) {
    base += sp.start[d] * st[d];
    jump[d] = sp.step[d] * st[d];
  }
  const std::int64_t inner = sp.count[r - 1];
  std::vector<std::int64_t> idx(r, 0);
  std::int64_t off = base;
  for (std::int64_t o = 0; o < total; o += inner) {
    for (std::int64_t i = 0; i < inner; ++i) f(o + i, off + i * jump[r - 1]);
    for (std::size_t d = r - 1; d-- > 0;) {
      ++idx[d];
      off += jump[d];
      if (idx[d] < sp.count[d]) break;
      off -= jump[d] * sp.count[d];
      idx[d] = 0;
    }
  }
}

Shape sliced_shape(const SliceSpec& sp) { return Shape(sp.count); }

Tensor slice_with(const Tensor& x, const SliceSpec& sp);

/// The gradient of a slice: g scattered into zeros of the full shape.
Tensor slice_grad(const Tensor& g, const Shape& full, const SliceSpec& sp) {
  Tensor y = Tensor::zeros(full, g.dtype());
  detail::dispatch(g.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* pg = detail::ptr<T>(g);
    T* py = detail::mut_ptr<T>(y);
    for_each_slice_element(full, sp, [&](std::int64_t i, std::int64_t j) { py[j] = pg[i]; });
  });
  if (autograd::should_record({&g}))
    // its own gradient is the slice again
    autograd::record("slice_grad", {&g}, {&y}, {}, [sp](const BackwardContext& c) {
      return std::vector<Tensor>{slice_with(c.grad(), sp)};
    });
  return y;
}

Tensor slice_with(const Tensor& x, const SliceSpec& sp) {
  Tensor y = detail::make_tensor(sliced_shape(sp), x.dtype());
  detail::dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = detail::ptr<T>(x);
    T* py = detail::mut_ptr<T>(y);
    for_each_slice_element(x.shape(), sp, [&](std::int64_t i, std::int64_t j) { py[i] = px[j]; });
  });
  if (autograd::should_record({&x}))
    // d slice = the gradient scattered back into zeros
    autograd::record("slice", {&x}, {&y}, {}, [sp](const BackwardContext& c) {
      return std::vector<Tensor>{slice_grad(c.grad(), c.input_shape(0), sp)};
    });
  return y;
}

/// Python's slice.indices(n) and the resulting count.
void resolve(std::int64_t n, std::int64_t start, std::int64_t stop, std::int64_t step, std::int64_t& first,
             std::int64_t& count) {
  if (step > 0) {
    start = start < 0 ? std::max<std::int64_t>(start + n, 0) : std::min(start, n);
    stop = stop < 0 ? std::max<std::int64_t>(stop + n, 0) : std::min(stop, n);
    count = stop > start ? (stop - start + step - 1) / step : 0;
  } else {
    start = start < 0 ? std::max<std::int64_t>(start + n, -1) : std::min(start, n - 1);
    stop = stop < 0 ? std::max<std::int64_t>(stop + n, -1) : std::min(stop, n - 1);
    count = start > stop ? (start - stop + (-step) - 1) / (-step) : 0;
  }
  first = count > 0 ? start : 0;
}

}  // namespace

Tensor slice(const Tensor& x, const std::vector<std::int64_t>& starts, const std::vector<std::int64_t>& stops,
             const std::vector<std::int64_t>& steps) {
  detail::check_defined("slice", x);
  const std::size_t r = x.rank();
  if (starts.size() > r || stops.size() > r || steps.size() > r)
    detail::raise<ValueError>("slice: {} starts, {} stops and {} steps for a tensor of rank {} (shape {})",
                              starts.size(), stops.size(), steps.size(), r, x.shape());
  if (starts.size() != stops.size())
    detail::raise<ValueError>("slice: {} starts but {} stops", starts.size(), stops.size());
  SliceSpec sp;
  for (std::size_t d = 0; d < r; ++d) {
    const std::int64_t n = x.shape()[d];
    const std::int64_t step = d < steps.size() ? steps[d] : 1;
    if (step == 0) detail::raise<ValueError>("slice: step of axis {} is zero", d);
    std::int64_t first = 0, count = n;
    if (d < starts.size()) resolve(n, starts[d], stops[d], step, first, count);
    sp.start.push_back(first);
    sp.step.push_back(d < starts.size() ? step : 1);
    sp.count.push_back(count);
  }
  return slice_with(x, sp);
}

Tensor slice_axis(const Tensor& x, std::int64_t axis, std::int64_t start, std::int64_t stop, std::int64_t step) {
  detail::check_defined("slice_axis", x);
  const std::size_t ax = normalize_axis(axis, x.rank(), "slice_axis");
  std::vector<std::int64_t> starts(ax + 1, 0), stops(ax + 1, 0), steps(ax + 1, 1);
  for (std::size_t d = 0; d < ax; ++d) stops[d] = x.shape()[d];
  starts[ax] = start;
  stops[ax] = stop;
  steps[ax] = step;
  return slice(x, starts, stops, steps);
}

// ---- concat / split ------------------------------------------------------------------------------

Tensor concat(const std::vector<Tensor>& xs, std::int64_t axis) {
  if (xs.empty()) throw ValueError("concat: needs at least one tensor");
  for (const auto& x : xs) detail::check_defined("concat", x);
  const Tensor& first = xs[0];
  const std::size_t r = first.rank();
  if (r == 0) throw ShapeError("concat: cannot concatenate scalars (rank 0); use stack");
  const std::size_t ax = normalize_axis(axis, r, "concat");
  Shape out_shape = first.shape();
  out_shape[ax] = 0;
  std::vector<std::int64_t> sizes;
  for (const auto& x : xs) {
    detail::check_same_dtype("concat", first, x);
    bool ok = x.rank() == r;
    for (std::size_t d = 0; ok && d < r; ++d) ok = d == ax || x.shape()[d] == first.shape()[d];
    if (!ok) {
      std::vector<const Tensor*> ps;
      for (const auto& t : xs) ps.push_back(&t);
      detail::raise<ShapeError>("concat: shapes {} do not match outside axis {}", detail::shapes_str(ps), axis);
    }
    out_shape[ax] += x.shape()[ax];
    sizes.push_back(x.shape()[ax]);
  }
  std::int64_t outer = 1, inner = 1;
  for (std::size_t d = 0; d < ax; ++d) outer *= out_shape[d];
  for (std::size_t d = ax + 1; d < r; ++d) inner *= out_shape[d];
  Tensor y = detail::make_tensor(out_shape, first.dtype());
  const std::size_t esize = dtype_size(first.dtype());
  auto* py = static_cast<char*>(y.impl()->data);
  const std::int64_t row = out_shape[ax] * inner;
  std::int64_t col = 0;
  for (std::size_t k = 0; k < xs.size(); ++k) {
    const auto* px = static_cast<const char*>(xs[k].raw_data());
    const std::int64_t block = sizes[k] * inner;
    for (std::int64_t o = 0; o < outer; ++o)
      std::memcpy(py + static_cast<std::size_t>(o * row + col) * esize, px + static_cast<std::size_t>(o * block) * esize,
                  static_cast<std::size_t>(block) * esize);
    col += block;
  }
  if (autograd::should_record(xs))
    // the gradient is split back into the pieces
    autograd::record("concat", xs, {y}, {}, [sizes, ax](const BackwardContext& c) {
      std::vector<Tensor> parts = split_sizes(c.grad(), sizes, static_cast<std::int64_t>(ax));
      for (std::size_t i = 0; i < parts.size(); ++i)
        if (!c.needs_grad(i)) parts[i] = Tensor();
      return parts;
    });
  return y;
}

Tensor stack(const std::vector<Tensor>& xs, std::int64_t axis) {
  if (xs.empty()) throw ValueError("stack: needs at least one tensor");
  for (const auto& x : xs) {
    detail::check_defined("stack", x);
    if (x.shape() != xs[0].shape()) {
      std::vector<const Tensor*> ps;
      for (const auto& t : xs) ps.push_back(&t);
      detail::raise<ShapeError>("stack: all tensors need the same shape, got {}", detail::shapes_str(ps));
    }
  }
  const std::size_t ax = normalize_axis(axis, xs[0].rank() + 1, "stack");
  std::vector<Tensor> expanded;
  expanded.reserve(xs.size());
  for (const auto& x : xs) expanded.push_back(expand_dims(x, static_cast<std::int64_t>(ax)));
  return concat(expanded, static_cast<std::int64_t>(ax));
}

std::vector<Tensor> split_sizes(const Tensor& x, const std::vector<std::int64_t>& sizes, std::int64_t axis) {
  detail::check_defined("split", x);
  if (x.rank() == 0) throw ShapeError("split: cannot split a scalar");
  const std::size_t ax = normalize_axis(axis, x.rank(), "split");
  std::int64_t total = 0;
  for (auto s : sizes) {
    if (s < 0) detail::raise<ValueError>("split: negative size {} in the sizes", s);
    total += s;
  }
  if (total != x.shape()[ax])
    detail::raise<ShapeError>("split: sizes add up to {} but axis {} of {} has {}", total, axis, x.shape(),
                              x.shape()[ax]);
  std::int64_t outer = 1, inner = 1;
  for (std::size_t d = 0; d < ax; ++d) outer *= x.shape()[d];
  for (std::size_t d = ax + 1; d < x.rank(); ++d) inner *= x.shape()[d];
  const std::size_t esize = dtype_size(x.dtype());
  const auto* px = static_cast<const char*>(x.raw_data());
  const std::int64_t row = x.shape()[ax] * inner;
  std::vector<Tensor> parts;
  std::int64_t col = 0;
  for (auto s : sizes) {
    Shape ps = x.shape();
    ps[ax] = s;
    Tensor p = detail::make_tensor(ps, x.dtype());
    auto* pp = static_cast<char*>(p.impl()->data);
    const std::int64_t block = s * inner;
    for (std::int64_t o = 0; o < outer; ++o)
      std::memcpy(pp + static_cast<std::size_t>(o * block) * esize, px + static_cast<std::size_t>(o * row + col) * esize,
                  static_cast<std::size_t>(block) * esize);
    col += block;
    parts.push_back(std::move(p));
  }
  if (autograd::should_record({&x}))
    // the gradients of the parts are joined (zeros for unused parts)
    autograd::record("split", {x}, parts, {}, [ax](const BackwardContext& c) {
      std::vector<Tensor> gs;
      for (std::size_t i = 0; i < c.num_outputs(); ++i) gs.push_back(c.grad(i));
      return std::vector<Tensor>{concat(gs, static_cast<std::int64_t>(ax))};
    });
  return parts;
}

std::vector<Tensor> split(const Tensor& x, std::int64_t num, std::int64_t axis) {
  detail::check_defined("split", x);
  if (x.rank() == 0) throw ShapeError("split: cannot split a scalar");
  const std::size_t ax = normalize_axis(axis, x.rank(), "split");
  if (num <= 0 || x.shape()[ax] % num != 0)
    detail::raise<ValueError>("split: axis {} of {} (size {}) does not split into {} equal parts", axis, x.shape(),
                              x.shape()[ax], num);
  return split_sizes(x, std::vector<std::int64_t>(static_cast<std::size_t>(num), x.shape()[ax] / num), axis);
}

// ---- gather / scatter-add ----------------------------------------------------------------------------

namespace {

struct GatherGeom {
  std::int64_t outer = 1, n = 0, inner = 1, nidx = 0;
};

GatherGeom gather_geom(const Shape& xs, std::size_t ax, const Tensor& indices) {
  GatherGeom g;
  for (std::size_t d = 0; d < ax; ++d) g.outer *= xs[d];
  for (std::size_t d = ax + 1; d < xs.rank(); ++d) g.inner *= xs[d];
  g.n = xs[ax];
  g.nidx = indices.size();
  return g;
}

/// Checks and normalizes the indices (negative count from the end).
std::vector<std::int64_t> checked_indices(const char* op, const Tensor& indices, std::int64_t n, const Shape& xs,
                                          std::int64_t axis) {
  if (indices.dtype() != DType::int64)
    detail::raise<DTypeError>("{}: indices must be int64, got {} {}", op, indices.dtype(), indices.shape());
  std::vector<std::int64_t> idx(static_cast<std::size_t>(indices.size()));
  const auto* p = detail::ptr<std::int64_t>(indices);
  for (std::size_t k = 0; k < idx.size(); ++k) {
    std::int64_t v = p[k];
    if (v < -n || v >= n)
      detail::raise<ValueError>("{}: index {} is out of range for axis {} of size {} (input shape {})", op, v, axis, n,
                                xs);
    idx[k] = v < 0 ? v + n : v;
  }
  return idx;
}

Tensor scatter_add(const Tensor& g, const Tensor& indices, std::size_t ax, const Shape& full);

Tensor gather_checked(const Tensor& x, const Tensor& indices, std::size_t ax, const std::vector<std::int64_t>& idx) {
  const GatherGeom geo = gather_geom(x.shape(), ax, indices);
  Shape out_shape;
  for (std::size_t d = 0; d < ax; ++d) out_shape.push_back(x.shape()[d]);
  for (auto d : indices.shape()) out_shape.push_back(d);
  for (std::size_t d = ax + 1; d < x.rank(); ++d) out_shape.push_back(x.shape()[d]);
  Tensor y = detail::make_tensor(out_shape, x.dtype());
  const std::size_t row = static_cast<std::size_t>(geo.inner) * dtype_size(x.dtype());
  const auto* px = static_cast<const char*>(x.raw_data());
  auto* py = static_cast<char*>(y.impl()->data);
  for (std::int64_t o = 0; o < geo.outer; ++o)
    for (std::int64_t k = 0; k < geo.nidx; ++k)
      std::memcpy(py + static_cast<std::size_t>(o * geo.nidx + k) * row,
                  px + static_cast<std::size_t>(o * geo.n + idx[static_cast<std::size_t>(k)]) * row, row);
  if (autograd::should_record({&x}))
    // the gradient adds each slice back at its index (repeated indices add up)
    autograd::record("gather", {&x, &indices}, {&y}, {indices}, [ax](const BackwardContext& c) {
      return detail::per_input(c, [&](std::size_t i) -> Tensor {
        if (i == 1) return Tensor();
        return scatter_add(c.grad(), c.saved(0), ax, c.input_shape(0));
      });
    });
  return y;
}

Tensor scatter_add(const Tensor& g, const Tensor& indices, std::size_t ax, const Shape& full) {
  const auto idx = checked_indices("gather (gradient)", indices, full[ax], full, static_cast<std::int64_t>(ax));
  const GatherGeom geo = gather_geom(full, ax, indices);
  Tensor y = Tensor::zeros(full, g.dtype());
  detail::dispatch(g.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* pg = detail::ptr<T>(g);
    T* py = detail::mut_ptr<T>(y);
    for (std::int64_t o = 0; o < geo.outer; ++o)
      for (std::int64_t k = 0; k < geo.nidx; ++k) {
        T* dst = py + (o * geo.n + idx[static_cast<std::size_t>(k)]) * geo.inner;
        const T* src = pg + (o * geo.nidx + k) * geo.inner;
        for (std::int64_t i = 0; i < geo.inner; ++i) dst[i] += src[i];
      }
  });
  if (autograd::should_record({&g}))
    // its gradient gathers again
    autograd::record("scatter_add", {&g, &indices}, {&y}, {indices}, [ax](const BackwardContext& c) {
      return detail::per_input(c, [&](std::size_t i) -> Tensor {
        if (i == 1) return Tensor();
        return gather(c.grad(), c.saved(0), static_cast<std::int64_t>(ax));
      });
    });
  return y;
}

}  // namespace

Tensor gather(const Tensor& x, const Tensor& indices, std::int64_t axis) {
  detail::check_defined("gather", x);
  detail::check_defined("gather", indices, "indices");
  if (x.rank() == 0) throw ShapeError("gather: cannot gather from a scalar");
  const std::size_t ax = normalize_axis(axis, x.rank(), "gather");
  const auto idx = checked_indices("gather", indices, x.shape()[ax], x.shape(), axis);
  return gather_checked(x, indices, ax, idx);
}

Tensor one_hot(const Tensor& indices, std::int64_t depth, DType dtype, double on_value, double off_value) {
  detail::check_defined("one_hot", indices, "indices");
  if (indices.dtype() != DType::int64)
    detail::raise<DTypeError>("one_hot: indices must be int64, got {} {}", indices.dtype(), indices.shape());
  if (depth < 0) detail::raise<ValueError>("one_hot: depth must be non-negative, got {}", depth);
  Shape s = indices.shape();
  s.push_back(depth);
  Tensor y = Tensor::full(s, off_value, dtype);
  const auto* pi = detail::ptr<std::int64_t>(indices);
  detail::dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* py = detail::mut_ptr<T>(y);
    for (std::int64_t k = 0, k_end = indices.size(); k < k_end; ++k)
      if (pi[k] >= 0 && pi[k] < depth) py[k * depth + pi[k]] = static_cast<T>(on_value);
  });
  return y;
}

// ---- pad / tile -----------------------------------------------------------------------------------

Tensor pad(const Tensor& x, const std::vector<std::pair<std::int64_t, std::int64_t>>& paddings, double value,
           const char* mode) {
  detail::check_defined("pad", x);
  const std::size_t r = x.rank();
  if (paddings.size() != r)
    detail::raise<ValueError>("pad: {} (before, after) pairs for a tensor of rank {} (shape {})", paddings.size(), r,
                              x.shape());
  for (const auto& [b, a] : paddings)
    if (b < 0 || a < 0) detail::raise<ValueError>("pad: negative padding ({}, {}) for shape {}", b, a, x.shape());
  const std::string m = mode;
  if (m == "reflect" || m == "symmetric") {
    const std::int64_t shift = m == "reflect" ? 1 : 0;
    Tensor y = x;
    for (std::size_t d = 0; d < r; ++d) {
      const auto [before, after] = paddings[d];
      if (before == 0 && after == 0) continue;
      const std::int64_t n = x.shape()[d];
      if (before > n - shift || after > n - shift)
        detail::raise<ValueError>("pad: {} padding ({}, {}) of axis {} needs at most {} (shape {})", m, before, after,
                                  d, n - shift, x.shape());
      std::vector<Tensor> pieces;
      const auto ax = static_cast<std::int64_t>(d);
      // Mirror images, read with step -1. A stop below 0 is written -n-1 ("through index 0"),
      // since a plain -1 would count from the end.
      auto through = [n](std::int64_t stop) { return stop < 0 ? -n - 1 : stop; };
      if (before > 0) pieces.push_back(slice_axis(y, ax, before - 1 + shift, through(shift - 1), -1));
      pieces.push_back(y);
      if (after > 0) pieces.push_back(slice_axis(y, ax, n - 1 - shift, through(n - 1 - shift - after), -1));
      y = concat(pieces, ax);
    }
    return y;
  }
  if (m != "constant") detail::raise<ValueError>("pad: unknown mode '{}' (known: constant, reflect, symmetric)", m);
  Shape out_shape = x.shape();
  SliceSpec inner;
  for (std::size_t d = 0; d < r; ++d) {
    out_shape[d] += paddings[d].first + paddings[d].second;
    inner.start.push_back(paddings[d].first);
    inner.step.push_back(1);
    inner.count.push_back(x.shape()[d]);
  }
  Tensor y = Tensor::full(out_shape, value, x.dtype());
  detail::dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = detail::ptr<T>(x);
    T* py = detail::mut_ptr<T>(y);
    for_each_slice_element(out_shape, inner, [&](std::int64_t i, std::int64_t j) { py[j] = px[i]; });
  });
  if (autograd::should_record({&x}))
    // the gradient is the interior of the upstream gradient
    autograd::record("pad", {&x}, {&y}, {}, [inner](const BackwardContext& c) {
      return std::vector<Tensor>{slice_with(c.grad(), inner)};
    });
  return y;
}

Tensor tile(const Tensor& x, const std::vector<std::int64_t>& reps) {
  detail::check_defined("tile", x);
  for (auto r : reps)
    if (r < 0) detail::raise<ValueError>("tile: negative repetition {} (input shape {})", r, x.shape());
  const std::size_t r = std::max(x.rank(), reps.size());
  std::vector<std::int64_t> full_reps(r, 1), dims(r, 1);
  for (std::size_t i = 0; i < reps.size(); ++i) full_reps[r - reps.size() + i] = reps[i];
  for (std::size_t i = 0; i < x.rank(); ++i) dims[r - x.rank() + i] = x.shape()[i];
  // [d0, d1] -> [1, d0, 1, d1] -> broadcast [r0, d0, r1, d1] -> [r0*d0, r1*d1]
  Shape expanded, broadcast, out;
  for (std::size_t i = 0; i < r; ++i) {
    expanded.push_back(1);
    expanded.push_back(dims[i]);
    broadcast.push_back(full_reps[i]);
    broadcast.push_back(dims[i]);
    out.push_back(full_reps[i] * dims[i]);
  }
  return reshape(broadcast_to(reshape(x, expanded), broadcast), out);
}

}  // namespace strata
