// GradientTape semantics (TensorFlow 2's), memory release, threads, functional helpers.
#include <thread>

#include "support/helpers.hpp"
#include "support/pass_op.hpp"

using namespace strata;
using namespace strata::testing;

TEST_CASE("gradient of a simple expression", "[tape]") {
  Tensor x = f64({1, 2, 3}, {3});
  GradientTape tape;
  tape.watch(x);
  Tensor y = sum(x * x + x * 3.0);  // dy/dx = 2x + 3
  auto g = tape.gradient(y, {x});
  REQUIRE(g.size() == 1);
  CHECK_TENSOR(g[0], {3}, {5, 7, 9});
}

TEST_CASE("a non-scalar target differentiates its sum, or takes output_gradient", "[tape]") {
  Tensor x = f64({1, 2}, {2});
  {
    GradientTape tape;
    tape.watch(x);
    Tensor y = x * x;
    CHECK_TENSOR(tape.gradient(y, {x})[0], {2}, {2, 4});
  }
  {
    GradientTape tape;
    tape.watch(x);
    Tensor y = x * x;
    CHECK_TENSOR(tape.gradient(y, {x}, f64({10, -1}, {2}))[0], {2}, {20, -4});
  }
  {
    GradientTape tape;
    tape.watch(x);
    Tensor y = x * x;
    CHECK_THROWS_AS(tape.gradient(y, {x}, f64({1, 2, 3}, {3})), ShapeError);
  }
}

TEST_CASE("a non-persistent tape computes one gradient; a persistent one many", "[tape]") {
  Tensor x = f64({2}, {1});
  GradientTape once;
  once.watch(x);
  Tensor y = x * x;
  once.gradient(y, {x});
  CHECK_THROWS_AS(once.gradient(y, {x}), RuntimeError);

  GradientTape many(/*persistent=*/true);
  many.watch(x);
  Tensor z = x * x * x;
  Tensor w = x * 5.0;
  CHECK_TENSOR(many.gradient(z, {x})[0], {1}, {12});
  CHECK_TENSOR(many.gradient(w, {x})[0], {1}, {5});
  CHECK_TENSOR(many.gradient(z, {x})[0], {1}, {12});
}

TEST_CASE("nested tapes give higher-order gradients", "[tape]") {
  Tensor x = f64({3}, {});
  GradientTape outer;
  outer.watch(x);
  Tensor dy;
  {
    GradientTape inner;
    inner.watch(x);
    Tensor y = x * x * x;
    dy = inner.gradient(y, {x})[0];
  }
  CHECK(dy.item<double>() == Approx(27));
  CHECK(outer.gradient(dy, {x})[0].item<double>() == Approx(18));  // d2/dx2 x^3 = 6x

  // third order through three tapes: d3/dx3 of x^4 = 24x
  Tensor t = f64({2}, {});
  GradientTape t1;
  t1.watch(t);
  Tensor d2;
  {
    GradientTape t2;
    t2.watch(t);
    Tensor d1;
    {
      GradientTape t3;
      t3.watch(t);
      d1 = t3.gradient(pow(t, 4.0), {t})[0];
    }
    d2 = t2.gradient(d1, {t})[0];
  }
  CHECK(d2.item<double>() == Approx(48));  // 12 x^2
  CHECK(t1.gradient(d2, {t})[0].item<double>() == Approx(48));  // 24 x
}

TEST_CASE("trainable Variables are watched automatically", "[tape][variable]") {
  Variable w(f64({1, 2}, {2}), "w");
  Variable frozen(f64({3, 4}, {2}), "frozen", /*trainable=*/false);
  GradientTape tape(true);
  Tensor y = sum(w * frozen);
  auto g = tape.gradient(y, {w, frozen});
  CHECK_TENSOR(g[0], {2}, {3, 4});
  CHECK_TENSOR(g[1], {2}, {0, 0});  // not watched: unconnected, zeros by default
  GradientTape explicit_tape;
  explicit_tape.watch(frozen);
  Tensor z = sum(frozen * frozen);
  CHECK_TENSOR(explicit_tape.gradient(z, {frozen})[0], {2}, {6, 8});

  GradientTape manual(false, /*watch_accessed_variables=*/false);
  Tensor q = sum(w * w);
  CHECK_TENSOR(manual.gradient(q, {w})[0], {2}, {0, 0});
}

