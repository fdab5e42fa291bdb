// Convolutions against direct-loop oracles written here, Keras's padding conventions pinned by
// hand-worked values, gradchecks over strides, paddings, dilations and odd sizes, and errors.
#include <cmath>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {


struct Geo {
  std::int64_t out, pad_before;
};

// TensorFlow's rule, restated independently of the library.
Geo geo(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t d, bool same) {
  const std::int64_t keff = (k - 1) * d + 1;
  if (!same) return {(in - keff) / s + 1, 0};
  const std::int64_t out = (in + s - 1) / s;
  const std::int64_t total = std::max<std::int64_t>((out - 1) * s + keff - in, 0);
  return {out, total / 2};
}

// The seven-loop direct convolution.
Tensor conv2d_ref(const Tensor& x, const Tensor& k, std::int64_t sh, std::int64_t sw, bool same, std::int64_t dh,
                  std::int64_t dw) {
  const auto X = x.to_vector<double>(), K = k.to_vector<double>();
  const std::int64_t N = x.dim(0), H = x.dim(1), W = x.dim(2), C = x.dim(3);
  const std::int64_t KH = k.dim(0), KW = k.dim(1), O = k.dim(3);
  const Geo gh = geo(H, KH, sh, dh, same), gw = geo(W, KW, sw, dw, same);
  std::vector<double> y(static_cast<std::size_t>(N * gh.out * gw.out * O), 0.0);
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t oh = 0; oh < gh.out; ++oh)
      for (std::int64_t ow = 0; ow < gw.out; ++ow)
        for (std::int64_t o = 0; o < O; ++o) {
          double acc = 0;
          for (std::int64_t kh = 0; kh < KH; ++kh)
            for (std::int64_t kw = 0; kw < KW; ++kw)
              for (std::int64_t c = 0; c < C; ++c) {
                const std::int64_t ih = oh * sh - gh.pad_before + kh * dh, iw = ow * sw - gw.pad_before + kw * dw;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += X[((n * H + ih) * W + iw) * C + c] * K[((kh * KW + kw) * C + c) * O + o];
              }
          y[((n * gh.out + oh) * gw.out + ow) * O + o] = acc;
        }
  return Tensor::from_vector(y, {N, gh.out, gw.out, O}, DType::float64);
}

struct ConvCase {
  Shape x, k;
  std::int64_t sh, sw;
  const char* padding;
  std::int64_t dh, dw;
};

const std::vector<ConvCase> kConvCases = {
    {{2, 5, 5, 1}, {3, 3, 1, 2}, 1, 1, "valid", 1, 1},  {{2, 5, 5, 1}, {3, 3, 1, 2}, 1, 1, "same", 1, 1},
    {{1, 6, 7, 2}, {2, 2, 2, 3}, 1, 1, "same", 1, 1},   {{1, 7, 6, 3}, {3, 2, 3, 2}, 2, 2, "same", 1, 1},
    {{1, 7, 7, 2}, {3, 3, 2, 2}, 2, 1, "valid", 1, 1},  {{1, 8, 8, 1}, {3, 3, 1, 2}, 1, 1, "same", 2, 2},
    {{1, 9, 8, 2}, {2, 3, 2, 1}, 1, 1, "valid", 2, 3},  {{2, 4, 4, 3}, {1, 1, 3, 4}, 1, 1, "valid", 1, 1},
    {{1, 5, 4, 2}, {4, 4, 2, 1}, 3, 3, "same", 1, 1},
    // four or more channels take the row-layout im2col
    {{1, 6, 5, 5}, {3, 3, 5, 2}, 2, 1, "same", 1, 1},  {{2, 7, 7, 4}, {3, 2, 4, 3}, 1, 1, "valid", 2, 2},
};

}  // namespace

