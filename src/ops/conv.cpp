// Convolutions as im2col (extract_patches) + one BLAS gemm. extract_patches and its adjoint
// (patches_grad, col2im) are the only new primitives: each is the other's backward, and the
// gemm is matmul, so every convolution is differentiable to any order.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "detail/dispatch.hpp"
#include "detail/parallel.hpp"
#include "detail/tensor_impl.hpp"
#include "ops/conv_geom.hpp"
#include "strata/autograd/tape.hpp"
#include "strata/ops/linalg.hpp"
#include "strata/ops/nn.hpp"
#include "strata/ops/reduce.hpp"
#include "strata/ops/shape.hpp"

namespace strata::nn {

std::int64_t conv_output_length(std::int64_t in, std::int64_t kernel, std::int64_t stride, const std::string& padding,
                                std::int64_t dilation) {
  if (kernel < 1 || stride < 1 || dilation < 1)
    detail::raise<ValueError>("conv_output_length: kernel {}, stride {} and dilation {} must be >= 1", kernel, stride,
                              dilation);
  const std::int64_t keff = (kernel - 1) * dilation + 1;
  if (padding == "valid") return in >= keff ? (in - keff) / stride + 1 : 0;
  if (padding == "same" || padding == "causal") return (in + stride - 1) / stride;
  detail::raise<ValueError>("unknown padding '{}' (known: valid, same, causal)", padding);
}

}  // namespace strata::nn

