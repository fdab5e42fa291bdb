// The `strata` command-line tool, run as users run it: summary, predict, convert and graph on
// TensorFlow.js fixtures, --help, and one-line errors with a non-zero exit.
#include <sys/stat.h>

#include <fstream>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {

std::pair<int, std::string> cli(const std::string& args) { return run_command(std::string(STRATA_CLI) + " " + args); }

int lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

namespace {
/// The inputs recorded with the two_heads TF.js fixture, written as a.npy and b.npy in the
/// temporary folder; returns the fixture's io.json (inputs and TF.js's outputs).
Tensor tensor(const Config& c) {
  std::vector<double> v;
  for (const Config& x : c.at("data").items()) v.push_back(x.as_double());
  return Tensor::from_vector(v, shape_from_config(c.at("shape")));
}
Config write_two_heads_inputs() {
  std::ifstream f(fixture("tfjs/from_tfjs/two_heads") + "/io.json");
  const Config io = Config::parse(std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>()));
  io::save_npy(temp_path("a.npy"), tensor(io.at("inputs")[std::size_t(0)]));
  io::save_npy(temp_path("b.npy"), tensor(io.at("inputs")[std::size_t(1)]));
  return io;
}
}  // namespace

TEST_CASE("strata summary, graph and --help", "[cli]") {
  const std::string model = fixture("tfjs/from_tfjs/two_heads");
  auto [rc, out] = cli("summary " + model);
  INFO(out);
  CHECK(rc == 0);
  CHECK(out == io::load_model(model)->summary());
  std::tie(rc, out) = cli("graph " + model);
  CHECK(rc == 0);
  CHECK(out.rfind("digraph \"two_heads\" {", 0) == 0);
  CHECK(out.find("\"a\" -> \"shared\";") != std::string::npos);
  CHECK(out.find("\"b\" -> \"shared\";") != std::string::npos);
  CHECK(out.find("output: (None, 3)") != std::string::npos);
  for (const char* cmd : {"summary", "predict", "convert", "graph"}) {
    std::tie(rc, out) = cli(std::string(cmd) + " --help");
    CHECK(rc == 0);
    CHECK(out.find(std::string("usage: strata ") + cmd) != std::string::npos);
  }
  std::tie(rc, out) = cli("--help");
  CHECK((rc == 0 && out.find("commands:") != std::string::npos));
}

TEST_CASE("strata predict runs a TF.js model on .npy inputs", "[cli]") {
  const std::string model = fixture("tfjs/from_tfjs/two_heads");
  const Config io = write_two_heads_inputs();
  const std::string out_dir = temp_path("predicted/nested/deeper");  // made with its parents
  auto [rc, out] = cli("predict " + model + " --input " + temp_path("a.npy") + " --input " + temp_path("b.npy") +
                       " --output-dir " + out_dir + " --batch-size 2");
  INFO(out);
  REQUIRE(rc == 0);
  for (std::size_t k = 0; k < 2; ++k)
    CHECK(allclose(io::load_npy(out_dir + "/output_" + std::to_string(k) + ".npy"), tensor(io.at("outputs")[k]), 1e-4,
                   1e-5));
}

TEST_CASE("strata convert between TF.js, .keras and .strata", "[cli]") {
  const std::string model = fixture("tfjs/from_tfjs/cnn/model.json");
  const std::string archive = temp_path("cnn.strata"), keras = temp_path("cnn.keras"),
                    folder = temp_path("cnn_again");
  auto [rc, out] = cli("convert " + model + " " + archive);
  INFO(out);
  REQUIRE(rc == 0);
  std::tie(rc, out) = cli("convert " + archive + " " + keras);
  REQUIRE(rc == 0);
  std::tie(rc, out) = cli("convert " + keras + " " + folder);
  REQUIRE(rc == 0);
  const auto a = io::load_model(model), b = io::load_model(archive), k = io::load_model(keras),
             c = io::load_model(folder);
  const Tensor x = Tensor::random_normal({2, 10, 10, 3});
  CHECK(allclose(b->predict(x), a->predict(x), 0, 0));
  CHECK(allclose(k->predict(x), a->predict(x), 0, 0));
  CHECK(allclose(c->predict(x), a->predict(x), 0, 0));
  std::tie(rc, out) = cli("summary " + fixture("keras/branch.keras"));
  CHECK(rc == 0);
  CHECK(out == io::load_model(fixture("keras/branch.keras"))->summary());
}

