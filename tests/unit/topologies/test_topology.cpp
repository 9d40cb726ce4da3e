// Unit tests for topologies/builders and topologies/check: the cluster graphs the builders make
// (switched and full-mesh scale-up domains, the rail-optimized leaf/spine fabric) and the
// structural problems check_topology reports. Every expected count is derived in a comment from
// the builder's documented rule (builders.hpp), never read off the program's output.
//
#include "topologies/builders.hpp"
#include "topologies/check.hpp"
#include "topologies/graph.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cstddef>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

using namespace racksim;
using Catch::Matchers::Contains;

namespace {

// ---- parameter sets --------------------------------------------------------------------------

// A Helios-like rack: 72 GPUs in 18 trays of 4, each with 1.8 TB/s per direction to one logical
// UALink-over-Ethernet switch made of `chips` chips of 512 ports at 25 GB/s (200 Gb/s).
ClusterParams helios(int chips) {
  ClusterParams p;
  p.domains = 1;
  p.up.kind = ScaleUpParams::Kind::Switched;
  p.up.gpus = 72;
  p.up.trays = 18;
  p.up.domain_label = "rack";
  p.up.gpu_part = "mi455x";
  p.up.link_bandwidth = BytesPerSecond(1.8e12);
  p.up.link_latency = Seconds(100e-9);
  p.up.link_part = "ualink_copper";
  p.up.switch_part = "ualoe";
  p.up.switch_ports = chips * 512;
  p.up.port_speed = BytesPerSecond(25e9);
  p.up.switch_latency = Seconds(250e-9);
  return p;
}

// An MI300X-like node: n GPUs, every pair joined by `per_pair` xGMI links of 64 GB/s.
ClusterParams mesh(int n, int per_pair) {
  ClusterParams p;
  p.domains = 1;
  p.up.kind = ScaleUpParams::Kind::FullMesh;
  p.up.gpus = n;
  p.up.domain_label = "node";
  p.up.gpu_part = "mi300x";
  p.up.link_bandwidth = BytesPerSecond(64e9);
  p.up.link_latency = Seconds(200e-9);
  p.up.link_part = "xgmi";
  p.up.links_per_pair = per_pair;
  return p;
}

// `domains` switched nodes of `gpus` GPUs (one 100 GB/s port each on a 64-port switch), joined by
// a rail fabric of 50 GB/s (400 Gb/s) NICs when `nics` > 0.
ClusterParams fabric(int domains, int gpus, int nics, int leaf_ports, int spine_ports, double oversub) {
  ClusterParams p;
  p.domains = domains;
  p.up.kind = ScaleUpParams::Kind::Switched;
  p.up.gpus = gpus;
  p.up.domain_label = "node";
  p.up.gpu_part = "gpu";
  p.up.link_bandwidth = BytesPerSecond(100e9);
  p.up.link_latency = Seconds(100e-9);
  p.up.link_part = "su";
  p.up.switch_part = "sw";
  p.up.switch_ports = 64;
  p.up.port_speed = BytesPerSecond(100e9);
  p.up.switch_latency = Seconds(200e-9);
  p.out.enabled = nics > 0;
  p.out.nics_per_gpu = nics;
  p.out.nic_part = "nic400";
  p.out.nic_line_rate = BytesPerSecond(50e9);
  p.out.host_interface_bandwidth = BytesPerSecond(64e9);
  p.out.nic_latency = Seconds(1e-6);
  p.out.cable_part = "dac";
  p.out.cable_latency = Seconds(10e-9);
  p.out.leaf_part = "leaf";
  p.out.leaf_ports = leaf_ports;
  p.out.leaf_latency = Seconds(300e-9);
  p.out.spine_part = "spine";
  p.out.spine_ports = spine_ports;
  p.out.spine_latency = Seconds(400e-9);
  p.out.oversubscription = oversub;
  return p;
}

// ---- graph helpers ---------------------------------------------------------------------------

std::size_t count_kind(const Topology& t, NodeKind k) {
  std::size_t n = 0;
  for (const Vertex v : boost::make_iterator_range(boost::vertices(t.graph)))
    if (t.graph[v].kind == k) ++n;
  return n;
}

std::size_t count_links(const Topology& t, LinkKind k) {
  std::size_t n = 0;
  for (const Edge e : boost::make_iterator_range(boost::edges(t.graph)))
    if (t.graph[e].kind == k) ++n;
  return n;
}

std::size_t count_named(const Topology& t, const std::string& prefix) {
  std::size_t n = 0;
  for (const Vertex v : boost::make_iterator_range(boost::vertices(t.graph)))
    if (t.graph[v].name.rfind(prefix, 0) == 0) ++n;
  return n;
}

bool has_vertex(const Topology& t, const std::string& name) {
  for (const Vertex v : boost::make_iterator_range(boost::vertices(t.graph)))
    if (t.graph[v].name == name) return true;
  return false;
}

Vertex vertex_named(const Topology& t, const std::string& name) {
  for (const Vertex v : boost::make_iterator_range(boost::vertices(t.graph)))
    if (t.graph[v].name == name) return v;
  FAIL("no vertex named " << name);
  return 0;
}

// Ports a vertex's links occupy at that vertex (the sum check_topology compares with the radix).
int ports_used(const Topology& t, Vertex v) {
  int used = 0;
  for (const Edge e : boost::make_iterator_range(boost::out_edges(v, t.graph))) used += t.graph[e].ports;
  return used;
}

std::vector<std::string> problems_containing(const std::vector<std::string>& problems, const std::string& text) {
  std::vector<std::string> out;
  for (const auto& p : problems)
    if (p.find(text) != std::string::npos) out.push_back(p);
  return out;
}

}  // namespace

// ---- switched scale-up domain (Helios-like) ----------------------------------------------------

