// Multipath and faults on a two-tier fabric (tests/data/sim/fabric4.yaml): ECMP hash
// collisions cost bandwidth, packet spraying restores it, and a link that goes down mid-transfer
// moves the sprayed traffic to the surviving path. Each TEST_CASE runs in its own process.
//
// Path of a cross-leaf flow (rank 0 -> rank 4): GPU -> NIC -> leaf0 -> spine -> leaf1 -> NIC ->
// GPU. Latency L = NIC 1 us x 2 + cable 0.2 us x 4 + leaf 0.6 us x 2 + spine 0.6 us = 4.6 us.
// Bandwidth: every fabric link runs at the NIC's 200 Gb/s = 25 GB/s times the RoCE payload
// share at the default 4096 B MTU (models/transport.hpp, tested by hand in test_transport.cpp):
// B = 25 GB/s x eta. The 64 GB/s host interface is never the bottleneck.
#include "models/transport.hpp"
#include "sim/cli/child_run.hpp"
#include "sim/engine/run.hpp"
#include "sim/scenario/scenario.hpp"
#include "topologies/builders.hpp"
#include "topologies/routing.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

using namespace racksim;

namespace {

const std::string kData = std::string(RACKSIM_TEST_DATA) + "/sim/";
constexpr double kL = 4.6e-6;
constexpr double kS = 1e8;

double eta() { return transport_efficiency(TransportParams{}, BytesPerSecond(25e9), Seconds(2 * kL), 4).total; }

// With `baseline`, the run measures its faults' baseline in a child process, as `racksim run` does.
RunResult simulate(const std::vector<std::string>& sets, bool baseline = false) {
  const Scenario s = load_scenario(kData + "fabric4.yaml", sets, RACKSIM_SOURCE_DIR);
  Run run(s);
  if (baseline) run.measure_fault_baseline(run_in_child);
  return run.execute();
}

// Whether ECMP with `seed` puts flows 0 -> 4 and 2 -> 6 on the same leaf0 uplink: the second
// hop of each path after the NIC hops (the leaf -> spine edge) is compared.
bool collides(std::uint64_t seed) {
  const Scenario s = load_scenario(kData + "fabric4.yaml", {}, RACKSIM_SOURCE_DIR);
  const Topology t = build_cluster(s.cluster);
  const auto splits = compute_splits(t, {{0, 4}, {2, 6}}, Multipath::Ecmp, seed);
  auto uplink = [&](const FlowSplit& f) {
    for (const auto& h : f.hops) {
      const LinkProps& lp = t.link(h.edge);
      const auto& a = t.graph[lp.end_a];
      const auto& b = t.graph[lp.end_b];
      if (a.kind == NodeKind::Switch && b.kind == NodeKind::Switch) return h.edge;  // leaf -- spine
    }
    return -1;
  };
  return uplink(splits[0]) == uplink(splits[1]);
}

std::uint64_t find_seed(bool collision) {
  for (std::uint64_t seed = 0; seed < 64; ++seed)
    if (collides(seed) == collision) return seed;
  FAIL("no seed in 0..63 gives " << (collision ? "a collision" : "distinct paths"));
  return 0;
}

}  // namespace

TEST_CASE("ECMP: two flows hashed onto one uplink share it", "[sim][multipath]") {
  const std::uint64_t seed = find_seed(true);
  const RunResult r = simulate({"cluster.scale_out.multipath=ecmp", "cluster.scale_out.ecmp_seed=" + std::to_string(seed)});
  // Both flows cross the same 25 GB/s x eta leaf0 -> spine trunk: B/2 each,
  // T = L + S / (B/2) = 4.6 us + 1e8 / (12.5e9 eta).
  CHECK(r.simulated_time_s == Approx(kL + kS / (25e9 * eta() / 2.0)).epsilon(1e-6));
  CHECK(r.fabric.multipath == "ecmp");
}

TEST_CASE("ECMP: a seed that spreads the flows gives each its NIC's rate", "[sim][multipath]") {
  const std::uint64_t seed = find_seed(false);
  const RunResult r = simulate({"cluster.scale_out.multipath=ecmp", "cluster.scale_out.ecmp_seed=" + std::to_string(seed)});
  // Distinct spines: each flow is limited by its own NIC link, T = L + S / B.
  CHECK(r.simulated_time_s == Approx(kL + kS / (25e9 * eta())).epsilon(1e-6));
}

