// Unary elementwise ops and activations. Transcendental kernels run through xsimd; every
// backward is written with public ops, so it is differentiable again.
#include <cmath>

#include "detail/dispatch.hpp"
#include "detail/simd.hpp"
#include "detail/tensor_impl.hpp"
#include "ops/grad_util.hpp"
#include "strata/autograd/tape.hpp"
#include "strata/ops/math.hpp"

namespace strata {

using autograd::BackwardContext;

namespace {

enum class Un { neg, abs, sign, square, sqrt, rsqrt, exp, log, log1p, erf, sin, cos, tanh, sigmoid, relu, softplus,
                elu, gelu, leaky_relu, isnan, isfinite };

const char* un_name(Un op) {
  switch (op) {
    case Un::neg: return "neg";
    case Un::abs: return "abs";
    case Un::sign: return "sign";
    case Un::square: return "square";
    case Un::sqrt: return "sqrt";
    case Un::rsqrt: return "rsqrt";
    case Un::exp: return "exp";
    case Un::log: return "log";
    case Un::log1p: return "log1p";
    case Un::erf: return "erf";
    case Un::sin: return "sin";
    case Un::cos: return "cos";
    case Un::tanh: return "tanh";
    case Un::sigmoid: return "sigmoid";
    case Un::relu: return "relu";
    case Un::softplus: return "softplus";
    case Un::elu: return "elu";
    case Un::gelu: return "gelu";
    case Un::leaky_relu: return "leaky_relu";
    case Un::isnan: return "isnan";
    case Un::isfinite: return "isfinite";
  }
  return "?";
}

template <class T, class F>
void flat(const Tensor& x, Tensor& out, F f) {
  const T* px = detail::ptr<T>(x);
  T* po = detail::mut_ptr<T>(out);
  detail::parallel_for(x.size(), [px, po, &f](std::int64_t b, std::int64_t e) {
    const T* __restrict xi = px + b;
    T* __restrict oi = po + b;
    for (std::int64_t i = 0, n = e - b; i < n; ++i) oi[i] = f(xi[i]);
  });
}

template <class T, class F>
void simd(const Tensor& x, Tensor& out, F f) {
  detail::simd_map(detail::ptr<T>(x), detail::mut_ptr<T>(out), x.size(), f);
}

template <class T>
void float_kernel(Un op, const Tensor& x, Tensor& out, double param) {
  using B = xsimd::batch<T>;
  switch (op) {
    case Un::sqrt: simd<T>(x, out, [](B v) { return xsimd::sqrt(v); }); break;
    case Un::rsqrt: simd<T>(x, out, [](B v) { return B(T(1)) / xsimd::sqrt(v); }); break;
    case Un::exp: simd<T>(x, out, [](B v) { return xsimd::exp(v); }); break;
    case Un::log: simd<T>(x, out, [](B v) { return xsimd::log(v); }); break;
    case Un::log1p: simd<T>(x, out, [](B v) { return xsimd::log1p(v); }); break;
    case Un::erf: simd<T>(x, out, [](B v) { return xsimd::erf(v); }); break;
    case Un::sin: simd<T>(x, out, [](B v) { return xsimd::sin(v); }); break;
    case Un::cos: simd<T>(x, out, [](B v) { return xsimd::cos(v); }); break;
    case Un::tanh: simd<T>(x, out, [](B v) { return xsimd::tanh(v); }); break;
    case Un::sigmoid:
      simd<T>(x, out, [](B v) {
        const B z = xsimd::exp(-xsimd::abs(v));  // never overflows
        return xsimd::select(v >= B(T(0)), B(T(1)), z) / (B(T(1)) + z);
      });
      break;
    case Un::softplus:
      simd<T>(x, out, [](B v) { return xsimd::max(v, B(T(0))) + xsimd::log1p(xsimd::exp(-xsimd::abs(v))); });
      break;
    case Un::elu: {
      const T alpha = static_cast<T>(param);
      simd<T>(x, out, [alpha](B v) {
        return xsimd::select(v > B(T(0)), v, B(alpha) * xsimd::expm1(xsimd::min(v, B(T(0)))));
      });
      break;
    }
    case Un::gelu:
      simd<T>(x, out, [](B v) { return B(T(0.5)) * v * (B(T(1)) + xsimd::erf(v * B(T(M_SQRT1_2)))); });
      break;
    case Un::leaky_relu: {
      const T alpha = static_cast<T>(param);
      flat<T>(x, out, [alpha](T v) { return v > T(0) ? v : v * alpha; });
      break;
    }
    case Un::isnan: flat<T>(x, out, [](T v) { return T(std::isnan(v)); }); break;
    case Un::isfinite: flat<T>(x, out, [](T v) { return T(std::isfinite(v)); }); break;
    default: break;
  }
}

bool int_ok(Un op) {
  return op == Un::neg || op == Un::abs || op == Un::sign || op == Un::square || op == Un::relu ||
         op == Un::isnan || op == Un::isfinite;
}

Tensor unary_forward(Un op, const Tensor& x, double param = 0.0) {
  const char* name = un_name(op);
  detail::check_defined(name, x);
  if (x.dtype() == DType::int64 && !int_ok(op))
    detail::raise<DTypeError>("{}: expected a floating dtype (float32 or float64), got int64 {}", name, x.shape());
  Tensor out = detail::make_tensor(x.shape(), x.dtype());
  detail::dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    switch (op) {
      case Un::neg: flat<T>(x, out, [](T v) { return -v; }); break;
      case Un::abs: flat<T>(x, out, [](T v) { return v < T(0) ? -v : v; }); break;
      case Un::sign: flat<T>(x, out, [](T v) { return T((v > T(0)) - (v < T(0))); }); break;
      case Un::square: flat<T>(x, out, [](T v) { return v * v; }); break;
      case Un::relu: flat<T>(x, out, [](T v) { return v > T(0) ? v : T(0); }); break;
      default:
        if constexpr (std::is_floating_point_v<T>) {
          float_kernel<T>(op, x, out, param);
        } else {
          if (op == Un::isnan) flat<T>(x, out, [](T) { return T(0); });
          if (op == Un::isfinite) flat<T>(x, out, [](T) { return T(1); });
        }
    }
  });
  return out;
}