TEST_CASE("a Variable read twice, or updated between reads, sums its gradients", "[tape][variable]") {
  Variable w(f64({2}, {1}), "w");
  GradientTape tape;
  Tensor a = w * 3.0;
  w.assign(f64({5}, {1}));  // the tape keeps the value it read
  Tensor b = w * w;
  auto g = tape.gradient(a + b, {w});
  CHECK_TENSOR(g[0], {1}, {3 + 10});
}

TEST_CASE("unconnected sources: zeros, none or an error", "[tape]") {
  Tensor x = f64({1}, {1});
  Tensor unused = f64({1, 2}, {2});
  {
    GradientTape tape;
    tape.watch(x);
    tape.watch(unused);
    auto g = tape.gradient(x * 2.0, {x, unused});
    CHECK_TENSOR(g[1], {2}, {0, 0});
  }
  {
    GradientTape tape;
    tape.watch(x);
    auto g = tape.gradient(x * 2.0, {x, unused}, Tensor(), UnconnectedGradients::none);
    CHECK_FALSE(g[1].defined());
  }
  {
    GradientTape tape;
    tape.watch(x);
    Variable v(f64({1}, {1}), "lonely");
    CHECK_THROWS_WITH(tape.gradient(x * 2.0, {v}, Tensor(), UnconnectedGradients::error),
                      Catch::Contains("lonely"));
  }
}

TEST_CASE("stop_recording, NoGradGuard and stop_gradient", "[tape]") {
  Tensor x = f64({2}, {1});
  GradientTape tape(true);
  tape.watch(x);
  Tensor y = x * x;
  Tensor z;
  {
    auto pause = tape.stop_recording();
    z = y * 10.0;  // not recorded: z is a constant to the tape
  }
  CHECK_TENSOR(tape.gradient(y + z, {x})[0], {1}, {4});
  std::size_t before = tape.num_records();
  {
    NoGradGuard guard;
    Tensor w = x * x;
    (void)w;
  }
  CHECK(tape.num_records() == before);
  Tensor s = stop_gradient(x) * x;
  CHECK_TENSOR(tape.gradient(s, {x})[0], {1}, {2});  // only the second factor
}

TEST_CASE("after a non-persistent gradient the tape holds no tensors", "[tape][memory]") {
  Tensor x = f64({1, 2, 3}, {3});
  GradientTape tape;
  tape.watch(x);
  Tensor h = tanh(x);
  std::weak_ptr<detail::TensorImpl> weak_h = h.impl_ptr();
  Tensor y = sum(h * x);
  h = Tensor();
  CHECK_FALSE(weak_h.expired());  // tanh's output is saved for its backward
  CHECK(tape.num_records() >= 3);
  CHECK(tape.saved_bytes() > 0);
  tape.gradient(y, {x});
  CHECK(tape.num_records() == 0);
  CHECK(tape.saved_bytes() == 0);
  CHECK(weak_h.expired());  // released
}

TEST_CASE("a tape that goes out of scope frees what it recorded", "[tape][memory]") {
  Tensor x = f64({1, 2, 3}, {3});
  std::weak_ptr<detail::TensorImpl> weak;
  {
    GradientTape tape(true);
    tape.watch(x);
    Tensor h = exp(x);
    weak = h.impl_ptr();
    Tensor y = sum(h);
  }
  CHECK(weak.expired());
}

TEST_CASE("tapes in two threads never mix", "[tape][threads]") {
  Tensor a = f64({2}, {1});
  Tensor b = f64({3}, {1});
  Tensor ga, gb;
  std::size_t records_a = 0;
  std::thread t1([&] {
    GradientTape tape;
    tape.watch(a);
    Tensor y = a * a;
    for (int i = 0; i < 200; ++i) y = y * 1.0;
    records_a = tape.num_records();
    ga = tape.gradient(y, {a})[0];
  });
  std::thread t2([&] {
    GradientTape tape;
    tape.watch(b);
    Tensor y = b * b * b;
    gb = tape.gradient(y, {b})[0];
  });
  t1.join();
  t2.join();
  CHECK(records_a == 201);
  CHECK_TENSOR(ga, {1}, {4});
  CHECK_TENSOR(gb, {1}, {27});
  // No tape in this thread: ops do not record anywhere.
  CHECK(autograd::recording_disabled());
}

