// racksim studies: capacity planning (`racksim plan`, docs/plan.md) — the pure part: the plan file,
// the search grid, the screening of each point, the metrics of a training run derived from one
// simulated step, the Pareto set, and the table and JSON. No SimGrid and no processes here: the
// CLI (sim/cli/plan_verb.cpp) simulates each point that survives screening in a child process and
// hands its step's numbers (PointMetrics) back to judge().
//
// What a point is: the base scenario (a generated training step) on `racks` scale-up domains
// (racksim's rack: a Helios rack, or one 8-GPU node) with one parallel layout of the search and
// one global batch; the data-parallel degree is derived, dp = GPUs / (tp x pp x cp), so the
// layout fills the cluster.
//
// Screening, in order (the first failure is the point's reason; after the simulation, every
// failing limit is listed):
//   1. over_limit       more racks or GPUs than limits.racks / limits.gpus (nothing built)
//   2. invalid_layout   tp x pp x cp does not divide the GPUs, or the generator rejects the layout
//                       (its own checks: heads, layers, batch; sim/workload/training_generator.cpp)
//   3. out_of_memory    the model state the generator allocates at t = 0 (one replica's ranks)
//                       exceeds the GPU's HBM (model_state_overflow; nothing simulated)
//   4. cannot_evaluate  the run refuses the point (too large to simulate in full, docs/scale.md;
//                       a fabric that cannot be built)
//   5. simulation_failed  the simulation could not complete (deadlock, a crash of its process)
//   6. out_of_memory    an allocation of the simulated step exceeded the GPU's HBM (the
//                       generator's memory accounting, replayed with simulation.out_of_memory: warn)
//   7. over_power       peak site (IT) power above limits.site_power (limits.it_power)
//   8. too_slow         time to train above the deadline
//
// Metrics of a feasible point, from its one simulated step (docs/plan.md derives each):
//   steps          = ceil(tokens / tokens per step)            tokens per step = global x sequence
//   time to train  = steps x step time
//   energy         = steps x the step's site energy (IT energy x the site model) of the whole cluster
//   peak IT power  = racks x the highest rack's peak (control-period average, AC) + scale-out switches
//   peak site      = the site model (PUE or cooling plant) applied to the peak IT power
// Pareto set: the feasible points no other feasible point dominates on (time to train, energy,
// GPUs, peak site power), all minimised; a dominates b when it is no worse on all four and
// better on one. Points equal on all four do not dominate each other. Racks follow GPUs.
#pragma once

#include "core/error.hpp"
#include "core/units.hpp"
#include "core/yaml_doc.hpp"
#include "models/power.hpp"
#include "sim/workload/workload.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace racksim {

inline constexpr int kPlanSchemaVersion = 1;

// One entry of search.layouts: the generator keys it sets (others keep the base scenario's).
struct PlanLayout {
  std::optional<std::int64_t> tp, pp, cp, ep, virtual_stages, micro, zero;
  std::optional<bool> sequence_parallel;
  std::optional<std::string> order, recompute;
  Location where;
};

struct PlanLimits {
  std::optional<Watts> site_power;   // peak site power
  std::optional<Watts> it_power;     // peak IT power
  std::optional<std::int64_t> racks;
  std::optional<std::int64_t> gpus;
};

enum class PlanKind { Training, Serving };

struct PlanSpec {
  PlanKind kind = PlanKind::Training;  // `kind: serving` (sim/studies/serving_plan.hpp); absent: training
  std::string name;
  std::string description;
  std::string file;                   // the plan file as given
  std::string scenario;               // the base scenario, resolved against the plan's folder
  Location scenario_where;
  std::vector<std::string> overrides; // `overrides:` flattened to key=value assignments
  Location overrides_where;
  double tokens = 0.0;                // training tokens
  Seconds deadline;
  PlanLimits limits;
  std::vector<std::int64_t> racks;    // search.racks
  std::vector<PlanLayout> layouts;    // search.layouts
  std::vector<std::int64_t> global_batch;  // search.global_batch (sequences); empty: the base's
  Location search_where;
  // kind: serving only (sim/studies/serving_plan.hpp)
  std::vector<double> rates;          // requests/s, each point's workload.requests.rate
  std::optional<double> ttft_p99_s, tpot_p99_s;  // slo
  std::vector<std::int64_t> instances;  // search.instances; empty: fill (as many as the racks hold)
};

