// racksim plan (sim/studies/capacity_plan.hpp, docs/plan.md): the plan file, the grid, screening, the training
// estimate from one step, the Pareto set. Pure: nothing here simulates.
#include "sim/studies/capacity_plan.hpp"

#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace racksim;
using racksim::test::input_error_of;

namespace {

// A minimal valid plan; `extra` is appended (top-level keys) and `search` replaces the search.
std::string plan_text(const std::string& search = "search: {racks: [1, 2], layouts: [{tp: 4}]}\n",
                      const std::string& extra = "") {
  return "schema_version: 1\n"
         "name: p\n"
         "scenario: base.yaml\n"
         "tokens: 15.6e12\n"
         "deadline: 90 d\n" +
         extra + search;
}

PlanSpec plan_of(const std::string& text, const std::vector<std::string>& sets = {}) {
  return load_plan_text(text, "dir/plan.yaml", sets);
}

PlanBase base4() {
  PlanBase b;
  b.gpus_per_rack = 4;
  b.tp = 4;
  b.pp = 1;
  b.cp = 1;
  b.global_batch = 8;
  b.sequence = 1024;
  b.site.kind = SiteParams::Kind::Pue;
  b.site.pue = 1.1;
  return b;
}

// A feasible, judged point with the four objectives given directly.
PlanPoint point(std::size_t id, double time, double energy, std::int64_t gpus, double peak) {
  PlanPoint p;
  p.id = id;
  p.gpus = gpus;
  p.metrics = PointMetrics{};
  TrainingEstimate e;
  e.time_s = time;
  e.energy_j = energy;
  e.peak_site_w = peak;
  p.estimate = e;
  return p;
}

}  // namespace

TEST_CASE("plan: a point is dominated only when no worse on all four objectives and better on one", "[plan]") {
  const TrainingEstimate a = *point(1, 10, 10, 8, 10).estimate;
  const TrainingEstimate worse_peak = *point(2, 10, 10, 8, 11).estimate;
  CHECK(dominates(a, 8, worse_peak, 8));
  CHECK_FALSE(dominates(worse_peak, 8, a, 8));
  // Equal on all four: neither dominates the other.
  CHECK_FALSE(dominates(a, 8, a, 8));
  // Fewer GPUs alone is enough to be better, when nothing else is worse.
  CHECK(dominates(a, 8, a, 16));
  // A trade-off (faster but more energy) dominates neither way.
  const TrainingEstimate fast = *point(3, 5, 20, 8, 10).estimate;
  CHECK_FALSE(dominates(fast, 8, a, 8));
  CHECK_FALSE(dominates(a, 8, fast, 8));
}

TEST_CASE("plan: Pareto set with ties, duplicates and a point dominated in all four", "[plan]") {
  std::vector<PlanPoint> pts;
  pts.push_back(point(1, 10, 10, 8, 10));   // A
  pts.push_back(point(2, 5, 20, 16, 20));   // B: faster, more of the rest: a trade-off, Pareto
  pts.push_back(point(3, 12, 12, 16, 12));  // C: worse than A in all four -> dominated by #1
  pts.push_back(point(4, 10, 10, 8, 10));   // D: duplicate of A -> Pareto, like A
  pts.push_back(point(5, 10, 10, 8, 11));   // E: ties A on three, worse peak -> dominated by #1
  pts.push_back(point(6, 1, 1, 1, 1));      // F: best everywhere, but rejected: out of the set
  reject(pts[5], Reject::TooSlow, "test");
  pts.push_back(point(7, 6, 20, 16, 20));   // G: B but slower -> dominated by #2 only
  mark_pareto(pts);
  CHECK(pts[0].status == PointStatus::Pareto);
  CHECK(pts[1].status == PointStatus::Pareto);
  CHECK(pts[2].status == PointStatus::Dominated);
  CHECK(pts[2].dominated_by == 1);
  CHECK(pts[3].status == PointStatus::Pareto);
  CHECK(pts[4].status == PointStatus::Dominated);
  CHECK(pts[4].dominated_by == 1);
  CHECK(pts[5].status == PointStatus::Rejected);
  CHECK(pts[6].status == PointStatus::Dominated);
  CHECK(pts[6].dominated_by == 2);
}

