// Optimizers against scalar reference implementations of Keras's update rules, clipping,
// weight decay, constraints, state save/restore and schedules.
#include <cmath>

#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

namespace {

/// Three steps of `opt` on w = [1, -2] with gradients g_t = [0.5 t, -0.25 t^2]; returns w.
std::vector<double> run(optimizers::Optimizer& opt, int steps = 3) {
  Variable w(f64({1, -2}, {2}), "w");
  for (int t = 1; t <= steps; ++t) opt.apply_gradients({f64({0.5 * t, -0.25 * t * t}, {2})}, {w});
  return w.value().to_vector<double>();
}

using Ref = std::function<void(double& w, double g, std::vector<double>& s, int t)>;

/// The same steps in plain doubles with a reference update.
std::vector<double> reference(Ref update, std::size_t nslots, double init_slot = 0.0, int steps = 3) {
  std::vector<double> w{1, -2};
  std::vector<std::vector<double>> s(2, std::vector<double>(nslots, init_slot));
  for (int t = 1; t <= steps; ++t) {
    const double g[2] = {0.5 * t, -0.25 * t * t};
    for (int i = 0; i < 2; ++i) update(w[i], g[i], s[i], t);
  }
  return w;
}

void check_same(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i] == Approx(b[i]).epsilon(1e-12));
}

}  // namespace

TEST_CASE("update rules match Keras's formulas", "[optimizers]") {
  const double lr = 0.1;
  {
    optimizers::SGD opt(lr);
    check_same(run(opt), reference([&](double& w, double g, auto&, int) { w -= lr * g; }, 0));
  }
  {
    optimizers::SGD opt(lr, 0.9);
    check_same(run(opt), reference([&](double& w, double g, auto& s, int) {
                 s[0] = 0.9 * s[0] - lr * g;
                 w += s[0];
               }, 1));
  }
  {
    optimizers::SGD opt(lr, 0.9, true);
    check_same(run(opt), reference([&](double& w, double g, auto& s, int) {
                 s[0] = 0.9 * s[0] - lr * g;
                 w += 0.9 * s[0] - lr * g;
               }, 1));
  }
  auto adam_ref = [&](bool ams) {
    return [=](double& w, double g, std::vector<double>& s, int t) {
      s[0] = 0.9 * s[0] + 0.1 * g;
      s[1] = 0.999 * s[1] + 0.001 * g * g;
      double v = s[1];
      if (ams) v = s[2] = std::max(s[2], s[1]);
      const double a = lr * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t));
      w -= a * s[0] / (std::sqrt(v) + 1e-7);
    };
  };
  {
    optimizers::Adam opt(lr);
    check_same(run(opt), reference(adam_ref(false), 2));
  }
  {
    optimizers::Adam opt(lr, 0.9, 0.999, 1e-7, true);
    check_same(run(opt), reference(adam_ref(true), 3));
  }
  {
    optimizers::AdamW opt(lr, 0.05);
    auto base = adam_ref(false);
    check_same(run(opt), reference([&](double& w, double g, auto& s, int t) {
                 w -= lr * 0.05 * w;  // decoupled decay first
                 base(w, g, s, t);
               }, 2));
  }
  {
    optimizers::RMSprop opt(lr, 0.9, 0.5, 1e-7, true);
    check_same(run(opt), reference([&](double& w, double g, auto& s, int) {
                 s[0] = 0.9 * s[0] + 0.1 * g * g;
                 s[2] = 0.9 * s[2] + 0.1 * g;
                 const double inc = lr * g / std::sqrt(s[0] - s[2] * s[2] + 1e-7);
                 s[1] = 0.5 * s[1] + inc;
                 w -= s[1];
               }, 3));
  }
  {
    optimizers::Adagrad opt(lr);
    check_same(run(opt), reference([&](double& w, double g, auto& s, int) {
                 s[0] += g * g;
                 w -= lr * g / std::sqrt(s[0] + 1e-7);
               }, 1, 0.1));
  }
  {
    optimizers::Adadelta opt(lr);
    check_same(run(opt), reference([&](double& w, double g, auto& s, int) {
                 s[0] = 0.95 * s[0] + 0.05 * g * g;
                 const double d = std::sqrt(s[1] + 1e-7) / std::sqrt(s[0] + 1e-7) * g;
                 s[1] = 0.95 * s[1] + 0.05 * d * d;
                 w -= lr * d;
               }, 2));
  }
  {
    optimizers::Adamax opt(lr);
    check_same(run(opt), reference([&](double& w, double g, auto& s, int t) {
                 s[0] = 0.9 * s[0] + 0.1 * g;
                 s[1] = std::max(0.999 * s[1], std::fabs(g));
                 w -= lr / (1 - std::pow(0.9, t)) * s[0] / (s[1] + 1e-7);
               }, 2));
  }
  {
    optimizers::Nadam opt(lr);
    double u_prod = 1.0;
    int last_t = 0;
    check_same(run(opt), reference([&](double& w, double g, auto& s, int t) {
                 const double ut = 0.9 * (1 - 0.5 * std::pow(0.96, t));
                 const double ut1 = 0.9 * (1 - 0.5 * std::pow(0.96, t + 1));
                 if (t != last_t) {
                   u_prod *= ut;
                   last_t = t;
                 }
                 s[0] = 0.9 * s[0] + 0.1 * g;
                 s[1] = 0.999 * s[1] + 0.001 * g * g;
                 const double m_hat = ut1 * s[0] / (1 - u_prod * ut1) + (1 - ut) * g / (1 - u_prod);
                 const double v_hat = s[1] / (1 - std::pow(0.999, t));
                 w -= lr * m_hat / (std::sqrt(v_hat) + 1e-7);
               }, 2));
  }
  {
    optimizers::Lion opt(lr);
    check_same(run(opt), reference([&](double& w, double g, auto& s, int) {
                 const double c = 0.9 * s[0] + 0.1 * g;
                 w -= lr * ((c > 0) - (c < 0));
                 s[0] = 0.99 * s[0] + 0.01 * g;
               }, 1));
  }
}

