// keras.ops.nn additions built from public ops: rms_normalization, normalize, psnr and
// dot_product_attention (their gradients come with the ops they are made of).
#include <cmath>
#include <limits>

#include "detail/errors.hpp"
#include "strata/ops.hpp"

namespace strata::nn {

Tensor rms_normalization(const Tensor& x, const Tensor& scale, const Axes& axes, double epsilon) {
  detail::check_defined("rms_normalization", x);
  detail::check_floating("rms_normalization", x);
  const Tensor y = mul(x, rsqrt(add(mean(square(x), axes, true), epsilon)));
  return scale.defined() ? mul(y, scale) : y;
}

Tensor normalize(const Tensor& x, std::int64_t axis, double order, double epsilon) {
  return div(x, maximum(norm(x, order, {axis}, true), epsilon));
}

Tensor psnr(const Tensor& a, const Tensor& b, double max_value) {
  detail::check_same_dtype("psnr", a, b);
  if (a.shape() != b.shape())
    detail::raise<ShapeError>("psnr: the images have shapes {} and {}", a.shape(), b.shape());
  if (!(max_value > 0)) detail::raise<ValueError>("psnr: max_value must be positive, got {}", max_value);
  return sub(20 * std::log10(max_value), mul(log10(mean(square(sub(a, b)))), 10.0));
}

Tensor dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value, const Tensor& bias,
                             const Tensor& mask, std::optional<double> scale, bool is_causal) {
  detail::check_defined("dot_product_attention", query, "query");
  detail::check_defined("dot_product_attention", key, "key");
  detail::check_defined("dot_product_attention", value, "value");
  if (query.rank() != 4 || key.rank() != 4 || value.shape() != key.shape() || query.dim(0) != key.dim(0) ||
      query.dim(3) != key.dim(3))
    detail::raise<ShapeError>(
        "dot_product_attention: expected query [B, T, N, H] and key, value [B, S, K, H], got {}, {} and {}",
        query.shape(), key.shape(), value.shape());
  const std::int64_t n = query.dim(2), kh = key.dim(2), t = query.dim(1), s = key.dim(1);
  if (kh == 0 || n % kh != 0)
    detail::raise<ShapeError>("dot_product_attention: {} key heads do not divide {} query heads", kh, n);
  Tensor k = key, v = value;
  if (kh != n) {  // grouped-query attention: each key head serves n / kh query heads
    k = repeat(k, n / kh, 2);
    v = repeat(v, n / kh, 2);
  }
  const double sc = scale.value_or(1.0 / std::sqrt(static_cast<double>(query.dim(3))));
  // [B, N, T, H] @ [B, N, H, S] -> [B, N, T, S]
  Tensor logits = mul(matmul(transpose(query, {0, 2, 1, 3}), transpose(k, {0, 2, 3, 1})), sc);
  if (bias.defined()) logits = add(logits, bias);
  Tensor keep;
  if (mask.defined()) keep = not_equal(cast(mask, logits.dtype()), 0.0);
  if (is_causal) {
    const Tensor causal = tril(Tensor::ones({t, s}, logits.dtype()));
    keep = keep.defined() ? logical_and(keep, causal) : causal;
  }
  if (keep.defined()) {
    // Keras's large negative, so a fully masked row is uniform rather than NaN
    const double low = logits.dtype() == DType::float32 ? -0.7 * std::numeric_limits<float>::max()
                                                         : -0.7 * std::numeric_limits<double>::max();
    logits = where(keep, logits, low);
  }
  const Tensor out = matmul(softmax(logits, -1), transpose(v, {0, 2, 1, 3}));  // [B, N, T, H]
  return transpose(out, {0, 2, 1, 3});
}

}  // namespace strata::nn
