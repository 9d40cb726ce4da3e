// racksim sim: report.html, a self-contained page (no network) with the run's or the sweep's plots.
//
// The page is one HTML file: inline CSS, plots as inline SVG drawn by sim/output/svg_plot.hpp, no
// script, no font, image or style sheet fetched from anywhere. Every text that comes from the
// inputs (scenario names, ids, sweep values, errors) is escaped. It holds no wall-clock time and
// no absolute path, so the same result gives a byte-identical page. docs/report.md lists each
// section and where each number comes from; the plots carry stable ids (plot-step, plot-ranks,
// plot-power, ...; a sweep: plot-<metric>) for tests and for anyone scraping the page.
#pragma once

#include <string>
#include <vector>

namespace racksim {

struct RunResult;
struct SweepTable;

// One run's report (docs/report.md): header, serving (latency CDFs and the serving time series, in
// a serving run only), step-time breakdown, per-rank utilisation, power and temperature over time,
// power summary, collectives, fabric and memory. Its size does not grow
// with the number of ranks (more than 64 are drawn in groups) nor with the run's length (long
// time series are thinned, sim/output/svg_plot.hpp).
[[nodiscard]] std::string report_html(const RunResult& r);
// A sweep's report: `metrics` (names from check_metric_names()) across the sweep's axes — one
// plot per metric against the first axis, one line per combination of the others (small
// multiples per value of the second axis when there are more than 12) — and a table of every row,
// failed points with their error.
[[nodiscard]] std::string sweep_report_html(const SweepTable& t, const std::vector<std::string>& metrics);

}  // namespace racksim
