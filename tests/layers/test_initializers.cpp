// Initializers (statistics as Keras defines them), regularizers, constraints, activations,
// and the Config value type.
#include <cmath>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {
std::pair<double, double> mean_std(const Tensor& t) {
  const auto v = t.to_vector<double>();
  double m = 0, s = 0;
  for (double x : v) m += x;
  m /= static_cast<double>(v.size());
  for (double x : v) s += (x - m) * (x - m);
  return {m, std::sqrt(s / static_cast<double>(v.size()))};
}
}  // namespace

TEST_CASE("variance-scaling initializers have Keras's scale", "[initializers]") {
  const Shape shape{400, 300};  // fan_in 400, fan_out 300
  auto [m1, s1] = mean_std(initializers::glorot_uniform(1)(shape));
  CHECK(std::fabs(m1) < 0.01);
  CHECK(s1 == Approx(std::sqrt(2.0 / 700)).epsilon(0.03));  // uniform with limit sqrt(6 / (in + out))
  auto [m2, s2] = mean_std(initializers::he_normal(2)(shape));
  CHECK(s2 == Approx(std::sqrt(2.0 / 400)).epsilon(0.03));
  auto [m3, s3] = mean_std(initializers::lecun_normal(3)(shape));
  CHECK(s3 == Approx(std::sqrt(1.0 / 400)).epsilon(0.03));
  auto [m4, s4] = mean_std(initializers::he_uniform(4)(shape));
  CHECK(s4 == Approx(std::sqrt(2.0 / 400)).epsilon(0.03));
  const auto v = initializers::glorot_uniform(5)(shape).to_vector<double>();
  const double limit = std::sqrt(6.0 / 700);
  for (double x : v) CHECK(std::fabs(x) <= limit);
  // truncated normals stay within two standard deviations
  for (double x : initializers::truncated_normal(0.0, 1.0, 6)({1000}).to_vector<double>()) CHECK(std::fabs(x) <= 2.0);
  // conv kernels: fans include the receptive field
  CHECK(initializers::compute_fans({3, 3, 16, 32}) == std::pair<double, double>{144, 288});
  (void)m2;
  (void)m3;
  (void)m4;
}

TEST_CASE("seeded initializers repeat; unseeded ones follow set_seed", "[initializers]") {
  auto a = initializers::random_normal(0, 1, 42);
  CHECK(array_equal(a({10}), a({10})));
  set_seed(9);
  Tensor x = Initializer("glorot_uniform")({5, 5});
  set_seed(9);
  CHECK(array_equal(x, Initializer("glorot_uniform")({5, 5})));
  CHECK_TENSOR(initializers::constant(2.5)({2}, DType::float64), {2}, {2.5, 2.5});
  CHECK_THROWS_WITH(Initializer("glorot"), Catch::Contains("glorot") && Catch::Contains("glorot_uniform"));
}

TEST_CASE("orthogonal initializer gives orthonormal columns (or rows)", "[initializers]") {
  for (const Shape& s : {Shape{6, 4}, Shape{4, 6}, Shape{3, 2, 5}}) {
    INFO(s);
    Tensor w = initializers::orthogonal(1.0, 7)(s, DType::float64);
    Tensor m = reshape(w, {-1, s.back()});
    Tensor g = m.dim(0) >= m.dim(1) ? matmul(m, m, true, false) : matmul(m, m, false, true);
    CHECK(allclose(g, [&] {
      const std::int64_t n = g.dim(0);
      std::vector<double> eye(static_cast<std::size_t>(n * n), 0.0);
      for (std::int64_t i = 0; i < n; ++i) eye[static_cast<std::size_t>(i * n + i)] = 1.0;
      return f64(eye, {n, n});
    }(), 1e-9, 1e-9));
  }
}

TEST_CASE("initializer configs round-trip", "[initializers][config]") {
  for (const Initializer& i : {initializers::glorot_uniform(3), initializers::zeros(), initializers::constant(1.5),
                               initializers::variance_scaling(2.0, "fan_out", "uniform"),
                               initializers::random_uniform(-1, 1, 4), initializers::orthogonal(0.5)}) {
    INFO(i.class_name());
    const Config c = i.to_config();
    CHECK(Initializer::from_config(c).to_config() == c);
  }
  CHECK(initializers::glorot_uniform().to_config().dump() ==
        R"({"class_name": "GlorotUniform", "config": {"seed": null}})");
}

