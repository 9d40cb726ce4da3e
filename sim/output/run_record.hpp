// racksim output: what the engine records about a run, as plain data — each rank's activity
// intervals and HBM, the allocations that did not fit, the power loop's samples and summary, and
// what a reduced run simulated. The engine (sim/engine) fills these; the writers in this folder
// (summary.json, timeseries.csv, timeline.json, report.html) read them. Nothing here simulates,
// so outputs are testable without SimGrid.
#pragma once

#include "models/governor.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace racksim {

struct Interval {
  double start = 0.0;
  double end = 0.0;
};

// One allocation that did not fit (reported as a warning when out_of_memory is 'warn').
struct OomEvent {
  int rank = 0;
  std::string op;
  std::string label;
  std::uint64_t requested = 0;
  std::uint64_t free = 0;      // HBM free when it was requested
  std::uint64_t capacity = 0;
  double time = 0.0;
};

struct RankRecord {
  std::vector<Interval> compute;   // compute ops (a collective's reductions are part of its comm)
  std::vector<Interval> comm;      // collectives and point-to-point ops, from start to finish
  // The same communication split by the parallel dimension it serves (ParallelDim index);
  // generated training workloads tag their ops, traces leave them under None.
  std::array<std::vector<Interval>, 6> comm_by_dim;
  std::vector<double> op_finish;   // when each op finished (by op index; -1 while unfinished)
  std::vector<double> op_start;    // when each op started (by op index; -1 before), only after
                                   // RankExecutor::keep_op_starts() (the timeline); empty otherwise
  double finish = 0.0;             // when the rank's last op completed
  std::uint64_t transfers = 0;     // sends issued
  std::uint64_t bytes_sent = 0;
  std::uint64_t hbm_in_use = 0;    // bytes allocated now (alloc - free)
  std::uint64_t hbm_peak = 0;      // the most ever allocated at once
  std::vector<OomEvent> oom;       // allocations that exceeded capacity (warn mode)
};

// One time-series row: a rack over one sample window ending at `time`.
struct PowerSample {
  double time = 0.0;
  int rack = 0;
  double rack_power_w = 0.0;       // AC
  double gpu_power_avg_w = 0.0;
  double gpu_power_max_w = 0.0;
  double clock_avg_mhz = 0.0;
  double clock_min_mhz = 0.0;      // lowest clock in force at the end of the window
  double compute_util = 0.0;       // mean over the rack's GPUs
  double memory_util = 0.0;
  double junction_max_c = 0.0;     // NaN fields are written empty when there is no thermal model
  double hbm_max_c = 0.0;
  double coolant_out_c = 0.0;
  int throttled_gpus = 0;          // at the end of the window
};

// The most time-series rows (all racks together) a run keeps: the power loop merges adjacent
// windows and doubles the sample period when it has this many (sim/engine/power_loop.hpp).
inline constexpr std::size_t kMaxTimeSeriesRows = 100000;