TEST_CASE("helios: 72 GPUs joined to one logical switch by 72 links", "[topology]") {
  const Topology t = build_cluster(helios(12));
  // 72 GPUs + 1 logical switch = 73 vertices; one GPU-switch link per GPU = 72 links.
  CHECK(t.gpus.size() == 72u);
  CHECK(count_kind(t, NodeKind::Gpu) == 72u);
  CHECK(count_kind(t, NodeKind::Switch) == 1u);
  CHECK(count_kind(t, NodeKind::Nic) == 0u);
  CHECK(boost::num_vertices(t.graph) == 73u);
  CHECK(t.num_links() == 72u);
  CHECK(boost::num_edges(t.graph) == 72u);
  CHECK(count_links(t, LinkKind::ScaleUp) == 72u);
  CHECK(t.domains == 1);
  CHECK(t.gpus_per_domain == 72);
  // Every link has the GPU at one end and the switch at the other.
  const Vertex sw = vertex_named(t, "rack0.switch");
  CHECK(boost::degree(sw, t.graph) == 72u);
  for (const Vertex g : t.gpus) {
    CHECK(boost::degree(g, t.graph) == 1u);
    const Edge e = *boost::out_edges(g, t.graph).first;
    CHECK(boost::target(e, t.graph) == sw);
  }
}

TEST_CASE("helios: GPUs are named by tray and indexed in order", "[topology]") {
  const Topology t = build_cluster(helios(12));
  // 72 GPUs / 18 trays = 4 per tray: GPU g is tray g/4, slot g%4.
  CHECK(has_vertex(t, "rack0.tray0.gpu0"));
  CHECK(has_vertex(t, "rack0.tray17.gpu3"));  // g = 17*4 + 3 = 71, the last GPU
  CHECK_FALSE(has_vertex(t, "rack0.tray18.gpu0"));  // trays are 0..17
  CHECK_FALSE(has_vertex(t, "rack0.tray0.gpu4"));   // slots are 0..3
  CHECK(count_named(t, "rack0.tray5.") == 4u);      // 4 GPUs per tray
  CHECK(t.graph[t.gpus[71]].name == "rack0.tray17.gpu3");
  CHECK(t.graph[t.gpus[6]].name == "rack0.tray1.gpu2");  // 6 = 1*4 + 2
  for (std::size_t i = 0; i < t.gpus.size(); ++i) {
    CHECK(t.graph[t.gpus[i]].gpu_index == static_cast<int>(i));
    CHECK(t.graph[t.gpus[i]].domain == 0);
    CHECK(t.graph[t.gpus[i]].part == "mi455x");
  }
}

TEST_CASE("helios: a 1.8 TB/s link occupies 72 ports of 25 GB/s", "[topology]") {
  const Topology t = build_cluster(helios(12));
  // 1.8e12 B/s / 25e9 B/s = 72 lanes per GPU link.
  for (const Edge e : boost::make_iterator_range(boost::edges(t.graph))) {
    CHECK(t.graph[e].ports == 72);
    CHECK(t.graph[e].bandwidth.value() == 1.8e12);
    CHECK(t.graph[e].latency.value() == 100e-9);
    CHECK(t.graph[e].part == "ualink_copper");
  }
  // 72 links * 72 ports = 5184 ports used at the switch.
  CHECK(ports_used(t, vertex_named(t, "rack0.switch")) == 5184);
  // The switch vertex carries its radix (12 chips * 512 = 6144) and latency.
  const NodeProps& sw = t.graph[vertex_named(t, "rack0.switch")];
  CHECK(sw.kind == NodeKind::Switch);
  CHECK(sw.ports == 6144);
  CHECK(sw.latency.value() == 250e-9);
  CHECK(sw.part == "ualoe");
}

TEST_CASE("helios: 12 chips of 512 ports pass the check", "[topology]") {
  // 12 * 512 = 6144 ports >= 5184 needed.
  const Topology t = build_cluster(helios(12));
  const auto problems = check_topology(t);
  CHECK(problems.empty());
}

TEST_CASE("helios: a single 512-port chip is reported short of ports", "[topology]") {
  // 1 * 512 = 512 ports < 72 * 72 = 5184 needed.
  const Topology t = build_cluster(helios(1));
  const auto problems = check_topology(t);
  REQUIRE(problems.size() == 1u);
  CHECK_THAT(problems[0], Contains("rack0.switch"));
  CHECK_THAT(problems[0], Contains("needs 5184 ports"));
  CHECK_THAT(problems[0], Contains("has 512"));
}

TEST_CASE("switched domain: a link slower than a port multiple rounds its lanes up", "[topology]") {
  ClusterParams p = fabric(1, 4, 0, 0, 0, 1.0);
  p.up.link_bandwidth = BytesPerSecond(100e9);
  p.up.port_speed = BytesPerSecond(40e9);
  const Topology t = build_cluster(p);
  // 100 / 40 = 2.5 ports -> ceil = 3 ports per link; 4 links * 3 = 12 ports used.
  for (const Edge e : boost::make_iterator_range(boost::edges(t.graph))) CHECK(t.graph[e].ports == 3);
  CHECK(ports_used(t, vertex_named(t, "node0.switch")) == 12);
}

TEST_CASE("switched domain: one tray names GPUs without a tray", "[topology]") {
  const Topology t = build_cluster(fabric(1, 4, 0, 0, 0, 1.0));
  // trays = 1: GPU g is "node0.gpu<g>".
  CHECK(has_vertex(t, "node0.gpu0"));
  CHECK(has_vertex(t, "node0.gpu3"));
  CHECK(has_vertex(t, "node0.switch"));
  CHECK(count_named(t, "node0.tray") == 0u);
}

// ---- full mesh ---------------------------------------------------------------------------------

