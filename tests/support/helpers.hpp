#pragma once
// Shared helpers for strata's tests.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sys/wait.h>
#include <stdexcept>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "strata/strata.hpp"

namespace strata::testing {

/// float64 / int64 tensors from literal values.
inline Tensor f64(const std::vector<double>& v, const Shape& s) { return Tensor::from_vector(v, s, DType::float64); }
inline Tensor i64(const std::vector<double>& v, const Shape& s) { return Tensor::from_vector(v, s, DType::int64); }
/// Seeded float64 samples: standard normal, and uniform in [lo, hi).
inline Tensor rnd(const Shape& s, std::uint64_t seed) {
  Generator g(seed);
  return Tensor::random_normal(s, 0, 1, DType::float64, g);
}
inline Tensor unif(const Shape& s, std::uint64_t seed, double lo = 0.1, double hi = 1.0) {
  Generator g(seed);
  return Tensor::random_uniform(s, lo, hi, DType::float64, g);
}
/// 0, 1, 2, ... in float64, reshaped.
inline Tensor iota(const Shape& s) {
  return reshape(Tensor::arange(static_cast<double>(s.num_elements()), DType::float64), s);
}

/// A path in this test run's scratch folder (made once under $TMPDIR, or /tmp).
inline std::string temp_path(const std::string& name) {
  static const std::string dir = [] {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/strata_tests_XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data())) throw std::runtime_error("cannot create a scratch folder");
    return std::string(buf.data());
  }();
  return dir + "/" + name;
}

/// A file of tests/fixtures (made by the scripts there with the real peer: NumPy, TensorFlow.js).
inline std::string fixture(const std::string& name) { return std::string(STRATA_FIXTURES) + "/" + name; }

/// A file's bytes (the test fails when it cannot be opened).
inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE(f.good());
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

/// Runs a shell command; returns its exit status and what it printed (stdout and stderr).
inline std::pair<int, std::string> run_command(const std::string& command) {
  std::string out;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return {-1, "popen failed"};
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

/// Values of a tensor (any dtype) as doubles.
inline std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

/// Element-by-element comparison with a message naming the first mismatch.
inline bool near(const Tensor& t, const std::vector<double>& expected, double tol = 1e-5, std::string* why = nullptr) {
  const auto v = values(t);
  if (v.size() != expected.size()) {
    if (why) *why = "size " + std::to_string(v.size()) + " vs expected " + std::to_string(expected.size());
    return false;
  }
  for (std::size_t i = 0; i < v.size(); ++i) {
    const bool both_nan = std::isnan(v[i]) && std::isnan(expected[i]);
    const bool same_inf = std::isinf(v[i]) && v[i] == expected[i];
    if (both_nan || same_inf) continue;
    if (!(std::fabs(v[i] - expected[i]) <= tol * (1.0 + std::fabs(expected[i])))) {
      if (why) *why = "element " + std::to_string(i) + ": " + std::to_string(v[i]) + " vs expected " +
                      std::to_string(expected[i]);
      return false;
    }
  }
  return true;
}



/// Checks shape and values, reporting the caller's location.
inline void check_tensor(const char* file, int line, const Tensor& t, const Shape& shape,
                         const std::vector<double>& expected, double tol = 1e-5) {
  INFO("at " << file << ":" << line << "\n" << t.to_string());
  CHECK(t.shape() == shape);
  std::string why;
  const bool ok = near(t, expected, tol, &why);
  INFO(why);
  CHECK(ok);
}

inline void check_gradcheck(const char* file, int line, const GradcheckReport& r) {
  INFO("at " << file << ":" << line << "\n" << r.to_string());
  CHECK(r.ok);
  CHECK(r.elements_checked > 0);
}

/// Four variables of mixed sizes and dtypes whose optimizer updates split across threads
/// (together well over the 64k elements at which they split): "dense/kernel" [300, 257],
/// "dense/bias" [33], "big" [70001] float32, and "wide" [5000] float64.
inline std::vector<Variable> mixed_variables(Generator& g) {
  return {Variable(Tensor::random_normal({300, 257}, 0, 1, DType::float32, g), "dense/kernel"),
          Variable(Tensor::random_normal({33}, 0, 1, DType::float32, g), "dense/bias"),
          Variable(Tensor::random_normal({70001}, 0, 1, DType::float32, g), "big"),
          Variable(Tensor::random_normal({5000}, 0, 1, DType::float64, g), "wide")};
}

/// Restores the thread count a test changed, however the test ends.
struct ThreadsGuard {
  int saved = get_num_threads();
  ~ThreadsGuard() { set_num_threads(saved); }
};

}  // namespace strata::testing

/// CHECK_TENSOR(t, {shape...}, {values...}[, tol]): shape and values of t.
#define CHECK_TENSOR(...) ::strata::testing::check_tensor(__FILE__, __LINE__, __VA_ARGS__)
/// CHECK_GRADCHECK(report): the gradcheck passed (the report is printed otherwise).
#define CHECK_GRADCHECK(...) ::strata::testing::check_gradcheck(__FILE__, __LINE__, __VA_ARGS__)
