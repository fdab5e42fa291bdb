// Forward values of the layers with Keras semantics to pin (gate orders, reversal, moving
// statistics, attention), against plain loops over doubles written here.
#include <cmath>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::layers;
using namespace strata::testing;

namespace {

using Mat = std::vector<std::vector<double>>;

Mat to_mat(const Tensor& t) {  // 2-D tensor -> rows
  const auto v = t.to_vector<double>();
  const std::int64_t r = t.dim(0), c = t.dim(1);
  Mat m(static_cast<std::size_t>(r), std::vector<double>(static_cast<std::size_t>(c)));
  for (std::int64_t i = 0; i < r; ++i)
    for (std::int64_t j = 0; j < c; ++j) m[i][j] = v[static_cast<std::size_t>(i * c + j)];
  return m;
}

std::vector<double> vecmat(const std::vector<double>& x, const Mat& w) {  // x [n] @ w [n, m]
  std::vector<double> y(w[0].size(), 0.0);
  for (std::size_t i = 0; i < x.size(); ++i)
    for (std::size_t j = 0; j < y.size(); ++j) y[j] += x[i] * w[i][j];
  return y;
}

double sig(double v) { return 1 / (1 + std::exp(-v)); }
double hard_sig(double v) { return std::min(1.0, std::max(0.0, v / 6 + 0.5)); }  // Keras 3's hard_sigmoid

// x [T, F] for one example
std::vector<std::vector<double>> sequence(const Tensor& x, std::int64_t b) {
  const auto v = x.to_vector<double>();
  const std::int64_t T = x.dim(1), F = x.dim(2);
  std::vector<std::vector<double>> s(static_cast<std::size_t>(T), std::vector<double>(static_cast<std::size_t>(F)));
  for (std::int64_t t = 0; t < T; ++t)
    for (std::int64_t f = 0; f < F; ++f) s[t][f] = v[static_cast<std::size_t>((b * T + t) * F + f)];
  return s;
}

}  // namespace

TEST_CASE("LSTM follows Keras's equations and gate order i, f, c, o", "[layers][recurrent]") {
  auto lstm = std::make_shared<LSTM>(3);
  lstm->set_dtype(DType::float64);
  lstm->return_sequences = true;
  Tensor x = rnd({2, 4, 5}, 1);
  Tensor y = (*lstm)(x);
  REQUIRE(y.shape() == Shape{2, 4, 3});
  // unit_forget_bias: the forget gate's bias starts at 1
  CHECK_TENSOR(lstm->bias.value(), {12}, {0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0});
  lstm->bias.assign(rnd({12}, 2));
  y = (*lstm)(x);
  const Mat W = to_mat(lstm->kernel), U = to_mat(lstm->recurrent_kernel);
  const auto bias = lstm->bias.value().to_vector<double>();
  const auto got = y.to_vector<double>();
  for (std::int64_t b = 0; b < 2; ++b) {
    std::vector<double> h(3, 0.0), c(3, 0.0);
    const auto xs = sequence(x, b);
    for (std::size_t t = 0; t < xs.size(); ++t) {
      auto zx = vecmat(xs[t], W), zh = vecmat(h, U);
      std::vector<double> z(12);
      for (int k = 0; k < 12; ++k) z[k] = zx[k] + zh[k] + bias[k];
      for (int u = 0; u < 3; ++u) {
        const double i = sig(z[u]), f = sig(z[3 + u]), g = std::tanh(z[6 + u]), o = sig(z[9 + u]);
        c[u] = f * c[u] + i * g;
        h[u] = o * std::tanh(c[u]);
        CHECK(got[static_cast<std::size_t>((b * 4 + static_cast<std::int64_t>(t)) * 3 + u)] == Approx(h[u]).epsilon(1e-12));
      }
    }
  }
}

