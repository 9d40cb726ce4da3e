// Generated training steps simulated end to end. Each TEST_CASE runs in its own process.
#include "core/error.hpp"
#include "sim/engine/run.hpp"
#include "sim/scenario/scenario.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace racksim;

namespace {

const std::string kData = std::string(RACKSIM_TEST_DATA) + "/sim/";

// Simulates the scenario's generated workload with every pipeline transfer emptied: the
// "compute-only" step of the bubble formula, where a stage hand-off costs only the 5 us latency.
RunResult simulate_compute_only(const std::vector<std::string>& sets) {
  const Scenario s = load_scenario(kData + "transformer-pipeline.yaml", sets, RACKSIM_SOURCE_DIR);
  Workload w = build_workload(s);
  for (auto& prog : w.programs)
    for (auto& op : prog)
      if (op.kind == OpKind::Send || op.kind == OpKind::Recv) op.bytes = 0;
  Run run(s, std::move(w));
  return run.execute();
}

}  // namespace

TEST_CASE("1F1B pipeline bubble is (p-1)/(m+p-1) when stages are equal", "[sim][transformer]") {
  // p = 4 stages, m = global / (micro x dp) = 8 micro batches: 3 / 11 = 0.2727. Work per micro
  // batch per stage: 2 layers x 3 passes x s (24 h^2 + 4 s h) = 1.44 TFLOP at 100 TFLOP/s, about
  // 14 ms. The stages differ only by the embedding look-up (8 MB at 10 TB/s, under 1 us) and the
  // 16-word output layer; each of the 2(p-1) hand-offs on the critical path costs 5 us. Together
  // under 0.001 of the step: margin 0.005.
  const RunResult r = simulate_compute_only({});
  REQUIRE(r.training);
  CHECK(r.training->pipeline_bubble_fraction == Approx(3.0 / 11.0).margin(0.005));
  // No tensor, data, expert or context parallelism: nothing but the pipeline communicates.
  for (const auto& [dim, s] : r.training->exposed_comm_s)
    if (dim != "pp") CHECK(s == 0.0);
}

TEST_CASE("interleaved 1F1B divides the bubble by the number of virtual stages", "[sim][transformer]") {
  // Narayanan et al. 2021, section 2.2.1: with v model chunks per rank the bubble time shrinks to
  // (p-1)/v micro-batch times, so the fraction is (p-1)/(v m + p - 1) = 3 / (2 x 8 + 3) = 3/19.
  const RunResult r = simulate_compute_only({"workload.parallel.virtual_stages=2"});
  REQUIRE(r.training);
  CHECK(r.training->pipeline_bubble_fraction == Approx(3.0 / 19.0).margin(0.005));
}

TEST_CASE("more micro batches shrink the 1F1B bubble as the formula says", "[sim][transformer]") {
  // m = 32: 3 / 35 = 0.0857.
  const RunResult r = simulate_compute_only({"workload.batch.global=32"});
  REQUIRE(r.training);
  CHECK(r.training->pipeline_bubble_fraction == Approx(3.0 / 35.0).margin(0.005));
  // Every token of the step is accounted for: 32 sequences x 2048 tokens per step.
  CHECK(r.training->tokens_per_s * r.training->step_time_s == Approx(32.0 * 2048.0));
}
