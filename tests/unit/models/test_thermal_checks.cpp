// Unit tests for the checks of a scenario's cooling settings in models/thermal: a coolant below
// the GPU's limits, plates in series dividing the GPUs, a CDU's share above a rack's idle liquid
// heat. Expected numbers are derived in the comments.
#include "core/units.hpp"
#include "models/power.hpp"
#include "models/thermal.hpp"

#include <cmath>
#include <string>

#include <catch2/catch.hpp>

using namespace racksim;

TEST_CASE("thermal checks: the inlet is below the junction and HBM limits", "[thermal][checks]") {
  const Celsius junction(100.0), hbm(95.0);
  CHECK_FALSE(inlet_problem(Celsius(45.0), junction, hbm, "g").has_value());
  // 95 C is below the junction limit but not below the HBM limit.
  auto p = inlet_problem(Celsius(95.0), junction, hbm, "g");
  REQUIRE(p.has_value());
  CHECK(*p == "an inlet of 95 C is not below the junction limit (100 C) and HBM limit (95 C) of GPU 'g': the coolant "
              "could not cool it");
  CHECK_FALSE(loop_inlet_problem("l", Celsius(30.0), junction, "g").has_value());
  p = loop_inlet_problem("l", Celsius(100.0), junction, "g");
  REQUIRE(p.has_value());
  CHECK(*p == "cooling loop 'l' supplies 100 C coolant, not below the junction limit of GPU 'g' (100 C)");
}

TEST_CASE("thermal checks: the inlet is above 0 C", "[thermal][checks]") {
  // Water freezes at 0 C and no ASHRAE class supplies coolant that cold: 0 C and -273 C are
  // refused, 0.5 C is accepted (far below any limit). NaN fails every comparison: refused.
  const Celsius junction(100.0), hbm(95.0);
  CHECK_FALSE(inlet_problem(Celsius(0.5), junction, hbm, "g").has_value());
  auto p = inlet_problem(Celsius(0.0), junction, hbm, "g");
  REQUIRE(p.has_value());
  CHECK(*p == "an inlet above 0 C (the thermal model's coolants are liquid water mixes or air at datacenter "
              "temperatures), got 0 C");
  CHECK(inlet_problem(Celsius(-273.0), junction, hbm, "g").has_value());
  CHECK(inlet_problem(Celsius(std::nan("")), junction, hbm, "g").has_value());
}

TEST_CASE("thermal checks: plates in series divide the GPUs", "[thermal][checks]") {
  RackLoop loop;
  loop.gpus = 72;
  loop.series = 4;  // 72 = 4 x 18 branches
  CHECK_FALSE(series_problem(loop, "rack").has_value());
  loop.series = 5;  // 72 / 5 = 14.4
  const auto p = series_problem(loop, "rack");
  REQUIRE(p.has_value());
  CHECK(*p == "5 GPU plates in series do not divide the 72 GPUs of a rack");
}

TEST_CASE("thermal checks: a CDU's share exceeds a rack's idle liquid heat", "[thermal][checks]") {
  RackPowerSpec r;
  r.cpus = 2;
  r.cpu_power = Watts(500.0);
  r.pumps_fans = Watts(1000.0);
  r.liquid_fraction = 0.5;
  // 8 GPUs x 200 W + 0.5 x (2 x 500 + 1000) = 1600 + 1000 = 2600 W; without a rack entry 1600 W.
  CHECK(idle_liquid_heat(Watts(200.0), 8, &r).value() == Approx(2600.0));
  CHECK(idle_liquid_heat(Watts(200.0), 8, nullptr).value() == Approx(1600.0));
  CduSpec cdu;
  cdu.id = "c";
  cdu.capacity = Watts(10400.0);
  cdu.racks = 4;  // 10400 / 4 = 2600 W per rack: not above 2600 W
  const auto p = cdu_capacity_problem(cdu, Watts(2600.0), "rack");
  REQUIRE(p.has_value());
  CHECK(*p == "CDU 'c' rejects 2600 W per rack (10400 W over 4 racks), not above a rack's idle liquid heat (2600 W)");
  cdu.racks = 3;  // 3466.7 W per rack
  CHECK_FALSE(cdu_capacity_problem(cdu, Watts(2600.0), "rack").has_value());
}
