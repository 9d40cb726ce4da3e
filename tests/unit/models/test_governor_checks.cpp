// Unit tests for the checks of a scenario's control and sample periods in models/governor: the
// control period must exceed the DVFS transition latency, and a sample period is a whole
// multiple of the control period.
#include "core/units.hpp"
#include "models/governor.hpp"

#include <string>

#include <catch2/catch.hpp>

using namespace racksim;

TEST_CASE("governor checks: the control period exceeds the DVFS transition latency", "[governor][checks]") {
  DvfsParams dvfs;
  dvfs.transition_latency = Seconds(100e-6);
  CHECK_FALSE(control_period_problem(Seconds(1e-3), dvfs, "g").has_value());
  const auto p = control_period_problem(Seconds(100e-6), dvfs, "g");  // equal: the change would never land
  REQUIRE(p.has_value());
  CHECK(*p == "the control period (100 us) must exceed the DVFS transition latency of GPU 'g' (100 us)");
}

TEST_CASE("governor checks: the sample period is a whole multiple of the control period", "[governor][checks]") {
  const Seconds control(1e-3);
  CHECK_FALSE(sample_period_problem(Seconds(1e-3), control).has_value());   // 1 x
  CHECK_FALSE(sample_period_problem(Seconds(10e-3), control).has_value());  // 10 x
  // 0.01 / 0.001 in floating point is within 1e-6 of 10, so rounding error is no problem; 1.5 x and
  // 0.5 x are.
  auto p = sample_period_problem(Seconds(1.5e-3), control);
  REQUIRE(p.has_value());
  CHECK(*p == "the sample period must be a whole multiple of the control period (1 ms), got 1.5 ms");
  CHECK(sample_period_problem(Seconds(0.5e-3), control).has_value());
}
