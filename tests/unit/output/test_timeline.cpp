// Unit tests for sim/output/timeline (docs/timeline.md): the collection of spans from hand-made rank
// records, the event cap, and timeline.json as Chrome trace-event JSON (parsed back with
// yaml-cpp: JSON is a subset of YAML). Times are chosen so that their nanosecond values are whole
// numbers; each expected microsecond value is worked out beside its check.
#include "sim/output/results.hpp"
#include "sim/output/timeline.hpp"
#include "sim/workload/workload.hpp"

#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>

#include "trace_checks.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

using namespace racksim;
using namespace racksim::test;

namespace {

Op compute(const std::string& id, double flops, int stream = 0) {
  Op o;
  o.id = id;
  o.kind = OpKind::Compute;
  o.stream = stream;
  o.flops = Flops(flops);
  o.precision = Precision::bf16;
  return o;
}

// Two ranks on streams "compute" (0) and "comm" (1):
//   rank 0: gemm (1 TFLOP), ar (1 GB all-reduce on 'world', dp, ring/simple), w (alloc 100 B),
//           fw (free of w), s (send 10 B to rank 1, tag 3), wait (delay)
//   rank 1: gemm, ar, r (recv from rank 0), gemm2 (a second compute op on the compute stream)
Workload two_ranks() {
  Workload w;
  w.name = "unit";
  w.ranks = 2;
  w.streams = {"compute", "comm"};
  add_group(w, "world", {0, 1}, ParallelDim::DP);
  CollectiveMethod p;
  p.shape.kind = CollectiveKind::AllReduce;
  p.shape.algorithm = CollectiveAlgorithm::Ring;
  p.shape.group_size = 2;
  p.shape.bytes = 1'000'000'000;
  p.protocol = "simple";
  p.chosen = true;
  p.predicted = Seconds(0.002);
  w.plans.push_back(p);
  Op ar;
  ar.id = "ar";
  ar.kind = OpKind::Collective;
  ar.stream = 1;
  ar.collective = CollectiveKind::AllReduce;
  ar.group = 0;
  ar.plan = 0;
  ar.bytes = 1'000'000'000;
  Op alloc;
  alloc.id = "w";
  alloc.kind = OpKind::Alloc;
  alloc.bytes = 100;
  alloc.label = "weights";
  Op free = alloc;
  free.id = "fw";
  free.kind = OpKind::Free;
  free.frees = 2;
  Op send;
  send.id = "s";
  send.kind = OpKind::Send;
  send.stream = 1;
  send.peer = 1;
  send.bytes = 10;
  send.tag = 3;
  Op delay;
  delay.id = "wait";
  delay.kind = OpKind::Delay;
  delay.duration = Seconds(0.001);
  Op recv = send;
  recv.id = "r";
  recv.kind = OpKind::Recv;
  recv.peer = 0;
  w.programs = {{compute("gemm", 1e12), ar, alloc, free, send, delay},
                {compute("gemm", 1e12), ar, recv, compute("gemm2", 1e12)}};
  return w;
}

RankRecord record(std::vector<std::pair<double, double>> times) {
  RankRecord r;
  for (const auto& [a, b] : times) {
    r.op_start.push_back(a);
    r.op_finish.push_back(b);
  }
  return r;
}

// Rank 0: gemm 0-10 ms, ar 0-35 ms, alloc at 0.5 ms, free at 0.75 ms, send 35-35.0000015 ms
// (1.5 us), wait 35-36 ms. Rank 1: gemm 0-2 ms, ar 0-35 ms, recv 35 ms-35.0000015 ms, gemm2
// 1-3 ms: gemm2 overlaps gemm on the same stream (not possible in a real run, where one stream
// runs in order; the writer must still keep every track properly nested).
struct Fixture {
  Workload w = two_ranks();
  RankRecord r0 = record({{0.0, 0.010}, {0.0, 0.035}, {0.0005, 0.0005}, {0.00075, 0.00075}, {0.035, 0.0350015},
                          {0.035, 0.036}});
  RankRecord r1 = record({{0.0, 0.002}, {0.0, 0.035}, {0.035, 0.0350015}, {0.001, 0.003}});

