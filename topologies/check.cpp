#include "topologies/check.hpp"

#include <boost/graph/connected_components.hpp>
#include <fmt/format.h>

namespace racksim {

std::vector<std::string> check_topology(const Topology& t) {
  std::vector<std::string> problems;
  const Graph& g = t.graph;
  if (t.gpus.empty()) problems.emplace_back("the topology has no GPU");
  for (const Edge e : boost::make_iterator_range(boost::edges(g))) {
    const LinkProps& l = g[e];
    const std::string where = fmt::format("link {} -- {}", g[boost::source(e, g)].name, g[boost::target(e, g)].name);
    if (!(l.bandwidth.value() > 0.0)) problems.push_back(where + ": bandwidth must be greater than zero");
    if (l.latency.value() < 0.0) problems.push_back(where + ": latency must not be negative");
  }
  if (boost::num_vertices(g) > 0) {
    std::vector<int> comp(boost::num_vertices(g));
    const int n = boost::connected_components(g, comp.data());
    if (n > 1) {
      // Name one vertex of each of the first components so the user can see what is cut off.
      std::vector<std::string> example(static_cast<std::size_t>(n));
      for (const Vertex v : boost::make_iterator_range(boost::vertices(g)))
        if (example[static_cast<std::size_t>(comp[v])].empty()) example[static_cast<std::size_t>(comp[v])] = g[v].name;
      std::string list;
      for (std::size_t i = 0; i < example.size() && i < 4; ++i) list += (i ? ", " : "") + example[i];
      problems.push_back(fmt::format(
          "the topology is disconnected: {} separate parts (containing {}{}); join the domains with a scale_out fabric",
          n, list, n > 4 ? ", ..." : ""));
    }
  }
  for (const Vertex v : boost::make_iterator_range(boost::vertices(g))) {
    if (g[v].kind != NodeKind::Switch) continue;
    int used = 0;
    for (const Edge e : boost::make_iterator_range(boost::out_edges(v, g))) used += g[e].ports;
    if (used > g[v].ports)
      problems.push_back(fmt::format("switch {} ({}) needs {} ports but has {}", g[v].name, g[v].part, used, g[v].ports));
  }
  return problems;
}

}  // namespace racksim
