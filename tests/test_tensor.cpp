// Tensor: factories, access, dtypes, printing, Variables, random streams, errors.
#include <sstream>
#include <thread>

#include "support/helpers.hpp"

using namespace strata;

TEST_CASE("Shape stores dimensions inline and on the heap", "[tensor]") {
  Shape s{2, 3, 4};
  CHECK(s.rank() == 3);
  CHECK(s.num_elements() == 24);
  CHECK(s.to_string() == "[2, 3, 4]");
  CHECK(s.dim(-1) == 4);
  CHECK_THROWS_AS(s.dim(3), ValueError);
  Shape big;
  for (int i = 0; i < 10; ++i) big.push_back(i + 1);  // past the inline capacity
  CHECK(big.rank() == 10);
  CHECK(big[9] == 10);
  Shape copy = big;
  Shape moved = std::move(copy);
  CHECK(moved == big);
  moved.insert(0, 7);
  CHECK(moved[0] == 7);
  CHECK(moved.rank() == 11);
  moved.erase(0);
  CHECK(moved == big);
  CHECK(Shape{}.num_elements() == 1);
  CHECK(Shape{-1, 8}.num_elements() == -1);
  CHECK(Shape{-1, 8}.to_string() == "[None, 8]");
}

TEST_CASE("Tensor factories fill shapes and dtypes", "[tensor]") {
  CHECK_TENSOR(Tensor::zeros({2, 2}), {2, 2}, {0, 0, 0, 0});
  CHECK_TENSOR(Tensor::ones({3}, DType::int64), {3}, {1, 1, 1});
  CHECK(Tensor::ones({3}, DType::int64).dtype() == DType::int64);
  CHECK_TENSOR(Tensor::full({2}, 2.5, DType::float64), {2}, {2.5, 2.5});
  CHECK_TENSOR(Tensor::scalar(4.0), {}, {4.0});
  CHECK(Tensor::scalar(4.0).rank() == 0);
  CHECK_TENSOR(Tensor::arange(4), {4}, {0, 1, 2, 3});
  CHECK_TENSOR(Tensor::arange(1, 2, 0.25), {4}, {1, 1.25, 1.5, 1.75});
  CHECK_TENSOR(Tensor::arange(5, 0, -2), {3}, {5, 3, 1});
  CHECK(Tensor::arange(3, 1).size() == 0);
  CHECK_THROWS_AS(Tensor::arange(0, 1, 0), ValueError);
  Tensor t = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3}, DType::int64);
  CHECK(t.shape() == Shape{2, 3});
  CHECK(t.size() == 6);
  CHECK(t.rank() == 2);
  CHECK(t.dim(-1) == 3);
  CHECK(t.nbytes() == 48);
  CHECK(t.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 2, 3, 4, 5, 6});
  CHECK_THROWS_AS(Tensor::from_vector({1, 2, 3}, {2, 2}), ShapeError);
  const float raw[] = {1.5f, -2.0f};
  Tensor f = Tensor::from_data(raw, {2});
  CHECK(f.dtype() == DType::float32);
  CHECK(f.data<float>()[1] == -2.0f);
  CHECK_THROWS_AS(f.data<double>(), DTypeError);
  CHECK(Tensor::zeros({0, 3}).size() == 0);
}

TEST_CASE("item, to_vector and astype convert values", "[tensor]") {
  CHECK(Tensor::scalar(2.75).item<double>() == 2.75);
  CHECK(Tensor::scalar(2.75).item<int>() == 2);
  CHECK_THROWS_AS(Tensor::ones({2}).item<float>(), ValueError);
  Tensor x = Tensor::from_vector({1.5, -2.5, 3.25}, {3}, DType::float64);
  Tensor i = x.astype(DType::int64);
  CHECK(i.dtype() == DType::int64);
  CHECK(i.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, -2, 3});
  Tensor f = x.astype(DType::float32);
  CHECK(f.to_vector<float>() == std::vector<float>{1.5f, -2.5f, 3.25f});
  CHECK(x.astype(DType::float64).is_same(x));
}

