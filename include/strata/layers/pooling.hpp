#pragma once
/// Pooling layers (channels_last).
///
///   layers::MaxPooling2D(2)                     // pool 2x2, strides 2x2, "valid"
///   layers::AveragePooling2D({3, 3}, 1, "same")
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "strata/layers/layer.hpp"
#include "strata/layers/reshaping.hpp"  // UpSampling2D and ZeroPadding2D, formerly declared here
#include "strata/ops/nn.hpp"

namespace strata::layers {

using nn::Size2;

/// Max or average pooling over 1-D or 2-D windows; strides default to the pool size.
class Pooling : public Layer {
 public:
  Pooling(bool is_max, int rank, Size2 pool_size, std::optional<Size2> strides, std::string padding);
  Size2 pool_size;
  std::optional<Size2> strides;
  std::string padding;
  Shape compute_output_shape(const Shape& s) override;
  /// ValueError unless the sizes are positive and the padding is "valid" or "same".
  void validate() const;

 protected:
  void build(const Shape& s) override;
  Tensor call(const Tensor& x, bool training) override;
  bool is_max_;
  int rank_;
};

class MaxPooling2D : public Pooling {
 public:
  STRATA_LAYER(MaxPooling2D)
  STRATA_LAYER_CONFIG(MaxPooling2D)
  explicit MaxPooling2D(Size2 pool_size = 2, std::optional<Size2> strides = std::nullopt, std::string padding = "valid")
      : Pooling(true, 2, pool_size, strides, std::move(padding)) {}
};
class AveragePooling2D : public Pooling {
 public:
  STRATA_LAYER(AveragePooling2D)
  STRATA_LAYER_CONFIG(AveragePooling2D)
  explicit AveragePooling2D(Size2 pool_size = 2, std::optional<Size2> strides = std::nullopt,
                            std::string padding = "valid")
      : Pooling(false, 2, pool_size, strides, std::move(padding)) {}
};
class MaxPooling1D : public Pooling {
 public:
  STRATA_LAYER(MaxPooling1D)
  STRATA_LAYER_CONFIG(MaxPooling1D)
  explicit MaxPooling1D(std::int64_t pool_size = 2, std::optional<std::int64_t> strides = std::nullopt,
                        std::string padding = "valid")
      : Pooling(true, 1, {1, pool_size}, strides ? std::optional<Size2>(Size2{1, *strides}) : std::nullopt,
                std::move(padding)) {}
};
class AveragePooling1D : public Pooling {
 public:
  STRATA_LAYER(AveragePooling1D)
  STRATA_LAYER_CONFIG(AveragePooling1D)
  explicit AveragePooling1D(std::int64_t pool_size = 2, std::optional<std::int64_t> strides = std::nullopt,
                            std::string padding = "valid")
      : Pooling(false, 1, {1, pool_size}, strides ? std::optional<Size2>(Size2{1, *strides}) : std::nullopt,
                std::move(padding)) {}
};

/// Mean or max over all spatial positions: [N, H, W, C] (or [N, W, C]) -> [N, C].
class GlobalPooling : public Layer {
 public:
  GlobalPooling(bool is_max, int rank, bool keepdims);
  bool keepdims;
  Shape compute_output_shape(const Shape& s) override;

 protected:
  void build(const Shape& s) override;
  Tensor call(const Tensor& x, bool training) override;
  bool is_max_;
  int rank_;
};

class GlobalAveragePooling2D : public GlobalPooling {
 public:
  STRATA_LAYER(GlobalAveragePooling2D)
  STRATA_LAYER_CONFIG(GlobalAveragePooling2D)
  explicit GlobalAveragePooling2D(bool keepdims = false) : GlobalPooling(false, 2, keepdims) {}
};
class GlobalMaxPooling2D : public GlobalPooling {
 public:
  STRATA_LAYER(GlobalMaxPooling2D)
  STRATA_LAYER_CONFIG(GlobalMaxPooling2D)
  explicit GlobalMaxPooling2D(bool keepdims = false) : GlobalPooling(true, 2, keepdims) {}
};
class GlobalAveragePooling1D : public GlobalPooling {
 public:
  STRATA_LAYER(GlobalAveragePooling1D)
  STRATA_LAYER_CONFIG(GlobalAveragePooling1D)
  explicit GlobalAveragePooling1D(bool keepdims = false) : GlobalPooling(false, 1, keepdims) {}
};
class GlobalMaxPooling1D : public GlobalPooling {
 public:
  STRATA_LAYER(GlobalMaxPooling1D)
  STRATA_LAYER_CONFIG(GlobalMaxPooling1D)
  explicit GlobalMaxPooling1D(bool keepdims = false) : GlobalPooling(true, 1, keepdims) {}
};

}  // namespace strata::layers