// Reads a plan file, applies `sets` (KEY=VALUE on the plan's own keys, like racksim run's --set
// on a scenario) and checks every key. Throws InputError naming the file (or the --set), line,
// key and what was expected.
[[nodiscard]] PlanSpec load_plan(const std::string& path, const std::vector<std::string>& sets);
[[nodiscard]] PlanSpec load_plan_text(const std::string& text, const std::string& path, const std::vector<std::string>& sets);

// A duration with a unit (core/units.hpp), or days: "<number> d" (86,400 s each).
[[nodiscard]] Seconds parse_deadline(const ConfigNode& n);

// What the base scenario fixes for the grid.
struct PlanBase {
  std::int64_t gpus_per_rack = 0;
  std::int64_t tp = 1, pp = 1, cp = 1;  // the base layout (what a layout does not set)
  std::int64_t global_batch = 0;        // sequences
  std::int64_t sequence = 0;            // tokens per sequence
  SiteParams site;                      // the site model (PUE or cooling plant)
  std::int64_t ep = 1;                  // serving: the base instance's ep (tp, pp above)
  std::int64_t domains = 1;             // serving: the base's cluster.domains (search.racks absent)
};

enum class Reject { None, OverLimit, InvalidLayout, CannotEvaluate, SimulationFailed, OutOfMemory, OverPower, TooSlow,
                    SloMissed, Unfinished };  // the last two: serving plans
[[nodiscard]] std::string to_string(Reject r);  // "over_limit", ...
[[nodiscard]] std::string reject_title(Reject r);  // "over limit", ...

// What the CLI measured for a point: one simulated training step (RunResult, summarised).
// Long: flat on purpose; it crosses the pipe from the child process as encode_metrics' text, one line per field.
struct PointMetrics {
  double step_time_s = 0.0;
  double tokens_per_s = 0.0;
  double mfu = 0.0;
  double energy_j = 0.0;              // IT energy of the step, whole cluster
  double site_energy_j = 0.0;         // the same at the site
  double it_avg_w = 0.0;
  double site_avg_w = 0.0;
  double rack_peak_w = 0.0;           // the highest rack's peak (AC)
  double gpu_peak_w = 0.0;
  double switch_w = 0.0;              // scale-out switches, constant
  double clock_avg_mhz = 0.0;
  double hbm_peak_bytes = 0.0;
  double hbm_capacity_bytes = 0.0;
  std::int64_t racks = 0;             // racks the power counts (every domain of the cluster)
  std::int64_t gpus = 0;
  std::int64_t oom_events = 0;
  std::string oom_first;              // the first allocation that did not fit, in words
  bool reduced = false;               // one replica simulated for all (docs/scale.md)
  std::int64_t simulated_ranks = 0;
  std::int64_t replicas = 1;
  std::string not_reduced_because;    // a full run's reason
  std::string throttle_limit;         // "none" when no kernel ran slower
  // A serving run's (sim/output/serving_metrics.hpp); `serving` false for a training step.
  bool serving = false;
  double ttft_p99_s = 0.0, tpot_p99_s = 0.0, e2e_p99_s = 0.0, ttft_p50_s = 0.0, tpot_p50_s = 0.0;
  double output_tokens_per_s = 0.0, requests_per_s = 0.0, goodput_requests_per_s = 0.0;
  double slo_attainment = 0.0, energy_per_output_token_j = 0.0;
  std::int64_t requests = 0, finished = 0, unfinished = 0;
};
// Text form, one "key value" line each (numbers as hexadecimal floats: exact, locale-free), for
// the pipe from the child process.
[[nodiscard]] std::string encode_metrics(const PointMetrics& m);
[[nodiscard]] PointMetrics decode_metrics(const std::string& text);

// What follows from the step for the whole training run (see the header comment).
struct TrainingEstimate {
  double tokens_per_step = 0.0;
  double steps = 0.0;                 // whole steps
  double time_s = 0.0;
  double energy_j = 0.0;              // site
  double it_energy_j = 0.0;
  double peak_it_w = 0.0;
  double peak_site_w = 0.0;
};
[[nodiscard]] double steps_for(double tokens, double tokens_per_step);
[[nodiscard]] TrainingEstimate estimate_training(double tokens, double tokens_per_step, const PointMetrics& m,
                                                 const SiteParams& site);