TEST_CASE("Tensors are immutable values: copies share, writes copy", "[tensor]") {
  Tensor a = Tensor::from_vector({1, 2, 3}, {3});
  Tensor b = a;
  CHECK(b.is_same(a));
  CHECK(b.id() == a.id());
  float* p = b.mutable_data<float>();  // b is shared with a: b gets its own copy first
  p[0] = 100;
  CHECK(a.to_vector<float>()[0] == 1.0f);
  CHECK(b.to_vector<float>()[0] == 100.0f);
  CHECK_FALSE(b.is_same(a));
  Tensor c = a.clone();
  CHECK_FALSE(c.is_same(a));
  CHECK(array_equal(c, a));
  CHECK(allclose(a, a + 1e-7));
  CHECK_FALSE(allclose(a, a + 1.0));
}

TEST_CASE("Undefined tensors throw instead of crashing", "[tensor]") {
  Tensor t;
  CHECK_FALSE(t.defined());
  CHECK_THROWS_AS(t.shape(), ValueError);
  CHECK_THROWS_AS(t + t, ValueError);
  CHECK(t.to_string() == "Tensor(undefined)");
}

TEST_CASE("Tensors print like NumPy with shape and dtype", "[tensor]") {
  CHECK(Tensor::from_vector({1, 2, 3, 4}, {2, 2}).to_string() ==
        "Tensor([[1., 2.],\n        [3., 4.]], shape=[2, 2], dtype=float32)");
  CHECK(Tensor::from_vector({0.5, -1.25}, {2}, DType::float64).to_string() ==
        "Tensor([ 0.5000, -1.2500], shape=[2], dtype=float64)");
  CHECK(Tensor::scalar(3, DType::int64).to_string() == "Tensor(3, shape=[], dtype=int64)");
  CHECK(Tensor::zeros({0}).to_string() == "Tensor([], shape=[0], dtype=float32)");
  const std::string big = Tensor::arange(5000).to_string();
  CHECK(big == "Tensor([   0.,    1.,    2., ..., 4997., 4998., 4999.], shape=[5000], dtype=float32)");
  std::ostringstream os;
  os << Tensor::ones({1});
  CHECK(os.str() == "Tensor([1.], shape=[1], dtype=float32)");
  const std::string nan = Tensor::from_vector({std::nan(""), 1e10}, {2}).to_string();
  CHECK(nan.find("nan") != std::string::npos);
  CHECK(nan.find("e+10") != std::string::npos);
}

TEST_CASE("set_seed fixes every random stream", "[tensor][random]") {
  set_seed(7);
  Tensor a = Tensor::random_normal({1000});
  Tensor u = Tensor::random_uniform({1000}, -1, 1, DType::float64);
  set_seed(7);
  Tensor b = Tensor::random_normal({1000});
  Tensor v = Tensor::random_uniform({1000}, -1, 1, DType::float64);
  CHECK(array_equal(a, b));
  CHECK(array_equal(u, v));
  // moments of the samples
  const auto va = a.to_vector<double>();
  double m = 0, s = 0;
  for (double x : va) m += x;
  m /= 1000;
  for (double x : va) s += (x - m) * (x - m);
  s = std::sqrt(s / 1000);
  CHECK(std::fabs(m) < 0.1);
  CHECK(std::fabs(s - 1.0) < 0.1);
  for (double x : v.to_vector<double>()) {
    CHECK(x >= -1.0);
    CHECK(x < 1.0);
  }
  Tensor ints = Tensor::random_uniform({500}, 0, 10, DType::int64);
  for (auto k : ints.to_vector<std::int64_t>()) {
    CHECK(k >= 0);
    CHECK(k < 10);
  }
  Generator g1(3), g2(3);
  CHECK(array_equal(Tensor::random_normal({5}, 0, 1, DType::float32, g1),
                    Tensor::random_normal({5}, 0, 1, DType::float32, g2)));
  CHECK_THROWS_AS(Tensor::random_uniform({2}, 1, 1), ValueError);
}

