// Binary elementwise ops with broadcasting, their scalar forms, comparisons and where.
// Each op's forward and backward sit together; backward rules use public ops, so they are
// differentiable again (second-order gradients).
#include <cmath>

#include "detail/dispatch.hpp"
#include "detail/loops.hpp"
#include "detail/tensor_impl.hpp"
#include "ops/grad_util.hpp"
#include "strata/autograd/tape.hpp"
#include "strata/ops/math.hpp"
#include "strata/ops/shape.hpp"

namespace strata {

using autograd::BackwardContext;
using detail::per_input;

namespace {

enum class Bin { add, sub, mul, div, pow, max, min, eq, ne, gt, ge, lt, le, land, lor };

bool int_unsupported(Bin op) { return op == Bin::div || op == Bin::pow; }

template <class T, class F>
void run(const detail::BroadcastPlan<2>& p, const Tensor& a, const Tensor& b, Tensor& out, F f) {
  detail::binary_loop(p, detail::ptr<T>(a), detail::ptr<T>(b), detail::mut_ptr<T>(out), f);
}

Tensor binary_forward(Bin op, const char* name, const Tensor& a, const Tensor& b) {
  detail::check_defined(name, a, "first operand");
  detail::check_defined(name, b, "second operand");
  detail::check_same_dtype(name, a, b);
  if (a.dtype() == DType::int64 && int_unsupported(op))
    detail::raise<DTypeError>("{}: int64 operands are not supported ({} and {}); convert with astype(DType::float32)",
                              name, a.shape(), b.shape());
  const auto plan = detail::plan_broadcast<2>({&a.shape(), &b.shape()}, name);
  Tensor out = detail::make_tensor(plan.out_shape, a.dtype());
  detail::dispatch(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    switch (op) {
      case Bin::add: run<T>(plan, a, b, out, [](T x, T y) { return x + y; }); break;
      case Bin::sub: run<T>(plan, a, b, out, [](T x, T y) { return x - y; }); break;
      case Bin::mul: run<T>(plan, a, b, out, [](T x, T y) { return x * y; }); break;
      case Bin::div: run<T>(plan, a, b, out, [](T x, T y) { return x / y; }); break;
      case Bin::pow: run<T>(plan, a, b, out, [](T x, T y) { return static_cast<T>(std::pow(x, y)); }); break;
      case Bin::max:
        run<T>(plan, a, b, out, [](T x, T y) { return (x >= y || x != x) ? x : y; });
        break;
      case Bin::min:
        run<T>(plan, a, b, out, [](T x, T y) { return (x <= y || x != x) ? x : y; });
        break;
      case Bin::eq: run<T>(plan, a, b, out, [](T x, T y) { return T(x == y); }); break;
      case Bin::ne: run<T>(plan, a, b, out, [](T x, T y) { return T(x != y); }); break;
      case Bin::gt: run<T>(plan, a, b, out, [](T x, T y) { return T(x > y); }); break;
      case Bin::ge: run<T>(plan, a, b, out, [](T x, T y) { return T(x >= y); }); break;
      case Bin::lt: run<T>(plan, a, b, out, [](T x, T y) { return T(x < y); }); break;
      case Bin::le: run<T>(plan, a, b, out, [](T x, T y) { return T(x <= y); }); break;
      case Bin::land: run<T>(plan, a, b, out, [](T x, T y) { return T(x != T(0) && y != T(0)); }); break;
      case Bin::lor: run<T>(plan, a, b, out, [](T x, T y) { return T(x != T(0) || y != T(0)); }); break;
    }
  });
  return out;
}

// ---- tensor (op) scalar: one flat pass, the number in the tensor's dtype ----------------------

enum class Sc { add, sub, rsub, mul, div, rdiv, max, min, eq, ne, gt, ge, lt, le, pow };

template <class T, class F>
void run_scalar(const Tensor& x, Tensor& out, F f) {
  const T* px = detail::ptr<T>(x);
  T* po = detail::mut_ptr<T>(out);
  const std::int64_t n = x.size();
  for (std::int64_t i = 0; i < n; ++i) po[i] = f(px[i]);
}

Tensor scalar_forward(Sc op, const char* name, const Tensor& x, double s) {
  detail::check_defined(name, x);
  if (x.dtype() == DType::int64 && (op == Sc::div || op == Sc::rdiv || op == Sc::pow))
    detail::raise<DTypeError>("{}: int64 tensors are not supported ({}); convert with astype(DType::float32)", name,
                              x.shape());
  Tensor out = detail::make_tensor(x.shape(), x.dtype());
  detail::dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T v = static_cast<T>(s);
    switch (op) {
      case Sc::add: run_scalar<T>(x, out, [v](T a) { return a + v; }); break;
      case Sc::sub: run_scalar<T>(x, out, [v](T a) { return a - v; }); break;
      case Sc::rsub: run_scalar<T>(x, out, [v](T a) { return v - a; }); break;
      case Sc::mul: run_scalar<T>(x, out, [v](T a) { return a * v; }); break;
      case Sc::div: run_scalar<T>(x, out, [v](T a) { return a / v; }); break;
      case Sc::rdiv: run_scalar<T>(x, out, [v](T a) { return v / a; }); break;
      case Sc::max: run_scalar<T>(x, out, [v](T a) { return (a >= v || a != a) ? a : v; }); break;
      case Sc::min: run_scalar<T>(x, out, [v](T a) { return (a <= v || a != a) ? a : v; }); break;
      case Sc::eq: run_scalar<T>(x, out, [v](T a) { return T(a == v); }); break;
      case Sc::ne: run_scalar<T>(x, out, [v](T a) { return T(a != v); }); break;
      case Sc::gt: run_scalar<T>(x, out, [v](T a) { return T(a > v); }); break;
      case Sc::ge: run_scalar<T>(x, out, [v](T a) { return T(a >= v); }); break;
      case Sc::lt: run_scalar<T>(x, out, [v](T a) { return T(a < v); }); break;
      case Sc::le: run_scalar<T>(x, out, [v](T a) { return T(a <= v); }); break;
      case Sc::pow:
        if (s == 2.0) {
          run_scalar<T>(x, out, [](T a) { return a * a; });
        } else if (s == 1.0) {
          run_scalar<T>(x, out, [](T a) { return a; });
        } else if (s == 0.5) {
          run_scalar<T>(x, out, [](T a) { return static_cast<T>(std::sqrt(a)); });
        } else {
          run_scalar<T>(x, out, [v](T a) { return static_cast<T>(std::pow(a, v)); });
        }
        break;
    }
  });
  return out;
}

}  // namespace

