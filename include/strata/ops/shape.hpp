#pragma once
/// Shape and indexing ops; each records itself on the active GradientTape.
///
///   Tensor x = Tensor::arange(24).astype(DType::float32);
///   Tensor y = reshape(x, {2, -1, 4});                  // [2, 3, 4]
///   Tensor r = slice(y, {0, 1}, {2, 3}, {1, 1});        // y[0:2, 1:3]
///   Tensor c = concat({y, y}, -1);                      // [2, 3, 8]
///   Tensor g = gather(y, Tensor::from_vector({2, 0}, {2}, DType::int64), 1);  // [2, 2, 4]
#include <cstdint>
#include <utility>
#include <vector>

#include "strata/tensor.hpp"

namespace strata {

/// Same elements, new shape; one dimension may be -1 (inferred). Shares storage: O(1).
Tensor reshape(const Tensor& x, const Shape& shape);
/// reshape(x, {-1})
Tensor flatten(const Tensor& x);
/// Removes every size-1 axis, or only `axes` (each must have size 1).
Tensor squeeze(const Tensor& x);
Tensor squeeze(const Tensor& x, const std::vector<std::int64_t>& axes);
/// Inserts a size-1 axis at `axis` (in [-rank-1, rank]).
Tensor expand_dims(const Tensor& x, std::int64_t axis);
/// NumPy broadcasting of x to `shape`; its gradient sums back (sum_to).
Tensor broadcast_to(const Tensor& x, const Shape& shape);
/// Sums x down to `shape`, the reverse of broadcasting `shape` to x.shape().
Tensor sum_to(const Tensor& x, const Shape& shape);
/// The broadcast of two shapes; throws ShapeError naming `op` when they do not broadcast.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op = "broadcast_shapes");

/// x[starts[i]:stops[i]:steps[i]] on each axis i, with Python's rules (negative indices count
/// from the end, out-of-range bounds are clamped, steps may be negative, never zero). Axes past
/// the given lists are taken whole; `steps` defaults to 1.
Tensor slice(const Tensor& x, const std::vector<std::int64_t>& starts,
             const std::vector<std::int64_t>& stops, const std::vector<std::int64_t>& steps = {});
/// x[..., start:stop:step, ...] on one axis.
Tensor slice_axis(const Tensor& x, std::int64_t axis, std::int64_t start, std::int64_t stop,
                  std::int64_t step = 1);
/// Joins tensors along an existing axis (all other dimensions equal).
Tensor concat(const std::vector<Tensor>& xs, std::int64_t axis = 0);
/// Joins tensors of equal shape along a new axis.
Tensor stack(const std::vector<Tensor>& xs, std::int64_t axis = 0);
/// Splits into `num` equal parts along `axis` (the dimension must divide evenly).
std::vector<Tensor> split(const Tensor& x, std::int64_t num, std::int64_t axis = 0);
/// Splits into parts of the given sizes along `axis` (they must sum to the dimension).
std::vector<Tensor> split_sizes(const Tensor& x, const std::vector<std::int64_t>& sizes,
                                std::int64_t axis = 0);
/// Slices of x along `axis` at int64 `indices` (numpy.take): the result's shape is
/// x.shape[:axis] + indices.shape + x.shape[axis+1:]. Negative indices count from the end;
/// out-of-range ones throw ValueError. Gradients of repeated indices add up.
Tensor gather(const Tensor& x, const Tensor& indices, std::int64_t axis = 0);
/// One-hot encoding along a new last axis: indices [...] int64 -> [..., depth]. An index
/// outside [0, depth) gives a row of off_value, as TensorFlow does (no gradient).
Tensor one_hot(const Tensor& indices, std::int64_t depth, DType dtype = DType::float32,
               double on_value = 1.0, double off_value = 0.0);
/// Pads each axis with (before, after) elements of `value`; "reflect" and "symmetric" modes
/// mirror the edge (NumPy's meaning), and then `value` is unused.
Tensor pad(const Tensor& x, const std::vector<std::pair<std::int64_t, std::int64_t>>& paddings,
           double value = 0.0, const char* mode = "constant");
/// Repeats x reps[i] times along axis i (reps may be longer than rank: leading axes added).
Tensor tile(const Tensor& x, const std::vector<std::int64_t>& reps);

}  // namespace strata
