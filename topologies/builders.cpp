#include "topologies/builders.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace racksim {

namespace {

int ceil_div(int a, int b) { return (a + b - 1) / b; }

void build_switched_domain(Topology& t, const ScaleUpParams& p, int d) {
  const int per_tray = p.gpus / p.trays;
  const std::string dom = fmt::format("{}{}", p.domain_label, d);
  NodeProps sw;
  sw.kind = NodeKind::Switch;
  sw.name = dom + ".switch";
  sw.part = p.switch_part;
  sw.domain = d;
  sw.ports = p.switch_ports;
  sw.latency = p.switch_latency;
  const Vertex s = t.add_node(sw);
  // A GPU link of bandwidth B on ports of speed b occupies ceil(B / b) ports (lanes).
  const int lanes = static_cast<int>(std::ceil(p.link_bandwidth / p.port_speed - 1e-9));
  for (int g = 0; g < p.gpus; ++g) {
    NodeProps gp;
    gp.kind = NodeKind::Gpu;
    gp.part = p.gpu_part;
    gp.domain = d;
    gp.name = p.trays > 1 ? fmt::format("{}.tray{}.gpu{}", dom, g / per_tray, g % per_tray)
                          : fmt::format("{}.gpu{}", dom, g);
    const Vertex v = t.add_node(gp);
    LinkProps l;
    l.kind = LinkKind::ScaleUp;
    l.bandwidth = p.link_bandwidth;
    l.latency = p.link_latency;
    l.ports = lanes;
    l.part = p.link_part;
    t.add_link(v, s, l);
  }
}

void build_full_mesh_domain(Topology& t, const ScaleUpParams& p, int d) {
  const std::string dom = fmt::format("{}{}", p.domain_label, d);
  std::vector<Vertex> vs;
  for (int g = 0; g < p.gpus; ++g) {
    NodeProps gp;
    gp.kind = NodeKind::Gpu;
    gp.part = p.gpu_part;
    gp.domain = d;
    gp.name = fmt::format("{}.gpu{}", dom, g);
    vs.push_back(t.add_node(gp));
  }
  for (int a = 0; a < p.gpus; ++a)
    for (int b = a + 1; b < p.gpus; ++b) {
      LinkProps l;
      l.kind = LinkKind::ScaleUp;
      l.bandwidth = p.link_bandwidth * static_cast<double>(p.links_per_pair);
      l.latency = p.link_latency;
      l.ports = p.links_per_pair;
      l.part = p.link_part;
      t.add_link(vs[a], vs[b], l);
    }
}

void build_rail_plane(Topology& t, const ScaleOutParams& o, const std::vector<std::vector<Vertex>>& rails,
                      int plane) {
  const int domains = static_cast<int>(rails.front().size());
  const int nrails = static_cast<int>(rails.size());
  const std::string prefix = o.planes > 1 ? fmt::format("plane{}.", plane) : std::string();
  // Leaves. down = ports facing NICs, up = the rest, split by the oversubscription ratio.
  const int down = static_cast<int>(std::floor(o.leaf_ports * o.oversubscription / (1.0 + o.oversubscription)));
  if (down < 1) throw Error("leaf switch has no port left for NICs");
  std::vector<std::vector<Vertex>> leaf_members;  // NICs under each leaf
  if (domains <= down) {
    const int rails_per_leaf = down / domains;
    for (int first = 0; first < nrails; first += rails_per_leaf) {
      std::vector<Vertex> m;
      for (int r = first; r < std::min(nrails, first + rails_per_leaf); ++r)
        for (int d = 0; d < domains; ++d) m.push_back(rails[static_cast<std::size_t>(r)][static_cast<std::size_t>(d)]);
      leaf_members.push_back(std::move(m));
    }
  } else {
    const int per_rail = ceil_div(domains, down);
    for (int r = 0; r < nrails; ++r)
      for (int k = 0; k < per_rail; ++k) {
        std::vector<Vertex> m;
        for (int d = k * down; d < std::min(domains, (k + 1) * down); ++d)
          m.push_back(rails[static_cast<std::size_t>(r)][static_cast<std::size_t>(d)]);
        leaf_members.push_back(std::move(m));
      }
  }
  std::vector<Vertex> leaves;
  std::vector<int> up_used;
  for (std::size_t k = 0; k < leaf_members.size(); ++k) {
    NodeProps sp;
    sp.kind = NodeKind::Switch;
    sp.name = fmt::format("{}leaf{}", prefix, k);
    sp.part = o.leaf_part;
    sp.ports = o.leaf_ports;
    sp.latency = o.leaf_latency;
    const Vertex lv = t.add_node(sp);
    leaves.push_back(lv);
    for (const Vertex nic : leaf_members[k]) {
      LinkProps l;
      l.kind = LinkKind::ScaleOut;
      l.bandwidth = o.nic_line_rate;
      l.latency = o.cable_latency;
      l.ports = 1;
      l.part = o.cable_part;
      t.add_link(nic, lv, l);
    }
    up_used.push_back(static_cast<int>(std::ceil(static_cast<double>(leaf_members[k].size()) / o.oversubscription - 1e-9)));
  }
  if (leaves.size() < 2) return;  // one leaf joins everything: no spine tier
  // Every leaf needs at least one port on every spine of its plane.
  if (static_cast<int>(leaves.size()) > o.spine_ports)
    throw Error(fmt::format("a two-tier plane with {} leaves needs spines with at least {} ports, but '{}' has {} at the "
                            "NIC line rate; use more planes (scale_out.planes), fewer NICs per GPU, or larger switches",
                            leaves.size(), leaves.size(), o.spine_part, o.spine_ports));
  // Spines: the fewest that fit. Leaf k splits its u_k uplinks over S spines as evenly as ports
  // allow: u_k / S ports to each, plus one more to the first u_k % S spines. Spine 0 gets the
  // most, sum_k ceil(u_k / S), which must fit its radix.
  int total_up = 0;
  int max_up = 1;
  for (int u : up_used) {
    total_up += u;
    max_up = std::max(max_up, u);
  }
  auto fits = [&](int s) {
    int spine0 = 0;
    for (int u : up_used) spine0 += ceil_div(u, s);
    return spine0 <= o.spine_ports;
  };
  int spines = std::max(1, ceil_div(total_up, o.spine_ports));
  while (spines <= max_up && !fits(spines)) ++spines;
  if (spines > max_up)
    throw Error(fmt::format("no spine count fits a two-tier plane of {} leaves with {}-port spines", leaves.size(),
                            o.spine_ports));
  std::vector<Vertex> spine_v;
  for (int s = 0; s < spines; ++s) {
    NodeProps sp;
    sp.kind = NodeKind::Switch;
    sp.name = fmt::format("{}spine{}", prefix, s);
    sp.part = o.spine_part;
    sp.ports = o.spine_ports;
    sp.latency = o.spine_latency;
    spine_v.push_back(t.add_node(sp));
  }
  // A trunk per (leaf, spine) with the ports above; flow-level, a trunk is perfectly balanced.
  for (std::size_t k = 0; k < leaves.size(); ++k)
    for (int s = 0; s < spines; ++s) {
      const int ports = up_used[k] / spines + (s < up_used[k] % spines ? 1 : 0);
      if (ports == 0) continue;  // fewer uplinks than spines: this leaf skips the last spines
      LinkProps l;
      l.kind = LinkKind::ScaleOut;
      l.bandwidth = o.nic_line_rate * static_cast<double>(ports);
      l.latency = o.cable_latency;
      l.ports = ports;
      l.part = o.cable_part;
      t.add_link(leaves[k], spine_v[static_cast<std::size_t>(s)], l);
    }
}

void build_rail_fabric(Topology& t, const ScaleOutParams& o, int domains, int gpus_per_domain) {
  if (o.planes < 1 || o.nics_per_gpu % o.planes != 0)
    throw Error(fmt::format("scale_out.planes ({}) must divide nics_per_gpu ({})", o.planes, o.nics_per_gpu));
  const int per_plane = o.nics_per_gpu / o.planes;  // NICs of one GPU in one plane
  // rails[plane][rail][domain] = NIC vertex.
  std::vector<std::vector<std::vector<Vertex>>> rails(
      static_cast<std::size_t>(o.planes),
      std::vector<std::vector<Vertex>>(static_cast<std::size_t>(gpus_per_domain * per_plane)));
  for (int d = 0; d < domains; ++d)
    for (int g = 0; g < gpus_per_domain; ++g) {
      const Vertex gv = t.gpus[static_cast<std::size_t>(d * gpus_per_domain + g)];
      for (int j = 0; j < o.nics_per_gpu; ++j) {
        NodeProps np;
        np.kind = NodeKind::Nic;
        np.name = fmt::format("{}.nic{}", t.graph[gv].name, j);
        np.part = o.nic_part;
        np.gpu_index = t.graph[gv].gpu_index;
        np.domain = d;
        np.latency = o.nic_latency;
        const Vertex nv = t.add_node(np);
        LinkProps l;
        l.kind = LinkKind::HostInterface;
        l.bandwidth = o.host_interface_bandwidth;
        l.latency = Seconds(0.0);
        l.ports = 0;
        l.part = "host_interface";
        t.add_link(gv, nv, l);
        const int plane = j % o.planes;
        const int rail = g * per_plane + j / o.planes;
        rails[static_cast<std::size_t>(plane)][static_cast<std::size_t>(rail)].push_back(nv);
      }
    }
  for (int p = 0; p < o.planes; ++p) build_rail_plane(t, o, rails[static_cast<std::size_t>(p)], p);
}

}  // namespace

