// The ops of strata/ops/arrays.hpp. cumsum has its own kernel; the rest are compositions of
// public ops, so their gradients (and second-order gradients) come with them.
#include "strata/ops/arrays.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "detail/dispatch.hpp"
#include "detail/errors.hpp"
#include "detail/tensor_impl.hpp"
#include "strata/autograd/tape.hpp"
#include "strata/ops.hpp"

namespace strata {

using autograd::BackwardContext;

namespace {

std::size_t axis_of(const char* op, std::int64_t axis, const Tensor& x) {
  detail::check_defined(op, x);
  return normalize_axis(axis, x.rank(), op);
}

Axes all_axes(const Tensor& x) {
  Axes a;
  for (std::size_t d = 0; d < x.rank(); ++d) a.push_back(static_cast<std::int64_t>(d));
  return a;
}

/// sqrt(s) with a zero gradient where s == 0 (the norm's subgradient there).
Tensor safe_root(const Tensor& s, double p) {
  const Tensor pos = greater(s, 0.0);
  const Tensor safe = where(pos, s, 1.0);
  return where(pos, p == 2.0 ? sqrt(safe) : pow(safe, 1.0 / p), 0.0);
}

/// Indices as an int64 tensor.
Tensor indices(const std::vector<std::int64_t>& v) {
  std::vector<double> d(v.begin(), v.end());
  return Tensor::from_vector(d, {static_cast<std::int64_t>(v.size())}, DType::int64);
}

void check_matrix(const char* op, const Tensor& x) {
  detail::check_defined(op, x);
  if (x.rank() < 2) detail::raise<ShapeError>("{}: needs matrices (rank >= 2), got {}", op, x.shape());
}

Shape without_last(const Shape& s, std::size_t k) { return Shape(std::vector<std::int64_t>(s.begin(), s.end() - static_cast<std::ptrdiff_t>(k))); }

}  // namespace

// ---- norms and reductions ----------------------------------------------------------------------

Tensor norm(const Tensor& x, double ord, const std::vector<std::int64_t>& axes_, bool keepdims) {
  detail::check_defined("norm", x);
  detail::check_floating("norm", x);
  const Axes axes = axes_.empty() ? all_axes(x) : axes_;
  if (std::isinf(ord)) return ord > 0 ? max(abs(x), axes, keepdims) : min(abs(x), axes, keepdims);
  if (ord == 0) return stop_gradient(sum(not_equal(x, 0.0), axes, keepdims));
  if (ord == 1) return sum(abs(x), axes, keepdims);
  if (ord == 2) return safe_root(sum(square(x), axes, keepdims), 2.0);
  if (!(ord > 0)) detail::raise<ValueError>("norm: ord must be positive, 0 or +-inf, got {}", ord);
  return safe_root(sum(pow(abs(x), ord), axes, keepdims), ord);
}

Tensor matrix_norm(const Tensor& x, const std::string& ord, std::int64_t axis1, std::int64_t axis2, bool keepdims) {
  check_matrix("matrix_norm", x);
  const auto a1 = static_cast<std::int64_t>(axis_of("matrix_norm", axis1, x));
  const auto a2 = static_cast<std::int64_t>(axis_of("matrix_norm", axis2, x));
  if (a1 == a2) detail::raise<ValueError>("matrix_norm: axis1 and axis2 are the same axis ({})", a1);
  if (ord == "fro") return norm(x, 2.0, {a1, a2}, keepdims);
  Tensor r;
  if (ord == "1") r = max(sum(abs(x), a1, true), a2, true);            // the largest column sum
  else if (ord == "-1") r = min(sum(abs(x), a1, true), a2, true);
  else if (ord == "inf") r = max(sum(abs(x), a2, true), a1, true);     // the largest row sum
  else if (ord == "-inf") r = min(sum(abs(x), a2, true), a1, true);
  else
    detail::raise<ValueError>("matrix_norm: ord '{}' is not supported (fro, 1, -1, inf and -inf are; nuc and 2 need "
                              "singular values)",
                              ord);
  return keepdims ? r : squeeze(r, {std::min(a1, a2), std::max(a1, a2)});
}

Tensor cumsum(const Tensor& x, std::int64_t axis) {
  const std::size_t ax = axis_of("cumsum", axis, x);
  std::int64_t outer = 1, n = x.shape()[ax], inner = 1;
  for (std::size_t d = 0; d < ax; ++d) outer *= x.shape()[d];
  for (std::size_t d = ax + 1; d < x.rank(); ++d) inner *= x.shape()[d];
  Tensor out = detail::make_tensor(x.shape(), x.dtype());
  detail::dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = detail::ptr<T>(x);
    T* po = detail::mut_ptr<T>(out);
    for (std::int64_t o = 0; o < outer; ++o)
      for (std::int64_t k = 0; k < n; ++k) {
        const std::int64_t base = (o * n + k) * inner;
        for (std::int64_t i = 0; i < inner; ++i) po[base + i] = px[base + i] + (k ? po[base - inner + i] : T(0));
      }
  });
  if (autograd::should_record({&x}))
    // d cumsum: the running sum of the gradient from the end
    autograd::record("cumsum", {&x}, {&out}, {}, [ax](const BackwardContext& c) {
      const auto a = static_cast<std::int64_t>(ax);
      return std::vector<Tensor>{flip(cumsum(flip(c.grad(), {a}), a), {a})};
    });
  return out;
}

