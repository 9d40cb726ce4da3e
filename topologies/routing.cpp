#include "topologies/routing.hpp"
#include "core/text.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
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
  for (const auto& dst_entry : by_dst) {
    // Named references, not a structured binding: a lambda below uses them, which C++17 allows
    // for variables only (clang refuses to capture a binding; the fuzz build uses clang).
    const auto& dst_gpu = dst_entry.first;
    const auto& idxs = dst_entry.second;
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

// ---- multipath splits ----------------------------------------------------------------------------

namespace {

constexpr int kInf = std::numeric_limits<int>::max();

// One incidence of a vertex, in boost::out_edges order (the order compute_routes sees).
struct Adj {
  Vertex to;
  int edge;
  bool forward;  // leaving this vertex is end_a -> end_b
};

// Flat adjacency of the alive graph, built once per call: all incidences (for the walks from a
// source) and, separately, the incidences that lead to a switch (for the per-destination search,
// which never needs to look at the thousands of NIC cables under a leaf).
struct Adjacency {
  std::vector<std::size_t> all_begin;
  std::vector<Adj> all;
  std::vector<std::size_t> sw_begin;
  std::vector<Adj> sw;

  Adjacency(const Graph& g, const std::vector<char>& alive) {
    const std::size_t nv = boost::num_vertices(g);
    all_begin.assign(nv + 1, 0);
    sw_begin.assign(nv + 1, 0);
    for (std::size_t v = 0; v < nv; ++v) {
      all_begin[v] = all.size();
      sw_begin[v] = sw.size();
      for (const Edge e : boost::make_iterator_range(boost::out_edges(v, g))) {
        const LinkProps& l = g[e];
        if (!alive[static_cast<std::size_t>(l.id)]) continue;
        const Adj a{boost::target(e, g), l.id, l.end_a == v};
        all.push_back(a);
        if (g[a.to].kind == NodeKind::Switch) sw.push_back(a);
      }
    }
    all_begin[nv] = all.size();
    sw_begin[nv] = sw.size();
  }
  [[nodiscard]] const Adj* all_of(Vertex v) const { return all.data() + all_begin[v]; }
  [[nodiscard]] const Adj* all_end(Vertex v) const { return all.data() + all_begin[v + 1]; }
  [[nodiscard]] const Adj* sw_of(Vertex v) const { return sw.data() + sw_begin[v]; }
  [[nodiscard]] const Adj* sw_end(Vertex v) const { return sw.data() + sw_begin[v + 1]; }
};

std::uint64_t ecmp_hash(int src_gpu, int dst_gpu, int hop, std::uint64_t seed) {
  // compute_routes' key; a non-zero seed is mixed in, seed 0 leaves the hash exactly as it was.
  std::uint64_t key = (static_cast<std::uint64_t>(src_gpu) << 40) ^ (static_cast<std::uint64_t>(dst_gpu) << 16) ^
                      static_cast<std::uint64_t>(hop);
  if (seed != 0) key ^= mix(seed ^ 0x5eedULL);
  return mix(key);
}

}  // namespace

std::vector<FlowSplit> compute_splits(const Topology& t, const std::vector<std::pair<int, int>>& pairs, Multipath policy,
                                      std::uint64_t ecmp_seed, const std::vector<double>& edge_scale) {
  const Graph& g = t.graph;
  const std::size_t nv = boost::num_vertices(g);
  if (!edge_scale.empty() && edge_scale.size() != t.num_links())
    throw Error(fmt::format("internal error: {} edge scales for {} links", edge_scale.size(), t.num_links()));
  std::vector<char> alive(t.num_links(), 1);
  bool any_down = false;
  for (std::size_t i = 0; i < edge_scale.size(); ++i)
    if (!(edge_scale[i] > 0.0)) {
      alive[i] = 0;
      any_down = true;
    }
  // Adaptive shares: bandwidth x edge_scale by edge id (Topology::link() scans, so look up once).
  std::vector<double> capacity(t.num_links(), 0.0);
  for (const Edge e : boost::make_iterator_range(boost::edges(g))) {
    const auto id = static_cast<std::size_t>(g[e].id);
    capacity[id] = g[e].bandwidth.value() * (edge_scale.empty() ? 1.0 : edge_scale[id]);
  }
  const Adjacency adj(g, alive);
  const auto ngpus = static_cast<int>(t.gpus.size());

  std::map<int, std::vector<std::size_t>> by_dst;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const auto [s, d] = pairs[i];
    if (s < 0 || s >= ngpus || d < 0 || d >= ngpus)
      throw Error(fmt::format("internal error: pair ({}, {}) names a GPU outside 0..{}", s, d, ngpus - 1));
    if (s == d) throw Error(fmt::format("internal error: route from GPU {} to itself", s));
    by_dst[d].push_back(i);
  }
  std::vector<FlowSplit> splits(pairs.size());
  // dist: fewest alive hops to the destination through switches and the destination's NICs only
  // (the vertices any flow to it may cross). A source's own NICs are added per flow (src_nic):
  // a shortest path can cross them only as its second vertex, so they never shorten another
  // vertex's distance. Reset through `touched`, so one destination costs only what it reaches.
  std::vector<int> dist(nv, kInf);
  std::vector<Vertex> touched;
  std::vector<Vertex> queue;
  std::vector<std::pair<Vertex, int>> src_nic;
  std::vector<double> frac(nv, 0.0);
  std::vector<Vertex> layer;
  std::vector<Vertex> next_layer;
  std::vector<const Adj*> cand;

  for (const auto& dst_entry : by_dst) {
    // Named references, not a structured binding: a lambda below uses them, which C++17 allows
    // for variables only (clang refuses to capture a binding; the fuzz build uses clang).
    const auto& dst_gpu = dst_entry.first;
    const auto& idxs = dst_entry.second;
    const Vertex dst = t.gpus[static_cast<std::size_t>(dst_gpu)];
    for (const Vertex v : touched) dist[v] = kInf;
    touched.clear();
    queue.clear();
    dist[dst] = 0;
    touched.push_back(dst);
    for (const Adj* a = adj.all_of(dst); a != adj.all_end(dst); ++a) {
      const NodeProps& n = g[a->to];
      const bool own_nic = n.kind == NodeKind::Nic && n.gpu_index == dst_gpu;
      if ((n.kind == NodeKind::Switch || own_nic) && dist[a->to] == kInf) {
        dist[a->to] = 1;
        touched.push_back(a->to);
        queue.push_back(a->to);
      }
    }
    // Layer by layer, and only as far as this destination's sources need: once every source
    // has a neighbour (through its own NICs or directly) at a known distance and the layer is
    // complete, every vertex of their shortest paths is known (a path's vertices are no farther
    // than that neighbour). On a 131,072-GPU fabric this is the difference between visiting a
    // leaf and visiting every switch, per destination.
    auto sources_reached = [&] {
      for (const std::size_t i : idxs) {
        const int src_gpu = pairs[i].first;
        const Vertex src = t.gpus[static_cast<std::size_t>(src_gpu)];
        bool found = false;
        for (const Adj* a = adj.all_of(src); a != adj.all_end(src) && !found; ++a) {
          const NodeProps& n = g[a->to];
          if (n.kind == NodeKind::Nic && n.gpu_index == src_gpu) {
            for (const Adj* b = adj.all_of(a->to); b != adj.all_end(a->to) && !found; ++b)
              found = b->to != src && dist[b->to] != kInf;
          } else {
            found = dist[a->to] != kInf;
          }
        }
        if (!found) return false;
      }
      return true;
    };
    for (std::size_t qi = 0; qi < queue.size();) {
      if (sources_reached()) break;  // queue[qi..] is one whole layer: all nearer vertices are known
      const std::size_t layer_end = queue.size();
      for (; qi < layer_end; ++qi) {
        const Vertex x = queue[qi];
        for (const Adj* a = adj.sw_of(x); a != adj.sw_end(x); ++a) {
          if (dist[a->to] != kInf) continue;
          dist[a->to] = dist[x] + 1;
          touched.push_back(a->to);
          queue.push_back(a->to);
        }
      }
    }

    for (const std::size_t i : idxs) {
      const int src_gpu = pairs[i].first;
      const Vertex src = t.gpus[static_cast<std::size_t>(src_gpu)];
      // The source's NICs, then the source itself.
      src_nic.clear();
      int dsrc = kInf;
      for (const Adj* a = adj.all_of(src); a != adj.all_end(src); ++a) {
        const NodeProps& n = g[a->to];
        if (n.kind == NodeKind::Nic && n.gpu_index == src_gpu) {
          int best = kInf;
          for (const Adj* b = adj.all_of(a->to); b != adj.all_end(a->to); ++b)
            if (b->to != src && dist[b->to] != kInf) best = std::min(best, dist[b->to] + 1);
          src_nic.emplace_back(a->to, best);
          if (best != kInf) dsrc = std::min(dsrc, best + 1);
        } else if (dist[a->to] != kInf) {
          dsrc = std::min(dsrc, dist[a->to] + 1);
        }
      }
      auto dist_of = [&](Vertex v) {
        if (v == src) return dsrc;
        if (dist[v] != kInf) return dist[v];
        for (const auto& [n, d] : src_nic)
          if (n == v) return d;
        return kInf;
      };
      auto no_route = [&] {
        return Error(fmt::format("no route from {} to {}{}", g[src].name, g[dst].name,
                                 any_down ? ": every path crosses a link that is down" : ""));
      };
      if (dsrc == kInf) throw no_route();
      // The next hops of x on the shortest-path DAG, in out_edges order.
      auto next_hops = [&](Vertex x) {
        cand.clear();
        const int want = dist_of(x) - 1;
        for (const Adj* a = adj.all_of(x); a != adj.all_end(x); ++a)
          if (dist_of(a->to) == want) cand.push_back(a);
        if (cand.empty()) throw no_route();
      };
      FlowSplit& f = splits[i];
      f.src = src_gpu;
      f.dst = dst_gpu;
      f.hops_per_path = dsrc;
      if (policy == Multipath::Ecmp) {
        Vertex cur = src;
        for (int hop = 0; cur != dst; ++hop) {
          next_hops(cur);
          const Adj* a = cand[ecmp_hash(src_gpu, dst_gpu, hop, ecmp_seed) % cand.size()];
          f.hops.push_back(WeightedHop{a->edge, a->forward, 1.0});
          cur = a->to;
        }
        continue;
      }
      // Spray / adaptive: push the flow's fractions layer by layer from the source.
      layer.assign(1, src);
      frac[src] = 1.0;
      while (!(layer.size() == 1 && layer[0] == dst)) {
        next_layer.clear();
        const std::size_t first = f.hops.size();
        for (const Vertex x : layer) {
          next_hops(x);
          double total = 0.0;
          for (const Adj* a : cand)
            total += policy == Multipath::Spray ? 1.0 : capacity[static_cast<std::size_t>(a->edge)];
          for (const Adj* a : cand) {
            const double share = policy == Multipath::Spray ? 1.0 : capacity[static_cast<std::size_t>(a->edge)];
            const double w = frac[x] * share / total;
            if (frac[a->to] == 0.0) next_layer.push_back(a->to);
            frac[a->to] += w;
            f.hops.push_back(WeightedHop{a->edge, a->forward, w});
          }
          frac[x] = 0.0;
        }
        std::sort(f.hops.begin() + static_cast<std::ptrdiff_t>(first), f.hops.end(),
                  [](const WeightedHop& a, const WeightedHop& b) { return a.edge < b.edge; });
        layer.swap(next_layer);
      }
      frac[dst] = 0.0;
    }
  }
  return splits;
}

