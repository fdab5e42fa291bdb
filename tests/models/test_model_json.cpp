// Keras's architecture JSON: to_json / model_from_json round trips (functional, multi-IO with
// shared layers, Sequential, nested, every layer family), Keras 2 and Keras 3 texts written the
// way Keras writes them, and errors naming what is wrong.
#include <tuple>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::layers;
using namespace strata::testing;

namespace {

/// Reloads `m` from its JSON, copies the weights, and checks both give the same outputs.
std::shared_ptr<Model> roundtrip(Model& m, const std::vector<Tensor>& xs) {
  const std::string json = m.to_json();
  std::shared_ptr<Model> back = models::model_from_json(json);
  CHECK(back->to_json() == json);  // the config survives unchanged
  CHECK(back->summary() == m.summary());
  back->set_weights(m.get_weights());
  const std::vector<Tensor> a = m.apply(xs), b = back->apply(xs);
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(allclose(a[i], b[i], 1e-6, 1e-6));
  return back;
}

}  // namespace

TEST_CASE("to_json writes Keras's model config", "[model][json]") {
  KerasTensor in = Input({4}, DType::float32, "x");
  auto hidden = std::make_shared<Dense>(3, "relu");
  hidden->set_name("hidden");
  auto out = std::make_shared<Dense>(2);
  out->set_name("out");
  Model m(in, (*out)((*hidden)(in)), "tiny");
  const Config c = Config::parse(m.to_json());
  CHECK(c.at("class_name").as_string() == "Functional");
  const Config& cfg = c.at("config");
  CHECK(cfg.at("name").as_string() == "tiny");
  REQUIRE(cfg.at("layers").size() == 3);
  const Config& input = cfg.at("layers")[0];
  CHECK(input.at("class_name").as_string() == "InputLayer");
  CHECK(input.at("config").at("batch_input_shape").dump() == "[null, 4]");
  CHECK(input.at("inbound_nodes").size() == 0);
  const Config& dense = cfg.at("layers")[1];
  CHECK(dense.at("name").as_string() == "hidden");
  CHECK(dense.at("config").at("units").as_int() == 3);
  CHECK(dense.at("config").at("activation").as_string() == "relu");
  CHECK(dense.at("inbound_nodes").dump() == "[[[\"x\", 0, 0, {}]]]");
  CHECK(cfg.at("input_layers").dump() == "[[\"x\", 0, 0]]");
  CHECK(cfg.at("output_layers").dump() == "[[\"out\", 0, 0]]");
}

