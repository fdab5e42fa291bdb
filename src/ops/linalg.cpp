// matmul through BLAS gemm with transpose flags (never a materialised transpose), and axis
// permutations.
#include "strata/ops/linalg.hpp"

#include <cstring>

#include "detail/dispatch.hpp"
#include "detail/tensor_impl.hpp"
#include "ops/grad_util.hpp"
#include "ops/skinny_gemm.hpp"
#include "strata/blas.hpp"
#include "strata/autograd/tape.hpp"
#include "strata/ops/math.hpp"
#include "strata/ops/reduce.hpp"
#include "strata/ops/shape.hpp"

namespace strata {

using autograd::BackwardContext;

namespace detail {

/// C[M,N] = op(A) op(B), row-major: float32/float64 through BLAS (or strata's kernels for a
/// short K or a small output over a long K), int64 by loops.
template <class T>
void gemm(bool ta, bool tb, std::int64_t M, std::int64_t N, std::int64_t K, const T* A, const T* B, T* C) {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    std::memset(C, 0, sizeof(T) * static_cast<std::size_t>(M * N));
    return;
  }
  if constexpr (std::is_floating_point_v<T>) {
    if (skinny_gemm(ta, tb, M, N, K, A, B, C)) return;
    blas::gemm(ta, tb, M, N, K, T(1), A, ta ? M : K, B, tb ? K : N, T(0), C, N);
  } else {
    for (std::int64_t i = 0; i < M; ++i)
      for (std::int64_t j = 0; j < N; ++j) {
        T acc = T(0);
        for (std::int64_t k = 0; k < K; ++k)
          acc += (ta ? A[k * M + i] : A[i * K + k]) * (tb ? B[j * K + k] : B[k * N + j]);
        C[i * N + j] = acc;
      }
  }
}

}  // namespace detail

namespace {

Tensor matmul_forward(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  const Shape& sa = a.shape();
  const Shape& sb = b.shape();
  const std::size_t ra = sa.rank(), rb = sb.rank();
  const std::int64_t M = ta ? sa[ra - 1] : sa[ra - 2];
  const std::int64_t K = ta ? sa[ra - 2] : sa[ra - 1];
  const std::int64_t Kb = tb ? sb[rb - 1] : sb[rb - 2];
  const std::int64_t N = tb ? sb[rb - 2] : sb[rb - 1];
  if (K != Kb)
    detail::raise<ShapeError>("matmul: inner dimensions do not match: {}{} @ {}{} ({} != {})", sa,
                              ta ? " (transposed)" : "", sb, tb ? " (transposed)" : "", K, Kb);
  const Shape batch_a(sa.begin(), sa.end() - 2);
  const Shape batch_b(sb.begin(), sb.end() - 2);
  const Shape batch = broadcast_shapes(batch_a, batch_b, "matmul (batch dimensions)");
  Shape out_shape = batch;
  out_shape.push_back(M);
  out_shape.push_back(N);
  Tensor out = detail::make_tensor(out_shape, a.dtype());
  const std::int64_t nbatch = batch.num_elements();
  detail::dispatch(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* pa = detail::ptr<T>(a);
    const T* pb = detail::ptr<T>(b);
    T* po = detail::mut_ptr<T>(out);
    if (rb == 2 && !ta) {  // [..., M, K] @ [K, N]: one gemm over all rows
      detail::gemm(false, tb, nbatch * M, N, K, pa, pb, po);
      return;
    }
    // Broadcast batch strides (in matrices).
    const std::size_t r = batch.rank();
    std::vector<std::int64_t> st_a(r, 0), st_b(r, 0);
    std::int64_t ka = 1, kb = 1;
    for (std::size_t i = batch_a.rank(); i-- > 0;) {
      const std::size_t d = i + (r - batch_a.rank());
      st_a[d] = batch_a[i] == 1 ? 0 : ka;
      ka *= batch_a[i];
    }
    for (std::size_t i = batch_b.rank(); i-- > 0;) {
      const std::size_t d = i + (r - batch_b.rank());
      st_b[d] = batch_b[i] == 1 ? 0 : kb;
      kb *= batch_b[i];
    }
    std::vector<std::int64_t> idx(r, 0);
    std::int64_t oa = 0, ob = 0;
    for (std::int64_t t = 0; t < nbatch; ++t) {
      detail::gemm(ta, tb, M, N, K, pa + oa * M * K, pb + ob * K * N, po + t * M * N);
      for (std::size_t d = r; d-- > 0;) {
        ++idx[d];
        oa += st_a[d];
        ob += st_b[d];
        if (idx[d] < batch[d]) break;
        oa -= st_a[d] * batch[d];
        ob -= st_b[d] * batch[d];
        idx[d] = 0;
      }
    }
  });
  return out;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  detail::check_defined("matmul", a, "first operand");
  detail::check_defined("matmul", b, "second operand");
  detail::check_same_dtype("matmul", a, b);
  if (a.rank() == 0 || b.rank() == 0)
    detail::raise<ShapeError>("matmul: operands must have rank >= 1, got {} @ {}", a.shape(), b.shape());
  if (a.rank() == 1 || b.rank() == 1) {  // numpy.matmul's promotion of vectors
    const Tensor a2 = a.rank() == 1 ? reshape(a, {1, a.dim(0)}) : a;
    const Tensor b2 = b.rank() == 1 ? reshape(b, {b.dim(0), 1}) : b;
    Tensor y = matmul(a2, b2, a.rank() == 1 ? false : transpose_a, b.rank() == 1 ? false : transpose_b);
    Shape s = y.shape();
    if (b.rank() == 1) s.erase(s.rank() - 1);
    if (a.rank() == 1) s.erase(s.rank() - (b.rank() == 1 ? 1 : 2));
    return reshape(y, s);
  }
  Tensor out = matmul_forward(a, b, transpose_a, transpose_b);
  if (autograd::should_record({&a, &b})) {
    const bool ta = transpose_a, tb = transpose_b;
    // C = op(A) op(B):  d op(A) = G op(B)^T,  d op(B) = op(A)^T G
    autograd::record("matmul", {&a, &b}, {&out}, {a, b}, [ta, tb](const BackwardContext& c) {
      const Tensor& A = c.saved(0);
      const Tensor& B = c.saved(1);
      const Tensor& G = c.grad();
      return detail::per_input(c, [&](std::size_t i) -> Tensor {
        if (i == 0) {
          const Tensor dA = ta ? matmul(B, G, tb, true) : matmul(G, B, false, !tb);
          return sum_to(dA, A.shape());
        }
        if (B.rank() == 2 && A.rank() > 2 && !ta) {  // fold the batch into one gemm
          const Tensor A2 = reshape(A, {-1, A.dim(-1)});
          const Tensor G2 = reshape(G, {-1, G.dim(-1)});
          return tb ? matmul(G2, A2, true, false) : matmul(A2, G2, true, false);
        }
        const Tensor dB = tb ? matmul(G, A, true, ta) : matmul(A, G, !ta, false);
        return sum_to(dB, B.shape());
      });
    });
  }
  return out;
}

