// racksim cli: `racksim sweep` and `racksim merge` (docs/sweep.md).
//
//   racksim sweep SCENARIO --axis KEY=V1,V2,... [--axis ...] [--set KEY=VALUE]... [--out DIR]
//                 [--jobs N] [--shard I/N] [--max-points K] [--metric NAME]... [--no-report] [--quiet]
//   racksim sweep SCENARIO --axis ... --slurm FILE --shards N [--jobs N] [--out DIR]
//   racksim merge DIR [--metric NAME]... [--no-report] [--quiet]
//
// A sweep runs every point of its grid (sim/studies/sweep.hpp), each in its own forked child (SimGrid
// allows one simulation per process), up to --jobs at once (default: the machine's cores), and
// appends each finished point to the table as it finishes. Rerunning the same command resumes:
// points already in the table are not run again. `--slurm` writes a job-array script that runs
// the shards on a cluster; `merge` joins the shards' tables.
#pragma once

#include "sim/cli/verb.hpp"

namespace racksim {

[[nodiscard]] Verb sweep_verb();
[[nodiscard]] Verb merge_verb();

}  // namespace racksim
