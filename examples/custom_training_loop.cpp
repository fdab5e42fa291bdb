// The Fashion-MNIST MLP trained by a hand-written loop over the tape: what fit() does, spelled
// out. Every piece is public: Dataset, GradientTape, a loss, an optimizer, a metric.
//
//   ./custom_training_loop [--epochs N] [--batch-size N] [--threads N] [--data DIR] [--seed N]
#include <cstdio>

#include <strata/strata.hpp>

#include "example_args.hpp"

using namespace strata;

int main(int argc, char** argv) {
  const ExampleArgs args = ExampleArgs::parse(argc, argv, ExampleArgs{});
  data::FashionMNIST fm = data::load_fashion_mnist(args.data);
  Tensor x_train = reshape(fm.x_train, {-1, 784}), y_train = fm.y_train;
  if (args.limit > 0) {
    x_train = slice_axis(x_train, 0, 0, args.limit);
    y_train = slice_axis(y_train, 0, 0, args.limit);
  }

  Sequential model({layers::Dense(512, "relu"), layers::Dense(256, "relu"), layers::Dense(10)});
  model.build({-1, 784});
  optimizers::Adam optimizer(1e-3);
  losses::SparseCategoricalCrossentropy loss_fn(/*from_logits=*/true);
  metrics::SparseCategoricalAccuracy accuracy;
  metrics::Mean mean_loss;

  auto train = data::Dataset::from_tensors({x_train, y_train}).shuffle(args.seed).batch(args.batch_size);
  const std::vector<Variable> weights = model.trainable_weights();
  for (int epoch = 0; epoch < args.epochs; ++epoch) {
    accuracy.reset_state();
    mean_loss.reset_state();
    for (const auto& batch : train) {
      GradientTape tape;
      Tensor logits = model(batch[0], /*training=*/true);
      Tensor loss = loss_fn(batch[1], logits);
      optimizer.apply_gradients(tape.gradient(loss, weights), weights);
      accuracy.update_state(batch[1], logits);
      mean_loss.update_state(loss);
    }
    std::printf("epoch %d: loss %.4f, accuracy %.4f\n", epoch + 1, mean_loss.result(), accuracy.result());
  }

  metrics::SparseCategoricalAccuracy test_accuracy;
  {
    NoGradGuard no_grad;
    test_accuracy.update_state(fm.y_test, model(reshape(fm.x_test, {-1, 784})));
  }
  std::printf("test accuracy: %.4f\n", test_accuracy.result());
  return 0;
}
