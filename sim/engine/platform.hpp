// racksim engine: the platform the engine builds — hosts, directed links and routes — derived from
// the topology graph. Pure data; simgrid_adapter.cpp is the only place that turns it into
// SimGrid objects.
//
// Each undirected graph edge becomes two directed links (full duplex: each direction has the
// edge's bandwidth to itself). A NIC or switch with latency L adds L/2 to each directed link that
// enters or leaves it, so a flow crossing it pays L once. Routes are emitted only for the
// (source, destination) GPU pairs the workload uses, which keeps a 4,608-GPU ring at 4,608 routes
// instead of 21 million. A reduced run's replica is emitted from the same topology as its first
// GPUs only (FabricOptions::gpus): the hosts, links and routes of those GPUs' domains alone.
#pragma once

#include "sim/workload/workload.hpp"
#include "topologies/builders.hpp"
#include "topologies/graph.hpp"

#include <cstdint>
#include <string>
#include <tuple>
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
    int src = -1;            // host index (GPU i is host i)
    int dst = -1;
    std::vector<int> links;  // indices into `links`, in order
  };
  // A fault: at `time`, link `link` gets `bandwidth`.
  struct LinkChange {
    double time = 0.0;
    int link = -1;
    double bandwidth = 0.0;
  };
  std::vector<Host> hosts;   // hosts[i] is GPU i for i < number of GPUs; then NVLS switch hosts
  std::vector<Link> links;
  std::vector<Route> routes;
  std::vector<int> switch_host;     // per GPU: the host of its domain's NVLS switch, or -1
  std::vector<LinkChange> changes;  // in time order
  int split_links = 0;              // bandwidth links of weighted (spray/adaptive) routes
  int mixed_weight_links = 0;       // of those, links whose flows carry different shares of themselves
};

// How flows use the fabric (topologies/routing.hpp compute_splits) and what changes over time.
struct FabricOptions {
  Multipath multipath = Multipath::Ecmp;
  std::uint64_t ecmp_seed = 0;
  struct Fault {
    double time = 0.0;
    std::vector<int> edges;     // topology edge ids
    double fraction = 0.0;      // bandwidth left (0: down)
  };
  std::vector<Fault> faults;    // in time order
  bool nvls = false;            // emit each switched domain's NVLS switch host
  int gpus = -1;                // emit GPUs 0..gpus-1 only, with their domains' NVLS switch hosts (a
                                // reduced run's replica; its routes stay inside them); -1: all
  double nvls_bandwidth = 0.0;  // B/s per GPU per direction
};

// What decides a call's peers and steps on group `group`, bytes aside: calls with equal layouts
// have the same send_peers and step patterns (isolation.hpp), which callers walk once per layout.
using ScheduleLayout = std::tuple<int, int, int, int, int, int, int, int>;
[[nodiscard]] ScheduleLayout schedule_layout(int group, const CollectiveShape& shape);

// Peers each position of a group sends to over the whole schedule of `shape` (bytes aside; by
// position in the group). NVLS transfers (to and from the switch) have none.
[[nodiscard]] std::vector<std::vector<int>> send_peers(const CollectiveShape& shape);

// The (source, destination) rank pairs the workload's transfers use, sorted and unique.
// Collectives use their plans' schedules (or the op's algorithm when unplanned); calls timed in
// closed form (CollectiveMethod::closed_form) put nothing on the platform.
[[nodiscard]] std::vector<std::pair<int, int>> communicating_pairs(const Workload& w);

// Whether any collective of `w` runs NVLS (its domains' switch hosts must then be emitted).
[[nodiscard]] bool uses_nvls(const Workload& w);

// `hbm_bandwidth` (B/s) gives every GPU host a loopback link that kernels' memory traffic
// crosses (replay.hpp): concurrent kernels on one GPU share it.
//
// ECMP: each pair's route is its hashed path; every directed edge is one link with its own
// latency (plus half of each NIC/switch it touches). Spray and adaptive: each directed edge is
// one zero-latency link of capacity bandwidth x scale / w, where w is the largest share of
// itself a flow puts on it (exact when all flows on it put the same share, as in the builders'
// symmetric fabrics); each pair gets one private latency link carrying its path latency. A
// fault re-splits the flows and the changes set each link's new capacity at the fault's time;
// a link no flow uses any more gets an unconstraining capacity.
[[nodiscard]] PlatformSpec emit_platform(const Topology& t, const std::vector<std::pair<int, int>>& pairs,
                                         double hbm_bandwidth = 0.0, const FabricOptions& opts = {});

}  // namespace racksim
