// racksim topologies: the cluster graph's size from its parameters (size_estimate.hpp).
#include "topologies/size_estimate.hpp"

#include <algorithm>
#include <cmath>

namespace racksim {

namespace {

// The switch tiers above the leaves of one plane: the fewest switches of `ports` ports that take
// `uplinks` in total, and one trunk per (lower switch, upper switch) pair that has a port.
void add_upper_tier(TopologySize& z, double lowers, double uplinks, double ports) {
  if (lowers < 2.0 || ports < 1.0) return;
  const double uppers = std::max(1.0, std::ceil(uplinks / ports));
  z.switches += uppers;
  z.links += std::min(uplinks, lowers * uppers);
}

}  // namespace

TopologySize estimate_topology_size(const ClusterParams& p) {
  TopologySize z;
  const double domains = p.domains, n = p.up.gpus;
  z.gpus = domains * n;
  if (p.up.kind == ScaleUpParams::Kind::Switched) {
    z.switches += domains;
    z.links += z.gpus;
  } else {
    z.links += domains * n * (n - 1.0) / 2.0;
  }
  const ScaleOutParams& o = p.out;
  if (!o.enabled || o.planes < 1) return z;
  z.nics = z.gpus * o.nics_per_gpu;
  z.links += 2.0 * z.nics;  // host interface + NIC to leaf
  const double down = std::floor(o.leaf_ports * o.oversubscription / (1.0 + o.oversubscription));
  if (down < 1.0) return z;  // the builder refuses it
  const double rails = n * (o.nics_per_gpu / o.planes);
  const double ov = o.oversubscription;
  // Leaves and their uplinks (each leaf: ceil(its NICs / oversubscription)).
  double leaves = 0.0, uplinks = 0.0;
  if (domains <= down) {  // whole rails per leaf, the last leaf with the rails left over
    const double per_leaf = std::floor(down / domains);
    const double full = std::floor(rails / per_leaf), left = rails - full * per_leaf;
    leaves = full + (left > 0.0 ? 1.0 : 0.0);
    uplinks = full * std::ceil(per_leaf * domains / ov) + (left > 0.0 ? std::ceil(left * domains / ov) : 0.0);
  } else {  // each rail in blocks of `down` domains, the last block with the domains left over
    const double per_rail = std::ceil(domains / down), last = domains - (per_rail - 1.0) * down;
    leaves = rails * per_rail;
    uplinks = rails * ((per_rail - 1.0) * std::ceil(down / ov) + std::ceil(last / ov));
  }
  TopologySize plane;
  plane.switches = leaves;
  if (o.tiers == 3) {  // spines of down' = floor(ports oc / (1 + oc)) leaf ports, then cores
    const double oc = o.core_oversubscription;
    add_upper_tier(plane, leaves, uplinks, std::floor(o.spine_ports * oc / (1.0 + oc)));
    add_upper_tier(plane, plane.switches - leaves, std::ceil(uplinks / oc), o.core_ports);
  } else {
    add_upper_tier(plane, leaves, uplinks, o.spine_ports);
  }
  z.switches += plane.switches * o.planes;
  z.links += plane.links * o.planes;
  return z;
}

}  // namespace racksim
