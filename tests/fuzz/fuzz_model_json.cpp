// Keras architecture JSON (models::model_from_json), then the built model's config again.
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return strata_fuzz::run([&] {
    auto model = strata::models::model_from_json(std::string(reinterpret_cast<const char*>(data), size));
    (void)model->to_json();
    (void)model->summary();
  });
}
