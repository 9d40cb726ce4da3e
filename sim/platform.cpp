#include "sim/platform.hpp"

#include "topologies/routing.hpp"

#include <algorithm>

namespace racksim {

std::vector<std::pair<int, int>> communicating_pairs(const Workload& w) {
  std::vector<std::pair<int, int>> pairs;
  for (int r = 0; r < w.ranks; ++r) {
    for (const Op& op : w.programs[static_cast<std::size_t>(r)]) {
      if (op.kind == OpKind::Send) pairs.emplace_back(r, op.peer);
      if (op.kind != OpKind::Collective) continue;
      const Group& g = w.groups[static_cast<std::size_t>(op.group)];
      const int n = static_cast<int>(g.ranks.size());
      if (n < 2) continue;
      const int p = g.position[static_cast<std::size_t>(r)];
      if (op.algorithm == CollectiveAlgorithm::Ring) {
        pairs.emplace_back(r, g.ranks[static_cast<std::size_t>((p + 1) % n)]);
      } else {
        for (const int q : g.ranks)
          if (q != r) pairs.emplace_back(r, q);
      }
    }
  }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  return pairs;
}

PlatformSpec emit_platform(const Topology& t, const std::vector<std::pair<int, int>>& pairs, double hbm_bandwidth) {
  const Graph& g = t.graph;
  PlatformSpec p;
  for (const Vertex v : t.gpus) p.hosts.push_back({g[v].name, hbm_bandwidth});
  const std::vector<Route> routes = compute_routes(t, pairs);
  // Directed link 2*id is end_a->end_b, 2*id+1 is end_b->end_a; emit only those used.
  std::vector<int> emitted(2 * t.num_links(), -1);
  auto half_latency = [&](Vertex v) {
    const NodeProps& n = g[v];
    return (n.kind == NodeKind::Switch || n.kind == NodeKind::Nic) ? n.latency.value() / 2.0 : 0.0;
  };
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    PlatformSpec::Route r;
    r.src = pairs[i].first;
    r.dst = pairs[i].second;
    for (const Hop& h : routes[i]) {
      const std::size_t key = 2 * static_cast<std::size_t>(h.edge) + (h.forward ? 0 : 1);
      if (emitted[key] < 0) {
        const LinkProps& lp = t.link(h.edge);
        const Vertex from = h.forward ? lp.end_a : lp.end_b;
        const Vertex to = h.forward ? lp.end_b : lp.end_a;
        PlatformSpec::Link l;
        l.name = g[from].name + "->" + g[to].name;
        l.bandwidth = lp.bandwidth.value();
        l.latency = lp.latency.value() + half_latency(from) + half_latency(to);
        emitted[key] = static_cast<int>(p.links.size());
        p.links.push_back(std::move(l));
      }
      r.links.push_back(emitted[key]);
    }
    p.routes.push_back(std::move(r));
  }
  return p;
}

}  // namespace racksim
