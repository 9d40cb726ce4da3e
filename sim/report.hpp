// racksim sim: report.html, a self-contained page (no network) with the run's or the sweep's plots.
#pragma once

#include <string>
#include <vector>

namespace racksim {

struct RunResult;
struct SweepTable;

// One run's report (docs/report.md). Placeholder until the report work lands.
[[nodiscard]] std::string report_html(const RunResult& r);
// A sweep's report: `metrics` (names from check_metric_names()) across the sweep's axes.
[[nodiscard]] std::string sweep_report_html(const SweepTable& t, const std::vector<std::string>& metrics);

}  // namespace racksim
