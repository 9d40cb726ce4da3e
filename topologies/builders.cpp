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

void build_rail_fabric(Topology& t, const ScaleOutParams& o, int domains, int gpus_per_domain) {
  const int rails = gpus_per_domain * o.nics_per_gpu;
  // NICs, one vertex each, attached to their GPU through the host interface.
  std::vector<std::vector<Vertex>> nic_of(static_cast<std::size_t>(domains));  // [domain][rail]
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
        nic_of[static_cast<std::size_t>(d)].push_back(nv);
      }
    }
  // Leaves. down = ports facing NICs, up = the rest, split by the oversubscription ratio.
  const int down = static_cast<int>(std::floor(o.leaf_ports * o.oversubscription / (1.0 + o.oversubscription)));
  if (down < 1) throw Error("leaf switch has no port left for NICs");
  struct LeafPlan { std::vector<std::pair<int, int>> members; };  // (domain, rail)
  std::vector<LeafPlan> plans;
  if (domains <= down) {
    const int rails_per_leaf = down / domains;
    for (int first = 0; first < rails; first += rails_per_leaf) {
      LeafPlan lp;
      for (int r = first; r < std::min(rails, first + rails_per_leaf); ++r)
        for (int d = 0; d < domains; ++d) lp.members.emplace_back(d, r);
      plans.push_back(std::move(lp));
    }
  } else {
    const int per_rail = ceil_div(domains, down);
    for (int r = 0; r < rails; ++r)
      for (int m = 0; m < per_rail; ++m) {
        LeafPlan lp;
        for (int d = m * down; d < std::min(domains, (m + 1) * down); ++d) lp.members.emplace_back(d, r);
        plans.push_back(std::move(lp));
      }
  }
  std::vector<Vertex> leaves;
  std::vector<int> up_used;
  for (std::size_t k = 0; k < plans.size(); ++k) {
    NodeProps sp;
    sp.kind = NodeKind::Switch;
    sp.name = fmt::format("leaf{}", k);
    sp.part = o.leaf_part;
    sp.ports = o.leaf_ports;
    sp.latency = o.leaf_latency;
    const Vertex lv = t.add_node(sp);
    leaves.push_back(lv);
    for (const auto& [d, r] : plans[k].members) {
      LinkProps l;
      l.kind = LinkKind::ScaleOut;
      l.bandwidth = o.nic_line_rate;
      l.latency = o.cable_latency;
      l.ports = 1;
      l.part = o.cable_part;
      t.add_link(nic_of[static_cast<std::size_t>(d)][static_cast<std::size_t>(r)], lv, l);
    }
    up_used.push_back(static_cast<int>(std::ceil(static_cast<double>(plans[k].members.size()) / o.oversubscription - 1e-9)));
  }
  if (leaves.size() < 2) return;  // one leaf joins everything: no spine tier
  // Spines: the fewest that give every leaf at least one port on each and fit their radix.
  int total_up = 0;
  for (int u : up_used) total_up += u;
  int spines = std::max(1, ceil_div(total_up, o.spine_ports));
  auto fits = [&](int s) {
    int per_spine = 0;
    for (int u : up_used) per_spine += ceil_div(u, s);
    return per_spine <= o.spine_ports;
  };
  while (!fits(spines) && spines < total_up) ++spines;
  std::vector<Vertex> spine_v;
  for (int s = 0; s < spines; ++s) {
    NodeProps sp;
    sp.kind = NodeKind::Switch;
    sp.name = fmt::format("spine{}", s);
    sp.part = o.spine_part;
    sp.ports = o.spine_ports;
    sp.latency = o.spine_latency;
    spine_v.push_back(t.add_node(sp));
  }
  // Each leaf spreads its uplinks evenly over the spines: a trunk per (leaf, spine) whose
  // bandwidth is its share of the uplinks (flow-level: a trunk is perfectly load balanced).
  for (std::size_t k = 0; k < leaves.size(); ++k)
    for (int s = 0; s < spines; ++s) {
      LinkProps l;
      l.kind = LinkKind::ScaleOut;
      l.bandwidth = o.nic_line_rate * (static_cast<double>(up_used[k]) / spines);
      l.latency = o.cable_latency;
      l.ports = ceil_div(up_used[k], spines);
      l.part = o.cable_part;
      t.add_link(leaves[k], spine_v[static_cast<std::size_t>(s)], l);
    }
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
  if (p.out.enabled) t.description += fmt::format(", rail-optimized leaf/spine scale-out, {} NIC(s) per GPU", p.out.nics_per_gpu);
  return t;
}

}  // namespace racksim