enum class Save { x, y, both };

/// Records a unary op whose backward is grad_fn(g, x, y); only what `save` names is kept
/// for backward (the other argument is an undefined Tensor).
template <class F>
Tensor unary_op(Un op, const Tensor& x, Save save, F grad_fn, double param = 0.0) {
  Tensor y = unary_forward(op, x, param);
  if (autograd::should_record({&x})) {
    std::vector<Tensor> saved{save == Save::y ? Tensor() : x, save == Save::x ? Tensor() : y};
    autograd::record(un_name(op), {&x}, {&y}, std::move(saved), [grad_fn](const BackwardContext& c) {
      return std::vector<Tensor>{grad_fn(c.grad(), c.saved(0), c.saved(1))};
    });
  }
  return y;
}

constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

}  // namespace

Tensor neg(const Tensor& x) {
  Tensor y = unary_forward(Un::neg, x);
  if (autograd::should_record({&x}))
    autograd::record("neg", {&x}, {&y}, {}, [](const BackwardContext& c) {
      return std::vector<Tensor>{neg(c.grad())};  // d(-x) = -dx
    });
  return y;
}

// d|x| = sign(x) dx
Tensor abs(const Tensor& x) {
  return unary_op(Un::abs, x, Save::x, [](const Tensor& g, const Tensor& x, const Tensor&) { return mul(g, sign(x)); });
}
Tensor sign(const Tensor& x) { return unary_forward(Un::sign, x); }
// d(x^2) = 2x dx
Tensor square(const Tensor& x) {
  return unary_op(Un::square, x, Save::x, [](const Tensor& g, const Tensor& x, const Tensor&) { return mul(g, mul(x, 2.0)); });
}
// d sqrt(x) = dx / (2 sqrt(x))
Tensor sqrt(const Tensor& x) {
  return unary_op(Un::sqrt, x, Save::y, [](const Tensor& g, const Tensor&, const Tensor& y) { return div(g, mul(y, 2.0)); });
}
// d x^(-1/2) = -1/2 x^(-3/2) dx = -y^3 / 2 dx
Tensor rsqrt(const Tensor& x) {
  return unary_op(Un::rsqrt, x, Save::y, [](const Tensor& g, const Tensor&, const Tensor& y) {
    return mul(g, mul(mul(y, square(y)), -0.5));
  });
}
// d e^x = e^x dx
Tensor exp(const Tensor& x) {
  return unary_op(Un::exp, x, Save::y, [](const Tensor& g, const Tensor&, const Tensor& y) { return mul(g, y); });
}
// d log x = dx / x
Tensor log(const Tensor& x) {
  return unary_op(Un::log, x, Save::x, [](const Tensor& g, const Tensor& x, const Tensor&) { return div(g, x); });
}
// d log(1 + x) = dx / (1 + x)
Tensor log1p(const Tensor& x) {
  return unary_op(Un::log1p, x, Save::x, [](const Tensor& g, const Tensor& x, const Tensor&) { return div(g, add(x, 1.0)); });
}
// d erf(x) = 2/sqrt(pi) exp(-x^2) dx
Tensor erf(const Tensor& x) {
  return unary_op(Un::erf, x, Save::x, [](const Tensor& g, const Tensor& x, const Tensor&) {
    return mul(g, mul(exp(neg(square(x))), M_2_SQRTPI));
  });
}
// d sin x = cos x dx
Tensor sin(const Tensor& x) {
  return unary_op(Un::sin, x, Save::x, [](const Tensor& g, const Tensor& x, const Tensor&) { return mul(g, cos(x)); });
}
// d cos x = -sin x dx
Tensor cos(const Tensor& x) {
  return unary_op(Un::cos, x, Save::x, [](const Tensor& g, const Tensor& x, const Tensor&) { return neg(mul(g, sin(x))); });
}
// d tanh x = (1 - tanh^2 x) dx
Tensor tanh(const Tensor& x) {
  return unary_op(Un::tanh, x, Save::y, [](const Tensor& g, const Tensor&, const Tensor& y) {
    return mul(g, sub(1.0, square(y)));
  });
}
// d sigmoid(x) = s (1 - s) dx
Tensor sigmoid(const Tensor& x) {
  return unary_op(Un::sigmoid, x, Save::y, [](const Tensor& g, const Tensor&, const Tensor& y) {
    return mul(g, mul(y, sub(1.0, y)));
  });
}
// d relu(x) = [x > 0] dx
namespace {
/// relu's backward as one fused op: g where y > 0, else 0. Linear in g, so its own gradient is
/// relu_grad(gg, y); y (a mask) gets none.
Tensor relu_grad(const Tensor& g, const Tensor& y) {
  Tensor out = detail::make_tensor(g.shape(), g.dtype());
  detail::dispatch(g.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* pg = detail::ptr<T>(g);
    const T* py = detail::ptr<T>(y);
    T* po = detail::mut_ptr<T>(out);
    detail::parallel_for(g.size(), [pg, py, po](std::int64_t b, std::int64_t e) {
      const T* __restrict gi = pg + b;  // locals, so the compiler sees no aliasing and vectorizes
      const T* __restrict yi = py + b;
      T* __restrict oi = po + b;
      for (std::int64_t i = 0, n = e - b; i < n; ++i) oi[i] = yi[i] > T(0) ? gi[i] : T(0);
    });
  });
  if (autograd::should_record({&g}))
    autograd::record("relu_grad", {&g, &y}, {&out}, {y}, [](const BackwardContext& c) {
      return detail::per_input(c, [&](std::size_t i) { return i == 0 ? relu_grad(c.grad(), c.saved(0)) : Tensor(); });
    });
  return out;
}
}  // namespace

