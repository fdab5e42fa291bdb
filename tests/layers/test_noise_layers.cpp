// The noise and regularization layers' arithmetic in training mode (their statistics, the
// gradients through the drawn noise, seeding), channels_first against channels_last on
// transposed data, ActivityRegularization's loss and config, and their refusals.
#include <cmath>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::layers;
using namespace strata::testing;

namespace {
double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}
double std_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size()));
}
Tensor grad_of_sum(Layer& l, const Tensor& x, Tensor* y_out) {
  GradientTape tape;
  tape.watch(x);
  Tensor y = l(x, true);
  *y_out = y;
  return tape.gradient(sum(y), {x})[0];
}
}  // namespace

TEST_CASE("GaussianNoise adds N(0, stddev^2) while training, with gradient 1", "[layers][noise]") {
  const Tensor x = rnd({200, 100}, 1);  // float64
  GaussianNoise g(0.3, 11);
  g.set_dtype(DType::float64);
  Tensor y;
  const Tensor dx = grad_of_sum(g, x, &y);
  const std::vector<double> n = values(sub(y, x));
  CHECK(std::abs(mean_of(n)) < 0.01);                 // 20000 draws: the mean's sd is 0.002
  CHECK(std::abs(std_of(n) - 0.3) < 0.3 * 0.03);
  CHECK(near(dx, std::vector<double>(20000, 1.0), 0));
  // the identity at inference; the seed fixes the sequence of draws, each call a new one
  CHECK(near(g(x, false), values(x), 0));
  GaussianNoise h(0.3, 11);
  h.set_dtype(DType::float64);
  CHECK(near(h(x, true), values(y), 0));
  CHECK_FALSE(near(h(x, true), values(y), 1e-3));
  CHECK_THROWS_WITH(GaussianNoise(-0.1), Catch::Contains("stddev"));
}

TEST_CASE("GaussianDropout multiplies by N(1, rate / (1 - rate)); the gradient is the noise", "[layers][noise]") {
  const Tensor x = unif({200, 100}, 2, 0.5, 1.5);
  GaussianDropout g(0.2, 5);
  g.set_dtype(DType::float64);
  Tensor y;
  const Tensor dx = grad_of_sum(g, x, &y);
  const Tensor noise = div(y, x);
  const std::vector<double> n = values(noise);
  CHECK(std::abs(mean_of(n) - 1.0) < 0.02);
  CHECK(std::abs(std_of(n) - 0.5) < 0.5 * 0.03);  // sqrt(0.2 / 0.8)
  CHECK(allclose(dx, noise, 1e-12, 1e-12));
  CHECK(near(g(x, false), values(x), 0));
  CHECK_THROWS_WITH(GaussianDropout(1.0), Catch::Contains("rate must be in [0, 1)"));
}

TEST_CASE("AlphaDropout keeps a standardised input's mean and variance", "[layers][noise]") {
  const Tensor x = rnd({400, 100}, 3);  // N(0, 1)
  const double rate = 0.2;
  AlphaDropout a(rate, {}, 9);
  a.set_dtype(DType::float64);
  Tensor y;
  const Tensor dx = grad_of_sum(a, x, &y);
  const std::vector<double> yv = values(y), xv = values(x), gv = values(dx);
  CHECK(std::abs(mean_of(yv)) < 0.02);
  CHECK(std::abs(std_of(yv) - 1.0) < 0.02);
  // Keras's affine map: kept units are a x + b, dropped ones a alpha' + b
  const double alpha_p = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946;
  const double ca = std::pow((1 - rate) * (1 + rate * alpha_p * alpha_p), -0.5), cb = -ca * alpha_p * rate;
  std::size_t dropped = 0, bad = 0;
  for (std::size_t i = 0; i < yv.size(); ++i) {
    if (gv[i] == 0.0) {
      ++dropped;
      if (std::abs(yv[i] - (ca * alpha_p + cb)) > 1e-12) ++bad;
    } else if (std::abs(gv[i] - ca) > 1e-12 || std::abs(yv[i] - (ca * xv[i] + cb)) > 1e-12) {
      ++bad;
    }
  }
  CHECK(bad == 0);
  CHECK(std::abs(static_cast<double>(dropped) / yv.size() - rate) < 0.01);

  // noise_shape [-1, 1]: one draw per row
  AlphaDropout rows(0.5, {-1, 1}, 4);
  rows.set_dtype(DType::float64);
  const Tensor r = rows(rnd({50, 6}, 4), true);
  const std::vector<double> rv = values(r);  // a row is all kept or all dropped
  const double a5 = std::pow(0.5 * (1 + 0.5 * alpha_p * alpha_p), -0.5);
  const double dropped_value = a5 * alpha_p - a5 * alpha_p * 0.5;
  std::size_t mixed = 0;
  for (std::size_t i = 0; i < 50; ++i) {
    std::size_t d = 0;
    for (std::size_t j = 0; j < 6; ++j) d += std::abs(rv[i * 6 + j] - dropped_value) < 1e-12;
    mixed += d != 0 && d != 6;
  }
  CHECK(mixed == 0);
  CHECK_THROWS_WITH(rows(rnd({2, 3, 4}, 1), true), Catch::Contains("noise_shape has 2 dimensions"));
}

