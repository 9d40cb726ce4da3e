// racksim plan for serving (sim/studies/serving_plan.hpp, docs/plan.md "Serving plans"): the plan
// file's serving keys, the grid of rates, racks, layouts and instance counts, screening on
// hand-made metrics, the Pareto set per rate. Pure: nothing here simulates.
#include "sim/studies/serving_plan.hpp"

#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace racksim;
using racksim::test::input_error_of;

namespace {

// A minimal serving plan (lines: 1 schema_version, 2 kind, 3 name, 4 scenario, 5 rates, 6 slo,
// 7 search, then `extra`).
std::string serving_text(const std::string& search = "search: {racks: [1, 2], layouts: [{tp: 4}, {tp: 16}]}\n",
                         const std::string& extra = "") {
  return "schema_version: 1\n"
         "kind: serving\n"
         "name: s\n"
         "scenario: base.yaml\n"
         "rates: [20, 40]\n"
         "slo: {ttft_p99: 2 s, tpot_p99: 50 ms}\n" +
         search + extra;
}

PlanSpec plan_of(const std::string& text, const std::vector<std::string>& sets = {}) {
  return load_plan_text(text, "dir/plan.yaml", sets);
}

// Racks of 8 GPUs, a base instance of tp 2, PUE 1.1.
PlanBase base8() {
  PlanBase b;
  b.gpus_per_rack = 8;
  b.tp = 2;
  b.pp = 1;
  b.site.kind = SiteParams::Kind::Pue;
  b.site.pue = 1.1;
  return b;
}

// A feasible, judged point with the four objectives given directly.
PlanPoint spoint(std::size_t id, double rate, std::int64_t gpus, double peak_site, double ttft, double tpot) {
  PlanPoint p;
  p.id = id;
  p.rate = rate;
  p.gpus = gpus;
  PointMetrics m;
  m.serving = true;
  m.ttft_p99_s = ttft;
  m.tpot_p99_s = tpot;
  p.metrics = m;
  p.peak_site_w = peak_site;
  p.peak_it_w = peak_site;
  return p;
}

}  // namespace

TEST_CASE("serving plan: the file's serving keys", "[plan][serving]") {
  const PlanSpec p = plan_of(serving_text());
  CHECK(p.kind == PlanKind::Serving);
  CHECK(p.rates == std::vector<double>{20.0, 40.0});
  REQUIRE(p.ttft_p99_s);
  CHECK(*p.ttft_p99_s == 2.0);
  REQUIRE(p.tpot_p99_s);
  CHECK(*p.tpot_p99_s == 0.05);  // 50 ms
  CHECK(p.instances.empty());    // fill by default
  CHECK(plan_of(serving_text("search: {layouts: [{tp: 4}], instances: fill}\n")).instances.empty());
  CHECK(plan_of(serving_text("search: {layouts: [{tp: 4}], instances: [1, 3]}\n")).instances == std::vector<std::int64_t>{1, 3});
  CHECK(plan_of(serving_text("search: {layouts: [{tp: 4}]}\n")).racks.empty());  // the base's cluster.domains
  // Without `kind`, a plan is a training plan, as before.
  CHECK(plan_of("schema_version: 1\nname: p\nscenario: b.yaml\ntokens: 1e9\ndeadline: 1 d\nsearch: {racks: [1], layouts: [{tp: 4}]}\n")
            .kind == PlanKind::Training);
}

