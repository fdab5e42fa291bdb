// Elementwise ops: values against std:: math element by element, broadcasting, dtype rules,
// and gradcheck tables (first and second order) over several shapes.
#include <cmath>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {


/// Inputs away from kinks (|x| >= 0.1) so finite differences are clean.
Tensor smooth_normal(const Shape& s, std::uint64_t seed) {
  Generator g(seed);
  Tensor t = Tensor::random_normal(s, 0, 1, DType::float64, g);
  auto v = t.to_vector<double>();
  for (auto& x : v) x = x >= 0 ? x + 0.1 : x - 0.1;
  return Tensor::from_vector(v, s, DType::float64);
}

Tensor positive(const Shape& s, std::uint64_t seed) {
  Generator g(seed);
  return Tensor::random_uniform(s, 0.5, 2.0, DType::float64, g);
}

struct UnaryCase {
  const char* name;
  std::function<Tensor(const Tensor&)> op;
  std::function<double(double)> ref;
  bool positive_domain = false;
  bool second_order = true;
};

double sigmoid_ref(double x) { return 1.0 / (1.0 + std::exp(-x)); }

std::vector<UnaryCase> unary_cases() {
  const double a = 1.6732632423543772848170429916717, sc = 1.0507009873554804934193349852946;
  return {
      {"neg", [](const Tensor& x) { return neg(x); }, [](double x) { return -x; }},
      {"abs", [](const Tensor& x) { return abs(x); }, [](double x) { return std::fabs(x); }},
      {"square", [](const Tensor& x) { return square(x); }, [](double x) { return x * x; }},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }, [](double x) { return std::sqrt(x); }, true},
      {"rsqrt", [](const Tensor& x) { return rsqrt(x); }, [](double x) { return 1 / std::sqrt(x); }, true},
      {"exp", [](const Tensor& x) { return exp(x); }, [](double x) { return std::exp(x); }},
      {"log", [](const Tensor& x) { return log(x); }, [](double x) { return std::log(x); }, true},
      {"log1p", [](const Tensor& x) { return log1p(x); }, [](double x) { return std::log1p(x); }, true},
      {"erf", [](const Tensor& x) { return erf(x); }, [](double x) { return std::erf(x); }},
      {"sin", [](const Tensor& x) { return sin(x); }, [](double x) { return std::sin(x); }},
      {"cos", [](const Tensor& x) { return cos(x); }, [](double x) { return std::cos(x); }},
      {"tanh", [](const Tensor& x) { return tanh(x); }, [](double x) { return std::tanh(x); }},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }, sigmoid_ref},
      {"relu", [](const Tensor& x) { return relu(x); }, [](double x) { return x > 0 ? x : 0.0; }},
      {"relu6", [](const Tensor& x) { return relu6(x * 4.0); },
       [](double x) { return std::min(std::max(4 * x, 0.0), 6.0); }},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.3); },
       [](double x) { return x > 0 ? x : 0.3 * x; }},
      {"elu", [](const Tensor& x) { return elu(x, 1.5); },
       [](double x) { return x > 0 ? x : 1.5 * std::expm1(x); }},
      {"selu", [](const Tensor& x) { return selu(x); },
       [=](double x) { return sc * (x > 0 ? x : a * std::expm1(x)); }},
      {"gelu", [](const Tensor& x) { return gelu(x); },
       [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }},
      {"gelu_tanh", [](const Tensor& x) { return gelu(x, true); },
       [](double x) {
         return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
       }},
      {"softplus", [](const Tensor& x) { return softplus(x); }, [](double x) { return std::log1p(std::exp(x)); }},
      {"softsign", [](const Tensor& x) { return softsign(x); }, [](double x) { return x / (1 + std::fabs(x)); }},
      {"swish", [](const Tensor& x) { return swish(x); }, [](double x) { return x * sigmoid_ref(x); }},
      {"hard_sigmoid", [](const Tensor& x) { return hard_sigmoid(x * 4.0); },
       [](double x) { return std::min(std::max(4 * x / 6 + 0.5, 0.0), 1.0); }},
      {"hard_sigmoid_keras2", [](const Tensor& x) { return hard_sigmoid_keras2(x * 2.0); },
       [](double x) { return std::min(std::max(0.4 * x + 0.5, 0.0), 1.0); }},
      {"hard_silu", [](const Tensor& x) { return hard_silu(x * 4.0); },
       [](double x) { return 4 * x * std::min(std::max(4 * x / 6 + 0.5, 0.0), 1.0); }},
      {"celu", [](const Tensor& x) { return celu(x, 1.5); },
       [](double x) { return x > 0 ? x : 1.5 * std::expm1(x / 1.5); }},
      {"hard_tanh", [](const Tensor& x) { return hard_tanh(x); }, [](double x) { return std::min(std::max(x, -1.0), 1.0); }},
      {"hard_shrink", [](const Tensor& x) { return hard_shrink(x, 0.4); },
       [](double x) { return std::fabs(x) > 0.4 ? x : 0.0; }},
      {"soft_shrink", [](const Tensor& x) { return soft_shrink(x); },
       [](double x) { return x > 0.5 ? x - 0.5 : x < -0.5 ? x + 0.5 : 0.0; }},
      {"tanh_shrink", [](const Tensor& x) { return tanh_shrink(x); }, [](double x) { return x - std::tanh(x); }},
      {"log_sigmoid", [](const Tensor& x) { return log_sigmoid(x); }, [](double x) { return std::log(sigmoid_ref(x)); }},
      {"mish", [](const Tensor& x) { return mish(x); },
       [](double x) { return x * std::tanh(std::log1p(std::exp(x))); }},
      {"sparse_plus", [](const Tensor& x) { return sparse_plus(x * 1.5); },
       [](double x) { return 1.5 * x <= -1 ? 0.0 : 1.5 * x < 1 ? 0.25 * (1.5 * x + 1) * (1.5 * x + 1) : 1.5 * x; }},
      {"squareplus", [](const Tensor& x) { return squareplus(x, 2.0); },
       [](double x) { return (x + std::sqrt(x * x + 2)) / 2; }},
      {"threshold", [](const Tensor& x) { return threshold(x, 0.3, -2.0); }, [](double x) { return x > 0.3 ? x : -2.0; }},
      {"clip", [](const Tensor& x) { return clip(x, -0.5, 0.7); },
       [](double x) { return std::min(std::max(x, -0.5), 0.7); }},
      {"pow_scalar", [](const Tensor& x) { return pow(x, 2.5); }, [](double x) { return std::pow(x, 2.5); }, true},
      {"sub_from_scalar", [](const Tensor& x) { return 3.0 - x; }, [](double x) { return 3.0 - x; }},
      {"div_scalar_by", [](const Tensor& x) { return 2.0 / x; }, [](double x) { return 2.0 / x; }, true},
      {"mul_add_scalar", [](const Tensor& x) { return x * 1.5 + 0.25; }, [](double x) { return 1.5 * x + 0.25; }},
      {"max_scalar", [](const Tensor& x) { return maximum(x, 0.2); }, [](double x) { return std::max(x, 0.2); }},
      {"min_scalar", [](const Tensor& x) { return minimum(x, 0.2); }, [](double x) { return std::min(x, 0.2); }},
  };
}

