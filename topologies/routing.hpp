// racksim topologies: routes between GPUs.
//
// A route is a shortest path (fewest hops) from one GPU to another in which GPUs are endpoints
// only and a NIC is used only by its own GPU — traffic never transits through another GPU or
// its NIC. Among equal-length paths, a deterministic hash of (source, destination, hop) picks
// one, as ECMP does with a fixed seed: one path per flow, the same every run. Multipath policies
// (packet spraying, adaptive) are the fabrics issue's.
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

}  // namespace racksim