TEST_CASE("full mesh: 8 GPUs have 28 links and one per pair", "[topology]") {
  const Topology t = build_cluster(mesh(8, 1));
  // One link per unordered pair: 8 * 7 / 2 = 28 links; no switch.
  CHECK(t.num_links() == 28u);
  CHECK(boost::num_edges(t.graph) == 28u);
  CHECK(boost::num_vertices(t.graph) == 8u);
  CHECK(count_kind(t, NodeKind::Switch) == 0u);
  // Each GPU has one link to each of the 7 others.
  std::set<std::pair<std::size_t, std::size_t>> pairs;
  for (const Vertex g : t.gpus) CHECK(boost::degree(g, t.graph) == 7u);
  for (const auto& [a, b] : t.edge_ends) pairs.insert({std::min(a, b), std::max(a, b)});
  CHECK(pairs.size() == 28u);  // no pair joined twice
  CHECK(has_vertex(t, "node0.gpu7"));
}

TEST_CASE("full mesh: links_per_pair multiplies bandwidth and ports", "[topology]") {
  const Topology one = build_cluster(mesh(8, 1));
  const Topology three = build_cluster(mesh(8, 3));
  // Still 28 logical links (a pair's links are one edge), each 3 * 64 GB/s = 192 GB/s.
  CHECK(three.num_links() == 28u);
  for (const Edge e : boost::make_iterator_range(boost::edges(one.graph))) {
    CHECK(one.graph[e].bandwidth.value() == 64e9);
    CHECK(one.graph[e].ports == 1);
  }
  for (const Edge e : boost::make_iterator_range(boost::edges(three.graph))) {
    CHECK(three.graph[e].bandwidth.value() == Approx(192e9));
    CHECK(three.graph[e].ports == 3);
    CHECK(three.graph[e].kind == LinkKind::ScaleUp);
  }
}

TEST_CASE("full mesh: a sound mesh passes the check", "[topology]") {
  CHECK(check_topology(build_cluster(mesh(8, 1))).empty());
  CHECK(check_topology(build_cluster(mesh(2, 7))).empty());  // 2 GPUs: 2*1/2 = 1 link
  CHECK(build_cluster(mesh(2, 7)).num_links() == 1u);
}

TEST_CASE("full mesh: a single GPU has no link and passes the check", "[topology]") {
  const Topology t = build_cluster(mesh(1, 1));
  // 1 * 0 / 2 = 0 links; one vertex is one connected part.
  CHECK(t.num_links() == 0u);
  CHECK(t.gpus.size() == 1u);
  CHECK(check_topology(t).empty());
}

// ---- several domains -------------------------------------------------------------------------

TEST_CASE("domains: GPU indices are global and names carry the domain", "[topology]") {
  const Topology t = build_cluster(fabric(3, 4, 0, 0, 0, 1.0));
  // 3 domains * 4 GPUs = 12 GPUs; GPU 4*d + g is "node<d>.gpu<g>".
  REQUIRE(t.gpus.size() == 12u);
  CHECK(t.graph[t.gpus[0]].name == "node0.gpu0");
  CHECK(t.graph[t.gpus[5]].name == "node1.gpu1");   // 5 = 4*1 + 1
  CHECK(t.graph[t.gpus[11]].name == "node2.gpu3");  // 11 = 4*2 + 3
  CHECK(t.graph[t.gpus[5]].domain == 1);
  CHECK(t.graph[t.gpus[5]].gpu_index == 5);
  // 3 switches, one per domain; 12 GPU-switch links.
  CHECK(count_kind(t, NodeKind::Switch) == 3u);
  CHECK(t.num_links() == 12u);
}

TEST_CASE("domains: several domains without scale-out are reported disconnected", "[topology]") {
  const Topology t = build_cluster(fabric(3, 4, 0, 0, 0, 1.0));
  const auto problems = check_topology(t);
  // Nothing joins the 3 domains: 3 connected parts, and nothing else is wrong.
  REQUIRE(problems.size() == 1u);
  CHECK_THAT(problems[0], Contains("disconnected"));
  CHECK_THAT(problems[0], Contains("3 separate parts"));
  CHECK_THAT(problems[0], Contains("scale_out"));
}

TEST_CASE("domains: two full-mesh nodes without scale-out are disconnected", "[topology]") {
  ClusterParams p = mesh(8, 1);
  p.domains = 2;
  const Topology t = build_cluster(p);
  // 2 * 28 = 56 links, none between the nodes.
  CHECK(t.num_links() == 56u);
  const auto d = problems_containing(check_topology(t), "disconnected");
  REQUIRE(d.size() == 1u);
  CHECK_THAT(d[0], Contains("2 separate parts"));
}

// ---- rail-optimized leaf/spine fabric ----------------------------------------------------------

TEST_CASE("rail fabric: 2 nodes of 8 GPUs fit one leaf and need no spine", "[topology]") {
  const Topology t = build_cluster(fabric(2, 8, 1, 64, 64, 1.0));
  // NICs: 2 domains * 8 GPUs * 1 NIC = 16.
  CHECK(count_kind(t, NodeKind::Nic) == 16u);
  // Leaf down ports = floor(64 * 1 / (1 + 1)) = 32. 2 domains <= 32, so rails_per_leaf =
  // 32 / 2 = 16 >= 8 rails: one leaf holds every rail, and one leaf needs no spine.
  CHECK(count_named(t, "leaf") == 1u);
  CHECK(count_named(t, "spine") == 0u);
  // Switches: 2 domain switches + 1 leaf = 3. Vertices: 16 GPUs + 16 NICs + 3 = 35.
  CHECK(count_kind(t, NodeKind::Switch) == 3u);
  CHECK(boost::num_vertices(t.graph) == 35u);
  // Links: 16 scale-up + 16 host interfaces + 16 NIC-leaf = 48.
  CHECK(count_links(t, LinkKind::ScaleUp) == 16u);
  CHECK(count_links(t, LinkKind::HostInterface) == 16u);
  CHECK(count_links(t, LinkKind::ScaleOut) == 16u);
  CHECK(t.num_links() == 48u);
  // The leaf has 16 NICs on it, 1 port each.
  CHECK(ports_used(t, vertex_named(t, "leaf0")) == 16);
  CHECK(check_topology(t).empty());
}

