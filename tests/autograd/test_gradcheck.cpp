// gradcheck itself: it passes correct gradients, catches wrong ones, and says where.
#include "support/helpers.hpp"

using namespace strata;

namespace {
// x * 2 with a deliberately wrong backward (3 instead of 2) on element 0 only.
Tensor wrong_double(const Tensor& x) {
  Tensor y;
  {
    NoGradGuard kernel;
    y = x * 2.0;
  }
  if (autograd::should_record({&x}))
    autograd::record("wrong_double", {&x}, {&y}, {}, [](const autograd::BackwardContext& c) {
      std::vector<double> scale(static_cast<std::size_t>(c.grad().size()), 2.0);
      scale[0] = 3.0;
      return std::vector<Tensor>{c.grad() * Tensor::from_vector(scale, c.grad().shape(), c.grad().dtype())};
    });
  return y;
}
}  // namespace

TEST_CASE("gradcheck passes correct gradients and reports errors", "[gradcheck]") {
  auto r = gradcheck([](const std::vector<Tensor>& in) { return matmul(in[0], in[1]); },
                     {Tensor::random_normal({3, 4}), Tensor::random_normal({4, 2})});
  CHECK(r.ok);
  CHECK(r.elements_checked == 12 + 8);
  CHECK(r.max_abs_error < 1e-7);
  CHECK(r.to_string().find("passed") != std::string::npos);
}

TEST_CASE("gradcheck catches a wrong backward and names the element", "[gradcheck]") {
  auto r = gradcheck([](const std::vector<Tensor>& in) { return wrong_double(in[0]); },
                     {Tensor::random_normal({2, 3})});
  CHECK_FALSE(r.ok);
  CHECK(r.worst_input == 0);
  CHECK(r.worst_element == 0);
  CHECK(r.analytic / r.numeric == Approx(1.5));
  CHECK(r.to_string().find("FAILED") != std::string::npos);
}

TEST_CASE("gradcheck catches a missing gradient", "[gradcheck]") {
  auto r = gradcheck([](const std::vector<Tensor>& in) { return stop_gradient(in[0]) * in[0]; },
                     {Tensor::random_normal({4})});
  CHECK_FALSE(r.ok);
}

TEST_CASE("gradcheck works on float32 inputs in float64 and skips int64 ones", "[gradcheck]") {
  Tensor idx = Tensor::from_vector({2, 0, 2}, {3}, DType::int64);
  auto r = gradcheck([](const std::vector<Tensor>& in) { return gather(in[0], in[1]) * in[0].dim(0); },
                     {Tensor::random_normal({4}), idx});
  CHECK(r.ok);
  CHECK(r.elements_checked == 4);
}

TEST_CASE("gradcheck requires float64 computation", "[gradcheck]") {
  CHECK_THROWS_AS(gradcheck([](const std::vector<Tensor>& in) { return in[0].astype(DType::float32); },
                            {Tensor::random_normal({2})}),
                  DTypeError);
}

TEST_CASE("gradcheck checks Variables (layer weights) too", "[gradcheck]") {
  Variable w(Tensor::random_normal({3, 2}, 0, 1, DType::float64), "w");
  Variable b(Tensor::random_normal({2}, 0, 1, DType::float64), "b");
  auto r = gradcheck([&](const std::vector<Tensor>& in) { return tanh(matmul(in[0], w) + b); },
                     {Tensor::random_normal({4, 3})}, {w, b});
  CHECK_GRADCHECK(r);
  CHECK(r.elements_checked == 12 + 6 + 2);
  Variable f32(Tensor::random_normal({2}), "f32");
  CHECK_THROWS_AS(gradcheck([&](const std::vector<Tensor>& in) { return in[0] * f32; },
                            {Tensor::random_normal({2})}, {f32}),
                  DTypeError);
}

TEST_CASE("gradgradcheck checks second derivatives", "[gradcheck]") {
  CHECK_GRADCHECK(gradgradcheck([](const std::vector<Tensor>& in) { return sin(in[0]) * in[1]; },
                                {Tensor::random_normal({3}), Tensor::random_normal({3})}));
  // A backward written without public ops is not differentiable: its second derivative is wrong.
  auto opaque_square = [](const Tensor& x) {
    Tensor y;
    {
      NoGradGuard kernel;
      y = x * x;
    }
    if (autograd::should_record({&x}))
      autograd::record("opaque_square", {&x}, {&y}, {x}, [](const autograd::BackwardContext& c) {
        Tensor g;
        {
          NoGradGuard hide;  // not recorded by outer tapes
          g = c.grad() * c.saved(0) * 2.0;
        }
        return std::vector<Tensor>{g};
      });
    return y;
  };
  auto r = gradgradcheck([&](const std::vector<Tensor>& in) { return opaque_square(in[0]); },
                         {Tensor::random_normal({3})});
  CHECK_FALSE(r.ok);
}
