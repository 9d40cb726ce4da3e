// Power, thermal and governor models (models/power.hpp, thermal.hpp, governor.hpp) and the
// closed loop's bookkeeping (sim/engine/power_loop.hpp) driven by a fake clock. Every expected value is
// derived in a comment from the model's equations.
#include "models/governor.hpp"
#include "models/power.hpp"
#include "models/thermal.hpp"
#include "sim/engine/power_loop.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace racksim;


namespace {

// A GPU with round numbers: idle 200 W, board 1000 W, a_c 0.8, a_m 0.2, gamma 2.
GpuPowerParams round_gpu() {
  GpuPowerParams p;
  p.idle = Watts(200.0);
  p.max = Watts(1000.0);
  p.a_c = 0.8;
  p.a_m = 0.2;
  p.gamma = 2.0;
  return p;
}

GpuPowerSpec round_spec() {
  GpuPowerSpec s;
  s.gpu = "round";
  s.power = round_gpu();
  s.dvfs.reference = Hertz(2000e6);
  s.dvfs.min = Hertz(1000e6);
  s.dvfs.step = Hertz(100e6);
  s.dvfs.transition_latency = Seconds(0.0);
  s.r_junction_case = 0.01;
  s.c_junction = 100.0;
  s.r_hbm_case = 0.05;
  s.c_hbm = 20.0;
  s.junction_limit = Celsius(100.0);
  s.hbm_limit = Celsius(100.0);
  return s;
}

}  // namespace

TEST_CASE("GPU power follows activity, clock and HBM bandwidth", "[power]") {
  const GpuPowerParams p = round_gpu();
  // Idle: P_idle.
  CHECK(gpu_power(p, 0, 0, 1.0).value() == Approx(200.0));
  // Full activity at the reference clock: 200 + 800 (0.8 + 0.2) = 1000 W = board power.
  CHECK(gpu_power(p, 1, 1, 1.0).value() == Approx(1000.0));
  // Compute only at half clock: 200 + 800 * 0.8 * 0.5^2 = 360 W.
  CHECK(gpu_power(p, 1, 0, 0.5).value() == Approx(360.0));
  // Memory only, HBM throttled to 0.5: 200 + 800 * 0.2 * 0.5 = 280 W.
  CHECK(gpu_power(p, 0, 1, 1.0, 0.5).value() == Approx(280.0));
  // The MI355X worked example of models/power.hpp: 1237.32 W and 912.5 W.
  GpuPowerParams m{Watts(238.0), Watts(1400.0), 0.8, 0.2, 1.6};
  CHECK(gpu_power(m, 1, 0.3, 1.0).value() == Approx(238.0 + 1162.0 * 0.86));
  CHECK(gpu_power(m, 1, 0.3, 0.8).value() == Approx(238.0 + 1162.0 * (0.8 * std::pow(0.8, 1.6) + 0.06)));
}

TEST_CASE("clock ratio for a power budget inverts the power model", "[power]") {
  const GpuPowerParams p = round_gpu();
  // 520 W with u_c = 1, u_m = 0: 200 + 640 r^2 = 520 -> r = sqrt(0.5).
  CHECK(clock_ratio_for_power(p, 1, 0, 1, Watts(520.0)) == Approx(std::sqrt(0.5)));
  // With u_m = 1 too: 200 + 160 + 640 r^2 = 520 -> r = 0.5.
  CHECK(clock_ratio_for_power(p, 1, 1, 1, Watts(520.0)) == Approx(0.5));
  // A budget above board power: the reference clock.
  CHECK(clock_ratio_for_power(p, 1, 1, 1, Watts(1200.0)) == 1.0);
  // Below idle: no clock fits.
  CHECK(clock_ratio_for_power(p, 1, 0, 1, Watts(150.0)) == 0.0);
  // An idle GPU fits any budget above idle at the reference clock.
  CHECK(clock_ratio_for_power(p, 0, 0, 1, Watts(250.0)) == 1.0);
}

