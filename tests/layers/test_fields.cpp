// A layer's config fields (strata/layers/fields.hpp): absent keys keep the header's defaults,
// required keys, Keras 2 and 3 names, refused options, validation of what was read, null values,
// and a user's layer declaring its own fields.
#include "strata/layers/fields.hpp"

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::layers;
using Catch::Contains;

namespace {
std::shared_ptr<Layer> load(const std::string& cls, const std::string& config_json) {
  return layer_from_config(Config::object({{"class_name", cls}, {"config", Config::parse(config_json)}}));
}
}  // namespace

TEST_CASE("a config without optional keys gets the defaults the header declares", "[layers][fields]") {
  auto d = std::dynamic_pointer_cast<Dense>(load("Dense", R"({"units": 3})"));
  REQUIRE(d);
  CHECK(d->units == 3);
  CHECK(d->use_bias);
  CHECK(d->activation.name() == "linear");
  CHECK(d->kernel_initializer.to_config().at("class_name").as_string() == "GlorotUniform");
  CHECK(!d->kernel_regularizer);
  auto bn = std::dynamic_pointer_cast<BatchNormalization>(load("BatchNormalization", "{}"));
  REQUIRE(bn);
  CHECK(bn->epsilon == 1e-3);
  CHECK(bn->momentum == 0.99);
  CHECK(bn->axis == -1);
  auto lstm = std::dynamic_pointer_cast<LSTM>(load("LSTM", R"({"units": 4})"));
  REQUIRE(lstm);
  CHECK(lstm->recurrent_activation.name() == "sigmoid");
  CHECK(lstm->unit_forget_bias);
  CHECK(lstm->recurrent_initializer.to_config().at("class_name").as_string() == "Orthogonal");
}

TEST_CASE("every key present in a config is read, and get_config writes it back", "[layers][fields]") {
  auto c = std::dynamic_pointer_cast<Conv2D>(load(
      "Conv2D", R"({"filters": 5, "kernel_size": 3, "strides": [2, 1], "padding": "same", "dilation_rate": [1, 1],
                   "activation": "relu", "use_bias": false, "kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.5}}})"));
  REQUIRE(c);
  CHECK(c->filters == 5);
  CHECK(c->kernel_size.h == 3);
  CHECK(c->kernel_size.w == 3);  // a number is both sizes
  CHECK(c->strides.h == 2);
  CHECK(c->strides.w == 1);
  CHECK(c->padding == "same");
  CHECK(c->activation.name() == "relu");
  CHECK_FALSE(c->use_bias);
  REQUIRE(c->kernel_regularizer);
  const Config out = c->get_config();
  CHECK(out.at("kernel_size") == Config::list({3, 3}));
  CHECK(out.at("strides") == Config::list({2, 1}));
  CHECK(out.at("use_bias").as_bool() == false);
  CHECK(out.at("kernel_regularizer").at("config").at("l2").as_double() == 0.5);
  CHECK(out.at("data_format").as_string() == "channels_last");
  // 1-D sizes are written as Keras writes them, [w]
  auto c1 = load("Conv1D", R"({"filters": 2, "kernel_size": [5], "padding": "causal"})");
  CHECK(c1->get_config().at("kernel_size") == Config::list({5}));
  CHECK(c1->get_config().at("padding").as_string() == "causal");
}

TEST_CASE("a config without a required key names the class and the key", "[layers][fields]") {
  CHECK_THROWS_WITH(load("Dense", "{}"), Contains("Dense: the config has no 'units'"));
  CHECK_THROWS_WITH(load("Conv1D", R"({"kernel_size": 3})"), Contains("Conv1D: the config has no 'filters'"));
  CHECK_THROWS_WITH(load("LSTM", R"({"units": null})"), Contains("LSTM: the config has no 'units'"));
  CHECK_THROWS_WITH(load("Dot", "{}"), Contains("Dot: the config has no 'axes'"));
  CHECK_THROWS_AS(load("MultiHeadAttention", R"({"num_heads": 2})"), ValueError);
}

