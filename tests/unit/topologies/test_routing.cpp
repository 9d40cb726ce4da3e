// Unit tests for topologies/routing: routes are shortest paths in hops, GPUs are endpoints only,
// a NIC carries only its own GPU's traffic, the choice among equal paths is deterministic, and a
// Hop's direction agrees with LinkProps::end_a / end_b. Hop counts are derived by hand from the
// structure the builders make (see builders.hpp and the comments at each case).
//
#include "topologies/builders.hpp"
#include "topologies/graph.hpp"
#include "topologies/routing.hpp"

#include "core/error.hpp"

#include <cstddef>
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

using namespace racksim;
using Catch::Matchers::Contains;

namespace {

ClusterParams switched(int domains, int gpus) {
  ClusterParams p;
  p.domains = domains;
  p.up.kind = ScaleUpParams::Kind::Switched;
  p.up.gpus = gpus;
  p.up.gpu_part = "gpu";
  p.up.link_bandwidth = BytesPerSecond(100e9);
  p.up.link_latency = Seconds(100e-9);
  p.up.switch_part = "sw";
  p.up.switch_ports = 64;
  p.up.port_speed = BytesPerSecond(100e9);
  p.up.switch_latency = Seconds(200e-9);
  return p;
}

ClusterParams full_mesh(int gpus) {
  ClusterParams p;
  p.up.kind = ScaleUpParams::Kind::FullMesh;
  p.up.gpus = gpus;
  p.up.gpu_part = "mi300x";
  p.up.link_bandwidth = BytesPerSecond(64e9);
  p.up.link_latency = Seconds(200e-9);
  return p;
}

ClusterParams with_rails(ClusterParams p, int nics, int leaf_ports, int spine_ports) {
  p.out.enabled = true;
  p.out.nics_per_gpu = nics;
  p.out.nic_line_rate = BytesPerSecond(50e9);
  p.out.host_interface_bandwidth = BytesPerSecond(64e9);
  p.out.nic_latency = Seconds(1e-6);
  p.out.cable_latency = Seconds(10e-9);
  p.out.leaf_ports = leaf_ports;
  p.out.leaf_latency = Seconds(300e-9);
  p.out.spine_ports = spine_ports;
  p.out.spine_latency = Seconds(400e-9);
  p.out.oversubscription = 1.0;
  return p;
}

// 4 nodes of 8 GPUs, 2 NICs per GPU, 16-port leaves and spines. As derived in
// test_topology.cpp: down ports 16/2 = 8, rails_per_leaf = 8/4 = 2, so both NICs of local GPU g
// (rails 2g, 2g+1) in every node are on leaf g; 8 leaves, 4 spines.
Topology four_nodes() { return build_cluster(with_rails(switched(4, 8), 2, 16, 16)); }

// 2 nodes of 8 GPUs, 2 NICs per GPU, 4-port leaves: down ports = 4/2 = 2, rails_per_leaf = 2/2 = 1,
// so each of the 16 rails has its own leaf (NIC j of local GPU g on leaf 2g + j). Each leaf has
// 2 uplinks, 16 * 2 = 32 in all, on one 32-port spine.
Topology rail_per_leaf() { return build_cluster(with_rails(switched(2, 8), 2, 4, 32)); }

// The vertices a route visits, from the source GPU; REQUIREs that each hop starts where the
// previous one ended (Hop::forward read against LinkProps::end_a / end_b).
std::vector<Vertex> walk(const Topology& t, const Route& r, int src) {
  std::vector<Vertex> path{t.gpus.at(static_cast<std::size_t>(src))};
  for (const Hop& h : r) {
    const LinkProps& l = t.link(h.edge);
    const Vertex from = h.forward ? l.end_a : l.end_b;
    const Vertex to = h.forward ? l.end_b : l.end_a;
    REQUIRE(from == path.back());
    path.push_back(to);
  }
  return path;
}

// Checks the transit rule on every intermediate vertex: a switch, or a NIC of the source or the
// destination GPU; never a GPU. Also that the route ends at the destination.
void check_transit(const Topology& t, const std::vector<Vertex>& path, int src, int dst) {
  REQUIRE(path.size() >= 2u);
  CHECK(path.back() == t.gpus.at(static_cast<std::size_t>(dst)));
  for (std::size_t i = 1; i + 1 < path.size(); ++i) {
    const NodeProps& n = t.graph[path[i]];
    INFO("route " << src << " -> " << dst << " visits " << n.name);
    CHECK(n.kind != NodeKind::Gpu);
    if (n.kind == NodeKind::Nic) CHECK((n.gpu_index == src || n.gpu_index == dst));
  }
}

// The NIC number j of a NIC vertex named "<gpu>.nic<j>".
int nic_number(const Topology& t, Vertex v) {
  const std::string& name = t.graph[v].name;
  return std::stoi(name.substr(name.rfind(".nic") + 4));
}

Route route_of(const Topology& t, int src, int dst) {
  const auto r = compute_routes(t, {{src, dst}});
  REQUIRE(r.size() == 1u);
  return r[0];
}

std::vector<std::pair<int, int>> all_pairs(int n) {
  std::vector<std::pair<int, int>> pairs;
  for (int s = 0; s < n; ++s)
    for (int d = 0; d < n; ++d)
      if (s != d) pairs.emplace_back(s, d);
  return pairs;
}

}  // namespace

