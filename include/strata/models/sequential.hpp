#pragma once
/// A linear stack of layers, built from the input shape on first call (or by build()).
///
///   Sequential model({layers::Dense(512, "relu"), layers::Dropout(0.2), layers::Dense(10)});
///   model.build({-1, 784});              // or let the first call build it
///   model.add(layers::Softmax());
///   Tensor y = model(x);
#include <optional>
#include <string>
#include <vector>

#include "strata/models/model.hpp"

namespace strata::models {

class Sequential : public Model {
 public:
  explicit Sequential(std::vector<layers::LayerRef> layers = {}, std::string name = "");
  Sequential(Sequential&&) noexcept = default;
  std::string class_name() const override { return "Sequential"; }
  std::shared_ptr<Layer> move_to_shared() && override { return std::make_shared<Sequential>(std::move(*this)); }

  /// Appends a layer (and rebuilds the graph if the model was built).
  void add(layers::LayerRef layer);
  /// Removes the last layer.
  void pop();
  /// The stacked layers (without the Input layer, as Keras lists them).
  const std::vector<std::shared_ptr<Layer>>& layers() const override { return stack_; }
  /// Builds the graph for an input shape (batch dimension first, -1 where unknown).
  void build(const Shape& input_shape) override;
  /// The same with the input's dtype (int64 ids for an Embedding, say).
  void build(const Shape& input_shape, DType input_dtype);
  /// Keras's Sequential config: name and the layers (with the InputLayer first once built).
  Config get_config() const override;

 protected:
  using Model::build;  // the multi-input form stays reachable
  bool summary_shows_connections() const override { return false; }
  std::vector<std::shared_ptr<Layer>> summary_layers() const override { return stack_; }

 private:
  std::vector<std::shared_ptr<Layer>> stack_;
  Shape input_shape_;
  std::optional<DType> input_dtype_;
};

}  // namespace strata::models

namespace strata {
using models::Sequential;
}
