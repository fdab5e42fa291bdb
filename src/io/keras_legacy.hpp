#pragma once
// Keras 2's HDF5 files (Keras 3 calls them legacy .h5): a whole model (model.save("m.h5"):
// the root attributes model_config, keras_version, backend and training_config, the weights
// under model_weights/) or weights only (save_weights("w.h5"): the weights at the root). Each
// layer's group lists its weights in the weight_names attribute, in the order of the layer's
// trainable then non-trainable weights; the root (or model_weights) lists the layers in
// layer_names. Internal to io; saving.cpp dispatches here.
#include <memory>
#include <string>
#include <string_view>

#include "io/h5.hpp"
#include "strata/models/model.hpp"

namespace strata::io::keras_legacy {

/// Whether the file holds Keras 2's layout (a layer_names attribute at the root or in
/// model_weights/), as opposed to Keras 3's (a layers/ group).
bool is_legacy(const detail::h5::Reader& r);

/// The model of a whole-model file, with its weights. A file without a model_config attribute is
/// an IOError saying what it is (a weights-only file, or not a Keras file).
std::shared_ptr<models::Model> load_model(const detail::h5::Reader& r, const std::string& what, std::uint64_t file_bytes);

/// Keras 2's load_weights: by the order of the layers that have weights (by_name = false), or
/// by layer name (by_name = true: layers the file does not name keep their weights, and with
/// skip_mismatch a layer whose weights differ in count or shape is skipped instead of refused).
/// Everything is checked before anything is assigned.
void load_weights(models::Model& model, const detail::h5::Reader& r, const std::string& what, bool by_name = false,
                  bool skip_mismatch = false);

/// The bytes of a whole-model file (with_model = true) or a weights-only file in Keras 2's layout.
std::string save(const models::Model& model, const std::string& what, bool with_model);

}  // namespace strata::io::keras_legacy