TEST_CASE("plan: time to train, energy and peak power from one step", "[plan]") {
  // 15.6e12 tokens, 250 sequences of 8000 tokens per step = 2.0e6 tokens per step:
  // 15.6e12 / 2.0e6 = 7.8e6 steps (exactly whole). A 0.1 s step is 2.0e7 tokens/s, and
  // 7.8e6 x 0.1 s = 7.8e5 s = 7.8e5 / 86400 d = 9.0278 d, shown as "9.03 d".
  PointMetrics m;
  m.step_time_s = 0.1;
  m.tokens_per_s = 2.0e7;
  m.energy_j = 2.0;         // IT, per step
  m.site_energy_j = 2.2;    // at PUE 1.1
  m.racks = 16;
  m.rack_peak_w = 100e3;
  m.switch_w = 500e3;
  SiteParams pue;
  pue.kind = SiteParams::Kind::Pue;
  pue.pue = 1.1;
  const TrainingEstimate e = estimate_training(15.6e12, 250.0 * 8000.0, m, pue);
  CHECK(e.steps == 7.8e6);
  CHECK(e.time_s == Approx(7.8e5).epsilon(1e-12));
  CHECK(format_long_duration(e.time_s) == "9.03 d");
  // 7.8e6 steps x 2.2 J = 1.716e7 J site, 7.8e6 x 2.0 J = 1.56e7 J IT.
  CHECK(e.energy_j == Approx(1.716e7).epsilon(1e-12));
  CHECK(e.it_energy_j == Approx(1.56e7).epsilon(1e-12));
  // Peak IT: 16 racks x 100 kW + 500 kW of switches = 2.1 MW; site 2.1 MW x 1.1 = 2.31 MW.
  CHECK(e.peak_it_w == Approx(2.1e6).epsilon(1e-12));
  CHECK(e.peak_site_w == Approx(2.31e6).epsilon(1e-12));
  CHECK(format_power(e.peak_site_w) == "2.31 MW");
  // 1.716e7 J = 1.716e7 / 3600 Wh = 4766.7 Wh = 4.767 kWh.
  CHECK(format_energy(e.energy_j) == "4.767 kWh");

  // A last, partial step still runs: 10 tokens at 3 per step is 4 steps.
  CHECK(steps_for(10.0, 3.0) == 4.0);
  CHECK(steps_for(9.0, 3.0) == 3.0);
  // Shorter spans: 36 h = 1.5 d; 5400 s = 1.5 h; 90 s = 1.5 min.
  CHECK(format_long_duration(36 * 3600.0) == "1.50 d");
  CHECK(format_long_duration(5400.0) == "1.50 h");
  CHECK(format_long_duration(90.0) == "1.50 min");
}

