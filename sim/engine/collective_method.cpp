// racksim engine: collective plans (collective_method.hpp).
#include "sim/engine/collective_method.hpp"

#include "core/error.hpp"
#include "models/transport.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

namespace racksim {

namespace {

// Pipeline slices of a call: one per chunk_size of data, at most kMaxChunks (beyond a few dozen
// slices the pipeline's fill time is already a small share of the call, and every slice is a
// step of events for every rank).
constexpr int kMaxChunks = 32;

int chunks_for(std::uint64_t bytes, Bytes chunk_size) {
  if (chunk_size.value() <= 0.0) return 1;
  const double c = std::ceil(static_cast<double>(bytes) / chunk_size.value());
  return static_cast<int>(std::clamp(c, 1.0, static_cast<double>(kMaxChunks)));
}

// The group's domain layout: 0 when it lies in one domain, g when it is made of equal,
// contiguous blocks of g positions each in its own domain (g = 1: every rank in another
// domain), and 1 (every step counted as crossing) for any other layout.
int domain_size_of(const std::vector<int>& ranks, int gpd) {
  if (gpd <= 0 || ranks.empty()) return 0;
  const int n = static_cast<int>(ranks.size());
  const int d0 = ranks.front() / gpd;
  if (ranks.back() / gpd == d0) return 0;  // sorted: first and last in one domain
  int g = 0;
  while (g < n && ranks[static_cast<std::size_t>(g)] / gpd == d0) ++g;
  if (n % g != 0) return 1;
  int last = -1;
  for (int b = 0; b < n / g; ++b) {
    const int d = ranks[static_cast<std::size_t>(b * g)] / gpd;
    if (d == last) return 1;
    for (int k = 0; k < g; ++k)
      if (ranks[static_cast<std::size_t>(b * g + k)] / gpd != d) return 1;
    last = d;
  }
  return g;
}

struct Option {
  std::string protocol;
  double fraction = 1.0;
  LibraryLatency latency;
};

// The protocols of the library that offer `algo` (all of them under collectives.protocol: auto).
// An algorithm the library has no constants for (named by the scenario or the op) runs with its
// ring constants; no library at all (collectives.library: none): transfers only.
std::vector<Option> options_for(CollectiveAlgorithm algo, const CollectiveConfig& cfg) {
  std::vector<Option> out;
  for (const std::string& name : {to_string(algo), std::string("ring")}) {
    for (const auto& p : cfg.library.protocols) {
      if (cfg.protocol != "auto" && p.name != cfg.protocol) continue;
      const auto it = p.latency.find(name);
      if (it == p.latency.end()) continue;
      out.push_back({p.name, p.bandwidth_fraction, it->second});
    }
    if (!out.empty()) return out;
  }
  out.push_back({"", 1.0, LibraryLatency{}});
  return out;
}

// What `auto` chooses among: the kind's algorithms the library's tuner considers (all of them
// without a library, or when the library lists none).
std::vector<CollectiveAlgorithm> auto_candidates(CollectiveKind kind, const CollectiveConfig& cfg) {
  std::vector<CollectiveAlgorithm> out;
  for (const CollectiveAlgorithm a : algorithms_for(kind)) {
    const auto& ch = cfg.library.chooses;
    if (ch.empty() || std::find(ch.begin(), ch.end(), to_string(a)) != ch.end()) out.push_back(a);
  }
  if (out.empty()) out = algorithms_for(kind);  // e.g. all-to-all: direct, whatever the tuner knows
  return out;
}

CollectiveCostParams params_for(const Option& o, const FabricLevels& f) {
  CollectiveCostParams p;
  p.intra = f.up;
  p.intra.alpha = f.up.alpha + o.latency.hop_scale_up;
  p.inter = f.out;
  p.inter.alpha = f.out.alpha + o.latency.hop_scale_out + f.message_overhead;
  p.nvls_bandwidth = f.nvls;
  p.launch = o.latency.base + f.kernel_launch;
  p.bandwidth_fraction = o.fraction;
  return p;
}

}  // namespace

FabricLevels fabric_levels(const Scenario& s, const Topology& t) {
  FabricLevels f;
  f.gpus_per_domain = t.gpus_per_domain;
  f.kernel_launch = s.gpu.launch_overhead;
  const ScaleUpParams& up = s.cluster.up;
  if (up.kind == ScaleUpParams::Kind::Switched) {
    f.up.bandwidth = up.link_bandwidth;
    f.up.alpha = up.link_latency * 2.0 + up.switch_latency;
    f.up.full_mesh = false;
    f.nvls = up.nvls_bandwidth;
  } else {
    f.up.bandwidth = up.link_bandwidth * static_cast<double>(up.links_per_pair * std::max(1, up.gpus - 1));
    f.up.alpha = up.link_latency;
    f.up.full_mesh = true;
  }
  const ScaleOutParams& o = s.cluster.out;
  if (o.enabled) {
    f.has_scale_out = true;
    // NIC to NIC over the longest fewest-hop path: through the top tier and back.
    const int cable_hops = o.tiers == 3 ? 6 : 4;
    Seconds route = o.nic_latency * 2.0 + o.cable_latency * static_cast<double>(cable_hops) + o.leaf_latency * 2.0;
    route = route + (o.tiers == 3 ? o.spine_latency * 2.0 + o.core_latency : o.spine_latency);
    const TransportEffect te = transport_efficiency(s.transport, o.nic_line_rate, route * 2.0, cable_hops);
    f.transport_efficiency = te.total;
    f.loss_recovery = te.recovery;
    const double per_nic = std::min(o.nic_line_rate.value() * te.total, o.host_interface_bandwidth.value());
    const int nics = o.multipath == Multipath::Ecmp ? 1 : o.nics_per_gpu;
    f.out.bandwidth = BytesPerSecond(per_nic * nics);
    f.out.alpha = route;
    f.out.full_mesh = false;
    f.message_overhead = o.message_overhead;
  } else {
    f.out = f.up;  // one domain: nothing crosses
  }
  return f;
}

CollectiveMethod plan_call(CollectiveKind kind, const std::vector<int>& group_ranks, std::uint64_t bytes, int root_position,
                         CollectiveAlgorithm fixed, const CollectiveConfig& cfg, const FabricLevels& f,
                         const std::vector<std::uint64_t>& counts) {
  CollectiveShape base;
  base.counts = counts;
  base.kind = kind;
  base.group_size = static_cast<int>(group_ranks.size());
  base.bytes = bytes;
  base.root = root_position;
  base.chunks = chunks_for(bytes, cfg.chunk_size);
  base.domain_size = domain_size_of(group_ranks, f.gpus_per_domain);
  base.intra = f.up.full_mesh ? CollectiveAlgorithm::Direct : CollectiveAlgorithm::Ring;

  std::vector<CollectiveAlgorithm> algos;
  if (fixed != CollectiveAlgorithm::Auto) algos.push_back(fixed);
  else algos = auto_candidates(kind, cfg);
  // A ring all-reduce, all-gather or reduce-scatter inside one full-mesh domain runs one ring
  // per link (RCCL's channels over xGMI): as many edge-disjoint rings as the group has (n-1 for
  // n other than 4 and 6).
  const bool ring_kind =
      kind == CollectiveKind::AllReduce || kind == CollectiveKind::AllGather || kind == CollectiveKind::ReduceScatter;
  int mesh_channels = 1;
  if (ring_kind && f.up.full_mesh && base.domain_size == 0 && base.group_size >= 3)
    mesh_channels = static_cast<int>(mesh_rings(base.group_size, base.group_size - 1).size());

  CollectiveMethod best;
  bool found = false;
  std::string reasons;
  for (const CollectiveAlgorithm a : algos) {
    // Hierarchical: the rail algorithm is the best of those the kind allows (tree: all-reduce
    // only); inside the domain direct on a full mesh (every link at once), ring on a switch.
    std::vector<CollectiveAlgorithm> inters = {CollectiveAlgorithm::Ring};
    if (a == CollectiveAlgorithm::Hierarchical) {
      inters = {CollectiveAlgorithm::Ring, CollectiveAlgorithm::HalvingDoubling};
      if (kind == CollectiveKind::AllReduce) inters.insert(inters.begin() + 1, CollectiveAlgorithm::Tree);
    }
    for (const CollectiveAlgorithm inter : inters) {
      CollectiveShape shape = base;
      shape.algorithm = a;
      shape.inter = inter;
      if (a == CollectiveAlgorithm::Ring) shape.channels = mesh_channels;
      for (const Option& o : options_for(a, cfg)) {
        const CollectiveCostParams p = params_for(o, f);
        std::string why;
        if (!algorithm_applies(shape, p, &why)) {
          if (a != CollectiveAlgorithm::Hierarchical || inter == CollectiveAlgorithm::Ring)
            reasons += fmt::format("{}{}: {}", reasons.empty() ? "" : "; ", to_string(a), why);
          break;  // the protocol does not change whether it applies
        }
        const Seconds t = predict_time(shape, p);
        if (!found || t.value() < best.predicted.value()) {
          found = true;
          best.shape = shape;
          best.protocol = o.protocol;
          best.bandwidth_fraction = o.fraction;
          best.launch = o.latency.base + f.kernel_launch;
          best.hop_intra = o.latency.hop_scale_up;
          best.hop_inter = o.latency.hop_scale_out + f.message_overhead;
          best.gpus_per_domain = f.gpus_per_domain;
          best.predicted = t;
        }
      }
    }
  }
  if (!found)
    throw Error(fmt::format("no algorithm can run this {} over {} ranks: {}", to_string(kind), base.group_size, reasons));
  best.chosen = fixed == CollectiveAlgorithm::Auto;
  return best;
}

Workload choose_collective_methods(Workload w, const CollectiveConfig& cfg, const FabricLevels& f) {
  w.plans.clear();
  std::map<std::pair<int, int>, int> by_call;  // (group, sequence) -> plan
  // Identical calls (group, kind, bytes, root, fixed algorithm) share one choice.
  std::map<std::tuple<int, int, std::uint64_t, int, int, std::vector<std::uint64_t>>, CollectiveMethod> memo;
  for (int r = 0; r < w.ranks; ++r) {
    for (Op& op : w.programs[static_cast<std::size_t>(r)]) {
      if (op.kind != OpKind::Collective) continue;
      const auto key = std::make_pair(op.group, op.sequence);
      const auto it = by_call.find(key);
      if (it != by_call.end()) {
        op.plan = it->second;
        op.algorithm = w.plans[static_cast<std::size_t>(op.plan)].shape.algorithm;
        continue;
      }
      const Group& g = w.groups[static_cast<std::size_t>(op.group)];
      CollectiveAlgorithm fixed = op.algorithm;
      if (fixed == CollectiveAlgorithm::Auto) {
        const auto pk = cfg.per_kind.find(op.collective);
        if (pk != cfg.per_kind.end()) {
          fixed = pk->second;
        } else {  // collectives.algorithm: for the kinds that have it; the others stay auto
          const auto kinds_algos = algorithms_for(op.collective);
          if (std::find(kinds_algos.begin(), kinds_algos.end(), cfg.algorithm) != kinds_algos.end()) fixed = cfg.algorithm;
        }
      }
      const int root_pos = (op.collective == CollectiveKind::Broadcast || op.collective == CollectiveKind::Reduce)
                               ? g.position[static_cast<std::size_t>(op.root)]
                               : 0;
      const auto mk =
          std::make_tuple(op.group, static_cast<int>(op.collective), op.bytes, root_pos, static_cast<int>(fixed), op.counts);
      auto m = memo.find(mk);
      if (m == memo.end()) {
        try {
          m = memo.emplace(mk, plan_call(op.collective, g.ranks, op.bytes, root_pos, fixed, cfg, f, op.counts)).first;
        } catch (const InputError&) {
          throw;
        } catch (const Error& e) {
          throw InputError(op.where, fmt::format("collective '{}' on group '{}': {}", op.id, g.name, e.what()));
        }
      }
      op.plan = static_cast<int>(w.plans.size());
      op.algorithm = m->second.shape.algorithm;
      w.plans.push_back(m->second);
      by_call.emplace(key, op.plan);
    }
  }
  return w;
}

}  // namespace racksim
