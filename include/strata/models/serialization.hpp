#pragma once
/// Models from Keras's architecture JSON (keras.models.model_from_json):
///
///   std::string json = model.to_json();                       // Keras's config format
///   std::shared_ptr<Model> copy = models::model_from_json(json);  // same layers, fresh weights
///   copy->set_weights(model.get_weights());
///
/// Reads functional ("Functional", or "Model" as TensorFlow.js writes it) and Sequential
/// models, nested models and shared layers, with Keras 2's inbound_nodes lists or Keras 3's
/// {"args", "kwargs"} nodes. Custom layers load once their class is registered
/// (layers::register_layer); an unknown class name throws ValueError naming it, and a malformed
/// config (a node naming a layer that does not exist, a cycle) throws ValueError saying where.
#include <memory>
#include <string>

#include "strata/config.hpp"
#include "strata/models/model.hpp"

namespace strata::models {

std::shared_ptr<Model> model_from_json(const std::string& json);
/// From {"class_name": ..., "config": {...}} (the parsed JSON).
std::shared_ptr<Model> model_from_config(const Config& class_and_config);

}  // namespace strata::models
