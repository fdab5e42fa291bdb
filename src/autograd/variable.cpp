#include "strata/autograd/variable.hpp"

#include <atomic>
#include <cstring>

#include "autograd/variable_state.hpp"
#include "detail/errors.hpp"
#include "detail/tensor_impl.hpp"
#include "strata/autograd/tape.hpp"

namespace strata {
namespace detail {

VariableState::~VariableState() {
  if (value.defined() && value.impl()->variable == this) value.impl()->variable = nullptr;
}

void VariableState::ensure_unique() {
  if (value.impl_ptr().use_count() == 1 && !value.impl()->base) return;
  Tensor fresh = make_tensor(value.shape(), value.dtype());
  if (value.nbytes()) std::memcpy(fresh.impl()->data, value.raw_data(), value.nbytes());
  value.impl()->variable = nullptr;  // the old tensor becomes a plain snapshot
  fresh.impl()->variable = this;
  value = std::move(fresh);
}

void VariableState::adopt(Tensor t) {
  if (value.defined() && value.impl()->variable == this) value.impl()->variable = nullptr;
  if (t.impl_ptr().use_count() != 1 || t.impl()->base || t.impl()->variable) t = t.clone();
  t.impl()->variable = this;
  value = std::move(t);
}

}  // namespace detail

namespace {
std::uint64_t next_variable_id() {
  static std::atomic<std::uint64_t> counter{1};
  return counter.fetch_add(1, std::memory_order_relaxed);
}

detail::VariableState& state_of(const std::shared_ptr<detail::VariableState>& s) {
  if (!s) throw ValueError("use of an undefined Variable (default-constructed)");
  return *s;
}
}  // namespace

Variable::Variable(Tensor initial, std::string name, bool trainable)
    : state_(std::make_shared<detail::VariableState>()) {
  detail::check_defined("Variable", initial, "initial value");
  state_->name = std::move(name);
  state_->trainable = trainable;
  state_->id = next_variable_id();
  state_->adopt(std::move(initial));
}

const Tensor& Variable::value() const { return state_of(state_).value; }
const std::string& Variable::name() const { return state_of(state_).name; }
void Variable::set_name(std::string name) { state_of(state_).name = std::move(name); }
bool Variable::trainable() const { return state_of(state_).trainable; }
void Variable::set_trainable(bool trainable) { state_of(state_).trainable = trainable; }
std::uint64_t Variable::id() const { return state_of(state_).id; }

void Variable::assign(const Tensor& value) {
  auto& s = state_of(state_);
  detail::check_defined("Variable::assign", value, "value");
  if (value.shape() != s.value.shape())
    detail::raise<ShapeError>("Variable '{}': assign of shape {} to a variable of shape {}", s.name, value.shape(),
                              s.value.shape());
  if (value.dtype() != s.value.dtype())
    detail::raise<DTypeError>("Variable '{}': assign of dtype {} to a variable of dtype {}", s.name, value.dtype(),
                              s.value.dtype());
  if (value.is_same(s.value)) return;
  s.ensure_unique();
  if (value.nbytes()) std::memcpy(s.value.impl()->data, value.raw_data(), value.nbytes());
}


template <class T>
T* Variable::mutable_data() {
  auto& s = state_of(state_);
  if (s.value.dtype() != dtype_of_v<T>)
    detail::raise<DTypeError>("Variable '{}': mutable_data<{}> on a {} variable", s.name, dtype_name(dtype_of_v<T>),
                              s.value.dtype());
  s.ensure_unique();
  return detail::mut_ptr<T>(s.value);
}
template float* Variable::mutable_data<float>();
template double* Variable::mutable_data<double>();
template std::int64_t* Variable::mutable_data<std::int64_t>();

void Variable::set_constraint(Constraint constraint) { state_of(state_).constraint = std::move(constraint); }
const Variable::Constraint& Variable::constraint() const { return state_of(state_).constraint; }

}  // namespace strata
