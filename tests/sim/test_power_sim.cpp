// The closed power/thermal loop in the engine: caps and temperature limits lower clocks, lower
// clocks stretch kernels. Each TEST_CASE runs in its own process (one SimGrid engine each).
//
// The oracle GPU (tests/data/sim/oracle-parts.yaml): 100 TFLOP/s BF16, 10 TB/s HBM, no launch
// overhead; power idle 200 W, board 1000 W, a_c 0.8, a_m 0.2, gamma 2; DVFS 2000 MHz down to
// 1000 MHz in 100 MHz steps (ratios 1, 0.95, ..., 0.5), no transition latency; control period
// 1 ms (default). A compute-only kernel draws 200 + 800 x 0.8 r^2 = 200 + 640 r^2 W at ratio r.
#include "sim/engine/run.hpp"
#include "sim/scenario/scenario.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace racksim;


namespace {

const std::string kData = std::string(RACKSIM_TEST_DATA) + "/sim/";

RunResult simulate(const std::vector<std::string>& sets) {
  const Scenario s = load_scenario(kData + "switched.yaml", sets, RACKSIM_SOURCE_DIR);
  Run run(s);
  return run.execute();
}

}  // namespace

TEST_CASE("without caps the power loop leaves timings alone and integrates energy", "[sim][power]") {
  const RunResult r = simulate({"workload.file=compute.yaml"});
  // compute.yaml on rank 0: a 1 TFLOP GEMM (10 ms), a 1 ms delay, a 10 GB stream (1 ms): 12 ms.
  CHECK(r.simulated_time_s == Approx(0.012).epsilon(1e-9));
  REQUIRE(r.power);
  const PowerSummary& p = *r.power;
  // Energy over 8 GPUs for 12 ms: all idle 8 x 200 W x 12 ms = 19.2 J, plus rank 0's GEMM
  // 640 W x 10 ms = 6.4 J and stream 160 W x 1 ms = 0.16 J: 25.76 J (no rack entry, so the
  // IT energy is the GPUs').
  CHECK(p.energy_j == Approx(25.76).epsilon(1e-9));
  CHECK(p.gpu_peak_w == Approx(840.0));
  CHECK(p.throttled_fraction == 0.0);
  CHECK(p.rack_entry == "none");
  CHECK_FALSE(p.thermal);
  CHECK_FALSE(p.energy_per_token_j.has_value());
}

TEST_CASE("a GPU cap is held from the start and the GEMM stretches by 1/r", "[sim][power]") {
  const RunResult r = simulate({"workload.file=compute.yaml", "power.gpu_cap=520 W"});
  // Every GPU starts at the governor's decision for pure compute (docs/power.md): the highest
  // ratio with 200 + 640 r^2 <= 520 is r <= 0.7071, so 1400 MHz (0.70), 513.6 W. The GEMM's 10 ms
  // of work take 10 / 0.7 = 14.286 ms; the delay and the memory-bound stream are unaffected:
  // T = 14.285714286 + 1 + 1 ms = 16.285714286 ms.
  CHECK(r.simulated_time_s == Approx(10e-3 / 0.7 + 2e-3).epsilon(1e-9));
  REQUIRE(r.power);
  CHECK(r.power->throttle_limit == "gpu_cap");
  // The lowest clock comes at the 16 ms tick: the last period held the 10 GB stream for its last
  // 0.714 ms (u_m = 0.714), and the budget must hold if the GPU computes as well:
  // 200 + 160 x 0.714 + 640 r^2 <= 520 -> r <= 0.567 -> 1100 MHz. The stream, memory-bound and
  // alone (360 W, under the cap at any clock), does not slow down.
  CHECK(r.power->clock_min_mhz == Approx(1100.0));
  // Every sample window has the busiest GPU at or under the cap, the first one too.
  REQUIRE(r.power_samples.size() >= 3);
  for (const auto& s : r.power_samples) CHECK(s.gpu_power_max_w <= 520.0 + 1e-9);
  CHECK(r.power_samples[0].gpu_power_max_w == Approx(513.6));
  // The cap held: 513.6 W, and nothing went above it (no transient: no load rose past the
  // starting state's budget).
  REQUIRE(r.power->gpu_cap);
  CHECK(r.power->gpu_cap->held_w == Approx(513.6));
  CHECK(r.power->gpu_cap->excursions == 0);
}