TEST_CASE("serving plan: file errors name the file, line and key", "[plan][serving]") {
  SECTION("rates missing") {
    const auto e = input_error_of([] { (void)plan_of("schema_version: 1\nkind: serving\nname: s\nscenario: b.yaml\nsearch: {layouts: [{tp: 4}]}\n"); });
    CHECK_THAT(e.what(), Catch::Contains("dir/plan.yaml") && Catch::Contains("missing required key 'rates'"));
  }
  SECTION("a rate of zero, with its line") {
    const auto e = input_error_of([] { (void)plan_of(serving_text(), {"rates=[0, 40]"}); });
    CHECK_THAT(e.what(), Catch::Contains("key 'rates[0]'") && Catch::Contains("greater than zero"));
    const auto e2 = input_error_of([] { (void)plan_of(serving_text(), {"rates=[20, 20]"}); });
    CHECK_THAT(e2.what(), Catch::Contains("key 'rates[1]'") && Catch::Contains("20 is listed twice"));
  }
  SECTION("an SLO without a unit") {
    const auto e = input_error_of([] {
      (void)plan_of("schema_version: 1\nkind: serving\nname: s\nscenario: b.yaml\nrates: [20]\nslo: {ttft_p99: 2}\nsearch: {layouts: [{tp: 4}]}\n");
    });
    CHECK_THAT(e.what(), Catch::Contains("dir/plan.yaml:6:") && Catch::Contains("key 'slo.ttft_p99'"));
  }
  SECTION("a training key in a serving plan") {
    const auto e = input_error_of([] { (void)plan_of(serving_text() + "tokens: 1e9\n"); });
    CHECK_THAT(e.what(), Catch::Contains("dir/plan.yaml:8:") && Catch::Contains("unknown key 'tokens' in plan"));
  }
  SECTION("a layout key of training") {
    const auto e = input_error_of([] { (void)plan_of(serving_text("search: {layouts: [{tp: 4, cp: 2}]}\n")); });
    CHECK_THAT(e.what(), Catch::Contains("dir/plan.yaml:7:") && Catch::Contains("unknown key 'cp'"));
  }
  SECTION("instances neither a list nor fill") {
    const auto e = input_error_of([] { (void)plan_of(serving_text("search: {layouts: [{tp: 4}], instances: all}\n")); });
    CHECK_THAT(e.what(), Catch::Contains("key 'search.instances'") && Catch::Contains("instance counts, or fill"));
  }
  SECTION("an unknown kind") {
    const auto e = input_error_of([] { (void)plan_of(serving_text(), {"kind=inference"}); });
    CHECK_THAT(e.what(), Catch::Contains("key 'kind'") && Catch::Contains("serving"));
  }
}

TEST_CASE("serving plan: the grid is rates, then racks, then layouts, then instance counts", "[plan][serving]") {
  // rates [20, 40] x racks [1, 2] x layouts [tp4, tp16] x fill = 8 points:
  //   #1 20/s 1 rack tp4:  fill = 8 / 4 = 2 instances, 8 GPUs
  //   #2 20/s 1 rack tp16: 8 / 16 = 0 instances: the rack cannot hold one
  //   #3 20/s 2 racks tp4: 16 / 4 = 4 instances, 16 GPUs
  //   #4 20/s 2 racks tp16: 16 / 16 = 1 instance, 16 GPUs
  //   #5-#8 the same at 40/s.
  const PlanSpec plan = plan_of(serving_text());
  const auto pts = expand_serving_grid(plan, base8());
  REQUIRE(pts.size() == 8);
  for (std::size_t i = 0; i < pts.size(); ++i) CHECK(pts[i].id == i + 1);
  CHECK(pts[0].rate == 20.0);
  CHECK(pts[4].rate == 40.0);
  CHECK(pts[0].instances == 2);
  CHECK(pts[0].gpus == 8);
  CHECK(pts[0].status == PointStatus::Pending);
  CHECK(serving_layout_label(pts[0]) == "tp4 pp1 x2");
  CHECK(pts[1].reject == Reject::InvalidLayout);
  CHECK(pts[1].reasons.at(0) == "tp x pp = 16 x 1 = 16 GPUs per instance, more than the 8 GPUs of 1 rack");
  CHECK(pts[2].instances == 4);
  CHECK(pts[2].gpus == 16);
  CHECK(pts[3].instances == 1);
  CHECK(pts[3].gpus == 16);
  CHECK(pts[5].reject == Reject::InvalidLayout);
  CHECK(pts[0].overrides == std::vector<std::string>{"cluster.domains=1", "workload.instance.tp=4", "workload.instance.pp=1",
                                                     "workload.instances=2", "workload.requests.rate=20",
                                                     "workload.slo.ttft=2 s", "workload.slo.tpot=0.05 s"});
  CHECK(pts[6].overrides.at(4) == "workload.requests.rate=40");

  SECTION("explicit instance counts: more GPUs than the racks hold is an invalid layout") {
    // 1 rack of 8: 1 x tp 4 = 4 GPUs fits; 3 x tp 4 = 12 GPUs does not.
    const PlanSpec p2 = plan_of(serving_text("search: {racks: [1], layouts: [{tp: 4, ep: 2}], instances: [1, 3]}\n"));
    const auto g = expand_serving_grid(p2, base8());
    REQUIRE(g.size() == 4);
    CHECK(g[0].gpus == 4);
    CHECK(g[0].status == PointStatus::Pending);
    CHECK(serving_layout_label(g[0]) == "tp4 pp1 ep2 x1");
    CHECK(g[0].overrides.at(3) == "workload.instance.ep=2");
    CHECK(g[1].reject == Reject::InvalidLayout);
    CHECK(g[1].reasons.at(0) == "3 instances x tp 4 x pp 1 = 12 GPUs, more than the 8 GPUs of 1 rack");
  }
  SECTION("the base's layout and rack count when the plan gives none") {
    PlanBase b = base8();
    b.domains = 3;
    const auto g = expand_serving_grid(plan_of(serving_text("search: {layouts: [{pp: 2}]}\n")), b);
    REQUIRE(g.size() == 2);
    // 3 racks x 8 = 24 GPUs, tp 2 (the base's) x pp 2 = 4 per instance: 6 instances.
    CHECK(g[0].racks == 3);
    CHECK(g[0].tp == 2);
    CHECK(g[0].instances == 6);
  }
}

