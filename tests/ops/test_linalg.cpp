// matmul (plain, transposed, batched with broadcasting, vectors) and transpose.
#include <cmath>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {

/// Naive reference for 2-D op(a) @ op(b) (a is [K, M] when ta, b is [N, K] when tb); `bound`,
/// if given, receives sum_k |a_ik b_kj| per element (for the rounding-error bound).
std::vector<double> naive(const std::vector<double>& a, const std::vector<double>& b, std::int64_t M, std::int64_t K,
                          std::int64_t N, bool ta = false, bool tb = false, std::vector<double>* bound = nullptr) {
  std::vector<double> c(static_cast<std::size_t>(M * N), 0.0);
  if (bound) bound->assign(c.size(), 0.0);
  for (std::int64_t i = 0; i < M; ++i)
    for (std::int64_t j = 0; j < N; ++j)
      for (std::int64_t k = 0; k < K; ++k) {
        const double p = a[static_cast<std::size_t>(ta ? k * M + i : i * K + k)] *
                         b[static_cast<std::size_t>(tb ? j * K + k : k * N + j)];
        c[static_cast<std::size_t>(i * N + j)] += p;
        if (bound) (*bound)[static_cast<std::size_t>(i * N + j)] += std::abs(p);
      }
  return c;
}
}  // namespace

TEST_CASE("matmul of matrices against a naive loop", "[linalg]") {
  Tensor a = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = Tensor::from_vector({7, 8, 9, 10, 11, 12}, {3, 2});
  CHECK_TENSOR(matmul(a, b), {2, 2}, {58, 64, 139, 154});
  for (DType dt : {DType::float32, DType::float64, DType::int64}) {
    Tensor x = (rnd({5, 7}, 1) * 4.0).astype(dt), y = (rnd({7, 3}, 2) * 4.0).astype(dt);
    CHECK_TENSOR(matmul(x, y), {5, 3}, naive(x.to_vector<double>(), y.to_vector<double>(), 5, 7, 3), 1e-5);
  }
}

TEST_CASE("matmul transpose flags equal materialised transposes", "[linalg]") {
  Tensor a = rnd({4, 3}, 3), b = rnd({5, 4}, 4);
  CHECK(allclose(matmul(a, b, true, true), matmul(transpose(a), transpose(b)), 1e-12));
  CHECK(allclose(matmul(a, a, true, false), matmul(transpose(a), a), 1e-12));
  CHECK(allclose(matmul(b, a, false, false), matmul(b, a), 1e-12));
  CHECK(allclose(matmul(a, a, false, true), matmul(a, transpose(a)), 1e-12));
}

TEST_CASE("matmul with a short inner dimension or a small output over a long one", "[linalg]") {
  // strata's own kernels take these shapes (K <= 16, or M * N small with K >= 4096); the
  // others go to BLAS. Every transpose, odd sizes, both float types, against a double loop
  // with the usual rounding bound |error| <= 2 K eps sum_k |a_ik b_kj|.
  struct Case {
    std::int64_t M, K, N;
  };
  const std::vector<Case> cases = {{300, 9, 37}, {64, 1, 16}, {130, 16, 5}, {1000, 3, 33}, {5, 9, 40},
                                   {9, 5000, 32}, {3, 4097, 17}, {1, 8193, 1}, {16, 4500, 64}, {40, 4096, 40},
                                   {64, 9, 5000}};  // (the last: op(B) too big to pack, so BLAS)
  for (DType dt : {DType::float32, DType::float64}) {
    const double eps = dt == DType::float32 ? 1.2e-7 : 2.3e-16;
    for (const Case& c : cases)
      for (bool ta : {false, true})
        for (bool tb : {false, true}) {
          INFO(dtype_name(dt) << " M=" << c.M << " K=" << c.K << " N=" << c.N << " ta=" << ta << " tb=" << tb);
          const Tensor a = rnd(ta ? Shape{c.K, c.M} : Shape{c.M, c.K}, 21).astype(dt);
          const Tensor b = rnd(tb ? Shape{c.N, c.K} : Shape{c.K, c.N}, 22).astype(dt);
          const Tensor out = matmul(a, b, ta, tb);
          REQUIRE(out.shape() == Shape{c.M, c.N});
          std::vector<double> bound;
          const std::vector<double> ref =
              naive(a.to_vector<double>(), b.to_vector<double>(), c.M, c.K, c.N, ta, tb, &bound);
          const std::vector<double> ov = out.to_vector<double>();
          bool ok = true;
          for (std::size_t e = 0; e < ov.size() && ok; ++e)
            if (std::abs(ov[e] - ref[e]) > 2 * static_cast<double>(c.K) * eps * bound[e] + 1e-300) {
              ok = false;
              FAIL_CHECK("C[" << e / c.N << ", " << e % c.N << "] = " << ov[e] << ", expected " << ref[e]);
            }
          CHECK(ok);
        }
  }
  // (its gradients: rows of the matmul gradcheck table)
}

TEST_CASE("batched matmul broadcasts batch dimensions", "[linalg]") {
  Tensor a = rnd({2, 1, 3, 4}, 5), b = rnd({5, 4, 2}, 6);
  Tensor c = matmul(a, b);
  REQUIRE(c.shape() == Shape{2, 5, 3, 2});
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 5; ++j) {
      Tensor ai = reshape(slice(a, {i, 0}, {i + 1, 1}), {3, 4});
      Tensor bj = reshape(slice(b, {j}, {j + 1}), {4, 2});
      Tensor cij = reshape(slice(c, {i, j}, {i + 1, j + 1}), {3, 2});
      CHECK(allclose(cij, matmul(ai, bj), 1e-12));
    }
  // [..., M, K] @ [K, N] folds into one gemm
  Tensor x = rnd({2, 3, 4}, 7), w = rnd({4, 5}, 8);
  CHECK(allclose(reshape(matmul(x, w), {6, 5}), matmul(reshape(x, {6, 4}), w), 1e-12));
}