namespace strata::detail {

using autograd::BackwardContext;
using nn::Size2;

PatchGeom make_geom(const char* op, const Shape& x, Size2 k, Size2 s, const std::string& padding, Size2 d) {
  if (x.rank() != 4)
    raise<ShapeError>("{}: expected a 4-D input [batch, height, width, channels], got shape {}", op, x);
  if (padding != "valid" && padding != "same")
    raise<ValueError>("{}: padding must be 'valid' or 'same', got '{}'", op, padding);
  if (k.h < 1 || k.w < 1 || s.h < 1 || s.w < 1 || d.h < 1 || d.w < 1)
    raise<ValueError>("{}: window ({}, {}), strides ({}, {}) and dilation ({}, {}) must be positive", op, k.h, k.w,
                      s.h, s.w, d.h, d.w);
  PatchGeom g;
  g.N = x[0];
  g.H = x[1];
  g.W = x[2];
  g.C = x[3];
  g.KH = k.h;
  g.KW = k.w;
  g.SH = s.h;
  g.SW = s.w;
  g.DH = d.h;
  g.DW = d.w;
  const std::int64_t keh = (k.h - 1) * d.h + 1, kew = (k.w - 1) * d.w + 1;
  if (padding == "valid") {
    if (keh > g.H || kew > g.W)
      raise<ShapeError>("{}: window ({}, {}) (dilated: ({}, {})) is larger than the input {} under 'valid' padding",
                        op, k.h, k.w, keh, kew, x);
    g.OH = (g.H - keh) / g.SH + 1;
    g.OW = (g.W - kew) / g.SW + 1;
    g.PT = g.PL = 0;
  } else {
    g.OH = (g.H + g.SH - 1) / g.SH;
    g.OW = (g.W + g.SW - 1) / g.SW;
    g.PT = std::max<std::int64_t>((g.OH - 1) * g.SH + keh - g.H, 0) / 2;  // odd pixel at the bottom
    g.PL = std::max<std::int64_t>((g.OW - 1) * g.SW + kew - g.W, 0) / 2;  // and at the right
  }
  return g;
}

namespace {

/// Calls f(dst_offset_in_row, src_pointer_or_null, count) for each run of a patch row: with
/// dilation 1 in width, the kw cells of one kernel row that fall inside the image are one
/// contiguous run of x (kw * C elements), so im2col and col2im move whole runs.
template <class T, class F>
void for_each_patch_run(const T* x, const PatchGeom& g, std::int64_t n, std::int64_t oh, std::int64_t ow, F f) {
  const std::int64_t C = g.C;
  for (std::int64_t kh = 0; kh < g.KH; ++kh) {
    const std::int64_t ih = oh * g.SH - g.PT + kh * g.DH;
    const std::int64_t row_off = kh * g.KW * C;
    if (ih < 0 || ih >= g.H) {
      f(row_off, nullptr, g.KW * C);
      continue;
    }
    const T* xrow = x + (n * g.H + ih) * g.W * C;
    const std::int64_t iw0 = ow * g.SW - g.PL;
    if (g.DW == 1) {
      const std::int64_t lo = std::max<std::int64_t>(0, -iw0), hi = std::min(g.KW, g.W - iw0);  // kw in [lo, hi)
      if (lo > 0) f(row_off, nullptr, std::min(lo, g.KW) * C);
      if (hi > lo) f(row_off + lo * C, xrow + (iw0 + lo) * C, (hi - lo) * C);
      if (hi < g.KW) f(row_off + std::max(hi, lo) * C, nullptr, (g.KW - std::max(hi, lo)) * C);
    } else {
      for (std::int64_t kw = 0; kw < g.KW; ++kw) {
        const std::int64_t iw = iw0 + kw * g.DW;
        f(row_off + kw * C, (iw < 0 || iw >= g.W) ? nullptr : xrow + iw * C, C);
      }
    }
  }
}

/// Images per chunk when a loop over the batch is split across threads.
std::int64_t image_grain(const PatchGeom& g) {
  return std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(1, g.OH * g.OW * g.KH * g.KW * g.C));
}

template <class T>
void im2col(const T* x, T* cols, const PatchGeom& g, std::int64_t n0, std::int64_t n1) {
  const std::int64_t depth = g.KH * g.KW * g.C;
  T* dst = cols + n0 * g.OH * g.OW * depth;
  for (std::int64_t n = n0; n < n1; ++n)
    for (std::int64_t oh = 0; oh < g.OH; ++oh)
      for (std::int64_t ow = 0; ow < g.OW; ++ow, dst += depth)
        for_each_patch_run(x, g, n, oh, ow, [dst](std::int64_t off, const T* src, std::int64_t count) {
          T* d = dst + off;
          if (!src) {
            std::fill(d, d + count, T(0));
          } else if (count <= 16) {  // short runs (few channels): a loop beats a memcpy call
            for (std::int64_t i = 0; i < count; ++i) d[i] = src[i];
          } else {
            std::memcpy(d, src, sizeof(T) * static_cast<std::size_t>(count));
          }
        });
}

template <class T>
void col2im(const T* cols, T* x, const PatchGeom& g, std::int64_t n0, std::int64_t n1) {
  const std::int64_t depth = g.KH * g.KW * g.C;
  const T* src = cols + n0 * g.OH * g.OW * depth;
  for (std::int64_t n = n0; n < n1; ++n)
    for (std::int64_t oh = 0; oh < g.OH; ++oh)
      for (std::int64_t ow = 0; ow < g.OW; ++ow, src += depth)
        for_each_patch_run(static_cast<const T*>(x), g, n, oh, ow,
                           [src, x](std::int64_t off, const T* dst, std::int64_t count) {
                             if (!dst) return;
                             T* d = x + (dst - static_cast<const T*>(x));
                             for (std::int64_t i = 0; i < count; ++i) d[i] += src[off + i];
                           });
}

/// Transposed im2col for few channels: cols_t [KH*KW*C, N*OH*OW], one row per (kh, kw, c).
/// Each row is filled by runs along the output width, which are contiguous copies of x when
/// C == 1 and the width stride is 1.
template <class T, bool kAdjoint>
void im2col_t(const T* x_in, T* x_out, const T* cols_in, T* cols_out, const PatchGeom& g, std::int64_t n0,
              std::int64_t n1) {
  const std::int64_t P = g.N * g.OH * g.OW;
  for (std::int64_t kh = 0; kh < g.KH; ++kh)
    for (std::int64_t kw = 0; kw < g.KW; ++kw) {
      // output columns whose input column is inside the image: ow in [lo, hi)
      const std::int64_t off = kw * g.DW - g.PL;
      std::int64_t lo = 0, hi = g.OW;
      while (lo < g.OW && lo * g.SW + off < 0) ++lo;
      while (hi > lo && (hi - 1) * g.SW + off >= g.W) --hi;
      for (std::int64_t c = 0; c < g.C; ++c) {
        const std::int64_t r = (kh * g.KW + kw) * g.C + c;
        for (std::int64_t n = n0; n < n1; ++n)
          for (std::int64_t oh = 0; oh < g.OH; ++oh) {
            const std::int64_t ih = oh * g.SH - g.PT + kh * g.DH;
            const std::int64_t col = r * P + (n * g.OH + oh) * g.OW;
            const bool row_in = ih >= 0 && ih < g.H;
            const std::int64_t base = ((n * g.H + (row_in ? ih : 0)) * g.W + off) * g.C + c;
            const std::int64_t step = g.SW * g.C;
            if constexpr (!kAdjoint) {
              T* dst = cols_out + col;
              if (!row_in) {
                std::fill(dst, dst + g.OW, T(0));
                continue;
              }
              std::fill(dst, dst + lo, T(0));
              const T* src = x_in + base;
              if (step == 1)
                std::memcpy(dst + lo, src + lo, sizeof(T) * static_cast<std::size_t>(hi - lo));
              else
                for (std::int64_t ow = lo; ow < hi; ++ow) dst[ow] = src[ow * step];
              std::fill(dst + hi, dst + g.OW, T(0));
            } else {
              if (!row_in) continue;
              const T* src = cols_in + col;
              T* dst = x_out + base;
              if (step == 1)
                for (std::int64_t ow = lo; ow < hi; ++ow) dst[ow] += src[ow];
              else
                for (std::int64_t ow = lo; ow < hi; ++ow) dst[ow * step] += src[ow];
            }
          }
      }
    }
}

}  // namespace