  [[nodiscard]] RunResult result(std::size_t max_events = kTimelineMaxEvents) const {
    RunResult res;
    res.scenario_name = "unit";
    res.scenario_file = "unit.yaml";
    res.workload_name = w.name;
    res.ranks = 2;
    res.simulated_time_s = 0.036;
    const int n = timeline_rank_count(w, 2, max_events);
    std::vector<const RankRecord*> recs;
    std::vector<std::string> gpus;
    for (int r = 0; r < n; ++r) {
      recs.push_back(r == 0 ? &r0 : &r1);
      gpus.push_back(r == 0 ? "gpu0" : "gpu1");
    }
    res.timeline = collect_timeline(w, recs, gpus, 2, max_events);
    return res;
  }
};

const double kNaN = std::numeric_limits<double>::quiet_NaN();

PowerSample sample(double t, double rack_w, double junction) {
  PowerSample s;
  s.time = t;
  s.rack = 0;
  s.rack_power_w = rack_w;
  s.gpu_power_avg_w = 500.0;
  s.gpu_power_max_w = 600.0;
  s.clock_avg_mhz = 2000.0;
  s.clock_min_mhz = 1900.0;
  s.compute_util = 0.5;
  s.memory_util = 0.25;
  s.junction_max_c = junction;
  s.hbm_max_c = kNaN;
  s.coolant_out_c = kNaN;
  return s;
}

const YAML::Node* find(const std::vector<YAML::Node>& ev, const std::string& ph, int pid, const std::string& name) {
  for (const auto& e : ev)
    if (e["ph"].as<std::string>() == ph && e["pid"].as<int>() == pid && e["name"].as<std::string>() == name) return &e;
  return nullptr;
}

}  // namespace

TEST_CASE("timeline: every op of a rank is one event", "[timeline]") {
  const Workload w = two_ranks();
  CHECK(timeline_events(w.programs[0]) == 6);  // 4 spans + 2 HBM counter points
  CHECK(timeline_events(w.programs[1]) == 4);
}

TEST_CASE("timeline: ranks are kept in order and whole while they fit the cap", "[timeline]") {
  const Workload w = two_ranks();
  CHECK(timeline_rank_count(w, 2, 10) == 2);  // 6 + 4 = 10 fit exactly
  CHECK(timeline_rank_count(w, 2, 9) == 1);   // 6 fit, 6 + 4 = 10 > 9
  CHECK(timeline_rank_count(w, 2, 6) == 1);
  CHECK(timeline_rank_count(w, 2, 5) == 0);   // rank 0 alone is 6 > 5
  CHECK(timeline_rank_count(w, 1, 100) == 1); // only rank 0 was simulated
}

TEST_CASE("timeline: collection keeps spans, interns strings and tracks HBM in use", "[timeline]") {
  const Fixture f;
  const RunResult res = f.result();
  REQUIRE(res.timeline);
  const TimelineData& d = *res.timeline;
  CHECK(d.events == 10);
  CHECK(d.ranks_left_out == 0);
  REQUIRE(d.ranks.size() == 2);
  // Rank 0: gemm, ar, s, wait are spans; w and fw are the HBM counter.
  REQUIRE(d.ranks[0].spans.size() == 4);
  CHECK(d.strings[static_cast<std::size_t>(d.ranks[0].spans[0].name)] == "gemm");
  // "gemm" is interned once for both ranks.
  CHECK(d.ranks[1].spans[0].name == d.ranks[0].spans[0].name);
  // HBM: 100 B after the alloc at 0.5 ms, 0 after the free at 0.75 ms.
  REQUIRE(d.ranks[0].hbm.size() == 2);
  CHECK(d.ranks[0].hbm[0] == std::make_pair(0.0005, std::uint64_t{100}));
  CHECK(d.ranks[0].hbm[1] == std::make_pair(0.00075, std::uint64_t{0}));
  // One group and one plan, copied once.
  REQUIRE(d.groups.size() == 1);
  CHECK(d.groups[0].name == "world");
  CHECK(d.groups[0].size == 2);
  REQUIRE(d.plans.size() == 1);
  CHECK(d.plans[0].algorithm == "ring");
}

TEST_CASE("timeline: a record without start times is an internal error", "[timeline]") {
  const Workload w = two_ranks();
  RankRecord r;  // no keep_op_starts()
  r.op_finish.assign(6, 0.0);
  CHECK_THROWS(collect_timeline(w, {&r}, {"gpu0"}, 2, kTimelineMaxEvents));
}

