// Saves that lose nothing: subclassed and nested models round-trip every weight in every
// weight format, loads that would leave weights unassigned are refused, whole-model saves that
// could not be loaded are refused before anything is written, and stale temporaries of crashed
// saves are cleared (and nobody else's files).
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

#include <fstream>
#include <set>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;
using layers::Dense;

namespace {

/// A subclassed model: two tracked Dense layers and a weight of its own.
class TwoLayer : public Model {
 public:
  TwoLayer() : Model("two_layer") {
    hidden = track(std::make_shared<Dense>(6, ActivationFn("relu")));
    out = track(std::make_shared<Dense>(2));
  }
  std::string class_name() const override { return "TwoLayer"; }
  std::shared_ptr<Dense> hidden, out;
  Variable scale;

 protected:
  void build(const Shape&) override { scale = add_weight("scale", {2}, "ones"); }
  Tensor call(const Tensor& x, bool training) override { return (*out)((*hidden)(x, training), training) * scale; }
};

/// A subclassed model holding a Sequential and a functional model (nesting both ways).
class Nested : public Model {
 public:
  Nested() : Model("nested") {
    stack = track(std::make_shared<Sequential>(std::vector<layers::LayerRef>{Dense(5, "tanh"), Dense(3)}));
    KerasTensor in = Input({3});
    head = track(std::make_shared<Model>(in, Dense(2)(in), "head"));
  }
  std::string class_name() const override { return "Nested"; }
  std::shared_ptr<Sequential> stack;
  std::shared_ptr<Model> head;

 protected:
  Tensor call(const Tensor& x, bool training) override { return (*head)((*stack)(x, training), training); }
};

template <class M>
std::shared_ptr<M> built(std::uint64_t seed) {
  clear_session();  // the same layer names for every instance (.npz and .strata match by name)
  set_seed(seed);
  auto m = std::make_shared<M>();
  (*m)(Tensor::random_normal({2, 4}));
  return m;
}

void check_same(const Model& a, const Model& b) {
  const auto wa = a.get_weights(), wb = b.get_weights();
  REQUIRE(wa.size() == wb.size());
  for (std::size_t i = 0; i < wa.size(); ++i) CHECK(array_equal(wa[i], wb[i]));
}

std::set<std::string> folder(const std::string& dir) {
  std::set<std::string> out;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d))
      if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") out.insert(e->d_name);
    closedir(d);
  }
  return out;
}

bool exists(const std::string& p) {
  struct stat st {};
  return stat(p.c_str(), &st) == 0;
}

void plant(const std::string& p) { std::ofstream(p) << "planted"; }

/// A pid no process has: a child that has exited and been reaped.
long dead_pid() {
  const pid_t c = fork();
  if (c == 0) _exit(0);
  waitpid(c, nullptr, 0);
  return static_cast<long>(c);
}

}  // namespace

TEST_CASE("subclassed and nested models round-trip every weight in every weight format", "[io][save_safety]") {
  for (const std::string ext : {".weights.h5", ".npz", ".strata", ".h5"}) {
    INFO(ext);
    auto a = built<Nested>(1);
    REQUIRE(a->weights().size() == 6);
    const std::string path = temp_path("nested" + ext);
    a->save_weights(path);
    auto b = built<Nested>(2);
    CHECK_FALSE(array_equal(b->get_weights()[0], a->get_weights()[0]));
    b->load_weights(path);
    check_same(*a, *b);
    const Tensor x = Tensor::random_normal({3, 4});
    CHECK(array_equal((*a)(x), (*b)(x)));
  }
  for (const std::string ext : {".weights.h5", ".npz", ".strata"}) {
    INFO(ext);
    auto a = built<TwoLayer>(1);
    a->scale.assign(Tensor::from_vector({2.0, -3.0}, {2}));
    const std::string path = temp_path("two" + ext);
    a->save_weights(path);
    auto b = built<TwoLayer>(2);
    b->load_weights(path);
    check_same(*a, *b);
    CHECK(values(b->scale.value()) == std::vector<double>{2.0, -3.0});
  }
  // the names and paths the files use
  auto m = built<TwoLayer>(1);
  std::vector<std::string> names;
  for (const auto& [name, var] : io::named_weights(*m)) names.push_back(name);
  CHECK(names == std::vector<std::string>{"dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias",
                                          "two_layer/scale"});
  m->save_weights(temp_path("two.npz"));
  CHECK(io::load_npz(temp_path("two.npz")).size() == 5);
  // Keras 2's layout has no place for a model's own weight
  CHECK_THROWS_WITH(m->save_weights(temp_path("two.h5")), Catch::Contains("two_layer/scale") && Catch::Contains(".weights.h5"));
  // a functional model holding a subclassed one
  auto outer = [](std::uint64_t seed) {
    clear_session();
    set_seed(seed);
    auto inner = std::make_shared<TwoLayer>();
    KerasTensor in = Input({4});
    return std::make_shared<Model>(in, Dense(1)((*inner)(in)), "outer");
  };
  auto saved = outer(4), loaded = outer(5);
  saved->save_weights(temp_path("outer.weights.h5"));
  CHECK_FALSE(array_equal(saved->get_weights()[1], loaded->get_weights()[1]));  // [0] is the scale (ones)
  loaded->load_weights(temp_path("outer.weights.h5"));
  check_same(*saved, *loaded);
}