TEST_CASE("gradient clipping, weight decay and constraints", "[optimizers]") {
  {
    optimizers::SGD opt(1.0);
    opt.clipvalue = 0.5;
    Variable w(f64({0, 0}, {2}), "w");
    opt.apply_gradients({f64({2, -0.1}, {2})}, {w});
    CHECK_TENSOR(w.value(), {2}, {-0.5, 0.1});
  }
  {
    optimizers::SGD opt(1.0);
    opt.clipnorm = 1.0;
    Variable w(f64({0, 0}, {2}), "w");
    opt.apply_gradients({f64({3, 4}, {2})}, {w});  // norm 5 -> 1
    CHECK_TENSOR(w.value(), {2}, {-0.6, -0.8});
  }
  {
    optimizers::SGD opt(1.0);
    opt.global_clipnorm = 5.0;
    Variable a(f64({0}, {1}), "a"), b(f64({0}, {1}), "b");
    opt.apply_gradients({f64({6}, {1}), f64({8}, {1})}, {a, b});  // global norm 10 -> 5
    CHECK_TENSOR(a.value(), {1}, {-3});
    CHECK_TENSOR(b.value(), {1}, {-4});
  }
  {
    optimizers::SGD opt(0.1);
    opt.weight_decay = 0.5;
    opt.exclude_from_weight_decay = {"bias"};
    Variable k(f64({2}, {1}), "dense/kernel"), bias(f64({2}, {1}), "dense/bias");
    opt.apply_gradients({f64({0}, {1}), f64({0}, {1})}, {k, bias});
    CHECK_TENSOR(k.value(), {1}, {2 - 0.1 * 0.5 * 2});
    CHECK_TENSOR(bias.value(), {1}, {2});
  }
  {
    optimizers::SGD opt(1.0);
    Variable w(f64({0.5, 0.5}, {2}), "w");
    w.set_constraint(constraints::non_neg().fn());
    opt.apply_gradients({f64({1, -1}, {2})}, {w});
    CHECK_TENSOR(w.value(), {2}, {0, 1.5});
  }
  optimizers::SGD both(1.0);
  both.clipnorm = 1.0;
  both.clipvalue = 1.0;
  Variable w(f64({0}, {1}), "w");
  CHECK_THROWS_AS(both.apply_gradients({f64({1}, {1})}, {w}), ValueError);
  optimizers::SGD plain(1.0);
  CHECK_THROWS_AS(plain.apply_gradients({f64({1, 2}, {2})}, {w}), ShapeError);
  CHECK_THROWS_AS(plain.apply_gradients({}, {w}), ValueError);
  // undefined gradients leave their variable alone
  plain.apply_gradients({Tensor()}, {w});
  CHECK_TENSOR(w.value(), {1}, {0});
  // an integer variable is refused before any variable is touched
  Variable f(f64({1, 2}, {2}), "f"), n(Tensor::from_vector({1, 2}, {2}, DType::int64), "n");
  CHECK_THROWS_AS(plain.apply_gradients({f64({1, 1}, {2}), f64({1, 1}, {2})}, {f, n}), DTypeError);
  CHECK_THROWS_WITH(plain.apply_gradients({f64({1, 1}, {2}), f64({1, 1}, {2})}, {f, n}),
                    Catch::Contains("'n' is int64"));
  CHECK_TENSOR(f.value(), {2}, {1, 2});
  // a constraint sees its variable's update when the updates of all variables run as one loop
  {
    ThreadsGuard threads;
    set_num_threads(2);
    optimizers::SGD sgd(1.0);
    Variable big(Tensor::full({100000}, 0.5), "big"), other(Tensor::zeros({50000}), "other");
    big.set_constraint(constraints::non_neg().fn());
    sgd.apply_gradients({Tensor::ones({100000}), Tensor::ones({50000})}, {big, other});
    CHECK(array_equal(big.value(), Tensor::zeros({100000})));       // 0.5 - 1 clipped to 0
    CHECK(array_equal(other.value(), Tensor::full({50000}, -1.0)));  // no constraint
  }
}

