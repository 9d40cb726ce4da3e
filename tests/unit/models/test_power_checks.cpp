// Unit tests for the checks of a scenario's power settings in models/power (idle power below the
// board power, the rack's idle power, caps above the idle power they govern). The scenario reader
// calls them and attaches file, line and key; here they are pure. Expected numbers are derived in
// the comments from the made-up GPU and rack below.
#include "core/units.hpp"
#include "models/power.hpp"

#include <string>

#include <catch2/catch.hpp>

using namespace racksim;
using Catch::Matchers::Contains;

namespace {

// P_idle 300 W, P_max 1400 W.
GpuPowerParams gpu() {
  GpuPowerParams p;
  p.idle = Watts(300.0);
  p.max = Watts(1400.0);
  return p;
}

// Other parts: 2 CPUs x 400 W + 4 NICs x 25 W + 1 switch x 200 W + 500 W of fans = 1600 W (DC);
// conversion efficiency 0.8.
RackPowerSpec rack() {
  RackPowerSpec r;
  r.id = "r";
  r.gpus = 8;
  r.cpus = 2;
  r.cpu_power = Watts(400.0);
  r.nics = 4;
  r.nic_power = Watts(25.0);
  r.switches = 1;
  r.switch_power = Watts(200.0);
  r.pumps_fans = Watts(500.0);
  r.conversion_efficiency = 0.8;
  return r;
}

}  // namespace

TEST_CASE("power checks: idle power below the board power", "[power][checks]") {
  CHECK_FALSE(idle_power_problem(gpu(), "g").has_value());
  GpuPowerParams p = gpu();
  p.idle = Watts(1400.0);  // equal: no dynamic range left
  const auto problem = idle_power_problem(p, "g");
  REQUIRE(problem.has_value());
  CHECK(*problem == "GPU 'g': idle power 1400 W is not below its board power 1400 W");
}

TEST_CASE("power checks: the idle power of a rack", "[power][checks]") {
  const RackPowerSpec r = rack();
  // (8 x 300 + 1600) / 0.8 = 4000 / 0.8 = 5000 W.
  CHECK(rack_idle_power(gpu(), 8, &r).value() == Approx(5000.0));
  // No rack entry: its GPUs alone, no conversion loss: 8 x 300 = 2400 W.
  CHECK(rack_idle_power(gpu(), 8, nullptr).value() == Approx(2400.0));
}

TEST_CASE("power checks: caps above the idle power they govern", "[power][checks]") {
  const RackPowerSpec r = rack();
  // GPU cap: above 300 W.
  CHECK_FALSE(gpu_cap_problem(Watts(301.0), gpu(), "g").has_value());
  auto p = gpu_cap_problem(Watts(300.0), gpu(), "g");
  REQUIRE(p.has_value());
  CHECK(*p == "a GPU cap of 300 W is not above the idle power of GPU 'g' (300 W): no clock can hold it");
  // Rack cap: above 5000 W (above).
  CHECK_FALSE(rack_cap_problem(Watts(5001.0), gpu(), 8, &r).has_value());
  p = rack_cap_problem(Watts(4999.0), gpu(), 8, &r);
  REQUIRE(p.has_value());
  CHECK(*p == "a rack cap of 4999 W is not above the rack's idle power (5000 W: 8 idle GPUs and 1600 W of other parts, "
              "after conversion losses)");
  // Site cap with PUE 1.2 over 3 racks: 3 x 5000 x 1.2 = 18000 W.
  SiteParams pue;
  pue.pue = 1.2;
  CHECK_FALSE(site_cap_problem(Watts(18001.0), pue, Watts(5000.0), 3, "rack").has_value());
  p = site_cap_problem(Watts(18000.0), pue, Watts(5000.0), 3, "rack");
  REQUIRE(p.has_value());
  CHECK(*p == "a site cap of 18000 W is not above the site's idle power (18000 W for 3 racks, after PUE 1.2)");
  // With a cooling plant of COP 5 and 1 kW fixed, one node at 5000 W:
  // 5000 + 5000 / 5 + 1000 = 7000 W; "node", not "nodes", for one.
  SiteParams plant;
  plant.kind = SiteParams::Kind::CoolingPlant;
  plant.cop = 5.0;
  plant.plant_fixed = Watts(1000.0);
  p = site_cap_problem(Watts(6000.0), plant, Watts(5000.0), 1, "node");
  REQUIRE(p.has_value());
  CHECK_THAT(*p, Contains("(7000 W for 1 node, after the cooling plant)"));
}
