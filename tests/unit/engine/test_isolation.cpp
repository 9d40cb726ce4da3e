// Calls timed in closed form in full runs (sim/engine/isolation.hpp, call_board.hpp): the
// evaluation with members arriving at different times and GPUs at different clocks, the check that
// a rank's sends are ordered, the proof that marks calls isolated, and the call board — each
// against hand derivations. (Against the transfer-by-transfer engine: tests/sim/test_isolation_sim.cpp.)
#include "sim/engine/call_board.hpp"
#include "sim/engine/isolation.hpp"

#include "core/error.hpp"

#include <catch2/catch.hpp>

using namespace racksim;

namespace {

// n GPUs on one switch: GPU i reaches it over up link i and is reached over down link n + i, each
// 1 GB/s and 0.5 us; every route i -> j (i != j) is [up i, down j]: 1 us in all.
PlatformSpec switch_of(int n) {
  PlatformSpec p;
  for (int i = 0; i < n; ++i) p.hosts.push_back({"g" + std::to_string(i), 0.0});
  for (int i = 0; i < n; ++i) p.links.push_back({"up" + std::to_string(i), 1e9, 0.5e-6});
  for (int i = 0; i < n; ++i) p.links.push_back({"down" + std::to_string(i), 1e9, 0.5e-6});
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      if (i != j) p.routes.push_back({i, j, {i, n + j}});
  return p;
}

Group world(int n) {
  Group g;
  g.name = "world";
  for (int i = 0; i < n; ++i) {
    g.ranks.push_back(i);
    g.position.push_back(i);
  }
  return g;
}

CollectiveMethod plan_of(CollectiveKind kind, CollectiveAlgorithm algo, int n, std::uint64_t bytes) {
  CollectiveMethod m;
  m.shape = make_shape(kind, algo, n, bytes);
  return m;
}

ReduceTime no_reduction() {
  return [](std::uint64_t) { return ReduceParts{}; };
}

// A workload of `n` ranks on group "world", each rank running `ops` (the same on every rank).
Workload workload_of(int n, const std::vector<Op>& ops, std::vector<CollectiveMethod> plans) {
  Workload w;
  w.ranks = n;
  w.streams = {"s0", "s1"};
  w.groups.push_back(world(n));
  w.programs.assign(static_cast<std::size_t>(n), ops);
  w.plans = std::move(plans);
  return w;
}

Op delay(std::vector<int> deps = {}) {
  Op o;
  o.id = "d";
  o.kind = OpKind::Delay;
  o.duration = Seconds(1e-6);
  o.deps = std::move(deps);
  return o;
}

Op call(int plan, int sequence, CollectiveKind kind, std::vector<int> deps = {}, int stream = 0) {
  Op o;
  o.stream = stream;
  o.id = "c" + std::to_string(sequence);
  o.kind = OpKind::Collective;
  o.collective = kind;
  o.group = 0;
  o.plan = plan;
  o.sequence = sequence;
  o.deps = std::move(deps);
  return o;
}

}  // namespace

