#pragma once
// Formatting helpers for strata's exceptions (fmt stays inside src/).
#include <fmt/format.h>

#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
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

/// How much of one string a message quotes: input from a file or a caller (a class name, a JSON
/// value) can be megabytes long, and a message holding all of it helps nobody.
inline constexpr std::size_t kMaxQuoted = 1000;

/// `s`, cut to kMaxQuoted characters with a note of how many were left out.
inline std::string cut_quoted(std::string_view s) {
  if (s.size() <= kMaxQuoted) return std::string(s);
  return std::string(s.substr(0, kMaxQuoted)) + "... (" + std::to_string(s.size() - kMaxQuoted) + " more characters)";
}

/// A format argument as a message quotes it: strings cut by cut_quoted, anything else as it is.
template <class T>
auto quoted_arg(const T& a) {
  if constexpr (std::is_convertible_v<const T&, std::string_view>) return cut_quoted(std::string_view(a));
  else return a;
}

/// Throws E with the formatted message; every string argument is cut to kMaxQuoted characters.
template <class E, class... Args>
[[noreturn]] void raise(fmt::format_string<Args...> f, Args&&... args) {
  const auto kept = std::make_tuple(quoted_arg(args)...);
  throw E(std::apply([&](const auto&... a) { return fmt::vformat(fmt::string_view(f), fmt::make_format_args(a...)); }, kept));
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