TEST_CASE("options strata does not implement are refused unless they have Keras's default", "[layers][fields]") {
  CHECK_THROWS_WITH(load("Embedding", R"({"input_dim": 5, "output_dim": 2, "mask_zero": true})"),
                    Contains("Embedding: mask_zero=true is not supported"));
  CHECK_NOTHROW(load("Embedding", R"({"input_dim": 5, "output_dim": 2, "mask_zero": false})"));
  CHECK_NOTHROW(load("Embedding", R"({"input_dim": 5, "output_dim": 2, "mask_zero": null})"));
  CHECK_THROWS_WITH(load("Conv2D", R"({"filters": 2, "kernel_size": 3, "groups": 2})"),
                    Contains("Conv2D: groups=2 is not supported"));
  CHECK_THROWS_WITH(load("LSTM", R"({"units": 2, "stateful": true})"), Contains("LSTM: stateful=true is not supported"));
  CHECK_THROWS_WITH(load("BatchNormalization", R"({"renorm": true})"), Contains("renorm=true is not supported"));
  CHECK_THROWS_WITH(load("MultiHeadAttention", R"({"num_heads": 2, "key_dim": 3, "attention_axes": [1]})"),
                    Contains("attention_axes=[1] is not supported"));
  CHECK_THROWS_WITH(load("Conv2D", R"({"filters": 2, "kernel_size": 3, "data_format": "channels_first"})"),
                    Contains("channels_first"));
}

TEST_CASE("what a config sets is validated as the constructor validates it", "[layers][fields]") {
  CHECK_THROWS_WITH(load("ReLU", R"({"negative_slope": -1})"), Contains("ReLU: negative_slope must be >= 0"));
  CHECK_THROWS_WITH(load("LeakyReLU", R"({"alpha": -0.5})"), Contains("LeakyReLU: alpha must be >= 0"));
  CHECK_THROWS_WITH(load("LSTM", R"({"units": 2, "dropout": 1.5})"),
                    Contains("LSTM: dropout (1.5) and recurrent_dropout (0) must be in [0, 1)"));
  auto set_later = std::make_shared<LSTM>(2);
  set_later->dropout = 1.5;  // a public field set after construction: refused when the layer builds
  CHECK_THROWS_AS((*set_later)(Tensor::zeros({1, 2, 3})), ValueError);
  CHECK_THROWS_WITH(load("Conv2D", R"({"filters": 2, "kernel_size": 3, "strides": 0})"),
                    Contains("Conv2D: kernel_size (3, 3), strides (0, 0)"));
  CHECK_THROWS_WITH(load("Conv2D", R"({"filters": 2, "kernel_size": 3, "padding": "full"})"),
                    Contains("Conv2D: padding must be 'valid', 'same', got 'full'"));
  CHECK_THROWS_WITH(load("Conv1D", R"({"filters": 0, "kernel_size": 3})"), Contains("Conv1D: filters must be positive"));
  CHECK_THROWS_WITH(load("MaxPooling2D", R"({"pool_size": [2, 0]})"), Contains("pool_size (2, 0)"));
  CHECK_THROWS_WITH(load("Conv2DTranspose", R"({"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 2})"),
                    Contains("output_padding (2, 2) must be non-negative and less than the strides (2, 2)"));
  CHECK_THROWS_WITH(load("LayerNormalization", R"({"axis": [], "epsilon": 0.1})"), Contains("axes cannot be empty"));
  CHECK_THROWS_WITH(load("BatchNormalization", R"({"axis": [1, 2]})"),
                    Contains("only one normalized axis is supported"));
  CHECK_THROWS_WITH(load("MultiHeadAttention", R"({"num_heads": 2, "key_dim": 3, "output_shape": [4, 5]})"),
                    Contains("output_shape=[4, 5] is not supported"));
}

TEST_CASE("Keras 2 and Keras 3 names and layouts of the same option", "[layers][fields]") {
  // LeakyReLU: alpha (Keras 2, TF.js) or negative_slope (Keras 3)
  auto a = std::dynamic_pointer_cast<LeakyReLU>(load("LeakyReLU", R"({"negative_slope": 0.125})"));
  REQUIRE(a);
  CHECK(a->alpha == 0.125);
  auto b = std::dynamic_pointer_cast<LeakyReLU>(load("LeakyReLU", R"({"alpha": 0.25, "negative_slope": 0.5})"));
  CHECK(b->alpha == 0.25);  // its own key first
  // BatchNormalization's axis: a number (Keras 3) or a list of one (Keras 2)
  auto bn = std::dynamic_pointer_cast<BatchNormalization>(load("BatchNormalization", R"({"axis": [1]})"));
  CHECK(bn->axis == 1);
  CHECK(bn->get_config().at("axis").as_int() == 1);
  // LayerNormalization's axis: a number when there is one, else a list
  auto ln = std::dynamic_pointer_cast<LayerNormalization>(load("LayerNormalization", R"({"axis": [-2, -1]})"));
  CHECK(ln->axes == std::vector<std::int64_t>{-2, -1});
  CHECK(ln->get_config().at("axis") == Config::list({-2, -1}));
  // Dropout's noise_shape: null entries are "as the input"
  auto d = std::dynamic_pointer_cast<Dropout>(load("Dropout", R"({"rate": 0.5, "noise_shape": [null, 1, null]})"));
  CHECK(d->noise_shape == std::vector<std::int64_t>{-1, 1, -1});
  CHECK(d->get_config().at("noise_shape") == Config::list({Config(), 1, Config()}));
  // ZeroPadding2D: n, (h, w) or ((top, bottom), (left, right))
  auto z = std::dynamic_pointer_cast<ZeroPadding2D>(load("ZeroPadding2D", R"({"padding": [1, 2]})"));
  CHECK(z->padding == SpatialPairs{{1, 1}, {2, 2}});
  // pooling strides: null means the pool size, and Keras writes them out
  auto p = load("MaxPooling2D", R"({"pool_size": 3, "strides": null})");
  CHECK(p->get_config().at("strides") == Config::list({3, 3}));
}

