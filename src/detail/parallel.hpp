#pragma once
// strata's own loops on several cores: parallel_for splits a range into a few contiguous chunks
// per thread (strata::set_num_threads, the same count OpenBLAS uses), which the caller and the
// workers claim as they get free. The workers wait passively (a condition variable, never
// spinning), so they do not take cores from OpenBLAS's threads between GEMMs, and run each chunk
// in the caller's floating-point mode (denormals flushed or not). A loop's result must not
// depend on which thread runs which chunk: loops are elementwise, or reduce over fixed blocks
// whose partial results are combined in order afterwards (bias gradients, long GEMMs), so
// results are identical for any thread count.
#include <cstdint>
#include <type_traits>

namespace strata::detail {

/// Loops under twice this many elements stay on the calling thread. Waking a worker costs tens
/// of µs (more on a virtual machine), and memory-bound loops gain little from a second core,
/// so only large loops (a convolution's activations, its patches) are split. Compute-bound
/// loops pass a smaller grain (the optimizers' updates: 32k, so they split from 64k elements).
constexpr std::int64_t kParallelGrain = 262144;
/// Chunks per thread of a split loop (whoever is free claims the next one).
constexpr std::int64_t kChunksPerThread = 4;

using ChunkFn = void (*)(void* ctx, std::int64_t begin, std::int64_t end);

/// Runs fn(ctx, b, e) over [0, n) in `chunks` contiguous pieces, claimed by the caller and up to
/// threads - 1 workers; returns when all are done. Called from inside a chunk, it runs serially.
void run_chunks(std::int64_t n, int chunks, std::int64_t align, ChunkFn fn, void* ctx);

/// How many chunks a loop of n elements gets (1: run it inline).
int chunks_for(std::int64_t n, std::int64_t grain = kParallelGrain);

/// f(begin, end) over [0, n), split across the threads when n is large. Chunk boundaries are
/// multiples of `align` (keep SIMD batches whole).
template <class F>
void parallel_for(std::int64_t n, F&& f, std::int64_t grain = kParallelGrain, std::int64_t align = 16) {
  const int chunks = chunks_for(n, grain);
  if (chunks <= 1) {
    if (n > 0) f(std::int64_t{0}, n);
    return;
  }
  using Fn = std::remove_reference_t<F>;
  run_chunks(
      n, chunks, align, [](void* ctx, std::int64_t b, std::int64_t e) { (*static_cast<Fn*>(ctx))(b, e); },
      const_cast<void*>(static_cast<const void*>(&f)));
}

}  // namespace strata::detail
