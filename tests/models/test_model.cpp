// The Container: functional graphs (multi-input/output, shared layers, nesting, unknown
// dimensions), Sequential, subclassed models, summaries and graph errors.
#include "support/helpers.hpp"

using namespace strata;
using namespace strata::layers;
using namespace strata::testing;

TEST_CASE("a multi-input, multi-output model with a shared layer", "[model]") {
  KerasTensor a = Input({4}, DType::float32, "a"), b = Input({4}, DType::float32, "b");
  auto shared = std::make_shared<Dense>(3, ActivationFn("tanh"));
  KerasTensor ha = (*shared)(a), hb = (*shared)(b);
  KerasTensor merged = Concatenate()({ha, hb});
  auto head1 = std::make_shared<Dense>(2), head2 = std::make_shared<Dense>(1);
  Model m({a, b}, {(*head1)(merged), (*head2)(Add()({ha, hb}))}, "two_heads");
  CHECK(m.name() == "two_heads");
  CHECK(m.class_name() == "Functional");
  // shared weights are counted once
  CHECK(m.trainable_weights().size() == 2 + 2 + 2);
  CHECK(m.count_params() == (4 * 3 + 3) + (6 * 2 + 2) + (3 + 1));
  Tensor xa = Tensor::random_normal({5, 4}), xb = Tensor::random_normal({5, 4});
  std::vector<Tensor> out = m.apply({xa, xb});
  REQUIRE(out.size() == 2);
  // the same computation by hand, with the same layers
  Tensor ea = (*shared)(xa), eb = (*shared)(xb);
  CHECK(allclose(out[0], (*head1)(concat({ea, eb}, -1)), 1e-6));
  CHECK(allclose(out[1], (*head2)(ea + eb), 1e-6));
  // weights are shared: one update changes both branches
  shared->kernel.assign(Tensor::zeros({4, 3}));
  shared->bias.assign(Tensor::zeros({3}));
  CHECK(allclose(m.apply({xa, xb})[1], (*head2)(Tensor::zeros({5, 3})), 1e-6));
  // any batch size
  CHECK(m.apply({Tensor::ones({1, 4}), Tensor::ones({1, 4})})[0].shape() == Shape{1, 2});
  // gradients reach every weight
  GradientTape tape;
  Tensor loss = sum(m.apply({xa, xb})[0]) + sum(m.apply({xa, xb})[1]);
  auto g = tape.gradient(loss, m.trainable_weights());
  CHECK(g.size() == 6);
  CHECK(m.get_layer("a")->class_name() == "InputLayer");
  CHECK_THROWS_WITH(m.get_layer("nope"), Catch::Contains("nope") && Catch::Contains("two_heads"));
}

TEST_CASE("models nest and are called like layers", "[model]") {
  KerasTensor in = Input({3});
  Model inner(in, Dense(4, ActivationFn("relu"))(in), "inner");
  KerasTensor x = Input({3});
  auto inner_ptr = std::make_shared<Model>(std::move(inner));
  KerasTensor h = (*inner_ptr)(x);
  CHECK(h.shape() == Shape{-1, 4});
  Model outer(x, Dense(1)(h), "outer");
  CHECK(outer.trainable_weights().size() == 4);
  Tensor t = Tensor::random_normal({2, 3});
  CHECK(allclose(outer(t), (*outer.get_layer(2))((*inner_ptr)(t)), 1e-6));
  const std::string s = outer.summary();
  CHECK(s.find("inner (Functional)") != std::string::npos);
}

TEST_CASE("unknown dimensions: sequences of any length, images of any size", "[model]") {
  KerasTensor seq = Input({-1, 8});
  auto lstm = std::make_shared<LSTM>(5);
  Model rnn(seq, Dense(2)((*lstm)(seq)));
  CHECK(rnn.outputs()[0].shape() == Shape{-1, 2});
  CHECK(rnn(Tensor::ones({2, 3, 8})).shape() == Shape{2, 2});
  CHECK(rnn(Tensor::ones({1, 7, 8})).shape() == Shape{1, 2});
  KerasTensor img = Input({-1, -1, 3});
  KerasTensor f = Conv2D(4, Size2(3), 1, "same", ActivationFn("relu"))(img);
  CHECK(f.shape() == Shape{-1, -1, -1, 4});
  Model cnn(img, Dense(2)(GlobalAveragePooling2D()(f)));
  CHECK(cnn(Tensor::ones({1, 5, 6, 3})).shape() == Shape{1, 2});
  CHECK(cnn(Tensor::ones({2, 9, 4, 3})).shape() == Shape{2, 2});
  CHECK_THROWS_WITH(cnn(Tensor::ones({1, 5, 6, 2})), Catch::Contains("[None, None, None, 3]"));
}