Topology build_cluster(const ClusterParams& p) {
  if (p.domains < 1) throw Error("a cluster needs at least one domain");
  if (p.up.gpus < 1) throw Error("a domain needs at least one GPU");
  if (p.up.trays < 1 || p.up.gpus % p.up.trays != 0) throw Error("GPUs per domain must be a multiple of trays");
  Topology t;
  t.domains = p.domains;
  t.gpus_per_domain = p.up.gpus;
  for (int d = 0; d < p.domains; ++d) {
    if (p.up.kind == ScaleUpParams::Kind::Switched) build_switched_domain(t, p.up, d);
    else build_full_mesh_domain(t, p.up, d);
  }
  if (p.out.enabled) build_rail_fabric(t, p.out, p.domains, p.up.gpus);
  const std::size_t switches = static_cast<std::size_t>(
      std::count_if(boost::vertices(t.graph).first, boost::vertices(t.graph).second,
                    [&](Vertex v) { return t.graph[v].kind == NodeKind::Switch; }));
  t.description = fmt::format("{} x {} {} GPUs ({}), {} vertices ({} switches), {} links", p.domains, p.up.gpus,
                              p.up.gpu_part, p.up.kind == ScaleUpParams::Kind::Switched ? "switched scale-up" : "full-mesh scale-up",
                              boost::num_vertices(t.graph), switches, boost::num_edges(t.graph));
  if (p.out.enabled)
    t.description += fmt::format(", rail-optimized leaf/spine scale-out, {} NIC(s) per GPU in {} plane(s)", p.out.nics_per_gpu,
                                 p.out.planes);
  return t;
}

}  // namespace racksim