Tensor relu(const Tensor& x) {
  return unary_op(Un::relu, x, Save::y, [](const Tensor& g, const Tensor&, const Tensor& y) { return relu_grad(g, y); });
}
// d softplus(x) = sigmoid(x) dx
Tensor softplus(const Tensor& x) {
  return unary_op(Un::softplus, x, Save::x, [](const Tensor& g, const Tensor& x, const Tensor&) { return mul(g, sigmoid(x)); });
}
// d elu(x) = dx for x > 0, (elu(x) + alpha) dx otherwise
Tensor elu(const Tensor& x, double alpha) {
  return unary_op(
      Un::elu, x, Save::both,
      [alpha](const Tensor& g, const Tensor& x, const Tensor& y) {
        return where(greater(x, 0.0), g, mul(g, add(y, alpha)));
      },
      alpha);
}
// d leaky_relu(x) = dx for x > 0, alpha dx otherwise
Tensor leaky_relu(const Tensor& x, double alpha) {
  return unary_op(
      Un::leaky_relu, x, Save::x,
      [alpha](const Tensor& g, const Tensor& x, const Tensor&) { return where(greater(x, 0.0), g, mul(g, alpha)); },
      alpha);
}

Tensor gelu(const Tensor& x, bool approximate) {
  if (approximate) {  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), composed
    const double c = std::sqrt(2.0 / M_PI);
    return mul(mul(x, 0.5), add(tanh(mul(add(x, mul(pow(x, 3.0), 0.044715)), c)), 1.0));
  }
  // d gelu(x) = (Phi(x) + x phi(x)) dx
  return unary_op(Un::gelu, x, Save::x, [](const Tensor& g, const Tensor& x, const Tensor&) {
    const Tensor cdf = mul(add(erf(mul(x, M_SQRT1_2)), 1.0), 0.5);
    const Tensor pdf = mul(exp(mul(square(x), -0.5)), 0.5 * M_2_SQRTPI * M_SQRT1_2);
    return mul(g, add(cdf, mul(x, pdf)));
  });
}