Tensor logcumsumexp(const Tensor& x, std::int64_t axis) {
  const auto ax = static_cast<std::int64_t>(axis_of("logcumsumexp", axis, x));
  detail::check_floating("logcumsumexp", x);
  if (x.size() == 0) return x;
  // relative to the largest value along the axis (an all -inf lane stays -inf)
  Tensor m = stop_gradient(max(x, ax, true));
  m = where(isfinite(m), m, 0.0);
  return add(log(cumsum(exp(sub(x, m)), ax)), m);
}

Tensor ptp(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  const Axes a = axes.empty() ? all_axes(x) : axes;
  return sub(max(x, a, keepdims), min(x, a, keepdims));
}

Tensor average(const Tensor& x, const Tensor& weights, std::int64_t axis) {
  const std::size_t ax = axis_of("average", axis, x);
  Tensor w = weights;
  if (weights.rank() == 1 && x.rank() > 1) {
    if (weights.dim(0) != x.shape()[ax])
      detail::raise<ShapeError>("average: {} weights for axis {} of size {} (input {})", weights.dim(0), axis,
                                x.shape()[ax], x.shape());
    Shape s = Shape::filled(x.rank(), 1);
    s[ax] = weights.dim(0);
    w = reshape(weights, s);
  }
  const auto a = static_cast<std::int64_t>(ax);
  return div(sum(mul(x, w), a), sum(broadcast_to(w, x.shape()), a));
}

Tensor count_nonzero(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  detail::check_defined("count_nonzero", x);
  return cast(sum(cast(not_equal(x, 0.0), DType::float64), axes.empty() ? all_axes(x) : axes, keepdims), DType::int64);
}
Tensor all(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  detail::check_defined("all", x);
  return stop_gradient(equal(sum(equal(x, 0.0), axes.empty() ? all_axes(x) : axes, keepdims), 0.0));
}
Tensor any(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  detail::check_defined("any", x);
  return stop_gradient(greater(sum(not_equal(x, 0.0), axes.empty() ? all_axes(x) : axes, keepdims), 0.0));
}

Tensor trapezoid(const Tensor& y, double dx, std::int64_t axis) {
  const auto ax = static_cast<std::int64_t>(axis_of("trapezoid", axis, y));
  const std::int64_t n = y.dim(ax);
  if (n < 2) return sum(mul(y, 0.0), ax);
  return mul(sum(add(slice_axis(y, ax, 1, n), slice_axis(y, ax, 0, n - 1)), ax), dx / 2);
}

// ---- rearranging ------------------------------------------------------------------------------

