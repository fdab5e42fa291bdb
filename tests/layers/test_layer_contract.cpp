// The Keras layer contract: two-step construction, build on first call, add_weight,
// trainable/non-trainable weights, freezing, names, losses, input checks, custom layers.
#include "support/helpers.hpp"

using namespace strata;
using namespace strata::layers;
using namespace strata::testing;

namespace {

/// A custom layer the way users write one: y = x * w + b per feature, w and b learned.
class Scale : public Layer {
 public:
  STRATA_LAYER(Scale)
  explicit Scale(double init = 1.0) : init_(init) {}
  Variable w, b;

 protected:
  void build(const Shape& s) override {
    w = add_weight("w", {s.back()}, initializers::constant(init_));
    b = add_weight("b", {s.back()}, "zeros", regularizers::l2(0.5));
  }
  Tensor call(const Tensor& x, bool) override { return x * w + b; }

 private:
  double init_;
};

/// A custom layer with no compute_output_shape: its shapes are found by running it.
class SumAndStack : public Layer {
 public:
  STRATA_LAYER(SumAndStack)

 protected:
  Tensor call(const Tensor& x, bool) override { return stack({sum(x, -1), max(x, -1)}, -1); }
};

}  // namespace

TEST_CASE("construction stores configuration; the first call builds the weights", "[layer]") {
  auto d = std::make_shared<Dense>(4, ActivationFn("relu"));
  CHECK_FALSE(d->built());
  CHECK(d->weights().empty());
  Tensor y = (*d)(Tensor::ones({3, 7}));
  CHECK(d->built());
  REQUIRE(d->weights().size() == 2);
  CHECK(d->kernel.shape() == Shape{7, 4});
  CHECK(d->bias.shape() == Shape{4});
  CHECK(d->kernel.name() == d->name() + "/kernel");
  CHECK(d->bias.name() == d->name() + "/bias");
  CHECK(y.shape() == Shape{3, 4});
  // the computation is relu(x W + b) with the created weights
  CHECK(allclose(y, relu(matmul(Tensor::ones({3, 7}), d->kernel.value()) + d->bias.value()), 1e-6));
  // the weights stay the same on later calls
  const auto id = d->kernel.id();
  (*d)(Tensor::ones({5, 7}));
  CHECK(d->kernel.id() == id);
}

TEST_CASE("layers get unique Keras-style names", "[layer]") {
  auto a = std::make_shared<Dense>(1);
  auto b = std::make_shared<Dense>(1);
  CHECK(a->name().rfind("dense", 0) == 0);
  CHECK(b->name().rfind("dense_", 0) == 0);
  CHECK(a->name() != b->name());
  CHECK(std::make_shared<BatchNormalization>()->name().rfind("batch_normalization", 0) == 0);
  CHECK(std::make_shared<Conv2DTranspose>(1, Size2(1))->name().rfind("conv2d_transpose", 0) == 0);
  CHECK(to_snake_case("PReLU") == "p_re_lu");
  CHECK(to_snake_case("GlobalAveragePooling2D") == "global_average_pooling2d");
  CHECK(to_snake_case("LSTM") == "lstm");
  auto c = std::make_shared<Dense>(1);
  c->set_name("head");
  CHECK(c->name() == "head");
  CHECK_THROWS_AS(c->set_name(""), ValueError);
}

TEST_CASE("trainable and non-trainable weights in creation order", "[layer]") {
  auto bn = std::make_shared<BatchNormalization>();
  (*bn)(Tensor::ones({4, 3}));
  auto w = bn->weights();
  REQUIRE(w.size() == 4);
  CHECK(w[0].name() == bn->name() + "/gamma");
  CHECK(w[1].name() == bn->name() + "/beta");
  CHECK(w[2].name() == bn->name() + "/moving_mean");
  CHECK(w[3].name() == bn->name() + "/moving_variance");
  CHECK(bn->trainable_weights().size() == 2);
  CHECK(bn->non_trainable_weights().size() == 2);
  CHECK(bn->count_params() == 12);
}

TEST_CASE("freezing a layer removes its weights from training", "[layer]") {
  auto d = std::make_shared<Dense>(2);
  Tensor x = Tensor::random_normal({4, 3});
  (*d)(x);
  d->set_trainable(false);
  CHECK(d->trainable_weights().empty());
  CHECK(d->non_trainable_weights().size() == 2);
  // A training step over trainable_weights() leaves it unchanged.
  const Tensor before = d->kernel.value().clone();
  GradientTape tape;
  Tensor loss = sum(square((*d)(x)));
  auto params = d->trainable_weights();
  auto grads = tape.gradient(loss, params);
  for (std::size_t i = 0; i < params.size(); ++i) params[i].assign_sub(grads[i]);
  CHECK(array_equal(d->kernel.value(), before));
  d->set_trainable(true);
  CHECK(d->trainable_weights().size() == 2);
}

