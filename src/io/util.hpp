#pragma once
// Small pieces every file format in io shares: suffix tests, JSON and model configs whose
// errors name the file they came from.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "detail/errors.hpp"
#include "layers/weight_budget.hpp"
#include "strata/config.hpp"
#include "strata/models/serialization.hpp"

namespace strata::io::detail_io {

inline bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// Parses JSON text read from `what`; a syntax error is an IOError naming it.
inline Config parse_json(const std::string& text, const std::string& what) {
  try {
    return Config::parse(text);
  } catch (const ValueError& e) {
    strata::detail::raise<IOError>("'{}': {}", what, e.what());
  }
}

/// models::model_from_config for a config read from `what`; its ValueError names the file.
/// `weight_elements`, when the file's weights are known, bounds the weights the model may
/// create (a bigger one is refused before it is allocated: the file cannot fill it).
inline std::shared_ptr<models::Model> model_from_config(const Config& config, const std::string& what,
                                                        std::optional<std::uint64_t> weight_elements = std::nullopt) {
  try {
    std::optional<layers::WeightBudget> budget;
    if (weight_elements) budget.emplace(*weight_elements, what);
    return models::model_from_config(config);
  } catch (const ValueError& e) {
    strata::detail::raise<ValueError>("'{}': {}", what, e.what());
  }
}

/// Files larger than this are refused before they are read (a model.json, a shard, an archive).
constexpr std::uint64_t kMaxFileBytes = std::uint64_t(8) << 30;

/// IEEE half precision (float16, as NumPy and TF.js store it) to float.
float half_to_float(std::uint16_t h);

bool is_directory(const std::string& path);
/// mkdir -p; IOError naming the folder on failure.
void make_directories(const std::string& dir);
/// The folder holding `path` ("." for a bare name).
std::string parent_of(const std::string& path);
/// "a/b/c" -> "c".
std::string last_component(const std::string& name);
/// The file's bytes; IOError when it is larger than kMaxFileBytes.
std::string read_bounded(const std::string& path);
/// ValueError when `model` is not built (so it has no weights yet) and a file holds weights for it.
void check_unbuilt(const models::Model& model, std::size_t file_weights, const std::string& what);
/// Before a load assigns `assigned`: ValueError naming every model weight it leaves unassigned,
/// and when it assigns nothing of a file holding `file_weights` weights.
void check_assigned(const models::Model& model, const std::vector<Variable>& assigned, std::size_t file_weights,
                    const std::string& what);
/// Assigns `values` (name -> tensor) to the model's weights (io::named_weights's names); every
/// weight must get exactly one value of its shape, and every value must be used.
void assign_named(const models::Model& model, const std::map<std::string, Tensor>& values, const std::string& what);

/// Compiles a loaded model from the compile arguments its file saved (Keras 3's compile_config,
/// Keras 2's and TF.js's training_config), as Keras's load_model(compile=True) does: absent or
/// null, nothing; one strata cannot honour leaves the model uncompiled, with a warning on stderr
/// naming the file and the reason (as Keras warns), since the architecture and weights are good.
void compile_saved(models::Model& model, const Config* compile_config, const std::string& what);

/// Keras 2 and TF.js mean clip(0.2 x + 0.5, 0, 1) by "hard_sigmoid", Keras 3 (and strata)
/// relu6(x + 3) / 6. A config read from a Keras 2 or TF.js file calls theirs "hard_sigmoid_keras2".
void activations_from_keras2(Config& config);
/// For a config written to those formats: "hard_sigmoid_keras2" becomes their "hard_sigmoid";
/// Keras 3's hard_sigmoid, which they have no name for, is a ValueError naming `where`.
void activations_to_keras2(Config& config, const std::string& where);
/// For a config written to .keras: Keras 3 has no name for Keras 2's hard_sigmoid (ValueError).
void check_keras3_activations(Config& config, const std::string& where);

/// TF.js's bilinear UpSampling2D has no half-pixel centres (Keras's has): a config read from a
/// TF.js file says so with strata's key half_pixel_centers: false, which the TF.js saver takes
/// out again (a half-pixel bilinear layer is a ValueError there) and the Keras savers refuse.
void upsampling_from_tfjs(Config& config);
void upsampling_to_tfjs(Config& config, const std::string& where);
void check_keras_upsampling(const Config& config, const std::string& where);

}  // namespace strata::io::detail_io
