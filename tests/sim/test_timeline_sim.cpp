// timeline.json from whole simulations (sim/output/timeline.hpp, docs/timeline.md). Each TEST_CASE runs
// in its own process (SimGrid: one engine per process).
//
// The oracle: tests/data/sim/overlap.yaml on the switched oracle cluster (switched.yaml: B =
// 50 GB/s per GPU, alpha = 5 us per transfer; test GPU 100 TFLOP/s BF16, 10 TB/s HBM, no
// launch overhead), as tests/sim/test_oracles.cpp derives it: on each of the 8 ranks the 1 GB
// ring all-reduce 'ar' runs from 0 to 2 x 7 x (5 us + 1 GB / (8 x 50 GB/s)) = 35.07 ms on the
// comm stream; the 1 TFLOP kernel 'gemm' runs from 0 on the compute stream, 10 ms plus 0.625 us
// for each of the four reductions it meets = 10.0025 ms; 'after' waits for 'ar' and runs
// 1 TFLOP / 100 TFLOP/s = 10 ms, from 35.07 to 45.07 ms.
#include "sim/cli/child_run.hpp"
#include "sim/engine/run.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/output/timeline.hpp"

#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>

#include "../unit/trace_checks.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

using namespace racksim;
using namespace racksim::test;

namespace {

const std::string kData = std::string(RACKSIM_TEST_DATA) + "/sim/";

RunResult simulate(const std::string& scenario, const std::vector<std::string>& sets, std::size_t max_events) {
  const Scenario s = load_scenario(kData + scenario, sets, RACKSIM_SOURCE_DIR);
  Run run(s);
  run.keep_timeline(max_events);
  return run.execute();
}

}  // namespace

