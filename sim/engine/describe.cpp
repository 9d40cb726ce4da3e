// racksim engine: the run's description from the setup stages' values (describe.hpp).
#include "sim/engine/describe.hpp"

#include "sim/engine/simgrid_adapter.hpp"

#include <fmt/format.h>

#include <filesystem>

namespace racksim {

namespace {

// summary.json's words for the kernel model and its calibration.
std::string gpu_model(const Scenario& s) {
  if (!s.calibration) return "roofline (no calibration)";
  if (s.calibration->scaled_from.empty()) return fmt::format("calibrated ({})", s.calibration->source);
  return fmt::format("calibrated, borrowed from {} ({})", s.calibration->scaled_from, s.calibration->source);
}

GpuDescription gpu_description(const Scenario& s) {
  GpuDescription g;
  g.name = s.gpu.name;
  g.hbm_capacity = s.gpu.hbm_capacity;
  g.hbm_bandwidth = s.gpu.hbm_bandwidth;
  g.calibrated = s.calibration.has_value();
  if (s.calibration) g.calibration_borrowed_from = s.calibration->scaled_from;
  return g;
}

ScaleUpDescription scale_up_description(const ScaleUpParams& up) {
  ScaleUpDescription d;
  d.switched = up.kind == ScaleUpParams::Kind::Switched;
  d.link_bandwidth = up.link_bandwidth;
  d.link_latency = up.link_latency;
  d.switch_part = up.switch_part;
  d.switch_ports = up.switch_ports;
  d.port_speed = up.port_speed;
  d.switch_latency = up.switch_latency;
  d.domain_label = up.domain_label;
  return d;
}

ScaleOutDescription scale_out_description(const ScaleOutParams& o) {
  ScaleOutDescription d;
  d.enabled = o.enabled;
  d.nics_per_gpu = o.nics_per_gpu;
  d.nic_part = o.nic_part;
  d.planes = o.planes;
  d.leaf_part = o.leaf_part;
  d.leaf_ports = o.leaf_ports;
  d.spine_part = o.spine_part;
  d.oversubscription = o.oversubscription;
  return d;
}

PowerSetupDescription power_description(const PowerConfig& pc) {
  PowerSetupDescription d;
  d.gpu = pc.gpu;
  d.gpu_cap = pc.gpu_cap;
  d.rack_cap = pc.rack_cap;
  d.site_cap = pc.site_cap;
  d.control_period = pc.control_period;
  d.rack = pc.rack;
  d.rack_absent_reason = pc.rack_absent_reason;
  d.thermal = pc.thermal;
  d.thermal_absent_reason = pc.thermal_absent_reason;
  return d;
}

// The fabric as the run uses it. A reduced step reports the whole fabric's weighted-route links
// (from the reduction's check), not its replica's, which has no scale-out.
FabricReport fabric_report(const Scenario& s, const ClusterSetup& c, const SimulatedStep& step, const PlatformSpec& platform) {
  FabricReport fr;
  fr.multipath = to_string(c.fabric.multipath);
  fr.ecmp_seed = c.fabric.ecmp_seed;
  if (s.cluster.out.enabled) {
    fr.transport = to_string(s.transport.protocol);
    fr.transport_efficiency = c.levels.transport_efficiency;
    fr.recovery = c.levels.loss_recovery;
  }
  const SplitLinks split = step.fabric_split.value_or(SplitLinks{platform.split_links, platform.mixed_weight_links});
  fr.split_links = split.split;
  fr.mixed_weight_links = split.mixed_weight;
  fr.faults = c.faults;
  return fr;
}

}  // namespace

RunDescription describe_run(const Scenario& s, const ClusterSetup& c, const SimulatedStep& step, const PlatformSpec& platform) {
  const Topology& t = c.topology;
  const Workload& w = step.workload;
  RunDescription d;
  d.scenario_name = s.name;
  d.scenario_file = std::filesystem::path(s.file).filename().string();
  d.overrides = s.overrides;
  d.domains = s.cluster.domains;
  d.gpus = static_cast<int>(t.gpus.size());
  d.gpu_id = s.gpu.id;
  d.gpu_model = gpu_model(s);
  d.scale_up_kind = s.scale_up_kind;
  d.scale_out_kind = s.scale_out_kind;
  d.topology = t.description;
  d.vertices = boost::num_vertices(t.graph);
  d.graph_links = boost::num_edges(t.graph);
  d.simgrid_version = simgrid_version();
  d.engine_config = engine_configuration();
  d.sg_hosts = platform.hosts.size();
  d.sg_links = platform.links.size();
  d.sg_routes = platform.routes.size();
  d.workload_kind = s.workload.kind;
  d.workload_name = w.name;
  d.ranks = w.ranks;
  d.simulated_ops = w.total_ops();
  d.ops = d.simulated_ops * static_cast<std::size_t>(step.reduction.applied ? step.reduction.replicas : 1);
  d.fabric = fabric_report(s, c, step, platform);
  d.reduction = step.reduction;
  d.isolation = step.isolation;
  d.gpu_detail = gpu_description(s);
  d.scale_up = scale_up_description(s.cluster.up);
  d.scale_out = scale_out_description(s.cluster.out);
  d.collective_setup = {s.collectives.library.id, s.collectives.protocol, s.collectives.chunk_size};
  d.power_setup = power_description(s.power);
  return d;
}

}  // namespace racksim
