// .strata archives (a zip of config.json, metadata.json and .npy weights).
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return strata_fuzz::run([&] {
    auto model = strata::io::load_strata_from_memory(
        std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.strata");
    (void)model->count_params();
  });
}
