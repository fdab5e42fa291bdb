// The ops of strata/ops/elementwise.hpp: values against std:: math (which NumPy's are defined
// by), first- and second-order gradchecks over several shapes with broadcasting, the
// piecewise-constant ops and predicates, and their edge cases (zeros, infinities, NaN).
#include <cmath>
#include <limits>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {

enum class Domain { normal, positive, unit, above_one };

/// Inputs in the op's domain, away from its kinks and edges.
Tensor sample(Domain d, const Shape& s, std::uint64_t seed) {
  Generator g(seed);
  switch (d) {
    case Domain::positive: return Tensor::random_uniform(s, 0.5, 2.0, DType::float64, g);
    case Domain::unit: return Tensor::random_uniform(s, -0.8, 0.8, DType::float64, g);
    case Domain::above_one: return Tensor::random_uniform(s, 1.3, 3.0, DType::float64, g);
    case Domain::normal: break;
  }
  auto v = Tensor::random_normal(s, 0, 1, DType::float64, g).to_vector<double>();
  for (auto& x : v) x = x >= 0 ? x + 0.2 : x - 0.2;
  return Tensor::from_vector(v, s, DType::float64);
}

struct UnaryRow {
  const char* name;
  std::function<Tensor(const Tensor&)> op;
  std::function<double(double)> ref;
  Domain domain = Domain::normal;
};

std::vector<UnaryRow> unary_rows() {
  const double pi = 3.14159265358979323846;
  return {
      {"tan", [](const Tensor& x) { return tan(x); }, [](double x) { return std::tan(x); }, Domain::unit},
      {"sinh", [](const Tensor& x) { return sinh(x); }, [](double x) { return std::sinh(x); }},
      {"cosh", [](const Tensor& x) { return cosh(x); }, [](double x) { return std::cosh(x); }},
      {"arcsin", [](const Tensor& x) { return arcsin(x); }, [](double x) { return std::asin(x); }, Domain::unit},
      {"arccos", [](const Tensor& x) { return arccos(x); }, [](double x) { return std::acos(x); }, Domain::unit},
      {"arctan", [](const Tensor& x) { return arctan(x); }, [](double x) { return std::atan(x); }},
      {"arcsinh", [](const Tensor& x) { return arcsinh(x); }, [](double x) { return std::asinh(x); }},
      {"arccosh", [](const Tensor& x) { return arccosh(x); }, [](double x) { return std::acosh(x); },
       Domain::above_one},
      {"arctanh", [](const Tensor& x) { return arctanh(x); }, [](double x) { return std::atanh(x); }, Domain::unit},
      {"expm1", [](const Tensor& x) { return expm1(x); }, [](double x) { return std::expm1(x); }},
      {"exp2", [](const Tensor& x) { return exp2(x); }, [](double x) { return std::exp2(x); }},
      {"log2", [](const Tensor& x) { return log2(x); }, [](double x) { return std::log2(x); }, Domain::positive},
      {"log10", [](const Tensor& x) { return log10(x); }, [](double x) { return std::log10(x); }, Domain::positive},
      {"erfc", [](const Tensor& x) { return erfc(x); }, [](double x) { return std::erfc(x); }},
      {"cbrt", [](const Tensor& x) { return cbrt(x); }, [](double x) { return std::cbrt(x); }},
      {"reciprocal", [](const Tensor& x) { return reciprocal(x); }, [](double x) { return 1 / x; }},
      {"sinc", [](const Tensor& x) { return sinc(x); },
       [=](double x) { return std::sin(pi * x) / (pi * x); }},
      {"nan_to_num", [](const Tensor& x) { return nan_to_num(x); }, [](double x) { return x; }},
  };
}

struct BinaryRow {
  const char* name;
  std::function<Tensor(const Tensor&, const Tensor&)> op;
  std::function<double(double, double)> ref;
  Domain a = Domain::normal, b = Domain::normal;
};

