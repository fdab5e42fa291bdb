// What the file formats ask of a layer: the bound on the weights a model loaded from a file
// may create (WeightBudget), where Keras 3 keeps a layer's variables, and the call arguments of
// a loaded functional model.
#include <algorithm>

#include "detail/errors.hpp"
#include "layers/weight_budget.hpp"
#include "strata/layers/layer.hpp"

namespace strata::layers {

namespace {
thread_local WeightBudget* t_budget = nullptr;
}  // namespace

WeightBudget::WeightBudget(std::uint64_t elements, std::string what)
    : limit_(elements), what_(std::move(what)), outer_(t_budget) {
  t_budget = this;
}
WeightBudget::~WeightBudget() { t_budget = outer_; }
bool WeightBudget::take(std::uint64_t n) {
  if (!t_budget) return true;
  if (n > t_budget->limit_ - t_budget->used_) return false;
  t_budget->used_ += n;
  return true;
}
std::uint64_t WeightBudget::limit() { return t_budget ? t_budget->limit_ : 0; }
const std::string& WeightBudget::what() {
  static const std::string none;
  return t_budget ? t_budget->what_ : none;
}

std::vector<Layer::SavedPart> Layer::keras_saved_parts() const {
  std::vector<Variable> own = weights();
  for (const auto& sub : sublayers())
    for (const Variable& v : sub->weights())
      own.erase(std::remove_if(own.begin(), own.end(), [&](const Variable& o) { return o.is_same(v); }), own.end());
  std::stable_partition(own.begin(), own.end(), [](const Variable& v) { return v.trainable(); });
  std::vector<SavedPart> parts{{"", own, nullptr}};
  for (const auto& sub : sublayers()) parts.push_back({sub->name(), {}, sub});
  return parts;
}

std::vector<std::string> Layer::call_tensor_arguments() const { return {"inputs"}; }

void Layer::load_call_arguments(const std::vector<Config>& per_node, const std::string& where) {
  for (const Config& kwargs : per_node)
    for (const auto& [key, v] : kwargs.entries())
      detail::raise<ValueError>("{}: the call argument {}={} is not supported", where, key, v.dump());
}

}  // namespace strata::layers