TEST_CASE("the HBM heat share and its inverse", "[power]") {
  const GpuPowerParams p = round_gpu();
  // a_m (P_idle + (P_max - P_idle) u_m s) = 0.2 (200 + 800) = 200 W at full traffic.
  CHECK(hbm_heat(p, 1, 1).value() == Approx(200.0));
  // 120 W allows s = (120 - 40) / 160 = 0.5.
  CHECK(hbm_fraction_for_heat(p, 1, Watts(120.0)) == Approx(0.5));
  CHECK(hbm_fraction_for_heat(p, 0, Watts(50.0)) == 1.0);
}

TEST_CASE("DVFS ladder from reference down to min in steps", "[power]") {
  DvfsParams d{Hertz(2100e6), Hertz(500e6), Hertz(100e6), Seconds(0.0)};
  const auto r = d.ratios();
  // 2100, 2000, ..., 500 MHz: 17 levels.
  REQUIRE(r.size() == 17);
  CHECK(r.front() == 1.0);
  CHECK(r.back() == Approx(500.0 / 2100.0));
  // The highest level at or below 0.9: 1800/2100 = 0.857 (1900/2100 = 0.905 is above).
  CHECK(level_at_or_below(r, 0.9) == 3);
  CHECK(level_at_or_below(r, 1.0) == 0);
  CHECK(level_at_or_below(r, 0.0) == 16);
}

TEST_CASE("rack and site power", "[power]") {
  RackPowerSpec r;
  r.cpus = 2;
  r.cpu_power = Watts(500.0);
  r.nics = 8;
  r.nic_power = Watts(25.0);
  r.switches = 4;
  r.switch_power = Watts(100.0);
  r.pumps_fans = Watts(600.0);
  r.conversion_efficiency = 0.95;
  // 1000 + 200 + 400 + 600 = 2200 W besides the GPUs.
  CHECK(rack_other_power(r).value() == Approx(2200.0));
  // (5600 + 2200) / 0.95 = 8210.53 W.
  CHECK(rack_power(r, Watts(5600.0)).value() == Approx(7800.0 / 0.95));
  SiteParams pue;
  pue.pue = 1.1;
  CHECK(site_power(pue, Watts(1e6)).value() == Approx(1.1e6));
  CHECK(it_power_for_site(pue, Watts(1.1e6)).value() == Approx(1e6));
  SiteParams plant;
  plant.kind = SiteParams::Kind::CoolingPlant;
  plant.cop = 10.0;
  plant.plant_fixed = Watts(5e3);
  // 1 MW + 1 MW / 10 + 5 kW = 1.105 MW, and back.
  CHECK(site_power(plant, Watts(1e6)).value() == Approx(1.105e6));
  CHECK(it_power_for_site(plant, Watts(1.105e6)).value() == Approx(1e6));
}

TEST_CASE("water filling shares a budget max-min fairly", "[power]") {
  // 100 over demands 10, 50, 80: 10 is met, the other two split 90 -> 45 each.
  const auto s = water_fill({10, 50, 80}, 100);
  CHECK(s[0] == Approx(10));
  CHECK(s[1] == Approx(45));
  CHECK(s[2] == Approx(45));
  // A budget that covers everything gives the demands.
  const auto all = water_fill({10, 50, 80}, 200);
  CHECK(all[2] == Approx(80));
  CHECK(water_fill({10, 20}, 0)[1] == 0.0);
}

