// The pieces every file format shares (io/util.hpp): folders, bounded reads, weight names.
#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <set>

#include "detail/fileio.hpp"
#include "io/util.hpp"
#include "strata/io/saving.hpp"
#include "strata/ops.hpp"

namespace strata::io {

using models::Model;

namespace detail_io {

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ffu;
  std::uint32_t bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else {  // subnormal half: normalize
      int e = -1;
      std::uint32_t m = man;
      do {
        ++e;
        m <<= 1;
      } while (!(m & 0x400u));
      bits = sign | ((127 - 15 - e) << 23) | ((m & 0x3ffu) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (man << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

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
  const std::uint64_t n = detail::file_size(path);
  if (n > kMaxFileBytes) detail::raise<IOError>("'{}': {} bytes is more than a model file may hold", path, n);
  return detail::read_file(path);
}

// ---- weight names -------------------------------------------------------------------------------------------------

namespace {

/// The key of a weight of layer `l`: its name, under the layer's name unless it already is.
std::string weight_key(const layers::Layer& l, const Variable& v) {
  const std::string prefix = l.name() + "/";
  const std::string& n = v.name();
  if (n.rfind(prefix, 0) == 0) return n;
  if (l.class_name() == "TimeDistributed") return prefix + last_component(n);  // as TF.js and Keras 2 name it
  return prefix + n;                                                            // "bi/forward_lstm/kernel"
}

void collect_named(const layers::Layer& l, std::vector<std::pair<std::string, Variable>>& out,
                   std::set<std::string>& seen, std::set<std::uint64_t>& ids) {
  if (const auto* m = dynamic_cast<const Model*>(&l)) {
    for (const auto& sub : m->layers()) collect_named(*sub, out, seen, ids);
    // then a subclassed model's own weights (add_weight in its build), under its name
    for (const Variable& v : l.weights())
      if (!ids.count(v.id()) && seen.insert(weight_key(l, v)).second) {
        ids.insert(v.id());
        out.emplace_back(weight_key(l, v), v);
      }
    return;
  }
  for (const Variable& v : l.weights()) {
    const std::string key = weight_key(l, v);
    if (seen.insert(key).second) {
      ids.insert(v.id());
      out.emplace_back(key, v);
    }
  }
}

std::string names_of(const std::vector<Variable>& vars) {
  std::string s;
  for (const Variable& v : vars) s += (s.empty() ? "'" : ", '") + v.name() + "'";
  return s;
}

}  // namespace

void compile_saved(Model& model, const Config* config, const std::string& what) {
  if (!config || config->is_null()) return;
  try {
    model.compile_from_config(*config);
  } catch (const Error& e) {
    std::cerr << "strata: warning: '" << what << "': the saved training configuration was not applied, so the model "
              << "is loaded uncompiled (compile it in code): " << e.what() << "\n";
  }
}

void check_unbuilt(const Model& model, std::size_t file_weights, const std::string& what) {
  if (model.built() || file_weights == 0) return;
  if (model.is_graph_network() || model.class_name() == "Sequential")
    detail::raise<ValueError>("'{}': the model '{}' could not be built (its config gives no input shape: no InputLayer "
                              "or batch_input_shape), so the file's {} weights have no place",
                              what, model.name(), file_weights);
  detail::raise<ValueError>("'{}': the model '{}' is not built, so it has no weights yet for the file's {} weights "
                            "(call it once, or build_for, before load_weights)",
                            what, model.name(), file_weights);
}

void check_assigned(const Model& model, const std::vector<Variable>& assigned, std::size_t file_weights,
                    const std::string& what) {
  check_unbuilt(model, file_weights, what);
  std::set<std::uint64_t> done;
  for (const Variable& v : assigned) done.insert(v.id());
  std::vector<Variable> missing;
  for (const Variable& v : model.weights())
    if (!done.count(v.id())) missing.push_back(v);
  if (!missing.empty())
    detail::raise<ValueError>("'{}': the file gives no value for {} of the model '{}''s weights: {}", what,
                              missing.size(), model.name(), names_of(missing));
  if (assigned.empty() && file_weights > 0)
    detail::raise<ValueError>("'{}': the model '{}' has no weights, so none of the file's {} weights is loaded", what,
                              model.name(), file_weights);
}

/// Assigns `values` (name -> tensor) to the model's weights; every weight must get exactly one.
void assign_named(const Model& model, const std::map<std::string, Tensor>& values, const std::string& what) {
  check_unbuilt(model, values.size(), what);
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
  std::vector<Variable> assigned;
  for (const auto& [name, var] : named) assigned.push_back(var);
  check_assigned(model, assigned, values.size(), what);
  for (const auto& [name, var] : named) {
    Variable v = var;
    const Tensor& t = values.at(name);
    v.assign(t.dtype() == v.dtype() ? t : cast(t, v.dtype()));
  }
}

namespace {

/// Calls f(name, layer) on every activation name of a config: the string under a key
/// "activation" or "..._activation" ("recurrent_activation"), in any layer, however nested.
template <class F>
void for_each_activation(Config& c, const F& f, const std::string& layer = "") {
  if (c.is_list()) {
    for (std::size_t i = 0; i < c.size(); ++i) for_each_activation(c[i], f, layer);
    return;
  }
  if (!c.is_object()) return;
  const std::string here = c.contains("name") && c.at("name").is_string() ? c.at("name").as_string() : layer;
  for (const auto& [key, value] : c.entries()) {
    if ((key == "activation" || ends_with(key, "_activation")) && value.is_string()) {
      std::string name = value.as_string();
      f(name, here);
      c[key] = name;
    } else {
      for_each_activation(c[key], f, here);
    }
  }
}

constexpr const char* kKeras2HardSigmoid = "hard_sigmoid_keras2";

}  // namespace

void activations_from_keras2(Config& config) {
  for_each_activation(config, [](std::string& name, const std::string&) {
    if (name == "hard_sigmoid") name = kKeras2HardSigmoid;
  });
}

void activations_to_keras2(Config& config, const std::string& where) {
  for_each_activation(config, [&](std::string& name, const std::string& layer) {
    if (name == "hard_sigmoid")
      detail::raise<ValueError>("{}: layer '{}' uses Keras 3's hard_sigmoid, relu6(x + 3) / 6, which this format "
                                "cannot name (its hard_sigmoid is clip(0.2 x + 0.5, 0, 1), strata's "
                                "hard_sigmoid_keras2)",
                                where, layer);
    if (name == kKeras2HardSigmoid) name = "hard_sigmoid";
  });
}

void check_keras3_activations(Config& config, const std::string& where) {
  for_each_activation(config, [&](std::string& name, const std::string& layer) {
    if (name == kKeras2HardSigmoid)
      detail::raise<ValueError>("{}: layer '{}' uses the hard_sigmoid of Keras 2 and TF.js, clip(0.2 x + 0.5, 0, 1), "
                                "which Keras 3 has no activation name for (its hard_sigmoid is relu6(x + 3) / 6)",
                                where, layer);
  });
}

namespace {
/// Calls f(class_name, config) on every serialized layer ({"class_name", "config"}), however nested.
template <class C, class F>
void for_each_layer(C& c, const F& f) {
  if (c.is_list()) {
    for (std::size_t i = 0; i < c.size(); ++i) for_each_layer(c[i], f);
    return;
  }
  if (!c.is_object()) return;
  if (c.contains("class_name") && c.at("class_name").is_string() && c.contains("config") && c.at("config").is_object())
    f(c.at("class_name").as_string(), c["config"]);
  for (const auto& [key, value] : c.entries()) for_each_layer(c[key], f);
}
bool bilinear(const Config& c) { return c.get_string("interpolation", "nearest") == "bilinear"; }
std::string layer_name(const Config& c) { return c.get_string("name", "?"); }
}  // namespace

void upsampling_from_tfjs(Config& config) {
  for_each_layer(config, [](const std::string& cls, Config& c) {
    if (cls == "UpSampling2D" && bilinear(c)) c["half_pixel_centers"] = false;
  });
}

void upsampling_to_tfjs(Config& config, const std::string& where) {
  for_each_layer(config, [&](const std::string& cls, Config& c) {
    if (cls != "UpSampling2D") return;
    const bool tfjs = c.contains("half_pixel_centers") && c.at("half_pixel_centers").is_bool() &&
                      !c.at("half_pixel_centers").as_bool();
    if (bilinear(c) && !tfjs)
      detail::raise<ValueError>("{}: layer '{}' upsamples bilinearly with half-pixel centres (Keras's), which "
                                "TF.js's UpSampling2D cannot compute (its bilinear resize has none)",
                                where, layer_name(c));
    c.erase("half_pixel_centers");
  });
}

void check_keras_upsampling(const Config& config, const std::string& where) {
  Config copy = config;
  for_each_layer(copy, [&](const std::string& cls, Config& c) {
    if (cls == "UpSampling2D" && c.contains("half_pixel_centers"))
      detail::raise<ValueError>("{}: layer '{}' upsamples bilinearly as TF.js does (no half-pixel centres), which "
                                "Keras's UpSampling2D cannot compute",
                                where, layer_name(c));
  });
}

}  // namespace detail_io

std::vector<std::pair<std::string, Variable>> named_weights(const Model& model) {
  std::vector<std::pair<std::string, Variable>> out;
  std::set<std::string> seen;
  std::set<std::uint64_t> ids;
  detail_io::collect_named(model, out, seen, ids);
  return out;
}

}  // namespace strata::io
