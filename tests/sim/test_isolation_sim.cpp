// Calls timed in closed form (simulation.collective_timing: auto, sim/engine/isolation.hpp) against
// the same run transfer by transfer (collective_timing: transfers) in SimGrid. The oracle is the
// transfer-by-transfer simulation itself: where the proof holds and no kernel runs beside a call,
// the closed form is the engine's own arithmetic and must give the same times, energy and bytes
// (to rounding); where a kernel overlaps a call, its reductions no longer share the GPU with it,
// and the run must say so and stay within 0.5%.
#include "sim/cli/child_run.hpp"
#include "sim/engine/run.hpp"
#include "sim/scenario/scenario.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <string>
#include <vector>

using namespace racksim;

namespace {

const std::string kData = std::string(RACKSIM_TEST_DATA) + "/sim/";

struct Outcome {
  double time = 0.0;
  double energy = 0.0;
  double transfers = 0.0;   // all ranks
  double bytes_sent = 0.0;  // all ranks
  double last_finish = 0.0; // the latest rank's own finish
};

Outcome outcome(const RunResult& r) {
  Outcome o;
  o.time = r.simulated_time_s;
  o.energy = r.power ? r.power->energy_j : 0.0;
  for (const auto& b : r.per_rank) {
    o.transfers += static_cast<double>(b.transfers);
    o.bytes_sent += static_cast<double>(b.bytes_sent);
    o.last_finish = std::max(o.last_finish, b.finish_s);
  }
  return o;
}

std::vector<std::string> sets_for(const std::string& trace, const std::string& timing, std::vector<std::string> extra) {
  extra.push_back("workload.file=" + trace);
  extra.push_back("simulation.collective_timing=" + timing);
  return extra;
}

// Transfer by transfer, in a child process (one SimGrid engine per process), on `scenario`
// (switched.yaml: 8 GPUs on one switch) with `extra` settings.
Outcome by_transfers(const std::string& trace, const std::string& scenario = "switched.yaml",
                     const std::vector<std::string>& extra = {}) {
  const std::string text = run_in_child(
      [&] {
        const Scenario s = load_scenario(kData + scenario, sets_for(trace, "transfers", extra), RACKSIM_SOURCE_DIR);
        Run run(s);  // keeps a reference to its scenario
        const RunResult r = run.execute();
        if (r.isolation.isolated_plans != 0) return std::string("closed-form calls in a transfers run");
        const Outcome o = outcome(r);
        return fmt::format("{:a} {:a} {:a} {:a} {:a}", o.time, o.energy, o.transfers, o.bytes_sent, o.last_finish);
      },
      "the transfer-by-transfer run");
  Outcome o;
  char* p = nullptr;
  o.time = std::strtod(text.c_str(), &p);
  o.energy = std::strtod(p, &p);
  o.transfers = std::strtod(p, &p);
  o.bytes_sent = std::strtod(p, &p);
  o.last_finish = std::strtod(p, &p);
  INFO(text);
  REQUIRE(o.time > 0.0);
  return o;
}

RunResult closed_form(const std::string& trace, const std::string& scenario = "switched.yaml",
                      const std::vector<std::string>& extra = {}) {
  const Scenario s = load_scenario(kData + scenario, sets_for(trace, "auto", extra), RACKSIM_SOURCE_DIR);
  Run run(s);  // keeps a reference to its scenario
  return run.execute();
}

}  // namespace