TEST_CASE("timeline.json is well-formed trace-event JSON with nested tracks", "[timeline]") {
  Fixture f;
  RunResult res = f.result();
  res.power_samples = {sample(0.0005, 1000.0, kNaN), sample(0.001, 2000.0, kNaN)};
  const std::string text = timeline_json(res);
  const YAML::Node doc = YAML::Load(text);
  CHECK(doc["displayTimeUnit"].as<std::string>() == "ms");
  const auto ev = events(doc);
  check_well_formed(ev);
  check_nested(ev);

  // Processes: rank r is pid r + 1, named with its GPU; racks come first in the sort order.
  const YAML::Node* p0 = find(ev, "M", 1, "process_name");
  REQUIRE(p0);
  CHECK((*p0)["args"]["name"].as<std::string>() == "rank 0 (gpu0)");
  const YAML::Node* s1 = find(ev, "M", 2, "process_sort_index");
  REQUIRE(s1);
  CHECK((*s1)["args"]["sort_index"].as<int>() == 2);  // 1 rack + rank 1

  // Rank 0's gemm: 0 to 10 ms = ts 0, dur 10,000 us; 1e12 FLOP; a GEMM by the kernel model.
  const YAML::Node* gemm = find(ev, "X", 1, "gemm");
  REQUIRE(gemm);
  CHECK(ns((*gemm)["ts"]) == 0);
  CHECK(ns((*gemm)["dur"]) == 10'000'000);
  CHECK((*gemm)["cat"].as<std::string>() == "compute");
  CHECK((*gemm)["args"]["flops"].as<double>() == 1e12);
  CHECK((*gemm)["args"]["kernel"].as<std::string>() == "gemm");
  CHECK((*gemm)["args"]["precision"].as<std::string>() == "bf16");
  CHECK((*gemm)["args"]["stream"].as<std::string>() == "compute");

  // The all-reduce: 0 to 35 ms = dur 35,000 us; bytes, group, dimension and plan.
  const YAML::Node* ar = find(ev, "X", 1, "ar");
  REQUIRE(ar);
  CHECK(ns((*ar)["dur"]) == 35'000'000);
  CHECK((*ar)["cat"].as<std::string>() == "all_reduce");
  CHECK((*ar)["args"]["bytes"].as<std::uint64_t>() == 1'000'000'000);
  CHECK((*ar)["args"]["group"].as<std::string>() == "world");
  CHECK((*ar)["args"]["group_size"].as<int>() == 2);
  CHECK((*ar)["args"]["dim"].as<std::string>() == "dp");
  CHECK((*ar)["args"]["algorithm"].as<std::string>() == "ring");
  CHECK((*ar)["args"]["protocol"].as<std::string>() == "simple");
  CHECK((*ar)["args"]["chosen"].as<bool>());
  CHECK(ns((*ar)["args"]["model_us"]) == 2'000'000);  // 2 ms
  // gemm (compute stream) and ar (comm stream) overlap in time: different threads.
  CHECK((*gemm)["tid"].as<int>() != (*ar)["tid"].as<int>());

  // The send: from 35 ms for 1.5 us, written exactly: ts 35000, dur 1.5.
  const YAML::Node* send = find(ev, "X", 1, "s");
  REQUIRE(send);
  CHECK((*send)["cat"].as<std::string>() == "send");
  CHECK((*send)["args"]["peer"].as<int>() == 1);
  CHECK((*send)["args"]["bytes"].as<std::uint64_t>() == 10);
  CHECK((*send)["args"]["tag"].as<int>() == 3);
  CHECK(text.find("\"ts\":35000,\"dur\":1.5,") != std::string::npos);
  // The delay: 35 to 36 ms, its duration in the args.
  const YAML::Node* wait = find(ev, "X", 1, "wait");
  REQUIRE(wait);
  CHECK(ns((*wait)["args"]["duration_us"]) == 1'000'000);

  // Rank 1's gemm (0-2 ms) and gemm2 (1-3 ms) overlap on the compute stream: two lanes,
  // "compute" and "compute #2", each a proper track.
  const YAML::Node* g1 = find(ev, "X", 2, "gemm");
  const YAML::Node* g2 = find(ev, "X", 2, "gemm2");
  REQUIRE(g1);
  REQUIRE(g2);
  CHECK((*g1)["tid"].as<int>() != (*g2)["tid"].as<int>());
  std::map<int, std::string> threads;
  for (const auto& e : ev)
    if (e["ph"].as<std::string>() == "M" && e["pid"].as<int>() == 2 && e["name"].as<std::string>() == "thread_name")
      threads[e["tid"].as<int>()] = e["args"]["name"].as<std::string>();
  CHECK(threads[(*g1)["tid"].as<int>()] == "compute");
  CHECK(threads[(*g2)["tid"].as<int>()] == "compute #2");

  // HBM counter on rank 0: 100 B at 500 us, 0 at 750 us.
  std::vector<std::pair<long long, long long>> hbm;
  for (const auto& e : ev)
    if (e["ph"].as<std::string>() == "C" && e["pid"].as<int>() == 1 && e["name"].as<std::string>() == "HBM in use")
      hbm.emplace_back(ns(e["ts"]), e["args"]["bytes"].as<long long>());
  CHECK(hbm == std::vector<std::pair<long long, long long>>{{500'000, 100}, {750'000, 0}});

  // The rack's counters: one process after the ranks (pid 2 ranks + 1 = 3). Window averages
  // are drawn from the window's start: rack power 1000 W from 0, 2000 W from 500 us.
  const YAML::Node* rack = find(ev, "M", 3, "process_name");
  REQUIRE(rack);
  CHECK((*rack)["args"]["name"].as<std::string>() == "rack 0 power and thermal");
  std::vector<std::pair<long long, double>> power;
  for (const auto& e : ev)
    if (e["ph"].as<std::string>() == "C" && e["name"].as<std::string>() == "rack power") {
      CHECK(e["pid"].as<int>() == 3);
      power.emplace_back(ns(e["ts"]), e["args"]["W"].as<double>());
    }
  CHECK(power == std::vector<std::pair<long long, double>>{{0, 1000.0}, {500'000, 2000.0}});
  // End-of-window readings at the sample's time: the lowest clock at 500 and 1000 us.
  const YAML::Node* clk = find(ev, "C", 3, "GPU clock min");
  REQUIRE(clk);
  CHECK(ns((*clk)["ts"]) == 500'000);
  // NaN temperatures (no thermal model) are left out; the 11 series less the 3 temperatures
  // give 8 counter events per sample, 16 for 2.
  CHECK(find(ev, "C", 3, "junction max") == nullptr);
  CHECK(find(ev, "C", 3, "coolant out") == nullptr);
  CHECK(doc["otherData"]["counter_events"].as<int>() == 16);

  // otherData: everything included.
  const YAML::Node other = doc["otherData"];
  CHECK(other["scenario"].as<std::string>() == "unit");
  CHECK(other["spans_collected"].as<bool>());
  CHECK(other["ranks_included"].as<int>() == 2);
  CHECK(other["ranks_left_out"].as<int>() == 0);
  CHECK(other["events"].as<int>() == 10);
  CHECK_FALSE(other["reduced"].as<bool>());
  CHECK(timeline_coverage(res).empty());
}

TEST_CASE("timeline.json: the cap drops whole ranks and says so", "[timeline]") {
  const Fixture f;
  // Cap 9: rank 0's 6 events fit, rank 1's 4 more would make 10 > 9.
  const RunResult res = f.result(9);
  REQUIRE(res.timeline);
  CHECK(res.timeline->ranks.size() == 1);
  CHECK(res.timeline->ranks_left_out == 1);
  CHECK(res.timeline->events_left_out == 4);
  const YAML::Node doc = YAML::Load(timeline_json(res));
  const auto ev = events(doc);
  check_well_formed(ev);
  check_nested(ev);
  for (const auto& e : ev) CHECK(e["pid"].as<int>() != 2);  // nothing of rank 1 (pid 2)
  const YAML::Node other = doc["otherData"];
  CHECK(other["max_events"].as<int>() == 9);
  CHECK(other["events"].as<int>() == 6);
  CHECK(other["ranks_included"].as<int>() == 1);
  CHECK(other["ranks_included_range"].as<std::string>() == "0");
  CHECK(other["ranks_left_out"].as<int>() == 1);
  CHECK(other["events_left_out"].as<int>() == 4);
  bool said = false;
  for (const auto& l : other["left_out"])
    said = said || l.as<std::string>().find("rank 1 (4 events): over the 9-event cap") != std::string::npos;
  CHECK(said);
  CHECK(timeline_coverage(res) == "rank 1 (4 events) left out of the timeline, over its 9-event cap; it holds rank 0");
}

TEST_CASE("timeline.json without collected spans still loads and says why", "[timeline]") {
  RunResult res;
  res.scenario_name = "bare";
  res.power_samples = {sample(0.001, 1000.0, 60.0)};
  const YAML::Node doc = YAML::Load(timeline_json(res));
  const auto ev = events(doc);
  check_well_formed(ev);
  CHECK_FALSE(doc["otherData"]["spans_collected"].as<bool>());
  // One sample with a junction temperature: 9 counters (11 less HBM max and coolant out).
  CHECK(doc["otherData"]["counter_events"].as<int>() == 9);
  const YAML::Node* tj = find(ev, "C", 1, "junction max");  // no ranks: the rack is pid 0 + 1
  REQUIRE(tj);
  CHECK((*tj)["args"]["C"].as<double>() == 60.0);
  CHECK(timeline_coverage(res).empty());
}

TEST_CASE("timeline.json is byte-identical for the same inputs", "[timeline]") {
  const Fixture f;
  RunResult a = f.result();
  RunResult b = f.result();
  a.power_samples = b.power_samples = {sample(0.0005, 1000.0, 55.5)};
  CHECK(timeline_json(a) == timeline_json(b));
}

TEST_CASE("timeline: a serving run's iterations are one track per instance", "[timeline][serving]") {
  // Two instances; three iterations: instance 0 prefills 100 tokens from 0 to 2 ms, then decodes
  // 1 sequence from 2 to 3 ms; instance 1 runs a mixed iteration (50 prefill tokens, 2 decodes)
  // from 1 to 4 ms. Each is one "X" event on its instance's thread (tid = instance + 1), named by
  // what it computed, its ts and dur in microseconds.
  RunResult r;
  r.scenario_name = "serving-test";
  r.simulated_time_s = 4e-3;
  r.serving = ServingMetrics{};
  IterationRecord a;
  a.instance = 0;
  a.start_s = 0.0;
  a.end_s = 2e-3;
  a.prefill_tokens = 100;
  a.prefill_seqs = 1;
  IterationRecord b = a;
  b.start_s = 2e-3;
  b.end_s = 3e-3;
  b.prefill_tokens = 0;
  b.prefill_seqs = 0;
  b.decode_seqs = 1;
  IterationRecord c;
  c.instance = 1;
  c.start_s = 1e-3;
  c.end_s = 4e-3;
  c.prefill_tokens = 50;
  c.prefill_seqs = 1;
  c.decode_seqs = 2;
  c.kv_used_fraction = 0.25;
  r.serving_iterations = {a, c, b};
  r.serving_iterations_left_out = 7;
  const YAML::Node doc = YAML::Load(timeline_json(r));
  CHECK(doc["otherData"]["serving_iterations"].as<int>() == 3);
  CHECK(doc["otherData"]["serving_iterations_left_out"].as<int>() == 7);
  std::vector<YAML::Node> its;
  bool named = false;
  for (const auto& e : doc["traceEvents"]) {
    if (e["ph"].as<std::string>() == "M" && e["name"].as<std::string>() == "process_name" &&
        e["args"]["name"].as<std::string>() == "serving instances")
      named = true;
    if (e["cat"] && e["cat"].as<std::string>() == "iteration") its.push_back(e);
  }
  CHECK(named);
  REQUIRE(its.size() == 3);
  CHECK(its[0]["name"].as<std::string>() == "prefill");
  CHECK(its[0]["tid"].as<int>() == 1);
  CHECK(its[0]["dur"].as<double>() == 2000.0);
  CHECK(its[1]["name"].as<std::string>() == "mixed");
  CHECK(its[1]["tid"].as<int>() == 2);
  CHECK(its[1]["ts"].as<double>() == 1000.0);
  CHECK(its[1]["args"]["decode_seqs"].as<int>() == 2);
  CHECK(its[1]["args"]["kv_used_fraction"].as<double>() == 0.25);
  CHECK(its[2]["name"].as<std::string>() == "decode");
}