// ---- add, sub, mul, div ----------------------------------------------------------------------

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(Bin::add, "add", a, b);
  if (autograd::should_record({&a, &b}))
    // d(a + b) = da + db, summed back over broadcast axes
    autograd::record("add", {&a, &b}, {&out}, {}, [](const BackwardContext& c) {
      return per_input(c, [&](std::size_t i) { return sum_to(c.grad(), c.input_shape(i)); });
    });
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(Bin::sub, "sub", a, b);
  if (autograd::should_record({&a, &b}))
    // d(a - b) = da - db
    autograd::record("sub", {&a, &b}, {&out}, {}, [](const BackwardContext& c) {
      return per_input(c, [&](std::size_t i) {
        return sum_to(i == 0 ? c.grad() : neg(c.grad()), c.input_shape(i));
      });
    });
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(Bin::mul, "mul", a, b);
  if (autograd::should_record({&a, &b}))
    // d(a b) = b da + a db
    autograd::record("mul", {&a, &b}, {&out}, {a, b}, [](const BackwardContext& c) {
      return per_input(c, [&](std::size_t i) { return sum_to(mul(c.grad(), c.saved(1 - i)), c.input_shape(i)); });
    });
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(Bin::div, "div", a, b);
  if (autograd::should_record({&a, &b}))
    // d(a / b) = da / b - (a / b^2) db
    autograd::record("div", {&a, &b}, {&out}, {a, b}, [](const BackwardContext& c) {
      return per_input(c, [&](std::size_t i) {
        const Tensor& a = c.saved(0);
        const Tensor& b = c.saved(1);
        if (i == 0) return sum_to(div(c.grad(), b), c.input_shape(0));
        return sum_to(neg(div(mul(c.grad(), a), square(b))), c.input_shape(1));
      });
    });
  return out;
}

