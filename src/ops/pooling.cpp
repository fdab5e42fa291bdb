// Pooling and resizing. max pooling finds each window's (first) maximum and gathers it, so its
// gradient is gather's (a scatter-add to the maxima); average pooling is a linear op whose
// adjoint is its backward.
#include <algorithm>
#include <limits>
#include <vector>

#include "detail/dispatch.hpp"
#include "detail/parallel.hpp"
#include "detail/simd.hpp"
#include "detail/tensor_impl.hpp"
#include "ops/conv_geom.hpp"
#include "strata/autograd/tape.hpp"
#include "strata/ops/nn.hpp"
#include "strata/ops/reduce.hpp"
#include "strata/ops/shape.hpp"

namespace strata::nn {

using autograd::BackwardContext;
using detail::PatchGeom;

namespace {

PatchGeom pool_geom(const char* op, const Tensor& x, Size2 pool, std::optional<Size2> strides,
                    const std::string& padding) {
  detail::check_defined(op, x);
  return detail::make_geom(op, x.shape(), pool, strides.value_or(pool), padding, 1);
}

/// Calls f(offset of the cell in x) for each cell of output (n, oh, ow)'s window that lies
/// inside the image.
template <class F>
inline void for_each_window_cell(const PatchGeom& g, std::int64_t n, std::int64_t oh, std::int64_t ow, F&& f) {
  for (std::int64_t kh = 0; kh < g.KH; ++kh) {
    const std::int64_t ih = oh * g.SH - g.PT + kh;
    if (ih < 0 || ih >= g.H) continue;
    for (std::int64_t kw = 0; kw < g.KW; ++kw) {
      const std::int64_t iw = ow * g.SW - g.PL + kw;
      if (iw < 0 || iw >= g.W) continue;
      f(((n * g.H + ih) * g.W + iw) * g.C);
    }
  }
}

/// Whether v replaces the running maximum m of a window: strictly greater (the first maximum
/// keeps ties), or a NaN over a number (NaN wins, as in NumPy's max). The forward and both
/// backward kernels choose with this rule (the SIMD one lane for lane).
template <class T>
inline bool replaces_max(T v, T m) {
  return v > m || (v != v && m == m);
}

/// Max pooling of images [n0, n1): each window's (first) maximum and, with kArg, its flat
/// index into x. Restrict pointers and a copied geometry let the compiler vectorize the
/// channel loops.
template <class T, bool kArg>
void max_pool_images(const T* __restrict px, T* __restrict py, std::int64_t* __restrict pi, const PatchGeom g,
                     std::int64_t n0, std::int64_t n1) {
  const std::int64_t C = g.C;
  for (std::int64_t n = n0; n < n1; ++n)
    for (std::int64_t oh = 0; oh < g.OH; ++oh)
      for (std::int64_t ow = 0; ow < g.OW; ++ow) {
        const std::int64_t o = ((n * g.OH + oh) * g.OW + ow) * C;
        T* __restrict best = py + o;
        std::int64_t* __restrict arg = kArg ? pi + o : nullptr;
        bool first = true;
        for_each_window_cell(g, n, oh, ow, [&](std::int64_t base) {
          const T* __restrict row = px + base;
          if (first) {
            for (std::int64_t c = 0; c < C; ++c) best[c] = row[c];
            if constexpr (kArg)
              for (std::int64_t c = 0; c < C; ++c) arg[c] = base + c;
            first = false;
            return;
          }
          for (std::int64_t c = 0; c < C; ++c) {
            const T v = row[c], b = best[c];
            const bool take = replaces_max(v, b);
            best[c] = take ? v : b;
            if constexpr (kArg) arg[c] = take ? base + c : arg[c];
          }
        });
      }
}

/// Each window's (first) maximum and, when asked, its flat index into x, in one pass.
std::pair<Tensor, Tensor> max_pool_kernel(const Tensor& x, const PatchGeom& g, bool want_idx) {
  Tensor y = detail::make_tensor({g.N, g.OH, g.OW, g.C}, x.dtype());
  Tensor idx = want_idx ? detail::make_tensor({g.N, g.OH, g.OW, g.C}, DType::int64) : Tensor();
  std::int64_t* pi = want_idx ? detail::mut_ptr<std::int64_t>(idx) : nullptr;
  const std::int64_t per_image = std::max<std::int64_t>(1, g.OH * g.OW * g.C * g.KH * g.KW);
  detail::dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = detail::ptr<T>(x);
    T* py = detail::mut_ptr<T>(y);
    detail::parallel_for(
        g.N,
        [&](std::int64_t n0, std::int64_t n1) {
          if (want_idx)
            max_pool_images<T, true>(px, py, pi, g, n0, n1);
          else
            max_pool_images<T, false>(px, py, nullptr, g, n0, n1);
        },
        std::max<std::int64_t>(1, detail::kParallelGrain / per_image), 1);
  });
  return {y, idx};
}