TEST_CASE("evaluate_call: a late member delays the transfers that need it, and no others", "[unit][isolation]") {
  // All-gather of 2,000,000 bytes over 2 members on the switch: one step, each sends its 1,000,000-
  // byte piece to the other; a transfer takes 1 us + 1e6 B / 1 GB/s = 1.001 ms. Member 0 arrives
  // at 0, member 1 at 5 us: both transfers start when both ends are there, at 5 us, and end at
  // 1.006 ms; each member ends then.
  const PlatformSpec p = switch_of(2);
  const CollectiveMethod plan = plan_of(CollectiveKind::AllGather, CollectiveAlgorithm::Ring, 2, 2'000'000);
  const CallTiming t = evaluate_call(plan, world(2), PairCosts(p), no_reduction(), {0.0, 5e-6});
  REQUIRE(t.finish.size() == 2);
  CHECK(t.finish[0] == Approx(1.006e-3).epsilon(1e-12));
  CHECK(t.finish[1] == Approx(1.006e-3).epsilon(1e-12));
  CHECK(t.transfers == std::vector<std::uint64_t>{1, 1});
  CHECK(t.wire_bytes == std::vector<std::uint64_t>{1'000'000, 1'000'000});

  // Three members of a ring all-gather of 3,000,000 bytes (2 steps of 1,000,000-byte pieces,
  // 1.001 ms each), arriving at 0, 0 and 2 ms. Step 0: 0->1 starts at 0 and ends 1.001 ms; 1->2
  // and 2->0 wait for member 2: 2 ms to 3.001 ms. So member 1's step 0 ends at 3.001 ms (its send
  // to 2), member 0's at 3.001 ms (its receive from 2), member 2's at 3.001 ms. Step 1 starts at
  // 3.001 ms for all and ends at 4.002 ms.
  const CallTiming u = evaluate_call(plan_of(CollectiveKind::AllGather, CollectiveAlgorithm::Ring, 3, 3'000'000), world(3),
                                     PairCosts(switch_of(3)), no_reduction(), {0.0, 0.0, 2e-3});
  for (const double f : u.finish) CHECK(f == Approx(4.002e-3).epsilon(1e-12));
}

TEST_CASE("evaluate_call: each member's reductions run at its own clock and HBM share", "[unit][isolation]") {
  // Reduce-scatter of 2,000,000 bytes over 2 members: one step; each sends a 1,000,000-byte
  // piece (1.001 ms) and reduces the piece it receives, a kernel of compute 3 ms and memory 2 ms
  // at nominal speed. Member 0 at nominal: max(1.001, 3, 2) = 3 ms. Member 1 at half clock and
  // half HBM: compute 6 ms, memory 4 ms: 6 ms. The busy times are the parts' own lengths.
  const CollectiveMethod plan = plan_of(CollectiveKind::ReduceScatter, CollectiveAlgorithm::Ring, 2, 2'000'000);
  std::uint64_t asked = 0;
  const ReduceTime reduce = [&asked](std::uint64_t b) {
    asked = b;
    return ReduceParts{3e-3, 2e-3};
  };
  const CallTiming t = evaluate_call(plan, world(2), PairCosts(switch_of(2)), reduce, {0.0, 0.0},
                                     {MemberSpeed{1.0, 1.0}, MemberSpeed{0.5, 0.5}});
  CHECK(asked == 1'000'000);
  CHECK(t.finish[0] == Approx(3e-3).epsilon(1e-12));
  CHECK(t.finish[1] == Approx(6e-3).epsilon(1e-12));
  CHECK(t.compute_busy[0] == Approx(3e-3));
  CHECK(t.memory_busy[0] == Approx(2e-3));
  CHECK(t.compute_busy[1] == Approx(6e-3));
  CHECK(t.memory_busy[1] == Approx(4e-3));
}

TEST_CASE("sends_in_order: a rank's sending ops must form one dependency chain", "[unit][isolation]") {
  // Chain: delay -> call 0 -> delay -> call 1: ordered.
  Workload w = workload_of(2, {delay(), call(0, 0, CollectiveKind::AllReduce, {0}), delay({1}), call(1, 1, CollectiveKind::AllReduce, {2})},
                           {});
  CHECK(sends_in_order(w) == std::vector<char>{1, 1});
  // Two calls of one stream both after the first delay only: unordered (they may run at once).
  w.programs[1] = {delay(), call(0, 0, CollectiveKind::AllReduce, {0}), call(1, 1, CollectiveKind::AllReduce, {0})};
  CHECK(sends_in_order(w) == std::vector<char>{1, 0});
  // The same on two streams: each stream's sends are one chain (of one); the streams may overlap,
  // which the link loads count (one op per stream at once).
  w.programs[1] = {delay(), call(0, 0, CollectiveKind::AllReduce, {0}, 0), call(1, 1, CollectiveKind::AllReduce, {0}, 1)};
  CHECK(sends_in_order(w) == std::vector<char>{1, 1});
  // Ordered through a compute op between them (call 0 -> delay -> call 1), listed out of order.
  w.programs[1] = {call(1, 1, CollectiveKind::AllReduce, {2}), call(0, 0, CollectiveKind::AllReduce), delay({1})};
  CHECK(sends_in_order(w) == std::vector<char>{1, 1});
}

