// TensorFlow.js weight manifests as other tools write them: the converter's RNN cell scopes
// ("lstm/lstm_cell/kernel") and the Keras 3 converter's model-name prefix
// ("sequential/dense/kernel"), which TF.js's loader maps to the layers' weights, and quantized
// weights (uint8, uint16 with min and scale; float16), which it dequantizes as it loads them.
#include <cstring>
#include <fstream>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {

std::shared_ptr<Model> lstm_model() {
  using namespace strata::layers;
  clear_session();
  set_seed(7);
  auto m = std::make_shared<Sequential>(std::vector<LayerRef>{LSTM(4), Dense(2)}, "seq_rnn");
  m->build({-1, 3, 5});
  return m;
}

/// A model saved as TF.js: its model.json (parsed) and the bytes of its one shard.
struct Saved {
  Config doc;
  std::string shard;
};

Saved save_as_tfjs(const Model& m, const std::string& dir) {
  io::save_model(m, dir, io::Format::tfjs);
  Saved s{Config::parse(slurp(dir + "/model.json")), {}};
  const Config& paths = s.doc.at("weightsManifest")[std::size_t{0}].at("paths");
  for (const Config& p : paths.items()) s.shard += slurp(dir + "/" + p.as_string());
  return s;
}

std::shared_ptr<Model> load(const Config& doc, const std::string& shard) {
  Config d = doc;
  d["weightsManifest"][std::size_t{0}]["paths"] = Config::list({"w.bin"});
  return io::load_tfjs_from_memory(d.dump(), {{"w.bin", shard}}, "<test>");
}

void append_floats(std::string& out, const std::vector<float>& v) {
  out.append(reinterpret_cast<const char*>(v.data()), v.size() * 4);
}

}  // namespace

TEST_CASE("TF.js manifests with converted RNN cell scopes and the Keras 3 model prefix load", "[io][tfjs]") {
  const auto m = lstm_model();
  const std::string dir = temp_path("tfjs_names");
  Saved s = save_as_tfjs(*m, dir);
  const Tensor x = rnd({2, 3, 5}, 11).astype(DType::float32);
  const Tensor want = m->predict(x);

  SECTION("lstm/lstm_cell/kernel, as the converter names an RNN's weights since TF 2.2") {
    Config doc = s.doc;
    for (std::size_t i = 0; i < doc["weightsManifest"][std::size_t{0}]["weights"].size(); ++i) {
      Config& w = doc["weightsManifest"][std::size_t{0}]["weights"][i];
      std::string n = w.at("name").as_string();
      if (n.rfind("lstm/", 0) == 0) w["name"] = "lstm/lstm_cell/" + n.substr(5);
    }
    CHECK(allclose(load(doc, s.shard)->predict(x), want, 0, 0));
  }
  SECTION("seq_rnn/lstm/lstm_cell/kernel and seq_rnn/dense/kernel, as the Keras 3 converter names them") {
    Config doc = s.doc;
    for (std::size_t i = 0; i < doc["weightsManifest"][std::size_t{0}]["weights"].size(); ++i) {
      Config& w = doc["weightsManifest"][std::size_t{0}]["weights"][i];
      std::string n = w.at("name").as_string();
      if (n.rfind("lstm/", 0) == 0) n = "lstm/lstm_cell/" + n.substr(5);
      w["name"] = "seq_rnn/" + n;
    }
    CHECK(allclose(load(doc, s.shard)->predict(x), want, 0, 0));
  }
  SECTION("a name that matches no weight, even without its cell scope, is refused naming it") {
    Config doc = s.doc;
    doc["weightsManifest"][std::size_t{0}]["weights"][std::size_t{0}]["name"] = "other/cell/kernel";
    CHECK_THROWS_WITH(load(doc, s.shard), Catch::Contains("other/cell/kernel"));
  }
}

TEST_CASE("two manifest names for one weight are refused naming both", "[io][tfjs][errors]") {
  using namespace strata::layers;
  clear_session();
  auto m = std::make_shared<Sequential>(std::vector<LayerRef>{Dense(2)}, "one");
  m->build({-1, 3});
  Saved s = save_as_tfjs(*m, temp_path("tfjs_ambiguous"));
  Config doc = s.doc;
  Config extra = doc["weightsManifest"][std::size_t{0}]["weights"][std::size_t{0}];  // dense/kernel [3, 2]
  extra["name"] = "dense/dense_cell/kernel";
  doc["weightsManifest"][std::size_t{0}]["weights"].push_back(extra);
  std::string shard = s.shard;
  append_floats(shard, std::vector<float>(6, 0.5f));
  CHECK_THROWS_AS(load(doc, shard), ValueError);
  CHECK_THROWS_WITH(load(doc, shard), Catch::Contains("dense/kernel") && Catch::Contains("dense/dense_cell/kernel"));
}

