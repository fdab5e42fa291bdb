// .npy and .npz bytes (io::npy_from_bytes, io::npz_from_bytes).
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  strata_fuzz::run([&] { (void)strata::io::npy_from_bytes(bytes, "fuzz.npy"); });
  return strata_fuzz::run([&] { (void)strata::io::npz_from_bytes(bytes, "fuzz.npz"); });
}
