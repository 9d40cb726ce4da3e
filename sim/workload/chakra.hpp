// racksim sim: Chakra execution traces (MLCommons Chakra ET) in and out.
//
// A Chakra ET trace is one file per rank, <prefix>.<rank>.et: a varint length and a
// GlobalMetadata message, then a varint length and a Node message per node (sim/proto/
// et_def.proto). The format, the node mapping, the attributes read and written, and every rule
// below are documented in docs/chakra.md.
//
// Two kinds of files are read:
//   - files racksim wrote (write_chakra; their GlobalMetadata carries racksim.format): read back
//     exactly, op for op, so that a workload replays identically after a round trip;
//   - any other Chakra trace (astra-sim examples, PyTorch traces through Chakra's converter):
//     nodes mapped to racksim ops by type: COMP_NODE -> compute (num_ops + tensor_size through
//     the GPU model, else duration_micros, scaled when the recording GPU is named), CPU nodes
//     (is_cpu_op) -> delays, COMM_COLL_NODE -> collectives, COMM_SEND/RECV_NODE -> send/recv,
//     MEM_LOAD/STORE_NODE -> HBM traffic, METADATA_NODE -> nothing. Dependencies are data_deps
//     (and ctrl_deps unless ignored); GPU nodes with the same `tid` run in file order (a GPU
//     stream); point-to-point sends are eager, as in astra-sim.
// Every problem is an InputError naming the file, the node index, its id and its byte offset.
#pragma once

#include "core/error.hpp"
#include "core/yaml_doc.hpp"
#include "models/catalog.hpp"
#include "sim/workload/workload.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace racksim {

// What ctrl_deps mean: dependencies like data_deps (follow), or nothing (ignore: Chakra's own
// feeder reads data_deps only, and the PyTorch converter stores the calling operator there).
enum class ChakraCtrlDeps { Follow, Ignore };

// Point-to-point semantics: eager (a send completes when its data has arrived, whether or not
// the receive was posted: astra-sim's), rendezvous (racksim's native: the data moves once both
// are posted), or auto (rendezvous for files racksim wrote, eager for all others).
enum class ChakraP2p { Auto, Eager, Rendezvous };

// A process group named by the scenario (pg_name of collective nodes).
struct ChakraGroupSpec {
  std::string name;
  std::vector<int> ranks;  // sorted, unique
  Location where;
};

// The `workload: {kind: chakra, ...}` part of a scenario, resolved.
struct ChakraSpec {
  std::string prefix;   // resolved path prefix: files <prefix>.<rank>.et
  Location where;       // the workload map
  Location prefix_where;
  int files = 0;        // rank files found when the scenario was read
  int ranks = 0;        // ranks of the workload: `files`, or `replicate`
  int replicate = 0;    // > 0: the one rank file runs as this many identical ranks
  Location replicate_where;
  // Duration-only compute is scaled from the GPU the trace was recorded on to the target GPU by
  // the ratio of their dense peaks at scale_precision (or of their HBM bandwidths when
  // scale_by_hbm). Without recorded_on, durations replay as recorded.
  std::optional<GpuSpec> recorded_on;
  Location recorded_on_where;
  Precision scale_precision = Precision::bf16;
  bool scale_by_hbm = false;
  Precision precision = Precision::bf16;  // of FLOP-counted nodes (Chakra has no precision field)
  ChakraCtrlDeps ctrl_deps = ChakraCtrlDeps::Follow;
  ChakraP2p p2p = ChakraP2p::Auto;
  bool broadcast_as_all_gather = false;   // BROADCAST nodes run as all-gathers (else an error)
  std::vector<ChakraGroupSpec> groups;    // pg_name -> ranks, besides 'world'
};

// Reads the chakra-specific keys of a scenario's workload map (kind already read).
[[nodiscard]] ChakraSpec read_chakra_spec(MapReader& wm, const std::string& base_dir, const Catalog& catalog);

// Reads the per-rank files into racksim's op graphs; errors name file, node index, byte offset.
[[nodiscard]] Workload load_chakra(const ChakraSpec& spec, const GpuSpec& target);

// Writes a workload as Chakra ET, one file per rank: <dir>/<name>.<rank>.et. Every file is
// written through a temporary file and a rename; if one cannot be written, the files this call
// already wrote are removed. Throws OutputError naming the file.
void write_chakra(const Workload& w, const std::string& dir, const std::string& name);

// The rank files of a prefix that exist: rank -> path (<prefix>.<rank>.et, rank in decimal
// without leading zeros). No checks.
[[nodiscard]] std::map<int, std::string> find_chakra_files(const std::string& prefix);

// The rank files 0..N-1 of a prefix, checked: at least <prefix>.0.et, and no gap (the error
// names the first missing file). `where` locates the error.
[[nodiscard]] std::vector<std::string> chakra_rank_files(const std::string& prefix, const Location& where);

}  // namespace racksim