TEST_CASE("rail fabric: NICs serve their GPU through the host interface", "[topology]") {
  const Topology t = build_cluster(fabric(2, 8, 2, 64, 64, 1.0));
  // 2 * 8 * 2 = 32 NICs, named after their GPU.
  CHECK(count_kind(t, NodeKind::Nic) == 32u);
  const Vertex nic = vertex_named(t, "node1.gpu3.nic1");
  const NodeProps& n = t.graph[nic];
  CHECK(n.kind == NodeKind::Nic);
  CHECK(n.gpu_index == 11);  // node1.gpu3 = 8*1 + 3
  CHECK(n.domain == 1);
  CHECK(n.latency.value() == 1e-6);
  CHECK(n.part == "nic400");
  // A NIC has two links: the host interface to its GPU and one cable to a leaf.
  REQUIRE(boost::degree(nic, t.graph) == 2u);
  int host = 0;
  int cable = 0;
  for (const Edge e : boost::make_iterator_range(boost::out_edges(nic, t.graph))) {
    const LinkProps& l = t.graph[e];
    const Vertex other = boost::target(e, t.graph);
    if (l.kind == LinkKind::HostInterface) {
      ++host;
      CHECK(other == t.gpus[11]);
      CHECK(l.bandwidth.value() == 64e9);
      CHECK(l.ports == 0);  // occupies no switch port
    } else {
      ++cable;
      CHECK(l.kind == LinkKind::ScaleOut);
      CHECK(t.graph[other].kind == NodeKind::Switch);
      CHECK(l.bandwidth.value() == 50e9);  // the NIC line rate
      CHECK(l.latency.value() == 10e-9);
    }
  }
  CHECK(host == 1);
  CHECK(cable == 1);
  // A GPU's degree: 1 scale-up link + 2 host interfaces = 3.
  CHECK(boost::degree(t.gpus[11], t.graph) == 3u);
}

TEST_CASE("rail fabric: 4 nodes with 2 NICs per GPU need 8 leaves and 4 spines", "[topology]") {
  const Topology t = build_cluster(fabric(4, 8, 2, 16, 16, 1.0));
  // NICs: 4 * 8 * 2 = 64; rails = 8 GPUs * 2 NICs = 16.
  CHECK(count_kind(t, NodeKind::Nic) == 64u);
  // Down ports = floor(16 * 1 / 2) = 8. 4 domains <= 8: rails_per_leaf = 8 / 4 = 2, so
  // 16 rails / 2 = 8 leaves, each with 2 rails * 4 domains = 8 NICs.
  CHECK(count_named(t, "leaf") == 8u);
  // Up ports per leaf = ceil(8 / 1) = 8; total 64; spines = ceil(64 / 16) = 4, and 4 fits:
  // each spine gets ceil(8 / 4) = 2 ports from each of 8 leaves = 16 <= 16.
  CHECK(count_named(t, "spine") == 4u);
  // Vertices: 32 GPUs + 4 domain switches + 64 NICs + 8 leaves + 4 spines = 112.
  CHECK(boost::num_vertices(t.graph) == 112u);
  // Links: 32 scale-up + 64 host + 64 NIC-leaf + 8 * 4 trunks = 192.
  CHECK(count_links(t, LinkKind::HostInterface) == 64u);
  CHECK(count_links(t, LinkKind::ScaleOut) == 96u);  // 64 + 32
  CHECK(t.num_links() == 192u);
  for (int k = 0; k < 8; ++k) {
    const Vertex leaf = vertex_named(t, "leaf" + std::to_string(k));
    // 8 NIC ports + 4 trunks of 2 ports = 16 ports, exactly the radix.
    CHECK(ports_used(t, leaf) == 16);
    CHECK(boost::degree(leaf, t.graph) == 12u);  // 8 NICs + 4 spines
    CHECK(t.graph[leaf].domain == -1);
  }
  for (int s = 0; s < 4; ++s) CHECK(ports_used(t, vertex_named(t, "spine" + std::to_string(s))) == 16);
  CHECK(check_topology(t).empty());
}

TEST_CASE("rail fabric: each leaf serves whole rails", "[topology]") {
  const Topology t = build_cluster(fabric(4, 8, 2, 16, 16, 1.0));
  // NIC j of local GPU g is on rail 2g + j; with 2 rails per leaf, rail r is on leaf r / 2, so
  // both NICs of local GPU g, in every domain, are on leaf g.
  for (int d = 0; d < 4; ++d)
    for (int g = 0; g < 8; ++g)
      for (int j = 0; j < 2; ++j) {
        const Vertex nic = vertex_named(t, "node" + std::to_string(d) + ".gpu" + std::to_string(g) + ".nic" + std::to_string(j));
        const Vertex leaf = vertex_named(t, "leaf" + std::to_string(g));
        CHECK(boost::edge(nic, leaf, t.graph).second);
      }
}

TEST_CASE("rail fabric: trunks split each leaf's uplinks evenly over the spines", "[topology]") {
  const Topology t = build_cluster(fabric(4, 8, 2, 16, 16, 1.0));
  // Each leaf has 8 uplinks at 50 GB/s over 4 spines: a trunk of 8/4 = 2 ports, 100 GB/s.
  const Vertex leaf = vertex_named(t, "leaf3");
  for (int s = 0; s < 4; ++s) {
    const auto [e, found] = boost::edge(leaf, vertex_named(t, "spine" + std::to_string(s)), t.graph);
    REQUIRE(found);
    CHECK(t.graph[e].ports == 2);
    CHECK(t.graph[e].bandwidth.value() == Approx(100e9));
    CHECK(t.graph[e].latency.value() == 10e-9);
  }
}