namespace {

/// Adam whose update_step runs the base class's Update itself and reads the variable.
class RecordingAdam : public optimizers::Adam {
 public:
  using Adam::Adam;
  std::vector<double> seen;  // the first element of each variable after its update

 protected:
  optimizers::Update update_step(const Tensor& g, Variable& v, std::vector<Tensor>& s, double lr,
                                 std::int64_t step) override {
    Adam::update_step(g, v, s, lr, step).run();
    seen.push_back(v.value().to_vector<double>()[0]);
    return {};
  }
};

/// testing::mixed_variables with a fixed seed (the same values on every call).
std::vector<Variable> mixed_variables() {
  Generator gen(5);
  return testing::mixed_variables(gen);
}

std::vector<Tensor> mixed_gradients(int step) {
  Generator gen(static_cast<std::uint64_t>(100 + step));
  std::vector<Tensor> g;
  for (const Variable& v : mixed_variables())
    g.push_back(Tensor::random_normal(v.shape(), 0, 1, v.dtype(), gen));
  return g;
}

}  // namespace

TEST_CASE("updates of all variables run as one loop, in order and with the same bits", "[optimizers][threads]") {
  ThreadsGuard guard;
  set_num_threads(2);
  // a subclass's update_step that runs its Update itself updates its variables one by one (and
  // sees each update applied); the built-in Adam hands its Updates over to run as one loop
  std::vector<Variable> batched = mixed_variables(), one_by_one = mixed_variables();
  optimizers::Adam adam(0.01);
  RecordingAdam recording(0.01);
  adam.weight_decay = recording.weight_decay = 0.1;  // decoupled decay runs before each update
  adam.exclude_from_weight_decay = recording.exclude_from_weight_decay = {"bias"};
  for (int step = 1; step <= 3; ++step) {
    const std::vector<Tensor> g = mixed_gradients(step);
    adam.apply_gradients(g, batched);
    recording.apply_gradients(g, one_by_one);
    for (std::size_t i = 0; i < batched.size(); ++i) {
      INFO("step " << step << ", variable " << batched[i].name());
      CHECK(array_equal(batched[i].value(), one_by_one[i].value()));
      CHECK(recording.seen[(step - 1) * batched.size() + i] == one_by_one[i].value().to_vector<double>()[0]);
    }
  }
  // against a scalar reference for one element of each variable
  std::vector<Variable> fresh = mixed_variables();
  std::vector<double> w, m(fresh.size(), 0.0), v(fresh.size(), 0.0);
  for (const Variable& x : fresh) w.push_back(x.value().to_vector<double>()[0]);
  for (int t = 1; t <= 3; ++t) {
    const std::vector<Tensor> g = mixed_gradients(t);
    for (std::size_t i = 0; i < fresh.size(); ++i) {
      const double gi = g[i].to_vector<double>()[0];
      if (fresh[i].name() != "dense/bias") w[i] *= 1 - 0.01 * 0.1;
      m[i] = 0.9 * m[i] + 0.1 * gi;
      v[i] = 0.999 * v[i] + 0.001 * gi * gi;
      w[i] -= 0.01 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t)) * m[i] / (std::sqrt(v[i]) + 1e-7);
    }
  }
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    INFO(fresh[i].name());
    const double tol = fresh[i].dtype() == DType::float64 ? 1e-12 : 1e-5;
    CHECK(batched[i].value().to_vector<double>()[0] == Approx(w[i]).epsilon(tol));
  }
  // a variable listed twice gets its two updates one after the other, as a subclass's would
  std::vector<Variable> twice = mixed_variables(), twice_ref = mixed_variables();
  optimizers::Adam adam2(0.01);
  RecordingAdam recording2(0.01);
  for (int step = 1; step <= 3; ++step) {
    const std::vector<Tensor> g = mixed_gradients(step), h = mixed_gradients(step + 10);
    adam2.apply_gradients({g[2], h[2], g[0]}, {twice[2], twice[2], twice[0]});
    recording2.apply_gradients({g[2], h[2], g[0]}, {twice_ref[2], twice_ref[2], twice_ref[0]});
    CHECK(array_equal(twice[2].value(), twice_ref[2].value()));
    CHECK(array_equal(twice[0].value(), twice_ref[0].value()));
  }
}