/// Whether input row (or column) i lies in a window, for windows that do not overlap (stride
/// >= window): i + pad falls at offset < k within the stride of an output out < count.
inline bool covered(std::int64_t i, std::int64_t pad, std::int64_t k, std::int64_t s, std::int64_t count) {
  const std::int64_t p = i + pad;
  return p / s < count && p % s < k;
}

/// Channels [c0, c0 + B::size) of one window: finds each channel's (first) maximum among the
/// window's cells the way the forward did, tie for tie, and writes the window's gradient there
/// and zeros in the other cells.
template <class T>
inline void max_pool_grad_window_simd(const T* px, const T* gr, T* pd, const std::int64_t* cells, std::int32_t nc,
                                      std::int64_t c0) {
  using B = xsimd::batch<T>;
  B best = B::load_unaligned(px + cells[0] + c0), arg(T(0));
  for (std::int32_t k = 1; k < nc; ++k) {
    const B v = B::load_unaligned(px + cells[k] + c0);
    const auto take = (v > best) | (xsimd::isnan(v) & !xsimd::isnan(best));  // replaces_max, per lane
    best = xsimd::select(take, v, best);
    arg = xsimd::select(take, B(T(k)), arg);
  }
  const B g = B::load_unaligned(gr + c0);
  for (std::int32_t k = 0; k < nc; ++k) xsimd::select(arg == B(T(k)), g, B(T(0))).store_unaligned(pd + cells[k] + c0);
}

/// The same for one channel (the tail after the full batches).
template <class T>
inline void max_pool_grad_window_scalar(const T* px, const T* gr, T* pd, const std::int64_t* cells, std::int32_t nc,
                                        std::int64_t c) {
  T best = px[cells[0] + c];
  std::int32_t arg = 0;
  for (std::int32_t k = 1; k < nc; ++k) {
    const T v = px[cells[k] + c];
    if (replaces_max(v, best)) {
      best = v;
      arg = k;
    }
  }
  for (std::int32_t k = 0; k < nc; ++k) pd[cells[k] + c] = k == arg ? gr[c] : T(0);
}

/// The gradient of max pooling over images [n0, n1) when no two windows overlap: every input
/// cell gets its window's gradient if it is the window's (first) maximum, found again here from
/// x, and zero otherwise. One write of dx: no zero fill, no scatter, no index tensor.
template <class T>
void max_pool_grad_images(const T* px, const T* pg, T* pd, const PatchGeom g, const std::vector<char>& row_in,
                          const std::vector<char>& col_in, std::int64_t n0, std::int64_t n1) {
  const std::int64_t C = g.C, lanes = static_cast<std::int64_t>(xsimd::batch<T>::size);
  const std::int64_t full = C - C % lanes;
  std::vector<std::int64_t> cells(static_cast<std::size_t>(g.KH * g.KW));
  for (std::int64_t n = n0; n < n1; ++n) {
    // cells no window reaches get zero
    for (std::int64_t ih = 0; ih < g.H; ++ih) {
      T* row = pd + (n * g.H + ih) * g.W * C;
      if (!row_in[static_cast<std::size_t>(ih)]) {
        std::fill(row, row + g.W * C, T(0));
        continue;
      }
      for (std::int64_t iw = 0; iw < g.W; ++iw)
        if (!col_in[static_cast<std::size_t>(iw)]) std::fill(row + iw * C, row + (iw + 1) * C, T(0));
    }
    for (std::int64_t oh = 0; oh < g.OH; ++oh)
      for (std::int64_t ow = 0; ow < g.OW; ++ow) {
        std::int32_t nc = 0;
        for_each_window_cell(g, n, oh, ow, [&](std::int64_t base) { cells[static_cast<std::size_t>(nc++)] = base; });
        if (nc == 0) continue;
        const T* gr = pg + ((n * g.OH + oh) * g.OW + ow) * C;
        std::int64_t c = 0;
        for (; c < full; c += lanes) max_pool_grad_window_simd(px, gr, pd, cells.data(), nc, c);
        for (; c < C; ++c) max_pool_grad_window_scalar(px, gr, pd, cells.data(), nc, c);
      }
  }
}

