// racksim models: the hardware catalog — GPUs, NICs, switches and links by id.
//
// Loaded from YAML files (the shipped models/catalog/*.yaml plus any a scenario adds). Every value
// in those files is a sourced value {value, kind, source, note}; the loader checks that each
// source id is defined in the file's `sources:` table and that kind is one of spec,
// spec_secondary, measured, estimate, derived. An id defined twice is an error (a scenario's own
// catalog adds parts; it never silently replaces a shipped one).
#pragma once

#include "models/gpu.hpp"
#include "models/network_parts.hpp"

#include <map>
#include <string>
#include <vector>

namespace racksim {

class Catalog {
public:
  // Loads and merges the files in order. Throws InputError naming file, line and key.
  static Catalog load(const std::vector<std::string>& files);

  [[nodiscard]] const GpuSpec* find_gpu(const std::string& id) const;
  [[nodiscard]] const NicSpec* find_nic(const std::string& id) const;
  [[nodiscard]] const SwitchSpec* find_switch(const std::string& id) const;
  [[nodiscard]] const LinkSpec* find_link(const std::string& id) const;

  [[nodiscard]] std::vector<std::string> gpu_ids() const;
  [[nodiscard]] std::vector<std::string> nic_ids() const;
  [[nodiscard]] std::vector<std::string> switch_ids() const;
  [[nodiscard]] std::vector<std::string> link_ids() const;

  [[nodiscard]] const std::vector<std::string>& files() const { return files_; }

private:
  std::map<std::string, GpuSpec> gpus_;
  std::map<std::string, NicSpec> nics_;
  std::map<std::string, SwitchSpec> switches_;
  std::map<std::string, LinkSpec> links_;
  std::map<std::string, std::string> defined_at_;  // "gpu:mi300x" -> "file:line"
  std::vector<std::string> files_;

  void load_file(const std::string& path);
};

// The shipped catalog files under `data_dir`/models/catalog.
[[nodiscard]] std::vector<std::string> shipped_catalog_files(const std::string& data_dir);

}  // namespace racksim
