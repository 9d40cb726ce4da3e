// Reduced vs full simulation (sim/engine/reduction.hpp, docs/scale.md). Each TEST_CASE runs the full
// simulation (simulation.fidelity: full, every rank and flow) in a forked child and the reduced
// one (fidelity auto: one data-parallel replica in SimGrid, its data-parallel calls in closed
// form) in this process, on tests/data/sim/replicas.yaml: 8 domains of 4 GPUs, one replica per
// domain (TP 2 x PP 2), every data-parallel group one rail of a leaf/spine fabric.
//
// The oracle is the full simulation itself: the requirement is that the reduced run
// gives the same step time within 0.5%. The cases cover each fabric condition the reduction
// accepts (spraying, ECMP with an oversubscribed spine, a spine down, degraded spines that slow
// the data-parallel transfers) and the ones it must refuse (a fault during the step, transfers
// that would contend), where it must run in full and say why.
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
  double mfu = 0.0;
  double calls = 0.0;  // collective calls, all kinds
};

Outcome outcome(const RunResult& r) {
  Outcome o;
  o.time = r.simulated_time_s;
  o.energy = r.power ? r.power->energy_j : 0.0;
  o.mfu = r.training ? r.training->mfu : 0.0;
  for (const auto& c : r.collectives) o.calls += static_cast<double>(c.calls);
  return o;
}

std::vector<std::string> with(std::vector<std::string> sets, const std::string& fidelity) {
  sets.push_back("simulation.fidelity=" + fidelity);
  return sets;
}

// The full run, in a child process (one SimGrid engine per process).
Outcome full(const std::vector<std::string>& sets) {
  const std::string text = run_in_child(
      [&] {
        const Scenario s = load_scenario(kData + "replicas.yaml", with(sets, "full"), RACKSIM_SOURCE_DIR);
        Run run(s);
        const Outcome o = outcome(run.execute());
        return fmt::format("{:a} {:a} {:a} {:a}", o.time, o.energy, o.mfu, o.calls);
      },
      "the full simulation");
  Outcome o;
  char* p = nullptr;
  o.time = std::strtod(text.c_str(), &p);
  o.energy = std::strtod(p, &p);
  o.mfu = std::strtod(p, &p);
  o.calls = std::strtod(p, &p);
  return o;
}

RunResult reduced(const std::vector<std::string>& sets) {
  const Scenario s = load_scenario(kData + "replicas.yaml", with(sets, "auto"), RACKSIM_SOURCE_DIR);
  Run run(s);
  return run.execute();
}

// Reduced and full agree within 0.5% on the step time, and on what is derived from it. One domain
// (4 GPUs) is simulated for the 8: one TP 2 x PP 2 replica, or `per_domain` smaller ones.
void same_as_full(const std::vector<std::string>& sets, int per_domain = 1) {
  const Outcome f = full(sets);
  const RunResult r = reduced(sets);
  INFO("reduction: " << (r.reduction.applied ? "applied" : r.reduction.reason));
  REQUIRE(r.reduction.applied);
  CHECK(r.reduction.simulated_ranks == 4);  // one domain
  CHECK(r.reduction.replicas == 8);
  CHECK(r.reduction.replicas_simulated == per_domain);
  CHECK(r.reduction.max_link_load <= 1.0 + 1e-9);
  const Outcome o = outcome(r);
  CHECK(o.time == Approx(f.time).epsilon(0.005));
  CHECK(o.energy == Approx(f.energy).epsilon(0.005));
  CHECK(o.mfu == Approx(f.mfu).epsilon(0.005));
  CHECK(o.calls == f.calls);  // every replica's own calls counted, each data-parallel call once
  CHECK(r.gpus == 32);
  CHECK(r.per_rank.size() == 4u);
}

}  // namespace

TEST_CASE("reduced equals full: packet spraying on a non-blocking fabric", "[sim][reduction]") {
  same_as_full({});
}

TEST_CASE("reduced equals full: ECMP with a 2:1 oversubscribed leaf", "[sim][reduction]") {
  same_as_full({"cluster.scale_out.multipath=ecmp", "cluster.scale_out.oversubscription=2"});
}

TEST_CASE("reduced equals full: a spine switch down from the start", "[sim][reduction]") {
  same_as_full({"faults=[{at: 0 s, switch: spine0, state: down}]"});
}

TEST_CASE("reduced equals full: degraded spines slow the data-parallel transfers", "[sim][reduction]") {
  // Under ECMP a flow between the rail's two leaves is pinned to one spine; with every spine at
  // half its bandwidth those flows run at half the NIC's rate, so the ring all-gathers and
  // reduce-scatters take longer than on the healthy fabric, in both simulations.
  const std::vector<std::string> sets = {
      "cluster.scale_out.multipath=ecmp",
      "faults=[{at: 0 s, switch: spine0, state: degraded, fraction: 0.5}, {at: 0 s, switch: spine1, state: degraded, "
      "fraction: 0.5}, {at: 0 s, switch: spine2, state: degraded, fraction: 0.5}, {at: 0 s, switch: spine3, state: "
      "degraded, fraction: 0.5}]"};
  const Outcome healthy = full({"cluster.scale_out.multipath=ecmp"});
  const Outcome f = full(sets);
  CHECK(f.time > healthy.time * 1.001);
  const RunResult r = reduced(sets);
  REQUIRE(r.reduction.applied);
  CHECK(r.simulated_time_s == Approx(f.time).epsilon(0.005));
}

