// racksim sim/workload: the key tables (core/key_table.hpp) of the workload kinds that read keys
// of their own from a scenario's `workload:` map.
//
//   chakra_keys()       workload.{prefix, replicate, recorded_on, scale_by, precision, ctrl_deps,
//                       p2p, broadcast_as, groups}, kind chakra (docs/chakra.md "Scenario keys")
//   transformer_keys()  workload.{model, parallel, batch, options} of kind transformer_training and
//                       the keys of those maps (docs/transformer.md)
//
// The rows name the kinds they belong to; the `workload.kind` row itself is the scenario's
// (sim/scenario/keys.cpp), which appends these tables to its own. Each table is built once, on
// first use, and never changes.
#pragma once

#include "core/key_table.hpp"

namespace racksim {

[[nodiscard]] const KeyTable& chakra_keys();
[[nodiscard]] const KeyTable& transformer_keys();

}  // namespace racksim