// The power loop's figures for summary.json's "power" and "thermal" objects.
// Long: a flat record of those two objects, one field per key of docs/summary-schema.md.
struct PowerSummary {
  // What one cap (GPU, rack or site) held: its largest control-period average, and its
  // transient excursions above it (instantaneous power, piecewise constant).
  struct CapReport {
    double cap_w = 0.0;
    double held_w = 0.0;              // the largest control-period average of what it bounds
    double excursion_max_w = 0.0;     // the largest instantaneous overshoot above the cap, W
    double excursion_total_s = 0.0;   // time above it, added over GPUs (racks) for a GPU (rack) cap
    double excursion_longest_s = 0.0; // the longest single excursion
    long excursions = 0;              // how many
  };
  std::optional<CapReport> gpu_cap, rack_cap, site_cap;
  double limiter_response_s = 0.0;
  double sample_period_s = 0.0;     // the time series' window at the end (after any doubling)
  int sample_doublings = 0;         // how often the time series was merged to stay bounded
  std::optional<double> gpu_cap_w, rack_cap_w, site_cap_w;
  std::string rack_entry;          // catalog id or "none"
  double control_period_s = 0.0;
  double gpu_avg_w = 0.0;
  double gpu_peak_w = 0.0;
  double rack_avg_w = 0.0;
  double rack_peak_w = 0.0;
  double it_avg_w = 0.0;           // racks (AC) + fabric switches
  double site_avg_w = 0.0;
  std::string site_model;          // "PUE 1.1" or "cooling plant, COP 8, fixed 0 W"
  double energy_j = 0.0;           // IT
  double site_energy_j = 0.0;
  std::optional<double> energy_per_token_j;
  std::optional<double> site_energy_per_token_j;
  // Average power by part, W (whole site): gpus, cpus, nics, scale_up_switches, pumps_fans,
  // conversion_loss, scale_out_switches.
  std::vector<std::pair<std::string, double>> breakdown_w;
  std::vector<std::string> uncounted;
  double clock_avg_mhz = 0.0;
  double clock_min_mhz = 0.0;      // lowest level any GPU ran at
  double reference_clock_mhz = 0.0;
  // GPU-time during which a kernel's compute part ran below the reference clock or its memory
  // part below full HBM bandwidth, over all GPU-time (GPUs x run time).
  double throttled_fraction = 0.0;
  std::string throttle_limit;      // the limit behind most of it, or "none"
  std::array<double, kLimitCount> throttled_by{};  // fraction of GPU-time, by Limit
  // thermal (set when modelled)
  bool thermal = false;
  std::string cooling_loop, coolant, cold_plate, cdu;
  double inlet_c = 0.0;
  double flow_l_per_min = 0.0;     // per rack
  int plates_in_series = 1;
  double max_junction_c = 0.0;
  double max_hbm_c = 0.0;
  double max_coolant_c = 0.0;      // highest rack outlet
  double junction_limit_c = 0.0;
  double hbm_limit_c = 0.0;
  std::optional<double> cdu_capacity_w;
  int cdu_racks = 1;
  double cdu_peak_load = 0.0;      // peak liquid heat of a rack / its share of its CDU (capacity / racks)
};

struct ReductionReport {
  std::string fidelity = "auto";      // simulation.fidelity as asked
  bool applied = false;
  std::string reason;                 // why the run was not reduced (empty when it was)
  int simulated_ranks = 0;            // ranks simulated event by event
  int replicas = 1;                   // identical copies of the simulated ranks the cluster holds
  int replicas_simulated = 1;         // data-parallel replicas among the simulated ranks (several per domain: > 1)
  std::size_t closed_form_calls = 0;  // data-parallel calls of the simulated ranks timed by evaluation
  std::size_t evaluations = 0;        // distinct (group, call shape) schedules evaluated
  std::uint64_t evaluated_transfers = 0;  // transfers those evaluations timed (each distinct call once)
  std::size_t dp_pairs = 0;           // data-parallel (source, destination) pairs checked for contention
  double max_link_load = 0.0;         // highest demand / capacity of any fabric link, all those pairs at once
  double max_member_spread_s = 0.0;   // largest (last - first) member finish of an evaluated call
};

// Which collective calls of a run are timed in closed form because they provably contend with
// nothing (sim/engine/isolation.hpp, simulation.collective_timing), and how the run went with them.
struct IsolationReport {
  std::string mode = "auto";            // simulation.collective_timing: auto | transfers
  std::string reason;                   // why no call is (empty when some are)
  std::size_t plans = 0;                // collective calls of the simulated ranks (one plan each)
  std::size_t isolated_plans = 0;       // of those, timed in closed form
  int ranks_out_of_order = 0;           // ranks whose sends may overlap: no call using their links is
  double max_link_load = 0.0;           // highest demand / capacity of a link the closed-form calls use
  // Filled by the simulation (call_board.hpp):
  std::uint64_t member_calls = 0;       // members' parts of closed-form calls that ran
  std::uint64_t overlapped = 0;         // of those, with other kernels or a clock change on the GPU meanwhile
  std::uint64_t clamped = 0;            // members whose evaluated end fell before the last arrival (set to it)
  std::uint64_t evaluations = 0;        // evaluations computed (the other calls reused one)
  std::uint64_t evaluated_transfers = 0;  // transfers those evaluations timed
};

}  // namespace racksim
