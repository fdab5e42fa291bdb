#include "strata/config.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

#include "detail/errors.hpp"

namespace strata {
namespace {

const char* type_name(Config::Type t) {
  switch (t) {
    case Config::Type::null: return "null";
    case Config::Type::boolean: return "bool";
    case Config::Type::integer: return "integer";
    case Config::Type::number: return "number";
    case Config::Type::string: return "string";
    case Config::Type::list: return "list";
    case Config::Type::object: return "object";
  }
  return "?";
}

[[noreturn]] void wrong_type(const char* want, Config::Type got) {
  detail::raise<ValueError>("Config: expected {}, got {}", want, type_name(got));
}

using ordered_json = nlohmann::ordered_json;

ordered_json to_json(const Config& c) {
  switch (c.type()) {
    case Config::Type::null: return nullptr;
    case Config::Type::boolean: return c.as_bool();
    case Config::Type::integer: return c.as_int();
    case Config::Type::number: return c.as_double();
    case Config::Type::string: return c.as_string();
    case Config::Type::list: {
      ordered_json j = ordered_json::array();
      for (const auto& v : c.items()) j.push_back(to_json(v));
      return j;
    }
    case Config::Type::object: {
      ordered_json j = ordered_json::object();
      for (const auto& [k, v] : c.entries()) j[k] = to_json(v);
      return j;
    }
  }
  return nullptr;
}

Config from_json(const ordered_json& j) {
  switch (j.type()) {
    case ordered_json::value_t::null: return Config();
    case ordered_json::value_t::boolean: return Config(j.get<bool>());
    case ordered_json::value_t::number_integer: return Config(j.get<std::int64_t>());
    case ordered_json::value_t::number_unsigned: return Config(static_cast<std::int64_t>(j.get<std::uint64_t>()));
    case ordered_json::value_t::number_float: return Config(j.get<double>());
    case ordered_json::value_t::string: return Config(j.get<std::string>());
    case ordered_json::value_t::array: {
      Config c = Config::list();
      for (const auto& v : j) c.push_back(from_json(v));
      return c;
    }
    case ordered_json::value_t::object: {
      Config c = Config::object();
      for (auto it = j.begin(); it != j.end(); ++it) c[it.key()] = from_json(it.value());
      return c;
    }
    default: throw ValueError("Config::parse: unsupported JSON value");
  }
}

/// Keras's one-line style: ", " between items and ": " after keys.
void dump_compact(const Config& c, std::string& out) {
  switch (c.type()) {
    case Config::Type::list: {
      out += '[';
      for (std::size_t i = 0; i < c.size(); ++i) {
        if (i) out += ", ";
        dump_compact(c[i], out);
      }
      out += ']';
      return;
    }
    case Config::Type::object: {
      out += '{';
      bool first = true;
      for (const auto& [k, v] : c.entries()) {
        if (!first) out += ", ";
        first = false;
        out += ordered_json(k).dump();
        out += ": ";
        dump_compact(v, out);
      }
      out += '}';
      return;
    }
    case Config::Type::number: {
      const double d = c.as_double();
      if (!std::isfinite(d)) {  // JSON has no NaN/Infinity; Keras writes them as Python does
        out += std::isnan(d) ? "NaN" : (d > 0 ? "Infinity" : "-Infinity");
        return;
      }
      out += ordered_json(d).dump();
      return;
    }
    default:
      out += to_json(c).dump();
  }
}

}  // namespace

Config Config::list(std::vector<Config> items) {
  Config c;
  c.type_ = Type::list;
  c.list_ = std::move(items);
  return c;
}

Config Config::object(std::vector<Entry> entries) {
  Config c;
  c.type_ = Type::object;
  c.object_ = std::move(entries);
  return c;
}

bool Config::as_bool() const {
  if (type_ != Type::boolean) wrong_type("bool", type_);
  return b_;
}
std::int64_t Config::as_int() const {
  if (type_ == Type::integer) return i_;
  if (type_ == Type::number && d_ == std::floor(d_) && std::fabs(d_) < 9.2e18) return static_cast<std::int64_t>(d_);
  wrong_type("integer", type_);
}
double Config::as_double() const {
  if (type_ == Type::number) return d_;
  if (type_ == Type::integer) return static_cast<double>(i_);
  wrong_type("number", type_);
}
const std::string& Config::as_string() const {
  if (type_ != Type::string) wrong_type("string", type_);
  return s_;
}

std::size_t Config::size() const noexcept {
  if (type_ == Type::list) return list_.size();
  if (type_ == Type::object) return object_.size();
  return 0;
}

const Config& Config::operator[](std::size_t i) const {
  if (type_ != Type::list) wrong_type("list", type_);
  if (i >= list_.size()) detail::raise<ValueError>("Config: index {} out of range for a list of {}", i, list_.size());
  return list_[i];
}
Config& Config::operator[](std::size_t i) {
  if (type_ != Type::list) wrong_type("list", type_);
  if (i >= list_.size()) detail::raise<ValueError>("Config: index {} out of range for a list of {}", i, list_.size());
  return list_[i];
}
void Config::push_back(Config v) {
  if (type_ == Type::null) type_ = Type::list;
  if (type_ != Type::list) wrong_type("list", type_);
  list_.push_back(std::move(v));
}
const std::vector<Config>& Config::items() const {
  if (type_ != Type::list) wrong_type("list", type_);
  return list_;
}

bool Config::contains(const std::string& key) const { return find(key) != nullptr; }

Config& Config::operator[](const std::string& key) {
  if (type_ == Type::null) type_ = Type::object;
  if (type_ != Type::object) wrong_type("object", type_);
  for (auto& [k, v] : object_)
    if (k == key) return v;
  object_.emplace_back(key, Config());
  return object_.back().second;
}

const Config* Config::find(const std::string& key) const {
  if (type_ != Type::object) return nullptr;
  for (const auto& [k, v] : object_)
    if (k == key) return &v;
  return nullptr;
}

const Config& Config::at(const std::string& key) const {
  if (type_ != Type::object) wrong_type("object", type_);
  if (const Config* v = find(key)) return *v;
  std::string keys;
  for (const auto& [k, v] : object_) keys += (keys.empty() ? "" : ", ") + k;
  detail::raise<ValueError>("Config: missing key '{}' (keys: {})", key, keys.empty() ? "none" : keys);
}

const std::vector<Config::Entry>& Config::entries() const {
  if (type_ != Type::object) wrong_type("object", type_);
  return object_;
}

void Config::erase(const std::string& key) {
  if (type_ != Type::object) return;
  for (auto it = object_.begin(); it != object_.end(); ++it)
    if (it->first == key) {
      object_.erase(it);
      return;
    }
}

std::int64_t Config::get_int(const std::string& key, std::int64_t fallback) const {
  const Config* v = find(key);
  return v && !v->is_null() ? v->as_int() : fallback;
}
double Config::get_double(const std::string& key, double fallback) const {
  const Config* v = find(key);
  return v && !v->is_null() ? v->as_double() : fallback;
}
bool Config::get_bool(const std::string& key, bool fallback) const {
  const Config* v = find(key);
  return v && !v->is_null() ? v->as_bool() : fallback;
}
std::string Config::get_string(const std::string& key, const std::string& fallback) const {
  const Config* v = find(key);
  return v && !v->is_null() ? v->as_string() : fallback;
}

std::string Config::dump(int indent) const {
  if (indent >= 0) return to_json(*this).dump(indent);
  std::string out;
  dump_compact(*this, out);
  return out;
}

Config Config::parse(const std::string& text) {
  // Untrusted text: refuse deep nesting before it is built (converting it recurses).
  constexpr int kMaxDepth = 256;
  const ordered_json::parser_callback_t limit = [](int depth, ordered_json::parse_event_t, ordered_json&) {
    if (depth > kMaxDepth) throw ValueError("Config::parse: JSON nested deeper than " + std::to_string(kMaxDepth));
    return true;
  };
  try {
    return from_json(ordered_json::parse(text, limit, true, /*ignore_comments=*/false));
  } catch (const nlohmann::json::exception& e) {
    throw ValueError(std::string("Config::parse: invalid JSON: ") + e.what());
  }
}

bool operator==(const Config& a, const Config& b) {
  if (a.is_number() && b.is_number()) return a.as_double() == b.as_double();
  if (a.type_ != b.type_) return false;
  switch (a.type_) {
    case Config::Type::null: return true;
    case Config::Type::boolean: return a.b_ == b.b_;
    case Config::Type::string: return a.s_ == b.s_;
    case Config::Type::list: return a.list_ == b.list_;
    case Config::Type::object: return a.object_ == b.object_;
    default: return false;
  }
}

Config shape_to_config(const Shape& shape) {
  Config c = Config::list();
  for (auto d : shape) c.push_back(d < 0 ? Config() : Config(d));
  return c;
}

Shape shape_from_config(const Config& c) {
  Shape s;
  for (const auto& v : c.items()) s.push_back(v.is_null() ? -1 : v.as_int());
  return s;
}

std::string keras_class_name(const std::string& registered_name) {
  const std::size_t at = registered_name.rfind('>');
  return at == std::string::npos ? registered_name : registered_name.substr(at + 1);
}

}  // namespace strata
