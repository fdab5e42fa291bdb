#pragma once
// Shared by the fuzz targets: a loader may only fail with strata's own exceptions (IOError,
// ValueError, ...); anything else (std::bad_alloc, std::out_of_range, a crash, a leak, a
// sanitizer report) is a bug the fuzzer reports.
#include <cstddef>
#include <cstdint>
#include <string>

#include <strata/strata.hpp>

namespace strata_fuzz {

/// Caps tensors at 64 MiB so that an absurd shape is refused rather than tried.
inline void init_limits() {
  static const bool once = [] {
    strata::set_max_tensor_bytes(std::uint64_t(64) << 20);
    strata::set_num_threads(1);
    return true;
  }();
  (void)once;
}

template <class F>
int run(F&& f) {
  init_limits();
  try {
    f();
  } catch (const strata::Error&) {
  }
  return 0;
}

}  // namespace strata_fuzz