Tensor max_pool_scatter(const Tensor& g, const Tensor& idx, const Shape& x_shape);

/// max_pool2d's gradient for windows that do not overlap, from the saved input x.
Tensor max_pool_grad_disjoint(const Tensor& x, const Tensor& gy, const PatchGeom& g) {
  if (autograd::should_record({&gy}))
    // an outer tape differentiates this backward: the recorded scatter (whose gradient gathers)
    return max_pool_scatter(gy, max_pool_kernel(x, g, true).second, x.shape());
  Tensor dx = detail::make_tensor(x.shape(), gy.dtype());
  std::vector<char> row_in(static_cast<std::size_t>(g.H)), col_in(static_cast<std::size_t>(g.W));
  for (std::int64_t i = 0; i < g.H; ++i) row_in[static_cast<std::size_t>(i)] = covered(i, g.PT, g.KH, g.SH, g.OH);
  for (std::int64_t i = 0; i < g.W; ++i) col_in[static_cast<std::size_t>(i)] = covered(i, g.PL, g.KW, g.SW, g.OW);
  const std::int64_t per_image = std::max<std::int64_t>(1, g.H * g.W * g.C);
  detail::dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = detail::ptr<T>(x);
    const T* pg = detail::ptr<T>(gy);
    T* pd = detail::mut_ptr<T>(dx);
    detail::parallel_for(
        g.N, [&](std::int64_t n0, std::int64_t n1) { max_pool_grad_images(px, pg, pd, g, row_in, col_in, n0, n1); },
        std::max<std::int64_t>(1, detail::kParallelGrain / per_image), 1);
  });
  return dx;
}

Tensor max_pool_gather(const Tensor& x, const Tensor& idx, const Shape& x_shape);

/// Adds g[k] into a zero tensor of x's shape at flat index idx[k] (max pooling's gradient).
Tensor max_pool_scatter(const Tensor& g, const Tensor& idx, const Shape& x_shape) {
  Tensor dx = Tensor::zeros(x_shape, g.dtype());
  const std::int64_t* pi = detail::ptr<std::int64_t>(idx);
  detail::dispatch(g.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* pg = detail::ptr<T>(g);
    T* pd = detail::mut_ptr<T>(dx);
    // split by whole images: every window of image n lies in image n, so chunks never meet
    const std::int64_t images = x_shape.rank() > 0 ? x_shape[0] : 1;
    const std::int64_t per_image = images > 0 ? g.size() / images : 0;
    detail::parallel_for(
        images,
        [pd, pi, pg, per_image](std::int64_t n0, std::int64_t n1) {
          for (std::int64_t k = n0 * per_image, k_end = n1 * per_image; k < k_end; ++k) pd[pi[k]] += pg[k];
        },
        std::max<std::int64_t>(1, detail::kParallelGrain / std::max<std::int64_t>(1, per_image)), 1);
  });
  if (autograd::should_record({&g}))
    // linear in g: the gradient gathers again
    autograd::record("max_pool_grad", {&g}, {&dx}, {idx}, [x_shape](const BackwardContext& c) {
      return std::vector<Tensor>{max_pool_gather(c.grad(), c.saved(0), x_shape)};
    });
  return dx;
}

/// y[k] = x[idx[k]], the adjoint of max_pool_scatter.
Tensor max_pool_gather(const Tensor& x, const Tensor& idx, const Shape& x_shape) {
  Tensor y = detail::make_tensor(idx.shape(), x.dtype());
  const std::int64_t* pi = detail::ptr<std::int64_t>(idx);
  detail::dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = detail::ptr<T>(x);
    T* py = detail::mut_ptr<T>(y);
    detail::parallel_for(y.size(), [px, py, pi](std::int64_t b, std::int64_t e) {
      for (std::int64_t k = b; k < e; ++k) py[k] = px[pi[k]];
    });
  });
  if (autograd::should_record({&x}))
    autograd::record("max_pool_gather", {&x}, {&y}, {idx}, [x_shape](const BackwardContext& c) {
      return std::vector<Tensor>{max_pool_scatter(c.grad(), c.saved(0), x_shape)};
    });
  return y;
}

