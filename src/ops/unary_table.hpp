#pragma once
// The machinery that runs a row of a unary op table (src/ops/math_unary.cpp,
// src/ops/math_elementwise.cpp). A row is a struct with
//   name, int_ok (int64 inputs accepted), and a kernel: simd(batch, param) on xsimd batches
//   (floats only) or scalar(value, param) for any dtype;
//   save (what the backward keeps: nothing, x, y = the output, or both) and
//   grad(g, x, y, param), written with public ops so it is differentiable again; or
//   differentiable = false, and nothing is recorded.
#include <type_traits>
#include <vector>

#include "detail/dispatch.hpp"
#include "detail/errors.hpp"
#include "detail/simd.hpp"
#include "detail/tensor_impl.hpp"
#include "strata/autograd/tape.hpp"

namespace strata::detail::unary_table {

enum class Save { nothing, x, y, both };

template <class B>
using Scalar = typename B::value_type;

template <class Op, class = void>
struct has_simd : std::false_type {};
template <class Op>
struct has_simd<Op, std::void_t<decltype(Op::simd(xsimd::batch<float>(), xsimd::batch<float>()))>> : std::true_type {};
template <class Op, class = void>
struct is_differentiable : std::true_type {};
template <class Op>
struct is_differentiable<Op, std::void_t<decltype(Op::differentiable)>> : std::bool_constant<Op::differentiable> {};

/// The op's kernel over x's elements into a new tensor.
template <class Op>
Tensor unary_forward(const Tensor& x, double param) {
  detail::check_defined(Op::name, x);
  if (x.dtype() == DType::int64 && !Op::int_ok)
    detail::raise<DTypeError>("{}: expected a floating dtype (float32 or float64), got int64 {}", Op::name, x.shape());
  Tensor out = detail::make_tensor(x.shape(), x.dtype());
  detail::dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = detail::ptr<T>(x);
    T* po = detail::mut_ptr<T>(out);
    const T p = static_cast<T>(param);
    if constexpr (has_simd<Op>::value) {
      if constexpr (std::is_floating_point_v<T>) {
        using B = xsimd::batch<T>;
        detail::simd_map(px, po, x.size(), [p](B v) { return Op::simd(v, B(p)); });
      }
    } else {
      detail::parallel_for(x.size(), [px, po, p](std::int64_t b, std::int64_t e) {
        const T* __restrict xi = px + b;  // locals, so the compiler sees no aliasing and vectorizes
        T* __restrict oi = po + b;
        for (std::int64_t i = 0, n = e - b; i < n; ++i) oi[i] = Op::scalar(xi[i], p);
      });
    }
  });
  return out;
}

/// The op's forward, recorded with its backward when a tape watches x; only what Op::save names
/// is kept for backward (the other argument is an undefined Tensor).
template <class Op>
Tensor unary(const Tensor& x, double param = 0.0) {
  Tensor y = unary_forward<Op>(x, param);
  if constexpr (is_differentiable<Op>::value) {
    if (autograd::should_record({&x})) {
      constexpr Save s = Op::save;
      std::vector<Tensor> saved;
      if constexpr (s != Save::nothing) saved = {s == Save::y ? Tensor() : x, s == Save::x ? Tensor() : y};
      autograd::record(Op::name, {&x}, {&y}, std::move(saved), [param](const autograd::BackwardContext& c) {
        if constexpr (s == Save::nothing) return std::vector<Tensor>{Op::grad(c.grad(), Tensor(), Tensor(), param)};
        else return std::vector<Tensor>{Op::grad(c.grad(), c.saved(0), c.saved(1), param)};
      });
    }
  }
  return y;
}

}  // namespace strata::detail::unary_table