TEST_CASE("regularizers and constraints", "[regularizers][constraints]") {
  Tensor w = f64({3, -4, 0, 1}, {2, 2});
  CHECK(regularizers::l1(0.1)(w).item<double>() == Approx(0.8));
  CHECK(regularizers::l2(0.01)(w).item<double>() == Approx(0.26));
  CHECK(regularizers::l1_l2(0.1, 0.01)(w).item<double>() == Approx(1.06));
  CHECK(Regularizer::from_config(regularizers::l2(0.5).to_config())(w).item<double>() == Approx(13));
  // max_norm over axis 0: column norms 3 and sqrt(17) -> capped at 2
  Tensor mn = constraints::max_norm(2.0)(w);
  auto col_norm = [](const Tensor& t, int j) {
    const auto v = t.to_vector<double>();
    return std::sqrt(v[j] * v[j] + v[2 + j] * v[2 + j]);
  };
  CHECK(col_norm(mn, 0) == Approx(2.0).epsilon(1e-6));
  CHECK(col_norm(mn, 1) == Approx(2.0).epsilon(1e-6));
  CHECK_TENSOR(constraints::non_neg()(w), {2, 2}, {3, 0, 0, 1});
  Tensor un = constraints::unit_norm()(w);
  CHECK(col_norm(un, 0) == Approx(1.0).epsilon(1e-6));
  Tensor mm = constraints::min_max_norm(0.5, 1.0)(w);
  CHECK(col_norm(mm, 1) == Approx(1.0).epsilon(1e-6));
  CHECK(Constraint("non_neg").class_name() == "NonNeg");
  // optimizers apply a Variable's constraint; layers attach it from add_weight
  auto d = std::make_shared<layers::Dense>(2);
  d->kernel_constraint = constraints::non_neg();
  (*d)(Tensor::ones({1, 3}));
  REQUIRE(d->kernel.constraint());
  CHECK(sum(less(d->kernel.constraint()(d->kernel.value()), 0.0)).item<double>() == 0.0);
}

TEST_CASE("activations by Keras name", "[activations]") {
  Tensor x = f64({-2, 0.5, 3}, {3});
  CHECK(allclose(ActivationFn("relu")(x), relu(x)));
  CHECK(allclose(ActivationFn("softmax")(x), nn::softmax(x)));
  CHECK(allclose(ActivationFn("silu")(x), swish(x)));
  CHECK(ActivationFn("linear")(x).is_same(x));
  CHECK(ActivationFn().name() == "linear");
  CHECK(ActivationFn("").name() == "linear");
  CHECK_TENSOR(ActivationFn("hard_silu")(f64({-4, 0, 1, 4}, {4})), {4}, {0, 0, 4.0 / 6, 4});
  const auto known = ActivationFn::known();
  CHECK(std::find(known.begin(), known.end(), "gelu") != known.end());
}

TEST_CASE("Config holds JSON-ready values", "[config]") {
  Config c = Config::object();
  c["units"] = 256;
  c["rate"] = 0.5;
  c["name"] = "dense";
  c["flag"] = true;
  c["shape"] = shape_to_config({-1, 28, 28});
  c["none"] = Config();
  CHECK(c.dump() == R"({"units": 256, "rate": 0.5, "name": "dense", "flag": true, "shape": [null, 28, 28], "none": null})");
  const Config back = Config::parse(c.dump(2));
  CHECK(back == c);
  CHECK(shape_from_config(back.at("shape")) == Shape{-1, 28, 28});
  CHECK(back.get_int("units", 0) == 256);
  CHECK(back.get_int("missing", 7) == 7);
  CHECK_THROWS_WITH(back.at("unit"), Catch::Contains("unit") && Catch::Contains("units"));
  CHECK_THROWS_AS(back.at("name").as_int(), ValueError);
  CHECK_THROWS_AS(Config::parse("{\"a\": [1, 2"), ValueError);
  Config l = Config::list({1, 2.5, "x"});
  CHECK(l.size() == 3);
  CHECK(l[1].as_double() == 2.5);
}

TEST_CASE("the initializer names Keras still reads load: OrthogonalInitializer, normal", "[initializers][config]") {
  const Config written = Config::object({{"class_name", "OrthogonalInitializer"},
                                         {"config", Config::object({{"gain", 2.0}, {"seed", 3}})}});
  const Initializer a = Initializer::from_config(written);
  const Initializer b = initializers::orthogonal(2.0, 3);
  CHECK(a.to_config() == b.to_config());  // written back under Keras 3's current name
  CHECK(allclose(a({4, 4}, DType::float64), b({4, 4}, DType::float64), 0, 0));
  CHECK(Initializer("normal").to_config() == initializers::random_normal().to_config());
  CHECK(Initializer("OrthogonalInitializer").to_config().at("class_name").as_string() == "Orthogonal");
}
