#pragma once
/// Matrix products and axis permutations.
///
///   Tensor y = matmul(x, w);                  // [128, 784] @ [784, 512] -> [128, 512]
///   Tensor g = matmul(x, dy, true, false);    // x^T @ dy through BLAS flags, no transpose copy
///   Tensor z = matmul(Tensor::ones({8, 4, 3, 5}), Tensor::ones({4, 5, 2}));  // batch dims broadcast
#include <cstdint>
#include <vector>

#include "strata/tensor.hpp"

namespace strata {

/// a @ b over the last two axes, with the leading (batch) axes broadcast as in NumPy.
/// 1-D operands are promoted as numpy.matmul does. `transpose_a`/`transpose_b` use the
/// transposed last two axes of an operand without materialising it.
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a = false,
              bool transpose_b = false);
/// Reverses the axes.
Tensor transpose(const Tensor& x);
/// Output axis i is input axis perm[i].
Tensor transpose(const Tensor& x, const std::vector<std::int64_t>& perm);
/// Same as transpose(x, perm).
Tensor permute(const Tensor& x, const std::vector<std::int64_t>& perm);

}  // namespace strata