TEST_CASE("worker threads flush denormals in the optimizer's updates as the caller does", "[optimizers][threads]") {
  ThreadsGuard guard;
  set_num_threads(2);
  (void)relu(Tensor::random_normal({1 << 20}));  // workers made outside any flushing scope
  const std::int64_t n = 2000000;                   // long enough for the worker to take chunks
  Variable w(Tensor::ones({n}), "w");
  optimizers::Adam opt(1e-3);
  opt.build({w});
  // a momentum just above float's smallest normal: decayed by 0.9 it would turn denormal
  opt.load_state({{"w/momentum", Tensor::full({n}, 1.2e-38)}, {"w/velocity", Tensor::ones({n})}});
  opt.apply_gradients({Tensor::zeros({n})}, {w});
  const auto st = opt.state();
  REQUIRE(st[1].first == "w/momentum");
  std::int64_t subnormal = 0;
  for (float m : st[1].second.to_vector<float>()) subnormal += std::fpclassify(m) == FP_SUBNORMAL;
  CHECK(subnormal == 0);
  // and outside the optimizer, workers keep denormals as the caller does (whatever mode they
  // were made in: a thread starts in its creator's mode): 1e-38 * 0.5 is a denormal everywhere
  std::int64_t normal = 0;
  const Tensor tiny = Tensor::full({1 << 22}, 1e-38), half = Tensor::full({1 << 22}, 0.5);
  for (float h : mul(tiny, half).to_vector<float>()) normal += std::fpclassify(h) != FP_SUBNORMAL;
  CHECK(normal == 0);
}