TEST_CASE("routing: within a switched domain a route is GPU to switch to GPU", "[routing]") {
  const Topology t = build_cluster(switched(1, 4));
  const Route r = route_of(t, 0, 3);
  // GPU0 -> switch -> GPU3: 2 hops.
  REQUIRE(r.size() == 2u);
  const auto path = walk(t, r, 0);
  CHECK(t.graph[path[1]].kind == NodeKind::Switch);
  CHECK(path[2] == t.gpus[3]);
  // The builder adds each link as (GPU, switch): the first hop is forward, the second backward.
  CHECK(r[0].forward);
  CHECK_FALSE(r[1].forward);
}

TEST_CASE("routing: in a full mesh a route is one direct hop", "[routing]") {
  const Topology t = build_cluster(full_mesh(8));
  for (const auto& [s, d] : all_pairs(8)) {
    const Route r = route_of(t, s, d);
    REQUIRE(r.size() == 1u);
    const auto path = walk(t, r, s);
    CHECK(path[1] == t.gpus[static_cast<std::size_t>(d)]);
  }
}

TEST_CASE("routing: the two directions of a mesh pair share an edge in opposite senses", "[routing]") {
  const Topology t = build_cluster(full_mesh(8));
  const Route there = route_of(t, 2, 5);
  const Route back = route_of(t, 5, 2);
  REQUIRE(there.size() == 1u);
  REQUIRE(back.size() == 1u);
  CHECK(there[0].edge == back[0].edge);
  // The mesh builder adds pair (a, b) with a < b as end_a = a: 2 -> 5 is forward.
  CHECK(there[0].forward);
  CHECK_FALSE(back[0].forward);
}

TEST_CASE("routing: across nodes on one leaf a route is GPU NIC leaf NIC GPU", "[routing]") {
  // 2 nodes of 8 GPUs, 1 NIC, 64-port leaf: one leaf holds every rail (test_topology.cpp).
  const Topology t = build_cluster(with_rails(switched(2, 8), 1, 64, 64));
  const Route r = route_of(t, 3, 8 + 5);
  // GPU3 -> its NIC -> leaf0 -> NIC of GPU13 -> GPU13: 4 hops.
  REQUIRE(r.size() == 4u);
  const auto path = walk(t, r, 3);
  CHECK(t.graph[path[1]].kind == NodeKind::Nic);
  CHECK(t.graph[path[1]].gpu_index == 3);
  CHECK(t.graph[path[2]].name == "leaf0");
  CHECK(t.graph[path[3]].kind == NodeKind::Nic);
  CHECK(t.graph[path[3]].gpu_index == 13);
  CHECK(path[4] == t.gpus[13]);
}

TEST_CASE("routing: across leaves a route climbs to a spine", "[routing]") {
  const Topology t = four_nodes();
  // GPU 0 (node0, local 0, leaf0) to GPU 15 (node1, local 7, leaf7):
  // GPU -> NIC -> leaf0 -> spine -> leaf7 -> NIC -> GPU = 6 hops.
  const Route r = route_of(t, 0, 15);
  REQUIRE(r.size() == 6u);
  const auto path = walk(t, r, 0);
  check_transit(t, path, 0, 15);
  CHECK(t.graph[path[1]].kind == NodeKind::Nic);
  CHECK(t.graph[path[1]].gpu_index == 0);
  CHECK(t.graph[path[2]].name == "leaf0");
  CHECK(t.graph[path[3]].name.rfind("spine", 0) == 0);
  CHECK(t.graph[path[4]].name == "leaf7");
  CHECK(t.graph[path[5]].kind == NodeKind::Nic);
  CHECK(t.graph[path[5]].gpu_index == 15);
}

