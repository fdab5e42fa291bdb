// Files a loader must refuse before it reads (or allocates) much: devices and other non-regular
// files, links that leave a TF.js model's folder, shards whose content no longer matches the hash
// in their names, messages that would quote megabytes of input, and configs asking for more
// weights than their file holds.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "io/zip.hpp"
#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {

/// Runs f, which must throw IOError (not another exception, not hang) within a second.
template <class F>
void refused_quickly(F f, const std::string& contains) {
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(f(), IOError);
  CHECK_THROWS_WITH(f(), Catch::Contains(contains));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

std::shared_ptr<Model> small_model() {
  using namespace strata::layers;
  clear_session();
  auto m = std::make_shared<Sequential>(std::vector<LayerRef>{Dense(3)}, "small");
  m->build({-1, 2});
  return m;
}

}  // namespace

TEST_CASE("loaders read only regular files", "[io][errors]") {
  refused_quickly([] { io::load_npy("/dev/urandom"); }, "not a regular file");
  refused_quickly([] { io::load_npy("/dev/zero"); }, "not a regular file");
  refused_quickly([] { data::load_idx("/dev/urandom"); }, "not a regular file");
  refused_quickly([] { io::load_model("/dev/zero"); }, "not a regular file");
  refused_quickly([] { io::load_npz("/dev/urandom"); }, "not a regular file");
  // procfs files are regular but report size 0: read as empty, never as an ios_base::failure
  refused_quickly([] { io::load_npy("/proc/self/mem"); }, "/proc/self/mem");
  const std::string dir = temp_path("a_folder");
  ::mkdir(dir.c_str(), 0755);
  refused_quickly([&] { data::load_csv(dir); }, "folder");
  refused_quickly([&] { io::load_npy(dir); }, "folder");
}

TEST_CASE(".npy files are checked by their header before their data is read", "[io][errors]") {
  const std::string path = temp_path("random.npy");
  {
    std::ofstream f(path, std::ios::binary);
    for (int i = 0; i < 1 << 20; ++i) f.put(static_cast<char>(i * 2654435761u >> 24));
  }
  refused_quickly([&] { io::load_npy(path); }, "bad magic");
  const std::string good = temp_path("good.npy");
  io::save_npy(good, Tensor::ones({4, 4}));
  {
    std::ofstream f(good, std::ios::binary | std::ios::app);
    f << "trailing";
  }
  refused_quickly([&] { io::load_npy(good); }, "8 unexpected bytes");
  io::save_npy(good, Tensor::ones({4, 4}));
  ::truncate(good.c_str(), 100);
  refused_quickly([&] { io::load_npy(good); }, "truncated");
}

TEST_CASE("TF.js shards may not leave the model's folder through links", "[io][tfjs][errors]") {
  const std::string dir = temp_path("linked_tfjs");
  small_model()->save(dir);
  std::ifstream json(dir + "/model.json");
  const Config doc = Config::parse(std::string((std::istreambuf_iterator<char>(json)), std::istreambuf_iterator<char>()));
  const std::string shard = doc.at("weightsManifest")[std::size_t{0}].at("paths")[std::size_t{0}].as_string();
  const std::string outside = temp_path("outside.bin");
  std::rename((dir + "/" + shard).c_str(), outside.c_str());
  REQUIRE(::symlink(outside.c_str(), (dir + "/" + shard).c_str()) == 0);
  refused_quickly([&] { io::load_model(dir); }, "outside the model's folder");
  ::unlink((dir + "/" + shard).c_str());
  REQUIRE(::symlink("/dev/zero", (dir + "/" + shard).c_str()) == 0);
  refused_quickly([&] { io::load_model(dir); }, "outside the model's folder");
  // a link inside the folder is fine
  ::unlink((dir + "/" + shard).c_str());
  std::rename(outside.c_str(), (dir + "/real.bin").c_str());
  REQUIRE(::symlink("real.bin", (dir + "/" + shard).c_str()) == 0);
  CHECK_NOTHROW(io::load_model(dir));
}

TEST_CASE("a TF.js shard whose bytes changed since strata saved it is refused", "[io][tfjs][errors]") {
  const std::string dir = temp_path("flipped_tfjs");
  const auto m = small_model();
  m->save(dir);
  CHECK_NOTHROW(io::load_model(dir));
  std::string shard;
  {
    std::ifstream f(dir + "/model.json");
    const Config doc = Config::parse(std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>()));
    shard = doc.at("weightsManifest")[std::size_t{0}].at("paths")[std::size_t{0}].as_string();
  }
  {
    std::fstream f(dir + "/" + shard, std::ios::binary | std::ios::in | std::ios::out);
    f.seekg(5);
    const char c = static_cast<char>(f.get());
    f.seekp(5);
    f.put(static_cast<char>(c ^ 0x10));  // one bit
  }
  refused_quickly([&] { io::load_model(dir); }, "does not match the hash");
}

TEST_CASE("messages quote at most a readable part of their input", "[errors]") {
  const std::string huge(1 << 20, 'Q');
  try {
    layers::layer_from_config(Config::object({{"class_name", huge}, {"config", Config::object()}}));
    FAIL("no exception");
  } catch (const ValueError& e) {
    const std::string what = e.what();
    CHECK(what.size() < 4000);
    CHECK(what.find("QQQQ") != std::string::npos);
    CHECK(what.find("more characters") != std::string::npos);
  }
}

namespace {
/// Replaces the first `"units": 3` of a config text with `units`.
std::string with_units(std::string text, const std::string& units) {
  const std::string from = "\"units\": 3";
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), "\"units\": " + units);
}
}  // namespace

TEST_CASE("a config asking for more weights than its file holds is refused before they are made",
          "[io][errors]") {
  const auto start = std::chrono::steady_clock::now();
  // TF.js: a 24-element weight shard, a Dense of 55,000,000 units (a 4 GB kernel)
  const std::string dir = temp_path("huge_units_tfjs");
  small_model()->save(dir);
  const std::string json = dir + "/model.json";
  std::string text = slurp(json);
  std::ofstream(json, std::ios::binary | std::ios::trunc) << with_units(text, "55000000");
  CHECK_THROWS_WITH(io::load_model(dir), Catch::Contains("needs more than") && Catch::Contains("holds weight data for (9 elements in all)"));
  // .keras: the same in config.json
  const std::string keras = temp_path("huge_units.keras");
  small_model()->save(keras);
  std::vector<detail::ZipEntry> entries = detail::zip_read(slurp(keras), keras);
  for (auto& e : entries)
    if (e.name == "config.json") e.data = with_units(e.data, "55000000");
  std::ofstream(keras, std::ios::binary | std::ios::trunc) << detail::zip_write(entries, true, keras);
  CHECK_THROWS_WITH(io::load_model(keras), Catch::Contains("weight 'kernel' of shape [2, 55000000]"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  // sizes whose product overflows are refused wherever a layer is made, file or not
  CHECK_THROWS_WITH(
      models::model_from_json(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
          {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 8, 8, 3]}},
          {"class_name": "Conv2D", "config": {"filters": 4, "kernel_size": [2147483651, 2147483651]}}]}})"),
      Catch::Contains("has more elements than any tensor can hold"));
  // and the right model loads
  small_model()->save(dir);
  CHECK_NOTHROW(io::load_model(dir));
}