Tensor flip(const Tensor& x, const std::vector<std::int64_t>& axes) {
  detail::check_defined("flip", x);
  const Axes a = axes.empty() ? all_axes(x) : axes;
  Tensor y = x;
  for (auto axis : a) {
    const auto ax = static_cast<std::int64_t>(axis_of("flip", axis, x));
    const std::int64_t n = x.dim(ax);
    y = slice_axis(y, ax, n - 1, -n - 1, -1);
  }
  return y;
}

Tensor roll(const Tensor& x, std::int64_t shift, std::int64_t axis) {
  const auto ax = static_cast<std::int64_t>(axis_of("roll", axis, x));
  const std::int64_t n = x.dim(ax);
  if (n == 0) return x;
  const std::int64_t s = ((shift % n) + n) % n;
  if (s == 0) return x;
  return concat({slice_axis(x, ax, n - s, n), slice_axis(x, ax, 0, n - s)}, ax);
}

Tensor moveaxis(const Tensor& x, std::int64_t source, std::int64_t destination) {
  const auto s = static_cast<std::int64_t>(axis_of("moveaxis", source, x));
  const auto d = static_cast<std::int64_t>(axis_of("moveaxis", destination, x));
  std::vector<std::int64_t> perm;
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(x.rank()); ++i)
    if (i != s) perm.push_back(i);
  perm.insert(perm.begin() + d, s);
  return transpose(x, perm);
}

Tensor swapaxes(const Tensor& x, std::int64_t axis1, std::int64_t axis2) {
  std::vector<std::int64_t> perm = all_axes(x);
  std::swap(perm[axis_of("swapaxes", axis1, x)], perm[axis_of("swapaxes", axis2, x)]);
  return transpose(x, perm);
}

Tensor repeat(const Tensor& x, std::int64_t repeats, std::int64_t axis) {
  const auto ax = static_cast<std::int64_t>(axis_of("repeat", axis, x));
  if (repeats < 0) detail::raise<ValueError>("repeat: repeats must be >= 0, got {}", repeats);
  std::vector<std::int64_t> idx;
  for (std::int64_t i = 0; i < x.dim(ax) * repeats; ++i) idx.push_back(i / repeats);
  return gather(x, indices(idx), ax);
}

Tensor diff(const Tensor& x, std::int64_t n, std::int64_t axis) {
  const auto ax = static_cast<std::int64_t>(axis_of("diff", axis, x));
  if (n < 0) detail::raise<ValueError>("diff: n must be >= 0, got {}", n);
  Tensor y = x;
  for (std::int64_t k = 0; k < n; ++k) {
    const std::int64_t len = y.dim(ax);
    if (len == 0) break;
    y = sub(slice_axis(y, ax, 1, len), slice_axis(y, ax, 0, len - 1));
  }
  return y;
}

// ---- triangles and diagonals --------------------------------------------------------------------

namespace {
Tensor triangle(const char* op, const Tensor& x, std::int64_t k, bool lower) {
  check_matrix(op, x);
  const std::int64_t n = x.dim(-2), m = x.dim(-1);
  std::vector<double> mask(static_cast<std::size_t>(n * m));
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < m; ++j) mask[static_cast<std::size_t>(i * m + j)] = lower ? j - i <= k : j - i >= k;
  return where(Tensor::from_vector(mask, {n, m}, x.dtype()), x, 0.0);
}
}  // namespace

Tensor tril(const Tensor& x, std::int64_t k) { return triangle("tril", x, k, true); }
Tensor triu(const Tensor& x, std::int64_t k) { return triangle("triu", x, k, false); }

Tensor eye(std::int64_t n, std::int64_t m, std::int64_t k, DType dtype) {
  if (m < 0) m = n;
  if (n < 0) detail::raise<ValueError>("eye: n must be >= 0, got {}", n);
  std::vector<double> v(static_cast<std::size_t>(n * m), 0.0);
  for (std::int64_t i = 0; i < n; ++i)
    if (i + k >= 0 && i + k < m) v[static_cast<std::size_t>(i * m + i + k)] = 1.0;
  return Tensor::from_vector(v, {n, m}, dtype);
}

