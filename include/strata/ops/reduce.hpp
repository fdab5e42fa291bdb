#pragma once
/// Reductions over axes. `axes` lists the axes to reduce (negative counts from the back); an
/// empty list, or no axes argument, reduces every axis. `keepdims` keeps reduced axes as 1.
///
///   Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
///   sum(x)                 // 21, a 0-d tensor
///   sum(x, 0)              // [5, 7, 9]
///   mean(x, {1}, true)     // [[2], [5]]
///   argmax(x, 1)           // int64 [2, 2]
#include <cstdint>
#include <vector>

#include "strata/tensor.hpp"

namespace strata {

using Axes = std::vector<std::int64_t>;

Tensor sum(const Tensor& x, const Axes& axes = {}, bool keepdims = false);
Tensor sum(const Tensor& x, std::int64_t axis, bool keepdims = false);
Tensor mean(const Tensor& x, const Axes& axes = {}, bool keepdims = false);
Tensor mean(const Tensor& x, std::int64_t axis, bool keepdims = false);
/// The gradient is shared equally among tied maxima (as TensorFlow does).
Tensor max(const Tensor& x, const Axes& axes = {}, bool keepdims = false);
Tensor max(const Tensor& x, std::int64_t axis, bool keepdims = false);
Tensor min(const Tensor& x, const Axes& axes = {}, bool keepdims = false);
Tensor min(const Tensor& x, std::int64_t axis, bool keepdims = false);
Tensor prod(const Tensor& x, const Axes& axes = {}, bool keepdims = false);
Tensor prod(const Tensor& x, std::int64_t axis, bool keepdims = false);
/// Population variance (ddof = 0), as Keras uses.
Tensor var(const Tensor& x, const Axes& axes = {}, bool keepdims = false);
Tensor var(const Tensor& x, std::int64_t axis, bool keepdims = false);
/// Standard deviation, sqrt(var) (named stddev: a function called std would clash with
/// namespace std under `using namespace strata`).
Tensor stddev(const Tensor& x, const Axes& axes = {}, bool keepdims = false);
Tensor stddev(const Tensor& x, std::int64_t axis, bool keepdims = false);
/// log(sum(exp(x))), computed stably (no overflow for inputs of 1e4).
Tensor logsumexp(const Tensor& x, const Axes& axes = {}, bool keepdims = false);
Tensor logsumexp(const Tensor& x, std::int64_t axis, bool keepdims = false);
/// Index of the largest element along `axis` (first one on ties), int64, no gradient.
Tensor argmax(const Tensor& x, std::int64_t axis, bool keepdims = false);
Tensor argmin(const Tensor& x, std::int64_t axis, bool keepdims = false);
/// Index into the flattened tensor.
Tensor argmax(const Tensor& x);
Tensor argmin(const Tensor& x);

}  // namespace strata