TEST_CASE("GRU follows Keras's equations in both reset_after forms", "[layers][recurrent]") {
  for (bool reset_after : {true, false}) {
    INFO("reset_after " << reset_after);
    auto gru = std::make_shared<GRU>(2, ActivationFn("tanh"), ActivationFn("hard_sigmoid"), reset_after);
    gru->set_dtype(DType::float64);
    Tensor x = rnd({1, 3, 4}, 3);
    (*gru)(x);
    gru->bias.assign(rnd(gru->bias.shape(), 4));
    const Tensor y = (*gru)(x);
    const Mat W = to_mat(gru->kernel), U = to_mat(gru->recurrent_kernel);
    const auto bias = gru->bias.value().to_vector<double>();
    std::vector<double> h(2, 0.0);
    for (const auto& xt : sequence(x, 0)) {
      auto zx = vecmat(xt, W);
      std::vector<double> hn(2);
      if (reset_after) {
        auto zh = vecmat(h, U);
        for (int u = 0; u < 2; ++u) {
          const double z = hard_sig(zx[u] + bias[u] + zh[u] + bias[6 + u]);
          const double r = hard_sig(zx[2 + u] + bias[2 + u] + zh[2 + u] + bias[8 + u]);
          const double hh = std::tanh(zx[4 + u] + bias[4 + u] + r * (zh[4 + u] + bias[10 + u]));
          hn[u] = z * h[u] + (1 - z) * hh;
        }
      } else {
        auto zh = vecmat(h, U);
        std::vector<double> z(2), r(2), rh(2);
        for (int u = 0; u < 2; ++u) {
          z[u] = hard_sig(zx[u] + bias[u] + zh[u]);
          r[u] = hard_sig(zx[2 + u] + bias[2 + u] + zh[2 + u]);
          rh[u] = r[u] * h[u];
        }
        for (int u = 0; u < 2; ++u) {
          double acc = zx[4 + u] + bias[4 + u];
          for (int k = 0; k < 2; ++k) acc += rh[k] * U[k][4 + u];
          hn[u] = z[u] * h[u] + (1 - z[u]) * std::tanh(acc);
        }
      }
      h = hn;
    }
    CHECK_TENSOR(y, {1, 2}, h, 1e-12);
  }
}

TEST_CASE("go_backwards, Bidirectional and TimeDistributed", "[layers][recurrent]") {
  Tensor x = rnd({2, 5, 3}, 5);
  auto fwd = std::make_shared<SimpleRNN>(4);
  fwd->set_dtype(DType::float64);
  fwd->return_sequences = true;
  (*fwd)(x);
  // a backwards layer with the same weights equals the forward one on the reversed sequence
  auto bwd = std::make_shared<SimpleRNN>(4);
  bwd->set_dtype(DType::float64);
  bwd->return_sequences = true;
  bwd->go_backwards = true;
  (*bwd)(x);
  bwd->set_weights(fwd->get_weights());
  const Tensor reversed = slice_axis(x, 1, -1, -6, -1);
  CHECK(allclose((*bwd)(x), (*fwd)(reversed), 1e-12));
  // Bidirectional concatenates the forward outputs and the backward ones put back in time order
  auto inner = std::make_shared<SimpleRNN>(4);
  inner->return_sequences = true;
  auto bi = std::make_shared<Bidirectional>(LayerRef(inner));
  bi->set_dtype(DType::float64);
  const Tensor y = (*bi)(x);
  REQUIRE(y.shape() == Shape{2, 5, 8});
  const Tensor yf = (*bi->forward_layer)(x);
  const Tensor yb = slice_axis((*bi->backward_layer)(x), 1, -1, -6, -1);
  CHECK(allclose(y, concat({yf, yb}, -1), 1e-12));
  CHECK(bi->forward_layer->name().rfind("forward_", 0) == 0);
  CHECK(bi->backward_layer->go_backwards);
  // TimeDistributed applies the same layer at every step
  auto dense = std::make_shared<Dense>(2);
  auto td = std::make_shared<TimeDistributed>(LayerRef(dense));
  td->set_dtype(DType::float64);
  const Tensor z = (*td)(x);
  for (std::int64_t t = 0; t < 5; ++t)
    CHECK(allclose(reshape(slice_axis(z, 1, t, t + 1), {2, 2}), (*dense)(reshape(slice_axis(x, 1, t, t + 1), {2, 3})),
                   1e-12));
}

