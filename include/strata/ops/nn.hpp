#pragma once
/// Neural-network ops with Keras's conventions (channels_last, Keras/TensorFlow padding rules),
/// in namespace strata::nn. Each records itself on the active GradientTape.
///
///   Tensor x = Tensor::random_normal({64, 28, 28, 1});            // [N, H, W, C]
///   Tensor k = Tensor::random_normal({3, 3, 1, 32});               // [kh, kw, C_in, C_out]
///   Tensor y = nn::conv2d(x, k, /*strides=*/1, "same");           // [64, 28, 28, 32]
///   Tensor p = nn::max_pool2d(nn::relu(y), 2);                      // [64, 14, 14, 32]
///   Tensor loss = mean(nn::sparse_softmax_cross_entropy_with_logits(labels, logits));
///
/// "same" padding follows TensorFlow: out = ceil(in / stride), and an odd amount of padding puts
/// the extra pixel at the bottom/right.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "strata/ops/math.hpp"
#include "strata/ops/reduce.hpp"
#include "strata/tensor.hpp"

namespace strata::nn {

using strata::relu;  // activations are elementwise ops (strata/ops/math.hpp)

/// A pair of sizes (height, width); one number means both.
struct Size2 {
  std::int64_t h, w;
  Size2(std::int64_t v) : h(v), w(v) {}  // NOLINT: Size2 s = 3
  Size2(std::int64_t h_, std::int64_t w_) : h(h_), w(w_) {}
};

/// Keras's conv output length: "valid" floor((in - k_eff) / s) + 1, "same" ceil(in / s),
/// "causal" (1-D) ceil(in / s) with k_eff = (k - 1) * dilation + 1.
std::int64_t conv_output_length(std::int64_t in, std::int64_t kernel, std::int64_t stride,
                                const std::string& padding, std::int64_t dilation = 1);

// ---- bias ----------------------------------------------------------------------------------------

/// x + bias along the last axis: x [..., C], bias [C] (TensorFlow's bias_add). One pass each
/// way; the bias gradient sums fixed blocks of rows, so it has the same bits on any thread count.
Tensor bias_add(const Tensor& x, const Tensor& bias);
/// relu(x + bias) in one pass; its backward makes one pass for relu's mask and the bias
/// gradient. Dense and the convolution layers use it for activation="relu".
Tensor bias_relu(const Tensor& x, const Tensor& bias);

// ---- convolution ---------------------------------------------------------------------------------

/// 2-D convolution (cross-correlation, as in Keras): x [N, H, W, C], kernel [kh, kw, C, O]
/// -> [N, OH, OW, O]. Runs as extract_patches (im2col) and one BLAS gemm.
Tensor conv2d(const Tensor& x, const Tensor& kernel, Size2 strides = 1, const std::string& padding = "valid",
              Size2 dilation = 1);
/// 1-D convolution: x [N, W, C], kernel [kw, C, O]; padding "valid", "same" or "causal".
Tensor conv1d(const Tensor& x, const Tensor& kernel, std::int64_t stride = 1, const std::string& padding = "valid",
              std::int64_t dilation = 1);
/// Depthwise 2-D convolution: kernel [kh, kw, C, multiplier] -> [N, OH, OW, C * multiplier];
/// output channel c * multiplier + m comes from input channel c.
Tensor depthwise_conv2d(const Tensor& x, const Tensor& kernel, Size2 strides = 1,
                        const std::string& padding = "valid", Size2 dilation = 1);
/// The transpose (gradient) of conv2d, Keras's Conv2DTranspose: x [N, H, W, C_in],
/// kernel [kh, kw, O, C_in] -> [N, OH, OW, O] with OH = H * s ("same") or
/// H * s + max(k_eff - s, 0) ("valid"); with output_padding p (each less than its stride),
/// OH = (H - 1) * s + k_eff - 2 * pad + p, pad = k_eff / 2 ("same") or 0 (Keras's rule).
Tensor conv2d_transpose(const Tensor& x, const Tensor& kernel, Size2 strides = 1,
                        const std::string& padding = "valid", Size2 dilation = 1,
                        std::optional<Size2> output_padding = std::nullopt);
/// The length a transposed convolution gives an axis of length `in` (-1 stays -1); Keras's
/// deconv_output_length.
std::int64_t conv_transpose_length(std::int64_t in, std::int64_t kernel, std::int64_t stride, const std::string& padding,
                                   std::int64_t dilation = 1, std::optional<std::int64_t> output_padding = std::nullopt);
/// Patches of x as rows (im2col, tf.image.extract_patches): [N, H, W, C] ->
/// [N, OH, OW, kh * kw * C], ordered (kh, kw, C); cells outside the image are 0.
Tensor extract_patches(const Tensor& x, Size2 sizes, Size2 strides = 1, const std::string& padding = "valid",
                       Size2 dilation = 1);

// ---- pooling and resizing --------------------------------------------------------------------------

/// Max over windows; strides default to the pool size. Gradients go to the (first) maximum.
Tensor max_pool2d(const Tensor& x, Size2 pool_size, std::optional<Size2> strides = std::nullopt,
                  const std::string& padding = "valid");
/// Mean over windows; under "same" it averages over the cells inside the image only (Keras).
Tensor avg_pool2d(const Tensor& x, Size2 pool_size, std::optional<Size2> strides = std::nullopt,
                  const std::string& padding = "valid");
/// x [N, W, C].
Tensor max_pool1d(const Tensor& x, std::int64_t pool_size, std::optional<std::int64_t> stride = std::nullopt,
                  const std::string& padding = "valid");
Tensor avg_pool1d(const Tensor& x, std::int64_t pool_size, std::optional<std::int64_t> stride = std::nullopt,
                  const std::string& padding = "valid");
/// [N, H, W, C] -> [N, C] (or [N, 1, 1, C] with keepdims).
Tensor global_avg_pool2d(const Tensor& x, bool keepdims = false);
Tensor global_max_pool2d(const Tensor& x, bool keepdims = false);
/// [N, W, C] -> [N, C] (or [N, 1, C]).
Tensor global_avg_pool1d(const Tensor& x, bool keepdims = false);
Tensor global_max_pool1d(const Tensor& x, bool keepdims = false);
/// Nearest-neighbour upsampling: [N, H, W, C] -> [N, H * size.h, W * size.w, C].
Tensor upsample2d(const Tensor& x, Size2 size);
/// Zero padding of height and width: ((top, bottom), (left, right)).
Tensor zero_pad2d(const Tensor& x, std::pair<std::int64_t, std::int64_t> height,
                  std::pair<std::int64_t, std::int64_t> width);

// ---- softmax and cross-entropy ------------------------------------------------------------------------

/// exp(x) / sum(exp(x)) along `axis`, stable for large inputs.
Tensor softmax(const Tensor& x, std::int64_t axis = -1);
/// x - logsumexp(x) along `axis`.
Tensor log_softmax(const Tensor& x, std::int64_t axis = -1);
/// softmax and log_softmax over several axes at once (composed from logsumexp).
Tensor softmax(const Tensor& x, const Axes& axes);
Tensor log_softmax(const Tensor& x, const Axes& axes);
/// The Euclidean projection of x onto the probability simplex along `axis` (Keras's sparsemax):
/// max(x - tau, 0), with tau such that the result sums to 1.
Tensor sparsemax(const Tensor& x, std::int64_t axis = -1);
/// Gated linear unit: x split in two halves a, b along `axis` (its length must be even),
/// a * sigmoid(b).
Tensor glu(const Tensor& x, std::int64_t axis = -1);
/// Per-example -sum(labels * log_softmax(logits)) along `axis` (labels are probabilities),
/// fused: one pass, stable; the gradient is (softmax - labels) * upstream.
Tensor softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits, std::int64_t axis = -1);
/// Per-example cross-entropy with int64 class indices: labels [...], logits [..., K] -> [...].
/// A label outside [0, K) throws ValueError naming it.
Tensor sparse_softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits);
/// Elementwise max(x, 0) - x z + log(1 + exp(-|x|)): stable for large |x|.
Tensor sigmoid_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits);

