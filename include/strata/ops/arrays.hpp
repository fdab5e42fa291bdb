#pragma once
/// NumPy-style array ops (keras.ops' names and meanings): norms, cumulative sums, flips and
/// rolls, axis moves, triangles and diagonals, repeats and differences, products, and the
/// reductions built on them. All differentiable where they are mathematically.
///
///   Tensor n = norm(g, 2.0, {1});          // row norms; the gradient at a zero row is 0
///   Tensor c = cumsum(x, 1);
///   Tensor l = tril(scores);               // lower triangle, the rest 0
#include <cstdint>
#include <string>
#include <vector>

#include "strata/tensor.hpp"

namespace strata {

// ---- norms and reductions ----------------------------------------------------------------------
/// Vector norms over `axes` (one axis, or none: all of x flattened): ord 2 (the default), 1,
/// inf, -inf, 0 (the count of non-zeros) or any other p (sum |x|^p)^(1/p). The 2-norm's
/// gradient is 0 where the norm is 0 (the subgradient tf.norm and torch.norm give), not NaN.
Tensor norm(const Tensor& x, double ord = 2.0, const std::vector<std::int64_t>& axes = {}, bool keepdims = false);
/// Matrix norms over two axes: "fro", or ord 1 / -1 (max / min column abs-sum) and inf / -inf
/// (max / min row abs-sum) as numpy.linalg.norm; "nuc" and 2 need singular values (a ValueError).
Tensor matrix_norm(const Tensor& x, const std::string& ord = "fro", std::int64_t axis1 = -2, std::int64_t axis2 = -1,
                   bool keepdims = false);
/// Running sum along `axis` (its gradient is the reversed running sum).
Tensor cumsum(const Tensor& x, std::int64_t axis = 0);
/// log(cumsum(exp(x))) along `axis`, without overflow.
Tensor logcumsumexp(const Tensor& x, std::int64_t axis = 0);
/// max - min over `axes` (all by default).
Tensor ptp(const Tensor& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false);
/// Weighted mean over `axis`: sum(x w) / sum(w), w broadcast against x (1-D weights along axis).
Tensor average(const Tensor& x, const Tensor& weights, std::int64_t axis);
/// The number of non-zero elements over `axes` (int64), and whether all / any are non-zero
/// (0/1 in x's dtype); no gradient.
Tensor count_nonzero(const Tensor& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false);
Tensor all(const Tensor& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false);
Tensor any(const Tensor& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false);
/// The integral of y along `axis` by the trapezoidal rule with spacing dx.
Tensor trapezoid(const Tensor& y, double dx = 1.0, std::int64_t axis = -1);

// ---- rearranging ------------------------------------------------------------------------------
/// Reverses the order along `axes` (all axes when empty).
Tensor flip(const Tensor& x, const std::vector<std::int64_t>& axes = {});
/// Shifts elements by `shift` along `axis` cyclically (numpy.roll).
Tensor roll(const Tensor& x, std::int64_t shift, std::int64_t axis);
Tensor moveaxis(const Tensor& x, std::int64_t source, std::int64_t destination);
Tensor swapaxes(const Tensor& x, std::int64_t axis1, std::int64_t axis2);
/// Each element `repeats` times along `axis` (numpy.repeat).
Tensor repeat(const Tensor& x, std::int64_t repeats, std::int64_t axis);
/// The n-th forward difference along `axis`: x[1:] - x[:-1], n times.
Tensor diff(const Tensor& x, std::int64_t n = 1, std::int64_t axis = -1);

// ---- triangles and diagonals (over the last two axes) ----------------------------------------
/// Elements on and below (tril) / above (triu) the k-th diagonal; the rest 0.
Tensor tril(const Tensor& x, std::int64_t k = 0);
Tensor triu(const Tensor& x, std::int64_t k = 0);
/// The n x m matrix with ones on the k-th diagonal (m = n by default).
Tensor eye(std::int64_t n, std::int64_t m = -1, std::int64_t k = 0, DType dtype = DType::float32);
/// The k-th diagonal of the matrices of x's last two axes: [..., n, m] -> [..., len].
Tensor diagonal(const Tensor& x, std::int64_t offset = 0);
/// Sum of the k-th diagonal: [..., n, m] -> [...].
Tensor trace(const Tensor& x, std::int64_t offset = 0);
/// A 1-D v gives the square matrix with v on its k-th diagonal; a 2-D x gives its k-th diagonal.
Tensor diag(const Tensor& x, std::int64_t k = 0);

// ---- products ---------------------------------------------------------------------------------
/// a[i] b[j] of the flattened operands: [a.size, b.size].
Tensor outer(const Tensor& a, const Tensor& b);
/// Sum over the last axes of a and b (1-D: the dot product).
Tensor inner(const Tensor& a, const Tensor& b);
/// The dot product of the flattened operands.
Tensor vdot(const Tensor& a, const Tensor& b);
/// The Kronecker product of two matrices (2-D).
Tensor kron(const Tensor& a, const Tensor& b);
/// The cross product of 3-vectors along the last axis (broadcasting the others).
Tensor cross(const Tensor& a, const Tensor& b);
/// Sum over the last `axes` axes of a and the first `axes` of b (numpy.tensordot with an int).
Tensor tensordot(const Tensor& a, const Tensor& b, std::int64_t axes = 2);

// ---- joining, splitting, grids ---------------------------------------------------------------------
/// NumPy's stacks: hstack joins along axis 1 (axis 0 for 1-D tensors); vstack along axis 0
/// with 1-D tensors as rows; dstack along axis 2 with 1-D and 2-D tensors as [1, n, 1] and
/// [m, n, 1]; column_stack along axis 1 with 1-D tensors as columns.
Tensor hstack(const std::vector<Tensor>& xs);
Tensor vstack(const std::vector<Tensor>& xs);
Tensor dstack(const std::vector<Tensor>& xs);
Tensor column_stack(const std::vector<Tensor>& xs);
/// The slices of x along `axis`, that axis removed.
std::vector<Tensor> unstack(const Tensor& x, std::int64_t axis = 0);
/// `sections` parts along `axis` whose sizes differ by at most one (the first ones larger).
std::vector<Tensor> array_split(const Tensor& x, std::int64_t sections, std::int64_t axis = 0);
/// Coordinate grids of 1-D tensors: "xy" (the default, NumPy's) gives [len(x2), len(x1), ...],
/// "ij" [len(x1), len(x2), ...].
std::vector<Tensor> meshgrid(const std::vector<Tensor>& xs, const std::string& indexing = "xy");
/// num evenly spaced values from start to stop (stop excluded unless endpoint); logspace gives
/// base^those values, geomspace a geometric sequence from start to stop (both non-zero, one sign).
Tensor linspace(double start, double stop, std::int64_t num = 50, bool endpoint = true, DType dtype = DType::float32);
Tensor logspace(double start, double stop, std::int64_t num = 50, bool endpoint = true, double base = 10.0,
                DType dtype = DType::float32);
Tensor geomspace(double start, double stop, std::int64_t num = 50, bool endpoint = true, DType dtype = DType::float32);
/// The n x m matrix of ones on and below the k-th diagonal.
Tensor tri(std::int64_t n, std::int64_t m = -1, std::int64_t k = 0, DType dtype = DType::float32);
/// [N, H, W, C] <-> [N, H b, W b, C / b^2], TensorFlow's depth_to_space / space_to_depth
/// (channels_last, the depth as (row, column, channel) blocks).
Tensor depth_to_space(const Tensor& x, std::int64_t block_size);
Tensor space_to_depth(const Tensor& x, std::int64_t block_size);

// ---- elementwise with tensor bounds ---------------------------------------------------------------
/// min(max(x, lo), hi) with tensor bounds (broadcasting); gradients flow to the bound taken.
Tensor clip(const Tensor& x, const Tensor& lo, const Tensor& hi);
/// |a| with the sign of b (b's sign bit, so -0.0 counts as negative).
Tensor copysign(const Tensor& a, const Tensor& b);

}  // namespace strata
