// racksim engine: the run's description (sim/output/run_description.hpp) — scenario, cluster,
// engine, workload, fabric, fidelity, power and cooling — built once from the setup stages'
// values (setup.hpp), before anything is simulated. The header `racksim run` prints and
// summary.json's configuration objects are both written from it.
#pragma once

#include "sim/engine/platform.hpp"
#include "sim/engine/setup.hpp"
#include "sim/output/run_description.hpp"
#include "sim/scenario/scenario.hpp"

namespace racksim {

[[nodiscard]] RunDescription describe_run(const Scenario& s, const ClusterSetup& c, const SimulatedStep& step,
                                          const PlatformSpec& platform);

}  // namespace racksim
