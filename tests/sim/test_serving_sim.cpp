// Inference serving in the engine (sim/engine/serving_executor.hpp driven by SimGrid): an
// iteration's kernels run on every GPU of its instance at once, instances run side by side, and a
// disaggregated hand-off crosses the fabric. Each TEST_CASE runs in its own process.
//
// The oracle cluster (tests/data/sim/switched.yaml): 8 GPUs of 100 TFLOP/s BF16 and 10 TB/s HBM,
// no launch overhead, on one switch at 50 GB/s per GPU per direction, 5 us per transfer; no
// collective library. The model is small (4 layers of h = 1024), all BF16, no calibration, so the
// cost of an iteration is the cost model's plain roofline (models/serving.hpp, tested on its own).
// What is checked here is the engine: the simulated time of a run whose schedule is known by hand
// is the sum of its iterations' phase times — as the executor's unit test adds them with a fake
// clock — and not, say, tp times that (every GPU's kernels queued on one host).
#include "sim/engine/run.hpp"
#include "sim/scenario/scenario.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

using namespace racksim;

namespace {

const std::string kData = std::string(RACKSIM_TEST_DATA) + "/sim/";

// The oracle cluster with a serving workload in place of the trace.
Scenario serving_scenario(const std::vector<std::string>& extra) {
  std::vector<std::string> sets = {
      "workload={kind: inference_serving, model: {hidden: 1024, layers: 4, heads: 8, kv_heads: 8, ffn: 4096, vocab: 32000}, "
      "scheduler: {max_batch_tokens: 64, max_num_seqs: 16}, "
      "requests: {arrival: offline, count: 1, input: {dist: fixed, tokens: 100}, output: {dist: fixed, tokens: 3}}}"};
  sets.insert(sets.end(), extra.begin(), extra.end());
  return load_scenario(kData + "switched.yaml", sets, RACKSIM_SOURCE_DIR);
}

// The four iterations of one request of 100 in / 3 out with a 64-token budget: a 64-token chunk;
// the last 36 (after 64 cached), which produce the first token; two decodes reading 101 and 102
// KV entries (docs/inference.md, the scheduler's worked example).
std::vector<IterationBatch> one_request_iterations() {
  IterationBatch a;
  a.prefill_seqs = 1;
  a.prefill_tokens = 64;
  a.prefill_attention_pairs = 64.0 * 64.0 / 2.0;
  a.prefill_context_tokens = 64;
  IterationBatch b;
  b.prefill_seqs = 1;
  b.prefill_tokens = 36;
  b.prefill_attention_pairs = 36.0 * 64.0 + 36.0 * 36.0 / 2.0;
  b.prefill_context_tokens = 100;
  b.sampled_seqs = 1;
  IterationBatch d1;
  d1.decode_seqs = 1;
  d1.sampled_seqs = 1;
  d1.decode_context_tokens = 101;
  IterationBatch d2 = d1;
  d2.decode_context_tokens = 102;
  return {a, b, d1, d2};
}

// One iteration on `in`: its two kernel phases, then its timer (launches and all-reduces).
double iteration_time(const ServingInstanceSetup& in, const IterationBatch& batch) {
  const IterationCost c = in.cost->stage_cost(0, batch);
  double t = c.device_time_s() + c.exposed_launch_s();
  if (c.tp_allreduces > 0) t += static_cast<double>(c.tp_allreduces) * in.allreduce_time(c.tp_allreduce_bytes);
  return t;
}

}  // namespace

TEST_CASE("serving: a TP 4 instance's GPUs run each iteration's kernels together", "[sim][serving]") {
  const Scenario s = serving_scenario({"workload.instance.tp=4", "workload.instances=1"});
  Run run(s);
  const RunResult r = run.execute();
  const PreparedRun p = prepare_run(s, std::nullopt);
  REQUIRE(p.serving);
  const ServingInstanceSetup& in = p.serving->instances.at(0);
  double expect = 0.0;
  for (const auto& b : one_request_iterations()) expect += iteration_time(in, b);
  // Four GPUs each run the same kernels at once: the time is one GPU's, not four times it.
  CHECK(r.simulated_time_s == Approx(expect).epsilon(1e-9));
  REQUIRE(r.serving);
  CHECK(r.serving->finished == 1);
  CHECK(r.serving->iterations == 4);
  CHECK(r.serving->e2e.max == Approx(expect).epsilon(1e-9));
}

TEST_CASE("serving: two instances serve their requests side by side", "[sim][serving]") {
  // Two TP 1 instances, two requests at t = 0, round robin: each instance runs the four
  // iterations of one request, at the same time as the other: the run takes one request's time.
  const Scenario s = serving_scenario({"workload.instance.tp=1", "workload.instances=2", "workload.requests.count=2"});
  Run run(s);
  const RunResult r = run.execute();
  const PreparedRun p = prepare_run(s, std::nullopt);
  const ServingInstanceSetup& in = p.serving->instances.at(0);
  double expect = 0.0;
  for (const auto& b : one_request_iterations()) expect += iteration_time(in, b);
  CHECK(r.simulated_time_s == Approx(expect).epsilon(1e-9));
  REQUIRE(r.serving);
  CHECK(r.serving->finished == 2);
  REQUIRE(r.serving->instances.size() == 2);
  CHECK(r.serving->instances[0].iterations == 4);
  CHECK(r.serving->instances[1].iterations == 4);
}

TEST_CASE("serving: a disaggregated hand-off moves the KV cache over the switch", "[sim][serving]") {
  // One TP 2 prefill instance (GPUs 0, 1), one TP 2 decode instance (GPUs 2, 3). The prefill
  // instance runs the two chunk iterations; then each prefill GPU k sends its share of the 100
  // cached tokens' KV to decode GPU 2 + k: per GPU 2 (K, V) x 4 layers x 4 KV heads x 128 x 2 B
  // = 8192 B per token, 819,200 B, at 50 GB/s after the 5 us route: 5 us + 16.384 us =
  // 21.384 us, both at once on disjoint links. Then the decode instance runs the two decodes.
  const Scenario s = serving_scenario({"workload.disaggregation={prefill: {instances: 1, tp: 2}, decode: {instances: 1, tp: 2}}"});
  Run run(s);
  const RunResult r = run.execute();
  const PreparedRun p = prepare_run(s, std::nullopt);
  const ServingInstanceSetup& pre = p.serving->instances.at(0);
  const ServingInstanceSetup& dec = p.serving->instances.at(1);
  CHECK(pre.kv_bytes_per_token == 8192.0);
  const auto its = one_request_iterations();
  const double prefill = iteration_time(pre, its[0]) + iteration_time(pre, its[1]);
  const double transfer = 5e-6 + 819200.0 / 50e9;
  const double decode = iteration_time(dec, its[2]) + iteration_time(dec, its[3]);
  CHECK(r.simulated_time_s == Approx(prefill + transfer + decode).epsilon(1e-9));
  REQUIRE(r.serving);
  CHECK(r.serving->ttft.max == Approx(prefill).epsilon(1e-9));
  REQUIRE(r.serving->pools.size() == 2);
  CHECK(r.serving->pools[0].role == "prefill");
  CHECK(r.serving->pools[1].role == "decode");
}