TEST_CASE("closed-form calls: members arriving apart give the transfer-by-transfer times and bytes",
          "[sim][isolation]") {
  // 8 GPUs on one switch, three ring calls (all-reduce, all-gather, reduce-scatter) reached 30 us
  // apart by the two halves of the ranks, with a compute kernel between the first two, then a
  // halving-doubling all-reduce. A ring's pairs each use one up and one down link once, and each
  // halving-doubling step one up link per source and one down link per receiver: every link at
  // 100%, every call isolated.
  const Outcome t = by_transfers("staggered-calls.yaml");
  const RunResult r = closed_form("staggered-calls.yaml");
  INFO(r.isolation.reason);
  CHECK(r.isolation.plans == 4);
  CHECK(r.isolation.isolated_plans == 4);
  CHECK(r.isolation.max_link_load == Approx(1.0));
  CHECK(r.isolation.member_calls == 32);
  CHECK(r.isolation.overlapped == 0);
  CHECK(r.isolation.clamped == 0);
  const Outcome o = outcome(r);
  CHECK(o.time == Approx(t.time).epsilon(1e-9));
  CHECK(o.last_finish == Approx(t.last_finish).epsilon(1e-9));
  CHECK(o.energy == Approx(t.energy).epsilon(1e-9));
  CHECK(o.transfers == t.transfers);    // each member's sends, counted from the schedule
  CHECK(o.bytes_sent == t.bytes_sent);
  // Four calls of four shapes: one evaluation each, of 8 members x 2 x 7 steps = 112 transfers
  // for the ring all-reduce, 8 x 7 = 56 for the all-gather and the reduce-scatter, and 8 x 2 x 3
  // = 48 for halving-doubling (log2 8 halving steps, then as many doubling steps).
  CHECK(r.isolation.evaluations == 4);
  CHECK(r.isolation.evaluated_transfers == 112 + 56 + 56 + 48);
}

TEST_CASE("closed-form calls: a kernel beside a call is reported and stays within 0.5%", "[sim][isolation]") {
  // overlap.yaml: a 1 GB ring all-reduce on the comm stream while a 1 TFLOP kernel runs on the
  // compute stream. Transfer by transfer, the all-reduce's reductions share the GPU with the
  // kernel; in closed form they run at their uncontended time.
  const Outcome t = by_transfers("overlap.yaml");
  const RunResult r = closed_form("overlap.yaml");
  CHECK(r.isolation.isolated_plans == 1);
  CHECK(r.isolation.member_calls == 8);
  CHECK(r.isolation.overlapped == 8);  // every member's GPU ran the kernel meanwhile
  const Outcome o = outcome(r);
  CHECK(o.time == Approx(t.time).epsilon(0.005));
  CHECK(o.energy == Approx(t.energy).epsilon(0.005));
  CHECK(o.bytes_sent == t.bytes_sent);
}

TEST_CASE("closed-form calls: a step's several transfers with one peer share its route, as transfer by transfer",
          "[sim][isolation]") {
  // hierarchical-calls.yaml on two 4-GPU domains (one NIC per GPU, a rail leaf/spine between):
  // hierarchical all-gather and reduce-scatter (a ring inside each domain, a 2-member ring on each
  // rail) and all-reduce, reached 30 us apart by the two domains. Inside a domain each ring step
  // sends one piece per domain to the same neighbour: two transfers at once on one route, which
  // share its bottleneck and end together at latency + both pieces / bandwidth. Counted once per
  // peer, every link's demand bound is one route's rate: 100%, every call isolated. Counted per
  // transfer it would be 200% and no call would be.
  const std::vector<std::string> four = {"cluster.scale_up.gpus=4"};
  const Outcome t = by_transfers("hierarchical-calls.yaml", "two-domains.yaml", four);
  const RunResult r = closed_form("hierarchical-calls.yaml", "two-domains.yaml", four);
  INFO(r.isolation.reason);
  CHECK(r.isolation.plans == 3);
  CHECK(r.isolation.isolated_plans == 3);
  CHECK(r.isolation.max_link_load == Approx(1.0));
  CHECK(r.isolation.overlapped == 0);
  const Outcome o = outcome(r);
  CHECK(o.time == Approx(t.time).epsilon(1e-9));
  CHECK(o.last_finish == Approx(t.last_finish).epsilon(1e-9));
  CHECK(o.energy == Approx(t.energy).epsilon(1e-9));
  CHECK(o.transfers == t.transfers);
  CHECK(o.bytes_sent == t.bytes_sent);
}
