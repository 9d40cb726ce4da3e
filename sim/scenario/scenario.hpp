// racksim sim: a scenario — which cluster runs which workload — read from YAML into typed structs.
//
// Scenario format, version 1 (docs/scenario-format.md has every key):
//   schema_version: 1
//   name: <text>
//   description: <text>                     # optional
//   catalog: [extra-parts.yaml]             # optional, added to the shipped catalog
//   cluster:
//     domains: <N>                          # racks or nodes
//     scale_up: {kind: helios_rack | mi300x_node | switched | full_mesh, ...}
//     system: <catalog system id>           # instead of scale_up (models/catalog/systems.yaml)
//     scale_out: {kind: none | rail_leaf_spine | fat_tree, ..., multipath, ecmp_seed,
//                 transport: {protocol, mtu, loss_rate, link_level_retry}}
//   workload: {kind: trace, file: <path>} | {kind: chakra, ...} | {kind: transformer_training, ...} |
//             {kind: inference_serving, ...}
//   simulation: {out_of_memory: error | warn,    # optional; default error
//                fidelity: auto | full,          # optional; default auto (sim/engine/reduction.hpp)
//                collective_timing: auto | transfers}  # optional; default auto (sim/engine/isolation.hpp)
//   power: {gpu_cap, rack_cap, site_cap, rack, pue | cooling_plant, control_period, sample_period}
//   cooling: {loop, inlet_temperature, flow, coolant, cold_plate, cdu, plates_in_series}
//   collectives: {algorithm, <kind>: <algorithm>, protocol, chunk_size, library}   # optional
//   faults: [{at, link: [a, b] | switch: name, state: down | degraded, fraction}]  # optional
// Paths are relative to the scenario file. Catalog ids are resolved here, so everything below
// this layer sees numbers with units, never ids or YAML.
#pragma once

#include "core/error.hpp"
#include "models/calibration.hpp"
#include "models/catalog.hpp"
#include "models/collective.hpp"
#include "models/transport.hpp"
#include "sim/workload/chakra.hpp"
#include "sim/workload/serving_spec.hpp"
#include "models/thermal.hpp"
#include "sim/workload/training_generator.hpp"
#include "topologies/builders.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace racksim {

// The workload part of a scenario. Exactly one of the kind-specific parts is set:
//   trace                 -> file (a native trace, docs/trace-format.md)
//   chakra                -> chakra (Chakra ET files, docs/chakra.md; sim/workload/chakra.hpp)
//   transformer_training  -> transformer (the generator, docs/transformer.md; sim/workload/training_generator.hpp)
//   inference_serving     -> serving (requests served by instances, docs/inference.md; sim/workload/serving_spec.hpp)
struct WorkloadSpec {
  std::string kind;   // "trace" | "chakra" | "transformer_training" | "inference_serving"
  std::string file;   // trace: resolved path
  std::optional<ChakraSpec> chakra;
  std::optional<TransformerSpec> transformer;
  std::optional<ServingSpec> serving;
  Location where;
};

// The power and cooling part of a scenario, resolved against the catalog (docs/scenario-format.md
// "power" and "cooling"). Every GPU gets a power model; the racks' other parts need a rack entry
// (default by cluster kind) and temperatures need a cooling loop (default: the rack entry's).
struct PowerConfig {
  GpuPowerSpec gpu;                       // power.max = the GPU's board power
  std::optional<RackPowerSpec> rack;
  std::string rack_absent_reason;         // why there is none, for the run header
  std::optional<Watts> gpu_cap, rack_cap, site_cap;
  SiteParams site;
  Seconds control_period;
  Seconds sample_period;
  std::optional<ThermalSetup> thermal;
  std::string thermal_absent_reason;
  Location where;                         // the power: section, or the scenario top
};

