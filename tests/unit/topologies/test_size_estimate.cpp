// estimate_topology_size (topologies/size_estimate.hpp): the cluster graph's size counted from its
// parameters, against the graphs build_cluster really makes on small clusters, and on a cluster
// far too large to build. Expected counts are derived in comments from the builders' rules.
#include "topologies/builders.hpp"
#include "topologies/size_estimate.hpp"

#include <boost/range/iterator_range.hpp>

#include <catch2/catch.hpp>

#include <fmt/format.h>

using namespace racksim;

namespace {

// `domains` switched nodes of `gpus` GPUs, joined when `nics` > 0 by a rail fabric of 50 GB/s
// NICs with `leaf_ports`-port leaves and `spine_ports`-port spines.
ClusterParams cluster(int domains, int gpus, int nics, int leaf_ports, int spine_ports, double oversub, int tiers = 2) {
  ClusterParams p;
  p.domains = domains;
  p.up.kind = ScaleUpParams::Kind::Switched;
  p.up.gpus = gpus;
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
  p.out.nic_part = "nic";
  p.out.nic_line_rate = BytesPerSecond(50e9);
  p.out.host_interface_bandwidth = BytesPerSecond(64e9);
  p.out.cable_part = "dac";
  p.out.leaf_part = "leaf";
  p.out.leaf_ports = leaf_ports;
  p.out.spine_part = "spine";
  p.out.spine_ports = spine_ports;
  p.out.oversubscription = oversub;
  p.out.tiers = tiers;
  p.out.core_part = "core";
  p.out.core_ports = spine_ports;
  return p;
}

std::size_t switches_of(const Topology& t) {
  std::size_t n = 0;
  for (const Vertex v : boost::make_iterator_range(boost::vertices(t.graph)))
    if (t.graph[v].kind == NodeKind::Switch) ++n;
  return n;
}

}  // namespace

TEST_CASE("the size estimate of a cluster without scale-out is exact", "[topology][estimate]") {
  // 3 switched nodes of 4 GPUs: 12 GPUs, 3 switches, 12 links. A full mesh of 8: 28 links.
  const TopologySize z = estimate_topology_size(cluster(3, 4, 0, 64, 64, 1.0));
  CHECK(z.gpus == 12.0);
  CHECK(z.switches == 3.0);
  CHECK(z.links == 12.0);
  ClusterParams mesh = cluster(1, 8, 0, 64, 64, 1.0);
  mesh.up.kind = ScaleUpParams::Kind::FullMesh;
  const TopologySize m = estimate_topology_size(mesh);
  CHECK(m.links == 28.0);
  CHECK(m.switches == 0.0);
  CHECK(m.links == static_cast<double>(build_cluster(mesh).num_links()));
}

TEST_CASE("the size estimate of a rail fabric is exact up to the spines and close above", "[topology][estimate]") {
  struct Case {
    int domains, gpus, nics, leaf, spine;
    double oversub;
    int tiers;
  };
  // Whole rails per leaf (domains <= the leaf's down ports), rails cut into blocks, an
  // oversubscribed leaf tier, several NICs per GPU, and a three-tier fabric.
  for (const Case c : {Case{4, 8, 1, 64, 64, 1.0, 2}, Case{40, 4, 2, 32, 64, 1.0, 2}, Case{16, 8, 1, 16, 64, 3.0, 2},
                       Case{64, 2, 1, 8, 8, 1.0, 3}}) {
    const ClusterParams p = cluster(c.domains, c.gpus, c.nics, c.leaf, c.spine, c.oversub, c.tiers);
    const Topology t = build_cluster(p);
    const TopologySize z = estimate_topology_size(p);
    INFO(fmt::format("{} domains x {} GPUs, {} NICs, leaf {} spine {} ports, {}:1, {} tiers", c.domains, c.gpus, c.nics,
                     c.leaf, c.spine, c.oversub, c.tiers));
    CHECK(z.gpus == static_cast<double>(t.gpus.size()));
    CHECK(z.nics == static_cast<double>(t.gpus.size()) * c.nics);
    // The switch tiers above the leaves are a lower bound within a few switches and trunks.
    CHECK(z.vertices() <= static_cast<double>(boost::num_vertices(t.graph)));
    CHECK(z.vertices() >= 0.9 * static_cast<double>(boost::num_vertices(t.graph)));
    CHECK(z.links <= static_cast<double>(t.num_links()));
    CHECK(z.links >= 0.9 * static_cast<double>(t.num_links()));
    CHECK(z.switches <= static_cast<double>(switches_of(t)));
  }
}

TEST_CASE("the size of a cluster too large to build is counted at once", "[topology][estimate]") {
  // A million domains of 72 GPUs with 3 NICs each: 72 million GPUs, 216 million NICs, and per GPU
  // one scale-up link and per NIC a host-interface and a leaf link: at least 72 + 2 x 216 = 504
  // million links; finite, and no graph built.
  const TopologySize z = estimate_topology_size(cluster(1'000'000, 72, 3, 128, 128, 1.0, 3));
  CHECK(z.gpus == 72e6);
  CHECK(z.nics == 216e6);
  CHECK(z.links >= 504e6);
  CHECK(z.vertices() < 1e9);
}
