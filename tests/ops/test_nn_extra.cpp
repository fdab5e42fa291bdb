// dot_product_attention against attention written out by its definition (loops), with grouped
// key heads, a causal mask, a padding mask and a bias; rms_normalization, normalize and psnr by
// hand; gradchecks of all four.
#include <cmath>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {
/// out[b, t, n, :] = sum_s softmax_s(q.k * scale + bias (masked)) v[b, s, n / (N / K), :].
std::vector<double> attention_by_definition(const Tensor& q, const Tensor& k, const Tensor& v, double scale,
                                            bool causal, const std::vector<int>& valid_keys, double bias_step) {
  const auto qv = q.to_vector<double>(), kv = k.to_vector<double>(), vv = v.to_vector<double>();
  const std::int64_t B = q.dim(0), T = q.dim(1), N = q.dim(2), H = q.dim(3), S = k.dim(1), K = k.dim(2);
  std::vector<double> out(static_cast<std::size_t>(B * T * N * H), 0.0);
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < T; ++t)
      for (std::int64_t n = 0; n < N; ++n) {
        const std::int64_t kn = n / (N / K);
        std::vector<double> w(static_cast<std::size_t>(S));
        double mx = -1e300;
        for (std::int64_t s = 0; s < S; ++s) {
          double dot = 0;
          for (std::int64_t h = 0; h < H; ++h)
            dot += qv[static_cast<std::size_t>(((b * T + t) * N + n) * H + h)] *
                   kv[static_cast<std::size_t>(((b * S + s) * K + kn) * H + h)];
          double l = dot * scale + bias_step * static_cast<double>(s);
          if ((causal && s > t) || s >= valid_keys[static_cast<std::size_t>(b)]) l = -1e300;
          w[static_cast<std::size_t>(s)] = l;
          mx = std::max(mx, l);
        }
        double z = 0;
        for (auto& e : w) z += (e = e <= -1e299 ? 0.0 : std::exp(e - mx));
        for (std::int64_t s = 0; s < S; ++s)
          for (std::int64_t h = 0; h < H; ++h)
            out[static_cast<std::size_t>(((b * T + t) * N + n) * H + h)] +=
                w[static_cast<std::size_t>(s)] / z * vv[static_cast<std::size_t>(((b * S + s) * K + kn) * H + h)];
      }
  return out;
}
}  // namespace

TEST_CASE("dot_product_attention is attention by its definition", "[nn][attention]") {
  const Tensor q = rnd({2, 3, 4, 5}, 1), k = rnd({2, 6, 2, 5}, 2), v = rnd({2, 6, 2, 5}, 3);
  // plain, with 2 key heads for 4 query heads
  CHECK(near(nn::dot_product_attention(q, k, v), attention_by_definition(q, k, v, 1 / std::sqrt(5.0), false, {6, 6}, 0),
             1e-12));
  // causal, a padding mask (example 1 sees 4 keys), a bias growing with the key position, scale 0.3
  const Tensor mask = reshape(f64({1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, {2, 1, 1, 6}), {2, 1, 1, 6});
  const Tensor bias = reshape(mul(Tensor::arange(6.0, DType::float64), 0.25), {1, 1, 1, 6});
  CHECK(near(nn::dot_product_attention(q, rnd({2, 6, 2, 5}, 2), v, bias, mask, 0.3, true),
             attention_by_definition(q, k, v, 0.3, true, {6, 4}, 0.25), 1e-12));
  CHECK_THROWS_WITH(nn::dot_product_attention(q, rnd({2, 6, 3, 5}, 2), rnd({2, 6, 3, 5}, 3)),
                    Catch::Contains("3 key heads do not divide 4"));
  CHECK_THROWS_WITH(nn::dot_product_attention(q, rnd({2, 6, 2, 4}, 2), rnd({2, 6, 2, 4}, 3)),
                    Catch::Contains("[B, T, N, H]"));
}

TEST_CASE("rms_normalization, normalize and psnr", "[nn]") {
  CHECK_TENSOR(nn::rms_normalization(f64({3, 4}, {1, 2})), {1, 2},
               {3 / std::sqrt(12.5 + 1e-6), 4 / std::sqrt(12.5 + 1e-6)}, 1e-12);
  CHECK_TENSOR(nn::normalize(f64({3, 4, 0, 0}, {2, 2})), {2, 2}, {0.6, 0.8, 0, 0}, 1e-12);
  CHECK_TENSOR(nn::normalize(f64({1, -3}, {1, 2}), -1, 1.0), {1, 2}, {0.25, -0.75}, 1e-12);
  // mse 0.01 at max 1: 20 log10(1) - 10 log10(0.01) = 20 dB
  CHECK_TENSOR(nn::psnr(f64({0.1, 0.2}, {2}), f64({0.2, 0.3}, {2}), 1.0), {}, {20}, 1e-9);
  CHECK_THROWS_WITH(nn::psnr(f64({0.1}, {1}), f64({0.2, 0.3}, {2}), 1.0), Catch::Contains("shapes"));
}

TEST_CASE("attention and normalization ops gradcheck", "[nn][gradcheck]") {
  struct Row {
    const char* name;
    std::function<Tensor(const std::vector<Tensor>&)> op;
    std::vector<Shape> shapes;
  };
  const Tensor mask = f64({1, 1, 0, 1, 1, 1}, {1, 1, 2, 3});
  const std::vector<Row> rows = {
      {"dot_product_attention",
       [&](const std::vector<Tensor>& x) { return nn::dot_product_attention(x[0], x[1], x[2], Tensor(), mask, {}, true); },
       {{1, 2, 2, 3}, {1, 3, 1, 3}, {1, 3, 1, 3}}},
      {"rms_normalization", [](const std::vector<Tensor>& x) { return nn::rms_normalization(x[0], x[1]); },
       {{2, 3}, {3}}},
      {"normalize", [](const std::vector<Tensor>& x) { return nn::normalize(x[0], 0); }, {{3, 2}}},
      {"psnr", [](const std::vector<Tensor>& x) { return nn::psnr(x[0], x[1], 2.0); }, {{2, 3}, {2, 3}}},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    std::vector<Tensor> in;
    for (std::size_t i = 0; i < r.shapes.size(); ++i) in.push_back(rnd(r.shapes[i], 30 + i));
    CHECK_GRADCHECK(gradcheck(r.op, in));
    CHECK_GRADCHECK(gradgradcheck(r.op, in));
  }
}