Tensor pow(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(Bin::pow, "pow", a, b);
  if (autograd::should_record({&a, &b}))
    // d(a^b) = b a^(b-1) da + a^b log(a) db   (the log term taken where a > 0)
    autograd::record("pow", {&a, &b}, {&out}, {a, b, out}, [](const BackwardContext& c) {
      return per_input(c, [&](std::size_t i) {
        const Tensor& a = c.saved(0);
        const Tensor& b = c.saved(1);
        if (i == 0) return sum_to(mul(c.grad(), mul(b, pow(a, sub(b, 1.0)))), c.input_shape(0));
        const Tensor positive = greater(a, 0.0);
        const Tensor log_a = where(positive, log(where(positive, a, 1.0)), 0.0);
        return sum_to(mul(c.grad(), mul(c.saved(2), log_a)), c.input_shape(1));
      });
    });
  return out;
}

Tensor maximum(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(Bin::max, "maximum", a, b);
  if (autograd::should_record({&a, &b}))
    // the gradient goes to a where a >= b, to b elsewhere
    autograd::record("maximum", {&a, &b}, {&out}, {a, b}, [](const BackwardContext& c) {
      const Tensor mask = greater_equal(c.saved(0), c.saved(1));
      return per_input(c, [&](std::size_t i) {
        return sum_to(i == 0 ? where(mask, c.grad(), 0.0) : where(mask, 0.0, c.grad()), c.input_shape(i));
      });
    });
  return out;
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(Bin::min, "minimum", a, b);
  if (autograd::should_record({&a, &b}))
    // the gradient goes to a where a <= b, to b elsewhere
    autograd::record("minimum", {&a, &b}, {&out}, {a, b}, [](const BackwardContext& c) {
      const Tensor mask = less_equal(c.saved(0), c.saved(1));
      return per_input(c, [&](std::size_t i) {
        return sum_to(i == 0 ? where(mask, c.grad(), 0.0) : where(mask, 0.0, c.grad()), c.input_shape(i));
      });
    });
  return out;
}

// ---- with a C++ number -------------------------------------------------------------------------

Tensor add(const Tensor& a, double b) {
  Tensor out = scalar_forward(Sc::add, "add", a, b);
  if (autograd::should_record({&a}))
    autograd::record("add_scalar", {&a}, {&out}, {}, [](const BackwardContext& c) {
      return std::vector<Tensor>{c.grad()};  // d(a + s) = da
    });
  return out;
}

Tensor sub(const Tensor& a, double b) {
  Tensor out = scalar_forward(Sc::sub, "sub", a, b);
  if (autograd::should_record({&a}))
    autograd::record("sub_scalar", {&a}, {&out}, {}, [](const BackwardContext& c) {
      return std::vector<Tensor>{c.grad()};  // d(a - s) = da
    });
  return out;
}

Tensor sub(double a, const Tensor& b) {
  Tensor out = scalar_forward(Sc::rsub, "sub", b, a);
  if (autograd::should_record({&b}))
    autograd::record("rsub_scalar", {&b}, {&out}, {}, [](const BackwardContext& c) {
      return std::vector<Tensor>{neg(c.grad())};  // d(s - b) = -db
    });
  return out;
}

Tensor mul(const Tensor& a, double b) {
  Tensor out = scalar_forward(Sc::mul, "mul", a, b);
  if (autograd::should_record({&a}))
    autograd::record("mul_scalar", {&a}, {&out}, {}, [b](const BackwardContext& c) {
      return std::vector<Tensor>{mul(c.grad(), b)};  // d(s a) = s da
    });
  return out;
}

