// Unit tests for the serving metrics (sim/output/serving_metrics.cpp) and where they are written:
// summary.json's `serving` object, serving_timeseries.csv, the summary table and report.html's
// serving section. Records are built by hand; every expected number is derived in the comment
// beside it.
#include "sim/output/report.hpp"
#include "sim/output/results.hpp"
#include "sim/output/serving_metrics.hpp"

#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace racksim;

namespace {

bool contains(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

RequestRecord request(double arrival, double scheduled, double first_token, double finish, std::int64_t input,
                      std::int64_t generated, int preemptions = 0) {
  RequestRecord q;
  q.arrival_s = arrival;
  q.first_scheduled_s = scheduled;
  q.first_token_s = first_token;
  q.finish_s = finish;
  q.input_tokens = input;
  q.output_tokens = generated;
  q.generated = generated;
  q.preemptions = preemptions;
  return q;
}

IterationRecord iteration(int instance, double start, double end, std::int64_t prefill, std::int64_t decode,
                          std::int64_t running, std::int64_t waiting, double kv) {
  IterationRecord it;
  it.instance = instance;
  it.start_s = start;
  it.end_s = end;
  it.prefill_tokens = prefill;
  it.decode_seqs = decode;
  it.running = running;
  it.waiting = waiting;
  it.kv_used_fraction = kv;
  return it;
}

// Five requests over a run of T = 5 s (the SLO cases: TTFT <= 0.5 s, TPOT <= 0.15 s):
//   r0  arrives 0,   first token 0.2 (TTFT 0.2),  finish 1.2,  11 tokens: TPOT 1.0 / 10 = 0.1   meets both
//   r1  arrives 1,   first token 2.0 (TTFT 1.0),  finish 3.0,  11 tokens: TPOT 0.1              misses TTFT
//   r2  arrives 2,   first token 2.25 (TTFT 0.25), finish 4.25, 11 tokens: TPOT 2.0 / 10 = 0.2  misses TPOT
//   r3  arrives 3,   first token 3.5 (TTFT 0.5, at the SLO: meets), 1 token: no TPOT          meets both
//   r4  arrives 3.5, first token 3.75, never finishes, 5 tokens so far                      misses (unfinished)
// Prompts 100, 200, 300, 400, 500 tokens; r1 preempted twice, r4 once.
std::vector<RequestRecord> five_requests() {
  return {request(0.0, 0.1, 0.2, 1.2, 100, 11), request(1.0, 1.5, 2.0, 3.0, 200, 11, 2),
          request(2.0, 2.0, 2.25, 4.25, 300, 11), request(3.0, 3.25, 3.5, 3.5, 400, 1),
          request(3.5, 3.5, 3.75, -1.0, 500, 5, 1)};
}

}  // namespace

// ---- percentiles -------------------------------------------------------------------------------

TEST_CASE("serving: percentiles of 1..10 interpolate linearly between the closest ranks", "[serving]") {
  // NumPy's 'linear': h = (n - 1) q over sorted x[0..9] = 1..10.
  //   p50: h = 9 x 0.5 = 4.5  -> x[4] + 0.5 (x[5] - x[4]) = 5 + 0.5 = 5.5
  //   p90: h = 8.1            -> 9 + 0.1 x 1 = 9.1
  //   p99: h = 8.91           -> 9 + 0.91 = 9.91
  //   mean 55 / 10 = 5.5, max 10. Given out of order: sorted first.
  const LatencyStats s = latency_stats({7, 3, 10, 1, 9, 2, 8, 5, 4, 6});
  CHECK(s.count == 10);
  CHECK(s.mean == Approx(5.5));
  CHECK(s.p50 == Approx(5.5));
  CHECK(s.p90 == Approx(9.1));
  CHECK(s.p99 == Approx(9.91));
  CHECK(s.max == 10.0);
}

TEST_CASE("serving: percentiles of one value, of none, and at the ends", "[serving]") {
  CHECK(percentile({}, 0.5) == 0.0);
  CHECK(percentile({4.0}, 0.99) == 4.0);               // n = 1: h = 0, the value itself
  CHECK(percentile({1.0, 3.0}, 0.0) == 1.0);           // h = 0: the smallest
  CHECK(percentile({1.0, 3.0}, 1.0) == 3.0);           // h = 1: the largest
  CHECK(percentile({1.0, 3.0}, 0.25) == Approx(1.5));  // h = 0.25: 1 + 0.25 x 2
  const LatencyStats none = latency_stats({});
  CHECK(none.count == 0);
  CHECK(none.mean == 0.0);
  CHECK(none.p99 == 0.0);
}

// ---- latencies ---------------------------------------------------------------------------------

TEST_CASE("serving: TTFT, TPOT, end-to-end and queueing of one request", "[serving]") {
  // Arrives 0.5, first scheduled 0.6, first token 1.0, finishes 2.0 with 11 tokens:
  //   TTFT 1.0 - 0.5 = 0.5; TPOT (2.0 - 1.0) / (11 - 1) = 0.1; E2E 2.0 - 0.5 = 1.5; queueing 0.6 - 0.5 = 0.1.
  const ServingMetrics m = serving_metrics({request(0.5, 0.6, 1.0, 2.0, 64, 11)}, {}, 2.0, 1, 1, {}, {}, 0.0, 1);
  CHECK(m.ttft.count == 1);
  CHECK(m.ttft.p50 == Approx(0.5));
  CHECK(m.tpot.count == 1);
  CHECK(m.tpot.mean == Approx(0.1));
  CHECK(m.tpot.p99 == Approx(0.1));
  CHECK(m.e2e.max == Approx(1.5));
  CHECK(m.queueing.mean == Approx(0.1));
  // Everything finished: duration = last finish - first arrival = 2.0 - 0.5 = 1.5 s; 11 tokens / 1.5 s.
  CHECK(m.duration_s == Approx(1.5));
  CHECK(m.throughput.output_tokens_per_s == Approx(11.0 / 1.5));
  // No SLO given: no attainment, no goodput.
  CHECK_FALSE(m.slo_attainment.has_value());
  CHECK_FALSE(m.goodput_requests_per_s.has_value());
}

TEST_CASE("serving: latencies count finished requests only; one-token requests have no TPOT", "[serving]") {
  const ServingMetrics m = serving_metrics(five_requests(), {}, 5.0, 8, 2, {}, {}, 0.0, 1);
  CHECK(m.requests == 5);
  CHECK(m.finished == 4);
  CHECK(m.unfinished == 1);
  CHECK(m.preemptions == 3);  // 2 + 1
  // TTFT over r0..r3: {0.2, 1.0, 0.25, 0.5}; mean 1.95 / 4 = 0.4875, max 1.0.
  CHECK(m.ttft.count == 4);
  CHECK(m.ttft.mean == Approx(0.4875));
  CHECK(m.ttft.max == Approx(1.0));
  // TPOT over r0..r2 (r3 made one token): {0.1, 0.1, 0.2}; sorted, p50 = x[1] = 0.1, max 0.2.
  CHECK(m.tpot.count == 3);
  CHECK(m.tpot.p50 == Approx(0.1));
  CHECK(m.tpot.max == Approx(0.2));
}

// ---- throughput, SLOs, goodput, energy ---------------------------------------------------------

TEST_CASE("serving: throughput over the serving window, per GPU and per rack", "[serving]") {
  const ServingMetrics m = serving_metrics(five_requests(), {}, 5.0, 8, 2, {}, {}, 0.0, 1);
  // r4 never finished: the window runs from the first arrival (0) to the end of the run, 5 s.
  CHECK(m.duration_s == Approx(5.0));
  // Finished: prompts 100 + 200 + 300 + 400 = 1000; tokens 11 + 11 + 11 + 1 = 34; all generated 34 + 5 = 39.
  CHECK(m.input_tokens == 1000);
  CHECK(m.output_tokens == 34);
  CHECK(m.generated_tokens == 39);
  CHECK(m.throughput.input_tokens_per_s == Approx(200.0));  // 1000 / 5
  CHECK(m.throughput.output_tokens_per_s == Approx(6.8));   // 34 / 5
  CHECK(m.throughput.total_tokens_per_s == Approx(206.8));
  CHECK(m.throughput.requests_per_s == Approx(0.8));     // 4 / 5
  CHECK(m.per_gpu.output_tokens_per_s == Approx(0.85));  // 6.8 / 8 GPUs
  CHECK(m.per_rack.output_tokens_per_s == Approx(3.4));  // 6.8 / 2 racks
  CHECK(m.per_rack.requests_per_s == Approx(0.4));
}

TEST_CASE("serving: goodput and SLO attainment, unfinished requests missing", "[serving]") {
  // Both SLOs (TTFT <= 0.5 s, TPOT <= 0.15 s): r0 and r3 meet (five_requests' table); r1 misses
  // TTFT, r2 TPOT, r4 never finished. Attainment 2 / 5 = 0.4 of ALL requests; goodput 2 / 5 s = 0.4/s.
  const ServingMetrics both = serving_metrics(five_requests(), {}, 5.0, 8, 2, 0.5, 0.15, 0.0, 1);
  REQUIRE(both.slo_attainment.has_value());
  REQUIRE(both.goodput_requests_per_s.has_value());
  CHECK(*both.slo_attainment == Approx(0.4));
  CHECK(*both.goodput_requests_per_s == Approx(0.4));
  CHECK(both.ttft_slo_s == 0.5);
  CHECK(both.tpot_slo_s == 0.15);
  // TTFT alone: r2 now meets (its TPOT does not matter): 3 of 5 = 0.6, goodput 3 / 5 = 0.6/s.
  const ServingMetrics ttft_only = serving_metrics(five_requests(), {}, 5.0, 8, 2, 0.5, {}, 0.0, 1);
  CHECK(*ttft_only.slo_attainment == Approx(0.6));
  CHECK(*ttft_only.goodput_requests_per_s == Approx(0.6));
  CHECK_FALSE(ttft_only.tpot_slo_s.has_value());
  // TPOT alone: r0, r1 (0.1) and r3 (no TPOT) meet; r2 and unfinished r4 miss: 3 / 5 = 0.6.
  const ServingMetrics tpot_only = serving_metrics(five_requests(), {}, 5.0, 8, 2, {}, 0.15, 0.0, 1);
  CHECK(*tpot_only.slo_attainment == Approx(0.6));
  // A generous SLO that every finished request meets still misses the unfinished one: 4 / 5.
  const ServingMetrics generous = serving_metrics(five_requests(), {}, 5.0, 8, 2, 100.0, 100.0, 0.0, 1);
  CHECK(*generous.slo_attainment == Approx(0.8));
}

TEST_CASE("serving: energy per output token and per request", "[serving]") {
  // 390 J over the run; 39 tokens generated by all five requests: 390 / 39 = 10 J per token;
  // 4 finished requests: 390 / 4 = 97.5 J per request.
  const ServingMetrics m = serving_metrics(five_requests(), {}, 5.0, 8, 2, {}, {}, 390.0, 1);
  CHECK(m.energy_j == 390.0);
  REQUIRE(m.energy_per_output_token_j.has_value());
  CHECK(*m.energy_per_output_token_j == Approx(10.0));
  REQUIRE(m.energy_per_request_j.has_value());
  CHECK(*m.energy_per_request_j == Approx(97.5));
  // Nothing generated, nothing finished: neither exists.
  const ServingMetrics idle = serving_metrics({request(0.0, -1.0, -1.0, -1.0, 10, 0)}, {}, 1.0, 1, 1, {}, {}, 50.0, 1);
  CHECK_FALSE(idle.energy_per_output_token_j.has_value());
  CHECK_FALSE(idle.energy_per_request_j.has_value());
  CHECK(idle.duration_s == Approx(1.0));  // unfinished: first arrival 0 to the end of the run
  CHECK(idle.ttft.count == 0);
}

// ---- iterations: batching, KV cache, instances ------------------------------------------------

TEST_CASE("serving: KV occupancy is weighted by iteration duration", "[serving]") {
  // Instance 0: [0, 1) s at 20 % KV with a 100-token prefill, then [1, 4) s at 60 % decoding 8.
  //   time-weighted: (0.2 x 1 + 0.6 x 3) / (1 + 3) = 2.0 / 4 = 0.5 (the plain mean would be 0.4)
  //   peak 0.6; tokens per iteration (100 + 8) / 2 = 54, max 100; decode batch 8 (the one
  //   iteration that decodes); instance 0 busy 4 s of T = 8 s: 0.5; instance 1 never iterated.
  const std::vector<IterationRecord> its = {iteration(0, 0.0, 1.0, 100, 0, 1, 0, 0.2),
                                            iteration(0, 1.0, 4.0, 0, 8, 8, 0, 0.6)};
  const ServingMetrics m = serving_metrics({}, its, 8.0, 2, 1, {}, {}, 0.0, 2);
  CHECK(m.kv_used_fraction_mean == Approx(0.5));
  CHECK(m.kv_used_fraction_peak == Approx(0.6));
  CHECK(m.iterations == 2);
  CHECK(m.mean_tokens_per_iteration == Approx(54.0));
  CHECK(m.max_tokens_per_iteration == 100);
  CHECK(m.mean_decode_batch == Approx(8.0));
  REQUIRE(m.instances.size() == 2);
  CHECK(m.instances[0].iterations == 2);
  CHECK(m.instances[0].busy_s == Approx(4.0));
  CHECK(m.instances[0].busy_fraction == Approx(0.5));
  CHECK(m.instances[1].iterations == 0);
  CHECK(m.instances[1].busy_fraction == 0.0);
  CHECK(m.requests == 0);
  CHECK(m.duration_s == 0.0);
}

TEST_CASE("serving: the CDF has every value when few, and at most kMaxCdfPoints", "[serving]") {
  // Three requests with TTFT 0.3, 0.1, 0.2: CDF (0.1, 1/3), (0.2, 2/3), (0.3, 1).
  const ServingMetrics m = serving_metrics(
      {request(0.0, 0.0, 0.3, 1.0, 1, 2), request(0.0, 0.0, 0.1, 1.0, 1, 2), request(0.0, 0.0, 0.2, 1.0, 1, 2)}, {},
      1.0, 1, 1, {}, {}, 0.0, 1);
  REQUIRE(m.ttft_cdf.size() == 3);
  CHECK(m.ttft_cdf[0].value == Approx(0.1));
  CHECK(m.ttft_cdf[0].fraction == Approx(1.0 / 3.0));
  CHECK(m.ttft_cdf[2].value == Approx(0.3));
  CHECK(m.ttft_cdf[2].fraction == 1.0);
  // 1000 requests with TTFT 1..1000 ms: kMaxCdfPoints points from the smallest to the largest.
  std::vector<RequestRecord> many;
  for (int i = 1; i <= 1000; ++i) many.push_back(request(0.0, 0.0, i * 1e-3, 2.0, 1, 2));
  const ServingMetrics big = serving_metrics(many, {}, 2.0, 1, 1, {}, {}, 0.0, 1);
  REQUIRE(big.ttft_cdf.size() == kMaxCdfPoints);
  CHECK(big.ttft_cdf.front().value == Approx(1e-3));
  CHECK(big.ttft_cdf.front().fraction == 0.0);
  CHECK(big.ttft_cdf.back().value == Approx(1.0));
  CHECK(big.ttft_cdf.back().fraction == 1.0);
}

// ---- time series -------------------------------------------------------------------------------

namespace {

// T = 5 s, period 1 s: five 1 s windows (1 >= 5 / 2000).
//   instance 0: [0, 1) running 2, waiting 3, KV 0.2, decodes 0; [1, 4) running 8, KV 0.6, decodes 8
//               (tokens at its end, 4.0: window 4), 100 prompt tokens in the first (end 1.0: window 1)
//   instance 1: [0.5, 1.5) running 4, KV 0.4, decodes 4 (at 1.5: window 1)
//   one request: arrives 0.25, first token 0.75 (window 0), finishes 3.5 (window 3), 9 tokens
std::vector<IterationRecord> series_iterations() {
  return {iteration(0, 0.0, 1.0, 100, 0, 2, 3, 0.2), iteration(0, 1.0, 4.0, 0, 8, 8, 0, 0.6),
          iteration(1, 0.5, 1.5, 0, 4, 4, 0, 0.4)};
}

}  // namespace

TEST_CASE("serving: the time series per window", "[serving]") {
  const ServingSeries s = serving_series({request(0.25, 0.25, 0.75, 3.5, 10, 9)}, series_iterations(), 5.0, 1.0);
  CHECK(s.window_s == 1.0);
  REQUIRE(s.windows.size() == 5);
  const auto& w = s.windows;
  CHECK(w[0].end_s == 1.0);
  CHECK(w[4].end_s == 5.0);
  // Output tokens: window 0 the first token (1), window 1 instance 1's 4, window 4 instance 0's 8.
  CHECK(w[0].output_tokens_per_s == Approx(1.0));
  CHECK(w[1].output_tokens_per_s == Approx(4.0));
  CHECK(w[2].output_tokens_per_s == 0.0);
  CHECK(w[4].output_tokens_per_s == Approx(8.0));
  CHECK(w[1].prefill_tokens_per_s == Approx(100.0));
  CHECK(w[0].requests_arrived_per_s == Approx(1.0));
  CHECK(w[3].requests_finished_per_s == Approx(1.0));
  // Running, window 0: instance 0's 2 for 1 s + instance 1's 4 for 0.5 s = 4 sequences on average;
  // window 1: 8 x 1 + 4 x 0.5 = 10; windows 2-3: 8; window 4: nothing iterates, 0.
  CHECK(w[0].running_mean == Approx(4.0));
  CHECK(w[1].running_mean == Approx(10.0));
  CHECK(w[2].running_mean == Approx(8.0));
  CHECK(w[4].running_mean == 0.0);
  CHECK(w[0].waiting_mean == Approx(3.0));
  // KV, window 0: mean of instance 0's 0.2 and instance 1's 0.4 = 0.3 (each instance's own
  // time-weighted mean, then averaged over the instances iterating); window 1: (0.6 + 0.4) / 2 =
  // 0.5; window 2: 0.6; window 4: no instance iterated, NaN.
  CHECK(w[0].kv_used_fraction == Approx(0.3));
  CHECK(w[1].kv_used_fraction == Approx(0.5));
  CHECK(w[2].kv_used_fraction == Approx(0.6));
  CHECK(std::isnan(w[4].kv_used_fraction));
}

TEST_CASE("serving: the time series is bounded, its last window ends at T", "[serving]") {
  // T = 10 s at a 1 ms period would be 10,000 windows: w = max(0.001, 10 / 2000) = 5 ms, 2000 windows.
  const ServingSeries s = serving_series({}, {iteration(0, 0.0, 10.0, 0, 1, 1, 0, 0.5)}, 10.0, 0.001);
  CHECK(s.window_s == Approx(0.005));
  REQUIRE(s.windows.size() == kMaxServingWindows);
  CHECK(s.windows.back().end_s == 10.0);
  CHECK(s.windows.back().running_mean == Approx(1.0));
  // A partial last window: T = 2.5 s at 1 s: windows end at 1, 2, 2.5.
  const ServingSeries p = serving_series({}, {}, 2.5, 1.0);
  REQUIRE(p.windows.size() == 3);
  CHECK(p.windows[2].end_s == 2.5);
  CHECK(serving_series({}, {}, 0.0, 1.0).windows.empty());
}

// ---- outputs -----------------------------------------------------------------------------------

namespace {

RunResult serving_run() {
  RunResult r;
  r.scenario_name = "serve";
  r.gpus = 8;
  r.domains = 2;
  r.simulated_time_s = 5.0;
  r.serving = serving_metrics(five_requests(), series_iterations(), 5.0, 8, 2, 0.5, 0.15, 390.0, 2);
  r.serving_series = serving_series(five_requests(), series_iterations(), 5.0, 1.0);
  return r;
}

}  // namespace

TEST_CASE("serving: summary.json has the serving object with its fields", "[serving]") {
  const RunResult r = serving_run();
  const std::string text = summary_json(r);
  const YAML::Node doc = YAML::Load(text);  // JSON is YAML: a parse error fails the test
  const YAML::Node s = doc["serving"];
  REQUIRE(s.IsMap());
  CHECK(s["requests"].as<int>() == 5);
  CHECK(s["finished"].as<int>() == 4);
  CHECK(s["unfinished"].as<int>() == 1);
  CHECK(s["preemptions"].as<int>() == 3);
  CHECK(s["duration_s"].as<double>() == Approx(5.0));
  for (const char* k : {"ttft_s", "tpot_s", "e2e_s", "queueing_s"})
    for (const char* f : {"count", "mean", "p50", "p90", "p99", "max"}) CHECK(s[k][f].IsScalar());
  CHECK(s["tpot_s"]["count"].as<int>() == 3);
  for (const char* k : {"throughput", "throughput_per_gpu", "throughput_per_rack"})
    for (const char* f : {"output_tokens_per_s", "input_tokens_per_s", "total_tokens_per_s", "requests_per_s"})
      CHECK(s[k][f].IsScalar());
  CHECK(s["throughput"]["output_tokens_per_s"].as<double>() == Approx(6.8));
  CHECK(s["slo"]["ttft_s"].as<double>() == 0.5);
  CHECK(s["slo"]["tpot_s"].as<double>() == 0.15);
  CHECK(s["slo"]["attainment"].as<double>() == Approx(0.4));
  CHECK(s["slo"]["goodput_requests_per_s"].as<double>() == Approx(0.4));
  CHECK(s["energy_j"].as<double>() == 390.0);
  CHECK(s["energy_per_output_token_j"].as<double>() == Approx(10.0));
  CHECK(s["energy_per_request_j"].as<double>() == Approx(97.5));
  CHECK(s["batch"]["iterations"].as<int>() == 3);
  CHECK(s["batch"]["max_tokens_per_iteration"].as<int>() == 100);
  CHECK(s["kv_cache"]["used_fraction_peak"].as<double>() == Approx(0.6));
  // KV mean over the three iterations: (0.2 x 1 + 0.6 x 3 + 0.4 x 1) / 5 = 2.4 / 5 = 0.48.
  CHECK(s["kv_cache"]["used_fraction_mean"].as<double>() == Approx(0.48));
  REQUIRE(s["instances"].size() == 2);
  CHECK(s["instances"][1]["busy_s"].as<double>() == Approx(1.0));
  CHECK(s["timeseries_window_s"].as<double>() == 1.0);
  // Without SLOs the slo fields are null, not absent.
  RunResult no_slo = r;
  no_slo.serving = serving_metrics(five_requests(), {}, 5.0, 8, 2, {}, {}, 390.0, 1);
  const std::string t2 = summary_json(no_slo);
  CHECK(contains(t2, "\"attainment\": null"));
  CHECK(contains(t2, "\"goodput_requests_per_s\": null"));
  CHECK(contains(t2, "\"ttft_s\": null"));
}

TEST_CASE("serving: summary.json without serving has no serving key and is otherwise the same", "[serving]") {
  RunResult with = serving_run();
  RunResult without = with;
  without.serving.reset();
  without.serving_series.reset();
  const std::string a = summary_json(with);
  const std::string b = summary_json(without);
  CHECK_FALSE(contains(b, "serving"));
  // The serving object is the last one here (no power): dropping it gives exactly the other file.
  const auto at = a.find(",\n  \"serving\": {");
  REQUIRE(at != std::string::npos);
  CHECK(a.substr(0, at) + "\n}\n" == b);
  // And the serving series alone adds nothing to summary.json.
  RunResult series_only = without;
  series_only.serving_series = with.serving_series;
  CHECK(summary_json(series_only) == b);
}

TEST_CASE("serving: serving_timeseries.csv has its header and one row per window", "[serving]") {
  const std::string csv = serving_timeseries_csv(serving_run());
  const std::string header =
      "time_s,output_tokens_per_s,prefill_tokens_per_s,requests_arrived_per_s,requests_finished_per_s,running_mean,"
      "waiting_mean,kv_used_fraction\n";
  REQUIRE(csv.rfind(header, 0) == 0);
  std::size_t lines = 0;
  for (const char c : csv) lines += c == '\n' ? 1 : 0;
  CHECK(lines == 1 + 5);
  // Window 0 (five_requests: arrivals at 0 and... only r0 at 0; r0's first token at 0.2 is its one
  // token there): time 1; 1 token/s; no prefill ends in it; 1 arrival; no finish; running 4,
  // waiting 3, KV 0.3.
  CHECK(contains(csv, "\n1,1,0,1,0,4,3,0.3\n"));
  // The last window has no iteration: an empty KV cell.
  CHECK(csv.substr(csv.size() - 2) == ",\n");
  RunResult none;
  CHECK(serving_timeseries_csv(none) == header);
  // timeseries.csv (the power series) is untouched by serving.
  CHECK(timeseries_csv(serving_run()) == timeseries_csv(none));
}

TEST_CASE("serving: the summary table prints a serving block", "[serving]") {
  const std::string t = summary_table(serving_run());
  CHECK(contains(t, "  serving\n"));
  CHECK(contains(t, "TTFT"));
  CHECK(contains(t, "TPOT"));
  CHECK(contains(t, "goodput"));
  CHECK(contains(t, "J per output token"));
  RunResult none = serving_run();
  none.serving.reset();
  CHECK_FALSE(contains(summary_table(none), "serving"));
}

TEST_CASE("serving: report.html has the serving section and its plots", "[serving]") {
  const RunResult r = serving_run();
  const std::string html = report_html(r);
  CHECK(contains(html, "<h2 id=\"serving\">Serving</h2>"));
  CHECK(contains(html, "<a href=\"#serving\">"));
  for (const char* id : {"plot-serving-ttft", "plot-serving-tpot", "plot-serving-e2e", "plot-serving-throughput",
                         "plot-serving-kv", "plot-serving-queue"})
    CHECK(contains(html, std::string("<svg class=\"plot\" id=\"") + id + "\""));
  CHECK(report_html(r) == html);  // deterministic
  RunResult none = r;
  none.serving.reset();
  none.serving_series.reset();
  const std::string plain = report_html(none);
  CHECK_FALSE(contains(plain, "serving"));
  CHECK_FALSE(contains(plain, "Serving"));
}