TEST_CASE("ops without a watching tape are not recorded", "[tape]") {
  Tensor x = f64({1}, {1});
  Tensor c = f64({2}, {1});
  GradientTape tape;
  Tensor k = c * c;  // nothing watched yet
  CHECK(tape.num_records() == 0);
  tape.watch(x);
  Tensor y = x * k;
  CHECK(tape.num_records() == 1);
  CHECK_TENSOR(tape.gradient(y, {x, k})[1], {1}, {0});  // k is a constant: not tracked
}

TEST_CASE("gradients with respect to intermediate tensors", "[tape]") {
  Tensor x = f64({2}, {1});
  GradientTape tape;
  tape.watch(x);
  Tensor h = x * 3.0;
  Tensor y = h * h;
  auto g = tape.gradient(y, {h, x});
  CHECK_TENSOR(g[0], {1}, {12});  // 2h
  CHECK_TENSOR(g[1], {1}, {36});  // 2h * 3
}

TEST_CASE("only float tensors can be watched", "[tape]") {
  GradientTape tape;
  CHECK_THROWS_AS(tape.watch(Tensor::ones({2}, DType::int64)), DTypeError);
  CHECK_THROWS_AS(tape.watch(Tensor()), ValueError);
}

TEST_CASE("custom ops record their own backward", "[tape][custom]") {
  // cube(x) with a deliberately hand-written backward 3x^2.
  auto cube = [](const Tensor& x) {
    Tensor out;
    {
      NoGradGuard kernel_only;  // the forward's own ops are not recorded
      out = x * x * x;
    }
    if (autograd::should_record({&x}))
      autograd::record("cube", {&x}, {&out}, {x}, [](const autograd::BackwardContext& c) {
        return std::vector<Tensor>{c.grad() * square(c.saved(0)) * 3.0};
      });
    return out;
  };
  Tensor x = f64({2}, {1});
  GradientTape tape;
  tape.watch(x);
  Tensor y = cube(x);
  CHECK(tape.num_records() == 1);
  CHECK_TENSOR(tape.gradient(y, {x})[0], {1}, {12});
  CHECK_GRADCHECK(gradcheck([&](const std::vector<Tensor>& in) { return cube(in[0]); }, {f64({0.5, -1.5}, {2})}));
}

TEST_CASE("a backward returning a wrong shape is reported", "[tape][custom]") {
  Tensor x = f64({1, 2}, {2});
  GradientTape tape;
  tape.watch(x);
  Tensor y = x.clone();
  autograd::record("broken", {&x}, {&y}, {}, [](const autograd::BackwardContext&) {
    return std::vector<Tensor>{Tensor::ones({3}, DType::float64)};
  });
  CHECK_THROWS_WITH(tape.gradient(sum(y), {x}), Catch::Contains("broken") && Catch::Contains("[3]"));
}

TEST_CASE("dump and to_dot describe the records", "[tape]") {
  Tensor x = f64({1, 2, 3, 4}, {2, 2});
  GradientTape tape;
  tape.watch(x);
  Tensor y = sum(tanh(matmul(x, x)));
  const std::string d = tape.dump();
  CHECK(d.find("matmul") != std::string::npos);
  CHECK(d.find("[2, 2] float64") != std::string::npos);
  CHECK(d.find("tanh") != std::string::npos);
  const std::string dot = tape.to_dot();
  CHECK(dot.rfind("digraph tape {", 0) == 0);
  CHECK(dot.find("op0 -> op1") != std::string::npos);
  CHECK(dot.find("t0 -> op0") != std::string::npos);
}