TEST_CASE("model_from_json rebuilds functional, Sequential and nested models", "[model][json]") {
  SECTION("multi-input, multi-output, a shared layer called twice") {
    KerasTensor a = Input({4}, DType::float32, "a"), b = Input({4}, DType::float32, "b");
    auto shared = std::make_shared<Dense>(3, ActivationFn("tanh"));
    KerasTensor ha = (*shared)(a), hb = (*shared)(b);
    Model m({a, b}, {Dense(2)(Concatenate()({ha, hb})), Dense(1)(Add()({ha, hb}))}, "two_heads");
    auto back = roundtrip(m, {Tensor::random_normal({5, 4}), Tensor::random_normal({5, 4})});
    CHECK(back->trainable_weights().size() == m.trainable_weights().size());
    const Config cfg = Config::parse(m.to_json()).at("config");
    // the shared layer has two inbound nodes; Add reads node 0 and node 1 of it
    for (const Config& l : cfg.at("layers").items())
      if (l.at("name").as_string() == shared->name()) CHECK(l.at("inbound_nodes").size() == 2);
  }
  SECTION("Sequential, built and not built") {
    Sequential s({Dense(8, "relu"), Dropout(0.5), Dense(3, "softmax")}, "seq");
    s.build({-1, 5});
    auto back = roundtrip(s, {Tensor::random_normal({2, 5})});
    CHECK(back->class_name() == "Sequential");
    Sequential unbuilt({Dense(4)}, "lazy");
    auto lazy = models::model_from_json(unbuilt.to_json());
    CHECK(lazy->layers().size() == 1);
    CHECK(lazy->trainable_weights().empty());  // built on its first call, as the original
  }
  SECTION("nested models") {
    KerasTensor i1 = Input({3});
    auto inner = std::make_shared<Model>(i1, Dense(4, "relu")(i1), "inner");
    auto seq = std::make_shared<Sequential>(std::vector<LayerRef>{Dense(2)}, "head");
    seq->build({-1, 4});
    KerasTensor x = Input({3});
    Model outer(x, (*seq)((*inner)(x)), "outer");
    auto back = roundtrip(outer, {Tensor::random_normal({2, 3})});
    CHECK(back->get_layer("inner")->class_name() == "Functional");
    CHECK(back->get_layer("head")->class_name() == "Sequential");
  }
  SECTION("every layer family") {
    KerasTensor img = Input({8, 8, 3}, DType::float32, "img");
    KerasTensor c = Conv2D(4, 3, 1, "same", "relu")(img);
    c = BatchNormalization()(c);
    c = MaxPooling2D(2)(c);
    c = DepthwiseConv2D(3, 1, "same")(c);
    c = GlobalAveragePooling2D()(c);
    KerasTensor ids = Input({5}, DType::int64, "ids");
    KerasTensor e = Embedding(20, 6)(ids);
    auto lstm_layer = std::make_shared<LSTM>(7);
    lstm_layer->return_sequences = true;
    lstm_layer->return_state = true;
    std::vector<KerasTensor> lstm = lstm_layer->apply({e});  // sequence, h, c
    KerasTensor g = GRU(4)(lstm[0]);
    KerasTensor att = MultiHeadAttention(2, 3).apply({lstm[0], lstm[0]})[0];
    KerasTensor pooled = GlobalMaxPooling1D()(att);
    KerasTensor bi = Bidirectional(std::make_shared<SimpleRNN>(3))(e);
    KerasTensor merged = Concatenate()({c, g, pooled, bi, lstm[1]});
    KerasTensor out = Dense(2)(LayerNormalization()(merged));
    Model m({img, ids}, {out}, "zoo");
    Tensor x_img = Tensor::random_normal({2, 8, 8, 3});
    Tensor x_ids = cast(Tensor::random_uniform({2, 5}, 0, 20), DType::int64);
    roundtrip(m, {x_img, x_ids});
  }
}

TEST_CASE("Keras 2 and Keras 3 JSON texts load", "[model][json]") {
  // as tf.keras 2.13 writes model.to_json() (abridged to the keys Keras reads)
  const std::string keras2 = R"({"class_name": "Functional", "config": {"name": "model", "trainable": true,
    "layers": [
      {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 3], "dtype": "float32", "sparse": false,
       "ragged": false, "name": "input_1"}, "name": "input_1", "inbound_nodes": []},
      {"class_name": "Dense", "config": {"name": "dense", "trainable": true, "dtype": "float32", "units": 2,
       "activation": "relu", "use_bias": true,
       "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
       "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null,
       "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null},
       "name": "dense", "inbound_nodes": [[["input_1", 0, 0, {}]]]},
      {"class_name": "Dense", "config": {"name": "dense_1", "trainable": true, "dtype": "float32", "units": 1,
       "activation": "linear", "use_bias": true}, "name": "dense_1", "inbound_nodes": [[["dense", 0, 0, {}]]]}],
    "input_layers": [["input_1", 0, 0]], "output_layers": [["dense_1", 0, 0]]},
    "keras_version": "2.13.1", "backend": "tensorflow"})";
  auto m2 = models::model_from_json(keras2);
  CHECK(m2->layers().size() == 3);
  CHECK(m2->get_layer("dense")->count_params() == 8);
  CHECK((*m2)(Tensor::ones({4, 3})).shape() == Shape{4, 1});

  // as Keras 3 writes config.json inside a .keras file
  const std::string keras3 = R"({"module": "keras", "class_name": "Functional", "config": {"name": "functional",
    "trainable": true, "layers": [
      {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 3],
       "dtype": "float32", "sparse": false, "name": "input_layer"}, "registered_name": null,
       "name": "input_layer", "inbound_nodes": []},
      {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "trainable": true,
       "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
       "units": 2, "activation": "relu", "use_bias": true,
       "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null},
        "registered_name": null},
       "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
       "kernel_regularizer": null, "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null},
       "registered_name": null, "build_config": {"input_shape": [null, 3]}, "name": "dense",
       "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 3],
        "dtype": "float32", "keras_history": ["input_layer", 0, 0]}}], "kwargs": {}}]},
      {"module": "keras.layers", "class_name": "Add", "config": {"name": "add", "trainable": true,
       "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}},
       "registered_name": null, "name": "add", "inbound_nodes": [{"args": [[
        {"class_name": "__keras_tensor__", "config": {"shape": [null, 2], "dtype": "float32", "keras_history": ["dense", 0, 0]}},
        {"class_name": "__keras_tensor__", "config": {"shape": [null, 2], "dtype": "float32", "keras_history": ["dense", 0, 0]}}
       ]], "kwargs": {}}]}],
    "input_layers": [["input_layer", 0, 0]], "output_layers": [["add", 0, 0]]},
    "registered_name": "Functional", "build_config": {"input_shape": null}})";
  auto m3 = models::model_from_json(keras3);
  CHECK(m3->layers().size() == 3);
  const Tensor y = (*m3)(Tensor::ones({2, 3}));
  CHECK(y.shape() == Shape{2, 2});
  const Tensor d = (*m3->get_layer("dense"))(Tensor::ones({2, 3}));
  CHECK(allclose(y, d * 2.0, 1e-6));
}