TEST_CASE("BatchNormalization uses batch statistics in training and moving ones otherwise", "[layers]") {
  auto bn = std::make_shared<BatchNormalization>(-1, 0.9, 1e-3);
  bn->set_dtype(DType::float64);
  Tensor x = f64({1, 10, 3, 20, 5, 30}, {3, 2});
  Tensor y = (*bn)(x, /*training=*/true);
  // batch mean [3, 20], variance [8/3, 200/3]
  CHECK_TENSOR(bn->moving_mean.value(), {2}, {0.1 * 3, 0.1 * 20});
  CHECK_TENSOR(bn->moving_variance.value(), {2}, {0.9 + 0.1 * 8 / 3.0, 0.9 + 0.1 * 200 / 3.0});
  CHECK_TENSOR(y, {3, 2},
               {-2 / std::sqrt(8 / 3.0 + 1e-3), -10 / std::sqrt(200 / 3.0 + 1e-3), 0, 0, 2 / std::sqrt(8 / 3.0 + 1e-3),
                10 / std::sqrt(200 / 3.0 + 1e-3)},
               1e-9);
  // inference uses the moving statistics and leaves them alone
  Tensor z = (*bn)(x);
  CHECK_TENSOR(bn->moving_mean.value(), {2}, {0.3, 2.0});
  CHECK(z.to_vector<double>()[0] == Approx((1 - 0.3) / std::sqrt(0.9 + 0.8 / 3 + 1e-3)));
  // a frozen layer runs in inference mode even when training
  bn->set_trainable(false);
  CHECK(allclose((*bn)(x, true), z));
  CHECK_TENSOR(bn->moving_mean.value(), {2}, {0.3, 2.0});
}

TEST_CASE("MultiHeadAttention matches scaled dot-product attention per head", "[layers][attention]") {
  auto mha = std::make_shared<MultiHeadAttention>(2, 3);
  mha->set_dtype(DType::float64);
  mha->return_attention_scores = true;
  Tensor q = rnd({1, 2, 4}, 6), v = rnd({1, 3, 4}, 7);
  mha->apply({q, v});
  for (auto& w : mha->trainable_weights()) w.assign(rnd(w.shape(), w.id()));
  const auto out = mha->apply({q, v});
  // by hand for head h: Q = q Wq[:, h, :] + bq[h], scores = softmax(Q K^T / sqrt(3)), ctx = P V
  const auto Wq = mha->query_kernel.value().to_vector<double>(), bq = mha->query_bias.value().to_vector<double>();
  const auto Wk = mha->key_kernel.value().to_vector<double>(), bk = mha->key_bias.value().to_vector<double>();
  const auto Wv = mha->value_kernel.value().to_vector<double>(), bv = mha->value_bias.value().to_vector<double>();
  const auto Wo = mha->output_kernel.value().to_vector<double>(), bo = mha->output_bias.value().to_vector<double>();
  const auto Q = q.to_vector<double>(), V = v.to_vector<double>();
  auto proj = [](const std::vector<double>& x, std::size_t row, const std::vector<double>& W, const std::vector<double>& b,
                 int h, int d) {  // x[row, :] @ W[:, h, d] + b[h, d], features 4, heads 2, dim 3
    double acc = b[static_cast<std::size_t>(h * 3 + d)];
    for (int f = 0; f < 4; ++f) acc += x[row * 4 + static_cast<std::size_t>(f)] * W[static_cast<std::size_t>((f * 2 + h) * 3 + d)];
    return acc;
  };
  std::vector<double> expected(2 * 4);
  for (int i = 0; i < 2; ++i)
    for (int o = 0; o < 4; ++o) expected[static_cast<std::size_t>(i * 4 + o)] = bo[static_cast<std::size_t>(o)];
  const auto scores = out[1].to_vector<double>();
  for (int h = 0; h < 2; ++h)
    for (int i = 0; i < 2; ++i) {
      std::vector<double> s(3);
      double mx = -1e300;
      for (int j = 0; j < 3; ++j) {
        double dot = 0;
        for (int d = 0; d < 3; ++d) dot += proj(Q, i, Wq, bq, h, d) * proj(V, j, Wk, bk, h, d);
        s[j] = dot / std::sqrt(3.0);
        mx = std::max(mx, s[j]);
      }
      double z = 0;
      for (auto& e : s) z += (e = std::exp(e - mx));
      for (int j = 0; j < 3; ++j) {
        s[j] /= z;
        CHECK(scores[static_cast<std::size_t>((h * 2 + i) * 3 + j)] == Approx(s[j]).epsilon(1e-10));
      }
      for (int d = 0; d < 3; ++d) {
        double ctx = 0;
        for (int j = 0; j < 3; ++j) ctx += s[j] * proj(V, j, Wv, bv, h, d);
        for (int o = 0; o < 4; ++o)
          expected[static_cast<std::size_t>(i * 4 + o)] += ctx * Wo[static_cast<std::size_t>((h * 3 + d) * 4 + o)];
      }
    }
  CHECK_TENSOR(out[0], {1, 2, 4}, expected, 1e-10);
  // causal mask: nothing attends to the future
  auto causal = std::make_shared<MultiHeadAttention>(1, 2);
  causal->use_causal_mask = true;
  causal->return_attention_scores = true;
  Tensor s = causal->apply({Tensor::random_normal({1, 3, 2}), Tensor::random_normal({1, 3, 2})})[1];
  const auto p = s.to_vector<double>();
  CHECK(p[1] < 1e-6);
  CHECK(p[2] < 1e-6);
  CHECK(p[5] < 1e-6);
  CHECK(p[0] == Approx(1.0));
}