Tensor patches(const Tensor& x, const PatchGeom& g) {
  Tensor cols = make_tensor({g.N, g.OH, g.OW, g.KH * g.KW * g.C}, x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = ptr<T>(x);
    T* pc = mut_ptr<T>(cols);
    parallel_for(g.N, [&](std::int64_t b, std::int64_t e) { im2col(px, pc, g, b, e); }, image_grain(g), 1);
  });
  if (autograd::should_record({&x}))
    // linear: the gradient is the adjoint, col2im
    autograd::record("extract_patches", {&x}, {&cols}, {}, [g](const BackwardContext& c) {
      return std::vector<Tensor>{patches_grad(c.grad(), g)};
    });
  return cols;
}

Tensor patches_grad(const Tensor& cols, const PatchGeom& g) {
  const Shape want{g.N, g.OH, g.OW, g.KH * g.KW * g.C};
  if (cols.shape() != want)
    raise<ShapeError>("patches_grad: expected patches of shape {}, got {}", want, cols.shape());
  Tensor x = Tensor::zeros({g.N, g.H, g.W, g.C}, cols.dtype());
  dispatch(cols.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* pc = ptr<T>(cols);
    T* px = mut_ptr<T>(x);  // each image's chunk adds into that image only
    parallel_for(g.N, [&](std::int64_t b, std::int64_t e) { col2im(pc, px, g, b, e); }, image_grain(g), 1);
  });
  if (autograd::should_record({&cols}))
    // linear: the gradient is the adjoint, im2col
    autograd::record("patches_grad", {&cols}, {&x}, {}, [g](const BackwardContext& c) {
      return std::vector<Tensor>{patches(c.grad(), g)};
    });
  return x;
}

Tensor patches_t(const Tensor& x, const PatchGeom& g) {
  Tensor cols = make_tensor({g.KH * g.KW * g.C, g.N * g.OH * g.OW}, x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = ptr<T>(x);
    T* pc = mut_ptr<T>(cols);
    parallel_for(
        g.N, [&](std::int64_t b, std::int64_t e) { im2col_t<T, false>(px, nullptr, nullptr, pc, g, b, e); },
        image_grain(g), 1);
  });
  if (autograd::should_record({&x}))
    // linear: the gradient is the adjoint
    autograd::record("extract_patches_t", {&x}, {&cols}, {}, [g](const BackwardContext& c) {
      return std::vector<Tensor>{patches_t_grad(c.grad(), g)};
    });
  return cols;
}

Tensor patches_t_grad(const Tensor& cols, const PatchGeom& g) {
  Tensor x = Tensor::zeros({g.N, g.H, g.W, g.C}, cols.dtype());
  dispatch(cols.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* pc = ptr<T>(cols);
    T* px = mut_ptr<T>(x);
    parallel_for(
        g.N, [&](std::int64_t b, std::int64_t e) { im2col_t<T, true>(nullptr, px, pc, nullptr, g, b, e); },
        image_grain(g), 1);
  });
  if (autograd::should_record({&cols}))
    autograd::record("patches_t_grad", {&cols}, {&x}, {}, [g](const BackwardContext& c) {
      return std::vector<Tensor>{patches_t(c.grad(), g)};
    });
  return x;
}

}  // namespace strata::detail