TEST_CASE("plan: the grid is racks, then layouts, then global batches, with dp derived", "[plan]") {
  const PlanSpec plan = plan_of(plan_text("search:\n"
                                          "  racks: [1, 2]\n"
                                          "  layouts: [{tp: 4}, {tp: 2, pp: 2, micro: 2}, {tp: 3}]\n"
                                          "  global_batch: [8, 16]\n",
                                          "overrides: [power.pue=1.2]\n"));
  const auto pts = expand_grid(plan, base4());
  // 2 rack counts x 3 layouts x 2 batches.
  REQUIRE(pts.size() == 12);
  for (std::size_t i = 0; i < pts.size(); ++i) CHECK(pts[i].id == i + 1);
  // Last axis fastest: #1 (1 rack, tp 4, 8), #2 (1 rack, tp 4, 16), #3 (1 rack, tp2 pp2, 8) ...
  CHECK(pts[0].racks == 1);
  CHECK(pts[0].global_batch == 8);
  CHECK(pts[1].global_batch == 16);
  CHECK(pts[2].tp == 2);
  CHECK(pts[2].pp == 2);
  CHECK(pts[6].racks == 2);
  // dp = GPUs / (tp pp cp): 1 rack x 4 GPUs / 4 = 1; 2 racks: 8 / (2 x 2) = 2.
  CHECK(pts[0].dp == 1);
  CHECK(pts[8].dp == 2);
  CHECK(pts[8].layout_label() == "tp2 pp2 dp2 mb2");
  // tp 3 does not divide 4 or 8 GPUs: rejected before anything is built.
  CHECK(pts[4].status == PointStatus::Rejected);
  CHECK(pts[4].reject == Reject::InvalidLayout);
  CHECK(pts[4].reasons.at(0) == "tp x pp x cp = 3 x 1 x 1 = 3 does not divide the 4 GPUs");
  CHECK(pts[0].status == PointStatus::Pending);
  // The overrides: the plan's first, then the point's keys, and out_of_memory: warn last.
  const std::vector<std::string> want = {"power.pue=1.2",
                                         "cluster.domains=2",
                                         "workload.parallel.tp=2",
                                         "workload.parallel.pp=2",
                                         "workload.parallel.cp=1",
                                         "workload.parallel.dp=2",
                                         "workload.batch.micro=2",
                                         "workload.batch.global=16",
                                         "simulation.out_of_memory=warn"};
  CHECK(pts[9].overrides == want);
}

TEST_CASE("plan: limits screen points before anything is simulated", "[plan]") {
  const PlanSpec plan = plan_of(plan_text("search: {racks: [1, 2, 4], layouts: [{tp: 4}]}\n", "limits: {racks: 2, gpus: 4}\n"));
  const auto pts = expand_grid(plan, base4());
  REQUIRE(pts.size() == 3);
  CHECK(pts[0].status == PointStatus::Pending);
  // 2 racks are within the rack limit but their 8 GPUs are over the GPU limit of 4.
  CHECK(pts[1].reject == Reject::OverLimit);
  CHECK(pts[1].reasons.at(0) == "8 GPUs, over the limit of 4");
  // The rack limit is checked first.
  CHECK(pts[2].reasons.at(0) == "4 racks, over the limit of 2");
}

TEST_CASE("plan: judging a simulated point: out of memory, over power, too slow", "[plan]") {
  const PlanSpec plan =
      plan_of(plan_text("search: {racks: [2], layouts: [{tp: 4}]}\n", "limits: {site_power: 10 kW, it_power: 9 kW}\n"));
  const PlanBase base = base4();
  PointMetrics m;
  m.step_time_s = 1.0;
  m.racks = 2;
  m.rack_peak_w = 4000.0;
  m.switch_w = 1000.0;
  m.site_energy_j = 1.0;

  SECTION("within every limit") {
    // 8 sequences x 1024 tokens = 8192 tokens per step; 15.6e12 / 8192 = 1,904,296,875 steps
    // (exact) of 1 s = 1,904,296,875 / 86400 = 22040.47 d, past 90 d. Peak IT 2 x 4 kW + 1 kW = 9 kW (not over 9 kW); site
    // 9.9 kW (not over 10 kW).
    PlanPoint p = expand_grid(plan, base).at(0);
    judge(p, m, plan, base);
    REQUIRE(p.estimate);
    CHECK(p.estimate->steps == 1904296875.0);
    CHECK(p.reject == Reject::TooSlow);
    REQUIRE(p.reasons.size() == 1);
    CHECK(p.reasons[0] == "time to train 22040.47 d past the deadline of 90.00 d");
  }
  SECTION("over power, and too slow as well: both reasons, the first in screening order") {
    m.rack_peak_w = 5000.0;  // IT 11 kW, site 12.1 kW
    PlanPoint p = expand_grid(plan, base).at(0);
    judge(p, m, plan, base);
    CHECK(p.reject == Reject::OverPower);
    REQUIRE(p.reasons.size() == 3);
    CHECK(p.reasons[0] == "peak site power 12.1 kW over the limit of 10 kW");
    CHECK(p.reasons[1] == "peak IT power 11 kW over the limit of 9 kW");
    CHECK(p.reject == Reject::OverPower);
  }
  SECTION("out of memory: no estimate, one reason") {
    m.oom_events = 3;
    m.oom_first = "rank 0 allocates 1 GB for 'x' with 0 B free";
    m.hbm_peak_bytes = 103e9;
    m.hbm_capacity_bytes = 100e9;
    PlanPoint p = expand_grid(plan, base).at(0);
    judge(p, m, plan, base);
    CHECK(p.reject == Reject::OutOfMemory);
    CHECK_FALSE(p.estimate);
    REQUIRE(p.reasons.size() == 1);
    CHECK(p.reasons[0] == "out of HBM: rank 0 allocates 1 GB for 'x' with 0 B free; the step would need 103 GB per GPU of "
                         "100 GB (3 allocations did not fit)");
  }
}

