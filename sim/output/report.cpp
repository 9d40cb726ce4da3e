// report.html of a run and of a sweep (docs/report.md).
//
// Where the numbers come from. Everything on a run's page is read from its RunResult, the same
// structure summary.json and timeseries.csv are written from (docs/summary-schema.md): nothing is
// recomputed but means, minima and maxima over ranks or racks, and the one derived bar named
// below. A sweep's page is read from its SweepTable (results.csv).
//
// The step-time bars (plot-step):
//   mean rank                  per_rank compute_s, comm_s (exposed) and idle_s, each averaged
//                              over ranks; they add up to the simulated time T
//   exposed comm by dimension  workload.exposed_comm_s per dimension (training only); dimensions
//                              that overlap each count the shared time, so the bar can be longer
//                              than the "exposed comm" part above
//   pipeline bubble            pipeline_bubble_fraction x T (training with pp > 1). The fraction
//                              is of the pipeline phase W <= T, so this is an upper bound on the
//                              mean bubble time.
//
// Serving (RunResult::serving, a serving run only): the metrics table and latency table, the
// latency CDFs of sim/output/serving_metrics.hpp (at most kMaxCdfPoints points each) and the
// serving time series (at most kMaxServingWindows windows); nothing is recomputed.
//
// Size. More than 64 ranks are drawn as 64 or fewer groups of consecutive ranks (their mean),
// plus a histogram of the ranks' compute share; power samples are reduced to per-window max, mean
// and min over racks when there are more than 8 racks, and long series are thinned
// (sim/output/svg_plot.hpp). A 1,152-rank training step gives a page of a few hundred kB.
//
// Text. The page is valid UTF-8 whatever the inputs' strings hold: each page passes through
// valid_utf8 (core/utf8.hpp) once it is built, plots included.
#include "sim/output/report.hpp"

#include "core/utf8.hpp"

#include "sim/output/metrics.hpp"
#include "sim/output/results.hpp"
#include "sim/output/svg_plot.hpp"
#include "sim/output/sweep_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>

#ifndef RACKSIM_VERSION
#define RACKSIM_VERSION "unknown"
#endif

