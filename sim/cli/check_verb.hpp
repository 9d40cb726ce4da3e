// racksim cli: `racksim check` — regression of the model's predictions against a baseline.
//
//   racksim check [SCENARIO...] --baseline DIR [--tolerance [METRIC=]REL]... [--junit FILE] [--update]
//
// Simulates each scenario (default: every scenarios/*.yaml of the data directory, by name), each
// in its own forked child (SimGrid runs one simulation per process), takes a fixed set of
// metrics from its results and compares them with DIR/<scenario name>.json. A metric moved when
// |now - base| / |base| (|now - base| when base is 0) exceeds its tolerance (default 1e-9), or
// when it exists on one side only. --update (re)writes the baseline files instead. Exit status:
// 0 nothing moved (or --update), 1 something moved, 2 bad command line, 3 invalid input (a
// scenario, a baseline file, a --tolerance), 4 a simulation failed, 5 a file could not be written.
// docs/check.md describes the metrics, the baseline format and the JUnit report.
#pragma once

#include "sim/cli/verb.hpp"

namespace racksim {

[[nodiscard]] Verb check_verb();

}  // namespace racksim
