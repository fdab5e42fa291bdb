// .npy / .npz against NumPy itself: fixtures made by tests/fixtures/make_npy_fixtures.py load
// with the right values, files strata writes load in NumPy (python3-numpy, run here), and
// malformed input throws IOError naming the file and the problem.
#include <fstream>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f << bytes;
}

/// Runs Python code with NumPy on the files; returns what it printed.
std::string numpy_says(const std::string& code) {
  const auto [status, out] = run_command("/usr/bin/python3 -c \"import numpy as np; " + code + "\"");
  INFO(out);
  REQUIRE(status == 0);
  return out;
}

}  // namespace

TEST_CASE("npy files written by NumPy load with their values and dtypes", "[io][npy]") {
  const Tensor a = io::load_npy(fixture("npy/f4_2x3.npy"));
  CHECK(a.dtype() == DType::float32);
  CHECK(a.shape() == Shape{2, 3});
  CHECK(values(a) == std::vector<double>{0, 0.5, 1, 1.5, 2, 2.5});
  const Tensor s = io::load_npy(fixture("npy/f8_scalar.npy"));
  CHECK((s.dtype() == DType::float64 && s.rank() == 0 && s.item<double>() == 3.25));
  const Tensor i = io::load_npy(fixture("npy/i8_5.npy"));
  CHECK((i.dtype() == DType::int64 && values(i) == std::vector<double>{-2, -1, 0, 1, 2}));
  // widened: float16 -> float32 (exact), bool / uint8 / int32 -> int64
  CHECK(values(io::load_npy(fixture("npy/f2_4.npy"))) == std::vector<double>{1.5, -2.0, 65504.0, 6.103515625e-05});
  CHECK(values(io::load_npy(fixture("npy/b1_4.npy"))) == std::vector<double>{1, 0, 1, 1});
  const Tensor u = io::load_npy(fixture("npy/u1_2x2.npy"));
  CHECK((u.dtype() == DType::int64 && u.shape() == Shape{2, 2} && values(u) == std::vector<double>{0, 255, 7, 128}));
  CHECK(values(io::load_npy(fixture("npy/i4_3.npy"))) == std::vector<double>{-7, 0, 2147483647});
  CHECK(io::load_npy(fixture("npy/f4_0x3.npy")).shape() == Shape{0, 3});
  // format version 2 (4-byte header length)
  CHECK(values(io::load_npy(fixture("npy/f8_v2.npy"))) == std::vector<double>{0, 1, 2, 3});
}

TEST_CASE("npz archives from numpy.savez and savez_compressed", "[io][npy]") {
  for (const char* name : {"npy/two.npz", "npy/two_compressed.npz"}) {
    INFO(name);
    const io::NamedTensors arrays = io::load_npz(fixture(name));
    REQUIRE(arrays.size() == 2);
    CHECK(arrays[0].first == "w");
    CHECK(arrays[0].second.shape() == Shape{3, 2});
    CHECK(values(arrays[0].second) == std::vector<double>{0, 1, 2, 3, 4, 5});
    CHECK(arrays[1].first == "b");
    CHECK((arrays[1].second.dtype() == DType::int64 && values(arrays[1].second) == std::vector<double>{1, 2}));
  }
}

TEST_CASE("npy and npz round trip in strata, and load in NumPy", "[io][npy]") {
  const Tensor f32 = Tensor::from_vector({1.5, -2, 3.25, 4, 5, 6}, {2, 1, 3});
  const Tensor f64 = Tensor::from_vector({0.1, 1e-300, -7}, {3}, DType::float64);
  const Tensor i64 = Tensor::from_vector({-9007199254740991.0, 0, 42}, {3, 1}, DType::int64);
  const Tensor scalar = Tensor::scalar(2.5);
  const Tensor empty = Tensor::zeros({0, 4});
  int k = 0;
  for (const Tensor& t : {f32, f64, i64, scalar, empty}) {
    const std::string path = temp_path("rt" + std::to_string(k++) + ".npy");
    io::save_npy(path, t);
    const Tensor back = io::load_npy(path);
    CHECK(back.dtype() == t.dtype());
    CHECK(back.shape() == t.shape());
    CHECK(array_equal(back, t));
  }
  // NumPy reads what strata wrote: dtype, shape, C order and values
  const std::string p = temp_path("for_numpy.npy");
  io::save_npy(p, f32);
  CHECK(numpy_says("a = np.load('" + p + "'); print(a.dtype, a.shape, a.flags.c_contiguous, a.ravel().tolist())") ==
        "float32 (2, 1, 3) True [1.5, -2.0, 3.25, 4.0, 5.0, 6.0]\n");
  const std::string p1 = temp_path("for_numpy_1d.npy");
  io::save_npy(p1, Tensor::from_vector({1, 2, 3}, {3}, DType::int64));
  CHECK(numpy_says("a = np.load('" + p1 + "'); print(a.dtype, a.shape, a.tolist())") == "int64 (3,) [1, 2, 3]\n");
  const std::string z = temp_path("arrays.npz");
  for (bool compressed : {false, true}) {
    io::save_npz(z, {{"w", f32}, {"b", i64}}, compressed);
    const io::NamedTensors back = io::load_npz(z);
    REQUIRE(back.size() == 2);
    CHECK((back[0].first == "w" && array_equal(back[0].second, f32)));
    CHECK((back[1].first == "b" && array_equal(back[1].second, i64)));
    CHECK(numpy_says("d = np.load('" + z + "'); print(sorted(d.files), d['w'].dtype, d['b'].ravel().tolist())") ==
          "['b', 'w'] float32 [-9007199254740991, 0, 42]\n");
  }
  CHECK_THROWS_AS(io::save_npz(z, {{"w", f32}, {"w", f64}}), ValueError);
}

