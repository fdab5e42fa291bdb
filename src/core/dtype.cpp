#include "strata/dtype.hpp"

#include <string>

#include "strata/error.hpp"

namespace strata {

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::float32:
      return "float32";
    case DType::float64:
      return "float64";
    case DType::int64:
      return "int64";
  }
  return "invalid";
}

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::float32:
      return 4;
    case DType::float64:
    case DType::int64:
      return 8;
  }
  // An out-of-range enum value (a cast integer, uninitialised memory): refused before anything
  // divides by its size.
  throw DTypeError("invalid dtype value " + std::to_string(static_cast<int>(dtype)) +
                   " (float32, float64 and int64 are the dtypes)");
}

DType dtype_from_name(const std::string& name) {
  if (name == "float32" || name == "float") return DType::float32;
  if (name == "float64" || name == "double") return DType::float64;
  if (name == "int64" || name == "int" || name == "int32") return DType::int64;
  throw ValueError("unknown dtype '" + name + "' (known: float32, float64, int64)");
}

}  // namespace strata
