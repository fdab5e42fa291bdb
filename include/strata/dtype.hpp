#pragma once
/// Element types of a Tensor.
///   Tensor x = Tensor::zeros({2, 3}, DType::float64);
///   x.dtype() == DType::float64; dtype_name(x.dtype()) == "float64"
#include <cstddef>
#include <cstdint>
#include <string>

namespace strata {

enum class DType : std::uint8_t {
  float32 = 0,  ///< the default: fast, what layers use
  float64 = 1,  ///< gradient checks and research
  int64 = 2,    ///< indices and labels
};

/// "float32", "float64" or "int64".
const char* dtype_name(DType dtype);
/// Bytes per element.
std::size_t dtype_size(DType dtype);
/// True for float32 and float64.
inline bool is_floating(DType dtype) { return dtype != DType::int64; }
/// Parses "float32", "float64", "int64" (and Keras's "float", "double", "int"); throws ValueError.
DType dtype_from_name(const std::string& name);

template <class T>
struct dtype_of;
template <>
struct dtype_of<float> {
  static constexpr DType value = DType::float32;
};
template <>
struct dtype_of<double> {
  static constexpr DType value = DType::float64;
};
template <>
struct dtype_of<std::int64_t> {
  static constexpr DType value = DType::int64;
};
template <class T>
inline constexpr DType dtype_of_v = dtype_of<T>::value;

}  // namespace strata
