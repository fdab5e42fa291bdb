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
      {"elu", [](const Tensor& x) { return elu(x); }},
      {"exponential", [](const Tensor& x) { return exp(x); }},
      {"gelu", [](const Tensor& x) { return gelu(x); }},
      {"hard_sigmoid", [](const Tensor& x) { return hard_sigmoid(x); }},
      {"hard_silu", [](const Tensor& x) { return div(mul(x, relu6(add(x, 3.0))), 6.0); }},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.2); }},
      {"linear", [](const Tensor& x) { return x; }},
      {"log_softmax", [](const Tensor& x) { return nn::log_softmax(x); }},
      {"mish", [](const Tensor& x) { return mul(x, tanh(softplus(x))); }},
      {"relu", [](const Tensor& x) { return relu(x); }},
      {"relu6", [](const Tensor& x) { return relu6(x); }},
      {"selu", [](const Tensor& x) { return selu(x); }},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }},
      {"silu", [](const Tensor& x) { return swish(x); }},
      {"softmax", [](const Tensor& x) { return nn::softmax(x); }},
      {"softplus", [](const Tensor& x) { return softplus(x); }},
      {"softsign", [](const Tensor& x) { return softsign(x); }},
      {"swish", [](const Tensor& x) { return swish(x); }},
      {"tanh", [](const Tensor& x) { return tanh(x); }},
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
