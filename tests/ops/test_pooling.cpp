// Pooling and resizing against loops written here; Keras's "same" averaging over valid cells.
#include <cmath>
#include <limits>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {


// Direct pooling with TensorFlow's geometry; averages count only cells inside the image.
Tensor pool_ref(bool is_max, const Tensor& x, std::int64_t ph, std::int64_t pw, std::int64_t sh, std::int64_t sw,
                bool same) {
  const auto X = x.to_vector<double>();
  const std::int64_t N = x.dim(0), H = x.dim(1), W = x.dim(2), C = x.dim(3);
  auto geo = [&](std::int64_t in, std::int64_t k, std::int64_t s) -> std::pair<std::int64_t, std::int64_t> {
    if (!same) return {(in - k) / s + 1, 0};
    const std::int64_t out = (in + s - 1) / s;
    return {out, std::max<std::int64_t>((out - 1) * s + k - in, 0) / 2};
  };
  const auto [OH, PT] = geo(H, ph, sh);
  const auto [OW, PL] = geo(W, pw, sw);
  std::vector<double> y;
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t oh = 0; oh < OH; ++oh)
      for (std::int64_t ow = 0; ow < OW; ++ow)
        for (std::int64_t c = 0; c < C; ++c) {
          double acc = is_max ? -std::numeric_limits<double>::infinity() : 0.0;
          int count = 0;
          for (std::int64_t i = 0; i < ph; ++i)
            for (std::int64_t j = 0; j < pw; ++j) {
              const std::int64_t ih = oh * sh - PT + i, iw = ow * sw - PL + j;
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              const double v = X[((n * H + ih) * W + iw) * C + c];
              acc = is_max ? std::max(acc, v) : acc + v;
              ++count;
            }
          y.push_back(is_max ? acc : acc / count);
        }
  return Tensor::from_vector(y, {N, OH, OW, C}, DType::float64);
}

struct PoolCase {
  Shape x;
  std::int64_t ph, pw, sh, sw;
  const char* padding;
};
const std::vector<PoolCase> kPoolCases = {
    {{2, 4, 4, 3}, 2, 2, 2, 2, "valid"}, {{1, 5, 5, 2}, 2, 2, 2, 2, "valid"}, {{1, 5, 5, 2}, 2, 2, 2, 2, "same"},
    {{1, 7, 6, 1}, 3, 3, 2, 2, "same"},  {{2, 6, 5, 2}, 3, 2, 1, 1, "same"},  {{1, 6, 6, 1}, 3, 3, 3, 3, "valid"},
};

// max_pool2d's gradient by direct loops: each window's g goes to its first maximum in row-major
// window order, a NaN counting as the maximum (as the forward chooses).
Tensor max_pool_grad_ref(const Tensor& x, const Tensor& gy, std::int64_t ph, std::int64_t pw, std::int64_t sh,
                         std::int64_t sw, bool same) {
  const auto X = x.to_vector<double>(), G = gy.to_vector<double>();
  const std::int64_t N = x.dim(0), H = x.dim(1), W = x.dim(2), C = x.dim(3), OH = gy.dim(1), OW = gy.dim(2);
  const std::int64_t PT = same ? std::max<std::int64_t>((OH - 1) * sh + ph - H, 0) / 2 : 0;
  const std::int64_t PL = same ? std::max<std::int64_t>((OW - 1) * sw + pw - W, 0) / 2 : 0;
  std::vector<double> dx(X.size(), 0.0);
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t oh = 0; oh < OH; ++oh)
      for (std::int64_t ow = 0; ow < OW; ++ow)
        for (std::int64_t c = 0; c < C; ++c) {
          std::int64_t at = -1;
          for (std::int64_t i = 0; i < ph; ++i)
            for (std::int64_t j = 0; j < pw; ++j) {
              const std::int64_t ih = oh * sh - PT + i, iw = ow * sw - PL + j;
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              const std::int64_t k = ((n * H + ih) * W + iw) * C + c;
              if (at < 0 || (std::isnan(X[k]) && !std::isnan(X[at])) || X[k] > X[at]) at = k;
            }
          dx[at] += G[((n * OH + oh) * OW + ow) * C + c];
        }
  return Tensor::from_vector(dx, x.shape(), DType::float64);
}

}  // namespace

TEST_CASE("max and average pooling match direct loops", "[pooling]") {
  for (const auto& c : kPoolCases) {
    INFO(c.x << " pool " << c.ph << "x" << c.pw << " strides " << c.sh << "," << c.sw << " " << c.padding);
    Tensor x = rnd(c.x, 1);
    const bool same = std::string(c.padding) == "same";
    CHECK(allclose(nn::max_pool2d(x, {c.ph, c.pw}, nn::Size2{c.sh, c.sw}, c.padding),
                   pool_ref(true, x, c.ph, c.pw, c.sh, c.sw, same), 1e-12, 1e-12));
    CHECK(allclose(nn::avg_pool2d(x, {c.ph, c.pw}, nn::Size2{c.sh, c.sw}, c.padding),
                   pool_ref(false, x, c.ph, c.pw, c.sh, c.sw, same), 1e-12, 1e-12));
  }
}