TEST_CASE("jacobian, hvp and value_and_grad", "[tape][functional]") {
  Tensor x = f64({1, 2}, {2});
  Tensor J = jacobian([](const Tensor& t) { return t * t; }, x);
  CHECK_TENSOR(J, {2, 2}, {2, 0, 0, 4});
  Tensor J2 = jacobian([](const Tensor& t) { return matmul(f64({1, 2, 3, 4, 5, 6}, {3, 2}), t); }, x);
  CHECK_TENSOR(J2, {3, 2}, {1, 2, 3, 4, 5, 6});
  // f = sum(x^3): H = diag(6x); H v = 6 x v
  Tensor hv = hvp([](const Tensor& t) { return sum(t * t * t); }, x, f64({1, -1}, {2}));
  CHECK_TENSOR(hv, {2}, {6, -12});
  // f = (x0 x1)^2: H = [[2 x1^2, 4 x0 x1], [4 x0 x1, 2 x0^2]] = [[8, 8], [8, 2]]
  Tensor hv2 = hvp([](const Tensor& t) { return square(prod(t)); }, x, f64({1, 0}, {2}));
  CHECK_TENSOR(hv2, {2}, {8, 8});
  auto [v, g] = value_and_grad([](const Tensor& t) { return sum(exp(t)); }, x);
  CHECK(v.item<double>() == Approx(std::exp(1.0) + std::exp(2.0)));
  CHECK_TENSOR(g, {2}, {std::exp(1.0), std::exp(2.0)});
  CHECK_THROWS_AS(hvp([](const Tensor& t) { return sum(t); }, x, f64({1}, {1})), ShapeError);
}

TEST_CASE("BackwardContext::writable_grad hands over the tape's own gradient only", "[tape]") {
  // an op whose backward notes whether writable_grad gave it grad() itself, and returns a fresh gradient
  std::vector<bool> handed;
  auto pass = [&](const Tensor& in) {
    return testing::pass_op(in, [&](const autograd::BackwardContext& c) {
      Tensor w = c.writable_grad();
      handed.push_back(w.is_same(c.grad()));
      CHECK(w.shape() == c.grad().shape());
      CHECK(w.dtype() == c.grad().dtype());
      return std::vector<Tensor>{mul(c.grad(), 3.0)};
    });
  };
  const Tensor x = Tensor::ones({40, 6}), gy = Tensor::full({40, 6}, 2.0);
  {
    GradientTape tape;
    tape.watch(x);
    // the outer pass reads the caller's gradient (kept); the inner one the outer's fresh one (the tape's alone)
    (void)tape.gradient(pass(pass(mul(x, 2.0))), {x}, gy);
  }
  {
    GradientTape tape;
    tape.watch(x);
    const Tensor y = pass(mul(x, 2.0));
    (void)tape.gradient(pass(y), {y, x}, gy);  // y's gradient is requested: not handed over
  }
  CHECK(handed == std::vector<bool>{false, true, false, false});
}

TEST_CASE("a custom op's mistakes are strata errors naming the op", "[tape][custom]") {
  Tensor x = f64({1, 2}, {2});
  Tensor y = x.clone();
  const Tensor* none = nullptr;
  auto identity = [](const autograd::BackwardContext& c) { return std::vector<Tensor>{c.grad()}; };
  CHECK_THROWS_WITH(autograd::record("nulls", {none}, {&y}, {}, identity),
                    Catch::Contains("autograd::record('nulls'): input 0 is a null pointer"));
  CHECK_THROWS_WITH(autograd::record("nulls", {&x}, {&y, none}, {}, identity),
                    Catch::Contains("output 1 is a null pointer"));
  CHECK_THROWS_WITH(autograd::record("empty", {&x}, {&y}, {}, autograd::BackwardFn()),
                    Catch::Contains("autograd::record('empty'): the backward function is empty"));
  CHECK_THROWS_AS(autograd::should_record({none}), ValueError);
  // asking the context for a tensor the op did not save
  GradientTape tape;
  tape.watch(x);
  Tensor z = x.clone();
  autograd::record("greedy", {&x}, {&z}, {x}, [](const autograd::BackwardContext& c) {
    return std::vector<Tensor>{c.grad() * c.saved(5)};
  });
  CHECK_THROWS_WITH(tape.gradient(sum(z), {x}),
                    Catch::Contains("backward of 'greedy': saved tensor index 5 is out of range (the op has 1)"));
}
