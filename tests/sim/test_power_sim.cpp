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

TEST_CASE("a GPU cap is held after one control period and the GEMM stretches by 1/r", "[sim][power]") {
  const RunResult r = simulate({"workload.file=compute.yaml", "power.gpu_cap=520 W"});
  // Period 1 (0-1 ms) at 2000 MHz draws 840 W. The governor then picks the highest ratio with
  // 200 + 640 r^2 <= 520: r <= 0.7071, so 1400 MHz (0.70), 513.6 W. The GEMM's remaining 9 ms
  // of work take 9 / 0.7 = 12.857 ms; the delay and the memory-bound stream are unaffected:
  // T = 1 + 12.857142857 + 1 + 1 ms = 15.857142857 ms.
  CHECK(r.simulated_time_s == Approx(1e-3 + 9e-3 / 0.7 + 2e-3).epsilon(1e-9));
  REQUIRE(r.power);
  CHECK(r.power->throttle_limit == "gpu_cap");
  // The lowest clock comes at the 15 ms tick: the last period held the 10 GB stream for its last
  // 0.143 ms (u_m = 0.143), and the budget must hold if the GPU computes as well:
  // 200 + 160 x 0.143 + 640 r^2 <= 520 -> r <= 0.681 -> 1300 MHz. The stream, memory-bound, does
  // not slow down.
  CHECK(r.power->clock_min_mhz == Approx(1300.0));
  // Every sample window after the first has the busiest GPU at or under the cap.
  REQUIRE(r.power_samples.size() >= 3);
  for (std::size_t i = 1; i < r.power_samples.size(); ++i) CHECK(r.power_samples[i].gpu_power_max_w <= 520.0 + 1e-9);
  // Window 2 (1-2 ms): 513.6 W.
  CHECK(r.power_samples[1].gpu_power_max_w == Approx(513.6));
}

TEST_CASE("a rack cap is held after one control period and shared by the busy GPUs", "[sim][power]") {
  const RunResult r = simulate({"workload.file=compute-8.yaml", "power.rack_cap=4800 W"});
  // Eight GEMMs of 1 TFLOP (10 ms each at full clock). No rack entry: rack power = the GPUs'.
  // Period 1: 8 x 840 = 6720 W. Then each GPU's share is 600 W: 200 + 640 r^2 <= 600,
  // r <= 0.7906, so 1500 MHz (0.75): 560 W each, 4480 W per rack.
  // T = 1 ms + 9 ms / 0.75 = 13 ms.
  CHECK(r.simulated_time_s == Approx(13e-3).epsilon(1e-9));
  REQUIRE(r.power);
  CHECK(r.power->throttle_limit == "rack_cap");
  for (std::size_t i = 1; i < r.power_samples.size(); ++i) CHECK(r.power_samples[i].rack_power_w <= 4800.0 + 1e-9);
  CHECK(r.power_samples[1].rack_power_w == Approx(4480.0));
  // Peak over control periods: the first, 6720 W.
  CHECK(r.power->rack_peak_w == Approx(6720.0));
}

TEST_CASE("a hot coolant inlet throttles at the junction limit", "[sim][power][thermal]") {
  const RunResult r = simulate({"workload.file=compute.yaml", "cooling.loop=test_loop", "cooling.inlet_temperature=80 C"});
  // test_loop: 60 L/min of coolant with rho c_p = 4 MJ/m^3/K: m c_p = 4000 W/K over 8 parallel
  // plates, 500 W/K each; plate 0.03 K/W at its 7.5 L/min, junction-to-case 0.01 K/W: R_j =
  // 0.04 K/W, C_j = 100 J/K (tau 4 s). At 80 C inlet, the steady junction at board power would
  // be 80 + 1000/500/2 + 800 x 0.04 = 113 C > 100 C: the junction starts at its 100 C limit.
  // Period 1 at full clock (840 W, plate 80 + 840/1000 = 80.84 C) leaves it a few mK above.
  // The hold budget is then (100 - 80.84) / 0.04 + HBM heat 0.2 x 200 = 479 + 40 = 519 W:
  // r <= 0.7060, 1400 MHz. At 513.6 W the plate is 80.514 C and the budget 527 W (r <= 0.7148):
  // still 1400 MHz. So T = 1 + 9 / 0.7 + 2 ms, as with the 520 W cap.
  CHECK(r.simulated_time_s == Approx(1e-3 + 9e-3 / 0.7 + 2e-3).epsilon(1e-9));
  REQUIRE(r.power);
  REQUIRE(r.power->thermal);
  CHECK(r.power->throttle_limit == "junction");
  CHECK(r.power->max_junction_c <= 100.0 + 0.01);
  CHECK(r.power->max_junction_c >= 100.0);
  // Coolant out: 80 C + heat / 4000 W/K; the hottest period has rank 0 at 840 W and seven GPUs
  // idle: 80 + (840 + 1400) / 4000 = 80.56 C.
  CHECK(r.power->max_coolant_c == Approx(80.56));
}

TEST_CASE("the same scenario at 30 C does not throttle", "[sim][power][thermal]") {
  const RunResult r = simulate({"workload.file=compute.yaml", "cooling.loop=test_loop"});
  // At 30 C the steady junction at board power is 30 + 1 + 32 = 63 C, far under 100 C.
  CHECK(r.simulated_time_s == Approx(0.012).epsilon(1e-9));
  REQUIRE(r.power);
  CHECK(r.power->throttled_fraction == 0.0);
  CHECK(r.power->max_junction_c == Approx(63.0));
}
