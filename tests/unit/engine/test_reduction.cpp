// The pure parts of the reduced simulation (sim/engine/reduction.hpp): pair costs from a platform's
// routes, the all-at-once link load check, and the evaluation of one collective call on an idle
// fabric, each against hand derivations. (Reduced vs full simulation: tests/sim/test_reduction_sim.cpp.)
#include "sim/engine/reduction.hpp"

#include "core/error.hpp"

#include <catch2/catch.hpp>

using namespace racksim;

namespace {

// Three GPUs in a ring: 0->1 and 1->2 over links of 100 GB/s, 2->0 over one of 50 GB/s; every
// route 5 us in all (two links of 2.5 us).
PlatformSpec ring3() {
  PlatformSpec p;
  p.hosts = {{"g0", 0.0}, {"g1", 0.0}, {"g2", 0.0}};
  p.links = {{"a01", 100e9, 2.5e-6}, {"b01", 100e9, 2.5e-6}, {"a12", 100e9, 2.5e-6},
             {"b12", 100e9, 2.5e-6}, {"a20", 50e9, 2.5e-6},  {"b20", 100e9, 2.5e-6}};
  p.routes = {{0, 1, {0, 1}}, {1, 2, {2, 3}}, {2, 0, {4, 5}}};
  return p;
}

Group group3() {
  Group g;
  g.name = "dp";
  g.ranks = {0, 1, 2};
  g.position = {0, 1, 2};
  return g;
}

}  // namespace

TEST_CASE("pair costs add the route's latencies and take its slowest link", "[unit][reduction]") {
  const PairCosts c(ring3());
  CHECK(c.at(0, 1).latency == Approx(5e-6));
  CHECK(c.at(0, 1).bandwidth == 100e9);
  CHECK(c.at(2, 0).bandwidth == 50e9);
  CHECK_THROWS_AS(c.at(1, 0), Error);  // no route emitted for that direction
}

TEST_CASE("the load check sums every pair's idle-fabric rate on each link", "[unit][reduction]") {
  // 0->1 over [A, S] and 2->1 over [B, S]: each alone gets 100 GB/s (A and B), so together they
  // ask 200 GB/s of S. At 150 GB/s that is 133%; at 200 GB/s exactly 100%.
  PlatformSpec p;
  p.hosts = {{"g0", 0.0}, {"g1", 0.0}, {"g2", 0.0}};
  p.links = {{"A", 100e9, 1e-6}, {"B", 100e9, 1e-6}, {"S", 150e9, 1e-6}};
  p.routes = {{0, 1, {0, 2}}, {2, 1, {1, 2}}};
  std::string worst;
  CHECK(max_link_load(p, {{0, 1}, {2, 1}}, worst) == Approx(200.0 / 150.0));
  CHECK(worst == "S");
  p.links[2].bandwidth = 200e9;
  CHECK(max_link_load(p, {{0, 1}, {2, 1}}, worst) == Approx(1.0));
  CHECK(max_link_load(p, {{0, 1}}, worst) == Approx(1.0));  // A is full, S half
}

TEST_CASE("a ring all-gather evaluated step by step with rendezvous", "[unit][reduction]") {
  // 3 GB all-gather over 3 members: 2 steps, each member sends one 1 GB piece to the next and
  // receives one from the previous. Launch 1 us; every step crosses domains (one member per
  // domain), hop 2 us. Transfers take 5 us + 1 GB / bandwidth: 10.005 ms at 100 GB/s, 20.005 ms
  // over the slow 2->0 route; each starts when both ends have reached the step.
  //   step 0: every member starts transferring at 1 + 2 = 3 us.
  //     m0 ends when 2->0 arrives: 3 us + 20.005 ms = 20.008 ms; m1 at 10.008 ms (0->1 and its
  //     own 1->2); m2 when its send 2->0 completes: 20.008 ms.
  //   step 1: transfers begin at 20.010, 10.010 and 20.010 ms (hop after each).
  //     0->1 starts at max(20.010, 10.010) = 20.010, ends 30.015 ms; 1->2 starts at
  //     max(10.010, 20.010) = 20.010, ends 30.015 ms; 2->0 starts at 20.010, ends 40.015 ms.
  //     m0 = 40.015 ms, m1 = 30.015 ms, m2 = 40.015 ms.
  CollectiveMethod plan;
  plan.shape = make_shape(CollectiveKind::AllGather, CollectiveAlgorithm::Ring, 3, 3'000'000'000ULL);
  REQUIRE(CollectiveSchedule(plan.shape).num_steps() == 2);
  plan.launch = Seconds(1e-6);
  plan.hop_inter = Seconds(2e-6);
  plan.hop_intra = Seconds(100e-6);  // not used: no step stays inside a domain
  plan.gpus_per_domain = 1;
  const PairCosts costs(ring3());
  const IsolatedTiming t = evaluate_isolated(plan, group3(), costs, [](std::uint64_t) { return ReduceParts{}; });
  CHECK(t.makespan == Approx(40.015e-3).epsilon(1e-12));
  CHECK(t.first_finish == Approx(30.015e-3).epsilon(1e-12));

  SECTION("the LL protocol puts twice the bytes on the wire") {
    // bandwidth_fraction 0.5: 2 GB per piece. Step 0: m0 ends at 3 us + 40.005 ms; step 1's 2->0
    // starts at 40.010 ms and ends at 80.015 ms.
    plan.bandwidth_fraction = 0.5;
    CHECK(evaluate_isolated(plan, group3(), costs, [](std::uint64_t) { return ReduceParts{}; }).makespan ==
          Approx(80.015e-3).epsilon(1e-12));
  }
}

TEST_CASE("a ring reduce-scatter waits for its reductions", "[unit][reduction]") {
  // The same ring with every route at 100 GB/s; a reduction that takes 50 ms (far longer than a
  // 1 GB transfer's 10.005 ms) sets each step's end: step 0 ends at 3 us + 50 ms, step 1's
  // reduction starts 2 us later and ends at 100.005 ms, on every member.
  PlatformSpec p = ring3();
  p.links[4].bandwidth = 100e9;
  CollectiveMethod plan;
  plan.shape = make_shape(CollectiveKind::ReduceScatter, CollectiveAlgorithm::Ring, 3, 3'000'000'000ULL);
  REQUIRE(CollectiveSchedule(plan.shape).num_steps() == 2);
  plan.launch = Seconds(1e-6);
  plan.hop_inter = Seconds(2e-6);
  plan.gpus_per_domain = 1;
  std::uint64_t reduced = 0;
  const IsolatedTiming t = evaluate_isolated(plan, group3(), PairCosts(p), [&](std::uint64_t b) {
    reduced = b;
    return ReduceParts{50e-3, 20e-3};  // the longer part sets the reduction's time
  });
  CHECK(reduced == 1'000'000'000ULL);  // one piece per step
  CHECK(t.makespan == Approx(100.005e-3).epsilon(1e-12));
  CHECK(t.first_finish == Approx(100.005e-3).epsilon(1e-12));
}
