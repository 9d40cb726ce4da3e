// racksim models: the reader and the cross-reference check of each catalog entry type (see
// catalog_entries.hpp). The generic loop that calls them is Catalog's (models/catalog.cpp).
#include "models/catalog_entries.hpp"

#include "models/collective.hpp"

#include <fmt/format.h>

#include <optional>
#include <string>
#include <vector>

namespace racksim {

namespace {

const std::vector<std::string>& valid_kinds() {
  static const std::vector<std::string> k = {"spec", "spec_secondary", "measured", "estimate", "derived"};
  return k;
}

std::map<Precision, FlopRate> read_rates(const ConfigNode& node, SourcedReader& sr, const std::string& field) {
  std::map<Precision, FlopRate> out;
  for (const auto& [name, child] : node.entries()) {
    const auto p = precision_from_string(name);
    if (!p) child.fail(fmt::format("unknown precision '{}'; valid: {}", name, precision_names()));
    out[*p] = sr.read(child, field + "." + name).as_flop_rate();
  }
  return out;
}

PortConfig parse_port_config(const ConfigNode& n) {
  const std::string s = n.as_string();
  const auto x = s.find(" x ");
  if (x == std::string::npos) n.fail(fmt::format("expected '<ports> x <rate>' such as '128 x 800 Gb/s', got '{}'", s));
  PortConfig c;
  try {
    std::size_t used = 0;
    c.ports = std::stoi(s.substr(0, x), &used);
    if (used != x || c.ports <= 0) throw std::invalid_argument("ports");
  } catch (const std::exception&) {
    n.fail(fmt::format("expected a positive port count before ' x ' in '{}'", s));
  }
  try {
    c.speed = parse_rate(s.substr(x + 3));
  } catch (const UnitError& e) {
    n.fail(e.what());
  }
  if (!(c.speed.value() > 0)) n.fail("port speed must be greater than zero");
  return c;
}

int as_count(const ConfigNode& n) { return static_cast<int>(n.as_int(1, 1'000'000)); }

// A quantity of `family` that must be greater than zero (thermal resistances, flows, ...).
double positive(const ConfigNode& n, UnitFamily family) {
  const double v = n.as_quantity(family);
  if (!(v > 0.0)) n.fail(fmt::format("expected a {} greater than zero, got '{}'", family_name(family), n.as_string()));
  return v;
}

// A plain number in [lo, hi]; `what` names it in the message.
double number_in(const ConfigNode& n, double lo, double hi, const std::string& what) {
  const double v = n.as_number();
  if (!(v >= lo && v <= hi)) n.fail(fmt::format("{} must be from {} to {}, got {}", what, lo, hi, v));
  return v;
}

// A temperature in [lo, hi] degrees Celsius.
Celsius celsius_in(const ConfigNode& n, double lo, double hi, const std::string& what) {
  const Celsius t = n.as_celsius();
  if (!(t.value() >= lo && t.value() <= hi))
    n.fail(fmt::format("{} must be from {} C to {} C, got {} C", what, lo, hi, t.value()));
  return t;
}

std::string id_list(const std::vector<std::string>& ids) {
  if (ids.empty()) return "(none)";
  std::string s;
  for (const auto& id : ids) s += (s.empty() ? "" : ", ") + id;
  return s;
}

// One protocol of a library entry: {name, bandwidth_fraction, latency: {<algorithm>: {base,
// hop_scale_up, hop_scale_out}}}. Provenance keys: protocols.<name>.bandwidth_fraction,
// protocols.<name>.latency.<algorithm>.<field>.
LibraryProtocol read_protocol(const ConfigNode& node, const CollectiveLibrarySpec& lib, SourcedReader& sr) {
  LibraryProtocol p;
  MapReader m(node, "protocol entry");
  const ConfigNode name_n = m.required("name");
  p.name = name_n.as_string();
  for (const auto& other : lib.protocols)
    if (other.name == p.name) name_n.fail(fmt::format("protocol '{}' is listed twice in library '{}'", p.name, lib.id));
  const std::string pre = "protocols." + p.name + ".";
  p.bandwidth_fraction = sr.read(m.required("bandwidth_fraction"), pre + "bandwidth_fraction").as_fraction();
  const ConfigNode lat = m.required("latency");
  std::vector<std::string> algorithms;
  for (auto a : {CollectiveAlgorithm::Ring, CollectiveAlgorithm::Direct, CollectiveAlgorithm::Tree,
                 CollectiveAlgorithm::HalvingDoubling, CollectiveAlgorithm::Hierarchical, CollectiveAlgorithm::Nvls})
    algorithms.push_back(to_string(a));
  for (const auto& [algo, an] : lat.entries()) {
    const auto a = collective_algorithm_from_string(algo);
    if (!a || *a == CollectiveAlgorithm::Auto)
      an.fail(fmt::format("unknown algorithm '{}'; valid: {}", algo, id_list(algorithms)));
    MapReader lm(an, fmt::format("latency of algorithm '{}'", algo));
    const std::string lp = pre + "latency." + algo + ".";
    LibraryLatency l;
    l.base = sr.read(lm.required("base"), lp + "base").as_duration();
    l.hop_scale_up = sr.read(lm.required("hop_scale_up"), lp + "hop_scale_up").as_duration();
    l.hop_scale_out = sr.read(lm.required("hop_scale_out"), lp + "hop_scale_out").as_duration();
    lm.finish();
    p.latency.emplace(algo, l);
  }
  if (p.latency.empty()) lat.fail("latency must list at least one algorithm");
  m.finish();
  return p;
}

}  // namespace

ConfigNode SourcedReader::read(const ConfigNode& node, const std::string& field) {
  MapReader m(node, fmt::format("sourced value '{}' (expected {{value, kind, source, note}})", field));
  ConfigNode value = m.required("value");
  Provenance p;
  p.kind = m.required("kind").as_choice(valid_kinds());
  const ConfigNode src = m.required("source");
  p.source = src.as_string();
  std::size_t start = 0;
  while (start <= p.source.size()) {
    auto comma = p.source.find(',', start);
    if (comma == std::string::npos) comma = p.source.size();
    std::string id = p.source.substr(start, comma - start);
    while (!id.empty() && id.front() == ' ') id.erase(id.begin());
    while (!id.empty() && id.back() == ' ') id.pop_back();
    if (sources_.count(id) == 0)
      src.fail(fmt::format("source id '{}' is not defined in this file's 'sources:' table", id));
    start = comma + 1;
  }
  if (auto note = m.optional("note")) p.note = note->as_string();
  m.finish();
  prov_[field] = p;
  return value;
}

// ---- parts (gpus.yaml, nics.yaml, switches.yaml, links.yaml) ---------------------------------

void read_gpu(GpuSpec& g, MapReader& m, SourcedReader& sr) {
  g.name = m.required("name").as_string();
  g.vendor = m.required("vendor").as_string();
  g.peak_dense = read_rates(m.required("peak_dense"), sr, "peak_dense");
  if (g.peak_dense.empty()) m.node().fail("peak_dense must list at least one precision");
  if (auto n = m.optional("peak_sparse")) g.peak_sparse = read_rates(*n, sr, "peak_sparse");
  if (auto n = m.optional("compute_units")) g.compute_units = as_count(sr.read(*n, "compute_units"));
  g.clock_max = sr.read(m.required("clock_max"), "clock_max").as_hertz();
  g.hbm_type = sr.read(m.required("hbm_type"), "hbm_type").as_string();
  g.hbm_capacity = sr.read(m.required("hbm_capacity"), "hbm_capacity").as_bytes();
  g.hbm_bandwidth = sr.read(m.required("hbm_bandwidth"), "hbm_bandwidth").as_rate();
  if (auto n = m.optional("hbm_stacks")) g.hbm_stacks = as_count(sr.read(*n, "hbm_stacks"));
  if (auto n = m.optional("llc")) g.llc = sr.read(*n, "llc").as_bytes();
  if (auto n = m.optional("scale_up_bandwidth")) g.scale_up_bandwidth = sr.read(*n, "scale_up_bandwidth").as_rate();
  if (auto n = m.optional("scale_out_bandwidth")) g.scale_out_bandwidth = sr.read(*n, "scale_out_bandwidth").as_rate();
  g.board_power = sr.read(m.required("board_power"), "board_power").as_watts();
  if (auto n = m.optional("idle_power")) g.idle_power = sr.read(*n, "idle_power").as_watts();
  g.launch_overhead = sr.read(m.required("launch_overhead"), "launch_overhead").as_duration();
}

void read_nic(NicSpec& n, MapReader& m, SourcedReader& sr) {
  n.name = m.required("name").as_string();
  n.vendor = m.required("vendor").as_string();
  n.line_rate = sr.read(m.required("line_rate"), "line_rate").as_rate();
  n.host_interface_bandwidth = sr.read(m.required("host_interface_bandwidth"), "host_interface_bandwidth").as_rate();
  n.latency = sr.read(m.required("latency"), "latency").as_duration();
  if (auto p = m.optional("power")) n.power = sr.read(*p, "power").as_watts();
  if (auto o = m.optional("message_overhead")) n.message_overhead = sr.read(*o, "message_overhead").as_duration();
  if (auto u = m.optional("ultra_ethernet")) n.ultra_ethernet = sr.read(*u, "ultra_ethernet").as_bool();
}

void read_switch(SwitchSpec& s, MapReader& m, SourcedReader& sr) {
  s.name = m.required("name").as_string();
  s.vendor = m.required("vendor").as_string();
  for (const auto& pc : sr.read(m.required("port_configs"), "port_configs").items())
    s.port_configs.push_back(parse_port_config(pc));
  if (s.port_configs.empty()) m.node().fail("port_configs must list at least one '<ports> x <rate>'");
  s.latency = sr.read(m.required("latency"), "latency").as_duration();
  if (auto c = m.optional("capacity")) s.capacity = sr.read(*c, "capacity").as_rate();
  if (auto p = m.optional("power")) s.power = sr.read(*p, "power").as_watts();
  if (auto r = m.optional("reduction_bandwidth")) s.reduction_bandwidth = sr.read(*r, "reduction_bandwidth").as_rate();
}

void read_link(LinkSpec& l, MapReader& m, SourcedReader& sr) {
  l.name = m.required("name").as_string();
  l.bandwidth = sr.read(m.required("bandwidth"), "bandwidth").as_rate();
  l.latency = sr.read(m.required("latency"), "latency").as_duration();
  if (auto u = m.optional("usable_fraction")) l.usable_fraction = sr.read(*u, "usable_fraction").as_fraction();
}

// ---- collective libraries (collectives.yaml) and systems (systems.yaml) ----------------------

void read_library(CollectiveLibrarySpec& lib, MapReader& m, SourcedReader& sr) {
  lib.name = m.required("name").as_string();
  const ConfigNode protocols = m.required("protocols");
  for (const auto& pn : protocols.items()) lib.protocols.push_back(read_protocol(pn, lib, sr));
  if (lib.protocols.empty()) protocols.fail("a library must list at least one protocol");
  if (auto ch = m.optional("chooses")) {
    for (const auto& a : ch->items()) {
      const std::string name = a.as_string();
      bool listed = false;
      for (const auto& p : lib.protocols) listed = listed || p.latency.count(name) == 1;
      if (!listed)
        a.fail(fmt::format("library '{}' chooses '{}' but no protocol of it has constants for that algorithm", lib.id, name));
      lib.chooses.push_back(name);
    }
  }
}

// References (gpu, link, nic, rack, library, scale_up_switch) are checked in check_system.
void read_system(SystemSpec& y, MapReader& m, SourcedReader& sr) {
  const ConfigNode& item = m.node();
  y.name = m.required("name").as_string();
  y.vendor = m.required("vendor").as_string();
  if (auto d = m.optional("domain")) y.domain = d->as_choice({"node", "rack"});
  y.gpu = m.required("gpu").as_string();
  const ConfigNode gpus_n = sr.read(m.required("gpus"), "gpus");
  y.gpus = as_count(gpus_n);
  y.scale_up_kind = m.required("scale_up_kind").as_choice({"switched", "full_mesh"});
  y.link = m.required("link").as_string();
  const bool switched = y.scale_up_kind == "switched";
  // Keys of the other shape are errors, not silently ignored.
  const auto only = [&](const char* key, bool allowed) -> std::optional<ConfigNode> {
    auto n = m.optional(key);
    if (n && !allowed)
      n->fail(fmt::format("'{}' applies to {} systems; system '{}' is {}", key, switched ? "full_mesh" : "switched",
                          y.id, y.scale_up_kind));
    return n;
  };
  if (auto t = only("trays", switched)) {
    const ConfigNode tn = sr.read(*t, "trays");
    y.trays = as_count(tn);
    if (y.gpus % y.trays != 0) tn.fail(fmt::format("{} GPUs cannot be split evenly into {} trays", y.gpus, y.trays));
  }
  if (auto n = only("links_per_gpu", switched)) y.links_per_gpu = as_count(sr.read(*n, "links_per_gpu"));
  if (auto n = only("scale_up_switch", switched)) y.scale_up_switch = n->as_string();
  if (auto n = only("switch_chips", switched)) y.switch_chips = as_count(sr.read(*n, "switch_chips"));
  if (auto n = only("links_per_pair", !switched)) y.links_per_pair = static_cast<int>(sr.read(*n, "links_per_pair").as_int(1, 64));
  if (switched) {
    for (const char* key : {"links_per_gpu", "scale_up_switch"})
      if (!item.has(key)) item.fail(fmt::format("system entry is missing required key '{}' (switched systems need it)", key));
  } else if (y.gpus < 2) {
    gpus_n.fail(fmt::format("a full_mesh system needs at least 2 GPUs, got {}", y.gpus));
  }
  y.nic = m.required("nic").as_string();
  y.nics_per_gpu = static_cast<int>(sr.read(m.required("nics_per_gpu"), "nics_per_gpu").as_int(1, 64));
  y.rack = m.required("rack").as_string();
  y.library = m.required("library").as_string();
}

// ---- power (power.yaml) ----------------------------------------------------------------------

void read_gpu_power(GpuPowerSpec& p, MapReader& m, SourcedReader& sr) {
  const ConfigNode idle = sr.read(m.required("idle_power"), "idle_power");
  p.power.idle = idle.as_watts();
  if (!(p.power.idle.value() > 0.0)) idle.fail("idle_power must be greater than zero");
  p.power.max = Watts(0.0);  // the scenario fills it from the GPU's board_power
  p.power.a_c = sr.read(m.required("compute_activity"), "compute_activity").as_fraction();
  const ConfigNode am = sr.read(m.required("memory_activity"), "memory_activity");
  p.power.a_m = number_in(am, 0.0, 1.0, "memory_activity");
  if (p.power.a_c + p.power.a_m > 1.0 + 1e-12)
    am.fail(fmt::format("compute_activity + memory_activity = {} + {} = {} exceeds 1; their sum must be at most 1 "
                        "so that the board power (P_max) is the most the GPU draws at the reference clock",
                        p.power.a_c, p.power.a_m, p.power.a_c + p.power.a_m));
  p.power.gamma = number_in(sr.read(m.required("clock_exponent"), "clock_exponent"), 1.0, 4.0, "clock_exponent");
  p.dvfs.reference = sr.read(m.required("reference_clock"), "reference_clock").as_hertz();
  const ConfigNode minc = sr.read(m.required("min_clock"), "min_clock");
  p.dvfs.min = minc.as_hertz();
  p.dvfs.step = sr.read(m.required("clock_step"), "clock_step").as_hertz();
  if (p.dvfs.min > p.dvfs.reference)
    minc.fail(fmt::format("min_clock ({} MHz) must not exceed reference_clock ({} MHz)", p.dvfs.min.value() / 1e6,
                          p.dvfs.reference.value() / 1e6));
  if (p.dvfs.min < p.dvfs.step)
    minc.fail(fmt::format("min_clock ({} MHz) must be at least one clock_step ({} MHz) above zero",
                          p.dvfs.min.value() / 1e6, p.dvfs.step.value() / 1e6));
  p.dvfs.transition_latency = sr.read(m.required("transition_latency"), "transition_latency").as_duration();
  p.r_junction_case = positive(sr.read(m.required("r_junction_case"), "r_junction_case"), UnitFamily::ThermalResistance);
  p.c_junction = positive(sr.read(m.required("c_junction"), "c_junction"), UnitFamily::HeatCapacity);
  p.r_hbm_case = positive(sr.read(m.required("r_hbm_case"), "r_hbm_case"), UnitFamily::ThermalResistance);
  p.c_hbm = positive(sr.read(m.required("c_hbm"), "c_hbm"), UnitFamily::HeatCapacity);
  p.junction_limit = celsius_in(sr.read(m.required("junction_limit"), "junction_limit"), 40.0, 150.0, "junction_limit");
  p.hbm_limit = celsius_in(sr.read(m.required("hbm_limit"), "hbm_limit"), 40.0, 150.0, "hbm_limit");
}

void read_rack(RackPowerSpec& r, MapReader& m, SourcedReader& sr) {
  r.name = m.required("name").as_string();
  r.gpus = as_count(m.required("gpus"));
  const auto count0 = [&](const std::string& key) { return static_cast<int>(m.required(key).as_int(0, 1'000'000)); };
  // Power of each part: required when the rack has some of those parts.
  const auto each = [&](int count, const std::string& key) {
    const std::optional<ConfigNode> n = count > 0 ? std::optional<ConfigNode>(m.required(key)) : m.optional(key);
    return n ? sr.read(*n, key).as_watts() : Watts(0.0);
  };
  r.cpus = count0("cpus");
  r.cpu_power = each(r.cpus, "cpu_power");
  r.nics = count0("nics");
  r.nic_power = each(r.nics, "nic_power");
  r.switches = count0("switches");
  r.switch_power = each(r.switches, "switch_power");
  r.pumps_fans = sr.read(m.required("pumps_fans"), "pumps_fans").as_watts();
  r.conversion_efficiency = sr.read(m.required("conversion_efficiency"), "conversion_efficiency").as_fraction();
  r.liquid_fraction = number_in(sr.read(m.required("liquid_fraction"), "liquid_fraction"), 0.0, 1.0, "liquid_fraction");
  r.cooling = m.required("cooling").as_string();
}

// ---- cooling (cooling.yaml) ------------------------------------------------------------------

void read_coolant(CoolantSpec& k, MapReader& m, SourcedReader& sr) {
  k.name = m.required("name").as_string();
  k.density = positive(sr.read(m.required("density"), "density"), UnitFamily::Density);
  k.specific_heat = positive(sr.read(m.required("specific_heat"), "specific_heat"), UnitFamily::SpecificHeat);
}

void read_cold_plate(ColdPlateSpec& p, MapReader& m, SourcedReader& sr) {
  p.name = m.required("name").as_string();
  p.r_ref = positive(sr.read(m.required("resistance"), "resistance"), UnitFamily::ThermalResistance);
  p.flow_ref = positive(sr.read(m.required("reference_flow"), "reference_flow"), UnitFamily::VolumeFlow);
  if (auto e = m.optional("flow_exponent")) {
    p.exponent = e->as_number();
    if (!(p.exponent > 0.0 && p.exponent <= 2.0))
      e->fail(fmt::format("flow_exponent must be greater than 0 and at most 2 (0.8 for turbulent flow), got {}", p.exponent));
  }
}

void read_cdu(CduSpec& d, MapReader& m, SourcedReader& sr) {
  d.name = m.required("name").as_string();
  const ConfigNode cap = sr.read(m.required("capacity"), "capacity");
  d.capacity = cap.as_watts();
  if (!(d.capacity.value() > 0.0)) cap.fail("capacity must be greater than zero");
  d.racks = as_count(m.required("racks"));
}

void read_cooling_loop(CoolingLoopSpec& l, MapReader& m, SourcedReader& sr) {
  l.name = m.required("name").as_string();
  l.coolant = m.required("coolant").as_string();
  l.cold_plate = m.required("cold_plate").as_string();
  l.cdu = m.required("cdu").as_string();
  l.inlet = celsius_in(sr.read(m.required("inlet"), "inlet"), 0.0, 90.0, "inlet");
  l.flow = positive(sr.read(m.required("flow"), "flow"), UnitFamily::VolumeFlow);
  l.series = as_count(m.required("series"));
}

void read_inlet_class(InletClassSpec& k, MapReader& m, SourcedReader& sr) {
  k.temperature = celsius_in(sr.read(m.required("temperature"), "temperature"), 0.0, 90.0, "temperature");
}

// ---- cross-references, checked once every file is loaded -------------------------------------

void check_gpu_power(const Catalog& c, const ConfigNode& entry) {
  const ConfigNode n = entry.child("gpu");
  if (c.find_gpu(n.as_string()) == nullptr)
    n.fail(fmt::format("unknown GPU '{}' in gpu_power entry; catalog GPUs: {}", n.as_string(), id_list(c.gpu_ids())));
}

void check_rack(const Catalog& c, const ConfigNode& entry) {
  const ConfigNode n = entry.child("cooling");
  const CoolingLoopSpec* loop = c.find_cooling_loop(n.as_string());
  if (loop == nullptr)
    n.fail(fmt::format("unknown cooling loop '{}' in rack entry; catalog cooling loops: {}", n.as_string(),
                       id_list(c.cooling_loop_ids())));
  const RackPowerSpec* rack = c.find_rack(entry.child("id").as_string());
  if (rack != nullptr && rack->gpus % loop->series != 0)
    n.fail(fmt::format("cooling loop '{}' puts {} GPU plates in series per branch, which does not divide the "
                       "rack's {} GPUs",
                       loop->id, loop->series, rack->gpus));
}

void check_cooling_loop(const Catalog& c, const ConfigNode& entry) {
  const ConfigNode coolant = entry.child("coolant");
  if (c.find_coolant(coolant.as_string()) == nullptr)
    coolant.fail(fmt::format("unknown coolant '{}' in cooling loop entry; catalog coolants: {}", coolant.as_string(),
                             id_list(c.coolant_ids())));
  const ConfigNode plate = entry.child("cold_plate");
  if (c.find_cold_plate(plate.as_string()) == nullptr)
    plate.fail(fmt::format("unknown cold plate '{}' in cooling loop entry; catalog cold plates: {}", plate.as_string(),
                           id_list(c.cold_plate_ids())));
  const ConfigNode cdu = entry.child("cdu");
  if (c.find_cdu(cdu.as_string()) == nullptr)
    cdu.fail(fmt::format("unknown CDU '{}' in cooling loop entry; catalog CDUs: {}", cdu.as_string(), id_list(c.cdu_ids())));
}

void check_system(const Catalog& c, const ConfigNode& entry) {
  const SystemSpec* y = c.find_system(entry.child("id").as_string());
  if (y == nullptr) return;  // defined in an earlier file under the same id: reported there
  const auto ref = [&](const char* key, bool found, const char* what, const std::vector<std::string>& ids) {
    const ConfigNode n = entry.child(key);
    if (!found) n.fail(fmt::format("unknown {} '{}' in system '{}'; catalog {}s: {}", what, n.as_string(), y->id, what, id_list(ids)));
  };
  ref("gpu", c.find_gpu(y->gpu) != nullptr, "GPU", c.gpu_ids());
  ref("link", c.find_link(y->link) != nullptr, "link", c.link_ids());
  ref("nic", c.find_nic(y->nic) != nullptr, "NIC", c.nic_ids());
  ref("rack", c.find_rack(y->rack) != nullptr, "rack", c.rack_ids());
  ref("library", c.find_library(y->library) != nullptr, "library", c.library_ids());
  const RackPowerSpec* rack = c.find_rack(y->rack);
  if (rack->gpus != y->gpus)
    entry.child("rack").fail(fmt::format("rack entry '{}' describes {} GPUs but system '{}' has {}", rack->id, rack->gpus,
                                         y->id, y->gpus));
  if (y->scale_up_kind != "switched") return;
  ref("scale_up_switch", c.find_switch(y->scale_up_switch) != nullptr, "switch", c.switch_ids());
  // The switch must take the links at their rate, and the chips must have a port per link.
  const SwitchSpec* sw = c.find_switch(y->scale_up_switch);
  const LinkSpec* link = c.find_link(y->link);
  const auto ports = sw->ports_at(link->bandwidth);
  if (!ports)
    entry.child("scale_up_switch")
        .fail(fmt::format("switch '{}' has no port configuration at link '{}''s rate {} (system '{}')", sw->id, link->id,
                          format_rate(link->bandwidth), y->id));
  if (static_cast<long long>(y->gpus) * y->links_per_gpu > static_cast<long long>(*ports) * y->switch_chips) {
    const std::string key = entry.has("switch_chips") ? "switch_chips" : "scale_up_switch";
    entry.child(key).fail(fmt::format("{} GPUs x {} links need {} switch ports, but {} x '{}' have {} at {}", y->gpus,
                                      y->links_per_gpu, y->gpus * y->links_per_gpu, y->switch_chips, sw->id,
                                      *ports * y->switch_chips, format_rate(link->bandwidth)));
  }
}

}  // namespace racksim