TEST_CASE("mark_isolated_calls: a ring on a switch contends with nothing, an all-to-all beside it does", "[unit][isolation]") {
  // 4 GPUs on the switch. A ring all-reduce: each up link carries one transfer (i -> i+1) and each
  // down link one: every link at exactly 100% -> isolated.
  const PlatformSpec p = switch_of(4);
  std::vector<CollectiveMethod> plans = {plan_of(CollectiveKind::AllReduce, CollectiveAlgorithm::Ring, 4, 4'000'000)};
  Workload w = workload_of(4, {delay(), call(0, 0, CollectiveKind::AllReduce, {0})}, plans);
  IsolationReport r = mark_isolated_calls(w, p, IsolationReport{});
  CHECK(r.reason.empty());
  CHECK(r.plans == 1);
  CHECK(r.isolated_plans == 1);
  CHECK(r.max_link_load == Approx(1.0));
  CHECK(w.plans[0].isolated);

  // The same ring, then a direct all-to-all: each up link carries 3 transfers at 1 GB/s at once
  // (300%; the ring's pair i -> i+1 is one of them, and the two calls never run at once on a rank
  // whose sends are ordered), and the ring's transfers share those links: neither is isolated.
  plans.push_back(plan_of(CollectiveKind::AllToAll, CollectiveAlgorithm::Direct, 4, 4'000'000));
  Workload both = workload_of(4, {delay(), call(0, 0, CollectiveKind::AllReduce, {0}), call(1, 1, CollectiveKind::AllToAll, {1})},
                              plans);
  r = mark_isolated_calls(both, p, IsolationReport{});
  CHECK(r.isolated_plans == 0);
  CHECK_FALSE(both.plans[0].isolated);
  CHECK(r.reason.find("300%") != std::string::npos);

  // Ring only, but rank 2 may run two calls at once: its up link is never proven; the calls over it
  // (both of them: every ring member sends through a ring that includes rank 2's link) are not.
  Workload loose = workload_of(4, {delay(), call(0, 0, CollectiveKind::AllReduce, {0}), call(1, 1, CollectiveKind::AllReduce, {0})},
                               {plans[0], plans[0]});
  loose.programs[0] = loose.programs[1] = loose.programs[3] = {delay(), call(0, 0, CollectiveKind::AllReduce, {0}),
                                                               call(1, 1, CollectiveKind::AllReduce, {1})};
  r = mark_isolated_calls(loose, p, IsolationReport{});
  CHECK(r.ranks_out_of_order == 1);
  CHECK(r.isolated_plans == 0);
  CHECK(r.reason.find("1 of 4 ranks") != std::string::npos);

  // Two rings at once on two streams: each pair i -> i+1 carries two transfers (200%).
  Workload streams = workload_of(4, {delay(), call(0, 0, CollectiveKind::AllReduce, {0}, 0), call(1, 1, CollectiveKind::AllReduce, {0}, 1)},
                                 {plans[0], plans[0]});
  r = mark_isolated_calls(streams, p, IsolationReport{});
  CHECK(r.ranks_out_of_order == 0);
  CHECK(r.isolated_plans == 0);
  CHECK(r.reason.find("200%") != std::string::npos);

  // Halving-doubling on 4: each member sends to a different partner in each step (distance 1,
  // then 2, then back), one transfer per step. Seen from the sources, up link i carries at most
  // one step's transfer (100%); seen from the receivers, down link j likewise, although over the
  // call two different partners send to j. Isolated, at 100%.
  Workload hd = workload_of(4, {delay(), call(0, 0, CollectiveKind::AllReduce, {0})},
                            {plan_of(CollectiveKind::AllReduce, CollectiveAlgorithm::HalvingDoubling, 4, 4'000'000)});
  r = mark_isolated_calls(hd, p, IsolationReport{});
  CHECK(r.isolated_plans == 1);
  CHECK(r.max_link_load == Approx(1.0));

  // A reason given up front (collective_timing: transfers) marks nothing.
  IsolationReport off;
  off.mode = "transfers";
  off.reason = "simulation.collective_timing is transfers";
  r = mark_isolated_calls(w, p, off);
  CHECK(r.isolated_plans == 0);
  CHECK_FALSE(w.plans[0].isolated);

  // Broadcast: a member can finish before the last one arrives; never timed in closed form.
  Workload bc = workload_of(4, {call(0, 0, CollectiveKind::Broadcast)},
                            {plan_of(CollectiveKind::Broadcast, CollectiveAlgorithm::Ring, 4, 4'000'000)});
  r = mark_isolated_calls(bc, p, IsolationReport{});
  CHECK(r.isolated_plans == 0);
  CHECK(r.reason.find("no call is an all-reduce") != std::string::npos);
}

