// Keras 3 weight files (.weights.h5) and model archives (.keras).
//
// Keras 3 stores each object's variables at the object's path in the model's attribute tree:
// the model's own at "vars", a layer's at "layers/<snake class name>[_<n>]/vars/<i>" (layers in
// the order of model.layers; the n-th layer of one class gets "_n"), nested models' at
// ".../functional/layers/...". Below a layer, each layer says where Keras keeps its parts
// (Layer::keras_saved_parts): an RNN's at ".../lstm/cell/vars/<i>", Bidirectional's at
// ".../forward_layer/cell/vars/<i>", MultiHeadAttention's at ".../_query_dense/vars/<i>", ...
// Within a "vars" group, datasets "0", "1", ... hold the layer's trainable then non-trainable
// variables in creation order.
#include "io/keras.hpp"

#include <ctime>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

#include "detail/errors.hpp"
#include "io/h5.hpp"
#include "io/keras_legacy.hpp"
#include "io/util.hpp"
#include "io/zip.hpp"
#include "layers/node.hpp"
#include "strata/config.hpp"
#include "strata/models/serialization.hpp"
#include "strata/models/sequential.hpp"
#include "strata/ops.hpp"
#include "strata/version.hpp"

namespace strata::io::keras {

using layers::Layer;
using models::Model;
using detail_io::ends_with;

namespace {

/// A functional model's layers in Keras's order: by decreasing depth from the outputs, ties in
/// the order a depth-first walk from the outputs first meets them (Keras's map_graph).
std::vector<std::shared_ptr<Layer>> keras_layer_order(const Model& m) {
  if (dynamic_cast<const models::Sequential*>(&m) || !m.is_graph_network()) return m.layers();
  using detail::Node;
  std::unordered_map<const Layer*, int> index;
  std::vector<const Node*> post;
  std::set<const Node*> finished, inputs;
  for (const KerasTensor& t : m.inputs()) inputs.insert(t.node().get());
  std::function<void(const KerasTensor&)> visit = [&](const KerasTensor& t) {
    const Node* n = t.node().get();
    if (finished.count(n)) return;
    index.emplace(n->layer.get(), static_cast<int>(index.size()));
    if (!n->is_input && !inputs.count(n))
      for (const KerasTensor& in : n->inputs) visit(in);
    finished.insert(n);
    post.push_back(n);
  };
  for (const KerasTensor& t : m.outputs()) visit(t);
  std::unordered_map<const Node*, int> node_depth;
  std::unordered_map<const Layer*, int> layer_depth;
  for (auto it = post.rbegin(); it != post.rend(); ++it) {
    const Node* n = *it;
    int depth = node_depth[n];
    if (auto d = layer_depth.find(n->layer.get()); d != layer_depth.end()) depth = std::max(depth, d->second);
    layer_depth[n->layer.get()] = depth;
    node_depth[n] = depth;
    if (!n->is_input && !inputs.count(n))
      for (const KerasTensor& in : n->inputs) {
        int& parent = node_depth[in.node().get()];
        parent = std::max(parent, depth + 1);
      }
  }
  for (const KerasTensor& t : m.inputs())
    if (!layer_depth.count(t.node()->layer.get())) {
      layer_depth[t.node()->layer.get()] = 0;
      index[t.node()->layer.get()] = -1;
    }
  std::vector<std::shared_ptr<Layer>> order = m.layers();
  std::stable_sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
    const int da = layer_depth.count(a.get()) ? layer_depth.at(a.get()) : 0;
    const int db = layer_depth.count(b.get()) ? layer_depth.at(b.get()) : 0;
    if (da != db) return da > db;
    const int ia = index.count(a.get()) ? index.at(a.get()) : 0;
    const int ib = index.count(b.get()) ? index.at(b.get()) : 0;
    return ia < ib;
  });
  return order;
}

std::string join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "/" + b; }

using Paths = std::vector<std::pair<std::string, Variable>>;

/// The vars group at `path` holding `vars` (an empty group when there are none).
void add_vars(const std::string& path, const std::vector<Variable>& vars, Paths& out) {
  const std::string group = join(path, "vars");
  if (vars.empty()) out.emplace_back(group, Variable());
  for (std::size_t i = 0; i < vars.size(); ++i) out.emplace_back(group + "/" + std::to_string(i), vars[i]);
}