TEST_CASE("serving plan: limits screen points before anything runs", "[plan][serving]") {
  const PlanSpec plan = plan_of(serving_text("search: {racks: [1, 2], layouts: [{tp: 4}], instances: [1, 2]}\n",
                                             "limits: {racks: 1, gpus: 4}\n"));
  const auto pts = expand_serving_grid(plan, base8());
  // Per rate: #1 1 rack x1 (4 GPUs) fine; #2 1 rack x2 = 8 GPUs over 4; #3, #4 2 racks over 1.
  REQUIRE(pts.size() == 8);
  CHECK(pts[0].status == PointStatus::Pending);
  CHECK(pts[1].reject == Reject::OverLimit);
  CHECK(pts[1].reasons.at(0) == "8 GPUs, over the limit of 4");
  CHECK(pts[2].reject == Reject::OverLimit);
  CHECK(pts[2].reasons.at(0) == "2 racks, over the limit of 1");
  CHECK(pts[3].reasons.at(0) == "2 racks, over the limit of 1");
}

TEST_CASE("serving plan: judging a run: SLO missed by how much, over power, unfinished", "[plan][serving]") {
  const PlanSpec plan = plan_of(serving_text("search: {racks: [1], layouts: [{tp: 4}]}\n", "limits: {site_power: 10 kW}\n"));
  const PlanBase base = base8();
  PointMetrics m;
  m.serving = true;
  m.racks = 1;
  m.rack_peak_w = 8000.0;
  m.switch_w = 1000.0;
  m.ttft_p99_s = 1.5;
  m.tpot_p99_s = 0.04;
  m.requests = 400;
  m.finished = 400;

  SECTION("within every limit and the SLO") {
    // Peak IT 1 x 8 kW + 1 kW = 9 kW; site 9 kW x 1.1 = 9.9 kW, under 10 kW.
    PlanPoint p = expand_serving_grid(plan, base).at(0);
    judge_serving(p, m, plan, base);
    CHECK(p.status == PointStatus::Pending);
    CHECK(p.reasons.empty());
    REQUIRE(p.peak_it_w);
    CHECK(*p.peak_it_w == 9000.0);
    CHECK(*p.peak_site_w == Approx(9900.0));
  }
  SECTION("the SLO missed on both, by how much") {
    // TTFT 3.25 s - 2 s = 1.25 s; TPOT 62.5 ms - 50 ms = 12.5 ms.
    m.ttft_p99_s = 3.25;
    m.tpot_p99_s = 0.0625;
    PlanPoint p = expand_serving_grid(plan, base).at(0);
    judge_serving(p, m, plan, base);
    CHECK(p.reject == Reject::SloMissed);
    REQUIRE(p.reasons.size() == 2);
    CHECK(p.reasons[0] == "p99 TTFT 3.25 s over the SLO of 2 s by 1.25 s");
    CHECK(p.reasons[1] == "p99 TPOT 62.5 ms over the SLO of 50 ms by 12.5 ms");
  }
  SECTION("over power comes before the SLO") {
    // Rack peak 10 kW: IT 11 kW, site 12.1 kW, over 10 kW.
    m.rack_peak_w = 10000.0;
    m.ttft_p99_s = 3.25;
    PlanPoint p = expand_serving_grid(plan, base).at(0);
    judge_serving(p, m, plan, base);
    CHECK(p.reject == Reject::OverPower);
    REQUIRE(p.reasons.size() == 2);
    CHECK(p.reasons[0] == "peak site power 12.1 kW over the limit of 10 kW");
  }
  SECTION("requests left unfinished") {
    m.finished = 397;
    m.unfinished = 3;
    PlanPoint p = expand_serving_grid(plan, base).at(0);
    judge_serving(p, m, plan, base);
    CHECK(p.reject == Reject::Unfinished);
    CHECK(p.reasons.at(0) == "3 of 400 requests unfinished at the end of the run (its latencies count the finished ones only)");
  }
}

