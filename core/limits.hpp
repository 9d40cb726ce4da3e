// racksim core: the limits every reader enforces, in one place (docs/limits.md).
//
// A reader refuses an input beyond one of these with an InputError that names the file (and
// line, key or node), the value it found and the limit, before it allocates for it. They keep
// any input, however hostile, within bounded time and memory (the fuzz harnesses in tests/fuzz
// run every reader under a 2 GiB memory limit), while staying far above what real inputs need:
// the largest shipped scenario, trace or catalog file uses a small fraction of each.
#pragma once

#include <cstddef>
#include <cstdint>

namespace racksim::limits {

// --- files -------------------------------------------------------------------------------
// A YAML input (scenario, catalog, native trace, measurements, plan): its size in bytes. yaml-cpp
// holds a parsed document in about 30-60 times its text size.
inline constexpr std::uint64_t kMaxYamlFileBytes = std::uint64_t{16} << 20;  // 16 MiB
// One rank's Chakra ET file.
inline constexpr std::uint64_t kMaxChakraFileBytes = std::uint64_t{1} << 30;  // 1 GiB

// --- YAML documents ----------------------------------------------------------------------
// Nesting of maps and sequences below the root (a scenario needs about 6).
inline constexpr int kMaxYamlDepth = 64;
// Nodes of one document as its readers would visit them, every alias counted each time it is
// used (so that a small file of nested aliases cannot expand to billions of nodes).
inline constexpr std::size_t kMaxYamlNodes = 2'000'000;

// --- workloads (native traces and Chakra ET) ---------------------------------------------
// Ranks of a trace, Chakra rank files of a prefix, and Chakra's `replicate`.
inline constexpr int kMaxTraceRanks = 1 << 20;  // 1,048,576
// Ops of one rank, and ops of the whole trace (all ranks, after `ranks: all` and `replicate`
// expand them).
inline constexpr std::size_t kMaxOpsPerRank = std::size_t{1} << 20;  // 1,048,576
inline constexpr std::size_t kMaxTraceOps = std::size_t{1} << 21;    // 2,097,152
// Group memberships of a native trace: groups x ranks (each group keeps a position per rank).
inline constexpr std::size_t kMaxGroupSlots = std::size_t{1} << 25;  // 33,554,432
// One op's duration (compute or delay), in seconds: 10^6 s is 11.6 days.
inline constexpr double kMaxOpSeconds = 1e6;
// One op's byte count (collective, point-to-point, alloc, HBM traffic): 2^50 B = 1 PiB.
inline constexpr std::uint64_t kMaxOpBytes = std::uint64_t{1} << 50;
// One compute op's FLOP count: 10^21 FLOP takes 10^6 s at 1 PFLOP/s.
inline constexpr double kMaxOpFlops = 1e21;

}  // namespace racksim::limits
