#pragma once
// A Node is one call of a layer on symbolic tensors: the layer, the tensors it was called on,
// and the shapes and dtypes of what it returned.
#include <memory>
#include <vector>

#include "strata/layers/layer.hpp"

namespace strata::detail {

struct Node {
  std::shared_ptr<layers::Layer> layer;
  std::vector<KerasTensor> inputs;  // empty for an Input
  std::vector<Shape> output_shapes;
  std::vector<DType> output_dtypes;
  int node_index = 0;  // which call of the layer this is (Keras's node index)
  bool is_input = false;
};

}  // namespace strata::detail

namespace strata::layers {

/// The layer behind Input(): it holds the input's shape and passes tensors through.
class InputLayer : public Layer {
 public:
  STRATA_LAYER(InputLayer)
  InputLayer(Shape batch_shape, DType dtype);
  const Shape& batch_shape() const { return batch_shape_; }
  Config get_config() const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  Shape batch_shape_;
};

}  // namespace strata::layers
