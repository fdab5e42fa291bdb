#pragma once
// Formatting helpers for strata's exceptions (fmt stays inside src/).
#include <fmt/format.h>

#include <string>
#include <vector>

#include "strata/error.hpp"
#include "strata/shape.hpp"
#include "strata/tensor.hpp"

template <>
struct fmt::formatter<strata::Shape> : fmt::formatter<std::string> {
  template <class Ctx>
  auto format(const strata::Shape& s, Ctx& ctx) const {
    return fmt::formatter<std::string>::format(s.to_string(), ctx);
  }
};

template <>
struct fmt::formatter<strata::DType> : fmt::formatter<const char*> {
  template <class Ctx>
  auto format(strata::DType d, Ctx& ctx) const {
    return fmt::formatter<const char*>::format(strata::dtype_name(d), ctx);
  }
};

namespace strata::detail {

template <class E, class... Args>
[[noreturn]] void raise(fmt::format_string<Args...> f, Args&&... args) {
  throw E(fmt::format(f, std::forward<Args>(args)...));
}

/// "[2, 3], [3]"
std::string shapes_str(const std::vector<const Tensor*>& ts);

/// Throws DTypeError "<op>: dtype mismatch: float32 [2, 3] vs float64 [3]".
void check_same_dtype(const char* op, const Tensor& a, const Tensor& b);
/// Throws DTypeError unless x is float32 or float64.
void check_floating(const char* op, const Tensor& x);
/// Throws ValueError if the tensor is undefined.
void check_defined(const char* op, const Tensor& x, const char* what = "input");

}  // namespace strata::detail
