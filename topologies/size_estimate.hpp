// racksim topologies: the size of the cluster graph build_cluster (builders.hpp) would make,
// counted from its parameters alone, so a run can refuse a cluster too large to hold before
// anything is built (docs/scale.md, "Sizes checked before anything is built").
//
// Counts, for D domains of n GPUs, k NICs per GPU in P planes (builders.hpp has the rules):
//   GPUs          G = D n
//   scale-up      switched: D switches and G links; full mesh: D n (n - 1) / 2 links
//   NICs          G k, each with a host-interface link and a link to its leaf
//   leaves        per plane, with down = floor(leaf_ports o / (1 + o)) NIC ports per leaf and
//                 R = n k / P rails: ceil(R / floor(down / D)) when D <= down (whole rails per
//                 leaf), else R ceil(D / down) (each rail cut into blocks of domains)
//   above leaves  (two or more leaves) the fewest spines that take the leaves' uplinks,
//                 ceil(sum_leaf ceil(members / o) / spine_ports), and one trunk per leaf and
//                 spine; three tiers add as many cores and trunks again. This is a lower bound
//                 (the builder may need a few more); these tiers hold fewer switches than the
//                 leaves and fewer links than the NICs, so the total is within a few percent.
// Everything below the spines is exact. Counts are doubles: a scenario may describe more than
// 2^63 of anything, and the estimate must say so rather than overflow.
#pragma once

#include "topologies/builders.hpp"

namespace racksim {

struct TopologySize {
  double gpus = 0.0;
  double nics = 0.0;
  double switches = 0.0;  // scale-up, leaf, spine and core switches
  double links = 0.0;     // full-duplex links (graph edges)
  [[nodiscard]] double vertices() const { return gpus + nics + switches; }
};

[[nodiscard]] TopologySize estimate_topology_size(const ClusterParams& p);

}  // namespace racksim