std::vector<BinaryRow> binary_rows() {
  return {
      {"arctan2", [](const Tensor& y, const Tensor& x) { return arctan2(y, x); },
       [](double y, double x) { return std::atan2(y, x); }},
      {"hypot", [](const Tensor& a, const Tensor& b) { return hypot(a, b); },
       [](double a, double b) { return std::hypot(a, b); }},
      {"logaddexp", [](const Tensor& a, const Tensor& b) { return logaddexp(a, b); },
       [](double a, double b) { return std::log(std::exp(a) + std::exp(b)); }},
      {"divide_no_nan", [](const Tensor& a, const Tensor& b) { return divide_no_nan(a, b); },
       [](double a, double b) { return a / b; }},
      // remainders away from the jumps of floor(a / b): a in (0.5, 2), b in (2.5, 4)
      {"mod", [](const Tensor& a, const Tensor& b) { return mod(a, b + 2.0); },
       [](double a, double b) { return a - (b + 2) * std::floor(a / (b + 2)); }, Domain::normal, Domain::positive},
      {"fmod", [](const Tensor& a, const Tensor& b) { return fmod(a, b + 2.0); },
       [](double a, double b) { return std::fmod(a, b + 2); }, Domain::normal, Domain::positive},
  };
}

const std::vector<Shape> kShapes = {{}, {1}, {7}, {3, 4}, {2, 1, 5}};
const std::vector<std::pair<Shape, Shape>> kBroadcast = {{{3, 4}, {3, 4}}, {{3, 4}, {4}}, {{2, 1, 3}, {4, 1}}, {{}, {5}}};

}  // namespace

TEST_CASE("elementwise ops match std:: math", "[math][elementwise]") {
  for (const auto& c : unary_rows()) {
    INFO(c.name);
    for (DType dt : {DType::float32, DType::float64}) {
      const Tensor x = (sample(c.domain, {4, 9}, 1)).astype(dt);
      const Tensor y = c.op(x);
      CHECK(y.dtype() == dt);
      std::vector<double> want;
      for (double v : x.to_vector<double>()) want.push_back(c.ref(v));
      CHECK_TENSOR(y, {4, 9}, want, dt == DType::float32 ? 3e-5 : 1e-12);
    }
  }
  for (const auto& c : binary_rows()) {
    INFO(c.name);
    const Tensor a = sample(c.a, {3, 4}, 2), b = sample(c.b, {4}, 3);
    const Tensor y = c.op(a, b);
    CHECK(y.shape() == Shape({3, 4}));
    std::vector<double> want;
    const auto av = a.to_vector<double>(), bv = b.to_vector<double>();
    for (std::size_t i = 0; i < av.size(); ++i) want.push_back(c.ref(av[i], bv[i % 4]));
    CHECK_TENSOR(y, {3, 4}, want, 1e-12);
  }
}

TEST_CASE("elementwise ops gradcheck, first and second order", "[math][elementwise][gradcheck]") {
  for (const auto& c : unary_rows())
    for (const auto& s : kShapes) {
      INFO(c.name << " on " << s);
      const Tensor x = sample(c.domain, s, 4);
      auto f = [&](const std::vector<Tensor>& in) { return c.op(in[0]); };
      CHECK_GRADCHECK(gradcheck(f, {x}));
      if (s.rank() == 2) CHECK_GRADCHECK(gradgradcheck(f, {x}));
    }
  for (const auto& c : binary_rows())
    for (const auto& [sa, sb] : kBroadcast) {
      INFO(c.name << " on " << sa << " and " << sb);
      const Tensor a = sample(c.a, sa, 5), b = sample(c.b, sb, 6);
      auto f = [&](const std::vector<Tensor>& in) { return c.op(in[0], in[1]); };
      CHECK_GRADCHECK(gradcheck(f, {a, b}));
      if (sa.rank() == 2) CHECK_GRADCHECK(gradgradcheck(f, {a, b}));
    }
}

