// racksim output: the run header and summary.json's description objects, both written from one
// RunDescription (run_description.hpp).
#include "sim/output/run_description.hpp"

#include <fmt/format.h>

namespace racksim {

namespace {

std::string gpu_model_line(const RunDescription& d) {
  const GpuDescription& g = d.gpu_detail;
  if (!g.calibrated) return "plain roofline (no calibration for this GPU)";
  if (g.calibration_borrowed_from.empty()) return fmt::format("calibrated on {} measurements", d.gpu_id);
  return fmt::format("efficiencies borrowed from {} (same family), scaled", g.calibration_borrowed_from);
}

std::string fabric_lines(const RunDescription& d) {
  std::string h;
  const ScaleUpDescription& up = d.scale_up;
  h += fmt::format("  scale-up            {}: {} per {} per direction, link latency {}", d.scale_up_kind,
                   format_rate(up.link_bandwidth), up.switched ? "GPU" : "link", format_seconds(up.link_latency));
  if (up.switched)
    h += fmt::format(", switch {} ({} ports of {}, {})", up.switch_part, up.switch_ports, format_rate(up.port_speed),
                     format_seconds(up.switch_latency));
  h += "\n";
  const ScaleOutDescription& o = d.scale_out;
  if (o.enabled)
    h += fmt::format("  scale-out           {}: {} x {} per GPU in {} plane(s), leaf {} ({} ports), spine {}, "
                     "oversubscription {}:1\n",
                     d.scale_out_kind, o.nics_per_gpu, o.nic_part, o.planes, o.leaf_part, o.leaf_ports, o.spine_part,
                     o.oversubscription);
  else
    h += "  scale-out           none\n";
  const FabricReport& f = d.fabric;
  if (o.enabled)
    h += fmt::format("  transport           {} x{:.4f} payload share, multipath {}{}\n", f.transport, f.transport_efficiency,
                     f.multipath, f.multipath == "ecmp" ? fmt::format(" (seed {})", f.ecmp_seed) : std::string());
  for (const auto& fault : f.faults)
    h += fmt::format("  fault               at {}: {} {}\n", format_seconds(Seconds(fault.at_s)), fault.target, fault.state);
  return h;
}

}  // namespace

std::string simulated_unit_text(const ReductionReport& red) {
  return red.replicas_simulated > 1 ? fmt::format("{} data-parallel replicas of one domain", red.replicas_simulated)
                                    : std::string("one data-parallel replica");
}

namespace {

std::string fidelity_line(const ReductionReport& red) {
  if (red.applied)
    return fmt::format("  fidelity            reduced: ranks 0-{} ({}) simulated for {} {}; their {} data-parallel calls "
                       "timed in closed form ({} evaluations, {} pairs, peak link load {:.1f}%)\n",
                       red.simulated_ranks - 1, simulated_unit_text(red), red.replicas,
                       red.replicas_simulated > 1 ? "domains" : "replicas", red.closed_form_calls, red.evaluations,
                       red.dp_pairs, 100.0 * red.max_link_load);
  return fmt::format("  fidelity            every rank and flow simulated ({})\n", red.reason);
}

std::string collective_timing_line(const IsolationReport& iso) {
  if (iso.plans == 0) return "";
  if (iso.isolated_plans == 0)
    return fmt::format("  collective timing   every transfer simulated ({})\n", iso.reason);
  return fmt::format("  collective timing   {} of {} calls contend with nothing and are timed in closed form from their "
                     "members' arrivals (peak link load {:.1f}%); the others transfer by transfer\n",
                     iso.isolated_plans, iso.plans, 100.0 * iso.max_link_load);
}

std::string power_lines(const RunDescription& d) {
  const PowerSetupDescription& pc = d.power_setup;
  const auto cap = [](const std::optional<Watts>& c) { return c ? fmt::format("{:.6g} W", c->value()) : std::string("none"); };
  std::string h;
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
                     th.loop_id, th.coolant, th.loop.inlet - Celsius(0.0), th.loop.flow * 60e3, d.scale_up.domain_label,
                     th.loop.series, th.cold_plate, th.r_plate, th.cdu);
  } else {
    h += fmt::format("  cooling             not modelled ({})\n", pc.thermal_absent_reason);
  }
  return h;
}

}  // namespace