namespace {

// path_latency over a link lookup: Topology::link() scans a vertex's edges, so many splits
// share one table (path_latencies).
template <class LinkOf>
Seconds slowest_path(const Topology& t, const FlowSplit& split, const LinkOf& link_of, std::vector<double>& at,
                     std::vector<Vertex>& seen) {
  // at[v]: slowest arrival at v (-1: not reached); reset through `seen` before returning.
  const Graph& g = t.graph;
  const Vertex src = t.gpus.at(static_cast<std::size_t>(split.src));
  const Vertex dst = t.gpus.at(static_cast<std::size_t>(split.dst));
  at[src] = 0.0;
  seen.assign(1, src);
  bool ordered = true;
  for (const WeightedHop& h : split.hops) {
    const LinkProps& l = link_of(h.edge);
    const Vertex from = h.forward ? l.end_a : l.end_b;
    const Vertex to = h.forward ? l.end_b : l.end_a;
    if (at[from] < 0.0) {
      ordered = false;
      break;
    }
    const NodeKind k = g[to].kind;
    const double vertex = (k == NodeKind::Switch || k == NodeKind::Nic) ? g[to].latency.value() : 0.0;
    const double arrive = at[from] + l.latency.value() + vertex;
    if (at[to] < 0.0) seen.push_back(to);
    at[to] = std::max(at[to], arrive);
  }
  const double result = at[dst];
  for (const Vertex v : seen) at[v] = -1.0;
  if (!ordered) throw Error("internal error: a flow split's hops are not ordered from its source");
  if (result < 0.0) throw Error("internal error: a flow split does not reach its destination");
  return Seconds(result);
}

}  // namespace