TEST_CASE("conv2d matches a direct seven-loop convolution", "[conv]") {
  for (const auto& c : kConvCases) {
    INFO("x " << c.x << " k " << c.k << " strides " << c.sh << "," << c.sw << " " << c.padding << " dilation "
              << c.dh << "," << c.dw);
    Tensor x = rnd(c.x, 1), k = rnd(c.k, 2);
    Tensor y = nn::conv2d(x, k, {c.sh, c.sw}, c.padding, {c.dh, c.dw});
    Tensor ref = conv2d_ref(x, k, c.sh, c.sw, std::string(c.padding) == "same", c.dh, c.dw);
    REQUIRE(y.shape() == ref.shape());
    CHECK(allclose(y, ref, 1e-10, 1e-10));
    Tensor y32 = nn::conv2d(x.astype(DType::float32), k.astype(DType::float32), {c.sh, c.sw}, c.padding, {c.dh, c.dw});
    CHECK(allclose(y32.astype(DType::float64), ref, 1e-4, 1e-4));
  }
}

TEST_CASE("'same' padding puts the odd pixel at the bottom/right, as Keras does", "[conv]") {
  // 5x5 image, 2x2 window of ones, stride 1: one row/column of padding, all at the end.
  Tensor x = reshape(Tensor::arange(25, DType::float64), {1, 5, 5, 1});
  Tensor y = nn::conv2d(x, Tensor::ones({2, 2, 1, 1}, DType::float64), 1, "same");
  REQUIRE(y.shape() == Shape{1, 5, 5, 1});
  const auto v = y.to_vector<double>();
  CHECK(v[0] == 0 + 1 + 5 + 6);  // the first window is inside the image
  CHECK(v[24] == 24);            // the last one sees a single pixel
  CHECK(v[4] == 4 + 9);          // top-right: two pixels
  // stride 2 on an even size: ceil(6 / 2) = 3 outputs, total padding 1 -> at the end.
  Tensor x6 = reshape(Tensor::arange(36, DType::float64), {1, 6, 6, 1});
  Tensor y6 = nn::conv2d(x6, Tensor::ones({3, 3, 1, 1}, DType::float64), 2, "same");
  REQUIRE(y6.shape() == Shape{1, 3, 3, 1});
  // output (0, 0) covers rows 0..2 and columns 0..2
  CHECK(y6.to_vector<double>()[0] == 0 + 1 + 2 + 6 + 7 + 8 + 12 + 13 + 14);
  CHECK(nn::conv_output_length(28, 3, 1, "valid") == 26);
  CHECK(nn::conv_output_length(28, 3, 2, "same") == 14);
  CHECK(nn::conv_output_length(7, 3, 2, "valid", 2) == 2);
}

TEST_CASE("Keras's kernel layout [kh, kw, in, out] is the one used", "[conv]") {
  // One input channel into two outputs: output 0 sums the window, output 1 takes its top-left.
  std::vector<double> k(2 * 2 * 1 * 2, 0.0);
  for (int i = 0; i < 4; ++i) k[static_cast<std::size_t>(i * 2)] = 1.0;  // [kh, kw, 0, 0] = 1
  k[1] = 1.0;                                                               // [0, 0, 0, 1] = 1
  Tensor kernel = Tensor::from_vector(k, {2, 2, 1, 2}, DType::float64);
  Tensor x = reshape(Tensor::arange(9, DType::float64), {1, 3, 3, 1});
  CHECK_TENSOR(nn::conv2d(x, kernel), {1, 2, 2, 2}, {8, 0, 12, 1, 20, 3, 24, 4});
}