TEST_CASE("plan: the deadline takes days besides the duration units", "[plan]") {
  // 90 d = 90 x 86400 s = 7,776,000 s; 36 h = 129,600 s; 1.5 d = 129,600 s.
  CHECK(plan_of(plan_text()).deadline.value() == 7776000.0);
  CHECK(plan_of(plan_text(), {"deadline=36 h"}).deadline.value() == 129600.0);
  CHECK(plan_of(plan_text(), {"deadline=1.5d"}).deadline.value() == 129600.0);
  const auto e = input_error_of([] { (void)plan_of(plan_text(), {"deadline=90 days"}); });
  CHECK_THAT(e.what(), Catch::Contains("key 'deadline'") && Catch::Contains("d (days, 86400 s)"));
  const auto e2 = input_error_of([] { (void)plan_of(plan_text(), {"deadline=0 d"}); });
  CHECK_THAT(e2.what(), Catch::Contains("greater than zero"));
}

TEST_CASE("plan: plan file errors name the file, line and key", "[plan]") {
  SECTION("a missing key") {
    const auto e = input_error_of([] { (void)plan_of("schema_version: 1\nname: p\nscenario: b.yaml\ntokens: 1e9\ndeadline: 1 d\n"); });
    CHECK_THAT(e.what(), Catch::Contains("dir/plan.yaml") && Catch::Contains("missing required key 'search'"));
  }
  SECTION("an unknown key, with its line") {
    const auto e = input_error_of([] { (void)plan_of(plan_text() + "budget: 3\n"); });
    CHECK_THAT(e.what(), Catch::Contains("dir/plan.yaml:7:") && Catch::Contains("unknown key 'budget' in plan"));
  }
  SECTION("dp in a layout") {
    const auto e = input_error_of([] { (void)plan_of(plan_text("search: {racks: [1], layouts: [{tp: 4, dp: 2}]}\n")); });
    CHECK_THAT(e.what(), Catch::Contains("key 'search.layouts[0].dp'") && Catch::Contains("it is derived"));
  }
  SECTION("a layout key of the wrong type") {
    const auto e = input_error_of([] { (void)plan_of(plan_text("search: {racks: [1], layouts: [{tp: four}]}\n")); });
    CHECK_THAT(e.what(), Catch::Contains("dir/plan.yaml:6:") && Catch::Contains("key 'search.layouts[0].tp'") &&
                             Catch::Contains("expected an integer"));
  }
  SECTION("racks not a list, or listed twice") {
    const auto e = input_error_of([] { (void)plan_of(plan_text("search: {racks: 4, layouts: [{tp: 4}]}\n")); });
    CHECK_THAT(e.what(), Catch::Contains("key 'search.racks'") && Catch::Contains("expected a list of rack counts"));
    const auto e2 = input_error_of([] { (void)plan_of(plan_text("search: {racks: [4, 4], layouts: [{tp: 4}]}\n")); });
    CHECK_THAT(e2.what(), Catch::Contains("key 'search.racks[1]'") && Catch::Contains("4 is listed twice"));
  }
  SECTION("a power limit without a unit") {
    const auto e = input_error_of([] { (void)plan_of(plan_text(), {"limits.site_power=30"}); });
    CHECK_THAT(e.what(), Catch::Contains("--set limits.site_power=30") && Catch::Contains("key 'limits.site_power'"));
  }
  SECTION("tokens not a positive number") {
    const auto e = input_error_of([] { (void)plan_of(plan_text(), {"tokens=-5"}); });
    CHECK_THAT(e.what(), Catch::Contains("key 'tokens'") && Catch::Contains("greater than zero"));
  }
  SECTION("an override that is not KEY=VALUE") {
    const auto e = input_error_of([] { (void)plan_of(plan_text("search: {racks: [1], layouts: [{tp: 4}]}\n", "overrides: [power.pue]\n")); });
    CHECK_THAT(e.what(), Catch::Contains("key 'overrides[0]'") && Catch::Contains("expected KEY=VALUE"));
  }
  SECTION("the scenario is resolved against the plan's folder") {
    CHECK(plan_of(plan_text()).scenario == "dir/base.yaml");
  }
}