// ---- regularization and normalization ---------------------------------------------------------------

/// Inverted dropout: zeroes each element with probability `rate` and scales the rest by
/// 1 / (1 - rate); identity when !training or rate == 0. The same seed gives the same mask;
/// without one, the mask is drawn from the global generator (strata::set_seed).
Tensor dropout(const Tensor& x, double rate, std::optional<std::uint64_t> seed = std::nullopt,
               bool training = true);
/// Mean and (population) variance over `axes`.
std::pair<Tensor, Tensor> moments(const Tensor& x, const Axes& axes, bool keepdims = false);
/// (x - mean) / sqrt(variance + epsilon) * scale + offset, all broadcast against x; scale and
/// offset may be undefined Tensors (1 and 0). Training uses the batch's moments as mean and
/// variance; inference the moving ones.
Tensor batch_norm(const Tensor& x, const Tensor& mean, const Tensor& variance, const Tensor& offset,
                  const Tensor& scale, double epsilon = 1e-3);
/// Normalizes over `axes` (default: the last) with the example's own moments, then scale and
/// offset (undefined: 1 and 0).
Tensor layer_norm(const Tensor& x, const Tensor& scale, const Tensor& offset, const Axes& axes = {-1},
                  double epsilon = 1e-3);

/// x * rsqrt(mean(x^2) + epsilon) * scale over `axes` (scale undefined: 1), keras.ops.rms_normalization.
Tensor rms_normalization(const Tensor& x, const Tensor& scale = Tensor(), const Axes& axes = {-1},
                         double epsilon = 1e-6);
/// x / max(||x||_order, epsilon) along `axis` (keras.ops.normalize; any order norm() takes).
Tensor normalize(const Tensor& x, std::int64_t axis = -1, double order = 2.0, double epsilon = 1e-7);
/// Peak signal-to-noise ratio, keras.ops.psnr: 20 log10(max_value) - 10 log10(mean((a - b)^2))
/// over every element (a scalar).
Tensor psnr(const Tensor& a, const Tensor& b, double max_value);

// ---- attention ------------------------------------------------------------------------------------------

/// softmax(q k^T * scale + bias, masked) v, keras.ops.dot_product_attention: query [B, T, N, H],
/// key and value [B, S, K, H] (K divides N: grouped-query attention repeats each key head N / K
/// times). `bias` adds to the logits [B, N, T, S] (broadcast); `mask` (broadcast to them; nonzero
/// keeps) and `is_causal` (query t sees keys s <= t) hide positions; scale defaults to 1 / sqrt(H).
/// Returns [B, T, N, H].
Tensor dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value, const Tensor& bias = Tensor(),
                             const Tensor& mask = Tensor(), std::optional<double> scale = std::nullopt,
                             bool is_causal = false);

// ---- embedding ----------------------------------------------------------------------------------------

/// Rows of table [V, D] at int64 ids [...] -> [..., D]. Gradients of repeated ids add up; an id
/// outside [0, V) throws ValueError naming the id and the table size.
Tensor embedding_lookup(const Tensor& table, const Tensor& ids);

}  // namespace strata::nn
