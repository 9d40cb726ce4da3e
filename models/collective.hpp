// racksim models: collective algorithms as schedules of transfers, and their alpha-beta forms.
//
// What it models: how a collective over a group of n ranks turns into steps of point-to-point
// transfers, like RCCL/NCCL do. The engine runs each step's transfers on the simulated network,
// so contention, latency and link speeds come from the platform, not from these formulas; the
// closed forms below are the test oracles and the cost model of the automatic choice.
//
// Byte convention: `bytes` is the full buffer on each rank — the all-reduce buffer, the
// all-gather OUTPUT, the reduce-scatter INPUT, the all-to-all send buffer, the broadcast/reduce
// buffer (as in nccl-tests' "size"). A buffer cut into n chunks gets chunks whose sizes differ by
// at most one byte.
//
// Engine semantics a schedule is written for (sim/replay.cpp): at step s, rank p posts every
// send and receive of step(p, s) at once; the step ends when all of them and the step's
// reduction are done; then step s+1 starts. For every step s and pair (p, q), the sends p -> q
// listed in step(p, s) equal, in order and bytes, the receives from p listed in step(q, s).
// Transfers with peer kSwitchPeer go to or come from the scale-up switch (NVLS) and have no
// partner rank. Each step pays the level's per-step latency alpha (library hop latency + route
// latency) before its transfers; a collective pays `launch` once.
//
// Algorithms (docs/collectives.md derives every closed form; B = per-GPU bandwidth per direction
// of the level, S = bytes, alpha = per-step latency):
//   ring               all-reduce 2(n-1)(alpha + S/(nB)); all-gather / reduce-scatter (n-1)(alpha + S/(nB));
//                      broadcast / reduce: pipelined chain, (n-2+k)(alpha + S/(kB)) with k chunks
//   direct (one-shot)  every rank exchanges its chunks with every peer at once
//   tree               double binary tree (NCCL): two complementary trees each carry half the
//                      data, pipelined in k chunks; all-reduce = reduce up + broadcast down
//   halving_doubling   recursive halving reduce-scatter + recursive doubling all-gather
//                      (Rabenseifner); non-powers of two fold the extra ranks in first
//   hierarchical       all-reduce: reduce-scatter inside each domain -> all-reduce across
//                      domains among ranks of equal local index (the rail) -> all-gather inside
//   nvls               in-switch reduction (NVLink SHARP): each rank sends its buffer to the
//                      switch and receives the reduced result; no GPU reduction
#pragma once

#include "core/units.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace racksim {

enum class CollectiveKind { AllReduce, AllGather, ReduceScatter, AllToAll, Broadcast, Reduce };
// Auto is resolved before a schedule is built (sim/run.cpp): it never reaches CollectiveSchedule.
enum class CollectiveAlgorithm { Ring, Direct, Tree, HalvingDoubling, Hierarchical, Nvls, Auto };

// all_reduce all_gather reduce_scatter all_to_all broadcast reduce
[[nodiscard]] std::string to_string(CollectiveKind k);
// ring direct tree halving_doubling hierarchical nvls auto
[[nodiscard]] std::string to_string(CollectiveAlgorithm a);
[[nodiscard]] std::optional<CollectiveKind> collective_kind_from_string(const std::string& s);
[[nodiscard]] std::optional<CollectiveAlgorithm> collective_algorithm_from_string(const std::string& s);
// Algorithms a kind supports, without Auto, in a fixed order (for messages and the choice).
[[nodiscard]] std::vector<CollectiveAlgorithm> algorithms_for(CollectiveKind k);

// The peer of a transfer to or from the scale-up switch (NVLS).
constexpr int kSwitchPeer = -1;

struct CollectiveShape {
  CollectiveKind kind = CollectiveKind::AllReduce;
  CollectiveAlgorithm algorithm = CollectiveAlgorithm::Ring;
  int group_size = 1;
  std::uint64_t bytes = 0;
  int root = 0;                 // broadcast / reduce: position of the root
  int chunks = 1;               // pipeline slices for tree / broadcast / reduce (>= 1)
  int domain_size = 0;          // positions [d*g, (d+1)*g) share one scale-up domain; 0: one domain
  CollectiveAlgorithm intra = CollectiveAlgorithm::Ring;  // hierarchical: inside a domain (ring | direct)
  CollectiveAlgorithm inter = CollectiveAlgorithm::Ring;  // hierarchical: across domains (ring | tree | halving_doubling)
  std::vector<std::uint64_t> counts;  // all_to_all(v): counts[p*n+q] = bytes p sends q; empty: uniform
};

// The shape of a plain collective (the other fields at their defaults).
[[nodiscard]] CollectiveShape make_shape(CollectiveKind kind, CollectiveAlgorithm algorithm, int group_size,
                                         std::uint64_t bytes);

struct StepTransfer {
  int peer = 0;  // position in the group, or kSwitchPeer
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
  // Throws racksim::Error for a kind the algorithm does not support or an invalid shape.
  explicit CollectiveSchedule(CollectiveShape shape);
  [[nodiscard]] int num_steps() const { return steps_; }
  [[nodiscard]] StepPlan step(int position, int s) const;
  [[nodiscard]] int group_size() const { return shape_.group_size; }
  [[nodiscard]] const CollectiveShape& shape() const { return shape_; }
  // Size of chunk c of the buffer cut into n pieces (sizes differ by at most one byte).
  [[nodiscard]] static std::uint64_t piece(std::uint64_t bytes, int n, int c);

private:
  CollectiveShape shape_;
  int steps_ = 0;
};

// One level of the fabric as the cost model sees it.
struct LevelCost {
  Seconds alpha;             // per-step latency: library hop latency + route latency
  BytesPerSecond bandwidth;  // per GPU per direction, all its links in this level together
  bool full_mesh = false;    // direct links to each peer (bandwidth/(g-1) each) vs one port into a switch
};

struct CollectiveCostParams {
  LevelCost intra;
  LevelCost inter;                 // used when the group spans domains
  BytesPerSecond nvls_bandwidth;   // > 0: the switch reduces (NVLS), per GPU per direction
  Seconds launch;                  // once per collective
  double bandwidth_fraction = 1.0; // protocol payload share (LL: 0.5)
};

// Closed-form time of the shape on an uncontended fabric (the test oracle; docs/collectives.md).
[[nodiscard]] Seconds predict_time(const CollectiveShape& shape, const CollectiveCostParams& p);

// Whether the algorithm can run the shape: the kind supports it, nvls needs nvls_bandwidth > 0
// and one domain, hierarchical needs more than one domain, ...; `why` says why not.
[[nodiscard]] bool algorithm_applies(const CollectiveShape& shape, const CollectiveCostParams& p, std::string* why = nullptr);

// The plain alpha-beta forms of the first two algorithms (kept as simple oracles):
//   ring all-reduce 2(n-1)(alpha + S/(nB)); ring all-gather = ring reduce-scatter (n-1)(alpha + S/(nB));
//   direct all-to-all alpha + (n-1) S/(nB).
[[nodiscard]] Seconds ring_all_reduce_time(int n, Bytes s, Seconds alpha, BytesPerSecond b);
[[nodiscard]] Seconds ring_all_gather_time(int n, Bytes s, Seconds alpha, BytesPerSecond b);
[[nodiscard]] Seconds ring_reduce_scatter_time(int n, Bytes s, Seconds alpha, BytesPerSecond b);
[[nodiscard]] Seconds direct_all_to_all_time(int n, Bytes s, Seconds alpha, BytesPerSecond b);

}  // namespace racksim
