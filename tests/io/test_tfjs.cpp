// TensorFlow.js interop against TF.js itself. tests/fixtures/tfjs/make_fixtures.js saved models
// with TF.js (every layer strata shares with it) together with inputs and TF.js's outputs:
// strata loads each and must compute the same numbers. check_strata_models.js loaded the
// models strata saves (from_strata/) in TF.js and recorded its outputs: strata must still save
// exactly those files, and TF.js's outputs must match strata's.
#include <fstream>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {

Tensor tensor_of(const Config& c) {
  std::vector<double> data;
  for (const Config& v : c.at("data").items()) data.push_back(v.as_double());
  Shape shape;
  for (const Config& d : c.at("shape").items()) shape.push_back(d.as_int());
  const std::string dtype = c.get_string("dtype", "float32");
  return Tensor::from_vector(data, shape, dtype == "int32" ? DType::int64 : DType::float32);
}

struct IoCase {
  std::vector<Tensor> inputs, outputs;
};

IoCase io_of(const std::string& dir) {
  const Config c = Config::parse(slurp(dir + "/io.json"));
  IoCase io;
  for (const Config& x : c.at("inputs").items()) io.inputs.push_back(tensor_of(x));
  for (const Config& y : c.at("outputs").items()) io.outputs.push_back(tensor_of(y));
  return io;
}

void check_outputs(const std::vector<Tensor>& got, const std::vector<Tensor>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("output " << i);
    CHECK(got[i].shape() == want[i].shape());
    CHECK(allclose(got[i], want[i], 1e-4, 1e-5));
  }
}

/// The models whose round trip through TF.js is recorded in from_strata/ (same seed, same bytes).
std::vector<std::pair<std::string, std::shared_ptr<Model>>> strata_models() {
  using namespace strata::layers;
  std::vector<std::pair<std::string, std::shared_ptr<Model>>> out;
  clear_session();  // the same layer names on every run
  set_seed(2024);
  {
    auto m = std::make_shared<Sequential>(
        std::vector<LayerRef>{Dense(8, "relu"), BatchNormalization(), Dropout(0.2), Dense(3, "softmax")}, "s_mlp");
    m->build({-1, 5});
    out.emplace_back("s_mlp", m);
  }
  {
    KerasTensor img = Input({9, 9, 2}, DType::float32, "img");
    KerasTensor h = Conv2D(3, 3, 1, "same", "relu")(img);
    h = MaxPooling2D(2)(h);
    h = SeparableConv2D(4, 2)(h);
    h = Conv2DTranspose(2, 3, 2, "same")(h);
    h = LeakyReLU(0.1)(h);
    KerasTensor f = Flatten()(h);
    out.emplace_back("s_cnn", std::make_shared<Model>(img, Dense(2)(f), "s_cnn"));
  }
  {
    KerasTensor ids = Input({6}, DType::int64, "ids");
    KerasTensor e = Embedding(12, 4)(ids);
    auto lstm = std::make_shared<LSTM>(3);
    lstm->return_sequences = true;
    auto gru = std::make_shared<GRU>(2);
    gru->reset_after = false;  // TF.js's GRU
    KerasTensor s = Bidirectional(lstm)(e);
    KerasTensor g = (*gru)(s);
    KerasTensor a = Input({3}, DType::float32, "aux");
    KerasTensor merged = Concatenate()({g, Dense(2, "tanh")(a)});
    out.emplace_back("s_seq", std::make_shared<Model>(std::vector<KerasTensor>{ids, a},
                                                      std::vector<KerasTensor>{Dense(1)(merged), g}, "s_seq"));
  }
  return out;
}

/// Deterministic inputs for a model (float inputs in [-1, 1), int inputs in [0, 10)).
std::vector<Tensor> inputs_for(const Model& m) {
  Generator g(7);
  std::vector<Tensor> xs;
  for (const KerasTensor& in : m.inputs()) {
    Shape s{3};
    for (std::size_t d = 1; d < in.shape().rank(); ++d) s.push_back(in.shape()[d]);
    if (in.dtype() == DType::int64)
      xs.push_back(cast(Tensor::random_uniform(s, 0, 10, DType::float32, g), DType::int64));
    else
      xs.push_back(Tensor::random_uniform(s, -1, 1, DType::float32, g));
  }
  return xs;
}

}  // namespace

