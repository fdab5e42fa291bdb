#pragma once
/// Spatial reshaping layers over 1, 2 or 3 spatial dimensions: cropping, zero padding and
/// upsampling (Keras's names, arguments and configs), and Identity.
///
///   layers::Cropping2D({1, 1}, {2, 0})        // ((top, bottom), (left, right))
///   layers::ZeroPadding3D(1)                  // one zero on each side of each spatial axis
///   layers::UpSampling2D(2, "bilinear")       // Keras 3's half-pixel bilinear resize
///
/// Inputs are [batch, spatial..., channels] ("channels_last", the default) or, for the 2-D and
/// 3-D layers, [batch, channels, spatial...] with data_format "channels_first": the same
/// arithmetic on the other layout.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "strata/layers/layer.hpp"
#include "strata/ops/nn.hpp"

namespace strata::layers {

/// (before, after) for each spatial axis.
using nn::Size2;
using SpatialPairs = std::vector<std::pair<std::int64_t, std::int64_t>>;

/// Shared by the layers of this file: the number of spatial axes and the layout.
class SpatialLayer : public Layer {
 public:
  std::string data_format = "channels_last";
  DType compute_output_dtype(const std::vector<DType>& in) const override { return in.at(0); }

 protected:
  SpatialLayer(int spatial_rank, std::string data_format);
  /// The input axis of spatial dimension k.
  std::int64_t spatial_axis(int k) const { return data_format == "channels_first" ? 2 + k : 1 + k; }
  /// ValueError naming the class (family + rank, e.g. "Cropping" -> Cropping2D) unless
  /// data_format is channels_last or channels_first.
  void check_format(const char* family) const;
  /// check_format, then ValueError unless `pairs` has one non-negative pair per spatial axis.
  void check_pairs(const char* family, const char* key, const SpatialPairs& pairs) const;
  /// Fails naming the expected layout unless `s` has spatial_rank + 2 dimensions.
  void check_rank(const Shape& s);
  void build(const Shape& s) override;
  int spatial_rank_;
};

/// Removes cropping[k].first elements at the start and cropping[k].second at the end of each
/// spatial axis k.
class Cropping : public SpatialLayer {
 public:
  SpatialPairs cropping;
  Shape compute_output_shape(const Shape& s) override;
  /// ValueError unless every amount is >= 0 and the layout is known.
  void validate() const;

 protected:
  Cropping(int spatial_rank, SpatialPairs cropping, std::string data_format);
  Tensor call(const Tensor& x, bool training) override;
};

class Cropping1D : public Cropping {
 public:
  STRATA_LAYER(Cropping1D)
  STRATA_LAYER_CONFIG(Cropping1D)
  explicit Cropping1D(std::pair<std::int64_t, std::int64_t> cropping = {1, 1}) : Cropping(1, {cropping}, "channels_last") {}
  explicit Cropping1D(std::int64_t n) : Cropping1D(std::pair<std::int64_t, std::int64_t>{n, n}) {}
};
class Cropping2D : public Cropping {
 public:
  STRATA_LAYER(Cropping2D)
  STRATA_LAYER_CONFIG(Cropping2D)
  explicit Cropping2D(std::int64_t n = 0) : Cropping(2, {{n, n}, {n, n}}, "channels_last") {}
  Cropping2D(std::pair<std::int64_t, std::int64_t> height, std::pair<std::int64_t, std::int64_t> width,
             std::string data_format = "channels_last")
      : Cropping(2, {height, width}, std::move(data_format)) {}
};
class Cropping3D : public Cropping {
 public:
  STRATA_LAYER(Cropping3D)
  STRATA_LAYER_CONFIG(Cropping3D)
  explicit Cropping3D(std::int64_t n = 1) : Cropping(3, {{n, n}, {n, n}, {n, n}}, "channels_last") {}
  Cropping3D(std::pair<std::int64_t, std::int64_t> d1, std::pair<std::int64_t, std::int64_t> d2,
             std::pair<std::int64_t, std::int64_t> d3, std::string data_format = "channels_last")
      : Cropping(3, {d1, d2, d3}, std::move(data_format)) {}
};

/// Adds padding[k].first zeros before and padding[k].second after each spatial axis k.
class ZeroPadding : public SpatialLayer {
 public:
  SpatialPairs padding;
  Shape compute_output_shape(const Shape& s) override;
  void validate() const;

