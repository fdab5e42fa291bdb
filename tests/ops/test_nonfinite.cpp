// NaN and +-Inf through every activation, pooling and reduction: the IEEE result of each op's
// definition, as TensorFlow computes it (relu(NaN) is NaN, not 0, so one NaN pixel is never
// hidden while the loss stays finite).
#include <cmath>
#include <functional>
#include <limits>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {

const double kNan = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

/// Equal as IEEE values: both NaN, or the same number (infinities included).
bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b || std::fabs(a - b) < 1e-6; }

struct Row {
  const char* name;
  std::function<Tensor(const Tensor&)> op;
  std::function<double(double)> ref;  // the op's definition in double, with IEEE semantics
};

double sigmoid_ref(double x) { return 1 / (1 + std::exp(-x)); }

std::vector<Row> rows() {
  const double a = 1.6732632423543772848170429916717, s = 1.0507009873554804934193349852946;
  return {
      {"relu", [](const Tensor& x) { return relu(x); }, [](double x) { return x < 0 ? 0.0 : x; }},
      {"relu6", [](const Tensor& x) { return relu6(x); }, [](double x) { return std::isnan(x) ? x : std::min(std::max(x, 0.0), 6.0); }},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.2); }, [](double x) { return x > 0 ? x : 0.2 * x; }},
      {"elu", [](const Tensor& x) { return elu(x, 1.0); }, [](double x) { return x <= 0 ? std::expm1(x) : x; }},
      {"selu", [](const Tensor& x) { return selu(x); }, [=](double x) { return s * (x <= 0 ? a * std::expm1(x) : x); }},
      {"gelu", [](const Tensor& x) { return gelu(x); }, [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }, sigmoid_ref},
      {"tanh", [](const Tensor& x) { return tanh(x); }, [](double x) { return std::tanh(x); }},
      {"softplus", [](const Tensor& x) { return softplus(x); },
       [](double x) { return std::isnan(x) ? x : std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x))); }},
      {"softsign", [](const Tensor& x) { return softsign(x); }, [](double x) { return x / (1 + std::fabs(x)); }},
      {"swish", [](const Tensor& x) { return swish(x); }, [](double x) { return x * sigmoid_ref(x); }},
      {"hard_sigmoid", [](const Tensor& x) { return hard_sigmoid(x); },
       [](double x) { return std::isnan(x) ? x : std::min(std::max(x / 6 + 0.5, 0.0), 1.0); }},
      {"hard_sigmoid_keras2", [](const Tensor& x) { return hard_sigmoid_keras2(x); },
       [](double x) { return std::isnan(x) ? x : std::min(std::max(0.2 * x + 0.5, 0.0), 1.0); }},
      {"abs", [](const Tensor& x) { return abs(x); }, [](double x) { return std::fabs(x); }},
      {"sign", [](const Tensor& x) { return sign(x); }, [](double x) { return std::isnan(x) ? x : (x > 0) - (x < 0); }},
      {"neg", [](const Tensor& x) { return neg(x); }, [](double x) { return -x; }},
      {"square", [](const Tensor& x) { return square(x); }, [](double x) { return x * x; }},
      {"exp", [](const Tensor& x) { return exp(x); }, [](double x) { return std::exp(x); }},
      {"log", [](const Tensor& x) { return log(x); }, [](double x) { return std::log(x); }},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }, [](double x) { return std::sqrt(x); }},
      {"sin", [](const Tensor& x) { return sin(x); }, [](double x) { return std::sin(x); }},
      {"clip", [](const Tensor& x) { return clip(x, -1, 1); }, [](double x) { return std::isnan(x) ? x : std::min(std::max(x, -1.0), 1.0); }},
      {"maximum", [](const Tensor& x) { return maximum(x, 0.5); }, [](double x) { return std::isnan(x) ? x : std::max(x, 0.5); }},
      {"minimum", [](const Tensor& x) { return minimum(x, 0.5); }, [](double x) { return std::isnan(x) ? x : std::min(x, 0.5); }},
  };
}

}  // namespace

TEST_CASE("activations and elementwise ops give the IEEE result on NaN and +-Inf", "[math][nonfinite]") {
  const std::vector<double> xs = {kNan, kInf, -kInf, -2.5, 0.0, 1.5};
  for (DType dt : {DType::float32, DType::float64})
    for (const Row& r : rows()) {
      const std::vector<double> got = values(r.op(Tensor::from_vector(xs, {6}, dt)));
      for (std::size_t i = 0; i < xs.size(); ++i) {
        INFO(r.name << "(" << xs[i] << ") in " << dtype_name(dt) << ": got " << got[i] << ", expected " << r.ref(xs[i]));
        CHECK(same(got[i], r.ref(xs[i])));
      }
    }
}

