// Unit tests for sim/engine/platform: the pure-data platform emitted from the topology graph (no
// SimGrid engine). Each used graph edge becomes one directed link per direction used; a switch or
// NIC of latency L adds L/2 to every directed link entering or leaving it, so a route pays each
// switch and NIC it crosses once. Expected latencies are sums derived in the comments.
//
#include "sim/engine/platform.hpp"
#include "sim/workload/workload.hpp"
#include "topologies/builders.hpp"

#include <algorithm>
#include <cstddef>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

using namespace racksim;

namespace {

constexpr double kCable = 100e-9;      // scale-up cable, one way
constexpr double kSwitch = 300e-9;     // scale-up switch, port to port
constexpr double kOutCable = 10e-9;    // scale-out cable
constexpr double kNic = 1e-6;          // NIC processing per traversal
constexpr double kLeaf = 200e-9;
constexpr double kSpine = 400e-9;

ClusterParams switched(int domains, int gpus) {
  ClusterParams p;
  p.domains = domains;
  p.up.kind = ScaleUpParams::Kind::Switched;
  p.up.gpus = gpus;
  p.up.gpu_part = "gpu";
  p.up.link_bandwidth = BytesPerSecond(100e9);
  p.up.link_latency = Seconds(kCable);
  p.up.switch_part = "sw";
  p.up.switch_ports = 64;
  p.up.port_speed = BytesPerSecond(100e9);
  p.up.switch_latency = Seconds(kSwitch);
  return p;
}

ClusterParams with_rails(ClusterParams p, int leaf_ports) {
  p.out.enabled = true;
  p.out.nics_per_gpu = 1;
  p.out.nic_line_rate = BytesPerSecond(50e9);
  p.out.host_interface_bandwidth = BytesPerSecond(64e9);
  p.out.nic_latency = Seconds(kNic);
  p.out.cable_latency = Seconds(kOutCable);
  p.out.leaf_ports = leaf_ports;
  p.out.leaf_latency = Seconds(kLeaf);
  p.out.spine_ports = 64;
  p.out.spine_latency = Seconds(kSpine);
  p.out.oversubscription = 1.0;
  return p;
}

double route_latency(const PlatformSpec& p, const PlatformSpec::Route& r) {
  double s = 0.0;
  for (const int l : r.links) s += p.links.at(static_cast<std::size_t>(l)).latency;
  return s;
}

std::set<std::string> link_names(const PlatformSpec& p) {
  std::set<std::string> names;
  for (const auto& l : p.links) names.insert(l.name);
  return names;
}

Op collective_op(int group, CollectiveAlgorithm algo) {
  Op op;
  op.kind = OpKind::Collective;
  op.collective = algo == CollectiveAlgorithm::Ring ? CollectiveKind::AllReduce : CollectiveKind::AllToAll;
  op.algorithm = algo;
  op.group = group;
  op.bytes = 1024;
  return op;
}

}  // namespace

TEST_CASE("platform: a GPU-switch link carries the cable and half the switch latency", "[platform]") {
  const Topology t = build_cluster(switched(1, 4));
  const PlatformSpec p = emit_platform(t, {{0, 1}});
  // GPU0 -> switch -> GPU1: 2 directed links, each cable + switch/2 = 100 + 150 = 250 ns
  // (a GPU adds no latency).
  REQUIRE(p.routes.size() == 1u);
  REQUIRE(p.links.size() == 2u);
  for (const auto& l : p.links) CHECK(l.latency == Approx(kCable + kSwitch / 2));
  // The route pays 2 cables and the switch once: 2 * 100 + 300 = 500 ns.
  CHECK(route_latency(p, p.routes[0]) == Approx(2 * kCable + kSwitch));
  CHECK(p.routes[0].src == 0);
  CHECK(p.routes[0].dst == 1);
  CHECK(p.routes[0].links == std::vector<int>{0, 1});
  CHECK(p.links[0].name == "node0.gpu0->node0.switch");
  CHECK(p.links[1].name == "node0.switch->node0.gpu1");
}