TEST_CASE("a load that assigns nothing or leaves a weight unassigned is refused", "[io][save_safety]") {
  auto a = built<TwoLayer>(1);
  a->save_weights(temp_path("a.weights.h5"));
  a->save_weights(temp_path("a.npz"));
  // another model's file
  clear_session();
  KerasTensor in = Input({4});
  Model other(in, Dense(3)(in), "other");
  other.save_weights(temp_path("other.weights.h5"));
  auto b = built<TwoLayer>(2);
  const std::vector<Tensor> before = b->get_weights();
  CHECK_THROWS_WITH(b->load_weights(temp_path("other.weights.h5")), Catch::Contains("other.weights.h5"));
  for (std::size_t i = 0; i < before.size(); ++i) CHECK(array_equal(b->get_weights()[i], before[i]));
  // a model not built yet has no weights: nothing would be loaded
  clear_session();
  TwoLayer fresh;
  CHECK_THROWS_WITH(fresh.load_weights(temp_path("a.weights.h5")),
                    Catch::Contains("not built") && Catch::Contains("call it once"));
  CHECK_THROWS_WITH(fresh.load_weights(temp_path("a.npz")), Catch::Contains("not built"));
  CHECK_THROWS_WITH(fresh.save_weights(temp_path("fresh.npz")), Catch::Contains("not built"));
  CHECK_FALSE(exists(temp_path("fresh.npz")));
  // a model without weights given a file with some
  clear_session();
  KerasTensor fin = Input({4});
  Model flat(fin, layers::Flatten()(fin), "flat");
  CHECK_THROWS_WITH(flat.load_weights(temp_path("a.weights.h5")), Catch::Contains("'vars' holds 1 variables"));
  CHECK_THROWS_WITH(flat.load_weights(temp_path("a.npz")), Catch::Contains("'dense/bias' matches no weight"));
  // Keras 2's .h5 by layer order: a model weight the file has no value for is named
  clear_session();
  KerasTensor kin = Input({4});
  Model two_dense(kin, Dense(2)(Dense(6, "relu")(kin)), "two");
  two_dense.save_weights(temp_path("two_dense.h5"));
  auto c = built<TwoLayer>(3);
  CHECK_THROWS_WITH(c->load_weights(temp_path("two_dense.h5")),
                    Catch::Contains("no value") && Catch::Contains("two_layer/scale"));
}

TEST_CASE("whole-model saves that could not be loaded are refused before anything is written", "[io][save_safety]") {
  auto m = built<TwoLayer>(1);
  for (const std::string name : {"sub.strata", "sub.keras", "sub.h5", "sub_web"}) {
    INFO(name);
    CHECK_THROWS_WITH(m->save(temp_path(name)), Catch::Contains("'two_layer' is a subclassed model") &&
                                                    Catch::Contains("save its weights instead"));
    CHECK_FALSE(exists(temp_path(name)));
  }
  // a subclassed model's .strata weights hold no config: load_model says what to do
  m->save_weights(temp_path("sub_w.strata"));
  CHECK_THROWS_WITH(io::load_model(temp_path("sub_w.strata")), Catch::Contains("call load_weights"));
  // an unnamed Lambda could be saved but never loaded
  clear_session();
  KerasTensor in = Input({3});
  auto lam = std::make_shared<layers::Lambda>([](const Tensor& x) { return x * 2.0; });
  Model with_lambda(in, Dense(2)((*lam)(in)), "with_lambda");
  for (const std::string name : {"lam.strata", "lam.keras", "lam.h5"}) {
    INFO(name);
    CHECK_THROWS_WITH(with_lambda.save(temp_path(name)),
                      Catch::Contains("Lambda layer 'lambda' has no function name") && Catch::Contains(name));
    CHECK_FALSE(exists(temp_path(name)));
  }
  lam->function_name = "not_registered_anywhere";
  CHECK_THROWS_WITH(with_lambda.save(temp_path("lam.strata")), Catch::Contains("not_registered_anywhere"));
  layers::register_function("save_safety_double", [](const Tensor& x) { return x * 2.0; });
  lam->function_name = "save_safety_double";
  with_lambda.save(temp_path("lam.strata"));
  const Tensor x = Tensor::random_normal({2, 3});
  CHECK(array_equal(io::load_model(temp_path("lam.strata"))->predict(x), with_lambda.predict(x)));
  // a failed TF.js save leaves no folder behind
  clear_session();
  KerasTensor q = Input({4, 8});
  Model attention(q, layers::MultiHeadAttention(2, 4)({q, q}), "attention");
  const std::string web = temp_path("mha_web/deeper");
  CHECK_THROWS_WITH(io::save_model(attention, web, io::Format::tfjs), Catch::Contains("MultiHeadAttention"));
  CHECK_FALSE(exists(temp_path("mha_web")));
}