namespace strata::nn {

Tensor extract_patches(const Tensor& x, Size2 sizes, Size2 strides, const std::string& padding, Size2 dilation) {
  detail::check_defined("extract_patches", x);
  return detail::patches(x, detail::make_geom("extract_patches", x.shape(), sizes, strides, padding, dilation));
}

Tensor conv2d(const Tensor& x, const Tensor& kernel, Size2 strides, const std::string& padding, Size2 dilation) {
  detail::check_defined("conv2d", x);
  detail::check_defined("conv2d", kernel, "kernel");
  detail::check_same_dtype("conv2d", x, kernel);
  detail::check_floating("conv2d", x);
  if (kernel.rank() != 4)
    detail::raise<ShapeError>("conv2d: expected a 4-D kernel [kh, kw, in_channels, out_channels], got {}",
                              kernel.shape());
  const auto g = detail::make_geom("conv2d", x.shape(), {kernel.dim(0), kernel.dim(1)}, strides, padding, dilation);
  if (kernel.dim(2) != g.C)
    detail::raise<ShapeError>("conv2d: the kernel {} expects {} input channels, but the input {} has {}",
                              kernel.shape(), kernel.dim(2), x.shape(), g.C);
  const std::int64_t O = kernel.dim(3);
  const std::int64_t rows = g.N * g.OH * g.OW, depth = g.KH * g.KW * g.C;
  const bool pointwise = g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1;  // 1x1: no im2col needed
  const Tensor k2 = reshape(kernel, {depth, O});
  Tensor y;
  if (pointwise) {
    y = matmul(reshape(x, {rows, depth}), k2);
  } else if (g.C < 4) {  // few channels: a [depth, rows] layout fills by long contiguous runs
    y = matmul(detail::patches_t(x, g), k2, /*transpose_a=*/true, false);
  } else {
    y = matmul(reshape(detail::patches(x, g), {rows, depth}), k2);
  }
  return reshape(y, {g.N, g.OH, g.OW, O});
}

Tensor conv1d(const Tensor& x, const Tensor& kernel, std::int64_t stride, const std::string& padding,
              std::int64_t dilation) {
  detail::check_defined("conv1d", x);
  detail::check_defined("conv1d", kernel, "kernel");
  if (x.rank() != 3)
    detail::raise<ShapeError>("conv1d: expected a 3-D input [batch, steps, channels], got shape {}", x.shape());
  if (kernel.rank() != 3)
    detail::raise<ShapeError>("conv1d: expected a 3-D kernel [kw, in_channels, out_channels], got {}",
                              kernel.shape());
  Tensor in = x;
  std::string pad2d = padding;
  if (padding == "causal") {  // pad the past only, then a valid convolution
    if (dilation < 1) detail::raise<ValueError>("conv1d: dilation must be positive, got {}", dilation);
    in = pad(x, {{0, 0}, {(kernel.dim(0) - 1) * dilation, 0}, {0, 0}});
    pad2d = "valid";
  } else if (padding != "valid" && padding != "same") {
    detail::raise<ValueError>("conv1d: padding must be 'valid', 'same' or 'causal', got '{}'", padding);
  }
  const Tensor y = conv2d(expand_dims(in, 1), expand_dims(kernel, 0), {1, stride}, pad2d, {1, dilation});
  return squeeze(y, {1});
}

Tensor depthwise_conv2d(const Tensor& x, const Tensor& kernel, Size2 strides, const std::string& padding,
                        Size2 dilation) {
  detail::check_defined("depthwise_conv2d", x);
  detail::check_defined("depthwise_conv2d", kernel, "kernel");
  detail::check_same_dtype("depthwise_conv2d", x, kernel);
  if (kernel.rank() != 4)
    detail::raise<ShapeError>("depthwise_conv2d: expected a 4-D kernel [kh, kw, channels, multiplier], got {}",
                              kernel.shape());
  const auto g =
      detail::make_geom("depthwise_conv2d", x.shape(), {kernel.dim(0), kernel.dim(1)}, strides, padding, dilation);
  if (kernel.dim(2) != g.C)
    detail::raise<ShapeError>("depthwise_conv2d: the kernel {} expects {} channels, but the input {} has {}",
                              kernel.shape(), kernel.dim(2), x.shape(), g.C);
  const std::int64_t M = kernel.dim(3), K = g.KH * g.KW;
  // patches [N, OH, OW, K, C, 1] * kernel [K, C, M], summed over K
  const Tensor p = reshape(detail::patches(x, g), {g.N, g.OH, g.OW, K, g.C, 1});
  const Tensor y = sum(mul(p, reshape(kernel, {K, g.C, M})), 3);
  return reshape(y, {g.N, g.OH, g.OW, g.C * M});
}

std::int64_t conv_transpose_length(std::int64_t in, std::int64_t k, std::int64_t s, const std::string& padding,
                                   std::int64_t d, std::optional<std::int64_t> output_padding) {
  if (in < 0) return -1;
  const std::int64_t keff = (k - 1) * d + 1;
  if (!output_padding) return padding == "same" ? in * s : in * s + std::max<std::int64_t>(keff - s, 0);
  const std::int64_t pad = padding == "same" ? keff / 2 : 0;
  return (in - 1) * s + keff - 2 * pad + *output_padding;
}

Tensor conv2d_transpose(const Tensor& x, const Tensor& kernel, Size2 strides, const std::string& padding,
                        Size2 dilation, std::optional<Size2> output_padding) {
  detail::check_defined("conv2d_transpose", x);
  detail::check_defined("conv2d_transpose", kernel, "kernel");
  detail::check_same_dtype("conv2d_transpose", x, kernel);
  if (x.rank() != 4)
    detail::raise<ShapeError>("conv2d_transpose: expected a 4-D input [batch, height, width, channels], got {}",
                              x.shape());
  if (kernel.rank() != 4)
    detail::raise<ShapeError>("conv2d_transpose: expected a 4-D kernel [kh, kw, out_channels, in_channels], got {}",
                              kernel.shape());
  if (kernel.dim(3) != x.dim(3))
    detail::raise<ShapeError>("conv2d_transpose: the kernel {} expects {} input channels, but the input {} has {}",
                              kernel.shape(), kernel.dim(3), x.shape(), x.dim(3));
  if (padding != "valid" && padding != "same")
    detail::raise<ValueError>("conv2d_transpose: padding must be 'valid' or 'same', got '{}'", padding);
  const std::int64_t N = x.dim(0), H = x.dim(1), W = x.dim(2), Cin = x.dim(3);
  const std::int64_t KH = kernel.dim(0), KW = kernel.dim(1), O = kernel.dim(2);
  if (output_padding && (output_padding->h < 0 || output_padding->w < 0 || output_padding->h >= strides.h ||
                         output_padding->w >= strides.w))
    detail::raise<ValueError>("conv2d_transpose: output_padding ({}, {}) must be non-negative and less than the strides "
                              "({}, {})",
                              output_padding->h, output_padding->w, strides.h, strides.w);
  const auto oph = output_padding ? std::optional<std::int64_t>(output_padding->h) : std::nullopt;
  const auto opw = output_padding ? std::optional<std::int64_t>(output_padding->w) : std::nullopt;
  const std::int64_t OH = conv_transpose_length(H, KH, strides.h, padding, dilation.h, oph);
  const std::int64_t OW = conv_transpose_length(W, KW, strides.w, padding, dilation.w, opw);
  // The forward convolution whose input gradient this is: from [N, OH, OW, O] to [N, H, W, *].
  const auto g = detail::make_geom("conv2d_transpose", {N, OH, OW, O}, {KH, KW}, strides, padding, dilation);
  if (g.OH != H || g.OW != W)
    detail::raise<ValueError>("conv2d_transpose: an output of {}x{} does not convolve back to the input's {}x{} "
                              "(kernel {}x{}, strides {}x{}, '{}' padding, output_padding)",
                              OH, OW, H, W, KH, KW, strides.h, strides.w, padding);
  const Tensor cols = matmul(reshape(x, {N * H * W, Cin}), reshape(kernel, {KH * KW * O, Cin}), false, true);
  return detail::patches_grad(reshape(cols, {N, H, W, KH * KW * O}), g);
}

}  // namespace strata::nn
