// Caps that hold (sim/engine/power_loop.hpp, models/governor.hpp): the governor's starting
// state, the firmware's fast power limiter and its transient excursions, what each cap held, and
// the bounds on the time series and the number of control periods. Driven by a fake clock; every
// expected value is derived in a comment from the model's equations.
//
// The GPU: idle 200 W, board 1000 W, a_c 0.8, a_m 0.2, gamma 2, so a GPU computing at clock
// ratio r draws 200 + 640 r^2 W, plus 160 W while its HBM streams. DVFS 2000 MHz down to
// 1000 MHz in 100 MHz steps: ratios 1, 0.95, ..., 0.5 (levels 0 to 10). Limiter response (the
// DVFS transition latency) 100 us; control period 1 ms.
#include "core/error.hpp"
#include "models/governor.hpp"
#include "sim/engine/power_loop.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace racksim;

namespace {

GpuPowerSpec round_spec() {
  GpuPowerSpec s;
  s.gpu = "round";
  s.power.idle = Watts(200.0);
  s.power.max = Watts(1000.0);
  s.power.a_c = 0.8;
  s.power.a_m = 0.2;
  s.power.gamma = 2.0;
  s.dvfs.reference = Hertz(2000e6);
  s.dvfs.min = Hertz(1000e6);
  s.dvfs.step = Hertz(100e6);
  s.dvfs.transition_latency = Seconds(100e-6);
  return s;
}

PowerSetup setup(int gpus, int per_rack) {
  PowerSetup s;
  s.gpu = round_spec();
  s.gpus = gpus;
  s.gpus_per_rack = per_rack;
  s.governor.period = Seconds(1e-3);
  s.sample_period = Seconds(1e-3);
  return s;
}

// Runs the limiter's next action at its due time and applies it, as the adapter's limiter actor
// does; returns that time.
double run_limiter(PowerLoop& loop) {
  const double now = loop.next_limiter_due().value();
  const auto changes = loop.limiter(now);
  loop.apply(changes, now);
  return now;
}

}  // namespace

TEST_CASE("caps: a GPU starts at the governor's steady state, and a cap over a compute load holds exactly", "[caps]") {
  PowerSetup s = setup(1, 1);
  s.governor.gpu_cap = Watts(540.0);
  PowerLoop loop(s);
  // Before t = 0, the decision for pure compute: 200 + 640 r^2 <= 540 -> r <= sqrt(340/640) =
  // 0.7289 -> 0.70 (level 6, 1400 MHz): 200 + 640 x 0.49 = 513.6 W. Stock clocks (level 0)
  // would draw 840 W in the first period.
  CHECK(loop.level(0) == 6);
  loop.compute_started(0, 0.0);
  CHECK_FALSE(loop.next_limiter_due().has_value());  // 513.6 W fits: nothing for the limiter
  CHECK(loop.control(1e-3).empty());
  CHECK(loop.control(2e-3).empty());
  loop.finish(3e-3);
  const PowerSummary sum = loop.summary(std::nullopt);
  REQUIRE(sum.gpu_cap.has_value());
  // Held: 513.6 W in every period. The resolution is one DVFS step: the level above, 0.75,
  // would draw 200 + 640 x 0.5625 = 560 W > 540 W.
  CHECK(sum.gpu_cap->held_w == Approx(513.6));
  CHECK(sum.gpu_cap->held_w <= 540.0);
  CHECK(sum.gpu_cap->held_w > 540.0 - (560.0 - 513.6));
  CHECK(sum.gpu_cap->excursions == 0);
  CHECK(sum.gpu_cap->excursion_total_s == 0.0);
  CHECK_FALSE(sum.rack_cap.has_value());
  CHECK(sum.limiter_response_s == Approx(100e-6));
}

