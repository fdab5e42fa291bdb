#pragma once
/// The Container: a model is the DAG of layer calls between Inputs and outputs.
///
///   KerasTensor image = Input({28, 28, 1}), meta = Input({4});
///   auto shared = std::make_shared<layers::Dense>(32, "relu");     // one layer, two calls
///   KerasTensor a = shared->operator()(layers::Flatten()(image));
///   KerasTensor b = layers::Dense(32)(meta);
///   KerasTensor merged = layers::Concatenate()({a, (*shared)(b)});
///   Model model({image, meta}, {layers::Dense(10)(merged), layers::Dense(1)(merged)}, "two_heads");
///   std::cout << model.summary();
///   std::vector<Tensor> out = model.apply({images, metas});            // any batch size
///
/// A Model is itself a Layer, so models nest. Subclassed models derive from Model, create their
/// layers in the constructor with track(), and override call().
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "strata/layers/layer.hpp"

namespace strata::models {

class Model : public layers::Layer {
 public:
  /// A functional model. Every input must come from Input(); every output must be reachable
  /// from the inputs (ValueError naming the layer otherwise).
  Model(const std::vector<KerasTensor>& inputs, const std::vector<KerasTensor>& outputs, std::string name = "");
  Model(const KerasTensor& input, const KerasTensor& output, std::string name = "");
  Model(Model&&) noexcept = default;

  /// "Functional" for a graph of layers, "Model" for a subclassed model without a graph.
  std::string class_name() const override;
  std::shared_ptr<Layer> move_to_shared() && override { return std::make_shared<Model>(std::move(*this)); }

  /// The layers in execution order (Input layers first, as Keras lists them for functional
  /// models; a Sequential lists its stack).
  virtual const std::vector<std::shared_ptr<Layer>>& layers() const { return layers_; }
  /// ValueError listing the model's layer names when absent.
  std::shared_ptr<Layer> get_layer(const std::string& name) const;
  std::shared_ptr<Layer> get_layer(std::size_t index) const;
  const std::vector<KerasTensor>& inputs() const { return inputs_; }
  const std::vector<KerasTensor>& outputs() const { return outputs_; }
  bool is_graph_network() const { return graph_; }

  /// Keras's summary table: layer (type), output shape, params, connected to (functional
  /// models), then the total, trainable and non-trainable parameter counts.
  std::string summary() const;

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& input_shapes) override;
  DType compute_output_dtype(const std::vector<DType>& input_dtypes) const override;

 protected:
  /// For subclassed models: create layers in the constructor with track(), override call().
  explicit Model(std::string name = "");
  std::vector<Tensor> call(const std::vector<Tensor>& xs, bool training) override;
  using Layer::call;
  /// Turns this model into the graph from inputs to outputs (used by the constructors and
  /// Sequential).
  void init_graph(const std::vector<KerasTensor>& inputs, const std::vector<KerasTensor>& outputs);
  /// Summary rows: the layers shown and whether the "Connected to" column is printed.
  virtual bool summary_shows_connections() const { return true; }
  virtual std::vector<std::shared_ptr<Layer>> summary_layers() const { return layers_; }

 private:
  struct Step {
    std::shared_ptr<Layer> layer;
    std::vector<int> in_slots;
    std::vector<int> out_slots;
    std::vector<int> release;  // slots no later step reads
  };
  std::vector<Step> steps_;
  int num_slots_ = 0;
  std::vector<int> input_slots_, output_slots_;
  std::vector<std::shared_ptr<Layer>> layers_;
  std::vector<KerasTensor> inputs_, outputs_;
  bool graph_ = false;
};

std::ostream& operator<<(std::ostream& os, const Model& model);

}  // namespace strata::models

namespace strata {
using models::Model;
}