void walk(const Layer& l, const std::string& path, Paths& out, std::set<const Layer*>& visited) {
  if (!visited.insert(&l).second) return;
  if (const auto* m = dynamic_cast<const Model*>(&l)) {
    add_vars(path, l.keras_saved_parts().front().vars, out);  // a subclassed model's own weights
    std::map<std::string, int> used;
    for (const auto& sub : keras_layer_order(*m)) {
      std::string name = layers::to_snake_case(sub->class_name());
      const auto [it, fresh] = used.emplace(name, 0);
      if (!fresh) name += "_" + std::to_string(++it->second);
      walk(*sub, join(path, "layers/" + name), out, visited);
    }
    return;
  }
  // Any other layer: the parts it says Keras saves (its own weights, then its sublayers by
  // default).
  for (const Layer::SavedPart& part : l.keras_saved_parts()) {
    const std::string at = part.path.empty() ? path : join(path, part.path);
    if (part.sublayer) walk(*part.sublayer, at, out, visited);
    else add_vars(at, part.vars, out);
  }
}

/// The datasets under `path` (the model's variables in a Keras 3 weights file).
std::size_t count_datasets(const detail::h5::Reader& r, const std::string& path) {
  if (r.is_dataset(path)) return 1;
  if (!r.is_group(path)) return 0;
  std::size_t n = 0;
  for (const std::string& m : r.members(path)) n += count_datasets(r, join(path, m));
  return n;
}

}  // namespace

Paths weight_paths(const Model& model) {
  Paths out;
  std::set<const Layer*> visited;
  walk(model, "", out, visited);
  return out;
}

std::string weights_h5(const Model& model, const std::string& what) {
  detail::h5::Writer w(what);
  for (const auto& [path, var] : weight_paths(model)) {
    if (!var.defined()) w.group(path);
    else w.dataset(path, var.value());
  }
  return w.finish();
}

void load_weights_h5(Model& model, std::string_view bytes, const std::string& what) {
  const detail::h5::Reader r(bytes, what);
  if (keras_legacy::is_legacy(r)) return keras_legacy::load_weights(model, r, what);
  if (!r.is_group("layers") && !r.is_group("vars"))
    detail::raise<IOError>("'{}': an HDF5 file with neither Keras 3's layout (no 'layers' or 'vars' group) nor Keras 2's "
                           "(no layer_names attribute)",
                           what);
  const std::size_t file_weights = count_datasets(r, "layers") + count_datasets(r, "vars");
  detail_io::check_unbuilt(model, file_weights, what);
  // Read and check everything before assigning anything.
  std::vector<std::pair<Variable, Tensor>> values;
  std::map<std::string, std::size_t> expected;  // vars group -> number of variables
  for (const auto& [path, var] : weight_paths(model)) {
    const std::string group = var.defined() ? path.substr(0, path.find_last_of('/')) : path;
    std::size_t& n = expected[group];
    if (!var.defined()) continue;
    ++n;
    if (!r.is_dataset(path))
      detail::raise<ValueError>("'{}': no weight at '{}' for the model's weight '{}' of shape {}", what, path,
                                var.name(), var.shape());
    Tensor t = r.read(path);
    if (t.shape() != var.shape())
      detail::raise<ValueError>("'{}': weight '{}' ('{}') has shape {} in the file but {} in the model", what, path,
                                var.name(), t.shape(), var.shape());
    if (t.dtype() != var.dtype()) t = cast(t, var.dtype());
    values.emplace_back(var, t);
  }
  for (const auto& [group, n] : expected) {
    if (!r.is_group(group)) {
      if (n == 0) continue;  // Keras tolerates a missing group of an object without weights
      detail::raise<ValueError>("'{}': no group '{}'", what, group);
    }
    const std::size_t have = r.members(group).size();
    if (have != n)
      detail::raise<ValueError>("'{}': '{}' holds {} variables but the model's layer has {}", what, group, have, n);
  }
  std::vector<Variable> assigned;
  for (const auto& [var, t] : values) assigned.push_back(var);
  detail_io::check_assigned(model, assigned, file_weights, what);
  for (auto& [var, t] : values) {
    Variable v = var;
    v.assign(t);
  }
}