TEST_CASE("strata reports bad input in one line with a non-zero exit", "[cli][errors]") {
  write_two_heads_inputs();  // this case runs alone too
  auto [rc, out] = cli("");
  CHECK(rc == 2);
  std::tie(rc, out) = cli("frobnicate x");
  CHECK((rc == 2 && lines(out) == 1 && out.find("frobnicate") != std::string::npos));
  std::tie(rc, out) = cli("summary " + temp_path("missing.strata"));
  CHECK((rc == 1 && lines(out) == 1 && out.find("missing.strata") != std::string::npos));
  std::tie(rc, out) = cli("summary");
  CHECK((rc == 2 && lines(out) == 1));
  std::tie(rc, out) = cli("predict " + fixture("tfjs/from_tfjs/two_heads") + " --input " + temp_path("a.npy") +
                          " --output-dir " + temp_path("p2"));
  CHECK((rc != 0 && lines(out) == 1 && out.find("2 inputs") != std::string::npos));
  std::tie(rc, out) = cli("predict m.strata --batch-size zero --input a.npy --output-dir d");
  CHECK((rc == 2 && out.find("--batch-size") != std::string::npos));
  std::tie(rc, out) = cli("predict m.strata --batch-size 3x --input a.npy --output-dir d");  // not 3
  CHECK((rc == 2 && out.find("'3x'") != std::string::npos));
  std::ofstream(temp_path("a_file")) << "x";
  std::tie(rc, out) = cli("predict " + fixture("tfjs/from_tfjs/two_heads") + " --input " + temp_path("a.npy") +
                          " --input " + temp_path("b.npy") + " --output-dir " + temp_path("a_file") + "/sub");
  CHECK((rc == 1 && lines(out) == 1 && out.find("not a folder") != std::string::npos));
  std::ofstream(temp_path("garbage.strata")) << "not a zip at all";
  std::tie(rc, out) = cli("graph " + temp_path("garbage.strata"));
  CHECK((rc == 1 && lines(out) == 1 && out.find("garbage.strata") != std::string::npos));
}

TEST_CASE("strata summary and predict say why a model without an input shape cannot run", "[cli][errors]") {
  // A Sequential saved before it was built: no InputLayer, no batch_input_shape, no weights.
  const std::string dir = temp_path("unbuilt_tfjs");
  ::mkdir(dir.c_str(), 0755);
  std::ofstream(dir + "/model.json")
      << R"({"format": "layers-model", "weightsManifest": [], "modelTopology": {"model_config": )"
      << R"({"class_name": "Sequential", "config": {"name": "later", "layers": [)"
      << R"({"class_name": "Dense", "config": {"units": 2, "name": "d"}}]}}}})";
  auto [rc, out] = cli("summary " + dir);
  CHECK(rc == 0);
  CHECK(out.find("Total params: 0") != std::string::npos);
  CHECK(out.find("'later' is not built: its config gives no input shape") != std::string::npos);
  io::save_npy(temp_path("x4.npy"), Tensor::ones({2, 4}));
  std::tie(rc, out) = cli("predict " + dir + " --input " + temp_path("x4.npy") + " --output-dir " + temp_path("p_unbuilt"));
  CHECK(rc == 1);
  CHECK(lines(out) == 1);
  CHECK(out.find("predict: The model 'later' is not built") != std::string::npos);
}