TEST_CASE("reduced equals full: uneven pipeline stages", "[sim][reduction]") {
  // 5 layers on the 2 stages split 2 and 3 (the generator's default): the two stages of a replica
  // differ, but every replica is the same, so one replica still stands for the others, and each
  // stage's data-parallel reductions (of 2 and of 3 layers' gradients) are timed in closed form.
  same_as_full({"workload.model.layers=5"});
}

TEST_CASE("reduced equals full: pipeline stages given by stage_layers", "[sim][reduction]") {
  same_as_full({"workload.model.layers=5", "workload.parallel.stage_layers=[4, 1]"});  // one engine per process
}

TEST_CASE("reduced equals full: pure data parallelism, four replicas per domain (FSDP)", "[sim][reduction]") {
  // TP 1 x PP 1: every GPU is a replica, 4 to a domain, ZeRO 3 over all 32. The replicas have no
  // traffic of their own, so their data-parallel calls (which now also cross the domain's
  // switch) share no link with anything SimGrid runs; one domain stands for the 8.
  same_as_full({"workload.parallel.tp=1", "workload.parallel.pp=1", "workload.parallel.dp=32", "workload.parallel.zero=3"},
               4);
}

TEST_CASE("several replicas per domain whose own traffic shares the data-parallel links are not reduced",
          "[sim][reduction]") {
  // TP 2 x PP 1: two replicas per domain. A GPU's one link to the switch would carry both its TP
  // all-reduces (simulated) and the data-parallel calls' transfers inside the domain (timed in
  // closed form): the closed form could not see the contention, so every rank runs.
  const RunResult r = reduced({"workload.parallel.pp=1", "workload.parallel.dp=16"});
  CHECK_FALSE(r.reduction.applied);
  INFO(r.reduction.reason);
  CHECK(r.reduction.reason.find("2 data-parallel replicas share each scale-up domain, and link node") == 0);
  CHECK(r.reduction.reason.find("would carry both data-parallel transfers and a replica's own traffic") != std::string::npos);
  CHECK(r.per_rank.size() == 32u);
}

TEST_CASE("a fault during the step is not reduced", "[sim][reduction]") {
  const RunResult r = reduced({"faults=[{at: 2 ms, link: [leaf0, spine0], state: down}]"});
  CHECK_FALSE(r.reduction.applied);
  CHECK(r.reduction.reason == "a fault after t = 0 changes the fabric during the step");
  CHECK(r.per_rank.size() == 32u);  // every rank simulated
}

TEST_CASE("data-parallel transfers that would contend are not reduced", "[sim][reduction]") {
  // Without ZeRO the gradients are all-reduced; the library picks the double binary tree, whose
  // members send to a parent and receive from two children: two transfers share a NIC.
  const RunResult r = reduced({"workload.parallel.zero=0"});
  CHECK_FALSE(r.reduction.applied);
  CHECK(r.reduction.reason.rfind("the data-parallel transfers would contend", 0) == 0);
  CHECK(r.reduction.max_link_load > 1.0);
  CHECK(r.per_rank.size() == 32u);
}

TEST_CASE("fidelity full and layouts whose replicas do not tile the domains are not reduced", "[sim][reduction]") {
  SECTION("simulation.fidelity: full") {
    const Scenario s = load_scenario(kData + "replicas.yaml", {"simulation.fidelity=full"}, RACKSIM_SOURCE_DIR);
    const Run run(s);
    CHECK(run.header().find("every rank and flow simulated (simulation.fidelity is full)") != std::string::npos);
  }
  SECTION("the default rank order puts data-parallel ranks inside a domain") {
    const Scenario s = load_scenario(kData + "replicas.yaml", {"workload.parallel.order=tp-cp-dp-pp"}, RACKSIM_SOURCE_DIR);
    const Run run(s);
    CHECK(run.header().find("parallel.order is tp-cp-dp-pp") != std::string::npos);
  }
  SECTION("a fault inside one domain makes the domains differ") {
    const Scenario s = load_scenario(kData + "replicas.yaml",
                                     {"faults=[{at: 0 s, switch: node0.switch, state: degraded, fraction: 0.5}]"},
                                     RACKSIM_SOURCE_DIR);
    const Run run(s);
    CHECK(run.header().find("(a fault inside a scale-up domain makes the domains differ)") != std::string::npos);
  }
  SECTION("a replica that neither fills a domain nor divides it") {
    const Scenario s = load_scenario(kData + "replicas.yaml",
                                     {"workload.parallel.tp=1", "workload.parallel.pp=3", "workload.parallel.dp=10",
                                      "workload.batch.global=30"},
                                     RACKSIM_SOURCE_DIR);
    const Run run(s);
    CHECK(run.header().find("a replica (tp x cp x pp = 3 ranks) neither fills one scale-up domain of 4 GPUs nor divides it") !=
          std::string::npos);
  }
}
