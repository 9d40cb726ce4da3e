// racksim sim: the platform the engine builds — hosts, directed links and routes — derived from
// the topology graph. Pure data; simgrid_adapter.cpp is the only place that turns it into
// SimGrid objects.
//
// Each undirected graph edge becomes two directed links (full duplex: each direction has the
// edge's bandwidth to itself). A NIC or switch with latency L adds L/2 to each directed link that
// enters or leaves it, so a flow crossing it pays L once. Routes are emitted only for the
// (source, destination) GPU pairs the workload uses, which keeps a 4,608-GPU ring at 4,608 routes
// instead of 21 million.
#pragma once

#include "sim/workload.hpp"
#include "topologies/graph.hpp"

#include <string>
#include <utility>
#include <vector>

namespace racksim {

struct PlatformSpec {
  struct Host {
    std::string name;
    double hbm_bandwidth = 0.0;  // B/s of its HBM loopback link (0: none)
  };
  struct Link {
    std::string name;
    double bandwidth = 0.0;  // B/s
    double latency = 0.0;    // s
  };
  struct Route {
    int src = -1;            // GPU index
    int dst = -1;
    std::vector<int> links;  // indices into `links`, in order
  };
  std::vector<Host> hosts;   // hosts[i] is GPU i
  std::vector<Link> links;
  std::vector<Route> routes;
};

// The (source, destination) rank pairs the workload's transfers use, sorted and unique.
[[nodiscard]] std::vector<std::pair<int, int>> communicating_pairs(const Workload& w);

// `hbm_bandwidth` (B/s) gives every GPU host a loopback link that kernels' memory traffic
// crosses (replay.hpp): concurrent kernels on one GPU share it.
[[nodiscard]] PlatformSpec emit_platform(const Topology& t, const std::vector<std::pair<int, int>>& pairs,
                                         double hbm_bandwidth = 0.0);

}  // namespace racksim
