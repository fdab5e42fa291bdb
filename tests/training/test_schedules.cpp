// The learning-rate schedules beyond test_optimizers.cpp's: PolynomialDecay and
// CosineDecayRestarts against Keras's formulas, worked by hand.
#include <cmath>

#include "support/helpers.hpp"

using namespace strata;

TEST_CASE("PolynomialDecay and CosineDecayRestarts follow Keras's formulas", "[optimizers][schedules]") {
  // (0.1 - 0.01) (1 - p)^0.5 + 0.01, p = min(step, 10) / 10
  const auto poly = schedules::PolynomialDecay(0.1, 10, 0.01, 0.5);
  CHECK(poly(0) == Approx(0.1).epsilon(1e-15));
  CHECK(poly(2) == Approx(0.09 * std::sqrt(0.8) + 0.01).epsilon(1e-15));
  CHECK(poly(10) == Approx(0.01).epsilon(1e-15));
  CHECK(poly(25) == Approx(0.01).epsilon(1e-15));
  // cycle: decay_steps becomes the first multiple at or above the step (step 0 keeps it)
  const auto cyc = schedules::PolynomialDecay(0.1, 10, 0.0, 1.0, true);
  CHECK(cyc(0) == Approx(0.1).epsilon(1e-15));
  CHECK(cyc(10) == Approx(0.0).margin(1e-15));
  CHECK(cyc(15) == Approx(0.1 * (1 - 15.0 / 20)).epsilon(1e-15));
  CHECK(cyc(25) == Approx(0.1 * (1 - 25.0 / 30)).epsilon(1e-15));
  // SGDR with periods 10, 20, 40 and peaks 1, 0.5, 0.25
  const auto sgdr = schedules::CosineDecayRestarts(1.0, 10, 2.0, 0.5);
  CHECK(sgdr(0) == Approx(1.0).epsilon(1e-15));
  CHECK(sgdr(5) == Approx(0.5).epsilon(1e-12));
  CHECK(sgdr(10) == Approx(0.5).epsilon(1e-12));   // the first restart, at half the peak
  CHECK(sgdr(20) == Approx(0.25).epsilon(1e-12));  // halfway through the second period
  CHECK(sgdr(30) == Approx(0.25).epsilon(1e-12));  // the second restart
  // equal periods (t_mul 1) and alpha 0.1: a restart every 10 steps
  const auto flat = schedules::CosineDecayRestarts(2.0, 10, 1.0, 1.0, 0.1);
  CHECK(flat(15) == Approx(2.0 * (0.9 * 0.5 + 0.1)).epsilon(1e-12));
  CHECK(flat(20) == Approx(2.0).epsilon(1e-12));
  CHECK_THROWS_WITH(schedules::PolynomialDecay(0.1, 0), Catch::Contains("decay_steps must be positive"));
  CHECK_THROWS_WITH(schedules::CosineDecayRestarts(0.1, 10, 0.0), Catch::Contains("t_mul"));
}