TEST_CASE("thermal RC step response is the analytic exponential", "[thermal]") {
  // R = 0.04 K/W, C = 125 J/K, tau = 5 s. 1000 W from 30 C on a 30 C sink: T_inf = 70 C.
  const double r = 0.04, c = 125.0;
  const Celsius sink(30.0);
  Celsius t = sink;
  // Many small steps and one big step agree with 70 - 40 e^{-t/5} at t = 1, 5, 20 s.
  for (int i = 0; i < 1000; ++i) t = rc_step(t, sink, Watts(1000.0), r, c, Seconds(1e-3));
  CHECK((t - Celsius(0.0)) == Approx(70.0 - 40.0 * std::exp(-0.2)).epsilon(1e-12));
  const Celsius t5 = rc_step(sink, sink, Watts(1000.0), r, c, Seconds(5.0));
  CHECK((t5 - Celsius(0.0)) == Approx(70.0 - 40.0 * std::exp(-1.0)).epsilon(1e-12));
  const Celsius t20 = rc_step(sink, sink, Watts(1000.0), r, c, Seconds(20.0));
  CHECK((t20 - Celsius(0.0)) == Approx(70.0 - 40.0 * std::exp(-4.0)).epsilon(1e-12));
  CHECK((rc_steady(sink, Watts(1000.0), r) - Celsius(0.0)) == Approx(70.0));
  // Cooling back from 70 C with no power: 30 + 40 e^{-1} after 5 s.
  CHECK((rc_step(Celsius(70.0), sink, Watts(0.0), r, c, Seconds(5.0)) - Celsius(0.0)) == Approx(30.0 + 40.0 * std::exp(-1.0)));
}

TEST_CASE("thermal power budget reaches the limit exactly after the horizon", "[thermal]") {
  const double r = 0.04, c = 125.0;
  const Celsius sink(30.0), limit(90.0);
  // At the limit, the budget holds it there: (90 - 30) / 0.04 = 1500 W.
  CHECK(rc_power_budget(limit, sink, limit, r, c, Seconds(1e-3)).value() == Approx(1500.0));
  // From 60 C, running the budget for the horizon ends exactly at the limit.
  const Watts b = rc_power_budget(Celsius(60.0), sink, limit, r, c, Seconds(0.5));
  CHECK((rc_step(Celsius(60.0), sink, b, r, c, Seconds(0.5)) - Celsius(0.0)) == Approx(90.0));
  // Far above the limit: nothing fits.
  CHECK(rc_power_budget(Celsius(200.0), sink, limit, r, c, Seconds(1e-3)).value() == 0.0);
}

TEST_CASE("coolant rises by P / (m c_p) along the loop", "[thermal]") {
  RackLoop loop;
  loop.inlet = Celsius(30.0);
  loop.flow = 240e-3 / 60.0;  // 240 L/min = 0.004 m^3/s
  loop.density = 997.0;       // m = 3.988 kg/s
  loop.specific_heat = 4186.0;
  loop.gpus = 4;
  loop.series = 2;            // two branches of two plates
  const std::vector<double> heat = {1000, 2000, 3000, 4000};
  const auto t = loop_temperatures(loop, heat, 5000.0);
  const double mcp = 0.004 * 997.0 * 4186.0;   // 16693.8 W/K
  const double mcp_branch = mcp / 2.0;
  // Outlet: 30 + (10 kW + 5 kW) / m c_p.
  CHECK((t.outlet - Celsius(0.0)) == Approx(30.0 + 15000.0 / mcp));
  // Branch 0: plate 0 sees the mean of 30 and 30 + 1000/mcp_b; plate 1 adds the rest.
  CHECK((t.plate[0] - Celsius(0.0)) == Approx(30.0 + 500.0 / mcp_branch));
  CHECK((t.plate[1] - Celsius(0.0)) == Approx(30.0 + (1000.0 + 1000.0) / mcp_branch));
  CHECK((t.plate[3] - Celsius(0.0)) == Approx(30.0 + (3000.0 + 2000.0) / mcp_branch));
  // The worked example of models/thermal.hpp: 150 kW on 240 L/min of water rises 8.99 K.
  RackLoop big = loop;
  big.gpus = 1;
  big.series = 1;
  CHECK((loop_temperatures(big, {150e3}, 0.0).outlet - Celsius(0.0)) == Approx(30.0 + 150e3 / mcp));
  CHECK(150e3 / mcp == Approx(8.985).margin(1e-3));
}

