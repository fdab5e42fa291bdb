#include <pthread.h>

#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "detail/tensor_impl.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define STRATA_ALLOC_CACHE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STRATA_ALLOC_CACHE 0
#endif
#endif
#ifndef STRATA_ALLOC_CACHE
#define STRATA_ALLOC_CACHE 1
#endif

namespace strata::detail {
namespace {

constexpr std::size_t kAlign = 64;
constexpr std::size_t kCacheMin = 16 * 1024;
constexpr std::size_t kPage = 4096;

struct Cache {
  std::mutex mutex;
  std::unordered_map<std::size_t, std::vector<void*>> free_lists;
  std::size_t cached = 0;
  std::size_t limit = std::size_t(2) << 30;  // 2 GiB of idle buffers at most
};

Cache& cache();
void cache_lock() { cache().mutex.lock(); }
void cache_unlock() { cache().mutex.unlock(); }

Cache& cache() {
  // Never destroyed: tensors may die during static destruction. Held across fork(), so that a
  // child process (the HDF5 reader) never starts with the lock taken by a thread it does not have.
  static Cache* c = [] {
    auto* cache = new Cache;
    pthread_atfork([] { cache_lock(); }, [] { cache_unlock(); }, [] { cache_unlock(); });
    return cache;
  }();
  return *c;
}

std::size_t cached_size(std::size_t nbytes) { return (nbytes + kPage - 1) / kPage * kPage; }

}  // namespace

void* allocate(std::size_t nbytes) {
  if (nbytes < kCacheMin) {
    void* p = std::malloc(nbytes ? nbytes : 1);  // small buffers: glibc's fast path
    if (!p) throw std::bad_alloc();
    return p;
  }
  std::size_t size = cached_size(nbytes);
  if (STRATA_ALLOC_CACHE) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free_lists.find(size);
    if (it != c.free_lists.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.cached -= size;
      return p;
    }
  }
  void* p = std::aligned_alloc(kAlign, size);
  if (!p) throw std::bad_alloc();
  return p;
}

void deallocate(void* p, std::size_t nbytes) noexcept {
  if (!p) return;
  if (nbytes < kCacheMin || !STRATA_ALLOC_CACHE) {
    std::free(p);
    return;
  }
  std::size_t size = cached_size(nbytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.cached + size <= c.limit) {
      try {
        c.free_lists[size].push_back(p);
        c.cached += size;
        return;
      } catch (...) {
      }
    }
  }
  std::free(p);
}

std::size_t allocator_cached_bytes() noexcept {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.cached;
}

void release_cached_memory() noexcept {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto& [size, list] : c.free_lists)
    for (void* p : list) std::free(p);
  c.free_lists.clear();
  c.cached = 0;
}

}  // namespace strata::detail
