// racksim topologies: the cluster as a Boost.Graph — GPUs, NICs and switches joined by links.
//
// The graph is the single description of a cluster: it is checked (connected, switch ports
// within radix), routed (routing.hpp) and only then emitted to SimGrid by sim/. Edges are
// full-duplex: `bandwidth` is per direction, `latency` one-way. A switch's own latency is a
// vertex property; the emitter splits it across the edges that enter and leave the switch so
// that every hop through a switch pays it exactly once.
#pragma once

#include "core/units.hpp"

#include <boost/graph/adjacency_list.hpp>

#include <string>
#include <vector>

namespace racksim {

enum class NodeKind { Gpu, Nic, Switch };
enum class LinkKind { ScaleUp, HostInterface, ScaleOut };

[[nodiscard]] std::string to_string(NodeKind k);
[[nodiscard]] std::string to_string(LinkKind k);

struct NodeProps {
  NodeKind kind = NodeKind::Gpu;
  std::string name;     // unique, e.g. "rack0.tray3.gpu2", "rack0.switch", "plane1.leaf5"
  std::string part;     // catalog id of the GPU, NIC or switch
  int gpu_index = -1;   // GPU: its global index (= rank it hosts); NIC: the GPU it serves
  int domain = -1;      // scale-up domain (rack or node) index; -1 for fabric switches
  int ports = 0;        // switch: ports available (at the speed the builder chose)
  Seconds latency;      // switch: port-to-port latency; NIC: processing latency per traversal
};

struct LinkProps {
  LinkKind kind = LinkKind::ScaleUp;
  BytesPerSecond bandwidth;  // per direction
  Seconds latency;           // one-way, cable/PHY (switch and NIC latency are vertex properties)
  int ports = 1;             // switch ports this link occupies at each switch end (lanes, trunks)
  std::string part;          // catalog id of the link type
  int id = -1;               // dense edge index, 0..num_edges-1, set by add_link
  // The endpoints in the order add_link received them: "forward" means end_a -> end_b. (For an
  // undirected Boost graph, source(e) depends on how e was reached, so it cannot say this.)
  std::size_t end_a = 0;
  std::size_t end_b = 0;
};

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, NodeProps, LinkProps>;
using Vertex = boost::graph_traits<Graph>::vertex_descriptor;
using Edge = boost::graph_traits<Graph>::edge_descriptor;

struct Topology {
  Graph graph;
  std::vector<Vertex> gpus;     // gpus[i] is the vertex of GPU i
  // Endpoints by edge id (LinkProps::id). Edge descriptors of an undirected adjacency_list point
  // into the graph's storage and do not survive a copy of the Topology, so none are kept.
  std::vector<std::pair<Vertex, Vertex>> edge_ends;
  int domains = 0;
  int gpus_per_domain = 0;
  std::string description;      // one line for the run header

  Vertex add_node(NodeProps p);
  Edge add_link(Vertex a, Vertex b, LinkProps p);
  [[nodiscard]] std::size_t num_links() const { return edge_ends.size(); }
  // The properties of the link with this id.
  [[nodiscard]] const LinkProps& link(int id) const;
};

}  // namespace racksim