TEST_CASE("routing: every pair of a two-tier fabric takes a shortest admissible path", "[routing]") {
  const Topology t = four_nodes();
  const auto pairs = all_pairs(32);
  const auto routes = compute_routes(t, pairs);
  REQUIRE(routes.size() == pairs.size());
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const auto [s, d] = pairs[i];
    const auto path = walk(t, routes[i], s);
    check_transit(t, path, s, d);
    // Hand-derived minimum hops:
    //   same node:                     GPU -> switch -> GPU                      = 2
    //   other node, same local GPU:    GPU -> NIC -> leaf g -> NIC -> GPU        = 4
    //   other node, other local GPU:   GPU -> NIC -> leaf -> spine -> leaf -> NIC -> GPU = 6
    // (a route cannot shortcut through another GPU or its NIC).
    const bool same_node = s / 8 == d / 8;
    const bool same_local = s % 8 == d % 8;
    const std::size_t expect = same_node ? 2u : (same_local ? 4u : 6u);
    INFO("pair " << s << " -> " << d);
    CHECK(routes[i].size() == expect);
  }
}

TEST_CASE("routing: a pair within a node never leaves through a NIC", "[routing]") {
  const Topology t = four_nodes();
  // GPU 17 -> GPU 22 are both in node2: 2 hops through node2.switch, not 4+ through the fabric.
  const Route r = route_of(t, 17, 22);
  REQUIRE(r.size() == 2u);
  const auto path = walk(t, r, 17);
  CHECK(t.graph[path[1]].name == "node2.switch");
  for (const Hop& h : r) CHECK(t.link(h.edge).kind == LinkKind::ScaleUp);
}

TEST_CASE("routing: a rail split over several leaves is joined through a spine", "[routing]") {
  // 10 nodes of 2 GPUs, 1 NIC, 8-port leaves: rail 0 of nodes 0-3 is on leaf0, of 8-9 on leaf2
  // (test_topology.cpp). GPU 0 (node0) -> GPU 18 (node9, local 0) needs the spine: 6 hops.
  const Topology t = build_cluster(with_rails(switched(10, 2), 1, 8, 8));
  const Route r = route_of(t, 0, 18);
  REQUIRE(r.size() == 6u);
  const auto path = walk(t, r, 0);
  check_transit(t, path, 0, 18);
  CHECK(t.graph[path[2]].name == "leaf0");
  CHECK(t.graph[path[4]].name == "leaf2");
  // GPU 0 -> GPU 6 (node3, local 0) shares leaf0: 4 hops.
  CHECK(route_of(t, 0, 6).size() == 4u);
}

TEST_CASE("routing: routes are deterministic", "[routing]") {
  const Topology t = four_nodes();
  const auto pairs = all_pairs(32);
  const auto first = compute_routes(t, pairs);
  const auto second = compute_routes(t, pairs);
  REQUIRE(first.size() == second.size());
  for (std::size_t i = 0; i < first.size(); ++i) {
    REQUIRE(first[i].size() == second[i].size());
    for (std::size_t k = 0; k < first[i].size(); ++k) {
      CHECK(first[i][k].edge == second[i][k].edge);
      CHECK(first[i][k].forward == second[i][k].forward);
    }
  }
}

TEST_CASE("routing: a route does not depend on the other pairs asked for", "[routing]") {
  const Topology t = four_nodes();
  const auto pairs = all_pairs(32);
  const auto together = compute_routes(t, pairs);
  // The hash keys on (source, destination, hop) only: asked one at a time, and in reverse
  // order, every pair gets the same route.
  std::vector<std::pair<int, int>> reversed(pairs.rbegin(), pairs.rend());
  const auto backwards = compute_routes(t, reversed);
  for (std::size_t i = 0; i < pairs.size(); i += 37) {
    const Route alone = route_of(t, pairs[i].first, pairs[i].second);
    const Route& rev = backwards[pairs.size() - 1 - i];
    REQUIRE(alone.size() == together[i].size());
    REQUIRE(rev.size() == together[i].size());
    for (std::size_t k = 0; k < alone.size(); ++k) {
      CHECK(alone[k].edge == together[i][k].edge);
      CHECK(rev[k].edge == together[i][k].edge);
    }
  }
}

TEST_CASE("routing: with 2 NICs per GPU the rail matches at both ends", "[routing]") {
  const Topology t = rail_per_leaf();
  // GPU g (node0) -> GPU 8 + g (node1): NIC j of both is on leaf 2g + j, so a 4-hop route exists
  // through either rail; mixing NIC j at one end with NIC k != j at the other needs the spine
  // (6 hops). A shortest route therefore leaves and enters on the same NIC number.
  for (int g = 0; g < 8; ++g)
    for (const auto& [s, d] : {std::pair<int, int>{g, 8 + g}, std::pair<int, int>{8 + g, g}}) {
      const Route r = route_of(t, s, d);
      REQUIRE(r.size() == 4u);
      const auto path = walk(t, r, s);
      check_transit(t, path, s, d);
      CHECK(nic_number(t, path[1]) == nic_number(t, path[3]));
      CHECK(t.graph[path[2]].name == "leaf" + std::to_string(2 * g + nic_number(t, path[1])));
    }
}

