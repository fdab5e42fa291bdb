// Whole-model saving: strata's .strata archive and TensorFlow.js layers models, the weight
// names Keras and TF.js use, and checkpoints with the optimizer state.
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
#include "io/keras.hpp"
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

namespace {

/// Files larger than this are refused before they are read (a model.json, a shard).
constexpr std::uint64_t kMaxFileBytes = std::uint64_t(8) << 30;
/// TF.js writes shards of 4 MiB.
constexpr std::size_t kShardBytes = std::size_t(4) << 20;

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

/// mkdir -p; IOError naming the folder on failure.
void make_directories(const std::string& dir) {
  for (std::size_t at = 1; at <= dir.size(); ++at) {
    if (at < dir.size() && dir[at] != '/') continue;
    const std::string part = dir.substr(0, at);
    if (!is_directory(part) && ::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST)
      detail::raise<IOError>("cannot create the folder '{}': {}", part, std::strerror(errno));
  }
}

std::string parent_of(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string last_component(const std::string& name) {
  const std::size_t slash = name.find_last_of('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

std::string read_bounded(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && static_cast<std::uint64_t>(st.st_size) > kMaxFileBytes)
    detail::raise<IOError>("'{}': {} bytes is more than a model file may hold", path, st.st_size);
  return detail::read_file(path);
}

// ---- weight names -------------------------------------------------------------------------------------------------

void collect_named(const layers::Layer& l, std::vector<std::pair<std::string, Variable>>& out,
                   std::set<std::string>& seen) {
  if (const auto* m = dynamic_cast<const Model*>(&l)) {
    for (const auto& sub : m->layers()) collect_named(*sub, out, seen);
    return;
  }
  const std::string prefix = l.name() + "/";
  for (const Variable& v : l.weights()) {
    const std::string& n = v.name();
    std::string key;
    if (n.rfind(prefix, 0) == 0) key = n;
    else if (l.class_name() == "TimeDistributed") key = prefix + last_component(n);  // as TF.js and Keras 2 name it
    else key = prefix + n;                                                            // "bi/forward_lstm/kernel"
    if (seen.insert(key).second) out.emplace_back(key, v);
  }
}

/// Assigns `values` (name -> tensor) to the model's weights; every weight must get exactly one.
void assign_named(const Model& model, const std::map<std::string, Tensor>& values, const std::string& what) {
  const auto named = named_weights(model);
  std::set<std::string> used;
  for (const auto& [name, var] : named) {
    auto it = values.find(name);
    if (it == values.end()) {
      std::string have;
      for (const auto& [k, v] : values) have += (have.empty() ? "" : ", ") + k;
      detail::raise<ValueError>("'{}': no value for the model's weight '{}' (the file has: {})", what, name,
                                have.empty() ? std::string("nothing") : have);
    }
    if (it->second.shape() != var.shape())
      detail::raise<ValueError>("'{}': weight '{}' has shape {} in the file but {} in the model", what, name,
                                it->second.shape(), var.shape());
    used.insert(name);
  }
  for (const auto& [name, t] : values)
    if (!used.count(name)) detail::raise<ValueError>("'{}': weight '{}' matches no weight of the model", what, name);
  for (const auto& [name, var] : named) {
    Variable v = var;
    const Tensor& t = values.at(name);
    v.assign(t.dtype() == v.dtype() ? t : cast(t, v.dtype()));
  }
}

// ---- TensorFlow.js ----------------------------------------------------------------------------------------------

void to_tfjs_classes(Config& c, const std::string& where) {
  if (c.is_list()) {
    for (std::size_t i = 0; i < c.size(); ++i) to_tfjs_classes(c[i], where);
    return;
  }
  if (!c.is_object()) return;
  if (const Config* cls = c.find("class_name"); cls && cls->is_string()) {
    const std::string n = cls->as_string();
    if (n == "Functional") c["class_name"] = "Model";
    if (n == "MultiHeadAttention" || n == "Lambda")
      detail::raise<ValueError>("{}: TensorFlow.js has no {} layer ('{}')", where, n,
                                c.contains("config") ? c.at("config").get_string("name", "?") : std::string("?"));
  }
  if (const Config* d = c.find("dtype"); d && d->is_string() && d->as_string() == "int64")
    c["dtype"] = "int32";  // TF.js's integer tensors are int32
  for (const auto& [k, v] : c.entries()) to_tfjs_classes(c[k], where);
}

/// TF.js conventions applied to a topology it wrote: a GRU without reset_after is TF.js's
/// reset_after=false GRU.
void from_tfjs_defaults(Config& c) {
  if (c.is_list()) {
    for (std::size_t i = 0; i < c.size(); ++i) from_tfjs_defaults(c[i]);
    return;
  }
  if (!c.is_object()) return;
  if (const Config* cls = c.find("class_name"); cls && cls->is_string() && cls->as_string() == "GRU")
    if (c.contains("config") && c.at("config").is_object() && !c.at("config").contains("reset_after"))
      c["config"]["reset_after"] = false;
  for (const auto& [k, v] : c.entries()) from_tfjs_defaults(c[k]);
}

std::string hex8(const std::string& data) {
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char ch : data) h = (h ^ ch) * 16777619u;
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", h);
  return buf;
}

void save_tfjs(const Model& model, const std::string& path) {
  const std::string dir = ends_with(path, ".json") ? parent_of(path) : path;
  const std::string json_path = ends_with(path, ".json") ? path : dir + "/model.json";
  make_directories(dir);
  Config topology = Config::parse(model.to_json());
  to_tfjs_classes(topology, "save_model '" + json_path + "'");
  std::string data;
  Config specs = Config::list();
  for (const auto& [name, var] : named_weights(model)) {
    Tensor t = var.value();
    std::string dtype = "float32";
    if (t.dtype() == DType::int64) {
      dtype = "int32";
      for (std::int64_t v : t.to_vector<std::int64_t>())
        if (v < INT32_MIN || v > INT32_MAX)
          detail::raise<ValueError>("save_model '{}': weight '{}' holds {}, beyond TF.js's int32", json_path, name, v);
      const std::vector<std::int64_t> vals = t.to_vector<std::int64_t>();
      for (std::int64_t v : vals) {
        const std::int32_t x = static_cast<std::int32_t>(v);
        data.append(reinterpret_cast<const char*>(&x), 4);
      }
    } else {
      if (t.dtype() != DType::float32) t = cast(t, DType::float32);  // TF.js has no float64
      data.append(detail::ptr<char>(t), static_cast<std::size_t>(t.size()) * 4);
    }
    specs.push_back(Config::object({{"name", name}, {"shape", shape_to_config(var.shape())}, {"dtype", dtype}}));
  }
  // Shard names carry a hash of their content: a save never overwrites the shards the
  // previous model.json points to, and model.json is replaced last.
  const std::size_t shards = std::max<std::size_t>(1, (data.size() + kShardBytes - 1) / kShardBytes);
  const std::string tag = hex8(data);
  Config paths = Config::list();
  std::set<std::string> written;
  for (std::size_t s = 0; s < shards; ++s) {
    const std::string name =
        "group1-shard" + std::to_string(s + 1) + "of" + std::to_string(shards) + "." + tag + ".bin";
    const std::size_t at = s * kShardBytes;
    detail::write_file_atomic(dir + "/" + name, data.substr(at, std::min(kShardBytes, data.size() - std::min(at, data.size()))));
    paths.push_back(name);
    written.insert(name);
  }
  Config manifest = Config::list({Config::object({{"paths", paths}, {"weights", specs}})});
  Config doc = Config::object({{"format", "layers-model"},
                               {"generatedBy", std::string("strata ") + version()},
                               {"convertedBy", Config()},
                               {"modelTopology", topology},
                               {"weightsManifest", manifest}});
  detail::write_file_atomic(json_path, doc.dump());
  // Shards of earlier saves are no longer referenced.
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      const std::string n = e->d_name;
      if (n.rfind("group1-shard", 0) == 0 && ends_with(n, ".bin") && !written.count(n)) ::unlink((dir + "/" + n).c_str());
    }
    ::closedir(d);
  }
}