Tensor diagonal(const Tensor& x, std::int64_t offset) {
  check_matrix("diagonal", x);
  const std::int64_t n = x.dim(-2), m = x.dim(-1);
  std::vector<std::int64_t> flat;
  for (std::int64_t i = 0; i < n; ++i)
    if (i + offset >= 0 && i + offset < m) flat.push_back(i * m + i + offset);
  Shape s = without_last(x.shape(), 2);
  s.push_back(n * m);
  return gather(reshape(x, s), indices(flat), -1);
}

Tensor trace(const Tensor& x, std::int64_t offset) {
  check_matrix("trace", x);
  return sum(diagonal(x, offset), -1);
}

Tensor diag(const Tensor& x, std::int64_t k) {
  detail::check_defined("diag", x);
  if (x.rank() == 2) return diagonal(x, k);
  if (x.rank() != 1) detail::raise<ShapeError>("diag: expected a 1-D or 2-D tensor, got {}", x.shape());
  const std::int64_t len = x.dim(0), size = len + (k < 0 ? -k : k);
  // each position of the matrix takes an element of v, or the appended zero
  std::vector<std::int64_t> idx(static_cast<std::size_t>(size * size), len);
  for (std::int64_t i = 0; i < len; ++i) {
    const std::int64_t r = k >= 0 ? i : i - k, c = k >= 0 ? i + k : i;
    idx[static_cast<std::size_t>(r * size + c)] = i;
  }
  const Tensor padded = concat({x, Tensor::zeros({1}, x.dtype())}, 0);
  return reshape(gather(padded, indices(idx), 0), {size, size});
}

// ---- products ---------------------------------------------------------------------------------

Tensor outer(const Tensor& a, const Tensor& b) {
  detail::check_defined("outer", a, "first operand");
  detail::check_defined("outer", b, "second operand");
  return matmul(reshape(a, {a.size(), 1}), reshape(b, {1, b.size()}));
}

Tensor tensordot(const Tensor& a, const Tensor& b, std::int64_t axes) {
  detail::check_defined("tensordot", a, "first operand");
  detail::check_defined("tensordot", b, "second operand");
  const auto k = static_cast<std::size_t>(axes);
  if (axes < 0 || k > a.rank() || k > b.rank())
    detail::raise<ValueError>("tensordot: cannot contract {} axes of {} and {}", axes, a.shape(), b.shape());
  std::int64_t inner_size = 1;
  for (std::size_t i = 0; i < k; ++i) {
    if (a.shape()[a.rank() - k + i] != b.shape()[i])
      detail::raise<ShapeError>("tensordot: the last {} axes of {} do not match the first of {}", axes, a.shape(),
                                b.shape());
    inner_size *= b.shape()[i];
  }
  const Shape ka = without_last(a.shape(), k);
  const Shape kb(std::vector<std::int64_t>(b.shape().begin() + static_cast<std::ptrdiff_t>(k), b.shape().end()));
  const Tensor r = matmul(reshape(a, {ka.num_elements(), inner_size}), reshape(b, {inner_size, kb.num_elements()}));
  Shape out = ka;
  for (auto d : kb) out.push_back(d);
  return reshape(r, out);
}

Tensor inner(const Tensor& a, const Tensor& b) {
  detail::check_defined("inner", a, "first operand");
  if (a.rank() == 0 || b.rank() == 0) return mul(a, b);
  std::vector<std::int64_t> perm;  // b's last axis first
  perm.push_back(static_cast<std::int64_t>(b.rank()) - 1);
  for (std::int64_t d = 0; d + 1 < static_cast<std::int64_t>(b.rank()); ++d) perm.push_back(d);
  return tensordot(a, transpose(b, perm), 1);
}

Tensor vdot(const Tensor& a, const Tensor& b) {
  detail::check_defined("vdot", a, "first operand");
  detail::check_defined("vdot", b, "second operand");
  if (a.size() != b.size())
    detail::raise<ShapeError>("vdot: the operands have {} and {} elements ({} and {})", a.size(), b.size(), a.shape(),
                              b.shape());
  return sum(mul(flatten(a), flatten(b)));
}