TEST_CASE("graph errors are ValueErrors naming the layer", "[model][errors]") {
  KerasTensor a = Input({3}, DType::float32, "in_a"), b = Input({3}, DType::float32, "in_b");
  auto d = std::make_shared<Dense>(2);
  d->set_name("needs_b");
  KerasTensor yb = (*d)(b);
  CHECK_THROWS_WITH(Model(a, yb), Catch::Contains("disconnected") && Catch::Contains("in_b") &&
                                      Catch::Contains("needs_b"));
  KerasTensor mid = Dense(2)(a);
  CHECK_THROWS_WITH(Model(mid, Dense(1)(mid)), Catch::Contains("Input()"));
  CHECK_THROWS_AS(Model({a, a}, {mid}), ValueError);
  auto x1 = std::make_shared<Dense>(1), x2 = std::make_shared<Dense>(1);
  x1->set_name("same");
  x2->set_name("same");
  CHECK_THROWS_WITH(Model(a, (*x2)((*x1)(a))), Catch::Contains("'same'"));
}

TEST_CASE("summary prints Keras's table", "[model][summary]") {
  KerasTensor in = Input({784}, DType::float32, "pixels");
  auto h = std::make_shared<Dense>(512, ActivationFn("relu"));
  h->set_name("hidden");
  auto o = std::make_shared<Dense>(10);
  o->set_name("logits");
  Model m(in, (*o)((*h)(in)), "mlp");
  const std::string expected =
      "Model: \"mlp\"\n"
      "__________________________________________________________________________________________________\n"
      " Layer (type)                   Output Shape         Param #     Connected to\n"
      "==================================================================================================\n"
      " pixels (InputLayer)            [(None, 784)]        0           []\n"
      "\n"
      " hidden (Dense)                 (None, 512)          401920      ['pixels[0][0]']\n"
      "\n"
      " logits (Dense)                 (None, 10)           5130        ['hidden[0][0]']\n"
      "\n"
      "==================================================================================================\n"
      "Total params: 407,050\n"
      "Trainable params: 407,050\n"
      "Non-trainable params: 0\n"
      "__________________________________________________________________________________________________\n";
  CHECK(m.summary() == expected);
  // non-trainable parameters are counted apart
  Sequential s({Dense(8), BatchNormalization()}, "seq");
  s.build({-1, 4});
  const std::string t = s.summary();
  CHECK(t.find("Model: \"seq\"") == 0);
  CHECK(t.find("Total params: 72") != std::string::npos);
  CHECK(t.find("Trainable params: 56") != std::string::npos);
  CHECK(t.find("Non-trainable params: 16") != std::string::npos);
  CHECK(t.find("Connected to") == std::string::npos);
}

TEST_CASE("Sequential builds from the first input and grows with add", "[model][sequential]") {
  Sequential m({Dense(16, ActivationFn("relu")), Dropout(0.5), Dense(3)});
  CHECK_FALSE(m.built());
  CHECK(m.layers().size() == 3);
  Tensor y = m(Tensor::ones({2, 5}));
  CHECK(m.built());
  CHECK(y.shape() == Shape{2, 3});
  CHECK(m.count_params() == 5 * 16 + 16 + 16 * 3 + 3);
  m.add(Softmax());
  CHECK(m.layers().size() == 4);
  auto p = m(Tensor::ones({4, 5})).to_vector<double>();
  CHECK(p[0] + p[1] + p[2] == Approx(1.0));
  m.pop();
  CHECK(m(Tensor::ones({1, 5})).shape() == Shape{1, 3});
  // in training mode dropout changes the output; in inference it does not
  Tensor x = Tensor::random_normal({4, 5});
  CHECK(array_equal(m(x), m(x)));
  CHECK_FALSE(array_equal(m(x, true), m(x, true)));
  // int64 ids into an Embedding
  Sequential text({Embedding(20, 4), GlobalAveragePooling1D(), Dense(2)});
  CHECK(text(Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3}, DType::int64)).shape() == Shape{2, 2});
  Sequential built({Dense(2)});
  built.build({-1, 3});
  CHECK(built.outputs()[0].shape() == Shape{-1, 2});
  CHECK_THROWS_AS(Sequential().build({-1, 3}), ValueError);
}

namespace {
/// A subclassed model: layers made in the constructor and tracked, call() written by hand.
class TwoLayer : public Model {
 public:
  TwoLayer() : Model("two_layer") {
    hidden = track(std::make_shared<Dense>(8, ActivationFn("relu")));
    out = track(std::make_shared<Dense>(1));
  }
  std::string class_name() const override { return "TwoLayer"; }
  std::shared_ptr<Dense> hidden, out;

 protected:
  Tensor call(const Tensor& x, bool training) override { return (*out)((*hidden)(x, training), training); }
};
}  // namespace

TEST_CASE("subclassed models track their layers", "[model][subclass]") {
  TwoLayer m;
  Tensor x = Tensor::random_normal({3, 4});
  Tensor y = m(x);
  CHECK(y.shape() == Shape{3, 1});
  CHECK(m.trainable_weights().size() == 4);
  CHECK(m.count_params() == 4 * 8 + 8 + 8 + 1);
  GradientTape tape;
  auto g = tape.gradient(sum(m(x)), m.trainable_weights());
  CHECK(g.size() == 4);
  CHECK(g[0].shape() == Shape{4, 8});
  // a subclassed model is a layer too
  KerasTensor in = Input({4});
  auto mp = std::make_shared<TwoLayer>();
  CHECK((*mp)(in).shape() == Shape{-1, 1});
}
