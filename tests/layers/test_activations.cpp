// Activations by Keras name: values against numbers worked out from Keras 3's definitions,
// the name round trip, the axis-wise ones (glu, sparsemax, softmax over several axes) with
// gradchecks, and hard_sigmoid's two meanings through the file formats.
#include <algorithm>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {

// The expected values below were computed by /usr/bin/python3 with numpy from Keras 3's
// definitions (keras/src/ops/nn.py and its backends), on x = [-4, -1.5, -0.5, 0.25, 1, 3.5]:
// e.g. hard_sigmoid = np.clip(x / 6 + 0.5, 0, 1), sparse_plus = np.where(x <= -1, 0,
// np.where(x < 1, 0.25 * (x + 1)**2, x)), log_sigmoid = np.log(1 / (1 + np.exp(-x))).
const std::vector<double> kX = {-4.0, -1.5, -0.5, 0.25, 1.0, 3.5};

struct Expected {
  const char* name;
  std::vector<double> y;
};

const std::vector<Expected>& expected_values() {
  static const std::vector<Expected> e = {
      {"hard_sigmoid", {0.0, 0.25, 0.4166666666666667, 0.5416666666666666, 0.6666666666666666, 1.0}},
      {"hard_sigmoid_keras2", {0.0, 0.19999999999999996, 0.4, 0.55, 0.7, 1.0}},  // np.clip(0.2 * x + 0.5, 0, 1)
      {"hard_silu", {-0.0, -0.375, -0.20833333333333334, 0.13541666666666666, 0.6666666666666666, 3.5}},
      {"hard_swish", {-0.0, -0.375, -0.20833333333333334, 0.13541666666666666, 0.6666666666666666, 3.5}},
      {"celu", {-0.9816843611112658, -0.7768698398515702, -0.3934693402873666, 0.25, 1.0, 3.5}},
      {"hard_tanh", {-1.0, -1.0, -0.5, 0.25, 1.0, 1.0}},
      {"hard_shrink", {-4.0, -1.5, 0.0, 0.0, 1.0, 3.5}},  // |x| = 0.5 is not above the threshold
      {"soft_shrink", {-3.5, -1.0, 0.0, 0.0, 0.5, 3.0}},
      {"tanh_shrink",
       {-3.000670700260933, -0.5948517463551335, -0.03788284273999026, 0.005081337596290869, 0.23840584404423515,
        2.501822102388801}},
      {"log_sigmoid",
       {-4.0181499279178094, -1.7014132779827524, -0.9740769841801067, -0.5759394198788436, -0.3132616875182228,
        -0.029750418272620607}},
      {"mish",
       {-0.07259174079202534, -0.29809974216680674, -0.22074377465173, 0.16957240966381756, 0.8650983882673103,
        3.493990715117519}},
      {"sparse_plus", {0.0, 0.0, 0.0625, 0.390625, 1.0, 3.5}},
      {"squareplus",
       {0.2360679774997898, 0.5, 0.7807764064044151, 1.1327822185373186, 1.618033988749895, 3.7655644370746373}},
  };
  return e;
}

}  // namespace

TEST_CASE("Keras 3's activations by name match their definitions", "[activations]") {
  const Tensor x = f64(kX, {6});
  for (const auto& e : expected_values()) {
    INFO(e.name);
    CHECK_TENSOR(ActivationFn(e.name)(x), {6}, e.y, 1e-12);
    CHECK_TENSOR(ActivationFn(e.name)(x.astype(DType::float32)), {6}, e.y, 1e-6);
  }
  // threshold has no defaults in Keras, so it is an op only: np.where(x > 1, x, -2)
  CHECK_TENSOR(threshold(x, 1.0, -2.0), {6}, {-2, -2, -2, -2, -2, 3.5}, 0);
  // np.where(x > 0, x, 2 * np.expm1(x / 2))
  CHECK_TENSOR(celu(x, 2.0), {6}, {-1.7293294335267746, -1.0552668945179706, -0.44239843385719024, 0.25, 1.0, 3.5},
               1e-12);
  CHECK_THROWS_AS(celu(x, 0.0), ValueError);
}