enum class PointStatus { Pending, Rejected, Pareto, Dominated };
// "pending", "rejected", "pareto", "dominated": the JSON's `status` (docs/plan.md).
[[nodiscard]] const char* to_string(PointStatus s);
// A power limit in W, for the JSON (absent: null).
[[nodiscard]] std::optional<double> in_watts(const std::optional<Watts>& w);

struct PlanPoint {
  std::size_t id = 0;                 // 1-based, grid order
  std::int64_t racks = 0;
  std::int64_t gpus = 0;
  std::int64_t tp = 1, pp = 1, cp = 1, dp = 0;
  std::int64_t global_batch = 0;
  PlanLayout layout;                  // as the plan gave it
  std::vector<std::string> overrides; // --set assignments for the base scenario (plan's first)
  PointStatus status = PointStatus::Pending;
  Reject reject = Reject::None;       // the first reason
  std::vector<std::string> reasons;   // every reason, in words
  std::optional<PointMetrics> metrics;
  std::optional<TrainingEstimate> estimate;
  std::size_t dominated_by = 0;       // id of a Pareto point that dominates it
  // serving plans: the point's request rate and instance count; its peak power once judged
  double rate = 0.0;
  std::int64_t instances = 0;
  std::optional<double> peak_it_w, peak_site_w;
  [[nodiscard]] std::string layout_label() const;  // "tp8 pp9 cp1 dp16" plus the layout's other keys
};

// The grid, in order: racks (outermost), then layouts, then global batches (fastest). Points over
// a rack or GPU limit, and layouts whose tp x pp x cp does not divide the GPUs, come back
// rejected; the others pending, with their overrides for the base scenario (the plan's
// overrides, then cluster.domains, the layout's keys, parallel.dp, batch.global and
// simulation.out_of_memory: warn).
[[nodiscard]] std::vector<PlanPoint> expand_grid(const PlanSpec& plan, const PlanBase& base);

// The out-of-memory screen before simulating: each built rank's model state, the allocations
// its program opens with (the generator's weights, gradients and optimizer state, made at t = 0
// and never freed), against the GPU's HBM. Returns "" when every rank's fits, else the first
// rank that does not, in words. A point that passes may still run out of HBM in the simulation
// (activations come on top); one that fails here would fail there at t = 0.
[[nodiscard]] std::string model_state_overflow(const Workload& w, std::uint64_t capacity);

// Rejects `p` with `why` (the first rejection wins the category; every reason is kept).
void reject(PlanPoint& p, Reject r, const std::string& why);

// After the simulation: the estimate, and out_of_memory, over_power, too_slow when they apply.
void judge(PlanPoint& p, const PointMetrics& m, const PlanSpec& plan, const PlanBase& base);

// Does `a` dominate `b` (no worse on every objective, better on one)?
[[nodiscard]] bool dominates(const TrainingEstimate& a, std::int64_t gpus_a, const TrainingEstimate& b, std::int64_t gpus_b);
// Marks every judged, unrejected point Pareto or Dominated (with the lowest-id Pareto point that
// dominates it).
void mark_pareto(std::vector<PlanPoint>& points);

// "9.03 d", "5.2 h", "12.5 min", or format_seconds below a minute.
[[nodiscard]] std::string format_long_duration(double seconds);
[[nodiscard]] std::string format_energy(double joules);  // "1.234 GWh", "56.7 MWh", ...
[[nodiscard]] std::string format_power(double watts);    // "27.45 MW", "154.9 kW", ...

// The report: the plan, then the Pareto points (by time to train), the dominated points, the
// rejected points (grid order) with their reasons, and how the numbers were obtained.
[[nodiscard]] std::string plan_table(const PlanSpec& plan, const PlanBase& base, const std::vector<PlanPoint>& points);
// Everything, machine-readable (docs/plan.md "JSON"); no wall-clock time, no absolute path.
[[nodiscard]] std::string plan_json(const PlanSpec& plan, const PlanBase& base, const std::vector<PlanPoint>& points);

}  // namespace racksim
