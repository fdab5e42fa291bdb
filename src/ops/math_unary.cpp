// Unary elementwise ops and activations. Transcendental kernels run through xsimd; every
// backward is written with public ops, so it is differentiable again.
#include <cmath>
#include <limits>

#include "detail/dispatch.hpp"
#include "detail/simd.hpp"
#include "detail/tensor_impl.hpp"
#include "ops/grad_util.hpp"
#include "ops/unary_table.hpp"
#include "strata/autograd/tape.hpp"
#include "strata/ops/math.hpp"

namespace strata {

using autograd::BackwardContext;

namespace {

using namespace detail::unary_table;

// ---- the ops' table --------------------------------------------------------------------------
// One row per op: its name, whether int64 inputs are accepted, its kernel (`simd`, on xsimd
// batches, floats only; or `scalar`, any dtype), what its backward keeps (`save`: nothing, x,
// y = the output, or both; `differentiable = false` records nothing), and the backward with its
// math, written with public ops so it is differentiable again. `p` is the op's scalar parameter
// (elu's and leaky_relu's alpha).

struct Neg {  // d(-x) = -dx
  static constexpr const char* name = "neg";
  static constexpr bool int_ok = true;
  static constexpr Save save = Save::nothing;
  template <class T> static T scalar(T v, T) { return -v; }
  static Tensor grad(const Tensor& g, const Tensor&, const Tensor&, double) { return neg(g); }
};
struct Abs {  // d|x| = sign(x) dx
  static constexpr const char* name = "abs";
  static constexpr bool int_ok = true;
  static constexpr Save save = Save::x;
  template <class T> static T scalar(T v, T) { return v < T(0) ? -v : v; }
  static Tensor grad(const Tensor& g, const Tensor& x, const Tensor&, double) { return mul(g, sign(x)); }
};
struct Sign {  // piecewise constant: no gradient; sign(NaN) is NaN, as in NumPy and TensorFlow
  static constexpr const char* name = "sign";
  static constexpr bool int_ok = true;
  static constexpr bool differentiable = false;
  template <class T> static T scalar(T v, T) { return v != v ? v : T((v > T(0)) - (v < T(0))); }
};
struct Square {  // d(x^2) = 2x dx
  static constexpr const char* name = "square";
  static constexpr bool int_ok = true;
  static constexpr Save save = Save::x;
  template <class T> static T scalar(T v, T) { return v * v; }
  static Tensor grad(const Tensor& g, const Tensor& x, const Tensor&, double) { return mul(g, mul(x, 2.0)); }
};
struct Sqrt {  // d sqrt(x) = dx / (2 sqrt(x))
  static constexpr const char* name = "sqrt";
  static constexpr bool int_ok = false;
  static constexpr Save save = Save::y;
  template <class B> static B simd(B v, B) { return xsimd::sqrt(v); }
  static Tensor grad(const Tensor& g, const Tensor&, const Tensor& y, double) { return div(g, mul(y, 2.0)); }
};
struct Rsqrt {  // d x^(-1/2) = -1/2 x^(-3/2) dx = -y^3 / 2 dx
  static constexpr const char* name = "rsqrt";
  static constexpr bool int_ok = false;
  static constexpr Save save = Save::y;
  template <class B> static B simd(B v, B) { return B(Scalar<B>(1)) / xsimd::sqrt(v); }
  static Tensor grad(const Tensor& g, const Tensor&, const Tensor& y, double) {
    return mul(g, mul(mul(y, square(y)), -0.5));
  }
};
struct Exp {  // d e^x = e^x dx
  static constexpr const char* name = "exp";
  static constexpr bool int_ok = false;
  static constexpr Save save = Save::y;
  template <class B> static B simd(B v, B) { return xsimd::exp(v); }
  static Tensor grad(const Tensor& g, const Tensor&, const Tensor& y, double) { return mul(g, y); }
};
struct Log {  // d log x = dx / x
  static constexpr const char* name = "log";
  static constexpr bool int_ok = false;
  static constexpr Save save = Save::x;
  template <class B> static B simd(B v, B) { return xsimd::log(v); }
  static Tensor grad(const Tensor& g, const Tensor& x, const Tensor&, double) { return div(g, x); }
};
struct Log1p {  // d log(1 + x) = dx / (1 + x)
  static constexpr const char* name = "log1p";
  static constexpr bool int_ok = false;
  static constexpr Save save = Save::x;
  template <class B> static B simd(B v, B) { return xsimd::log1p(v); }
  static Tensor grad(const Tensor& g, const Tensor& x, const Tensor&, double) { return div(g, add(x, 1.0)); }
};
struct Erf {  // d erf(x) = 2/sqrt(pi) exp(-x^2) dx
  static constexpr const char* name = "erf";
  static constexpr bool int_ok = false;
  static constexpr Save save = Save::x;
  template <class B> static B simd(B v, B) { return xsimd::erf(v); }
  static Tensor grad(const Tensor& g, const Tensor& x, const Tensor&, double) {
    return mul(g, mul(exp(neg(square(x))), M_2_SQRTPI));
  }
};
struct Sin {  // d sin x = cos x dx
  static constexpr const char* name = "sin";
  static constexpr bool int_ok = false;
  static constexpr Save save = Save::x;
  template <class B> static B simd(B v, B) { return xsimd::sin(v); }
  static Tensor grad(const Tensor& g, const Tensor& x, const Tensor&, double) { return mul(g, cos(x)); }
};
struct Cos {  // d cos x = -sin x dx
  static constexpr const char* name = "cos";
  static constexpr bool int_ok = false;
  static constexpr Save save = Save::x;
  template <class B> static B simd(B v, B) { return xsimd::cos(v); }
  static Tensor grad(const Tensor& g, const Tensor& x, const Tensor&, double) { return neg(mul(g, sin(x))); }
};
struct Tanh {  // d tanh x = (1 - tanh^2 x) dx
  static constexpr const char* name = "tanh";
  static constexpr bool int_ok = false;
  static constexpr Save save = Save::y;
  template <class B> static B simd(B v, B) { return xsimd::tanh(v); }
  static Tensor grad(const Tensor& g, const Tensor&, const Tensor& y, double) { return mul(g, sub(1.0, square(y))); }
};
struct Sigmoid {  // d sigmoid(x) = s (1 - s) dx
  static constexpr const char* name = "sigmoid";
  static constexpr bool int_ok = false;
  static constexpr Save save = Save::y;
  template <class B> static B simd(B v, B) {
    using T = Scalar<B>;
    const B z = xsimd::exp(-xsimd::abs(v));  // never overflows
    return xsimd::select(v >= B(T(0)), B(T(1)), z) / (B(T(1)) + z);
  }
  static Tensor grad(const Tensor& g, const Tensor&, const Tensor& y, double) { return mul(g, mul(y, sub(1.0, y))); }
};
Tensor relu_grad(const Tensor& g, const Tensor& y);
struct Relu {  // d relu(x) = [x > 0] dx, as one fused op on the output's mask
  static constexpr const char* name = "relu";
  static constexpr bool int_ok = true;
  static constexpr Save save = Save::y;
  template <class T> static T scalar(T v, T) { return v < T(0) ? T(0) : v; }  // relu(NaN) is NaN
  static Tensor grad(const Tensor& g, const Tensor&, const Tensor& y, double) { return relu_grad(g, y); }
};
struct Softplus {  // d softplus(x) = sigmoid(x) dx
  static constexpr const char* name = "softplus";
  static constexpr bool int_ok = false;
  static constexpr Save save = Save::x;
  template <class B> static B simd(B v, B) {
    return xsimd::max(v, B(Scalar<B>(0))) + xsimd::log1p(xsimd::exp(-xsimd::abs(v)));
  }
  static Tensor grad(const Tensor& g, const Tensor& x, const Tensor&, double) { return mul(g, sigmoid(x)); }
};
struct Elu {  // d elu(x) = dx for x > 0, (elu(x) + alpha) dx otherwise
  static constexpr const char* name = "elu";
  static constexpr bool int_ok = false;
  static constexpr Save save = Save::both;
  template <class B> static B simd(B v, B alpha) {  // elu(NaN) is NaN: only v <= 0 takes the exponential
    return xsimd::select(v <= B(Scalar<B>(0)), alpha * xsimd::expm1(v), v);
  }
  static Tensor grad(const Tensor& g, const Tensor& x, const Tensor& y, double alpha) {
    return where(greater(x, 0.0), g, mul(g, add(y, alpha)));
  }
};
struct Gelu {  // d gelu(x) = (Phi(x) + x phi(x)) dx
  static constexpr const char* name = "gelu";
  static constexpr bool int_ok = false;
  static constexpr Save save = Save::x;
  template <class B> static B simd(B v, B) {
    using T = Scalar<B>;
    return B(T(0.5)) * v * (B(T(1)) + xsimd::erf(v * B(T(M_SQRT1_2))));
  }
  static Tensor grad(const Tensor& g, const Tensor& x, const Tensor&, double) {
    const Tensor cdf = mul(add(erf(mul(x, M_SQRT1_2)), 1.0), 0.5);
    const Tensor pdf = mul(exp(mul(square(x), -0.5)), 0.5 * M_2_SQRTPI * M_SQRT1_2);
    return mul(g, add(cdf, mul(x, pdf)));
  }
};
struct LeakyRelu {  // d leaky_relu(x) = dx for x > 0, alpha dx otherwise
  static constexpr const char* name = "leaky_relu";
  static constexpr bool int_ok = false;
  static constexpr Save save = Save::x;
  template <class T> static T scalar(T v, T alpha) { return v > T(0) ? v : v * alpha; }
  static Tensor grad(const Tensor& g, const Tensor& x, const Tensor&, double alpha) {
    return where(greater(x, 0.0), g, mul(g, alpha));
  }
};
struct IsNan {  // a predicate: 0/1 in the input's dtype, no gradient
  static constexpr const char* name = "isnan";
  static constexpr bool int_ok = true;
  static constexpr bool differentiable = false;
  template <class T> static T scalar(T v, T) {
    if constexpr (std::is_floating_point_v<T>) return T(std::isnan(v));
    else return T(0);
  }
};
struct IsFinite {
  static constexpr const char* name = "isfinite";
  static constexpr bool int_ok = true;
  static constexpr bool differentiable = false;
  template <class T> static T scalar(T v, T) {
    if constexpr (std::is_floating_point_v<T>) return T(std::isfinite(v));
    else return T(1);
  }
};

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
      const T* __restrict gi = pg + b;
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

constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

}  // namespace

// ---- the public ops ----------------------------------------------------------------------------

Tensor neg(const Tensor& x) { return unary<Neg>(x); }
Tensor abs(const Tensor& x) { return unary<Abs>(x); }
Tensor sign(const Tensor& x) { return unary<Sign>(x); }
Tensor square(const Tensor& x) { return unary<Square>(x); }
Tensor sqrt(const Tensor& x) { return unary<Sqrt>(x); }
Tensor rsqrt(const Tensor& x) { return unary<Rsqrt>(x); }
Tensor exp(const Tensor& x) { return unary<Exp>(x); }
Tensor log(const Tensor& x) { return unary<Log>(x); }
Tensor log1p(const Tensor& x) { return unary<Log1p>(x); }
Tensor erf(const Tensor& x) { return unary<Erf>(x); }
Tensor sin(const Tensor& x) { return unary<Sin>(x); }
Tensor cos(const Tensor& x) { return unary<Cos>(x); }
Tensor tanh(const Tensor& x) { return unary<Tanh>(x); }
Tensor sigmoid(const Tensor& x) { return unary<Sigmoid>(x); }
Tensor relu(const Tensor& x) { return unary<Relu>(x); }
Tensor softplus(const Tensor& x) { return unary<Softplus>(x); }
Tensor elu(const Tensor& x, double alpha) { return unary<Elu>(x, alpha); }
Tensor leaky_relu(const Tensor& x, double alpha) { return unary<LeakyRelu>(x, alpha); }
Tensor isnan(const Tensor& x) { return unary<IsNan>(x); }
Tensor isfinite(const Tensor& x) { return unary<IsFinite>(x); }

Tensor gelu(const Tensor& x, bool approximate) {
  if (approximate) {  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), composed
    const double c = std::sqrt(2.0 / M_PI);
    return mul(mul(x, 0.5), add(tanh(mul(add(x, mul(pow(x, 3.0), 0.044715)), c)), 1.0));
  }
  return unary<Gelu>(x);
}