TEST_CASE("matmul promotes vectors like numpy.matmul", "[linalg]") {
  Tensor m = Tensor::from_vector({1, 2, 3, 4}, {2, 2});
  Tensor v = Tensor::from_vector({1, 1}, {2});
  CHECK_TENSOR(matmul(m, v), {2}, {3, 7});
  CHECK_TENSOR(matmul(v, m), {2}, {4, 6});
  CHECK_TENSOR(matmul(v, v), {}, {2});
}

TEST_CASE("matmul gradcheck: plain, transposed, batched, broadcast", "[linalg][gradcheck]") {
  struct Case {
    Shape a, b;
    bool ta, tb;
  };
  const std::vector<Case> cases = {
      {{3, 4}, {4, 2}, false, false}, {{4, 3}, {4, 2}, true, false}, {{3, 4}, {2, 4}, false, true},
      {{4, 3}, {2, 4}, true, true},   {{2, 3, 4}, {4, 5}, false, false}, {{2, 3, 4}, {5, 4}, false, true},
      {{2, 4, 3}, {4, 5}, true, false}, {{2, 1, 3, 4}, {3, 4, 2}, false, false}, {{4}, {4, 3}, false, false},
      {{3, 4}, {4}, false, false},
      // strata's short-K kernel (K <= 16 with at least 16 rows in float64), forward and backward
      {{40, 3}, {3, 7}, false, false}, {{5, 33}, {6, 5}, true, true}, {{3, 20}, {3, 6}, true, false},
      // and the long-K kernel: dB = A^T dC is [2, 4100] @ [4100, 3]
      {{4100, 2}, {2, 3}, false, false},
  };
  for (const auto& c : cases) {
    INFO(c.a << (c.ta ? "^T" : "") << " @ " << c.b << (c.tb ? "^T" : ""));
    CHECK_GRADCHECK(gradcheck([&](const std::vector<Tensor>& in) { return matmul(in[0], in[1], c.ta, c.tb); },
                              {rnd(c.a, 9), rnd(c.b, 10)}));
  }
  CHECK_GRADCHECK(gradgradcheck([](const std::vector<Tensor>& in) { return matmul(in[0], in[1]); },
                                {rnd({2, 3}, 11), rnd({3, 2}, 12)}));
}

TEST_CASE("matmul only computes the gradients that are needed", "[linalg]") {
  // The first layer's input is not watched: its gradient is never asked for.
  Tensor x = rnd({3, 4}, 13);
  Variable w(rnd({4, 2}, 14), "w");
  GradientTape tape;
  Tensor y = sum(matmul(x, w));
  auto g = tape.gradient(y, {w});
  CHECK(allclose(g[0], matmul(transpose(x), Tensor::ones({3, 2}, DType::float64)), 1e-12));
}

TEST_CASE("transpose and permute", "[linalg]") {
  Tensor x = Tensor::arange(24).astype(DType::float64);
  Tensor y = transpose(reshape(x, {2, 3, 4}), {2, 0, 1});
  REQUIRE(y.shape() == Shape{4, 2, 3});
  // y[k, i, j] = x[i, j, k] = 12 i + 4 j + k
  std::vector<double> e;
  for (int k = 0; k < 4; ++k)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j) e.push_back(12 * i + 4 * j + k);
  CHECK_TENSOR(y, {4, 2, 3}, e);
  CHECK_TENSOR(transpose(Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3})), {3, 2}, {1, 4, 2, 5, 3, 6});
  Tensor big = rnd({70, 45}, 15);
  CHECK(allclose(transpose(transpose(big)), big, 0, 0));
  CHECK(array_equal(permute(reshape(x, {2, 3, 4}), {1, 0, 2}), transpose(reshape(x, {2, 3, 4}), {1, 0, 2})));
  CHECK_GRADCHECK(gradcheck([](const std::vector<Tensor>& in) { return transpose(in[0], {1, 2, 0}) * 2.0; },
                            {rnd({2, 3, 4}, 16)}));
}

TEST_CASE("matmul and transpose errors name the shapes", "[linalg][errors]") {
  CHECK_THROWS_WITH(matmul(Tensor::ones({2, 3}), Tensor::ones({4, 5})),
                    Catch::Contains("[2, 3]") && Catch::Contains("[4, 5]") && Catch::Contains("matmul"));
  CHECK_THROWS_AS(matmul(Tensor::ones({2, 3, 4}), Tensor::ones({3, 4, 5})), ShapeError);  // batch 2 vs 3
  CHECK_THROWS_AS(matmul(Tensor::ones({2}), Tensor::ones({3})), ShapeError);
  CHECK_THROWS_AS(matmul(Tensor::scalar(1), Tensor::ones({3})), ShapeError);
  CHECK_THROWS_AS(matmul(Tensor::ones({2, 2}), Tensor::ones({2, 2}, DType::float64)), DTypeError);
  CHECK_THROWS_AS(transpose(Tensor::ones({2, 3}), {0}), ValueError);
  CHECK_THROWS_AS(transpose(Tensor::ones({2, 3}), {0, 0}), ValueError);
}