TEST_CASE("platform: bandwidth is copied per direction", "[platform]") {
  const Topology t = build_cluster(switched(1, 4));
  const PlatformSpec p = emit_platform(t, {{0, 1}, {1, 0}});
  // Full duplex: each of the 4 directed links has the edge's 100 GB/s to itself.
  REQUIRE(p.links.size() == 4u);
  for (const auto& l : p.links) CHECK(l.bandwidth == 100e9);
}

TEST_CASE("platform: the two directions of an edge are distinct links", "[platform]") {
  const Topology t = build_cluster(switched(1, 4));
  const PlatformSpec p = emit_platform(t, {{0, 1}, {1, 0}});
  // 0 -> 1 uses gpu0->switch, switch->gpu1; 1 -> 0 uses gpu1->switch, switch->gpu0: 4 links,
  // none shared between the two routes.
  REQUIRE(p.links.size() == 4u);
  CHECK(link_names(p) == std::set<std::string>{"node0.gpu0->node0.switch", "node0.switch->node0.gpu1",
                                                "node0.gpu1->node0.switch", "node0.switch->node0.gpu0"});
  REQUIRE(p.routes.size() == 2u);
  const std::set<int> there(p.routes[0].links.begin(), p.routes[0].links.end());
  for (const int l : p.routes[1].links) CHECK(there.count(l) == 0u);
}

TEST_CASE("platform: only links used by routes are emitted", "[platform]") {
  const Topology t = build_cluster(switched(1, 8));
  // 8 edges = 16 possible directed links. One pair uses 2 of them.
  CHECK(emit_platform(t, {{3, 6}}).links.size() == 2u);
  // A ring 0->1->...->7->0 uses each GPU's uplink once and downlink once: 8 + 8 = 16.
  std::vector<std::pair<int, int>> ring;
  for (int i = 0; i < 8; ++i) ring.emplace_back(i, (i + 1) % 8);
  CHECK(emit_platform(t, ring).links.size() == 16u);
  // No pair: no link and no route, but every GPU is still a host.
  const PlatformSpec none = emit_platform(t, {});
  CHECK(none.links.empty());
  CHECK(none.routes.empty());
  CHECK(none.hosts.size() == 8u);
}

TEST_CASE("platform: routes sharing a directed link share one emitted link", "[platform]") {
  const Topology t = build_cluster(switched(1, 4));
  // 0 -> 1 and 0 -> 2 both leave through gpu0->switch: 1 shared + 2 downlinks = 3 links.
  const PlatformSpec p = emit_platform(t, {{0, 1}, {0, 2}});
  CHECK(p.links.size() == 3u);
  REQUIRE(p.routes.size() == 2u);
  CHECK(p.routes[0].links.at(0) == p.routes[1].links.at(0));
  CHECK(p.routes[0].links.at(1) != p.routes[1].links.at(1));
}

TEST_CASE("platform: hosts are the GPUs in index order", "[platform]") {
  const Topology t = build_cluster(switched(2, 4));
  const PlatformSpec p = emit_platform(t, {{0, 1}});
  // 2 domains * 4 GPUs = 8 hosts; host i is GPU i ("node<i/4>.gpu<i%4>").
  REQUIRE(p.hosts.size() == 8u);
  CHECK(p.hosts[0].name == "node0.gpu0");
  CHECK(p.hosts[5].name == "node1.gpu1");
  CHECK(p.hosts[7].name == "node1.gpu3");
}

TEST_CASE("platform: routes follow the order of the pairs", "[platform]") {
  const Topology t = build_cluster(switched(1, 4));
  const std::vector<std::pair<int, int>> pairs{{3, 0}, {0, 3}, {1, 2}};
  const PlatformSpec p = emit_platform(t, pairs);
  REQUIRE(p.routes.size() == 3u);
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    CHECK(p.routes[i].src == pairs[i].first);
    CHECK(p.routes[i].dst == pairs[i].second);
    CHECK(p.routes[i].links.size() == 2u);  // GPU -> switch -> GPU
  }
  // Every route index is a valid link.
  for (const auto& r : p.routes)
    for (const int l : r.links) CHECK(static_cast<std::size_t>(l) < p.links.size());
}