TEST_CASE("one NaN propagates through pooling, softmax and reductions", "[nn][nonfinite]") {
  std::vector<double> img(2 * 4 * 4 * 1, 0.25);
  img[5] = kNan;  // image 0, row 1, column 1
  const Tensor x = Tensor::from_vector(img, {2, 4, 4, 1});
  const auto mp = values(nn::max_pool2d(x, nn::Size2(2)));
  CHECK(std::isnan(mp[0]));  // the window holding the NaN
  CHECK(mp[1] == 0.25);
  CHECK(mp[4] == 0.25);      // the other image
  const auto ap = values(nn::avg_pool2d(x, nn::Size2(2)));
  CHECK(std::isnan(ap[0]));
  CHECK(ap[1] == 0.25);
  CHECK(std::isnan(values(nn::global_max_pool2d(x))[0]));
  CHECK(std::isnan(values(nn::global_avg_pool2d(x))[0]));
  CHECK(values(nn::global_max_pool2d(x))[1] == 0.25);
  const Tensor row = Tensor::from_vector({1.0, kNan, 2.0}, {1, 3});
  for (double v : values(nn::softmax(row))) CHECK(std::isnan(v));
  CHECK(std::isnan(values(max(row))[0]));
  CHECK(std::isnan(values(min(row))[0]));
  CHECK(std::isnan(values(sum(row))[0]));
  CHECK(std::isnan(values(mean(row))[0]));
  CHECK(values(max(Tensor::from_vector({1.0, kInf, 2.0}, {3})))[0] == kInf);
}

TEST_CASE("cast to int64 refuses NaN, infinities and values beyond int64", "[math][nonfinite][errors]") {
  for (double bad : {kNan, kInf, -kInf, 9.3e18, -9.3e18}) {
    INFO(bad);
    CHECK_THROWS_AS(cast(Tensor::from_vector({1.0, bad}, {2}, DType::float64), DType::int64), ValueError);
  }
  CHECK_THROWS_WITH(cast(Tensor::from_vector({1.0, kNan}, {2}), DType::int64),
                    Catch::Contains("element 1") && Catch::Contains("nan"));
  // what does fit: truncation toward zero, and the extremes of int64 that a double holds
  CHECK(cast(Tensor::from_vector({-2.7, 2.7, -9.2e18}, {3}, DType::float64), DType::int64).to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{-2, 2, -9200000000000000000LL});
}

TEST_CASE("NaN through the relu layers and the fused bias + relu", "[nn][layers][nonfinite]") {
  const Tensor x = Tensor::from_vector({kNan, 1.0, -1.0}, {1, 3});
  CHECK(std::isnan(values(nn::bias_relu(x, Tensor::zeros({3})))[0]));
  CHECK(std::isnan(values(layers::Activation(ActivationFn("relu"))(x))[0]));
  CHECK(std::isnan(values(layers::ReLU()(x))[0]));
  CHECK(std::isnan(values(layers::ReLU(std::optional<double>(6.0))(x))[0]));
  CHECK(std::isnan(values(layers::ReLU(std::nullopt, 0.0, 0.5)(x))[0]));
  auto dense = std::make_shared<layers::Dense>(2, ActivationFn("relu"));
  const Tensor y = (*dense)(x);
  CHECK(std::isnan(values(y)[0]));
  CHECK(std::isnan(values(y)[1]));
}

TEST_CASE("ReLU keeps x only above its threshold, as Keras 3", "[layers][keras]") {
  // Keras: x where x > threshold, else negative_slope * (x - threshold); at the threshold, 0
  const Tensor x = Tensor::from_vector({0.5, 0.7, 0.2, -1.0}, {4}, DType::float64);
  CHECK_TENSOR(layers::ReLU(std::nullopt, 0.0, 0.5)(x), {4}, {0.0, 0.7, 0.0, 0.0}, 1e-6);
  CHECK_TENSOR(layers::ReLU(std::nullopt, 0.1, 0.5)(x), {4}, {0.0, 0.7, -0.03, -0.15}, 1e-6);
  CHECK_TENSOR(layers::ReLU(std::optional<double>(0.6), 0.1, 0.5)(x), {4}, {0.0, 0.6, -0.03, -0.15}, 1e-6);
  CHECK_TENSOR(layers::ReLU(std::nullopt, 0.2)(x), {4}, {0.5, 0.7, 0.2, -0.2}, 1e-6);
}