TEST_CASE("plan: a point's metrics cross the pipe exactly", "[plan]") {
  PointMetrics m;
  m.step_time_s = 0.1 + 0.2;  // not a short decimal
  m.mfu = 1.0 / 3.0;
  m.site_energy_j = 123456.789e3;
  m.racks = 16;
  m.gpus = 1152;
  m.oom_events = 2;
  m.oom_first = "rank 3 allocates 1 GB\nfor 'x'";  // a line break becomes a space
  m.reduced = true;
  m.simulated_ranks = 72;
  m.replicas = 16;
  m.throttle_limit = "none";
  const PointMetrics d = decode_metrics(encode_metrics(m));
  CHECK(d.step_time_s == m.step_time_s);
  CHECK(d.mfu == m.mfu);
  CHECK(d.site_energy_j == m.site_energy_j);
  CHECK(d.racks == 16);
  CHECK(d.gpus == 1152);
  CHECK(d.oom_events == 2);
  CHECK(d.oom_first == "rank 3 allocates 1 GB for 'x'");
  CHECK(d.reduced);
  CHECK(d.simulated_ranks == 72);
  CHECK(d.replicas == 16);
  CHECK(d.throttle_limit == "none");
}

TEST_CASE("plan: the model-state screen adds each rank's opening allocations that stay", "[plan]") {
  const auto alloc = [](const std::string& label, double gb) {
    Op op;
    op.id = label;
    op.kind = OpKind::Alloc;
    op.bytes = static_cast<std::uint64_t>(gb * 1e9);
    op.label = label;
    return op;
  };
  Op compute;
  compute.id = "gemm";
  Workload w;
  w.ranks = 2;
  // Rank 0 opens with 60 + 30 = 90 GB; the 50 GB after its first compute op is not model state.
  w.programs.push_back({alloc("weights", 60), alloc("gradients", 30), compute, alloc("activations", 50)});
  CHECK(model_state_overflow(w, 100'000'000'000ULL).empty());
  // Rank 1 opens with 60 + 50 = 110 GB > 100 GB: named, with its parts.
  w.programs.push_back({alloc("weights", 60), alloc("optimizer state", 50), compute});
  CHECK(model_state_overflow(w, 100'000'000'000ULL) ==
        "rank 1 holds 110 GB of model state from the start of the step (weights 60 GB + optimizer state 50 GB), more than "
        "the GPU's 100 GB of HBM");
  // An opening allocation the rank frees later is not held for the step: 60 GB stay.
  Op free_op;
  free_op.id = "free";
  free_op.kind = OpKind::Free;
  free_op.frees = 1;
  w.programs[1].push_back(free_op);
  CHECK(model_state_overflow(w, 100'000'000'000ULL).empty());
  // Capacity 0 is "unlimited" (as in the replay).
  w.programs[1].pop_back();
  CHECK(model_state_overflow(w, 0).empty());
}
