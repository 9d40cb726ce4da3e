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
// Engine semantics a schedule is written for (sim/engine/replay.cpp): at step s, rank p posts every
// send and receive of step(p, s) at once; the step ends when all of them and the step's
// reduction are done; then step s+1 starts. For every step s and pair (p, q), the sends p -> q
// listed in step(p, s) equal, in order and bytes, the receives from p listed in step(q, s).
// Transfers with peer kSwitchPeer go to or come from the scale-up switch (NVLS) and have no
// partner rank. Each step pays the level's per-step latency alpha (library hop latency + route
// latency) before its transfers; a collective pays `launch` once.
//
// Algorithms and the kinds they run (docs/collectives.md derives every closed form and gives the
// exact schedules; B = per-GPU bandwidth per direction of the level, S = bytes, alpha = per-step
// latency, k = shape.chunks, D = tree depth):
//   ring               all_reduce, all_gather, reduce_scatter: p sends to p+1, receives from p-1;
//                      all-reduce 2(n-1)(alpha + S/(nB)); AG / RS (n-1)(alpha + S/(nB)); after a
//                      reduce-scatter position p owns chunk (p+1) mod n (reduce_scatter_owned_chunk).
//                      broadcast, reduce: pipelined chain in ring order from the root, k slices:
//                      slice j crosses the edge into distance d at step d-1+j; (n-2+k)(alpha + S/(kB))
//   direct (one-shot)  all_reduce (RS step + AG step), all_gather, reduce_scatter, all_to_all(v):
//                      every peer at once; broadcast / reduce: the root sends to (receives from)
//                      every peer the whole buffer, 1 step
//   tree               all_reduce: double binary tree (NCCL 2.4+, after Sanders et al. 2009): tree 0
//                      carries the first half of the buffer, tree 1 the second, each pipelined in k
//                      slices, reduce up in max(D0,D1)+k-1 steps then broadcast down in as many;
//                      a position is interior in at most one tree. broadcast / reduce: one
//                      pipelined binary tree rooted at shape.root, D+k-1 steps. Trees: see
//                      double_tree_node below.
//   halving_doubling   all_reduce (Rabenseifner: recursive-halving RS + recursive-doubling AG),
//                      reduce_scatter, all_gather; n not a power of two: fold the r = n - n'
//                      extra ranks into ranks 0..r-1 first and hand the result back last
//   hierarchical       all_reduce: reduce-scatter inside each domain (intra: ring | direct) ->
//                      all-reduce of the owned chunk across domains among positions of equal
//                      local index (the rail; inter: ring | tree | halving_doubling) -> all-gather
//                      inside; needs domain_size g with 1 < g < n, n % g == 0.
//                      all_gather: rail-local all-gather of the pieces {d'g + l} (inter: ring |
//                      halving_doubling) -> all-gather inside each domain (intra: ring | direct |
//                      nvls); reduce_scatter: the reverse (intra first, then the rail). Inter
//                      traffic per rank (d-1) S/n instead of the flat ring's (n-1) S/n through one
//                      NIC; AG T = AG_inter(d, S/g) + AG_intra(g, S), RS likewise.
//   nvls               all_reduce, reduce_scatter, all_gather in one step through the NVLink
//                      switch (NVLS): the switch reduces and multicasts; one domain only
// A group of one rank has no step for any kind and algorithm (no domain checks apply).
#pragma once

#include "core/units.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace racksim {

enum class CollectiveKind { AllReduce, AllGather, ReduceScatter, AllToAll, Broadcast, Reduce };
// Auto is resolved before a schedule is built (sim/engine/run.cpp): it never reaches CollectiveSchedule.
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
  // hierarchical: inside a domain (ring | direct; all_gather / reduce_scatter also nvls)
  CollectiveAlgorithm intra = CollectiveAlgorithm::Ring;
  // hierarchical: across domains (all_reduce: ring | tree | halving_doubling; all_gather /
  // reduce_scatter: ring | halving_doubling)
  CollectiveAlgorithm inter = CollectiveAlgorithm::Ring;
  std::vector<std::uint64_t> counts;  // all_to_all(v): counts[p*n+q] = bytes p sends q (counts[p*n+p]
                                      // ignored); empty: uniform; then `bytes` is not used
  // Ring all-reduce, all-gather and reduce-scatter in one domain only: `channels` rings run at
  // once, ring c following the c-th of mesh_rings(n, channels), edge-disjoint directed
  // Hamiltonian cycles, so on a full mesh every channel uses other links (RCCL's multi-ring
  // channels over xGMI). All-reduce cuts the buffer into `channels` parts, one per ring;
  // all-gather and reduce-scatter cut every piece of the definition into `channels` sub-pieces,
  // ring c carrying sub-piece c of each, so position p still contributes (all-gather) or owns
  // (reduce-scatter, (p+1) mod n as the plain ring) whole pieces. 1: the plain ring p -> p+1.
  int channels = 1;
};

// Up to `count` edge-disjoint directed Hamiltonian cycles over positions 0..n-1 (each as the
// order of positions starting at 0), found by a deterministic depth-first search with a bounded
// effort. The complete directed graph on n vertices splits into n-1 such cycles for every n
// except 4 and 6 (Tillson 1980); there, and when the search gives up, fewer are returned. Cycle
// 0 is the plain ring 0, 1, ..., n-1.
[[nodiscard]] std::vector<std::vector<int>> mesh_rings(int n, int count);

// The shape of a plain collective (the other fields at their defaults).
[[nodiscard]] CollectiveShape make_shape(CollectiveKind kind, CollectiveAlgorithm algorithm, int group_size,
                                         std::uint64_t bytes);

