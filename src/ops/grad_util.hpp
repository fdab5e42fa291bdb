#pragma once
// Small helpers shared by the ops' backward rules.
#include <vector>

#include "strata/autograd/tape.hpp"

namespace strata::detail {

using autograd::BackwardContext;

/// One gradient per input: f(i) where input i needs a gradient, an undefined Tensor elsewhere.
template <class F>
std::vector<Tensor> per_input(const BackwardContext& c, F&& f) {
  std::vector<Tensor> out(c.num_inputs());
  for (std::size_t i = 0; i < out.size(); ++i)
    if (c.needs_grad(i)) out[i] = f(i);
  return out;
}

}  // namespace strata::detail
