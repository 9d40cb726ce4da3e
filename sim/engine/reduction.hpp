// racksim engine: reduced simulation of large training runs (simulation.fidelity: auto;
// docs/scale.md). reduce_step is the decision stage of a run (README.md): it either builds the
// simulated replica or says why the step must run in full; the rest of this file is its pure
// parts, unit-tested alone.
//
// A generated training step whose data-parallel replicas are identical and each fill one
// scale-up domain (parallel.order tp-cp-pp-dp, tp x cp x pp = the domain's GPUs, no expert
// parallelism) is simulated on ONE replica: its ranks run event by event in SimGrid, with every
// kernel, tensor- and pipeline-parallel transfer and the power loop, exactly as in a full run.
// The only traffic that leaves a replica is its data-parallel collectives, over the scale-out
// fabric; each such call takes the time an exact evaluation of its schedule gives on the full
// fabric (evaluate_isolated below), and the replica stands for all of them.
//
// Several replicas per domain (tp x cp x pp divides the domain's GPUs: pure data parallelism,
// FSDP over every GPU, or TP 2 with four replicas in an 8-GPU node) are simulated as ONE domain:
// its replicas run event by event, every data-parallel call of theirs in closed form as above, and
// the domain stands for all the others. Their data-parallel calls now also cross the domain's
// scale-up links; that stays exact only where no link carries both a data-parallel transfer and
// the replicas' own traffic (which SimGrid simulates without the calls), checked on the routes
// (link_shared_with_own_traffic in reduction.cpp): a replica of one GPU has no traffic of its own, and on a full mesh the
// links of a TP pair and of the data-parallel pairs are distinct.
//
// When this is exact. The other replicas run the same op graphs on identical domains, so they
// start each data-parallel call at the same time as the simulated one. The call's transfers
// contend with nothing when every data-parallel transfer of every group, all at once and each at
// the rate it would get alone, fits every fabric link (check_dp_load): then each transfer takes
// its route's latency plus bytes over its bottleneck bandwidth, exactly what SimGrid's CM02 model
// gives, and the evaluation is the engine's own arithmetic. Two things are approximated and both
// are bounded in the tests (within 0.5% of the full simulation): the simulated replica continues
// after the LAST member of each call has finished (members far apart in the fabric finish a few
// microseconds apart; ReductionReport::max_member_spread_s reports the largest spread), and a
// call's reductions run at the uncontended kernel time (in a full run they share the GPU's HBM
// with the compute kernels they overlap).
//
// Anything else — traces, idle GPUs, a fault after t = 0 or inside a domain, a site power cap,
// data-parallel traffic that would contend (an ECMP collision, an oversubscribed tier the
// pattern fills, two transfers of one member at once) — runs in full, and the report says why.
#pragma once

#include "sim/engine/isolation.hpp"
#include "sim/engine/platform.hpp"
#include "sim/engine/setup.hpp"
#include "sim/output/run_record.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/workload/workload.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace racksim {

// The layout of a reducible run: `block` consecutive ranks simulated (one replica, or the
// `per_block` replicas of one domain), standing for `replicas` identical blocks.
struct ReplicaLayout {
  int block = 0;
  int replicas = 0;
  int per_block = 1;  // data-parallel replicas in a block (domain's GPUs / (tp x cp x pp))
};

// A reduced step, or why the step runs in full.
struct ReducedStep {
  ReductionReport report;               // applied, or the reason (with the contention check's figures when it got that far)
  std::optional<Workload> replica;      // applied: the replica's op graphs, planned, its data-parallel calls timed
  std::optional<SplitLinks> fabric_split;  // applied: the whole fabric's weighted-route links (its data-parallel routes)
};

// Stage (b) of a run (setup.hpp choose_step): whether `s` on cluster `c` can be reduced and, when
// it can, the replica. In order: the static checks (replica_layout_problem); the replica's step
// generated and its collectives planned; the pairs its data-parallel calls use, routed on the whole
// fabric as it is after the faults (all at t = 0) and checked for contention (max_link_load); every
// distinct data-parallel call evaluated once (evaluate_isolated, spread over the machine's cores)
// and timed in closed form. Throws InputError for a fault or cluster the fabric cannot route.
[[nodiscard]] ReducedStep reduce_step(const Scenario& s, const ClusterSetup& c);

// The ranks a reduced run simulates for data-parallel replicas of `replica` ranks (tp x cp x pp)
// on domains of `gpus_per_domain` GPUs: one domain, when a replica fills it or several share it;
// 0 when a replica neither fills a domain nor divides it.
[[nodiscard]] std::int64_t reduced_block(std::int64_t replica, std::int64_t gpus_per_domain);

// Why `s` (on a cluster of `gpus` GPUs, `gpus_per_domain` per scale-up domain) cannot be reduced,
// or "" when it can, with `out` filled. Static checks only; the contention check comes later.
[[nodiscard]] std::string replica_layout_problem(const Scenario& s, int gpus, int gpus_per_domain, ReplicaLayout& out);

}  // namespace racksim
