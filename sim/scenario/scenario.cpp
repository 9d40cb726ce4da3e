// racksim sim/scenario: load_scenario — the document, its `--set` overrides (each path checked
// against the key table, sim/scenario/keys.hpp, before anything is read), the top-level keys and
// the catalog, then one reader per section (sections.hpp): cluster, workload, power and
// cooling, collectives, faults, simulation. Also the helpers those readers share.
#include "sim/scenario/scenario.hpp"

#include "core/yaml_doc.hpp"
#include "sim/scenario/keys.hpp"
#include "sim/scenario/sections.hpp"

#include <fmt/format.h>

namespace racksim {

namespace scenario_sections {

std::string join_ids(const std::vector<std::string>& ids) {
  std::string s;
  for (const auto& x : ids) s += (s.empty() ? "" : ", ") + x;
  return s;
}

std::string resolve_path(const std::string& base_dir, const std::string& p) {
  return (!p.empty() && p.front() == '/') ? p : base_dir + "/" + p;
}

ConfigNode value_or(MapReader& m, const std::string& key, const std::string& value) {
  if (auto n = m.optional(key)) return *n;
  return ConfigNode(YAML::Node(value), m.node().context(), join_key(m.node().path(), key));
}

const GpuSpec& gpu_of(const Catalog& c, const ConfigNode& n) { return lookup(n, c.find_gpu(n.as_string()), "GPU", c.gpu_ids()); }
const LinkSpec& link_of(const Catalog& c, const ConfigNode& n) {
  return lookup(n, c.find_link(n.as_string()), "link", c.link_ids());
}
const SwitchSpec& switch_of(const Catalog& c, const ConfigNode& n) {
  return lookup(n, c.find_switch(n.as_string()), "switch", c.switch_ids());
}
const NicSpec& nic_of(const Catalog& c, const ConfigNode& n) { return lookup(n, c.find_nic(n.as_string()), "NIC", c.nic_ids()); }

std::string port_list(const SwitchSpec& s) {
  std::string out;
  for (const auto& pc : s.port_configs) out += (out.empty() ? "" : ", ") + fmt::format("{} x {}", pc.ports, format_rate(pc.speed));
  return out;
}

}  // namespace scenario_sections

namespace {

using namespace scenario_sections;

std::string dir_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

// Applies one `--set`, then checks its key path against the table: a key no table lists is an
// error at the override, naming the valid keys of its map and the nearest ones.
void apply_checked_override(ConfigDoc& doc, const std::string& assignment) {
  doc.apply_override(assignment);  // rejects a malformed assignment first
  const std::string key = assignment.substr(0, assignment.find('='));
  if (auto problem = check_key_path(scenario_keys(), key))
    throw InputError(Location{"--set " + assignment, 0, 0, problem->key}, problem->message);
}

Scenario load_scenario_doc(ConfigDoc doc, const std::string& path, const std::vector<std::string>& overrides,
                           const std::string& data_dir, ScenarioFileCache* cache) {
  for (const auto& o : overrides) apply_checked_override(doc, o);
  Scenario s;
  s.file = path;
  s.overrides = overrides;
  MapReader top(doc.root(), scenario_keys(), "");
  const auto ver = top.required("schema_version");
  if (read_integer(ver, top.spec("schema_version")) != 1)
    ver.fail("unsupported scenario schema_version; this racksim reads version 1");
  s.name = *top.text("name");
  if (auto d = top.text("description")) s.description = *d;
  const std::string base = dir_of(path);
  std::vector<std::string> catalog_files = shipped_catalog_files(data_dir);
  if (auto c = top.optional("catalog"))
    for (const auto& f : c->items()) catalog_files.push_back(resolve_path(base, f.as_string()));
  s.catalog = cache ? cache->catalog(catalog_files) : Catalog::load(catalog_files);

  read_cluster(s, top.required("cluster"));
  const std::string calibration_dir = data_dir + "/models/catalog/calibration";
  s.calibration = cache ? cache->calibration(s.gpu, catalog_files, s.catalog, calibration_dir)
                        : calibration_for(s.gpu, s.catalog, calibration_dir);
  read_workload(s, top.required("workload"), base, data_dir);
  {
    auto power_n = top.optional("power");
    auto cooling_n = top.optional("cooling");
    read_power_and_cooling(s, doc.root(), power_n, cooling_n);
  }
  read_collectives(s, doc.root(), top.optional("collectives"));
  if (auto f = top.optional("faults")) read_faults(s, *f);
  if (auto sim = top.optional("simulation")) read_simulation(s, *sim);
  top.finish();
  return s;
}

}  // namespace

const Catalog& ScenarioFileCache::catalog(const std::vector<std::string>& files) {
  auto it = catalogs_.find(files);
  if (it == catalogs_.end()) {
    Catalog loaded = Catalog::load(files);
    if (catalogs_.size() >= kMaxEntries) catalogs_.clear();  // bounded: many distinct catalog lists are read again
    it = catalogs_.emplace(files, std::move(loaded)).first;
  }
  return it->second;
}

const std::optional<GpuCalibration>& ScenarioFileCache::calibration(const GpuSpec& gpu,
                                                                    const std::vector<std::string>& catalog_files,
                                                                    const Catalog& catalog, const std::string& dir) {
  std::vector<std::string> key = catalog_files;
  key.push_back(gpu.id);
  key.push_back(dir);
  auto it = calibrations_.find(key);
  if (it == calibrations_.end()) {
    std::optional<GpuCalibration> loaded = calibration_for(gpu, catalog, dir);
    if (calibrations_.size() >= kMaxEntries) calibrations_.clear();
    it = calibrations_.emplace(std::move(key), std::move(loaded)).first;
  }
  return it->second;
}

Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides, const std::string& data_dir,
                       ScenarioFileCache* cache) {
  return load_scenario_doc(ConfigDoc::load_file(path), path, overrides, data_dir, cache);
}

Scenario load_scenario_text(const std::string& text, const std::string& path, const std::vector<std::string>& overrides,
                            const std::string& data_dir, ScenarioFileCache* cache) {
  return load_scenario_doc(ConfigDoc::load_string(text, path), path, overrides, data_dir, cache);
}

}  // namespace racksim