TEST_CASE("caps: the fast limiter cuts a memory burst after its response time, and the excursion is reported",
          "[caps]") {
  PowerSetup s = setup(1, 1);
  s.governor.gpu_cap = Watts(540.0);
  PowerLoop loop(s);
  REQUIRE(loop.level(0) == 6);  // 513.6 W computing (previous test)
  loop.compute_started(0, 0.0);
  // HBM traffic starts at 0.5 ms: 513.6 + 160 = 673.6 W, 133.6 W (24.74%) above the cap.
  loop.memory_started(0, 0.5e-3);
  CHECK(loop.take_limiter_armed());
  REQUIRE(loop.next_limiter_due().has_value());
  CHECK(*loop.next_limiter_due() == Approx(0.6e-3));  // 0.5 ms + the 100 us response
  // At 0.6 ms: 360 + 640 r^2 <= 540 -> r <= sqrt(180/640) = 0.530 -> 0.50 (level 10): 520 W.
  const auto cut = loop.limiter(*loop.next_limiter_due());
  REQUIRE(cut.size() == 1);
  CHECK(cut[0].level == 10);
  CHECK(cut[0].limit == Limit::GpuCap);
  loop.apply(cut, 0.6e-3);
  CHECK(loop.gpu_power_now(0) == Approx(520.0));
  // The traffic ends at 0.8 ms: compute alone fits at the governor's 0.70 again, so the limiter
  // raises the clock back after its response, at 0.9 ms (360 W meanwhile at 0.50).
  loop.memory_ended(0, 0.8e-3);
  CHECK(run_limiter(loop) == Approx(0.9e-3));
  CHECK(loop.level(0) == 6);
  // The governor at 1 ms saw u_m = 0.3: 200 + 160 x 0.3 + 640 r^2 <= 540 -> r <= 0.6755 -> 0.65
  // (level 7): 200 + 640 x 0.4225 = 470.4 W computing.
  const auto ch = loop.control(1e-3);
  REQUIRE(ch.size() == 1);
  CHECK(ch[0].level == 7);
  loop.apply(ch, 1e-3);
  // Period 2 had no HBM traffic: back to 0.70.
  const auto back = loop.control(2e-3);
  REQUIRE(back.size() == 1);
  CHECK(back[0].level == 6);
  loop.finish(2e-3);
  const PowerSummary sum = loop.summary(std::nullopt);
  REQUIRE(sum.gpu_cap.has_value());
  // One excursion, 0.5-0.6 ms at 673.6 W: 133.6 W over the cap for the 100 us response.
  CHECK(sum.gpu_cap->excursions == 1);
  CHECK(sum.gpu_cap->excursion_max_w == Approx(133.6));
  CHECK(sum.gpu_cap->excursion_total_s == Approx(100e-6));
  CHECK(sum.gpu_cap->excursion_longest_s == Approx(100e-6));
  // Held: period 1 is 513.6 x 0.5 + 673.6 x 0.1 + 520 x 0.2 + 360 x 0.1 + 513.6 x 0.1 (ms) =
  // 0.51552 J over 1 ms = 515.52 W; period 2 470.4 W. Both under the cap.
  CHECK(sum.gpu_cap->held_w == Approx(515.52));
  CHECK(sum.gpu_peak_w == Approx(515.52));
  // Energy is exact: 0.51552 J + 0.4704 J.
  CHECK(loop.gpu_energy(0) == Approx(0.51552 + 0.4704));
}

TEST_CASE("caps: a rack cap at 80% of the uncapped peak holds, with one transient per burst", "[caps]") {
  // Two GPUs in a rack with no rack entry (the rack is its GPUs), both computing and streaming
  // from t = 0: uncapped, 2 x 1000 W = 2000 W. Cap: 80%, 1600 W.
  PowerSetup s = setup(2, 2);
  s.governor.rack_cap = Watts(1600.0);
  PowerLoop loop(s);
  // Starting state: pure-compute demands 840 W each, 1680 W over the 1600 W pool -> 800 W each
  // by water filling: 200 + 640 r^2 <= 800 -> r <= 0.968 -> 0.95 (level 1): 777.6 W computing.
  CHECK(loop.level(0) == 1);
  CHECK(loop.level(1) == 1);
  for (int g = 0; g < 2; ++g) {
    loop.compute_started(g, 0.0);
    loop.memory_started(g, 0.0);
  }
  // With HBM traffic: 937.6 W each, 1875.2 W for the rack, 275.2 W (17.2%) over the cap until
  // the limiter acts at 100 us: 360 + 640 r^2 <= 800 -> r <= 0.829 -> 0.80 (level 4): 769.6 W
  // each, 1539.2 W for the rack.
  CHECK(run_limiter(loop) == Approx(100e-6));
  CHECK(loop.level(0) == 4);
  CHECK(loop.level(1) == 4);
  // The governor at 1 ms (u_m = 1: demands 1000 W, shares 800 W) settles on the same level 4.
  CHECK(loop.control(1e-3).empty());
  CHECK(loop.control(2e-3).empty());
  loop.finish(2e-3);
  const PowerSummary sum = loop.summary(std::nullopt);
  REQUIRE(sum.rack_cap.has_value());
  // Held: period 1 = 1875.2 x 0.1 + 1539.2 x 0.9 = 1572.8 W; period 2 1539.2 W.
  CHECK(sum.rack_cap->held_w == Approx(1572.8));
  CHECK(sum.rack_cap->held_w <= 1600.0);
  CHECK(sum.rack_cap->excursions == 1);
  CHECK(sum.rack_cap->excursion_max_w == Approx(275.2));
  CHECK(sum.rack_cap->excursion_total_s == Approx(100e-6));
  CHECK(sum.rack_cap->excursion_longest_s == Approx(100e-6));
  CHECK(sum.throttle_limit == "rack_cap");
}