TEST_CASE("a built layer checks its input before any kernel runs", "[layer][errors]") {
  auto d = std::make_shared<Dense>(10);
  d->set_name("d1");
  (*d)(Tensor::ones({2, 784}));
  CHECK_THROWS_WITH((*d)(Tensor::ones({32, 28, 28})),
                    Catch::Contains("Dense 'd1'") && Catch::Contains("784") && Catch::Contains("28") &&
                        Catch::Contains("[32, 28, 28]"));
  CHECK_THROWS_AS((*d)(Tensor::ones({32, 28, 28})), ShapeError);
  auto conv = std::make_shared<Conv2D>(4, Size2(3));
  (*conv)(Tensor::ones({1, 5, 5, 3}));
  CHECK_THROWS_AS((*conv)(Tensor::ones({1, 5, 5, 2})), ShapeError);
  CHECK_THROWS_AS((*conv)(Tensor::ones({5, 5, 3})), ShapeError);
  // before building, the convolutions check their input's rank and channel count, naming the
  // layer and the shape
  CHECK_THROWS_WITH((*std::make_shared<Conv2D>(4, Size2(3)))(Tensor::ones({5, 5, 3})),
                    Catch::Contains("Conv2D") && Catch::Contains("4-D") && Catch::Contains("[5, 5, 3]"));
  CHECK_THROWS_WITH((*std::make_shared<Conv1D>(4, 3))(Tensor::ones({2, 5, 5, 3})),
                    Catch::Contains("Conv1D") && Catch::Contains("3-D") && Catch::Contains("[2, 5, 5, 3]"));
  CHECK_THROWS_AS((*std::make_shared<Conv2DTranspose>(4, Size2(3)))(Tensor::ones({2, 5, 3})), ShapeError);
  CHECK_THROWS_AS((*std::make_shared<DepthwiseConv2D>(Size2(3)))(Tensor::ones({2, 5, 3})), ShapeError);
  CHECK_THROWS_WITH((*std::make_shared<Conv2D>(4, Size2(3)))(Input({5, 5, -1})),
                    Catch::Contains("channel dimension must be known"));
  CHECK_THROWS_AS(Dense(0), ValueError);
  CHECK_THROWS_AS(Dropout(1.0), ValueError);
  CHECK_THROWS_AS(Dense(3, ActivationFn("relux")), ValueError);
  CHECK_THROWS_WITH(ActivationFn("relux"), Catch::Contains("relux") && Catch::Contains("gelu"));
}

TEST_CASE("custom layers get the whole contract", "[layer][custom]") {
  auto s = std::make_shared<Scale>(2.0);
  Tensor x = f64({1, 2, 3, 4}, {2, 2});
  s->set_dtype(DType::float64);
  CHECK_TENSOR((*s)(x), {2, 2}, {2, 4, 6, 8});
  CHECK(s->trainable_weights().size() == 2);
  CHECK(s->name().rfind("scale", 0) == 0);
  // gradients flow to its weights through the tape
  GradientTape tape;
  Tensor loss = sum((*s)(x));
  auto g = tape.gradient(loss, s->trainable_weights());
  CHECK_TENSOR(g[0], {2}, {1 + 3, 2 + 4});
  CHECK_TENSOR(g[1], {2}, {2, 2});
  // the regularizer's penalty is in losses(), and differentiable
  s->b.assign(f64({1, 2}, {2}));
  auto losses = s->losses();
  REQUIRE(losses.size() == 1);
  CHECK(losses[0].item<double>() == Approx(0.5 * (1 + 4)));
  CHECK_GRADCHECK(gradcheck([&](const std::vector<Tensor>& in) { return (*s)(in[0]); }, {x}, s->trainable_weights()));
  // output shapes found by running the layer when it has no compute_output_shape
  auto sas = std::make_shared<SumAndStack>();
  KerasTensor in = Input({-1, 5});
  KerasTensor out = (*sas)(in);
  CHECK(out.shape() == Shape{-1, -1, 2});
  CHECK((*sas)(Tensor::ones({3, 4, 5})).shape() == Shape{3, 4, 2});
}

TEST_CASE("add_loss and activity regularizers", "[layer]") {
  auto d = std::make_shared<Dense>(2, ActivationFn("linear"), false);
  d->kernel_initializer = "ones";
  d->activity_regularizer = regularizers::l1(0.1);
  Tensor x = Tensor::ones({4, 3});
  Tensor y = (*d)(x);  // every output is 3
  auto losses = d->losses();
  REQUIRE(losses.size() == 1);
  CHECK(losses[0].item<double>() == Approx(0.1 * 3 * 8 / 4.0));  // averaged over the batch
}