TEST_CASE("serving plan: a run's refusal is classified by its message", "[plan][serving]") {
  CHECK(serving_refusal("workload.instance: model 'llama3-70b' does not fit a instance of tp 1") == Reject::OutOfMemory);
  CHECK(serving_refusal("workload.instance: tp (3) must divide the attention heads (64)") == Reject::InvalidLayout);
  CHECK(serving_refusal("cluster: something else") == Reject::CannotEvaluate);
  CHECK(to_string(Reject::SloMissed) == "slo_missed");
  CHECK(to_string(Reject::Unfinished) == "unfinished");
  CHECK(reject_title(Reject::SloMissed) == "slo missed");
}

TEST_CASE("serving plan: Pareto on GPUs, peak site power, p99 TTFT and p99 TPOT, per rate", "[plan][serving]") {
  // a and b equal on all four: neither dominates. c has more GPUs but a lower TTFT: not dominated.
  // d is no better than a anywhere and worse on GPUs and power: dominated by a (#1, the first).
  // e, at another rate, is worse than all on everything but is alone at its rate: Pareto.
  std::vector<PlanPoint> pts{spoint(1, 20, 8, 10e3, 1.0, 0.05), spoint(2, 20, 8, 10e3, 1.0, 0.05), spoint(3, 20, 16, 10e3, 0.5, 0.05),
                             spoint(4, 20, 16, 12e3, 1.0, 0.05), spoint(5, 40, 32, 99e3, 9.0, 9.0)};
  CHECK_FALSE(serving_dominates(pts[0], pts[1]));
  CHECK_FALSE(serving_dominates(pts[0], pts[2]));
  CHECK(serving_dominates(pts[0], pts[3]));
  CHECK(serving_dominates(pts[0], pts[4]));  // across rates dominance is defined, but never applied
  mark_serving_pareto(pts);
  CHECK(pts[0].status == PointStatus::Pareto);
  CHECK(pts[1].status == PointStatus::Pareto);
  CHECK(pts[2].status == PointStatus::Pareto);
  CHECK(pts[3].status == PointStatus::Dominated);
  CHECK(pts[3].dominated_by == 1);
  CHECK(pts[4].status == PointStatus::Pareto);
}

TEST_CASE("serving plan: a run's serving metrics cross the pipe exactly", "[plan][serving]") {
  PointMetrics m;
  m.serving = true;
  m.ttft_p99_s = 0.1 + 0.2;
  m.tpot_p99_s = 1.0 / 3.0;
  m.goodput_requests_per_s = 17.5;
  m.unfinished = 2;
  m.requests = 400;
  const PointMetrics d = decode_metrics(encode_metrics(m));
  CHECK(d.serving);
  CHECK(d.ttft_p99_s == m.ttft_p99_s);
  CHECK(d.tpot_p99_s == m.tpot_p99_s);
  CHECK(d.goodput_requests_per_s == 17.5);
  CHECK(d.unfinished == 2);
  CHECK(d.requests == 400);
  // A training step's text has no serving lines.
  CHECK(encode_metrics(PointMetrics{}).find("ttft") == std::string::npos);
}
