// Sequential: a linear stack of layers, built as a functional graph once its input shape is known.
#include "strata/models/sequential.hpp"

#include "detail/errors.hpp"
#include "layers/node.hpp"

namespace strata::models {

void Sequential::build(const Shape& input_shape, DType input_dtype) {
  input_dtype_ = input_dtype;
  build(input_shape);
}

Sequential::Sequential(std::vector<layers::LayerRef> layers, std::string name) : Model(std::move(name)) {
  for (auto& l : layers) add(std::move(l));
}

void Sequential::add(layers::LayerRef layer) {
  if (!layer.get()) throw ValueError("Sequential::add: null layer");
  for (const auto& l : stack_)
    if (l == layer.get())
      detail::raise<ValueError>("Sequential '{}': layer '{}' is already in the model", name(), l->name());
  stack_.push_back(layer.get());
  if (!input_shape_.empty()) build(input_shape_);
}

void Sequential::pop() {
  if (stack_.empty()) detail::raise<ValueError>("Sequential '{}': pop from an empty model", name());
  stack_.pop_back();
  if (!input_shape_.empty() && !stack_.empty()) build(input_shape_);
}

void Sequential::build(const Shape& input_shape) {
  if (stack_.empty()) detail::raise<ValueError>("Sequential '{}': cannot build a model without layers", name());
  if (input_shape.rank() == 0) detail::raise<ValueError>("Sequential '{}': the input shape needs a batch dimension", name());
  input_shape_ = input_shape;
  Shape per_example(input_shape.begin() + 1, input_shape.end());
  const DType in_dtype =
      input_dtype_ ? *input_dtype_ : pending_input_dtypes().empty() ? dtype() : pending_input_dtypes()[0];
  KerasTensor in = Input(per_example, in_dtype, stack_[0]->name() + "_input");  // Keras's name for it
  KerasTensor x = in;
  for (const auto& l : stack_) x = (*l)(x);
  init_graph({in}, {x});
}

Config Sequential::get_config() const {
  Config c = Config::object();
  c["name"] = name();
  c["trainable"] = trainable();
  Config list = Config::list();
  if (is_graph_network() && !inputs().empty()) {  // built: the input layer first, as Keras writes it
    const auto& input = inputs()[0].node()->layer;
    list.push_back(Config::object({{"class_name", "InputLayer"}, {"config", input->get_config()}}));
  }
  for (const auto& l : stack_) list.push_back(Config::object({{"class_name", l->class_name()}, {"config", l->get_config()}}));
  c["layers"] = std::move(list);
  return c;
}

}  // namespace strata::models