/// A manifest path must name a file inside the model's folder.
void check_manifest_path(const std::string& p, const std::string& what) {
  if (p.empty() || p[0] == '/' || p.find('\\') != std::string::npos || p.find('\0') != std::string::npos)
    detail::raise<IOError>("'{}': weight file path '{}' is not a relative path inside the model's folder", what, p);
  std::size_t start = 0;
  while (start <= p.size()) {
    const std::size_t end = p.find('/', start);
    const std::string part = p.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (part == ".." || part.empty())
      detail::raise<IOError>("'{}': weight file path '{}' leaves the model's folder", what, p);
    if (end == std::string::npos) break;
    start = end + 1;
  }
}

using FileReader = std::function<std::string(const std::string& relative_path)>;

std::map<std::string, Tensor> read_tfjs_weights(const Config& manifest, const FileReader& read,
                                                const std::string& what) {
  std::map<std::string, Tensor> values;
  if (!manifest.is_list()) detail::raise<IOError>("'{}': weightsManifest is not a list", what);
  for (const Config& group : manifest.items()) {
    if (!group.is_object() || !group.contains("paths") || !group.contains("weights") || !group.at("paths").is_list() ||
        !group.at("weights").is_list())
      detail::raise<IOError>("'{}': a weightsManifest group lacks 'paths' or 'weights'", what);
    std::string data;
    for (const Config& p : group.at("paths").items()) {
      if (!p.is_string()) detail::raise<IOError>("'{}': a weight file path is not a string", what);
      check_manifest_path(p.as_string(), what);
      data += read(p.as_string());
      if (data.size() > kMaxFileBytes) detail::raise<IOError>("'{}': the weight files are absurdly large", what);
    }
    std::size_t offset = 0;
    for (const Config& w : group.at("weights").items()) {
      if (!w.is_object() || !w.contains("name") || !w.contains("shape") || !w.at("name").is_string() ||
          !w.at("shape").is_list())
        detail::raise<IOError>("'{}': a weight entry lacks a name or a shape", what);
      const std::string name = w.at("name").as_string();
      if (w.contains("quantization"))
        detail::raise<IOError>("'{}': weight '{}' is quantized; strata reads float32 and int32 weights", what, name);
      const std::string dtype = w.get_string("dtype", "float32");
      if (dtype != "float32" && dtype != "int32")
        detail::raise<IOError>("'{}': weight '{}' has dtype '{}' (float32 and int32 are supported)", what, name, dtype);
      Shape shape;
      std::uint64_t count = 1;
      for (const Config& d : w.at("shape").items()) {
        if (!d.is_int() || d.as_int() < 0 || d.as_int() > (std::int64_t(1) << 40) || shape.rank() >= 16)
          detail::raise<IOError>("'{}': weight '{}' has a bad shape {}", what, name, w.at("shape").dump());
        shape.push_back(d.as_int());
        count *= static_cast<std::uint64_t>(d.as_int());
        if (count > data.size()) break;  // caught below, before any allocation
      }
      if (count * 4 > data.size() - offset)
        detail::raise<IOError>("'{}': weight '{}' of shape {} needs {} bytes but the weight files hold {} more",
                               what, name, w.at("shape").dump(), count * 4, data.size() - offset);
      if (values.count(name)) detail::raise<IOError>("'{}': weight '{}' appears twice in the manifest", what, name);
      const char* src = data.data() + offset;
      if (dtype == "float32") {
        Tensor t = detail::make_tensor(shape, DType::float32);
        std::memcpy(detail::mut_ptr<float>(t), src, static_cast<std::size_t>(count) * 4);
        values.emplace(name, t);
      } else {
        Tensor t = detail::make_tensor(shape, DType::int64);
        std::int64_t* o = detail::mut_ptr<std::int64_t>(t);
        for (std::uint64_t i = 0; i < count; ++i) {
          std::int32_t v;
          std::memcpy(&v, src + 4 * i, 4);
          o[i] = v;
        }
        values.emplace(name, t);
      }
      offset += static_cast<std::size_t>(count) * 4;
    }
    if (offset != data.size())
      detail::raise<IOError>("'{}': the weight files hold {} bytes more than the manifest describes", what,
                             data.size() - offset);
  }
  return values;
}

