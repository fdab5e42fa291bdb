#pragma once
// The layer registry: class name -> factory. registry.cpp lists every built-in family
// explicitly (no static initialisers, so a static build loads every class), filled once on
// first use; register_layer adds or overrides a class after that.
#include <string>

#include "strata/layers/layer.hpp"

namespace strata::layers {

/// What a family's register_*_layers function fills.
class Registry {
 public:
  virtual ~Registry() = default;
  virtual void add(const std::string& class_name, LayerFactory factory) = 0;
  /// A class Keras gives a data_format: channels_last (or null) loads, any other layout is a
  /// ValueError naming the class and the layer, since strata computes channels_last only.
  void add_channels_last(const std::string& class_name, LayerFactory factory);
};

/// ValueError unless `data_format` in `c` is absent, null or "channels_last".
void refuse_unless_channels_last(const Config& c, const std::string& class_name);

/// The factory registered for a class; a ValueError naming it (and the known ones) otherwise.
LayerFactory layer_factory(const std::string& class_name);

// One function per family (each in its family's file).
void register_core_layers(Registry& r);
void register_conv_layers(Registry& r);
void register_pooling_layers(Registry& r);
void register_normalization_layers(Registry& r);
void register_merge_layers(Registry& r);
void register_recurrent_layers(Registry& r);
void register_attention_layers(Registry& r);
void register_noise_layers(Registry& r);
void register_reshaping_layers(Registry& r);
void register_preprocessing_layers(Registry& r);
void register_pooling_nd_layers(Registry& r);
/// The model classes (Functional, Model, Sequential): declared here, defined by the models
/// stage (src/models/serialization.cpp), which comes later in the dependency chain.
void register_model_classes(Registry& r);

}  // namespace strata::layers
