// Reductions over axes. The kernel groups adjacent axes that are all reduced or all kept, so
// any set of axes runs as a few contiguous loops: row sums as SIMD dot-free sums, column sums
// (the bias gradient) as vector adds over rows.
#include "strata/ops/reduce.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "detail/dispatch.hpp"
#include "detail/simd.hpp"
#include "detail/tensor_impl.hpp"
#include "ops/grad_util.hpp"
#include "strata/autograd/tape.hpp"
#include "strata/ops/math.hpp"
#include "strata/ops/shape.hpp"

namespace strata {

using autograd::BackwardContext;

namespace {

enum class Red { sum, max, min, prod };

struct Reduction {
  std::vector<bool> reduced;  // per input axis
  Shape keep_shape;           // reduced axes as 1
  Shape out_shape;            // keepdims or not
  std::int64_t count = 1;     // elements per output
};

Reduction plan_reduction(const char* op, const Shape& s, const Axes& axes, bool keepdims) {
  Reduction r;
  const std::size_t rank = s.rank();
  r.reduced.assign(rank, axes.empty());
  for (auto a : axes) {
    const std::size_t ax = normalize_axis(a, rank, op);
    if (r.reduced[ax] && !axes.empty())
      detail::raise<ValueError>("{}: axis {} is listed twice (input shape {})", op, a, s);
    r.reduced[ax] = true;
  }
  for (std::size_t d = 0; d < rank; ++d) {
    if (r.reduced[d]) {
      r.count *= s[d];
      r.keep_shape.push_back(1);
      if (keepdims) r.out_shape.push_back(1);
    } else {
      r.keep_shape.push_back(s[d]);
      r.out_shape.push_back(s[d]);
    }
  }
  return r;
}

template <class T>
T identity(Red op) {
  switch (op) {
    case Red::sum: return T(0);
    case Red::prod: return T(1);
    case Red::max:
      return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                  : std::numeric_limits<T>::lowest();
    case Red::min:
      return std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity()
                                                  : std::numeric_limits<T>::max();
  }
  return T(0);
}

template <class T>
inline T combine(Red op, T a, T b) {
  switch (op) {
    case Red::sum: return a + b;
    case Red::prod: return a * b;
    case Red::max: return (a > b || a != a) ? a : b;  // NaN propagates
    case Red::min: return (a < b || a != a) ? a : b;
  }
  return a;
}

template <class T>
T block_reduce(Red op, const T* x, std::int64_t n) {
  if constexpr (std::is_floating_point_v<T>) {
    if (op == Red::sum) return detail::simd_sum(x, n);
  }
  T acc = identity<T>(op);
  switch (op) {
    case Red::sum:
      for (std::int64_t i = 0; i < n; ++i) acc += x[i];
      break;
    case Red::prod:
      for (std::int64_t i = 0; i < n; ++i) acc *= x[i];
      break;
    default:
      for (std::int64_t i = 0; i < n; ++i) acc = combine(op, acc, x[i]);
  }
  return acc;
}

template <class T>
void reduce_kernel(Red op, const Tensor& x, const Reduction& r, Tensor& out) {
  const T* px = detail::ptr<T>(x);
  T* po = detail::mut_ptr<T>(out);
  const std::int64_t nout = out.size();
  for (std::int64_t i = 0; i < nout; ++i) po[i] = identity<T>(op);
  if (x.size() == 0) return;
  // Groups of adjacent axes with the same mark (size-1 axes join any group).
  std::vector<std::int64_t> gdim;
  std::vector<bool> gred;
  const Shape& s = x.shape();
  for (std::size_t d = 0; d < s.rank(); ++d) {
    if (s[d] == 1) continue;
    if (!gdim.empty() && gred.back() == r.reduced[d]) {
      gdim.back() *= s[d];
    } else {
      gdim.push_back(s[d]);
      gred.push_back(r.reduced[d]);
    }
  }
  if (gdim.empty()) {  // a single element
    po[0] = combine(op, po[0], px[0]);
    return;
  }
  const std::size_t G = gdim.size();
  std::vector<std::int64_t> in_stride(G), out_stride(G);
  std::int64_t is = 1, os = 1;
  for (std::size_t g = G; g-- > 0;) {
    in_stride[g] = is;
    out_stride[g] = gred[g] ? 0 : os;
    is *= gdim[g];
    if (!gred[g]) os *= gdim[g];
  }
  const std::int64_t inner = gdim[G - 1];
  const bool inner_reduced = gred[G - 1];
  const std::int64_t outer = x.size() / inner;
  std::vector<std::int64_t> idx(G, 0);
  std::int64_t ioff = 0, ooff = 0;
  for (std::int64_t o = 0; o < outer; ++o) {
    const T* xb = px + ioff;
    if (inner_reduced) {
      po[ooff] = combine(op, po[ooff], block_reduce(op, xb, inner));
    } else {
      T* ob = po + ooff;
      switch (op) {
        case Red::sum:
          for (std::int64_t i = 0; i < inner; ++i) ob[i] += xb[i];
          break;
        case Red::prod:
          for (std::int64_t i = 0; i < inner; ++i) ob[i] *= xb[i];
          break;
        default:
          for (std::int64_t i = 0; i < inner; ++i) ob[i] = combine(op, ob[i], xb[i]);
      }
    }
    for (std::size_t g = G - 1; g-- > 0;) {
      ++idx[g];
      ioff += in_stride[g];
      ooff += out_stride[g];
      if (idx[g] < gdim[g]) break;
      ioff -= in_stride[g] * gdim[g];
      ooff -= out_stride[g] * gdim[g];
      idx[g] = 0;
    }
  }
}

const char* red_name(Red op) {
  switch (op) {
    case Red::sum: return "sum";
    case Red::max: return "max";
    case Red::min: return "min";
    case Red::prod: return "prod";
  }
  return "?";
}

Tensor reduce_forward(Red op, const Tensor& x, const Reduction& r) {
  Tensor out = detail::make_tensor(r.out_shape, x.dtype());
  detail::dispatch(x.dtype(), [&](auto tag) { reduce_kernel<decltype(tag)>(op, x, r, out); });
  return out;
}

/// g (of the output shape) broadcast back over the reduced axes.
Tensor expand_grad(const Tensor& g, const Shape& keep_shape, const Shape& x_shape) {
  return broadcast_to(reshape(g, keep_shape), x_shape);
}

}  // namespace

Tensor sum(const Tensor& x, const Axes& axes, bool keepdims) {
  detail::check_defined("sum", x);
  Reduction r = plan_reduction("sum", x.shape(), axes, keepdims);
  Tensor y = reduce_forward(Red::sum, x, r);
  if (autograd::should_record({&x}))
    // d sum = the upstream gradient repeated over the reduced axes
    autograd::record("sum", {&x}, {&y}, {}, [keep = r.keep_shape](const BackwardContext& c) {
      return std::vector<Tensor>{expand_grad(c.grad(), keep, c.input_shape(0))};
    });
  return y;
}

Tensor mean(const Tensor& x, const Axes& axes, bool keepdims) {
  detail::check_defined("mean", x);
  detail::check_floating("mean", x);
  const Reduction r = plan_reduction("mean", x.shape(), axes, keepdims);
  if (r.count == 0) detail::raise<ValueError>("mean: cannot average over an empty axis (input shape {})", x.shape());
  return mul(sum(x, axes, keepdims), 1.0 / static_cast<double>(r.count));
}

namespace {
Tensor extremum(Red op, const Tensor& x, const Axes& axes, bool keepdims) {
  const char* name = red_name(op);
  detail::check_defined(name, x);
  Reduction r = plan_reduction(name, x.shape(), axes, keepdims);
  if (r.count == 0) detail::raise<ValueError>("{}: cannot reduce over an empty axis (input shape {})", name, x.shape());
  Tensor y = reduce_forward(op, x, r);
  if (autograd::should_record({&x}))
    // the gradient goes to the extreme elements, shared equally among ties
    autograd::record(name, {&x}, {&y}, {x, y}, [keep = r.keep_shape](const BackwardContext& c) {
      const Tensor& x = c.saved(0);
      const Tensor mask = equal(x, reshape(c.saved(1), keep));
      Axes spread;  // reduced axes that had more than one element
      for (std::size_t d = 0; d < keep.rank(); ++d)
        if (keep[d] == 1 && x.shape()[d] != 1) spread.push_back(static_cast<std::int64_t>(d));
      const Tensor share = spread.empty() ? mask : div(mask, sum(mask, spread, true));
      return std::vector<Tensor>{mul(share, reshape(c.grad(), keep))};
    });
  return y;
}
}  // namespace

Tensor max(const Tensor& x, const Axes& axes, bool keepdims) { return extremum(Red::max, x, axes, keepdims); }
Tensor min(const Tensor& x, const Axes& axes, bool keepdims) { return extremum(Red::min, x, axes, keepdims); }

Tensor prod(const Tensor& x, const Axes& axes, bool keepdims) {
  detail::check_defined("prod", x);
  Reduction r = plan_reduction("prod", x.shape(), axes, keepdims);
  Tensor y = reduce_forward(Red::prod, x, r);
  if (autograd::should_record({&x}))
    // d prod = prod / x_i dx_i; with zeros, the product of the other elements
    autograd::record("prod", {&x}, {&y}, {x, y}, [r](const BackwardContext& c) {
      const Tensor& x = c.saved(0);
      const Tensor g = reshape(c.grad(), r.keep_shape);
      const bool has_zero = sum(equal(x, 0.0)).item<double>() > 0;
      if (!has_zero) return std::vector<Tensor>{mul(g, div(reshape(c.saved(1), r.keep_shape), x))};
      // Product of the others, element by element (first order only in this rare case).
      Tensor others = detail::make_tensor(x.shape(), x.dtype());
      detail::dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* px = detail::ptr<T>(x);
        T* po = detail::mut_ptr<T>(others);
        const Shape& s = x.shape();
        std::vector<std::int64_t> strides(s.rank(), 1);
        for (std::size_t d = s.rank(); d-- > 1;) strides[d - 1] = strides[d] * s[d];
        for (std::int64_t i = 0, i_end = x.size(); i < i_end; ++i) {
          // enumerate the reduction group of element i
          std::vector<std::int64_t> idx(s.rank());
          std::int64_t rem = i, base = 0;
          for (std::size_t d = 0; d < s.rank(); ++d) {
            idx[d] = rem / strides[d];
            rem %= strides[d];
            if (!r.reduced[d]) base += idx[d] * strides[d];
          }
          T p = T(1);
          std::vector<std::int64_t> j(s.rank(), 0);
          for (std::int64_t k = 0; k < r.count; ++k) {
            std::int64_t off = base, kk = k;
            for (std::size_t d = s.rank(); d-- > 0;) {
              if (!r.reduced[d]) continue;
              j[d] = kk % s[d];
              kk /= s[d];
              off += j[d] * strides[d];
            }
            if (off != i) p *= px[off];
          }
          po[i] = p;
        }
      });
      return std::vector<Tensor>{mul(g, others)};
    });
  return y;
}