std::shared_ptr<Model> tfjs_model(const std::string& json_text, const FileReader& read, const std::string& what) {
  Config doc = parse_json(json_text, what);
  if (!doc.is_object() || !doc.contains("modelTopology"))
    detail::raise<IOError>("'{}': not a TensorFlow.js layers model (no modelTopology)", what);
  Config topology = doc.at("modelTopology");
  if (topology.is_object() && topology.contains("model_config")) topology = topology.at("model_config");
  from_tfjs_defaults(topology);
  const std::shared_ptr<Model> model = model_from_config(topology, what);
  if (doc.contains("weightsManifest")) assign_named(*model, read_tfjs_weights(doc.at("weightsManifest"), read, what), what);
  return model;
}

FileReader folder_reader(const std::string& json_path) {
  const std::string dir = parent_of(json_path);
  return [dir](const std::string& p) { return read_bounded(dir + "/" + p); };
}

std::shared_ptr<Model> load_tfjs(const std::string& json_path) {
  return tfjs_model(read_bounded(json_path), folder_reader(json_path), json_path);
}

// ---- .strata ------------------------------------------------------------------------------------------------------

std::string entry_name(const std::string& prefix, const std::string& name) { return prefix + name + ".npy"; }

std::vector<detail::ZipEntry> strata_entries(const Model& model, const CheckpointState* state) {
  std::vector<detail::ZipEntry> entries;
  entries.push_back({"config.json", model.to_json(2)});
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
  entries.insert(entries.begin() + 1, {"metadata.json", meta.dump(2)});
  return entries;
}