TEST_CASE("rail fabric: more domains than down ports split each rail over several leaves", "[topology]") {
  const Topology t = build_cluster(fabric(10, 2, 1, 8, 8, 1.0));
  // Down ports = floor(8 / 2) = 4 < 10 domains: each rail needs ceil(10 / 4) = 3 leaves
  // (domains 0-3, 4-7, 8-9); 2 rails * 3 = 6 leaves, with 4, 4, 2, 4, 4, 2 NICs.
  CHECK(count_kind(t, NodeKind::Nic) == 20u);  // 10 * 2 * 1
  CHECK(count_named(t, "leaf") == 6u);
  // Uplinks 4 + 4 + 2 + 4 + 4 + 2 = 20: ceil(20 / 8) = 3 spines, but spine 0 would then take
  // ceil(u / 3) from every leaf, 2+2+1+2+2+1 = 10 > 8 ports; with 4 spines it takes 1 from
  // each leaf, 6 <= 8. So 4 spines.
  CHECK(count_named(t, "spine") == 4u);
  // Leaf 2 holds rail 0 of domains 8 and 9.
  const Vertex leaf2 = vertex_named(t, "leaf2");
  CHECK(boost::edge(vertex_named(t, "node8.gpu0.nic0"), leaf2, t.graph).second);
  CHECK(boost::edge(vertex_named(t, "node9.gpu0.nic0"), leaf2, t.graph).second);
  CHECK_FALSE(boost::edge(vertex_named(t, "node7.gpu0.nic0"), leaf2, t.graph).second);
  // Leaf 2 has 2 uplinks over 4 spines: one 1-port trunk (50 GB/s) to each of spines 0 and 1,
  // none to spines 2 and 3 (2 / 4 = 0 ports each, plus one for the first 2 % 4 = 2 spines).
  const auto [e, found] = boost::edge(leaf2, vertex_named(t, "spine0"), t.graph);
  REQUIRE(found);
  CHECK(t.graph[e].ports == 1);
  CHECK(t.graph[e].bandwidth.value() == Approx(50e9));
  CHECK(boost::edge(leaf2, vertex_named(t, "spine1"), t.graph).second);
  CHECK_FALSE(boost::edge(leaf2, vertex_named(t, "spine3"), t.graph).second);
  CHECK(check_topology(t).empty());
}

TEST_CASE("rail fabric: uneven trunks keep every switch within its radix", "[topology]") {
  // 2 nodes of 20 GPUs, 1 NIC, 16-port leaves and spines. Down = floor(16 / 2) = 8;
  // rails_per_leaf = 8 / 2 = 4; 20 rails / 4 = 5 leaves of 4 * 2 = 8 NICs, 8 uplinks each.
  // Total 40 uplinks: ceil(40 / 16) = 3 spines. Each leaf splits 8 uplinks as 3 + 3 + 2 ports,
  // so a leaf uses 8 + 8 = 16 ports and spine 0 (the fullest) 5 * 3 = 15 <= 16.
  const Topology t = build_cluster(fabric(2, 20, 1, 16, 16, 1.0));
  CHECK(count_named(t, "leaf") == 5u);
  CHECK(count_named(t, "spine") == 3u);
  for (int k = 0; k < 5; ++k) CHECK(ports_used(t, vertex_named(t, "leaf" + std::to_string(k))) <= 16);
  CHECK(check_topology(t).empty());
}

TEST_CASE("rail fabric: more leaves than spine ports is refused", "[topology]") {
  // 2 nodes of 8 GPUs, 2 NICs, 4-port leaves: down = 2, rails_per_leaf = 2 / 2 = 1, so 16 rails
  // make 16 leaves; every leaf needs a port on every spine, and 8-port spines have only 8.
  CHECK_THROWS_WITH(build_cluster(fabric(2, 8, 2, 4, 8, 1.0)), Contains("16 leaves"));
  CHECK_THROWS_AS(build_cluster(fabric(2, 8, 2, 4, 8, 1.0)), Error);
  // With 32-port spines it builds: 16 leaves * 2 uplinks = 32 -> 1 spine.
  const Topology t = build_cluster(fabric(2, 8, 2, 4, 32, 1.0));
  CHECK(count_named(t, "leaf") == 16u);
  CHECK(count_named(t, "spine") == 1u);
  CHECK(check_topology(t).empty());
}

TEST_CASE("rail fabric: NIC j sits on plane j mod planes", "[topology]") {
  ClusterParams p = fabric(2, 8, 2, 64, 64, 1.0);
  p.out.planes = 2;
  const Topology t = build_cluster(p);
  // 2 planes, 1 NIC of each GPU per plane: 8 rails per plane; down = 32, rails_per_leaf = 16
  // >= 8: one leaf per plane, no spine. NICs: 2 * 8 * 2 = 32, 16 on each leaf.
  CHECK(count_kind(t, NodeKind::Nic) == 32u);
  CHECK(count_named(t, "plane0.leaf") == 1u);
  CHECK(count_named(t, "plane1.leaf") == 1u);
  CHECK(count_named(t, "plane0.spine") == 0u);
  const Vertex leaf0 = vertex_named(t, "plane0.leaf0");
  const Vertex leaf1 = vertex_named(t, "plane1.leaf0");
  CHECK(ports_used(t, leaf0) == 16);
  CHECK(ports_used(t, leaf1) == 16);
  CHECK(boost::edge(vertex_named(t, "node1.gpu5.nic0"), leaf0, t.graph).second);
  CHECK(boost::edge(vertex_named(t, "node1.gpu5.nic1"), leaf1, t.graph).second);
  CHECK_FALSE(boost::edge(vertex_named(t, "node1.gpu5.nic1"), leaf0, t.graph).second);
  CHECK(check_topology(t).empty());
}