TEST_CASE("optimizer state saves and restores exactly", "[optimizers]") {
  auto make = [] { return optimizers::Adam(0.05); };
  Variable a(f64({1, 2, 3}, {3}), "a");
  optimizers::Adam opt = make();
  for (int t = 0; t < 3; ++t) opt.apply_gradients({a.value() * 2.0}, {a});
  const auto st = opt.state();
  REQUIRE(st.size() == 3);
  CHECK(st[0].first == "iterations");
  CHECK(st[0].second.item<std::int64_t>() == 3);
  CHECK(st[1].first == "a/momentum");
  CHECK(st[2].first == "a/velocity");
  // a copy of the variable and the state continue identically
  Variable b(a.value().clone(), "a");
  optimizers::Adam restored = make();
  restored.build({b});
  restored.load_state(st);
  CHECK(restored.iterations() == 3);
  for (int t = 0; t < 2; ++t) {
    opt.apply_gradients({a.value() * 2.0}, {a});
    restored.apply_gradients({b.value() * 2.0}, {b});
  }
  CHECK(array_equal(a.value(), b.value()));
  optimizers::Adam fresh = make();
  CHECK_THROWS_AS(fresh.load_state({{"nope/momentum", Tensor::zeros({3})}}), ValueError);
}

TEST_CASE("optimizers minimize a quadratic", "[optimizers]") {
  for (const std::string name : {"sgd", "adam", "adamw", "rmsprop", "adagrad", "adamax", "nadam"}) {
    INFO(name);
    auto opt = optimizers::get(name);
    opt->set_learning_rate(name == "sgd" ? 0.1 : name == "adagrad" ? 0.5 : 0.05);
    Variable w(f64({3, -2}, {2}), "w");
    for (int i = 0; i < 300; ++i) {
      GradientTape tape;
      Tensor loss = sum(square(w - f64({1, 1}, {2})));
      opt->apply_gradients(tape.gradient(loss, {w}), {w});
    }
    CHECK(allclose(w.value(), f64({1, 1}, {2}), 0, 0.05));
  }
  CHECK_THROWS_WITH(optimizers::get("adamm"), Catch::Contains("adamm"));
}

TEST_CASE("learning-rate schedules follow Keras's formulas", "[optimizers][schedules]") {
  auto e = schedules::ExponentialDecay(0.1, 10, 0.5);
  CHECK(e(0) == Approx(0.1));
  CHECK(e(10) == Approx(0.05));
  CHECK(e(5) == Approx(0.1 * std::pow(0.5, 0.5)));
  CHECK(schedules::ExponentialDecay(0.1, 10, 0.5, true)(15) == Approx(0.05));
  auto p = schedules::PiecewiseConstantDecay({10, 20}, {1.0, 0.5, 0.1});
  CHECK(p(0) == 1.0);
  CHECK(p(10) == 1.0);
  CHECK(p(11) == 0.5);
  CHECK(p(25) == 0.1);
  CHECK(schedules::InverseTimeDecay(1.0, 10, 1.0)(20) == Approx(1.0 / 3));
  auto c = schedules::CosineDecay(1.0, 100, 0.1);
  CHECK(c(0) == Approx(1.0));
  CHECK(c(50) == Approx(0.1 + 0.9 * 0.5));
  CHECK(c(100) == Approx(0.1));
  CHECK(c(500) == Approx(0.1));
  auto w = schedules::CosineDecay(0.0, 100, 0.0, 1.0, 10);
  CHECK(w(5) == Approx(0.5));
  CHECK(w(10) == Approx(1.0));
  CHECK(w(60) == Approx(0.5));
  // an optimizer with a schedule reads it at its iteration count
  optimizers::SGD opt(schedules::PiecewiseConstantDecay({0}, {1.0, 0.1}));
  Variable v(f64({0}, {1}), "v");
  opt.apply_gradients({f64({1}, {1})}, {v});  // step 0: lr 1
  opt.apply_gradients({f64({1}, {1})}, {v});  // step 1: lr 0.1
  CHECK_TENSOR(v.value(), {1}, {-1.1});
  CHECK_THROWS_AS(schedules::PiecewiseConstantDecay({1, 2}, {1.0}), ValueError);
}

