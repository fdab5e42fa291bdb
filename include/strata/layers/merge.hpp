#pragma once
/// Layers that merge several inputs: Add, Subtract, Multiply, Average, Maximum, Minimum,
/// Concatenate, Dot.
///
///   KerasTensor s = layers::Add()({a, b});
///   KerasTensor c = layers::Concatenate(-1)({a, b, c});
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "strata/layers/layer.hpp"

namespace strata::layers {

/// Elementwise merge of inputs of equal (or broadcastable) shapes.
class ElementwiseMerge : public Layer {
 public:
  enum class Op { add, subtract, multiply, average, maximum, minimum };
  explicit ElementwiseMerge(Op op);
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& input_shapes) override;

 protected:
  void build(const std::vector<Shape>& input_shapes) override;
  std::vector<Tensor> call(const std::vector<Tensor>& xs, bool training) override;
  using Layer::call;

 private:
  Op op_;
};

class Add : public ElementwiseMerge {
 public:
  STRATA_LAYER(Add)
  Add() : ElementwiseMerge(Op::add) {}
};
/// Exactly two inputs: a - b.
class Subtract : public ElementwiseMerge {
 public:
  STRATA_LAYER(Subtract)
  Subtract() : ElementwiseMerge(Op::subtract) {}
};
class Multiply : public ElementwiseMerge {
 public:
  STRATA_LAYER(Multiply)
  Multiply() : ElementwiseMerge(Op::multiply) {}
};
class Average : public ElementwiseMerge {
 public:
  STRATA_LAYER(Average)
  Average() : ElementwiseMerge(Op::average) {}
};
class Maximum : public ElementwiseMerge {
 public:
  STRATA_LAYER(Maximum)
  Maximum() : ElementwiseMerge(Op::maximum) {}
};
class Minimum : public ElementwiseMerge {
 public:
  STRATA_LAYER(Minimum)
  Minimum() : ElementwiseMerge(Op::minimum) {}
};

/// Joins inputs along `axis` (all other dimensions equal).
class Concatenate : public Layer {
 public:
  STRATA_LAYER(Concatenate)
  explicit Concatenate(std::int64_t axis = -1);
  std::int64_t axis;
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& input_shapes) override;
  STRATA_LAYER_CONFIG(Concatenate)

 protected:
  void build(const std::vector<Shape>& input_shapes) override;
  std::vector<Tensor> call(const std::vector<Tensor>& xs, bool training) override;
  using Layer::call;
};

/// Dot products between samples of two inputs along axes (Keras's batch dot): for [B, n] and
/// [B, n] with axes 1 -> [B, 1]; for [B, n, m] and [B, m, k] with axes (2, 1) -> [B, n, k].
/// `normalize` divides by the norms first (cosine similarity).
class Dot : public Layer {
 public:
  STRATA_LAYER(Dot)
  explicit Dot(std::int64_t axes, bool normalize = false);
  /// Different axes for the two inputs: Dot({2, 1}).
  explicit Dot(std::pair<std::int64_t, std::int64_t> axes, bool normalize = false);
  Dot(std::int64_t, int) = delete;  // Dot(2, 1) would read as normalize = true; write Dot({2, 1})
  std::int64_t axis_a, axis_b;
  bool normalize;
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& input_shapes) override;
  STRATA_LAYER_CONFIG(Dot)

 protected:
  std::vector<Tensor> call(const std::vector<Tensor>& xs, bool training) override;
  using Layer::call;
};

}  // namespace strata::layers