TEST_CASE("rail fabric: planes must divide the NICs per GPU", "[topology]") {
  ClusterParams p = fabric(2, 8, 2, 64, 64, 1.0);
  p.out.planes = 3;  // 2 % 3 != 0
  CHECK_THROWS_AS(build_cluster(p), Error);
  p.out.planes = 0;
  CHECK_THROWS_AS(build_cluster(p), Error);
}

TEST_CASE("rail fabric: oversubscription 2 halves the uplinks", "[topology]") {
  // 2 nodes * 4 GPUs * 1 NIC, 8-port leaves and spines.
  //   oversubscription 1: down = floor(8 * 1 / 2) = 4, rails_per_leaf = 4 / 2 = 2, 4 rails ->
  //   2 leaves of 4 NICs; up = ceil(4 / 1) = 4 per leaf; total 8 -> 1 spine (4 + 4 <= 8).
  //   oversubscription 2: down = floor(8 * 2 / 3) = 5, rails_per_leaf = 5 / 2 = 2 -> the same
  //   2 leaves of 4 NICs; up = ceil(4 / 2) = 2 per leaf; total 4 -> 1 spine.
  const Topology full = build_cluster(fabric(2, 4, 1, 8, 8, 1.0));
  const Topology half = build_cluster(fabric(2, 4, 1, 8, 8, 2.0));
  CHECK(count_named(full, "leaf") == 2u);
  CHECK(count_named(half, "leaf") == 2u);
  CHECK(count_named(full, "spine") == 1u);
  CHECK(count_named(half, "spine") == 1u);
  for (const char* leaf : {"leaf0", "leaf1"}) {
    const auto [ef, ff] = boost::edge(vertex_named(full, leaf), vertex_named(full, "spine0"), full.graph);
    const auto [eh, fh] = boost::edge(vertex_named(half, leaf), vertex_named(half, "spine0"), half.graph);
    REQUIRE(ff);
    REQUIRE(fh);
    // 4 uplinks * 50 GB/s = 200 GB/s against 2 * 50 = 100 GB/s.
    CHECK(full.graph[ef].ports == 4);
    CHECK(full.graph[ef].bandwidth.value() == Approx(200e9));
    CHECK(half.graph[eh].ports == 2);
    CHECK(half.graph[eh].bandwidth.value() == Approx(100e9));
    // Down:up = 4:4 and 4:2.
    CHECK(ports_used(full, vertex_named(full, leaf)) == 8);
    CHECK(ports_used(half, vertex_named(half, leaf)) == 6);
  }
  CHECK(check_topology(full).empty());
  CHECK(check_topology(half).empty());
}

TEST_CASE("rail fabric: one domain with scale-out still builds a leaf", "[topology]") {
  const Topology t = build_cluster(fabric(1, 8, 1, 64, 64, 1.0));
  // Down = 32 >= 1 domain; rails_per_leaf = 32 / 1 = 32 >= 8 rails: 1 leaf, no spine.
  CHECK(count_named(t, "leaf") == 1u);
  CHECK(count_named(t, "spine") == 0u);
  CHECK(count_kind(t, NodeKind::Nic) == 8u);
  CHECK(check_topology(t).empty());
}

TEST_CASE("rail fabric: the description names the fabric and the NIC count", "[topology]") {
  const Topology t = build_cluster(fabric(4, 8, 2, 16, 16, 1.0));
  // 4 x 8 GPUs; 112 vertices and 192 links as derived above; 4 + 8 + 4 = 16 switches.
  CHECK_THAT(t.description, Contains("4 x 8"));
  CHECK_THAT(t.description, Contains("112 vertices"));
  CHECK_THAT(t.description, Contains("16 switches"));
  CHECK_THAT(t.description, Contains("192 links"));
  CHECK_THAT(t.description, Contains("2 NIC(s) per GPU"));
}

// ---- structural problems -----------------------------------------------------------------------

TEST_CASE("check: zero bandwidth is reported on every such link", "[topology]") {
  ClusterParams p = mesh(4, 1);
  p.up.link_bandwidth = BytesPerSecond(0.0);
  const auto problems = check_topology(build_cluster(p));
  // 4 * 3 / 2 = 6 links, all at 0 B/s: 6 messages.
  const auto bw = problems_containing(problems, "bandwidth must be greater than zero");
  CHECK(bw.size() == 6u);
  CHECK(problems.size() == 6u);
}

TEST_CASE("check: zero host interface bandwidth is reported", "[topology]") {
  ClusterParams p = fabric(2, 4, 1, 64, 64, 1.0);
  p.out.host_interface_bandwidth = BytesPerSecond(0.0);
  const auto problems = check_topology(build_cluster(p));
  // 2 * 4 * 1 = 8 host interfaces.
  const auto bw = problems_containing(problems, "bandwidth must be greater than zero");
  CHECK(bw.size() == 8u);
  REQUIRE_FALSE(bw.empty());
  CHECK_THAT(bw[0], Contains("nic0"));
}

TEST_CASE("check: negative latency is reported", "[topology]") {
  ClusterParams p = mesh(3, 1);
  p.up.link_latency = Seconds(-1e-9);
  const auto problems = check_topology(build_cluster(p));
  // 3 * 2 / 2 = 3 links.
  CHECK(problems_containing(problems, "latency must not be negative").size() == 3u);
}

TEST_CASE("check: a topology without GPUs is reported", "[topology]") {
  const Topology t;
  const auto problems = check_topology(t);
  REQUIRE(problems.size() == 1u);
  CHECK_THAT(problems[0], Contains("no GPU"));
}