TEST_CASE("routing: with 2 NICs per GPU different pairs spread over both NICs", "[routing]") {
  const Topology t = rail_per_leaf();
  // All 8 * 8 = 64 pairs from node0 to node1. Same local GPU: 4 hops (above); otherwise
  // GPU -> NIC -> leaf -> spine0 -> leaf -> NIC -> GPU = 6 hops, with 2 x 2 NIC choices.
  std::vector<std::pair<int, int>> pairs;
  for (int s = 0; s < 8; ++s)
    for (int d = 8; d < 16; ++d) pairs.emplace_back(s, d);
  const auto routes = compute_routes(t, pairs);
  std::set<int> src_nics;
  std::set<int> dst_nics;
  std::set<std::string> first_nic_of_gpu0;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const auto [s, d] = pairs[i];
    const auto path = walk(t, routes[i], s);
    check_transit(t, path, s, d);
    CHECK(routes[i].size() == (s % 8 == d % 8 ? 4u : 6u));
    src_nics.insert(nic_number(t, path[1]));
    dst_nics.insert(nic_number(t, path[path.size() - 2]));
    if (s == 0) first_nic_of_gpu0.insert(t.graph[path[1]].name);
  }
  // An ECMP-like hash spreads flows: both NIC numbers are used at the sending and at the
  // receiving end, and GPU 0 alone sends through both of its NICs.
  CHECK(src_nics == std::set<int>{0, 1});
  CHECK(dst_nics == std::set<int>{0, 1});
  CHECK(first_nic_of_gpu0 == std::set<std::string>{"node0.gpu0.nic0", "node0.gpu0.nic1"});
}

TEST_CASE("routing: a route stays in one plane", "[routing]") {
  // 2 nodes of 8 GPUs, 2 NICs, 2 planes, 64-port leaves: one leaf per plane, no spine
  // (test_topology.cpp), and the planes meet nowhere but at the GPUs. GPU g -> GPU 8 + h:
  // GPU -> NIC j -> plane j leaf -> NIC j of the other GPU -> GPU, 4 hops, same j at both ends.
  ClusterParams p = with_rails(switched(2, 8), 2, 64, 64);
  p.out.planes = 2;
  const Topology t = build_cluster(p);
  std::set<int> planes_used;
  for (int g = 0; g < 8; ++g)
    for (int h = 8; h < 16; ++h) {
      const Route r = route_of(t, g, h);
      REQUIRE(r.size() == 4u);
      const auto path = walk(t, r, g);
      check_transit(t, path, g, h);
      const int j = nic_number(t, path[1]);
      CHECK(nic_number(t, path[3]) == j);
      CHECK(t.graph[path[2]].name == "plane" + std::to_string(j) + ".leaf0");
      planes_used.insert(j);
    }
  // 64 flows spread by the hash: both planes carry some.
  CHECK(planes_used == std::set<int>{0, 1});
}

TEST_CASE("routing: hop directions chain from source to destination on every pair", "[routing]") {
  const Topology t = rail_per_leaf();
  const auto pairs = all_pairs(16);
  const auto routes = compute_routes(t, pairs);
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const auto [s, d] = pairs[i];
    const auto path = walk(t, routes[i], s);  // REQUIREs each hop to start where the last ended
    CHECK(path.back() == t.gpus[static_cast<std::size_t>(d)]);
    // A shortest path never visits a vertex twice.
    CHECK(std::set<Vertex>(path.begin(), path.end()).size() == path.size());
    // forward agrees with edge_ends too.
    for (const Hop& h : routes[i]) {
      const auto& ends = t.edge_ends[static_cast<std::size_t>(h.edge)];
      CHECK(ends.first == t.link(h.edge).end_a);
      CHECK(ends.second == t.link(h.edge).end_b);
    }
  }
}

TEST_CASE("routing: an unreachable pair throws", "[routing]") {
  // Two nodes without scale-out: GPU 0 (node0) cannot reach GPU 4 (node1).
  const Topology t = build_cluster(switched(2, 4));
  CHECK_THROWS_AS(compute_routes(t, {{0, 4}}), Error);
  CHECK_THROWS_WITH(compute_routes(t, {{0, 4}}), Contains("no route"));
  // Within a node it still routes: 2 hops.
  CHECK(route_of(t, 4, 7).size() == 2u);
}

TEST_CASE("routing: a route from a GPU to itself is refused", "[routing]") {
  const Topology t = build_cluster(switched(1, 4));
  CHECK_THROWS_AS(compute_routes(t, {{2, 2}}), Error);
}

