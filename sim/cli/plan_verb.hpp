// racksim cli: `racksim plan` — capacity planning (docs/plan.md).
//
//   racksim plan PLAN [--set KEY=VALUE]... [--jobs N] [--json FILE] [--out DIR]
//
// Reads the plan (sim/studies/capacity_plan.hpp), expands its grid, screens each point (limits, layout, the
// generator's own checks), simulates one training step of every point left, each in its own
// forked child process (SimGrid runs one simulation per process), up to N at once (default: the
// machine's cores), collects the results by point (the output does not depend on which child
// finished first), judges them (out of memory, over power, too slow), marks the Pareto set and
// prints the report. --json FILE writes every point machine-readably; --out DIR writes
// DIR/plan.txt, DIR/plan.json and each simulated point's DIR/points/<id>/summary.json.
// Exit status: 0 the plan ran (whether or not a point is feasible), 2 bad command line, 3 invalid
// plan or base scenario, 4 a point's simulation failed (the report is printed all the same),
// 5 a file could not be written.
#pragma once

#include "sim/cli/verb.hpp"

namespace racksim {

[[nodiscard]] Verb plan_verb();

}  // namespace racksim
