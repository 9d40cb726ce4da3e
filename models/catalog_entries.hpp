// racksim models: how each entry type of a catalog file is read and cross-checked (internal to
// models/catalog.cpp; nothing outside models/ includes this header).
//
// A catalog file holds one list per entry type (`gpus:`, `nics:`, ..., `inlet_classes:`).
// Catalog::load walks those lists with one generic loop (models/catalog.cpp): for each list item
// it makes the spec, a MapReader over the item and a SourcedReader bound to the spec's
// provenance, reads the id key into the spec, then calls the entry type's reader below for every
// other key. The reader reads keys in the order the "valid keys" message lists them. After every
// file is loaded, the checks below resolve the cross-references of each entry against the whole
// merged catalog (so a scenario's catalog may refer to shipped parts and the other way round).
//
// Every value in a catalog file is a sourced value {value, kind, source, note}: SourcedReader
// returns its `value` node and records {kind, source, note} as the spec's provenance of that
// field; each id in `source` must be defined in the file's `sources:` table, and kind is one of
// spec, spec_secondary, measured, estimate, derived.
#pragma once

#include "core/yaml_doc.hpp"
#include "models/catalog.hpp"
#include "models/gpu.hpp"
#include "models/network_parts.hpp"
#include "models/power.hpp"
#include "models/thermal.hpp"

#include <map>
#include <set>
#include <string>

namespace racksim {

// Reads {value, kind, source, note} and returns the `value` node; records provenance by field.
class SourcedReader {
public:
  SourcedReader(const std::set<std::string>& sources, std::map<std::string, Provenance>& prov)
      : sources_(sources), prov_(prov) {}
  // `field` names the value in messages and is its provenance key ("peak_dense.bf16").
  ConfigNode read(const ConfigNode& node, const std::string& field);

private:
  const std::set<std::string>& sources_;
  std::map<std::string, Provenance>& prov_;
};

// Readers: fill the spec from the entry's keys other than its id (already in the spec). `m` has
// read the id key; the generic loop calls m.finish() after the reader, rejecting unknown keys.
void read_gpu(GpuSpec& g, MapReader& m, SourcedReader& sr);
void read_nic(NicSpec& n, MapReader& m, SourcedReader& sr);
void read_switch(SwitchSpec& s, MapReader& m, SourcedReader& sr);
void read_link(LinkSpec& l, MapReader& m, SourcedReader& sr);
void read_library(CollectiveLibrarySpec& lib, MapReader& m, SourcedReader& sr);
void read_system(SystemSpec& y, MapReader& m, SourcedReader& sr);
void read_gpu_power(GpuPowerSpec& p, MapReader& m, SourcedReader& sr);
void read_rack(RackPowerSpec& r, MapReader& m, SourcedReader& sr);
void read_coolant(CoolantSpec& k, MapReader& m, SourcedReader& sr);
void read_cold_plate(ColdPlateSpec& p, MapReader& m, SourcedReader& sr);
void read_cdu(CduSpec& d, MapReader& m, SourcedReader& sr);
void read_cooling_loop(CoolingLoopSpec& l, MapReader& m, SourcedReader& sr);
void read_inlet_class(InletClassSpec& k, MapReader& m, SourcedReader& sr);

// Cross-reference checks of one entry (a list item that its reader has accepted) against the
// merged catalog `c`. Only the entry types that refer to other entries have one.
void check_gpu_power(const Catalog& c, const ConfigNode& entry);    // gpu
void check_rack(const Catalog& c, const ConfigNode& entry);         // cooling, and its series
void check_cooling_loop(const Catalog& c, const ConfigNode& entry); // coolant, cold_plate, cdu
void check_system(const Catalog& c, const ConfigNode& entry);       // gpu, link, nic, rack, ...

}  // namespace racksim