TEST_CASE("model_from_json errors say what is wrong", "[model][json][errors]") {
  CHECK_THROWS_AS(models::model_from_json("{not json"), ValueError);
  CHECK_THROWS_WITH(models::model_from_json(R"({"class_name": "Functional", "config": {"name": "m", "layers": [
      {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 2]}, "name": "in", "inbound_nodes": []},
      {"class_name": "FancyLayer", "config": {"name": "f"}, "name": "f", "inbound_nodes": [[["in", 0, 0, {}]]]}],
      "input_layers": [["in", 0, 0]], "output_layers": [["f", 0, 0]]}})"),
                    Catch::Contains("FancyLayer") && Catch::Contains("register_layer"));
  CHECK_THROWS_WITH(models::model_from_json(R"({"class_name": "Functional", "config": {"name": "m", "layers": [
      {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 2]}, "name": "in", "inbound_nodes": []},
      {"class_name": "Dense", "config": {"name": "d", "units": 1}, "name": "d", "inbound_nodes": [[["ghost", 0, 0, {}]]]}],
      "input_layers": [["in", 0, 0]], "output_layers": [["d", 0, 0]]}})"),
                    Catch::Contains("'d'") && Catch::Contains("ghost"));
  // a cycle: a reads b, b reads a
  CHECK_THROWS_WITH(models::model_from_json(R"({"class_name": "Functional", "config": {"name": "m", "layers": [
      {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 2]}, "name": "in", "inbound_nodes": []},
      {"class_name": "Dense", "config": {"name": "a", "units": 2}, "name": "a", "inbound_nodes": [[["b", 0, 0, {}]]]},
      {"class_name": "Dense", "config": {"name": "b", "units": 2}, "name": "b", "inbound_nodes": [[["a", 0, 0, {}]]]}],
      "input_layers": [["in", 0, 0]], "output_layers": [["b", 0, 0]]}})"),
                    Catch::Contains("never created"));
  CHECK_THROWS_WITH(models::model_from_json(R"({"class_name": "Dense", "config": {}})"),
                    Catch::Contains("not a model class"));
  CHECK_THROWS_WITH(models::model_from_json(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
      {"class_name": "Dense", "config": {"name": "d", "units": 2, "dtype": "float16"}}]}})"),
                    Catch::Contains("float16") && Catch::Contains("not supported"));
}