TEST_CASE("cold-plate resistance scales with flow to the power -0.8", "[thermal]") {
  ColdPlateSpec p;
  p.r_ref = 0.03;
  p.flow_ref = 2.0e-3 / 60.0;
  p.exponent = 0.8;
  CHECK(cold_plate_resistance(p, p.flow_ref) == Approx(0.03));
  // Half the flow: 0.03 * 2^0.8 = 0.05223 K/W.
  CHECK(cold_plate_resistance(p, p.flow_ref / 2.0) == Approx(0.03 * std::pow(2.0, 0.8)));
}

TEST_CASE("governor: a GPU cap picks the highest level that fits", "[governor]") {
  GovernorConfig cfg;
  cfg.gpu_cap = Watts(520.0);
  cfg.period = Seconds(1e-3);
  cfg.clock_ratios = DvfsParams{Hertz(2000e6), Hertz(1000e6), Hertz(100e6), Seconds(0.0)}.ratios();
  cfg.hbm_fractions = {1.0};
  GpuObservation o;
  o.u_c = 1.0;
  o.u_m = 0.0;
  // 520 W needs r <= sqrt(0.5) = 0.7071: the ladder's 1400 MHz (0.70) level, index 6.
  const auto d = govern(cfg, round_gpu(), {o}, {});
  REQUIRE(d.size() == 1);
  CHECK(d[0].level == 6);
  CHECK(d[0].limit == Limit::GpuCap);
  // A GPU idle in the last period gets the same clock: the budget must hold if it computes next.
  GpuObservation idle;
  CHECK(govern(cfg, round_gpu(), {idle}, {})[0].level == 6);
  // A budget above the board power leaves the reference clock.
  cfg.gpu_cap = Watts(1100.0);
  CHECK(govern(cfg, round_gpu(), {o}, {})[0].level == 0);
}

TEST_CASE("governor: a rack cap is shared over the rack's GPUs", "[governor]") {
  GovernorConfig cfg;
  cfg.rack_cap = Watts(2000.0);
  cfg.period = Seconds(1e-3);
  cfg.clock_ratios = DvfsParams{Hertz(2000e6), Hertz(1000e6), Hertz(100e6), Seconds(0.0)}.ratios();
  cfg.hbm_fractions = {1.0};
  GpuObservation busy;
  busy.u_c = 1.0;
  GpuObservation idle;
  RackObservation r;
  r.first_gpu = 0;
  r.gpus = 3;
  r.other_dc = Watts(400.0);
  r.conversion_efficiency = 0.8;
  // DC pool 2000 * 0.8 - 400 = 1200 W. Demands are taken at full compute activity (the next
  // period may compute): 840 W each, so each gets 400 W: 200 + 640 r^2 <= 400, r <= 0.559 ->
  // 1100 MHz (0.55), index 9, idle or not.
  const auto d = govern(cfg, round_gpu(), {busy, busy, idle}, {r});
  CHECK(d[0].level == 9);
  CHECK(d[1].level == 9);
  CHECK(d[0].limit == Limit::RackCap);
  CHECK(d[2].level == 9);
  // With memory traffic measured on GPU 0 (u_m = 1), its demand is 1000 W and the others' 840:
  // the equal share 400 W is below all three; GPU 0 then needs 200 + 160 + 640 r^2 <= 400,
  // r <= 0.25, below the ladder: its lowest level (0.5), index 10.
  GpuObservation streaming = busy;
  streaming.u_m = 1.0;
  CHECK(govern(cfg, round_gpu(), {streaming, busy, idle}, {r})[0].level == 10);
}

