// racksim sim/scenario: the `power` and `cooling` sections (docs/scenario-format.md "power",
// "cooling"), resolved against the catalog: the GPU's power model, the rack entry (a system's or
// a preset kind's by default), the site model (PUE or cooling plant), the control and sample
// periods, the caps, and the cooling loop with its coolant, cold plate and CDU.
//
// The physics checks (a cap above the idle power it governs, a period above the DVFS latency,
// a coolant below the GPU's limits, a CDU share above a rack's idle heat, ...) are pure functions
// next to their models (models/power.hpp, models/governor.hpp, models/thermal.hpp); this file
// calls them and reports what they find at the key, the section or the cluster.
#include "sim/scenario/keys.hpp"
#include "sim/scenario/sections.hpp"

#include "models/governor.hpp"

namespace racksim::scenario_sections {

namespace {

// The default power.rack: the system's rack entry, or the preset kind's.
std::string default_rack_for(const Scenario& s) {
  if (!s.system.empty()) return s.catalog.find_system(s.system)->rack;
  if (s.scale_up_kind == "helios_rack") return "helios";
  if (s.scale_up_kind == "mi300x_node") return "mi300x-platform";
  return "";
}

// The GPU's power model from the catalog; its P_max is the GPU's board power.
void resolve_gpu_power(Scenario& s) {
  PowerConfig& pc = s.power;
  const GpuPowerSpec* gp = s.catalog.find_gpu_power(s.gpu.id);
  if (!gp)
    throw InputError(s.cluster_where,
                     fmt::format("GPU '{}' has no gpu_power entry in the catalog, so its power cannot be modelled; add one "
                                 "(format: models/catalog/power.yaml) to a catalog file the scenario lists",
                                 s.gpu.id));
  pc.gpu = *gp;
  pc.gpu.power.max = s.gpu.board_power;
  if (auto problem = idle_power_problem(pc.gpu.power, s.gpu.id)) throw InputError(s.cluster_where, *problem);
}

// power.rack: the catalog entry (by default the system's or the kind's), or none. It must
// describe as many GPUs as a domain has.
void read_rack_entry(Scenario& s, MapReader& pm) {
  PowerConfig& pc = s.power;
  const std::optional<ConfigNode> rack_n = pm.optional("rack");
  std::string rack_id = rack_n ? rack_n->as_string() : default_rack_for(s);
  if (rack_id == "none") rack_id.clear();
  if (rack_id.empty()) {
    pc.rack_absent_reason =
        rack_n ? "power.rack: none" : fmt::format("no rack entry for cluster kind '{}'; set power.rack", s.scale_up_kind);
    return;
  }
  const RackPowerSpec* r = s.catalog.find_rack(rack_id);
  if (!r) {
    if (rack_n)
      rack_n->fail(fmt::format("unknown rack '{}'; catalog racks: {}, or none", rack_id, join_ids(s.catalog.rack_ids())));
    throw InputError(s.cluster_where, fmt::format("the default rack entry '{}' is not in the catalog", rack_id));
  }
  if (r->gpus != s.cluster.up.gpus) {
    const std::string msg = fmt::format("rack entry '{}' describes {} GPUs but each {} of this cluster has {}", r->id, r->gpus,
                                        s.cluster.up.domain_label, s.cluster.up.gpus);
    if (rack_n) rack_n->fail(msg);
    throw InputError(s.cluster_where, msg + "; set power.rack to a matching entry or to none");
  }
  pc.rack = *r;
}

// power.pue or power.cooling_plant: the site's overhead on the IT power.
void read_site(PowerConfig& pc, MapReader& pm) {
  auto pue_n = pm.optional("pue");
  auto plant_n = pm.optional("cooling_plant");
  if (pue_n && plant_n) plant_n->fail("give either pue or cooling_plant, not both");
  if (plant_n) {
    MapReader m(*plant_n, scenario_keys(), "power.cooling_plant");
    pc.site.kind = SiteParams::Kind::CoolingPlant;
    pc.site.cop = *m.number("cop");
    pc.site.plant_fixed = Watts(*m.number("fixed"));
    m.finish();
  } else {
    pc.site.kind = SiteParams::Kind::Pue;
    pc.site.pue = *pm.number("pue");
  }
}

// power.control_period and power.sample_period.
void read_periods(Scenario& s, MapReader& pm) {
  PowerConfig& pc = s.power;
  pc.control_period = Seconds(*pm.number("control_period"));
  if (auto problem = control_period_problem(pc.control_period, pc.gpu.dvfs, s.gpu.id)) throw InputError(pc.where, *problem);
  pc.sample_period = pc.control_period;
  if (auto n = pm.optional("sample_period")) {
    pc.sample_period = Seconds(read_number(*n, pm.spec("sample_period")));
    if (auto problem = sample_period_problem(pc.sample_period, pc.control_period)) n->fail(*problem);
  }
}

// power.{gpu,rack,site}_cap: each must leave room for the idle power it governs.
void read_caps(Scenario& s, MapReader& pm) {
  PowerConfig& pc = s.power;
  const RackPowerSpec* rack = pc.rack ? &*pc.rack : nullptr;
  if (auto n = pm.optional("gpu_cap")) {
    pc.gpu_cap = Watts(read_number(*n, pm.spec("gpu_cap")));
    if (auto problem = gpu_cap_problem(*pc.gpu_cap, pc.gpu.power, s.gpu.id)) n->fail(*problem);
  }
  if (auto n = pm.optional("rack_cap")) {
    pc.rack_cap = Watts(read_number(*n, pm.spec("rack_cap")));
    if (auto problem = rack_cap_problem(*pc.rack_cap, pc.gpu.power, s.cluster.up.gpus, rack)) n->fail(*problem);
  }
  if (auto n = pm.optional("site_cap")) {
    pc.site_cap = Watts(read_number(*n, pm.spec("site_cap")));
    const Watts rack_idle = rack_idle_power(pc.gpu.power, s.cluster.up.gpus, rack);
    if (auto problem = site_cap_problem(*pc.site_cap, pc.site, rack_idle, s.cluster.domains, s.cluster.up.domain_label))
      n->fail(*problem);
  }
}

// A part of the loop: the cooling key's catalog id if given, else the loop's. An unknown id is
// reported at the key, or (the loop's own) at the power section.
template <class Find, class Ids>
auto pick_part(MapReader& cm, const char* key, const std::string& loop_default, Find find, Ids ids, const char* what,
               const PowerConfig& pc, const std::string& loop_id) {
  auto n = cm.optional(key);
  const std::string id = n ? n->as_string() : loop_default;
  const auto* found = find(id);
  if (!found) {
    const std::string msg = fmt::format("unknown {} '{}'; catalog {}s: {}", what, id, what, join_ids(ids()));
    if (n) n->fail(msg);
    throw InputError(pc.where, fmt::format("cooling loop '{}': {}", loop_id, msg));
  }
  return found;
}

// The loop's parts and values, with the cooling section's changes; `pc.thermal` when valid.
void read_loop(Scenario& s, MapReader& cm, const CoolingLoopSpec& ls) {
  PowerConfig& pc = s.power;
  const Catalog& c = s.catalog;
  const std::string& label = s.cluster.up.domain_label;
  const CoolantSpec* coolant = pick_part(cm, "coolant", ls.coolant, [&](const std::string& id) { return c.find_coolant(id); },
                                         [&] { return c.coolant_ids(); }, "coolant", pc, ls.id);
  const ColdPlateSpec* plate = pick_part(cm, "cold_plate", ls.cold_plate,
                                         [&](const std::string& id) { return c.find_cold_plate(id); },
                                         [&] { return c.cold_plate_ids(); }, "cold plate", pc, ls.id);
  const CduSpec* cdu = pick_part(cm, "cdu", ls.cdu, [&](const std::string& id) { return c.find_cdu(id); },
                                 [&] { return c.cdu_ids(); }, "CDU", pc, ls.id);
  ThermalSetup th;
  th.loop_id = ls.id;
  th.coolant = coolant->id;
  th.cold_plate = plate->id;
  th.cdu = cdu->id;
  th.cdu_capacity = cdu->capacity;
  th.cdu_racks = cdu->racks;
  th.loop = RackLoop{ls.inlet, ls.flow, coolant->density, coolant->specific_heat, s.cluster.up.gpus, ls.series};
  if (auto n = cm.optional("inlet_temperature")) {
    const InletClassSpec* cls = n->is_scalar() ? c.find_inlet_class(n->as_string()) : nullptr;
    th.loop.inlet = cls ? cls->temperature : n->as_celsius();
    if (auto problem = inlet_problem(th.loop.inlet, pc.gpu.junction_limit, pc.gpu.hbm_limit, s.gpu.id)) n->fail(*problem);
  }
  if (auto n = cm.optional("flow")) {
    // The table's range (> 0), with the domain in the message.
    th.loop.flow = n->as_quantity(UnitFamily::VolumeFlow);
    if (!in_range(cm.spec("flow").range, th.loop.flow))
      n->fail(fmt::format("expected a coolant flow per {} greater than zero, got {:.6g} L/min", label, th.loop.flow * 60e3));
  }
  auto series_n = cm.optional("plates_in_series");
  if (series_n) th.loop.series = static_cast<int>(read_integer(*series_n, cm.spec("plates_in_series")));
  if (auto problem = series_problem(th.loop, label)) {
    if (series_n) series_n->fail(*problem);
    throw InputError(pc.where, fmt::format("cooling loop '{}': {}", ls.id, *problem));
  }
  if (auto problem = loop_inlet_problem(ls.id, th.loop.inlet, pc.gpu.junction_limit, s.gpu.id))
    throw InputError(pc.where, *problem);
  th.r_plate = cold_plate_resistance(*plate, th.loop.flow_per_plate());
  const Watts idle_heat = idle_liquid_heat(pc.gpu.power.idle, s.cluster.up.gpus, pc.rack ? &*pc.rack : nullptr);
  if (auto problem = cdu_capacity_problem(*cdu, idle_heat, label)) {
    if (auto n = cm.optional("cdu")) n->fail(*problem);
    throw InputError(pc.where, fmt::format("cooling loop '{}': {}", ls.id, *problem));
  }
  pc.thermal = th;
}

// cooling: the loop (the rack entry's by default, or none) and the changes to it.
void read_cooling(Scenario& s, const ConfigNode& cooling) {
  PowerConfig& pc = s.power;
  MapReader cm(cooling, scenario_keys(), "cooling");
  auto loop_n = cm.optional("loop");
  std::string loop_id = loop_n ? loop_n->as_string() : pc.rack ? pc.rack->cooling : std::string();
  if (loop_id == "none") loop_id.clear();
  if (loop_id.empty()) {
    pc.thermal_absent_reason = loop_n ? "cooling.loop: none" : "no rack entry to take a cooling loop from; set cooling.loop";
    for (const auto& key : scenario_keys().names("cooling"))
      if (auto n = key == "loop" ? std::nullopt : cm.optional(key))
        n->fail("cooling settings need a cooling loop: set cooling.loop to a catalog cooling_loops id");
    cm.finish();
    return;
  }
  const CoolingLoopSpec* ls = s.catalog.find_cooling_loop(loop_id);
  if (!ls) {
    if (loop_n)
      loop_n->fail(fmt::format("unknown cooling loop '{}'; catalog cooling_loops: {}, or none", loop_id,
                               join_ids(s.catalog.cooling_loop_ids())));
    throw InputError(pc.where, fmt::format("rack entry '{}' names cooling loop '{}', which is not in the catalog", pc.rack->id, loop_id));
  }
  read_loop(s, cm, *ls);
  cm.finish();
}

}  // namespace

void read_power_and_cooling(Scenario& s, const ConfigNode& top, const std::optional<ConfigNode>& power,
                            const std::optional<ConfigNode>& cooling) {
  s.power.where = power ? power->location() : top.location();
  resolve_gpu_power(s);
  MapReader pm(section_or_empty(power, top, "power"), scenario_keys(), "power");
  read_rack_entry(s, pm);
  read_site(s.power, pm);
  read_periods(s, pm);
  read_caps(s, pm);
  pm.finish();
  read_cooling(s, section_or_empty(cooling, top, "cooling"));
}

}  // namespace racksim::scenario_sections
