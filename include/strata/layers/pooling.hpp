#pragma once
/// Pooling layers (channels_last).
///
///   layers::MaxPooling2D(2)                     // pool 2x2, strides 2x2, "valid"
///   layers::AveragePooling2D({3, 3}, 1, "same")
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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

/// Max or average pooling over 3-D windows of [N, D1, D2, D3, C] (or [N, C, D1, D2, D3] with
/// data_format "channels_first"). Box pooling is separable, so it runs as 1-D pooling along
/// each spatial axis in turn; "same" padding averages over the elements inside the input, as
/// Keras's. Strides default to the pool size.
class Pooling3D : public SpatialLayer {
 public:
  std::vector<std::int64_t> pool_size;
  std::optional<std::vector<std::int64_t>> strides;
  std::string padding;
  Shape compute_output_shape(const Shape& s) override;
  void validate() const;

 protected:
  Pooling3D(bool is_max, std::vector<std::int64_t> pool_size, std::optional<std::vector<std::int64_t>> strides,
            std::string padding, std::string data_format);
  Tensor call(const Tensor& x, bool training) override;
  bool is_max_;
};
class MaxPooling3D : public Pooling3D {
 public:
  STRATA_LAYER(MaxPooling3D)
  STRATA_LAYER_CONFIG(MaxPooling3D)
  explicit MaxPooling3D(std::vector<std::int64_t> pool_size = {2, 2, 2},
                        std::optional<std::vector<std::int64_t>> strides = std::nullopt, std::string padding = "valid",
                        std::string data_format = "channels_last")
      : Pooling3D(true, std::move(pool_size), std::move(strides), std::move(padding), std::move(data_format)) {}
};
class AveragePooling3D : public Pooling3D {
 public:
  STRATA_LAYER(AveragePooling3D)
  STRATA_LAYER_CONFIG(AveragePooling3D)
  explicit AveragePooling3D(std::vector<std::int64_t> pool_size = {2, 2, 2},
                            std::optional<std::vector<std::int64_t>> strides = std::nullopt,
                            std::string padding = "valid", std::string data_format = "channels_last")
      : Pooling3D(false, std::move(pool_size), std::move(strides), std::move(padding), std::move(data_format)) {}
};

/// Mean or max over the three spatial axes: [N, D1, D2, D3, C] -> [N, C] (keepdims: 1s kept).
class GlobalPooling3D : public SpatialLayer {
 public:
  bool keepdims;
  Shape compute_output_shape(const Shape& s) override;

 protected:
  GlobalPooling3D(bool is_max, bool keepdims, std::string data_format);
  Tensor call(const Tensor& x, bool training) override;
  bool is_max_;
};
class GlobalAveragePooling3D : public GlobalPooling3D {
 public:
  STRATA_LAYER(GlobalAveragePooling3D)
  STRATA_LAYER_CONFIG(GlobalAveragePooling3D)
  explicit GlobalAveragePooling3D(bool keepdims = false, std::string data_format = "channels_last")
      : GlobalPooling3D(false, keepdims, std::move(data_format)) {}
};
class GlobalMaxPooling3D : public GlobalPooling3D {
 public:
  STRATA_LAYER(GlobalMaxPooling3D)
  STRATA_LAYER_CONFIG(GlobalMaxPooling3D)
  explicit GlobalMaxPooling3D(bool keepdims = false, std::string data_format = "channels_last")
      : GlobalPooling3D(true, keepdims, std::move(data_format)) {}
};

/// Pooling to a fixed spatial `output_size` whatever the input's (Keras's adaptive pooling):
/// output i of an axis of length L pools the window [floor(i L / out), ceil((i + 1) L / out)).
class AdaptivePooling : public SpatialLayer {
 public:
  std::vector<std::int64_t> output_size;
  Shape compute_output_shape(const Shape& s) override;
  void validate() const;

 protected:
  AdaptivePooling(int spatial_rank, bool is_max, std::vector<std::int64_t> output_size, std::string data_format);
  Tensor call(const Tensor& x, bool training) override;
  bool is_max_;
};
#define STRATA_ADAPTIVE_POOLING(Class, rank, is_max)                                                         \
  class Class : public AdaptivePooling {                                                                    \
   public:                                                                                                  \
    STRATA_LAYER(Class)                                                                                     \
    STRATA_LAYER_CONFIG(Class)                                                                              \
    explicit Class(std::vector<std::int64_t> output_size = std::vector<std::int64_t>(rank, 1),              \
                   std::string data_format = "channels_last")                                               \
        : AdaptivePooling(rank, is_max, std::move(output_size), std::move(data_format)) {}                  \
  };
STRATA_ADAPTIVE_POOLING(AdaptiveAveragePooling1D, 1, false)
STRATA_ADAPTIVE_POOLING(AdaptiveAveragePooling2D, 2, false)
STRATA_ADAPTIVE_POOLING(AdaptiveAveragePooling3D, 3, false)
STRATA_ADAPTIVE_POOLING(AdaptiveMaxPooling1D, 1, true)
STRATA_ADAPTIVE_POOLING(AdaptiveMaxPooling2D, 2, true)
STRATA_ADAPTIVE_POOLING(AdaptiveMaxPooling3D, 3, true)
#undef STRATA_ADAPTIVE_POOLING

}  // namespace strata::layers
