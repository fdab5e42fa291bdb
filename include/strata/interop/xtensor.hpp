#pragma once
/// Opt-in conversion between strata::Tensor and xtensor's arrays. This is the only public
/// header that includes xtensor (it costs compile time; include it only where you need it).
///
///   #include <strata/interop/xtensor.hpp>
///   xt::xarray<float> a = {{1, 2}, {3, 4}};
///   Tensor t = strata::interop::from_xarray(a);            // float32 [2, 2]
///   xt::xarray<double> b = strata::interop::to_xarray<double>(t * 2.0);
#include <xtensor/xarray.hpp>
#include <xtensor/xeval.hpp>

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "strata/tensor.hpp"

namespace strata::interop {

/// A copy of t as an xt::xarray<T> (T: float, double, int64_t or int), converting the dtype.
template <class T>
xt::xarray<T> to_xarray(const Tensor& t) {
  std::vector<std::size_t> shape(t.shape().begin(), t.shape().end());
  xt::xarray<T> out = xt::xarray<T>::from_shape(shape);
  const std::vector<T> values = t.to_vector<T>();
  std::copy(values.begin(), values.end(), out.begin());
  return out;
}

/// A Tensor copied from any xtensor expression: float stays float32, double becomes float64,
/// integers become int64.
template <class E>
Tensor from_xarray(const xt::xexpression<E>& expr) {
  using V = typename E::value_type;
  static_assert(std::is_arithmetic_v<V>, "from_xarray: the expression must hold numbers");
  using T = std::conditional_t<std::is_same_v<V, float>, float,
                               std::conditional_t<std::is_integral_v<V>, std::int64_t, double>>;
  const xt::xarray<T, xt::layout_type::row_major> a = xt::cast<T>(expr.derived_cast());
  Shape shape;
  for (auto d : a.shape()) shape.push_back(static_cast<std::int64_t>(d));
  return Tensor::from_data<T>(a.data(), shape);
}

}  // namespace strata::interop
