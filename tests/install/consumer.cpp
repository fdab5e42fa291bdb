// Compiled against the installed headers and library only.
#include <strata/strata.hpp>

int main() {
  using namespace strata;
  Tensor x = Tensor::from_vector({1, 2, 3}, {3}, DType::float64);
  GradientTape tape;
  tape.watch(x);
  Tensor g = tape.gradient(sum(x * x), {x})[0];
  return g.to_vector<double>() == std::vector<double>{2, 4, 6} ? 0 : 1;
}