TEST_CASE("a null value means Keras's None", "[layers][fields]") {
  auto d = std::dynamic_pointer_cast<Dense>(
      load("Dense", R"({"units": 2, "activation": null, "kernel_regularizer": null, "bias_constraint": null})"));
  CHECK(d->activation.name() == "linear");
  CHECK(!d->kernel_regularizer);
  auto r = std::dynamic_pointer_cast<ReLU>(load("ReLU", R"({"max_value": null})"));
  CHECK(!r->max_value);
  auto r6 = std::dynamic_pointer_cast<ReLU>(load("ReLU", R"({"max_value": 6})"));
  REQUIRE(r6->max_value);
  CHECK(*r6->max_value == 6.0);
  auto m = std::dynamic_pointer_cast<MultiHeadAttention>(
      load("MultiHeadAttention", R"({"num_heads": 2, "key_dim": 3, "value_dim": null, "output_shape": [7]})"));
  CHECK(m->value_dim == 3);  // None: key_dim
  REQUIRE(m->output_shape);
  CHECK(*m->output_shape == 7);
}

namespace {
/// A user's layer: y = x * scale + offset, declaring its config the way the built-in layers do.
class ScaleShift : public Layer {
 public:
  STRATA_LAYER(ScaleShift)
  STRATA_LAYER_CONFIG(ScaleShift)
  explicit ScaleShift(double scale_ = 1.0) : scale(scale_) { validate(); }
  double scale;
  double offset = 0.0;  // Keras-style: a less common option is a public field with its default
  Shape compute_output_shape(const Shape& s) override { return s; }

 protected:
  Tensor call(const Tensor& x, bool) override { return add(mul(x, scale), offset); }

 private:
  void validate() const {
    if (scale == 0) throw ValueError("ScaleShift: scale must not be 0");
  }
};

const Fields<ScaleShift>& ScaleShift::config_fields() {
  static const auto f = Fields<ScaleShift>("ScaleShift")
                            .field("scale", &ScaleShift::scale)
                            .field("offset", &ScaleShift::offset)
                            .validate(&ScaleShift::validate);
  return f;
}
Config ScaleShift::get_config() const { return config_fields().write(*this, base_config()); }
}  // namespace

TEST_CASE("a user's layer declares its fields once and round-trips through a config", "[layers][fields]") {
  register_layer("ScaleShift", ScaleShift::config_fields().factory());
  ScaleShift s(2.0);
  s.offset = 0.5;
  const Config c = serialize_layer(s);
  CHECK(c.at("config").at("scale").as_double() == 2.0);
  CHECK(c.at("config").at("offset").as_double() == 0.5);
  std::shared_ptr<Layer> copy = layer_from_config(c);
  CHECK(serialize_layer(*copy) == c);
  const Tensor x = Tensor::from_vector(std::vector<double>{1, -2, 3}, {1, 3});
  CHECK(allclose((*copy)(x), Tensor::from_vector(std::vector<double>{2.5, -3.5, 6.5}, {1, 3}), 0, 0));
  CHECK_THROWS_WITH(load("ScaleShift", R"({"scale": 0})"), Contains("ScaleShift: scale must not be 0"));
  // absent keys keep the defaults of the header
  auto d = std::dynamic_pointer_cast<ScaleShift>(load("ScaleShift", "{}"));
  REQUIRE(d);
  CHECK(d->scale == 1.0);
  CHECK(d->offset == 0.0);
}

TEST_CASE("a factory keeps its own copy of the Fields list it was made from", "[layers][fields]") {
  LayerFactory make;
  {
    const auto local = Fields<ScaleShift>("ScaleShift").field("scale", &ScaleShift::scale);
    make = local.factory();
  }  // the list is gone; the factory still reads configs
  auto l = std::dynamic_pointer_cast<ScaleShift>(make(Config::parse(R"({"scale": 3})")));
  REQUIRE(l);
  CHECK(l->scale == 3.0);
  CHECK(l->offset == 0.0);
}
