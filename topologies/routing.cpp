#include "topologies/routing.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <deque>
#include <limits>
#include <map>

namespace racksim {

namespace {

std::uint64_t mix(std::uint64_t x) {  // splitmix64 finaliser: a fixed, well-spread hash
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

bool may_transit(const NodeProps& n, int src_gpu, int dst_gpu) {
  if (n.kind == NodeKind::Switch) return true;
  if (n.kind == NodeKind::Nic) return n.gpu_index == src_gpu || n.gpu_index == dst_gpu;
  return false;
}

}  // namespace

std::vector<Route> compute_routes(const Topology& t, const std::vector<std::pair<int, int>>& pairs) {
  const Graph& g = t.graph;
  const std::size_t nv = boost::num_vertices(g);
  std::map<int, std::vector<std::size_t>> by_dst;
  for (std::size_t i = 0; i < pairs.size(); ++i) by_dst[pairs[i].second].push_back(i);
  std::vector<Route> routes(pairs.size());
  constexpr int inf = std::numeric_limits<int>::max();
  std::vector<int> dist(nv);
  std::deque<Vertex> queue;
  for (const auto& [dst_gpu, idxs] : by_dst) {
    const Vertex dst = t.gpus.at(static_cast<std::size_t>(dst_gpu));
    // Hop distances to dst. GPUs other than dst are never expanded. A NIC's transit rule
    // depends on the source too, so the search admits every NIC (a foreign NIC only leads to
    // its own GPU, which is not expanded) and the walk below refuses foreign NICs.
    std::fill(dist.begin(), dist.end(), inf);
    dist[dst] = 0;
    queue.assign(1, dst);
    while (!queue.empty()) {
      const Vertex x = queue.front();
      queue.pop_front();
      if (x != dst && g[x].kind == NodeKind::Gpu) continue;  // GPUs are never transit
      for (const Edge e : boost::make_iterator_range(boost::out_edges(x, g))) {
        const Vertex y = boost::target(e, g);
        if (dist[y] != inf) continue;
        dist[y] = dist[x] + 1;
        queue.push_back(y);
      }
    }
    for (const std::size_t i : idxs) {
      const int src_gpu = pairs[i].first;
      if (src_gpu == dst_gpu) throw Error(fmt::format("internal error: route from GPU {} to itself", src_gpu));
      Vertex cur = t.gpus.at(static_cast<std::size_t>(src_gpu));
      Route r;
      int hop = 0;
      while (cur != dst) {
        std::vector<std::pair<Edge, Vertex>> next;
        for (const Edge e : boost::make_iterator_range(boost::out_edges(cur, g))) {
          const Vertex y = boost::target(e, g);
          if (dist[y] == inf || dist[y] != dist[cur] - 1) continue;
          if (y != dst && !may_transit(g[y], src_gpu, dst_gpu)) continue;
          next.emplace_back(e, y);
        }
        if (next.empty() || dist[cur] == inf)
          throw Error(fmt::format("no route from {} to {}", g[t.gpus[static_cast<std::size_t>(src_gpu)]].name, g[dst].name));
        const std::uint64_t h = mix((static_cast<std::uint64_t>(src_gpu) << 40) ^ (static_cast<std::uint64_t>(dst_gpu) << 16) ^
                                    static_cast<std::uint64_t>(hop));
        const auto& [e, y] = next[h % next.size()];
        r.push_back(Hop{g[e].id, g[e].end_a == cur});
        cur = y;
        ++hop;
      }
      routes[i] = std::move(r);
    }
  }
  return routes;
}

}  // namespace racksim