TEST_CASE("Dropout layer: inverted in training, identity otherwise, seeded sequence", "[layers]") {
  Tensor x = Tensor::ones({50, 40});
  auto d = std::make_shared<Dropout>(0.25, 7);
  CHECK(array_equal((*d)(x), x));
  Tensor a = (*d)(x, true), b = (*d)(x, true);
  CHECK_FALSE(array_equal(a, b));  // a new mask each call
  auto d2 = std::make_shared<Dropout>(0.25, 7);
  CHECK(array_equal((*d2)(x, true), a));  // the same seed, the same sequence of masks
  double zeros = 0;
  for (double v : a.to_vector<double>()) zeros += v == 0;
  CHECK(std::fabs(zeros / 2000 - 0.25) < 0.04);
  // noise_shape shares the mask along axes of size 1
  auto dn = std::make_shared<Dropout>(0.5, 3, std::vector<std::int64_t>{-1, 1});
  const auto v = (*dn)(x, true).to_vector<double>();
  for (int r = 0; r < 50; ++r)
    for (int c = 1; c < 40; ++c) CHECK(v[static_cast<std::size_t>(r * 40 + c)] == v[static_cast<std::size_t>(r * 40)]);
}

TEST_CASE("an empty batch runs through every layer, and leaves batch statistics alone", "[layers][empty]") {
  // BatchNormalization in training: no statistics to take, the moving ones stay as they are
  layers::BatchNormalization bn;
  const Tensor x = Tensor::from_vector(std::vector<double>{1, 2, 3, 5}, {2, 2});
  bn(x, true);  // moving_mean = 0.99 * 0 + 0.01 * [2, 3.5]
  const Tensor mean_before = bn.moving_mean.value().clone(), var_before = bn.moving_variance.value().clone();
  CHECK(allclose(mean_before, Tensor::from_vector(std::vector<double>{0.02, 0.035}, {2}, mean_before.dtype()), 1e-6, 1e-6));
  const Tensor y = bn(Tensor::zeros({0, 2}), true);
  CHECK(y.shape() == Shape{0, 2});
  CHECK(array_equal(bn.moving_mean.value(), mean_before));
  CHECK(array_equal(bn.moving_variance.value(), var_before));
  // Reshape infers its -1 from the shape, not from the element count
  CHECK(layers::Reshape(Shape{-1, 2})(Tensor::zeros({0, 6, 2})).shape() == Shape{0, 6, 2});
  CHECK(layers::Flatten()(Tensor::zeros({0, 3, 4})).shape() == Shape{0, 12});
  CHECK(layers::Dot(1)({Tensor::zeros({0, 4}), Tensor::zeros({0, 4})}).shape() == Shape{0, 1});
  auto lstm = std::make_shared<layers::LSTM>(3);
  lstm->return_state = true;
  const std::vector<Tensor> outs = lstm->apply({Tensor::zeros({0, 4, 2})});
  REQUIRE(outs.size() == 3);
  for (const Tensor& o : outs) CHECK(o.shape() == Shape{0, 3});
  // a Reshape whose target does not fit is still refused on an empty batch
  CHECK_THROWS_AS(layers::Reshape(Shape{5})(Tensor::zeros({0, 6})), ShapeError);
}

TEST_CASE("ThresholdedReLU keeps x only where x > theta (Keras 2, TF.js)", "[layers]") {
  ThresholdedReLU t(0.5);
  const Tensor y = t(f64({-1, 0.5, 0.625, 2, 0}, {5}));
  CHECK(y.to_vector<double>() == std::vector<double>{0, 0, 0.625, 2, 0});  // theta itself gives 0: strictly greater
  CHECK(ThresholdedReLU().theta == 1.0);
  CHECK_THROWS_WITH(ThresholdedReLU(-0.1), Catch::Contains("ThresholdedReLU: theta must be >= 0, got -0.1"));
  auto back = models::model_from_json(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
      {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 3], "name": "in"}},
      {"class_name": "ThresholdedReLU", "config": {"name": "t", "theta": 0.25}}]}})");
  CHECK(back->predict(f64({0.125, 0.375, -4}, {1, 3})).to_vector<double>() == std::vector<double>{0, 0.375, 0});
}