TEST_CASE("'same' average pooling averages over the cells inside the image", "[pooling]") {
  Tensor x = reshape(Tensor::arange(9, DType::float64), {1, 3, 3, 1});
  Tensor y = nn::avg_pool2d(x, 2, std::nullopt, "same");  // 2x2 outputs, the last row/column padded
  CHECK_TENSOR(y, {1, 2, 2, 1}, {(0 + 1 + 3 + 4) / 4.0, (2 + 5) / 2.0, (6 + 7) / 2.0, 8});
  CHECK_TENSOR(nn::max_pool2d(x, 2, std::nullopt, "same"), {1, 2, 2, 1}, {4, 5, 7, 8});
}

TEST_CASE("1-D, global pooling, upsampling and zero padding", "[pooling]") {
  Tensor x = rnd({2, 7, 3}, 2);
  Tensor m1 = nn::max_pool1d(x, 2);
  Tensor ref = pool_ref(true, reshape(x, {2, 1, 7, 3}), 1, 2, 1, 2, false);
  CHECK(allclose(m1, reshape(ref, {2, 3, 3}), 1e-12, 1e-12));
  Tensor a1 = nn::avg_pool1d(x, 3, 2, "same");
  Tensor ref_a = pool_ref(false, reshape(x, {2, 1, 7, 3}), 1, 3, 1, 2, true);
  CHECK(allclose(a1, reshape(ref_a, {2, 4, 3}), 1e-12, 1e-12));
  Tensor img = rnd({2, 3, 4, 5}, 3);
  CHECK(allclose(nn::global_avg_pool2d(img), mean(img, {1, 2}), 1e-12));
  CHECK(nn::global_max_pool2d(img, true).shape() == Shape{2, 1, 1, 5});
  CHECK(allclose(nn::global_max_pool1d(x), max(x, 1), 0, 0));
  CHECK(allclose(nn::global_avg_pool1d(x), mean(x, 1), 1e-12));
  Tensor small = reshape(Tensor::arange(4, DType::float64), {1, 2, 2, 1});
  CHECK_TENSOR(nn::upsample2d(small, {2, 3}), {1, 4, 6, 1},
               {0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 2, 2, 2, 3, 3, 3});
  CHECK_TENSOR(nn::zero_pad2d(small, {1, 0}, {0, 1}), {1, 3, 3, 1}, {0, 0, 0, 0, 1, 0, 2, 3, 0});
}

TEST_CASE("max pooling routes the gradient to the maximum", "[pooling]") {
  Tensor x = Tensor::from_vector({1, 5, 2, 3, 9, 0, 4, 4, 7}, {1, 3, 3, 1}, DType::float64);
  GradientTape tape;
  tape.watch(x);
  Tensor y = nn::max_pool2d(x, 2, 1);  // windows: max 9 (x4) four times
  CHECK_TENSOR(y, {1, 2, 2, 1}, {9, 9, 9, 9});
  CHECK_TENSOR(tape.gradient(y, {x})[0], {1, 3, 3, 1}, {0, 0, 0, 0, 4, 0, 0, 0, 0});
}

TEST_CASE("max pooling's gradient goes to each window's first maximum", "[pooling]") {
  // Windows that do not overlap take the dense path (stride >= pool), the others the scatter.
  // Channel counts run past one SIMD batch with a tail; values from a few levels make ties.
  struct Case {
    Shape x;
    std::int64_t ph, pw, sh, sw;
    bool same;
  };
  const std::vector<Case> cases = {
      {{2, 4, 4, 19}, 2, 2, 2, 2, false}, {{1, 5, 5, 35}, 2, 2, 2, 2, false}, {{2, 5, 7, 17}, 2, 2, 2, 2, true},
      {{1, 7, 8, 3}, 2, 2, 3, 3, false},  {{1, 6, 6, 33}, 3, 3, 3, 3, true},  {{1, 5, 5, 16}, 3, 2, 2, 1, true},
      {{1, 4, 4, 19}, 3, 3, 3, 3, true},  // "same" pads one row and column at the top and left
      {{2, 7, 8, 21}, 2, 2, 3, 3, true},  // gaps between windows, padded
  };
  for (const DType dt : {DType::float32, DType::float64})
    for (const auto& c : cases) {
      INFO(c.x << " pool " << c.ph << "x" << c.pw << " strides " << c.sh << "," << c.sw << " " << dtype_name(dt));
      std::vector<double> v = rnd(c.x, 21).to_vector<double>();
      for (double& e : v) e = std::floor(2.0 * e);  // a few levels: many ties
      if (c.x[3] > 18) {  // NaNs in some windows, not in their first cell: SIMD lanes and the tail
        v[static_cast<std::size_t>(c.x[3] + 5)] = std::nan("");
        v[static_cast<std::size_t>(c.x[3] * c.x[2] + c.x[3] - 1)] = std::nan("");
        v[static_cast<std::size_t>(c.x[3] * (c.x[2] + 1) + 17)] = std::nan("");
      }
      Tensor x = Tensor::from_vector(v, c.x, dt);
      GradientTape tape;
      tape.watch(x);
      Tensor y = nn::max_pool2d(x, {c.ph, c.pw}, nn::Size2{c.sh, c.sw}, c.same ? "same" : "valid");
      Tensor gy = cast(rnd(y.shape(), 22), dt);
      Tensor dx = tape.gradient(y, {x}, gy)[0];
      CHECK(dx.dtype() == dt);
      // exact, but where overlapping windows add two float32 gradients in one cell
      const double tol = dt == DType::float32 && (c.sh < c.ph || c.sw < c.pw) ? 1e-6 : 0.0;
      CHECK(allclose(cast(dx, DType::float64), max_pool_grad_ref(x, gy, c.ph, c.pw, c.sh, c.sw, c.same), tol, tol));
    }
}