TEST_CASE("layers configured channels_first are refused rather than run as channels_last", "[model][json][errors]") {
  // every registered class that Keras gives a data_format
  for (const char* cls : {"Conv2D", "Conv1D", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose", "MaxPooling2D",
                          "AveragePooling2D", "MaxPooling1D", "AveragePooling1D", "GlobalAveragePooling2D",
                          "GlobalMaxPooling2D", "GlobalAveragePooling1D", "GlobalMaxPooling1D", "Flatten"}) {
    INFO(cls);
    Config cfg = Config::object({{"name", "lay"}, {"filters", 2}, {"kernel_size", 3}, {"data_format", "channels_first"}});
    const Config c = Config::object({{"class_name", cls}, {"config", cfg}});
    CHECK_THROWS_AS(layers::layer_from_config(c), ValueError);
    CHECK_THROWS_WITH(layers::layer_from_config(c), Catch::Contains(cls) && Catch::Contains("'lay'") &&
                                                         Catch::Contains("channels_first"));
    cfg["data_format"] = "channels_last";  // the same config otherwise loads
    CHECK(layers::layer_from_config(Config::object({{"class_name", cls}, {"config", cfg}}))->name() == "lay");
    cfg["data_format"] = Config();  // null: Keras's default, channels_last
    CHECK_NOTHROW(layers::layer_from_config(Config::object({{"class_name", cls}, {"config", cfg}})));
  }
  // a user's registered layer reads data_format itself
  layers::register_layer("JsonTestChannelsFirst", [](const Config& c) {
    CHECK(c.get_string("data_format", "") == "channels_first");
    return std::make_shared<layers::Flatten>();
  });
  CHECK_NOTHROW(layers::layer_from_config(
      Config::parse(R"({"class_name": "JsonTestChannelsFirst", "config": {"data_format": "channels_first"}})")));
  // inside a model text
  CHECK_THROWS_WITH(models::model_from_json(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
      {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4, 4, 3]}},
      {"class_name": "MaxPooling2D", "config": {"name": "p", "data_format": "channels_first"}}]}})"),
                    Catch::Contains("MaxPooling2D 'p'") && Catch::Contains("channels_first"));
}

