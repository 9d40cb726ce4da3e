#include "topologies/graph.hpp"

#include <stdexcept>

namespace racksim {

std::string to_string(NodeKind k) {
  switch (k) {
    case NodeKind::Gpu: return "gpu";
    case NodeKind::Nic: return "nic";
    case NodeKind::Switch: return "switch";
  }
  return "?";
}

std::string to_string(LinkKind k) {
  switch (k) {
    case LinkKind::ScaleUp: return "scale_up";
    case LinkKind::HostInterface: return "host_interface";
    case LinkKind::ScaleOut: return "scale_out";
  }
  return "?";
}

Vertex Topology::add_node(NodeProps p) {
  const Vertex v = boost::add_vertex(std::move(p), graph);
  if (graph[v].kind == NodeKind::Gpu) {
    graph[v].gpu_index = static_cast<int>(gpus.size());
    gpus.push_back(v);
  }
  return v;
}

Edge Topology::add_link(Vertex a, Vertex b, LinkProps p) {
  p.id = static_cast<int>(edge_ends.size());
  p.end_a = a;
  p.end_b = b;
  const Edge e = boost::add_edge(a, b, std::move(p), graph).first;
  edge_ends.emplace_back(a, b);
  return e;
}

const LinkProps& Topology::link(int id) const {
  const Vertex a = edge_ends.at(static_cast<std::size_t>(id)).first;
  for (const Edge e : boost::make_iterator_range(boost::out_edges(a, graph)))
    if (graph[e].id == id) return graph[e];
  throw std::logic_error("racksim: link id not found in the topology graph");
}

}  // namespace racksim
