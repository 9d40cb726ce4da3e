// racksim engine: how each collective call of a workload runs on a cluster — the algorithm (chosen
// like RCCL/NCCL choose it when the op and the scenario leave it to the run), the library
// protocol and its latencies, the pipeline slices and the domain layout of the group.
//
// The choice: for every algorithm that applies to the call (models/collective.hpp
// algorithm_applies) and every protocol of the library that lists it, the cost model
// (predict_time: closed forms on an idle fabric) gives a time; the fastest wins, ties to the
// earlier algorithm of algorithms_for() and the earlier protocol of the library. Precedence of
// a fixed algorithm: the op's own (trace `algorithm:`), then the scenario's per-kind entry
// (collectives.<kind>), then collectives.algorithm; `auto` at every level means the choice.
// The protocol: collectives.protocol, or the fastest for the algorithm.
//
// The cost model sees the fabric as two levels (FabricLevels): the scale-up domain and the
// scale-out network, each a per-step latency (route + library hop latency) and a per-GPU
// bandwidth. Calls whose group spans domains in equal, contiguous blocks can run hierarchical.
#pragma once

#include "models/collective.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/workload/workload.hpp"
#include "topologies/graph.hpp"

#include <string>
#include <vector>

namespace racksim {

struct FabricLevels {
  int gpus_per_domain = 0;
  LevelCost up;                    // alpha: route latency only (the library's hop latency is added per protocol)
  LevelCost out;                   // per GPU: all NICs with spray/adaptive, one NIC with ECMP
  bool has_scale_out = false;
  BytesPerSecond nvls;             // in-switch reduction rate per GPU (0: none)
  Seconds message_overhead;        // NIC, per scale-out transfer
  Seconds kernel_launch;           // the GPU's kernel launch overhead: a collective is a kernel, paid once per call
  double transport_efficiency = 1.0;  // multiplies scale-out bandwidth (already applied to `out`)
  std::string loss_recovery;          // how the transport recovers losses (models/transport.hpp)
};

// The two levels of the scenario's cluster, from its parameters (no routing).
[[nodiscard]] FabricLevels fabric_levels(const Scenario& s, const Topology& t);

// `w` with its collective methods: w.plans, and every collective op's `plan` and `algorithm`
// (the workload is taken and handed back, planned, so that no half-planned one is ever seen).
// Throws InputError (at the op) when a fixed algorithm cannot run the call, saying why and which
// algorithms can.
[[nodiscard]] Workload choose_collective_methods(Workload w, const CollectiveConfig& cfg, const FabricLevels& f);

// The plan of one call of `kind` over `group_ranks` (sorted global ranks) of `bytes`, as
// choose_collective_methods() makes it; `fixed` is Auto or an algorithm. Used by `racksim predict`.
// `counts`: all_to_all(v)'s matrix (empty: uniform).
[[nodiscard]] CollectiveMethod plan_call(CollectiveKind kind, const std::vector<int>& group_ranks, std::uint64_t bytes,
                                       int root_position, CollectiveAlgorithm fixed, const CollectiveConfig& cfg,
                                       const FabricLevels& f, const std::vector<std::uint64_t>& counts = {});

}  // namespace racksim
