#pragma once
// A layer's Keras config, declared once. Each field names its Keras key and the member that
// holds it; the list writes get_config, builds the layer from a config (absent keys keep the
// member's default, which the layer's header declares once) and refuses options strata does
// not implement. Adding a config option is one line.
//
//   // header: the members with their Keras defaults, and the list's declaration
//   class Dense : public Layer {
//     STRATA_LAYER(Dense)
//     STRATA_LAYER_CONFIG(Dense)  // get_config() and config_fields()
//     std::int64_t units;
//     bool use_bias = true;
//     ...
//   };
//   // source: the list, get_config, and the registration
//   const Fields<Dense>& Dense::config_fields() {
//     static const auto f = Fields<Dense>("Dense")
//                               .args("units", &Dense::units)  // what the constructor needs
//                               .field("activation", &Dense::activation)
//                               .field("use_bias", &Dense::use_bias)
//                               .kernel_bias();                // Keras's six kernel/bias arguments
//     return f;
//   }
//   Config Dense::get_config() const { return config_fields().write(*this, base_config()); }
//   registry.add("Dense", Dense::config_fields().factory());
//
// A config is read as Keras's cls(**config): the constructor gets the `args` fields, every
// other field present in the config is assigned, and then the layer's validate function (the
// one its constructor runs) checks the whole configuration.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "strata/activations.hpp"
#include "strata/config.hpp"
#include "strata/constraints.hpp"
#include "strata/error.hpp"
#include "strata/initializers.hpp"
#include "strata/ops/nn.hpp"
#include "strata/regularizers.hpp"

namespace strata::layers {

class Layer;

/// How a field's value is written to and read from a Config: write(value) -> Config,
/// decode(non-null Config) -> value, and reset(member), what a null value means (most keep the
/// member's default; optional values, regularizers and constraints become unset).
template <class T, class = void>
struct ConfigCodec;

template <class T>
struct ConfigCodec<T, std::enable_if_t<std::is_same_v<T, bool> || std::is_same_v<T, double> ||
                                       std::is_same_v<T, std::string>>> {
  static Config write(const T& v) { return Config(v); }
  static T decode(const Config& c) {
    if constexpr (std::is_same_v<T, bool>) return c.as_bool();
    else if constexpr (std::is_same_v<T, double>) return c.as_double();
    else return c.as_string();
  }
  static void reset(T&) {}
};
template <>
struct ConfigCodec<std::int64_t> {
  static Config write(std::int64_t v) { return Config(static_cast<long long>(v)); }
  static std::int64_t decode(const Config& c) { return c.as_int(); }
  static void reset(std::int64_t&) {}
};
template <>
struct ConfigCodec<ActivationFn> {
  static Config write(const ActivationFn& a) { return Config(a.name()); }
  static ActivationFn decode(const Config& c) { return ActivationFn(c.as_string()); }
  static void reset(ActivationFn& a) { a = ActivationFn("linear"); }  // Keras: activation=None
};
template <>
struct ConfigCodec<Initializer> {
  static Config write(const Initializer& i) { return i.to_config(); }
  static Initializer decode(const Config& c) { return Initializer::from_config(c); }
  static void reset(Initializer&) {}
};
template <>
struct ConfigCodec<Regularizer> {
  static Config write(const Regularizer& r) { return r ? r.to_config() : Config(); }
  static Regularizer decode(const Config& c) { return Regularizer::from_config(c); }
  static void reset(Regularizer& r) { r = Regularizer(); }
};
template <>
struct ConfigCodec<Constraint> {
  static Config write(const Constraint& k) { return k ? k.to_config() : Config(); }
  static Constraint decode(const Config& c) { return Constraint::from_config(c); }
  static void reset(Constraint& k) { k = Constraint(); }
};
/// Keras writes a 2-D size as a list [h, w]; a number or a one-element list means both.
template <>
struct ConfigCodec<nn::Size2> {
  static Config write(const nn::Size2& s) { return Config::list({s.h, s.w}); }
  static nn::Size2 decode(const Config& c) {
    auto at = [&](std::size_t i) { return c.is_list() ? c[c.size() == 1 ? 0 : i].as_int() : c.as_int(); };
    return nn::Size2(at(0), at(1));
  }
  static void reset(nn::Size2&) {}
};
/// A list of integers; a number is a list of one.
template <>
struct ConfigCodec<std::vector<std::int64_t>> {
  static Config write(const std::vector<std::int64_t>& v) {
    Config l = Config::list();
    for (auto d : v) l.push_back(static_cast<long long>(d));
    return l;
  }
  static std::vector<std::int64_t> decode(const Config& c) {
    if (!c.is_list()) return {c.as_int()};
    std::vector<std::int64_t> v;
    for (const auto& d : c.items()) v.push_back(d.as_int());
    return v;
  }
  static void reset(std::vector<std::int64_t>& v) { v.clear(); }
};
/// A shape-like list that is null when empty, with null entries for -1 ("as the input"):
/// Dropout's noise_shape, PReLU's shared_axes.
struct IntListOrNull {
  static Config write(const std::vector<std::int64_t>& v) {
    if (v.empty()) return Config();
    Config l = Config::list();
    for (auto d : v) l.push_back(d < 0 ? Config() : Config(static_cast<long long>(d)));
    return l;
  }
  static std::vector<std::int64_t> decode(const Config& c) {
    if (!c.is_list()) return {c.as_int()};
    std::vector<std::int64_t> v;
    for (const auto& d : c.items()) v.push_back(d.is_null() ? -1 : d.as_int());
    return v;
  }
  static void reset(std::vector<std::int64_t>& v) { v.clear(); }
};
/// A 1-D size (the width of a Size2) written as Keras does, [w]; a number or a list of one.
struct Width {
  static Config write(const nn::Size2& s) { return Config::list({s.w}); }
  static nn::Size2 decode(const Config& c) { return nn::Size2(1, ConfigCodec<nn::Size2>::decode(c).w); }
  static void reset(nn::Size2&) {}
};
/// A pair of integers, [a, b]; a number n is (n, n).
template <>
struct ConfigCodec<std::pair<std::int64_t, std::int64_t>> {
  using Pair = std::pair<std::int64_t, std::int64_t>;
  static Config write(const Pair& p) { return Config::list({p.first, p.second}); }
  static Pair decode(const Config& c) {
    if (!c.is_list()) return {c.as_int(), c.as_int()};
    return {c[0].as_int(), c[c.size() == 1 ? 0 : 1].as_int()};
  }
  static void reset(Pair&) {}
};
template <>
struct ConfigCodec<Shape> {
  static Config write(const Shape& s) { return shape_to_config(s); }
  static Shape decode(const Config& c) { return shape_from_config(c); }
  static void reset(Shape&) {}
};
/// null is "not set".
template <class T>
struct ConfigCodec<std::optional<T>> {
  static Config write(const std::optional<T>& v) { return v ? ConfigCodec<T>::write(*v) : Config(); }
  static std::optional<T> decode(const Config& c) { return ConfigCodec<T>::decode(c); }
  static void reset(std::optional<T>& v) { v.reset(); }
};
template <>
struct ConfigCodec<std::uint64_t> {  // seeds
  static Config write(std::uint64_t v) { return Config(static_cast<long long>(v)); }
  static std::uint64_t decode(const Config& c) { return static_cast<std::uint64_t>(c.as_int()); }
  static void reset(std::uint64_t&) {}
};

namespace detail_fields {
[[noreturn]] void refuse(const std::string& cls, const std::string& key, const Config& value);
[[noreturn]] void missing(const std::string& cls, const std::string& key);
}  // namespace detail_fields

/// The config fields of layer class L (see the top of this file).
template <class L>
class Fields {
 public:
  using Factory = std::function<std::shared_ptr<Layer>(const Config&)>;

