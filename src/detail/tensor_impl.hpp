#pragma once
// The storage behind a Tensor handle and the helpers kernels use to make tensors.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "strata/tensor.hpp"

namespace strata::detail {

struct VariableState;

/// Aligned buffers for tensor data. Buffers of 16 KiB and more are cached by size and reused
/// (training loops allocate the same sizes every step; reuse avoids page faults). The cache is
/// off under AddressSanitizer so that use-after-free stays visible.
void* allocate(std::size_t nbytes);
void deallocate(void* p, std::size_t nbytes) noexcept;
std::size_t allocator_cached_bytes() noexcept;
void release_cached_memory() noexcept;

struct TensorImpl {
  TensorImpl();
  TensorImpl(const TensorImpl&) = delete;
  TensorImpl& operator=(const TensorImpl&) = delete;
  ~TensorImpl();

  Shape shape;
  std::int64_t numel = 0;
  DType dtype = DType::float32;
  void* data = nullptr;            // the elements (row-major, contiguous)
  std::size_t capacity = 0;        // bytes owned by `data` when this impl owns it
  bool owns = false;               // data was allocated by this impl (not inline, not a view)
  std::shared_ptr<TensorImpl> base;  // a view keeps the impl owning its data alive
  std::uint64_t id = 0;
  VariableState* variable = nullptr;  // set while this is a Variable's current value
  alignas(16) unsigned char inline_buf[32];
};

std::uint64_t next_tensor_id() noexcept;
/// Tensors alive in the process (a leak check for tests and benchmarks).
std::int64_t live_tensors() noexcept;

/// A tensor with uninitialized elements.
Tensor make_tensor(const Shape& shape, DType dtype);
/// A tensor of `shape` sharing the elements of `base` (same number of elements).
Tensor make_view(const Tensor& base, const Shape& shape);
/// A tensor of `shape` sharing base's elements from element `offset` on (which must fit).
Tensor make_subview(const Tensor& base, std::int64_t offset, const Shape& shape);

/// True when `t` is the only handle to memory it owns (no other Tensor, view, Variable or
/// saved copy refers to it). The tape asks this before handing a backward its upstream
/// gradient to overwrite (BackwardContext::writable_grad).
inline bool is_exclusive(const Tensor& t) noexcept {
  const auto& p = t.impl_ptr();
  return p && p.use_count() == 1 && p->owns && !p->base && p->variable == nullptr;
}

template <class T>
inline const T* ptr(const Tensor& t) noexcept {
  return static_cast<const T*>(t.impl()->data);
}
/// For freshly made tensors only (no copy-on-write check).
template <class T>
inline T* mut_ptr(const Tensor& t) noexcept {
  return static_cast<T*>(t.impl()->data);
}

}  // namespace strata::detail
