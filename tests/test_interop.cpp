// The opt-in xtensor interop header.
#include <xtensor/xarray.hpp>
#include <xtensor/xview.hpp>

#include "strata/interop/xtensor.hpp"
#include "support/helpers.hpp"

using namespace strata;

TEST_CASE("Tensors convert to and from xt::xarray", "[interop]") {
  xt::xarray<float> a = {{1, 2, 3}, {4, 5, 6}};
  Tensor t = interop::from_xarray(a);
  CHECK(t.dtype() == DType::float32);
  CHECK_TENSOR(t, {2, 3}, {1, 2, 3, 4, 5, 6});
  xt::xarray<double> back = interop::to_xarray<double>(t * 2.0);
  REQUIRE(back.shape().size() == 2);
  CHECK(back(1, 2) == 12.0);
  // expressions, views and integer arrays
  xt::xarray<int> ints = {3, 1, 2};
  Tensor ti = interop::from_xarray(ints);
  CHECK(ti.dtype() == DType::int64);
  CHECK_TENSOR(ti, {3}, {3, 1, 2});
  Tensor col = interop::from_xarray(xt::view(a, xt::all(), 1) + 0.5f);
  CHECK_TENSOR(col, {2}, {2.5, 5.5});
  xt::xarray<double> dd = {{0.25, 0.5}};
  Tensor d = interop::from_xarray(dd);
  CHECK(d.dtype() == DType::float64);
  CHECK(interop::to_xarray<std::int64_t>(Tensor::scalar(7, DType::int64))() == 7);
}
