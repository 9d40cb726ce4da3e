// racksim sim: what a run produced — the per-rank time breakdown, summary.json and the table.
//
// Breakdown per rank over the simulated time T (they add up to T):
//   compute_s  time during which at least one compute op ran (a collective's reductions count
//              as part of its communication, as in RCCL/NCCL where they run in the comm kernel)
//   comm_s     time during which communication was in progress and no compute ran (exposed)
//   idle_s     T - |compute U comm|
// plus comm_total_s (all communication time, overlapped or not) and overlap_s.
// summary.json (schema_version 1) is documented in docs/summary-schema.md; it holds no wall-clock
// time and no absolute path, so the same inputs give a byte-identical file.
#pragma once

#include "sim/output/run_description.hpp"
#include "sim/output/run_record.hpp"
#include "sim/output/serving_metrics.hpp"
#include "sim/output/timeline.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace racksim {

inline constexpr int kSummarySchemaVersion = 1;

struct RankBreakdown {
  int rank = 0;
  std::string gpu;          // host (GPU) name
  double compute_s = 0.0;
  double comm_s = 0.0;      // exposed
  double comm_total_s = 0.0;
  double overlap_s = 0.0;
  double idle_s = 0.0;
  double finish_s = 0.0;
  std::uint64_t transfers = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t hbm_peak = 0;   // bytes
};

// Total length of the union of intervals.
[[nodiscard]] double union_length(std::vector<Interval> v);
// Length of (union of a) intersected with (union of b).
[[nodiscard]] double intersection_length(std::vector<Interval> a, std::vector<Interval> b);
[[nodiscard]] RankBreakdown breakdown(int rank, const std::string& gpu, const RankRecord& rec, double total_time);

// A whole training run of identical steps (workload.train, docs/transformer.md#train): every step
// takes the simulated step's time and energy. Not counted: warm-up, evaluation, checkpoint saves,
// failures and restarts, and data loading stalls.
struct TimeToTrain {
  double steps = 0.0;          // whole steps: as given, or ceil(tokens / tokens per step)
  double tokens = 0.0;         // steps x tokens per step (at least the tokens asked for)
  double time_s = 0.0;         // steps x step time
  double gpu_hours = 0.0;      // time x GPUs / 3600
  double energy_j = 0.0;       // steps x the step's IT energy (0 without a power summary)
  double site_energy_j = 0.0;  // steps x the step's site energy
};
// The run of `steps` steps, or of at least `tokens` tokens (exactly one given).
[[nodiscard]] TimeToTrain time_to_train(std::optional<double> steps, std::optional<double> tokens, double tokens_per_step,
                                        double step_time_s, int gpus, double step_energy_j, double step_site_energy_j);

// Metrics of a generated training step (docs/summary-schema.md defines each; docs/transformer.md
// derives them):
//   tokens_per_s          tokens per step / step time
//   mfu, hfu              model (hardware) FLOPs per step / (step time x GPUs x dense peak at the
//                         GEMM precision); hardware FLOPs add the recomputed forward work
//   achieved_flops_per_gpu  model FLOPs per step / (step time x GPUs)
//   pipeline_bubble_fraction  the pipeline phase W runs from 0 to the end of the last backward
//                         pass on any rank; a rank is busy while it computes or communicates for
//                         any dimension but the pipeline's, up to the end of its own last backward
//                         pass; bubble = mean over ranks of (W - busy) / W. For 1F1B with equal
//                         stages and instant transfers this is (p-1)/(m+p-1).
//   exposed_comm_s[dim]   mean over ranks of the time communication of that dimension runs while
//                         no compute does (overlapping dimensions each count the shared time)
struct TrainingMetrics {
  double step_time_s = 0.0;
  double tokens_per_s = 0.0;
  double tokens_per_s_per_gpu = 0.0;
  double mfu = 0.0;
  double hfu = 0.0;
  double achieved_flops_per_gpu = 0.0;
  double peak_flops_per_gpu = 0.0;
  std::string peak_precision;
  double pipeline_bubble_fraction = 0.0;
  std::vector<std::pair<std::string, double>> exposed_comm_s;  // (dimension, seconds), tp pp dp ep cp
  std::vector<std::pair<std::string, double>> comm_total_s;    // same, overlapped or not
  std::optional<TimeToTrain> time_to_train;                    // workload.train given
};

// `records[r]` is rank r's record; `peak` the GPU's dense rate at info.precision. `world`: the
// step's ranks when `records` holds only some of them (a reduced run's replica, which stands
// for all); 0: records.size(). Per-rank averages are over `records`.
[[nodiscard]] TrainingMetrics training_metrics(const TrainingInfo& info, const std::vector<const RankRecord*>& records,
                                               double step_time, double peak, const std::string& peak_precision,
                                               int world = 0);

// How the run's collectives ran: one row per (kind, algorithm, protocol, chosen or fixed).
struct CollectiveUse {
  std::string kind;
  std::string algorithm;
  std::string protocol;
  bool chosen = false;         // picked by the run (auto) rather than fixed by the op or scenario
  std::uint64_t calls = 0;     // collective calls (one per group call, not per rank)
  double bytes = 0.0;          // their buffers' bytes, added up
};

// What a run produced, beside what it is: RunResult extends the run's description
// (run_description.hpp: scenario, cluster, engine, workload, fabric, fidelity), so every writer
// reads the configuration and the results from one value.
struct RunResult : RunDescription {
  // results
  double simulated_time_s = 0.0;
  std::uint64_t hbm_capacity = 0;
  std::vector<OomEvent> oom_events;        // out_of_memory: warn
  std::vector<RankBreakdown> per_rank;
  std::optional<TrainingMetrics> training;  // generated training workloads only
  std::optional<ServingMetrics> serving;    // serving workloads only (summary.json's `serving`)
  std::optional<ServingSeries> serving_series;  // serving: serving_timeseries.csv and report.html's plots
  std::optional<PowerSummary> power;        // power and thermal (docs/summary-schema.md)
  std::vector<PowerSample> power_samples;   // the time series (timeseries.csv)
  std::vector<CollectiveUse> collectives;   // sorted by kind, algorithm, protocol, chosen
  double collective_model_time_s = 0.0;     // the cost model's times of all collective calls, added up
  // Serving runs, when Run::keep_timeline asked: the iterations of every instance, in start
  // order, up to the timeline's event cap (the rest counted), for timeline.json's serving tracks.
  std::vector<IterationRecord> serving_iterations;
  std::size_t serving_iterations_left_out = 0;
  std::optional<TimelineData> timeline;     // the ranks' spans for timeline.json, when Run::keep_timeline asked for them
};

[[nodiscard]] std::string summary_json(const RunResult& r);
[[nodiscard]] std::string summary_table(const RunResult& r);
// timeseries.csv: one row per rack per sample period (docs/summary-schema.md, "timeseries.csv").
[[nodiscard]] std::string timeseries_csv(const RunResult& r);
// serving_timeseries.csv: one row per window of RunResult::serving_series (docs/summary-schema.md,
// "serving_timeseries.csv"); just the header without a series.
[[nodiscard]] std::string serving_timeseries_csv(const RunResult& r);

}  // namespace racksim
