#include "strata/tensor.hpp"

#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>

#include "detail/dispatch.hpp"
#include "detail/errors.hpp"
#include "detail/tensor_impl.hpp"
#include "strata/random.hpp"

namespace strata {
namespace detail {

namespace {
std::atomic<std::int64_t> g_live{0};
}

TensorImpl::TensorImpl() { g_live.fetch_add(1, std::memory_order_relaxed); }

TensorImpl::~TensorImpl() {
  if (owns) deallocate(data, capacity);
  g_live.fetch_sub(1, std::memory_order_relaxed);
}

std::int64_t live_tensors() noexcept { return g_live.load(std::memory_order_relaxed); }

std::uint64_t next_tensor_id() noexcept {
  static std::atomic<std::uint64_t> counter{1};
  return counter.fetch_add(1, std::memory_order_relaxed);
}

namespace {
std::atomic<std::uint64_t> g_max_tensor_bytes{std::uint64_t(1) << 36};  // 64 GiB
}  // namespace

Tensor make_tensor(const Shape& shape, DType dtype) {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->dtype = dtype;
  std::int64_t n = 1;
  for (auto d : shape) {
    if (d < 0) raise<ShapeError>("cannot make a tensor of shape {}: dimensions must be known and non-negative", shape);
    if (d != 0 && n > std::numeric_limits<std::int64_t>::max() / d)
      raise<ValueError>("cannot make a tensor of shape {}: its size overflows", shape);
    n *= d;
  }
  impl->numel = n;
  const std::uint64_t wanted = static_cast<std::uint64_t>(n);
  if (wanted > max_tensor_bytes() / dtype_size(dtype))
    raise<ValueError>("cannot make a tensor of shape {} ({} elements of {}): larger than the limit of {} bytes "
                      "(strata::set_max_tensor_bytes)",
                      shape, n, dtype_name(dtype), max_tensor_bytes());
  const std::size_t bytes = static_cast<std::size_t>(n) * dtype_size(dtype);
  if (bytes <= sizeof(impl->inline_buf)) {
    impl->data = impl->inline_buf;
  } else {
    impl->data = allocate(bytes);
    impl->capacity = bytes;
    impl->owns = true;
  }
  impl->id = next_tensor_id();
  return Tensor(std::move(impl));
}

Tensor make_subview(const Tensor& base, std::int64_t offset, const Shape& shape) {
  const TensorImpl* b = base.impl();
  const std::int64_t n = shape.num_elements();
  if (offset < 0 || n < 0 || offset + n > b->numel)
    raise<ShapeError>("a view of {} elements at {} does not fit a tensor of {}", n, offset, b->numel);
  if (offset == 0 && n == b->numel) return make_view(base, shape);
  Tensor t = make_tensor(shape, b->dtype);
  if (n * static_cast<std::int64_t>(dtype_size(b->dtype)) <= static_cast<std::int64_t>(sizeof(t.impl()->inline_buf))) {
    std::memcpy(t.impl()->data, static_cast<const char*>(b->data) + offset * dtype_size(b->dtype),
                static_cast<std::size_t>(n) * dtype_size(b->dtype));  // tiny: a copy (inline storage)
    return t;
  }
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->dtype = b->dtype;
  impl->numel = n;
  impl->data = static_cast<char*>(b->data) + offset * static_cast<std::int64_t>(dtype_size(b->dtype));
  impl->base = b->base ? b->base : base.impl_ptr();
  impl->id = next_tensor_id();
  return Tensor(std::move(impl));
}

Tensor make_view(const Tensor& base, const Shape& shape) {
  auto impl = std::make_shared<TensorImpl>();
  const TensorImpl* b = base.impl();
  impl->shape = shape;
  impl->dtype = b->dtype;
  impl->numel = b->numel;
  if (b->data == b->inline_buf) {  // tiny: copy instead of aliasing another impl's inline buffer
    std::memcpy(impl->inline_buf, b->inline_buf, sizeof(impl->inline_buf));
    impl->data = impl->inline_buf;
  } else {
    impl->data = b->data;
    impl->base = b->base ? b->base : base.impl_ptr();
  }
  impl->id = next_tensor_id();
  return Tensor(std::move(impl));
}

std::string shapes_str(const std::vector<const Tensor*>& ts) {
  std::string s;
  for (std::size_t i = 0; i < ts.size(); ++i) {
    if (i) s += ", ";
    s += ts[i]->shape().to_string();
  }
  return s;
}

void check_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype())
    raise<DTypeError>("{}: dtype mismatch: {} {} vs {} {} (convert one with astype)", op, a.dtype(), a.shape(),
                      b.dtype(), b.shape());
}

void check_floating(const char* op, const Tensor& x) {
  if (!is_floating(x.dtype()))
    raise<DTypeError>("{}: expected a floating dtype (float32 or float64), got {} {}", op, x.dtype(), x.shape());
}

void check_defined(const char* op, const Tensor& x, const char* what) {
  if (!x.defined()) raise<ValueError>("{}: {} is an undefined Tensor", op, what);
}

}  // namespace detail