TEST_CASE("timeline: the overlap oracle's spans start and last as derived", "[sim][timeline]") {
  // Transfer by transfer, as the oracle derives it (tests/sim/test_oracles.cpp).
  const RunResult r =
      simulate("switched.yaml", {"workload.file=overlap.yaml", "simulation.collective_timing=transfers"}, kTimelineMaxEvents);
  REQUIRE(r.timeline);
  CHECK(r.timeline->ranks.size() == 8);
  CHECK(r.timeline->events == 24);  // 8 ranks x 3 ops
  CHECK(timeline_coverage(r).empty());
  const YAML::Node doc = YAML::Load(timeline_json(r));
  const auto ev = events(doc);
  check_trace(ev);
  // (pid, tid) -> thread name
  std::map<std::pair<int, int>, std::string> threads;
  for (const auto& e : ev)
    if (e["ph"].as<std::string>() == "M" && e["name"].as<std::string>() == "thread_name")
      threads[{e["pid"].as<int>(), e["tid"].as<int>()}] = e["args"]["name"].as<std::string>();
  int spans = 0;
  for (const auto& e : ev) {
    if (e["ph"].as<std::string>() != "X") continue;
    ++spans;
    const std::string name = e["name"].as<std::string>();
    const double ts = e["ts"].as<double>();
    const double dur = e["dur"].as<double>();
    const std::string thread = threads[{e["pid"].as<int>(), e["tid"].as<int>()}];
    INFO("pid " << e["pid"].as<int>() << " " << name << " ts " << ts << " dur " << dur);
    if (name == "ar") {
      // 0 to 35.07 ms = 35,070 us, on the comm stream, a ring all-reduce of 1 GB over 8 ranks.
      CHECK(ts == 0.0);
      CHECK(dur == Approx(35070.0).epsilon(1e-6));
      CHECK(thread == "comm");
      CHECK(e["cat"].as<std::string>() == "all_reduce");
      CHECK(e["args"]["bytes"].as<std::uint64_t>() == 1'000'000'000);
      CHECK(e["args"]["group"].as<std::string>() == "world");
      CHECK(e["args"]["group_size"].as<int>() == 8);
      CHECK(e["args"]["algorithm"].as<std::string>() == "ring");
    } else if (name == "gemm") {
      // 0 to 10.0025 ms = 10,002.5 us on the compute stream; 1 TFLOP.
      CHECK(ts == 0.0);
      CHECK(dur == Approx(10002.5).epsilon(1e-6));
      CHECK(thread == "compute");
      CHECK(e["args"]["flops"].as<double>() == 1e12);
    } else if (name == "after") {
      // From 35.07 ms (35,070 us) for 10 ms (10,000 us), on the compute stream's one lane.
      CHECK(ts == Approx(35070.0).epsilon(1e-6));
      CHECK(dur == Approx(10000.0).epsilon(1e-6));
      CHECK(thread == "compute");
    } else {
      FAIL("unexpected span " << name);
    }
  }
  CHECK(spans == 24);
  // Two threads per rank: comm and compute, no extra lane (ops of one stream run in order).
  CHECK(threads.size() == 16);
  const YAML::Node other = doc["otherData"];
  CHECK(other["scenario"].as<std::string>() == r.scenario_name);
  CHECK(other["simulated_time_s"].as<double>() == Approx(0.04507).epsilon(1e-6));
  CHECK(other["ranks_included"].as<int>() == 8);
  CHECK(other["ranks_left_out"].as<int>() == 0);
}

TEST_CASE("timeline: the event cap keeps the first ranks whole", "[sim][timeline]") {
  // 3 events per rank: a cap of 7 keeps ranks 0 and 1 (6 events); rank 2 would make 9. Ranks
  // 2-7 are left out: 6 ranks, 18 events.
  const RunResult r = simulate("switched.yaml", {"workload.file=overlap.yaml"}, 7);
  REQUIRE(r.timeline);
  CHECK(r.timeline->ranks.size() == 2);
  CHECK(r.timeline->ranks_left_out == 6);
  CHECK(r.timeline->events_left_out == 18);
  CHECK(r.per_rank.size() == 8);  // the run itself is whole
  CHECK(timeline_coverage(r) == "ranks 2-7 (6 ranks, 18 events) left out of the timeline, over its 7-event cap; it "
                                "holds ranks 0-1");
  const YAML::Node doc = YAML::Load(timeline_json(r));
  const auto ev = events(doc);
  check_trace(ev);
  int spans = 0;
  for (const auto& e : ev)
    if (e["ph"].as<std::string>() == "X") {
      ++spans;
      CHECK(e["pid"].as<int>() <= 2);  // ranks 0 and 1 are pids 1 and 2
    }
  CHECK(spans == 6);
  CHECK(doc["otherData"]["ranks_included_range"].as<std::string>() == "0-1");
  CHECK(doc["otherData"]["events_left_out"].as<int>() == 18);
}

TEST_CASE("timeline: a reduced run holds its replica and says so", "[sim][timeline]") {
  // tests/data/sim/replicas.yaml reduces to one domain of 4 GPUs (TP 2 x PP 2) standing for 8
  // data-parallel replicas; their data-parallel calls are closed-form timers.
  const RunResult r = simulate("replicas.yaml", {}, kTimelineMaxEvents);
  REQUIRE(r.reduction.applied);
  REQUIRE(r.timeline);
  CHECK(r.timeline->ranks.size() == 4);
  CHECK(r.timeline->simulated_ranks == 4);
  CHECK(r.timeline->ranks_left_out == 0);
  CHECK(timeline_coverage(r) ==
        "the timeline holds only the simulated replica's ranks (0-3), which stand for 8 replicas");
  const YAML::Node doc = YAML::Load(timeline_json(r));
  const auto ev = events(doc);
  check_trace(ev);
  const YAML::Node other = doc["otherData"];
  CHECK(other["reduced"].as<bool>());
  CHECK(other["replicas"].as<int>() == 8);
  CHECK(other["ranks_included"].as<int>() == 4);
  int closed = 0, dp = 0;
  for (const auto& e : ev) {
    if (e["ph"].as<std::string>() != "X") continue;
    CHECK(e["pid"].as<int>() <= 4);
    if (e["args"]["closed_form"]) ++closed;
    if (e["args"]["dim"] && e["args"]["dim"].as<std::string>() == "dp") {
      ++dp;
      CHECK(e["args"]["closed_form"]);  // every data-parallel call leaves the replica
    }
  }
  CHECK(dp > 0);
  CHECK(closed == dp);
}

TEST_CASE("timeline: two runs of the same scenario give the same bytes", "[sim][timeline]") {
  const auto once = [] {
    return run_in_child([] { return timeline_json(simulate("switched.yaml", {"workload.file=overlap.yaml"}, kTimelineMaxEvents)); },
                        "the timeline run");
  };
  const std::string a = once();
  const std::string b = once();
  CHECK(a.size() > 1000);
  CHECK(a == b);
}