struct StrataArchive {
  Config config, meta;
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
  if (!has_config || !has_meta || !a.meta.is_object() || a.meta.get_string("format", "") != "strata")
    detail::raise<IOError>("'{}': not a strata model archive (config.json or metadata.json missing)", path);
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

std::shared_ptr<Model> strata_model(const StrataArchive& a, const std::string& path) {
  const std::shared_ptr<Model> model = model_from_config(a.config, path);
  assign_named(*model, a.weights, path);
  model->epochs_completed = saved_epochs(a, path);
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

Format format_of(const std::string& path, Format f) {
  if (f != Format::automatic) return f;
  if (ends_with(path, ".strata")) return Format::strata;
  if (ends_with(path, ".keras")) return Format::keras;
  if (ends_with(path, ".json") || ends_with(path, "/") || is_directory(path)) return Format::tfjs;
  if (last_component(path).find('.') == std::string::npos) return Format::tfjs;  // a folder to create
  detail::raise<ValueError>(
      "cannot tell the format of '{}': use a .strata or .keras file, or a folder (or .../model.json) for TensorFlow.js",
      path);
}

}  // namespace

std::vector<std::pair<std::string, Variable>> named_weights(const Model& model) {
  std::vector<std::pair<std::string, Variable>> out;
  std::set<std::string> seen;
  for (const auto& l : model.layers()) collect_named(*l, out, seen);
  return out;
}

void save_model(const Model& model, const std::string& path, Format format) {
  switch (format_of(path, format)) {
    case Format::tfjs: save_tfjs(model, path); return;
    case Format::keras: detail::write_file_atomic(path, keras::keras_archive(model, path)); return;
    default: detail::write_file_atomic(path, detail::zip_write(strata_entries(model, nullptr), false, path)); return;
  }
}

std::shared_ptr<Model> load_model(const std::string& path) {
  if (ends_with(path, ".json") || is_directory(path))
    return load_tfjs(is_directory(path) ? path + "/model.json" : path);
  if (ends_with(path, ".keras")) return keras::load_keras(read_bounded(path), path);
  return strata_model(read_strata(path), path);
}

std::shared_ptr<Model> load_tfjs_from_memory(const std::string& model_json,
                                             const std::map<std::string, std::string>& files, const std::string& what) {
  return tfjs_model(
      model_json,
      [&](const std::string& p) {
        auto it = files.find(p);
        if (it == files.end()) detail::raise<IOError>("'{}': the manifest names '{}', which was not given", what, p);
        return it->second;
      },
      what);
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
  if (ends_with(path, ".strata")) return save_model(model, path, Format::strata);
  if (ends_with(path, ".h5")) return detail::write_file_atomic(path, keras::weights_h5(model, path));
  if (!ends_with(path, ".npz"))
    detail::raise<ValueError>(
        "save_weights '{}': use a .weights.h5 (Keras 3) or .npz file (or .strata for weights with optimizer state)",
        path);
  NamedTensors arrays;
  for (const auto& [name, var] : named_weights(model)) arrays.emplace_back(name, var.value());
  save_npz(path, arrays);
}

void load_weights(Model& model, const std::string& path) {
  if (ends_with(path, ".h5")) return keras::load_weights_h5(model, read_bounded(path), path);
  if (ends_with(path, ".keras")) return keras::load_keras_weights(model, read_bounded(path), path);
  if (ends_with(path, ".npz")) {
    std::map<std::string, Tensor> values;
    for (auto& [name, t] : load_npz(path)) values[name] = t;
    assign_named(model, values, path);
    return;
  }
  if (ends_with(path, ".json") || is_directory(path)) {
    const std::string json_path = is_directory(path) ? path + "/model.json" : path;
    const Config doc = parse_json(read_bounded(json_path), json_path);
    if (!doc.is_object() || !doc.contains("weightsManifest"))
      detail::raise<IOError>("'{}': no weightsManifest", json_path);
    assign_named(model, read_tfjs_weights(doc.at("weightsManifest"), folder_reader(json_path), json_path), json_path);
    return;
  }
  const StrataArchive a = read_strata(path);
  assign_named(model, a.weights, path);
  restore_optimizer(model, a, path);
  model.epochs_completed = saved_epochs(a, path);
}

void save_checkpoint(const Model& model, const std::string& path, const CheckpointState& state) {
  detail::write_file_atomic(path, detail::zip_write(strata_entries(model, &state), false, path));
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
