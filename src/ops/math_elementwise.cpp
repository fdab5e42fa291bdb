// The elementwise ops of strata/ops/elementwise.hpp: unary rows run by the unary table, binary
// kernels under broadcasting, and composites of public ops (whose gradients come with them).
#include "strata/ops/elementwise.hpp"

#include <cmath>
#include <limits>

#include "detail/loops.hpp"
#include "ops/grad_util.hpp"
#include "ops/unary_table.hpp"
#include "strata/ops/math.hpp"
#include "strata/ops/shape.hpp"

namespace strata {

using autograd::BackwardContext;
using detail::per_input;

namespace {

using namespace detail::unary_table;

constexpr double kPi = 3.14159265358979323846;
constexpr double kLn2 = 0.69314718055994530942;
constexpr double kLn10 = 2.30258509299404568402;

// ---- unary rows (see ops/unary_table.hpp) -------------------------------------------------------

/// A float op with a std:: kernel, the gradient from x or y.
#define STRATA_UNARY_ROW(Name, str, Saves, expr, grad_expr)                                    \
  struct Name {                                                                               \
    static constexpr const char* name = str;                                                  \
    static constexpr bool int_ok = false;                                                     \
    static constexpr Save save = Save::Saves;                                                 \
    template <class T> static T scalar(T v, T) { return static_cast<T>(expr); }               \
    static Tensor grad(const Tensor& g, const Tensor& x, const Tensor& y, double) {           \
      (void)x;                                                                                \
      (void)y;                                                                                \
      return grad_expr;                                                                       \
    }                                                                                         \
  };
STRATA_UNARY_ROW(Tan, "tan", y, std::tan(v), mul(g, add(square(y), 1.0)))                          // 1 + tan^2
STRATA_UNARY_ROW(Sinh, "sinh", x, std::sinh(v), mul(g, cosh(x)))
STRATA_UNARY_ROW(Cosh, "cosh", x, std::cosh(v), mul(g, sinh(x)))
STRATA_UNARY_ROW(Arcsin, "arcsin", x, std::asin(v), mul(g, rsqrt(sub(1.0, square(x)))))           // 1 / sqrt(1 - x^2)
STRATA_UNARY_ROW(Arccos, "arccos", x, std::acos(v), neg(mul(g, rsqrt(sub(1.0, square(x))))))
STRATA_UNARY_ROW(Arctan, "arctan", x, std::atan(v), div(g, add(square(x), 1.0)))                   // 1 / (1 + x^2)
STRATA_UNARY_ROW(Arcsinh, "arcsinh", x, std::asinh(v), mul(g, rsqrt(add(square(x), 1.0))))
STRATA_UNARY_ROW(Arccosh, "arccosh", x, std::acosh(v), mul(g, rsqrt(sub(square(x), 1.0))))
STRATA_UNARY_ROW(Arctanh, "arctanh", x, std::atanh(v), div(g, sub(1.0, square(x))))
STRATA_UNARY_ROW(Expm1, "expm1", y, std::expm1(v), mul(g, add(y, 1.0)))
STRATA_UNARY_ROW(Exp2, "exp2", y, std::exp2(v), mul(g, mul(y, kLn2)))
STRATA_UNARY_ROW(Log2, "log2", x, std::log2(v), div(g, mul(x, kLn2)))
STRATA_UNARY_ROW(Log10, "log10", x, std::log10(v), div(g, mul(x, kLn10)))
STRATA_UNARY_ROW(Erfc, "erfc", x, std::erfc(v), mul(g, mul(exp(neg(square(x))), -2.0 / std::sqrt(kPi))))
STRATA_UNARY_ROW(Cbrt, "cbrt", y, std::cbrt(v), div(g, mul(square(y), 3.0)))                      // 1 / (3 y^2)
STRATA_UNARY_ROW(Reciprocal, "reciprocal", y, T(1) / v, neg(mul(g, square(y))))                   // -1 / x^2
#undef STRATA_UNARY_ROW

/// Piecewise-constant rows: any dtype (the identity on integers), nothing recorded.
#define STRATA_CONSTANT_ROW(Name, str, float_expr, int_expr)                                   \
  struct Name {                                                                               \
    static constexpr const char* name = str;                                                  \
    static constexpr bool int_ok = true;                                                      \
    static constexpr bool differentiable = false;                                             \
    template <class T> static T scalar(T v, T) {                                              \
      if constexpr (std::is_floating_point_v<T>) return static_cast<T>(float_expr);           \
      else return static_cast<T>(int_expr);                                                   \
    }                                                                                         \
  };
STRATA_CONSTANT_ROW(Floor, "floor", std::floor(v), v)
STRATA_CONSTANT_ROW(Ceil, "ceil", std::ceil(v), v)
STRATA_CONSTANT_ROW(Trunc, "trunc", std::trunc(v), v)
STRATA_CONSTANT_ROW(Round, "round", std::nearbyint(v), v)  // the default rounding mode: halves to even
STRATA_CONSTANT_ROW(Signbit, "signbit", std::signbit(v), v < 0)
STRATA_CONSTANT_ROW(IsInf, "isinf", std::isinf(v), 0)
#undef STRATA_CONSTANT_ROW

// ---- binary kernels under broadcasting ------------------------------------------------------------

/// out = f(a, b) elementwise with broadcasting; f is called with both operands' type.
template <class F>
Tensor binary_map(const char* name, const Tensor& a, const Tensor& b, bool int_ok, F f) {
  detail::check_defined(name, a, "first operand");
  detail::check_defined(name, b, "second operand");
  detail::check_same_dtype(name, a, b);
  if (!int_ok && a.dtype() == DType::int64)
    detail::raise<DTypeError>("{}: expected floating operands (float32 or float64), got int64 {} and {}", name,
                              a.shape(), b.shape());
  const auto plan = detail::plan_broadcast<2>({&a.shape(), &b.shape()}, name);
  Tensor out = detail::make_tensor(plan.out_shape, a.dtype());
  detail::dispatch(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    detail::binary_loop(plan, detail::ptr<T>(a), detail::ptr<T>(b), detail::mut_ptr<T>(out),
                        [&f](T x, T y) { return static_cast<T>(f(x, y)); });
  });
  return out;
}

/// Python's floor division and modulo; an integer division by zero gives 0 (as NumPy's).
template <class T>
T floor_div(T x, T y) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::floor(x / y);
  } else {
    if (y == 0) return 0;
    const T q = x / y;
    return (x % y != 0 && ((x < 0) != (y < 0))) ? q - 1 : q;
  }
}
template <class T>
T floor_mod(T x, T y) {
  if constexpr (std::is_floating_point_v<T>) {
    const T r = std::fmod(x, y);
    return (r != 0 && ((r < 0) != (y < 0))) ? r + y : r;
  } else {
    if (y == 0) return 0;
    const T r = x % y;
    return (r != 0 && ((r < 0) != (y < 0))) ? r + y : r;
  }
}
template <class T>
T trunc_mod(T x, T y) {
  if constexpr (std::is_floating_point_v<T>) return std::fmod(x, y);
  else return y == 0 ? 0 : x % y;
}

