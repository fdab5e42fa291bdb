// Activations by Keras name.
#include <algorithm>

#include "detail/errors.hpp"
#include "strata/activations.hpp"
#include "strata/ops.hpp"

namespace strata {

// ---- activations --------------------------------------------------------------------------------------

namespace {
struct NamedActivation {
  const char* name;
  ActivationFn::Fn fn;
};

const std::vector<NamedActivation>& table() {
  static const std::vector<NamedActivation> t = {
      {"celu", [](const Tensor& x) { return celu(x); }},
      {"elu", [](const Tensor& x) { return elu(x); }},
      {"exponential", [](const Tensor& x) { return exp(x); }},
      {"gelu", [](const Tensor& x) { return gelu(x); }},
      {"glu", [](const Tensor& x) { return nn::glu(x); }},
      {"hard_shrink", [](const Tensor& x) { return hard_shrink(x); }},
      {"hard_sigmoid", [](const Tensor& x) { return hard_sigmoid(x); }},
      // Keras 2's and TF.js's "hard_sigmoid", the name their loaders give it (io renames it back)
      {"hard_sigmoid_keras2", [](const Tensor& x) { return hard_sigmoid_keras2(x); }},
      {"hard_silu", [](const Tensor& x) { return hard_silu(x); }},
      {"hard_swish", [](const Tensor& x) { return hard_silu(x); }},
      {"hard_tanh", [](const Tensor& x) { return hard_tanh(x); }},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.2); }},
      {"linear", [](const Tensor& x) { return x; }},
      {"log_sigmoid", [](const Tensor& x) { return log_sigmoid(x); }},
      {"log_softmax", [](const Tensor& x) { return nn::log_softmax(x); }},
      {"mish", [](const Tensor& x) { return mish(x); }},
      {"relu", [](const Tensor& x) { return relu(x); }},
      {"relu6", [](const Tensor& x) { return relu6(x); }},
      {"selu", [](const Tensor& x) { return selu(x); }},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }},
      {"silu", [](const Tensor& x) { return swish(x); }},
      {"soft_shrink", [](const Tensor& x) { return soft_shrink(x); }},
      {"softmax", [](const Tensor& x) { return nn::softmax(x); }},
      {"softplus", [](const Tensor& x) { return softplus(x); }},
      {"softsign", [](const Tensor& x) { return softsign(x); }},
      {"sparse_plus", [](const Tensor& x) { return sparse_plus(x); }},
      {"sparsemax", [](const Tensor& x) { return nn::sparsemax(x); }},
      {"squareplus", [](const Tensor& x) { return squareplus(x); }},
      {"swish", [](const Tensor& x) { return swish(x); }},
      {"tanh", [](const Tensor& x) { return tanh(x); }},
      {"tanh_shrink", [](const Tensor& x) { return tanh_shrink(x); }},
  };
  return t;
}
}  // namespace

ActivationFn::ActivationFn() : ActivationFn(get("linear")) {}
ActivationFn::ActivationFn(const char* name) : ActivationFn(get(name)) {}
ActivationFn::ActivationFn(const std::string& name) : ActivationFn(get(name)) {}
ActivationFn::ActivationFn(std::string name, Fn fn) : name_(std::move(name)), fn_(std::move(fn)) {}

Tensor ActivationFn::operator()(const Tensor& x) const { return fn_(x); }

ActivationFn ActivationFn::get(const std::string& name) {
  const std::string key = name.empty() || name == "None" ? "linear" : name;
  for (const auto& a : table())
    if (key == a.name) {
      ActivationFn f(a.name, a.fn);
      f.builtin_ = true;
      return f;
    }
  std::string names;
  for (const auto& a : table()) names += (names.empty() ? "" : ", ") + std::string(a.name);
  detail::raise<ValueError>("unknown activation '{}' (known: {})", name, names);
}

std::vector<std::string> ActivationFn::known() {
  std::vector<std::string> names;
  for (const auto& a : table()) names.emplace_back(a.name);
  return names;
}

}  // namespace strata
