#pragma once
// TensorFlow.js layers models (tfjs.cpp): model.json and its weight shards.
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "strata/config.hpp"
#include "strata/models/model.hpp"

namespace strata::io::detail_io {

/// Reads a file named in a weights manifest, relative to the model's folder.
using FileReader = std::function<std::string(const std::string& relative_path)>;

/// model.json and group1-shard*of*.bin files in `path` (a folder, or a .json file's folder).
void save_tfjs(const models::Model& model, const std::string& path);
/// The model in `json_path` with the weights of its manifest.
std::shared_ptr<models::Model> load_tfjs(const std::string& json_path);
/// A model.json's text with its shards read through `read`.
std::shared_ptr<models::Model> tfjs_model(const std::string& json_text, const FileReader& read, const std::string& what);
/// The weights a manifest describes, by their names in the file.
std::map<std::string, Tensor> read_tfjs_weights(const Config& manifest, const FileReader& read, const std::string& what);
/// The manifest's names turned into the model's (io::named_weights): as TF.js matches them, with
/// the cell scope of converted RNNs and the model-name prefix of the Keras 3 converter dropped
/// where the name itself matches nothing; two names for one weight are a ValueError naming both.
std::map<std::string, Tensor> to_model_names(const models::Model& model, std::map<std::string, Tensor> values,
                                             const std::string& what);
/// Reads manifest paths relative to the folder of `json_path`.
FileReader folder_reader(const std::string& json_path);

}  // namespace strata::io::detail_io
