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

// Ports of lower switch k's trunk to upper switch s when its u uplinks are split over `uppers`
// switches as evenly as ports allow: u / uppers each, one more to the first u % uppers.
int trunk_ports(int u, int uppers, int s) { return u / uppers + (s < u % uppers ? 1 : 0); }

// The fewest upper switches (of `ports` ports) that take every lower switch's uplinks `up`,
// split as trunk_ports() does: start from ceil(total / ports); upper switch 0 gets the most,
// sum_k ceil(u_k / s), which must fit its radix. -1 if no count up to the largest u fits.
int fewest_uppers(const std::vector<int>& up, int ports) {
  int total_up = 0;
  int max_up = 1;
  for (int u : up) {
    total_up += u;
    max_up = std::max(max_up, u);
  }
  auto fits = [&](int s) {
    int upper0 = 0;
    for (int u : up) upper0 += ceil_div(u, s);
    return upper0 <= ports;
  };
  int s = std::max(1, ceil_div(total_up, ports));
  while (s <= max_up && !fits(s)) ++s;
  return s > max_up ? -1 : s;
}

// A trunk per (lower, upper) with trunk_ports() ports; flow-level, a trunk is perfectly balanced.
// The `up` uplinks are split over `spread` uppers (default: all of `uppers`); when `uppers` holds
// only the first of them (a pod whose last spines no leaf reaches), the rest get no trunk.
void add_trunks(Topology& t, const ScaleOutParams& o, Vertex lower, int up, const std::vector<Vertex>& uppers,
                int spread = 0) {
  const auto n = static_cast<int>(uppers.size());
  if (spread <= 0) spread = n;
  for (int s = 0; s < n; ++s) {
    const int ports = trunk_ports(up, spread, s);
    if (ports == 0) continue;  // fewer uplinks than uppers: this switch skips the last ones
    LinkProps l;
    l.kind = LinkKind::ScaleOut;
    l.bandwidth = o.nic_line_rate * static_cast<double>(ports);
    l.latency = o.cable_latency;
    l.ports = ports;
    l.part = o.cable_part;
    t.add_link(lower, uppers[static_cast<std::size_t>(s)], l);
  }
}

