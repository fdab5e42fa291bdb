// Whole-model saving and loading by format (the .strata archive here; TF.js in tfjs.cpp, Keras in
// keras.cpp), weights-only files, and checkpoints with the optimizer state.
#include "strata/io/saving.hpp"

#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <map>
#include <set>

#include "detail/errors.hpp"
#include "detail/fileio.hpp"
#include "detail/tensor_impl.hpp"
#include "io/h5.hpp"
#include "io/keras.hpp"
#include "io/keras_legacy.hpp"
#include "io/tfjs.hpp"
#include "io/util.hpp"
#include "io/zip.hpp"
#include "strata/models/serialization.hpp"
#include "strata/ops.hpp"
#include "strata/optimizers.hpp"
#include "strata/random.hpp"
#include "strata/version.hpp"

namespace strata::io {

using models::Model;
using detail_io::ends_with;
using detail_io::model_from_config;
using detail_io::parse_json;
using namespace detail_io;

namespace {

// ---- .strata ------------------------------------------------------------------------------------------------------

std::string entry_name(const std::string& prefix, const std::string& name) { return prefix + name + ".npy"; }

/// Why a saved `layer` (or a layer inside it) could not be loaded back, naming it; "" if it can.
std::string save_refusal(const layers::Layer& layer) {
  std::string why = layer.save_refusal();
  const auto* m = dynamic_cast<const Model*>(&layer);
  for (const auto& sub : m ? m->layers() : layer.sublayers())
    if (why.empty()) why = save_refusal(*sub);
  return why;
}

/// A .strata archive: config.json only when a config describes the model (a weights-only
/// archive of a subclassed model has none).
std::vector<detail::ZipEntry> strata_entries(const Model& model, const CheckpointState* state) {
  std::vector<detail::ZipEntry> entries;
  if (save_refusal(model).empty()) entries.push_back({"config.json", model.to_json(2)});
  Config meta = Config::object({{"format", "strata"}, {"format_version", 1}, {"strata_version", version()}});
  Config names = Config::list();
  for (const auto& [name, var] : named_weights(model)) {
    names.push_back(name);
    entries.push_back({entry_name("weights/", name), npy_to_bytes(var.value())});
  }
  meta["weights"] = names;
  if (model.compiled()) {
    const auto opt = model.optimizer();
    meta["optimizer"] = Config::object({{"class_name", opt->class_name()}, {"iterations", opt->iterations()}});
    if (save_refusal(model).empty()) {
      // the compile arguments, so load_model gives back a model that resumes training; a
      // learning rate that is a user's callable has no config, and the file keeps the weights
      try {
        meta["compile_config"] = model.get_compile_config();
      } catch (const ValueError&) {
      }
    }
    // slots are saved under the weights' saved names, so they load into a rebuilt model
    std::map<std::string, std::string> saved_name;
    for (const auto& [name, var] : named_weights(model)) saved_name[var.name()] = name;
    for (const auto& [slot, t] : opt->state()) {
      std::string key = slot;
      if (slot != "iterations") {
        const std::size_t cut = slot.find_last_of('/');
        const std::string var = slot.substr(0, cut);
        if (auto it = saved_name.find(var); it != saved_name.end()) key = it->second + slot.substr(cut);
      }
      entries.push_back({entry_name("optimizer/", key), npy_to_bytes(t)});
    }
  }
  meta["epoch"] = state ? state->epoch : model.epochs_completed - 1;  // the last completed epoch
  if (state) {
    Config rng = Config::list();
    for (std::uint64_t w : state->rng) rng.push_back(std::to_string(w));
    meta["rng"] = rng;
  }
  const bool configured = !entries.empty() && entries.front().name == "config.json";
  entries.insert(entries.begin() + (configured ? 1 : 0), {"metadata.json", meta.dump(2)});
  return entries;
}

void write_strata(const Model& model, const std::string& path, const CheckpointState* state) {
  detail::write_file_atomic(path, detail::zip_write(strata_entries(model, state), false, path));
}

struct StrataArchive {
  Config config, meta;
  bool has_config = false;  // false for the weights of a subclassed model
  std::map<std::string, Tensor> weights;
  std::vector<std::pair<std::string, Tensor>> optimizer;
};

StrataArchive read_strata_bytes(std::string_view bytes, const std::string& path) {
  StrataArchive a;
  bool has_config = false, has_meta = false;
  for (detail::ZipEntry& e : detail::zip_read(bytes, path)) {
    if (e.name == "config.json") {
      a.config = parse_json(e.data, path + ":config.json");
      has_config = true;
    } else if (e.name == "metadata.json") {
      a.meta = parse_json(e.data, path + ":metadata.json");
      has_meta = true;
    } else if (e.name.rfind("weights/", 0) == 0 && ends_with(e.name, ".npy")) {
      a.weights[e.name.substr(8, e.name.size() - 12)] = npy_from_bytes(e.data, path + ":" + e.name);
    } else if (e.name.rfind("optimizer/", 0) == 0 && ends_with(e.name, ".npy")) {
      a.optimizer.emplace_back(e.name.substr(10, e.name.size() - 14), npy_from_bytes(e.data, path + ":" + e.name));
    }
  }
  if (!has_meta || !a.meta.is_object() || a.meta.get_string("format", "") != "strata")
    detail::raise<IOError>("'{}': not a strata model archive (config.json or metadata.json missing)", path);
  a.has_config = has_config;
  return a;
}

StrataArchive read_strata(const std::string& path) { return read_strata_bytes(read_bounded(path), path); }

/// Epochs completed when the archive was saved (its "epoch" is the last completed one, -1 for
/// none); anything else is a damaged file.
int saved_epochs(const StrataArchive& a, const std::string& path) {
  const std::int64_t e = a.meta.get_int("epoch", -1);
  if (e < -1 || e >= 100000000)
    detail::raise<IOError>("'{}': metadata.json's epoch is {} (expected -1 to 99999999)", path, e);
  return static_cast<int>(e + 1);
}

void restore_optimizer(Model& model, const StrataArchive& a, const std::string& path);

std::shared_ptr<Model> strata_model(const StrataArchive& a, const std::string& path) {
  if (!a.has_config)
    detail::raise<IOError>("'{}': the weights of a model no config describes (a subclassed model), without config.json: "
                           "build the model in code and call load_weights",
                           path);
  std::uint64_t elements = 0;
  for (const auto& [name, t] : a.weights) elements += static_cast<std::uint64_t>(t.size());
  const std::shared_ptr<Model> model = model_from_config(a.config, path, elements);
  assign_named(*model, a.weights, path);
  model->epochs_completed = saved_epochs(a, path);
  compile_saved(*model, a.meta.find("compile_config"), path);
  restore_optimizer(*model, a, path);
  return model;
}

/// Restores a compiled model's optimizer slots saved under the weights' saved names.
void restore_optimizer(Model& model, const StrataArchive& a, const std::string& path) {
  if (!model.compiled() || a.optimizer.empty()) return;
  auto opt = model.optimizer();
  const std::string saved_class = a.meta.contains("optimizer") ? a.meta.at("optimizer").get_string("class_name", "") : "";
  if (!saved_class.empty() && saved_class != opt->class_name())
    detail::raise<ValueError>("'{}': the optimizer state is {}'s but the model is compiled with {}", path, saved_class,
                              opt->class_name());
  std::map<std::string, std::string> var_name;  // saved name -> variable name
  for (const auto& [name, var] : named_weights(model)) var_name[name] = var.name();
  std::vector<std::pair<std::string, Tensor>> state;
  for (const auto& [key, t] : a.optimizer) {
    if (key == "iterations") {
      state.emplace_back(key, t);
      continue;
    }
    const std::size_t cut = key.find_last_of('/');
    auto it = cut == std::string::npos ? var_name.end() : var_name.find(key.substr(0, cut));
    if (it == var_name.end())
      detail::raise<ValueError>("'{}': optimizer slot '{}' belongs to no weight of the model", path, key);
    state.emplace_back(it->second + key.substr(cut), t);
  }
  opt->build(model.trainable_weights());
  opt->load_state(state);
}

/// What a file holds, told from its first bytes rather than its name.
enum class Content { hdf5, zip, json, other };

Content content_of(std::string_view b) {
  if (b.size() >= 8 && b.compare(0, 8, std::string_view("\x89HDF\r\n\x1a\n", 8)) == 0) return Content::hdf5;
  if (b.size() >= 4 && b.compare(0, 4, std::string_view("PK\x03\x04", 4)) == 0) return Content::zip;
  if (b.size() >= 4 && b.compare(0, 4, std::string_view("PK\x05\x06", 4)) == 0) return Content::zip;  // empty zip
  for (char c : b) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    return c == '{' ? Content::json : Content::other;
  }
  return Content::other;
}

/// What the file's name promises when its content is none of the formats: "'m.h5': not an HDF5
/// file (no HDF5 signature)" says more than a list of formats.
[[noreturn]] void refuse_content(const std::string& path, const char* kind) {
  if (ends_with(path, ".h5")) detail::raise<IOError>("'{}': not an HDF5 file (no HDF5 signature)", path);
  if (ends_with(path, ".keras") || ends_with(path, ".strata") || ends_with(path, ".npz"))
    detail::raise<IOError>("'{}': not a zip archive (no zip signature)", path);
  detail::raise<IOError>("'{}': not a {} file strata reads (a .strata or .keras archive, a Keras .h5 file, .npz, or a "
                         "TensorFlow.js model.json or its folder)",
                         path, kind);
}

/// A Keras 3 .keras archive (config.json and model.weights.h5), as opposed to a .strata one.
bool is_keras_archive(std::string_view bytes, const std::string& path) {
  if (ends_with(path, ".keras")) return true;
  if (ends_with(path, ".strata")) return false;
  for (const auto& e : detail::zip_read(bytes, path))
    if (e.name == "model.weights.h5") return true;
  return false;
}

/// A model in an HDF5 file: Keras 2's whole-model layout (a Keras 3 .weights.h5 holds no model).
std::shared_ptr<Model> load_h5_model(std::string_view bytes, const std::string& path) {
  const detail::h5::Reader r(bytes, path);
  if (!r.string_attribute("", "model_config") && (r.is_group("layers") || r.is_group("vars")))
    detail::raise<IOError>("'{}': a Keras 3 weights file (.weights.h5) holds no model: build the model in code and call "
                           "load_weights",
                           path);
  return keras_legacy::load_model(r, path, bytes.size());
}

Format format_of(const std::string& path, Format f) {
  if (f != Format::automatic) return f;
  if (ends_with(path, ".strata")) return Format::strata;
  if (ends_with(path, ".keras")) return Format::keras;
  if (ends_with(path, ".h5")) return Format::h5;
  if (ends_with(path, ".json") || ends_with(path, "/") || is_directory(path)) return Format::tfjs;
  if (last_component(path).find('.') == std::string::npos) return Format::tfjs;  // a folder to create
  detail::raise<ValueError>(
      "cannot tell the format of '{}': use a .strata, .keras or .h5 file, or a folder (or .../model.json) for "
      "TensorFlow.js",
      path);
}

}  // namespace