TEST_CASE("optimizer slots of zero gradients flush to zero instead of turning denormal", "[optimizers]") {
  // Adam's momentum of a weight whose gradient stays zero decays by 0.9 a step: after ~800 steps
  // it would be a float32 denormal (and every update ~15x slower). Updates flush it to zero.
  Variable w(Tensor::ones({4}), "w");
  optimizers::Adam opt(1e-3);
  opt.apply_gradients({Tensor::full({4}, 1e-3)}, {w});
  for (int i = 0; i < 1000; ++i) opt.apply_gradients({Tensor::zeros({4})}, {w});
  const auto st = opt.state();
  REQUIRE(st[1].first == "w/momentum");
  for (float m : st[1].second.to_vector<float>()) {
    CHECK(std::fpclassify(m) != FP_SUBNORMAL);
    // 1e-4 * 0.9^1000 is far below float's smallest normal: the moment is 0, or (where the
    // decrement m * 0.1 is itself flushed) stays at a tiny normal value, never a denormal
    CHECK(std::fabs(m) < 1e-36f);
  }
  // the caller's floating-point mode is left as it was
  volatile float tiny = 1e-38f;
  CHECK(std::fpclassify(tiny * 0.5f) == FP_SUBNORMAL);
}

namespace {

/// Adam that runs its Update itself, records the updated variable and clamps it to ±bound.
class ClampingAdam : public optimizers::Adam {
 public:
  ClampingAdam(double lr, double bound) : Adam(lr), bound_(bound) {}
  std::vector<std::vector<double>> seen;  // each variable right after Adam's update

 protected:
  optimizers::Update update_step(const Tensor& g, Variable& v, std::vector<Tensor>& s, double lr,
                                 std::int64_t step) override {
    optimizers::Update u = Adam::update_step(g, v, s, lr, step);
    REQUIRE(!u.empty());
    REQUIRE(u.size() == v.size());
    u.run();
    seen.push_back(v.value().to_vector<double>());
    v.assign(clip(v.value(), -bound_, bound_));
    return {};
  }

 private:
  double bound_;
};

/// vel = 0.5 vel + g; w -= lr vel, on float64 variables, as a kernel; logs its calls in order.
class HalfMomentum : public optimizers::Optimizer {
 public:
  explicit HalfMomentum(double lr) : Optimizer("HalfMomentum", lr) {}
  std::vector<std::string> slot_names() const override { return {"velocity"}; }
  std::string class_name() const override { return "HalfMomentum"; }
  std::vector<std::string> log;  // "step <variable>" per update_step, "run <variable>" per kernel call

 protected:
  optimizers::Update update_step(const Tensor& g, Variable& v, std::vector<Tensor>& s, double lr,
                                 std::int64_t) override {
    log.push_back("step " + v.name());
    double* w = v.mutable_data<double>();
    double* vel = s[0].mutable_data<double>();
    const double* gp = g.data<double>();
    std::vector<std::string>* out = &log;
    const std::string name = v.name();
    return {v.size(), [=](std::int64_t b, std::int64_t e) {
              out->push_back("run " + name);
              for (std::int64_t k = b; k < e; ++k) {
                vel[k] = 0.5 * vel[k] + gp[k];
                w[k] -= lr * vel[k];
              }
            }};
  }
};

/// Plain SGD through public ops, done in update_step itself (nothing handed over).
class DirectSGD : public optimizers::Optimizer {
 public:
  explicit DirectSGD(double lr) : Optimizer("DirectSGD", lr) {}
  std::vector<std::string> slot_names() const override { return {}; }
  std::string class_name() const override { return "DirectSGD"; }
  std::int64_t wrong_size = 0;  // when set, hands over an Update of this many elements instead