const std::vector<Shape> kShapes = {{}, {1}, {7}, {3, 4}, {2, 1, 5}};

}  // namespace

TEST_CASE("unary ops match std:: math element by element", "[math]") {
  for (const auto& c : unary_cases()) {
    INFO(c.name);
    for (DType dt : {DType::float32, DType::float64}) {
      Tensor x = (c.positive_domain ? positive({4, 9}, 1) : smooth_normal({4, 9}, 1) * 2.0).astype(dt);
      Tensor y = c.op(x);
      CHECK(y.dtype() == dt);
      CHECK(y.shape() == x.shape());
      const auto xv = x.to_vector<double>();
      std::vector<double> expected;
      for (double v : xv) expected.push_back(c.ref(v));
      CHECK_TENSOR(y, {4, 9}, expected, dt == DType::float32 ? 2e-5 : 1e-12);
    }
  }
}

TEST_CASE("unary ops gradcheck over several shapes", "[math][gradcheck]") {
  for (const auto& c : unary_cases()) {
    for (const auto& s : kShapes) {
      INFO(c.name << " on " << s);
      Tensor x = c.positive_domain ? positive(s, 2) : smooth_normal(s, 2);
      CHECK_GRADCHECK(gradcheck([&](const std::vector<Tensor>& in) { return c.op(in[0]); }, {x}));
    }
  }
}