Tensor var(const Tensor& x, const Axes& axes, bool keepdims) {
  detail::check_defined("var", x);
  detail::check_floating("var", x);
  return mean(square(sub(x, mean(x, axes, true))), axes, keepdims);
}

Tensor stddev(const Tensor& x, const Axes& axes, bool keepdims) { return sqrt(var(x, axes, keepdims)); }

Tensor logsumexp(const Tensor& x, const Axes& axes, bool keepdims) {
  detail::check_defined("logsumexp", x);
  detail::check_floating("logsumexp", x);
  const Reduction r = plan_reduction("logsumexp", x.shape(), axes, keepdims);
  Tensor m = stop_gradient(max(x, axes, true));
  m = where(isfinite(m), m, 0.0);  // all -inf rows stay -inf without NaN
  Tensor y = add(log(sum(exp(sub(x, m)), axes, true)), m);
  return keepdims ? y : reshape(y, r.out_shape);
}

Tensor sum(const Tensor& x, std::int64_t axis, bool keepdims) { return sum(x, Axes{axis}, keepdims); }
Tensor mean(const Tensor& x, std::int64_t axis, bool keepdims) { return mean(x, Axes{axis}, keepdims); }
Tensor max(const Tensor& x, std::int64_t axis, bool keepdims) { return max(x, Axes{axis}, keepdims); }
Tensor min(const Tensor& x, std::int64_t axis, bool keepdims) { return min(x, Axes{axis}, keepdims); }
Tensor prod(const Tensor& x, std::int64_t axis, bool keepdims) { return prod(x, Axes{axis}, keepdims); }
Tensor var(const Tensor& x, std::int64_t axis, bool keepdims) { return var(x, Axes{axis}, keepdims); }
Tensor stddev(const Tensor& x, std::int64_t axis, bool keepdims) { return stddev(x, Axes{axis}, keepdims); }
Tensor logsumexp(const Tensor& x, std::int64_t axis, bool keepdims) { return logsumexp(x, Axes{axis}, keepdims); }

