// Cropping, ZeroPadding and UpSampling over 1-3 spatial axes: values (hand-derived), bilinear
// upsampling with and without half-pixel centres, channels_first against channels_last on
// transposed data, configs in Keras's forms, and refusals.
#include "support/helpers.hpp"

using namespace strata;
using namespace strata::layers;
using namespace strata::testing;

namespace {
using P = std::pair<std::int64_t, std::int64_t>;

std::shared_ptr<Layer> load(const std::string& cls, const std::string& config) {
  auto m = models::model_from_json(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
      {"class_name": "InputLayer", "config": {"batch_shape": [null, 4, 4, 4, 2], "name": "in"}},
      {"class_name": ")" + cls + R"(", "config": )" + config + "}]}}");
  return m->get_layer(0);
}

/// [N, C, spatial...] from [N, spatial..., C] and back.
Tensor to_first(const Tensor& x) {
  std::vector<std::int64_t> p{0, static_cast<std::int64_t>(x.rank()) - 1};
  for (std::int64_t d = 1; d + 1 < static_cast<std::int64_t>(x.rank()); ++d) p.push_back(d);
  return transpose(x, p);
}
}  // namespace

TEST_CASE("Cropping and ZeroPadding values", "[layers][reshaping]") {
  // iota [1, 4, 5, 1]: element (h, w) is 5 h + w
  const Tensor x = iota({1, 4, 5, 1});
  CHECK_TENSOR(Cropping2D(P{1, 2}, P{0, 1})(x), Shape({1, 1, 4, 1}), {5, 6, 7, 8});
  CHECK_TENSOR(Cropping1D(P{1, 2})(iota({1, 5, 2})), Shape({1, 2, 2}), {2, 3, 4, 5});
  CHECK_TENSOR(ZeroPadding1D(P{1, 2})(iota({1, 2, 1})), Shape({1, 5, 1}), {0, 0, 1, 0, 0});
  CHECK_TENSOR(ZeroPadding2D(P{0, 1}, P{1, 0})(iota({1, 2, 2, 1})), Shape({1, 3, 3, 1}), {0, 0, 1, 0, 2, 3, 0, 0, 0});
  // ZeroPadding3D(1) then Cropping3D(1) is the identity; the padded border is all zeros
  const Tensor v = rnd({2, 2, 3, 2, 3}, 5);
  const Tensor padded = ZeroPadding3D(1)(v);
  CHECK(padded.shape() == Shape({2, 4, 5, 4, 3}));
  CHECK(near(Cropping3D(1)(padded), values(v), 1e-6));  // the layers compute in float32
  CHECK(std::abs(values(sum(padded))[0] - values(sum(v))[0]) < 1e-4);

  CHECK_THROWS_WITH(Cropping2D(P{2, 2}, P{0, 0})(x), Catch::Contains("Cropping2D") && Catch::Contains("leaves nothing"));
  CHECK_THROWS_WITH(Cropping1D(P{-1, 0}), Catch::Contains("non-negative"));
  CHECK_THROWS_WITH(ZeroPadding3D(1)(x), Catch::Contains("ZeroPadding3D") && Catch::Contains("rank 5"));
  CHECK_THROWS_WITH(ZeroPadding2D(P{1, 1}, P{1, 1}, "channels_middle"), Catch::Contains("data_format"));
}

TEST_CASE("UpSampling: nearest repeats; bilinear with and without half-pixel centres", "[layers][reshaping]") {
  CHECK_TENSOR(UpSampling1D(2)(iota({1, 2, 1})), Shape({1, 4, 1}), {0, 0, 1, 1});
  // x = [[0, 1], [2, 3]]: bilinear is separable, y[i][j] = 2 r[i] + c[j] with the 1-D resize of [0, 1]
  const Tensor x = iota({1, 2, 2, 1});
  // half-pixel centres: sources -0.25, 0.25, 0.75, 1.25 clamped -> 0, 0.25, 0.75, 1
  const std::vector<double> hp = {0, 0.25, 0.75, 1};
  // TF.js (TensorFlow 1's resize): sources 0, 0.5, 1, 1.5 -> 0, 0.5, 1, 1
  const std::vector<double> legacy = {0, 0.5, 1, 1};
  auto outer = [](const std::vector<double>& r) {
    std::vector<double> y;
    for (double a : r)
      for (double b : r) y.push_back(2 * a + b);
    return y;
  };
  UpSampling2D bl(2, "bilinear");
  CHECK_TENSOR(bl(x), Shape({1, 4, 4, 1}), outer(hp));
  bl.half_pixel_centers = false;
  CHECK_TENSOR(bl(x), Shape({1, 4, 4, 1}), outer(legacy));
  // factor 3 along one axis: sources (i + 0.5) / 3 - 0.5 = -1/3, 0, 1/3, 2/3, 1, 4/3
  UpSampling2D w3(Size2{1, 3}, "bilinear");
  w3.set_dtype(DType::float64);
  CHECK(near(w3(f64({0, 3}, {1, 1, 2, 1})), {0, 0, 1, 2, 3, 3}, 1e-12));

  CHECK_THROWS_WITH(UpSampling2D(2, "bicubic"), Catch::Contains("UpSampling2D") && Catch::Contains("bicubic"));
  CHECK_THROWS_WITH(UpSampling1D(0), Catch::Contains("positive"));
}