TEST_CASE("the call board times a call when its last member arrives and shares equal evaluations", "[unit][isolation]") {
  // Two all-gathers of 2,000,000 bytes on 2 members, one after the other (plans 0 and 1, same
  // shape: one class). Call 0: both arrive at 1 ms -> evaluated once, each ends at 1 ms + 1.001 ms.
  // Call 1: arrivals 3 ms and 3.5 ms -> its own evaluation: both end at 3.5 + 1.001 ms.
  const CollectiveMethod ag = plan_of(CollectiveKind::AllGather, CollectiveAlgorithm::Ring, 2, 2'000'000);
  std::vector<CollectiveMethod> plans = {ag, ag, ag};
  for (auto& pl : plans) pl.isolated = true;
  Workload w = workload_of(2, {call(0, 0, CollectiveKind::AllGather), call(1, 1, CollectiveKind::AllGather, {0}),
                               call(2, 2, CollectiveKind::AllGather, {1})},
                           plans);
  CallBoard board(w, PairCosts(switch_of(2)), no_reduction());
  const Op& c0 = w.programs[0][0];
  CHECK_FALSE(board.completed_by(c0));
  CHECK_FALSE(board.arrive(0, c0, 1e-3, MemberSpeed{}));
  CHECK(board.completed_by(c0));
  CHECK_THROWS_AS(board.take(0, CallBoard::key_of(c0)), Error);  // not evaluated yet
  CHECK(board.arrive(1, w.programs[1][0], 1e-3, MemberSpeed{}));
  const CallBoard::Part a = board.take(1, CallBoard::key_of(c0));
  const CallBoard::Part b = board.take(0, CallBoard::key_of(c0));
  CHECK(a.finish == Approx(2.001e-3).epsilon(1e-12));
  CHECK(b.finish == Approx(2.001e-3).epsilon(1e-12));
  CHECK(a.transfers == 1);
  CHECK(a.wire_bytes == 1'000'000);
  CHECK(board.open_calls() == 0);

  CHECK_FALSE(board.arrive(0, w.programs[0][1], 3e-3, MemberSpeed{}));
  CHECK(board.arrive(1, w.programs[1][1], 3.5e-3, MemberSpeed{}));
  CHECK(board.take(0, CallBoard::key_of(w.programs[0][1])).finish == Approx(4.501e-3).epsilon(1e-12));
  CHECK(board.take(1, CallBoard::key_of(w.programs[1][1])).finish == Approx(4.501e-3).epsilon(1e-12));

  // Call 2 arrives together again: the class's first evaluation is reused (2 evaluations in all).
  CHECK_FALSE(board.arrive(1, w.programs[1][2], 7e-3, MemberSpeed{}));
  CHECK_THROWS_AS(board.arrive(1, w.programs[1][2], 7e-3, MemberSpeed{}), Error);  // twice
  CHECK(board.arrive(0, w.programs[0][2], 7e-3, MemberSpeed{}));
  CHECK(board.take(0, CallBoard::key_of(w.programs[0][2])).finish == Approx(8.001e-3).epsilon(1e-12));
  (void)board.take(1, CallBoard::key_of(w.programs[1][2]));
  board.finished(true);
  board.finished(false);
  CHECK(board.stats().evaluations == 2);
  CHECK(board.stats().evaluated_transfers == 4);
  CHECK(board.stats().member_calls == 6);
  CHECK(board.stats().overlapped == 1);
  CHECK(board.stats().clamped == 0);
}