TEST_CASE("SpatialDropout drops whole feature maps; channels_first equals channels_last on transposed data",
          "[layers][noise]") {
  const Tensor x = unif({4, 5, 6, 8}, 6, 0.5, 1.5);  // [N, H, W, C]
  SpatialDropout2D last(0.5, "channels_last", 21);
  last.set_dtype(DType::float64);
  const Tensor y = last(x, true);
  const std::vector<double> ratio = values(div(y, x));
  std::size_t zero_maps = 0, bad = 0;
  for (std::size_t n = 0; n < 4; ++n)
    for (std::size_t c = 0; c < 8; ++c) {
      const double first = ratio[((n * 5) * 6) * 8 + c];
      zero_maps += first == 0.0;
      if (first != 0.0 && first != 2.0) ++bad;
      for (std::size_t h = 0; h < 5; ++h)
        for (std::size_t w = 0; w < 6; ++w) bad += ratio[((n * 5 + h) * 6 + w) * 8 + c] != first;
    }
  CHECK(bad == 0);
  CHECK(zero_maps > 4);
  CHECK(zero_maps < 28);

  SpatialDropout2D first(0.5, "channels_first", 21);
  first.set_dtype(DType::float64);
  const Tensor yt = first(transpose(x, {0, 3, 1, 2}), true);
  CHECK(near(yt, values(transpose(y, {0, 3, 1, 2})), 0));

  SpatialDropout1D s1(0.5, 2);
  s1.set_dtype(DType::float64);
  const std::vector<double> r1 = values(div(s1(unif({3, 7, 4}, 1, 0.5, 1.5), true), unif({3, 7, 4}, 1, 0.5, 1.5)));
  std::size_t bad1 = 0;
  for (std::size_t n = 0; n < 3; ++n)
    for (std::size_t t = 1; t < 7; ++t)
      for (std::size_t c = 0; c < 4; ++c) bad1 += r1[(n * 7 + t) * 4 + c] != r1[(n * 7) * 4 + c];
  CHECK(bad1 == 0);

  SpatialDropout3D s3(0.5);
  CHECK_THROWS_WITH(s3(rnd({2, 3, 4, 5}, 1), true), Catch::Contains("SpatialDropout3D"));
  CHECK_THROWS_WITH(SpatialDropout2D(0.5, "channels_middle"), Catch::Contains("data_format"));
  CHECK_THROWS_WITH(SpatialDropout1D(-0.5), Catch::Contains("rate"));
}

TEST_CASE("ActivityRegularization adds l1 |x| + l2 x^2 of its input and writes Keras's config", "[layers][noise]") {
  const Tensor x = f64({1, -2, 3, 0.5, -0.25, 4}, {2, 3});
  ActivityRegularization r(0.5, 0.25);
  r.set_dtype(DType::float64);
  CHECK(near(r(x), values(x), 0));
  REQUIRE(r.losses().size() == 1);
  // sum |x| = 10.75, sum x^2 = 30.3125; averaged over the batch of 2
  CHECK(near(r.losses()[0], {(0.5 * 10.75 + 0.25 * 30.3125) / 2}, 1e-12));
  const Config c = r.get_config();
  CHECK(c.at("l1").as_double() == 0.5);
  CHECK(c.at("l2").as_double() == 0.25);
  CHECK_FALSE(c.contains("activity_regularizer"));
  // from a Keras config (through a model, as files load)
  auto m = models::model_from_json(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
      {"class_name": "InputLayer", "config": {"batch_shape": [null, 2, 3], "name": "in"}},
      {"class_name": "ActivityRegularization", "config": {"name": "ar", "l1": 0.0, "l2": 1.0}},
      {"class_name": "GaussianNoise", "config": {"name": "gn", "stddev": 0.1, "seed": 4}},
      {"class_name": "SpatialDropout1D", "config": {"name": "sd", "rate": 0.1, "noise_shape": null, "seed": null}},
      {"class_name": "AlphaDropout", "config": {"name": "ad", "rate": 0.1, "noise_shape": [null, 1, null], "seed": 1}}]}})");
  const Tensor x3 = f64({1, -2, 3, 0.5, -0.25, 4}, {1, 2, 3});
  CHECK(near(m->predict(x3), values(x3), 1e-6));  // float32, the identity at inference
  auto ar = std::dynamic_pointer_cast<ActivityRegularization>(m->get_layer("ar"));
  REQUIRE(ar);
  CHECK(ar->l1 == 0.0);
  CHECK(ar->l2 == 1.0);
  auto ad = std::dynamic_pointer_cast<AlphaDropout>(m->get_layer("ad"));
  REQUIRE(ad);
  CHECK(ad->noise_shape == std::vector<std::int64_t>{-1, 1, -1});
  CHECK(ad->seed == std::optional<std::uint64_t>(1));
  CHECK_THROWS_WITH(ActivityRegularization(-1.0), Catch::Contains("l1 and l2"));
}
