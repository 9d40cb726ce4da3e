// racksim cli: `racksim predict collective` — one collective on a system, simulated.
//
//   racksim predict collective --system ID --op OP --gpus N [--nodes M] [--bytes SIZE]
//                              [--algorithm A] [--set KEY=VALUE]... [--json]
//
// The cluster is M systems of the catalog (default: as few as hold N GPUs), joined, when M > 1,
// by a rail-optimized fabric of the system's NIC (switches: Tomahawk 6 for 800G NICs, Tomahawk 5
// otherwise), one plane per NIC of a GPU, two tiers while a plane's NICs fit (P/2 leaves down x
// P spine ports), three (pods and cores) beyond; N/M GPUs of each system take part. --set changes any scenario key
// of that cluster (cluster.scale_out.multipath, collectives.protocol, ...). The collective is
// simulated like any run — same engine, same algorithm choice — and reported as nccl-tests
// reports it: time, algorithm bandwidth S/t and bus bandwidth (algbw x 2(n-1)/n for all-reduce,
// x (n-1)/n for all-gather, reduce-scatter and all-to-all, x 1 for broadcast and reduce).
// Without --bytes, a table over 1 KiB..8 GiB (x2), each size simulated in its own process
// (SimGrid runs one simulation per process).
#pragma once

#include "sim/cli/verb.hpp"

#include <string>

namespace racksim {

[[nodiscard]] Verb predict_collective_verb();

// `racksim validate MEASUREMENTS... --system ID [--min-bytes SIZE] [--budget PERCENT] [--json]`:
// every collective bus-bandwidth case of the files measured on the system's GPU (its id as a
// word of the case's `hardware`) with at most the system's GPUs, simulated on one system;
// predicted vs measured per case; exit 1 when the median |error| over cases of at least
// --min-bytes exceeds the budget (default 10%).
[[nodiscard]] Verb validate_collectives_verb();

// nccl-tests' bus bandwidth factor of a collective kind over n ranks.
[[nodiscard]] double busbw_factor(const std::string& op, int n);

}  // namespace racksim