TEST_CASE("Keras options strata does not implement are refused rather than ignored", "[model][json][errors]") {
  layers::register_function("json_test_identity", [](const Tensor& x) { return x; });
  auto load = [](const std::string& cls, const std::string& config) {
    return layers::layer_from_config(Config::parse(R"({"class_name": ")" + cls + R"(", "config": )" + config + "}"));
  };
  const std::vector<std::tuple<std::string, std::string, std::string, std::string>> cases = {
      // class, option set to a value strata does not implement, the same option at its default, the option's name
      {"Conv2D", R"({"filters": 4, "kernel_size": 3, "groups": 2})", R"({"filters": 4, "kernel_size": 3, "groups": 1})",
       "groups"},
      {"Conv2D", R"({"filters": 4, "kernel_size": 3, "groups": 2.0})", R"({"filters": 4, "kernel_size": 3, "groups": 1.0})",
       "groups"},
      {"Conv1D", R"({"filters": 4, "kernel_size": 3, "groups": 4})", R"({"filters": 4, "kernel_size": 3, "groups": 1})",
       "groups"},
      {"SeparableConv2D",
       R"({"filters": 4, "kernel_size": 3, "pointwise_regularizer": {"class_name": "L2", "config": {"l2": 0.01}}})",
       R"({"filters": 4, "kernel_size": 3, "pointwise_regularizer": null})", "pointwise_regularizer"},
      {"SeparableConv2D", R"({"filters": 4, "kernel_size": 3, "pointwise_constraint": {"class_name": "NonNeg", "config": {}}})",
       R"({"filters": 4, "kernel_size": 3})", "pointwise_constraint"},
      {"BatchNormalization", R"({"renorm": true})", R"({"renorm": false})", "renorm"},
      {"BatchNormalization", R"({"virtual_batch_size": 8})", R"({"virtual_batch_size": null})", "virtual_batch_size"},
      {"SimpleRNN", R"({"units": 3, "time_major": true})", R"({"units": 3, "time_major": false})", "time_major"},
      {"LSTM", R"({"units": 3, "time_major": true})", R"({"units": 3})", "time_major"},
      {"GRU", R"({"units": 3, "time_major": true})", R"({"units": 3, "time_major": false})", "time_major"},
      {"LSTM", R"({"units": 3, "stateful": true})", R"({"units": 3, "stateful": false})", "stateful"},
      {"Embedding", R"({"input_dim": 5, "output_dim": 2, "mask_zero": true})",
       R"({"input_dim": 5, "output_dim": 2, "mask_zero": false})", "mask_zero"},
      {"MultiHeadAttention", R"({"num_heads": 2, "key_dim": 4, "attention_axes": [1, 2]})",
       R"({"num_heads": 2, "key_dim": 4, "attention_axes": null})", "attention_axes"},
      {"UpSampling2D", R"({"interpolation": "bicubic"})", R"({"interpolation": "bilinear"})", "interpolation"},
      {"Lambda", R"({"function": "json_test_identity", "arguments": {"scale": 2}})",
       R"({"function": "json_test_identity", "arguments": {}})", "arguments"},
      {"MultiHeadAttention", R"({"num_heads": 2, "key_dim": 4, "output_shape": [3, 5]})",
       R"({"num_heads": 2, "key_dim": 4, "output_shape": [5]})", "output_shape"},
  };
  for (const auto& [cls, bad, good, key] : cases) {
    INFO(cls << " " << bad);
    CHECK_THROWS_AS(load(cls, bad), ValueError);
    CHECK_THROWS_WITH(load(cls, bad), Catch::Contains(cls) && Catch::Contains(key));
    CHECK_NOTHROW(load(cls, good));
  }
  // MHA's output_shape as a one-element list is its last dimension
  auto mha = std::dynamic_pointer_cast<MultiHeadAttention>(load("MultiHeadAttention", std::get<2>(cases.back())));
  REQUIRE(mha);
  CHECK(mha->output_shape == std::optional<std::int64_t>(5));

  // Keras 3 writes Bidirectional's backward_layer: the forward layer's config run backwards loads;
  // anything else would be silently replaced by that, so it is refused
  auto bidi = [&](const std::string& backward_config) {
    return load("Bidirectional", R"({"merge_mode": "concat",
      "layer": {"class_name": "LSTM", "config": {"name": "forward_lstm", "units": 3, "activation": "tanh",
                "recurrent_activation": "sigmoid", "go_backwards": false, "return_sequences": true}},
      "backward_layer": {"class_name": "LSTM", "config": )" + backward_config + "}}");
  };
  CHECK_NOTHROW(bidi(R"({"name": "backward_lstm", "units": 3, "activation": "tanh", "recurrent_activation": "sigmoid",
                        "go_backwards": true, "return_sequences": true})"));
  CHECK_THROWS_WITH(bidi(R"({"name": "backward_lstm", "units": 3, "activation": "relu", "recurrent_activation": "sigmoid",
                             "go_backwards": true, "return_sequences": true})"),
                    Catch::Contains("Bidirectional") && Catch::Contains("activation"));
  CHECK_THROWS_WITH(bidi(R"({"name": "backward_lstm", "units": 3, "activation": "tanh", "recurrent_activation": "sigmoid",
                             "go_backwards": false, "return_sequences": true})"),
                    Catch::Contains("Bidirectional") && Catch::Contains("backward"));
  CHECK_THROWS_WITH(bidi(R"({"name": "backward_lstm", "units": 3, "activation": "tanh", "recurrent_activation": "sigmoid",
                             "go_backwards": true, "return_sequences": true,
                             "kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.01}}})"),
                    Catch::Contains("kernel_regularizer"));
  CHECK_THROWS_AS(load("Bidirectional", R"({"layer": {"class_name": "LSTM", "config": {"units": 3}},
      "backward_layer": {"class_name": "GRU", "config": {"units": 3, "go_backwards": true}}})"),
                  ValueError);
}