TEST_CASE("unary ops second-order gradcheck", "[math][gradcheck]") {
  for (const auto& c : unary_cases()) {
    if (!c.second_order) continue;
    for (const auto& s : {Shape{5}, Shape{2, 3}}) {
      INFO(c.name << " on " << s);
      Tensor x = c.positive_domain ? positive(s, 3) : smooth_normal(s, 3);
      CHECK_GRADCHECK(gradgradcheck([&](const std::vector<Tensor>& in) { return c.op(in[0]); }, {x}));
    }
  }
}

namespace {
struct BinaryCase {
  const char* name;
  std::function<Tensor(const Tensor&, const Tensor&)> op;
  std::function<double(double, double)> ref;
  bool positive_lhs = false;
};

std::vector<BinaryCase> binary_cases() {
  return {
      {"add", [](const Tensor& a, const Tensor& b) { return a + b; }, [](double a, double b) { return a + b; }},
      {"sub", [](const Tensor& a, const Tensor& b) { return a - b; }, [](double a, double b) { return a - b; }},
      {"mul", [](const Tensor& a, const Tensor& b) { return a * b; }, [](double a, double b) { return a * b; }},
      {"div", [](const Tensor& a, const Tensor& b) { return a / b; }, [](double a, double b) { return a / b; }},
      {"pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); },
       [](double a, double b) { return std::pow(a, b); }, true},
      {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); },
       [](double a, double b) { return std::max(a, b); }},
      {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); },
       [](double a, double b) { return std::min(a, b); }},
      {"where", [](const Tensor& a, const Tensor& b) { return where(greater(a, b), a * b, a - b); },
       [](double a, double b) { return a > b ? a * b : a - b; }},
  };
}

// (lhs shape, rhs shape, broadcast result)
const std::vector<std::array<Shape, 3>> kPairs = {
    {Shape{3, 4}, Shape{3, 4}, Shape{3, 4}},       {Shape{3, 4}, Shape{4}, Shape{3, 4}},
    {Shape{3, 1}, Shape{1, 4}, Shape{3, 4}},       {Shape{}, Shape{2, 3}, Shape{2, 3}},
    {Shape{2, 1, 3}, Shape{4, 1}, Shape{2, 4, 3}}, {Shape{1}, Shape{5}, Shape{5}},
};

/// Reference broadcast of a binary function, element by element with explicit indices.
std::vector<double> broadcast_ref(const Tensor& a, const Tensor& b, const Shape& out,
                                  const std::function<double(double, double)>& f) {
  const auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  std::vector<double> r;
  const std::int64_t n = out.num_elements();
  for (std::int64_t i = 0; i < n; ++i) {
    std::int64_t rem = i, ia = 0, ib = 0, sa = 1, sb = 1;
    for (std::size_t d = out.rank(); d-- > 0;) {
      const std::int64_t idx = rem % out[d];
      rem /= out[d];
      const std::size_t off_a = out.rank() - a.rank(), off_b = out.rank() - b.rank();
      if (d >= off_a) {
        const std::int64_t da = a.shape()[d - off_a];
        ia += (da == 1 ? 0 : idx) * sa;
        sa *= da;
      }
      if (d >= off_b) {
        const std::int64_t db = b.shape()[d - off_b];
        ib += (db == 1 ? 0 : idx) * sb;
        sb *= db;
      }
    }
    r.push_back(f(va[static_cast<std::size_t>(ia)], vb[static_cast<std::size_t>(ib)]));
  }
  return r;
}
}  // namespace