 protected:
  ZeroPadding(int spatial_rank, SpatialPairs padding, std::string data_format);
  Tensor call(const Tensor& x, bool training) override;
};

class ZeroPadding1D : public ZeroPadding {
 public:
  STRATA_LAYER(ZeroPadding1D)
  STRATA_LAYER_CONFIG(ZeroPadding1D)
  explicit ZeroPadding1D(std::int64_t n = 1) : ZeroPadding(1, {{n, n}}, "channels_last") {}
  explicit ZeroPadding1D(std::pair<std::int64_t, std::int64_t> padding) : ZeroPadding(1, {padding}, "channels_last") {}
};
/// Zeros around the image: ((top, bottom), (left, right)); one number pads all four sides.
class ZeroPadding2D : public ZeroPadding {
 public:
  STRATA_LAYER(ZeroPadding2D)
  STRATA_LAYER_CONFIG(ZeroPadding2D)
  explicit ZeroPadding2D(std::int64_t n = 1) : ZeroPadding(2, {{n, n}, {n, n}}, "channels_last") {}
  ZeroPadding2D(std::pair<std::int64_t, std::int64_t> height, std::pair<std::int64_t, std::int64_t> width,
                std::string data_format = "channels_last")
      : ZeroPadding(2, {height, width}, std::move(data_format)) {}
};
class ZeroPadding3D : public ZeroPadding {
 public:
  STRATA_LAYER(ZeroPadding3D)
  STRATA_LAYER_CONFIG(ZeroPadding3D)
  explicit ZeroPadding3D(std::int64_t n = 1) : ZeroPadding(3, {{n, n}, {n, n}, {n, n}}, "channels_last") {}
  ZeroPadding3D(std::pair<std::int64_t, std::int64_t> d1, std::pair<std::int64_t, std::int64_t> d2,
                std::pair<std::int64_t, std::int64_t> d3, std::string data_format = "channels_last")
      : ZeroPadding(3, {d1, d2, d3}, std::move(data_format)) {}
};

/// Upsampling by an integer factor per spatial axis. "nearest" repeats elements; UpSampling2D
/// also has "bilinear": Keras 3's resize with half-pixel centres (source coordinate
/// (i + 0.5) / s - 0.5, clamped at the edges), or, with half_pixel_centers = false, the
/// resize of TensorFlow 1 and TensorFlow.js (source coordinate i / s) that models loaded from
/// TF.js files compute.
class UpSampling : public SpatialLayer {
 public:
  std::vector<std::int64_t> size;
  std::string interpolation = "nearest";
  bool half_pixel_centers = true;
  Shape compute_output_shape(const Shape& s) override;
  void validate() const;

 protected:
  UpSampling(int spatial_rank, std::vector<std::int64_t> size, std::string interpolation, std::string data_format);
  Tensor call(const Tensor& x, bool training) override;
};

class UpSampling1D : public UpSampling {
 public:
  STRATA_LAYER(UpSampling1D)
  STRATA_LAYER_CONFIG(UpSampling1D)
  explicit UpSampling1D(std::int64_t size = 2) : UpSampling(1, {size}, "nearest", "channels_last") {}
};
class UpSampling2D : public UpSampling {
 public:
  STRATA_LAYER(UpSampling2D)
  STRATA_LAYER_CONFIG(UpSampling2D)
  explicit UpSampling2D(Size2 size = 2, std::string interpolation = "nearest", std::string data_format = "channels_last")
      : UpSampling(2, {size.h, size.w}, std::move(interpolation), std::move(data_format)) {}
};
class UpSampling3D : public UpSampling {
 public:
  STRATA_LAYER(UpSampling3D)
  STRATA_LAYER_CONFIG(UpSampling3D)
  explicit UpSampling3D(std::int64_t n = 2) : UpSampling(3, {n, n, n}, "nearest", "channels_last") {}
  explicit UpSampling3D(std::vector<std::int64_t> size, std::string data_format = "channels_last")
      : UpSampling(3, std::move(size), "nearest", std::move(data_format)) {}
};

/// Returns its input.
class Identity : public Layer {
 public:
  STRATA_LAYER(Identity)
  Shape compute_output_shape(const Shape& s) override { return s; }
  DType compute_output_dtype(const std::vector<DType>& in) const override { return in.at(0); }

 protected:
  Tensor call(const Tensor& x, bool) override { return x; }
};

}  // namespace strata::layers