std::string run_header(const RunDescription& d) {
  std::string h;
  h += fmt::format("racksim {}  scenario {} ({})\n", RACKSIM_VERSION, d.scenario_name, d.scenario_file);
  for (const auto& o : d.overrides) h += fmt::format("  override            {}\n", o);
  h += fmt::format("  cluster             {}\n", d.topology);
  h += fmt::format("  gpu                 {} ({}), {} HBM at {}\n", d.gpu_id, d.gpu_detail.name,
                   format_bytes(d.gpu_detail.hbm_capacity), format_rate(d.gpu_detail.hbm_bandwidth));
  h += fmt::format("  gpu model           {}\n", gpu_model_line(d));
  h += fabric_lines(d);
  const CollectiveSetupDescription& c = d.collective_setup;
  h += fmt::format("  collectives         library {}, protocol {}, chunk {}\n", c.library.empty() ? "none" : c.library,
                   c.protocol, format_bytes(c.chunk_size));
  if (d.serving.empty()) {
    h += fmt::format("  workload            {} '{}': {} ranks, {} ops\n", d.workload_kind, d.workload_name, d.ranks,
                     d.simulated_ops);
    h += fidelity_line(d.reduction);
    h += collective_timing_line(d.isolation);
  } else {
    h += fmt::format("  workload            {} '{}': {}\n", d.workload_kind, d.workload_name, d.serving);
    h += "  fidelity            every iteration of every instance simulated; an instance's collectives in closed form "
         "(docs/inference.md)\n";
  }
  h += power_lines(d);
  std::string cfg;
  for (const auto& line : d.engine_config) cfg += (cfg.empty() ? "" : " ") + line;
  h += fmt::format("  engine              SimGrid, {}\n", cfg);
  h += fmt::format("  platform            {} hosts, {} directed links, {} routes\n", d.sg_hosts, d.sg_links, d.sg_routes);
  return h;
}

void write_scenario_json(JsonWriter& j, const RunDescription& d) {
  j.key("scenario").begin_object();
  j.field("name", d.scenario_name).field("file", d.scenario_file);
  j.key("overrides").begin_array();
  for (const auto& o : d.overrides) j.value(o);
  j.end_array().end_object();
}

void write_cluster_json(JsonWriter& j, const RunDescription& d) {
  j.field("gpus", d.gpus);
  j.key("cluster").begin_object();
  j.field("domains", d.domains).field("gpu", d.gpu_id).field("gpu_model", d.gpu_model).field("scale_up", d.scale_up_kind);
  j.field("scale_out", d.scale_out_kind);
  j.field("graph_vertices", static_cast<std::uint64_t>(d.vertices)).field("graph_links", static_cast<std::uint64_t>(d.graph_links));
  j.end_object();
}

void write_engine_json(JsonWriter& j, const RunDescription& d) {
  j.key("engine").begin_object();
  j.field("simgrid_version", d.simgrid_version);
  j.key("configuration").begin_array();
  for (const auto& c : d.engine_config) j.value(c);
  j.end_array();
  j.field("hosts", static_cast<std::uint64_t>(d.sg_hosts)).field("links", static_cast<std::uint64_t>(d.sg_links));
  j.field("routes", static_cast<std::uint64_t>(d.sg_routes));
  j.end_object();
}

void write_workload_description_json(JsonWriter& j, const RunDescription& d) {
  j.field("kind", d.workload_kind).field("name", d.workload_name).field("ranks", d.ranks);
  j.field("ops", static_cast<std::uint64_t>(d.ops));
}

}  // namespace racksim