TEST_CASE("malformed npy and npz input throws IOError naming the file and the problem", "[io][npy][errors]") {
  CHECK_THROWS_WITH(io::load_npy(temp_path("missing.npy")), Catch::Contains("missing.npy"));
  CHECK_THROWS_WITH(io::load_npy(fixture("npy/f4_big_endian.npy")), Catch::Contains("big-endian"));
  CHECK_THROWS_WITH(io::load_npy(fixture("npy/f4_fortran.npy")), Catch::Contains("Fortran"));
  CHECK_THROWS_WITH(io::load_npy(fixture("npy/c8_complex.npy")), Catch::Contains("<c8"));
  const std::string good = slurp(fixture("npy/f4_2x3.npy"));
  auto throws = [](const std::string& bytes, const std::string& what) {
    INFO(what);
    CHECK_THROWS_AS(io::npy_from_bytes(bytes, "case.npy"), IOError);
    CHECK_THROWS_WITH(io::npy_from_bytes(bytes, "case.npy"), Catch::Contains("case.npy") && Catch::Contains(what));
  };
  throws("", "bad magic");
  throws("GIF89a....", "bad magic");
  throws(good.substr(0, 20), "truncated .npy header");
  throws(good.substr(0, good.size() - 1), "truncated .npy data");
  throws(good + "x", "unexpected bytes");
  // header edits: absurd shape (no allocation happens), a bad dict, an unknown key, bad version
  auto with_header = [&](std::string dict) {
    std::string h = dict;
    while ((10 + h.size() + 1) % 64) h += ' ';
    h += '\n';
    std::string b = good.substr(0, 8);
    b += static_cast<char>(h.size() & 0xff);
    b += static_cast<char>(h.size() >> 8);
    return b + h;
  };
  throws(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }"),
         "absurd");
  throws(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776,), }"), "truncated .npy data");
  throws(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3 }"), "malformed");
  throws(with_header("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }"), "True or False");
  throws(with_header("{'descr': '<f4', 'shape': (2,), 'extra': 1}"), "unexpected key");
  throws(with_header("{'descr': '<f4', 'shape': (2,), }"), "lacks");
  std::string v9 = good;
  v9[6] = 9;
  throws(v9, "version 9");
  // npz: not a zip, a corrupt entry (CRC), a bad array inside
  CHECK_THROWS_AS(io::npz_from_bytes(good, "a.npz"), IOError);
  std::string zip = slurp(fixture("npy/two.npz"));
  const std::size_t at = zip.find("NUMPY");
  REQUIRE(at != std::string::npos);
  std::string corrupt = zip;
  corrupt[at + 70] ^= 0x55;  // inside the first array's data
  CHECK_THROWS_AS(io::npz_from_bytes(corrupt, "c.npz"), IOError);
  CHECK_THROWS_WITH(io::npz_from_bytes(zip.substr(0, zip.size() / 2), "half.npz"), Catch::Contains("half.npz"));
  // a failed save leaves no file behind and names the path
  CHECK_THROWS_WITH(io::save_npy(temp_path("no/such/folder/x.npy"), Tensor::ones({2})), Catch::Contains("x.npy"));
  spit(temp_path("keep.npy"), good);
  CHECK_THROWS(io::save_npy(temp_path("keep.npy"), Tensor()));
  CHECK(slurp(temp_path("keep.npy")) == good);
}

TEST_CASE("an .npz without arrays round-trips, as numpy.savez of nothing does", "[io][npy]") {
  const std::string path = temp_path("nothing.npz");
  io::save_npz(path, {});
  CHECK(io::load_npz(path).empty());
  const auto [rc, out] = run_command("/usr/bin/python3 -c \"import numpy as np; print(len(np.load('" + path + "').files))\"");
  CHECK(rc == 0);
  CHECK(out == "0\n");
}
