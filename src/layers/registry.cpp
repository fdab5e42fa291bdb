#include "layers/registry.hpp"

#include <algorithm>
#include <mutex>
#include <set>
#include <unordered_map>

#include "detail/errors.hpp"

namespace strata::layers {

namespace {
class Table : public Registry {
 public:
  Table() {
    register_core_layers(*this);
    register_conv_layers(*this);
    register_pooling_layers(*this);
    register_normalization_layers(*this);
    register_merge_layers(*this);
    register_recurrent_layers(*this);
    register_attention_layers(*this);
    register_noise_layers(*this);
    register_reshaping_layers(*this);
    register_preprocessing_layers(*this);
    register_pooling_nd_layers(*this);
    register_model_classes(*this);
    for (const auto& [name, f] : factories_) builtin_.push_back(name);
    std::sort(builtin_.begin(), builtin_.end());
    // Keras's other names for the same classes (a layer made by one saves its class's name)
    static const std::pair<const char*, const char*> aliases[] = {
        {"Convolution1D", "Conv1D"},
        {"Convolution2D", "Conv2D"},
        {"Convolution2DTranspose", "Conv2DTranspose"},
        {"SeparableConvolution2D", "SeparableConv2D"},
        {"MaxPool1D", "MaxPooling1D"},
        {"MaxPool2D", "MaxPooling2D"},
        {"MaxPool3D", "MaxPooling3D"},
        {"AvgPool3D", "AveragePooling3D"},
        {"GlobalAvgPool3D", "GlobalAveragePooling3D"},
        {"GlobalMaxPool3D", "GlobalMaxPooling3D"},
        {"AvgPool1D", "AveragePooling1D"},
        {"AvgPool2D", "AveragePooling2D"},
        {"GlobalAvgPool1D", "GlobalAveragePooling1D"},
        {"GlobalAvgPool2D", "GlobalAveragePooling2D"},
        {"GlobalMaxPool1D", "GlobalMaxPooling1D"},
        {"GlobalMaxPool2D", "GlobalMaxPooling2D"}};
    for (const auto& [alias, cls] : aliases) factories_[alias] = factories_.at(cls);
  }
  void add(const std::string& class_name, LayerFactory factory) override {
    std::lock_guard<std::mutex> lock(mutex_);
    factories_[class_name] = std::move(factory);
  }
  LayerFactory find(const std::string& cls) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = factories_.find(cls);
    if (it != factories_.end()) return it->second;
    std::string known;
    for (const auto& n : sorted_names()) known += (known.empty() ? "" : ", ") + n;
    detail::raise<ValueError>(
        "unknown layer class '{}': register a factory with strata::layers::register_layer (known: {})", cls, known);
  }
  std::vector<std::string> names() {
    std::lock_guard<std::mutex> lock(mutex_);
    return sorted_names();
  }
  const std::vector<std::string>& builtin() const { return builtin_; }

 private:
  std::vector<std::string> sorted_names() const {
    std::vector<std::string> names;
    for (const auto& [k, v] : factories_) names.push_back(k);
    std::sort(names.begin(), names.end());
    return names;
  }
  std::mutex mutex_;
  std::unordered_map<std::string, LayerFactory> factories_;
  std::vector<std::string> builtin_;
};

// Filled on first use; C++11 makes the initialisation of a function-local static thread-safe.
Table& table() {
  static Table t;
  return t;
}
}  // namespace

void refuse_unless_channels_last(const Config& c, const std::string& cls) {
  if (const Config* df = c.find("data_format");
      df && !df->is_null() && !(df->is_string() && df->as_string() == "channels_last"))
    detail::raise<ValueError>("{} '{}': data_format {} is not supported (strata computes channels_last)", cls,
                              c.get_string("name", ""), df->dump());
}

void Registry::add_channels_last(const std::string& class_name, LayerFactory factory) {
  add(class_name, [class_name, factory = std::move(factory)](const Config& c) {
    refuse_unless_channels_last(c, class_name);
    return factory(c);
  });
}

LayerFactory layer_factory(const std::string& class_name) { return table().find(class_name); }

void register_layer(const std::string& class_name, LayerFactory factory) {
  if (class_name.empty()) throw ValueError("register_layer: the class name is empty");
  if (!factory) detail::raise<ValueError>("register_layer('{}'): the factory is empty", class_name);
  table().add(class_name, std::move(factory));
}

std::vector<std::string> registered_layer_classes() { return table().names(); }

std::vector<std::string> builtin_layer_classes() { return table().builtin(); }

}  // namespace strata::layers
