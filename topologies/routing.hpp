// racksim topologies: routes between GPUs.
//
// A route is a shortest path (fewest hops) from one GPU to another in which GPUs are endpoints
// only and a NIC is used only by its own GPU — traffic never transits through another GPU or
// its NIC. Among equal-length paths, a deterministic hash of (source, destination, hop) picks
// one, as ECMP does with a fixed seed: one path per flow, the same every run.
//
// Multipath (compute_splits): a flow is described by the share of itself it puts on each
// directed edge of its fewest-hop paths, under the same transit rules, on the links that are
// still up (edge_scale > 0; a fault can lengthen a pair's fewest-hop distance):
//   Ecmp      one path, picked by the hash above with the seed mixed in (seed 0 = compute_routes);
//   Spray     the flow is split evenly, at each vertex, over its next hops on the shortest-path DAG;
//   Adaptive  split at each vertex in proportion to bandwidth x edge_scale of the next hops.
// Hops come ordered by the distance of their tail from the source, then by edge id; the weights
// of the hops at one distance sum to 1. docs/fabrics.md explains how the engine uses them.
#pragma once

#include "topologies/builders.hpp"
#include "topologies/graph.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace racksim {

struct Hop {
  int edge = -1;         // LinkProps::id
  bool forward = true;   // traversed from LinkProps::end_a to end_b
};

using Route = std::vector<Hop>;

// Routes for each (source GPU, destination GPU) pair, in the order given. Pairs with the same
// destination share one breadth-first search. Throws racksim::Error if a pair is unreachable.
[[nodiscard]] std::vector<Route> compute_routes(const Topology& t, const std::vector<std::pair<int, int>>& pairs);

struct WeightedHop {
  int edge = -1;         // LinkProps::id
  bool forward = true;   // traversed from LinkProps::end_a to end_b
  double weight = 1.0;   // share of the flow on this directed edge, (0, 1]
};

struct FlowSplit {
  int src = -1;                   // source GPU
  int dst = -1;                   // destination GPU
  int hops_per_path = 0;          // fewest-hop distance on the alive graph (every path has it)
  std::vector<WeightedHop> hops;  // by distance of the hop's tail from src, then edge id
};

// Splits for each (source GPU, destination GPU) pair, in the order given. `edge_scale[id]` is the
// share of link id's bandwidth left (1 healthy, 0 down); empty means every link is healthy. Only
// links with edge_scale > 0 carry traffic. Pairs with the same destination share one search.
// Throws racksim::Error if a pair has no path on the links that are up.
[[nodiscard]] std::vector<FlowSplit> compute_splits(const Topology& t, const std::vector<std::pair<int, int>>& pairs,
                                                    Multipath policy, std::uint64_t ecmp_seed = 0,
                                                    const std::vector<double>& edge_scale = {});

// One-way latency of the flow's slowest path, as the emitter counts it: the links' latencies plus,
// for each NIC or switch crossed, its latency (sim/engine/platform.cpp puts half of it on each link
// entering or leaving the vertex). In the builders' fabrics every fewest-hop path of a pair has
// the same latency.
[[nodiscard]] Seconds path_latency(const Topology& t, const FlowSplit& split);
// The same for many splits at once (looks each link up once: use it for thousands of flows).
[[nodiscard]] std::vector<Seconds> path_latencies(const Topology& t, const std::vector<FlowSplit>& splits);

// The edge ids a fault names: every link between the nodes named a and b (parallel links
// included), or, when b is empty, every link of switch a. Throws racksim::Error naming an
// unknown node and up to 3 existing names closest to it, when a and b share no link, or when b
// is empty and a is not a switch.
[[nodiscard]] std::vector<int> fault_edges(const Topology& t, const std::string& a, const std::string& b);

}  // namespace racksim
