// racksim models: collective algorithms as schedules of transfers, and their alpha-beta forms.
//
// What it models: how a collective (all-reduce, all-gather, reduce-scatter, all-to-all) over a
// group of n ranks turns into steps of point-to-point transfers, like RCCL/NCCL do. The engine
// runs each step's transfers on the simulated network, so contention, latency and link speeds
// come from the platform, not from these formulas.
//
// Byte convention: `bytes` is the full buffer on each rank — the all-reduce buffer, the
// all-gather OUTPUT, the reduce-scatter INPUT, the all-to-all send buffer (as in nccl-tests'
// "size"). The buffer is cut into n chunks whose sizes differ by at most one byte.
//
// Ring (n-1 steps for all-gather and reduce-scatter, 2(n-1) for all-reduce): at each step every
// rank sends one chunk to its successor and receives one from its predecessor; in the
// reduce-scatter phase it reduces the chunk it received. Direct: every rank exchanges its chunks
// with every peer at once (one step; two for all-reduce: reduce-scatter then all-gather).
//
// Alpha-beta closed forms (test oracles; uncontended network, per-GPU bandwidth B per direction,
// latency alpha per transfer, reduction hidden under the transfer):
//   ring all-reduce      2(n-1) (alpha + S/(nB))
//   ring all-gather      (n-1)  (alpha + S/(nB))      ring reduce-scatter: same
//   direct all-to-all    alpha + (n-1) S/(nB)         (n-1 flows share the GPU's link)
// Accuracy: exact for the schedules above on a non-blocking fabric; real libraries pipeline
// chunks over several channels, which the calibrated fabric issue adds.
#pragma once

#include "core/units.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace racksim {

enum class CollectiveKind { AllReduce, AllGather, ReduceScatter, AllToAll };
enum class CollectiveAlgorithm { Ring, Direct };

[[nodiscard]] std::string to_string(CollectiveKind k);
[[nodiscard]] std::string to_string(CollectiveAlgorithm a);
[[nodiscard]] std::optional<CollectiveKind> collective_kind_from_string(const std::string& s);
[[nodiscard]] std::optional<CollectiveAlgorithm> collective_algorithm_from_string(const std::string& s);
// Algorithms available for a kind ("ring, direct"); all-to-all has only direct.
[[nodiscard]] std::vector<CollectiveAlgorithm> algorithms_for(CollectiveKind k);

struct StepTransfer {
  int peer = 0;  // position in the group
  std::uint64_t bytes = 0;
};

struct StepPlan {
  std::vector<StepTransfer> sends;
  std::vector<StepTransfer> recvs;
  std::uint64_t reduce_bytes = 0;  // bytes this rank reduces during the step
};

// The schedule of one collective for any rank, computed step by step on demand (a 4,608-rank
// ring has 9,214 steps per rank: nothing is materialised).
class CollectiveSchedule {
public:
  CollectiveSchedule(CollectiveKind kind, CollectiveAlgorithm algo, int group_size, std::uint64_t bytes);
  [[nodiscard]] int num_steps() const { return steps_; }
  [[nodiscard]] StepPlan step(int position, int s) const;
  [[nodiscard]] std::uint64_t chunk_bytes(int chunk) const;
  [[nodiscard]] int group_size() const { return n_; }

private:
  CollectiveKind kind_;
  CollectiveAlgorithm algo_;
  int n_;
  std::uint64_t bytes_;
  int steps_;
};

[[nodiscard]] Seconds ring_all_reduce_time(int n, Bytes s, Seconds alpha, BytesPerSecond b);
[[nodiscard]] Seconds ring_all_gather_time(int n, Bytes s, Seconds alpha, BytesPerSecond b);
[[nodiscard]] Seconds ring_reduce_scatter_time(int n, Bytes s, Seconds alpha, BytesPerSecond b);
[[nodiscard]] Seconds direct_all_to_all_time(int n, Bytes s, Seconds alpha, BytesPerSecond b);

}  // namespace racksim