Tensor kron(const Tensor& a, const Tensor& b) {
  detail::check_defined("kron", a, "first operand");
  if (a.rank() != 2 || b.rank() != 2)
    detail::raise<ShapeError>("kron: expected two matrices, got {} and {}", a.shape(), b.shape());
  const std::int64_t p = a.dim(0), q = a.dim(1), r = b.dim(0), s = b.dim(1);
  return reshape(mul(reshape(a, {p, 1, q, 1}), reshape(b, {1, r, 1, s})), {p * r, q * s});
}

Tensor cross(const Tensor& a, const Tensor& b) {
  detail::check_defined("cross", a, "first operand");
  detail::check_defined("cross", b, "second operand");
  if (a.rank() == 0 || b.rank() == 0 || a.dim(-1) != 3 || b.dim(-1) != 3)
    detail::raise<ShapeError>("cross: expected 3-vectors along the last axis, got {} and {}", a.shape(), b.shape());
  auto c = [](const Tensor& t, std::int64_t i) { return slice_axis(t, -1, i, i + 1); };
  return concat({sub(mul(c(a, 1), c(b, 2)), mul(c(a, 2), c(b, 1))), sub(mul(c(a, 2), c(b, 0)), mul(c(a, 0), c(b, 2))),
                 sub(mul(c(a, 0), c(b, 1)), mul(c(a, 1), c(b, 0)))},
                -1);
}

// ---- joining, splitting, grids ---------------------------------------------------------------------

namespace {
std::vector<Tensor> at_least(const std::vector<Tensor>& xs, std::size_t rank, bool columns) {
  if (xs.empty()) throw ValueError("stack: needs at least one tensor");
  std::vector<Tensor> out;
  for (const auto& x : xs) {
    detail::check_defined("stack", x);
    Tensor y = x.rank() == 0 ? reshape(x, {1}) : x;
    if (rank >= 2 && y.rank() == 1) y = columns ? reshape(y, {y.dim(0), 1}) : reshape(y, {1, y.dim(0)});
    if (rank >= 3 && y.rank() == 2) y = reshape(y, {y.dim(0), y.dim(1), 1});
    out.push_back(y);
  }
  return out;
}
}  // namespace

Tensor hstack(const std::vector<Tensor>& xs) {
  const auto ys = at_least(xs, 1, false);
  return concat(ys, ys[0].rank() == 1 ? 0 : 1);
}
Tensor vstack(const std::vector<Tensor>& xs) { return concat(at_least(xs, 2, false), 0); }
Tensor dstack(const std::vector<Tensor>& xs) { return concat(at_least(xs, 3, false), 2); }
Tensor column_stack(const std::vector<Tensor>& xs) { return concat(at_least(xs, 2, true), 1); }

std::vector<Tensor> unstack(const Tensor& x, std::int64_t axis) {
  const auto ax = static_cast<std::int64_t>(axis_of("unstack", axis, x));
  std::vector<Tensor> out;
  for (std::int64_t i = 0; i < x.dim(ax); ++i) out.push_back(squeeze(slice_axis(x, ax, i, i + 1), {ax}));
  return out;
}

std::vector<Tensor> array_split(const Tensor& x, std::int64_t sections, std::int64_t axis) {
  const auto ax = static_cast<std::int64_t>(axis_of("array_split", axis, x));
  if (sections <= 0) detail::raise<ValueError>("array_split: sections must be positive, got {}", sections);
  const std::int64_t n = x.dim(ax), base = n / sections, extra = n % sections;
  std::vector<Tensor> out;
  for (std::int64_t i = 0, start = 0; i < sections; ++i) {
    const std::int64_t len = base + (i < extra ? 1 : 0);
    out.push_back(slice_axis(x, ax, start, start + len));
    start += len;
  }
  return out;
}

