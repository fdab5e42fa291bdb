#pragma once
// A declarative layer test, like Keras's run_layer_test: for one layer configuration it checks
// output shapes (eager, on an empty batch, and symbolic, with the batch dimension unknown),
// weight counts, a gradcheck with respect to the inputs and the weights in float64, the config
// round trip, and that a layer rebuilt from its config with the same weights computes the same
// outputs.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "support/helpers.hpp"

namespace strata::testing {

struct LayerCase {
  std::string name;
  std::function<std::shared_ptr<layers::Layer>()> make;
  std::vector<Shape> inputs;   // concrete input shapes, batch first
  std::vector<Shape> outputs;  // expected output shapes
  std::size_t trainable = 0;
  std::size_t non_trainable = 0;
  std::int64_t params = -1;          // total parameter count, when known (checked against Keras's)
  std::vector<DType> input_dtypes;   // default float64; int64 inputs get ids in [0, int_high)
  std::int64_t int_high = 10;
  bool gradcheck = true;
  bool training = false;             // mode for the gradcheck and the comparisons
  std::vector<DType> output_dtypes;  // default float64 (the layer's dtype)
};

inline Tensor layer_input(const LayerCase& c, std::size_t i, std::uint64_t seed) {
  const DType dt = i < c.input_dtypes.size() ? c.input_dtypes[i] : DType::float64;
  if (dt == DType::int64) {
    Generator g(seed);
    return Tensor::random_uniform(c.inputs[i], 0, static_cast<double>(c.int_high), DType::int64, g);
  }
  return rnd(c.inputs[i], seed);
}

inline void run_layer_test(const LayerCase& c) {
  INFO("layer case: " << c.name);
  std::shared_ptr<layers::Layer> layer = c.make();
  layer->set_dtype(DType::float64);
  std::vector<Tensor> inputs;
  for (std::size_t i = 0; i < c.inputs.size(); ++i) inputs.push_back(layer_input(c, i, 100 + i));

  // Eager call: output shapes and weights.
  const std::vector<Tensor> outs = layer->apply(inputs, c.training);
  REQUIRE(outs.size() == c.outputs.size());
  for (std::size_t k = 0; k < outs.size(); ++k) {
    CHECK(outs[k].shape() == c.outputs[k]);
    CHECK(outs[k].dtype() == (k < c.output_dtypes.size() ? c.output_dtypes[k] : DType::float64));
  }
  CHECK(layer->trainable_weights().size() == c.trainable);
  CHECK(layer->non_trainable_weights().size() == c.non_trainable);
  CHECK(layer->weights().size() == c.trainable + c.non_trainable);
  if (c.params >= 0) CHECK(layer->count_params() == c.params);

  // An empty batch runs too (in the case's mode), giving outputs with an empty batch.
  {
    std::vector<Tensor> empty;
    for (std::size_t i = 0; i < c.inputs.size(); ++i) {
      Shape s = c.inputs[i];
      s[0] = 0;
      const DType dt = i < c.input_dtypes.size() ? c.input_dtypes[i] : DType::float64;
      empty.push_back(Tensor::zeros(s, dt));
    }
    const std::vector<Tensor> none = layer->apply(empty, c.training);
    REQUIRE(none.size() == c.outputs.size());
    for (std::size_t k = 0; k < none.size(); ++k) {
      Shape want = c.outputs[k];
      want[0] = 0;
      CHECK(none[k].shape() == want);
    }
  }

  // compute_output_shapes with an unknown batch dimension.
  std::vector<Shape> unknown_batch = c.inputs;
  for (auto& s : unknown_batch) s[0] = -1;
  std::vector<Shape> expected_symbolic = c.outputs;
  for (auto& s : expected_symbolic) s[0] = -1;
  CHECK(layer->compute_output_shapes(unknown_batch) == expected_symbolic);

  // Config round trip, then a symbolic call of the rebuilt layer.
  const Config config = layers::serialize_layer(*layer);
  std::shared_ptr<layers::Layer> copy = layers::layer_from_config(config);
  CHECK(layers::serialize_layer(*copy) == config);
  std::vector<KerasTensor> sym_in;
  for (std::size_t i = 0; i < c.inputs.size(); ++i) {
    const Shape per_example(c.inputs[i].begin() + 1, c.inputs[i].end());
    const DType dt = i < c.input_dtypes.size() ? c.input_dtypes[i] : DType::float64;
    sym_in.push_back(Input(per_example, dt));
  }
  const std::vector<KerasTensor> sym_out = copy->apply(sym_in);
  REQUIRE(sym_out.size() == expected_symbolic.size());
  for (std::size_t k = 0; k < sym_out.size(); ++k) CHECK(sym_out[k].shape() == expected_symbolic[k]);

  // Same weights, same outputs (inference mode, so dropout and batch statistics do not differ).
  copy->set_weights(layer->get_weights());
  const std::vector<Tensor> a = layer->apply(inputs, false);
  const std::vector<Tensor> b = copy->apply(inputs, false);
  for (std::size_t k = 0; k < a.size(); ++k) CHECK(allclose(a[k], b[k], 1e-12, 1e-12));

  // Gradients with respect to the float inputs and the trainable weights.
  if (c.gradcheck) {
    const bool training = c.training;
    auto report = gradcheck(
        [&](const std::vector<Tensor>& in) {
          std::vector<Tensor> o = layer->apply(in, training);
          std::vector<Tensor> flat;
          for (const auto& t : o) flat.push_back(flatten(t));
          return flat.size() == 1 ? flat[0] : concat(flat, 0);
        },
        inputs, layer->trainable_weights());
    CHECK_GRADCHECK(report);
  }
}

}  // namespace strata::testing