TEST_CASE("builders: impossible parameters throw", "[topology]") {
  ClusterParams none = mesh(8, 1);
  none.domains = 0;
  CHECK_THROWS_AS(build_cluster(none), Error);
  ClusterParams empty = mesh(8, 1);
  empty.up.gpus = 0;
  CHECK_THROWS_AS(build_cluster(empty), Error);
  ClusterParams trays = helios(12);
  trays.up.trays = 5;  // 72 % 5 = 2: not a whole number of GPUs per tray
  CHECK_THROWS_AS(build_cluster(trays), Error);
  // A 1-port leaf: down = floor(1 * 1 / 2) = 0 ports for NICs.
  CHECK_THROWS_WITH(build_cluster(fabric(2, 4, 1, 1, 8, 1.0)), Contains("no port left for NICs"));
}

// ---- the graph container -----------------------------------------------------------------------

TEST_CASE("graph: link ids are dense and link() returns the matching properties", "[topology]") {
  const Topology t = build_cluster(fabric(2, 4, 1, 8, 8, 1.0));
  REQUIRE(t.num_links() == boost::num_edges(t.graph));
  for (std::size_t id = 0; id < t.num_links(); ++id) {
    const LinkProps& l = t.link(static_cast<int>(id));
    CHECK(l.id == static_cast<int>(id));
    CHECK(l.end_a == t.edge_ends[id].first);
    CHECK(l.end_b == t.edge_ends[id].second);
    CHECK(boost::edge(l.end_a, l.end_b, t.graph).second);
  }
  CHECK_THROWS(t.link(static_cast<int>(t.num_links())));
}

TEST_CASE("graph: a copied topology keeps its links", "[topology]") {
  const Topology original = build_cluster(mesh(4, 1));
  const Topology copy = original;  // NOLINT(performance-unnecessary-copy-initialization)
  // 4 * 3 / 2 = 6 links, all reachable by id in the copy.
  REQUIRE(copy.num_links() == 6u);
  for (int id = 0; id < 6; ++id) CHECK(copy.link(id).id == id);
}

TEST_CASE("graph: kind names", "[topology]") {
  CHECK(to_string(NodeKind::Gpu) == "gpu");
  CHECK(to_string(NodeKind::Nic) == "nic");
  CHECK(to_string(NodeKind::Switch) == "switch");
  CHECK(to_string(LinkKind::ScaleUp) == "scale_up");
  CHECK(to_string(LinkKind::HostInterface) == "host_interface");
  CHECK(to_string(LinkKind::ScaleOut) == "scale_out");
}

// ---- three-tier fat tree -----------------------------------------------------------------------

namespace {

// 8 nodes of 2 GPUs, 1 NIC per GPU, 4-port leaves, spines and cores, non-blocking: the classic
// k = 4 fat tree. Derivation (builders.hpp):
//   leaf down = floor(4 * 1 / 2) = 2; 8 domains > 2, so each of the 2 rails gets ceil(8 / 2) = 4
//   leaves: leaf0..3 hold rail 0 of nodes 0-1, 2-3, 4-5, 6-7; leaf4..7 rail 1. 2 NICs and
//   ceil(2 / 1) = 2 uplinks per leaf.
//   spine down = floor(4 * 1 / 2) = 2 = leaves per pod: 8 / 2 = 4 pods (pod p = leaves 2p, 2p+1).
//   spines per pod: fewest s with sum ceil(2 / s) <= 2 over the pod's 2 leaves, from
//   ceil(4 / 2) = 2: s = 2, one port per leaf and spine. Each spine: 2 down, ceil(2 / 1) = 2 up.
//   core group j (spine j of the 4 pods, 2 uplinks each): fewest c with 4 * ceil(2 / c) <= 4,
//   from ceil(8 / 4) = 2: c = 2, one port per spine and core. 2 groups: core0, core1 | core2, core3.
ClusterParams three_tier(int planes = 1) {
  ClusterParams p = fabric(8, 2, planes, 4, 4, 1.0);
  p.out.planes = planes;
  p.out.tiers = 3;
  p.out.core_part = "core";
  p.out.core_ports = 4;
  p.out.core_latency = Seconds(500e-9);
  p.out.core_oversubscription = 1.0;
  return p;
}

}  // namespace

TEST_CASE("three-tier: a k=4 fat tree has 8 leaves, 4 pods of 2 spines and 4 cores", "[topology]") {
  const Topology t = build_cluster(three_tier());
  CHECK(count_named(t, "leaf") == 8u);
  CHECK(count_named(t, "pod") == 8u);  // 4 pods x 2 spines
  CHECK(has_vertex(t, "pod0.spine0"));
  CHECK(has_vertex(t, "pod3.spine1"));
  CHECK_FALSE(has_vertex(t, "pod4.spine0"));
  CHECK_FALSE(has_vertex(t, "pod0.spine2"));
  CHECK(count_named(t, "core") == 4u);
  CHECK(has_vertex(t, "core3"));
  // Switches: 8 domain switches + 8 leaves + 8 spines + 4 cores = 28.
  CHECK(count_kind(t, NodeKind::Switch) == 28u);
  // Vertices: 16 GPUs + 16 NICs + 28 switches = 60.
  CHECK(boost::num_vertices(t.graph) == 60u);
  // Links: 16 scale-up + 16 host interfaces + 16 NIC-leaf + 8 leaves x 2 spines + 8 spines x 2
  // cores = 80; scale-out: 16 + 16 + 16 = 48.
  CHECK(t.num_links() == 80u);
  CHECK(count_links(t, LinkKind::ScaleOut) == 48u);
  // Every fabric switch uses exactly its 4 ports: leaf 2 NICs + 2 up; spine 2 down + 2 up; core
  // one port per pod.
  for (const Vertex v : boost::make_iterator_range(boost::vertices(t.graph))) {
    const NodeProps& n = t.graph[v];
    if (n.kind != NodeKind::Switch || n.domain >= 0) continue;
    INFO(n.name);
    CHECK(ports_used(t, v) == 4);
    CHECK(boost::degree(v, t.graph) == 4u);
  }
  CHECK(t.graph[vertex_named(t, "core2")].latency.value() == 500e-9);
  CHECK(t.graph[vertex_named(t, "core2")].part == "core");
  CHECK(t.graph[vertex_named(t, "pod1.spine0")].part == "spine");
  CHECK(check_topology(t).empty());
  CHECK_THAT(t.description, Contains("three-tier"));
}