using detail::TensorImpl;

namespace {
const TensorImpl& checked(const std::shared_ptr<TensorImpl>& impl) {
  if (!impl) throw ValueError("use of an undefined Tensor (default-constructed or moved-from)");
  return *impl;
}

template <class T>
void fill_values(Tensor& t, double value) {
  T* p = detail::mut_ptr<T>(t);
  const T v = static_cast<T>(value);
  for (std::int64_t i = 0, i_end = t.size(); i < i_end; ++i) p[i] = v;
}
}  // namespace

Tensor Tensor::empty(const Shape& shape, DType dtype) { return detail::make_tensor(shape, dtype); }

Tensor Tensor::zeros(const Shape& shape, DType dtype) {
  Tensor t = detail::make_tensor(shape, dtype);
  std::memset(t.impl()->data, 0, t.nbytes());
  return t;
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype) {
  Tensor t = detail::make_tensor(shape, dtype);
  detail::dispatch(dtype, [&](auto tag) { fill_values<decltype(tag)>(t, value); });
  return t;
}

Tensor Tensor::ones(const Shape& shape, DType dtype) { return full(shape, 1.0, dtype); }
Tensor Tensor::scalar(double value, DType dtype) { return full(Shape{}, value, dtype); }

Tensor Tensor::arange(double stop, DType dtype) { return arange(0.0, stop, 1.0, dtype); }

Tensor Tensor::arange(double start, double stop, double step, DType dtype) {
  if (step == 0.0 || !std::isfinite(step) || !std::isfinite(start) || !std::isfinite(stop))
    detail::raise<ValueError>("arange: start, stop and step must be finite and step nonzero (got {}, {}, {})", start,
                              stop, step);
  const double count = std::ceil((stop - start) / step);
  const auto n = static_cast<std::int64_t>(count > 0 ? count : 0);
  Tensor t = detail::make_tensor(Shape{n}, dtype);
  detail::dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = detail::mut_ptr<T>(t);
    for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start + static_cast<double>(i) * step);
  });
  return t;
}

Tensor Tensor::from_vector(const std::vector<double>& values, const Shape& shape, DType dtype) {
  const std::int64_t n = shape.num_elements();
  if (n < 0) detail::raise<ShapeError>("Tensor::from_vector: shape {} has unknown dimensions", shape);
  if (static_cast<std::int64_t>(values.size()) != n)
    detail::raise<ShapeError>("Tensor::from_vector: {} values do not fill shape {} ({} elements)", values.size(),
                              shape, n);
  Tensor t = detail::make_tensor(shape, dtype);
  detail::dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = detail::mut_ptr<T>(t);
    for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(values[static_cast<std::size_t>(i)]);
  });
  return t;
}

template <class T>
Tensor Tensor::from_data(const T* data, const Shape& shape) {
  if (shape.num_elements() < 0) detail::raise<ShapeError>("Tensor::from_data: shape {} has unknown dimensions", shape);
  Tensor t = detail::make_tensor(shape, dtype_of_v<T>);
  if (t.size() > 0) std::memcpy(t.impl()->data, data, t.nbytes());
  return t;
}
template Tensor Tensor::from_data<float>(const float*, const Shape&);
template Tensor Tensor::from_data<double>(const double*, const Shape&);
template Tensor Tensor::from_data<std::int64_t>(const std::int64_t*, const Shape&);

Tensor Tensor::random_normal(const Shape& shape, double mean, double stddev, DType dtype) {
  Generator gen(global_seed_draw());
  return random_normal(shape, mean, stddev, dtype, gen);
}

Tensor Tensor::random_normal(const Shape& shape, double mean, double stddev, DType dtype, Generator& gen) {
  Tensor t = detail::make_tensor(shape, dtype);
  detail::dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = detail::mut_ptr<T>(t);
    for (std::int64_t i = 0, i_end = t.size(); i < i_end; ++i) p[i] = static_cast<T>(mean + stddev * gen.normal());
  });
  return t;
}

Tensor Tensor::random_uniform(const Shape& shape, double minval, double maxval, DType dtype) {
  Generator gen(global_seed_draw());
  return random_uniform(shape, minval, maxval, dtype, gen);
}

Tensor Tensor::random_uniform(const Shape& shape, double minval, double maxval, DType dtype, Generator& gen) {
  if (!(maxval > minval))
    detail::raise<ValueError>("Tensor::random_uniform: maxval ({}) must be greater than minval ({})", maxval, minval);
  Tensor t = detail::make_tensor(shape, dtype);
  detail::dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = detail::mut_ptr<T>(t);
    if constexpr (std::is_integral_v<T>) {
      const auto lo = static_cast<std::int64_t>(std::ceil(minval));
      const auto span = static_cast<std::uint64_t>(static_cast<std::int64_t>(std::ceil(maxval)) - lo);
      for (std::int64_t i = 0, i_end = t.size(); i < i_end; ++i) p[i] = lo + static_cast<std::int64_t>(gen.below(span));
    } else {
      for (std::int64_t i = 0, i_end = t.size(); i < i_end; ++i) {
        T v = static_cast<T>(minval + (maxval - minval) * gen.uniform());
        p[i] = v < static_cast<T>(maxval) ? v : static_cast<T>(minval);  // rounding to float must stay < maxval
      }
    }
  });
  return t;
}

