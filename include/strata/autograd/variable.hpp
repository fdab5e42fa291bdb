#pragma once
/// A named, mutable holder of a Tensor: the weights of a model.
///
///   Variable w(Tensor::random_normal({784, 10}), "w");
///   GradientTape tape;                      // trainable Variables are watched automatically
///   Tensor loss = sum(square(matmul(x, w)));
///   Tensor g = tape.gradient(loss, {w})[0];
///   w.assign_sub(g * 0.01);                 // in place: no new storage while nothing else holds it
///
/// A Variable reads like a Tensor (it converts to its current value), and copies of a Variable
/// are handles to the same variable. Tensors already taken from it keep their values: an update
/// writes in place only when no one else holds the storage, and copies it first otherwise.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "strata/tensor.hpp"

namespace strata {

namespace detail {
struct VariableState;
}

class Variable {
 public:
  /// Applied by optimizers after each update (Keras's weight constraints).
  using Constraint = std::function<Tensor(const Tensor&)>;

  /// An undefined variable (`defined() == false`).
  Variable() noexcept = default;
  explicit Variable(Tensor initial, std::string name = "", bool trainable = true);

  bool defined() const noexcept { return state_ != nullptr; }
  const Tensor& value() const;
  operator const Tensor&() const { return value(); }  // NOLINT: reads like a Tensor

  const std::string& name() const;
  void set_name(std::string name);
  bool trainable() const;
  void set_trainable(bool trainable);
  const Shape& shape() const { return value().shape(); }
  DType dtype() const { return value().dtype(); }
  std::int64_t size() const { return value().size(); }
  /// Unique for the process; equal for copies of one Variable.
  std::uint64_t id() const;
  bool is_same(const Variable& other) const noexcept { return state_ == other.state_; }

  /// Replaces the value; shape and dtype must match the current value (ShapeError/DTypeError).
  void assign(const Tensor& value);
  void assign_add(const Tensor& delta);
  void assign_sub(const Tensor& delta);
  /// Writable pointer to the value's elements for in-place updates (optimizers). Copies the
  /// storage first if another tensor shares it. T must match dtype().
  template <class T>
  T* mutable_data();

  void set_constraint(Constraint constraint);
  const Constraint& constraint() const;

  /// Internal: the state shared by copies.
  detail::VariableState* state() const noexcept { return state_.get(); }

 private:
  std::shared_ptr<detail::VariableState> state_;
};

}  // namespace strata