// ---- composites ---------------------------------------------------------------------------------

Tensor clip(const Tensor& x, double min_value, double max_value) {
  if (min_value > max_value)
    detail::raise<ValueError>("clip: min_value {} is greater than max_value {}", min_value, max_value);
  return minimum(maximum(x, min_value), max_value);
}

Tensor relu6(const Tensor& x) { return clip(x, 0.0, 6.0); }
Tensor selu(const Tensor& x) { return mul(elu(x, kSeluAlpha), kSeluScale); }
Tensor softsign(const Tensor& x) { return div(x, add(abs(x), 1.0)); }
Tensor swish(const Tensor& x) { return mul(x, sigmoid(x)); }
Tensor hard_sigmoid(const Tensor& x) { return clip(add(div(x, 6.0), 0.5), 0.0, 1.0); }
Tensor hard_sigmoid_keras2(const Tensor& x) { return clip(add(mul(x, 0.2), 0.5), 0.0, 1.0); }
Tensor hard_silu(const Tensor& x) { return mul(x, hard_sigmoid(x)); }
Tensor celu(const Tensor& x, double alpha) {  // alpha * elu(x / alpha): x above 0
  if (!(alpha != 0.0)) detail::raise<ValueError>("celu: alpha must be nonzero, got {}", alpha);
  return mul(elu(div(x, alpha), 1.0), alpha);
}
Tensor hard_tanh(const Tensor& x) { return clip(x, -1.0, 1.0); }
// The shrinks and threshold pass the gradient where their test holds, 0 elsewhere (TF's where).
Tensor hard_shrink(const Tensor& x, double threshold) { return where(greater(abs(x), threshold), x, 0.0); }
Tensor soft_shrink(const Tensor& x, double threshold) {
  if (threshold < 0) detail::raise<ValueError>("soft_shrink: threshold must be >= 0, got {}", threshold);
  return sub(x, clip(x, -threshold, threshold));  // x - t above t, x + t below -t, 0 between
}
Tensor tanh_shrink(const Tensor& x) { return sub(x, tanh(x)); }
Tensor log_sigmoid(const Tensor& x) { return neg(softplus(neg(x))); }
Tensor mish(const Tensor& x) { return mul(x, tanh(softplus(x))); }
Tensor sparse_plus(const Tensor& x) {  // (clip(x, -1, 1) + 1)^2 / 4 + relu(x - 1): the three pieces
  return add(mul(square(add(clip(x, -1.0, 1.0), 1.0)), 0.25), relu(sub(x, 1.0)));
}
Tensor squareplus(const Tensor& x, double b) {
  if (b < 0) detail::raise<ValueError>("squareplus: b must be >= 0, got {}", b);
  return mul(add(x, sqrt(add(square(x), b))), 0.5);
}
Tensor threshold(const Tensor& x, double threshold, double default_value) {
  return where(greater(x, threshold), x, default_value);
}

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
      if constexpr (std::is_floating_point_v<F> && std::is_integral_v<T>) {
        // NaN, +-Inf and values beyond int64 have no integer (C++ leaves the conversion undefined,
        // NumPy gives an unspecified value with a warning): refused, naming the first one.
        constexpr F lo = static_cast<F>(std::numeric_limits<T>::min()), hi = -lo;  // -2^63 and 2^63
        for (std::int64_t i = 0, i_end = x.size(); i < i_end; ++i) {
          if (!(px[i] >= lo && px[i] < hi))
            detail::raise<ValueError>("cast: element {} of {} is {}, which has no int64 value", i, x.shape(),
                                      static_cast<double>(px[i]));
          py[i] = static_cast<T>(px[i]);
        }
      } else {
        for (std::int64_t i = 0, i_end = x.size(); i < i_end; ++i) py[i] = static_cast<T>(px[i]);
      }
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

// Tensor::astype (declared with Tensor, in core) is this op, so it is differentiable.
Tensor Tensor::astype(DType dtype) const { return cast(*this, dtype); }

Tensor zeros_like(const Tensor& x) { return Tensor::zeros(x.shape(), x.dtype()); }
Tensor ones_like(const Tensor& x) { return Tensor::ones(x.shape(), x.dtype()); }
Tensor full_like(const Tensor& x, double value) { return Tensor::full(x.shape(), value, x.dtype()); }

}  // namespace strata