TEST_CASE("platform: a full-mesh link has only its cable latency", "[platform]") {
  ClusterParams m;
  m.up.kind = ScaleUpParams::Kind::FullMesh;
  m.up.gpus = 8;
  m.up.link_bandwidth = BytesPerSecond(64e9);
  m.up.link_latency = Seconds(kCable);
  m.up.links_per_pair = 2;
  const Topology t = build_cluster(m);
  const PlatformSpec p = emit_platform(t, {{2, 6}, {6, 2}});
  // Direct GPU-GPU links, no switch: 1 hop each way, 100 ns, 2 * 64 = 128 GB/s per direction.
  REQUIRE(p.links.size() == 2u);
  for (const auto& l : p.links) {
    CHECK(l.latency == Approx(kCable));
    CHECK(l.bandwidth == Approx(128e9));
  }
  CHECK(p.routes[0].links.size() == 1u);
  CHECK(p.links[static_cast<std::size_t>(p.routes[0].links[0])].name == "node0.gpu2->node0.gpu6");
}

TEST_CASE("platform: a route across one leaf pays each NIC and the leaf once", "[platform]") {
  // 2 nodes of 8 GPUs, 64-port leaf: one leaf, no spine. GPU 0 -> GPU 8:
  //   gpu0->nic      host interface 0   + nic/2
  //   nic->leaf0     cable              + nic/2 + leaf/2
  //   leaf0->nic     cable              + leaf/2 + nic/2
  //   nic->gpu8      0                  + nic/2
  // Sum: 2 cables + 2 NICs + 1 leaf = 20 + 2000 + 200 = 2220 ns.
  const Topology t = build_cluster(with_rails(switched(2, 8), 64));
  const PlatformSpec p = emit_platform(t, {{0, 8}});
  REQUIRE(p.links.size() == 4u);
  CHECK(p.links[0].name == "node0.gpu0->node0.gpu0.nic0");
  CHECK(p.links[0].latency == Approx(kNic / 2));
  CHECK(p.links[0].bandwidth == 64e9);  // host interface
  CHECK(p.links[1].name == "node0.gpu0.nic0->leaf0");
  CHECK(p.links[1].latency == Approx(kOutCable + kNic / 2 + kLeaf / 2));
  CHECK(p.links[1].bandwidth == 50e9);  // NIC line rate
  CHECK(p.links[2].latency == Approx(kOutCable + kLeaf / 2 + kNic / 2));
  CHECK(p.links[3].latency == Approx(kNic / 2));
  CHECK(route_latency(p, p.routes[0]) == Approx(2 * kOutCable + 2 * kNic + kLeaf));
}

TEST_CASE("platform: a route over a spine pays leaf spine leaf once each", "[platform]") {
  // 4 nodes of 2 GPUs, 1 NIC, 4-port leaves: down = 4/2 = 2 < 4 domains, so each rail is split
  // over ceil(4/2) = 2 leaves (nodes 0-1 and 2-3). GPU 0 (node0) -> GPU 6 (node3, local 0):
  // GPU -> NIC -> leaf -> spine -> leaf -> NIC -> GPU, 6 links. Latency:
  //   4 cables + 2 NICs + 2 leaves + 1 spine = 40 + 2000 + 400 + 400 = 2840 ns.
  const Topology t = build_cluster(with_rails(switched(4, 2), 4));
  const PlatformSpec p = emit_platform(t, {{0, 6}});
  REQUIRE(p.routes.size() == 1u);
  CHECK(p.routes[0].links.size() == 6u);
  CHECK(route_latency(p, p.routes[0]) == Approx(4 * kOutCable + 2 * kNic + 2 * kLeaf + kSpine));
}

TEST_CASE("platform: a pair inside a node with scale-out stays on the switch", "[platform]") {
  const Topology t = build_cluster(with_rails(switched(2, 8), 64));
  const PlatformSpec p = emit_platform(t, {{9, 12}});
  // GPU 9 -> GPU 12 are both in node1: 2 hops over node1.switch, 2 * 100 + 300 = 500 ns.
  REQUIRE(p.routes.size() == 1u);
  CHECK(p.routes[0].links.size() == 2u);
  CHECK(route_latency(p, p.routes[0]) == Approx(2 * kCable + kSwitch));
}