TEST_CASE("symbolic calls need a shared or temporary layer", "[layer][errors]") {
  KerasTensor in = Input({3});
  KerasTensor a = Dense(2)(in);  // a temporary is moved into the model
  CHECK(a.shape() == Shape{-1, 2});
  Dense on_stack(2);
  CHECK_THROWS_WITH(on_stack(in), Catch::Contains("std::shared_ptr") && Catch::Contains("Dense"));
  CHECK_THROWS_AS(Dense(2)(KerasTensor()), ValueError);
}

TEST_CASE("float inputs are cast to the layer's dtype, as Keras autocasts", "[layer]") {
  auto d = std::make_shared<Dense>(2);
  Tensor y = (*d)(Tensor::ones({1, 3}, DType::float64));
  CHECK(y.dtype() == DType::float32);
  auto d64 = std::make_shared<Dense>(2);
  d64->set_dtype(DType::float64);
  CHECK((*d64)(Tensor::ones({1, 3})).dtype() == DType::float64);
  CHECK(d64->kernel.dtype() == DType::float64);
  CHECK_THROWS_AS(d64->set_dtype(DType::float32), ValueError);
}

TEST_CASE("get_weights and set_weights", "[layer]") {
  auto d = std::make_shared<Dense>(2);
  (*d)(Tensor::ones({1, 3}));
  auto w = d->get_weights();
  REQUIRE(w.size() == 2);
  d->set_weights({Tensor::ones({3, 2}), Tensor::zeros({2})});
  CHECK_TENSOR((*d)(Tensor::ones({1, 3})), {1, 2}, {3, 3});
  CHECK_THROWS_AS(d->set_weights({Tensor::ones({3, 2})}), ValueError);
  CHECK_THROWS_WITH(d->set_weights({Tensor::ones({2, 3}), Tensor::zeros({2})}),
                    Catch::Contains("kernel") && Catch::Contains("[3, 2]"));
}

TEST_CASE("Dense's config has Keras's keys", "[layer][config]") {
  auto d = std::make_shared<Dense>(64, ActivationFn("relu"));
  d->kernel_regularizer = regularizers::l2(1e-4);
  d->kernel_constraint = constraints::max_norm(3.0);
  const Config c = d->get_config();
  for (const char* k : {"name", "trainable", "dtype", "units", "activation", "use_bias", "kernel_initializer",
                        "bias_initializer", "kernel_regularizer", "bias_regularizer", "kernel_constraint",
                        "bias_constraint"})
    CHECK(c.contains(k));
  CHECK(c.at("units").as_int() == 64);
  CHECK(c.at("activation").as_string() == "relu");
  CHECK(c.at("kernel_initializer").at("class_name").as_string() == "GlorotUniform");
  CHECK(c.at("kernel_regularizer").at("class_name").as_string() == "L2");
  CHECK(c.at("kernel_regularizer").at("config").at("l2").as_double() == Approx(1e-4));
  CHECK(c.at("kernel_constraint").at("config").at("max_value").as_double() == 3.0);
  CHECK(c.at("bias_regularizer").is_null());
  auto copy = layer_from_config(serialize_layer(*d));
  CHECK(std::dynamic_pointer_cast<Dense>(copy)->kernel_regularizer.class_name() == "L2");
  CHECK_THROWS_WITH(layer_from_config(Config::parse(R"({"class_name": "Densely", "config": {}})")),
                    Catch::Contains("Densely") && Catch::Contains("register_layer"));
}

TEST_CASE("a layer called twice symbolically has two nodes and one set of weights", "[layer]") {
  auto d = std::make_shared<Dense>(3);
  KerasTensor a = Input({4}), b = Input({4});
  KerasTensor ya = (*d)(a), yb = (*d)(b);
  CHECK(d->num_nodes() == 2);
  CHECK(d->weights().size() == 2);
  CHECK(ya.node() != yb.node());
}

TEST_CASE("null layers, factories and functions are refused where the API takes them", "[layers][errors]") {
  std::shared_ptr<layers::Layer> none;
  const auto says_null = Catch::Contains("a null layer");
  CHECK_THROWS_WITH(layers::LayerRef(none), says_null);
  CHECK_THROWS_WITH(layers::Bidirectional(std::shared_ptr<layers::LSTM>()), says_null);
  CHECK_THROWS_WITH(layers::TimeDistributed(std::shared_ptr<layers::Dense>()), says_null);
  CHECK_THROWS_WITH((Sequential(std::vector<layers::LayerRef>{none})), says_null);
  CHECK_THROWS_WITH(layers::register_layer("Nothing", nullptr), Catch::Contains("register_layer('Nothing'): the factory is empty"));
  CHECK_THROWS_AS(layers::register_layer("", [](const Config&) { return std::make_shared<layers::Flatten>(); }), ValueError);
  CHECK_THROWS_WITH(gradcheck(GradcheckFn(), {Tensor::ones({2}, DType::float64)}), Catch::Contains("gradcheck: the function is empty"));
}