 protected:
  optimizers::Update update_step(const Tensor& g, Variable& v, std::vector<Tensor>&, double lr,
                                 std::int64_t) override {
    if (wrong_size) return {wrong_size, [](std::int64_t, std::int64_t) {}};
    v.assign(v.value() - g * lr);
    return {};
  }
};

}  // namespace

TEST_CASE("a subclass runs Adam's Update itself and reads the updated variable", "[optimizers]") {
  // Adam's first two steps in plain doubles (Keras's formula, no decay): m, v start at zero
  auto adam = [](double& w, double g, double& m, double& v, int t) {
    m = 0.9 * m + 0.1 * g;
    v = 0.999 * v + 0.001 * g * g;
    w -= 0.1 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t)) * m / (std::sqrt(v) + 1e-7);
  };
  ClampingAdam opt(0.1, 1.5);
  Variable w(f64({1, -2, 0.5}, {3}), "w");
  const std::vector<double> g{0.5, -1, 2};
  std::vector<double> ref{1, -2, 0.5}, m(3, 0.0), v(3, 0.0);
  for (int t = 1; t <= 2; ++t) {
    opt.apply_gradients({f64(g, {3})}, {w});
    for (int i = 0; i < 3; ++i) adam(ref[i], g[i], m[i], v[i], t);
    REQUIRE(opt.seen.size() == static_cast<std::size_t>(t));
    for (int i = 0; i < 3; ++i) CHECK(opt.seen.back()[i] == Approx(ref[i]).epsilon(1e-12));  // updated, not clamped
    for (double& r : ref) r = std::min(1.5, std::max(-1.5, r));  // the clamp
    const std::vector<double> now = w.value().to_vector<double>();
    for (int i = 0; i < 3; ++i) CHECK(now[i] == Approx(ref[i]).epsilon(1e-12));
  }
  // Adam's first step moves each weight by lr (less a hair, from epsilon) against its gradient
  CHECK(opt.seen[0][0] == Approx(0.9).margin(1e-5));
  CHECK(opt.seen[0][1] == Approx(-1.9).margin(1e-5));
  CHECK(opt.seen[0][2] == Approx(0.4).margin(1e-5));
  // the second step starts from the clamped -1.5 (and Adam's step is again about lr)
  CHECK(w.value().to_vector<double>()[1] == Approx(-1.4).margin(1e-5));
}

TEST_CASE("a custom optimizer's Update runs with the others after every update_step", "[optimizers]") {
  HalfMomentum opt(0.1);
  Variable a(f64({1, 2}, {2}), "a"), b(f64({0}, {1}), "b");
  opt.apply_gradients({f64({1, -1}, {2}), f64({4}, {1})}, {a, b});
  CHECK(opt.log == std::vector<std::string>{"step a", "step b", "run a", "run b"});
  CHECK_TENSOR(a.value(), {2}, {0.9, 2.1}, 1e-12);  // vel = g
  CHECK_TENSOR(b.value(), {1}, {-0.4}, 1e-12);
  opt.apply_gradients({f64({1, 1}, {2}), f64({4}, {1})}, {a, b});
  CHECK_TENSOR(a.value(), {2}, {0.9 - 0.1 * 1.5, 2.1 - 0.1 * 0.5}, 1e-12);  // vel = [0.5 + 1, -0.5 + 1]
  CHECK_TENSOR(b.value(), {1}, {-0.4 - 0.1 * 6}, 1e-12);                    // vel = 2 + 4
  // an update_step that does its work itself returns {}; the constraint applies after it
  DirectSGD direct(1.0);
  Variable w(f64({0.5, -0.5}, {2}), "w");
  w.set_constraint(constraints::non_neg().fn());
  direct.apply_gradients({f64({1, -1}, {2})}, {w});
  CHECK_TENSOR(w.value(), {2}, {0, 0.5}, 1e-12);  // [-0.5, 0.5], then non-negative
  // an Update for another number of elements than its variable's is refused
  direct.wrong_size = 3;
  CHECK_THROWS_WITH(direct.apply_gradients({f64({1, -1}, {2})}, {w}),
                    Catch::Contains("update of 3 elements for variable 'w' of 2"));
  // run() on an empty Update does nothing
  optimizers::Update none;
  CHECK(none.empty());
  none.run();
}