TEST_CASE("spraying restores the bandwidth ECMP collisions lose", "[sim][multipath]") {
  const RunResult r = simulate({"cluster.scale_out.multipath=spray"});
  // Each flow puts half of itself on each of leaf0's two uplinks: each uplink carries
  // (B + B)/2 = B, so nothing but the NICs binds: T = L + S / B, whatever the seed.
  CHECK(r.simulated_time_s == Approx(kL + kS / (25e9 * eta())).epsilon(1e-6));
  CHECK(r.fabric.multipath == "spray");
  CHECK(r.fabric.mixed_weight_links == 0);
}

TEST_CASE("a link down mid-transfer: sprayed traffic moves to the surviving uplink", "[sim][multipath][fault]") {
  // At t0 = 2 ms the leaf0 -- spine0 link goes down (both directions). Until then each flow
  // runs at B; after, leaf0's two outgoing flows (and the two coming back through spine1 into
  // leaf0) share the one surviving trunk: B/2 each. Bytes left at t0: R = S - (t0 - L) B, done
  // at B/2: T = t0 + 2R/B = 2S/B - t0 + 2L.
  const double t0 = 2e-3;
  const RunResult r = simulate({"cluster.scale_out.multipath=spray", "faults=[{at: 2 ms, link: [leaf0, spine0], state: down}]"});
  const double b = 25e9 * eta();
  CHECK(r.simulated_time_s == Approx(2.0 * kS / b - t0 + 2.0 * kL).epsilon(1e-6));
  REQUIRE(r.fabric.faults.size() == 1);
  CHECK(r.fabric.faults[0].state == "down");
  CHECK(r.fabric.faults[0].links == 1);
}

TEST_CASE("the faults' baseline is the same run without them, measured in a child process", "[sim][multipath][fault]") {
  // The link-down run above, asked for its baseline: without the fault, spraying gives each flow
  // its NIC's rate, T = L + S / B (as in "spraying restores ..."); the faulty run is unchanged.
  const double b = 25e9 * eta();
  const RunResult r = simulate({"cluster.scale_out.multipath=spray", "faults=[{at: 2 ms, link: [leaf0, spine0], state: down}]"}, true);
  REQUIRE(r.fabric.baseline_time_s);
  CHECK(*r.fabric.baseline_time_s == Approx(kL + kS / b).epsilon(1e-6));
  CHECK(r.simulated_time_s == Approx(2.0 * kS / b - 2e-3 + 2.0 * kL).epsilon(1e-6));
}

TEST_CASE("a run measures no faults' baseline unless asked", "[sim][multipath][fault]") {
  const RunResult r = simulate({"cluster.scale_out.multipath=spray", "faults=[{at: 2 ms, link: [leaf0, spine0], state: down}]"});
  CHECK_FALSE(r.fabric.baseline_time_s);
}

TEST_CASE("adaptive: a degraded uplink gets a share in proportion to what it has left", "[sim][multipath][fault]") {
  // Only the two flows out of leaf0 (permutation-oneway.yaml). From t = 0 the leaf0 -- spine0 link runs at half its bandwidth. Adaptive splits leaf0's
  // traffic 0.5 : 1 over spine0 : spine1, so the two uplinks together carry 1.5 B: the two
  // flows out of leaf0 (2 B of demand) get 0.75 B each. T = L + S / (0.75 B).
  const RunResult r =
      simulate({"workload.file=permutation-oneway.yaml", "cluster.scale_out.multipath=adaptive", "faults=[{at: 0 s, link: [leaf0, spine0], state: degraded, fraction: 0.5}]"});
  const double b = 25e9 * eta();
  CHECK(r.simulated_time_s == Approx(kL + kS / (0.75 * b)).epsilon(1e-6));
}

TEST_CASE("ECMP refuses a link going down", "[sim][multipath][fault]") {
  CHECK_THROWS_WITH(simulate({"cluster.scale_out.multipath=ecmp", "faults=[{at: 2 ms, link: [leaf0, spine0], state: down}]"}),
                    Catch::Contains("under ECMP"));
}