TEST_CASE("routing: no pairs give no routes", "[routing]") {
  const Topology t = build_cluster(switched(1, 4));
  CHECK(compute_routes(t, {}).empty());
}

// ---- multipath splits ----------------------------------------------------------------------------

namespace {

// 2 nodes of 4 GPUs, 1 NIC, 8-port leaves, 2-port spines. Leaf down = floor(8 / 2) = 4; 2 domains
// <= 4, rails_per_leaf = 4 / 2 = 2: leaf0 holds rails 0-1 (GPUs 0, 1, 4, 5), leaf1 rails 2-3
// (GPUs 2, 3, 6, 7); 4 NICs and 4 uplinks each. Spines: from ceil(8 / 2) = 4, 2 * ceil(4 / 4)
// = 2 <= 2 fits: 4 spines, one 1-port trunk (50 GB/s) from each leaf to each.
Topology two_leaves_four_spines() { return build_cluster(with_rails(switched(2, 4), 1, 8, 2)); }

// The directed hops of a split, keyed by "from->to" vertex names, with their weights.
std::map<std::string, double> named_hops(const Topology& t, const FlowSplit& f) {
  std::map<std::string, double> out;
  for (const WeightedHop& h : f.hops) {
    const LinkProps& l = t.link(h.edge);
    const Vertex from = h.forward ? l.end_a : l.end_b;
    const Vertex to = h.forward ? l.end_b : l.end_a;
    out[t.graph[from].name + "->" + t.graph[to].name] += h.weight;
  }
  return out;
}

// Checks the contract on the order and weights: hops by distance of their tail from the source
// (a hop's tail is the head of some earlier hop, or the source), then edge id, and the weights
// of the hops at one distance add up to 1.
void check_layers(const Topology& t, const FlowSplit& f) {
  std::map<Vertex, int> depth{{t.gpus.at(static_cast<std::size_t>(f.src)), 0}};
  int last_depth = 0;
  int last_edge = -1;
  std::map<int, double> sum;
  for (const WeightedHop& h : f.hops) {
    const LinkProps& l = t.link(h.edge);
    const Vertex from = h.forward ? l.end_a : l.end_b;
    const Vertex to = h.forward ? l.end_b : l.end_a;
    REQUIRE(depth.count(from) == 1u);
    const int d = depth[from];
    CHECK(d >= last_depth);
    if (d == last_depth) CHECK(h.edge > last_edge);
    last_depth = d;
    last_edge = h.edge;
    if (depth.count(to) == 0u) depth[to] = d + 1;
    CHECK(depth[to] == d + 1);
    CHECK(h.weight > 0.0);
    sum[d] += h.weight;
  }
  CHECK(static_cast<int>(sum.size()) == f.hops_per_path);
  for (const auto& [d, s] : sum) {
    INFO("distance " << d);
    CHECK(s == Approx(1.0));
  }
}

std::vector<double> healthy(const Topology& t) { return std::vector<double>(t.num_links(), 1.0); }

std::vector<double> with_down(const Topology& t, const std::vector<int>& down, double scale = 0.0) {
  std::vector<double> s = healthy(t);
  for (const int id : down) s[static_cast<std::size_t>(id)] = scale;
  return s;
}

}  // namespace

TEST_CASE("splits: spray puts a quarter of the flow on each of 4 spines", "[routing]") {
  const Topology t = two_leaves_four_spines();
  // GPU 0 (leaf0) -> GPU 6 (node1, local 2, leaf1): GPU NIC leaf0 spine leaf1 NIC GPU = 6 hops.
  const auto s = compute_splits(t, {{0, 6}}, Multipath::Spray);
  REQUIRE(s.size() == 1u);
  CHECK(s[0].src == 0);
  CHECK(s[0].dst == 6);
  CHECK(s[0].hops_per_path == 6);
  check_layers(t, s[0]);
  const auto h = named_hops(t, s[0]);
  // 1 + 1 + 4 + 4 + 1 + 1 = 12 directed hops.
  CHECK(h.size() == 12u);
  CHECK(h.at("node0.gpu0->node0.gpu0.nic0") == 1.0);
  for (int sp = 0; sp < 4; ++sp) {
    CHECK(h.at("leaf0->spine" + std::to_string(sp)) == Approx(0.25));
    CHECK(h.at("spine" + std::to_string(sp) + "->leaf1") == Approx(0.25));
  }
  CHECK(h.at("node1.gpu2.nic0->node1.gpu2") == 1.0);
}