TEST_CASE("a rack cap is held from the start and shared by the busy GPUs", "[sim][power]") {
  const RunResult r = simulate({"workload.file=compute-8.yaml", "power.rack_cap=4800 W"});
  // Eight GEMMs of 1 TFLOP (10 ms each at full clock). No rack entry: rack power = the GPUs'.
  // Each GPU starts at its share of the cap for pure compute: 8 x 840 = 6720 W of demand over a
  // 4800 W pool, 600 W each: 200 + 640 r^2 <= 600, r <= 0.7906, so 1500 MHz (0.75): 560 W each,
  // 4480 W per rack. T = 10 ms / 0.75 = 13.333 ms.
  CHECK(r.simulated_time_s == Approx(10e-3 / 0.75).epsilon(1e-9));
  REQUIRE(r.power);
  CHECK(r.power->throttle_limit == "rack_cap");
  for (const auto& s : r.power_samples) CHECK(s.rack_power_w <= 4800.0 + 1e-9);
  CHECK(r.power_samples[0].rack_power_w == Approx(4480.0));
  // Peak over control periods: 4480 W, under the cap (stock clocks would draw 6720 W).
  CHECK(r.power->rack_peak_w == Approx(4480.0));
  REQUIRE(r.power->rack_cap);
  CHECK(r.power->rack_cap->held_w == Approx(4480.0));
  CHECK(r.power->rack_cap->excursions == 0);
}

TEST_CASE("a hot coolant inlet throttles at the junction limit", "[sim][power][thermal]") {
  const RunResult r = simulate({"workload.file=compute.yaml", "cooling.loop=test_loop", "cooling.inlet_temperature=80 C"});
  // test_loop: 60 L/min of coolant with rho c_p = 4 MJ/m^3/K: m c_p = 4000 W/K over 8 parallel
  // plates, 500 W/K each; plate 0.03 K/W at its 7.5 L/min, junction-to-case 0.01 K/W: R_j =
  // 0.04 K/W, C_j = 100 J/K (tau 4 s). At 80 C inlet, the steady junction at board power would
  // be 80 + 1000/500/2 + 800 x 0.04 = 113 C > 100 C: the junction starts at its 100 C limit, on
  // a plate at 81 C. The starting state's budget is the hold budget (100 - 81) / 0.04 + the idle
  // HBM heat 0.2 x 200 = 475 + 40 = 515 W: r <= 0.7016, 1400 MHz (0.70). At 513.6 W the plate
  // is 80.514 C and the junction settles towards 80.514 + 473.6 x 0.04 = 99.46 C, under its
  // limit; a junction a few mK under it has an RC budget that allows 1500 MHz (0.75, 560 W) for
  // a period, which heats it back onto the limit. The clock so alternates between 0.70 and 0.75:
  // T lies between 10 / 0.75 + 2 = 15.33 ms and 10 / 0.7 + 2 = 16.29 ms.
  CHECK(r.simulated_time_s > 10e-3 / 0.75 + 2e-3);
  CHECK(r.simulated_time_s < 10e-3 / 0.7 + 2e-3);
  REQUIRE(r.power);
  REQUIRE(r.power->thermal);
  CHECK(r.power->throttle_limit == "junction");
  CHECK(r.power->max_junction_c <= 100.0 + 0.01);
  CHECK(r.power->max_junction_c >= 100.0);
  // Coolant out: 80 C + heat / 4000 W/K; the hottest period has rank 0 at 560 W (0.75) and
  // seven GPUs idle: 80 + (560 + 1400) / 4000 = 80.49 C.
  CHECK(r.power->max_coolant_c == Approx(80.49));
}

TEST_CASE("the same scenario at 30 C does not throttle", "[sim][power][thermal]") {
  const RunResult r = simulate({"workload.file=compute.yaml", "cooling.loop=test_loop"});
  // At 30 C the steady junction at board power is 30 + 1 + 32 = 63 C, far under 100 C.
  CHECK(r.simulated_time_s == Approx(0.012).epsilon(1e-9));
  REQUIRE(r.power);
  CHECK(r.power->throttled_fraction == 0.0);
  CHECK(r.power->max_junction_c == Approx(63.0));
}