TEST_CASE("models saved by TensorFlow.js load and compute TF.js's outputs", "[io][tfjs]") {
  for (const char* name : {"mlp", "cnn", "seq", "two_heads", "noise", "reshaping", "preprocessing"}) {
    INFO(name);
    const std::string dir = fixture(std::string("tfjs/from_tfjs/") + name);
    std::shared_ptr<Model> m = io::load_model(dir + "/model.json");
    const IoCase io = io_of(dir);
    check_outputs(m->apply(io.inputs), io.outputs);
    // a folder works as well as its model.json
    CHECK(io::load_model(dir)->count_params() == m->count_params());
  }
  // TF.js's quirks: GRU reset_after=false and hard_sigmoid gates, weights in two shards
  std::shared_ptr<Model> seq = io::load_model(fixture("tfjs/from_tfjs/seq/model.json"));
  const Config gru = seq->get_layer("gru")->get_config();
  CHECK(gru.at("reset_after").as_bool() == false);
  // TF.js's hard_sigmoid is clip(0.2 x + 0.5, 0, 1), strata's hard_sigmoid_keras2, and saves back as hard_sigmoid
  CHECK(gru.at("recurrent_activation").as_string() == "hard_sigmoid_keras2");
  const std::string dir = temp_path("tfjs_seq_again");
  io::save_model(*seq, dir, io::Format::tfjs);
  const Config saved = Config::parse(slurp(dir + "/model.json"));
  CHECK(saved.dump().find("\"recurrent_activation\": \"hard_sigmoid\"") != std::string::npos);
  const IoCase io = io_of(fixture("tfjs/from_tfjs/seq"));
  check_outputs(io::load_model(dir)->apply(io.inputs), io.outputs);
}

TEST_CASE("TF.js's bilinear UpSampling2D keeps its meaning through TF.js files; Keras's files refuse it", "[io][tfjs]") {
  const std::string src = fixture("tfjs/from_tfjs/reshaping");
  std::shared_ptr<Model> m = io::load_model(src + "/model.json");
  auto up = std::dynamic_pointer_cast<layers::UpSampling2D>(m->get_layer("up_sampling2d_UpSampling2D2"));
  REQUIRE(up);
  CHECK(up->interpolation == "bilinear");
  CHECK_FALSE(up->half_pixel_centers);
  const std::string dir = temp_path("tfjs_reshaping_again");
  io::save_model(*m, dir, io::Format::tfjs);
  CHECK(slurp(dir + "/model.json").find("half_pixel_centers") == std::string::npos);
  const IoCase io = io_of(src);
  check_outputs(io::load_model(dir)->apply(io.inputs), io.outputs);
  for (const char* ext : {".keras", ".h5"})
    CHECK_THROWS_WITH(io::save_model(*m, temp_path(std::string("tfjs_bilinear") + ext)),
                      Catch::Contains("up_sampling2d_UpSampling2D2") && Catch::Contains("no half-pixel centres"));
  // Keras's bilinear (half-pixel centres) has no TF.js equivalent
  KerasTensor x = Input({3, 3, 1});
  Model keras_bilinear(x, layers::UpSampling2D(2, "bilinear")(x));
  CHECK_THROWS_WITH(io::save_model(keras_bilinear, temp_path("keras_bilinear"), io::Format::tfjs),
                    Catch::Contains("half-pixel centres (Keras's)"));
}

TEST_CASE("models saved by strata load in TensorFlow.js with the same outputs", "[io][tfjs]") {
  for (auto& [name, model] : strata_models()) {
    INFO(name);
    const std::string dir = temp_path("tfjs_" + name);
    io::save_model(*model, dir, io::Format::tfjs);
    const std::string fixture_dir = fixture("tfjs/from_strata/" + name);
    // strata still writes exactly the files TF.js was checked against
    CHECK(slurp(dir + "/model.json") == slurp(fixture_dir + "/model.json"));
    const Config manifest = Config::parse(slurp(dir + "/model.json")).at("weightsManifest");
    for (const Config& p : manifest[0].at("paths").items())
      CHECK(slurp(dir + "/" + p.as_string()) == slurp(fixture_dir + "/" + p.as_string()));
    // TF.js's outputs on the recorded inputs (check_strata_models.js) match strata's
    const std::vector<Tensor> xs = inputs_for(*model);
    const IoCase io = io_of(fixture_dir);
    REQUIRE(io.inputs.size() == xs.size());
    for (std::size_t i = 0; i < xs.size(); ++i) CHECK(allclose(io.inputs[i], xs[i], 0, 0));
    check_outputs(model->apply(xs), io.outputs);
    // and strata reads its own files back
    check_outputs(io::load_model(dir)->apply(xs), io.outputs);
  }
}