TEST_CASE("splits: adaptive follows capacity, spray ignores it", "[routing]") {
  const Topology t = two_leaves_four_spines();
  const int slow = fault_edges(t, "leaf0", "spine0").at(0);
  const auto scale = with_down(t, {slow}, 0.5);
  // Uplinks of 50 GB/s at scales 0.5, 1, 1, 1: adaptive gives 0.5 / 3.5 = 1/7 to spine0 and
  // 1 / 3.5 = 2/7 to each other spine; each spine has one link down to leaf1, so the same shares.
  const auto a = compute_splits(t, {{0, 6}}, Multipath::Adaptive, 0, scale);
  check_layers(t, a[0]);
  const auto h = named_hops(t, a[0]);
  CHECK(h.at("leaf0->spine0") == Approx(0.5 / 3.5));
  CHECK(h.at("leaf0->spine3") == Approx(1.0 / 3.5));
  CHECK(h.at("spine0->leaf1") == Approx(0.5 / 3.5));
  // Spray keeps 1/4 on the slow link: the link is up, and spraying is blind to capacity.
  const auto s = compute_splits(t, {{0, 6}}, Multipath::Spray, 0, scale);
  CHECK(named_hops(t, s[0]).at("leaf0->spine0") == Approx(0.25));
}

TEST_CASE("splits: a down link carries nothing and the rest share the flow", "[routing]") {
  const Topology t = two_leaves_four_spines();
  const auto scale = with_down(t, fault_edges(t, "leaf0", "spine1"));
  for (const Multipath m : {Multipath::Spray, Multipath::Adaptive, Multipath::Ecmp}) {
    INFO(to_string(m));
    const auto s = compute_splits(t, {{0, 6}, {4, 2}}, m, 0, scale);
    for (const FlowSplit& f : s) {
      check_layers(t, f);
      const auto h = named_hops(t, f);
      CHECK(h.count("leaf0->spine1") == 0u);
      CHECK(h.count("spine1->leaf1") == 0u);  // spine1 is off every fewest-hop path from leaf0
      // 3 equal spines left: 1/3 each when split (ECMP: all on one).
      if (m != Multipath::Ecmp) CHECK(h.at("leaf0->spine2") == Approx(1.0 / 3.0));
    }
  }
  // A down link is down in both directions: the reverse flow avoids spine1 -> leaf0 too.
  const auto back = compute_splits(t, {{6, 0}}, Multipath::Spray, 0, scale);
  CHECK(named_hops(t, back[0]).count("spine1->leaf0") == 0u);
}

TEST_CASE("splits: a fault that removes every short path lengthens the flow", "[routing]") {
  const Topology t = rail_per_leaf();
  // GPU 0 -> GPU 8: 4-hop paths on rail 0 (leaf0) and rail 1 (leaf1). Down: the source's NIC0
  // cable and the destination's NIC1 cable. Neither rail works end to end; what is left is
  // GPU0 nic1 leaf1 spine0 leaf0 node1.gpu0.nic0 GPU8 = 6 hops, the only fewest-hop path.
  std::vector<int> down = fault_edges(t, "node0.gpu0.nic0", "leaf0");
  const std::vector<int> more = fault_edges(t, "node1.gpu0.nic1", "leaf1");
  down.insert(down.end(), more.begin(), more.end());
  const auto scale = with_down(t, down);
  for (const Multipath m : {Multipath::Spray, Multipath::Adaptive, Multipath::Ecmp}) {
    const auto s = compute_splits(t, {{0, 8}}, m, 0, scale);
    CHECK(s[0].hops_per_path == 6);
    check_layers(t, s[0]);
    const auto h = named_hops(t, s[0]);
    CHECK(h.size() == 6u);
    CHECK(h.at("leaf1->spine0") == 1.0);
    CHECK(h.at("spine0->leaf0") == 1.0);
    CHECK(h.at("node1.gpu0.nic0->node1.gpu0") == 1.0);
  }
  // Healthy, spray splits 1/2 over the two rails: 4 hops.
  const auto ok = compute_splits(t, {{0, 8}}, Multipath::Spray);
  CHECK(ok[0].hops_per_path == 4);
  CHECK(named_hops(t, ok[0]).at("leaf1->node1.gpu0.nic1") == Approx(0.5));
}

TEST_CASE("splits: a pair cut off by faults throws", "[routing]") {
  const Topology t = two_leaves_four_spines();
  // GPU 6's only NIC cable is down: nothing reaches it from outside node1.
  const auto scale = with_down(t, fault_edges(t, "node1.gpu2.nic0", "leaf1"));
  CHECK_THROWS_WITH(compute_splits(t, {{0, 6}}, Multipath::Spray, 0, scale),
                    Contains("no route from node0.gpu0 to node1.gpu2") && Contains("link that is down"));
  CHECK_THROWS_AS(compute_splits(t, {{1, 1}}, Multipath::Spray), Error);
}