/// Records a binary op whose gradients are ga(g) for a and gb(g) for b (before reduction to
/// the operands' shapes).
template <class GA, class GB>
void record_binary(const char* name, const Tensor& a, const Tensor& b, const Tensor& out, std::vector<Tensor> saved,
                   GA ga, GB gb) {
  if (!autograd::should_record({&a, &b})) return;
  autograd::record(name, {&a, &b}, {&out}, std::move(saved), [ga, gb](const BackwardContext& c) {
    return per_input(c, [&](std::size_t i) {
      return sum_to(i == 0 ? ga(c) : gb(c), c.input_shape(i));
    });
  });
}

}  // namespace

// ---- the public ops ---------------------------------------------------------------------------------

Tensor tan(const Tensor& x) { return unary<Tan>(x); }
Tensor sinh(const Tensor& x) { return unary<Sinh>(x); }
Tensor cosh(const Tensor& x) { return unary<Cosh>(x); }
Tensor arcsin(const Tensor& x) { return unary<Arcsin>(x); }
Tensor arccos(const Tensor& x) { return unary<Arccos>(x); }
Tensor arctan(const Tensor& x) { return unary<Arctan>(x); }
Tensor arcsinh(const Tensor& x) { return unary<Arcsinh>(x); }
Tensor arccosh(const Tensor& x) { return unary<Arccosh>(x); }
Tensor arctanh(const Tensor& x) { return unary<Arctanh>(x); }
Tensor expm1(const Tensor& x) { return unary<Expm1>(x); }
Tensor exp2(const Tensor& x) { return unary<Exp2>(x); }
Tensor log2(const Tensor& x) { return unary<Log2>(x); }
Tensor log10(const Tensor& x) { return unary<Log10>(x); }
Tensor erfc(const Tensor& x) { return unary<Erfc>(x); }
Tensor cbrt(const Tensor& x) { return unary<Cbrt>(x); }
Tensor reciprocal(const Tensor& x) { return unary<Reciprocal>(x); }
Tensor floor(const Tensor& x) { return unary<Floor>(x); }
Tensor ceil(const Tensor& x) { return unary<Ceil>(x); }
Tensor trunc(const Tensor& x) { return unary<Trunc>(x); }
Tensor round(const Tensor& x) { return unary<Round>(x); }
Tensor signbit(const Tensor& x) { return unary<Signbit>(x); }
Tensor isinf(const Tensor& x) { return unary<IsInf>(x); }

Tensor sinc(const Tensor& x) {
  detail::check_floating("sinc", x);
  const Tensor zero = equal(x, 0.0);
  const Tensor px = mul(where(zero, 1.0, x), kPi);  // 1 at 0, where the limit is taken
  return where(zero, 1.0, div(sin(px), px));
}

