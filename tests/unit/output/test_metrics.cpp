// Unit tests for sim/output/metrics: the rank totals every output prints, the named metrics and
// which exist for which run, check's fixed set and order, and the exact text form between a
// child process and its parent. Values are binary fractions or small integers, so sums are exact;
// each expected value is worked out beside it.
#include "sim/output/metrics.hpp"
#include "sim/output/results.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace racksim;

namespace {

RankBreakdown rank(int r, double compute, double comm, std::uint64_t transfers, std::uint64_t bytes, std::uint64_t hbm) {
  RankBreakdown b;
  b.rank = r;
  b.compute_s = compute;
  b.comm_s = comm;
  b.comm_total_s = 2 * comm;
  b.overlap_s = comm;
  b.idle_s = 1.0 - compute - comm;
  b.transfers = transfers;
  b.bytes_sent = bytes;
  b.hbm_peak = hbm;
  return b;
}

// Three ranks over 1 s; ranks 1 and 2 tie on the HBM peak.
RunResult three_ranks() {
  RunResult r;
  r.simulated_time_s = 1.0;
  r.per_rank = {rank(0, 0.5, 0.25, 3, 1024, 100), rank(1, 0.25, 0.5, 4, 2048, 300), rank(2, 0.75, 0.125, 5, 4096, 300)};
  return r;
}

}  // namespace

TEST_CASE("rank totals: sums over the ranks and the first rank at the largest HBM peak", "[metrics]") {
  const RankTotals t = rank_totals(three_ranks());
  CHECK(t.transfers == 12);              // 3 + 4 + 5
  CHECK(t.bytes_sent == 7168);           // 1024 + 2048 + 4096
  CHECK(t.compute_s == 1.5);             // 0.5 + 0.25 + 0.75
  CHECK(t.comm_s == 0.875);              // 0.25 + 0.5 + 0.125
  CHECK(t.comm_total_s == 1.75);         // twice the exposed comm of each rank
  CHECK(t.overlap_s == 0.875);
  CHECK(t.idle_s == 0.625);              // 3 x 1 s - 1.5 - 0.875
  CHECK(t.hbm_peak == 300);
  CHECK(t.hbm_peak_rank == 1);           // rank 2 only ties it
}

TEST_CASE("rank totals: a run without ranks has no peak rank", "[metrics]") {
  const RankTotals t = rank_totals(RunResult{});
  CHECK(t.transfers == 0);
  CHECK(t.hbm_peak == 0);
  CHECK(t.hbm_peak_rank == -1);
}

TEST_CASE("metrics: a trace run without power has time and memory only", "[metrics]") {
  const RunResult r = three_ranks();
  CHECK(metric(r, "simulated_time_s") == 1.0);
  CHECK(metric(r, "memory.hbm_peak_bytes") == 300.0);
  CHECK_FALSE(metric(r, "workload.step_time_s").has_value());   // no training step
  CHECK_FALSE(metric(r, "power.energy_j").has_value());         // no power loop
  CHECK_FALSE(metric(r, "thermal.max_junction_c").has_value());
  CHECK_FALSE(metric(r, "collectives.model_time_s").has_value());  // no collectives ran
  const auto m = check_metrics(r);
  REQUIRE(m.size() == 2);
  CHECK(m[0].first == "simulated_time_s");
  CHECK(m[1].first == "memory.hbm_peak_bytes");
}

TEST_CASE("metrics: thermal metrics exist only when the cooling loop was modelled", "[metrics]") {
  RunResult r = three_ranks();
  r.power = PowerSummary{};
  r.power->energy_j = 4096.0;
  r.power->max_junction_c = 71.5;
  r.power->breakdown_w = {{"gpus", 1000.0}};
  CHECK(metric(r, "power.energy_j") == 4096.0);
  CHECK_FALSE(metric(r, "thermal.max_junction_c").has_value());
  // No scale-out switches in this cluster's breakdown: they draw nothing.
  CHECK(metric(r, "power.scale_out_switches_avg_w") == 0.0);
  r.power->thermal = true;
  CHECK(metric(r, "thermal.max_junction_c") == 71.5);
  r.power->breakdown_w.emplace_back("scale_out_switches", 750.0);
  CHECK(metric(r, "power.scale_out_switches_avg_w") == 750.0);
}

TEST_CASE("metrics: check's set is fixed, named in docs/check.md, and a subset of the table", "[metrics]") {
  // docs/check.md lists these sixteen, in this order; sweep's columns follow it.
  const std::vector<std::string> expected = {
      "simulated_time_s",       "workload.step_time_s",  "workload.tokens_per_s", "workload.mfu",
      "power.energy_j",         "power.it_avg_w",        "power.gpu_peak_w",      "power.clock_avg_mhz",
      "thermal.max_junction_c", "thermal.max_coolant_c", "memory.hbm_peak_bytes", "collectives.model_time_s",
      "serving.ttft_p99_s",     "serving.tpot_p99_s",    "serving.e2e_p99_s",     "serving.output_tokens_per_s"};
  CHECK(check_metric_names() == expected);
  CHECK(metric_table().size() > expected.size());
}

TEST_CASE("metrics: an unknown metric name is an internal error", "[metrics]") {
  CHECK_THROWS_WITH(metric(RunResult{}, "power.nonsense"), "internal error: no metric named 'power.nonsense'");
}

TEST_CASE("metrics: a metric that is not a finite number fails the run", "[metrics]") {
  RunResult r = three_ranks();
  r.simulated_time_s = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH(check_metrics(r), Catch::Contains("metric simulated_time_s is not a finite number"));
}

TEST_CASE("metrics: the text form between processes gives back the same doubles", "[metrics]") {
  // 0.1 has no short binary form; the hexadecimal float carries all 53 bits.
  const std::vector<std::pair<std::string, double>> m = {{"a", 0.1}, {"b.c", -1e-300}, {"d", 12345678901234567.0}};
  const auto back = decode_metric_lines(encode_metric_lines(m));
  REQUIRE(back.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(back[i].first == m[i].first);
    CHECK(back[i].second == m[i].second);  // exact
  }
  CHECK_THROWS(decode_metric_lines("no-space-here\n"));
}