TEST_CASE("max pooling of an empty batch or no channels", "[pooling]") {
  for (const Shape& s : {Shape{0, 4, 4, 3}, Shape{2, 4, 4, 0}}) {
    INFO(s);
    Tensor x = Tensor::zeros(s);
    GradientTape tape;
    tape.watch(x);
    Tensor y = nn::max_pool2d(x, 2);
    CHECK(y.shape() == Shape{s[0], 2, 2, s[3]});
    CHECK(tape.gradient(y, {x}, Tensor::zeros(y.shape()))[0].shape() == s);
  }
}

TEST_CASE("pooling gradcheck", "[pooling][gradcheck]") {
  for (const auto& c : kPoolCases) {
    INFO(c.x << " pool " << c.ph << "x" << c.pw << " " << c.padding);
    Tensor x = rnd(c.x, 4);
    CHECK_GRADCHECK(gradcheck(
        [&](const auto& in) { return nn::max_pool2d(in[0], {c.ph, c.pw}, nn::Size2{c.sh, c.sw}, c.padding); }, {x}));
    CHECK_GRADCHECK(gradcheck(
        [&](const auto& in) { return nn::avg_pool2d(in[0], {c.ph, c.pw}, nn::Size2{c.sh, c.sw}, c.padding); }, {x}));
  }
  CHECK_GRADCHECK(gradcheck([](const auto& in) { return nn::max_pool1d(in[0], 3, 2, "same"); }, {rnd({2, 7, 2}, 5)}));
  CHECK_GRADCHECK(gradcheck([](const auto& in) { return nn::avg_pool1d(in[0], 2); }, {rnd({1, 6, 3}, 6)}));
  CHECK_GRADCHECK(gradcheck([](const auto& in) { return nn::global_max_pool2d(in[0]); }, {rnd({2, 3, 3, 2}, 7)}));
  CHECK_GRADCHECK(gradcheck([](const auto& in) { return nn::global_avg_pool2d(in[0]); }, {rnd({2, 3, 3, 2}, 8)}));
  CHECK_GRADCHECK(gradcheck([](const auto& in) { return nn::upsample2d(in[0], 2); }, {rnd({1, 2, 3, 2}, 9)}));
  CHECK_GRADCHECK(gradcheck([](const auto& in) { return nn::zero_pad2d(in[0], {1, 2}, {2, 0}); }, {rnd({1, 2, 2, 1}, 10)}));
  CHECK_GRADCHECK(gradgradcheck([](const auto& in) { return square(nn::avg_pool2d(in[0], 2, 1, "same")); },
                                {rnd({1, 3, 3, 1}, 11)}));
  CHECK_GRADCHECK(gradgradcheck([](const auto& in) { return square(nn::max_pool2d(in[0], 2)); }, {rnd({1, 4, 4, 1}, 12)}));
}

TEST_CASE("pooling errors", "[pooling][errors]") {
  CHECK_THROWS_WITH(nn::max_pool2d(Tensor::ones({1, 2, 2, 1}), 3),
                    Catch::Contains("max_pool2d") && Catch::Contains("[1, 2, 2, 1]"));
  CHECK_THROWS_AS(nn::avg_pool2d(Tensor::ones({2, 2, 1}), 2), ShapeError);
  CHECK_THROWS_AS(nn::max_pool2d(Tensor::ones({1, 4, 4, 1}), 0), ValueError);
  CHECK_THROWS_AS(nn::max_pool1d(Tensor::ones({1, 4, 4, 1}), 2), ShapeError);
  CHECK_THROWS_AS(nn::upsample2d(Tensor::ones({1, 2, 2, 1}), 0), ValueError);
  CHECK_THROWS_AS(nn::global_avg_pool2d(Tensor::ones({2, 2})), ShapeError);
}