TEST_CASE("conv1d with valid, same and causal padding", "[conv]") {
  Tensor x = rnd({2, 9, 3}, 3), k = rnd({3, 3, 2}, 4);
  for (const char* pad : {"valid", "same"}) {
    INFO(pad);
    Tensor y = nn::conv1d(x, k, 2, pad);
    Tensor ref = conv2d_ref(reshape(x, {2, 1, 9, 3}), reshape(k, {1, 3, 3, 2}), 1, 2, std::string(pad) == "same", 1, 1);
    CHECK(allclose(y, reshape(ref, {ref.dim(0), ref.dim(2), ref.dim(3)}), 1e-10, 1e-10));
  }
  // causal: output t sees inputs t-2d .. t only
  Tensor xs = reshape(Tensor::arange(6, DType::float64), {1, 6, 1});
  Tensor causal = nn::conv1d(xs, Tensor::ones({3, 1, 1}, DType::float64), 1, "causal", 2);
  CHECK_TENSOR(causal, {1, 6, 1}, {0, 1, 2, 4, 6, 9});  // x[t] + x[t-2] + x[t-4]
}

TEST_CASE("depthwise_conv2d matches per-channel convolutions", "[conv]") {
  Tensor x = rnd({2, 6, 5, 3}, 5), k = rnd({3, 2, 3, 2}, 6);
  for (const char* pad : {"valid", "same"}) {
    INFO(pad);
    Tensor y = nn::depthwise_conv2d(x, k, {2, 1}, pad);
    // channel c, multiplier m == an ordinary convolution of channel c with kernel [:, :, c, m]
    for (std::int64_t c = 0; c < 3; ++c)
      for (std::int64_t m = 0; m < 2; ++m) {
        Tensor xc = slice(x, {0, 0, 0, c}, {2, 6, 5, c + 1});
        Tensor kc = reshape(slice(k, {0, 0, c, m}, {3, 2, c + 1, m + 1}), {3, 2, 1, 1});
        Tensor ref = conv2d_ref(xc, kc, 2, 1, std::string(pad) == "same", 1, 1);
        Tensor got = slice(y, {0, 0, 0, c * 2 + m}, {y.dim(0), y.dim(1), y.dim(2), c * 2 + m + 1});
        CHECK(allclose(got, ref, 1e-10, 1e-10));
      }
  }
}

TEST_CASE("conv2d_transpose is the gradient of conv2d and follows Keras's output sizes", "[conv]") {
  struct Case {
    Shape x;
    std::int64_t k, s;
    const char* padding;
    std::int64_t out;
  };
  for (const Case& c : std::vector<Case>{{{1, 5, 5, 2}, 3, 2, "valid", 11},
                                         {{1, 5, 5, 2}, 3, 2, "same", 10},
                                         {{2, 4, 3, 3}, 2, 3, "valid", 12},
                                         {{1, 3, 3, 1}, 4, 1, "same", 3}}) {
    INFO(c.x << " k " << c.k << " s " << c.s << " " << c.padding);
    Tensor x = rnd(c.x, 7);
    Tensor k = rnd({c.k, c.k, 4, c.x[3]}, 8);  // [kh, kw, out, in]
    Tensor y = nn::conv2d_transpose(x, k, c.s, c.padding);
    REQUIRE(y.shape() == Shape{c.x[0], c.out, c.x[2] * c.s + (std::string(c.padding) == "valid"
                                                                   ? std::max<std::int64_t>(c.k - c.s, 0)
                                                                   : 0),
                               4});
    // <conv2d(z, k), x> = <z, conv2d_transpose(x, k)> for any z: they are adjoint.
    Tensor z = rnd(y.shape(), 9);
    Tensor fwd = nn::conv2d(z, k, c.s, c.padding);
    REQUIRE(fwd.shape() == x.shape());
    CHECK(sum(fwd * x).item<double>() == Approx(sum(z * y).item<double>()).epsilon(1e-10));
  }
}

