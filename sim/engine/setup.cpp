// racksim engine: the stages that set a run up (setup.hpp).
#include "sim/engine/setup.hpp"

#include "sim/engine/reduction.hpp"
#include "sim/workload/chakra.hpp"
#include "sim/workload/training_generator.hpp"
#include "topologies/builders.hpp"
#include "topologies/check.hpp"
#include "topologies/routing.hpp"

#include <fmt/format.h>

#include <boost/range/iterator_range.hpp>

#include <algorithm>
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

// A generated step that was not reduced is about to be built for every rank. Estimate its op
// count from one pipeline's worth of ranks and refuse, in auto mode, what would not fit in a
// machine's memory, rather than fail after minutes in the allocator.
void refuse_oversized_full_run(const Scenario& s, const std::string& why) {
  if (!s.workload.transformer) return;
  const TransformerSpec& spec = *s.workload.transformer;
  const std::int64_t world = spec.layout.world();
  const std::int64_t sample = std::min<std::int64_t>(world, spec.layout.tp * spec.layout.cp * spec.layout.pp);
  if (world <= sample) return;
  const Workload part = generate_transformer(spec, s.gpu, static_cast<int>(sample));
  const double ops = static_cast<double>(part.total_ops()) * static_cast<double>(world) / static_cast<double>(sample);
  // Measured: the full 1,152-GPU llama3-405b-16rack step builds 9.43 million ops and peaks at
  // 6.9 GiB (~750 bytes per op, SimGrid included; bench/README.md).
  constexpr double kBytesPerOp = 750.0;
  constexpr double kLimitOps = 20e6;  // ~15 GB
  if (ops <= kLimitOps) return;
  throw InputError(spec.where,
                   fmt::format("this training step cannot be simulated reduced ({}), and simulating all {} ranks would build "
                               "about {:.0f} million ops (about {:.0f} GB at the ~{:.0f} bytes per op measured on a full "
                               "1,152-GPU step); make it reducible (docs/scale.md) or set simulation.fidelity: full to run "
                               "it anyway",
                               why, world, ops / 1e6, ops * kBytesPerOp / 1e9, kBytesPerOp));
}

// One rank per GPU, and every compute op with FLOPs has a rate for its precision on this GPU:
// said now, at the op, rather than when the op starts inside the simulation.
void check_fits(const Scenario& s, const Workload& w, int gpus) {
  if (w.ranks > gpus) {
    const std::optional<TransformerSpec>& tf = s.workload.transformer;
    throw InputError(w.ranks_where,
                     fmt::format("the {} '{}' has {} ranks but the cluster of {} has only {} GPUs (one rank per GPU){}",
                                 tf ? "training step" : "trace", w.name, w.ranks,
                                 std::filesystem::path(s.file).filename().string(), gpus,
                                 tf ? fmt::format(": tp x cp x dp x pp = {} x {} x {} x {}", tf->layout.tp, tf->layout.cp,
                                                  tf->layout.dp, tf->layout.pp)
                                    : ""));
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
  step.reduction = std::move(report);
  step.simulated_ranks = step.workload.ranks;
  return step;
}

}  // namespace

Workload build_workload(const Scenario& s) {
  if (s.workload.chakra) return load_chakra(*s.workload.chakra, s.gpu);
  if (s.workload.transformer) return generate_transformer(*s.workload.transformer, s.gpu);
  return load_native_trace(s.workload.file);
}

ClusterSetup build_cluster_setup(const Scenario& s) {
  Topology unscaled = checked_topology(s);
  FabricLevels levels = at_cluster(s, [&] { return fabric_levels(s, unscaled); });
  Topology topology = at_payload_share(std::move(unscaled), levels.transport_efficiency);
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
    return step;
  }
  if (!s.full_fidelity) refuse_oversized_full_run(s, reduced.report.reason);
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

}  // namespace racksim
