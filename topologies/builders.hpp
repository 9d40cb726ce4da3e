// racksim topologies: builders for scale-up domains and the scale-out fabric.
//
// Pure functions from typed parameters (already resolved from the catalog) to a Topology.
//   - switched domain: n GPUs (optionally in trays) each joined to one logical non-blocking
//     switch by a link of the GPU's full scale-up bandwidth. The Helios rack is this with 72
//     MI455X in 18 trays of 4 over UALink-over-Ethernet: its >= 11 physical switch chips are
//     modelled as one logical switch whose ports are the chips' ports added up.
//   - full mesh: n GPUs, every pair joined by `links_per_pair` direct links (MI300X xGMI: 8
//     GPUs, 7 links each, one per peer).
//   - rail-optimized two-tier leaf/spine, in one or more independent planes: NIC j of GPU i is
//     on plane j % planes, and within its plane on rail (i * nics_per_plane + j / planes); each
//     leaf serves whole rails (all domains' NICs of a rail, or a contiguous block of domains
//     when a rail has more domains than a leaf has down ports); each leaf joins every spine of
//     its plane with an equal trunk of uplinks; oversubscription = leaf down ports / up ports.
//     A plane needs spines with at least as many ports as it has leaves; otherwise the builder
//     throws and the user must add planes, oversubscribe, or choose larger switches.
//   - three-tier fat tree (ScaleOutParams::tiers == 3), per plane: the same leaves, grouped into
//     pods. A spine (aggregation switch) of P ports keeps down = floor(P * oc / (1 + oc)) ports
//     for leaves (oc = core_oversubscription) and the rest for cores. A pod is `down`
//     consecutive leaves (the last pod may have fewer); every pod has the same S spines, the
//     fewest that take its leaves' uplinks as in the two-tier plane (one port per leaf and spine
//     when a full pod's leaves have S uplinks each: the classic fat tree). Spine s of pod p,
//     `pod<p>.spine<s>`, uses ceil(its down ports / oc) uplinks. Core group s joins spine s of
//     every pod: the fewest cores that take those uplinks, each spine joining each core of its
//     group with an equal trunk; cores are numbered across groups (`core<c>`, group 0 first).
//     Every core needs a port per pod (pods <= core_ports) or the builder throws. With one leaf
//     there is no spine tier and with one pod no core tier. With planes > 1 the names carry the
//     `plane<p>.` prefix. docs/fabrics.md has a worked example.
#pragma once

#include "topologies/graph.hpp"

#include <cstdint>
#include <string>

namespace racksim {

struct ScaleUpParams {
  enum class Kind { Switched, FullMesh } kind = Kind::Switched;
  int gpus = 0;                    // per domain
  int trays = 1;                   // switched: GPUs are named by tray (gpus % trays == 0)
  std::string domain_label = "node";  // "rack" or "node": names vertices
  std::string gpu_part;
  // Switched: per-GPU bandwidth per direction to the switch. FullMesh: per link per direction.
  BytesPerSecond link_bandwidth;
  Seconds link_latency;
  std::string link_part;
  int links_per_pair = 1;          // FullMesh only
  // Switched only: the logical switch.
  std::string switch_part;
  int switch_ports = 0;            // ports at `port_speed`, all chips together
  BytesPerSecond port_speed;       // one GPU link uses link_bandwidth / port_speed ports
  Seconds switch_latency;
  // Switched only: in-switch reduction rate per GPU port per direction (NVLS); 0: none.
  BytesPerSecond nvls_bandwidth;
};

// How a flow uses equal-cost paths (topologies/routing.hpp): pinned to one by a seeded hash,
// sprayed evenly over all of them (Ultra Ethernet), or spread in proportion to their capacity
// (adaptive, ideal load-aware balancing).
enum class Multipath { Ecmp, Spray, Adaptive };
[[nodiscard]] std::string to_string(Multipath m);

struct ScaleOutParams {
  bool enabled = false;
  int nics_per_gpu = 1;
  std::string nic_part;
  BytesPerSecond nic_line_rate;
  BytesPerSecond host_interface_bandwidth;
  Seconds nic_latency;
  std::string cable_part;
  Seconds cable_latency;
  std::string leaf_part;
  int leaf_ports = 0;              // at nic_line_rate
  Seconds leaf_latency;
  std::string spine_part;
  int spine_ports = 0;             // at nic_line_rate
  Seconds spine_latency;
  double oversubscription = 1.0;   // leaf down:up, >= 1
  int planes = 1;                  // independent leaf/spine networks; NIC j is on plane j % planes
  int tiers = 2;                   // 2: leaf/spine; 3: leaf/spine (aggregation, per pod)/core
  std::string core_part;           // tiers == 3: the core switch
  int core_ports = 0;              // at nic_line_rate
  Seconds core_latency;
  double core_oversubscription = 1.0;  // tiers == 3: spine (aggregation) down:up, >= 1
  Multipath multipath = Multipath::Ecmp;
  std::uint64_t ecmp_seed = 0;     // seeds the ECMP hash
  Seconds message_overhead;        // NIC per-message overhead, paid once per scale-out transfer
};

struct ClusterParams {
  int domains = 1;
  ScaleUpParams up;
  ScaleOutParams out;
};

// Builds the whole cluster. Throws InputError-free std::invalid_argument-like racksim::Error
// only for impossible parameters; structural problems are found by check_topology().
[[nodiscard]] Topology build_cluster(const ClusterParams& p);

}  // namespace racksim