// ---- .keras ----------------------------------------------------------------------------------------------------------

namespace {

/// Keras 3's serialized form of a config made by strata: every object gets its module and
/// registered name, and the model its build config.
void to_keras3(Config& c, const std::string& module) {
  if (c.is_list()) {
    for (std::size_t i = 0; i < c.size(); ++i) to_keras3(c[i], module);
    return;
  }
  if (!c.is_object()) return;
  const Config* cls = c.find("class_name");
  if (cls && cls->is_string() && c.contains("config")) {
    const std::string name = cls->as_string();
    const bool model = name == "Functional" || name == "Sequential" || name == "Model";
    if (!c.contains("module")) c["module"] = model ? std::string("keras") : module;
    if (!c.contains("registered_name")) c["registered_name"] = model ? Config(name) : Config();
    if (name == "InputLayer" && c.at("config").contains("batch_input_shape")) {  // Keras 3's key
      Config& conf = c["config"];
      const Config shape = conf.at("batch_input_shape");  // a copy: inserting may move the entries
      conf.erase("batch_input_shape");
      conf["batch_shape"] = shape;
    }
  }
  for (const auto& [key, value] : c.entries()) {
    std::string sub = "keras.layers";
    if (ends_with(key, "_initializer")) sub = "keras.initializers";
    if (ends_with(key, "_regularizer")) sub = "keras.regularizers";
    if (ends_with(key, "_constraint")) sub = "keras.constraints";
    if (key == "dtype") sub = "keras";
    to_keras3(c[key], sub);
  }
}

std::string now_string() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d@%H:%M:%S", &tm);
  return buf;
}

struct Archive {
  std::string config, weights;
  bool has_config = false, has_weights = false;
};

Archive read_archive(std::string_view bytes, const std::string& what) {
  Archive a;
  for (detail::ZipEntry& e : detail::zip_read(bytes, what)) {
    if (e.name == "config.json") a.config = std::move(e.data), a.has_config = true;
    else if (e.name == "model.weights.h5") a.weights = std::move(e.data), a.has_weights = true;
    else if (e.name == "model.weights.npz")
      detail::raise<IOError>("'{}': weights saved as model.weights.npz; strata reads Keras's default, model.weights.h5",
                             what);
  }
  if (!a.has_config) detail::raise<IOError>("'{}': not a .keras archive (no config.json)", what);
  if (!a.has_weights) detail::raise<IOError>("'{}': the archive has no model.weights.h5", what);
  return a;
}

}  // namespace

std::string keras_archive(const Model& model, const std::string& what) {
  Config config = Config::object({{"class_name", model.class_name()}, {"config", model.get_config()}});
  to_keras3(config, "keras.layers");
  detail_io::check_keras3_activations(config, what);
  detail_io::check_keras_upsampling(config, what);
  config["build_config"] = Config::object({{"input_shape", Config()}});
  if (model.compiled()) config["compile_config"] = model.get_compile_config();
  const Config meta = Config::object(
      {{"keras_version", "3.0.0"}, {"date_saved", now_string()}, {"producer", std::string("strata ") + version()}});
  return detail::zip_write({{"metadata.json", meta.dump()},
                            {"config.json", config.dump()},
                            {"model.weights.h5", weights_h5(model, what + ":model.weights.h5")}},
                           true, what);
}

std::shared_ptr<Model> load_keras(std::string_view bytes, const std::string& what) {
  const Archive a = read_archive(bytes, what);
  const Config config = detail_io::parse_json(a.config, what + ":config.json");
  const std::shared_ptr<Model> model = detail_io::model_from_config(config, what, a.weights.size());
  load_weights_h5(*model, a.weights, what + ":model.weights.h5");
  detail_io::compile_saved(*model, config.is_object() ? config.find("compile_config") : nullptr, what);
  return model;
}

void load_keras_weights(Model& model, std::string_view bytes, const std::string& what) {
  const Archive a = read_archive(bytes, what);
  load_weights_h5(model, a.weights, what + ":model.weights.h5");
}

}  // namespace strata::io::keras