TEST_CASE("call arguments by keyword: tensors in their place, the rest honoured or refused", "[model][json]") {
  // Keras 3's config of inputs q [4, 6], k and v [5, 6] and one MultiHeadAttention called with
  // `kwargs` (written in key order: key, query, value)
  auto tensor = [](const std::string& layer) {
    return R"({"class_name": "__keras_tensor__", "config": {"keras_history": [")" + layer + R"(", 0, 0]}})";
  };
  auto input = [](const std::string& name, int t) {
    return R"({"class_name": "InputLayer", "name": ")" + name + R"(", "config": {"name": ")" + name +
           R"(", "batch_shape": [null, )" + std::to_string(t) + R"(, 6]}, "inbound_nodes": []})";
  };
  auto model = [&](const std::string& calls) {
    return R"({"class_name": "Functional", "config": {"name": "m", "layers": [)" + input("q", 4) + ", " +
           input("k", 5) + ", " + input("v", 5) + R"(,
      {"class_name": "MultiHeadAttention", "name": "mha", "config": {"name": "mha", "num_heads": 2, "key_dim": 3},
       "inbound_nodes": [)" + calls + R"(]}],
      "input_layers": [["q", 0, 0], ["k", 0, 0], ["v", 0, 0]], "output_layers": [["mha", 0, 0]]}})";
  };
  const std::string by_keyword = R"({"args": [], "kwargs": {"key": )" + tensor("k") + R"(, "query": )" + tensor("q") +
                                 R"(, "value": )" + tensor("v") + "}}";
  auto m = models::model_from_json(model(by_keyword));
  auto mha = std::dynamic_pointer_cast<MultiHeadAttention>(m->get_layer("mha"));
  REQUIRE(mha);
  CHECK_FALSE(mha->use_causal_mask);
  Generator g(5);
  const Tensor q = Tensor::random_normal({2, 4, 6}, 0, 1, DType::float32, g);
  const Tensor k = Tensor::random_normal({2, 5, 6}, 0, 1, DType::float32, g);
  const Tensor v = Tensor::random_normal({2, 5, 6}, 0, 1, DType::float32, g);
  // strata's positional order is query, value, key; swapping key and value changes the result
  const Tensor want = mha->apply(std::vector<Tensor>{q, v, k})[0];
  CHECK(allclose(m->apply(std::vector<Tensor>{q, k, v})[0], want, 1e-6, 1e-6));
  CHECK_FALSE(allclose(mha->apply(std::vector<Tensor>{q, k, v})[0], want, 1e-3, 1e-3));

  // use_causal_mask=True sets the layer's mask; training and a null mask change nothing
  auto causal = models::model_from_json(model(R"({"args": [)" + tensor("q") + ", " + tensor("v") + ", " + tensor("k") +
                                              R"(], "kwargs": {"use_causal_mask": true, "training": false, "mask": null}})"));
  CHECK(std::dynamic_pointer_cast<MultiHeadAttention>(causal->get_layer("mha"))->use_causal_mask);
  // Keras 2's form: [[name, node, tensor, kwargs], ...]
  auto k2 = models::model_from_json(model(R"([["q", 0, 0, {"value": ["v", 0, 0], "key": ["k", 0, 0], "training": false}]])"));
  CHECK(allclose(k2->apply(std::vector<Tensor>{q, k, v})[0], k2->get_layer("mha")->apply(std::vector<Tensor>{q, v, k})[0],
                 1e-6, 1e-6));

  // Keras 3.0-3.9 fill in masks of nulls (a list for several tensors) and training=False
  CHECK_NOTHROW(models::model_from_json(model(R"({"args": [)" + tensor("q") + ", " + tensor("v") +
                                              R"(], "kwargs": {"mask": [null, null], "training": false,
                                                 "query_mask": null, "value_mask": {"a": null}}})")));

  // what strata cannot do is refused, naming the argument
  CHECK_THROWS_WITH(models::model_from_json(model(R"({"args": [)" + tensor("q") + ", " + tensor("v") +
                                                  R"(], "kwargs": {"training": true}})")),
                    Catch::Contains("training"));
  CHECK_THROWS_WITH(models::model_from_json(model(R"({"args": [{"a": )" + tensor("q") + R"(, "b": )" + tensor("v") +
                                                  R"(}], "kwargs": {}})")),
                    Catch::Contains("dict"));
  CHECK_THROWS_WITH(models::model_from_json(model(R"({"args": [)" + tensor("q") + ", " + tensor("v") +
                                                  R"(], "kwargs": {"attention_mask": )" + tensor("k") + "}}")),
                    Catch::Contains("'mha'") && Catch::Contains("attention_mask"));
  CHECK_THROWS_WITH(models::model_from_json(model(R"({"args": [)" + tensor("q") + ", " + tensor("v") +
                                                  R"(], "kwargs": {"return_attention_scores": true}})")),
                    Catch::Contains("return_attention_scores"));
  CHECK_THROWS_WITH(models::model_from_json(model(R"({"args": [)" + tensor("q") + ", " + tensor("v") +
                                                  R"(], "kwargs": {"mask": [true, false]}})")),
                    Catch::Contains("mask"));
  // the causal mask is a layer setting: a layer called with and without it is refused
  CHECK_THROWS_WITH(models::model_from_json(model(
                        R"({"args": [)" + tensor("q") + ", " + tensor("v") + R"(], "kwargs": {"use_causal_mask": true}}, )" +
                        R"({"args": [)" + tensor("q") + ", " + tensor("v") + R"(], "kwargs": {}})")),
                    Catch::Contains("use_causal_mask"));
}

