// TensorFlow.js model.json plus its weight file: the input is the JSON text, a NUL byte, then
// the bytes of the one shard the manifest may name ("w.bin").
#include <cstring>
#include <map>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return strata_fuzz::run([&] {
    const char* p = reinterpret_cast<const char*>(data);
    const void* nul = std::memchr(p, '\0', size);
    const std::size_t json_len = nul ? static_cast<std::size_t>(static_cast<const char*>(nul) - p) : size;
    std::map<std::string, std::string> files;
    if (nul) files["w.bin"] = std::string(p + json_len + 1, size - json_len - 1);
    auto model = strata::io::load_tfjs_from_memory(std::string(p, json_len), files, "fuzz/model.json");
    (void)model->count_params();
  });
}
