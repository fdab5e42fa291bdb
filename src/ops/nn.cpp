// softmax / log_softmax, the fused cross-entropies, dropout, normalization, embedding lookup.
//
// The fused ops keep what their first-order backward needs (the softmax) and use a one-pass
// kernel for it; when an outer tape is watching (higher-order gradients), the backward is
// rebuilt from public ops instead, so it is differentiable again.
#include <algorithm>
#include <cmath>
#include <limits>

#include "detail/dispatch.hpp"
#include "detail/simd.hpp"
#include "detail/tensor_impl.hpp"
#include "ops/grad_util.hpp"
#include "strata/autograd/tape.hpp"
#include "strata/ops/nn.hpp"
#include "strata/ops/shape.hpp"
#include "strata/random.hpp"

namespace strata::nn {

using autograd::BackwardContext;

namespace {

/// x viewed as [outer, n, inner] around `axis`.
struct AxisView {
  std::int64_t outer = 1, n = 1, inner = 1;
  std::size_t axis = 0;
};

AxisView axis_view(const char* op, const Tensor& x, std::int64_t axis) {
  detail::check_defined(op, x);
  detail::check_floating(op, x);
  if (x.rank() == 0) detail::raise<ShapeError>("{}: needs a tensor of rank >= 1, got a scalar", op);
  AxisView v;
  v.axis = normalize_axis(axis, x.rank(), op);
  for (std::size_t d = 0; d < x.rank(); ++d) {
    if (d < v.axis) v.outer *= x.shape()[d];
    if (d == v.axis) v.n = x.shape()[d];
    if (d > v.axis) v.inner *= x.shape()[d];
  }
  return v;
}

/// Per (outer, inner) lane: m = max, s = sum exp(x - m). Writes exp(x - m) to e when given.
template <class T, class Lane>
void softmax_lanes(const T* x, const AxisView& v, Lane lane) {
  std::vector<T> m(static_cast<std::size_t>(v.inner)), s(static_cast<std::size_t>(v.inner));
  for (std::int64_t o = 0; o < v.outer; ++o) {
    const T* xo = x + o * v.n * v.inner;
    std::fill(m.begin(), m.end(), -std::numeric_limits<T>::infinity());
    std::fill(s.begin(), s.end(), T(0));
    for (std::int64_t k = 0; k < v.n; ++k)
      for (std::int64_t i = 0; i < v.inner; ++i) m[i] = std::max(m[i], xo[k * v.inner + i]);
    lane(o, xo, m.data(), s.data());
  }
}

enum class Soft { softmax, log_softmax };

Tensor softmax_forward(Soft kind, const Tensor& x, const AxisView& v) {
  Tensor y = detail::make_tensor(x.shape(), x.dtype());
  detail::dispatch_float(x.dtype(), "softmax", [&](auto tag) {
    using T = decltype(tag);
    using B = xsimd::batch<T>;
    const T* px = detail::ptr<T>(x);
    T* py = detail::mut_ptr<T>(y);
    const std::int64_t lanes = v.outer * v.inner;
    // 1. shift each lane by its max (y = x - m), 2. one SIMD exp over the buffer,
    // 3. lane sums, one SIMD log of them for log_softmax, 4. normalize.
    std::vector<T> m(static_cast<std::size_t>(lanes), -std::numeric_limits<T>::infinity());
    std::vector<T> s(static_cast<std::size_t>(lanes), T(0));
    if (v.inner == 1) {  // the usual last-axis case: contiguous rows
      for (std::int64_t o = 0; o < v.outer; ++o) {
        const T* xo = px + o * v.n;
        T mx = -std::numeric_limits<T>::infinity();
        for (std::int64_t k = 0; k < v.n; ++k) mx = xo[k] > mx ? xo[k] : mx;
        m[static_cast<std::size_t>(o)] = mx;
        T* yo = py + o * v.n;
        for (std::int64_t k = 0; k < v.n; ++k) yo[k] = xo[k] - mx;
      }
    } else {
      for (std::int64_t o = 0; o < v.outer; ++o) {
        const T* xo = px + o * v.n * v.inner;
        T* mo = m.data() + o * v.inner;
        for (std::int64_t k = 0; k < v.n; ++k)
          for (std::int64_t i = 0; i < v.inner; ++i) mo[i] = std::max(mo[i], xo[k * v.inner + i]);
        T* yo = py + o * v.n * v.inner;
        for (std::int64_t k = 0; k < v.n; ++k)
          for (std::int64_t i = 0; i < v.inner; ++i) yo[k * v.inner + i] = xo[k * v.inner + i] - mo[i];
      }
    }
    if (kind == Soft::softmax) {
      detail::simd_map(py, py, x.size(), [](B b) { return xsimd::exp(b); });
      if (v.inner == 1) {
        for (std::int64_t o = 0; o < v.outer; ++o) {
          T* yo = py + o * v.n;
          T sum = 0;
          for (std::int64_t k = 0; k < v.n; ++k) sum += yo[k];
          const T inv = T(1) / sum;
          for (std::int64_t k = 0; k < v.n; ++k) yo[k] *= inv;
        }
        return;
      }
      for (std::int64_t o = 0; o < v.outer; ++o) {
        T* yo = py + o * v.n * v.inner;
        T* so = s.data() + o * v.inner;
        for (std::int64_t k = 0; k < v.n; ++k)
          for (std::int64_t i = 0; i < v.inner; ++i) so[i] += yo[k * v.inner + i];
        for (std::int64_t i = 0; i < v.inner; ++i) so[i] = T(1) / so[i];
        for (std::int64_t k = 0; k < v.n; ++k)
          for (std::int64_t i = 0; i < v.inner; ++i) yo[k * v.inner + i] *= so[i];
      }
    } else {
      std::vector<T> e(static_cast<std::size_t>(x.size()));
      detail::simd_map(py, e.data(), x.size(), [](B b) { return xsimd::exp(b); });
      for (std::int64_t o = 0; o < v.outer; ++o) {
        const T* eo = e.data() + o * v.n * v.inner;
        T* so = s.data() + o * v.inner;
        for (std::int64_t k = 0; k < v.n; ++k)
          for (std::int64_t i = 0; i < v.inner; ++i) so[i] += eo[k * v.inner + i];
      }
      detail::simd_map(s.data(), s.data(), lanes, [](B b) { return xsimd::log(b); });
      for (std::int64_t o = 0; o < v.outer; ++o) {
        T* yo = py + o * v.n * v.inner;
        const T* so = s.data() + o * v.inner;
        for (std::int64_t k = 0; k < v.n; ++k)
          for (std::int64_t i = 0; i < v.inner; ++i) yo[k * v.inner + i] -= so[i];
      }
    }
  });
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, std::int64_t axis) {
  const AxisView v = axis_view("softmax", x, axis);
  Tensor y = softmax_forward(Soft::softmax, x, v);
  if (autograd::should_record({&x})) {
    const auto ax = static_cast<std::int64_t>(v.axis);
    // dx = y * (g - sum(g * y))
    autograd::record("softmax", {&x}, {&y}, {y}, [ax](const BackwardContext& c) {
      const Tensor& y = c.saved(0);
      return std::vector<Tensor>{mul(y, sub(c.grad(), sum(mul(c.grad(), y), ax, true)))};
    });
  }
  return y;
}

Tensor log_softmax(const Tensor& x, std::int64_t axis) {
  const AxisView v = axis_view("log_softmax", x, axis);
  Tensor y = softmax_forward(Soft::log_softmax, x, v);
  if (autograd::should_record({&x})) {
    const auto ax = static_cast<std::int64_t>(v.axis);
    // dx = g - softmax * sum(g)
    autograd::record("log_softmax", {&x}, {&y}, {y}, [ax](const BackwardContext& c) {
      return std::vector<Tensor>{sub(c.grad(), mul(exp(c.saved(0)), sum(c.grad(), ax, true)))};
    });
  }
  return y;
}

Tensor softmax(const Tensor& x, const Axes& axes) { return exp(log_softmax(x, axes)); }
Tensor log_softmax(const Tensor& x, const Axes& axes) {
  detail::check_defined("log_softmax", x);
  if (x.rank() == 0) detail::raise<ShapeError>("log_softmax: needs a tensor of rank >= 1, got a scalar");
  return sub(x, logsumexp(x, axes, true));
}

// ---- sparsemax and glu -----------------------------------------------------------------------------

namespace {

/// 1 where sparsemax(x) along the view's axis is positive, else 0 (no gradient): per lane, with
/// z sorted descending, k = the largest j with 1 + j z_j > z_1 + ... + z_j, and the support is
/// the k largest elements (Martins & Astudillo 2016).
Tensor sparsemax_support(const Tensor& x, const AxisView& v) {
  Tensor out = detail::make_tensor(x.shape(), x.dtype());
  detail::dispatch_float(x.dtype(), "sparsemax", [&](auto tag) {
    using T = decltype(tag);
    const T* px = detail::ptr<T>(x);
    T* po = detail::mut_ptr<T>(out);
    std::vector<T> z(static_cast<std::size_t>(v.n));
    for (std::int64_t o = 0; o < v.outer; ++o)
      for (std::int64_t i = 0; i < v.inner; ++i) {
        const std::int64_t base = o * v.n * v.inner + i;
        for (std::int64_t j = 0; j < v.n; ++j) z[j] = px[base + j * v.inner];
        std::sort(z.begin(), z.end(), [](T a, T b) { return a > b; });
        T cum = 0, cum_k = 0;
        std::int64_t k = 0;
        for (std::int64_t j = 0; j < v.n; ++j) {
          cum += z[j];
          if (T(1) + T(j + 1) * z[j] > cum) k = j + 1, cum_k = cum;
        }
        const T tau = (cum_k - T(1)) / T(k);
        for (std::int64_t j = 0; j < v.n; ++j) po[base + j * v.inner] = px[base + j * v.inner] > tau ? T(1) : T(0);
      }
  });
  return out;
}

}  // namespace

// With the support s fixed, tau = (sum(s x) - 1) / sum(s) and y = s (x - tau): the exact function
// near x, so the tape's gradient is sparsemax's, dx = s (g - sum(s g) / sum(s)).
Tensor sparsemax(const Tensor& x, std::int64_t axis) {
  const AxisView v = axis_view("sparsemax", x, axis);
  const auto ax = static_cast<std::int64_t>(v.axis);
  const Tensor s = sparsemax_support(x, v);
  const Tensor tau = div(sub(sum(mul(s, x), ax, true), 1.0), sum(s, ax, true));
  return mul(s, sub(x, tau));
}

Tensor glu(const Tensor& x, std::int64_t axis) {
  detail::check_defined("glu", x);
  const std::size_t a = normalize_axis(axis, x.rank(), "glu");
  if (x.shape()[a] % 2 != 0)
    detail::raise<ShapeError>("glu: axis {} of {} has odd length {}; it is split in two halves", axis, x.shape(),
                              x.shape()[a]);
  const std::vector<Tensor> halves = split(x, 2, static_cast<std::int64_t>(a));
  return mul(halves[0], sigmoid(halves[1]));
}

// ---- cross-entropies --------------------------------------------------------------------------------

Tensor softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits, std::int64_t axis) {
  const char* op = "softmax_cross_entropy_with_logits";
  detail::check_defined(op, labels, "labels");
  const AxisView v = axis_view(op, logits, axis);
  detail::check_same_dtype(op, labels, logits);
  if (labels.shape() != logits.shape())
    detail::raise<ShapeError>("{}: labels {} and logits {} must have the same shape", op, labels.shape(),
                              logits.shape());
  Shape out_shape = logits.shape();
  out_shape.erase(v.axis);
  Tensor loss = detail::make_tensor(out_shape, logits.dtype());
  Tensor probs = detail::make_tensor(logits.shape(), logits.dtype());
  detail::dispatch_float(logits.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    const T* pl = detail::ptr<T>(labels);
    T* pp = detail::mut_ptr<T>(probs);
    T* pout = detail::mut_ptr<T>(loss);
    softmax_lanes<T>(detail::ptr<T>(logits), v, [&](std::int64_t o, const T* xo, const T* m, T* s) {
      const std::int64_t base = o * v.n * v.inner;
      for (std::int64_t k = 0; k < v.n; ++k)
        for (std::int64_t i = 0; i < v.inner; ++i) {
          const T e = std::exp(xo[k * v.inner + i] - m[i]);
          pp[base + k * v.inner + i] = e;
          s[i] += e;
        }
      for (std::int64_t i = 0; i < v.inner; ++i) {
        const T lse = m[i] + std::log(s[i]);
        T acc = 0;
        for (std::int64_t k = 0; k < v.n; ++k) {
          const std::int64_t j = base + k * v.inner + i;
          acc += pl[j] * (lse - xo[k * v.inner + i]);
          pp[j] /= s[i];
        }
        pout[o * v.inner + i] = acc;
      }
    });
  });
  if (autograd::should_record({&labels, &logits})) {
    const auto ax = static_cast<std::int64_t>(v.axis);
    // d logits = (softmax * sum(labels) - labels) g,  d labels = -log_softmax(logits) g
    autograd::record(op, {&labels, &logits}, {&loss}, {labels, logits, probs}, [ax](const BackwardContext& c) {
      const Tensor& labels = c.saved(0);
      const Tensor& logits = c.saved(1);
      const Tensor g = expand_dims(c.grad(), ax);
      return detail::per_input(c, [&](std::size_t i) {
        if (i == 0) return mul(neg(log_softmax(logits, ax)), g);
        // the saved softmax serves first-order gradients; an outer tape needs it recorded
        const Tensor p = autograd::should_record({&logits}) ? softmax(logits, ax) : c.saved(2);
        return mul(sub(mul(p, sum(labels, ax, true)), labels), g);
      });
    });
  }
  return loss;
}