TEST_CASE("an RNN called by keyword: sequences and initial_state", "[model][json]") {
  const std::string json = R"({"class_name": "Functional", "config": {"name": "m", "layers": [
      {"class_name": "InputLayer", "name": "x", "config": {"name": "x", "batch_shape": [null, 4, 3]}, "inbound_nodes": []},
      {"class_name": "InputLayer", "name": "h", "config": {"name": "h", "batch_shape": [null, 2]}, "inbound_nodes": []},
      {"class_name": "GRU", "name": "gru", "config": {"name": "gru", "units": 2},
       "inbound_nodes": [{"args": [], "kwargs": {
         "initial_state": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["h", 0, 0]}}],
         "sequences": {"class_name": "__keras_tensor__", "config": {"keras_history": ["x", 0, 0]}},
         "training": false, "mask": null}}]}],
      "input_layers": [["x", 0, 0], ["h", 0, 0]], "output_layers": [["gru", 0, 0]]}})";
  auto m = models::model_from_json(json);
  Generator g(9);
  const Tensor x = Tensor::random_normal({3, 4, 3}, 0, 1, DType::float32, g);
  const Tensor h = Tensor::random_normal({3, 2}, 0, 1, DType::float32, g);
  const Tensor want = m->get_layer("gru")->apply(std::vector<Tensor>{x, h})[0];
  CHECK(allclose(m->apply(std::vector<Tensor>{x, h})[0], want, 1e-6, 1e-6));
  // the initial state matters, so a model that dropped it would fail the check above
  CHECK_FALSE(allclose(m->get_layer("gru")->apply(std::vector<Tensor>{x})[0], want, 1e-4, 1e-4));
}

TEST_CASE("a Sequential whose first layer is a functional model is built from that model's input", "[models][config]") {
  // Teachable Machine's exports: Sequential[Functional, ...] with no InputLayer of its own
  const std::string json = R"({"class_name": "Sequential", "config": {"name": "outer", "layers": [
    {"class_name": "Functional", "config": {"name": "inner", "layers": [
       {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "dtype": "float32", "name": "x"},
        "name": "x", "inbound_nodes": []},
       {"class_name": "Dense", "config": {"name": "d_inner", "units": 3}, "name": "d_inner",
        "inbound_nodes": [[["x", 0, 0, {}]]]}],
      "input_layers": [["x", 0, 0]], "output_layers": [["d_inner", 0, 0]]}},
    {"class_name": "Dense", "config": {"name": "d_outer", "units": 2}}]}})";
  const auto m = models::model_from_json(json);
  REQUIRE(m->built());
  CHECK(m->count_params() == 4 * 3 + 3 + 3 * 2 + 2);
  const Tensor x = rnd({2, 4}, 3).astype(DType::float32);
  const auto& w = m->get_weights();
  const Tensor want = matmul(matmul(x, w[0]) + w[1], w[2]) + w[3];
  CHECK(allclose(m->predict(x), want, 1e-6, 1e-6));
  // without anything giving an input shape, a file's weights cannot load: said at load
  const auto unbuilt = models::model_from_json(
      R"({"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "Dense", "config": {"units": 2}}]}})");
  CHECK_FALSE(unbuilt->built());
  const std::string path = temp_path("unbuilt.npz");
  io::save_npz(path, {{"dense/kernel", Tensor::ones({3, 2})}});
  CHECK_THROWS_WITH(unbuilt->load_weights(path), Catch::Contains("could not be built"));
}