Tensor avg_pool_adjoint(const Tensor& g_out, const PatchGeom& g);

/// Number of window cells inside the image for output (oh, ow).
inline std::int64_t window_cells(const PatchGeom& g, std::int64_t oh, std::int64_t ow) {
  const std::int64_t h0 = std::max<std::int64_t>(oh * g.SH - g.PT, 0), h1 = std::min(oh * g.SH - g.PT + g.KH, g.H);
  const std::int64_t w0 = std::max<std::int64_t>(ow * g.SW - g.PL, 0), w1 = std::min(ow * g.SW - g.PL + g.KW, g.W);
  return (h1 - h0) * (w1 - w0);
}

template <class T, bool kAdjoint>
void avg_pool_kernel(const T* in, T* out, const PatchGeom& g) {
  // forward: out[n,oh,ow,c] = mean of the window; adjoint: in is the output gradient and each
  // window cell receives g / count.
  for (std::int64_t n = 0; n < g.N; ++n)
    for (std::int64_t oh = 0; oh < g.OH; ++oh)
      for (std::int64_t ow = 0; ow < g.OW; ++ow) {
        const T inv = T(1) / static_cast<T>(window_cells(g, oh, ow));
        const std::int64_t o = ((n * g.OH + oh) * g.OW + ow) * g.C;
        for_each_window_cell(g, n, oh, ow, [&](std::int64_t i) {
          if constexpr (kAdjoint) {
            for (std::int64_t c = 0; c < g.C; ++c) out[i + c] += in[o + c] * inv;
          } else {
            for (std::int64_t c = 0; c < g.C; ++c) out[o + c] += in[i + c] * inv;
          }
        });
      }
}

Tensor avg_pool_forward(const Tensor& x, const PatchGeom& g) {
  Tensor y = Tensor::zeros({g.N, g.OH, g.OW, g.C}, x.dtype());
  detail::dispatch_float(x.dtype(), "avg_pool2d", [&](auto tag) {
    using T = decltype(tag);
    avg_pool_kernel<T, false>(detail::ptr<T>(x), detail::mut_ptr<T>(y), g);
  });
  if (autograd::should_record({&x}))
    // linear: the gradient is the adjoint (each cell gets its windows' g / count)
    autograd::record("avg_pool2d", {&x}, {&y}, {}, [g](const BackwardContext& c) {
      return std::vector<Tensor>{avg_pool_adjoint(c.grad(), g)};
    });
  return y;
}

Tensor avg_pool_adjoint(const Tensor& gy, const PatchGeom& g) {
  Tensor dx = Tensor::zeros({g.N, g.H, g.W, g.C}, gy.dtype());
  detail::dispatch_float(gy.dtype(), "avg_pool2d (gradient)", [&](auto tag) {
    using T = decltype(tag);
    avg_pool_kernel<T, true>(detail::ptr<T>(gy), detail::mut_ptr<T>(dx), g);
  });
  if (autograd::should_record({&gy}))
    autograd::record("avg_pool2d_grad", {&gy}, {&dx}, {}, [g](const BackwardContext& c) {
      return std::vector<Tensor>{avg_pool_forward(c.grad(), g)};
    });
  return dx;
}

}  // namespace

Tensor max_pool2d(const Tensor& x, Size2 pool_size, std::optional<Size2> strides, const std::string& padding) {
  const PatchGeom g = pool_geom("max_pool2d", x, pool_size, strides, padding);
  const bool record = autograd::should_record({&x});
  // Windows that do not overlap (the usual stride = pool size) take their gradient from x
  // again (one dense write); overlapping ones keep each maximum's index for a scatter-add.
  const bool disjoint = g.SH >= g.KH && g.SW >= g.KW;
  auto [y, idx] = max_pool_kernel(x, g, record && !disjoint);
  if (record && disjoint) {
    autograd::record("max_pool2d", {&x}, {&y}, {x}, [g](const BackwardContext& c) {
      return std::vector<Tensor>{max_pool_grad_disjoint(c.saved(0), c.grad(), g)};
    });
  } else if (record) {
    // the gradient goes to each window's maximum
    const Shape x_shape = x.shape();
    autograd::record("max_pool2d", {&x}, {&y}, {idx}, [x_shape](const BackwardContext& c) {
      return std::vector<Tensor>{max_pool_scatter(c.grad(), c.saved(0), x_shape)};
    });
  }
  return y;
}

