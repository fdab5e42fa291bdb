#pragma once
// Elementwise loops with NumPy broadcasting over contiguous row-major buffers.
//
// A BroadcastPlan collapses the output shape into as few dimensions as the operands allow
// (same shapes collapse to one flat dimension; [N, M] + [M] to two), with each operand's
// element stride per dimension (0 where it is broadcast). The innermost dimension then runs as
// a plain loop with stride 1 or 0 per operand, which the compiler vectorizes.
#include <algorithm>
#include <array>
#include <cstdint>

#include "detail/errors.hpp"
#include "detail/parallel.hpp"
#include "strata/shape.hpp"

namespace strata::detail {

constexpr std::size_t kMaxLoopRank = 32;

template <std::size_t N>
struct BroadcastPlan {
  Shape out_shape;
  std::int64_t numel = 0;
  std::size_t ndim = 0;  // collapsed dimensions
  std::array<std::int64_t, kMaxLoopRank> dims{};
  std::array<std::array<std::int64_t, kMaxLoopRank>, N> strides{};
};

/// The broadcast of several shapes; ShapeError naming `op` and every shape otherwise.
template <std::size_t N>
Shape broadcast_shape_of(const std::array<const Shape*, N>& shapes, const char* op) {
  std::size_t rank = 0;
  for (auto* s : shapes) rank = std::max(rank, s->rank());
  Shape out = Shape::filled(rank, 1);
  for (std::size_t d = 0; d < rank; ++d) {
    for (auto* s : shapes) {
      const std::size_t off = rank - s->rank();
      if (d < off) continue;
      const std::int64_t v = (*s)[d - off];
      if (v == out[d] || v == 1) continue;
      if (out[d] == 1) {
        out[d] = v;
        continue;
      }
      std::string all;
      for (auto* t : shapes) all += (all.empty() ? "" : " and ") + t->to_string();
      raise<ShapeError>("{}: shapes {} cannot be broadcast together (dimension {} of the result: {} vs {})", op, all,
                        d, out[d], v);
    }
  }
  return out;
}

template <std::size_t N>
BroadcastPlan<N> plan_broadcast(const std::array<const Shape*, N>& shapes, const char* op) {
  BroadcastPlan<N> p;
  p.out_shape = broadcast_shape_of<N>(shapes, op);
  const Shape& out = p.out_shape;
  const std::size_t rank = out.rank();
  p.numel = out.num_elements();
  if (rank > kMaxLoopRank) raise<ShapeError>("{}: rank {} exceeds the supported {}", op, rank, kMaxLoopRank);
  // Full-rank strides per operand.
  std::array<std::array<std::int64_t, kMaxLoopRank>, N> full{};
  for (std::size_t k = 0; k < N; ++k) {
    const Shape& s = *shapes[k];
    const std::size_t off = rank - s.rank();
    std::int64_t stride = 1;
    for (std::size_t d = rank; d-- > 0;) {
      if (d < off) {
        full[k][d] = 0;
        continue;
      }
      const std::int64_t v = s[d - off];
      full[k][d] = (v == 1) ? 0 : stride;
      stride *= v;
    }
  }
  // Collapse: drop size-1 dims, merge a dim into the previous kept one when every operand
  // continues contiguously across them.
  for (std::size_t d = 0; d < rank; ++d) {
    if (out[d] == 1) continue;
    if (p.ndim > 0) {
      bool mergeable = true;
      for (std::size_t k = 0; k < N; ++k)
        mergeable = mergeable && p.strides[k][p.ndim - 1] == full[k][d] * out[d];
      if (mergeable) {
        p.dims[p.ndim - 1] *= out[d];
        for (std::size_t k = 0; k < N; ++k) p.strides[k][p.ndim - 1] = full[k][d];
        continue;
      }
    }
    p.dims[p.ndim] = out[d];
    for (std::size_t k = 0; k < N; ++k) p.strides[k][p.ndim] = full[k][d];
    ++p.ndim;
  }
  return p;
}

/// Calls body(offsets, out_offset, inner_length, inner_strides) for each innermost run, with
/// large loops split across the threads (body must only write its own output range).
template <std::size_t N, class Body>
void for_each_run(const BroadcastPlan<N>& p, Body&& body) {
  if (p.numel == 0) return;
  std::array<std::int64_t, N> inner_stride{};
  if (p.ndim == 0) {  // every operand is a single element
    body(std::array<std::int64_t, N>{}, std::int64_t{0}, std::int64_t{1}, inner_stride);
    return;
  }
  const std::size_t last = p.ndim - 1;
  const std::int64_t inner = p.dims[last];
  for (std::size_t k = 0; k < N; ++k) inner_stride[k] = p.strides[k][last];
  const std::int64_t outer = p.numel / inner;
  if (outer == 1) {  // one long run (same shapes): split the run itself
    parallel_for(inner, [&](std::int64_t b, std::int64_t e) {
      std::array<std::int64_t, N> off{};
      for (std::size_t k = 0; k < N; ++k) off[k] = b * inner_stride[k];
      body(off, b, e - b, inner_stride);
    });
    return;
  }
  // Split the runs: each chunk starts from its first run's multi-index.
  parallel_for(
      outer,
      [&](std::int64_t ob, std::int64_t oe) {
        std::array<std::int64_t, kMaxLoopRank> idx{};
        std::array<std::int64_t, N> off{};
        for (std::int64_t rest = ob, d = static_cast<std::int64_t>(last); d-- > 0;) {
          idx[d] = rest % p.dims[d];
          rest /= p.dims[d];
          for (std::size_t k = 0; k < N; ++k) off[k] += idx[d] * p.strides[k][d];
        }
        for (std::int64_t o = ob; o < oe; ++o) {
          body(off, o * inner, inner, inner_stride);
          for (std::size_t d = last; d-- > 0;) {
            ++idx[d];
            for (std::size_t k = 0; k < N; ++k) off[k] += p.strides[k][d];
            if (idx[d] < p.dims[d]) break;
            for (std::size_t k = 0; k < N; ++k) off[k] -= p.strides[k][d] * p.dims[d];
            idx[d] = 0;
          }
        }
      },
      std::max<std::int64_t>(1, kParallelGrain / inner), 1);
}

/// out[i] = f(a[i], b[i]) under broadcasting.
template <class A, class B, class R, class F>
void binary_loop(const BroadcastPlan<2>& p, const A* a, const B* b, R* out, F f) {
  for_each_run(p, [&](const std::array<std::int64_t, 2>& off, std::int64_t o, std::int64_t n,
                      const std::array<std::int64_t, 2>& st) {
    const A* pa = a + off[0];
    const B* pb = b + off[1];
    R* po = out + o;
    if (st[0] == 1 && st[1] == 1) {
      for (std::int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
    } else if (st[0] == 1) {
      const B vb = pb[0];
      for (std::int64_t i = 0; i < n; ++i) po[i] = f(pa[i], vb);
    } else if (st[1] == 1) {
      const A va = pa[0];
      for (std::int64_t i = 0; i < n; ++i) po[i] = f(va, pb[i]);
    } else {
      const R v = f(pa[0], pb[0]);
      for (std::int64_t i = 0; i < n; ++i) po[i] = v;
    }
  });
}

/// out[i] = f(a[i], b[i], c[i]) under broadcasting. Each operand's innermost stride is 0 or 1;
/// the eight combinations get their own loops so the compiler can vectorize each.
template <int SA, int SB, int SC, class A, class B, class C, class R, class F>
inline void ternary_run(const A* a, const B* b, const C* c, R* out, std::int64_t n, F& f) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = f(a[i * SA], b[i * SB], c[i * SC]);
}

template <class A, class B, class C, class R, class F>
void ternary_loop(const BroadcastPlan<3>& p, const A* a, const B* b, const C* c, R* out, F f) {
  for_each_run(p, [&](const std::array<std::int64_t, 3>& off, std::int64_t o, std::int64_t n,
                      const std::array<std::int64_t, 3>& st) {
    const A* pa = a + off[0];
    const B* pb = b + off[1];
    const C* pc = c + off[2];
    R* po = out + o;
    switch ((st[0] != 0) * 4 + (st[1] != 0) * 2 + (st[2] != 0)) {
      case 7: ternary_run<1, 1, 1>(pa, pb, pc, po, n, f); break;
      case 6: ternary_run<1, 1, 0>(pa, pb, pc, po, n, f); break;
      case 5: ternary_run<1, 0, 1>(pa, pb, pc, po, n, f); break;
      case 4: ternary_run<1, 0, 0>(pa, pb, pc, po, n, f); break;
      case 3: ternary_run<0, 1, 1>(pa, pb, pc, po, n, f); break;
      case 2: ternary_run<0, 1, 0>(pa, pb, pc, po, n, f); break;
      case 1: ternary_run<0, 0, 1>(pa, pb, pc, po, n, f); break;
      default: ternary_run<0, 0, 0>(pa, pb, pc, po, n, f); break;
    }
  });
}

}  // namespace strata::detail
