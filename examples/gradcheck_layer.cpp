// Checking the gradients of your own layer with gradcheck, the way strata checks its own:
// analytic gradients (the tape's) against central differences in float64, for the inputs
// and the weights. A layer with a hand-written backward that is wrong is caught and located.
//
//   ./gradcheck_layer
#include <cstdio>

#include <strata/strata.hpp>

using namespace strata;

/// A radial-basis layer: y_j = exp(-gamma * |x - c_j|^2) for learned centres c_j.
class RBF : public layers::Layer {
 public:
  STRATA_LAYER(RBF)
  RBF(std::int64_t units, double gamma) : units_(units), gamma_(gamma) {}

 protected:
  void build(const Shape& s) override { centres_ = add_weight("centres", {units_, s.back()}, "random_normal"); }
  Tensor call(const Tensor& x, bool) override {
    // |x - c|^2 = |x|^2 - 2 x.c + |c|^2, with broadcasting
    Tensor d2 = sum(square(x), -1, true) - 2.0 * matmul(x, centres_, false, true) +
                reshape(sum(square(centres_), -1), {1, units_});
    return exp(-gamma_ * d2);
  }

 private:
  std::int64_t units_;
  double gamma_;
  Variable centres_;
};

/// An op with a hand-written backward that forgets a factor of 2: d(x^2) = x dx (wrong).
Tensor buggy_square(const Tensor& x) {
  Tensor y;
  {
    NoGradGuard forward_only;
    y = x * x;
  }
  if (autograd::should_record({&x}))
    autograd::record("buggy_square", {&x}, {&y}, {x}, [](const autograd::BackwardContext& c) {
      return std::vector<Tensor>{c.grad() * c.saved(0)};  // should be 2 x
    });
  return y;
}

int main() {
  set_seed(1);
  auto rbf = std::make_shared<RBF>(4, 0.5);
  rbf->set_dtype(DType::float64);  // gradcheck works in float64
  rbf->build_for({{-1, 3}});
  Tensor x = Tensor::random_normal({5, 3});
  auto report = gradcheck([&](const std::vector<Tensor>& in) { return (*rbf)(in[0]); }, {x}, rbf->trainable_weights());
  std::printf("RBF layer: %s\n", report.to_string().c_str());

  auto bad = gradcheck([](const std::vector<Tensor>& in) { return buggy_square(in[0]); }, {x});
  std::printf("buggy_square: %s\n", bad.to_string().c_str());

  // second order: the gradient of the gradient (every backward here is made of public ops)
  auto second = gradgradcheck([&](const std::vector<Tensor>& in) { return (*rbf)(in[0]); }, {x});
  std::printf("RBF second order: %s\n", second.to_string().c_str());
  return report.ok && !bad.ok && second.ok ? 0 : 1;
}
