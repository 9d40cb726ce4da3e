// racksim engine: the stages that set one run up, before anything is simulated (README.md, "The
// stages of a run"). Each takes values and returns a new one; nothing is changed once built.
//
//   build_cluster_setup  the cluster: its topology (checked; scale-out links at the transport's
//                        payload share), the two fabric levels the collective cost model sees, and
//                        the links each fault touches
//   choose_step          what is simulated: one data-parallel replica timed in closed form where
//                        the step can be reduced (reduction.hpp reduce_step), every rank otherwise
//                        (the workload built, checked against the cluster and its collectives
//                        planned), with the reduction report saying which and why
//   build_platform       the platform SimGrid simulates: hosts, links and routes, built once
//   choose_collective_timing  which calls provably contend with nothing on it: timed in closed
//                        form from their members' arrivals (isolation.hpp), not transfer by transfer
//   power_setup          the power loop's setup
//
// Errors in the scenario's cluster, workload or faults are thrown as InputError at their place.
#pragma once

#include "core/error.hpp"
#include "sim/engine/collective_method.hpp"
#include "sim/engine/platform.hpp"
#include "sim/engine/power_loop.hpp"
#include "sim/output/run_description.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/workload/workload.hpp"
#include "topologies/graph.hpp"

#include <optional>
#include <vector>

namespace racksim {

// Runs `f`; an Error that is not already an InputError (impossible cluster parameters, an
// unreachable pair) becomes one at the scenario's cluster section.
template <class F>
auto at_cluster(const Scenario& s, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const InputError&) {
    throw;
  } catch (const Error& e) {
    throw InputError(s.cluster_where, e.what());
  }
}

// What a run is checked against before anything is built or simulated (docs/scale.md, "Sizes and
// times checked before anything is built"). Memory is estimated from sizes counted in closed form
// (topologies/size_estimate.hpp, estimate_transformer_ops) at bytes per element measured on this
// program, and compared with simulation.memory_limit.
namespace run_limits {
// Measured peak resident memory per op of a run that is not reduced (op graphs, executors,
// SimGrid's actors and activities together): `/usr/bin/time -v racksim run
// scenarios/llama3-70b.yaml` peaks at 1,341,296 kB with 1,683,216 ops, and with `--set
// workload.batch.global=144` at 2,681,528 kB with 3,354,192 ops: 821 bytes per op, with no
// fixed part to speak of (docs/scale.md).
inline constexpr double kBytesPerOp = 820.0;
// Measured peak resident memory per vertex or link of the cluster's graph, with everything a
// reduced run builds for the whole cluster (the routes of its data-parallel pairs): bench/scale/
// llama3-405b-1821rack.yaml, 1,990,035 vertices and links, 1.35 GB, less its replica's 589,200
// ops at kBytesPerOp: ~440 bytes, rounded up.
inline constexpr double kBytesPerGraphElement = 450.0;
// GPUs are numbered (ranks, graph indices) with 32-bit integers.
inline constexpr double kMaxGpus = 2147483647.0;
// The longest simulated time a run may reach: no training step or collective of a real cluster
// takes 11.6 days; a call or a run predicted past it comes from an extreme bandwidth, latency or
// rate (a unit mistake), and is refused rather than simulated.
inline constexpr double kMaxSimulatedTime = 1e6;  // s
// Every link of the cluster, as built: at least this bandwidth per direction and at most this
// latency (a byte must cross a link within the longest simulated time, with room to spare).
inline constexpr double kMinLinkBandwidth = 1e6;  // B/s
inline constexpr double kMaxLinkLatency = 1.0;    // s
// The most transfers a step may have in flight at once (estimated from above before the run:
// setup.cpp concurrent_flows). SimGrid's max-min solver grows about quadratically with
// concurrent flows: 32,768 took ~11 s per round on a 2-core machine (DESIGN.md), so 262,144
// would take about 12 minutes per event: a run past it could not finish.
inline constexpr double kMaxConcurrentFlows = 262144.0;
}  // namespace run_limits

// Stage (0), before anything is built: the cluster graph's size and, for a generated training
// step, its ranks and the ops of the ranks that will be built at the least (one data-parallel
// replica where the step may be reduced, every rank otherwise), as a memory estimate against
// simulation.memory_limit. Throws InputError with the estimate, the limit and the keys to change.
void check_sizes(const Scenario& s);

// The scenario's workload as per-rank op graphs: a native trace read, Chakra ET files read, or a
// transformer training step generated. Throws InputError for a workload that cannot be built.
[[nodiscard]] Workload build_workload(const Scenario& s);

struct ClusterSetup {
  Topology topology;                // the whole cluster; scale-out links at the transport's payload share
  FabricLevels levels;              // as the collective cost model sees the fabric
  FabricOptions fabric;             // multipath, ECMP seed, NVLS rate and the faults' links (nvls: per step)
  std::vector<FaultReport> faults;  // the faults as the run reports them, in time order
};

// Stage (a). The scale-out transport's payload share (models/transport.hpp) scales every scale-out
// link while the topology is built: plans, platforms and fault reports all see the scaled links.
[[nodiscard]] ClusterSetup build_cluster_setup(const Scenario& s);

// PlatformSpec's counts of weighted-route links (spray/adaptive), for the fabric report.
struct SplitLinks {
  int split = 0;
  int mixed_weight = 0;
};

struct SimulatedStep {
  Workload workload;                // collectives planned; reduced: the replica's, data-parallel calls timed
  ReductionReport reduction;        // reduced or why not (simulation.fidelity)
  int simulated_ranks = 0;          // ranks 0..simulated_ranks-1 run in SimGrid
  // Reduced: the whole fabric's counts, from the reduction's check of it (the simulated replica
  // has no scale-out); unset: the simulated platform's.
  std::optional<SplitLinks> fabric_split;
  // Which calls are timed in closed form because they contend with nothing (isolation.hpp):
  // decided on the built platform (stage c), marked on `workload`'s plans.
  IsolationReport isolation;
};

// Stage (b). `given`: a workload handed to the run ready-made (never reduced); otherwise the
// scenario's. A step that cannot be reduced is refused, in auto mode, when building every rank
// would not fit in memory (InputError saying why it could not be reduced).
[[nodiscard]] SimulatedStep choose_step(const Scenario& s, const ClusterSetup& c, std::optional<Workload> given);

// Stage (c): the whole cluster's platform for every rank, or the replica's: its domains' GPUs
// and scale-up links only (nothing else leaves it once its data-parallel calls are timed).
[[nodiscard]] PlatformSpec build_platform(const Scenario& s, const ClusterSetup& c, const SimulatedStep& step);

// Stage (c'): marks the calls of `step` that contend with nothing on `platform` (isolation.hpp)
// as timed in closed form, unless simulation.collective_timing is transfers or a fault changes
// the fabric during the run; fills step.isolation.
void choose_collective_timing(const Scenario& s, SimulatedStep& step, const PlatformSpec& platform);

// The power loop's setup: the scenario's resolved power and cooling, the scale-out switches the
// topology holds (their power from the catalog, where it gives one), and for a reduced step the
// simulated racks and the replicas they stand for.
[[nodiscard]] PowerSetup power_setup(const Scenario& s, const Topology& t, const SimulatedStep& step);

}  // namespace racksim
