// NumPy-style printing of tensors.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "detail/dispatch.hpp"
#include "detail/tensor_impl.hpp"
#include "strata/tensor.hpp"

namespace strata {
namespace {

constexpr std::int64_t kThreshold = 1000;  // elide beyond this many elements, as NumPy does
constexpr std::int64_t kEdge = 3;

struct Printer {
  const Shape& shape;
  std::vector<std::string> cells;  // formatted elements, row-major
  std::vector<std::int64_t> strides;
  bool elide;
  std::size_t width = 0;
  std::string out;

  void row(std::size_t axis, std::int64_t offset, std::size_t indent) {
    const std::int64_t n = shape[axis];
    out += '[';
    const bool cut = elide && n > 2 * kEdge;
    for (std::int64_t i = 0; i < n; ++i) {
      if (cut && i == kEdge) {
        i = n - kEdge;
        if (axis + 1 == shape.rank()) {
          out += "..., ";
        } else {
          out += "...,\n";
          out.append(indent + 1, ' ');
        }
      }
      if (axis + 1 == shape.rank()) {
        const std::string& c = cells[static_cast<std::size_t>(offset + i * strides[axis])];
        out.append(width - c.size(), ' ');
        out += c;
        if (i + 1 < n) out += ", ";
      } else {
        row(axis + 1, offset + i * strides[axis], indent + 1);
        if (i + 1 < n) {
          out += ',';
          out.append(shape.rank() - axis - 1, '\n');
          out.append(indent + 1, ' ');
        }
      }
    }
    out += ']';
  }
};

/// How floats print, chosen once per tensor (as PyTorch does): integers as "3.", otherwise
/// fixed with 4 decimals, or scientific when the magnitudes call for it.
enum class FloatStyle { integral, fixed, scientific };

template <class T>
FloatStyle float_style(const T* d, std::int64_t n) {
  bool integral = true;
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (std::int64_t k = 0; k < n; ++k) {
    const double v = static_cast<double>(d[k]);
    if (!std::isfinite(v)) continue;
    if (v != std::nearbyint(v)) integral = false;
    const double a = std::fabs(v);
    if (a > 0) lo = std::min(lo, a);
    hi = std::max(hi, a);
  }
  if (integral && hi < 1e8) return FloatStyle::integral;
  if (hi >= 1e8 || (lo < 1e-4 && lo > 0)) return FloatStyle::scientific;
  return FloatStyle::fixed;
}

template <class T>
std::string format_cell(T v, FloatStyle style) {
  if constexpr (std::is_integral_v<T>) {
    return fmt::format("{}", v);
  } else {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    switch (style) {
      case FloatStyle::integral: return fmt::format("{:.0f}.", v);
      case FloatStyle::fixed: return fmt::format("{:.4f}", v);
      case FloatStyle::scientific: return fmt::format("{:.4e}", v);
    }
    return "";
  }
}

}  // namespace

std::string Tensor::to_string() const {
  if (!defined()) return "Tensor(undefined)";
  const Shape& s = shape();
  std::string body;
  if (s.rank() == 0) {
    body = detail::dispatch(dtype(), [&](auto tag) {
      const auto* d = detail::ptr<decltype(tag)>(*this);
      return format_cell(*d, float_style(d, 1));
    });
  } else if (size() == 0) {
    body = "[]";
  } else {
    Printer p{s, {}, {}, size() > kThreshold, 0, {}};
    p.strides.assign(s.rank(), 1);
    for (std::size_t a = s.rank() - 1; a > 0; --a) p.strides[a - 1] = p.strides[a] * s[a];
    // Format only the cells that will be shown.
    p.cells.resize(static_cast<std::size_t>(size()));
    detail::dispatch(dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T* d = detail::ptr<T>(*this);
      const FloatStyle style = float_style(d, size());
      for (std::int64_t k = 0; k < size(); ++k) {
        if (p.elide) {
          bool shown = true;
          std::int64_t rem = k;
          for (std::size_t a = 0; a < s.rank(); ++a) {
            const std::int64_t idx = rem / p.strides[a];
            rem %= p.strides[a];
            if (s[a] > 2 * kEdge && idx >= kEdge && idx < s[a] - kEdge) shown = false;
          }
          if (!shown) continue;
        }
        p.cells[static_cast<std::size_t>(k)] = format_cell(d[k], style);
        p.width = std::max(p.width, p.cells[static_cast<std::size_t>(k)].size());
      }
    });
    p.row(0, 0, 7);  // aligned under "Tensor("
    body = std::move(p.out);
  }
  return fmt::format("Tensor({}, shape={}, dtype={})", body, s.to_string(), dtype_name(dtype()));
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.to_string(); }

}  // namespace strata