TEST_CASE("platform: communicating pairs of ring and direct collectives and sends", "[platform]") {
  Workload w;
  w.ranks = 4;
  Group world;
  world.name = "world";
  world.ranks = {0, 1, 2, 3};
  world.position = {0, 1, 2, 3};
  Group pair;
  pair.name = "pair";
  pair.ranks = {1, 3};
  pair.position = {-1, 0, -1, 1};
  w.groups = {world, pair};
  w.programs.resize(4);
  // Every rank: a ring all-reduce on world -> (r, r+1 mod 4).
  for (int r = 0; r < 4; ++r) w.programs[static_cast<std::size_t>(r)].push_back(collective_op(0, CollectiveAlgorithm::Ring));
  // Ranks 1 and 3: a direct all-to-all on {1, 3} -> (1, 3) and (3, 1).
  w.programs[1].push_back(collective_op(1, CollectiveAlgorithm::Direct));
  w.programs[3].push_back(collective_op(1, CollectiveAlgorithm::Direct));
  // Rank 0 sends to 2 twice (one pair), and to 1 (already a ring pair).
  Op send;
  send.kind = OpKind::Send;
  send.peer = 2;
  w.programs[0].push_back(send);
  w.programs[0].push_back(send);
  send.peer = 1;
  w.programs[0].push_back(send);
  // Sorted and unique: ring (0,1) (1,2) (2,3) (3,0); direct (1,3) (3,1); send (0,2).
  const std::vector<std::pair<int, int>> expect{{0, 1}, {0, 2}, {1, 2}, {1, 3}, {2, 3}, {3, 0}, {3, 1}};
  CHECK(communicating_pairs(w) == expect);
}

TEST_CASE("platform: a collective over one rank needs no pair", "[platform]") {
  Workload w;
  w.ranks = 2;
  Group solo;
  solo.ranks = {1};
  solo.position = {-1, 0};
  w.groups = {solo};
  w.programs.resize(2);
  w.programs[1].push_back(collective_op(0, CollectiveAlgorithm::Ring));
  CHECK(communicating_pairs(w).empty());
}

TEST_CASE("platform: the first GPUs of a cluster emit as the cluster of their domains alone", "[platform]") {
  // A reduced run simulates one replica (the first domain) of a cluster with scale-out, emitted
  // from the whole cluster's topology with FabricOptions::gpus. Its pairs stay inside the domain
  // (GPU -> switch -> GPU beats any 4-hop route over the NICs), so hosts, links, routes and NVLS
  // switch hosts must be those of one domain without scale-out, name for name.
  const Topology whole = build_cluster(with_rails(switched(4, 8), 64));
  const Topology alone = build_cluster(switched(1, 8));
  std::vector<std::pair<int, int>> ring;
  for (int i = 0; i < 8; ++i) ring.emplace_back(i, (i + 1) % 8);
  std::sort(ring.begin(), ring.end());
  FabricOptions first;
  first.gpus = 8;
  first.nvls = true;
  first.nvls_bandwidth = 200e9;
  FabricOptions all = first;
  all.gpus = -1;
  const PlatformSpec a = emit_platform(whole, ring, 5e12, first);
  const PlatformSpec b = emit_platform(alone, ring, 5e12, all);
  REQUIRE(a.hosts.size() == 9u);  // 8 GPUs and the domain's NVLS switch host
  REQUIRE(a.hosts.size() == b.hosts.size());
  for (std::size_t i = 0; i < a.hosts.size(); ++i) {
    CHECK(a.hosts[i].name == b.hosts[i].name);
    CHECK(a.hosts[i].hbm_bandwidth == b.hosts[i].hbm_bandwidth);
  }
  REQUIRE(a.links.size() == b.links.size());
  for (std::size_t i = 0; i < a.links.size(); ++i) {
    CHECK(a.links[i].name == b.links[i].name);
    CHECK(a.links[i].bandwidth == b.links[i].bandwidth);
    CHECK(a.links[i].latency == b.links[i].latency);
  }
  REQUIRE(a.routes.size() == b.routes.size());
  for (std::size_t i = 0; i < a.routes.size(); ++i) {
    CHECK(a.routes[i].src == b.routes[i].src);
    CHECK(a.routes[i].dst == b.routes[i].dst);
    CHECK(a.routes[i].links == b.routes[i].links);
  }
  CHECK(a.switch_host == b.switch_host);
}
