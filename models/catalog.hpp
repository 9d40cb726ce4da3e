// racksim models: the hardware catalog — GPUs, NICs, switches and links by id.
//
// Loaded from YAML files (the shipped models/catalog/*.yaml plus any a scenario adds): parts
// (gpus, nics, switches, links), collective libraries (collectives.yaml), systems as sold
// (systems.yaml), power and cooling. A file is `schema_version: 1`, a `sources:` table and any of
// the sections gpus, nics, switches, links, libraries, systems, gpu_power, racks, coolants,
// cold_plates, cdus, cooling_loops, inlet_classes, each a list of entries; another section is an
// error listing the valid ones. One table in catalog.cpp gives each section its message noun, its
// reader (catalog_entries.hpp), the map it fills and its cross-reference check. Every value in
// those files is a sourced value {value, kind, source, note}; the loader checks that each source
// id is defined in the file's `sources:` table and that kind is one of spec, spec_secondary,
// measured, estimate, derived. An id defined twice, in one file or in two, is an error naming
// both places (a scenario's own catalog adds parts; it never silently replaces a shipped one).
#pragma once

#include "models/gpu.hpp"
#include "models/network_parts.hpp"
#include "models/power.hpp"
#include "models/thermal.hpp"

#include <map>
#include <string>
#include <vector>

namespace racksim {

class ConfigNode;

class Catalog {
public:
  // Loads and merges the files in order. Throws InputError naming file, line and key.
  static Catalog load(const std::vector<std::string>& files);

  [[nodiscard]] const GpuSpec* find_gpu(const std::string& id) const;
  [[nodiscard]] const NicSpec* find_nic(const std::string& id) const;
  [[nodiscard]] const SwitchSpec* find_switch(const std::string& id) const;
  [[nodiscard]] const LinkSpec* find_link(const std::string& id) const;
  // Systems (systems.yaml) and collective libraries (collectives.yaml). A system's gpu, link,
  // scale_up_switch, nic, rack and library are checked to exist once every file is loaded.
  [[nodiscard]] const SystemSpec* find_system(const std::string& id) const;
  [[nodiscard]] const CollectiveLibrarySpec* find_library(const std::string& id) const;

  // Power and cooling (models/catalog/power.yaml, cooling.yaml). find_gpu_power takes a GPU id;
  // the entry's power.max is 0 until the scenario fills it from the GPU's board_power.
  [[nodiscard]] const GpuPowerSpec* find_gpu_power(const std::string& gpu_id) const;
  [[nodiscard]] const RackPowerSpec* find_rack(const std::string& id) const;
  [[nodiscard]] const CoolantSpec* find_coolant(const std::string& id) const;
  [[nodiscard]] const ColdPlateSpec* find_cold_plate(const std::string& id) const;
  [[nodiscard]] const CduSpec* find_cdu(const std::string& id) const;
  [[nodiscard]] const CoolingLoopSpec* find_cooling_loop(const std::string& id) const;
  [[nodiscard]] const InletClassSpec* find_inlet_class(const std::string& id) const;

  [[nodiscard]] std::vector<std::string> gpu_ids() const;
  [[nodiscard]] std::vector<std::string> rack_ids() const;
  [[nodiscard]] std::vector<std::string> coolant_ids() const;
  [[nodiscard]] std::vector<std::string> cold_plate_ids() const;
  [[nodiscard]] std::vector<std::string> cdu_ids() const;
  [[nodiscard]] std::vector<std::string> cooling_loop_ids() const;
  [[nodiscard]] std::vector<std::string> inlet_class_ids() const;
  [[nodiscard]] std::vector<std::string> nic_ids() const;
  [[nodiscard]] std::vector<std::string> switch_ids() const;
  [[nodiscard]] std::vector<std::string> link_ids() const;
  [[nodiscard]] std::vector<std::string> system_ids() const;
  [[nodiscard]] std::vector<std::string> library_ids() const;

  [[nodiscard]] const std::vector<std::string>& files() const { return files_; }

private:
  std::map<std::string, GpuSpec> gpus_;
  std::map<std::string, NicSpec> nics_;
  std::map<std::string, SwitchSpec> switches_;
  std::map<std::string, LinkSpec> links_;
  std::map<std::string, SystemSpec> systems_;
  std::map<std::string, CollectiveLibrarySpec> libraries_;
  std::map<std::string, GpuPowerSpec> gpu_power_;   // by GPU id
  std::map<std::string, RackPowerSpec> racks_;
  std::map<std::string, CoolantSpec> coolants_;
  std::map<std::string, ColdPlateSpec> cold_plates_;
  std::map<std::string, CduSpec> cdus_;
  std::map<std::string, CoolingLoopSpec> cooling_loops_;
  std::map<std::string, InletClassSpec> inlet_classes_;
  std::map<std::string, std::string> defined_at_;  // "gpu:mi300x" -> "file:line"
  std::vector<std::string> files_;

  // One section of a catalog file (`gpus:`, ...): how its entries are read and checked.
  struct Section;
  // Every section, in the order their entries are read and "valid keys" lists them.
  static const std::vector<Section>& sections();
  // Reads one file's sections into the maps; its cross-references are checked later.
  void read_file(const ConfigNode& root);
  // Checks the cross-references of one file's entries against the whole merged catalog.
  void check_file(const ConfigNode& root) const;
};

// The shipped catalog files under `data_dir`/models/catalog: gpus, nics, switches, links,
// collectives, systems, power, cooling (power and cooling last).
[[nodiscard]] std::vector<std::string> shipped_catalog_files(const std::string& data_dir);

}  // namespace racksim
