// racksim topologies: structural checks run before a topology is emitted.
//   - at least one GPU; every link with a positive bandwidth and a non-negative latency;
//   - connected (one component), otherwise GPUs could never reach each other;
//   - every switch uses no more ports than it has (a link occupies LinkProps::ports ports).
#pragma once

#include "topologies/graph.hpp"

#include <string>
#include <vector>

namespace racksim {

// Returns one message per problem; empty when the topology is sound.
[[nodiscard]] std::vector<std::string> check_topology(const Topology& t);

}  // namespace racksim