// Three tiers (builders.hpp, docs/fabrics.md): pods of `pod` consecutive leaves, where `pod` is a
// spine's down ports; S spines per pod (the fewest that take every pod's leaf uplinks, the same
// in every pod); spine j of every pod joins core group j, whose cores are the fewest that take
// those spines' uplinks.
void build_pods_and_core(Topology& t, const ScaleOutParams& o, const std::vector<Vertex>& leaves,
                         const std::vector<int>& up_used, const std::string& prefix) {
  const double oc = o.core_oversubscription;
  const int sdown = static_cast<int>(std::floor(o.spine_ports * oc / (1.0 + oc)));
  if (sdown < 1 || o.spine_ports - sdown < 1)
    throw Error(fmt::format("a three-tier spine '{}' with {} ports at the NIC line rate and core_oversubscription {} has "
                            "no port left for {}; use larger spine switches",
                            o.spine_part, o.spine_ports, oc, sdown < 1 ? "leaves" : "cores"));
  const int nleaves = static_cast<int>(leaves.size());
  const int pod = sdown;
  const int npods = ceil_div(nleaves, pod);
  if (npods > 1 && npods > o.core_ports)
    throw Error(fmt::format("a three-tier plane with {} pods ({} leaves, {} per pod) needs cores with at least {} ports, "
                            "but '{}' has {} at the NIC line rate; use more planes (scale_out.planes), larger spines or "
                            "larger cores",
                            npods, nleaves, pod, npods, o.core_part, o.core_ports));
  // Spines per pod: the fewest that fit every pod (a pod never has more leaves than a spine has
  // down ports, so the largest uplink count always fits).
  int spines = 1;
  for (int p = 0; p < npods; ++p) {
    const std::vector<int> up(up_used.begin() + p * pod, up_used.begin() + std::min(nleaves, (p + 1) * pod));
    const int fit = fewest_uppers(up, sdown);
    if (fit < 0) throw Error(fmt::format("internal error: no spine count fits pod {} of a three-tier plane", p));
    spines = std::max(spines, fit);
  }
  // spine_v[j][p]: spine j of pod p (absent when no leaf of the pod reaches it); its uplinks.
  std::vector<std::vector<Vertex>> group(static_cast<std::size_t>(spines));
  std::vector<std::vector<int>> group_up(static_cast<std::size_t>(spines));
  for (int p = 0; p < npods; ++p) {
    const int first = p * pod;
    const int last = std::min(nleaves, first + pod);
    std::vector<Vertex> pod_spines;
    for (int s = 0; s < spines; ++s) {
      int down = 0;
      for (int k = first; k < last; ++k) down += trunk_ports(up_used[static_cast<std::size_t>(k)], spines, s);
      if (down == 0) break;  // trunk_ports() only drops the last spines
      NodeProps sp;
      sp.kind = NodeKind::Switch;
      sp.name = fmt::format("{}pod{}.spine{}", prefix, p, s);
      sp.part = o.spine_part;
      sp.ports = o.spine_ports;
      sp.latency = o.spine_latency;
      const Vertex v = t.add_node(sp);
      pod_spines.push_back(v);
      group[static_cast<std::size_t>(s)].push_back(v);
      group_up[static_cast<std::size_t>(s)].push_back(static_cast<int>(std::ceil(down / oc - 1e-9)));
    }
    // Trunks are split over all `spines` (a pod may lack the last ones only if no leaf reaches them).
    for (int k = first; k < last; ++k)
      add_trunks(t, o, leaves[static_cast<std::size_t>(k)], up_used[static_cast<std::size_t>(k)], pod_spines, spines);
  }
  if (npods < 2) return;  // one pod joins every leaf: no core tier
  int next_core = 0;
  for (int j = 0; j < spines; ++j) {
    const auto& members = group[static_cast<std::size_t>(j)];
    if (members.size() < 2) continue;  // spine j exists in one pod only: nothing to join
    const int cores = fewest_uppers(group_up[static_cast<std::size_t>(j)], o.core_ports);
    if (cores < 0)
      throw Error(fmt::format("no core count fits core group {} of a three-tier plane ({} spines with {}-port cores)", j,
                              members.size(), o.core_ports));
    std::vector<Vertex> core_v;
    for (int c = 0; c < cores; ++c) {
      NodeProps cp;
      cp.kind = NodeKind::Switch;
      cp.name = fmt::format("{}core{}", prefix, next_core++);
      cp.part = o.core_part;
      cp.ports = o.core_ports;
      cp.latency = o.core_latency;
      core_v.push_back(t.add_node(cp));
    }
    for (std::size_t m = 0; m < members.size(); ++m) add_trunks(t, o, members[m], group_up[static_cast<std::size_t>(j)][m], core_v);
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
  if (o.tiers == 3) {
    build_pods_and_core(t, o, leaves, up_used, prefix);
    return;
  }
  // Every leaf needs at least one port on every spine of its plane.
  if (static_cast<int>(leaves.size()) > o.spine_ports)
    throw Error(fmt::format("a two-tier plane with {} leaves needs spines with at least {} ports, but '{}' has {} at the "
                            "NIC line rate; use more planes (scale_out.planes), fewer NICs per GPU, or larger switches",
                            leaves.size(), leaves.size(), o.spine_part, o.spine_ports));
  const int spines = fewest_uppers(up_used, o.spine_ports);
  if (spines < 0)
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
  for (std::size_t k = 0; k < leaves.size(); ++k) add_trunks(t, o, leaves[k], up_used[k], spine_v);
}

void build_rail_fabric(Topology& t, const ScaleOutParams& o, int domains, int gpus_per_domain) {
  if (o.tiers != 2 && o.tiers != 3)
    throw Error(fmt::format("scale_out.tiers must be 2 (leaf/spine) or 3 (leaf/spine/core), not {}", o.tiers));
  if (o.tiers == 3 && !(o.core_oversubscription >= 1.0))
    throw Error(fmt::format("scale_out.core_oversubscription must be at least 1, not {}", o.core_oversubscription));
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

std::string to_string(Multipath m) {
  switch (m) {
    case Multipath::Ecmp: return "ecmp";
    case Multipath::Spray: return "spray";
    case Multipath::Adaptive: return "adaptive";
  }
  return "?";
}

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
    t.description += fmt::format(", rail-optimized {} scale-out, {} NIC(s) per GPU in {} plane(s)",
                                 p.out.tiers == 3 ? "three-tier leaf/spine/core" : "leaf/spine", p.out.nics_per_gpu,
                                 p.out.planes);
  return t;
}

}  // namespace racksim
