// Keras 3 .weights.h5 files (HDF5, read by the HDF5 C library from memory) loaded into two
// models: tests/fixtures/keras's "rnn" (LSTM, Dense) and "branch" (four Dense layers), whose
// weight files seed the corpus. HDF5 parses in a child process (src/io/h5.cpp); when HDF5
// crashes there, libFuzzer's handler in the child still writes a crash-* artifact
// (build-fuzz/artifacts/), but the run goes on: only a failure of this process counts.
#include "fuzz_common.hpp"

namespace {

std::shared_ptr<strata::models::Model> rnn() {
  using namespace strata;
  auto m = std::make_shared<models::Sequential>(std::vector<layers::LayerRef>{layers::LSTM(4), layers::Dense(2)});
  m->build({-1, 5, 3});
  return m;
}

std::shared_ptr<strata::models::Model> branch() {
  using namespace strata;
  KerasTensor x = Input({4});
  KerasTensor l = layers::Dense(3)(x);
  KerasTensor r = layers::Dense(3)(layers::Dense(5)(x));
  return std::make_shared<models::Model>(x, layers::Dense(2)(layers::Concatenate()({l, r})));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto models = [] {
    strata_fuzz::init_limits();
    return std::vector<std::shared_ptr<strata::models::Model>>{rnn(), branch()};
  }();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (const auto& m : models)
    strata_fuzz::run([&] { strata::io::load_weights_h5_from_memory(*m, bytes, "fuzz.weights.h5"); });
  return 0;
}