TEST_CASE("conv2d_transpose with output_padding matches a direct scatter", "[conv]") {
  // Keras's output length: (H - 1) * s + k - 2 * pad + p, pad = k / 2 ("same") or 0 ("valid");
  // each input pixel scatters x * kernel into the rows from i * s - top, where top is TF's
  // padding at the top of the forward convolution: (2 * pad - p) / 2 for "same", 0 for "valid".
  struct Case {
    std::int64_t h, w, k, s;
    const char* padding;
    std::int64_t ph, pw;
  };
  for (const Case& c : std::vector<Case>{{3, 3, 3, 2, "same", 1, 1}, {3, 4, 3, 2, "same", 0, 1},
                                         {2, 3, 3, 3, "valid", 2, 1}, {4, 2, 2, 2, "valid", 1, 0}}) {
    INFO(c.h << "x" << c.w << " k " << c.k << " s " << c.s << " " << c.padding << " p " << c.ph << "," << c.pw);
    const Tensor x = rnd({1, c.h, c.w, 2}, 31), k = rnd({c.k, c.k, 3, 2}, 32);
    const Tensor y = nn::conv2d_transpose(x, k, c.s, c.padding, 1, nn::Size2{c.ph, c.pw});
    const bool same = std::string(c.padding) == "same";
    const std::int64_t pad = same ? c.k / 2 : 0;
    const std::int64_t OH = (c.h - 1) * c.s + c.k - 2 * pad + c.ph, OW = (c.w - 1) * c.s + c.k - 2 * pad + c.pw;
    REQUIRE(y.shape() == Shape{1, OH, OW, 3});
    const std::int64_t top = same ? (2 * pad - c.ph) / 2 : 0, left = same ? (2 * pad - c.pw) / 2 : 0;
    const auto xv = values(x), kv = values(k);
    std::vector<double> want(static_cast<std::size_t>(OH * OW * 3), 0.0);
    for (std::int64_t i = 0; i < c.h; ++i)
      for (std::int64_t j = 0; j < c.w; ++j)
        for (std::int64_t a = 0; a < c.k; ++a)
          for (std::int64_t b = 0; b < c.k; ++b) {
            const std::int64_t r = i * c.s + a - top, q = j * c.s + b - left;
            if (r < 0 || r >= OH || q < 0 || q >= OW) continue;
            for (std::int64_t o = 0; o < 3; ++o)
              for (std::int64_t ci = 0; ci < 2; ++ci)
                want[static_cast<std::size_t>((r * OW + q) * 3 + o)] +=
                    xv[static_cast<std::size_t>((i * c.w + j) * 2 + ci)] *
                    kv[static_cast<std::size_t>(((a * c.k + b) * 3 + o) * 2 + ci)];
          }
    CHECK_TENSOR(y, {1, OH, OW, 3}, want, 1e-12);
  }
  CHECK_THROWS_WITH(nn::conv2d_transpose(rnd({1, 3, 3, 2}, 1), rnd({3, 3, 3, 2}, 2), 2, "same", 1, nn::Size2{2, 0}),
                    Catch::Contains("less than the strides"));
}

