// The README's API tour, as a program: CI builds and runs it, so the tour always compiles.
#include <iostream>

#include <strata/strata.hpp>

using namespace strata;

int main() {
  // --- Tensors: immutable values, NumPy broadcasting, runtime dtype ---
  Tensor a = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});  // float32 by default
  Tensor b = Tensor::arange(3);                                // [0, 1, 2]
  Tensor c = relu(a * 2.0 - b);                                // [2, 3] with b broadcast
  std::cout << c << "\n";
  std::cout << sum(c, 1) << " " << argmax(c, 1) << "\n";
  Tensor d = a.astype(DType::float64);  // mixing float32 and float64 in one op is a DTypeError

  // --- GradientTape: define-by-run, TensorFlow 2 semantics ---
  Variable w(Tensor::random_normal({3, 2}), "w");  // trainable Variables are watched
  Tensor x = Tensor::random_normal({4, 3});
  GradientTape tape;
  Tensor loss = mean(square(matmul(x, w)));
  Tensor dw = tape.gradient(loss, {w})[0];
  w.assign_sub(dw * 0.1);  // in place

  // Higher order: nested tapes (d2/dx2 of x^3 at 2 is 12)
  Tensor t = Tensor::scalar(2.0, DType::float64);
  GradientTape outer;
  outer.watch(t);
  Tensor dt;
  {
    GradientTape inner;
    inner.watch(t);
    dt = inner.gradient(t * t * t, {t})[0];
  }
  std::cout << "d2/dx2 x^3 at 2 = " << outer.gradient(dt, {t})[0].item<double>() << "\n";

  // --- Layers and models: Keras's two-step layers and the functional Container ---
  KerasTensor in = Input({784});                                 // [None, 784]
  KerasTensor h = layers::Dense(128, "relu")(in);                // construct, then call
  KerasTensor out = layers::Dense(10)(layers::Dropout(0.2)(h));
  Model model(in, out, "mlp");
  std::cout << model.summary();                                  // Keras's table; 101,770 params
  Tensor logits = model(Tensor::random_normal({32, 784}));       // [32, 10], any batch size
  Sequential seq({layers::Conv2D(8, 3, 1, "same", "relu"), layers::MaxPooling2D(2),
                  layers::Flatten(), layers::Dense(10)});
  Tensor scores = seq(Tensor::zeros({2, 28, 28, 1}));             // built on the first call

  // --- Training: compile / fit / evaluate / predict, as in Keras ---
  Tensor images = Tensor::random_normal({512, 784});
  Tensor labels = cast(Tensor::random_uniform({512}, 0, 10), DType::int64);  // int64 class ids
  model.compile(optimizers::Adam(1e-3), losses::SparseCategoricalCrossentropy(/*from_logits=*/true),
                {"accuracy"});
  FitOptions fit;
  fit.batch_size = 64;
  fit.epochs = 2;
  fit.validation_split = 0.2;
  fit.callbacks = {std::make_shared<callbacks::EarlyStopping>("val_loss", 0.0, /*patience=*/3)};
  History history = model.fit(images, labels, fit);  // Keras's progress bar, one line per epoch
  Logs scores_test = model.evaluate(images, labels);  // {"loss", "accuracy"}
  Tensor predicted = argmax(model.predict(images), 1);

  // ... or the same step by hand on the tape
  optimizers::SGD sgd(0.01, /*momentum=*/0.9);
  std::vector<Variable> weights = model.trainable_weights();
  for (int step = 0; step < 3; ++step) {
    GradientTape step_tape;
    Tensor step_loss = mean(nn::sparse_softmax_cross_entropy_with_logits(labels, model(images, /*training=*/true)));
    sgd.apply_gradients(step_tape.gradient(step_loss, weights), weights);
  }

  // --- gradcheck: analytic gradients against finite differences in float64 ---
  auto report = gradcheck([](const std::vector<Tensor>& in) { return tanh(matmul(in[0], in[1])); },
                          {Tensor::random_normal({2, 3}), Tensor::random_normal({3, 4})});
  std::cout << report.to_string() << "\n";

  // --- Errors name the op and the shapes ---
  try {
    matmul(Tensor::ones({2, 3}), Tensor::ones({4, 5}));
  } catch (const ShapeError& e) {
    std::cout << e.what() << "\n";  // matmul: inner dimensions do not match: [2, 3] @ [4, 5] (3 != 4)
  }
  const bool shapes_ok = logits.shape() == Shape{32, 10} && scores.shape() == Shape{2, 10} &&
                         predicted.shape() == Shape{512} && history.get("val_loss").size() == 2 &&
                         scores_test.contains("accuracy");
  return report.ok && shapes_ok && d.dtype() == DType::float64 ? 0 : 1;
}