TEST_CASE("elementwise edge cases: zeros, infinities, NaN, integers", "[math][elementwise]") {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  // arctan2's quadrants and signed zeros; hypot and logaddexp at the extremes
  CHECK(near(arctan2(f64({0, 0, 1, -1, 1}, {5}), f64({1, -1, 0, 0, -1}, {5})),
             {0, std::atan2(0.0, -1.0), std::atan2(1.0, 0.0), std::atan2(-1.0, 0.0), std::atan2(1.0, -1.0)}, 1e-15));
  CHECK(near(hypot(f64({3e200, 0}, {2}), f64({4e200, 0}, {2})), {5e200, 0}, 1e185));
  CHECK(near(logaddexp(f64({1000, -inf, 2}, {3}), f64({1000, 3, 2}, {3})),
             {1000 + std::log(2.0), 3, 2 + std::log(2.0)}, 1e-12));
  {  // the gradients at the points where the formulas divide by zero
    GradientTape tape(true);
    const Tensor z = f64({0, 0}, {2}), one = f64({0, 1}, {2});
    tape.watch(z);
    tape.watch(one);
    const Tensor h = hypot(z, one), q = divide_no_nan(one, z), s = sinc(z);
    CHECK(near(tape.gradient(sum(h), {z})[0], {0, 0}, 0));
    CHECK(near(tape.gradient(sum(q), {one})[0], {0, 0}, 0));
    CHECK(near(tape.gradient(sum(s), {z})[0], {0, 0}, 0));
  }
  CHECK(near(divide_no_nan(f64({1, 2}, {2}), f64({0, 4}, {2})), {0, 0.5}, 0));
  CHECK(near(sinc(f64({0, 1, 0.5}, {3})), {1, 0, 2 / 3.14159265358979323846}, 1e-15));
  // Python's remainder (sign of b) against C's (sign of a), floats and integers
  CHECK(near(mod(f64({7, -7, 7, -7}, {4}), f64({3, 3, -3, -3}, {4})), {1, 2, -2, -1}, 1e-15));
  CHECK(near(fmod(f64({7, -7, 7, -7}, {4}), f64({3, 3, -3, -3}, {4})), {1, -1, 1, -1}, 1e-15));
  CHECK(near(mod(i64({7, -7, 5}, {3}), i64({3, 3, 0}, {3})), {1, 2, 0}, 0));  // by zero: 0, as NumPy
  CHECK(near(floor_divide(i64({7, -7, 7, 5}, {4}), i64({2, 2, -2, 0}, {4})), {3, -4, -4, 0}, 0));
  CHECK(near(floor_divide(f64({7, -7}, {2}), f64({2, 2}, {2})), {3, -4}, 0));
  // rounding: halves to even, as NumPy
  CHECK(near(round(f64({0.5, 1.5, 2.5, -0.5, -1.7}, {5})), {0, 2, 2, -0, -2}, 0));
  CHECK(near(floor(f64({1.5, -1.5}, {2})), {1, -2}, 0));
  CHECK(near(ceil(f64({1.5, -1.5}, {2})), {2, -1}, 0));
  CHECK(near(trunc(f64({1.5, -1.5}, {2})), {1, -1}, 0));
  CHECK(near(round(i64({3, -4}, {2})), {3, -4}, 0));
  CHECK(near(signbit(f64({-0.0, 0.0, -2, 3}, {4})), {1, 0, 1, 0}, 0));
  CHECK(near(isinf(f64({inf, -inf, nan, 1}, {4})), {1, 1, 0, 0}, 0));
  CHECK(near(heaviside(f64({-1, 0, 2}, {3}), f64({0.5}, {1})), {0, 0.5, 1}, 0));
  CHECK(near(logical_xor(f64({0, 1, 2, 0}, {4}), f64({0, 0, 3, 5}, {4})), {0, 1, 0, 1}, 0));
  CHECK(near(isclose(f64({1, 1, nan, inf}, {4}), f64({1 + 1e-9, 1.1, nan, inf}, {4})), {1, 0, 0, 1}, 0));
  CHECK(near(isclose(f64({nan}, {1}), f64({nan}, {1}), 1e-5, 1e-8, true), {1}, 0));
  const Tensor n = nan_to_num(f64({nan, inf, -inf, 2}, {4}));
  CHECK(near(n, {0, std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest(), 2}, 0));
  CHECK(near(nan_to_num(f64({nan, inf, -inf}, {3}), 1, 9, -9), {1, 9, -9}, 0));
  CHECK(nan_to_num(Tensor::from_vector({inf}, {1}, DType::float32)).to_vector<float>()[0] ==
        std::numeric_limits<float>::max());
  // the floating ops refuse integers; every binary op needs one dtype
  CHECK_THROWS_AS(tan(i64({1}, {1})), DTypeError);
  CHECK_THROWS_WITH(arctan2(i64({1}, {1}), i64({1}, {1})), Catch::Contains("arctan2"));
  CHECK_THROWS_AS(hypot(f64({1}, {1}), Tensor::ones({1})), DTypeError);
  CHECK_THROWS_AS(mod(f64({1, 2}, {2}), f64({1, 2, 3}, {3})), ShapeError);
  CHECK_THROWS_WITH(isclose(f64({1}, {1}), f64({1}, {1}), -1), Catch::Contains("rtol"));
}
