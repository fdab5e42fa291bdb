#pragma once
/// Define-by-run automatic differentiation with TensorFlow 2's GradientTape semantics.
///
///   Tensor x = Tensor::from_vector({3.0}, {}, DType::float64);
///   GradientTape outer;
///   outer.watch(x);
///   Tensor dy;
///   {
///     GradientTape inner;
///     inner.watch(x);
///     Tensor y = x * x * x;
///     dy = inner.gradient(y, {x})[0];          // 3x^2 = 27, itself recorded by `outer`
///   }
///   Tensor d2y = outer.gradient(dy, {x})[0];  // 6x = 18
///
/// A tape records every op whose inputs it watches while it lives (trainable Variables are
/// watched on first read; Tensors by `watch`), in execution order; `gradient` replays the
/// records in reverse. Backward rules are written with public ops, so an outer tape records
/// them and gradients of gradients work. Tapes are thread-local: tapes in two threads never mix.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "strata/autograd/variable.hpp"
#include "strata/tensor.hpp"

namespace strata {

namespace detail {
struct TapeState;
}

/// What `gradient` returns for a source the target does not depend on.
enum class UnconnectedGradients {
  zero,   ///< a zero tensor of the source's shape (the default)
  none,   ///< an undefined Tensor (TensorFlow's None)
  error,  ///< throw ValueError naming the source
};

class GradientTape {
 public:
  explicit GradientTape(bool persistent = false, bool watch_accessed_variables = true);
  ~GradientTape();
  GradientTape(const GradientTape&) = delete;
  GradientTape& operator=(const GradientTape&) = delete;

  /// Records ops that read `t` from now on. Only float tensors can be watched (DTypeError).
  void watch(const Tensor& t);
  void watch(const std::vector<Tensor>& ts);
  /// Watches a variable even when it is not trainable or watch_accessed_variables is false.
  void watch(const Variable& v);

  /// d target / d sources. A non-scalar target means the gradient of its sum, unless
  /// `output_gradient` (same shape as target) gives the upstream gradient explicitly.
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<Tensor>& sources,
                               const Tensor& output_gradient = Tensor(),
                               UnconnectedGradients unconnected = UnconnectedGradients::zero);
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<Variable>& sources,
                               const Tensor& output_gradient = Tensor(),
                               UnconnectedGradients unconnected = UnconnectedGradients::zero);
  std::vector<Tensor> gradient(const Tensor& target, std::initializer_list<Tensor> sources,
                               const Tensor& output_gradient = Tensor(),
                               UnconnectedGradients unconnected = UnconnectedGradients::zero);
  std::vector<Tensor> gradient(const Tensor& target, std::initializer_list<Variable> sources,
                               const Tensor& output_gradient = Tensor(),
                               UnconnectedGradients unconnected = UnconnectedGradients::zero);

  /// Pauses this tape while the returned guard lives.
  class RecordingPause {
   public:
    explicit RecordingPause(detail::TapeState* state);
    RecordingPause(RecordingPause&& other) noexcept;
    RecordingPause(const RecordingPause&) = delete;
    RecordingPause& operator=(const RecordingPause&) = delete;
    RecordingPause& operator=(RecordingPause&&) = delete;
    ~RecordingPause();

   private:
    detail::TapeState* state_;
  };
  [[nodiscard]] RecordingPause stop_recording();

  /// Forgets everything recorded and watched; the tape keeps recording.
  void reset();

  bool persistent() const;
  /// Number of op records the tape holds.
  std::size_t num_records() const;
  /// Bytes of tensor storage the records hold for backward (shared storage counted once).
  std::size_t saved_bytes() const;
  /// One line per record: index, op, input and output shapes and dtypes, bytes held.
  std::string dump() const;
  /// The records as a Graphviz digraph (ops as boxes, tensors as edges labelled by shape).
  std::string to_dot() const;

 private:
  std::vector<Tensor> gradient_impl(const Tensor& target, const std::vector<Tensor>& tensor_sources,
                                    const std::vector<Variable>& variable_sources,
                                    const Tensor& output_gradient, UnconnectedGradients unconnected);
  std::unique_ptr<detail::TapeState> state_;
};

/// Disables recording on every tape of this thread while it lives (torch.no_grad).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;
};

/// An identity that no tape records through: its gradient is zero.
Tensor stop_gradient(const Tensor& x);

/// Writing ops with their own backward (how every built-in op records itself):
///
///   Tensor my_square(const Tensor& x) {
///     Tensor y;
///     { NoGradGuard kernel; y = x * x; }   // or any kernel; not recorded itself
///     if (autograd::should_record({&x}))
///       autograd::record("my_square", {&x}, {&y}, {x},
///           [](const autograd::BackwardContext& c) -> std::vector<Tensor> {
///             return {c.grad() * c.saved(0) * 2.0};   // d(x^2) = 2x dx, with public ops
///           });
///     return y;
///   }
namespace autograd {

class BackwardContext {
 public:
  /// Upstream gradient of output `i` (a zero tensor if that output received none).
  const Tensor& grad(std::size_t i = 0) const;
  /// A tensor of grad(i)'s shape and dtype that this backward may overwrite: grad(i) itself
  /// when the tape hands it over (the tape holds its only reference and frees it after this
  /// backward; not when the gradient is requested, shared or the caller's), else a new tensor
  /// with uninitialized elements. `result.is_same(grad(i))` tells which. A fused backward
  /// writes its result there instead of allocating.
  Tensor writable_grad(std::size_t i = 0) const;
  /// The i-th tensor saved at record time.
  const Tensor& saved(std::size_t i) const;
  /// Whether the gradient of input `i` is wanted; skip the work (return Tensor()) otherwise.
  bool needs_grad(std::size_t i) const;
  std::size_t num_inputs() const;
  std::size_t num_outputs() const;
  const Shape& input_shape(std::size_t i) const;
  DType input_dtype(std::size_t i) const;

  // Internal.
  struct Impl;
  explicit BackwardContext(const Impl* impl) : impl_(impl) {}

 private:
  const Impl* impl_;
};

/// Returns one gradient per input (an undefined Tensor where none is needed or defined), each
/// of its input's shape and dtype.
using BackwardFn = std::function<std::vector<Tensor>(const BackwardContext&)>;
using TensorPtrs = std::initializer_list<const Tensor*>;

/// True when no recording is possible on this thread (no active, unpaused tape): the fast path.
bool recording_disabled() noexcept;
/// True when some active tape of this thread watches one of `inputs`.
bool should_record(TensorPtrs inputs);
bool should_record(const std::vector<Tensor>& inputs);
/// Records an op on every active tape that watches one of its inputs. `saved` is what the
/// backward needs (the tape accounts for and releases it).
void record(const char* op, TensorPtrs inputs, TensorPtrs outputs, std::vector<Tensor> saved,
            BackwardFn backward);
void record(const char* op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
            std::vector<Tensor> saved, BackwardFn backward);

}  // namespace autograd
}  // namespace strata
