#pragma once
/// Saving and loading whole models, in four formats:
///
///   model.save("run.strata");               // strata's archive: Keras JSON + weights (+ optimizer)
///   model.save("m.keras");                  // Keras 3: config.json + model.weights.h5 in a zip
///   io::save_model(model, "web/", io::Format::tfjs);   // TensorFlow.js: web/model.json + shards
///   auto m = io::load_model("web/model.json");          // or "run.strata"
///   model.save_weights("w.npz");  model.load_weights("w.npz");
///
/// - `.strata`: a zip of config.json (Keras's architecture JSON), metadata.json, the weights as
///   weights/<name>.npy and, for a compiled model, the optimizer state as optimizer/<slot>.npy
///   (readable from Python with zipfile and numpy). Loading a .strata file into a compiled model
///   with load_weights also restores the optimizer state, so training resumes exactly.
/// - `.keras` / `.weights.h5`: Keras 3's files, weights in HDF5 at Keras's object paths
///   ("layers/dense/vars/0"); HDF5 (libhdf5) is loaded on first use.
/// - TensorFlow.js layers models: model.json (modelTopology, weightsManifest) and weight shards,
///   as tf.loadLayersModel reads them and model.save writes them. Weights are matched by name.
///
/// Every save writes to temporary files and renames them into place, so an interrupted save
/// leaves the previous model loadable. Every loader treats its input as untrusted: a truncated
/// file, a bad manifest (a path leaving the folder, a shape the data does not hold), or weights
/// that do not match the model throw IOError or ValueError naming the file and the problem.
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/autograd/variable.hpp"
#include "strata/io/npy.hpp"
#include "strata/models/model.hpp"

namespace strata::io {

enum class Format {
  automatic,  ///< from the path: .strata, .keras, .h5, or a TF.js folder / model.json
  strata,
  tfjs,
  keras,  ///< Keras 3's .keras archive
  h5,     ///< Keras 2's whole-model HDF5 (model.save("m.h5"); Keras 3 reads it as legacy .h5)
};

/// Architecture and weights (and the optimizer state of a compiled model, .strata only). A model
/// that could not be loaded back is refused before anything is written, with a ValueError
/// naming the layer: a subclassed model (save its weights instead), or a Lambda without a
/// registered function name.
void save_model(const models::Model& model, const std::string& path, Format format = Format::automatic);
/// A model saved by save_model, TensorFlow.js (model.json or its folder), Keras 3 (.keras) or
/// Keras 2 (a whole-model .h5). The format is told from the file's content, not its name (an
/// HDF5 file named .keras loads); a file strata cannot read is an IOError saying what it is.
std::shared_ptr<models::Model> load_model(const std::string& path);

/// The same loaders on bytes in memory (models embedded in a program; the fuzzers use them):
/// a TF.js model.json text with the files its manifest names, and a .strata archive.
std::shared_ptr<models::Model> load_tfjs_from_memory(const std::string& model_json,
                                                     const std::map<std::string, std::string>& files,
                                                     const std::string& what = "<memory>");
std::shared_ptr<models::Model> load_strata_from_memory(std::string_view bytes, const std::string& what = "<memory>");
/// A .keras archive in memory, and a .weights.h5 file in memory loaded into `model`.
std::shared_ptr<models::Model> load_keras_from_memory(std::string_view bytes, const std::string& what = "<memory>");
void load_weights_h5_from_memory(models::Model& model, std::string_view bytes, const std::string& what = "<memory>");

/// The model's weights under the names Keras and TensorFlow.js give them ("dense/kernel",
/// "bidirectional/forward_lstm/kernel", "time_distributed/kernel"), in the model's order.
std::vector<std::pair<std::string, Variable>> named_weights(const models::Model& model);

/// Weights only: .weights.h5 (Keras 3's layout: Keras's model.load_weights reads it), another
/// .h5 name (Keras 2's layout: tf.keras's load_weights reads it), .npz (name -> array) or
/// .strata (the weights of a saved model, plus its optimizer state when `model` is compiled).
/// load_weights also takes a .keras archive, a whole-model .h5 and a TF.js model.json, told
/// apart by content. Names (Keras 3: object paths) and shapes must match the model; Keras 2's
/// files are matched by the order of the layers that have weights, as Keras 2 does.
void save_weights(const models::Model& model, const std::string& path);
void load_weights(models::Model& model, const std::string& path);
/// Keras 2's options for its .h5 files: match layers by name (layers the file does not name keep
/// their weights); with skip_mismatch, a layer whose weights differ in number or shape is
/// skipped instead of refused (needs by_name, as in Keras).
struct LoadOptions {
  bool by_name = false;
  bool skip_mismatch = false;
};
void load_weights(models::Model& model, const std::string& path, const LoadOptions& options);

/// Training state beyond the weights, kept in .strata checkpoints: the epoch reached and the
/// global random generator (so a resumed fit draws the same dropout masks and shuffles).
struct CheckpointState {
  int epoch = -1;  ///< the last completed epoch (-1: none recorded)
  std::vector<std::uint64_t> rng;
};
/// A .strata checkpoint: the model, its optimizer state and `state`.
void save_checkpoint(const models::Model& model, const std::string& path, const CheckpointState& state);
/// Restores weights and optimizer state into `model` (compiled the same way) and returns the
/// recorded state.
CheckpointState load_checkpoint(models::Model& model, const std::string& path);

}  // namespace strata::io