void save_model(const Model& model, const std::string& path, Format format) {
  // refused before anything is written: a file that cannot be loaded is no save
  if (const std::string why = save_refusal(model); !why.empty()) detail::raise<ValueError>("save '{}': {}", path, why);
  switch (format_of(path, format)) {
    case Format::tfjs: save_tfjs(model, path); return;
    case Format::keras: detail::write_file_atomic(path, keras::keras_archive(model, path)); return;
    case Format::h5: detail::write_file_atomic(path, keras_legacy::save(model, path, true)); return;
    default: write_strata(model, path, nullptr); return;
  }
}

std::shared_ptr<Model> load_model(const std::string& path) {
  if (is_directory(path)) return load_tfjs(path + "/model.json");
  const std::string bytes = read_bounded(path);
  switch (content_of(bytes)) {
    case Content::hdf5: return load_h5_model(bytes, path);
    case Content::json: return tfjs_model(bytes, folder_reader(path), path);
    case Content::zip:
      if (is_keras_archive(bytes, path)) return keras::load_keras(bytes, path);
      return strata_model(read_strata_bytes(bytes, path), path);
    default: refuse_content(path, "model");
  }
}

std::shared_ptr<Model> load_strata_from_memory(std::string_view bytes, const std::string& what) {
  return strata_model(read_strata_bytes(bytes, what), what);
}

