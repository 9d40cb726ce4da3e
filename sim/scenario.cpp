#include "sim/scenario.hpp"

#include "core/yaml_doc.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <functional>

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

void read_scale_out(Scenario& s, const ConfigNode& node) {
  MapReader m(node, "cluster.scale_out");
  const std::string kind = m.required("kind").as_choice({"none", "rail_leaf_spine"});
  s.scale_out_kind = kind;
  ScaleOutParams& o = s.cluster.out;
  o.enabled = kind != "none";
  if (o.enabled) {
    const NicSpec& nic = nic_of(s.catalog, m.required("nic"));
    o.nic_part = nic.id;
    o.nic_line_rate = nic.line_rate;
    o.host_interface_bandwidth = nic.host_interface_bandwidth;
    o.nic_latency = nic.latency;
    o.nics_per_gpu = static_cast<int>(m.required("nics_per_gpu").as_int(1, 64));
    const ConfigNode cable_n = m.required("cable");
    const LinkSpec& cable = link_of(s.catalog, cable_n);
    o.cable_part = cable.id;
    o.cable_latency = cable.latency;
    for (const char* tier : {"leaf", "spine"}) {
      const ConfigNode sn = m.required(tier);
      const SwitchSpec& sw = switch_of(s.catalog, sn);
      const auto ports = sw.ports_at(nic.line_rate);
      if (!ports)
        sn.fail(fmt::format("switch '{}' has no ports at the NIC's line rate {} (its port configurations: {})", sw.id,
                            format_rate(nic.line_rate), port_list(sw)));
      if (std::string(tier) == "leaf") {
        o.leaf_part = sw.id;
        o.leaf_ports = *ports;
        o.leaf_latency = sw.latency;
      } else {
        o.spine_part = sw.id;
        o.spine_ports = *ports;
        o.spine_latency = sw.latency;
      }
    }
    if (auto pl = m.optional("planes")) {
      o.planes = static_cast<int>(pl->as_int(1, 64));
      if (o.nics_per_gpu % o.planes != 0)
        pl->fail(fmt::format("planes ({}) must divide nics_per_gpu ({}): NIC j of each GPU is on plane j mod planes",
                             o.planes, o.nics_per_gpu));
    }
    if (auto ov = m.optional("oversubscription")) {
      o.oversubscription = ov->as_number();
      if (!(o.oversubscription >= 1.0 && o.oversubscription <= 64.0))
        ov->fail(fmt::format("expected an oversubscription ratio from 1 (non-blocking) to 64, got {}", o.oversubscription));
    }
  }
  m.finish();
}

}  // namespace

Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides, const std::string& data_dir) {
  ConfigDoc doc = ConfigDoc::load_file(path);
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
  read_scale_up(s, cm.required("scale_up"));
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
  if (auto sim = top.optional("simulation")) {
    MapReader sm(*sim, "simulation");
    if (auto o = sm.optional("out_of_memory")) s.oom_is_error = o->as_choice({"error", "warn"}) == "error";
    sm.finish();
  }
  top.finish();
  return s;
}

}  // namespace racksim