TEST_CASE("every activation name round-trips", "[activations]") {
  for (const std::string& name : ActivationFn::known()) {
    INFO(name);
    const ActivationFn a(name);
    CHECK(a.name() == name);
    CHECK(a.is_builtin(name));
    // through a layer's config
    auto d = std::make_shared<layers::Dense>(2, a);
    const Config c = d->get_config();
    CHECK(c.at("activation").as_string() == name);
  }
  const auto known = ActivationFn::known();
  for (const char* name : {"celu", "glu", "hard_shrink", "hard_tanh", "log_sigmoid", "mish", "soft_shrink", "sparse_plus",
                           "sparsemax", "squareplus", "tanh_shrink", "exponential", "hard_silu", "hard_swish"})
    CHECK(std::find(known.begin(), known.end(), name) != known.end());
  CHECK(std::find(known.begin(), known.end(), "threshold") == known.end());  // needs its arguments
}

TEST_CASE("glu, sparsemax and softmax over several axes", "[activations][nn]") {
  // glu: x = [[1, -2, 0.5, 3]] -> [1 * sigmoid(0.5), -2 * sigmoid(3)] (numpy)
  CHECK_TENSOR(ActivationFn("glu")(f64({1, -2, 0.5, 3}, {1, 4})), {1, 2}, {0.6224593312018546, -1.9051482536448667},
               1e-12);
  CHECK_TENSOR(nn::glu(f64({1, -2, 0.5, 3}, {2, 2}), 0), {1, 2}, {0.6224593312018546, -1.9051482536448667}, 1e-12);
  CHECK_THROWS_AS(nn::glu(f64({1, 2, 3}, {3})), ShapeError);
  // sparsemax: numpy's sort / cumsum / support / tau recipe (Martins & Astudillo 2016)
  const Tensor a = f64({1.0, 0.5, -1.0, 0.8, 0.1, 0.2, 0.3, 0.4}, {2, 4});
  CHECK_TENSOR(ActivationFn("sparsemax")(a), {2, 4},
               {0.5666666666666667, 0.06666666666666671, 0.0, 0.36666666666666675, 0.1, 0.2, 0.3, 0.4}, 1e-12);
  CHECK_TENSOR(nn::sparsemax(a, 0), {2, 4}, {0.95, 0.65, 0.0, 0.7, 0.05, 0.35, 1.0, 0.3}, 1e-12);
  // softmax over axes (0, 2) of arange(12).reshape(2, 3, 2) * 0.3 - 1.2 (numpy)
  const Tensor b = iota({2, 3, 2}) * 0.3 - 1.2;
  const std::vector<double> sm = {0.0603657821666376,  0.08148528273385018, 0.06036578216663763, 0.0814852827338502,
                                  0.06036578216663761, 0.08148528273385021, 0.3651917010217033,  0.4929572340778088,
                                  0.36519170102170345, 0.4929572340778088,  0.3651917010217035,  0.49295723407780867};
  CHECK_TENSOR(nn::softmax(b, Axes{0, 2}), {2, 3, 2}, sm, 1e-12);
  CHECK(allclose(nn::log_softmax(b, Axes{0, 2}), log(nn::softmax(b, Axes{0, 2})), 1e-12));
  CHECK(allclose(nn::softmax(b, Axes{1}), nn::softmax(b, 1), 1e-12));
}

TEST_CASE("glu, sparsemax and softmax over several axes gradcheck", "[activations][gradcheck]") {
  for (const auto& s : {Shape{4}, Shape{3, 4}, Shape{2, 3, 6}}) {
    INFO(s);
    for (std::int64_t axis : {std::int64_t(-1), std::int64_t(0)}) {
      INFO("axis " << axis);
      // sparsemax's support stays put under the differences when no element sits on tau
      CHECK_GRADCHECK(gradcheck([&](const auto& in) { return nn::sparsemax(in[0], axis); }, {rnd(s, 41) * 0.7}));
      if (s[static_cast<std::size_t>(axis < 0 ? s.size() - 1 : 0)] % 2 == 0)
        CHECK_GRADCHECK(gradcheck([&](const auto& in) { return nn::glu(in[0], axis); }, {rnd(s, 42)}));
    }
    const Axes axes = s.size() > 1 ? Axes{0, -1} : Axes{0};
    CHECK_GRADCHECK(gradcheck([&](const auto& in) { return nn::softmax(in[0], axes); }, {rnd(s, 43)}));
    CHECK_GRADCHECK(gradcheck([&](const auto& in) { return nn::log_softmax(in[0], axes); }, {rnd(s, 44)}));
  }
  CHECK_GRADCHECK(gradgradcheck([](const auto& in) { return nn::sparsemax(in[0]); }, {rnd({2, 5}, 45)}));
  CHECK_GRADCHECK(gradgradcheck([](const auto& in) { return nn::glu(in[0]); }, {rnd({2, 4}, 46)}));
}