TEST_CASE("quantized TF.js weights are dequantized as tfjs-core does", "[io][tfjs]") {
  using namespace strata::layers;
  clear_session();
  auto m = std::make_shared<Sequential>(std::vector<LayerRef>{Dense(2)}, "q");
  m->build({-1, 3});
  Saved s = save_as_tfjs(*m, temp_path("tfjs_quant"));
  // kernel [3, 2] and bias [2], in the manifest's order
  const Config weights = s.doc.at("weightsManifest")[std::size_t{0}].at("weights");
  REQUIRE(weights.size() == 2);
  REQUIRE(weights[std::size_t{0}].at("name").as_string() == "dense/kernel");
  const double min = -0.75, scale = 0.01;

  SECTION("uint8: v = q * scale + min") {
    const std::vector<unsigned char> qk{0, 1, 2, 100, 254, 255}, qb{7, 200};
    Config doc = s.doc;
    for (int i = 0; i < 2; ++i)
      doc["weightsManifest"][std::size_t{0}]["weights"][static_cast<std::size_t>(i)]["quantization"] =
          Config::object({{"dtype", "uint8"}, {"min", min}, {"scale", scale}, {"original_dtype", "float32"}});
    std::string shard(qk.begin(), qk.end());
    shard.append(qb.begin(), qb.end());
    const auto loaded = load(doc, shard);
    std::vector<double> k, b;
    for (auto q : qk) k.push_back(static_cast<float>(q * scale + min));
    for (auto q : qb) b.push_back(static_cast<float>(q * scale + min));
    CHECK_TENSOR(loaded->get_weights()[0], {3, 2}, k, 0.0);
    CHECK_TENSOR(loaded->get_weights()[1], {2}, b, 0.0);
  }
  SECTION("uint16, little-endian") {
    const std::vector<std::uint16_t> qk{0, 1, 300, 40000, 65535, 12}, qb{5, 65000};
    Config doc = s.doc;
    for (int i = 0; i < 2; ++i)
      doc["weightsManifest"][std::size_t{0}]["weights"][static_cast<std::size_t>(i)]["quantization"] =
          Config::object({{"dtype", "uint16"}, {"min", min}, {"scale", 1e-4}});
    std::string shard(reinterpret_cast<const char*>(qk.data()), qk.size() * 2);
    shard.append(reinterpret_cast<const char*>(qb.data()), qb.size() * 2);
    const auto loaded = load(doc, shard);
    std::vector<double> k;
    for (auto q : qk) k.push_back(static_cast<float>(q * 1e-4 + min));
    CHECK_TENSOR(loaded->get_weights()[0], {3, 2}, k, 0.0);
    CHECK_TENSOR(loaded->get_weights()[1], {2}, {static_cast<float>(5 * 1e-4 + min), static_cast<float>(65000 * 1e-4 + min)}, 0.0);
  }
  SECTION("float16") {
    // 1.0, -2.0, 0.5, 65504 (the largest half), 2^-24 (the smallest subnormal), -0.0
    const std::vector<std::uint16_t> hk{0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x8000}, hb{0x3555, 0x4248};
    Config doc = s.doc;
    for (int i = 0; i < 2; ++i)
      doc["weightsManifest"][std::size_t{0}]["weights"][static_cast<std::size_t>(i)]["quantization"] =
          Config::object({{"dtype", "float16"}, {"original_dtype", "float32"}});
    std::string shard(reinterpret_cast<const char*>(hk.data()), hk.size() * 2);
    shard.append(reinterpret_cast<const char*>(hb.data()), hb.size() * 2);
    const auto loaded = load(doc, shard);
    CHECK_TENSOR(loaded->get_weights()[0], {3, 2}, {1.0, -2.0, 0.5, 65504.0, std::ldexp(1.0, -24), 0.0}, 0.0);
    // 0x3555 = 1 + 341/1024 times 2^-2; 0x4248 = 3.140625
    CHECK_TENSOR(loaded->get_weights()[1], {2}, {(1 + 341.0 / 1024) / 4, 3.140625}, 0.0);
  }
  SECTION("a quantized shard too short for its entries, or an unknown quantization, is an IOError") {
    Config doc = s.doc;
    for (int i = 0; i < 2; ++i)
      doc["weightsManifest"][std::size_t{0}]["weights"][static_cast<std::size_t>(i)]["quantization"] =
          Config::object({{"dtype", "uint8"}, {"min", min}, {"scale", scale}});
    CHECK_THROWS_AS(load(doc, std::string(7, '\0')), IOError);
    CHECK_THROWS_AS(load(doc, std::string(9, '\0')), IOError);  // bytes left over
    Config bad = doc;
    bad["weightsManifest"][std::size_t{0}]["weights"][std::size_t{0}]["quantization"]["dtype"] = "int4";
    CHECK_THROWS_WITH(load(bad, std::string(8, '\0')), Catch::Contains("int4"));
    Config no_scale = doc;
    no_scale["weightsManifest"][std::size_t{0}]["weights"][std::size_t{0}]["quantization"] = Config::object({{"dtype", "uint8"}, {"min", 0.0}});
    CHECK_THROWS_AS(load(no_scale, std::string(8, '\0')), IOError);
  }
}

TEST_CASE("TF.js topologies with camelCase keys load as TF.js reads them", "[io][tfjs]") {
  using namespace strata::layers;
  clear_session();
  auto m = std::make_shared<Sequential>(std::vector<LayerRef>{Dense(2, "tanh", false)}, "camel");
  m->build({-1, 3});
  Saved s = save_as_tfjs(*m, temp_path("tfjs_camel"));
  std::string text = s.doc.dump();
  auto rename = [&](const std::string& from, const std::string& to) {
    const std::size_t at = text.find("\"" + from + "\"");
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size() + 2, "\"" + to + "\"");
  };
  rename("batch_input_shape", "batchInputShape");
  rename("use_bias", "useBias");
  const auto loaded = load(Config::parse(text), s.shard);
  const Tensor x = rnd({4, 3}, 2).astype(DType::float32);
  CHECK(allclose(loaded->predict(x), m->predict(x), 0, 0));
  CHECK(loaded->get_weights().size() == 1);  // useBias: false was read
}