// ---- argmax / argmin ---------------------------------------------------------------------------

namespace {
Tensor arg_extremum(bool is_max, const Tensor& x, std::int64_t axis, bool keepdims) {
  const char* name = is_max ? "argmax" : "argmin";
  detail::check_defined(name, x);
  const Shape& s = x.shape();
  if (s.rank() == 0) detail::raise<ValueError>("{}: needs a tensor of rank >= 1, got a scalar", name);
  const std::size_t ax = normalize_axis(axis, s.rank(), name);
  const std::int64_t n = s[ax];
  if (n == 0) detail::raise<ValueError>("{}: axis {} is empty (input shape {})", name, axis, s);
  std::int64_t outer = 1, inner = 1;
  for (std::size_t d = 0; d < ax; ++d) outer *= s[d];
  for (std::size_t d = ax + 1; d < s.rank(); ++d) inner *= s[d];
  Shape out_shape;
  for (std::size_t d = 0; d < s.rank(); ++d) {
    if (d != ax)
      out_shape.push_back(s[d]);
    else if (keepdims)
      out_shape.push_back(1);
  }
  Tensor out = detail::make_tensor(out_shape, DType::int64);
  std::int64_t* po = detail::mut_ptr<std::int64_t>(out);
  detail::dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = detail::ptr<T>(x);
    for (std::int64_t o = 0; o < outer; ++o) {
      for (std::int64_t i = 0; i < inner; ++i) {
        const T* base = px + o * n * inner + i;
        std::int64_t best = 0;
        T bv = base[0];
        for (std::int64_t k = 1; k < n; ++k) {
          const T v = base[k * inner];
          if (bv != bv) break;  // NaN wins, as in NumPy
          if (is_max ? (v > bv || v != v) : (v < bv || v != v)) {
            bv = v;
            best = k;
          }
        }
        po[o * inner + i] = best;
      }
    }
  });
  return out;
}
}  // namespace

Tensor argmax(const Tensor& x, std::int64_t axis, bool keepdims) { return arg_extremum(true, x, axis, keepdims); }
Tensor argmin(const Tensor& x, std::int64_t axis, bool keepdims) { return arg_extremum(false, x, axis, keepdims); }
Tensor argmax(const Tensor& x) { return arg_extremum(true, flatten(x), 0, false); }
Tensor argmin(const Tensor& x) { return arg_extremum(false, flatten(x), 0, false); }

}  // namespace strata