TEST_CASE("governor: the junction limit bounds power to what the RC allows", "[governor]") {
  GovernorConfig cfg;
  cfg.period = Seconds(1e-3);
  cfg.clock_ratios = DvfsParams{Hertz(2000e6), Hertz(1000e6), Hertz(100e6), Seconds(0.0)}.ratios();
  cfg.hbm_fractions = {1.0, 0.9, 0.8, 0.7, 0.6, 0.5};
  GpuObservation o;
  o.u_c = 1.0;
  o.u_m = 0.0;
  o.coolant = Celsius(40.0);
  o.junction = Celsius(90.0);  // at the limit
  o.junction_limit = Celsius(90.0);
  o.hbm = Celsius(40.0);
  o.hbm_limit = Celsius(100.0);
  o.r_junction = 0.1;
  o.c_junction = 100.0;
  o.r_hbm = 0.1;
  o.c_hbm = 10.0;
  // Holding 90 C: junction heat (90 - 40) / 0.1 = 500 W, plus HBM heat 0.2 * 200 = 40 W: a
  // 540 W budget. 200 + 640 r^2 <= 540 -> r <= 0.7289 -> 1400 MHz (0.70), index 6.
  const auto d = govern(cfg, round_gpu(), {o}, {});
  CHECK(d[0].level == 6);
  CHECK(d[0].limit == Limit::Junction);
  CHECK(d[0].hbm_level == 0);
}

TEST_CASE("power loop: energy is exact on a piecewise-constant load", "[power_loop]") {
  PowerSetup s;
  s.gpu = round_spec();
  s.gpus = 2;
  s.gpus_per_rack = 2;
  s.governor.period = Seconds(1e-3);
  s.sample_period = Seconds(1e-3);
  PowerLoop loop(s);
  // GPU 0: compute 0.2-0.7 ms, memory 0.5-1.5 ms. GPU 1: idle. Ends at 2.5 ms (ticks at 1, 2 ms).
  loop.compute_started(0, 0.2e-3);
  loop.memory_started(0, 0.5e-3);
  loop.compute_ended(0, 0.7e-3);
  CHECK(loop.control(1e-3).empty());  // no cap, no thermal: nothing to change
  loop.memory_ended(0, 1.5e-3);
  CHECK(loop.control(2e-3).empty());
  loop.finish(2.5e-3);
  // GPU 0: idle 200 W x 2.5 ms = 0.5 J, compute 640 W x 0.5 ms = 0.32 J, memory 160 W x 1 ms =
  // 0.16 J: 0.98 J. GPU 1: 200 W x 2.5 ms = 0.5 J.
  CHECK(loop.gpu_energy(0) == Approx(0.98).epsilon(1e-12));
  CHECK(loop.gpu_energy(1) == Approx(0.5).epsilon(1e-12));
  const PowerSummary sum = loop.summary(1000.0);
  // No rack entry: IT energy = GPU energy = 1.48 J; PUE 1 (default SiteParams); 1.48 mJ/token.
  CHECK(sum.energy_j == Approx(1.48));
  CHECK(*sum.energy_per_token_j == Approx(1.48e-3));
  // GPU average 1.48 J / (2 x 2.5 ms) = 296 W. GPU peak, over control periods: GPU 0's first
  // period holds 200 + 0.32 + ... : (0.2 + 0.32 + 0.08) J / 1 ms = 600 W (memory 0.5-1.0 ms).
  CHECK(sum.gpu_avg_w == Approx(296.0));
  CHECK(sum.gpu_peak_w == Approx(600.0));
  CHECK(sum.throttled_fraction == 0.0);
  CHECK(sum.throttle_limit == "none");
  // Samples: one row per rack at 1, 2 and 2.5 ms.
  REQUIRE(loop.samples().size() == 3);
  CHECK(loop.samples()[1].time == Approx(2e-3));
  // Second window: GPU 0 memory 1.0-1.5 ms: 200 + 160 x 0.5 = 280 W; GPU 1 200 W: mean 240 W.
  CHECK(loop.samples()[1].gpu_power_avg_w == Approx(240.0));
  CHECK(loop.samples()[1].memory_util == Approx(0.25));
}

