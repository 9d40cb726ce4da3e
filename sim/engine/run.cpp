#include "sim/engine/run.hpp"

#include "sim/engine/collective_plan.hpp"
#include "sim/workload/training_generator.hpp"
#include "sim/engine/platform.hpp"
#include "sim/engine/reduction.hpp"
#include "sim/engine/simgrid_adapter.hpp"
#include "sim/workload/workload.hpp"
#include "topologies/check.hpp"
#include "topologies/routing.hpp"

#include <fmt/format.h>

#include <boost/range/iterator_range.hpp>

#include <filesystem>
#include <map>
#include <set>
#include <thread>
#include <tuple>

namespace racksim {

struct RunPlan {
  Topology topology;       // the whole cluster
  Workload workload;
  PlatformSpec platform;
  PowerSetup power;
  FabricLevels levels;
  FabricReport fabric;
  ReductionReport reduction;
  int simulated_ranks = 0;  // ranks 0..simulated_ranks-1 run in SimGrid (all of them unless reduced)
};

namespace {
std::string base_name(const std::string& p) { return std::filesystem::path(p).filename().string(); }

// The power loop's setup: the scenario's resolved power and cooling, plus the scale-out switches
// the topology holds (their power from the catalog, where it gives one).
PowerSetup power_setup(const Scenario& s, const Topology& t) {
  const PowerConfig& pc = s.power;
  PowerSetup ps;
  ps.gpu = pc.gpu;
  ps.gpus = static_cast<int>(t.gpus.size());
  ps.gpus_per_rack = t.gpus_per_domain;
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
}  // namespace

Workload build_workload(const Scenario& s) {
  if (s.workload.chakra) return load_chakra(*s.workload.chakra, s.gpu);
  if (s.workload.transformer) return generate_transformer(*s.workload.transformer, s.gpu);
  return load_native_trace(s.workload.file);
}

Run::Run(const Scenario& scenario) : s_(scenario), plan_(std::make_unique<RunPlan>()) {
  build_topology();
  setup_levels();
  ReductionReport& rep = plan_->reduction;
  rep.fidelity = s_.full_fidelity ? "full" : "auto";
  ReplicaLayout layout;
  rep.reason = replica_layout_problem(s_, static_cast<int>(plan_->topology.gpus.size()), plan_->topology.gpus_per_domain,
                                      layout);
  if (rep.reason.empty()) {
    rep.reason = prepare_reduced(layout);
    if (rep.reason.empty()) return;
  }
  if (!s_.full_fidelity) refuse_oversized_full_run(rep.reason);
  prepare(build_workload(s_));
}

// A generated step that was not reduced is about to be built for every rank. Estimate its op
// count from one pipeline's worth of ranks and refuse, in auto mode, what would not fit in a
// machine's memory, rather than fail after minutes in the allocator.
void Run::refuse_oversized_full_run(const std::string& why) const {
  if (!s_.workload.transformer) return;
  const TransformerSpec& spec = *s_.workload.transformer;
  const std::int64_t world = spec.layout.world();
  const std::int64_t sample = std::min<std::int64_t>(world, spec.layout.tp * spec.layout.cp * spec.layout.pp);
  if (world <= sample) return;
  const Workload part = generate_transformer(spec, s_.gpu, static_cast<int>(sample));
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

Run::Run(const Scenario& scenario, Workload workload) : s_(scenario), plan_(std::make_unique<RunPlan>()) {
  build_topology();
  setup_levels();
  plan_->reduction.fidelity = s_.full_fidelity ? "full" : "auto";
  plan_->reduction.reason = "the workload was given to the run ready-made";
  prepare(std::move(workload));
}

void Run::build_topology() {
  try {
    plan_->topology = build_cluster(s_.cluster);
  } catch (const InputError&) {
    throw;
  } catch (const Error& e) {
    throw InputError(s_.cluster_where, e.what());
  }
  const auto problems = check_topology(plan_->topology);
  if (!problems.empty()) {
    std::string msg = "the cluster is not valid:";
    constexpr std::size_t kShown = 10;
    for (std::size_t i = 0; i < problems.size() && i < kShown; ++i) msg += "\n  - " + problems[i];
    if (problems.size() > kShown) msg += fmt::format("\n  ... and {} more problems", problems.size() - kShown);
    throw InputError(s_.cluster_where, msg);
  }
}

void Run::prepare(Workload workload) {
  plan_->workload = std::move(workload);
  plan_->simulated_ranks = plan_->workload.ranks;
  try {
    const int gpus = static_cast<int>(plan_->topology.gpus.size());
    if (plan_->workload.ranks > gpus)
      throw InputError(plan_->workload.ranks_where,
                       fmt::format("the {} '{}' has {} ranks but the cluster of {} has only {} GPUs (one rank per GPU){}",
                                   s_.workload.transformer ? "training step" : "trace", plan_->workload.name,
                                   plan_->workload.ranks, base_name(s_.file), gpus,
                                   s_.workload.transformer ? fmt::format(": tp x cp x dp x pp = {} x {} x {} x {}",
                                                                         s_.workload.transformer->layout.tp,
                                                                         s_.workload.transformer->layout.cp,
                                                                         s_.workload.transformer->layout.dp,
                                                                         s_.workload.transformer->layout.pp)
                                                           : ""));
    // Every compute op with FLOPs needs a rate for its precision on this GPU: say so now, with
    // the op's location, rather than when the op starts inside the simulation.
    for (int r = 0; r < plan_->workload.ranks; ++r)
      for (const Op& op : plan_->workload.programs[static_cast<std::size_t>(r)])
        if (op.kind == OpKind::Compute && !op.duration && op.flops.value() > 0.0 && !s_.gpu.peak(op.precision))
          throw InputError(op.where, fmt::format("op '{}' on rank {} computes in {}, which GPU '{}' does not support "
                                                 "(its catalog rates: {})",
                                                 op.id, r, to_string(op.precision), s_.gpu.id, [&] {
                                                   std::string list;
                                                   for (const auto& [p, rate] : s_.gpu.peak_dense)
                                                     list += (list.empty() ? "" : ", ") + to_string(p);
                                                   return list;
                                                 }()));
    plan_collectives(plan_->workload, s_.collectives, plan_->levels);
    const FabricOptions fo = fabric_options(plan_->workload);
    plan_->platform = emit_platform(plan_->topology, communicating_pairs(plan_->workload), s_.gpu.hbm_bandwidth.value(), fo);
    plan_->fabric.split_links = plan_->platform.split_links;
    plan_->fabric.mixed_weight_links = plan_->platform.mixed_weight_links;
    plan_->power = power_setup(s_, plan_->topology);
  } catch (const InputError&) {
    throw;
  } catch (const Error& e) {  // impossible cluster parameters or an unreachable pair
    throw InputError(s_.cluster_where, e.what());
  }
}


// The scale-out transport's payload share (models/transport.hpp) scales every fabric link: done
// once per run, before any plan or platform.
void Run::setup_levels() {
  try {
    plan_->levels = fabric_levels(s_, plan_->topology);
  } catch (const InputError&) {
    throw;
  } catch (const Error& e) {
    throw InputError(s_.cluster_where, e.what());
  }
  if (plan_->levels.transport_efficiency != 1.0)
    for (const auto e : boost::make_iterator_range(boost::edges(plan_->topology.graph))) {
      LinkProps& lp = plan_->topology.graph[e];
      if (lp.kind == LinkKind::ScaleOut) lp.bandwidth = lp.bandwidth * plan_->levels.transport_efficiency;
    }
}

// How flows use the fabric and what faults do to it, with the fabric report; after the
// collectives are planned (NVLS needs the switch hosts).
FabricOptions Run::fabric_options(const Workload& w) {
  FabricOptions fo;
  fo.multipath = s_.cluster.out.multipath;
  fo.ecmp_seed = s_.cluster.out.ecmp_seed;
  fo.nvls_bandwidth = s_.cluster.up.nvls_bandwidth.value();
  for (const auto& pl : w.plans)
    if (pl.shape.algorithm == CollectiveAlgorithm::Nvls) fo.nvls = true;
  FabricReport& fr = plan_->fabric;
  fr = FabricReport{};
  fr.multipath = to_string(fo.multipath);
  fr.ecmp_seed = fo.ecmp_seed;
  if (s_.cluster.out.enabled) {
    fr.transport = to_string(s_.transport.protocol);
    fr.transport_efficiency = plan_->levels.transport_efficiency;
    fr.recovery = plan_->levels.loss_recovery;
  }
  std::vector<FaultSpec> faults = s_.faults;
  std::stable_sort(faults.begin(), faults.end(), [](const FaultSpec& a, const FaultSpec& b) { return a.at < b.at; });
  for (const FaultSpec& f : faults) {
    FabricOptions::Fault ff;
    ff.time = f.at.value();
    ff.fraction = f.fraction;
    try {
      ff.edges = fault_edges(plan_->topology, f.node_a, f.node_b);
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
    for (const int e : ff.edges) rep.bandwidth_lost += plan_->topology.link(e).bandwidth.value() * (1.0 - f.fraction);
    fr.faults.push_back(rep);
    fo.faults.push_back(std::move(ff));
  }
  return fo;
}

std::string Run::prepare_reduced(const ReplicaLayout& layout) {
  ReductionReport& rep = plan_->reduction;
  const Topology& full = plan_->topology;
  Workload w = generate_transformer(*s_.workload.transformer, s_.gpu, layout.block);
  plan_collectives(w, s_.collectives, plan_->levels);
  // The calls that leave the replica: its ranks' collectives on groups reaching past it.
  std::vector<char> leaves(w.groups.size(), 0);
  for (std::size_t gi = 0; gi < w.groups.size(); ++gi)
    leaves[gi] = !w.groups[gi].ranks.empty() && w.groups[gi].ranks.back() >= layout.block ? 1 : 0;
  std::vector<int> plan_ids;
  std::vector<int> group_of_plan(w.plans.size(), -1);
  std::size_t calls = 0;
  for (int r = 0; r < layout.block; ++r)
    for (const Op& op : w.programs[static_cast<std::size_t>(r)])
      if (op.kind == OpKind::Collective && leaves[static_cast<std::size_t>(op.group)]) {
        ++calls;
        plan_ids.push_back(op.plan);
        group_of_plan[static_cast<std::size_t>(op.plan)] = op.group;
      }
  std::sort(plan_ids.begin(), plan_ids.end());
  plan_ids.erase(std::unique(plan_ids.begin(), plan_ids.end()), plan_ids.end());
  // Each leaving group's (source, destination) pairs over all its calls' schedules, by position.
  std::map<int, std::set<std::pair<int, int>>> group_pairs;
  std::set<std::tuple<int, int, int, int, int, int, int, int>> walked;
  for (const int id : plan_ids) {
    const CollectivePlan& pl = w.plans[static_cast<std::size_t>(id)];
    if (pl.shape.algorithm == CollectiveAlgorithm::Nvls) return "an NVLS call leaves the replica";
    const int group = group_of_plan[static_cast<std::size_t>(id)];
    const CollectiveShape& sh = pl.shape;
    const std::tuple<int, int, int, int, int, int, int, int> key{group, static_cast<int>(sh.kind), static_cast<int>(sh.algorithm),
                                                               sh.domain_size, sh.root, static_cast<int>(sh.intra),
                                                               static_cast<int>(sh.inter), sh.channels};
    if (!walked.insert(key).second) continue;
    const auto peers = send_peers(sh);
    auto& set = group_pairs[group];
    for (std::size_t p = 0; p < peers.size(); ++p)
      for (const int q : peers[p]) set.emplace(static_cast<int>(p), q);
  }
  std::vector<std::pair<int, int>> pairs;
  for (const auto& [gi, set] : group_pairs) {
    const Group& g = w.groups[static_cast<std::size_t>(gi)];
    for (const auto& [p, q] : set) pairs.emplace_back(g.ranks[static_cast<std::size_t>(p)], g.ranks[static_cast<std::size_t>(q)]);
  }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());

  // The whole fabric with those pairs' routes, as it is after the faults (all at t = 0).
  const FabricOptions fo = fabric_options(w);  // resolves the faults' links (errors at the fault)
  for (const auto& f : fo.faults)
    for (const int e : f.edges)
      if (full.link(e).kind != LinkKind::ScaleOut) return "a fault inside a scale-up domain makes the domains differ";
  PlatformSpec fabric;
  try {
    fabric = emit_platform(full, pairs, 0.0, fo);
  } catch (const InputError&) {
    throw;
  } catch (const Error& e) {
    throw InputError(s_.cluster_where, e.what());
  }
  for (const auto& c : fabric.changes) fabric.links[static_cast<std::size_t>(c.link)].bandwidth = c.bandwidth;
  rep.dp_pairs = pairs.size();
  std::string worst;
  rep.max_link_load = max_link_load(fabric, pairs, worst);
  if (rep.max_link_load > 1.0 + 1e-9)
    return fmt::format("the data-parallel transfers would contend: all at once, each at its idle-fabric rate, they ask "
                       "{:.1f}% of link {}",
                       100.0 * rep.max_link_load, worst);

  // Evaluate each distinct (group costs, call) once.
  const PairCosts costs(fabric);
  const GpuCalibration* cal = s_.calibration ? &*s_.calibration : nullptr;
  const double hbm = s_.gpu.hbm_bandwidth.value();
  const auto reduce_time = [&](std::uint64_t bytes) {
    const KernelEstimate e = estimate_kernel(s_.gpu, cal, reduction_work(Bytes(static_cast<double>(bytes)), Precision::bf16));
    // As the replay issues it: the compute part at the nominal clock, the memory part as whole
    // bytes on the HBM link.
    const double memory = static_cast<double>(std::llround(e.memory_time.value() * hbm)) / hbm;
    return std::max(e.compute_time.value(), memory);
  };
  std::map<std::vector<double>, int> classes;  // a group's pair costs (position order) -> class
  std::map<int, int> class_of;                  // group -> class
  for (const auto& [gi, set] : group_pairs) {
    const Group& g = w.groups[static_cast<std::size_t>(gi)];
    std::vector<double> print;
    for (const auto& [p, q] : set) {
      const PairCost& c = costs.at(g.ranks[static_cast<std::size_t>(p)], g.ranks[static_cast<std::size_t>(q)]);
      print.insert(print.end(), {static_cast<double>(p), static_cast<double>(q), c.latency, c.bandwidth});
    }
    const int gpd = full.gpus_per_domain;
    for (const int r : g.ranks) print.push_back(static_cast<double>(r / gpd));
    class_of[gi] = classes.emplace(std::move(print), static_cast<int>(classes.size())).first->second;
  }
  // Distinct evaluations first, then run them (independent pure computations: spread over the
  // machine's cores, each result lands in its own slot, so the outcome does not depend on the
  // threads).
  std::map<std::string, std::size_t> job_of;
  std::vector<std::pair<int, int>> jobs;  // (plan id, group) of each distinct evaluation
  std::vector<std::size_t> plan_job(plan_ids.size());
  for (std::size_t i = 0; i < plan_ids.size(); ++i) {
    const int id = plan_ids[i];
    const CollectivePlan& pl = w.plans[static_cast<std::size_t>(id)];
    const int group = group_of_plan[static_cast<std::size_t>(id)];
    const CollectiveShape& sh = pl.shape;
    std::string counts;
    for (const auto c : sh.counts) counts += fmt::format("{},", c);
    const std::string key =
        fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{:a}|{:a}|{:a}|{:a}|{}", class_of.at(group), static_cast<int>(sh.kind),
                    static_cast<int>(sh.algorithm), sh.group_size, sh.bytes, sh.root, sh.chunks, sh.domain_size,
                    static_cast<int>(sh.intra), static_cast<int>(sh.inter), sh.channels, counts, pl.bandwidth_fraction,
                    pl.launch.value(), pl.hop_intra.value(), pl.hop_inter.value(), pl.gpus_per_domain);
    const auto [it, fresh] = job_of.emplace(key, jobs.size());
    if (fresh) jobs.emplace_back(id, group);
    plan_job[i] = it->second;
  }
  std::vector<IsolatedTiming> timing(jobs.size());
  std::vector<std::string> failure(jobs.size());
  const auto work = [&](std::size_t first, std::size_t stride) {
    for (std::size_t j = first; j < jobs.size(); j += stride) {
      try {
        timing[j] = evaluate_isolated(w.plans[static_cast<std::size_t>(jobs[j].first)],
                                      w.groups[static_cast<std::size_t>(jobs[j].second)], costs, reduce_time);
      } catch (const std::exception& e) {
        failure[j] = e.what();
      }
    }
  };
  const std::size_t threads = std::max<std::size_t>(1, std::min<std::size_t>(std::thread::hardware_concurrency(), jobs.size()));
  std::vector<std::thread> pool;
  for (std::size_t k = 1; k < threads; ++k) pool.emplace_back(work, k, threads);
  work(0, threads);
  for (auto& th : pool) th.join();
  for (const auto& f : failure)
    if (!f.empty()) throw Error(f);
  for (std::size_t i = 0; i < plan_ids.size(); ++i) {
    const IsolatedTiming& it = timing[plan_job[i]];
    w.plans[static_cast<std::size_t>(plan_ids[i])].closed_form = Seconds(it.makespan);
    rep.max_member_spread_s = std::max(rep.max_member_spread_s, it.makespan - it.first_finish);
  }
  rep.evaluations = jobs.size();
  for (const auto& x : timing) rep.evaluated_transfers += x.transfers;
  rep.closed_form_calls = calls;

  // The simulated replica's own platform: its domain alone (nothing else leaves it now).
  ClusterParams sub = s_.cluster;
  sub.domains = layout.block / full.gpus_per_domain;
  sub.out.enabled = false;
  const Topology replica = build_cluster(sub);
  FabricOptions rfo;
  rfo.nvls = fo.nvls;
  rfo.nvls_bandwidth = fo.nvls_bandwidth;
  plan_->platform = emit_platform(replica, communicating_pairs(w), s_.gpu.hbm_bandwidth.value(), rfo);
  plan_->fabric.split_links = fabric.split_links;
  plan_->fabric.mixed_weight_links = fabric.mixed_weight_links;
  plan_->workload = std::move(w);
  plan_->simulated_ranks = layout.block;
  plan_->power = power_setup(s_, full);
  plan_->power.gpus = layout.block;
  plan_->power.replicas = layout.replicas;
  rep.applied = true;
  rep.simulated_ranks = layout.block;
  rep.replicas = layout.replicas;
  return "";
}

Run::~Run() = default;

std::string Run::header() const {
  const auto& w = plan_->workload;
  std::string h;
  h += fmt::format("racksim {}  scenario {} ({})\n", RACKSIM_VERSION, s_.name, base_name(s_.file));
  for (const auto& o : s_.overrides) h += fmt::format("  override            {}\n", o);
  h += fmt::format("  cluster             {}\n", plan_->topology.description);
  h += fmt::format("  gpu                 {} ({}), {} HBM at {}\n", s_.gpu.id, s_.gpu.name, format_bytes(s_.gpu.hbm_capacity),
                   format_rate(s_.gpu.hbm_bandwidth));
  h += fmt::format("  gpu model           {}\n", !s_.calibration ? std::string("plain roofline (no calibration for this GPU)")
                                                  : s_.calibration->scaled_from.empty()
                                                      ? fmt::format("calibrated on {} measurements", s_.gpu.id)
                                                      : fmt::format("efficiencies borrowed from {} (same family), scaled",
                                                                    s_.calibration->scaled_from));
  const auto& up = s_.cluster.up;
  h += fmt::format("  scale-up            {}: {} per {} per direction, link latency {}", s_.scale_up_kind,
                   format_rate(up.link_bandwidth), up.kind == ScaleUpParams::Kind::Switched ? "GPU" : "link",
                   format_seconds(up.link_latency));
  if (up.kind == ScaleUpParams::Kind::Switched)
    h += fmt::format(", switch {} ({} ports of {}, {})", up.switch_part, up.switch_ports, format_rate(up.port_speed),
                     format_seconds(up.switch_latency));
  h += "\n";
  const auto& o = s_.cluster.out;
  if (o.enabled)
    h += fmt::format("  scale-out           {}: {} x {} per GPU in {} plane(s), leaf {} ({} ports), spine {}, "
                     "oversubscription {}:1\n",
                     s_.scale_out_kind, o.nics_per_gpu, o.nic_part, o.planes, o.leaf_part, o.leaf_ports, o.spine_part,
                     o.oversubscription);
  else
    h += "  scale-out           none\n";
  if (o.enabled)
    h += fmt::format("  transport           {} x{:.4f} payload share, multipath {}{}\n", to_string(s_.transport.protocol),
                     plan_->fabric.transport_efficiency, plan_->fabric.multipath,
                     o.multipath == Multipath::Ecmp ? fmt::format(" (seed {})", o.ecmp_seed) : std::string());
  for (const auto& f : plan_->fabric.faults)
    h += fmt::format("  fault               at {}: {} {}\n", format_seconds(Seconds(f.at_s)), f.target, f.state);
  h += fmt::format("  collectives         library {}, protocol {}, chunk {}\n", s_.collectives.library.id.empty() ? "none" : s_.collectives.library.id,
                   s_.collectives.protocol, format_bytes(s_.collectives.chunk_size));
  h += fmt::format("  workload            {} '{}': {} ranks, {} ops\n", s_.workload.kind, w.name, w.ranks, w.total_ops());
  const ReductionReport& red = plan_->reduction;
  if (red.applied)
    h += fmt::format("  fidelity            reduced: ranks 0-{} (one data-parallel replica) simulated for {} replicas; their {} "
                     "data-parallel calls timed in closed form ({} evaluations, {} pairs, peak link load {:.1f}%)\n",
                     red.simulated_ranks - 1, red.replicas, red.closed_form_calls, red.evaluations, red.dp_pairs,
                     100.0 * red.max_link_load);
  else
    h += fmt::format("  fidelity            every rank and flow simulated ({})\n", red.reason);
  const PowerConfig& pc = s_.power;
  const auto cap = [](const std::optional<Watts>& c) { return c ? fmt::format("{:.6g} W", c->value()) : std::string("none"); };
  h += fmt::format("  power               {} W idle to {} W board, clock {:.0f} MHz reference, {} DVFS levels, gamma {}; "
                   "caps: GPU {}, rack {}, site {}; control period {}\n",
                   pc.gpu.power.idle.value(), pc.gpu.power.max.value(), pc.gpu.dvfs.reference.value() / 1e6,
                   pc.gpu.dvfs.ratios().size(), pc.gpu.power.gamma, cap(pc.gpu_cap), cap(pc.rack_cap), cap(pc.site_cap),
                   format_seconds(pc.control_period));
  h += fmt::format("  rack                {}\n",
                   pc.rack ? fmt::format("{} ({}): {:.6g} W besides the GPUs, conversion efficiency {}", pc.rack->id,
                                         pc.rack->name, rack_other_power(*pc.rack).value(), pc.rack->conversion_efficiency)
                           : fmt::format("GPUs only ({})", pc.rack_absent_reason));
  if (pc.thermal) {
    const ThermalSetup& th = *pc.thermal;
    h += fmt::format("  cooling             {}: {} at {:.4g} C, {:.4g} L/min per {}, {} plate(s) in series, plate {} "
                     "({:.4g} K/W), CDU {}\n",
                     th.loop_id, th.coolant, th.loop.inlet - Celsius(0.0), th.loop.flow * 60e3, s_.cluster.up.domain_label,
                     th.loop.series, th.cold_plate, th.r_plate, th.cdu);
  } else {
    h += fmt::format("  cooling             not modelled ({})\n", pc.thermal_absent_reason);
  }
  std::string cfg;
  for (const auto& c : engine_configuration()) cfg += (cfg.empty() ? "" : " ") + c;
  h += fmt::format("  engine              SimGrid, {}\n", cfg);
  h += fmt::format("  platform            {} hosts, {} directed links, {} routes\n", plan_->platform.hosts.size(),
                   plan_->platform.links.size(), plan_->platform.routes.size());
  return h;
}

void Run::keep_timeline(std::size_t max_events) { timeline_events_ = max_events; }

RunResult Run::execute() {
  const Workload& w = plan_->workload;
  std::vector<RankExecutor> ranks;
  ranks.reserve(static_cast<std::size_t>(plan_->simulated_ranks));
  const GpuCalibration* cal = s_.calibration ? &*s_.calibration : nullptr;
  MemoryPolicy mem;
  mem.capacity = static_cast<std::uint64_t>(s_.gpu.hbm_capacity.value());
  mem.oom_is_error = s_.oom_is_error;
  for (int r = 0; r < plan_->simulated_ranks; ++r) ranks.emplace_back(r, w, s_.gpu, cal, mem);
  // The timeline's ranks (decided from the op graphs, before the run) record their ops' starts.
  const int timeline_ranks = timeline_events_ ? timeline_rank_count(w, plan_->simulated_ranks, *timeline_events_) : 0;
  for (int r = 0; r < timeline_ranks; ++r) ranks[static_cast<std::size_t>(r)].keep_op_starts();
  PowerLoop power(plan_->power);
  std::function<void(double)> tick;
  if (progress_) {
    const std::size_t total = w.total_ops();
    // Summing the ranks' counts costs a pass over them: once per 256 clock advances is enough.
    tick = [this, &ranks, total, calls = std::uint64_t{0}](double now) mutable {
      if (++calls % 256 != 0) return;
      std::size_t done = 0;
      for (const auto& ex : ranks) done += ex.completed();
      progress_(now, done, total);
    };
  }
  const EngineStats stats = run_simgrid(plan_->platform, ranks, &power, tick);

  RunResult res;
  res.scenario_name = s_.name;
  res.scenario_file = base_name(s_.file);
  res.overrides = s_.overrides;
  res.domains = s_.cluster.domains;
  res.gpus = static_cast<int>(plan_->topology.gpus.size());
  res.gpu_id = s_.gpu.id;
  res.gpu_model = !s_.calibration ? "roofline (no calibration)"
                  : s_.calibration->scaled_from.empty()
                      ? fmt::format("calibrated ({})", s_.calibration->source)
                      : fmt::format("calibrated, borrowed from {} ({})", s_.calibration->scaled_from, s_.calibration->source);
  res.scale_up_kind = s_.scale_up_kind;
  res.scale_out_kind = s_.scale_out_kind;
  res.topology = plan_->topology.description;
  res.vertices = boost::num_vertices(plan_->topology.graph);
  res.graph_links = boost::num_edges(plan_->topology.graph);
  res.simgrid_version = stats.simgrid_version;
  res.engine_config = engine_configuration();
  res.sg_hosts = plan_->platform.hosts.size();
  res.sg_links = plan_->platform.links.size();
  res.sg_routes = plan_->platform.routes.size();
  res.workload_kind = s_.workload.kind;
  res.workload_name = w.name;
  res.ranks = w.ranks;
  res.ops = w.total_ops() * static_cast<std::size_t>(plan_->reduction.applied ? plan_->reduction.replicas : 1);
  res.simulated_time_s = stats.simulated_time;
  res.hbm_capacity = mem.capacity;
  for (const auto& ex : ranks)
    res.oom_events.insert(res.oom_events.end(), ex.record().oom.begin(), ex.record().oom.end());
  if (w.training) {
    std::vector<const RankRecord*> records;
    for (const auto& ex : ranks) records.push_back(&ex.record());
    const auto peak = s_.gpu.peak(w.training->precision);
    res.training = training_metrics(*w.training, records, stats.simulated_time, peak ? peak->value() : 0.0,
                                    to_string(w.training->precision), w.ranks);
  }
  res.power = power.summary(w.training ? std::optional<double>(w.training->tokens_per_step) : std::nullopt);
  res.power_samples = power.samples();
  res.fabric = plan_->fabric;
  res.reduction = plan_->reduction;
  {
    std::map<std::tuple<std::string, std::string, std::string, bool>, CollectiveUse> uses;
    // A reduced run planned one replica's calls: those inside it happen once per replica.
    const int replicas = plan_->reduction.applied ? plan_->reduction.replicas : 1;
    for (const auto& pl : w.plans) {
      const int times = pl.closed_form ? 1 : replicas;
      auto& u = uses[{to_string(pl.shape.kind), to_string(pl.shape.algorithm), pl.protocol, pl.chosen}];
      u.kind = to_string(pl.shape.kind);
      u.algorithm = to_string(pl.shape.algorithm);
      u.protocol = pl.protocol;
      u.chosen = pl.chosen;
      u.calls += times;
      u.bytes += static_cast<double>(pl.shape.bytes) * times;
      res.collective_model_time_s += pl.predicted.value() * times;
    }
    for (auto& kv : uses) res.collectives.push_back(std::move(kv.second));
  }
  for (const auto& ex : ranks)
    res.per_rank.push_back(breakdown(ex.rank(), plan_->platform.hosts[static_cast<std::size_t>(ex.rank())].name, ex.record(),
                                     stats.simulated_time));
  if (timeline_events_) {
    std::vector<const RankRecord*> records;
    std::vector<std::string> gpus;
    for (int r = 0; r < timeline_ranks; ++r) {
      records.push_back(&ranks[static_cast<std::size_t>(r)].record());
      gpus.push_back(plan_->platform.hosts[static_cast<std::size_t>(r)].name);
    }
    res.timeline = collect_timeline(w, records, gpus, plan_->simulated_ranks, *timeline_events_);
  }
  return res;
}

}  // namespace racksim