TEST_CASE("splits: ECMP with seed 0 takes compute_routes' path for every pair", "[routing]") {
  for (const Topology& t : {four_nodes(), rail_per_leaf(), two_leaves_four_spines()}) {
    const int n = static_cast<int>(t.gpus.size());
    const auto pairs = all_pairs(n);
    const auto routes = compute_routes(t, pairs);
    const auto splits = compute_splits(t, pairs, Multipath::Ecmp, 0);
    REQUIRE(splits.size() == routes.size());
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      REQUIRE(splits[i].hops.size() == routes[i].size());
      CHECK(splits[i].hops_per_path == static_cast<int>(routes[i].size()));
      for (std::size_t k = 0; k < routes[i].size(); ++k) {
        CHECK(splits[i].hops[k].edge == routes[i][k].edge);
        CHECK(splits[i].hops[k].forward == routes[i][k].forward);
        CHECK(splits[i].hops[k].weight == 1.0);
      }
    }
  }
}

TEST_CASE("splits: another ECMP seed moves some flows and keeps them shortest", "[routing]") {
  const Topology t = four_nodes();
  const auto pairs = all_pairs(32);
  const auto zero = compute_splits(t, pairs, Multipath::Ecmp, 0);
  const auto seven = compute_splits(t, pairs, Multipath::Ecmp, 7);
  std::size_t moved = 0;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    REQUIRE(seven[i].hops.size() == zero[i].hops.size());  // same fewest-hop length
    bool same = true;
    for (std::size_t k = 0; k < zero[i].hops.size(); ++k) same = same && zero[i].hops[k].edge == seven[i].hops[k].edge;
    if (!same) ++moved;
  }
  // 32 * 31 = 992 flows, most with several equal paths: a new hash moves many of them.
  CHECK(moved > 100u);
}

TEST_CASE("splits: ECMP can pile two flows onto one spine trunk, spray cannot", "[routing]") {
  const Topology t = two_leaves_four_spines();
  // A permutation from leaf0's GPUs (0, 1, 4, 5) to leaf1's in the other node (6, 7, 2, 3):
  // 4 flows over 4 spines. ECMP hashes each onto one spine; 4^4 = 256 equally likely
  // assignments of which only 4! = 24 use each spine once, so a collision is likely (90.6 %).
  const std::vector<std::pair<int, int>> perm{{0, 6}, {1, 7}, {4, 2}, {5, 3}};
  const auto ecmp = compute_splits(t, perm, Multipath::Ecmp, 0);
  std::map<std::string, double> load;  // flows per leaf0 -> spine trunk
  std::map<std::string, std::vector<int>> who;
  for (std::size_t i = 0; i < perm.size(); ++i)
    for (const auto& [hop, w] : named_hops(t, ecmp[i]))
      if (hop.rfind("leaf0->spine", 0) == 0) {
        load[hop] += w;
        who[hop].push_back(static_cast<int>(i));
      }
  // With seed 0 the hash sends 0 -> 6 and 1 -> 7 both up leaf0 -> spine3 (and 4 -> 2 to spine1,
  // 5 -> 3 to spine0): one 50 GB/s trunk carries two flows while spine2's carries none, so each
  // of the two gets half the bandwidth spray would give it.
  CHECK(who["leaf0->spine3"] == std::vector<int>{0, 1});
  CHECK(load["leaf0->spine3"] == 2.0);
  CHECK(load.count("leaf0->spine2") == 0u);
  CHECK(load.size() == 3u);
  // Spray: each trunk carries 4 x 1/4 = 1 flow's worth.
  const auto spray = compute_splits(t, perm, Multipath::Spray);
  std::map<std::string, double> even;
  for (const FlowSplit& f : spray)
    for (const auto& [hop, w] : named_hops(t, f))
      if (hop.rfind("leaf0->spine", 0) == 0) even[hop] += w;
  REQUIRE(even.size() == 4u);
  for (const auto& [hop, w] : even) CHECK(w == Approx(1.0));
}

TEST_CASE("splits: path latency counts links, NICs and switches once", "[routing]") {
  const Topology t = two_leaves_four_spines();
  // GPU 0 -> GPU 6: host interface 0 + NIC 1 us + cable 10 ns + leaf 300 ns + cable 10 ns +
  // spine 400 ns + cable 10 ns + leaf 300 ns + cable 10 ns + NIC 1 us + host interface 0
  // = 2 us + 40 ns + 600 ns + 400 ns = 3.04 us, on every path.
  for (const Multipath m : {Multipath::Ecmp, Multipath::Spray, Multipath::Adaptive})
    CHECK(path_latency(t, compute_splits(t, {{0, 6}}, m)[0]).value() == Approx(3.04e-6));
  // Within node0: GPU link 100 ns + switch 200 ns + GPU link 100 ns = 400 ns.
  CHECK(path_latency(t, compute_splits(t, {{0, 3}}, Multipath::Spray)[0]).value() == Approx(400e-9));
  // path_latencies: the same numbers, one per split.
  const auto both = path_latencies(t, compute_splits(t, {{0, 6}, {0, 3}}, Multipath::Spray));
  REQUIRE(both.size() == 2u);
  CHECK(both[0].value() == Approx(3.04e-6));
  CHECK(both[1].value() == Approx(400e-9));
}

