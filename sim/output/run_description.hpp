// racksim output: what a run is — its scenario, cluster, fabric, workload, fidelity, power and
// cooling setup and the engine that simulates it — as one plain value, and the two texts written
// from it: the header `racksim run` prints before it simulates (run_header) and summary.json's
// "scenario", "gpus", "cluster", "engine" and the description fields of "workload"
// (write_*_json, called by summary_json in results.cpp).
//
// The engine builds a RunDescription once, when it has set the run up (sim/engine/run.hpp), before
// anything is simulated; RunResult (results.hpp) extends it with what the simulation produced,
// so the report, the timeline and the studies read the configuration from the same fields. No
// SimGrid and no Scenario here: the engine copies what is described into plain fields.
#pragma once

#include "core/json_writer.hpp"
#include "core/units.hpp"
#include "models/power.hpp"
#include "models/thermal.hpp"
#include "sim/output/run_record.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace racksim {

// A fault the run applies (docs/summary-schema.md "fabric").
struct FaultReport {
  double at_s = 0.0;
  std::string target;          // "link a -- b" or "switch s"
  std::string state;           // "down" or "degraded to 0.5"
  int links = 0;               // graph links it touched
  double bandwidth_lost = 0.0; // B/s per direction, added over those links
};

struct FabricReport {
  std::string multipath;       // ecmp | spray | adaptive
  std::uint64_t ecmp_seed = 0;
  std::string transport;       // roce | uet, "" without scale-out
  double transport_efficiency = 1.0;
  std::string recovery;
  int split_links = 0;
  int mixed_weight_links = 0;
  std::vector<FaultReport> faults;
  // `racksim run` with faults: the same run without them (the run's baseline stage,
  // sim/engine/run.hpp); unset in the description, set in the result when measured.
  std::optional<double> baseline_time_s;
};

// The GPU as the header names it.
struct GpuDescription {
  std::string name;                      // the catalog's name
  Bytes hbm_capacity;
  BytesPerSecond hbm_bandwidth;
  bool calibrated = false;               // false: plain roofline
  std::string calibration_borrowed_from;  // calibrated on another GPU of its family ("": on its own)
};

struct ScaleUpDescription {
  bool switched = true;                  // false: a full mesh of links
  BytesPerSecond link_bandwidth;         // per GPU (switched) or per link (mesh), per direction
  Seconds link_latency;
  std::string switch_part;               // switched only
  int switch_ports = 0;
  BytesPerSecond port_speed;
  Seconds switch_latency;
  std::string domain_label;              // "rack" or "node"
};

struct ScaleOutDescription {
  bool enabled = false;
  int nics_per_gpu = 1;
  std::string nic_part;
  int planes = 1;
  std::string leaf_part;
  int leaf_ports = 0;
  std::string spine_part;
  double oversubscription = 1.0;
};

struct CollectiveSetupDescription {
  std::string library;                   // catalog id, "" for none
  std::string protocol;                  // "auto" or a protocol of the library
  Bytes chunk_size;
};

struct PowerSetupDescription {
  GpuPowerSpec gpu;
  std::optional<Watts> gpu_cap, rack_cap, site_cap;
  Seconds control_period;
  std::optional<RackPowerSpec> rack;
  std::string rack_absent_reason;        // why there is no rack entry
  std::optional<ThermalSetup> thermal;
  std::string thermal_absent_reason;     // why cooling is not modelled
};

// Long: over 20 fields. The flat ones are those summary.json, report.html, timeline.json and the
// studies read by name (RunResult inherits them); the header's own details are grouped below them.
struct RunDescription {
  std::string scenario_name;
  std::string scenario_file;               // file name only, never an absolute path
  std::vector<std::string> overrides;
  // cluster
  int domains = 0;
  int gpus = 0;
  std::string gpu_id;
  std::string gpu_model;                   // which kernel model and calibration ran (summary.json's words)
  std::string scale_up_kind;
  std::string scale_out_kind;
  std::string topology;                    // one-line description
  std::size_t vertices = 0;
  std::size_t graph_links = 0;
  // engine
  std::string simgrid_version;
  std::vector<std::string> engine_config;
  std::size_t sg_hosts = 0;
  std::size_t sg_links = 0;
  std::size_t sg_routes = 0;
  // workload
  std::string workload_kind;
  std::string workload_name;
  std::string serving;                     // a serving run: its instances and requests, in words (else empty)
  int ranks = 0;
  std::size_t ops = 0;                     // of every rank (a reduced run's replica ops x replicas)
  FabricReport fabric;
  ReductionReport reduction;               // simulation.fidelity: what is simulated (sim/engine/reduction.hpp)
  IsolationReport isolation;               // simulation.collective_timing: calls timed in closed form (sim/engine/isolation.hpp)
  // the header's details
  std::size_t simulated_ops = 0;           // of the simulated ranks
  GpuDescription gpu_detail;
  ScaleUpDescription scale_up;
  ScaleOutDescription scale_out;
  CollectiveSetupDescription collective_setup;
  PowerSetupDescription power_setup;
};

// What a reduced run's simulated ranks are, for the header and the report: "one data-parallel
// replica", or "N data-parallel replicas of one domain".
[[nodiscard]] std::string simulated_unit_text(const ReductionReport& red);

// The header `racksim run` prints before it simulates: scenario, cluster, workload and the
// resolved engine configuration, one "  key   value" line each.
[[nodiscard]] std::string run_header(const RunDescription& d);

// summary.json's description parts (docs/summary-schema.md), each written where summary_json
// places it: "scenario" {...}; "gpus" and "cluster" {...}; "engine" {...}; and the first fields of
// the open "workload" object (kind, name, ranks, ops), before the results add theirs.
void write_scenario_json(JsonWriter& j, const RunDescription& d);
void write_cluster_json(JsonWriter& j, const RunDescription& d);
void write_engine_json(JsonWriter& j, const RunDescription& d);
void write_workload_description_json(JsonWriter& j, const RunDescription& d);

}  // namespace racksim