TEST_CASE("channels_first computes channels_last's numbers on transposed data", "[layers][reshaping]") {
  const std::string cf = "channels_first";
  const Tensor x2 = rnd({2, 4, 5, 3}, 1), x3 = rnd({2, 3, 4, 2, 3}, 2);
  auto same = [](Layer& last, Layer& first, const Tensor& x) {
    last.set_dtype(DType::float64);
    first.set_dtype(DType::float64);
    CHECK(near(first(to_first(x)), values(to_first(last(x))), 1e-12));
  };
  {
    Cropping2D a(P{1, 0}, P{2, 1}), b(P{1, 0}, P{2, 1}, cf);
    same(a, b, x2);
  }
  {
    Cropping3D a(P{1, 1}, P{0, 2}, P{1, 0}), b(P{1, 1}, P{0, 2}, P{1, 0}, cf);
    same(a, b, x3);
  }
  {
    ZeroPadding2D a(P{1, 2}, P{0, 1}), b(P{1, 2}, P{0, 1}, cf);
    same(a, b, x2);
  }
  {
    ZeroPadding3D a(P{1, 0}, P{0, 1}, P{2, 2}), b(P{1, 0}, P{0, 1}, P{2, 2}, cf);
    same(a, b, x3);
  }
  for (const char* interp : {"nearest", "bilinear"}) {
    UpSampling2D a(Size2{2, 3}, interp), b(Size2{2, 3}, interp, cf);
    same(a, b, x2);
  }
  {
    UpSampling3D a({2, 1, 3}), b({2, 1, 3}, cf);
    same(a, b, x3);
  }
}

TEST_CASE("reshaping configs in Keras's forms", "[layers][reshaping][fields]") {
  auto c3 = std::dynamic_pointer_cast<Cropping3D>(load("Cropping3D", R"({"cropping": [1, [0, 2], 1]})"));
  REQUIRE(c3);
  CHECK(c3->cropping == SpatialPairs{{1, 1}, {0, 2}, {1, 1}});
  CHECK(c3->get_config().at("cropping") == Config::parse("[[1, 1], [0, 2], [1, 1]]"));
  CHECK(c3->get_config().at("data_format").as_string() == "channels_last");
  auto z3 = std::dynamic_pointer_cast<ZeroPadding3D>(load("ZeroPadding3D", R"({"padding": 2, "data_format": null})"));
  REQUIRE(z3);
  CHECK(z3->padding == SpatialPairs{{2, 2}, {2, 2}, {2, 2}});
  auto u3 = std::dynamic_pointer_cast<UpSampling3D>(load("UpSampling3D", R"({"size": [1, 2, 3]})"));
  REQUIRE(u3);
  CHECK(u3->size == std::vector<std::int64_t>{1, 2, 3});
  CHECK(UpSampling1D(4).get_config().at("size") == Config(4));  // Keras writes a number
  CHECK(Cropping1D(P{1, 2}).get_config().at("cropping") == Config::parse("[1, 2]"));
  CHECK_FALSE(UpSampling2D(2, "bilinear").get_config().contains("half_pixel_centers"));
  CHECK_THROWS_WITH(load("Cropping3D", R"({"cropping": [1, 2]})"), Catch::Contains("Cropping3D") &&
                                                                      Catch::Contains("cropping must be"));
  CHECK_THROWS_WITH(load("UpSampling3D", R"({"size": "big"})"), Catch::Contains("size must be"));
  CHECK_THROWS_WITH(load("ZeroPadding3D", R"({"padding": 1, "data_format": "channels_middle"})"),
                    Catch::Contains("data_format"));
}