TEST_CASE("a variable listed twice gets both updates in list order", "[optimizers]") {
  {  // SGD with momentum 0.9, lr 0.1: the second update starts from the first's weight and velocity
    optimizers::SGD opt(0.1, 0.9);
    Variable w(f64({1}, {1}), "w"), other(f64({2}, {1}), "other");
    opt.apply_gradients({f64({1}, {1}), f64({3}, {1}), f64({2}, {1})}, {w, other, w});
    CHECK_TENSOR(w.value(), {1}, {0.61}, 1e-12);     // vel -0.1, w 0.9; vel 0.9 * -0.1 - 0.2 = -0.29, w 0.61
    CHECK_TENSOR(other.value(), {1}, {1.7}, 1e-12);  // vel -0.3
  }
  {  // the Updates so far run before the second update_step of a variable
    HalfMomentum opt(0.1);
    Variable w(f64({1}, {1}), "w"), other(f64({2}, {1}), "other");
    opt.apply_gradients({f64({1}, {1}), f64({3}, {1}), f64({2}, {1})}, {w, other, w});
    CHECK(opt.log == std::vector<std::string>{"step w", "step other", "run w", "run other", "step w", "run w"});
    CHECK_TENSOR(w.value(), {1}, {0.65}, 1e-12);     // vel 1, w 0.9; vel 0.5 + 2 = 2.5, w 0.65 (reversed: 0.6)
    CHECK_TENSOR(other.value(), {1}, {1.7}, 1e-12);  // vel 3
  }
  {  // decoupled weight decay runs first, for each listing (Keras's order), then the updates
    optimizers::SGD opt(0.1);
    opt.weight_decay = 0.5;
    Variable w(f64({1}, {1}), "w");
    opt.apply_gradients({f64({1}, {1}), f64({2}, {1})}, {w, w});
    CHECK_TENSOR(w.value(), {1}, {0.95 * 0.95 - 0.1 - 0.2}, 1e-12);
  }
}

TEST_CASE("clipping and weight decay refuse values that would reverse or skip the update", "[optimizers]") {
  Variable w(Tensor::from_vector(std::vector<double>{1.0}, {1}), "w");
  const Tensor g = Tensor::from_vector(std::vector<double>{0.5}, {1});
  for (const char* which : {"clipnorm", "clipvalue", "global_clipnorm"}) {
    INFO(which);
    optimizers::SGD o(0.1);
    const std::string w_str = which;
    if (w_str == "clipnorm") o.clipnorm = -1.0;
    if (w_str == "clipvalue") o.clipvalue = 0.0;
    if (w_str == "global_clipnorm") o.global_clipnorm = -2.0;
    CHECK_THROWS_WITH(o.apply_gradients({g}, {w}), Catch::Contains(w_str + " must be positive"));
  }
  optimizers::AdamW a(0.1);
  a.weight_decay = -0.5;
  CHECK_THROWS_WITH(a.apply_gradients({g}, {w}), Catch::Contains("weight_decay must be >= 0, got -0.5"));
  CHECK(w.value().item<double>() == 1.0);  // nothing was applied
  // a state whose iteration count is not one number
  optimizers::SGD s(0.1);
  CHECK_THROWS_WITH(s.load_state({{"iterations", Tensor::zeros({2}, DType::int64)}}),
                    Catch::Contains("state 'iterations' has shape [2], expected one number"));
}
