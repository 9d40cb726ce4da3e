// racksim models: the catalog loader — one table of entry types and one generic loop over a
// file's sections (see catalog.hpp). The reader and the cross-reference check of each entry type
// are in catalog_entries.cpp.
#include "models/catalog.hpp"

#include "core/yaml_doc.hpp"
#include "models/catalog_entries.hpp"

#include <fmt/format.h>

#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace racksim {

namespace {

using DefinedAt = std::map<std::string, std::string>;  // "gpu:mi300x" -> "file:line"

// The message for an id defined a second time; `first` is where it was defined first.
using DuplicateMessage = std::string (*)(const std::string& kind, const std::string& id, const std::string& first);

std::string id_already_defined(const std::string& kind, const std::string& id, const std::string& first) {
  return fmt::format("{} id '{}' is already defined at {}; choose another id", kind, id, first);
}

// A GPU has at most one power entry; its "id" is the GPU's.
std::string gpu_power_already_defined(const std::string& /*kind*/, const std::string& gpu, const std::string& first) {
  return fmt::format("GPU '{}' already has a gpu_power entry at {}; give each GPU one entry", gpu, first);
}

// One entry type of the catalog: a row of the table in Catalog::sections().
template <class Spec>
struct EntryType {
  const char* section;  // the YAML key of its list in a catalog file: "gpus"
  const char* noun;     // names one entry in messages: "GPU entry"
  const char* kind;     // names its ids in defined_at and in the duplicate message: "gpu"
  const char* id_key;   // the key that holds an entry's id: "id" (gpu_power: "gpu")
  std::string Spec::*id;
  std::map<std::string, Spec> Catalog::*into;  // the map of Catalog its entries go into
  void (*read)(Spec&, MapReader&, SourcedReader&);
  void (*check)(const Catalog&, const ConfigNode&);  // its cross-references; nullptr if none
  DuplicateMessage already_defined = id_already_defined;
};

// Reads every entry of one section's list into `into`: the id key first, then the type's own
// keys, then unknown keys are rejected (listing the type's keys), then the id is claimed.
template <class Spec>
void read_entries(const EntryType<Spec>& t, const ConfigNode& list, const std::set<std::string>& sources,
                  std::map<std::string, Spec>& into, DefinedAt& defined_at) {
  for (const auto& item : list.items()) {
    Spec spec;
    SourcedReader sr(sources, spec.provenance);
    MapReader m(item, t.noun);
    const ConfigNode idn = m.required(t.id_key);
    const std::string id = idn.as_string();
    spec.*t.id = id;
    t.read(spec, m, sr);
    m.finish();
    const Location loc = idn.location();
    const std::string where = fmt::format("{}:{}", loc.file, loc.line);
    const auto [it, inserted] = defined_at.emplace(std::string(t.kind) + ":" + id, where);
    if (!inserted) idn.fail(t.already_defined(t.kind, id, it->second));
    into.emplace(id, std::move(spec));
  }
}

}  // namespace

// A row of the table with its entry type erased, so that one loop walks every section.
struct Catalog::Section {
  std::string name;
  std::function<void(Catalog&, const ConfigNode& list, const std::set<std::string>& sources, DefinedAt&)> read;
  std::function<void(const Catalog&, const ConfigNode& list)> check;  // empty when no references
};

const std::vector<Catalog::Section>& Catalog::sections() {
  // One row per entry type: section, noun, kind, id key, id member, map, reader, check (and the
  // duplicate message when it is not the usual one). The order is the order a file's sections
  // are read in and the order the unknown-section message lists them.
  using C = Catalog;
  // Erases a row's entry type (a lambda, so that it may name the private Section).
  const auto section = [](const auto& t) {
    Section s;
    s.name = t.section;
    s.read = [t](Catalog& c, const ConfigNode& list, const std::set<std::string>& sources, DefinedAt& defined_at) {
      read_entries(t, list, sources, c.*t.into, defined_at);
    };
    if (t.check != nullptr)
      s.check = [t](const Catalog& c, const ConfigNode& list) {
        for (const auto& item : list.items()) t.check(c, item);
      };
    return s;
  };
  static const std::vector<Section> table = {
      section(EntryType<GpuSpec>{"gpus", "GPU entry", "gpu", "id", &GpuSpec::id, &C::gpus_, read_gpu, nullptr}),
      section(EntryType<NicSpec>{"nics", "NIC entry", "nic", "id", &NicSpec::id, &C::nics_, read_nic, nullptr}),
      section(EntryType<SwitchSpec>{"switches", "switch entry", "switch", "id", &SwitchSpec::id, &C::switches_,
                                    read_switch, nullptr}),
      section(EntryType<LinkSpec>{"links", "link entry", "link", "id", &LinkSpec::id, &C::links_, read_link, nullptr}),
      section(EntryType<CollectiveLibrarySpec>{"libraries", "library entry", "library", "id",
                                               &CollectiveLibrarySpec::id, &C::libraries_, read_library, nullptr}),
      section(EntryType<SystemSpec>{"systems", "system entry", "system", "id", &SystemSpec::id, &C::systems_,
                                    read_system, check_system}),
      section(EntryType<GpuPowerSpec>{"gpu_power", "gpu_power entry", "gpu_power", "gpu", &GpuPowerSpec::gpu,
                                      &C::gpu_power_, read_gpu_power, check_gpu_power, gpu_power_already_defined}),
      section(EntryType<RackPowerSpec>{"racks", "rack entry", "rack", "id", &RackPowerSpec::id, &C::racks_, read_rack,
                                       check_rack}),
      section(EntryType<CoolantSpec>{"coolants", "coolant entry", "coolant", "id", &CoolantSpec::id, &C::coolants_,
                                     read_coolant, nullptr}),
      section(EntryType<ColdPlateSpec>{"cold_plates", "cold plate entry", "cold_plate", "id", &ColdPlateSpec::id,
                                       &C::cold_plates_, read_cold_plate, nullptr}),
      section(EntryType<CduSpec>{"cdus", "CDU entry", "cdu", "id", &CduSpec::id, &C::cdus_, read_cdu, nullptr}),
      section(EntryType<CoolingLoopSpec>{"cooling_loops", "cooling loop entry", "cooling_loop", "id",
                                         &CoolingLoopSpec::id, &C::cooling_loops_, read_cooling_loop,
                                         check_cooling_loop}),
      section(EntryType<InletClassSpec>{"inlet_classes", "inlet class entry", "inlet_class", "id", &InletClassSpec::id,
                                        &C::inlet_classes_, read_inlet_class, nullptr}),
  };
  return table;
}