  explicit Fields(std::string class_name) : class_name_(std::move(class_name)) {
    if constexpr (std::is_default_constructible_v<L>) make_ = [](const Config&) { return std::make_shared<L>(); };
  }

  /// A field of member `m` (of L or a base of L), with ConfigCodec<T> or a codec of your own
  /// (a type with static write/decode/reset like ConfigCodec's).
  template <class B, class T, class Codec = ConfigCodec<T>>
  Fields& field(const std::string& key, T B::*m, Codec = {}) {
    static_assert(std::is_base_of_v<B, L>, "the member must belong to the layer or one of its bases");
    Entry e;
    e.key = key;
    e.write = [m](const L& l, Config& c, const std::string& k) { c[k] = Codec::write(static_cast<const B&>(l).*m); };
    e.read = [m](L& l, const Config& v) {
      if (v.is_null()) Codec::reset(static_cast<B&>(l).*m);
      else static_cast<B&>(l).*m = Codec::decode(v);
    };
    entries_.push_back(std::move(e));
    return *this;
  }

  /// Fields the constructor takes, in its order: a config must have them.
  template <class B1, class T1>
  Fields& args(const std::string& k1, T1 B1::*m1) {
    field(k1, m1);
    const std::string cls = class_name_;
    make_ = [cls, k1](const Config& c) { return std::make_shared<L>(required<T1>(c, cls, k1)); };
    return *this;
  }
  template <class B1, class T1, class B2, class T2>
  Fields& args(const std::string& k1, T1 B1::*m1, const std::string& k2, T2 B2::*m2) {
    field(k1, m1);
    field(k2, m2);
    const std::string cls = class_name_;
    make_ = [cls, k1, k2](const Config& c) {
      return std::make_shared<L>(required<T1>(c, cls, k1), required<T2>(c, cls, k2));
    };
    return *this;
  }

