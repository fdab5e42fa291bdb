// TensorFlow.js layers models: model.json (the Keras topology, TF.js's class names and
// defaults) and its binary weight shards, as tf.loadLayersModel reads them and model.save writes
// them.
#include "io/tfjs.hpp"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cmath>
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
/// reset_after=false GRU; an LSTM or GRU without recurrent_activation has TF.js's default,
/// hard_sigmoid.
void from_tfjs_defaults(Config& c) {
  if (c.is_list()) {
    for (std::size_t i = 0; i < c.size(); ++i) from_tfjs_defaults(c[i]);
    return;
  }
  if (!c.is_object()) return;
  if (const Config* cls = c.find("class_name"); cls && cls->is_string() && c.contains("config") &&
                                                c.at("config").is_object()) {
    const std::string n = cls->as_string();
    if (n == "GRU" && !c.at("config").contains("reset_after")) c["config"]["reset_after"] = false;
    if ((n == "GRU" || n == "LSTM") && !c.at("config").contains("recurrent_activation"))
      c["config"]["recurrent_activation"] = "hard_sigmoid";
  }
  for (const auto& [k, v] : c.entries()) from_tfjs_defaults(c[k]);
}

/// "batchInputShape" -> "batch_input_shape"; "" for a key that is not camelCase.
std::string pythonic(const std::string& key) {
  if (key.empty() || !std::islower(static_cast<unsigned char>(key[0])) || key.find('_') != std::string::npos) return "";
  std::string out;
  bool upper = false;
  for (char ch : key) {
    if (std::isupper(static_cast<unsigned char>(ch))) {
      upper = true;
      out += '_';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    } else {
      out += ch;
    }
  }
  return upper ? out : "";
}

/// TF.js reads a topology's keys in either spelling (its deserializer turns Python's snake_case
/// into camelCase), so exporters write either: camelCase keys become Python's, unless the file
/// also has the Python spelling.
void to_pythonic_keys(Config& c) {
  if (c.is_list()) {
    for (std::size_t i = 0; i < c.size(); ++i) to_pythonic_keys(c[i]);
    return;
  }
  if (!c.is_object()) return;
  Config out = Config::object();
  for (const auto& [k, v] : c.entries()) {
    const std::string p = pythonic(k);
    Config value = v;
    to_pythonic_keys(value);
    out[p.empty() || c.contains(p) ? k : p] = std::move(value);
  }
  c = std::move(out);
}

std::string hex8(const std::string& data) {
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char ch : data) h = (h ^ ch) * 16777619u;
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", h);
  return buf;
}

