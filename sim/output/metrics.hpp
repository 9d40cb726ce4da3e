// racksim output: the one place that derives numbers from a run's results.
//
// Two kinds of derived numbers, each computed here once for every output that shows them:
//   RankTotals   aggregates over the ranks (transfers, bytes, breakdown sums, the HBM peak and the
//                rank that reached it): summary.json, the printed table, report.html and plans
//   metrics      named scalars of a run (metric_table()), e.g. "power.energy_j": `racksim check`
//                compares a fixed set of them against baselines, `racksim sweep` tabulates the
//                same set, and `racksim plan` reads its points' figures by name
// A metric exists for a run or not (a trace has no step time, a run without power has no
// energy); absent metrics are left out, never written as 0. docs/check.md lists the set that
// check and sweep use; its names are stable.
//
// Metrics travel between a child process and its parent as text, one "name value" line each with
// the value as a hexadecimal float: exact, whatever the locale.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace racksim {

struct RunResult;

// Sums over RunResult::per_rank, and its largest HBM peak.
struct RankTotals {
  std::uint64_t transfers = 0;
  std::uint64_t bytes_sent = 0;
  double compute_s = 0.0;
  double comm_s = 0.0;          // exposed
  double comm_total_s = 0.0;
  double overlap_s = 0.0;
  double idle_s = 0.0;
  std::uint64_t hbm_peak = 0;   // bytes: the largest per-rank peak
  int hbm_peak_rank = -1;       // the lowest rank that reached it; -1 without ranks
};
[[nodiscard]] RankTotals rank_totals(const RunResult& r);

// A named scalar of a run: `get` returns it, or nothing where it does not exist for that run.
struct MetricDef {
  const char* name;
  const char* unit;             // "s", "J", "W", "MHz", "C", "B", "1/s", "" (a ratio or a count)
  bool checked;                 // in the set `racksim check` compares and `racksim sweep` tabulates
  std::optional<double> (*get)(const RunResult&);
};
// Every named metric, the checked ones first, in the order check reports them.
[[nodiscard]] const std::vector<MetricDef>& metric_table();
// One metric of a run by name; nothing where it does not exist. An unknown name is an internal
// error (names come from code, not from users: users' names are checked against metric_table()).
[[nodiscard]] std::optional<double> metric(const RunResult& r, const std::string& name);

// The metrics `racksim check` compares, in the order it reports them.
[[nodiscard]] const std::vector<std::string>& check_metric_names();
// The metrics of one run that exist for it (docs/check.md), in check_metric_names() order. Throws
// SimulationError when one is not a finite number.
[[nodiscard]] std::vector<std::pair<std::string, double>> check_metrics(const RunResult& r);

// Metrics as text between a child process and its parent, and back.
[[nodiscard]] std::string encode_metric_lines(const std::vector<std::pair<std::string, double>>& m);
[[nodiscard]] std::vector<std::pair<std::string, double>> decode_metric_lines(const std::string& text);

}  // namespace racksim
