// The pieces every file format shares (io/util.hpp): folders, bounded reads, weight names.
#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
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

}  // namespace

/// Assigns `values` (name -> tensor) to the model's weights; every weight must get exactly one.
void assign_named(const Model& model, const std::map<std::string, Tensor>& values, const std::string& what) {
  if (!model.built() && !values.empty())
    detail::raise<ValueError>("'{}': the model '{}' could not be built (its config gives no input shape: no InputLayer "
                              "or batch_input_shape), so the file's {} weights have no place",
                              what, model.name(), values.size());
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

}  // namespace detail_io

std::vector<std::pair<std::string, Variable>> named_weights(const Model& model) {
  std::vector<std::pair<std::string, Variable>> out;
  std::set<std::string> seen;
  for (const auto& l : model.layers()) detail_io::collect_named(*l, out, seen);
  return out;
}

}  // namespace strata::io
