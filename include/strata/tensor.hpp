#pragma once
/// strata's n-dimensional array: an immutable value handle, O(1) to copy.
///
///   Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});   // float32 by default
///   Tensor y = x * 2.0 + 1.0;                                      // ops live in strata/ops
///   std::cout << y;             // Tensor([[3, 5, 7], [9, 11, 13]], shape=[2, 3], dtype=float32)
///   float first = y.to_vector<float>()[0];
///
/// Copies share storage; no op ever changes a Tensor in place (Variables hold the mutable state).
/// Row-major, NumPy broadcasting, runtime dtype: float32 (default), float64, int64.
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "strata/dtype.hpp"
#include "strata/shape.hpp"

namespace strata {

namespace detail {
struct TensorImpl;
}
class Generator;

class Tensor {
 public:
  /// An undefined tensor (`defined() == false`), like a null handle.
  Tensor() noexcept = default;

  // ---- factories --------------------------------------------------------------------------
  static Tensor zeros(const Shape& shape, DType dtype = DType::float32);
  static Tensor ones(const Shape& shape, DType dtype = DType::float32);
  static Tensor full(const Shape& shape, double value, DType dtype = DType::float32);
  /// A 0-d tensor.
  static Tensor scalar(double value, DType dtype = DType::float32);
  /// [0, 1, ..., ceil(stop) - 1], like numpy.arange(stop).
  static Tensor arange(double stop, DType dtype = DType::float32);
  /// [start, start + step, ...) up to but excluding stop; step may be negative, not zero.
  static Tensor arange(double start, double stop, double step = 1.0, DType dtype = DType::float32);
  /// Values in row-major order; values.size() must equal shape.num_elements().
  static Tensor from_vector(const std::vector<double>& values, const Shape& shape,
                            DType dtype = DType::float32);
  /// Copies `shape.num_elements()` elements of type T (float, double or int64_t).
  template <class T>
  static Tensor from_data(const T* data, const Shape& shape);
  /// Normal samples from the global generator (seeded by strata::set_seed) or from `gen`.
  static Tensor random_normal(const Shape& shape, double mean = 0.0, double stddev = 1.0,
                              DType dtype = DType::float32);
  static Tensor random_normal(const Shape& shape, double mean, double stddev, DType dtype,
                              Generator& gen);
  /// Uniform samples in [minval, maxval).
  static Tensor random_uniform(const Shape& shape, double minval = 0.0, double maxval = 1.0,
                               DType dtype = DType::float32);
  static Tensor random_uniform(const Shape& shape, double minval, double maxval, DType dtype,
                               Generator& gen);
  /// Uninitialized storage, for custom kernels: fill it through mutable_data() before use.
  static Tensor empty(const Shape& shape, DType dtype = DType::float32);

  // ---- properties -------------------------------------------------------------------------
  bool defined() const noexcept { return impl_ != nullptr; }
  explicit operator bool() const noexcept { return defined(); }
  const Shape& shape() const;
  DType dtype() const;
  /// Number of elements.
  std::int64_t size() const;
  std::size_t rank() const;
  /// Dimension `axis` (negative counts from the back).
  std::int64_t dim(std::int64_t axis) const;
  std::size_t nbytes() const;
  /// Unique for the lifetime of the process; tapes track tensors by it.
  std::uint64_t id() const;
  /// True when both handles refer to the same tensor (not merely equal values).
  bool is_same(const Tensor& other) const noexcept { return impl_ == other.impl_; }

  // ---- element access ---------------------------------------------------------------------
  /// The single element of a 1-element tensor, converted to T; throws ValueError otherwise.
  template <class T>
  T item() const;
  /// All elements in row-major order, converted to T (float, double, int64_t or int).
  template <class T>
  std::vector<T> to_vector() const;
  /// Read-only pointer to the elements; T must match dtype() exactly (DTypeError otherwise).
  template <class T>
  const T* data() const;
  const void* raw_data() const;
  /// Writable pointer. If the storage is shared with other tensors it is copied first, so no
  /// other tensor ever sees the write (the tensor then gets a new id).
  template <class T>
  T* mutable_data();

  /// A converted copy (differentiable between float32 and float64); same tensor if equal dtype.
  Tensor astype(DType dtype) const;
  /// A copy with its own storage.
  Tensor clone() const;

  /// NumPy-style text: values (elided beyond 1000 elements), shape and dtype.
  std::string to_string() const;

  // ---- internals --------------------------------------------------------------------------
  explicit Tensor(std::shared_ptr<detail::TensorImpl> impl) noexcept : impl_(std::move(impl)) {}
  detail::TensorImpl* impl() const noexcept { return impl_.get(); }
  const std::shared_ptr<detail::TensorImpl>& impl_ptr() const noexcept { return impl_; }

 private:
  std::shared_ptr<detail::TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

/// How many tensors are alive in the process: a leak check (a training loop keeps it flat).
std::int64_t live_tensor_count() noexcept;

/// Tensors of the same shape, dtype and values, element by element.
bool array_equal(const Tensor& a, const Tensor& b);
/// |a - b| <= atol + rtol * |b| everywhere (shapes must match exactly; NaNs never match).
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8);

/// The largest tensor strata makes, in bytes (default 64 GiB). A bigger request (a corrupt
/// file's shape, a config asking for a billion units) throws ValueError instead of exhausting
/// memory; loaders of untrusted files also check sizes against the data they hold.
void set_max_tensor_bytes(std::uint64_t bytes);
std::uint64_t max_tensor_bytes();

}  // namespace strata
