#pragma once
/// JSON-like values: what a layer's get_config() returns, and the pieces of a Keras model
/// config. Objects keep their keys in insertion order, as Python dicts do.
///
///   Config c = Config::object();
///   c["units"] = 256;
///   c["activation"] = "relu";
///   c["kernel_size"] = Config::list({3, 3});
///   c.dump();                       // {"units": 256, "activation": "relu", "kernel_size": [3, 3]}
///   Config::parse(c.dump()) == c;   // true
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "strata/shape.hpp"

namespace strata {

class Config {
 public:
  enum class Type { null, boolean, integer, number, string, list, object };
  using Entry = std::pair<std::string, Config>;

  Config() noexcept = default;
  Config(std::nullptr_t) noexcept {}  // NOLINT
  Config(bool v) : type_(Type::boolean), b_(v) {}                              // NOLINT
  Config(int v) : type_(Type::integer), i_(v) {}                               // NOLINT
  Config(long v) : type_(Type::integer), i_(v) {}                              // NOLINT
  Config(long long v) : type_(Type::integer), i_(v) {}                         // NOLINT
  Config(unsigned long v) : type_(Type::integer), i_(static_cast<std::int64_t>(v)) {}  // NOLINT
  Config(double v) : type_(Type::number), d_(v) {}                             // NOLINT
  Config(const char* v) : type_(Type::string), s_(v) {}                        // NOLINT
  Config(std::string v) : type_(Type::string), s_(std::move(v)) {}             // NOLINT

  static Config list(std::vector<Config> items = {});
  static Config object(std::vector<Entry> entries = {});

  Type type() const noexcept { return type_; }
  bool is_null() const noexcept { return type_ == Type::null; }
  bool is_bool() const noexcept { return type_ == Type::boolean; }
  bool is_int() const noexcept { return type_ == Type::integer; }
  /// Integer or floating point.
  bool is_number() const noexcept { return type_ == Type::integer || type_ == Type::number; }
  bool is_string() const noexcept { return type_ == Type::string; }
  bool is_list() const noexcept { return type_ == Type::list; }
  bool is_object() const noexcept { return type_ == Type::object; }

  /// Typed reads; a wrong type throws ValueError naming the expected and actual types.
  bool as_bool() const;
  std::int64_t as_int() const;
  double as_double() const;
  const std::string& as_string() const;

  /// Elements of a list, or entries of an object.
  std::size_t size() const noexcept;
  const Config& operator[](std::size_t i) const;
  Config& operator[](std::size_t i);
  void push_back(Config v);
  const std::vector<Config>& items() const;

  bool contains(const std::string& key) const;
  /// The value at key, inserted as null if absent (a null becomes an empty object).
  Config& operator[](const std::string& key);
  Config& operator[](const char* key) { return (*this)[std::string(key)]; }
  /// The value at key; throws ValueError naming the key and the keys present.
  const Config& at(const std::string& key) const;
  /// nullptr when absent.
  const Config* find(const std::string& key) const;
  const std::vector<Entry>& entries() const;
  void erase(const std::string& key);

  /// Reads with a default when the key is absent or null.
  std::int64_t get_int(const std::string& key, std::int64_t fallback) const;
  double get_double(const std::string& key, double fallback) const;
  bool get_bool(const std::string& key, bool fallback) const;
  std::string get_string(const std::string& key, const std::string& fallback) const;

  /// JSON text; indent < 0 gives one line with ", " and ": " separators (Keras's style).
  std::string dump(int indent = -1) const;
  /// Parses JSON; malformed text throws ValueError with the position.
  static Config parse(const std::string& text);

  friend bool operator==(const Config& a, const Config& b);
  friend bool operator!=(const Config& a, const Config& b) { return !(a == b); }

 private:
  Type type_ = Type::null;
  bool b_ = false;
  std::int64_t i_ = 0;
  double d_ = 0.0;
  std::string s_;
  std::vector<Config> list_;
  std::vector<Entry> object_;
};

/// The class of a Keras registered name: "Custom>Adam" (tf.keras's registration of its own
/// classes under a package) is "Adam"; a name without a package is itself.
std::string keras_class_name(const std::string& registered_name);

/// A shape as a Keras config list: unknown dimensions (-1) become null.
Config shape_to_config(const Shape& shape);
/// The reverse: null becomes -1.
Shape shape_from_config(const Config& c);

}  // namespace strata
