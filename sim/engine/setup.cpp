// racksim engine: the stages that set a run up (setup.hpp).
#include "sim/engine/setup.hpp"

#include "sim/engine/isolation.hpp"
#include "sim/engine/reduction.hpp"
#include "sim/workload/chakra.hpp"
#include "sim/workload/training_generator.hpp"
#include "topologies/builders.hpp"
#include "topologies/check.hpp"
#include "topologies/routing.hpp"
#include "topologies/size_estimate.hpp"

#include <fmt/format.h>

#include <boost/range/iterator_range.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

namespace racksim {

namespace {

Topology checked_topology(const Scenario& s) {
  Topology t = at_cluster(s, [&] { return build_cluster(s.cluster); });
  const auto problems = check_topology(t);
  if (problems.empty()) return t;
  std::string msg = "the cluster is not valid:";
  constexpr std::size_t kShown = 10;
  for (std::size_t i = 0; i < problems.size() && i < kShown; ++i) msg += "\n  - " + problems[i];
  if (problems.size() > kShown) msg += fmt::format("\n  ... and {} more problems", problems.size() - kShown);
  throw InputError(s.cluster_where, msg);
}

// `t` with every scale-out link at `share` of its bandwidth.
Topology at_payload_share(Topology t, double share) {
  if (share == 1.0) return t;
  for (const auto e : boost::make_iterator_range(boost::edges(t.graph))) {
    LinkProps& lp = t.graph[e];
    if (lp.kind == LinkKind::ScaleOut) lp.bandwidth = lp.bandwidth * share;
  }
  return t;
}

// How flows use the fabric and the links each fault touches (faults in time order), with the
// faults' reports; the bandwidth lost is that of `t`'s (scaled) links.
std::pair<FabricOptions, std::vector<FaultReport>> fabric_and_faults(const Scenario& s, const Topology& t) {
  FabricOptions fo;
  fo.multipath = s.cluster.out.multipath;
  fo.ecmp_seed = s.cluster.out.ecmp_seed;
  fo.nvls_bandwidth = s.cluster.up.nvls_bandwidth.value();
  std::vector<FaultReport> reports;
  std::vector<FaultSpec> faults = s.faults;
  std::stable_sort(faults.begin(), faults.end(), [](const FaultSpec& a, const FaultSpec& b) { return a.at < b.at; });
  for (const FaultSpec& f : faults) {
    FabricOptions::Fault ff;
    ff.time = f.at.value();
    ff.fraction = f.fraction;
    try {
      ff.edges = fault_edges(t, f.node_a, f.node_b);
    } catch (const Error& e) {
      throw InputError(f.where, e.what());
    }
    if (f.fraction == 0.0 && fo.multipath == Multipath::Ecmp)
      throw InputError(f.where, "a link that goes down under ECMP strands the flows hashed onto it until routing "
                                "reconverges, which racksim does not model; use state: degraded, or "
                                "cluster.scale_out.multipath: spray or adaptive (traffic then moves to the other paths)");
    FaultReport rep;
    rep.at_s = f.at.value();
    rep.target = f.node_b.empty() ? "switch " + f.node_a : "link " + f.node_a + " -- " + f.node_b;
    rep.state = f.fraction == 0.0 ? std::string("down") : fmt::format("degraded to {}", f.fraction);
    rep.links = static_cast<int>(ff.edges.size());
    for (const int e : ff.edges) rep.bandwidth_lost += t.link(e).bandwidth.value() * (1.0 - f.fraction);
    reports.push_back(rep);
    fo.faults.push_back(std::move(ff));
  }
  return {std::move(fo), std::move(reports)};
}

// ---- sizes, memory and times checked before anything is built (docs/scale.md) ----

std::string gigabytes(double bytes) { return fmt::format("{:.1f} GB", bytes / 1e9); }

std::string count_text(double n) { return n < 1e15 ? fmt::format("{:.0f}", n) : fmt::format("{:.3g}", n); }

std::string limit_text(const Scenario& s) {
  return fmt::format("simulation.memory_limit ({})", format_bytes(s.memory_limit));
}

// The memory the cluster's graph and what is built with it are estimated to take.
double graph_bytes(const TopologySize& z) { return (z.vertices() + z.links) * run_limits::kBytesPerGraphElement; }

std::string too_many_ranks(const Scenario& s, const std::string& name, double ranks, double gpus) {
  const std::optional<TransformerSpec>& tf = s.workload.transformer;
  return fmt::format("the {} '{}' has {} ranks but the cluster of {} has only {} GPUs (one rank per GPU){}",
                     tf ? "training step" : "trace", name, count_text(ranks),
                     std::filesystem::path(s.file).filename().string(), count_text(gpus),
                     tf ? fmt::format(": tp x cp x dp x pp = {} x {} x {} x {}", tf->layout.tp, tf->layout.cp,
                                      tf->layout.dp, tf->layout.pp)
                        : "");
}

double world_of(const ParallelLayout& l) {
  return static_cast<double>(l.tp) * static_cast<double>(l.cp) * static_cast<double>(l.dp) * static_cast<double>(l.pp);
}

// What the ops of `ranks` ranks of a generated step and the cluster's graph take together.
double step_bytes(const TransformerSpec& spec, double ranks, double graph, double* ops_out) {
  const double ops = estimate_transformer_ops(spec, static_cast<std::int64_t>(ranks));
  if (ops_out) *ops_out = ops;
  return graph + ops * run_limits::kBytesPerOp;
}

// "about N million ops (about X GB with the cluster's graph, at ~800 bytes per op measured)".
std::string ops_text(double ops, double bytes) {
  return fmt::format("about {} million ops (about {} with the cluster's graph, at the ~{:.0f} bytes per op measured; "
                     "docs/scale.md)",
                     ops >= 1e9 && ops < 1e15 ? fmt::format("{:.0f}", ops / 1e6) : fmt::format("{:.3g}", ops / 1e6),
                     gigabytes(bytes),
                     run_limits::kBytesPerOp);
}

// The keys that make a generated step large, with their values.
std::string step_size_keys(const TransformerSpec& spec) {
  return fmt::format("workload.model.layers ({}) or the micro batches per step (workload.batch.global / (micro x dp) "
                     "= {})",
                     spec.model.layers, spec.batch.microbatches(spec.layout));
}

// The ranks of a generated step that are built whatever the reduction decides: one data-parallel
// replica (tp x cp x pp consecutive ranks), or one domain's `gpus_per_domain` when several
// replicas share it, where the layout may be reduced (docs/scale.md, the conditions the scenario
// alone decides), every rank otherwise, with the reason in `why`.
double least_built_ranks(const Scenario& s, const TransformerSpec& spec, std::int64_t gpus_per_domain, std::string& why) {
  const ParallelLayout& l = spec.layout;
  const std::int64_t replica = l.tp * l.cp * l.pp;
  if (s.full_fidelity) why = "simulation.fidelity is full";
  else if (l.order != RankOrder::TpCpPpDp) why = "parallel.order is tp-cp-dp-pp, and only tp-cp-pp-dp can be reduced";
  else if (l.dp < 2) why = "parallel.dp is 1: there is no data-parallel replica to stand for the others";
  else if (l.ep > 1) why = fmt::format("parallel.ep is {}: all-to-alls run between replicas", l.ep);
  else return static_cast<double>(std::max(reduced_block(replica, gpus_per_domain), replica));
  return world_of(l);
}

// A generated step that was not reduced is about to be built for every rank: refused when its
// ops, counted in closed form, and the cluster's graph would not fit in simulation.memory_limit.
void refuse_oversized_full_run(const Scenario& s, const ClusterSetup& c, const std::string& why) {
  if (!s.workload.transformer) return;
  const TransformerSpec& spec = *s.workload.transformer;
  const double world = world_of(spec.layout);
  TopologySize z;
  z.gpus = static_cast<double>(c.topology.gpus.size());
  z.links = static_cast<double>(c.topology.num_links());
  z.switches = static_cast<double>(boost::num_vertices(c.topology.graph)) - z.gpus;
  double ops = 0.0;
  const double bytes = step_bytes(spec, world, graph_bytes(z), &ops);
  if (bytes <= s.memory_limit.value()) return;
  if (s.full_fidelity)
    throw InputError(spec.where,
                     fmt::format("simulating all {} ranks of this training step (simulation.fidelity: full) would build "
                                 "{}, more than {}; reduce {}, use simulation.fidelity: auto where the step can be "
                                 "reduced (docs/scale.md), or raise simulation.memory_limit if this machine has the memory",
                                 count_text(world), ops_text(ops, bytes), limit_text(s), step_size_keys(spec)));
  throw InputError(spec.where,
                   fmt::format("this training step cannot be simulated reduced ({}), and simulating all {} ranks would "
                               "build {}, more than {}; make it reducible (docs/scale.md), reduce {}, or raise "
                               "simulation.memory_limit if this machine has the memory",
                               why, count_text(world), ops_text(ops, bytes), limit_text(s), step_size_keys(spec)));
}

// The keys that set a link's bandwidth and latency, by its kind, for messages.
std::string link_keys(LinkKind k) {
  switch (k) {
    case LinkKind::ScaleUp:
      return "cluster.scale_up.bandwidth x efficiency and cluster.scale_up.latency (or the catalog's GPU "
             "scale_up_bandwidth, link bandwidth, usable_fraction and latency)";
    case LinkKind::HostInterface: return "the catalog NIC's host_interface_bandwidth (cluster.scale_out.nic)";
    case LinkKind::ScaleOut:
      return "the catalog NIC's line_rate and cable latency (cluster.scale_out.nic, cable) at the transport's payload "
             "share (cluster.scale_out.transport)";
  }
  return "?";
}

// Every link and switch of the built cluster within the limits a byte can cross in a run
// (run_limits): a bandwidth of 1e-300 B/s or a latency of 1e300 s is a unit mistake, refused here
// rather than simulated to an infinite time.
void check_link_extremes(const Scenario& s, const Topology& t) {
  using namespace run_limits;
  for (std::size_t e = 0; e < t.num_links(); ++e) {
    const LinkProps& l = t.link(static_cast<int>(e));
    const double bw = l.bandwidth.value(), lat = l.latency.value();
    if (bw >= kMinLinkBandwidth && std::isfinite(bw) && lat <= kMaxLinkLatency) continue;
    throw InputError(s.cluster_where,
                     fmt::format("a {} link of this cluster ({} -- {}) would carry {} B/s with a latency of {} s; every "
                                 "link needs at least {} B/s and at most {} s (docs/scale.md): check the units of {}",
                                 to_string(l.kind), t.graph[t.edge_ends[e].first].name, t.graph[t.edge_ends[e].second].name,
                                 bw, lat, kMinLinkBandwidth, kMaxLinkLatency, link_keys(l.kind)));
  }
  for (const auto v : boost::make_iterator_range(boost::vertices(t.graph))) {
    const NodeProps& n = t.graph[v];
    if (n.latency.value() <= kMaxLinkLatency) continue;
    throw InputError(s.cluster_where,
                     fmt::format("{} {} would take {} s per traversal; at most {} s (docs/scale.md): check the units of {}",
                                 to_string(n.kind), n.name, n.latency.value(), kMaxLinkLatency,
                                 n.kind == NodeKind::Switch && n.domain >= 0
                                     ? "cluster.scale_up.switch_latency (or the catalog switch's latency)"
                                     : "the catalog part's latency"));
  }
}

// Every collective call's predicted time (the cost model on an idle fabric, or a reduced run's
// closed form) within the longest simulated time: a call that would take longer, or forever,
// comes from an extreme bandwidth, latency or size, named here rather than simulated.
void check_call_times(const Scenario& s, const ClusterSetup& c, const Workload& w) {
  for (const CollectiveMethod& m : w.plans) {
    const double t = m.closed_form ? m.closed_form->value() : m.predicted.value();
    if (t <= run_limits::kMaxSimulatedTime) continue;  // false for NaN too
    throw InputError(s.cluster_where,
                     fmt::format("a {} of {} B over {} ranks would take {} s on this fabric (the collective cost model), "
                                 "past the longest simulated time racksim accepts, {:.0f} s (docs/scale.md): the scale-up "
                                 "level gives {} B/s per GPU with {} s per step (cluster.scale_up.bandwidth x efficiency, "
                                 "latency, switch_latency){}; check their units",
                                 to_string(m.shape.kind), m.shape.bytes, m.shape.group_size, t,
                                 run_limits::kMaxSimulatedTime, c.levels.up.bandwidth.value(), c.levels.up.alpha.value(),
                                 c.levels.has_scale_out
                                     ? fmt::format(", the scale-out level {} B/s per GPU with {} s per step (the NIC, "
                                                   "cable and transport of cluster.scale_out)",
                                                   c.levels.out.bandwidth.value(), c.levels.out.alpha.value())
                                     : std::string()));
  }
}

// The most transfers the simulated ranks of `w` can have in flight at once, bounded from above
// without simulating: a rank runs at most one step of one collective per stream at a time, with
// the sends of the busiest step of that call's schedule (at group position 0, at its first,
// middle and last step; closed-form calls send nothing), and one send per stream otherwise.
double concurrent_flows(const Workload& w, int ranks) {
  std::vector<double> per_plan(w.plans.size(), -1.0);
  auto sends_of = [&](int plan) {
    double& n = per_plan[static_cast<std::size_t>(plan)];
    if (n >= 0.0) return n;
    const CollectiveMethod& m = w.plans[static_cast<std::size_t>(plan)];
    n = 0.0;
    if (m.closed_form) return n;
    const CollectiveSchedule sched(m.shape);
    for (const int step : {0, sched.num_steps() / 2, sched.num_steps() - 1})
      if (step >= 0 && step < sched.num_steps()) n = std::max(n, static_cast<double>(sched.step(0, step).sends.size()));
    return n;
  };
  double total = 0.0;
  std::vector<double> stream_max(w.streams.size() + 1);
  for (int r = 0; r < ranks; ++r) {
    std::fill(stream_max.begin(), stream_max.end(), 0.0);
    for (const Op& op : w.programs[static_cast<std::size_t>(r)]) {
      const auto st = std::min(static_cast<std::size_t>(std::max(op.stream, 0)), w.streams.size());
      if (op.kind == OpKind::Collective && op.plan >= 0) stream_max[st] = std::max(stream_max[st], sends_of(op.plan));
      else if (op.kind == OpKind::Send) stream_max[st] = std::max(stream_max[st], 1.0);
    }
    for (const double n : stream_max) total += n;
  }
  return total;
}

// Refuses a step whose transfers in flight at once could not be simulated (run_limits).
void check_concurrent_flows(const Scenario& s, const Workload& w, int ranks) {
  const double flows = concurrent_flows(w, ranks);
  if (flows <= run_limits::kMaxConcurrentFlows) return;
  throw InputError(s.cluster_where,
                   fmt::format("the {} simulated ranks of '{}' could have up to {:.0f} transfers in flight at once (the "
                               "busiest step of each call's schedule on each stream), more than the {:.0f} SimGrid can "
                               "share a network among in a run that finishes (docs/scale.md): use collectives with "
                               "fewer peers per step (collectives.algorithm: ring, or per kind), smaller groups, or "
                               "fewer ranks",
                               ranks, w.name, flows, run_limits::kMaxConcurrentFlows));
}

// One rank per GPU, and every compute op with FLOPs has a rate for its precision on this GPU:
// said now, at the op, rather than when the op starts inside the simulation.
void check_fits(const Scenario& s, const Workload& w, int gpus) {
  if (w.ranks > gpus)
    throw InputError(w.ranks_where, too_many_ranks(s, w.name, w.ranks, gpus));
  // Measured durations (trace compute ops and delays) within the longest simulated time, one by
  // one and added up per rank: a 10-hour delay would otherwise be simulated control period by
  // control period, and a duration of 1e300 s reach the outputs.
  for (int r = 0; r < w.ranks; ++r) {
    double total = 0.0;
    for (const Op& op : w.programs[static_cast<std::size_t>(r)]) {
      if (!op.duration) continue;
      total += op.duration->value();
      if (total <= run_limits::kMaxSimulatedTime) continue;
      throw InputError(op.where, fmt::format("op '{}' on rank {} lasts {} s, which brings the rank's measured durations "
                                             "to {} s, past the longest simulated time racksim accepts ({:.0f} s, "
                                             "docs/scale.md); check its unit",
                                             op.id, r, op.duration->value(), total, run_limits::kMaxSimulatedTime));
    }
  }
  for (int r = 0; r < w.ranks; ++r)
    for (const Op& op : w.programs[static_cast<std::size_t>(r)])
      if (op.kind == OpKind::Compute && !op.duration && op.flops.value() > 0.0 && !s.gpu.peak(op.precision))
        throw InputError(op.where, fmt::format("op '{}' on rank {} computes in {}, which GPU '{}' does not support "
                                               "(its catalog rates: {})",
                                               op.id, r, to_string(op.precision), s.gpu.id, [&] {
                                                 std::string list;
                                                 for (const auto& [p, rate] : s.gpu.peak_dense)
                                                   list += (list.empty() ? "" : ", ") + to_string(p);
                                                 return list;
                                               }()));
}

// Every rank simulated: `w` checked against the cluster and its collectives planned.
SimulatedStep every_rank(const Scenario& s, const ClusterSetup& c, Workload w, ReductionReport report) {
  check_fits(s, w, static_cast<int>(c.topology.gpus.size()));
  SimulatedStep step;
  step.workload = at_cluster(s, [&] { return choose_collective_methods(std::move(w), s.collectives, c.levels); });
  check_call_times(s, c, step.workload);
  check_concurrent_flows(s, step.workload, step.workload.ranks);
  step.reduction = std::move(report);
  step.simulated_ranks = step.workload.ranks;
  return step;
}

}  // namespace

void check_sizes(const Scenario& s) {
  const TopologySize z = estimate_topology_size(s.cluster);
  const double graph = graph_bytes(z);
  if (z.gpus > run_limits::kMaxGpus || graph > s.memory_limit.value())
    throw InputError(s.cluster_where,
                     fmt::format("this cluster of {} domains x {} GPUs would be a graph of about {} vertices ({} GPUs, {} "
                                 "NICs, {} switches) and {} links, about {} at the ~{:.0f} bytes per vertex or link "
                                 "measured (docs/scale.md){}; reduce cluster.domains, the GPUs per domain "
                                 "(cluster.scale_up.gpus, or the kind or system) or cluster.scale_out.nics_per_gpu{}",
                                 s.cluster.domains, s.cluster.up.gpus, count_text(z.vertices()), count_text(z.gpus),
                                 count_text(z.nics), count_text(z.switches), count_text(z.links), gigabytes(graph),
                                 run_limits::kBytesPerGraphElement,
                                 z.gpus > run_limits::kMaxGpus
                                     ? fmt::format(", past the {:.0f} GPUs racksim numbers", run_limits::kMaxGpus)
                                     : fmt::format(", more than {}", limit_text(s)),
                                 z.gpus > run_limits::kMaxGpus ? "" : ", or raise simulation.memory_limit if this machine has the memory"));
  if (!s.workload.transformer) return;
  const TransformerSpec& spec = *s.workload.transformer;
  const double world = world_of(spec.layout);
  if (world > z.gpus) throw InputError(spec.where, too_many_ranks(s, spec.model.name + "-train", world, z.gpus));
  std::string why;
  const double ranks = least_built_ranks(s, spec, s.cluster.up.gpus, why);
  double ops = 0.0;
  const double bytes = step_bytes(spec, ranks, graph, &ops);
  if (bytes <= s.memory_limit.value()) return;
  throw InputError(spec.where,
                   fmt::format("generating this training step would build {} on {}, more than {}; reduce {}, or raise "
                               "simulation.memory_limit if this machine has the memory",
                               ops_text(ops, bytes),
                               ranks < world ? fmt::format("the {} ranks of one {}", count_text(ranks),
                                                           ranks > world / static_cast<double>(spec.layout.dp)
                                                               ? "scale-up domain (several data-parallel replicas)"
                                                               : "data-parallel replica")
                                             : fmt::format("all {} ranks (it cannot be simulated reduced: {})",
                                                           count_text(ranks), why),
                               limit_text(s), step_size_keys(spec)));
}

Workload build_workload(const Scenario& s) {
  if (s.workload.chakra) return load_chakra(*s.workload.chakra, s.gpu);
  if (s.workload.transformer) return generate_transformer(*s.workload.transformer, s.gpu);
  return load_native_trace(s.workload.file);
}

ClusterSetup build_cluster_setup(const Scenario& s) {
  check_sizes(s);
  Topology unscaled = checked_topology(s);
  FabricLevels levels = at_cluster(s, [&] { return fabric_levels(s, unscaled); });
  Topology topology = at_payload_share(std::move(unscaled), levels.transport_efficiency);
  check_link_extremes(s, topology);
  auto [fabric, faults] = fabric_and_faults(s, topology);
  return ClusterSetup{std::move(topology), std::move(levels), std::move(fabric), std::move(faults)};
}

SimulatedStep choose_step(const Scenario& s, const ClusterSetup& c, std::optional<Workload> given) {
  if (given) {
    ReductionReport report;
    report.fidelity = s.full_fidelity ? "full" : "auto";
    report.reason = "the workload was given to the run ready-made";
    return every_rank(s, c, std::move(*given), std::move(report));
  }
  ReducedStep reduced = reduce_step(s, c);
  if (reduced.replica) {
    SimulatedStep step;
    step.workload = std::move(*reduced.replica);
    step.simulated_ranks = reduced.report.simulated_ranks;
    step.reduction = std::move(reduced.report);
    step.fabric_split = reduced.fabric_split;
    check_call_times(s, c, step.workload);
    check_concurrent_flows(s, step.workload, step.simulated_ranks);
    return step;
  }
  refuse_oversized_full_run(s, c, reduced.report.reason);
  return every_rank(s, c, build_workload(s), std::move(reduced.report));
}

PlatformSpec build_platform(const Scenario& s, const ClusterSetup& c, const SimulatedStep& step) {
  FabricOptions fo;
  if (step.reduction.applied) {  // the replica's GPUs over their scale-up links: ECMP, no faults
    fo.nvls_bandwidth = c.fabric.nvls_bandwidth;
    fo.gpus = step.simulated_ranks;
  } else {
    fo = c.fabric;
  }
  fo.nvls = uses_nvls(step.workload);  // NVLS calls need their domains' switch hosts
  return at_cluster(s, [&] {
    return emit_platform(c.topology, communicating_pairs(step.workload), s.gpu.hbm_bandwidth.value(), fo);
  });
}

PowerSetup power_setup(const Scenario& s, const Topology& t, const SimulatedStep& step) {
  const PowerConfig& pc = s.power;
  PowerSetup ps;
  ps.gpu = pc.gpu;
  ps.gpus = step.reduction.applied ? step.simulated_ranks : static_cast<int>(t.gpus.size());
  ps.gpus_per_rack = t.gpus_per_domain;
  ps.replicas = step.reduction.applied ? step.reduction.replicas : 1;
  ps.rack = pc.rack;
  ps.governor.gpu_cap = pc.gpu_cap;
  ps.governor.rack_cap = pc.rack_cap;
  ps.governor.site_cap = pc.site_cap;
  ps.governor.site = pc.site;
  ps.governor.period = pc.control_period;
  ps.sample_period = pc.sample_period;
  ps.thermal = pc.thermal;
  std::map<std::string, int> missing;
  double fabric = 0.0;
  for (const auto v : boost::make_iterator_range(boost::vertices(t.graph))) {
    const NodeProps& n = t.graph[v];
    if (n.kind != NodeKind::Switch || n.domain >= 0) continue;  // scale-up switches are in the rack entry
    ++ps.fabric_switch_count;
    const SwitchSpec* sw = s.catalog.find_switch(n.part);
    if (sw && sw->power) fabric += sw->power->value();
    else ++missing[n.part];
  }
  ps.fabric_switches = Watts(fabric);
  for (const auto& [part, count] : missing)
    ps.uncounted.push_back(fmt::format("{} x {} scale-out switch (no power in the catalog)", count, part));
  if (!pc.rack)
    ps.uncounted.push_back(fmt::format("CPUs, NICs, scale-up switches, pumps and fans ({})", pc.rack_absent_reason));
  return ps;
}

void choose_collective_timing(const Scenario& s, SimulatedStep& step, const PlatformSpec& platform) {
  IsolationReport rep;
  rep.mode = s.collective_transfers ? "transfers" : "auto";
  if (s.collective_transfers) rep.reason = "simulation.collective_timing is transfers";
  else if (std::any_of(platform.changes.begin(), platform.changes.end(), [](const auto& c) { return c.time > 0.0; }))
    rep.reason = "a fault after t = 0 changes the fabric during the run";
  step.isolation = mark_isolated_calls(step.workload, platform, std::move(rep));
}

}  // namespace racksim