/// The content hash in a shard name strata wrote ("group1-shard1of2.0a1b2c3d.bin" -> "0a1b2c3d"),
/// or "" for a name without one (TF.js's own "group1-shard1of1.bin").
std::string content_tag(const std::string& path) {
  const std::string name = last_component(path);
  if (name.rfind("group", 0) != 0 || !ends_with(name, ".bin") || name.size() < 14) return "";
  const std::string stem = name.substr(0, name.size() - 4);
  const std::size_t dot = stem.find_last_of('.');
  if (dot == std::string::npos || stem.size() - dot - 1 != 8 || stem.find("-shard") == std::string::npos) return "";
  const std::string tag = stem.substr(dot + 1);
  for (char c : tag)
    if (!std::isxdigit(static_cast<unsigned char>(c)) || std::isupper(static_cast<unsigned char>(c))) return "";
  return tag;
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

/// How a manifest entry's values are stored: float32 or int32, or quantized (tfjs-core's
/// io_utils: uint8 and uint16 hold round((v - min) / scale), float16 holds half floats).
struct Encoding {
  bool integer = false;  ///< the weight's dtype is int32 (else float32)
  enum Kind { plain, affine, half } kind = plain;
  std::size_t width = 4;  ///< bytes per stored value
  double min = 0, scale = 1;
};

Encoding encoding_of(const Config& w, const std::string& name, const std::string& what) {
  Encoding e;
  const std::string dtype = w.get_string("dtype", "float32");
  if (dtype != "float32" && dtype != "int32")
    detail::raise<IOError>("'{}': weight '{}' has dtype '{}' (float32 and int32 are supported)", what, name, dtype);
  e.integer = dtype == "int32";
  const Config* q = w.find("quantization");
  if (!q || q->is_null()) return e;
  if (!q->is_object()) detail::raise<IOError>("'{}': weight '{}' has a malformed quantization entry", what, name);
  const std::string qd = q->get_string("dtype", "");
  if (qd == "uint8" || qd == "uint16") {
    const Config* mn = q->find("min");
    const Config* sc = q->find("scale");
    if (!mn || !sc || !mn->is_number() || !sc->is_number())
      detail::raise<IOError>("'{}': weight '{}' is quantized to {} without a numeric min and scale", what, name, qd);
    e.kind = Encoding::affine;
    e.width = qd == "uint8" ? 1 : 2;
    e.min = mn->as_double();
    e.scale = sc->as_double();
  } else if (qd == "float16") {
    if (e.integer) detail::raise<IOError>("'{}': weight '{}' is int32 quantized to float16", what, name);
    e.kind = Encoding::half;
    e.width = 2;
  } else {
    detail::raise<IOError>("'{}': weight '{}' has quantization dtype '{}' (uint8, uint16 and float16 are read)", what,
                           name, qd);
  }
  return e;
}

/// `count` values stored as `e` at `src`, as float32 (or int64 for int32 weights).
Tensor decode(const Encoding& e, const char* src, const Shape& shape, std::size_t count) {
  Tensor t = detail::make_tensor(shape, e.integer ? DType::int64 : DType::float32);
  auto stored = [&](std::size_t i) -> double {  // the i-th stored value, dequantized
    if (e.kind == Encoding::plain) {
      if (e.integer) {
        std::int32_t v;
        std::memcpy(&v, src + 4 * i, 4);
        return v;
      }
      float v;
      std::memcpy(&v, src + 4 * i, 4);
      return v;
    }
    if (e.width == 1) return static_cast<unsigned char>(src[i]) * e.scale + e.min;
    std::uint16_t h;
    std::memcpy(&h, src + 2 * i, 2);
    return e.kind == Encoding::half ? half_to_float(h) : h * e.scale + e.min;
  };
  if (e.integer) {
    std::int64_t* o = detail::mut_ptr<std::int64_t>(t);
    for (std::size_t i = 0; i < count; ++i) o[i] = static_cast<std::int64_t>(std::llround(stored(i)));
  } else if (e.kind == Encoding::plain) {
    std::memcpy(detail::mut_ptr<float>(t), src, count * 4);
  } else {
    float* o = detail::mut_ptr<float>(t);
    for (std::size_t i = 0; i < count; ++i) o[i] = static_cast<float>(stored(i));
  }
  return t;
}

/// The model weight a manifest name stands for. TF.js's loader tries the name itself, then the
/// name without its next-to-last part (converters since TF 2.2 put an RNN cell's scope there:
/// "lstm/lstm_cell/kernel"); the converter for Keras 3 also puts the model's name first
/// ("sequential/dense/kernel"), which is dropped as well.
std::string model_weight_for(const std::string& name, const std::set<std::string>& keys, const std::string& model) {
  auto without_cell = [](const std::string& n) {
    const std::size_t last = n.find_last_of('/');
    if (last == std::string::npos || last == 0) return n;
    const std::size_t prev = n.find_last_of('/', last - 1);
    return prev == std::string::npos ? n.substr(last + 1) : n.substr(0, prev) + n.substr(last);
  };
  std::vector<std::string> tries{name, without_cell(name)};
  const std::string prefix = model + "/";
  if (!model.empty() && name.rfind(prefix, 0) == 0) {
    const std::string inner = name.substr(prefix.size());
    tries.push_back(inner);
    tries.push_back(without_cell(inner));
  }
  for (const auto& t : tries)
    if (keys.count(t)) return t;
  return name;
}

}  // namespace