struct StepTransfer {
  int peer = 0;  // position in the group, or kSwitchPeer
  std::uint64_t bytes = 0;
  // Where the carried range starts in the collective's buffer (the byte convention above): the
  // transfer carries [offset, offset + bytes) modulo the buffer size (only nvls all-gather's
  // receive of "everything but my own piece" wraps past the end). A send carries the sender's
  // data as it was at the start of the step. all_to_all: 0 (a block is named by its sender and
  // receiver). The engine needs only peer and bytes; offset and reduce let tests check what a
  // schedule computes (docs/collectives.md, "Checking a schedule").
  std::uint64_t offset = 0;
  // On a receive: true if the incoming range is added into the buffer (a reduction), false if it
  // overwrites it. Always false on sends. A step's reduce_bytes is the sum of its reducing
  // receives.
  bool reduce = false;
};

struct StepWork {
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
  [[nodiscard]] StepWork step(int position, int s) const;
  // The same into `out`, reusing its vectors' storage (for loops over millions of steps).
  void step_into(int position, int s, StepWork& out) const;
  [[nodiscard]] int group_size() const { return shape_.group_size; }
  [[nodiscard]] const CollectiveShape& shape() const { return shape_; }
  // Size of chunk c of the buffer cut into n pieces (sizes differ by at most one byte).
  [[nodiscard]] static std::uint64_t piece(std::uint64_t bytes, int n, int c);
  // Offset of chunk c in the buffer cut into n pieces: the sum of the sizes of chunks 0..c-1.
  [[nodiscard]] static std::uint64_t piece_offset(std::uint64_t bytes, int n, int c);

private:
  void channel_rings_step(int position, int s, StepWork& out) const;      // ring AG / RS, channels > 1
  void hierarchical_view_step(int position, int s, StepWork& out) const;  // hierarchical AG / RS
  CollectiveShape shape_;
  int steps_ = 0;
  int depth0_ = 0;  // tree: depth of tree 0 (the only tree of broadcast / reduce); 0 otherwise
  int depth1_ = 0;  // tree all-reduce: depth of tree 1
  int phase1_ = 0;  // hierarchical: steps of the intra-domain reduce-scatter (= of the all-gather)
  int phase2_ = 0;  // hierarchical: steps of the rail collective
  std::vector<int> ring_order_;  // channels > 1: ring_order_[c*n + i] = position at index i of ring c
  std::vector<int> ring_index_;  // channels > 1: ring_index_[c*n + p] = index of position p in ring c
};

// The chunk of the buffer cut into group_size pieces that `position` holds fully reduced at the
// end of a reduce-scatter of `algorithm` (and at the middle of a ring / direct all-reduce): ring
// (position + 1) mod n (the ring's historical chunk order), every other algorithm `position`.
[[nodiscard]] int reduce_scatter_owned_chunk(CollectiveAlgorithm algorithm, int group_size, int position);
// The piece (of the buffer cut into group_size pieces) that `position` owns at the end of a
// reduce-scatter of this shape: reduce_scatter_owned_chunk for the plain algorithms and ring
// channels; hierarchical (domains of g, d = n/g, local index l, domain e) owns piece
// o_inter(e) g + o_intra(l), with o_x = reduce_scatter_owned_chunk(x, ...) over d and g ranks.
[[nodiscard]] int reduce_scatter_owned_piece(const CollectiveShape& shape, int position);

// The parent and children of a position in one of the binary trees racksim uses; -1 where there
// is none. tree 0 and tree 1 are the two trees of the double-binary-tree all-reduce; tree 0 is
// also the broadcast / reduce tree with positions renumbered (p - root) mod n.
//   tree 0 = NCCL's btree (ncclGetBtree) over positions 0..n-1, rooted at 0: a position r > 0
//            whose lowest set bit is b has parent (r ^ b) | 2b, or r ^ b when that is >= n, and
//            children r - b/2 and r + b/2 (the second pulled down to r + b/4, r + b/8, ... while
//            >= n; none when b = 1). The root 0 has one child, the largest power of two < n.
//            Interior: the even positions; leaves: the odd ones.
//   tree 1, n even: the mirror p -> n-1-p of tree 0 (NCCL); rooted at n-1; interior: odd positions.
//   tree 1, n odd:  the mirror p -> n-2-p of btree(n-1) over positions 0..n-2, rooted at n-2, with
//            position n-1 added as the root's second child; interior: the odd positions. (NCCL
//            shifts tree 0 by one instead, which makes position 0 interior in both trees.)
// So every position is interior (has a child) in at most one tree, and depths are at most
// floor(log2(n-1)) + 1.
struct TreeNode {
  int parent = -1;
  int child[2] = {-1, -1};
};
[[nodiscard]] TreeNode double_tree_node(int group_size, int tree, int position);
// Depth of a position (root: 0) and the depth of the whole tree.
[[nodiscard]] int double_tree_depth(int group_size, int tree, int position);
[[nodiscard]] int double_tree_max_depth(int group_size, int tree);

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

// Closed-form time of the shape on an uncontended fabric (the test oracle; docs/collectives.md),
// under the engine semantics above: launch + the sum over steps of the slowest rank's
// alpha + transfer time, where a rank's step is at the inter level if one of its transfers has a
// peer in another domain. Transfer time of a rank's step, bytes on the wire = bytes / fraction:
// switched level max(sum sent, sum received) / B; full mesh the largest volume to or from one
// peer / (B/(g-1)) (g: GPUs of the domain, or domains for the inter level); switch transfers
// max(sum up, sum down) / min(B, nvls_bandwidth). Exact up to one byte per chunk (the forms use
// S/n, schedules whole bytes); tree and the non-power-of-two halving-doubling steps are charged
// their critical path exactly (O(n log^2 n) for trees). A group of one costs 0 (no launch).
// Throws racksim::Error where algorithm_applies is false.
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