  /// The last field must be in a config (for fields a placeholder construction sets).
  Fields& required() {
    entries_.back().required = true;
    return *this;
  }
  /// How to construct the layer before its fields are read, when `args` cannot say it (the
  /// constructor's values are placeholders: every field is then assigned and validated).
  Fields& construct(std::function<std::shared_ptr<L>()> make) {
    make_ = [make](const Config&) { return make(); };
    return *this;
  }
  /// The last field is left out of get_config when its value is null (a key older readers,
  /// such as TF.js for Conv2DTranspose's output_padding, do not know).
  Fields& omit_null() {
    entries_.back().omit_null = true;
    return *this;
  }
  /// The key the last field is also read from when its own is absent (Keras 2 and 3 names).
  Fields& alias(const std::string& old_key) {
    entries_.back().aliases.push_back(old_key);
    return *this;
  }
  /// A key whose value is not one member's: `write` makes it from the layer, `read` (given the
  /// value, null included) sets the layer from it.
  Fields& custom(const std::string& key, std::function<Config(const L&)> write,
                 std::function<void(L&, const Config&)> read) {
    Entry e;
    e.key = key;
    e.write = [write](const L& l, Config& c, const std::string& k) { c[k] = write(l); };
    e.read = std::move(read);
    entries_.push_back(std::move(e));
    return *this;
  }
  /// A Keras option strata does not implement: written as its default; a config setting it to
  /// anything else (absent and null count as the default) is a ValueError naming the option.
  Fields& unsupported(const std::string& key, Config default_value, bool written = true) {
    Entry e;
    e.key = key;
    if (written) e.write = [default_value](const L&, Config& c, const std::string& k) { c[k] = default_value; };
    const std::string cls = class_name_;
    e.read = [cls, key, default_value](L&, const Config& v) {
      if (!v.is_null() && !(v == default_value)) detail_fields::refuse(cls, key, v);
    };
    entries_.push_back(std::move(e));
    return *this;
  }
  /// Keras's six kernel and bias arguments (members kernel_initializer, bias_initializer,
  /// kernel_regularizer, ...), in Keras's order; `kernel` names the kernel's keys
  /// ("depthwise" for the depthwise convolutions).
  Fields& kernel_bias(const std::string& kernel = "kernel") {
    return field(kernel + "_initializer", &L::kernel_initializer)
        .field("bias_initializer", &L::bias_initializer)
        .field(kernel + "_regularizer", &L::kernel_regularizer)
        .field("bias_regularizer", &L::bias_regularizer)
        .field(kernel + "_constraint", &L::kernel_constraint)
        .field("bias_constraint", &L::bias_constraint);
  }
  /// Run after a config is read (the checks the constructor makes).
  Fields& validate(std::function<void(const L&)> check) {
    validate_ = std::move(check);
    return *this;
  }
  /// Runs the fields of another list (a base class's shared fields) here, in this position.
  template <class F>
  Fields& with(F add) {
    add(*this);
    return *this;
  }

  /// get_config: `base` (the layer's name, trainable, dtype) and every field, in order.
  Config write(const L& l, Config base) const {
    for (const auto& e : entries_) {
      if (!e.write) continue;
      e.write(l, base, e.key);
      if (e.omit_null && base.at(e.key).is_null()) base.erase(e.key);
    }
    return base;
  }
  /// Assigns every field present in `c` (args included), then validates.
  void read(L& l, const Config& c) const {
    for (const auto& e : entries_) {
      if (!e.read) continue;
      const Config* v = c.find(e.key);
      for (std::size_t i = 0; !v && i < e.aliases.size(); ++i) v = c.find(e.aliases[i]);
      if (e.required && (!v || v->is_null())) detail_fields::missing(class_name_, e.key);
      if (v) e.read(l, *v);
    }
    if (validate_) validate_(l);
  }
  /// The registry's factory: constructs the layer from its args fields and reads the rest.
  /// The factory holds its own copy of the list, so a Fields built on the stack may go away.
  Factory factory() const {
    auto self = std::make_shared<const Fields>(*this);
    return [self](const Config& c) -> std::shared_ptr<Layer> {
      if (!self->make_) detail_fields::missing(self->class_name_, "(no constructor arguments declared)");
      std::shared_ptr<L> l = self->make_(c);
      self->read(*l, c);
      return l;
    };
  }
  const std::string& class_name() const { return class_name_; }

 private:
  struct Entry {
    std::string key;
    std::vector<std::string> aliases;
    bool required = false;
    bool omit_null = false;
    std::function<void(const L&, Config&, const std::string&)> write;
    std::function<void(L&, const Config&)> read;
  };
  template <class T>
  static T required(const Config& c, const std::string& cls, const std::string& key) {
    const Config* v = c.find(key);
    if (!v || v->is_null()) detail_fields::missing(cls, key);
    return ConfigCodec<T>::decode(*v);
  }
  std::string class_name_;
  std::vector<Entry> entries_;
  std::function<std::shared_ptr<L>(const Config&)> make_;
  std::function<void(const L&)> validate_;
};

}  // namespace strata::layers