namespace detail_io {

std::map<std::string, Tensor> to_model_names(const Model& model, std::map<std::string, Tensor> values,
                                             const std::string& what) {
  std::set<std::string> keys;
  for (const auto& [k, v] : named_weights(model)) keys.insert(k);
  std::map<std::string, Tensor> out;
  std::map<std::string, std::string> source;  // model weight -> the manifest name given to it
  for (auto& [name, t] : values) {
    const std::string key = model_weight_for(name, keys, model.name());
    auto [it, fresh] = source.emplace(key, name);
    if (!fresh)
      detail::raise<ValueError>("'{}': the weights '{}' and '{}' both stand for the model's weight '{}'", what,
                                it->second, name, key);
    out.emplace(key, std::move(t));
  }
  return out;
}
void save_tfjs(const Model& model, const std::string& path) {
  const std::string dir = ends_with(path, ".json") ? parent_of(path) : path;
  const std::string json_path = ends_with(path, ".json") ? path : dir + "/model.json";
  Config topology = Config::parse(model.to_json());
  to_tfjs_classes(topology, "save_model '" + json_path + "'");
  activations_to_keras2(topology, "save_model '" + json_path + "'");
  upsampling_to_tfjs(topology, "save_model '" + json_path + "'");
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
    paths.push_back(name);
    written.insert(name);
  }
  Config manifest = Config::list({Config::object({{"paths", paths}, {"weights", specs}})});
  Config doc = Config::object({{"format", "layers-model"},
                               {"generatedBy", std::string("strata ") + version()},
                               {"convertedBy", Config()},
                               {"modelTopology", topology},
                               {"weightsManifest", manifest}});
  // Everything is ready: only now does the folder appear, and a failed write removes what this
  // save added (the folders it made, the shards that were not there).
  std::vector<std::string> made;  // the folders this save creates, deepest first
  for (std::string d = dir; !d.empty() && d != "." && d != "/" && !is_directory(d); d = parent_of(d)) made.push_back(d);
  std::vector<std::string> added;
  try {
    make_directories(dir);
    const std::string json_name = last_component(json_path);
    detail::remove_stale_temporaries(dir, [&](const std::string& target) {
      return target == json_name || (target.rfind("group1-shard", 0) == 0 && ends_with(target, ".bin"));
    });
    std::size_t s = 0;
    for (const Config& p : paths.items()) {
      const std::string file = dir + "/" + p.as_string();
      const bool existed = ::access(file.c_str(), F_OK) == 0;
      const std::size_t at = s++ * kShardBytes;
      detail::write_file_atomic(file, data.substr(std::min(at, data.size()), kShardBytes));
      if (!existed) added.push_back(file);
    }
    detail::write_file_atomic(json_path, doc.dump());
  } catch (...) {
    for (const std::string& f : added) ::unlink(f.c_str());
    for (const std::string& d : made) ::rmdir(d.c_str());  // only removes a folder left empty
    throw;
  }
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
    std::string data, tag;
    bool tagged = true;
    for (const Config& p : group.at("paths").items()) {
      if (!p.is_string()) detail::raise<IOError>("'{}': a weight file path is not a string", what);
      check_manifest_path(p.as_string(), what);
      const std::string t = content_tag(p.as_string());
      tagged = tagged && !t.empty() && (tag.empty() || t == tag);
      tag = t;
      data += read(p.as_string());
      if (data.size() > kMaxFileBytes) detail::raise<IOError>("'{}': the weight files are absurdly large", what);
    }
    if (tagged && hex8(data) != tag)
      detail::raise<IOError>("'{}': the weight files' content does not match the hash {} in their names (corrupt or "
                             "changed since they were saved)",
                             what, tag);
    std::size_t offset = 0;
    for (const Config& w : group.at("weights").items()) {
      if (!w.is_object() || !w.contains("name") || !w.contains("shape") || !w.at("name").is_string() ||
          !w.at("shape").is_list())
        detail::raise<IOError>("'{}': a weight entry lacks a name or a shape", what);
      const std::string name = w.at("name").as_string();
      const Encoding enc = encoding_of(w, name, what);
      Shape shape;
      std::uint64_t count = 1;
      for (const Config& d : w.at("shape").items()) {
        if (!d.is_int() || d.as_int() < 0 || d.as_int() > (std::int64_t(1) << 40) || shape.rank() >= 16)
          detail::raise<IOError>("'{}': weight '{}' has a bad shape {}", what, name, w.at("shape").dump());
        shape.push_back(d.as_int());
        count *= static_cast<std::uint64_t>(d.as_int());
        if (count > data.size()) break;  // caught below, before any allocation
      }
      const std::uint64_t bytes = count * enc.width;
      if (bytes > data.size() - offset)
        detail::raise<IOError>("'{}': weight '{}' of shape {} needs {} bytes but the weight files hold {} more",
                               what, name, w.at("shape").dump(), bytes, data.size() - offset);
      if (values.count(name)) detail::raise<IOError>("'{}': weight '{}' appears twice in the manifest", what, name);
      values.emplace(name, decode(enc, data.data() + offset, shape, static_cast<std::size_t>(count)));
      offset += static_cast<std::size_t>(bytes);
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
  // TF.js's own saves put the compile arguments in trainingConfig; the converter leaves Keras's
  // training_config beside model_config
  Config training = doc.contains("trainingConfig") ? doc.at("trainingConfig") : Config();
  if (topology.is_object() && training.is_null() && topology.contains("training_config"))
    training = topology.at("training_config");
  if (topology.is_object() && topology.contains("model_config")) topology = topology.at("model_config");
  to_pythonic_keys(topology);
  from_tfjs_defaults(topology);
  activations_from_keras2(topology);
  upsampling_from_tfjs(topology);
  if (!doc.contains("weightsManifest")) {  // fresh weights
    const std::shared_ptr<Model> model = model_from_config(topology, what);
    compile_saved(*model, &training, what);
    return model;
  }
  // The weights first: what they hold bounds what the topology may create.
  auto weights = read_tfjs_weights(doc.at("weightsManifest"), read, what);
  std::uint64_t elements = 0;
  for (const auto& [name, t] : weights) elements += static_cast<std::uint64_t>(t.size());
  const std::shared_ptr<Model> model = model_from_config(topology, what, elements);
  assign_named(*model, to_model_names(*model, std::move(weights), what), what);
  compile_saved(*model, &training, what);
  return model;
}

FileReader folder_reader(const std::string& json_path) {
  const std::string dir = parent_of(json_path);
  return [dir, json_path](const std::string& p) {
    // Links are resolved before the check: a shard that is a link to a file elsewhere (or to
    // /dev/zero) is refused like a path with "..".
    char base[PATH_MAX], file[PATH_MAX];
    if (!::realpath(dir.c_str(), base)) detail::raise<IOError>("'{}': cannot resolve the model's folder", json_path);
    const std::string path = dir + "/" + p;
    if (!::realpath(path.c_str(), file))
      detail::raise<IOError>("cannot open '{}': {}", path, std::strerror(errno));
    const std::string b(base), f(file);
    if (f.compare(0, b.size(), b) != 0 || f.size() <= b.size() || f[b.size()] != '/')
      detail::raise<IOError>("'{}': the weight file '{}' is a link to '{}', outside the model's folder", json_path, p, f);
    return read_bounded(f);
  };
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