// ---- transpose -------------------------------------------------------------------------------------

namespace {

template <class T>
void permute_kernel(const T* in, T* out, const Shape& in_shape, const std::vector<std::size_t>& perm) {
  const std::size_t r = in_shape.rank();
  std::vector<std::int64_t> in_strides(r, 1);
  for (std::size_t d = r; d-- > 1;) in_strides[d - 1] = in_strides[d] * in_shape[d];
  std::vector<std::int64_t> out_dims(r), src_stride(r);
  for (std::size_t d = 0; d < r; ++d) {
    out_dims[d] = in_shape[perm[d]];
    src_stride[d] = in_strides[perm[d]];
  }
  std::int64_t total = 1;
  for (auto d : out_dims) total *= d;
  if (total == 0) return;
  if (r == 2) {  // blocked 2-D transpose
    const std::int64_t R = out_dims[0], C = out_dims[1];
    constexpr std::int64_t kB = 32;
    for (std::int64_t i0 = 0; i0 < R; i0 += kB)
      for (std::int64_t j0 = 0; j0 < C; j0 += kB)
        for (std::int64_t i = i0; i < std::min(i0 + kB, R); ++i)
          for (std::int64_t j = j0; j < std::min(j0 + kB, C); ++j) out[i * C + j] = in[i * src_stride[0] + j * src_stride[1]];
    return;
  }
  const std::int64_t inner = out_dims[r - 1];
  const std::int64_t inner_stride = src_stride[r - 1];
  std::vector<std::int64_t> idx(r, 0);
  std::int64_t off = 0;
  for (std::int64_t o = 0; o < total; o += inner) {
    for (std::int64_t i = 0; i < inner; ++i) out[o + i] = in[off + i * inner_stride];
    for (std::size_t d = r - 1; d-- > 0;) {
      ++idx[d];
      off += src_stride[d];
      if (idx[d] < out_dims[d]) break;
      off -= src_stride[d] * out_dims[d];
      idx[d] = 0;
    }
  }
}

}  // namespace

Tensor transpose(const Tensor& x, const std::vector<std::int64_t>& perm) {
  detail::check_defined("transpose", x);
  const std::size_t r = x.rank();
  if (perm.size() != r)
    detail::raise<ValueError>("transpose: permutation of length {} for a tensor of rank {} (shape {})", perm.size(), r,
                              x.shape());
  std::vector<std::size_t> p(r);
  std::vector<bool> seen(r, false);
  bool identity = true;
  for (std::size_t d = 0; d < r; ++d) {
    p[d] = normalize_axis(perm[d], r, "transpose");
    if (seen[p[d]]) detail::raise<ValueError>("transpose: axis {} appears twice in the permutation", perm[d]);
    seen[p[d]] = true;
    identity = identity && p[d] == d;
  }
  if (identity) return reshape(x, x.shape());
  Shape out_shape;
  for (std::size_t d = 0; d < r; ++d) out_shape.push_back(x.shape()[p[d]]);
  Tensor y = detail::make_tensor(out_shape, x.dtype());
  detail::dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    permute_kernel<T>(detail::ptr<T>(x), detail::mut_ptr<T>(y), x.shape(), p);
  });
  if (autograd::should_record({&x})) {
    std::vector<std::int64_t> inverse(r);
    for (std::size_t d = 0; d < r; ++d) inverse[p[d]] = static_cast<std::int64_t>(d);
    // the gradient is permuted back
    autograd::record("transpose", {&x}, {&y}, {}, [inverse](const BackwardContext& c) {
      return std::vector<Tensor>{transpose(c.grad(), inverse)};
    });
  }
  return y;
}

Tensor transpose(const Tensor& x) {
  detail::check_defined("transpose", x);
  std::vector<std::int64_t> perm(x.rank());
  for (std::size_t d = 0; d < perm.size(); ++d) perm[d] = static_cast<std::int64_t>(perm.size() - 1 - d);
  return transpose(x, perm);
}

Tensor permute(const Tensor& x, const std::vector<std::int64_t>& perm) { return transpose(x, perm); }

}  // namespace strata
