// Fashion-MNIST with a 784-512-256-10 ReLU MLP, Adam 1e-3, batch 128: the Keras workflow in
// C++. `./run.sh demo` runs it for 5 epochs (about 0.88 test accuracy), with Keras's progress
// bar, and writes history.csv and history.svg (loss and accuracy per epoch).
//
//   ./fashion_mnist_mlp [--epochs N] [--batch-size N] [--threads N] [--data DIR] [--seed N] [--out DIR]
#include <cstdio>
#include <iostream>

#include <strata/strata.hpp>

#include "example_args.hpp"

using namespace strata;

int main(int argc, char** argv) {
  const ExampleArgs args = ExampleArgs::parse(argc, argv, ExampleArgs{});
  data::FashionMNIST fm = data::load_fashion_mnist(args.data);
  Tensor x_train = reshape(fm.x_train, {-1, 784}), x_test = reshape(fm.x_test, {-1, 784});
  Tensor y_train = fm.y_train;
  if (args.limit > 0) {
    x_train = slice_axis(x_train, 0, 0, args.limit);
    y_train = slice_axis(y_train, 0, 0, args.limit);
  }

  Sequential model({layers::Dense(512, "relu"), layers::Dense(256, "relu"), layers::Dense(10)}, "mlp");
  model.build({-1, 784});
  std::cout << model.summary();
  model.compile(optimizers::Adam(1e-3), losses::SparseCategoricalCrossentropy(/*from_logits=*/true), {"accuracy"});

  FitOptions fit;
  fit.batch_size = args.batch_size;
  fit.epochs = args.epochs;
  fit.validation_x = {x_test};
  fit.validation_y = {fm.y_test};
  History history = model.fit(x_train, y_train, fit);

  const Logs test = model.evaluate(x_test, fm.y_test);
  std::printf("test accuracy: %.4f\n", test.get("accuracy"));
  history.save_csv(args.out + "/history.csv");
  history.save_svg(args.out + "/history.svg");
  std::printf("wrote %s/history.csv and %s/history.svg\n", args.out.c_str(), args.out.c_str());
  return 0;
}
