#pragma once
#include <string>

#include "strata/autograd/variable.hpp"

namespace strata::detail {

struct VariableState {
  Tensor value;  // its impl points back here through `variable`
  std::string name;
  bool trainable = true;
  std::uint64_t id = 0;
  Variable::Constraint constraint;

  ~VariableState();
  /// Makes `value` exclusively this variable's (copying it if anyone else holds it).
  void ensure_unique();
  /// Adopts t as the value (cloning it unless it is unshared and not a view).
  void adopt(Tensor t);
};

}  // namespace strata::detail
