// racksim sim/scenario (internal): the section readers load_scenario (scenario.cpp) calls, one
// file each, and the helpers they share. Not part of the layer's API (scenario.hpp, keys.hpp).
//
// Every reader takes its valid keys, types, ranges and defaults from scenario_keys() (keys.cpp)
// and fills its part of the Scenario; errors are InputErrors at the offending key.
#pragma once

#include "core/yaml_doc.hpp"
#include "sim/scenario/scenario.hpp"

#include <fmt/format.h>

#include <optional>
#include <string>
#include <vector>

namespace racksim::scenario_sections {

// cluster.cpp: cluster.{domains, system | scale_up, scale_out (with its transport)}.
void read_cluster(Scenario& s, const ConfigNode& cluster);
// workload_section.cpp: workload (trace, chakra or transformer_training).
void read_workload(Scenario& s, const ConfigNode& workload, const std::string& base_dir, const std::string& data_dir);
// power_cooling.cpp: power and cooling, resolved against the catalog and checked against the
// GPU, rack and loop (models/power.hpp, models/thermal.hpp, models/governor.hpp).
void read_power_and_cooling(Scenario& s, const ConfigNode& top, const std::optional<ConfigNode>& power,
                            const std::optional<ConfigNode>& cooling);
// collectives.cpp: collectives (every key optional).
void read_collectives(Scenario& s, const ConfigNode& top, const std::optional<ConfigNode>& collectives);
// faults.cpp: the faults list.
void read_faults(Scenario& s, const ConfigNode& list);
// simulation.cpp: simulation.{out_of_memory, fidelity}.
void read_simulation(Scenario& s, const ConfigNode& node);

// --- shared helpers ---

// "a, b, c".
[[nodiscard]] std::string join_ids(const std::vector<std::string>& ids);
// `p` relative to `base_dir`, unless absolute.
[[nodiscard]] std::string resolve_path(const std::string& base_dir, const std::string& p);
// A key whose default is computed by the reader (a system's NIC): the map's value if present,
// else a node holding `value`, located at the map for messages.
[[nodiscard]] ConfigNode value_or(MapReader& m, const std::string& key, const std::string& value);

// The catalog entry `n` names; an unknown id lists the catalog's ids of that kind.
template <class T>
const T& lookup(const ConfigNode& n, const T* found, const char* what, const std::vector<std::string>& ids) {
  if (!found) n.fail(fmt::format("unknown {} '{}'; catalog {}s: {}", what, n.as_string(), what, join_ids(ids)));
  return *found;
}
[[nodiscard]] const GpuSpec& gpu_of(const Catalog& c, const ConfigNode& n);
[[nodiscard]] const LinkSpec& link_of(const Catalog& c, const ConfigNode& n);
[[nodiscard]] const SwitchSpec& switch_of(const Catalog& c, const ConfigNode& n);
[[nodiscard]] const NicSpec& nic_of(const Catalog& c, const ConfigNode& n);
// A switch's port configurations, "512 x 25 GB/s, ...", for messages.
[[nodiscard]] std::string port_list(const SwitchSpec& s);

}  // namespace racksim::scenario_sections
