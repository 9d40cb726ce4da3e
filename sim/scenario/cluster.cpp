// racksim sim/scenario: the `cluster` section (docs/scenario-format.md "cluster") — the domains,
// one scale-up domain given part by part (`scale_up`, four kinds) or as a catalog system
// (`system`), and the scale-out fabric with its multipath and transport keys. Catalog ids are
// resolved here: ScaleUpParams and ScaleOutParams (topologies/builders.hpp) get numbers with
// units, and a switch is checked to have ports at the lane or NIC rate it must serve.
#include "sim/scenario/keys.hpp"
#include "sim/scenario/sections.hpp"

#include <cstdint>
#include <utility>

namespace racksim::scenario_sections {

namespace {

// Switched scale-up domain (helios_rack and switched): one logical switch, per-GPU bandwidth.
// helios_rack fixes the GPU count and trays; its parts are the table's presets.
void read_switched(Scenario& s, MapReader& m, bool helios) {
  ScaleUpParams& up = s.cluster.up;
  up.kind = ScaleUpParams::Kind::Switched;
  if (helios) {
    // Helios: 72 MI455X in 18 trays of 4 (hardware.md section 3, S16-S19).
    up.gpus = 72;
    up.trays = 18;
    up.domain_label = "rack";
  } else {
    up.gpus = static_cast<int>(*m.integer("gpus"));
    const ConfigNode trays_n = *m.value("trays");
    up.trays = static_cast<int>(read_integer(trays_n, m.spec("trays")));
    if (up.gpus % up.trays != 0) trays_n.fail(fmt::format("{} GPUs cannot be split evenly into {} trays", up.gpus, up.trays));
    up.domain_label = "node";
  }
  const ConfigNode gpu_n = *m.value("gpu");
  s.gpu = gpu_of(s.catalog, gpu_n);
  const LinkSpec& link = link_of(s.catalog, *m.value("link"));
  const ConfigNode sw_n = *m.value("switch");
  const SwitchSpec& sw = switch_of(s.catalog, sw_n);
  // Helios: >= 11 TH6-class 512 x 200G chips for 72 x 72 lanes (hardware.md, derived); 12 by default.
  const int chips = static_cast<int>(*m.integer("switch_chips"));
  BytesPerSecond bw;
  if (auto b = m.number("bandwidth")) {
    bw = BytesPerSecond(*b);
  } else {
    if (!s.gpu.scale_up_bandwidth)
      gpu_n.fail(fmt::format("GPU '{}' has no scale_up_bandwidth in the catalog; set 'bandwidth'", s.gpu.id));
    bw = *s.gpu.scale_up_bandwidth;
  }
  const double eff = m.number("efficiency").value_or(link.usable_fraction.value_or(1.0));
  up.gpu_part = s.gpu.id;
  up.link_part = link.id;
  up.link_bandwidth = bw * eff;
  up.link_latency = Seconds(m.number("latency").value_or(link.latency.value()));
  up.switch_part = sw.id;
  up.switch_latency = Seconds(m.number("switch_latency").value_or(sw.latency.value()));
  const auto ports = sw.ports_at(link.bandwidth);
  if (!ports)
    sw_n.fail(fmt::format("switch '{}' has no ports at the link's lane rate {} (its port configurations: {})", sw.id,
                          format_rate(link.bandwidth), port_list(sw)));
  up.port_speed = link.bandwidth;
  up.switch_ports = *ports * chips;
  up.nvls_bandwidth = sw.reduction_bandwidth.value_or(BytesPerSecond(0.0));
}

// Full-mesh scale-up domain (mi300x_node and full_mesh): a direct link set per GPU pair.
void read_full_mesh(Scenario& s, MapReader& m, bool mi300x) {
  ScaleUpParams& up = s.cluster.up;
  up.kind = ScaleUpParams::Kind::FullMesh;
  up.domain_label = "node";
  up.gpus = mi300x ? 8 : static_cast<int>(*m.integer("gpus"));
  s.gpu = gpu_of(s.catalog, *m.value("gpu"));
  const LinkSpec& link = link_of(s.catalog, *m.value("link"));
  up.links_per_pair = static_cast<int>(*m.integer("links_per_pair"));
  const double eff = m.number("efficiency").value_or(link.usable_fraction.value_or(1.0));
  up.gpu_part = s.gpu.id;
  up.link_part = link.id;
  up.link_bandwidth = BytesPerSecond(m.number("bandwidth").value_or(link.bandwidth.value())) * eff;
  up.link_latency = Seconds(m.number("latency").value_or(link.latency.value()));
}

void read_scale_up(Scenario& s, const ConfigNode& node) {
  MapReader m(node, scenario_keys(), "cluster.scale_up");
  const std::string kind = m.read_kind();
  s.scale_up_kind = kind;
  if (kind == "helios_rack" || kind == "switched") read_switched(s, m, kind == "helios_rack");
  else read_full_mesh(s, m, kind == "mi300x_node");
  m.finish();
}

// cluster.system: a catalog system (models/catalog/systems.yaml) stands for cluster.scale_up. Its
// parts were checked against the catalog when it was loaded.
void read_system(Scenario& s, const ConfigNode& node) {
  const SystemSpec& y = lookup(node, s.catalog.find_system(node.as_string()), "system", s.catalog.system_ids());
  s.system = y.id;
  s.scale_up_kind = y.scale_up_kind;
  s.gpu = *s.catalog.find_gpu(y.gpu);
  const LinkSpec& link = *s.catalog.find_link(y.link);
  const double eff = link.usable_fraction.value_or(1.0);
  ScaleUpParams& up = s.cluster.up;
  up.gpus = y.gpus;
  up.domain_label = y.domain;
  up.gpu_part = s.gpu.id;
  up.link_part = link.id;
  up.link_latency = link.latency;
  if (y.scale_up_kind == "switched") {
    // Per GPU: links_per_gpu lanes of the link's rate, at the link's usable fraction.
    const SwitchSpec& sw = *s.catalog.find_switch(y.scale_up_switch);
    const auto ports = sw.ports_at(link.bandwidth);
    if (!ports)  // the catalog checks this; a scenario's own catalog cannot break it either
      node.fail(fmt::format("switch '{}' has no ports at the link's lane rate {} (its port configurations: {})", sw.id,
                            format_rate(link.bandwidth), port_list(sw)));
    up.kind = ScaleUpParams::Kind::Switched;
    up.trays = y.trays;
    up.link_bandwidth = link.bandwidth * static_cast<double>(y.links_per_gpu) * eff;
    up.switch_part = sw.id;
    up.switch_latency = sw.latency;
    up.port_speed = link.bandwidth;
    up.switch_ports = *ports * y.switch_chips;
    up.nvls_bandwidth = sw.reduction_bandwidth.value_or(BytesPerSecond(0.0));
  } else {
    up.kind = ScaleUpParams::Kind::FullMesh;
    up.links_per_pair = y.links_per_pair;
    up.link_bandwidth = link.bandwidth * eff;
  }
}

// The switch `sn` names, with its port count at the NIC line rate `rate`.
std::pair<const SwitchSpec*, int> fabric_switch(const Scenario& s, const ConfigNode& sn, BytesPerSecond rate) {
  const SwitchSpec& sw = switch_of(s.catalog, sn);
  const auto ports = sw.ports_at(rate);
  if (!ports)
    sn.fail(fmt::format("switch '{}' has no ports at the NIC's line rate {} (its port configurations: {})", sw.id,
                        format_rate(rate), port_list(sw)));
  return {&sw, *ports};
}

// cluster.scale_out.transport: the scale-out transport (models/transport.hpp). Its protocol
// defaults to the NIC's (Ultra Ethernet or RoCE).
void read_transport(Scenario& s, MapReader& parent, const NicSpec& nic) {
  TransportParams& t = s.transport;
  t.protocol = nic.ultra_ethernet ? TransportProtocol::Uet : TransportProtocol::Roce;
  auto node = parent.optional("transport");
  if (!node) return;
  MapReader m(*node, scenario_keys(), "cluster.scale_out.transport");
  if (auto p = m.text("protocol")) t.protocol = *p == "uet" ? TransportProtocol::Uet : TransportProtocol::Roce;
  const ConfigNode mtu_n = *m.value("mtu");
  t.mtu = static_cast<int>(read_integer(mtu_n, m.spec("mtu")));
  if (t.protocol == TransportProtocol::Roce && t.mtu > 4096)
    mtu_n.fail(fmt::format("RoCE carries at most 4096 payload bytes per packet (its MTUs are 256 to 4096), got {}; use "
                           "protocol: uet for jumbo frames",
                           t.mtu));
  t.loss_rate = *m.number("loss_rate");
  t.link_level_retry = *m.flag("link_level_retry");
  m.finish();
}

// fat_tree: 2 tiers (leaf/spine) or 3 (leaf/spine per pod/core); the core keys need 3.
void read_fat_tree_tiers(Scenario& s, MapReader& m, const ConfigNode& node, BytesPerSecond line_rate) {
  ScaleOutParams& o = s.cluster.out;
  o.tiers = static_cast<int>(*m.integer("tiers"));
  auto core_n = m.optional("core");
  auto core_ov = m.optional("core_oversubscription");
  if (o.tiers == 3) {
    if (!core_n) node.fail("a 3-tier fat_tree needs 'core': the catalog switch id of its core tier");
    const auto [core, core_ports] = fabric_switch(s, *core_n, line_rate);
    o.core_part = core->id;
    o.core_ports = core_ports;
    o.core_latency = core->latency;
    if (core_ov) o.core_oversubscription = read_number(*core_ov, m.spec("core_oversubscription"));
  } else {
    for (const auto& [key, n] : {std::pair{"core", core_n}, std::pair{"core_oversubscription", core_ov}})
      if (n) n->fail(fmt::format("'{}' applies to a 3-tier fat_tree only; set tiers: 3 or remove it", key));
  }
}

// rail_leaf_spine and fat_tree: the NIC (a system's by default), the cable, the switches of
// each tier, the planes, the transport and how flows use equal-cost paths.
void read_fabric(Scenario& s, MapReader& m, const ConfigNode& node, const std::string& kind) {
  ScaleOutParams& o = s.cluster.out;
  const SystemSpec* sys = s.system.empty() ? nullptr : s.catalog.find_system(s.system);
  const NicSpec& nic = nic_of(s.catalog, sys ? value_or(m, "nic", sys->nic) : m.required("nic"));
  o.nic_part = nic.id;
  o.nic_line_rate = nic.line_rate;
  o.host_interface_bandwidth = nic.host_interface_bandwidth;
  o.nic_latency = nic.latency;
  o.message_overhead = nic.message_overhead.value_or(Seconds(0.0));
  if (auto n = sys ? m.optional("nics_per_gpu") : std::optional<ConfigNode>(m.required("nics_per_gpu")))
    o.nics_per_gpu = static_cast<int>(read_integer(*n, m.spec("nics_per_gpu")));
  else
    o.nics_per_gpu = sys->nics_per_gpu;
  const LinkSpec& cable = link_of(s.catalog, m.required("cable"));
  o.cable_part = cable.id;
  o.cable_latency = cable.latency;
  const auto [leaf, leaf_ports] = fabric_switch(s, m.required("leaf"), nic.line_rate);
  o.leaf_part = leaf->id;
  o.leaf_ports = leaf_ports;
  o.leaf_latency = leaf->latency;
  const auto [spine, spine_ports] = fabric_switch(s, m.required("spine"), nic.line_rate);
  o.spine_part = spine->id;
  o.spine_ports = spine_ports;
  o.spine_latency = spine->latency;
  const ConfigNode planes_n = *m.value("planes");
  o.planes = static_cast<int>(read_integer(planes_n, m.spec("planes")));
  if (o.nics_per_gpu % o.planes != 0)
    planes_n.fail(fmt::format("planes ({}) must divide nics_per_gpu ({}): NIC j of each GPU is on plane j mod planes",
                              o.planes, o.nics_per_gpu));
  o.oversubscription = *m.number("oversubscription");
  o.tiers = 2;  // rail_leaf_spine is 2 tiers
  if (kind == "fat_tree") read_fat_tree_tiers(s, m, node, nic.line_rate);
  read_transport(s, m, nic);
  o.multipath = s.transport.protocol == TransportProtocol::Uet ? Multipath::Spray : Multipath::Ecmp;
  if (auto mp = m.text("multipath"))
    o.multipath = *mp == "ecmp" ? Multipath::Ecmp : *mp == "spray" ? Multipath::Spray : Multipath::Adaptive;
  o.ecmp_seed = static_cast<std::uint64_t>(*m.integer("ecmp_seed"));
}

void read_scale_out(Scenario& s, const ConfigNode& node) {
  MapReader m(node, scenario_keys(), "cluster.scale_out");
  const std::string kind = m.read_kind();
  s.scale_out_kind = kind;
  s.cluster.out.enabled = kind != "none";
  if (s.cluster.out.enabled) read_fabric(s, m, node, kind);
  m.finish();
}

}  // namespace

void read_cluster(Scenario& s, const ConfigNode& cluster) {
  s.cluster_where = cluster.location();
  MapReader cm(cluster, scenario_keys(), "cluster");
  s.cluster.domains = static_cast<int>(*cm.integer("domains"));
  // Exactly one of system (a catalog system) and scale_up (a described domain).
  auto sys_n = cm.optional("system");
  auto up_n = cm.optional("scale_up");
  if (sys_n && up_n) up_n->fail("give either cluster.system or cluster.scale_up, not both");
  if (!sys_n && !up_n)
    cluster.fail(fmt::format("cluster needs 'system' (a catalog system: {}) or 'scale_up' (a domain described part by part)",
                             join_ids(s.catalog.system_ids())));
  if (sys_n) read_system(s, *sys_n);
  else read_scale_up(s, *up_n);
  read_scale_out(s, cm.required("scale_out"));
  cm.finish();
}

}  // namespace racksim::scenario_sections
