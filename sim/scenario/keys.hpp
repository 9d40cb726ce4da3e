// racksim sim/scenario: the one table of a scenario's keys (core/key_table.hpp) — every section
// read here (top level, cluster with scale_up / system / scale_out / transport, power, cooling,
// collectives, faults, simulation, workload) plus the workload kinds' own tables
// (sim/workload/workload_keys.hpp).
//
// The table drives the reader (each section's MapReader takes its valid keys, types, ranges and
// defaults from it), the check of `--set` paths before anything is read, and the key tables of
// docs/scenario-format.md, which tests/unit/scenario/test_scenario_keys.cpp compares with it.
#pragma once

#include "core/key_table.hpp"

namespace racksim {

// Built once, on first use, and never changed.
[[nodiscard]] const KeyTable& scenario_keys();

}  // namespace racksim