TEST_CASE("caps: the limiter's rack shares add up to the pool, spare included", "[caps][governor]") {
  // A 2000 W pool over demands 840 W and 200 W (one GPU computes, one idles) covers both: the
  // spare 960 W is split equally on top, 1320 W and 680 W, which add up to the pool.
  GovernorConfig cfg;
  cfg.rack_cap = Watts(2000.0);
  cfg.period = Seconds(1e-3);
  cfg.clock_ratios = {1.0, 0.5};
  cfg.hbm_fractions = {1.0};
  const GpuPowerSpec spec = round_spec();
  std::vector<GpuObservation> obs(2);
  obs[0].u_c = 1.0;
  const RackObservation rack{0, 2, Watts(0.0), 1.0, 1.0, std::nullopt};
  const auto d = govern(cfg, spec.power, obs, {rack});
  // Demands are taken at u_c = 1 for both (the governor's rule): 840 W each, 1680 W, spare 320 W:
  // 840 + 160 = 1000 W each.
  CHECK(d[0].power_limit_w == Approx(1000.0));
  CHECK(d[1].power_limit_w == Approx(1000.0));
  CHECK(d[0].power_limit == Limit::RackCap);
  CHECK(d[0].level == 0);  // not bound: its demand is covered
}

TEST_CASE("caps: the time series stays bounded and exact over a long run", "[caps][bounds]") {
  PowerSetup s = setup(1, 1);
  PowerLoop loop(s);
  // 300,000 periods of 1 ms. The store holds 100,000 windows per rack: at 100,000 windows it
  // merges them into 50,000 of 2 ms, at 200,000 ticks (50,000 + 50,000 of 2 ms) into 50,000 of
  // 4 ms, then 25,000 more of 4 ms come: 75,000 rows of 4 ms at the end.
  loop.compute_started(0, 0.1);
  const long n = 300000;
  for (long k = 1; k <= n; ++k) {
    const double t = static_cast<double>(k) * 1e-3;
    if (k == 150001) loop.compute_ended(0, 150.0005);  // mid-window
    (void)loop.control(t);
  }
  loop.finish(300.0);
  const auto& rows = loop.samples();
  CHECK(rows.size() == 75000);
  CHECK(rows.size() <= PowerLoop::kMaxSampleRows);
  CHECK(loop.effective_sample_period() == Approx(4e-3));
  CHECK(loop.summary(std::nullopt).sample_period_s == Approx(4e-3));
  // Averages stay exact: the rows' energy adds up to the GPU's. GPU energy: 200 W x 300 s +
  // 640 W x (150.0005 - 0.1) s = 60,000 + 95,936.32 J.
  double energy = 0.0, t0 = 0.0;
  for (const auto& r : rows) {
    energy += r.gpu_power_avg_w * (r.time - t0);
    t0 = r.time;
  }
  CHECK(loop.gpu_energy(0) == Approx(60000.0 + 640.0 * 149.9005));
  CHECK(energy == Approx(loop.gpu_energy(0)).epsilon(1e-9));
  CHECK(rows.back().time == Approx(300.0));
}

TEST_CASE("caps: a run past the limit on control periods fails, naming the time, the period and the key",
          "[caps][bounds]") {
  PowerSetup s = setup(1, 1);
  s.max_control_periods = 3;
  PowerLoop loop(s);
  for (int k = 1; k <= 3; ++k) (void)loop.control(k * 1e-3);
  try {
    (void)loop.control(4e-3);
    FAIL("expected a SimulationError");
  } catch (const SimulationError& e) {
    const std::string m = e.what();
    CHECK(m.find("3 control periods of 1 ms") != std::string::npos);
    CHECK(m.find("t = 0.004 s") != std::string::npos);
    CHECK(m.find("power.control_period") != std::string::npos);
  }
}
