// bias_add and bias_relu: a layer's bias (and relu) in one pass over its output, and the
// backward's relu mask and bias gradient in one pass over the output gradient.
#include <algorithm>
#include <vector>

#include "detail/dispatch.hpp"
#include "detail/parallel.hpp"
#include "detail/tensor_impl.hpp"
#include "ops/grad_util.hpp"
#include "strata/autograd/tape.hpp"
#include "strata/ops/math.hpp"
#include "strata/ops/nn.hpp"
#include "strata/ops/shape.hpp"

namespace strata::nn {

using autograd::BackwardContext;

namespace {

/// Rows per partial sum of the bias gradient. Fixed, so the sum's order (and its bits) does
/// not depend on how many threads share the rows.
constexpr std::int64_t kRowBlock = 64;

template <class T, bool kRelu>
void forward_kernel(const T* x, const T* b, T* y, std::int64_t rows, std::int64_t C) {
  detail::parallel_for(
      rows,
      [x, b, y, C](std::int64_t r0, std::int64_t r1) {
        for (std::int64_t r = r0; r < r1; ++r) {
          const T* __restrict xr = x + r * C;
          const T* __restrict br = b;
          T* __restrict yr = y + r * C;
          for (std::int64_t c = 0; c < C; ++c) {
            const T v = xr[c] + br[c];
            yr[c] = kRelu ? (v < T(0) ? T(0) : v) : v;  // relu(NaN) is NaN
          }
        }
      },
      std::max<std::int64_t>(1, detail::kParallelGrain / std::max<std::int64_t>(C, 1)), 1);
}

/// One row of the backward: d = g masked by y > 0 (relu) and p += d, each when asked for.
/// kInPlace: d is g's own memory (one pointer, read then written).
template <class T, bool kRelu, bool kInPlace>
inline void backward_row(const T* __restrict g, const T* __restrict y, T* __restrict d, T* __restrict p,
                         std::int64_t C) {
  auto masked = [&](std::int64_t c) {
    const T v = kInPlace ? d[c] : g[c];
    return kRelu ? (y[c] > T(0) ? v : T(0)) : v;
  };
  if (d && p) {
    for (std::int64_t c = 0; c < C; ++c) {
      const T v = masked(c);
      d[c] = v;
      p[c] += v;
    }
  } else if (d) {
    for (std::int64_t c = 0; c < C; ++c) d[c] = masked(c);
  } else if (p) {
    for (std::int64_t c = 0; c < C; ++c) p[c] += masked(c);
  }
}

/// dx = g masked by y > 0 (relu; skipped when dx is null) and db = column sums of that. dx may
/// be g itself (the backward overwrites a gradient nothing else holds).
template <class T, bool kRelu>
void backward_kernel(const T* g, const T* y, T* dx, T* db, std::int64_t rows, std::int64_t C) {
  const std::int64_t blocks = (rows + kRowBlock - 1) / kRowBlock;
  std::vector<T> partial(db ? static_cast<std::size_t>(blocks * C) : 0);
  T* part = partial.data();
  const bool in_place = dx != nullptr && dx == g;
  detail::parallel_for(
      blocks,
      [=](std::int64_t b0, std::int64_t b1) {
        for (std::int64_t blk = b0; blk < b1; ++blk) {
          T* p = db ? part + blk * C : nullptr;
          if (p) std::fill(p, p + C, T(0));
          for (std::int64_t r = blk * kRowBlock, r_end = std::min(rows, r + kRowBlock); r < r_end; ++r) {
            const T* yr = kRelu ? y + r * C : nullptr;
            T* dr = dx ? dx + r * C : nullptr;
            if (in_place)
              backward_row<T, kRelu, true>(nullptr, yr, dr, p, C);
            else
              backward_row<T, kRelu, false>(g + r * C, yr, dr, p, C);
          }
        }
      },
      std::max<std::int64_t>(1, detail::kParallelGrain / std::max<std::int64_t>(kRowBlock * C, 1)), 1);
  if (db) {
    std::fill(db, db + C, T(0));
    for (std::int64_t blk = 0; blk < blocks; ++blk)
      for (std::int64_t c = 0; c < C; ++c) db[c] += part[blk * C + c];
  }
}

Tensor bias_op(const char* op, const Tensor& x, const Tensor& bias, bool relu);

/// The backward of bias_op for output gradient g (y: the op's output, used for relu's mask).
std::vector<Tensor> bias_backward(const BackwardContext& c, bool relu) {
  const Tensor& g = c.grad();
  const Tensor& bias = c.saved(0);
  if (autograd::should_record({&g})) {
    // an outer tape differentiates this backward: build it from public ops
    const Tensor gm = relu ? where(greater(c.saved(1), 0.0), g, zeros_like(g)) : g;
    return detail::per_input(c, [&](std::size_t i) { return i == 0 ? gm : sum_to(gm, bias.shape()); });
  }
  const std::int64_t C = bias.size(), rows = C > 0 ? g.size() / C : 0;
  // relu's masked gradient goes into g's memory when the tape hands g over
  Tensor dx = (c.needs_grad(0) && relu) ? c.writable_grad() : Tensor();
  Tensor db = c.needs_grad(1) ? detail::make_tensor(bias.shape(), g.dtype()) : Tensor();
  detail::dispatch_float(g.dtype(), relu ? "bias_relu" : "bias_add", [&](auto tag) {
    using T = decltype(tag);
    T* pdx = dx.defined() ? detail::mut_ptr<T>(dx) : nullptr;
    T* pdb = db.defined() ? detail::mut_ptr<T>(db) : nullptr;
    if (relu)
      backward_kernel<T, true>(detail::ptr<T>(g), detail::ptr<T>(c.saved(1)), pdx, pdb, rows, C);
    else if (pdb)
      backward_kernel<T, false>(detail::ptr<T>(g), nullptr, nullptr, pdb, rows, C);
  });
  std::vector<Tensor> out(2);
  if (c.needs_grad(0)) out[0] = relu ? dx : g;
  if (c.needs_grad(1)) out[1] = db;
  return out;
}

Tensor bias_op(const char* op, const Tensor& x, const Tensor& bias, bool relu) {
  detail::check_defined(op, x, "x");
  detail::check_defined(op, bias, "bias");
  detail::check_floating(op, x);
  if (bias.dtype() != x.dtype())
    detail::raise<DTypeError>("{}: bias is {} but x is {} (x {}, bias {})", op, bias.dtype(), x.dtype(), x.shape(),
                              bias.shape());
  if (x.rank() == 0 || bias.rank() != 1 || bias.dim(0) != x.dim(-1))
    detail::raise<ShapeError>("{}: bias must have shape [C] for x of shape [..., C]; got x {} and bias {}", op,
                              x.shape(), bias.shape());
  const std::int64_t C = bias.size(), rows = C > 0 ? x.size() / C : 0;
  Tensor y = detail::make_tensor(x.shape(), x.dtype());
  detail::dispatch_float(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    if (relu)
      forward_kernel<T, true>(detail::ptr<T>(x), detail::ptr<T>(bias), detail::mut_ptr<T>(y), rows, C);
    else
      forward_kernel<T, false>(detail::ptr<T>(x), detail::ptr<T>(bias), detail::mut_ptr<T>(y), rows, C);
  });
  if (autograd::should_record({&x, &bias})) {
    if (relu)
      autograd::record(op, {&x, &bias}, {&y}, {bias, y}, [](const BackwardContext& c) { return bias_backward(c, true); });
    else
      autograd::record(op, {&x, &bias}, {&y}, {bias}, [](const BackwardContext& c) { return bias_backward(c, false); });
  }
  return y;
}

}  // namespace

Tensor bias_add(const Tensor& x, const Tensor& bias) { return bias_op("bias_add", x, bias, false); }
Tensor bias_relu(const Tensor& x, const Tensor& bias) { return bias_op("bias_relu", x, bias, true); }

}  // namespace strata::nn