TEST_CASE("binary ops broadcast like NumPy", "[math]") {
  for (const auto& c : binary_cases()) {
    for (const auto& p : kPairs) {
      INFO(c.name << ": " << p[0] << " with " << p[1]);
      Tensor a = c.positive_lhs ? positive(p[0], 4) : smooth_normal(p[0], 4);
      Tensor b = smooth_normal(p[1], 5);
      Tensor y = c.op(a, b);
      CHECK_TENSOR(y, p[2], broadcast_ref(a, b, p[2], c.ref), 1e-12);
      Tensor y32 = c.op(a.astype(DType::float32), b.astype(DType::float32));
      CHECK(y32.dtype() == DType::float32);
      CHECK_TENSOR(y32, p[2], broadcast_ref(a, b, p[2], c.ref), 1e-4);
    }
  }
}

TEST_CASE("binary ops gradcheck with broadcasting", "[math][gradcheck]") {
  for (const auto& c : binary_cases()) {
    for (const auto& p : kPairs) {
      INFO(c.name << ": " << p[0] << " with " << p[1]);
      Tensor a = c.positive_lhs ? positive(p[0], 6) : smooth_normal(p[0], 6);
      Tensor b = smooth_normal(p[1], 7);
      CHECK_GRADCHECK(gradcheck([&](const std::vector<Tensor>& in) { return c.op(in[0], in[1]); }, {a, b}));
    }
  }
}

TEST_CASE("binary ops second-order gradcheck", "[math][gradcheck]") {
  for (const auto& c : binary_cases()) {
    INFO(c.name);
    Tensor a = c.positive_lhs ? positive({3, 1}, 8) : smooth_normal({3, 1}, 8);
    Tensor b = smooth_normal({4}, 9);
    CHECK_GRADCHECK(gradgradcheck([&](const std::vector<Tensor>& in) { return c.op(in[0], in[1]); }, {a, b}));
  }
}

TEST_CASE("a tensor used twice accumulates its gradient", "[math][gradcheck]") {
  CHECK_GRADCHECK(gradcheck([](const std::vector<Tensor>& in) { return in[0] * in[0] + tanh(in[0]) * in[0]; },
                            {smooth_normal({3, 2}, 10)}));
}

TEST_CASE("comparisons and logic return 0/1 in the operands' dtype", "[math]") {
  Tensor a = f64({1, 2, 3}, {3});
  Tensor b = f64({3, 2, 1}, {3});
  CHECK_TENSOR(equal(a, b), {3}, {0, 1, 0});
  CHECK_TENSOR(not_equal(a, b), {3}, {1, 0, 1});
  CHECK_TENSOR(greater(a, b), {3}, {0, 0, 1});
  CHECK_TENSOR(a >= b, {3}, {0, 1, 1});
  CHECK_TENSOR(a < b, {3}, {1, 0, 0});
  CHECK_TENSOR(a <= 2.0, {3}, {1, 1, 0});
  CHECK_TENSOR(logical_and(a > 1.0, b > 1.0), {3}, {0, 1, 0});
  CHECK_TENSOR(logical_or(a > 2.0, b > 2.0), {3}, {1, 0, 1});
  CHECK_TENSOR(logical_not(a > 1.0), {3}, {1, 0, 0});
  CHECK(equal(a, b).dtype() == DType::float64);
  Tensor i = Tensor::from_vector({1, 5}, {2}, DType::int64);
  CHECK(greater(i, 2.0).dtype() == DType::int64);
  CHECK_TENSOR(greater(i, 2.0), {2}, {0, 1});
  CHECK_TENSOR(sign(f64({-2, 0, 3}, {3})), {3}, {-1, 0, 1});
  CHECK_TENSOR(isnan(f64({NAN, 1}, {2})), {2}, {1, 0});
  CHECK_TENSOR(isfinite(f64({INFINITY, 1}, {2})), {2}, {0, 1});
  // where with an int64 condition and broadcasting
  CHECK_TENSOR(where(Tensor::from_vector({1, 0}, {2, 1}, DType::int64), f64({1, 2, 3}, {3}), 0.0), {2, 3},
               {1, 2, 3, 0, 0, 0});
}