TEST_CASE("GroupNormalization against NumPy; groups 1 is LayerNormalization, -1 instance normalization",
          "[layers][normalization]") {
  // x [2, 2, 4], groups 2: statistics per example over the 2 steps and the group's 2 channels
  const Tensor x = f64({1, 2, 3, 4, 5, 6, 7, 9, 0, -1, 2, -3, 4, 0.5, 1, 1}, {2, 2, 4});
  GroupNormalization gn(2);
  gn.set_dtype(DType::float64);
  gn(x);
  gn.set_weights({f64({1, 2, 3, 4}, {4}), f64({0.5, 0, -0.5, 1}, {4})});
  // NumPy: xg = x.reshape(2, 2, 2, 2); (xg - xg.mean((1, 3))) / sqrt(xg.var((1, 3)) + 1e-3), reshaped, * g + b
  CHECK(near(gn(x), {-0.712535482, -1.45504258, -3.95903588, -1.93493954, 1.22752129, 2.42507096, 1.07228904,
                     6.450602, 0.0354591632, -1.9908893, 2.2335965, -5.76890562, 2.15907442, -0.39817786, 0.671541357,
                     2.56205514},
             1e-7));
  const Tensor r = rnd({3, 4, 6}, 8);
  GroupNormalization one(1);
  LayerNormalization ln(std::vector<std::int64_t>{1, 2});
  one.set_dtype(DType::float64);
  ln.set_dtype(DType::float64);
  CHECK(allclose(one(r), ln(r), 1e-12, 1e-12));
  // one group per channel of [N, H, W, C]: each (example, channel) over H and W
  const Tensor img = rnd({2, 3, 3, 4}, 9);
  GroupNormalization inst(-1);
  inst.set_dtype(DType::float64);
  const auto [m, v] = nn::moments(img, {1, 2}, true);
  CHECK(allclose(inst(img), div(sub(img, m), sqrt(add(v, 1e-3))), 1e-12, 1e-12));
  GroupNormalization three(3);
  CHECK_THROWS_WITH(three(rnd({2, 4}, 1)), Catch::Contains("GroupNormalization") && Catch::Contains("must divide"));
  CHECK_THROWS_WITH(GroupNormalization(0), Catch::Contains("groups must be positive or -1"));
}

TEST_CASE("UnitNormalization, RMSNormalization and LayerNormalization(rms_scaling)", "[layers][normalization]") {
  UnitNormalization un;
  un.set_dtype(DType::float64);
  CHECK(near(un(f64({3, 4, 0, 0}, {2, 2})), {0.6, 0.8, 0, 0}, 1e-12));  // a zero row stays zero
  {
    GradientTape tape;
    const Tensor z = f64({0, 0}, {1, 2});
    tape.watch(z);
    const Tensor g = tape.gradient(sum(un(z)), {z})[0];
    CHECK(near(g, {1e6, 1e6}, 1e-3));  // rsqrt(max(0, 1e-12)): finite, not NaN
  }
  RMSNormalization rms;
  rms.set_dtype(DType::float64);
  // mean(x^2) = 12.5
  CHECK(near(rms(f64({3, 4}, {1, 2})), {3 / std::sqrt(12.5 + 1e-6), 4 / std::sqrt(12.5 + 1e-6)}, 1e-12));
  CHECK(rms.weights().size() == 1);
  CHECK(rms.weights()[0].name().find("scale") != std::string::npos);
  LayerNormalization ln;
  ln.rms_scaling = true;
  ln.set_dtype(DType::float64);
  // Keras 3's rms_scaling: x * rsqrt(var(x) + eps) * gamma, without centring (var of 1..4 = 1.25)
  const double inv = 1 / std::sqrt(1.25 + 1e-3);
  CHECK(near(ln(f64({1, 2, 3, 4}, {1, 4})), {inv, 2 * inv, 3 * inv, 4 * inv}, 1e-12));
  CHECK(ln.weights().size() == 1);  // gamma only
  CHECK(ln.get_config().at("rms_scaling").as_bool());
  CHECK_FALSE(LayerNormalization().get_config().contains("rms_scaling"));  // Keras 2 and TF.js do not know it
  CHECK_THROWS_WITH(RMSNormalization(std::vector<std::int64_t>{}), Catch::Contains("axes cannot be empty"));
}
