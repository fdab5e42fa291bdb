// TensorFlow.js layers models: model.json (the Keras topology, TF.js's class names and
// defaults) and its binary weight shards, as tf.loadLayersModel reads them and model.save writes
// them.
#include "io/tfjs.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cstring>
#include <set>

#include "detail/errors.hpp"
#include "detail/fileio.hpp"
#include "detail/tensor_impl.hpp"
#include "io/util.hpp"
#include "strata/io/saving.hpp"
#include "strata/ops.hpp"
#include "strata/version.hpp"

namespace strata::io {

using models::Model;
using namespace detail_io;

namespace {

/// TF.js writes shards of 4 MiB.
constexpr std::size_t kShardBytes = std::size_t(4) << 20;

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

}  // namespace

namespace detail_io {

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
}  // namespace detail_io

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


}  // namespace strata::io
