// A custom layer, Keras-style: configuration in the constructor, weights in build(), the
// computation in call() from ops. strata gives it the rest: shape inference, weight tracking,
// summaries, gradients, serialization, gradcheck.
//
//   ./custom_layer [--steps N] [--seed N]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include <strata/strata.hpp>

using namespace strata;

/// A gated linear unit: y = (x W + b) * sigmoid(x V + c).
class GatedDense : public layers::Layer {
 public:
  STRATA_LAYER(GatedDense)
  STRATA_LAYER_CONFIG(GatedDense)  // get_config() and its list of config fields
  explicit GatedDense(std::int64_t units_) : units(units_) {}
  std::int64_t units;
  bool use_gate = true;  // a less common option: a public field with its default

 protected:
  void build(const Shape& input_shape) override {
    const std::int64_t in = input_shape.back();
    w_ = add_weight("w", {in, units}, "glorot_uniform");
    b_ = add_weight("b", {units}, "zeros");
    if (!use_gate) return;
    v_ = add_weight("v", {in, units}, "glorot_uniform");
    c_ = add_weight("c", {units}, "zeros");
  }
  Tensor call(const Tensor& x, bool /*training*/) override {
    const Tensor y = matmul(x, w_) + b_;
    return use_gate ? y * sigmoid(matmul(x, v_) + c_) : y;
  }

 private:
  Variable w_, b_, v_, c_;
};

// Its Keras config, declared once: get_config writes these keys, and the factory builds the
// layer from a config (the constructor gets `units`; the other keys present are assigned).
const layers::Fields<GatedDense>& GatedDense::config_fields() {
  static const auto f =
      layers::Fields<GatedDense>("GatedDense").args("units", &GatedDense::units).field("use_gate", &GatedDense::use_gate);
  return f;
}
Config GatedDense::get_config() const { return config_fields().write(*this, base_config()); }

int main(int argc, char** argv) {
  int steps = 300;
  std::uint64_t seed = 7;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--steps")) steps = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 10);
    else {
      std::fprintf(stderr, "usage: custom_layer [--steps N] [--seed N]\n");
      return 2;
    }
  }
  set_seed(seed);

  // 1. Register it so saved models containing it can be rebuilt from their config.
  layers::register_layer("GatedDense", GatedDense::config_fields().factory());

  // 2. Check its gradients against finite differences (float64).
  auto probe = std::make_shared<GatedDense>(3);
  probe->set_dtype(DType::float64);
  probe->build_for({{-1, 5}});  // creates the weights, as the first call would
  auto report = gradcheck([&](const std::vector<Tensor>& in) { return (*probe)(in[0]); },
                          {Tensor::random_normal({4, 5})}, probe->trainable_weights());
  std::cout << report.to_string() << "\n";
  if (!report.ok) return 1;

  // 3. Use it in a functional model like any built-in layer.
  KerasTensor in = Input({2});
  KerasTensor h = GatedDense(16)(in);
  KerasTensor out = layers::Dense(1)(h);
  Model model(in, out, "gated");
  std::cout << model.summary();

  // 4. Train it by hand with the tape: fit y = x0 * x1 on [-1, 1]^2.
  Tensor x = Tensor::random_uniform({256, 2}, -1, 1);
  Tensor y = reshape(prod(x, 1), {256, 1});
  auto params = model.trainable_weights();
  double first = 0, last = 0;
  for (int step = 0; step <= steps; ++step) {
    GradientTape tape;
    Tensor loss = mean(square(model(x, true) - y));
    auto grads = tape.gradient(loss, params);
    for (std::size_t i = 0; i < params.size(); ++i) params[i].assign_sub(grads[i] * 0.5);
    last = loss.item<double>();
    if (step == 0) first = last;
  }
  std::printf("mse %.4f -> %.4f\n", first, last);

  // 5. Its config round-trips through the registry.
  auto copy = layers::layer_from_config(layers::serialize_layer(*model.get_layer(1)));
  std::cout << "rebuilt from config: " << copy->class_name() << " " << copy->get_config().dump() << "\n";
  return last < first * 0.5 ? 0 : 1;
}
