#pragma once
// A bound on the weights layers may create on this thread while a model is loaded from a file:
// the file's weight data bounds what its model can need (every weight is in the file, at one
// byte per element at least), so a config asking for more (a Dense of 55,000,000 units in a
// 4 KB file) is refused before anything is allocated.
#include <cstdint>
#include <string>

namespace strata::layers {

class WeightBudget {
 public:
  /// While alive, add_weight on this thread creates at most `elements` elements in all, and
  /// names `what` (the file) when one more is asked for.
  WeightBudget(std::uint64_t elements, std::string what);
  ~WeightBudget();
  WeightBudget(const WeightBudget&) = delete;
  WeightBudget& operator=(const WeightBudget&) = delete;

  /// Counts `n` elements against the innermost budget of this thread (if any); false when they
  /// do not fit.
  static bool take(std::uint64_t n);
  /// The innermost budget's limit and file, for the error.
  static std::uint64_t limit();
  static const std::string& what();

 private:
  std::uint64_t limit_, used_ = 0;
  std::string what_;
  WeightBudget* outer_;
};

}  // namespace strata::layers