Seconds path_latency(const Topology& t, const FlowSplit& split) {
  std::vector<double> at(boost::num_vertices(t.graph), -1.0);
  std::vector<Vertex> seen;
  return slowest_path(t, split, [&](int id) -> const LinkProps& { return t.link(id); }, at, seen);
}

std::vector<Seconds> path_latencies(const Topology& t, const std::vector<FlowSplit>& splits) {
  std::vector<const LinkProps*> by_id(t.num_links(), nullptr);
  for (const Edge e : boost::make_iterator_range(boost::edges(t.graph)))
    by_id[static_cast<std::size_t>(t.graph[e].id)] = &t.graph[e];
  std::vector<double> at(boost::num_vertices(t.graph), -1.0);
  std::vector<Vertex> seen;
  std::vector<Seconds> out;
  out.reserve(splits.size());
  for (const FlowSplit& f : splits)
    out.push_back(slowest_path(
        t, f, [&](int id) -> const LinkProps& { return *by_id.at(static_cast<std::size_t>(id)); }, at, seen));
  return out;
}

// ---- faults ----------------------------------------------------------------------------------------

namespace {


Vertex vertex_named(const Topology& t, const std::string& name) {
  const Graph& g = t.graph;
  for (const Vertex v : boost::make_iterator_range(boost::vertices(g)))
    if (g[v].name == name) return v;
  // Unknown: suggest the closest names (fewest edits, then longest common prefix, then by name).
  struct Near {
    std::size_t edits;
    std::size_t prefix;
    const std::string* name;
  };
  std::vector<Near> near;
  for (const Vertex v : boost::make_iterator_range(boost::vertices(g))) {
    const std::string& n = g[v].name;
    std::size_t p = 0;
    while (p < n.size() && p < name.size() && n[p] == name[p]) ++p;
    near.push_back(Near{edit_distance(name, n), p, &n});
  }
  const std::size_t k = std::min<std::size_t>(3, near.size());
  std::partial_sort(near.begin(), near.begin() + static_cast<std::ptrdiff_t>(k), near.end(),
                    [](const Near& a, const Near& b) {
                      if (a.edits != b.edits) return a.edits < b.edits;
                      if (a.prefix != b.prefix) return a.prefix > b.prefix;
                      return *a.name < *b.name;
                    });
  std::string list;
  for (std::size_t i = 0; i < k; ++i) list += fmt::format("{}'{}'", i ? ", " : "", *near[i].name);
  throw Error(fmt::format("fault: no node named '{}' in the topology{}", name,
                          k ? fmt::format("; closest names: {}", list) : std::string()));
}

}  // namespace

std::vector<int> fault_edges(const Topology& t, const std::string& a, const std::string& b) {
  const Graph& g = t.graph;
  const Vertex va = vertex_named(t, a);
  std::vector<int> ids;
  if (b.empty()) {
    if (g[va].kind != NodeKind::Switch)
      throw Error(fmt::format("fault: '{}' is a {}, not a switch; name both ends of a link to fail one link", a,
                              to_string(g[va].kind)));
    for (const Edge e : boost::make_iterator_range(boost::out_edges(va, g))) ids.push_back(g[e].id);
  } else {
    const Vertex vb = vertex_named(t, b);
    for (const Edge e : boost::make_iterator_range(boost::out_edges(va, g)))
      if (boost::target(e, g) == vb) ids.push_back(g[e].id);
    if (ids.empty()) throw Error(fmt::format("fault: there is no link between '{}' and '{}'", a, b));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace racksim
