#pragma once
/// Sorting and selection (keras.ops' names, NumPy's and TensorFlow's meanings):
///
///   auto [values, indices] = top_k(logits, 5);     // the 5 largest along the last axis
///   Tensor order = argsort(x);                      // stable, ascending, NaN last
///   Tensor picked = take_along_axis(x, order, -1);  // == sort(x)
///   Tensor med = median(x, 1);
///
/// Values are differentiable: the gradient goes to the selected elements (repeated indices add
/// up). Indices are int64 and carry no gradient.
#include <cstdint>
#include <string>
#include <utility>

#include "strata/tensor.hpp"

namespace strata {

/// x's elements at int64 `indices` along `axis` (numpy.take_along_axis): indices has x's rank,
/// with x's dimensions except along `axis`. Negative indices count from the end; out of range
/// is a ValueError.
Tensor take_along_axis(const Tensor& x, const Tensor& indices, std::int64_t axis);
/// The indices that sort x along `axis`, stably (equal elements keep their order), ascending
/// or descending; NaN sorts after every number (before, descending), as NumPy.
Tensor argsort(const Tensor& x, std::int64_t axis = -1, bool descending = false);
/// x sorted along `axis`.
Tensor sort(const Tensor& x, std::int64_t axis = -1, bool descending = false);
/// The k largest elements along the last axis and their indices, largest first when `sorted`
/// (else in their order in x); among equal elements the lower index comes first.
std::pair<Tensor, Tensor> top_k(const Tensor& x, std::int64_t k, bool sorted = true);
/// 1 where the prediction for the target class is among the k largest of its row
/// (predictions [N, C], targets int64 [N]); ties at the boundary count as in, as TensorFlow's.
Tensor in_top_k(const Tensor& targets, const Tensor& predictions, std::int64_t k);
/// Where `values` would be inserted into the sorted 1-D `sorted_sequence` to keep it sorted:
/// side "left" gives the first such index, "right" the last (int64, values' shape).
Tensor searchsorted(const Tensor& sorted_sequence, const Tensor& values, const std::string& side = "left");
/// The q-th quantile (q in [0, 1]) along `axis`, interpolating linearly between the order
/// statistics (NumPy's default method); median is q = 0.5.
Tensor quantile(const Tensor& x, double q, std::int64_t axis = -1, bool keepdims = false);
Tensor median(const Tensor& x, std::int64_t axis = -1, bool keepdims = false);

}  // namespace strata