Tensor div(const Tensor& a, double b) {
  Tensor out = scalar_forward(Sc::div, "div", a, b);
  if (autograd::should_record({&a}))
    autograd::record("div_scalar", {&a}, {&out}, {}, [b](const BackwardContext& c) {
      return std::vector<Tensor>{div(c.grad(), b)};  // d(a / s) = da / s
    });
  return out;
}

Tensor div(double a, const Tensor& b) {
  Tensor out = scalar_forward(Sc::rdiv, "div", b, a);
  if (autograd::should_record({&b}))
    autograd::record("rdiv_scalar", {&b}, {&out}, {b}, [a](const BackwardContext& c) {
      return std::vector<Tensor>{mul(div(c.grad(), square(c.saved(0))), -a)};  // d(s / b) = -s / b^2 db
    });
  return out;
}

Tensor pow(const Tensor& a, double exponent) {
  Tensor out = scalar_forward(Sc::pow, "pow", a, exponent);
  if (autograd::should_record({&a}))
    autograd::record("pow_scalar", {&a}, {&out}, {a}, [exponent](const BackwardContext& c) {
      // d(a^p) = p a^(p-1) da
      if (exponent == 0.0) return std::vector<Tensor>{zeros_like(c.grad())};
      if (exponent == 1.0) return std::vector<Tensor>{c.grad()};
      if (exponent == 2.0) return std::vector<Tensor>{mul(c.grad(), mul(c.saved(0), 2.0))};
      return std::vector<Tensor>{mul(c.grad(), mul(pow(c.saved(0), exponent - 1.0), exponent))};
    });
  return out;
}

Tensor maximum(const Tensor& a, double b) {
  Tensor out = scalar_forward(Sc::max, "maximum", a, b);
  if (autograd::should_record({&a}))
    autograd::record("maximum_scalar", {&a}, {&out}, {a}, [b](const BackwardContext& c) {
      return std::vector<Tensor>{where(greater_equal(c.saved(0), b), c.grad(), 0.0)};
    });
  return out;
}

Tensor minimum(const Tensor& a, double b) {
  Tensor out = scalar_forward(Sc::min, "minimum", a, b);
  if (autograd::should_record({&a}))
    autograd::record("minimum_scalar", {&a}, {&out}, {a}, [b](const BackwardContext& c) {
      return std::vector<Tensor>{where(less_equal(c.saved(0), b), c.grad(), 0.0)};
    });
  return out;
}

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, double b) { return add(a, b); }
Tensor operator+(double a, const Tensor& b) { return add(b, a); }
Tensor operator-(const Tensor& a, double b) { return sub(a, b); }
Tensor operator-(double a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, double b) { return mul(a, b); }
Tensor operator*(double a, const Tensor& b) { return mul(b, a); }
Tensor operator/(const Tensor& a, double b) { return div(a, b); }
Tensor operator/(double a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& a) { return neg(a); }

// ---- comparisons and logic (no gradient) --------------------------------------------------------