// How collectives run (docs/scenario-format.md "collectives"): the algorithm for ops that leave
// it to the run (auto), per kind or for all, the library's protocol and cost constants, the
// pipeline slice.
struct CollectiveConfig {
  CollectiveAlgorithm algorithm = CollectiveAlgorithm::Auto;      // collectives.algorithm
  std::map<CollectiveKind, CollectiveAlgorithm> per_kind;         // collectives.<kind>: overrides algorithm
  std::string protocol = "auto";                                  // auto | a protocol of the library
  Bytes chunk_size{1048576.0};                                    // pipeline slice (tree, broadcast, reduce)
  CollectiveLibrarySpec library;                                  // the system's, or collectives.library
};

// A part of the fabric that goes down or slows at a simulated time (docs/scenario-format.md
// "faults"): the link(s) between two named nodes, or every link of a switch.
struct FaultSpec {
  Seconds at;
  std::string node_a;      // link: one end; switch: the switch
  std::string node_b;      // link: the other end; empty for a switch
  double fraction = 0.0;   // bandwidth left: 0 = down, (0, 1) = degraded
  Location where;
};

// Long: one field per top-level section or resolved part of a scenario, each read by its own
// section reader; grouping them would only add a level to every use.
struct Scenario {
  std::string name;
  std::string description;
  std::string file;                    // as given on the command line
  std::vector<std::string> overrides;  // the --set assignments, in order
  Catalog catalog;
  GpuSpec gpu;                         // the cluster's GPU, resolved from the catalog
  std::optional<GpuCalibration> calibration;  // its kernel-model tables (own or family's); none: roofline
  std::string system;                  // cluster.system id, or empty
  std::string scale_up_kind;
  std::string scale_out_kind;
  ClusterParams cluster;
  Location cluster_where;
  WorkloadSpec workload;
  bool oom_is_error = true;            // simulation.out_of_memory: error (default) | warn
  bool full_fidelity = false;          // simulation.fidelity: full (every rank and flow) | auto (default)
  Location fidelity_where;
  bool collective_transfers = false;   // simulation.collective_timing: transfers (every transfer in SimGrid) | auto (default)
  Bytes memory_limit{16e9};            // simulation.memory_limit: a run estimated to need more is refused
  PowerConfig power;
  CollectiveConfig collectives;
  TransportParams transport;           // cluster.scale_out.transport
  std::vector<FaultSpec> faults;
};

// The catalog and calibration files a scenario resolves against, read once and kept for every
// later load in the same process: a sweep or plan checks every point's scenario before it runs
// anything, and each load would otherwise parse the whole shipped catalog again (most of a
// scenario load's time; the fuzz harness loads tens of thousands). The files are assumed not to
// change while the cache lives. Not thread-safe: one per thread. It holds at most kMaxEntries
// catalogs (a sweep has one or two; a fuzzer invents many), and starts again when full.
class ScenarioFileCache {
public:
  static constexpr std::size_t kMaxEntries = 16;
  // The catalog made of exactly these files, in this order (Catalog::load on first use).
  const Catalog& catalog(const std::vector<std::string>& files);
  // calibration_for(gpu, catalog, dir), keyed by the catalog's files, the GPU id and dir.
  const std::optional<GpuCalibration>& calibration(const GpuSpec& gpu, const std::vector<std::string>& catalog_files,
                                                   const Catalog& catalog, const std::string& dir);

private:
  std::map<std::vector<std::string>, Catalog> catalogs_;
  std::map<std::vector<std::string>, std::optional<GpuCalibration>> calibrations_;  // files + gpu id + dir
};

// Reads, overrides, validates and resolves a scenario. `data_dir` holds models/catalog. With a
// cache, the catalog and calibration files come from it (and are added to it on first use).
[[nodiscard]] Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides,
                                     const std::string& data_dir, ScenarioFileCache* cache = nullptr);
// The same for a scenario held in memory; `path` names it in messages and is where its relative
// paths (catalog files, workload.file) are resolved from, as if the text were that file.
[[nodiscard]] Scenario load_scenario_text(const std::string& text, const std::string& path,
                                          const std::vector<std::string>& overrides, const std::string& data_dir,
                                          ScenarioFileCache* cache = nullptr);

}  // namespace racksim