TEST_CASE("a save removes its target's stale temporaries and nobody else's files", "[io][save_safety]") {
  clear_session();
  KerasTensor in = Input({4});
  Model m(in, Dense(2)(in), "m");
  const std::string dir = temp_path("temps");
  mkdir(dir.c_str(), 0755);
  const std::string dead = std::to_string(dead_pid());
  const std::string self = std::to_string(getpid());
  plant(dir + "/m.strata.strata-tmp-" + dead + "-0");          // a crashed save of m.strata
  plant(dir + "/m.strata.strata-tmp-" + self + "-999999");     // ours, but no save of ours writes it
  plant(dir + "/m.strata.strata-tmp-1-5");                     // pid 1 is alive, but a day old:
  struct utimbuf old {};
  old.actime = old.modtime = time(nullptr) - 2 * 24 * 3600;
  utime((dir + "/m.strata.strata-tmp-1-5").c_str(), &old);
  plant(dir + "/m.strata.strata-tmp-1-6");                     // pid 1, fresh: maybe writing now
  plant(dir + "/other.strata.strata-tmp-" + dead + "-0");      // another target's
  plant(dir + "/m.strata.tmp.abc123");                         // not strata's names
  plant(dir + "/m.strata.strata-tmp-notes");
  plant(dir + "/m.strata.strata-tmp-" + dead + "-0.keep");
  m.save(dir + "/m.strata");
  CHECK(folder(dir) == std::set<std::string>{"m.strata", "m.strata.strata-tmp-1-6", "other.strata.strata-tmp-" + dead + "-0",
                                             "m.strata.tmp.abc123", "m.strata.strata-tmp-notes",
                                             "m.strata.strata-tmp-" + dead + "-0.keep"});
  // a TF.js folder: the temporaries of its shards and model.json, whatever their hash
  const std::string web = temp_path("temps_web");
  mkdir(web.c_str(), 0755);
  plant(web + "/group1-shard1of1.0badc0de.bin.strata-tmp-" + dead + "-3");
  plant(web + "/model.json.strata-tmp-" + dead + "-4");
  plant(web + "/notes.txt");
  plant(web + "/notes.txt.strata-tmp-" + dead + "-1");
  io::save_model(m, web, io::Format::tfjs);
  std::set<std::string> left = folder(web);
  CHECK(left.count("model.json") == 1);
  CHECK(left.count("notes.txt") == 1);
  CHECK(left.count("notes.txt.strata-tmp-" + dead + "-1") == 1);
  CHECK(left.size() == 4);  // and the one shard
  for (const std::string& f : left) CHECK(f.find("0badc0de") == std::string::npos);
}

TEST_CASE("saves killed midway leave temporaries that the next save clears", "[io][save_safety]") {
  clear_session();
  set_seed(8);
  KerasTensor in = Input({1024});
  Model big(in, Dense(2048)(in), "big");
  const std::string dir = temp_path("killed_temps");
  mkdir(dir.c_str(), 0755);
  const std::string path = dir + "/big.strata";
  big.save(path);
  // kill saves until one dies between creating its temporary and renaming it
  std::set<std::string> left;
  for (int attempt = 0; attempt < 60 && folder(dir).size() < 2; ++attempt) {
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0)
      for (;;) big.save(path);
    usleep(static_cast<useconds_t>(2000 + 1500 * attempt));
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    left = folder(dir);
  }
  left.erase("big.strata");
  REQUIRE(left.size() == 1);
  CHECK(left.begin()->rfind("big.strata.strata-tmp-", 0) == 0);
  big.save(path);
  CHECK(folder(dir) == std::set<std::string>{"big.strata"});
}
