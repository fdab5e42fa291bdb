#pragma once
// A test op: y = x (a copy, so a new tensor) recorded as "pass" with the backward the test gives,
// for tests that watch what a backward receives or returns.
#include "support/helpers.hpp"

namespace strata::testing {

inline Tensor pass_op(const Tensor& in, autograd::BackwardFn backward) {
  Tensor out;
  {
    NoGradGuard kernel;
    out = mul(in, 1.0);
  }
  if (autograd::should_record({&in})) autograd::record("pass", {&in}, {&out}, {}, std::move(backward));
  return out;
}

}  // namespace strata::testing