TEST_CASE("Variable holds a named mutable value and updates it in place", "[variable]") {
  Variable v(Tensor::from_vector({1, 2}, {2}), "w");
  CHECK(v.name() == "w");
  CHECK(v.trainable());
  CHECK(v.shape() == Shape{2});
  const float* before = v.value().data<float>();
  v.assign_add(Tensor::from_vector({1, 1}, {2}));
  CHECK_TENSOR(v.value(), {2}, {2, 3});
  CHECK(v.value().data<float>() == before);  // no other holder: same storage
  Tensor snapshot = v.value();
  v.assign_sub(Tensor::from_vector({2, 2}, {2}));
  CHECK_TENSOR(v.value(), {2}, {0, 1});
  CHECK_TENSOR(snapshot, {2}, {2, 3});  // the snapshot keeps its values
  Variable alias = v;                     // a handle to the same variable
  alias.assign(Tensor::from_vector({5, 6}, {2}));
  CHECK_TENSOR(v.value(), {2}, {5, 6});
  CHECK(alias.is_same(v));
  CHECK_TENSOR(v * 2.0, {2}, {10, 12});   // reads like a Tensor
  CHECK_THROWS_AS(v.assign(Tensor::ones({3})), ShapeError);
  CHECK_THROWS_AS(v.assign(Tensor::ones({2}, DType::float64)), DTypeError);
  float* p = v.mutable_data<float>();
  p[0] = -1;
  CHECK(v.value().to_vector<float>()[0] == -1.0f);
  // A tensor given to a Variable is copied if anyone else still holds it.
  Tensor init = Tensor::ones({2});
  Variable w(init, "w2");
  w.assign(Tensor::zeros({2}));
  CHECK_TENSOR(init, {2}, {1, 1});
}

TEST_CASE("a tensor larger than the limit throws instead of exhausting memory", "[tensor][errors]") {
  const std::uint64_t saved = max_tensor_bytes();
  set_max_tensor_bytes(1024);
  CHECK_NOTHROW(Tensor::zeros({256}));  // exactly 1024 bytes
  CHECK_THROWS_WITH(Tensor::zeros({257}), Catch::Contains("[257]") && Catch::Contains("set_max_tensor_bytes"));
  CHECK_THROWS_AS(Tensor::ones({16, 16}, DType::float64), ValueError);
  set_max_tensor_bytes(saved);
  CHECK_THROWS_WITH(Tensor::zeros({std::int64_t(1) << 40, std::int64_t(1) << 40}), Catch::Contains("overflows"));
  CHECK_THROWS_AS(set_max_tensor_bytes(0), ValueError);
  CHECK(max_tensor_bytes() == saved);
}

TEST_CASE("an out-of-range DType value is a DTypeError, not a crash", "[tensor][errors]") {
  const auto bad = static_cast<DType>(99);
  CHECK_THROWS_AS(Tensor::zeros({2, 3}, bad), DTypeError);
  CHECK_THROWS_WITH(Tensor::ones({2}, bad), Catch::Contains("invalid dtype value 99"));
  CHECK_THROWS_AS(Tensor::from_vector({1, 2}, {2}, bad), DTypeError);
  CHECK_THROWS_AS(cast(Tensor::ones({2}), bad), DTypeError);
  CHECK_THROWS_AS(dtype_size(bad), DTypeError);
  CHECK(std::string(dtype_name(bad)) == "invalid");
}

TEST_CASE("literal vectors of repeated values reach the tensor intact", "[tensor]") {
  // GCC 12 with -march=native miscompiled this initializer (1, 1, 1, 1) until meson.build turned
  // off its SLP vectorizer for that compiler.
  const std::vector<double> v{1, 1, 0, 0};
  CHECK(v == std::vector<double>({1.0, 1.0, 0.0, 0.0}));
  CHECK((v[2] == 0.0 && v[3] == 0.0));
  CHECK(Tensor::from_vector({1, 1, 0, 0}, {2, 2}).to_vector<double>()[3] == 0.0);
  CHECK(Tensor::from_vector({0, 0, 1, 1, 0, 0, 1, 1}, {8}).to_vector<double>()[5] == 0.0);
}