namespace {
/// d logits = (softmax - onehot) * g, in one pass (first order).
Tensor sparse_ce_grad(const Tensor& probs, const Tensor& labels, const Tensor& g) {
  Tensor d = detail::make_tensor(probs.shape(), probs.dtype());
  const std::int64_t K = probs.dim(-1), rows = probs.size() / std::max<std::int64_t>(K, 1);
  const auto* pl = detail::ptr<std::int64_t>(labels);
  detail::dispatch_float(probs.dtype(), "sparse_softmax_cross_entropy_with_logits", [&](auto tag) {
    using T = decltype(tag);
    const T* pp = detail::ptr<T>(probs);
    const T* pg = detail::ptr<T>(g);
    T* pd = detail::mut_ptr<T>(d);
    for (std::int64_t r = 0; r < rows; ++r) {
      const T gr = pg[r];
      for (std::int64_t k = 0; k < K; ++k) pd[r * K + k] = pp[r * K + k] * gr;
      pd[r * K + pl[r]] -= gr;
    }
  });
  return d;
}
}  // namespace

Tensor sparse_softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits) {
  const char* op = "sparse_softmax_cross_entropy_with_logits";
  detail::check_defined(op, labels, "labels");
  const AxisView v = axis_view(op, logits, -1);
  if (labels.dtype() != DType::int64)
    detail::raise<DTypeError>("{}: labels must be int64 class indices, got {} {}", op, labels.dtype(), labels.shape());
  Shape want = logits.shape();
  want.erase(want.rank() - 1);
  if (labels.shape() != want)
    detail::raise<ShapeError>("{}: labels {} do not match logits {} (expected labels of shape {})", op,
                              labels.shape(), logits.shape(), want);
  const std::int64_t K = v.n;
  const auto* pl = detail::ptr<std::int64_t>(labels);
  for (std::int64_t r = 0, r_end = labels.size(); r < r_end; ++r)
    if (pl[r] < 0 || pl[r] >= K)
      detail::raise<ValueError>("{}: label {} is out of range for {} classes (logits {})", op, pl[r], K,
                                logits.shape());
  Tensor loss = detail::make_tensor(want, logits.dtype());
  Tensor probs = detail::make_tensor(logits.shape(), logits.dtype());
  detail::dispatch_float(logits.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    using B = xsimd::batch<T>;
    const T* px = detail::ptr<T>(logits);
    T* pp = detail::mut_ptr<T>(probs);
    T* pout = detail::mut_ptr<T>(loss);
    // One pass to shift each row by its max, one SIMD exp over the whole buffer, one pass to
    // normalize and read off the loss.
    std::vector<T> shift(static_cast<std::size_t>(v.outer));
    for (std::int64_t r = 0; r < v.outer; ++r) {
      const T* x = px + r * K;
      T m = -std::numeric_limits<T>::infinity();
      for (std::int64_t k = 0; k < K; ++k) m = std::max(m, x[k]);
      shift[static_cast<std::size_t>(r)] = m;
      T* p = pp + r * K;
      for (std::int64_t k = 0; k < K; ++k) p[k] = x[k] - m;
    }
    detail::simd_map(pp, pp, v.outer * K, [](B b) { return xsimd::exp(b); });
    std::vector<T> sums(static_cast<std::size_t>(v.outer));
    for (std::int64_t r = 0; r < v.outer; ++r) {
      T* p = pp + r * K;
      T s = 0;
      for (std::int64_t k = 0; k < K; ++k) s += p[k];
      const T inv = T(1) / s;
      for (std::int64_t k = 0; k < K; ++k) p[k] *= inv;
      sums[static_cast<std::size_t>(r)] = s;
    }
    detail::simd_map(sums.data(), sums.data(), v.outer, [](B b) { return xsimd::log(b); });
    for (std::int64_t r = 0; r < v.outer; ++r)
      pout[r] = shift[static_cast<std::size_t>(r)] + sums[static_cast<std::size_t>(r)] - px[r * K + pl[r]];
  });
  if (autograd::should_record({&logits}))
    // d logits = (softmax - onehot(labels)) g
    autograd::record(op, {&labels, &logits}, {&loss}, {labels, logits, probs}, [](const BackwardContext& c) {
      return detail::per_input(c, [&](std::size_t i) -> Tensor {
        if (i == 0) return Tensor();
        const Tensor& labels = c.saved(0);
        const Tensor& logits = c.saved(1);
        if (!autograd::should_record({&logits}) && !autograd::should_record({&c.grad()}))
          return sparse_ce_grad(c.saved(2), labels, c.grad());
        const Tensor onehot = one_hot(labels, logits.dim(-1), logits.dtype());
        return mul(sub(softmax(logits, -1), onehot), expand_dims(c.grad(), -1));
      });
    });
  return loss;
}

