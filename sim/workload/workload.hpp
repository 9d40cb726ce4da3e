// racksim sim: the workload as per-rank op graphs, and the reader of the native trace format.
//
// Native trace format, version 1 (documented in docs/trace-format.md):
//   racksim_trace: 1
//   name: <text>
//   ranks: <N>
//   groups: {<name>: all | [ranks...]}        # 'world' (all ranks) always exists
//   programs:                                 # each rank runs, in order, the ops of every
//     - ranks: all | [r, "a-b", ...]          # program that selects it
//       ops:
//         - {id, kind, deps: [ids], stream, ...kind-specific keys}
// Op kinds: compute (flops + precision [+ bytes] | bytes | duration | gemm or attention shape +
// precision), all_reduce, all_gather, reduce_scatter, all_to_all, broadcast, reduce (group,
// bytes, algorithm (default auto), root for broadcast/reduce), send (to, bytes, tag), recv (from,
// bytes, tag), delay (duration), alloc (bytes, label) and free (alloc: <id>) of HBM. Ops on one
// stream run in order; ops on different streams run
// concurrently unless a dependency orders them.
#pragma once

#include "core/units.hpp"
#include "core/error.hpp"
#include "core/yaml_doc.hpp"
#include "models/collective.hpp"
#include "models/gpu.hpp"
#include "models/kernel.hpp"

#include <optional>
#include <string>
#include <vector>

namespace racksim {

enum class OpKind { Compute, Collective, Send, Recv, Delay, Alloc, Free };

// The parallel dimension a communication belongs to, for generated training workloads (tensor,
// pipeline, data, expert, context parallelism); None for traces.
enum class ParallelDim { None, TP, PP, DP, EP, CP };
[[nodiscard]] std::string to_string(ParallelDim d);  // "", "tp", "pp", "dp", "ep", "cp"

// One node of a rank's op graph.
// Long: one record serves every op kind, its fields grouped by kind below, so that the readers,
// the generator and the replay handle ops of all kinds alike (docs/trace-format.md).
struct Op {
  std::string id;
  OpKind kind = OpKind::Compute;
  int stream = 0;                 // index into Workload::streams
  std::vector<int> deps;          // indices of ops of the same rank (explicit + stream order)
  // compute
  std::optional<Seconds> duration;  // measured duration (compute or delay)
  Flops flops;
  Precision precision = Precision::bf16;
  Bytes hbm_bytes;
  std::optional<GemmShape> gemm;            // a GEMM given by its shape (FLOPs, bytes derived)
  std::optional<AttentionShape> attention;  // a flash-attention forward given by its shape
  // collective
  CollectiveKind collective = CollectiveKind::AllReduce;
  CollectiveAlgorithm algorithm = CollectiveAlgorithm::Auto;  // Auto: the run chooses (sim/engine/collective_method.hpp)
  int plan = -1;                  // index into Workload::plans once the run has planned it; -1 before
  int group = -1;                 // index into Workload::groups
  int sequence = 0;               // n-th collective of this rank on this group
  int root = 0;                   // broadcast / reduce: the root's rank
  std::vector<std::uint64_t> counts;  // all_to_all(v): counts[p*n+q] bytes from group position p to q; empty: uniform
  std::uint64_t bytes = 0;        // collective or point-to-point size
  // send / recv
  int peer = -1;
  int tag = 0;
  // alloc: `bytes` of HBM, named by `label` (weights, activations, ...); free: the alloc op index
  std::string label;
  int frees = -1;
  ParallelDim dim = ParallelDim::None;  // send/recv: the dimension it serves (collectives: the group's)
  Location where;                 // for messages
};

struct Group {
  std::string name;
  std::vector<int> ranks;         // sorted, unique
  std::vector<int> position;      // position[rank] in this group, -1 if absent
  ParallelDim dim = ParallelDim::None;
};

// What a generated training step is, for the workload metrics (sim/output/results.hpp). Absent for traces.
struct TrainingInfo {
  double tokens_per_step = 0.0;          // global batch x sequence length
  double model_flops_per_step = 0.0;     // all ranks, no recomputation (MFU's numerator)
  double hardware_flops_per_step = 0.0;  // all ranks, with recomputation (HFU's numerator)
  Precision precision = Precision::bf16; // the GEMMs' precision: the peak MFU is measured against
  int pipeline_stages = 1;
  int microbatches = 1;
  std::vector<int> last_backward_op;     // per rank: the op that ends its last backward pass
};

// How one collective call runs, the same on every member rank (sim/engine/collective_method.hpp): the
// resolved schedule shape, the library protocol and its latencies.
struct CollectiveMethod {
  CollectiveShape shape;           // algorithm resolved (never Auto)
  std::string protocol;            // the library protocol ("simple", "ll"), or "" when none applies
  double bandwidth_fraction = 1.0; // payload share on the wire: transfers carry bytes / fraction
  Seconds launch;                  // once, before the first step
  Seconds hop_intra;               // before each step whose transfers stay inside the rank's domain
  Seconds hop_inter;               // before each step with a transfer to another domain
  int gpus_per_domain = 0;         // rank r is in domain r / gpus_per_domain (0: one domain)
  Seconds predicted;               // the cost model's time for it on an idle fabric
  bool chosen = false;             // true when the algorithm was chosen by the run (auto)
  // Set by a reduced run (sim/engine/reduction.hpp) for a call whose transfers leave the simulated
  // ranks: the whole call, launch included, is one timer of this length on every member.
  std::optional<Seconds> closed_form;
  // Set for a full run's call that provably contends with nothing (sim/engine/isolation.hpp): the
  // engine times it from its members' arrivals (sim/engine/call_board.hpp), not transfer by transfer.
  bool isolated = false;
};

struct Workload {
  std::string name;
  std::string source;             // the file it came from
  int ranks = 0;
  Location ranks_where;           // the trace's `ranks:` key, for messages
  std::vector<Group> groups;
  std::vector<std::string> streams;
  std::vector<std::vector<Op>> programs;  // programs[rank]
  std::optional<TrainingInfo> training;
  std::vector<CollectiveMethod> plans;      // filled by choose_collective_methods() before a run

  [[nodiscard]] std::size_t total_ops() const;
};

// Appends a group of `ranks` (sorted and made unique here; each in 0..w.ranks-1) to `w`, with
// its position table, and returns its index.
int add_group(Workload& w, std::string name, std::vector<int> ranks, ParallelDim dim = ParallelDim::None);

// A rank set of a YAML document: 'all', or a list of ranks and "a-b" ranges, each within
// 0..ranks-1. Returns the ranks sorted and unique; an empty set is an error.
[[nodiscard]] std::vector<int> read_rank_set(const ConfigNode& n, int ranks);

// Reads and validates a native trace. Every problem is an InputError naming file, line, key.
[[nodiscard]] Workload load_native_trace(const std::string& path);

// Cross-rank checks that need the whole workload: collective sequences agree within each group
// and every send has a matching receive. Called by load_native_trace; exposed for other readers.
void validate_workload(const Workload& w);

}  // namespace racksim