Tensor avg_pool2d(const Tensor& x, Size2 pool_size, std::optional<Size2> strides, const std::string& padding) {
  const PatchGeom g = pool_geom("avg_pool2d", x, pool_size, strides, padding);
  return avg_pool_forward(x, g);
}

namespace {
Tensor pool1d(bool is_max, const Tensor& x, std::int64_t pool, std::optional<std::int64_t> stride,
              const std::string& padding) {
  const char* op = is_max ? "max_pool1d" : "avg_pool1d";
  detail::check_defined(op, x);
  if (x.rank() != 3)
    detail::raise<ShapeError>("{}: expected a 3-D input [batch, steps, channels], got shape {}", op, x.shape());
  const Size2 s{1, stride.value_or(pool)};
  const Tensor x4 = expand_dims(x, 1);
  const Tensor y = is_max ? max_pool2d(x4, {1, pool}, s, padding) : avg_pool2d(x4, {1, pool}, s, padding);
  return squeeze(y, {1});
}
}  // namespace

Tensor max_pool1d(const Tensor& x, std::int64_t pool_size, std::optional<std::int64_t> stride,
                  const std::string& padding) {
  return pool1d(true, x, pool_size, stride, padding);
}

Tensor avg_pool1d(const Tensor& x, std::int64_t pool_size, std::optional<std::int64_t> stride,
                  const std::string& padding) {
  return pool1d(false, x, pool_size, stride, padding);
}

namespace {
void check_rank(const char* op, const Tensor& x, std::size_t rank, const char* layout) {
  detail::check_defined(op, x);
  if (x.rank() != rank) detail::raise<ShapeError>("{}: expected a {}-D input {}, got shape {}", op, rank, layout, x.shape());
}
}  // namespace

Tensor global_avg_pool2d(const Tensor& x, bool keepdims) {
  check_rank("global_avg_pool2d", x, 4, "[batch, height, width, channels]");
  return mean(x, {1, 2}, keepdims);
}
Tensor global_max_pool2d(const Tensor& x, bool keepdims) {
  check_rank("global_max_pool2d", x, 4, "[batch, height, width, channels]");
  return max(x, {1, 2}, keepdims);
}
Tensor global_avg_pool1d(const Tensor& x, bool keepdims) {
  check_rank("global_avg_pool1d", x, 3, "[batch, steps, channels]");
  return mean(x, std::int64_t{1}, keepdims);
}
Tensor global_max_pool1d(const Tensor& x, bool keepdims) {
  check_rank("global_max_pool1d", x, 3, "[batch, steps, channels]");
  return max(x, std::int64_t{1}, keepdims);
}

Tensor upsample2d(const Tensor& x, Size2 size) {
  check_rank("upsample2d", x, 4, "[batch, height, width, channels]");
  if (size.h < 1 || size.w < 1)
    detail::raise<ValueError>("upsample2d: size ({}, {}) must be positive", size.h, size.w);
  const std::int64_t N = x.dim(0), H = x.dim(1), W = x.dim(2), C = x.dim(3);
  // [N, H, 1, W, 1, C] -> broadcast [N, H, sh, W, sw, C] -> [N, H*sh, W*sw, C]
  const Tensor b = broadcast_to(reshape(x, {N, H, 1, W, 1, C}), {N, H, size.h, W, size.w, C});
  return reshape(b, {N, H * size.h, W * size.w, C});
}

Tensor zero_pad2d(const Tensor& x, std::pair<std::int64_t, std::int64_t> height,
                  std::pair<std::int64_t, std::int64_t> width) {
  check_rank("zero_pad2d", x, 4, "[batch, height, width, channels]");
  return pad(x, {{0, 0}, height, width, {0, 0}});
}

}  // namespace strata::nn