TEST_CASE("splits: a three-tier fabric spreads over pods' spines and cores", "[routing]") {
  // The k=4 fat tree of test_topology.cpp: 8 nodes x 2 GPUs, 4-port leaves, spines and cores.
  ClusterParams p = with_rails(switched(8, 2), 1, 4, 4);
  p.out.tiers = 3;
  p.out.core_ports = 4;
  p.out.core_latency = Seconds(500e-9);
  const Topology t = build_cluster(p);
  // GPU 0 (node0, rail 0, leaf0, pod0) -> GPU 8 (node4, rail 0, leaf2, pod1): GPU NIC leaf0
  // spine core spine leaf2 NIC GPU = 8 hops. Spray: 1/2 per pod0 spine, 1/4 per core, 1/4 on
  // each core -> pod1 spine link, 1/2 on each pod1 spine -> leaf2.
  const auto s = compute_splits(t, {{0, 8}}, Multipath::Spray);
  CHECK(s[0].hops_per_path == 8);
  check_layers(t, s[0]);
  const auto h = named_hops(t, s[0]);
  CHECK(h.at("leaf0->pod0.spine1") == Approx(0.5));
  CHECK(h.at("pod0.spine1->core3") == Approx(0.25));
  CHECK(h.at("core2->pod1.spine1") == Approx(0.25));
  CHECK(h.at("pod1.spine0->leaf2") == Approx(0.5));
  // Latency: 2 NICs 2 us + 2 leaves 600 ns + 2 spines 800 ns + core 500 ns + 6 cables 60 ns
  // = 3.96 us.
  CHECK(path_latency(t, s[0]).value() == Approx(3.96e-6));
  // Same pod (GPU 4: node2, leaf1, pod0): 6 hops.
  CHECK(compute_splits(t, {{0, 4}}, Multipath::Spray)[0].hops_per_path == 6);
  // ECMP seed 0 still equals compute_routes.
  const auto pairs = all_pairs(16);
  const auto routes = compute_routes(t, pairs);
  const auto ecmp = compute_splits(t, pairs, Multipath::Ecmp);
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    REQUIRE(ecmp[i].hops.size() == routes[i].size());
    for (std::size_t k = 0; k < routes[i].size(); ++k) CHECK(ecmp[i].hops[k].edge == routes[i][k].edge);
  }
}

// ---- faults ----------------------------------------------------------------------------------------

TEST_CASE("faults: a link by its two ends, a switch by its name", "[routing]") {
  const Topology t = two_leaves_four_spines();
  const auto one = fault_edges(t, "leaf0", "spine2");
  REQUIRE(one.size() == 1u);
  const LinkProps& l = t.link(one[0]);
  CHECK(((t.graph[l.end_a].name == "leaf0" && t.graph[l.end_b].name == "spine2") ||
         (t.graph[l.end_b].name == "leaf0" && t.graph[l.end_a].name == "spine2")));
  CHECK(fault_edges(t, "spine2", "leaf0") == one);  // either order
  // A switch alone: leaf0's 4 NIC cables + 4 trunks = 8 links, sorted.
  const auto leaf = fault_edges(t, "leaf0", "");
  CHECK(leaf.size() == 8u);
  CHECK(std::is_sorted(leaf.begin(), leaf.end()));
  CHECK(fault_edges(t, "node1.switch", "").size() == 4u);  // its 4 GPUs
}

TEST_CASE("faults: bad names and missing links are errors", "[routing]") {
  const Topology t = two_leaves_four_spines();
  // Unknown: named, with up to 3 close names.
  CHECK_THROWS_WITH(fault_edges(t, "leaf9", "spine0"), Contains("no node named 'leaf9'") && Contains("'leaf0'") &&
                                                            Contains("'leaf1'"));
  CHECK_THROWS_WITH(fault_edges(t, "leaf0", "spin0"), Contains("'spin0'") && Contains("'spine0'"));
  // Both exist but share no link.
  CHECK_THROWS_WITH(fault_edges(t, "leaf0", "leaf1"), Contains("no link between 'leaf0' and 'leaf1'"));
  // A switch fault must name a switch.
  CHECK_THROWS_WITH(fault_edges(t, "node0.gpu0.nic0", ""), Contains("not a switch"));
}
