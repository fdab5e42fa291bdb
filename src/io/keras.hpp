#pragma once
// Keras 3 files: .weights.h5 (HDF5, Keras's object-path layout) and .keras (a zip of
// config.json, metadata.json and model.weights.h5). Internal to io; saving.cpp dispatches here.
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/autograd/variable.hpp"
#include "strata/models/model.hpp"

namespace strata::io::keras {

/// Where Keras 3 keeps each weight: {"layers/dense/vars/0", kernel}, {"layers/lstm/cell/vars/1",
/// recurrent kernel}, ... Objects are named by class ("dense", "dense_1") in the order of
/// model.layers (Keras's depth order for functional models), and every object without weights
/// still has its (empty) "vars" group, listed with an undefined Variable.
std::vector<std::pair<std::string, Variable>> weight_paths(const models::Model& model);

/// The bytes of a .weights.h5 file holding the model's weights.
std::string weights_h5(const models::Model& model, const std::string& what);
/// Assigns the weights in a .weights.h5 image; every weight must be present with its shape.
void load_weights_h5(models::Model& model, std::string_view bytes, const std::string& what);

/// The bytes of a .keras archive.
std::string keras_archive(const models::Model& model, const std::string& what);
/// A model from a .keras archive.
std::shared_ptr<models::Model> load_keras(std::string_view bytes, const std::string& what);
/// Loads the weights of a .keras archive into `model`.
void load_keras_weights(models::Model& model, std::string_view bytes, const std::string& what);

}  // namespace strata::io::keras