Tensor arctan2(const Tensor& y, const Tensor& x) {
  Tensor out = binary_map("arctan2", y, x, false, [](auto a, auto b) { return std::atan2(a, b); });
  // d atan2(y, x) = (x dy - y dx) / (x^2 + y^2)
  record_binary(
      "arctan2", y, x, out, {y, x},
      [](const BackwardContext& c) {
        return div(mul(c.grad(), c.saved(1)), add(square(c.saved(0)), square(c.saved(1))));
      },
      [](const BackwardContext& c) {
        return neg(div(mul(c.grad(), c.saved(0)), add(square(c.saved(0)), square(c.saved(1)))));
      });
  return out;
}

Tensor hypot(const Tensor& a, const Tensor& b) {
  Tensor out = binary_map("hypot", a, b, false, [](auto x, auto y) { return std::hypot(x, y); });
  // d h = (a da + b db) / h, and 0 at the origin (the subgradient of a norm there)
  auto grad = [](std::size_t k) {
    return [k](const BackwardContext& c) {
      const Tensor& h = c.saved(2);
      const Tensor pos = greater(h, 0.0);
      return where(pos, div(mul(c.grad(), c.saved(k)), where(pos, h, 1.0)), 0.0);
    };
  };
  record_binary("hypot", a, b, out, {a, b, out}, grad(0), grad(1));
  return out;
}

Tensor logaddexp(const Tensor& a, const Tensor& b) {
  Tensor out = binary_map("logaddexp", a, b, false, [](auto x, auto y) {
    using T = decltype(x);
    if (x == y) return x + static_cast<T>(kLn2);  // also +-inf with itself
    const T m = x > y ? x : y;
    return static_cast<T>(m + std::log1p(std::exp(-std::fabs(x - y))));
  });
  record_binary(
      "logaddexp", a, b, out, {a, b},
      [](const BackwardContext& c) { return mul(c.grad(), sigmoid(sub(c.saved(0), c.saved(1)))); },
      [](const BackwardContext& c) { return mul(c.grad(), sigmoid(sub(c.saved(1), c.saved(0)))); });
  return out;
}

Tensor divide_no_nan(const Tensor& a, const Tensor& b) {
  detail::check_same_dtype("divide_no_nan", a, b);
  const Tensor nonzero = not_equal(b, 0.0);
  return where(nonzero, div(a, where(nonzero, b, 1.0)), 0.0);
}

Tensor floor_divide(const Tensor& a, const Tensor& b) {
  return binary_map("floor_divide", a, b, true, [](auto x, auto y) { return floor_div(x, y); });
}

Tensor mod(const Tensor& a, const Tensor& b) {
  Tensor out = binary_map("mod", a, b, true, [](auto x, auto y) { return floor_mod(x, y); });
  // a - b floor(a / b): 1 for a, -floor(a / b) for b
  record_binary(
      "mod", a, b, out, {a, b}, [](const BackwardContext& c) { return c.grad(); },
      [](const BackwardContext& c) { return neg(mul(c.grad(), floor_divide(c.saved(0), c.saved(1)))); });
  return out;
}

Tensor fmod(const Tensor& a, const Tensor& b) {
  Tensor out = binary_map("fmod", a, b, true, [](auto x, auto y) { return trunc_mod(x, y); });
  record_binary(
      "fmod", a, b, out, {a, b}, [](const BackwardContext& c) { return c.grad(); },
      [](const BackwardContext& c) { return neg(mul(c.grad(), trunc(div(c.saved(0), c.saved(1))))); });
  return out;
}

Tensor heaviside(const Tensor& x, const Tensor& at_zero) {
  return binary_map("heaviside", x, at_zero, true, [](auto v, auto z) {
    using T = decltype(v);
    return v != v ? v : v < 0 ? T(0) : v > 0 ? T(1) : z;
  });
}

Tensor isclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  if (!(rtol >= 0 && atol >= 0))
    detail::raise<ValueError>("isclose: rtol and atol must be >= 0, got {} and {}", rtol, atol);
  return binary_map("isclose", a, b, true, [=](auto x, auto y) {
    using T = decltype(x);
    const double dx = static_cast<double>(x), dy = static_cast<double>(y);
    if (dx != dx || dy != dy) return T(equal_nan && dx != dx && dy != dy);
    if (dx == dy) return T(1);  // equal infinities
    return T(std::fabs(dx - dy) <= atol + rtol * std::fabs(dy));
  });
}

Tensor logical_xor(const Tensor& a, const Tensor& b) {
  return binary_map("logical_xor", a, b, true, [](auto x, auto y) {
    using T = decltype(x);
    return T((x != T(0)) != (y != T(0)));
  });
}

Tensor nan_to_num(const Tensor& x, double nan, std::optional<double> posinf, std::optional<double> neginf) {
  detail::check_defined("nan_to_num", x);
  if (!is_floating(x.dtype())) return x;
  const bool f32 = x.dtype() == DType::float32;
  const double hi = posinf.value_or(f32 ? std::numeric_limits<float>::max() : std::numeric_limits<double>::max());
  const double lo = neginf.value_or(f32 ? std::numeric_limits<float>::lowest() : std::numeric_limits<double>::lowest());
  const Tensor replacement = where(isnan(x), nan, where(greater(x, 0.0), full_like(x, hi), lo));
  return where(isfinite(x), x, replacement);
}

}  // namespace strata