TEST_CASE("convolutions gradcheck over strides, paddings, dilations and odd sizes", "[conv][gradcheck]") {
  for (const auto& c : kConvCases) {
    INFO("x " << c.x << " k " << c.k << " " << c.padding << " strides " << c.sh << "," << c.sw);
    CHECK_GRADCHECK(gradcheck(
        [&](const std::vector<Tensor>& in) { return nn::conv2d(in[0], in[1], {c.sh, c.sw}, c.padding, {c.dh, c.dw}); },
        {rnd(c.x, 10), rnd(c.k, 11)}));
  }
  CHECK_GRADCHECK(gradcheck([](const auto& in) { return nn::conv1d(in[0], in[1], 1, "causal", 2); },
                            {rnd({2, 7, 2}, 12), rnd({2, 2, 3}, 13)}));
  CHECK_GRADCHECK(gradcheck([](const auto& in) { return nn::conv1d(in[0], in[1], 2, "same"); },
                            {rnd({1, 7, 2}, 14), rnd({3, 2, 2}, 15)}));
  CHECK_GRADCHECK(gradcheck([](const auto& in) { return nn::depthwise_conv2d(in[0], in[1], 2, "same"); },
                            {rnd({1, 5, 5, 2}, 16), rnd({3, 3, 2, 2}, 17)}));
  CHECK_GRADCHECK(gradcheck([](const auto& in) { return nn::conv2d_transpose(in[0], in[1], 2, "same"); },
                            {rnd({1, 3, 3, 2}, 18), rnd({3, 3, 2, 2}, 19)}));
  CHECK_GRADCHECK(gradcheck([](const auto& in) { return nn::conv2d_transpose(in[0], in[1], {2, 1}, "valid"); },
                            {rnd({1, 3, 2, 1}, 20), rnd({2, 3, 3, 1}, 21)}));
  CHECK_GRADCHECK(gradcheck(
      [](const auto& in) { return nn::conv2d_transpose(in[0], in[1], 2, "same", 1, nn::Size2{1, 0}); },
      {rnd({1, 3, 2, 2}, 27), rnd({3, 3, 2, 2}, 28)}));
  CHECK_GRADCHECK(gradcheck(
      [](const auto& in) { return nn::conv2d_transpose(in[0], in[1], 3, "valid", 1, nn::Size2{2, 1}); },
      {rnd({1, 2, 2, 1}, 29), rnd({2, 2, 2, 1}, 30)}));
  CHECK_GRADCHECK(gradcheck([](const auto& in) { return nn::extract_patches(in[0], {2, 3}, 2, "same"); },
                            {rnd({1, 5, 4, 2}, 22)}));
}

TEST_CASE("convolutions are differentiable twice", "[conv][gradcheck]") {
  CHECK_GRADCHECK(gradgradcheck([](const auto& in) { return square(nn::conv2d(in[0], in[1], 2, "same")); },
                                {rnd({1, 4, 5, 2}, 23), rnd({3, 2, 2, 2}, 24)}));
  CHECK_GRADCHECK(gradgradcheck([](const auto& in) { return tanh(nn::conv2d_transpose(in[0], in[1], 2, "valid")); },
                                {rnd({1, 2, 2, 1}, 25), rnd({3, 3, 2, 1}, 26)}));
}

TEST_CASE("convolution errors name the op and the shapes", "[conv][errors]") {
  Tensor x = Tensor::ones({1, 5, 5, 3});
  CHECK_THROWS_WITH(nn::conv2d(x, Tensor::ones({3, 3, 2, 4})),
                    Catch::Contains("conv2d") && Catch::Contains("[3, 3, 2, 4]") && Catch::Contains("[1, 5, 5, 3]"));
  CHECK_THROWS_AS(nn::conv2d(Tensor::ones({5, 5, 3}), Tensor::ones({3, 3, 3, 4})), ShapeError);
  CHECK_THROWS_AS(nn::conv2d(x, Tensor::ones({3, 3, 3})), ShapeError);
  CHECK_THROWS_AS(nn::conv2d(x, Tensor::ones({7, 7, 3, 1})), ShapeError);  // larger than a 'valid' input
  CHECK_THROWS_AS(nn::conv2d(x, Tensor::ones({3, 3, 3, 1}), 0), ValueError);
  CHECK_THROWS_AS(nn::conv2d(x, Tensor::ones({3, 3, 3, 1}), 1, "full"), ValueError);
  CHECK_THROWS_AS(nn::conv2d(x, Tensor::ones({3, 3, 3, 1}, DType::float64)), DTypeError);
  CHECK_THROWS_AS(nn::conv1d(x, Tensor::ones({3, 3, 1})), ShapeError);
  CHECK_THROWS_AS(nn::depthwise_conv2d(x, Tensor::ones({3, 3, 2, 1})), ShapeError);
  CHECK_THROWS_AS(nn::conv2d_transpose(x, Tensor::ones({3, 3, 4, 2})), ShapeError);
}
