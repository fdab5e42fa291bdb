// Keras's other class names (Convolution2D, MaxPool2D, GlobalAvgPool1D, ...) load as the same
// classes, and save under the class's own name.
#include <algorithm>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

TEST_CASE("Keras's class aliases load as their classes", "[layers][registry]") {
  const std::string json = R"({"class_name": "Sequential", "config": {"name": "aliases", "layers": [
      {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 8, 8, 2], "name": "in"}},
      {"class_name": "Convolution2D", "config": {"name": "c", "filters": 3, "kernel_size": [3, 3], "padding": "same"}},
      {"class_name": "MaxPool2D", "config": {"name": "p", "pool_size": [2, 2]}},
      {"class_name": "AvgPool2D", "config": {"name": "a", "pool_size": [2, 2]}},
      {"class_name": "GlobalMaxPool2D", "config": {"name": "g"}}]}})";
  auto m = models::model_from_json(json);
  std::vector<std::string> classes;
  for (const auto& l : m->layers()) classes.push_back(l->class_name());
  CHECK(classes == std::vector<std::string>{"Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalMaxPooling2D"});
  // max over 2x2 windows of the same-padded conv, averaged, then the global max: shape [N, 3]
  const Tensor y = m->predict(Tensor::ones({2, 8, 8, 2}));
  CHECK(y.shape() == Shape{2, 3});
  // saved under the classes' own names, so Keras and TF.js read the file back
  CHECK(m->to_json().find("Convolution2D") == std::string::npos);
  CHECK(m->to_json().find("\"MaxPooling2D\"") != std::string::npos);

  const auto registered = layers::registered_layer_classes();
  for (const char* alias : {"Convolution1D", "Convolution2D", "Convolution2DTranspose", "SeparableConvolution2D",
                            "MaxPool1D", "MaxPool2D", "AvgPool1D", "AvgPool2D", "GlobalAvgPool1D", "GlobalAvgPool2D",
                            "GlobalMaxPool1D", "GlobalMaxPool2D"}) {
    INFO(alias);
    CHECK(std::find(registered.begin(), registered.end(), alias) != registered.end());
    const auto builtin = layers::builtin_layer_classes();  // classes, not their other names
    CHECK(std::find(builtin.begin(), builtin.end(), alias) == builtin.end());
  }
  // the channels_first refusal applies to the aliases too
  CHECK_THROWS_WITH(models::model_from_json(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
      {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4, 4, 2], "name": "in"}},
      {"class_name": "MaxPool2D", "config": {"name": "p", "data_format": "channels_first"}}]}})"),
                    Catch::Contains("channels_first"));
}
