#include "strata/shape.hpp"

#include <algorithm>
#include <ostream>

#include "strata/error.hpp"

namespace strata {

Shape Shape::filled(std::size_t rank, std::int64_t value) {
  Shape s;
  s.resize(rank, value);
  return s;
}

Shape::Shape(Shape&& other) noexcept : data_(inline_) {
  if (other.data_ == other.inline_) {
    std::copy(other.inline_, other.inline_ + other.rank_, inline_);
  } else {
    heap_ = std::move(other.heap_);
    data_ = heap_.get();
    capacity_ = other.capacity_;
    other.data_ = other.inline_;
    other.capacity_ = kInline;
  }
  rank_ = other.rank_;
  other.rank_ = 0;
}

Shape& Shape::operator=(Shape&& other) noexcept {
  if (this == &other) return *this;
  if (other.data_ == other.inline_) {
    if (data_ != inline_ && capacity_ >= other.rank_) {
      std::copy(other.inline_, other.inline_ + other.rank_, data_);
    } else {
      heap_.reset();
      data_ = inline_;
      capacity_ = kInline;
      std::copy(other.inline_, other.inline_ + other.rank_, inline_);
    }
  } else {
    heap_ = std::move(other.heap_);
    data_ = heap_.get();
    capacity_ = other.capacity_;
    other.data_ = other.inline_;
    other.capacity_ = kInline;
  }
  rank_ = other.rank_;
  other.rank_ = 0;
  return *this;
}

void Shape::reserve(std::size_t n) {
  if (n <= capacity_) return;
  std::size_t cap = std::max<std::size_t>(n, 2 * capacity_);
  std::unique_ptr<std::int64_t[]> fresh(new std::int64_t[cap]);
  std::copy(data_, data_ + rank_, fresh.get());
  heap_ = std::move(fresh);
  data_ = heap_.get();
  capacity_ = static_cast<std::uint32_t>(cap);
}

void Shape::assign(const std::int64_t* first, const std::int64_t* last) {
  std::size_t n = static_cast<std::size_t>(last - first);
  if (n > capacity_) {
    std::unique_ptr<std::int64_t[]> fresh(new std::int64_t[n]);
    heap_ = std::move(fresh);
    data_ = heap_.get();
    capacity_ = static_cast<std::uint32_t>(n);
  }
  std::copy(first, last, data_);
  rank_ = static_cast<std::uint32_t>(n);
}

std::int64_t Shape::dim(std::int64_t axis) const { return data_[normalize_axis(axis, rank_, "Shape::dim")]; }

void Shape::push_back(std::int64_t d) {
  reserve(rank_ + 1);
  data_[rank_++] = d;
}

void Shape::insert(std::size_t pos, std::int64_t d) {
  if (pos > rank_) throw ValueError("Shape::insert: position " + std::to_string(pos) + " past rank " + std::to_string(rank_));
  reserve(rank_ + 1);
  std::copy_backward(data_ + pos, data_ + rank_, data_ + rank_ + 1);
  data_[pos] = d;
  ++rank_;
}

void Shape::erase(std::size_t pos) {
  if (pos >= rank_) throw ValueError("Shape::erase: position " + std::to_string(pos) + " past rank " + std::to_string(rank_));
  std::copy(data_ + pos + 1, data_ + rank_, data_ + pos);
  --rank_;
}

void Shape::resize(std::size_t rank, std::int64_t value) {
  reserve(rank);
  for (std::size_t i = rank_; i < rank; ++i) data_[i] = value;
  rank_ = static_cast<std::uint32_t>(rank);
}

std::int64_t Shape::num_elements() const noexcept {
  std::int64_t n = 1;
  for (std::size_t i = 0; i < rank_; ++i) {
    if (data_[i] < 0) return -1;
    n *= data_[i];
  }
  return n;
}

bool Shape::is_fully_defined() const noexcept {
  for (std::size_t i = 0; i < rank_; ++i)
    if (data_[i] < 0) return false;
  return true;
}

std::string Shape::to_string() const {
  std::string s = "[";
  for (std::size_t i = 0; i < rank_; ++i) {
    if (i) s += ", ";
    s += data_[i] < 0 ? std::string("None") : std::to_string(data_[i]);
  }
  return s + "]";
}

bool operator==(const Shape& a, const Shape& b) noexcept {
  return a.rank_ == b.rank_ && std::equal(a.begin(), a.end(), b.begin());
}

std::ostream& operator<<(std::ostream& os, const Shape& shape) { return os << shape.to_string(); }

std::size_t normalize_axis(std::int64_t axis, std::size_t rank, const char* op) {
  auto r = static_cast<std::int64_t>(rank);
  if (axis < -r || axis >= r)
    throw ValueError(std::string(op) + ": axis " + std::to_string(axis) + " is out of range for rank " +
                     std::to_string(rank) + " (valid: [" + std::to_string(-r) + ", " + std::to_string(r - 1) + "])");
  return static_cast<std::size_t>(axis < 0 ? axis + r : axis);
}

}  // namespace strata
