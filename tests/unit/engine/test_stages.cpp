// The set-up stages of a run (sim/engine/setup.hpp, run.hpp prepare_run), without SimGrid: the
// cluster stage scales the scale-out links while it builds the topology, a reducible step is one
// replica on its own domain's hosts, a ready-made workload comes back planned, and the run's
// description counts what the header and summary.json report. Scenarios: tests/data/sim.
#include "sim/engine/run.hpp"
#include "sim/engine/setup.hpp"
#include "sim/scenario/scenario.hpp"
#include "topologies/builders.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

using namespace racksim;

namespace {

const std::string kData = std::string(RACKSIM_TEST_DATA) + "/sim/";

Scenario scenario(const std::string& file, const std::vector<std::string>& sets = {}) {
  return load_scenario(kData + file, sets, RACKSIM_SOURCE_DIR);
}

}  // namespace

TEST_CASE("the cluster stage builds the topology with scale-out links at the payload share", "[unit][stages]") {
  // fabric4.yaml runs RoCE over its scale-out fabric: headers take a share of every packet, so
  // the payload share e is below 1. Every scale-out link of the built topology carries e times
  // the bandwidth the builder gives it; scale-up links keep theirs.
  const Scenario s = scenario("fabric4.yaml", {"cluster.scale_out.multipath=spray",
                                               "faults=[{at: 2 ms, link: [leaf0, spine0], state: degraded, fraction: 0.25}]"});
  const ClusterSetup c = build_cluster_setup(s);
  const Topology plain = build_cluster(s.cluster);
  const double e = c.levels.transport_efficiency;
  CHECK(e < 1.0);
  REQUIRE(c.topology.num_links() == plain.num_links());
  int scale_out = 0;
  for (int id = 0; id < static_cast<int>(plain.num_links()); ++id) {
    const LinkProps& built = c.topology.link(id);
    const double expected = plain.link(id).bandwidth.value() * (built.kind == LinkKind::ScaleOut ? e : 1.0);
    CHECK(built.bandwidth.value() == Approx(expected));
    if (built.kind == LinkKind::ScaleOut) ++scale_out;
  }
  CHECK(scale_out > 0);
  // The fault's report counts the scaled link: one link, 3/4 of its bandwidth lost.
  REQUIRE(c.faults.size() == 1);
  CHECK(c.faults[0].links == 1);
  REQUIRE(c.fabric.faults.size() == 1);
  const int edge = c.fabric.faults[0].edges.at(0);
  CHECK(c.faults[0].bandwidth_lost == Approx(plain.link(edge).bandwidth.value() * e * 0.75));
}

TEST_CASE("a reducible step is one replica on its own domain's hosts", "[unit][stages]") {
  // replicas.yaml: 8 domains of 4 GPUs, TP 2 x PP 2 = 4 ranks per replica, DP 8. The replica is
  // ranks 0-3, simulated on the 4 GPUs of domain 0 (no scale-out: its data-parallel calls are
  // timed in closed form); the description counts the 32 ranks and 8 x the replica's ops.
  const Scenario s = scenario("replicas.yaml");
  const PreparedRun p = prepare_run(s, std::nullopt);
  REQUIRE(p.step.reduction.applied);
  CHECK(p.step.simulated_ranks == 4);
  CHECK(p.step.reduction.replicas == 8);
  CHECK(p.platform.hosts.size() == 4u);
  for (const auto& h : p.platform.hosts) CHECK(h.name.rfind("node0.", 0) == 0);
  CHECK(p.power.gpus == 4);
  CHECK(p.power.replicas == 8);
  const RunDescription& d = p.description;
  CHECK(d.gpus == 32);
  CHECK(d.ranks == 32);
  CHECK(d.sg_hosts == 4u);
  CHECK(d.ops == 8 * d.simulated_ops);
  CHECK(d.simulated_ops == p.step.workload.total_ops());
  CHECK(run_header(d).find("fidelity            reduced: ranks 0-3 (one data-parallel replica) simulated for 8 replicas") !=
        std::string::npos);
}

TEST_CASE("a ready-made workload comes back planned and is never reduced", "[unit][stages]") {
  const Scenario s = scenario("replicas.yaml");
  const PreparedRun p = prepare_run(s, build_workload(s));
  CHECK_FALSE(p.step.reduction.applied);
  CHECK(p.step.reduction.reason == "the workload was given to the run ready-made");
  CHECK(p.step.simulated_ranks == 32);
  CHECK(p.platform.hosts.size() == 32u);
  CHECK(p.description.ops == p.description.simulated_ops);
  std::size_t collectives = 0, unplanned = 0;
  for (const auto& program : p.step.workload.programs)
    for (const Op& op : program)
      if (op.kind == OpKind::Collective) {
        ++collectives;
        if (op.plan < 0) ++unplanned;
      }
  CHECK(collectives > 0);
  CHECK(unplanned == 0);
  CHECK_FALSE(p.step.workload.plans.empty());
}