Tensor sigmoid_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits) {
  const char* op = "sigmoid_cross_entropy_with_logits";
  detail::check_defined(op, labels, "labels");
  detail::check_defined(op, logits, "logits");
  detail::check_floating(op, logits);
  detail::check_same_dtype(op, labels, logits);
  if (labels.shape() != logits.shape())
    detail::raise<ShapeError>("{}: labels {} and logits {} must have the same shape", op, labels.shape(),
                              logits.shape());
  // max(x, 0) - x z + log(1 + exp(-|x|))
  return add(sub(relu(logits), mul(logits, labels)), log1p(exp(neg(abs(logits)))));
}

// ---- dropout, normalization ---------------------------------------------------------------------------

Tensor dropout(const Tensor& x, double rate, std::optional<std::uint64_t> seed, bool training) {
  detail::check_defined("dropout", x);
  if (!(rate >= 0.0 && rate < 1.0))
    detail::raise<ValueError>("dropout: rate must be in [0, 1), got {} (input {})", rate, x.shape());
  detail::check_floating("dropout", x);
  if (!training || rate == 0.0) return x;
  Generator gen(seed ? *seed : global_seed_draw());
  Tensor mask = detail::make_tensor(x.shape(), x.dtype());
  detail::dispatch_float(x.dtype(), "dropout", [&](auto tag) {
    using T = decltype(tag);
    T* pm = detail::mut_ptr<T>(mask);
    const T scale = static_cast<T>(1.0 / (1.0 - rate));
    for (std::int64_t i = 0, i_end = x.size(); i < i_end; ++i) pm[i] = gen.uniform() < rate ? T(0) : scale;
  });
  return mul(x, mask);
}

