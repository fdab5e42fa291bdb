#pragma once
// Runtime dtype -> compile-time element type:
//   dispatch(x.dtype(), [&](auto tag) { using T = decltype(tag); ... });
#include <cstdint>
#include <string>

#include "detail/errors.hpp"
#include "strata/dtype.hpp"

namespace strata::detail {

template <class F>
decltype(auto) dispatch(DType dtype, F&& f) {
  switch (dtype) {
    case DType::float32:
      return f(float{});
    case DType::float64:
      return f(double{});
    case DType::int64:
      return f(std::int64_t{});
  }
  throw DTypeError("invalid dtype value " + std::to_string(static_cast<int>(dtype)));
}

/// Float dtypes only; int64 throws DTypeError naming `op`.
template <class F>
decltype(auto) dispatch_float(DType dtype, const char* op, F&& f) {
  switch (dtype) {
    case DType::float32:
      return f(float{});
    case DType::float64:
      return f(double{});
    case DType::int64:
      break;
  }
  raise<DTypeError>("{}: expected a floating dtype (float32 or float64), got {}", op, dtype);
}

}  // namespace strata::detail