const Shape& Tensor::shape() const { return checked(impl_).shape; }
DType Tensor::dtype() const { return checked(impl_).dtype; }
std::int64_t Tensor::size() const { return checked(impl_).numel; }
std::size_t Tensor::rank() const { return checked(impl_).shape.rank(); }
std::int64_t Tensor::dim(std::int64_t axis) const { return checked(impl_).shape.dim(axis); }
std::size_t Tensor::nbytes() const {
  const auto& i = checked(impl_);
  return static_cast<std::size_t>(i.numel) * dtype_size(i.dtype);
}
std::uint64_t Tensor::id() const { return checked(impl_).id; }
const void* Tensor::raw_data() const { return checked(impl_).data; }

template <class T>
const T* Tensor::data() const {
  const auto& i = checked(impl_);
  if (i.dtype != dtype_of_v<T>)
    detail::raise<DTypeError>("Tensor::data<{}>: the tensor's dtype is {}", dtype_name(dtype_of_v<T>), i.dtype);
  return static_cast<const T*>(i.data);
}
template const float* Tensor::data<float>() const;
template const double* Tensor::data<double>() const;
template const std::int64_t* Tensor::data<std::int64_t>() const;

template <class T>
T* Tensor::mutable_data() {
  const auto& i = checked(impl_);
  if (i.dtype != dtype_of_v<T>)
    detail::raise<DTypeError>("Tensor::mutable_data<{}>: the tensor's dtype is {}", dtype_name(dtype_of_v<T>),
                              i.dtype);
  if (impl_.use_count() != 1 || i.base || i.variable) *this = clone();
  return static_cast<T*>(impl_->data);
}
template float* Tensor::mutable_data<float>();
template double* Tensor::mutable_data<double>();
template std::int64_t* Tensor::mutable_data<std::int64_t>();

template <class T>
T Tensor::item() const {
  const auto& i = checked(impl_);
  if (i.numel != 1)
    detail::raise<ValueError>("Tensor::item: expected a tensor with one element, got shape {}", i.shape);
  return detail::dispatch(i.dtype, [&](auto tag) -> T {
    using S = decltype(tag);
    return static_cast<T>(*static_cast<const S*>(i.data));
  });
}
template float Tensor::item<float>() const;
template double Tensor::item<double>() const;
template std::int64_t Tensor::item<std::int64_t>() const;
template int Tensor::item<int>() const;

template <class T>
std::vector<T> Tensor::to_vector() const {
  const auto& i = checked(impl_);
  std::vector<T> out(static_cast<std::size_t>(i.numel));
  detail::dispatch(i.dtype, [&](auto tag) {
    using S = decltype(tag);
    const S* p = static_cast<const S*>(i.data);
    for (std::int64_t k = 0; k < i.numel; ++k) out[static_cast<std::size_t>(k)] = static_cast<T>(p[k]);
  });
  return out;
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<std::int64_t> Tensor::to_vector<std::int64_t>() const;
template std::vector<int> Tensor::to_vector<int>() const;

Tensor Tensor::clone() const {
  const auto& i = checked(impl_);
  Tensor t = detail::make_tensor(i.shape, i.dtype);
  if (i.numel > 0) std::memcpy(t.impl()->data, i.data, nbytes());
  return t;
}

std::int64_t live_tensor_count() noexcept { return detail::live_tensors(); }

bool array_equal(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  return std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0 || [&] {
    return detail::dispatch(a.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T* pa = detail::ptr<T>(a);
      const T* pb = detail::ptr<T>(b);
      for (std::int64_t k = 0, k_end = a.size(); k < k_end; ++k)
        if (!(pa[k] == pb[k])) return false;
      return true;
    });
  }();
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol) {
  if (a.shape() != b.shape())
    detail::raise<ShapeError>("allclose: shapes differ: {} vs {}", a.shape(), b.shape());
  const auto va = a.to_vector<double>();
  const auto vb = b.to_vector<double>();
  for (std::size_t k = 0; k < va.size(); ++k) {
    if (std::isnan(va[k]) || std::isnan(vb[k])) return false;
    if (va[k] == vb[k]) continue;  // equal infinities
    if (!(std::fabs(va[k] - vb[k]) <= atol + rtol * std::fabs(vb[k]))) return false;
  }
  return true;
}

}  // namespace strata

namespace strata {

void set_max_tensor_bytes(std::uint64_t bytes) {
  if (bytes == 0) throw ValueError("set_max_tensor_bytes: the limit must be positive");
  detail::g_max_tensor_bytes = bytes;
}

std::uint64_t max_tensor_bytes() { return detail::g_max_tensor_bytes.load(); }

}  // namespace strata
