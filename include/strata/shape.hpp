#pragma once
/// The dimensions of a Tensor, row-major. Small shapes live inline (no allocation).
///   Shape s{32, 28, 28};   s.rank() == 3;   s.num_elements() == 25088;   s.to_string() == "[32, 28, 28]"
/// In symbolic shapes (Input, compute_output_shape) -1 marks an unknown dimension, Keras's None.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace strata {

class Shape {
 public:
  using value_type = std::int64_t;
  using iterator = std::int64_t*;
  using const_iterator = const std::int64_t*;

  Shape() noexcept : data_(inline_) {}
  Shape(std::initializer_list<std::int64_t> dims) : Shape(dims.begin(), dims.end()) {}
  Shape(const std::vector<std::int64_t>& dims) : Shape(dims.data(), dims.data() + dims.size()) {}
  Shape(const std::int64_t* first, const std::int64_t* last) : data_(inline_) { assign(first, last); }
  /// `rank` dimensions, each `value`.
  static Shape filled(std::size_t rank, std::int64_t value);

  Shape(const Shape& other) : data_(inline_) { assign(other.begin(), other.end()); }
  Shape& operator=(const Shape& other) {
    if (this != &other) assign(other.begin(), other.end());
    return *this;
  }
  Shape(Shape&& other) noexcept;
  Shape& operator=(Shape&& other) noexcept;
  ~Shape() = default;

  std::size_t rank() const noexcept { return rank_; }
  std::size_t size() const noexcept { return rank_; }
  bool empty() const noexcept { return rank_ == 0; }
  std::int64_t operator[](std::size_t i) const noexcept { return data_[i]; }
  std::int64_t& operator[](std::size_t i) noexcept { return data_[i]; }
  /// Dimension `axis`, negative counting from the back; throws ValueError when out of range.
  std::int64_t dim(std::int64_t axis) const;
  std::int64_t back() const noexcept { return data_[rank_ - 1]; }
  std::int64_t front() const noexcept { return data_[0]; }
  const std::int64_t* data() const noexcept { return data_; }
  iterator begin() noexcept { return data_; }
  iterator end() noexcept { return data_ + rank_; }
  const_iterator begin() const noexcept { return data_; }
  const_iterator end() const noexcept { return data_ + rank_; }

  void push_back(std::int64_t d);
  void insert(std::size_t pos, std::int64_t d);
  void erase(std::size_t pos);
  void resize(std::size_t rank, std::int64_t value = 0);
  void clear() noexcept { rank_ = 0; }

  /// Product of the dimensions (1 for rank 0); -1 when any dimension is unknown (negative).
  std::int64_t num_elements() const noexcept;
  /// True when no dimension is unknown.
  bool is_fully_defined() const noexcept;
  std::vector<std::int64_t> to_vector() const { return {begin(), end()}; }
  /// "[2, 3]"; unknown dimensions print as "None", as Keras does.
  std::string to_string() const;

  friend bool operator==(const Shape& a, const Shape& b) noexcept;
  friend bool operator!=(const Shape& a, const Shape& b) noexcept { return !(a == b); }

 private:
  static constexpr std::size_t kInline = 6;
  void assign(const std::int64_t* first, const std::int64_t* last);
  void reserve(std::size_t n);

  std::int64_t* data_;
  std::uint32_t rank_ = 0;
  std::uint32_t capacity_ = kInline;
  std::int64_t inline_[kInline];
  std::unique_ptr<std::int64_t[]> heap_;
};

std::ostream& operator<<(std::ostream& os, const Shape& shape);

/// Normalizes `axis` (negative counts from the back) for a tensor of `rank`; throws ValueError
/// naming `op` when out of range.
std::size_t normalize_axis(std::int64_t axis, std::size_t rank, const char* op);

}  // namespace strata