Tensor clip(const Tensor& x, double min_value, double max_value) {
  if (min_value > max_value)
    detail::raise<ValueError>("clip: min_value {} is greater than max_value {}", min_value, max_value);
  return minimum(maximum(x, min_value), max_value);
}

Tensor relu6(const Tensor& x) { return clip(x, 0.0, 6.0); }
Tensor selu(const Tensor& x) { return mul(elu(x, kSeluAlpha), kSeluScale); }
Tensor softsign(const Tensor& x) { return div(x, add(abs(x), 1.0)); }
Tensor swish(const Tensor& x) { return mul(x, sigmoid(x)); }
Tensor hard_sigmoid(const Tensor& x) { return clip(add(mul(x, 0.2), 0.5), 0.0, 1.0); }
Tensor isnan(const Tensor& x) { return unary_forward(Un::isnan, x); }
Tensor isfinite(const Tensor& x) { return unary_forward(Un::isfinite, x); }

// ---- dtype and constants ----------------------------------------------------------------------

Tensor cast(const Tensor& x, DType dtype) {
  detail::check_defined("cast", x);
  if (x.dtype() == dtype) return x;
  Tensor y = detail::make_tensor(x.shape(), dtype);
  detail::dispatch(x.dtype(), [&](auto from_tag) {
    using F = decltype(from_tag);
    detail::dispatch(dtype, [&](auto to_tag) {
      using T = decltype(to_tag);
      const F* px = detail::ptr<F>(x);
      T* py = detail::mut_ptr<T>(y);
      for (std::int64_t i = 0, i_end = x.size(); i < i_end; ++i) py[i] = static_cast<T>(px[i]);
    });
  });
  if (is_floating(dtype) && is_floating(x.dtype()) && autograd::should_record({&x})) {
    const DType from = x.dtype();
    // the gradient converts back
    autograd::record("cast", {&x}, {&y}, {}, [from](const BackwardContext& c) {
      return std::vector<Tensor>{cast(c.grad(), from)};
    });
  }
  return y;
}

Tensor zeros_like(const Tensor& x) { return Tensor::zeros(x.shape(), x.dtype()); }
Tensor ones_like(const Tensor& x) { return Tensor::ones(x.shape(), x.dtype()); }
Tensor full_like(const Tensor& x, double value) { return Tensor::full(x.shape(), value, x.dtype()); }

}  // namespace strata