namespace racksim {

namespace {

using svg::escape;
using svg::with_unit;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t kMaxRankBars = 64;
constexpr std::size_t kMaxRackLines = 8;
constexpr std::size_t kMaxSeries = 12;
constexpr std::size_t kMaxOomRows = 20;

// Colours with a meaning, the same on every page.
constexpr const char* kComputeColor = "#59a14f";
constexpr const char* kCommColor = "#f28e2b";
constexpr const char* kIdleColor = "#bab0ac";
constexpr const char* kBubbleColor = "#edc948";

std::string dimension_color(const std::string& dim) {
  if (dim == "tp") return "#4e79a7";
  if (dim == "pp") return "#e15759";
  if (dim == "dp") return "#76b7b2";
  if (dim == "ep") return "#b07aa1";
  if (dim == "cp") return "#9c755f";
  return "#ff9da7";
}

constexpr const char* kStyle = R"(
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1.5em auto; max-width: 1120px; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; }
nav a { margin-right: 1em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.failed td { background: #fdecea; }
.note { color: #555; font-size: 0.9em; }
svg.plot { display: block; max-width: 100%; height: auto; margin: 0.8em 0; }
footer { margin-top: 2em; color: #777; font-size: 0.85em; }
)";

std::string page_open(const std::string& title) {
  return fmt::format("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n",
                     escape(title), kStyle);
}

std::string page_close() {
  return fmt::format("<footer>Written by racksim {}. Self-contained: this page loads nothing from the network "
                     "(docs/report.md).</footer>\n</body>\n</html>\n",
                     escape(RACKSIM_VERSION));
}

std::string note(const std::string& text) { return fmt::format("<p class=\"note\">{}</p>\n", escape(text)); }

// A two-column table of (name, value) rows, both escaped.
std::string kv_table(const std::string& cls, const std::vector<std::pair<std::string, std::string>>& rows) {
  std::string s = fmt::format("<table class=\"{}\">\n", escape(cls));
  for (const auto& [k, v] : rows) s += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", escape(k), escape(v));
  return s + "</table>\n";
}

// A table with a header row; cells escaped; `numeric[i]` right-aligns column i.
struct Table {
  std::string cls;
  std::vector<std::string> head;
  std::vector<bool> numeric;
  std::string body;

  void row(const std::vector<std::string>& cells, const std::string& row_class = "") {
    body += row_class.empty() ? "<tr>" : fmt::format("<tr class=\"{}\">", escape(row_class));
    for (std::size_t i = 0; i < cells.size(); ++i)
      body += fmt::format("<td{}>{}</td>", i < numeric.size() && numeric[i] ? " class=\"num\"" : "", escape(cells[i]));
    body += "</tr>\n";
  }
  [[nodiscard]] std::string html() const {
    std::string s = fmt::format("<table class=\"{}\">\n<tr>", escape(cls));
    for (const auto& h : head) s += fmt::format("<th>{}</th>", escape(h));
    return s + "</tr>\n" + body + "</table>\n";
  }
};

std::string g4(double v) { return std::isfinite(v) ? fmt::format("{:.4g}", v) : "n/a"; }
// A count or rate with a k/M/G/T prefix when large: "841.9 k tokens/s".
std::string big(double v, const std::string& unit) {
  static const std::pair<double, const char*> prefixes[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
  if (std::isfinite(v))
    for (const auto& [f, p] : prefixes)
      if (std::fabs(v) >= 10.0 * f) return fmt::format("{:.4g} {} {}", v / f, p, unit);
  return fmt::format("{} {}", g4(v), unit);
}
std::string percent(double fraction) { return std::isfinite(fraction) ? fmt::format("{:.1f} %", 100.0 * fraction) : "n/a"; }

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}

// ---- run report ---------------------------------------------------------------------------------

struct RankStats {
  double compute = 0.0, comm = 0.0, idle = 0.0;  // means over ranks
};

RankStats rank_means(const RunResult& r) {
  RankStats m;
  if (r.per_rank.empty()) return m;
  const RankTotals sum = rank_totals(r);
  const auto n = static_cast<double>(r.per_rank.size());
  m.compute = sum.compute_s / n;
  m.comm = sum.comm_s / n;
  m.idle = sum.idle_s / n;
  return m;
}

std::string fidelity_note(const ReductionReport& d) {
  if (d.applied)
    return fmt::format("reduced (simulation.fidelity: {}): {} ranks simulated event by event ({}) stand for {} identical "
                       "copies; per-rank figures are the simulated ranks', cluster totals count every copy "
                       "(docs/scale.md)",
                       d.fidelity, d.simulated_ranks, simulated_unit_text(d), d.replicas);
  return fmt::format("full (simulation.fidelity: {}){}", d.fidelity, d.reason.empty() ? "" : ": " + d.reason);
}

std::string header_section(const RunResult& r) {
  std::string s = fmt::format("<h1>racksim run: {}</h1>\n", escape(r.scenario_name));
  s += fmt::format("<nav>{}<a href=\"#step\">Step time</a><a href=\"#ranks\">Ranks</a><a href=\"#power\">Power</a>"
                   "<a href=\"#collectives\">Collectives</a><a href=\"#fabric\">Fabric and memory</a></nav>\n",
                   r.serving ? "<a href=\"#serving\">Serving</a>" : "");
  std::vector<std::pair<std::string, std::string>> rows;
  rows.emplace_back("scenario", r.scenario_name);
  rows.emplace_back("file", r.scenario_file);
  if (!r.overrides.empty()) rows.emplace_back("overrides (--set)", join(r.overrides, ", "));
  rows.emplace_back("cluster", fmt::format("{} GPUs ({}) in {} scale-up domain{}; scale-up {}, scale-out {}", r.gpus,
                                           r.gpu_id, r.domains, r.domains == 1 ? "" : "s", r.scale_up_kind,
                                           r.scale_out_kind));
  if (!r.topology.empty()) rows.emplace_back("topology", r.topology);
  rows.emplace_back("graph", fmt::format("{} vertices, {} links", r.vertices, r.graph_links));
  rows.emplace_back("GPU model", r.gpu_model);
  rows.emplace_back("workload", fmt::format("{} ({}): {} ranks, {} ops", r.workload_name, r.workload_kind, r.ranks, r.ops));
  rows.emplace_back("simulated time", with_unit(r.simulated_time_s, "s"));
  rows.emplace_back("fidelity", fidelity_note(r.reduction));
  rows.emplace_back("engine", fmt::format("SimGrid {} ({}); {} hosts, {} links, {} routes", r.simgrid_version,
                                          join(r.engine_config, ", "), r.sg_hosts, r.sg_links, r.sg_routes));
  return s + kv_table("header", rows);
}

// The step-time bars (the header comment's three): the mean rank; exposed comm by dimension and
// the pipeline bubble for a training step.
svg::BarPlot step_bars(const RunResult& r, const RankStats& m) {
  const bool training = r.training.has_value();
  const double t = r.simulated_time_s;
  svg::BarPlot p;
  p.id = "plot-step";
  p.title = training ? "Where the step's time goes (mean over ranks)" : "Where the time goes (mean over ranks)";
  p.horizontal = true;
  p.segments = {"compute", "exposed comm", "idle"};
  p.colors = {kComputeColor, kCommColor, kIdleColor};
  std::vector<double> mean_bar = {m.compute, m.comm, m.idle};
  double longest = m.compute + m.comm + m.idle;
  std::vector<std::vector<double>> raw;
  if (!r.per_rank.empty()) {
    p.bars.emplace_back("mean rank");
    raw.push_back(mean_bar);
  }
  if (training) {
    std::vector<double> dims(3, 0.0);
    double sum = 0.0;
    for (const auto& [dim, v] : r.training->exposed_comm_s) {
      p.segments.push_back("exposed " + dim);
      p.colors.push_back(dimension_color(dim));
      dims.push_back(v);
      sum += v;
    }
    longest = std::max(longest, sum);
    p.bars.emplace_back("exposed comm by dimension");
    raw.push_back(dims);
    if (r.training->pipeline_bubble_fraction > 0.0) {
      p.segments.emplace_back("bubble (upper bound)");
      p.colors.emplace_back(kBubbleColor);
      std::vector<double> bubble(p.segments.size() - 1, 0.0);
      bubble.push_back(r.training->pipeline_bubble_fraction * t);
      longest = std::max(longest, bubble.back());
      p.bars.emplace_back("pipeline bubble");
      raw.push_back(bubble);
    }
  }
  const svg::Scale sc = svg::display_scale("s", std::max(longest, t));
  p.unit = sc.unit;
  p.value_label = fmt::format("time ({})", sc.unit);
  for (auto& bar : raw) {
    bar.resize(p.segments.size(), 0.0);
    for (double& v : bar) v *= sc.factor;
  }
  p.values = raw;
  return p;
}

// The numbers beside the bars: the mean rank's parts of T and, for training, the step's rates.
std::vector<std::pair<std::string, std::string>> step_rows(const RunResult& r, const RankStats& m) {
  const double t = r.simulated_time_s;
  std::vector<std::pair<std::string, std::string>> rows;
  rows.emplace_back("simulated time T", with_unit(t, "s"));
  if (!r.per_rank.empty()) {
    rows.emplace_back("compute (mean over ranks)", fmt::format("{} ({} of T)", with_unit(m.compute, "s"), percent(t > 0 ? m.compute / t : kNaN)));
    rows.emplace_back("exposed comm (mean over ranks)", fmt::format("{} ({} of T)", with_unit(m.comm, "s"), percent(t > 0 ? m.comm / t : kNaN)));
    rows.emplace_back("idle (mean over ranks)", fmt::format("{} ({} of T)", with_unit(m.idle, "s"), percent(t > 0 ? m.idle / t : kNaN)));
  }
  if (r.training) {
    const auto& w = *r.training;
    rows.emplace_back("step time", with_unit(w.step_time_s, "s"));
    rows.emplace_back("throughput", fmt::format("{} ({} per GPU)", big(w.tokens_per_s, "tokens/s"), big(w.tokens_per_s_per_gpu, "tokens/s")));
    rows.emplace_back("MFU / HFU", fmt::format("{} / {}", percent(w.mfu), percent(w.hfu)));
    rows.emplace_back("achieved per GPU", fmt::format("{} of {} peak ({})", with_unit(w.achieved_flops_per_gpu, "FLOP/s"),
                                                      with_unit(w.peak_flops_per_gpu, "FLOP/s"), w.peak_precision));
    rows.emplace_back("pipeline bubble", fmt::format("{} of the pipeline phase", percent(w.pipeline_bubble_fraction)));
  }
  return rows;
}

// Exposed and all communication per parallel dimension, with the note on overlapping dimensions.
std::string dimensions_table(const TrainingMetrics& w) {
  Table d{"dimensions", {"dimension", "exposed comm (mean over ranks)", "all comm (mean over ranks)"}, {false, true, true}, {}};
  for (std::size_t i = 0; i < w.exposed_comm_s.size(); ++i) {
    const auto& [dim, v] = w.exposed_comm_s[i];
    const double total = i < w.comm_total_s.size() ? w.comm_total_s[i].second : kNaN;
    d.row({dim, with_unit(v, "s"), with_unit(total, "s")});
  }
  return d.html() + note("Dimensions that overlap each other each count the shared time, so the exposed times per dimension "
                         "can add up to more than the mean rank's exposed comm.");
}

std::string step_section(const RunResult& r) {
  const bool training = r.training.has_value();
  std::string s = fmt::format("<h2 id=\"step\">{}</h2>\n", training ? "Step-time breakdown" : "Time breakdown");
  const RankStats m = rank_means(r);
  s += svg::stacked_bar_plot(step_bars(r, m));
  s += kv_table("step", step_rows(r, m));
  if (training && !r.training->exposed_comm_s.empty()) s += dimensions_table(*r.training);
  return s;
}

std::string ranks_section(const RunResult& r) {
  std::string s = "<h2 id=\"ranks\">Per-rank utilisation</h2>\n";
  const auto& pr = r.per_rank;
  if (pr.empty()) return s + note("This run has no per-rank breakdown.");
  const double t = r.simulated_time_s;
  const std::size_t n = pr.size();
  const std::size_t group = n <= kMaxRankBars ? 1 : (n + kMaxRankBars - 1) / kMaxRankBars;
  const svg::Scale sc = svg::display_scale("s", t);

  svg::BarPlot p;
  p.id = "plot-ranks";
  p.title = group == 1 ? "Compute, exposed comm and idle time per rank"
                       : fmt::format("Compute, exposed comm and idle time per group of {} ranks (mean)", group);
  p.category_label = group == 1 ? "rank" : "ranks";
  p.value_label = fmt::format("time ({})", sc.unit);
  p.unit = sc.unit;
  p.segments = {"compute", "exposed comm", "idle"};
  p.colors = {kComputeColor, kCommColor, kIdleColor};
  for (std::size_t a = 0; a < n; a += group) {
    const std::size_t b = std::min(n, a + group);
    double c = 0.0, e = 0.0, i = 0.0;
    for (std::size_t k = a; k < b; ++k) {
      c += pr[k].compute_s;
      e += pr[k].comm_s;
      i += pr[k].idle_s;
    }
    const auto cnt = static_cast<double>(b - a);
    p.bars.push_back(group == 1 ? std::to_string(pr[a].rank) : fmt::format("{}\u2013{}", pr[a].rank, pr[b - 1].rank));
    p.values.push_back({c / cnt * sc.factor, e / cnt * sc.factor, i / cnt * sc.factor});
  }
  s += svg::stacked_bar_plot(p);

  if (group > 1) {
    // Histogram of compute_s / T in 20 bins of 5 %.
    svg::BarPlot h;
    h.id = "plot-rank-hist";
    h.title = "Ranks by compute share of the simulated time";
    h.category_label = "compute / T";
    h.value_label = "ranks";
    h.unit = "ranks";
    h.segments = {"ranks"};
    h.colors = {kComputeColor};
    std::vector<double> bins(20, 0.0);
    for (const auto& b : pr) {
      const double f = t > 0 ? b.compute_s / t : 0.0;
      const auto k = static_cast<std::size_t>(std::clamp(std::floor(f * 20.0), 0.0, 19.0));
      bins[k] += 1.0;
    }
    for (std::size_t k = 0; k < bins.size(); ++k) {
      h.bars.push_back(fmt::format("{}\u2013{} %", 5 * k, 5 * (k + 1)));
      h.values.push_back({bins[k]});
    }
    s += svg::stacked_bar_plot(h);
  }

  Table st{"rank-stats", {"per rank", "min", "mean", "max", "rank of min", "rank of max"}, {false, true, true, true, true, true}, {}};
  const auto stat = [&](const std::string& name, double RankBreakdown::*field) {
    std::size_t lo = 0, hi = 0;
    double sum = 0.0;
    for (std::size_t k = 0; k < n; ++k) {
      sum += pr[k].*field;
      if (pr[k].*field < pr[lo].*field) lo = k;
      if (pr[k].*field > pr[hi].*field) hi = k;
    }
    st.row({name, with_unit(pr[lo].*field, "s"), with_unit(sum / static_cast<double>(n), "s"), with_unit(pr[hi].*field, "s"),
            std::to_string(pr[lo].rank), std::to_string(pr[hi].rank)});
  };
  stat("compute", &RankBreakdown::compute_s);
  stat("exposed comm", &RankBreakdown::comm_s);
  stat("idle", &RankBreakdown::idle_s);
  stat("all comm (overlapped or not)", &RankBreakdown::comm_total_s);
  stat("finish", &RankBreakdown::finish_s);
  s += st.html();
  if (r.reduction.applied)
    s += note(fmt::format("The {} ranks shown are the simulated {}; the other {} copies are identical.", n,
                          r.reduction.replicas_simulated > 1 ? "domain" : "replica", r.reduction.replicas - 1));
  return s;
}

// One time window of the power samples: the racks' rows ending at `time`.
struct Window {
  double time = 0.0;
  std::vector<const PowerSample*> racks;
};

// The power samples by time window, the racks they cover and the x axis every plot of them
// shares (the windows' end times in a display unit).
struct PowerWindows {
  std::map<double, Window> by_time;
  std::set<int> rack_ids;
  std::vector<double> x;
  std::string x_label;
};

PowerWindows power_windows(const std::vector<PowerSample>& samples) {
  PowerWindows pw;
  for (const auto& ps : samples) {
    auto& w = pw.by_time[ps.time];
    w.time = ps.time;
    w.racks.push_back(&ps);
    pw.rack_ids.insert(ps.rack);
  }
  if (pw.by_time.empty()) return pw;
  const svg::Scale ts = svg::display_scale("s", pw.by_time.rbegin()->first);
  for (const auto& [time, w] : pw.by_time) pw.x.push_back(time * ts.factor);
  pw.x_label = fmt::format("simulated time ({})", ts.unit);
  return pw;
}

enum class Agg { Max, Mean, Min };

// Per window: the rows' field aggregated by `agg` over racks (NaN fields skipped; all NaN: NaN).
std::vector<double> aggregate(const PowerWindows& pw, double PowerSample::*field, Agg agg) {
  std::vector<double> y;
  for (const auto& [time, w] : pw.by_time) {
    double acc = agg == Agg::Max ? -std::numeric_limits<double>::infinity()
                                 : (agg == Agg::Min ? std::numeric_limits<double>::infinity() : 0.0);
    std::size_t cnt = 0;
    for (const PowerSample* ps : w.racks) {
      const double v = ps->*field;
      if (!std::isfinite(v)) continue;
      ++cnt;
      if (agg == Agg::Max) acc = std::max(acc, v);
      else if (agg == Agg::Min) acc = std::min(acc, v);
      else acc += v;
    }
    y.push_back(cnt == 0 ? kNaN : (agg == Agg::Mean ? acc / static_cast<double>(cnt) : acc));
  }
  return y;
}

std::vector<double> scaled(std::vector<double> v, double f) {
  for (double& e : v) e *= f;
  return v;
}

// The largest finite magnitude in `vs` (0 when there is none).
double max_abs(const std::vector<std::vector<double>>& vs) {
  double m = 0.0;
  for (const auto& v : vs)
    for (const double e : v)
      if (std::isfinite(e)) m = std::max(m, std::fabs(e));
  return m;
}

// Rack power: one line per rack, or max / mean / min over racks when there are many.
std::string rack_power_plot(const PowerWindows& pw) {
  const std::size_t racks = pw.rack_ids.size();
  svg::LinePlot p;
  p.id = "plot-power";
  p.title = racks <= kMaxRackLines ? "Rack power (AC), per rack" : fmt::format("Rack power (AC) over {} racks", racks);
  p.x_label = pw.x_label;
  p.y_from_zero = true;
  std::vector<std::vector<double>> ys;
  std::vector<std::string> names;
  if (racks <= kMaxRackLines) {
    for (const int id : pw.rack_ids) {
      std::vector<double> y;
      for (const auto& [time, w] : pw.by_time) {
        double v = kNaN;
        for (const PowerSample* ps : w.racks)
          if (ps->rack == id) v = ps->rack_power_w;
        y.push_back(v);
      }
      ys.push_back(y);
      names.push_back(fmt::format("rack {}", id));
    }
  } else {
    ys = {aggregate(pw, &PowerSample::rack_power_w, Agg::Max), aggregate(pw, &PowerSample::rack_power_w, Agg::Mean),
          aggregate(pw, &PowerSample::rack_power_w, Agg::Min)};
    names = {"max over racks", "mean over racks", "min over racks"};
  }
  const svg::Scale ps = svg::display_scale("W", max_abs(ys));
  p.unit = ps.unit;
  p.y_label = fmt::format("power ({})", ps.unit);
  for (std::size_t k = 0; k < ys.size(); ++k) p.series.push_back({names[k], pw.x, scaled(ys[k], ps.factor), ""});
  return svg::line_plot(p);
}

// GPU power: the racks' average and highest GPU.
std::string gpu_power_plot(const PowerWindows& pw) {
  svg::LinePlot p;
  p.id = "plot-gpu-power";
  p.title = "GPU power (window averages)";
  p.x_label = pw.x_label;
  p.y_from_zero = true;
  const auto avg = aggregate(pw, &PowerSample::gpu_power_avg_w, Agg::Mean);
  const auto mx = aggregate(pw, &PowerSample::gpu_power_max_w, Agg::Max);
  const svg::Scale ps = svg::display_scale("W", max_abs({avg, mx}));
  p.unit = ps.unit;
  p.y_label = fmt::format("power per GPU ({})", ps.unit);
  p.series.push_back({"GPU average", pw.x, scaled(avg, ps.factor), "#4e79a7"});
  p.series.push_back({"highest GPU", pw.x, scaled(mx, ps.factor), "#e15759"});
  return svg::line_plot(p);
}

std::string clock_plot(const PowerWindows& pw) {
  svg::LinePlot p;
  p.id = "plot-clock";
  p.title = "GPU clock";
  p.x_label = pw.x_label;
  p.y_label = "clock (MHz)";
  p.unit = "MHz";
  p.y_from_zero = true;
  p.series.push_back({"average clock", pw.x, aggregate(pw, &PowerSample::clock_avg_mhz, Agg::Mean), "#4e79a7"});
  p.series.push_back({"lowest clock", pw.x, aggregate(pw, &PowerSample::clock_min_mhz, Agg::Min), "#e15759"});
  return svg::line_plot(p);
}

// Temperatures, when modelled (NaN fields skipped); a note when none is.
std::string temperature_plot(const PowerWindows& pw) {
  svg::LinePlot p;
  p.id = "plot-temp";
  p.title = pw.rack_ids.size() == 1 ? "Temperatures" : "Temperatures (highest rack)";
  p.x_label = pw.x_label;
  p.y_label = "temperature (\u00b0C)";
  p.unit = "\u00b0C";
  const std::vector<std::tuple<std::string, double PowerSample::*, std::string>> fields = {
      {"hottest GPU junction", &PowerSample::junction_max_c, "#e15759"},
      {"hottest HBM", &PowerSample::hbm_max_c, "#b07aa1"},
      {"coolant out", &PowerSample::coolant_out_c, "#4e79a7"}};
  for (const auto& [name, field, color] : fields) {
    auto y = aggregate(pw, field, Agg::Max);
    if (std::any_of(y.begin(), y.end(), [](double v) { return std::isfinite(v); })) p.series.push_back({name, pw.x, y, color});
  }
  if (p.series.empty()) return note("No thermal model in this run: no temperatures.");
  return svg::line_plot(p);
}

// The time-series plots of power, clocks and temperatures, and what their points are.
std::string power_plots(const RunResult& r) {
  const PowerWindows pw = power_windows(r.power_samples);
  if (pw.by_time.empty()) return note("This run recorded no power samples.");
  const std::size_t racks = pw.rack_ids.size();
  std::string s = rack_power_plot(pw) + gpu_power_plot(pw) + clock_plot(pw) + temperature_plot(pw);
  s += note(fmt::format("{} sample windows of {} rack{}{}; each point is a window's average, at the window's end.",
                        pw.by_time.size(), racks, racks == 1 ? "" : "s",
                        r.reduction.applied ? " (the simulated racks)" : ""));
  return s;
}

std::string cap_text(const std::optional<double>& c) { return c ? with_unit(*c, "W") : std::string("none"); }

// The power summary's rows: caps, power, energy, clocks and throttling, then the cooling loop
// when the run has a thermal model.
std::vector<std::pair<std::string, std::string>> power_rows(const PowerSummary& w) {
  std::vector<std::pair<std::string, std::string>> rows;
  rows.emplace_back("caps (GPU / rack / site)", fmt::format("{} / {} / {}", cap_text(w.gpu_cap_w), cap_text(w.rack_cap_w), cap_text(w.site_cap_w)));
  rows.emplace_back("rack entry", w.rack_entry);
  rows.emplace_back("GPU power (average / peak)", fmt::format("{} / {}", with_unit(w.gpu_avg_w, "W"), with_unit(w.gpu_peak_w, "W")));
  rows.emplace_back("rack power, AC (average / peak)", fmt::format("{} / {}", with_unit(w.rack_avg_w, "W"), with_unit(w.rack_peak_w, "W")));
  rows.emplace_back("IT power (average)", with_unit(w.it_avg_w, "W"));
  rows.emplace_back("site power (average)", fmt::format("{} ({})", with_unit(w.site_avg_w, "W"), w.site_model));
  rows.emplace_back("energy (IT / site)", fmt::format("{} / {}", with_unit(w.energy_j, "J"), with_unit(w.site_energy_j, "J")));
  if (w.energy_per_token_j)
    rows.emplace_back("energy per token (IT / site)",
                      fmt::format("{} / {}", with_unit(*w.energy_per_token_j, "J"),
                                  w.site_energy_per_token_j ? with_unit(*w.site_energy_per_token_j, "J") : "n/a"));
  rows.emplace_back("clock (average / lowest / reference)",
                    fmt::format("{} / {} / {} MHz", g4(w.clock_avg_mhz), g4(w.clock_min_mhz), g4(w.reference_clock_mhz)));
  std::vector<std::string> by;
  for (std::size_t i = 0; i < w.throttled_by.size(); ++i)
    if (w.throttled_by[i] > 0.0) by.push_back(fmt::format("{} {}", to_string(static_cast<Limit>(i)), percent(w.throttled_by[i])));
  rows.emplace_back("throttled GPU-time", fmt::format("{} (mostly: {}){}", percent(w.throttled_fraction), w.throttle_limit,
                                                       by.empty() ? "" : "; " + join(by, ", ")));
  rows.emplace_back("control period", with_unit(w.control_period_s, "s"));
  if (w.thermal) {
    rows.emplace_back("cooling", fmt::format("{}: {}, {}, CDU {}", w.cooling_loop, w.coolant, w.cold_plate, w.cdu));
    rows.emplace_back("inlet / flow per rack", fmt::format("{} \u00b0C / {} L/min, {} plate(s) in series", g4(w.inlet_c),
                                                           g4(w.flow_l_per_min), w.plates_in_series));
    rows.emplace_back("highest junction / HBM / coolant", fmt::format("{} / {} / {} \u00b0C (limits {} / {} \u00b0C)",
                                                                      g4(w.max_junction_c), g4(w.max_hbm_c), g4(w.max_coolant_c),
                                                                      g4(w.junction_limit_c), g4(w.hbm_limit_c)));
    if (w.cdu_capacity_w)
      rows.emplace_back("CDU", fmt::format("{} for {} rack(s); peak load {}", with_unit(*w.cdu_capacity_w, "W"), w.cdu_racks,
                                           percent(w.cdu_peak_load)));
  }
  if (!w.uncounted.empty()) rows.emplace_back("not counted (no catalog power)", join(w.uncounted, ", "));
  return rows;
}

std::string power_section(const RunResult& r) {
  std::string s = "<h2 id=\"power\">Power and temperature</h2>\n" + power_plots(r);
  if (!r.power) return s;
  const PowerSummary& w = *r.power;
  s += "<h3>Power summary</h3>\n" + kv_table("power", power_rows(w));
  if (!w.breakdown_w.empty()) {
    Table b{"power-breakdown", {"part", "average power (whole site)"}, {false, true}, {}};
    for (const auto& [part, v] : w.breakdown_w) b.row({part, with_unit(v, "W")});
    s += b.html();
  }
  return s;
}

std::string collectives_section(const RunResult& r) {
  std::string s = "<h2 id=\"collectives\">Collectives</h2>\n";
  if (r.collectives.empty()) return s + note("This run has no collective calls.");
  Table t{"collectives", {"kind", "algorithm", "protocol", "choice", "calls", "bytes"}, {false, false, false, false, true, true}, {}};
  for (const auto& c : r.collectives)
    t.row({c.kind, c.algorithm, c.protocol.empty() ? "-" : c.protocol, c.chosen ? "chosen by the run" : "fixed",
           std::to_string(c.calls), with_unit(c.bytes, "B")});
  s += t.html();
  s += note(fmt::format("The cost model's times of all collective calls add up to {}.", with_unit(r.collective_model_time_s, "s")));
  return s;
}

std::string fabric_section(const RunResult& r) {
  std::string s = "<h2 id=\"fabric\">Fabric and memory</h2>\n";
  const auto& f = r.fabric;
  std::vector<std::pair<std::string, std::string>> rows;
  rows.emplace_back("multipath", fmt::format("{} (ECMP seed {})", f.multipath, f.ecmp_seed));
  if (!f.transport.empty())
    rows.emplace_back("transport", fmt::format("{}, {} of link bandwidth carries payload, loss recovery: {}", f.transport,
                                               percent(f.transport_efficiency), f.recovery));
  if (f.split_links > 0)
    rows.emplace_back("split links", fmt::format("{} ({} with mixed weights)", f.split_links, f.mixed_weight_links));
  if (f.baseline_time_s)
    rows.emplace_back("fault cost", fmt::format("{} (without faults: {})", with_unit(r.simulated_time_s - *f.baseline_time_s, "s"),
                                                with_unit(*f.baseline_time_s, "s")));
  const RankTotals sum = rank_totals(r);
  const std::uint64_t peak = sum.hbm_peak;
  const int peak_rank = std::max(sum.hbm_peak_rank, 0);
  rows.emplace_back("HBM peak", fmt::format("{} on rank {} of {} capacity ({})", with_unit(static_cast<double>(peak), "B"),
                                            peak_rank, with_unit(static_cast<double>(r.hbm_capacity), "B"),
                                            percent(r.hbm_capacity > 0 ? static_cast<double>(peak) / static_cast<double>(r.hbm_capacity) : kNaN)));
  rows.emplace_back("allocations that did not fit", std::to_string(r.oom_events.size()));
  s += kv_table("fabric", rows);
  if (!f.faults.empty()) {
    Table t{"faults", {"at", "target", "state", "links", "bandwidth lost (per direction)"}, {true, false, false, true, true}, {}};
    for (const auto& x : f.faults)
      t.row({with_unit(x.at_s, "s"), x.target, x.state, std::to_string(x.links), with_unit(x.bandwidth_lost, "B") + "/s"});
    s += t.html();
  }
  if (!r.oom_events.empty()) {
    Table t{"oom", {"rank", "op", "label", "requested", "free", "at"}, {true, false, false, true, true, true}, {}};
    for (std::size_t i = 0; i < std::min(r.oom_events.size(), kMaxOomRows); ++i) {
      const auto& e = r.oom_events[i];
      t.row({std::to_string(e.rank), e.op, e.label, with_unit(static_cast<double>(e.requested), "B"),
             with_unit(static_cast<double>(e.free), "B"), with_unit(e.time, "s")});
    }
    s += t.html();
    if (r.oom_events.size() > kMaxOomRows)
      s += note(fmt::format("The first {} of {} are shown; summary.json lists all.", kMaxOomRows, r.oom_events.size()));
  }
  return s;
}

// ---- serving -----------------------------------------------------------------------------------

// One latency's CDF (RunResult::serving's points): x the latency in a display unit, y the percent
// of finished requests at or below it.
std::string latency_cdf_plot(const std::string& id, const std::string& name, const std::vector<CdfPoint>& points) {
  if (points.empty()) return note(fmt::format("No finished request has a {}: no CDF.", name));
  const svg::Scale sc = svg::display_scale("s", points.back().value);
  svg::LinePlot p;
  p.id = id;
  p.title = fmt::format("{}: cumulative distribution over finished requests", name);
  p.x_label = fmt::format("{} ({})", name, sc.unit);
  p.y_label = "requests at or below (%)";
  p.unit = "%";
  p.y_from_zero = true;
  svg::Series se{name, {}, {}, "#4e79a7"};
  for (const CdfPoint& c : points) {
    se.x.push_back(c.value * sc.factor);
    se.y.push_back(100.0 * c.fraction);
  }
  p.series.push_back(std::move(se));
  return svg::line_plot(p);
}

// The serving time series' plots: token throughput, KV-cache occupancy, running and waiting.
std::string serving_series_plots(const ServingSeries& ss) {
  if (ss.windows.empty()) return note("This run recorded no serving time series.");
  const svg::Scale ts = svg::display_scale("s", ss.windows.back().end_s);
  std::vector<double> x;
  std::vector<double> out, prefill, kv, running, waiting;
  for (const ServingWindow& w : ss.windows) {
    x.push_back(w.end_s * ts.factor);
    out.push_back(w.output_tokens_per_s);
    prefill.push_back(w.prefill_tokens_per_s);
    kv.push_back(std::isfinite(w.kv_used_fraction) ? 100.0 * w.kv_used_fraction : kNaN);
    running.push_back(w.running_mean);
    waiting.push_back(w.waiting_mean);
  }
  const std::string x_label = fmt::format("simulated time ({})", ts.unit);
  std::string s;
  svg::LinePlot tp;
  tp.id = "plot-serving-throughput";
  tp.title = "Token throughput (window averages)";
  tp.x_label = x_label;
  tp.y_label = "tokens/s";
  tp.unit = "tokens/s";
  tp.y_from_zero = true;
  tp.series.push_back({"output tokens", x, out, "#4e79a7"});
  tp.series.push_back({"prompt tokens (prefill)", x, prefill, "#f28e2b"});
  s += svg::line_plot(tp);
  svg::LinePlot kp;
  kp.id = "plot-serving-kv";
  kp.title = "KV cache in use (mean over the instances iterating)";
  kp.x_label = x_label;
  kp.y_label = "KV blocks in use (%)";
  kp.unit = "%";
  kp.y_from_zero = true;
  kp.series.push_back({"KV in use", x, kv, "#b07aa1"});
  s += svg::line_plot(kp);
  svg::LinePlot qp;
  qp.id = "plot-serving-queue";
  qp.title = "Running sequences and waiting requests (all instances)";
  qp.x_label = x_label;
  qp.y_label = "requests";
  qp.unit = "requests";
  qp.y_from_zero = true;
  qp.series.push_back({"running", x, running, kComputeColor});
  qp.series.push_back({"waiting", x, waiting, kCommColor});
  s += svg::line_plot(qp);
  s += note(fmt::format("{} windows of {}; each point is a window's average, at the window's end (docs/summary-schema.md, "
                        "serving_timeseries.csv).",
                        ss.windows.size(), with_unit(ss.window_s, "s")));
  return s;
}

std::string serving_section(const RunResult& r) {
  const ServingMetrics& m = *r.serving;
  std::string s = "<h2 id=\"serving\">Serving</h2>\n";
  std::vector<std::pair<std::string, std::string>> rows;
  rows.emplace_back("requests", fmt::format("{}: {} finished, {} unfinished; {} preemption(s)", m.requests, m.finished,
                                            m.unfinished, m.preemptions));
  rows.emplace_back("serving window", fmt::format("{} (first arrival to the last finish, or to the end of the run)",
                                                  with_unit(m.duration_s, "s")));
  rows.emplace_back("throughput", fmt::format("{} output, {} prompt, {}", big(m.throughput.output_tokens_per_s, "tokens/s"),
                                              big(m.throughput.input_tokens_per_s, "tokens/s"),
                                              big(m.throughput.requests_per_s, "requests/s")));
  rows.emplace_back("per GPU / per rack", fmt::format("{} / {} output", big(m.per_gpu.output_tokens_per_s, "tokens/s"),
                                                      big(m.per_rack.output_tokens_per_s, "tokens/s")));
  if (m.slo_attainment && m.goodput_requests_per_s) {
    std::vector<std::string> slos;
    if (m.ttft_slo_s) slos.push_back("TTFT \u2264 " + with_unit(*m.ttft_slo_s, "s"));
    if (m.tpot_slo_s) slos.push_back("TPOT \u2264 " + with_unit(*m.tpot_slo_s, "s"));
    rows.emplace_back("SLOs", join(slos, ", "));
    rows.emplace_back("goodput", fmt::format("{} ({} of all requests met every SLO)", big(*m.goodput_requests_per_s, "requests/s"),
                                             percent(*m.slo_attainment)));
  }
  rows.emplace_back("energy", with_unit(m.energy_j, "J"));
  if (m.energy_per_output_token_j)
    rows.emplace_back("energy per output token", with_unit(*m.energy_per_output_token_j, "J"));
  if (m.energy_per_request_j) rows.emplace_back("energy per finished request", with_unit(*m.energy_per_request_j, "J"));
  rows.emplace_back("batching", fmt::format("{} iterations; {} tokens per iteration (max {}); decode batch {}", m.iterations,
                                            g4(m.mean_tokens_per_iteration), m.max_tokens_per_iteration,
                                            g4(m.mean_decode_batch)));
  rows.emplace_back("KV cache in use", fmt::format("{} mean (time-weighted over iterations), {} peak",
                                                   percent(m.kv_used_fraction_mean), percent(m.kv_used_fraction_peak)));
  s += kv_table("serving", rows);

  Table lat{"serving-latency", {"latency", "requests", "mean", "p50", "p90", "p99", "max"}, {false, true, true, true, true, true, true}, {}};
  const auto row = [&](const std::string& name, const LatencyStats& l) {
    if (l.count == 0) {
      lat.row({name, "0", "-", "-", "-", "-", "-"});
      return;
    }
    lat.row({name, std::to_string(l.count), with_unit(l.mean, "s"), with_unit(l.p50, "s"), with_unit(l.p90, "s"),
             with_unit(l.p99, "s"), with_unit(l.max, "s")});
  };
  row("TTFT", m.ttft);
  row("TPOT", m.tpot);
  row("end to end", m.e2e);
  row("queueing", m.queueing);
  s += lat.html();
  s += note("Over the finished requests; percentiles interpolate linearly between the closest ranks (NumPy's default).");
  s += latency_cdf_plot("plot-serving-ttft", "TTFT", m.ttft_cdf);
  s += latency_cdf_plot("plot-serving-tpot", "TPOT", m.tpot_cdf);
  s += latency_cdf_plot("plot-serving-e2e", "end-to-end latency", m.e2e_cdf);
  if (r.serving_series) s += serving_series_plots(*r.serving_series);

  if (!m.instances.empty()) {
    Table inst{"serving-instances", {"instance", "iterations", "busy", "busy share of T"}, {true, true, true, true}, {}};
    if (m.instances.size() <= kMaxRankBars) {
      for (const InstanceUse& u : m.instances)
        inst.row({std::to_string(u.instance), std::to_string(u.iterations), with_unit(u.busy_s, "s"), percent(u.busy_fraction)});
      s += inst.html();
    } else {
      const auto [lo, hi] = std::minmax_element(m.instances.begin(), m.instances.end(), [](const InstanceUse& a, const InstanceUse& b) {
        return a.busy_fraction < b.busy_fraction;
      });
      double sum = 0.0;
      for (const InstanceUse& u : m.instances) sum += u.busy_fraction;
      s += note(fmt::format("{} instances busy {} of T on average; least busy: instance {} ({}), busiest: instance {} ({}).",
                            m.instances.size(), percent(sum / static_cast<double>(m.instances.size())), lo->instance,
                            percent(lo->busy_fraction), hi->instance, percent(hi->busy_fraction)));
    }
  }
  return s;
}

// ---- sweep report -------------------------------------------------------------------------------

// `text` as a plain number (the whole of it), or nothing.
std::optional<double> plain_number(const std::string& text) {
  double v = 0.0;
  const char* b = text.data();
  const char* e = b + text.size();
  if (b != e && *b == '+') ++b;
  const auto [ptr, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || ptr != e || !std::isfinite(v)) return std::nullopt;
  return v;
}

// The unit of a check metric from its name's suffix (docs/check.md).
std::string metric_unit(const std::string& name) {
  const auto ends = [&](std::string_view sfx) {
    return name.size() >= sfx.size() && name.compare(name.size() - sfx.size(), sfx.size(), sfx) == 0;
  };
  if (ends("tokens_per_s")) return "tokens/s";
  if (ends("_mhz")) return "MHz";
  if (ends("_bytes")) return "B";
  if (ends("_s")) return "s";
  if (ends("_j")) return "J";
  if (ends("_w")) return "W";
  if (ends("_c")) return "\u00b0C";
  return "";
}

std::string slug(const std::string& s) {
  std::string out;
  for (const char c : s) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out += keep ? c : '-';
  }
  return out;
}

const double* metric_of(const SweepRow& row, const std::string& name) {
  for (const auto& [k, v] : row.metrics)
    if (k == name) return &v;
  return nullptr;
}

// Index of `value` among the axis' values, or the number of values when absent.
std::size_t value_index(const SweepAxis& a, const std::string& value) {
  return static_cast<std::size_t>(std::find(a.values.begin(), a.values.end(), value) - a.values.begin());
}

// The plot(s) of one metric: x = axis 0; one series per combination of axes `first_series`...;
// rows restricted to those with axis 1 == `fixed` when `fixed` is set.
std::string sweep_plot(const SweepTable& t, const std::string& metric, const std::string& id, const std::string& title,
                       std::size_t first_series, std::optional<std::size_t> fixed) {
  const SweepAxis& ax = t.axes[0];
  std::vector<double> xs;
  bool numeric = true;
  for (const auto& v : ax.values) {
    const auto n = plain_number(v);
    numeric = numeric && n.has_value();
    xs.push_back(n.value_or(0.0));
  }
  const std::string unit = metric_unit(metric);
  double max_abs = 0.0;
  for (const auto& row : t.rows)
    if (const double* v = metric_of(row, metric); row.ok && v != nullptr && std::isfinite(*v)) max_abs = std::max(max_abs, std::fabs(*v));
  const svg::Scale sc = svg::display_scale(unit, max_abs);

  // Series: the combinations of axes first_series.. in grid order (the last axis fastest).
  std::size_t combos = 1;
  for (std::size_t a = first_series; a < t.axes.size(); ++a) combos *= std::max<std::size_t>(1, t.axes[a].values.size());
  std::vector<svg::Series> series(combos);
  for (std::size_t c = 0; c < combos; ++c) {
    std::vector<std::string> parts;
    std::size_t rest = c;
    for (std::size_t a = t.axes.size(); a-- > first_series;) {
      const std::size_t size = std::max<std::size_t>(1, t.axes[a].values.size());
      const std::size_t i = rest % size;
      rest /= size;
      if (i < t.axes[a].values.size()) parts.insert(parts.begin(), t.axes[a].key + "=" + t.axes[a].values[i]);
    }
    series[c].name = parts.empty() ? metric : join(parts, ", ");
    series[c].x.assign(ax.values.size(), 0.0);
    series[c].y.assign(ax.values.size(), kNaN);
    for (std::size_t i = 0; i < ax.values.size(); ++i) series[c].x[i] = numeric ? xs[i] : static_cast<double>(i);
  }
  svg::LinePlot p;
  for (const auto& row : t.rows) {
    if (row.values.size() != t.axes.size()) continue;
    if (fixed && value_index(t.axes[1], row.values[1]) != *fixed) continue;
    const std::size_t xi = value_index(ax, row.values[0]);
    if (xi >= ax.values.size()) continue;
    std::size_t c = 0;
    bool found = true;
    for (std::size_t a = first_series; a < t.axes.size(); ++a) {
      const std::size_t i = value_index(t.axes[a], row.values[a]);
      found = found && i < t.axes[a].values.size();
      c = c * std::max<std::size_t>(1, t.axes[a].values.size()) + i;
    }
    if (!found || c >= combos) continue;
    if (!row.ok) {
      p.x_marks.emplace_back(series[c].x[xi], fmt::format("point {} ({}) failed: {}", row.point, join(row.values, ", "), row.error));
      continue;
    }
    if (const double* v = metric_of(row, metric)) series[c].y[xi] = *v * sc.factor;
  }
  // Numeric axes may list values out of order: draw each line left to right.
  if (numeric)
    for (auto& se : series) {
      std::vector<std::size_t> order(se.x.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return se.x[a] < se.x[b]; });
      svg::Series sorted{se.name, {}, {}, se.color};
      for (const std::size_t i : order) {
        sorted.x.push_back(se.x[i]);
        sorted.y.push_back(se.y[i]);
      }
      se = sorted;
    }
  p.id = id;
  p.title = title;
  p.x_label = ax.key;
  p.y_label = sc.unit.empty() ? metric : fmt::format("{} ({})", metric, sc.unit);
  p.unit = sc.unit;
  p.points = true;
  if (!numeric) p.x_categories = ax.values;
  p.series = std::move(series);
  return svg::line_plot(p);
}

}  // namespace

std::string report_html(const RunResult& r) {
  std::string s = page_open("racksim \u2014 " + r.scenario_name);
  s += header_section(r);
  if (r.serving) s += serving_section(r);
  s += step_section(r);
  s += ranks_section(r);
  s += power_section(r);
  s += collectives_section(r);
  s += fabric_section(r);
  return valid_utf8(s + page_close());  // input strings that are not UTF-8 (core/utf8.hpp), plots included
}

std::string sweep_report_html(const SweepTable& t, const std::vector<std::string>& metrics) {
  std::string s = page_open("racksim sweep \u2014 " + t.scenario);
  s += fmt::format("<h1>racksim sweep: {}</h1>\n", escape(t.scenario));
  std::size_t failed = 0;
  for (const auto& row : t.rows) failed += row.ok ? 0 : 1;
  std::vector<std::pair<std::string, std::string>> rows;
  rows.emplace_back("scenario", t.scenario);
  for (const auto& a : t.axes) rows.emplace_back("axis " + a.key, join(a.values, ", "));
  rows.emplace_back("points", fmt::format("{} of {} done, {} failed", t.rows.size(), t.points, failed));
  s += kv_table("header", rows);

  s += "<h2 id=\"plots\">Metrics</h2>\n";
  if (t.axes.empty()) {
    s += note("The sweep has no axis: nothing to plot.");
  } else {
    std::set<std::string> ids;
    for (const auto& m : metrics) {
      std::string id = "plot-" + slug(m);
      while (!ids.insert(id).second) id += "-x";
      std::size_t combos = 1;
      for (std::size_t a = 1; a < t.axes.size(); ++a) combos *= std::max<std::size_t>(1, t.axes[a].values.size());
      if (t.axes.size() >= 3 && combos > kMaxSeries) {
        // Small multiples: one plot per value of the second axis.
        const SweepAxis& second = t.axes[1];
        for (std::size_t k = 0; k < second.values.size(); ++k)
          s += sweep_plot(t, m, fmt::format("{}-{}", id, k + 1), fmt::format("{} ({}={})", m, second.key, second.values[k]), 2, k);
      } else {
        s += sweep_plot(t, m, id, m, 1, std::nullopt);
      }
    }
    if (failed > 0) s += note("A red cross on the x axis marks a failed point; hover it for the error.");
  }

  // Every row, failed points with their error.
  std::vector<std::string> names;
  for (const auto& row : t.rows)
    for (const auto& [k, v] : row.metrics)
      if (std::find(names.begin(), names.end(), k) == names.end()) names.push_back(k);
  s += "<h2 id=\"rows\">All points</h2>\n<table class=\"sweep-rows\">\n<tr><th>point</th>";
  for (const auto& a : t.axes) s += fmt::format("<th>{}</th>", escape(a.key));
  s += "<th>status</th>";
  for (const auto& n : names) {
    const std::string unit = metric_unit(n);
    s += fmt::format("<th>{}</th>", escape(unit.empty() ? n : n + " (" + unit + ")"));
  }
  s += "</tr>\n";
  for (const auto& row : t.rows) {
    s += fmt::format("<tr{}><td class=\"num\">{}</td>", row.ok ? "" : " class=\"failed\"", row.point);
    for (std::size_t a = 0; a < t.axes.size(); ++a) s += fmt::format("<td>{}</td>", escape(a < row.values.size() ? row.values[a] : ""));
    if (!row.ok) {
      s += fmt::format("<td>failed</td><td class=\"error\" colspan=\"{}\">{}</td></tr>\n", std::max<std::size_t>(1, names.size()),
                       escape(row.error));
      continue;
    }
    s += "<td>ok</td>";
    for (const auto& n : names) {
      const double* v = metric_of(row, n);
      s += fmt::format("<td class=\"num\">{}</td>", v ? fmt::format("{:.6g}", *v) : "");
    }
    s += "</tr>\n";
  }
  s += "</table>\n";
  return valid_utf8(s + page_close());  // axis values or errors that are not UTF-8 (core/utf8.hpp)
}

}  // namespace racksim