std::pair<Tensor, Tensor> moments(const Tensor& x, const Axes& axes, bool keepdims) {
  detail::check_defined("moments", x);
  detail::check_floating("moments", x);
  const Tensor m = mean(x, axes, true);
  const Tensor v = mean(square(sub(x, m)), axes, keepdims);
  return {keepdims ? m : mean(x, axes, false), v};
}

Tensor batch_norm(const Tensor& x, const Tensor& mean_, const Tensor& variance, const Tensor& offset,
                  const Tensor& scale, double epsilon) {
  detail::check_defined("batch_norm", x);
  detail::check_defined("batch_norm", mean_, "mean");
  detail::check_defined("batch_norm", variance, "variance");
  if (epsilon < 0) detail::raise<ValueError>("batch_norm: epsilon must be non-negative, got {}", epsilon);
  // y = x * inv + (offset - mean * inv), inv = scale / sqrt(variance + epsilon)
  Tensor inv = rsqrt(add(variance, epsilon));
  if (scale.defined()) inv = mul(inv, scale);
  Tensor shift = neg(mul(mean_, inv));
  if (offset.defined()) shift = add(shift, offset);
  return add(mul(x, inv), shift);
}

Tensor layer_norm(const Tensor& x, const Tensor& scale, const Tensor& offset, const Axes& axes, double epsilon) {
  detail::check_defined("layer_norm", x);
  const auto [m, v] = moments(x, axes, true);
  return batch_norm(x, m, v, offset, scale, epsilon);
}

// ---- embedding ------------------------------------------------------------------------------------------

Tensor embedding_lookup(const Tensor& table, const Tensor& ids) {
  const char* op = "embedding_lookup";
  detail::check_defined(op, table, "table");
  detail::check_defined(op, ids, "ids");
  if (table.rank() != 2) detail::raise<ShapeError>("{}: expected a 2-D table [vocabulary, dim], got {}", op, table.shape());
  if (ids.dtype() != DType::int64)
    detail::raise<DTypeError>("{}: ids must be int64, got {} {}", op, ids.dtype(), ids.shape());
  const auto* p = detail::ptr<std::int64_t>(ids);
  for (std::int64_t i = 0, i_end = ids.size(); i < i_end; ++i)
    if (p[i] < 0 || p[i] >= table.dim(0))
      detail::raise<ValueError>("{}: id {} is out of range for a table of {} rows (table {})", op, p[i], table.dim(0),
                                table.shape());
  return gather(table, ids, 0);
}

}  // namespace strata::nn