TEST_CASE("evaluate_call: a step's transfers with one peer share its route and end together", "[unit][isolation]") {
  // Hierarchical all-gather of 4,000,000 bytes over 4 members in 2 domains of 2 (positions 0-1 and
  // 2-3), on the switch (every route 1 us, 1 GB/s), no launch or hop latency. Rail phase: each
  // member swaps its 1,000,000-byte piece with its rail partner (0<->2, 1<->3): 1 us + 1 ms =
  // 1.001 ms. Domain phase: a ring of 2, one step in which each member sends its neighbour both
  // pieces it holds, 2 transfers of 1,000,000 bytes on one route. Together they share the route:
  // the last ends 1 us + 2,000,000 B / 1 GB/s = 2.001 ms later (each at its own full rate would
  // be 1.001 ms). Every member ends at 3.002 ms, having sent 3 transfers of 1,000,000 bytes.
  CollectiveMethod plan = plan_of(CollectiveKind::AllGather, CollectiveAlgorithm::Hierarchical, 4, 4'000'000);
  plan.shape.domain_size = 2;
  plan.shape.intra = CollectiveAlgorithm::Ring;
  plan.shape.inter = CollectiveAlgorithm::Ring;
  const CallTiming t = evaluate_call(plan, world(4), PairCosts(switch_of(4)), no_reduction(), {0.0, 0.0, 0.0, 0.0});
  for (const double f : t.finish) CHECK(f == Approx(3.002e-3).epsilon(1e-12));
  CHECK(t.transfers == std::vector<std::uint64_t>{3, 3, 3, 3});
  CHECK(t.wire_bytes == std::vector<std::uint64_t>{3'000'000, 3'000'000, 3'000'000, 3'000'000});
}

TEST_CASE("group_calls_load bounds a member by its busiest step; shared_link finds a link on both sides", "[unit][isolation]") {
  // Halving-doubling all-gather over 4 on the switch: member m sends to m^1 in one step and to
  // m^2 in the other. All its pairs at once put 2 routes' rates on its up link (200%); one step at
  // a time, 1 (100%), and each down link receives one step at a time too.
  const PlatformSpec p = switch_of(4);
  const Workload w = workload_of(4, {}, {plan_of(CollectiveKind::AllGather, CollectiveAlgorithm::HalvingDoubling, 4, 4'000'000)});
  std::vector<std::pair<int, int>> pairs;
  for (int m = 0; m < 4; ++m) pairs.insert(pairs.end(), {{m, m ^ 1}, {m, m ^ 2}});
  std::string worst;
  CHECK(max_link_load(p, pairs, worst) == Approx(2.0));
  CHECK(group_calls_load(p, w, {GroupCall{0, 0, 0}}, worst) == Approx(1.0));
  // The same calls on two streams may be in flight together: 200% again.
  CHECK(group_calls_load(p, w, {GroupCall{0, 0, 0}, GroupCall{0, 0, 1}}, worst) == Approx(2.0));
  // 0 -> 1 crosses up0 and down1; 2 -> 1 crosses up2 and down1; 2 -> 3 crosses up2 and down3.
  CHECK(shared_link(p, {{0, 1}}, {{2, 1}}) == "down1");
  CHECK(shared_link(p, {{0, 1}}, {{2, 3}}).empty());
}
