// Generated training steps simulated end to end. Each TEST_CASE runs in its own process.
#include "core/error.hpp"
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

TEST_CASE("overlap_param_gather hides every parameter all-gather but the first layer's", "[sim][transformer][overlap]") {
  // transformer-zero1.yaml: 2 GPUs, ZeRO 1, two layers of h = 2048, F = 8192 (GELU), 16 heads,
  // vocabulary 16, sequence 2048, one micro batch. A layer holds 4 h^2 + 2 h F + 2 h = 50,335,744
  // parameters; the output layer V h + h = 34,816. A 2-member ring all-gather of a bucket moves its
  // other half, P bytes (2 B x P / 2), in one step. NCCL's constants (models/catalog/collectives.yaml)
  // and the path (two 2 us links and a 1 us switch: 5 us):
  //   a layer, Simple: base 8.4 + hop 3.4 + 5 us + 50,335,744 B / 50 GB/s = 1023.515 us;
  //   the output layer, LL (half the wire is flags): 6.6 + 0.6 + 5 + 34,816 / 25 GB/s = 13.593 us.
  // Without overlap the gathers run after the optimizer, one after another, all exposed. With it,
  // micro batch 0's forward gathers the embedding, then layer 0 while the embedding look-up runs
  // (2 s h = 8.39 MB at 10 TB/s: 0.839 us), and layer 0 waits for its gather; layer 1's and the
  // output layer's gathers run while layer 0 and layer 1 compute (a layer's forward, 24 s h^2 +
  // 4 s^2 h = 240 GFLOP at 100 TFLOP/s = 2.4 ms, is longer than a gather). So the step is
  // shorter by layer 1's and the output layer's gathers and by the look-up now hidden:
  // 1023.515 + 13.593 + 0.839 = 1037.947 us.
  // One SimGrid engine per process: the run without overlap goes in a forked child.
  struct Outcome {
    double step = 0.0, exposed_dp = 0.0, sent = 0.0;
  };
  const auto run = [](bool overlap) {
    const Scenario s = load_scenario(kData + "transformer-zero1.yaml",
                                     {fmt::format("workload.options.overlap_param_gather={}", overlap)},
                                     RACKSIM_SOURCE_DIR);
    Run r(s, build_workload(s));
    const RunResult res = r.execute();
    Outcome o;
    if (!res.training) return o;
    o.step = res.training->step_time_s;
    for (const auto& [dim, seconds] : res.training->exposed_comm_s)
      if (dim == "dp") o.exposed_dp = seconds;
    for (const auto& k : res.per_rank) o.sent += static_cast<double>(k.bytes_sent);
    return o;
  };
  const std::string text = run_in_child(
      [&] {
        const Outcome o = run(false);
        return fmt::format("{:a} {:a} {:a}", o.step, o.exposed_dp, o.sent);
      },
      "the run without overlap");
  Outcome plain;
  {
    char* end = nullptr;
    plain.step = std::strtod(text.c_str(), &end);
    plain.exposed_dp = std::strtod(end, &end);
    plain.sent = std::strtod(end, &end);
  }
  const Outcome overlapped = run(true);
  REQUIRE(plain.step > 0.0);
  REQUIRE(overlapped.step > 0.0);
  const double layer_gather = 8.4e-6 + 3.4e-6 + 5e-6 + 50'335'744.0 / 50e9;
  const double head_gather = 6.6e-6 + 0.6e-6 + 5e-6 + 34'816.0 / 25e9;
  const double lookup = 2.0 * 2048.0 * 2048.0 / 10e12;
  const double saved = plain.step - overlapped.step;
  CHECK(saved == Approx(layer_gather + head_gather + lookup).margin(1e-6));
  // The saving is exposed data-parallel time that went away; what stays exposed includes layer
  // 0's gather, which nothing can hide.
  CHECK(plain.exposed_dp - overlapped.exposed_dp == Approx(layer_gather + head_gather).margin(2e-6));
  CHECK(overlapped.exposed_dp >= layer_gather);
  // The same bytes cross the fabric either way.
  CHECK(plain.sent == overlapped.sent);
}
