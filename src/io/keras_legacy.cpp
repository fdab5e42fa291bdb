// Keras 2's HDF5 layout (keras_legacy.hpp), read and written as Keras 2's hdf5_format does.
#include "io/keras_legacy.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <optional>

#include "detail/errors.hpp"
#include "io/util.hpp"
#include "strata/io/saving.hpp"
#include "strata/ops.hpp"
#include "strata/version.hpp"

namespace strata::io::keras_legacy {

using detail::h5::Reader;
using layers::Layer;
using models::Model;

namespace {

/// Keras 2 keeps an attribute in one HDF5 object header (64 KiB); a longer list is split into
/// `name0`, `name1`, ... (save_attributes_to_hdf5_group).
constexpr std::size_t kHeaderLimit = 64512;

/// A string attribute, joined from its chunks when it was split.
std::optional<std::vector<std::string>> attribute(const Reader& r, const std::string& group, const std::string& name) {
  if (auto v = r.string_attribute(group, name)) return v;
  std::vector<std::string> all;
  bool found = false;
  for (int chunk = 0;; ++chunk) {
    auto v = r.string_attribute(group, name + std::to_string(chunk));
    if (!v) break;
    found = true;
    all.insert(all.end(), v->begin(), v->end());
  }
  if (!found) return std::nullopt;
  return all;
}

/// Where the layer groups are: model_weights/ in a whole-model file, the root in a weights file.
std::string weights_root(const Reader& r) {
  return r.is_group("model_weights") && attribute(r, "model_weights", "layer_names") ? "model_weights" : "";
}

std::string join(const std::string& group, const std::string& name) { return group.empty() ? name : group + "/" + name; }

/// Keras 2's _legacy_weights: a layer's trainable weights, then its non-trainable ones.
std::vector<Variable> legacy_weights(const Layer& l) {
  std::vector<Variable> w = l.trainable_weights();
  for (const Variable& v : l.non_trainable_weights()) w.push_back(v);
  return w;
}

/// One layer of the file: its name and its weights, in weight_names order.
struct FileLayer {
  std::string name;
  std::vector<std::string> weight_names;
  std::vector<Tensor> values;
};

std::vector<FileLayer> file_layers(const Reader& r, const std::string& what) {
  const std::string root = weights_root(r);
  const auto names = attribute(r, root, "layer_names");
  if (!names)
    detail::raise<IOError>("'{}': an HDF5 file without Keras's layer_names attribute (neither a Keras 2 model nor a "
                           "Keras 2 weights file)",
                           what);
  std::vector<FileLayer> out;
  for (const std::string& name : *names) {
    const std::string g = join(root, name);
    if (!r.is_group(g)) detail::raise<IOError>("'{}': layer_names lists '{}', which has no group", what, name);
    FileLayer fl{name, attribute(r, g, "weight_names").value_or(std::vector<std::string>{}), {}};
    for (const std::string& wn : fl.weight_names) {
      const std::string p = join(g, wn);
      if (!r.is_dataset(p)) detail::raise<IOError>("'{}': layer '{}' lists the weight '{}', which is not in the file", what, name, wn);
      fl.values.push_back(r.read(p));
    }
    out.push_back(std::move(fl));
  }
  return out;
}

std::string names_of(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s.empty() ? std::string("none") : s;
}

/// Checks one layer's values against its weights; the message says why they do not fit, or is empty.
std::string mismatch(const Layer& l, const std::vector<Variable>& ws, const FileLayer& fl) {
  if (ws.size() != fl.values.size())
    return "layer '" + l.name() + "' has " + std::to_string(ws.size()) + " weights, the file's layer '" + fl.name +
           "' has " + std::to_string(fl.values.size()) + " (" + names_of(fl.weight_names) + ")";
  for (std::size_t i = 0; i < ws.size(); ++i)
    if (ws[i].shape() != fl.values[i].shape())
      return "weight '" + fl.weight_names[i] + "' has shape " + fl.values[i].shape().to_string() + " in the file, but '" +
             ws[i].name() + "' of layer '" + l.name() + "' has shape " + ws[i].shape().to_string();
  return "";
}

}  // namespace

bool is_legacy(const Reader& r) {
  return attribute(r, "", "layer_names").has_value() ||
         (r.is_group("model_weights") && attribute(r, "model_weights", "layer_names").has_value());
}

void load_weights(Model& model, const Reader& r, const std::string& what, bool by_name, bool skip_mismatch) {
  if (const auto v = r.string_attribute("", "keras_version"); v && !v->empty() && (*v)[0].rfind("1", 0) == 0)
    detail::raise<IOError>("'{}': written by Keras {}; Keras 1 files (whose kernels need converting) are not read", what,
                           (*v)[0]);
  std::vector<FileLayer> file;
  for (FileLayer& fl : file_layers(r, what))
    if (!fl.values.empty()) file.push_back(std::move(fl));
  std::vector<std::pair<Variable, Tensor>> assign;
  auto take = [&](const std::vector<Variable>& ws, const FileLayer& fl) {
    for (std::size_t i = 0; i < ws.size(); ++i) assign.emplace_back(ws[i], fl.values[i]);
  };
  if (by_name) {
    for (const auto& l : model.layers()) {
      const std::vector<Variable> ws = legacy_weights(*l);
      auto it = std::find_if(file.begin(), file.end(), [&](const FileLayer& f) { return f.name == l->name(); });
      if (it == file.end()) continue;
      const std::string why = mismatch(*l, ws, *it);
      if (why.empty()) take(ws, *it);
      else if (!skip_mismatch) detail::raise<ValueError>("'{}': {}", what, why);
    }
  } else {
    std::vector<std::shared_ptr<Layer>> with_weights;
    for (const auto& l : model.layers())
      if (!l->weights().empty()) with_weights.push_back(l);
    if (with_weights.size() != file.size()) {
      std::vector<std::string> have, want;
      for (const auto& f : file) have.push_back(f.name);
      for (const auto& l : with_weights) want.push_back(l->name());
      detail::raise<ValueError>("'{}': the file holds weights for {} layers ({}), the model has {} layers with weights ({})",
                                what, file.size(), names_of(have), with_weights.size(), names_of(want));
    }
    for (std::size_t k = 0; k < file.size(); ++k) {
      const std::vector<Variable> ws = legacy_weights(*with_weights[k]);
      const std::string why = mismatch(*with_weights[k], ws, file[k]);
      if (!why.empty()) detail::raise<ValueError>("'{}': layer '{}' of the file: {}", what, file[k].name, why);
      take(ws, file[k]);
    }
  }
  std::vector<Variable> assigned;
  for (const auto& [var, t] : assign) assigned.push_back(var);
  std::size_t file_weights = 0;
  for (const FileLayer& fl : file) file_weights += fl.values.size();
  if (!by_name) {
    detail_io::check_assigned(model, assigned, file_weights, what);
  } else {  // layers the file does not name keep their weights, but something must load
    detail_io::check_unbuilt(model, file_weights, what);
    if (assigned.empty() && file_weights > 0)
      detail::raise<ValueError>("'{}': no layer of the model '{}' has the name of a layer of the file", what, model.name());
  }
  for (auto& [var, t] : assign) {
    Variable v = var;
    v.assign(t.dtype() == v.dtype() ? t : cast(t, v.dtype()));
  }
}

std::shared_ptr<Model> load_model(const Reader& r, const std::string& what, std::uint64_t file_bytes) {
  const auto config = r.string_attribute("", "model_config");
  if (!config || config->size() != 1)
    detail::raise<IOError>("'{}': an HDF5 file without a Keras model_config attribute ({}); build the model in code and "
                           "call load_weights",
                           what, is_legacy(r) ? "a Keras 2 weights file" : "not a Keras model file");
  Config parsed = detail_io::parse_json((*config)[0], what + ":model_config");
  // Keras 3 writes this layout too, with its own meaning of the activation names
  const auto version = r.string_attribute("", "keras_version");
  if (!(version && !version->empty() && (*version)[0].rfind("3", 0) == 0)) detail_io::activations_from_keras2(parsed);
  const std::shared_ptr<Model> model = detail_io::model_from_config(parsed, what, file_bytes);
  load_weights(*model, r, what);
  if (const auto training = r.string_attribute("", "training_config"); training && training->size() == 1) {
    const Config t = detail_io::parse_json((*training)[0], what + ":training_config");
    detail_io::compile_saved(*model, &t, what);
  }
  return model;
}

namespace {

/// Writes a list attribute, split into chunks as Keras 2 does when it passes the header limit
/// (numpy.array_split: the first size % chunks chunks have one element more).
void write_list(detail::h5::Writer& w, const std::string& group, const std::string& name,
                const std::vector<std::string>& values) {
  std::size_t width = 1;
  for (const auto& v : values) width = std::max(width, v.size());
  if (width > kHeaderLimit)
    detail::raise<ValueError>("Keras 2 HDF5: the name '{}...' is longer than an HDF5 object header holds",
                              values.front().substr(0, 40));
  std::size_t chunks = 1;
  while (((values.size() + chunks - 1) / chunks) * width > kHeaderLimit) ++chunks;
  if (chunks == 1) return w.string_attribute(group, name, values);
  std::size_t at = 0;
  for (std::size_t c = 0; c < chunks; ++c) {
    const std::size_t n = values.size() / chunks + (c < values.size() % chunks ? 1 : 0);
    w.string_attribute(group, name + std::to_string(c),
                       std::vector<std::string>(values.begin() + static_cast<std::ptrdiff_t>(at),
                                                values.begin() + static_cast<std::ptrdiff_t>(at + n)));
    at += n;
  }
}

}  // namespace

std::string save(const Model& model, const std::string& what, bool with_model) {
  detail::h5::Writer w(what);
  const std::string root = with_model ? "model_weights" : "";
  const std::string producer = std::string("strata ") + version();
  if (with_model) {
    Config c = Config::object({{"class_name", model.class_name()}, {"config", model.get_config()}});
    detail_io::activations_to_keras2(c, what);
    detail_io::check_keras_upsampling(c, what);
    w.string_attribute("", "model_config", {c.dump()}, true);
    w.string_attribute("", "keras_version", {producer}, true);
    w.string_attribute("", "backend", {"strata"}, true);
    if (model.compiled()) {
      // Keras 2's training_config: the compile arguments, with the optimizer under optimizer_config
      Config t = model.get_compile_config();
      Config opt = Config::object({{"class_name", t.at("optimizer").at("class_name")},
                                   {"config", t.at("optimizer").at("config")}});
      Config training = Config::object({{"loss", t.at("loss")},
                                        {"metrics", t.at("metrics")},
                                        {"weighted_metrics", Config()},
                                        {"loss_weights", t.at("loss_weights")},
                                        {"optimizer_config", opt}});
      w.string_attribute("", "training_config", {training.dump()}, true);
    }
    w.group(root);
  }
  // The weights' names as Keras 2 writes them: "<layer>/<weight>:0".
  std::map<std::uint64_t, std::string> key_of;
  for (const auto& [key, var] : named_weights(model)) key_of[var.id()] = key;
  std::vector<std::string> layer_names;
  for (const auto& l : model.layers()) {
    layer_names.push_back(l->name());
    const std::string g = join(root, l->name());
    w.group(g);
    std::vector<std::string> weight_names;
    for (const Variable& v : legacy_weights(*l)) {
      auto it = key_of.find(v.id());
      const std::string name = (it != key_of.end() ? it->second : l->name() + "/" + v.name()) + ":0";
      weight_names.push_back(name);
      w.dataset(join(g, name), v.value());
    }
    write_list(w, g, "weight_names", weight_names);
  }
  std::set<std::uint64_t> written;
  for (const auto& l : model.layers())
    for (const Variable& v : legacy_weights(*l)) written.insert(v.id());
  for (const Variable& v : model.weights())
    if (!written.count(v.id()))
      detail::raise<ValueError>("save '{}': Keras 2's .h5 layout keeps layers' weights only, not the weight '{}' of the "
                                "model '{}' itself: use .weights.h5, .npz or .strata",
                                what, v.name(), model.name());
  write_list(w, root, "layer_names", layer_names);
  w.string_attribute(root, "backend", {"strata"}, true);
  w.string_attribute(root, "keras_version", {producer}, true);
  return w.finish();
}

}  // namespace strata::io::keras_legacy
