#include "sim/run.hpp"

#include "sim/collective_plan.hpp"
#include "sim/platform.hpp"
#include "sim/simgrid_adapter.hpp"
#include "sim/workload.hpp"
#include "topologies/check.hpp"
#include "topologies/routing.hpp"

#include <fmt/format.h>

#include <boost/range/iterator_range.hpp>

#include <filesystem>
#include <map>
#include <tuple>

namespace racksim {

struct RunPlan {
  Topology topology;
  Workload workload;
  PlatformSpec platform;
  PowerSetup power;
  FabricLevels levels;
  FabricReport fabric;
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

Run::Run(const Scenario& scenario) : Run(scenario, build_workload(scenario)) {}

Run::Run(const Scenario& scenario, Workload workload) : s_(scenario), plan_(std::make_unique<RunPlan>()) {
  plan_->workload = std::move(workload);
  try {
    plan_->topology = build_cluster(s_.cluster);
    const auto problems = check_topology(plan_->topology);
    if (!problems.empty()) {
      std::string msg = "the cluster is not valid:";
      constexpr std::size_t kShown = 10;
      for (std::size_t i = 0; i < problems.size() && i < kShown; ++i) msg += "\n  - " + problems[i];
      if (problems.size() > kShown) msg += fmt::format("\n  ... and {} more problems", problems.size() - kShown);
      throw InputError(s_.cluster_where, msg);
    }
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
    // The scale-out transport's payload share (models/transport.hpp) scales every fabric link.
    plan_->levels = fabric_levels(s_, plan_->topology);
    if (plan_->levels.transport_efficiency != 1.0)
      for (const auto e : boost::make_iterator_range(boost::edges(plan_->topology.graph))) {
        LinkProps& lp = plan_->topology.graph[e];
        if (lp.kind == LinkKind::ScaleOut) lp.bandwidth = lp.bandwidth * plan_->levels.transport_efficiency;
      }
    plan_collectives(plan_->workload, s_.collectives, plan_->levels);
    FabricOptions fo;
    fo.multipath = s_.cluster.out.multipath;
    fo.ecmp_seed = s_.cluster.out.ecmp_seed;
    fo.nvls_bandwidth = s_.cluster.up.nvls_bandwidth.value();
    for (const auto& pl : plan_->workload.plans)
      if (pl.shape.algorithm == CollectiveAlgorithm::Nvls) fo.nvls = true;
    FabricReport& fr = plan_->fabric;
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
    plan_->platform = emit_platform(plan_->topology, communicating_pairs(plan_->workload), s_.gpu.hbm_bandwidth.value(), fo);
    fr.split_links = plan_->platform.split_links;
    fr.mixed_weight_links = plan_->platform.mixed_weight_links;
    plan_->power = power_setup(s_, plan_->topology);
  } catch (const InputError&) {
    throw;
  } catch (const Error& e) {  // impossible cluster parameters or an unreachable pair
    throw InputError(s_.cluster_where, e.what());
  }
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

RunResult Run::execute() {
  const Workload& w = plan_->workload;
  std::vector<RankExecutor> ranks;
  ranks.reserve(static_cast<std::size_t>(w.ranks));
  const GpuCalibration* cal = s_.calibration ? &*s_.calibration : nullptr;
  MemoryPolicy mem;
  mem.capacity = static_cast<std::uint64_t>(s_.gpu.hbm_capacity.value());
  mem.oom_is_error = s_.oom_is_error;
  for (int r = 0; r < w.ranks; ++r) ranks.emplace_back(r, w, s_.gpu, cal, mem);
  PowerLoop power(plan_->power);
  const EngineStats stats = run_simgrid(plan_->platform, ranks, &power);

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
  res.ops = w.total_ops();
  res.simulated_time_s = stats.simulated_time;
  res.hbm_capacity = mem.capacity;
  for (const auto& ex : ranks)
    res.oom_events.insert(res.oom_events.end(), ex.record().oom.begin(), ex.record().oom.end());
  if (w.training) {
    std::vector<const RankRecord*> records;
    for (const auto& ex : ranks) records.push_back(&ex.record());
    const auto peak = s_.gpu.peak(w.training->precision);
    res.training = training_metrics(*w.training, records, stats.simulated_time, peak ? peak->value() : 0.0,
                                    to_string(w.training->precision));
  }
  res.power = power.summary(w.training ? std::optional<double>(w.training->tokens_per_step) : std::nullopt);
  res.power_samples = power.samples();
  res.fabric = plan_->fabric;
  {
    std::map<std::tuple<std::string, std::string, std::string, bool>, CollectiveUse> uses;
    for (const auto& pl : w.plans) {
      auto& u = uses[{to_string(pl.shape.kind), to_string(pl.shape.algorithm), pl.protocol, pl.chosen}];
      u.kind = to_string(pl.shape.kind);
      u.algorithm = to_string(pl.shape.algorithm);
      u.protocol = pl.protocol;
      u.chosen = pl.chosen;
      ++u.calls;
      u.bytes += static_cast<double>(pl.shape.bytes);
      res.collective_model_time_s += pl.predicted.value();
    }
    for (auto& kv : uses) res.collectives.push_back(std::move(kv.second));
  }
  for (const auto& ex : ranks)
    res.per_rank.push_back(breakdown(ex.rank(), plan_->platform.hosts[static_cast<std::size_t>(ex.rank())].name, ex.record(),
                                     stats.simulated_time));
  return res;
}

}  // namespace racksim