TEST_CASE("TF.js files that are wrong throw IOError or ValueError naming the file", "[io][tfjs][errors]") {
  const std::string good = slurp(fixture("tfjs/from_tfjs/two_heads/model.json"));
  const Config doc = Config::parse(good);
  const std::string shard = doc.at("weightsManifest")[0].at("paths")[0].as_string();
  auto write_case = [&](const std::string& name, Config d, const std::string& shard_bytes) {
    const std::string dir = temp_path("bad_" + name);
    run_command("mkdir -p " + dir);
    std::ofstream(dir + "/model.json") << d.dump();
    std::ofstream(dir + "/" + shard, std::ios::binary) << shard_bytes;
    return dir + "/model.json";
  };
  const std::string bytes = slurp(fixture("tfjs/from_tfjs/two_heads/" + shard));
  CHECK_NOTHROW(io::load_model(write_case("ok", doc, bytes)));
  // truncated shard, extra bytes
  CHECK_THROWS_WITH(io::load_model(write_case("short", doc, bytes.substr(0, bytes.size() - 4))),
                    Catch::Contains("bad_short/model.json") && Catch::Contains("needs"));
  CHECK_THROWS_WITH(io::load_model(write_case("long", doc, bytes + "abcd")), Catch::Contains("more than the manifest"));
  // a manifest path leaving the folder
  Config outside = doc;
  outside["weightsManifest"][std::size_t(0)]["paths"][std::size_t(0)] = "../../etc/passwd";
  CHECK_THROWS_WITH(io::load_model(write_case("outside", outside, bytes)), Catch::Contains("leaves the model's folder"));
  Config absolute = doc;
  absolute["weightsManifest"][std::size_t(0)]["paths"][std::size_t(0)] = "/etc/passwd";
  CHECK_THROWS_AS(io::load_model(write_case("absolute", absolute, bytes)), IOError);
  // an absurd shape: refused before anything is allocated
  Config huge = doc;
  huge["weightsManifest"][std::size_t(0)]["weights"][std::size_t(0)]["shape"] = Config::list({1 << 30, 1 << 30});
  CHECK_THROWS_AS(io::load_model(write_case("huge", huge, bytes)), IOError);
  // a weight the model does not have, a wrong shape
  Config renamed = doc;
  renamed["weightsManifest"][std::size_t(0)]["weights"][std::size_t(0)]["name"] = "nobody/kernel";
  CHECK_THROWS_WITH(io::load_model(write_case("renamed", renamed, bytes)), Catch::Contains("shared/kernel"));
  Config reshaped = doc;
  reshaped["weightsManifest"][std::size_t(0)]["weights"][std::size_t(0)]["shape"] = Config::list({3, 4});
  CHECK_THROWS_WITH(io::load_model(write_case("reshaped", reshaped, bytes)), Catch::Contains("shape"));
  // not JSON, no topology, a missing shard
  const std::string dir = temp_path("bad_text");
  run_command("mkdir -p " + dir);
  std::ofstream(dir + "/model.json") << good.substr(0, good.size() / 2);
  CHECK_THROWS_WITH(io::load_model(dir + "/model.json"), Catch::Contains("bad_text/model.json"));
  std::ofstream(dir + "/model.json") << "{\"format\": \"layers-model\"}";
  CHECK_THROWS_WITH(io::load_model(dir + "/model.json"), Catch::Contains("modelTopology"));
  CHECK_THROWS_AS(io::load_model(temp_path("no_such_dir") + "/model.json"), IOError);
  // MultiHeadAttention cannot go to TF.js
  KerasTensor q = Input({4, 6});
  Model mha(q, layers::MultiHeadAttention(2, 3)(std::vector<KerasTensor>{q, q}));
  CHECK_THROWS_WITH(io::save_model(mha, temp_path("mha_tfjs"), io::Format::tfjs), Catch::Contains("MultiHeadAttention"));
}

// Not part of the suite: writes tests/fixtures/tfjs/from_strata/ (model files and inputs) for
// check_strata_models.js, which adds TF.js's outputs. Run it with
//   build/tests/strata_tests "[.generate-tfjs]"
TEST_CASE("write the strata models for the TF.js check", "[.generate-tfjs]") {
  for (auto& [name, model] : strata_models()) {
    const std::string dir = fixture("tfjs/from_strata/" + name);
    io::save_model(*model, dir, io::Format::tfjs);
    Config inputs = Config::list();
    for (const Tensor& x : inputs_for(*model)) {
      Config data = Config::list();
      for (double v : x.to_vector<double>()) data.push_back(v);
      inputs.push_back(Config::object({{"shape", shape_to_config(x.shape())},
                                       {"dtype", x.dtype() == DType::int64 ? "int32" : "float32"},
                                       {"data", data}}));
    }
    std::ofstream(dir + "/inputs.json") << Config::object({{"inputs", inputs}}).dump();
  }
}