TEST_CASE("three-tier: spine j of every pod joins core group j", "[topology]") {
  const Topology t = build_cluster(three_tier());
  // Group 0 = core0, core1 (spine0 of each pod); group 1 = core2, core3 (spine1).
  auto neighbours = [&](const std::string& name) {
    std::set<std::string> out;
    const Vertex v = vertex_named(t, name);
    for (const Edge e : boost::make_iterator_range(boost::out_edges(v, t.graph)))
      out.insert(t.graph[boost::target(e, t.graph)].name);
    return out;
  };
  CHECK(neighbours("core0") == std::set<std::string>{"pod0.spine0", "pod1.spine0", "pod2.spine0", "pod3.spine0"});
  CHECK(neighbours("core3") == std::set<std::string>{"pod0.spine1", "pod1.spine1", "pod2.spine1", "pod3.spine1"});
  // Pod 1 = leaf2, leaf3; its spine 1 goes up to core2 and core3.
  CHECK(neighbours("pod1.spine1") == std::set<std::string>{"leaf2", "leaf3", "core2", "core3"});
}

TEST_CASE("three-tier: planes prefix pod spines and cores", "[topology]") {
  // 2 NICs per GPU in 2 planes: each plane is the k=4 fat tree above.
  const Topology t = build_cluster(three_tier(2));
  CHECK(count_named(t, "plane0.pod") == 8u);
  CHECK(count_named(t, "plane1.core") == 4u);
  CHECK(has_vertex(t, "plane1.pod3.spine1"));
  CHECK(has_vertex(t, "plane0.leaf7"));
  // 8 domain switches + 2 planes x (8 leaves + 8 spines + 4 cores) = 48 switches.
  CHECK(count_kind(t, NodeKind::Switch) == 48u);
  CHECK(check_topology(t).empty());
}

TEST_CASE("three-tier: core oversubscription 3 leaves one core port per 3 leaf ports", "[topology]") {
  // 8-port spines, oc = 3: down = floor(8 * 3 / 4) = 6 leaves per pod, up = ceil(down used / 3).
  // 16 nodes of 2 GPUs, 1 NIC, 4-port leaves: 2 NICs per leaf, 8 leaves per rail, 16 leaves,
  // 2 uplinks each. Pods: ceil(16 / 6) = 3 (6, 6, 4 leaves). Spines per pod: full pod,
  // sum ceil(2 / s) <= 6 from ceil(12 / 6) = 2: s = 2. A full pod's spine has 6 down ports and
  // ceil(6 / 3) = 2 up; the last pod's spines 4 down and ceil(4 / 3) = 2 up.
  // Core group: 3 spines x 2 uplinks = 6, 4-port cores: from ceil(6 / 4) = 2, 3 * 1 <= 4: 2
  // cores; 2 groups -> 4 cores.
  ClusterParams p = fabric(16, 2, 1, 4, 8, 1.0);
  p.out.tiers = 3;
  p.out.core_part = "core";
  p.out.core_ports = 4;
  p.out.core_oversubscription = 3.0;
  const Topology t = build_cluster(p);
  CHECK(count_named(t, "leaf") == 16u);
  CHECK(count_named(t, "pod") == 6u);
  CHECK(count_named(t, "core") == 4u);
  CHECK(ports_used(t, vertex_named(t, "pod0.spine0")) == 6 + 2);
  CHECK(ports_used(t, vertex_named(t, "pod2.spine1")) == 4 + 2);
  CHECK(ports_used(t, vertex_named(t, "core0")) == 3);
  CHECK(check_topology(t).empty());
}

TEST_CASE("three-tier: impossible parameters throw", "[topology]") {
  // More pods than a core has ports: 4 pods, 3-port cores.
  ClusterParams few = three_tier();
  few.out.core_ports = 3;
  CHECK_THROWS_WITH(build_cluster(few), Contains("4 pods") && Contains("at least 4 ports"));
  // A 1-port spine keeps floor(1 / 2) = 0 ports for leaves.
  ClusterParams tiny = three_tier();
  tiny.out.spine_ports = 1;
  CHECK_THROWS_WITH(build_cluster(tiny), Contains("no port left for leaves"));
  ClusterParams four = three_tier();
  four.out.tiers = 4;
  CHECK_THROWS_WITH(build_cluster(four), Contains("tiers must be 2"));
  ClusterParams under = three_tier();
  under.out.core_oversubscription = 0.5;
  CHECK_THROWS_AS(build_cluster(under), Error);
}

TEST_CASE("three-tier: one pod has no core tier", "[topology]") {
  // 2 nodes x 2 GPUs, 1 NIC, 4-port leaves: 2 rails, one leaf each (2 domains <= 2 down ports).
  // 2 leaves fit one pod (spine down = 2): spines but no core.
  ClusterParams p = three_tier();
  p.domains = 2;
  const Topology t = build_cluster(p);
  CHECK(count_named(t, "leaf") == 2u);
  CHECK(count_named(t, "pod0.spine") == 2u);
  CHECK(count_named(t, "core") == 0u);
  CHECK(check_topology(t).empty());
}

TEST_CASE("multipath: policy names", "[topology]") {
  CHECK(to_string(Multipath::Ecmp) == "ecmp");
  CHECK(to_string(Multipath::Spray) == "spray");
  CHECK(to_string(Multipath::Adaptive) == "adaptive");
}