std::vector<std::string> shipped_catalog_files(const std::string& data_dir) {
  const std::string d = data_dir + "/models/catalog/";
  return {d + "gpus.yaml",        d + "nics.yaml",    d + "switches.yaml", d + "links.yaml",
          d + "collectives.yaml", d + "systems.yaml", d + "power.yaml",    d + "cooling.yaml"};
}

Catalog Catalog::load(const std::vector<std::string>& files) {
  Catalog c;
  std::vector<ConfigDoc> docs;
  docs.reserve(files.size());
  for (const auto& f : files) {
    c.files_.push_back(f);
    docs.push_back(ConfigDoc::load_file(f));
    c.read_file(docs.back().root());
  }
  // Cross-references may point into a later file, so they are checked once everything is
  // loaded, file by file in load order.
  for (const auto& doc : docs) c.check_file(doc.root());
  return c;
}

void Catalog::read_file(const ConfigNode& root) {
  MapReader top(root, "catalog file");
  const auto version = top.required("schema_version");
  if (version.as_int(1, 1000) != 1) version.fail("unsupported catalog schema_version; this racksim reads version 1");
  std::set<std::string> sources;
  for (const auto& [id, text] : top.required("sources").entries()) {
    (void)text.as_string();
    sources.insert(id);
  }
  // Every section of the table is a valid key; finish() rejects any other before an entry is read
  // ("unknown key 'x' in catalog file; valid keys: schema_version, sources, gpus, ...").
  std::vector<std::pair<const Section*, ConfigNode>> present;
  for (const Section& s : sections())
    if (auto list = top.optional(s.name)) present.emplace_back(&s, *list);
  top.finish();
  for (const auto& [s, list] : present) s->read(*this, list, sources, defined_at_);
}

void Catalog::check_file(const ConfigNode& root) const {
  for (const Section& s : sections())
    if (s.check && root.has(s.name)) s.check(*this, root.child(s.name));
}

namespace {
template <class M>
std::vector<std::string> keys(const M& m) {
  std::vector<std::string> k;
  for (const auto& kv : m) k.push_back(kv.first);
  return k;
}
template <class M>
const typename M::mapped_type* find_in(const M& m, const std::string& id) {
  const auto it = m.find(id);
  return it == m.end() ? nullptr : &it->second;
}
}  // namespace

const GpuSpec* Catalog::find_gpu(const std::string& id) const { return find_in(gpus_, id); }
const NicSpec* Catalog::find_nic(const std::string& id) const { return find_in(nics_, id); }
const SwitchSpec* Catalog::find_switch(const std::string& id) const { return find_in(switches_, id); }
const LinkSpec* Catalog::find_link(const std::string& id) const { return find_in(links_, id); }
const SystemSpec* Catalog::find_system(const std::string& id) const { return find_in(systems_, id); }
const CollectiveLibrarySpec* Catalog::find_library(const std::string& id) const { return find_in(libraries_, id); }
const GpuPowerSpec* Catalog::find_gpu_power(const std::string& gpu_id) const { return find_in(gpu_power_, gpu_id); }
const RackPowerSpec* Catalog::find_rack(const std::string& id) const { return find_in(racks_, id); }
const CoolantSpec* Catalog::find_coolant(const std::string& id) const { return find_in(coolants_, id); }
const ColdPlateSpec* Catalog::find_cold_plate(const std::string& id) const { return find_in(cold_plates_, id); }
const CduSpec* Catalog::find_cdu(const std::string& id) const { return find_in(cdus_, id); }
const CoolingLoopSpec* Catalog::find_cooling_loop(const std::string& id) const { return find_in(cooling_loops_, id); }
const InletClassSpec* Catalog::find_inlet_class(const std::string& id) const { return find_in(inlet_classes_, id); }
std::vector<std::string> Catalog::gpu_ids() const { return keys(gpus_); }
std::vector<std::string> Catalog::rack_ids() const { return keys(racks_); }
std::vector<std::string> Catalog::coolant_ids() const { return keys(coolants_); }
std::vector<std::string> Catalog::cold_plate_ids() const { return keys(cold_plates_); }
std::vector<std::string> Catalog::cdu_ids() const { return keys(cdus_); }
std::vector<std::string> Catalog::cooling_loop_ids() const { return keys(cooling_loops_); }
std::vector<std::string> Catalog::inlet_class_ids() const { return keys(inlet_classes_); }
std::vector<std::string> Catalog::nic_ids() const { return keys(nics_); }
std::vector<std::string> Catalog::switch_ids() const { return keys(switches_); }
std::vector<std::string> Catalog::link_ids() const { return keys(links_); }
std::vector<std::string> Catalog::system_ids() const { return keys(systems_); }
std::vector<std::string> Catalog::library_ids() const { return keys(libraries_); }

}  // namespace racksim
