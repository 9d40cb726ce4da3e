#include "sim/scenario/scenario.hpp"

#include "core/yaml_doc.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <functional>
#include <limits>

namespace racksim {

namespace {

std::string dir_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

std::string resolve(const std::string& base_dir, const std::string& p) {
  return (!p.empty() && p.front() == '/') ? p : base_dir + "/" + p;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

template <class T>
const T& lookup(const ConfigNode& n, const T* found, const char* what, const std::vector<std::string>& ids) {
  if (!found) n.fail(fmt::format("unknown {} '{}'; catalog {}s: {}", what, n.as_string(), what, join(ids)));
  return *found;
}

const GpuSpec& gpu_of(const Catalog& c, const ConfigNode& n) {
  return lookup(n, c.find_gpu(n.as_string()), "GPU", c.gpu_ids());
}
const LinkSpec& link_of(const Catalog& c, const ConfigNode& n) {
  return lookup(n, c.find_link(n.as_string()), "link", c.link_ids());
}
const SwitchSpec& switch_of(const Catalog& c, const ConfigNode& n) {
  return lookup(n, c.find_switch(n.as_string()), "switch", c.switch_ids());
}
const NicSpec& nic_of(const Catalog& c, const ConfigNode& n) {
  return lookup(n, c.find_nic(n.as_string()), "NIC", c.nic_ids());
}

std::string port_list(const SwitchSpec& s) {
  std::string out;
  for (const auto& pc : s.port_configs) out += (out.empty() ? "" : ", ") + fmt::format("{} x {}", pc.ports, format_rate(pc.speed));
  return out;
}

// A key with a documented default (a kind's preset): the scenario's value if present, else a
// node holding the default, located at the parent map for messages.
ConfigNode preset(MapReader& m, const std::string& key, const std::string& value, const ConfigNode& parent) {
  if (auto n = m.optional(key)) return *n;
  return ConfigNode(YAML::Node(value), parent.context(), join_key(parent.path(), key));
}

// Switched scale-up domain (helios_rack and switched): one logical switch, per-GPU bandwidth.
void read_switched(Scenario& s, MapReader& m, const ConfigNode& node, bool helios) {
  ScaleUpParams& up = s.cluster.up;
  up.kind = ScaleUpParams::Kind::Switched;
  if (helios) {
    // Helios: 72 MI455X in 18 trays of 4 (hardware.md section 3, S16-S19).
    up.gpus = 72;
    up.trays = 18;
    up.domain_label = "rack";
  } else {
    up.gpus = static_cast<int>(m.required("gpus").as_int(1, 100000));
    up.trays = m.optional("trays") ? static_cast<int>(node.child("trays").as_int(1, 100000)) : 1;
    if (up.gpus % up.trays != 0) node.child("trays").fail(fmt::format("{} GPUs cannot be split evenly into {} trays", up.gpus, up.trays));
    up.domain_label = "node";
  }
  const ConfigNode gpu_n = helios ? preset(m, "gpu", "mi455x", node) : m.required("gpu");
  s.gpu = gpu_of(s.catalog, gpu_n);
  const ConfigNode link_n = helios ? preset(m, "link", "ualoe_lane_200g", node) : m.required("link");
  const LinkSpec& link = link_of(s.catalog, link_n);
  const ConfigNode sw_n = helios ? preset(m, "switch", "tomahawk6", node) : m.required("switch");
  const SwitchSpec& sw = switch_of(s.catalog, sw_n);
  // Helios: >= 11 TH6-class 512 x 200G chips for 72 x 72 lanes (hardware.md, derived); 12 by default.
  const ConfigNode chips_n = preset(m, "switch_chips", helios ? "12" : "1", node);
  const int chips = static_cast<int>(chips_n.as_int(1, 100000));
  BytesPerSecond bw;
  if (auto b = m.optional("bandwidth")) {
    bw = b->as_rate();
  } else {
    if (!s.gpu.scale_up_bandwidth)
      gpu_n.fail(fmt::format("GPU '{}' has no scale_up_bandwidth in the catalog; set 'bandwidth'", s.gpu.id));
    bw = *s.gpu.scale_up_bandwidth;
  }
  const double eff = m.optional("efficiency") ? node.child("efficiency").as_fraction() : link.usable_fraction.value_or(1.0);
  up.gpu_part = s.gpu.id;
  up.link_part = link.id;
  up.link_bandwidth = bw * eff;
  up.link_latency = m.optional("latency") ? node.child("latency").as_duration() : link.latency;
  up.switch_part = sw.id;
  up.switch_latency = m.optional("switch_latency") ? node.child("switch_latency").as_duration() : sw.latency;
  const auto ports = sw.ports_at(link.bandwidth);
  if (!ports)
    sw_n.fail(fmt::format("switch '{}' has no ports at the link's lane rate {} (its port configurations: {})", sw.id,
                          format_rate(link.bandwidth), port_list(sw)));
  up.port_speed = link.bandwidth;
  up.switch_ports = *ports * chips;
  up.nvls_bandwidth = sw.reduction_bandwidth.value_or(BytesPerSecond(0.0));
}

void read_full_mesh(Scenario& s, MapReader& m, const ConfigNode& node, bool mi300x) {
  ScaleUpParams& up = s.cluster.up;
  up.kind = ScaleUpParams::Kind::FullMesh;
  up.domain_label = "node";
  up.gpus = mi300x ? 8 : static_cast<int>(m.required("gpus").as_int(2, 64));
  const ConfigNode gpu_n = mi300x ? preset(m, "gpu", "mi300x", node) : m.required("gpu");
  s.gpu = gpu_of(s.catalog, gpu_n);
  const ConfigNode link_n = mi300x ? preset(m, "link", "xgmi_mi300x", node) : m.required("link");
  const LinkSpec& link = link_of(s.catalog, link_n);
  up.links_per_pair = m.optional("links_per_pair") ? static_cast<int>(node.child("links_per_pair").as_int(1, 64)) : 1;
  const double eff = m.optional("efficiency") ? node.child("efficiency").as_fraction() : link.usable_fraction.value_or(1.0);
  up.gpu_part = s.gpu.id;
  up.link_part = link.id;
  up.link_bandwidth = (m.optional("bandwidth") ? node.child("bandwidth").as_rate() : link.bandwidth) * eff;
  up.link_latency = m.optional("latency") ? node.child("latency").as_duration() : link.latency;
}

void read_scale_up(Scenario& s, const ConfigNode& node) {
  MapReader m(node, "cluster.scale_up");
  const std::string kind = m.required("kind").as_choice({"helios_rack", "mi300x_node", "switched", "full_mesh"});
  s.scale_up_kind = kind;
  if (kind == "helios_rack" || kind == "switched") read_switched(s, m, node, kind == "helios_rack");
  else read_full_mesh(s, m, node, kind == "mi300x_node");
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

double ratio_1_to_64(const ConfigNode& n) {
  const double v = n.as_number();
  if (!(v >= 1.0 && v <= 64.0)) n.fail(fmt::format("expected an oversubscription ratio from 1 (non-blocking) to 64, got {}", v));
  return v;
}

// cluster.scale_out.transport: the scale-out transport (models/transport.hpp).
void read_transport(Scenario& s, MapReader& parent, const NicSpec& nic) {
  TransportParams& t = s.transport;
  t.protocol = nic.ultra_ethernet ? TransportProtocol::Uet : TransportProtocol::Roce;
  auto node = parent.optional("transport");
  if (!node) return;
  MapReader m(*node, "cluster.scale_out.transport");
  if (auto p = m.optional("protocol"))
    t.protocol = p->as_choice({"roce", "uet"}) == "uet" ? TransportProtocol::Uet : TransportProtocol::Roce;
  if (auto n = m.optional("mtu")) {
    t.mtu = static_cast<int>(n->as_int(256, 9216));
    if (t.protocol == TransportProtocol::Roce && t.mtu > 4096)
      n->fail(fmt::format("RoCE carries at most 4096 payload bytes per packet (its MTUs are 256 to 4096), got {}; use "
                          "protocol: uet for jumbo frames",
                          t.mtu));
  }
  if (auto n = m.optional("loss_rate")) {
    t.loss_rate = n->as_number();
    if (!(t.loss_rate >= 0.0 && t.loss_rate < 0.5))
      n->fail(fmt::format("expected a packet loss rate per hop from 0 to below 0.5, got {}", t.loss_rate));
  }
  if (auto n = m.optional("link_level_retry")) t.link_level_retry = n->as_bool();
  m.finish();
}

void read_scale_out(Scenario& s, const ConfigNode& node) {
  MapReader m(node, "cluster.scale_out");
  const std::string kind = m.required("kind").as_choice({"none", "rail_leaf_spine", "fat_tree"});
  s.scale_out_kind = kind;
  ScaleOutParams& o = s.cluster.out;
  o.enabled = kind != "none";
  if (o.enabled) {
    // With a system, its NIC and NIC count are the defaults.
    const SystemSpec* sys = s.system.empty() ? nullptr : s.catalog.find_system(s.system);
    const NicSpec& nic = nic_of(s.catalog, sys ? preset(m, "nic", sys->nic, node) : m.required("nic"));
    o.nic_part = nic.id;
    o.nic_line_rate = nic.line_rate;
    o.host_interface_bandwidth = nic.host_interface_bandwidth;
    o.nic_latency = nic.latency;
    o.message_overhead = nic.message_overhead.value_or(Seconds(0.0));
    if (auto n = sys ? m.optional("nics_per_gpu") : std::optional<ConfigNode>(m.required("nics_per_gpu")))
      o.nics_per_gpu = static_cast<int>(n->as_int(1, 64));
    else
      o.nics_per_gpu = sys->nics_per_gpu;
    const ConfigNode cable_n = m.required("cable");
    const LinkSpec& cable = link_of(s.catalog, cable_n);
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
    if (auto pl = m.optional("planes")) {
      o.planes = static_cast<int>(pl->as_int(1, 64));
      if (o.nics_per_gpu % o.planes != 0)
        pl->fail(fmt::format("planes ({}) must divide nics_per_gpu ({}): NIC j of each GPU is on plane j mod planes",
                             o.planes, o.nics_per_gpu));
    }
    if (auto ov = m.optional("oversubscription")) o.oversubscription = ratio_1_to_64(*ov);
    // fat_tree: 2 tiers (leaf/spine) or 3 (leaf/spine per pod/core); rail_leaf_spine is 2 tiers.
    o.tiers = 2;
    if (kind == "fat_tree") {
      if (auto t = m.optional("tiers")) o.tiers = static_cast<int>(t->as_int(2, 3));
      auto core_n = m.optional("core");
      auto core_ov = m.optional("core_oversubscription");
      if (o.tiers == 3) {
        if (!core_n) node.fail("a 3-tier fat_tree needs 'core': the catalog switch id of its core tier");
        const auto [core, core_ports] = fabric_switch(s, *core_n, nic.line_rate);
        o.core_part = core->id;
        o.core_ports = core_ports;
        o.core_latency = core->latency;
        if (core_ov) o.core_oversubscription = ratio_1_to_64(*core_ov);
      } else {
        for (const auto& [key, n] : {std::pair{"core", core_n}, std::pair{"core_oversubscription", core_ov}})
          if (n) n->fail(fmt::format("'{}' applies to a 3-tier fat_tree only; set tiers: 3 or remove it", key));
      }
    }
    read_transport(s, m, nic);
    const bool uet = s.transport.protocol == TransportProtocol::Uet;
    o.multipath = uet ? Multipath::Spray : Multipath::Ecmp;
    if (auto mp = m.optional("multipath")) {
      const std::string v = mp->as_choice({"ecmp", "spray", "adaptive"});
      o.multipath = v == "ecmp" ? Multipath::Ecmp : v == "spray" ? Multipath::Spray : Multipath::Adaptive;
    }
    if (auto seed = m.optional("ecmp_seed"))
      o.ecmp_seed = static_cast<std::uint64_t>(seed->as_int(0, std::numeric_limits<std::int64_t>::max()));
  }
  m.finish();
}

// Defaults of the power section (docs/scenario-format.md says where each comes from).
constexpr double kDefaultPue = 1.10;  // central value for new direct-liquid-cooled builds, 1.05-1.15 (hardware.md S60)
constexpr double kDefaultControlPeriod = 1e-3;  // firmware power loops act on the order of a millisecond (estimate)

// The default power.rack: the system's rack entry, or the preset kind's.
std::string default_rack_for(const Scenario& s) {
  if (!s.system.empty()) return s.catalog.find_system(s.system)->rack;
  if (s.scale_up_kind == "helios_rack") return "helios";
  if (s.scale_up_kind == "mi300x_node") return "mi300x-platform";
  return "";
}

std::string fmt_c(Celsius c) { return fmt::format("{:.4g} C", c - Celsius(0.0)); }

void read_power(Scenario& s, const ConfigNode& top_node, std::optional<ConfigNode> power_n, std::optional<ConfigNode> cooling_n) {
  PowerConfig& pc = s.power;
  pc.where = power_n ? power_n->location() : top_node.location();
  const GpuPowerSpec* gp = s.catalog.find_gpu_power(s.gpu.id);
  if (!gp)
    throw InputError(s.cluster_where,
                     fmt::format("GPU '{}' has no gpu_power entry in the catalog, so its power cannot be modelled; add one "
                                 "(format: models/catalog/power.yaml) to a catalog file the scenario lists",
                                 s.gpu.id));
  pc.gpu = *gp;
  pc.gpu.power.max = s.gpu.board_power;
  if (!(pc.gpu.power.idle < pc.gpu.power.max))
    throw InputError(s.cluster_where, fmt::format("GPU '{}': idle power {} W is not below its board power {} W", s.gpu.id,
                                                  pc.gpu.power.idle.value(), pc.gpu.power.max.value()));

  std::optional<MapReader> pm;
  if (power_n) pm.emplace(*power_n, "power");
  auto opt = [&](const char* key) -> std::optional<ConfigNode> { return pm ? pm->optional(key) : std::nullopt; };

  // Rack entry.
  std::string rack_id;
  std::optional<ConfigNode> rack_n = opt("rack");
  if (rack_n) rack_id = rack_n->as_string();
  else rack_id = default_rack_for(s);
  if (rack_id == "none") rack_id.clear();
  if (!rack_id.empty()) {
    const RackPowerSpec* r = s.catalog.find_rack(rack_id);
    if (!r) {
      std::string ids;
      for (const auto& id : s.catalog.rack_ids()) ids += (ids.empty() ? "" : ", ") + id;
      if (rack_n) rack_n->fail(fmt::format("unknown rack '{}'; catalog racks: {}, or none", rack_id, ids));
      throw InputError(s.cluster_where, fmt::format("the default rack entry '{}' is not in the catalog", rack_id));
    }
    if (r->gpus != s.cluster.up.gpus) {
      const std::string msg = fmt::format("rack entry '{}' describes {} GPUs but each {} of this cluster has {}", r->id, r->gpus,
                                          s.cluster.up.domain_label, s.cluster.up.gpus);
      if (rack_n) rack_n->fail(msg);
      throw InputError(s.cluster_where, msg + "; set power.rack to a matching entry or to none");
    }
    pc.rack = *r;
  } else {
    pc.rack_absent_reason = rack_n ? "power.rack: none" : fmt::format("no rack entry for cluster kind '{}'; set power.rack", s.scale_up_kind);
  }

  // Site model.
  auto pue_n = opt("pue");
  auto plant_n = opt("cooling_plant");
  if (pue_n && plant_n) plant_n->fail("give either pue or cooling_plant, not both");
  if (plant_n) {
    MapReader m(*plant_n, "power.cooling_plant");
    pc.site.kind = SiteParams::Kind::CoolingPlant;
    const ConfigNode cop = m.required("cop");
    pc.site.cop = cop.as_number();
    if (!(pc.site.cop > 0.0)) cop.fail(fmt::format("expected a coefficient of performance above 0, got {}", pc.site.cop));
    pc.site.plant_fixed = m.optional("fixed") ? plant_n->child("fixed").as_watts() : Watts(0.0);
    m.finish();
  } else {
    pc.site.kind = SiteParams::Kind::Pue;
    pc.site.pue = pue_n ? pue_n->as_number() : kDefaultPue;
    if (pue_n && !(pc.site.pue >= 1.0 && pc.site.pue <= 5.0))
      pue_n->fail(fmt::format("expected a PUE from 1 (no overhead) to 5, got {}", pc.site.pue));
  }

  // Periods.
  pc.control_period = Seconds(kDefaultControlPeriod);
  if (auto n = opt("control_period")) {
    pc.control_period = n->as_duration();
    if (!(pc.control_period.value() >= 1e-6 && pc.control_period.value() <= 10.0))
      n->fail(fmt::format("expected a control period from 1 us to 10 s, got {}", format_seconds(pc.control_period)));
  }
  if (!(pc.gpu.dvfs.transition_latency.value() < pc.control_period.value()))
    throw InputError(pc.where, fmt::format("the control period ({}) must exceed the DVFS transition latency of GPU '{}' ({})",
                                           format_seconds(pc.control_period), s.gpu.id,
                                           format_seconds(pc.gpu.dvfs.transition_latency)));
  pc.sample_period = pc.control_period;
  if (auto n = opt("sample_period")) {
    pc.sample_period = n->as_duration();
    const double k = pc.sample_period.value() / pc.control_period.value();
    if (!(k >= 1.0 - 1e-9) || std::abs(k - std::round(k)) > 1e-6)
      n->fail(fmt::format("the sample period must be a whole multiple of the control period ({}), got {}",
                          format_seconds(pc.control_period), format_seconds(pc.sample_period)));
  }

  // Caps. Each must leave room for idle power, or no clock could hold it.
  const Watts idle = pc.gpu.power.idle;
  const double other = pc.rack ? rack_other_power(*pc.rack).value() : 0.0;
  const double eff = pc.rack ? pc.rack->conversion_efficiency : 1.0;
  const double rack_idle = (idle.value() * s.cluster.up.gpus + other) / eff;
  if (auto n = opt("gpu_cap")) {
    pc.gpu_cap = n->as_watts();
    if (!(*pc.gpu_cap > idle))
      n->fail(fmt::format("a GPU cap of {} W is not above the idle power of GPU '{}' ({} W): no clock can hold it",
                          pc.gpu_cap->value(), s.gpu.id, idle.value()));
  }
  if (auto n = opt("rack_cap")) {
    pc.rack_cap = n->as_watts();
    if (!(pc.rack_cap->value() > rack_idle))
      n->fail(fmt::format("a rack cap of {} W is not above the rack's idle power ({:.6g} W: {} idle GPUs and {:.6g} W of "
                          "other parts, after conversion losses)",
                          pc.rack_cap->value(), rack_idle, s.cluster.up.gpus, other));
  }
  if (auto n = opt("site_cap")) {
    pc.site_cap = n->as_watts();
    const double site_idle = site_power(pc.site, Watts(rack_idle * s.cluster.domains)).value();
    if (!(pc.site_cap->value() > site_idle))
      n->fail(fmt::format("a site cap of {} W is not above the site's idle power ({:.6g} W for {} {}{}, after {})",
                          pc.site_cap->value(), site_idle, s.cluster.domains, s.cluster.up.domain_label,
                          s.cluster.domains == 1 ? "" : "s",
                          pc.site.kind == SiteParams::Kind::Pue ? fmt::format("PUE {}", pc.site.pue) : "the cooling plant"));
  }
  if (pm) pm->finish();

  // Cooling.
  std::optional<MapReader> cm;
  if (cooling_n) cm.emplace(*cooling_n, "cooling");
  auto copt = [&](const char* key) -> std::optional<ConfigNode> { return cm ? cm->optional(key) : std::nullopt; };
  std::string loop_id;
  auto loop_n = copt("loop");
  if (loop_n) loop_id = loop_n->as_string();
  else if (pc.rack) loop_id = pc.rack->cooling;
  if (loop_id == "none") loop_id.clear();
  if (loop_id.empty()) {
    pc.thermal_absent_reason = loop_n ? "cooling.loop: none" : "no rack entry to take a cooling loop from; set cooling.loop";
    if (cm) {
      for (const char* k : {"inlet_temperature", "flow", "coolant", "cold_plate", "cdu", "plates_in_series"})
        if (auto n = copt(k)) n->fail("cooling settings need a cooling loop: set cooling.loop to a catalog cooling_loops id");
      cm->finish();
    }
    return;
  }
  const CoolingLoopSpec* ls = s.catalog.find_cooling_loop(loop_id);
  if (!ls) {
    std::string ids;
    for (const auto& id : s.catalog.cooling_loop_ids()) ids += (ids.empty() ? "" : ", ") + id;
    if (loop_n) loop_n->fail(fmt::format("unknown cooling loop '{}'; catalog cooling_loops: {}, or none", loop_id, ids));
    throw InputError(pc.where, fmt::format("rack entry '{}' names cooling loop '{}', which is not in the catalog", pc.rack->id, loop_id));
  }
  auto pick = [&](const char* key, const std::string& dflt, auto find, auto ids, const char* what) {
    std::string id = dflt;
    auto n = copt(key);
    if (n) id = n->as_string();
    const auto* found = find(id);
    if (!found) {
      std::string list;
      for (const auto& x : ids()) list += (list.empty() ? "" : ", ") + x;
      const std::string msg = fmt::format("unknown {} '{}'; catalog {}s: {}", what, id, what, list);
      if (n) n->fail(msg);
      throw InputError(pc.where, fmt::format("cooling loop '{}': {}", loop_id, msg));
    }
    return found;
  };
  const Catalog& c = s.catalog;
  const CoolantSpec* coolant = pick("coolant", ls->coolant, [&](const std::string& id) { return c.find_coolant(id); },
                                    [&] { return c.coolant_ids(); }, "coolant");
  const ColdPlateSpec* plate = pick("cold_plate", ls->cold_plate, [&](const std::string& id) { return c.find_cold_plate(id); },
                                    [&] { return c.cold_plate_ids(); }, "cold plate");
  const CduSpec* cdu = pick("cdu", ls->cdu, [&](const std::string& id) { return c.find_cdu(id); }, [&] { return c.cdu_ids(); }, "CDU");

  ThermalSetup th;
  th.loop_id = ls->id;
  th.coolant = coolant->id;
  th.cold_plate = plate->id;
  th.cdu = cdu->id;
  th.cdu_capacity = cdu->capacity;
  th.cdu_racks = cdu->racks;
  th.loop.inlet = ls->inlet;
  th.loop.flow = ls->flow;
  th.loop.series = ls->series;
  th.loop.density = coolant->density;
  th.loop.specific_heat = coolant->specific_heat;
  th.loop.gpus = s.cluster.up.gpus;
  if (auto n = copt("inlet_temperature")) {
    const InletClassSpec* cls = n->is_scalar() ? c.find_inlet_class(n->as_string()) : nullptr;
    th.loop.inlet = cls ? cls->temperature : n->as_celsius();
    if (!(th.loop.inlet < pc.gpu.junction_limit) || !(th.loop.inlet < pc.gpu.hbm_limit))
      n->fail(fmt::format("an inlet of {} is not below the junction limit ({}) and HBM limit ({}) of GPU '{}': the "
                          "coolant could not cool it",
                          fmt_c(th.loop.inlet), fmt_c(pc.gpu.junction_limit), fmt_c(pc.gpu.hbm_limit), s.gpu.id));
  }
  if (auto n = copt("flow")) {
    th.loop.flow = n->as_quantity(UnitFamily::VolumeFlow);
    if (!(th.loop.flow > 0.0))
      n->fail(fmt::format("expected a coolant flow per {} greater than zero, got {:.6g} L/min", s.cluster.up.domain_label,
                          th.loop.flow * 60e3));
  }
  if (auto n = copt("plates_in_series")) th.loop.series = static_cast<int>(n->as_int(1, 1'000'000));
  if (th.loop.gpus % th.loop.series != 0) {
    const std::string msg = fmt::format("{} GPU plates in series do not divide the {} GPUs of a {}", th.loop.series,
                                        th.loop.gpus, s.cluster.up.domain_label);
    if (auto n = copt("plates_in_series")) n->fail(msg);
    throw InputError(pc.where, fmt::format("cooling loop '{}': {}", loop_id, msg));
  }
  if (!(th.loop.inlet < pc.gpu.junction_limit))
    throw InputError(pc.where, fmt::format("cooling loop '{}' supplies {} coolant, not below the junction limit of GPU '{}' ({})",
                                           loop_id, fmt_c(th.loop.inlet), s.gpu.id, fmt_c(pc.gpu.junction_limit)));
  th.r_plate = cold_plate_resistance(*plate, th.loop.flow_per_plate());
  {
    // The CDU's share per rack must take at least the rack's idle liquid heat, or no clock could
    // keep under it.
    const double share = cdu->capacity.value() / cdu->racks;
    const double idle_heat = pc.gpu.power.idle.value() * s.cluster.up.gpus + (pc.rack ? pc.rack->liquid_fraction * other : 0.0);
    if (!(share > idle_heat)) {
      const std::string msg = fmt::format("CDU '{}' rejects {:.6g} W per {} ({:.6g} W over {} racks), not above a {}'s idle "
                                          "liquid heat ({:.6g} W)",
                                          cdu->id, share, s.cluster.up.domain_label, cdu->capacity.value(), cdu->racks,
                                          s.cluster.up.domain_label, idle_heat);
      if (auto n = copt("cdu")) n->fail(msg);
      throw InputError(pc.where, fmt::format("cooling loop '{}': {}", loop_id, msg));
    }
  }
  pc.thermal = th;
  if (cm) cm->finish();
}

// The default collective library: the system's, else RCCL on the AMD preset kinds, else NCCL.
std::string default_library_for(const Scenario& s) {
  if (!s.system.empty()) return s.catalog.find_system(s.system)->library;
  if (s.scale_up_kind == "helios_rack" || s.scale_up_kind == "mi300x_node") return "rccl";
  return "nccl";
}

std::vector<std::string> algorithm_names(const std::vector<CollectiveAlgorithm>& algos) {
  std::vector<std::string> out;
  for (auto a : algos) out.push_back(to_string(a));
  return out;
}

// collectives: {algorithm, <kind>: <algorithm>, protocol, chunk_size, library}; every key optional.
void read_collectives(Scenario& s, const std::optional<ConfigNode>& node) {
  CollectiveConfig& cc = s.collectives;
  std::optional<MapReader> m;
  if (node) m.emplace(*node, "collectives");
  auto opt = [&](const std::string& key) -> std::optional<ConfigNode> { return m ? m->optional(key) : std::nullopt; };

  // The library first: protocols and algorithms are checked against it.
  auto lib_n = opt("library");
  const std::string lib_id = lib_n ? lib_n->as_string() : default_library_for(s);
  // `none`: no library constants at all — collectives pay their transfers only (what the
  // alpha-beta oracles of the tests assume).
  static const CollectiveLibrarySpec kNoLibrary{"none", "no collective library (transfers only)", {}, {}, {}};
  const CollectiveLibrarySpec* lib = lib_id == "none" ? &kNoLibrary : s.catalog.find_library(lib_id);
  if (!lib) {
    const std::string msg = fmt::format("unknown collective library '{}'; catalog libraries: {}, or none", lib_id,
                                        join(s.catalog.library_ids()));
    if (lib_n) lib_n->fail(msg);
    throw InputError(s.cluster_where, "the default " + msg + "; set collectives.library");
  }
  cc.library = *lib;

  std::vector<std::string> protocols = {"auto"};
  for (const auto& p : lib->protocols) protocols.push_back(p.name);
  if (auto p = opt("protocol")) cc.protocol = p->as_choice(protocols);
  // An algorithm the library has no constants for runs with its ring constants (sim/collective_plan.cpp).

  std::vector<CollectiveAlgorithm> all = {CollectiveAlgorithm::Ring, CollectiveAlgorithm::Direct, CollectiveAlgorithm::Tree,
                                          CollectiveAlgorithm::HalvingDoubling, CollectiveAlgorithm::Hierarchical,
                                          CollectiveAlgorithm::Nvls, CollectiveAlgorithm::Auto};
  if (auto a = opt("algorithm")) {
    cc.algorithm = *collective_algorithm_from_string(a->as_choice(algorithm_names(all)));
  }
  for (auto kind : {CollectiveKind::AllReduce, CollectiveKind::AllGather, CollectiveKind::ReduceScatter,
                    CollectiveKind::AllToAll, CollectiveKind::Broadcast, CollectiveKind::Reduce}) {
    auto n = opt(to_string(kind));
    if (!n) continue;
    std::vector<CollectiveAlgorithm> valid = algorithms_for(kind);
    valid.push_back(CollectiveAlgorithm::Auto);
    const std::string name = n->as_string();
    const auto a = collective_algorithm_from_string(name);
    if (!a)
      n->fail(fmt::format("unknown algorithm '{}'; expected one of: {}", name, join(algorithm_names(valid))));
    bool supported = false;
    for (auto v : valid) supported = supported || v == *a;
    if (!supported)
      n->fail(fmt::format("algorithm '{}' cannot run {}; {} supports: {}", name, to_string(kind), to_string(kind),
                          join(algorithm_names(valid))));
    cc.per_kind[kind] = *a;
  }
  if (auto c = opt("chunk_size")) {
    cc.chunk_size = c->as_bytes();
    if (!(cc.chunk_size.value() >= 1.0))
      c->fail(fmt::format("expected a chunk size of at least 1 byte, got '{}'", c->as_string()));
  }
  if (m) m->finish();
}

// faults: a list of {at, link: [a, b] | switch: name, state: down | degraded, fraction}. Node
// names are resolved against the topology when the run builds it.
void read_faults(Scenario& s, const ConfigNode& list) {
  if (!list.is_sequence())
    list.fail("expected a list of faults, each {at: <time>, link: [<node>, <node>] or switch: <name>, state: down | "
              "degraded, fraction: <share left> (degraded only)}");
  for (const auto& item : list.items()) {
    MapReader m(item, "fault");
    FaultSpec f;
    f.where = item.location();
    f.at = m.required("at").as_duration();
    auto link_n = m.optional("link");
    auto sw_n = m.optional("switch");
    if (link_n && sw_n) sw_n->fail("a fault names either a link or a switch, not both");
    if (!link_n && !sw_n) item.fail("a fault needs 'link: [<node>, <node>]' or 'switch: <name>'");
    if (link_n) {
      const auto ends = link_n->is_sequence() ? link_n->items() : std::vector<ConfigNode>{};
      if (ends.size() != 2)
        link_n->fail("expected the link as a list of its two end nodes, [<node>, <node>] (for example [node0.gpu0, node0.switch])");
      f.node_a = ends[0].as_string();
      f.node_b = ends[1].as_string();
      if (f.node_a == f.node_b) ends[1].fail(fmt::format("the two ends of a link must differ, got '{}' twice", f.node_a));
    } else {
      f.node_a = sw_n->as_string();
    }
    const std::string state = m.required("state").as_choice({"down", "degraded"});
    auto frac = m.optional("fraction");
    if (state == "down") {
      if (frac) frac->fail("'fraction' applies to state: degraded only; a part that is down carries nothing");
      f.fraction = 0.0;
    } else {
      if (!frac)
        item.fail("a degraded fault needs 'fraction': the share of the bandwidth left, greater than 0 and less than 1");
      f.fraction = frac->as_number();
      if (!(f.fraction > 0.0 && f.fraction < 1.0))
        frac->fail(fmt::format("expected the share of the bandwidth left, greater than 0 and less than 1 (use state: "
                               "down for 0), got {}",
                               f.fraction));
    }
    m.finish();
    s.faults.push_back(f);
  }
}

}  // namespace

namespace {
Scenario load_scenario_doc(ConfigDoc doc, const std::string& path, const std::vector<std::string>& overrides,
                           const std::string& data_dir);
}  // namespace

Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides, const std::string& data_dir) {
  return load_scenario_doc(ConfigDoc::load_file(path), path, overrides, data_dir);
}

Scenario load_scenario_text(const std::string& text, const std::string& path, const std::vector<std::string>& overrides,
                            const std::string& data_dir) {
  return load_scenario_doc(ConfigDoc::load_string(text, path), path, overrides, data_dir);
}

namespace {
Scenario load_scenario_doc(ConfigDoc doc, const std::string& path, const std::vector<std::string>& overrides,
                           const std::string& data_dir) {
  for (const auto& o : overrides) doc.apply_override(o);
  Scenario s;
  s.file = path;
  s.overrides = overrides;
  MapReader top(doc.root(), "scenario");
  const auto ver = top.required("schema_version");
  if (ver.as_int(1, 1000) != 1) ver.fail("unsupported scenario schema_version; this racksim reads version 1");
  s.name = top.required("name").as_string();
  if (auto d = top.optional("description")) s.description = d->as_string();
  const std::string base = dir_of(path);
  std::vector<std::string> catalog_files = shipped_catalog_files(data_dir);
  if (auto c = top.optional("catalog"))
    for (const auto& f : c->items()) catalog_files.push_back(resolve(base, f.as_string()));
  s.catalog = Catalog::load(catalog_files);

  const ConfigNode cluster = top.required("cluster");
  s.cluster_where = cluster.location();
  MapReader cm(cluster, "cluster");
  s.cluster.domains = static_cast<int>(cm.required("domains").as_int(1, 1'000'000));
  {
    // Exactly one of system (a catalog system) and scale_up (a described domain).
    auto sys_n = cm.optional("system");
    auto up_n = cm.optional("scale_up");
    if (sys_n && up_n) up_n->fail("give either cluster.system or cluster.scale_up, not both");
    if (!sys_n && !up_n)
      cluster.fail(fmt::format("cluster needs 'system' (a catalog system: {}) or 'scale_up' (a domain described part by part)",
                               join(s.catalog.system_ids())));
    if (sys_n) read_system(s, *sys_n);
    else read_scale_up(s, *up_n);
  }
  read_scale_out(s, cm.required("scale_out"));
  cm.finish();
  s.calibration = calibration_for(s.gpu, s.catalog, data_dir + "/models/catalog/calibration");

  const ConfigNode wl = top.required("workload");
  MapReader wm(wl, "workload");
  s.workload.where = wl.location();
  s.workload.kind = wm.required("kind").as_choice({"trace", "chakra", "transformer_training"});
  if (s.workload.kind == "trace") {
    const ConfigNode file_n = wm.required("file");
    s.workload.file = resolve(base, file_n.as_string());
    if (!std::ifstream(s.workload.file))
      file_n.fail(fmt::format("cannot open trace file '{}' (does it exist and is it readable?)", s.workload.file));
  } else if (s.workload.kind == "chakra") {
    s.workload.chakra = read_chakra_spec(wm, base, s.catalog);
  } else {
    s.workload.transformer = read_transformer_spec(wm, s.gpu, data_dir);
  }
  wm.finish();
  {
    auto power_n = top.optional("power");
    auto cooling_n = top.optional("cooling");
    read_power(s, doc.root(), power_n, cooling_n);
  }
  read_collectives(s, top.optional("collectives"));
  if (auto f = top.optional("faults")) read_faults(s, *f);
  if (auto sim = top.optional("simulation")) {
    MapReader sm(*sim, "simulation");
    if (auto o = sm.optional("out_of_memory")) s.oom_is_error = o->as_choice({"error", "warn"}) == "error";
    if (auto o = sm.optional("fidelity")) {
      s.full_fidelity = o->as_choice({"auto", "full"}) == "full";
      s.fidelity_where = o->location();
    }
    sm.finish();
  }
  top.finish();
  return s;
}

}  // namespace

}  // namespace racksim
