// Datasets and file loaders (IDX gzipped and raw, CSV), including malformed files, and the
// real Fashion-MNIST from Debian's package.
#include <zlib.h>

#include <fstream>
#include <limits>
#include <set>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {
void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string idx_bytes(unsigned char type, const std::vector<std::uint32_t>& dims, const std::string& payload) {
  std::string s = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (auto d : dims)
    for (int k = 3; k >= 0; --k) s += static_cast<char>((d >> (8 * k)) & 0xff);
  return s + payload;
}

std::string gzip(const std::string& data) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(compressBound(static_cast<uLong>(data.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}
}  // namespace

TEST_CASE("datasets batch, shuffle per pass, map and take", "[data]") {
  Tensor x = reshape(Tensor::arange(20), {10, 2});
  Tensor y = Tensor::arange(10, DType::int64);
  auto ds = data::Dataset::from_tensors({x, y}).batch(4);
  CHECK(ds.cardinality() == 3);
  std::vector<std::int64_t> sizes;
  for (const auto& b : ds) {
    sizes.push_back(b[0].dim(0));
    CHECK(b[1].dim(0) == b[0].dim(0));
  }
  CHECK(sizes == std::vector<std::int64_t>{4, 4, 2});
  CHECK(data::Dataset::from_tensors({x, y}).batch(4, true).cardinality() == 2);
  // shuffling: every example once per pass, a new order each pass, the same orders per seed
  auto sh = data::Dataset::from_tensors({y}).shuffle(7).batch(10);
  const auto p1 = (*sh.begin())[0].to_vector<std::int64_t>();
  const auto p2 = (*sh.begin())[0].to_vector<std::int64_t>();
  CHECK(std::set<std::int64_t>(p1.begin(), p1.end()).size() == 10);
  CHECK(p1 != p2);
  auto again = data::Dataset::from_tensors({y}).shuffle(7).batch(10);
  CHECK((*again.begin())[0].to_vector<std::int64_t>() == p1);
  // rows stay aligned across components
  auto pairs = data::Dataset::from_tensors({x, y}).shuffle(3).batch(5);
  for (const auto& b : pairs) {
    const auto xv = b[0].to_vector<double>();
    const auto yv = b[1].to_vector<std::int64_t>();
    for (std::size_t i = 0; i < yv.size(); ++i) CHECK(xv[2 * i] == 2.0 * yv[i]);
  }
  auto mapped = data::Dataset::from_tensors({x}).batch(5).map([](const data::Dataset::Batch& b) {
    return data::Dataset::Batch{b[0] * 10.0};
  });
  CHECK_TENSOR((*mapped.begin())[0], {5, 2}, {0, 10, 20, 30, 40, 50, 60, 70, 80, 90});
  CHECK(data::Dataset::from_tensors({x}).take(3).batch(2).cardinality() == 2);
  auto single = data::Dataset::from_tensors({x});
  CHECK((*single.begin())[0].shape() == Shape{2});
  CHECK_THROWS_AS(data::Dataset::from_tensors({x, Tensor::arange(3)}), ShapeError);
  CHECK_THROWS_AS(ds.batch(2), ValueError);
  CHECK_THROWS_AS(data::Dataset::from_tensors({x}).batch(0), ValueError);
}

TEST_CASE("IDX files, gzipped or not, and their errors", "[data][idx]") {
  const std::string payload = {1, 2, 3, 4, 5, 6};
  write_bytes(temp_path("t_u8.idx"), idx_bytes(0x08, {2, 3}, payload));
  CHECK_TENSOR(data::load_idx(temp_path("t_u8.idx")), {2, 3}, {1, 2, 3, 4, 5, 6});
  write_bytes(temp_path("t_u8.idx.gz"), gzip(idx_bytes(0x08, {3, 2}, payload)));
  Tensor g = data::load_idx(temp_path("t_u8.idx.gz"), DType::int64);
  CHECK(g.dtype() == DType::int64);
  CHECK_TENSOR(g, {3, 2}, {1, 2, 3, 4, 5, 6});
  // big-endian 32-bit ints and floats
  write_bytes(temp_path("t_i32.idx"), idx_bytes(0x0C, {2}, std::string("\x00\x00\x01\x00\xff\xff\xff\xfe", 8)));
  CHECK_TENSOR(data::load_idx(temp_path("t_i32.idx")), {2}, {256, -2});
  write_bytes(temp_path("t_f32.idx"), idx_bytes(0x0D, {1}, std::string("\x3f\xc0\x00\x00", 4)));
  CHECK_TENSOR(data::load_idx(temp_path("t_f32.idx")), {1}, {1.5});
  // errors name the file and what is wrong
  CHECK_THROWS_WITH(data::load_idx("no_such_file.idx"), Catch::Contains("no_such_file.idx"));
  write_bytes(temp_path("t_trunc.idx"), idx_bytes(0x08, {2, 3}, std::string(4, 'x')));
  CHECK_THROWS_WITH(data::load_idx(temp_path("t_trunc.idx")), Catch::Contains("t_trunc.idx") && Catch::Contains("truncated"));
  write_bytes(temp_path("t_magic.idx"), "\x01\x02\x08\x01\x00\x00\x00\x01x");
  CHECK_THROWS_WITH(data::load_idx(temp_path("t_magic.idx")), Catch::Contains("magic"));
  write_bytes(temp_path("t_huge.idx"), idx_bytes(0x08, {0xffffffu, 0xffffffu, 0xffffu}, ""));
  CHECK_THROWS_AS(data::load_idx(temp_path("t_huge.idx")), IOError);
  const std::string gz = gzip(idx_bytes(0x08, {2, 3}, payload));
  write_bytes(temp_path("t_trunc.gz"), gz.substr(0, gz.size() / 2));
  CHECK_THROWS_WITH(data::load_idx(temp_path("t_trunc.gz")), Catch::Contains("t_trunc.gz"));
}

TEST_CASE("CSV files", "[data][csv]") {
  write_bytes(temp_path("t.csv"), "a,b,c\n1,2,3\n4.5,-5,6e1\n");
  auto c = data::load_csv(temp_path("t.csv"));
  CHECK(c.header == std::vector<std::string>{"a", "b", "c"});
  CHECK_TENSOR(c.values, {2, 3}, {1, 2, 3, 4.5, -5, 60});
  write_bytes(temp_path("t2.csv"), "1;2\n3;4\n");
  CHECK_TENSOR(data::load_csv(temp_path("t2.csv"), false, ';').values, {2, 2}, {1, 2, 3, 4});
  write_bytes(temp_path("t_bad.csv"), "a,b\n1,x\n");
  CHECK_THROWS_WITH(data::load_csv(temp_path("t_bad.csv")), Catch::Contains("t_bad.csv") && Catch::Contains("line 2") &&
                                                     Catch::Contains("'x'"));
  write_bytes(temp_path("t_ragged.csv"), "a,b\n1,2\n3\n");
  CHECK_THROWS_AS(data::load_csv(temp_path("t_ragged.csv")), IOError);
  CHECK_THROWS_AS(data::load_csv("missing.csv"), IOError);
}

TEST_CASE("Fashion-MNIST from Debian's package", "[data][fashion]") {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  INFO("needs Debian's dataset-fashion-mnist (./run.sh test installs it)");
  REQUIRE(std::ifstream(dir + "/t10k-labels-idx1-ubyte.gz").good());
  auto fm = data::load_fashion_mnist(dir);
  CHECK(fm.x_train.shape() == Shape{60000, 28, 28});
  CHECK(fm.y_train.shape() == Shape{60000});
  CHECK(fm.x_test.shape() == Shape{10000, 28, 28});
  CHECK(fm.y_test.dtype() == DType::int64);
  CHECK(max(fm.x_train).item<double>() == Approx(1.0));
  CHECK(min(fm.x_train).item<double>() == 0.0);
  // the test set is balanced: 1000 of each class
  for (int k = 0; k < 10; ++k) CHECK(sum(equal(fm.y_test, static_cast<double>(k))).item<std::int64_t>() == 1000);
  CHECK(data::fashion_mnist_class_names()[9] == "Ankle boot");
  CHECK_THROWS_WITH(data::load_fashion_mnist("/nonexistent"), Catch::Contains("/nonexistent"));
}

TEST_CASE("int64 CSV tables keep every digit and refuse what is no int64", "[data][csv][errors]") {
  write_bytes(temp_path("i.csv"), "9007199254740993,-9223372036854775808\n1,2\n");
  const Tensor t = data::load_csv(temp_path("i.csv"), false, ',', DType::int64).values;
  const auto v = t.to_vector<std::int64_t>();
  CHECK(v[0] == 9007199254740993LL);  // 2^53 + 1: a double would round it
  CHECK(v[1] == std::numeric_limits<std::int64_t>::min());
  write_bytes(temp_path("frac.csv"), "1,1.5\n");
  CHECK_THROWS_WITH(data::load_csv(temp_path("frac.csv"), false, ',', DType::int64),
                    Catch::Contains("'1.5' is not an integer"));
  write_bytes(temp_path("big.csv"), "9223372036854775808\n");
  CHECK_THROWS_WITH(data::load_csv(temp_path("big.csv"), false, ',', DType::int64),
                    Catch::Contains("does not fit int64"));
}
