// A functional model with two inputs, two outputs and a shared layer, on Fashion-MNIST: the
// top and bottom halves of each image go through the same encoder (one set of weights), and
// two heads predict the class and the image's mean brightness.
//
//   ./functional_multi_io [--epochs N] [--batch-size N] [--threads N] [--data DIR] [--seed N] [--limit N]
#include <cstdio>
#include <iostream>

#include <strata/strata.hpp>

#include "example_args.hpp"

using namespace strata;

int main(int argc, char** argv) {
  ExampleArgs defaults;
  defaults.epochs = 3;
  const ExampleArgs args = ExampleArgs::parse(argc, argv, defaults);
  data::FashionMNIST fm = data::load_fashion_mnist(args.data);
  auto halves = [](const Tensor& images) {  // [N, 28, 28] -> two [N, 392]
    auto parts = split(images, 2, 1);
    return std::make_pair(reshape(parts[0], {-1, 392}), reshape(parts[1], {-1, 392}));
  };
  Tensor images = fm.x_train, labels = fm.y_train;
  if (args.limit > 0) {
    images = slice_axis(images, 0, 0, args.limit);
    labels = slice_axis(labels, 0, 0, args.limit);
  }
  auto [top, bottom] = halves(images);
  Tensor brightness = reshape(mean(images, {1, 2}), {-1, 1});

  KerasTensor top_in = Input({392}, DType::float32, "top"), bottom_in = Input({392}, DType::float32, "bottom");
  auto encoder = std::make_shared<layers::Dense>(128, "relu");  // shared: one set of weights
  encoder->set_name("encoder");
  KerasTensor merged = layers::Concatenate()({(*encoder)(top_in), (*encoder)(bottom_in)});
  auto class_head = std::make_shared<layers::Dense>(10);
  class_head->set_name("class");
  auto bright_head = std::make_shared<layers::Dense>(1);
  bright_head->set_name("brightness");
  Model model({top_in, bottom_in}, {(*class_head)(merged), (*bright_head)(merged)}, "two_halves");
  std::cout << model.summary();

  model.compile(optimizers::Adam(1e-3), {losses::SparseCategoricalCrossentropy(true), "mse"},
                MetricsByOutput{{"class", {"accuracy"}}}, /*loss_weights=*/{1.0, 10.0});
  FitOptions fit;
  fit.epochs = args.epochs;
  fit.batch_size = args.batch_size;
  fit.validation_split = 0.1;
  model.fit({top, bottom}, {labels, brightness}, fit);

  auto [test_top, test_bottom] = halves(fm.x_test);
  const Logs test = model.evaluate({test_top, test_bottom}, {fm.y_test, reshape(mean(fm.x_test, {1, 2}), {-1, 1})});
  std::printf("test class accuracy: %.4f, brightness mse: %.5f\n", test.get("class_accuracy"),
              test.get("brightness_loss"));
  return test.get("class_accuracy") > 0.5 ? 0 : 1;
}
