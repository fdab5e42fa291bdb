// MaxPooling3D and AveragePooling3D against a brute-force box pooling (TensorFlow's "same"
// padding, averages over the elements inside the input), adaptive pooling's windows by hand,
// channels_first against channels_last on transposed data, configs and aliases.
#include <algorithm>
#include <cmath>
#include <limits>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::layers;
using namespace strata::testing;

namespace {
using V = std::vector<std::int64_t>;

/// Box pooling of [N, D, H, W, C] by the definition.
std::vector<double> brute_pool3d(const Tensor& x, bool is_max, V k, V s, const std::string& padding, Shape* shape) {
  const auto v = x.to_vector<double>();
  const Shape in = x.shape();
  V out(3), pad(3);
  for (int a = 0; a < 3; ++a) {
    const std::int64_t n = in[static_cast<std::size_t>(a + 1)];
    out[a] = padding == "same" ? (n + s[a] - 1) / s[a] : (n - k[a]) / s[a] + 1;
    pad[a] = padding == "same" ? std::max<std::int64_t>((out[a] - 1) * s[a] + k[a] - n, 0) / 2 : 0;
  }
  *shape = Shape({in[0], out[0], out[1], out[2], in[4]});
  std::vector<double> r;
  for (std::int64_t b = 0; b < in[0]; ++b)
    for (std::int64_t i = 0; i < out[0]; ++i)
      for (std::int64_t j = 0; j < out[1]; ++j)
        for (std::int64_t l = 0; l < out[2]; ++l)
          for (std::int64_t c = 0; c < in[4]; ++c) {
            double acc = is_max ? -std::numeric_limits<double>::infinity() : 0;
            int count = 0;
            for (std::int64_t di = 0; di < k[0]; ++di)
              for (std::int64_t dj = 0; dj < k[1]; ++dj)
                for (std::int64_t dl = 0; dl < k[2]; ++dl) {
                  const std::int64_t p = i * s[0] + di - pad[0], q = j * s[1] + dj - pad[1], t = l * s[2] + dl - pad[2];
                  if (p < 0 || q < 0 || t < 0 || p >= in[1] || q >= in[2] || t >= in[3]) continue;
                  const double e = v[static_cast<std::size_t>((((b * in[1] + p) * in[2] + q) * in[3] + t) * in[4] + c)];
                  acc = is_max ? std::max(acc, e) : acc + e;
                  ++count;
                }
            r.push_back(is_max ? acc : acc / count);
          }
  return r;
}
}  // namespace

TEST_CASE("3-D pooling equals box pooling by its definition", "[layers][pooling]") {
  const Tensor x = rnd({2, 5, 4, 6, 3}, 4);
  for (bool is_max : {true, false})
    for (const char* padding : {"valid", "same"})
      for (const auto& [k, s] : std::vector<std::pair<V, V>>{{{2, 2, 2}, {2, 2, 2}}, {{3, 2, 3}, {1, 2, 2}}, {{2, 3, 1}, {3, 1, 2}}}) {
        INFO((is_max ? "max " : "avg ") << padding << " k " << k[0] << k[1] << k[2] << " s " << s[0] << s[1] << s[2]);
        std::shared_ptr<Layer> l;
        if (is_max) l = std::make_shared<MaxPooling3D>(k, s, padding);
        else l = std::make_shared<AveragePooling3D>(k, s, padding);
        l->set_dtype(DType::float64);
        Shape want;
        const std::vector<double> ref = brute_pool3d(x, is_max, k, s, padding, &want);
        const Tensor y = (*l)(x);
        CHECK(y.shape() == want);
        CHECK(near(y, ref, 1e-12));
        // channels_first: the same numbers on transposed data
        std::shared_ptr<Layer> f;
        if (is_max) f = std::make_shared<MaxPooling3D>(k, s, padding, "channels_first");
        else f = std::make_shared<AveragePooling3D>(k, s, padding, "channels_first");
        f->set_dtype(DType::float64);
        CHECK(near((*f)(transpose(x, {0, 4, 1, 2, 3})), values(transpose(y, {0, 4, 1, 2, 3})), 1e-12));
      }
  CHECK_THROWS_WITH(MaxPooling3D(V{2, 2}), Catch::Contains("MaxPooling3D") && Catch::Contains("3 values"));
  CHECK_THROWS_WITH(AveragePooling3D(V{2, 2, 2}, std::nullopt, "full"), Catch::Contains("padding"));
  MaxPooling3D big(V{6, 1, 1});
  CHECK_THROWS_WITH(big(x), Catch::Contains("larger than the input"));
}

TEST_CASE("adaptive pooling windows: [floor(i L / n), ceil((i + 1) L / n))", "[layers][pooling]") {
  // length 5 to 3: windows [0, 2), [1, 4), [3, 5)
  const Tensor x = f64({1, 5, 2, 8, 3}, {1, 5, 1});
  AdaptiveAveragePooling1D avg(V{3});
  AdaptiveMaxPooling1D mx(V{3});
  avg.set_dtype(DType::float64);
  mx.set_dtype(DType::float64);
  CHECK_TENSOR(avg(x), {1, 3, 1}, {3, 5, 5.5}, 1e-12);
  CHECK_TENSOR(mx(x), {1, 3, 1}, {5, 8, 8}, 0);
  // 2-D is the 1-D windows on each axis: [1, 4, 4, 1] to 2 x 2 is the four 2 x 2 blocks' means
  AdaptiveAveragePooling2D a2(V{2, 2});
  a2.set_dtype(DType::float64);
  CHECK_TENSOR(a2(iota({1, 4, 4, 1})), {1, 2, 2, 1}, {2.5, 4.5, 10.5, 12.5}, 1e-12);
  // output as large as the input: the identity
  AdaptiveMaxPooling3D same(V{2, 3, 2});
  same.set_dtype(DType::float64);
  const Tensor r = rnd({1, 2, 3, 2, 2}, 3);
  CHECK(near(same(r), values(r), 0));
  GlobalAveragePooling3D g;
  g.set_dtype(DType::float64);
  CHECK(near(g(r), values(mean(r, {1, 2, 3})), 1e-12));
  CHECK_THROWS_WITH(AdaptiveMaxPooling2D(V{2}), Catch::Contains("AdaptiveMaxPooling2D") && Catch::Contains("2 values"));
  CHECK_THROWS_WITH(AdaptiveAveragePooling1D(V{0}), Catch::Contains("positive"));
}

TEST_CASE("3-D and adaptive pooling configs, and Keras's aliases", "[layers][pooling][fields]") {
  auto m = models::model_from_json(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
      {"class_name": "InputLayer", "config": {"batch_shape": [null, 4, 4, 4, 2], "name": "in"}},
      {"class_name": "MaxPool3D", "config": {"name": "p", "pool_size": 2, "strides": null, "padding": "valid",
                                             "data_format": "channels_last"}},
      {"class_name": "AdaptiveAveragePooling3D", "config": {"name": "a", "output_size": 1}},
      {"class_name": "GlobalAvgPool3D", "config": {"name": "g", "data_format": null, "keepdims": false}}]}})");
  CHECK(m->outputs()[0].shape() == Shape({-1, 2}));
  auto p = std::dynamic_pointer_cast<MaxPooling3D>(m->get_layer("p"));
  REQUIRE(p);
  CHECK(p->pool_size == V{2, 2, 2});
  CHECK(p->get_config().at("strides") == Config::parse("[2, 2, 2]"));
  CHECK(std::dynamic_pointer_cast<AdaptiveAveragePooling3D>(m->get_layer("a"))->output_size == V{1, 1, 1});
}