TEST_CASE("power loop: a GPU cap is held from the first period on", "[power_loop]") {
  PowerSetup s;
  s.gpu = round_spec();
  s.gpus = 1;
  s.gpus_per_rack = 1;
  s.governor.period = Seconds(1e-3);
  s.governor.gpu_cap = Watts(520.0);
  s.sample_period = Seconds(1e-3);
  PowerLoop loop(s);
  // The starting state is the governor's decision for pure compute (docs/power.md): 200 +
  // 640 r^2 <= 520 -> r <= 0.7071 -> 1400 MHz (level 6), 200 + 640 x 0.49 = 513.6 W. Stock
  // clocks would draw 840 W in the first period.
  CHECK(loop.level(0) == 6);
  loop.compute_started(0, 0.0);
  CHECK(loop.control(1e-3).empty());
  CHECK(loop.control(2e-3).empty());
  loop.finish(3e-3);
  CHECK(loop.samples()[0].gpu_power_avg_w == Approx(200.0 + 640.0 * 0.49));
  CHECK(loop.samples()[1].gpu_power_avg_w <= 520.0);
  const PowerSummary sum = loop.summary(std::nullopt);
  // Throttled for all 3 ms, by the GPU cap.
  CHECK(sum.throttled_fraction == Approx(1.0));
  CHECK(sum.throttle_limit == "gpu_cap");
  CHECK(sum.clock_min_mhz == Approx(1400.0));
  CHECK(sum.gpu_peak_w == Approx(513.6));
  CHECK_FALSE(sum.energy_per_token_j.has_value());
}

TEST_CASE("power loop: coolant outlet and junction temperatures", "[power_loop]") {
  PowerSetup s;
  s.gpu = round_spec();
  s.gpus = 2;
  s.gpus_per_rack = 2;
  s.governor.period = Seconds(1.0);
  s.sample_period = Seconds(1.0);
  ThermalSetup th;
  th.loop.inlet = Celsius(30.0);
  th.loop.flow = 1e-4;  // 6 L/min
  th.loop.density = 1000.0;
  th.loop.specific_heat = 4000.0;  // m c_p = 400 W/K
  th.loop.gpus = 2;
  th.loop.series = 1;
  th.r_plate = 0.03;
  s.thermal = th;
  PowerLoop loop(s);
  // Initial junction: steady at board power, plates at 30 + 1000 / (2 x 200 W/K ... per branch
  // m c_p = 200 W/K) / 2 = 32.5 C; junction heat 1000 - 200 = 800 W over 0.04 K/W: 64.5 C.
  CHECK((loop.junction(0) - Celsius(0.0)) == Approx(64.5));
  // Idle for 1 s: both GPUs 200 W. Plates 30 + 200/200/2 = 30.5 C; junction heat 200 - 40 =
  // 160 W: T_inf = 30.5 + 6.4 = 36.9 C; tau = 0.04 x 100 = 4 s: 36.9 + (64.5 - 36.9) e^{-0.25}.
  (void)loop.control(1.0);
  CHECK((loop.junction(0) - Celsius(0.0)) == Approx(36.9 + (64.5 - 36.9) * std::exp(-0.25)));
  loop.finish(1.0);
  const PowerSummary sum = loop.summary(std::nullopt);
  // Outlet: 30 + 400 W / 400 W/K = 31 C.
  CHECK(sum.max_coolant_c == Approx(31.0));
  CHECK(sum.max_junction_c == Approx(64.5));
}

TEST_CASE("thermal hold budget: steady at or above the limit, RC below it", "[thermal]") {
  const double r = 0.04, c = 125.0;
  const Celsius sink(30.0), limit(90.0);
  // Slightly above the limit: hold at (90 - 30) / 0.04 = 1500 W rather than collapsing.
  CHECK(rc_hold_budget(Celsius(90.01), sink, limit, r, c, Seconds(1e-3)).value() == Approx(1500.0));
  // Below the limit: the RC budget, larger than the steady one.
  const double below = rc_hold_budget(Celsius(80.0), sink, limit, r, c, Seconds(1e-3)).value();
  CHECK(below == Approx(rc_power_budget(Celsius(80.0), sink, limit, r, c, Seconds(1e-3)).value()));
  CHECK(below > 1500.0);
  // A sink above the limit: nothing.
  CHECK(rc_hold_budget(Celsius(95.0), Celsius(95.0), limit, r, c, Seconds(1e-3)).value() == 0.0);
}