TEST_CASE("int64 arithmetic works where it is exact", "[math]") {
  Tensor a = Tensor::from_vector({1, -2, 3}, {3}, DType::int64);
  CHECK_TENSOR(a + a, {3}, {2, -4, 6});
  CHECK_TENSOR(a * 3.0, {3}, {3, -6, 9});
  CHECK_TENSOR(abs(a), {3}, {1, 2, 3});
  CHECK_TENSOR(relu(a), {3}, {1, 0, 3});
  CHECK_THROWS_AS(a / a, DTypeError);
  CHECK_THROWS_AS(exp(a), DTypeError);
  CHECK_THROWS_WITH(log(a), Catch::Contains("log") && Catch::Contains("int64"));
}

TEST_CASE("numerically hard inputs", "[math]") {
  Tensor big = f64({-1000, -40, 0, 40, 1000}, {5});
  CHECK_TENSOR(sigmoid(big), {5}, {0, sigmoid_ref(-40), 0.5, sigmoid_ref(40), 1}, 1e-12);
  CHECK_TENSOR(softplus(big), {5}, {0, std::log1p(std::exp(-40.0)), std::log(2.0), 40 + std::log1p(std::exp(-40.0)), 1000},
               1e-12);
  CHECK_TENSOR(sigmoid(big.astype(DType::float32)), {5}, {0, 0, 0.5, 1, 1}, 1e-6);
  CHECK_TENSOR(elu(f64({-1000, 1000}, {2})), {2}, {-1, 1000});
  CHECK_TENSOR(tanh(f64({-500, 500}, {2})), {2}, {-1, 1});
}

TEST_CASE("mixed dtypes and bad shapes throw errors naming the op", "[math][errors]") {
  Tensor f = Tensor::ones({2, 3});
  Tensor d = Tensor::ones({2, 3}, DType::float64);
  CHECK_THROWS_AS(f + d, DTypeError);
  CHECK_THROWS_WITH(mul(f, d), Catch::Contains("mul") && Catch::Contains("float32") && Catch::Contains("float64"));
  CHECK_THROWS_AS(add(Tensor::ones({3}), Tensor::ones({4})), ShapeError);
  CHECK_THROWS_WITH(sub(Tensor::ones({2, 3}), Tensor::ones({4, 3})),
                    Catch::Contains("sub") && Catch::Contains("[2, 3]") && Catch::Contains("[4, 3]"));
  CHECK_THROWS_AS(clip(f, 1, 0), ValueError);
  CHECK_THROWS_AS(where(f, f, d), DTypeError);
  CHECK_THROWS_AS(where(Tensor::ones({4}), f, f), ShapeError);
  // A C++ number takes the tensor's dtype: no error.
  CHECK((d * 2.0).dtype() == DType::float64);
  CHECK((2.0 * f).dtype() == DType::float32);
}

TEST_CASE("cast is differentiable between float dtypes", "[math]") {
  Tensor x = f64({1.5, -2}, {2});
  GradientTape tape;
  tape.watch(x);
  Tensor y = cast(x, DType::float32) * 3.0f;
  CHECK(y.dtype() == DType::float32);
  Tensor g = tape.gradient(y, {x})[0];
  CHECK(g.dtype() == DType::float64);
  CHECK_TENSOR(g, {2}, {3, 3});
}