std::vector<Tensor> meshgrid(const std::vector<Tensor>& xs, const std::string& indexing) {
  if (indexing != "xy" && indexing != "ij")
    detail::raise<ValueError>("meshgrid: indexing must be 'xy' or 'ij', got '{}'", indexing);
  Shape grid;
  for (const auto& x : xs) {
    detail::check_defined("meshgrid", x);
    if (x.rank() != 1) detail::raise<ShapeError>("meshgrid: expected 1-D tensors, got {}", x.shape());
    grid.push_back(x.dim(0));
  }
  const bool xy = indexing == "xy" && xs.size() >= 2;
  if (xy) std::swap(grid[0], grid[1]);
  std::vector<Tensor> out;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const std::size_t at = xy && i < 2 ? 1 - i : i;
    Shape s = Shape::filled(xs.size(), 1);
    s[at] = xs[i].dim(0);
    out.push_back(broadcast_to(reshape(xs[i], s), grid));
  }
  return out;
}

Tensor linspace(double start, double stop, std::int64_t num, bool endpoint, DType dtype) {
  if (num < 0) detail::raise<ValueError>("linspace: num must be >= 0, got {}", num);
  const double div = static_cast<double>(endpoint ? num - 1 : num);
  std::vector<double> v;
  for (std::int64_t i = 0; i < num; ++i)
    v.push_back(div > 0 ? start + (stop - start) * static_cast<double>(i) / div : start);
  if (endpoint && num > 1) v.back() = stop;
  return Tensor::from_vector(v, {num}, dtype);
}

Tensor logspace(double start, double stop, std::int64_t num, bool endpoint, double base, DType dtype) {
  std::vector<double> v = linspace(start, stop, num, endpoint, DType::float64).to_vector<double>();
  for (auto& e : v) e = std::pow(base, e);
  return Tensor::from_vector(v, {num}, dtype);
}

Tensor geomspace(double start, double stop, std::int64_t num, bool endpoint, DType dtype) {
  if (start == 0 || stop == 0 || (start < 0) != (stop < 0))
    detail::raise<ValueError>("geomspace: start and stop must be non-zero and of one sign, got {} and {}", start, stop);
  const double sgn = start < 0 ? -1.0 : 1.0;
  std::vector<double> v =
      logspace(std::log10(sgn * start), std::log10(sgn * stop), num, endpoint, 10.0, DType::float64).to_vector<double>();
  for (auto& e : v) e *= sgn;
  if (num > 0) v.front() = start;
  if (endpoint && num > 1) v.back() = stop;
  return Tensor::from_vector(v, {num}, dtype);
}

Tensor tri(std::int64_t n, std::int64_t m, std::int64_t k, DType dtype) {
  if (m < 0) m = n;
  return tril(Tensor::ones({n, m}, dtype), k);
}

Tensor depth_to_space(const Tensor& x, std::int64_t b) {
  detail::check_defined("depth_to_space", x);
  if (x.rank() != 4 || b < 1 || x.dim(3) % (b * b) != 0)
    detail::raise<ShapeError>("depth_to_space: expected [N, H, W, C] with C divisible by block_size^2 = {}, got {}",
                              b * b, x.shape());
  const std::int64_t n = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3) / (b * b);
  const Tensor y = transpose(reshape(x, {n, h, w, b, b, c}), {0, 1, 3, 2, 4, 5});
  return reshape(y, {n, h * b, w * b, c});
}

Tensor space_to_depth(const Tensor& x, std::int64_t b) {
  detail::check_defined("space_to_depth", x);
  if (x.rank() != 4 || b < 1 || x.dim(1) % b != 0 || x.dim(2) % b != 0)
    detail::raise<ShapeError>("space_to_depth: expected [N, H, W, C] with H and W divisible by block_size {}, got {}", b,
                              x.shape());
  const std::int64_t n = x.dim(0), h = x.dim(1) / b, w = x.dim(2) / b, c = x.dim(3);
  const Tensor y = transpose(reshape(x, {n, h, b, w, b, c}), {0, 1, 3, 2, 4, 5});
  return reshape(y, {n, h, w, b * b * c});
}

Tensor clip(const Tensor& x, const Tensor& lo, const Tensor& hi) { return minimum(maximum(x, lo), hi); }

Tensor copysign(const Tensor& a, const Tensor& b) {
  detail::check_same_dtype("copysign", a, b);
  return mul(abs(a), sub(1.0, mul(signbit(b), 2.0)));
}

}  // namespace strata
