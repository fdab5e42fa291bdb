#pragma once
// Window geometry shared by convolution and pooling, and the im2col primitives.
#include <cstdint>
#include <string>

#include "strata/ops/nn.hpp"

namespace strata::detail {

/// A window sliding over [N, H, W, C]: kernel KH x KW, strides, dilation, top/left padding,
/// and the output grid OH x OW.
struct PatchGeom {
  std::int64_t N = 0, H = 0, W = 0, C = 0;
  std::int64_t KH = 1, KW = 1, SH = 1, SW = 1, DH = 1, DW = 1;
  std::int64_t PT = 0, PL = 0, OH = 0, OW = 0;
};

/// Keras/TensorFlow geometry for "valid" or "same"; errors name `op` and the shapes.
PatchGeom make_geom(const char* op, const Shape& x, nn::Size2 k, nn::Size2 s, const std::string& padding,
                    nn::Size2 d);
/// im2col as a recorded op: [N, H, W, C] -> [N, OH, OW, KH*KW*C] (zeros outside the image).
Tensor patches(const Tensor& x, const PatchGeom& g);
/// Its adjoint (col2im, summing overlaps): [N, OH, OW, KH*KW*C] -> [N, H, W, C].
Tensor patches_grad(const Tensor& cols, const PatchGeom& g);
/// The transposed layout, better for few channels: [KH*KW*C, N*OH*OW], and its adjoint.
Tensor patches_t(const Tensor& x, const PatchGeom& g);
Tensor patches_t_grad(const Tensor& cols, const PatchGeom& g);

}  // namespace strata::detail