std::shared_ptr<Model> load_keras_from_memory(std::string_view bytes, const std::string& what) {
  return keras::load_keras(bytes, what);
}

void load_weights_h5_from_memory(Model& model, std::string_view bytes, const std::string& what) {
  keras::load_weights_h5(model, bytes, what);
}

void save_weights(const Model& model, const std::string& path) {
  if (!model.built() && model.weights().empty())
    detail::raise<ValueError>("save_weights '{}': the model '{}' is not built, so it has no weights yet (call it once, or "
                              "build_for, first)",
                              path, model.name());
  if (ends_with(path, ".strata")) return write_strata(model, path, nullptr);
  if (ends_with(path, ".weights.h5")) return detail::write_file_atomic(path, keras::weights_h5(model, path));
  if (ends_with(path, ".h5")) return detail::write_file_atomic(path, keras_legacy::save(model, path, false));
  if (!ends_with(path, ".npz"))
    detail::raise<ValueError>(
        "save_weights '{}': use a .weights.h5 (Keras 3) or .npz file (or .strata for weights with optimizer state)",
        path);
  NamedTensors arrays;
  for (const auto& [name, var] : named_weights(model)) arrays.emplace_back(name, var.value());
  save_npz(path, arrays);
}

void load_weights(Model& model, const std::string& path) { load_weights(model, path, LoadOptions{}); }