Tensor equal(const Tensor& a, const Tensor& b) { return binary_forward(Bin::eq, "equal", a, b); }
Tensor not_equal(const Tensor& a, const Tensor& b) { return binary_forward(Bin::ne, "not_equal", a, b); }
Tensor greater(const Tensor& a, const Tensor& b) { return binary_forward(Bin::gt, "greater", a, b); }
Tensor greater_equal(const Tensor& a, const Tensor& b) { return binary_forward(Bin::ge, "greater_equal", a, b); }
Tensor less(const Tensor& a, const Tensor& b) { return binary_forward(Bin::lt, "less", a, b); }
Tensor less_equal(const Tensor& a, const Tensor& b) { return binary_forward(Bin::le, "less_equal", a, b); }
Tensor equal(const Tensor& a, double b) { return scalar_forward(Sc::eq, "equal", a, b); }
Tensor not_equal(const Tensor& a, double b) { return scalar_forward(Sc::ne, "not_equal", a, b); }
Tensor greater(const Tensor& a, double b) { return scalar_forward(Sc::gt, "greater", a, b); }
Tensor greater_equal(const Tensor& a, double b) { return scalar_forward(Sc::ge, "greater_equal", a, b); }
Tensor less(const Tensor& a, double b) { return scalar_forward(Sc::lt, "less", a, b); }
Tensor less_equal(const Tensor& a, double b) { return scalar_forward(Sc::le, "less_equal", a, b); }
Tensor logical_and(const Tensor& a, const Tensor& b) { return binary_forward(Bin::land, "logical_and", a, b); }
Tensor logical_or(const Tensor& a, const Tensor& b) { return binary_forward(Bin::lor, "logical_or", a, b); }
Tensor logical_not(const Tensor& a) { return scalar_forward(Sc::eq, "logical_not", a, 0.0); }
Tensor operator>(const Tensor& a, const Tensor& b) { return greater(a, b); }
Tensor operator<(const Tensor& a, const Tensor& b) { return less(a, b); }
Tensor operator>=(const Tensor& a, const Tensor& b) { return greater_equal(a, b); }
Tensor operator<=(const Tensor& a, const Tensor& b) { return less_equal(a, b); }
Tensor operator>(const Tensor& a, double b) { return greater(a, b); }
Tensor operator<(const Tensor& a, double b) { return less(a, b); }
Tensor operator>=(const Tensor& a, double b) { return greater_equal(a, b); }
Tensor operator<=(const Tensor& a, double b) { return less_equal(a, b); }

// ---- where ------------------------------------------------------------------------------------------

namespace {
Tensor where_forward(const Tensor& cond, const Tensor& a, const Tensor& b) {
  detail::check_defined("where", cond, "condition");
  detail::check_defined("where", a, "first operand");
  detail::check_defined("where", b, "second operand");
  detail::check_same_dtype("where", a, b);
  const auto plan = detail::plan_broadcast<3>({&cond.shape(), &a.shape(), &b.shape()}, "where");
  Tensor out = detail::make_tensor(plan.out_shape, a.dtype());
  detail::dispatch(cond.dtype(), [&](auto ctag) {
    using C = decltype(ctag);
    detail::dispatch(a.dtype(), [&](auto tag) {
      using T = decltype(tag);
      detail::ternary_loop(plan, detail::ptr<C>(cond), detail::ptr<T>(a), detail::ptr<T>(b),
                           detail::mut_ptr<T>(out), [](C c, T x, T y) { return c != C(0) ? x : y; });
    });
  });
  return out;
}
}  // namespace

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  Tensor out = where_forward(cond, a, b);
  if (autograd::should_record({&a, &b}))
    // the gradient flows to a where cond holds, to b elsewhere; cond gets none
    autograd::record("where", {&cond, &a, &b}, {&out}, {cond}, [](const BackwardContext& c) {
      return per_input(c, [&](std::size_t i) -> Tensor {
        if (i == 0) return Tensor();
        const Tensor g = i == 1 ? where(c.saved(0), c.grad(), 0.0) : where(c.saved(0), 0.0, c.grad());
        return sum_to(g, c.input_shape(i));
      });
    });
  return out;
}

Tensor where(const Tensor& cond, const Tensor& a, double b) {
  detail::check_defined("where", a, "first operand");
  return where(cond, a, Tensor::full({}, b, a.dtype()));
}

Tensor where(const Tensor& cond, double a, const Tensor& b) {
  detail::check_defined("where", b, "second operand");
  return where(cond, Tensor::full({}, a, b.dtype()), b);
}

// ---- Variable's arithmetic updates ------------------------------------------------------------
// Declared with Variable (autograd), defined here with the ops they are.

void Variable::assign_add(const Tensor& delta) {
  NoGradGuard no_grad;  // updates are not differentiable, as in TensorFlow
  assign(add(value(), delta));
}

void Variable::assign_sub(const Tensor& delta) {
  NoGradGuard no_grad;
  assign(sub(value(), delta));
}

}  // namespace strata