void load_weights(Model& model, const std::string& path, const LoadOptions& o) {
  if (o.skip_mismatch && !o.by_name)
    detail::raise<ValueError>("load_weights '{}': skip_mismatch needs by_name (as in Keras)", path);
  if (is_directory(path)) return load_weights(model, path + "/model.json", o);
  const std::string bytes = read_bounded(path);
  const Content content = content_of(bytes);
  if (o.by_name) {
    if (content != Content::hdf5)
      detail::raise<ValueError>("load_weights '{}': by_name reads Keras 2's .h5 layout only", path);
    const detail::h5::Reader r(bytes, path);
    if (!keras_legacy::is_legacy(r))
      detail::raise<ValueError>("load_weights '{}': by_name reads Keras 2's .h5 layout only", path);
    return keras_legacy::load_weights(model, r, path, true, o.skip_mismatch);
  }
  switch (content) {
    case Content::hdf5: return keras::load_weights_h5(model, bytes, path);
    case Content::json: {
      const Config doc = parse_json(bytes, path);
      if (!doc.is_object() || !doc.contains("weightsManifest")) detail::raise<IOError>("'{}': no weightsManifest", path);
      return assign_named(model, to_model_names(model, read_tfjs_weights(doc.at("weightsManifest"), folder_reader(path), path), path), path);
    }
    case Content::zip: {
      if (ends_with(path, ".npz")) {
        std::map<std::string, Tensor> values;
        for (auto& [name, t] : npz_from_bytes(bytes, path)) values[name] = t;
        return assign_named(model, values, path);
      }
      if (is_keras_archive(bytes, path)) return keras::load_keras_weights(model, bytes, path);
      const StrataArchive a = read_strata_bytes(bytes, path);
      assign_named(model, a.weights, path);
      restore_optimizer(model, a, path);
      model.epochs_completed = saved_epochs(a, path);
      return;
    }
    default: refuse_content(path, "weights");
  }
}

void save_checkpoint(const Model& model, const std::string& path, const CheckpointState& state) {
  write_strata(model, path, &state);
}

CheckpointState load_checkpoint(Model& model, const std::string& path) {
  const StrataArchive a = read_strata(path);
  assign_named(model, a.weights, path);
  restore_optimizer(model, a, path);
  CheckpointState s;
  s.epoch = saved_epochs(a, path) - 1;
  model.epochs_completed = s.epoch + 1;
  if (const Config* rng = a.meta.find("rng"); rng && rng->is_list())
    for (const Config& w : rng->items()) {
      if (!w.is_string()) detail::raise<IOError>("'{}': malformed random generator state", path);
      try {
        s.rng.push_back(std::stoull(w.as_string()));
      } catch (const std::exception&) {
        detail::raise<IOError>("'{}': malformed random generator state", path);
      }
    }
  return s;
}

}  // namespace strata::io

namespace strata::models {

void Model::save(const std::string& path) const { io::save_model(*this, path); }
void Model::save_weights(const std::string& path) const { io::save_weights(*this, path); }
void Model::load_weights(const std::string& path) { io::load_weights(*this, path); }

}  // namespace strata::models
