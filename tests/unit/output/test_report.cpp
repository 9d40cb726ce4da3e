// Unit tests for report.html (sim/output/report.cpp) and its SVG plotter (sim/output/svg_plot.cpp): 1-2-5 ticks
// and their labels, escaping, display units; a hand-built run's page (plot ids, escaped text,
// hand-derived tooltip values, no network references, byte-identical output, bounded size with
// 1,152 ranks); sweep pages with 1, 2 and 3 axes and failed points; and both pages rendered in
// headless Chromium without console errors (skipped when Chromium is absent, unless
// RACKSIM_REQUIRE_CHROMIUM=1).
#include "sim/output/report.hpp"
#include "sim/output/results.hpp"
#include "sim/output/svg_plot.hpp"
#include "sim/output/sweep_table.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

using namespace racksim;
namespace fs = std::filesystem;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool contains(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

// The <svg ...> element whose id is `id`, or "" when there is none.
std::string svg_element(const std::string& html, const std::string& id) {
  const auto at = html.find("<svg class=\"plot\" id=\"" + id + "\"");
  if (at == std::string::npos) return "";
  const auto end = html.find("</svg>", at);
  return end == std::string::npos ? "" : html.substr(at, end - at);
}

// No reference that would make the browser fetch something: no scripts or style sheets from
// files or the network, no url(...), no http(s) address at all.
void check_self_contained(const std::string& html) {
  CHECK_FALSE(contains(html, "http://"));
  CHECK_FALSE(contains(html, "https://"));
  CHECK_FALSE(contains(html, "<script"));
  CHECK_FALSE(contains(html, "<link"));
  CHECK_FALSE(contains(html, "url("));
  CHECK_FALSE(contains(html, "src="));
  CHECK_FALSE(contains(html, "@import"));
}

// A 4-rank training step of T = 10 ms on 2 racks (values chosen so the means are exact).
RunResult small_run() {
  RunResult r;
  r.scenario_name = "tiny <rack> & \"friends\"";
  r.scenario_file = "tiny.yaml";
  r.overrides = {"cluster.domains=1"};
  r.domains = 1;
  r.gpus = 4;
  r.gpu_id = "test_gpu";
  r.gpu_model = "roofline (no calibration)";
  r.scale_up_kind = "switched";
  r.scale_out_kind = "none";
  r.workload_kind = "transformer_training";
  r.workload_name = "tiny-step";
  r.ranks = 4;
  r.ops = 40;
  r.simgrid_version = "3.32";
  r.simulated_time_s = 0.010;
  r.hbm_capacity = 1000;
  // (compute, exposed comm, idle) per rank, ms: (6,3,1) (6,2,2) (5,3,2) (7,0,3) — each adds up to 10.
  const double ms = 1e-3;
  const double rows[4][3] = {{6, 3, 1}, {6, 2, 2}, {5, 3, 2}, {7, 0, 3}};
  for (int i = 0; i < 4; ++i) {
    RankBreakdown b;
    b.rank = i;
    b.gpu = fmt::format("gpu{}", i);
    b.compute_s = rows[i][0] * ms;
    b.comm_s = rows[i][1] * ms;
    b.idle_s = rows[i][2] * ms;
    b.comm_total_s = b.comm_s + 1 * ms;
    b.finish_s = 10 * ms;
    b.hbm_peak = 500 + static_cast<std::uint64_t>(i);
    r.per_rank.push_back(b);
  }
  TrainingMetrics t;
  t.step_time_s = 10 * ms;
  t.tokens_per_s = 819200;
  t.tokens_per_s_per_gpu = 204800;
  t.mfu = 0.4;
  t.hfu = 0.5;
  t.achieved_flops_per_gpu = 4e14;
  t.peak_flops_per_gpu = 1e15;
  t.peak_precision = "bf16";
  t.pipeline_bubble_fraction = 0.2;
  t.exposed_comm_s = {{"tp", 1.5 * ms}, {"pp", 0.5 * ms}, {"dp", 0.25 * ms}};
  t.comm_total_s = {{"tp", 2 * ms}, {"pp", 1 * ms}, {"dp", 1 * ms}};
  r.training = t;
  // Two racks, two 5 ms windows; no HBM temperature (NaN).
  for (const double time : {0.005, 0.010})
    for (int rack = 0; rack < 2; ++rack) {
      PowerSample s;
      s.time = time;
      s.rack = rack;
      s.rack_power_w = 100000.0 + 10000.0 * rack;
      s.gpu_power_avg_w = 900.0;
      s.gpu_power_max_w = 1000.0 + 100.0 * rack;
      s.clock_avg_mhz = 2000.0;
      s.clock_min_mhz = 1800.0;
      s.junction_max_c = 70.0 + rack;
      s.hbm_max_c = kNaN;
      s.coolant_out_c = 40.0;
      r.power_samples.push_back(s);
    }
  PowerSummary p;
  p.rack_entry = "test_rack";
  p.gpu_avg_w = 900.0;
  p.gpu_peak_w = 1100.0;
  p.rack_avg_w = 105000.0;
  p.rack_peak_w = 110000.0;
  p.it_avg_w = 210000.0;
  p.site_avg_w = 231000.0;
  p.site_model = "PUE 1.1";
  p.energy_j = 2100.0;
  p.site_energy_j = 2310.0;
  p.breakdown_w = {{"gpus", 200000.0}, {"pumps_fans", 31000.0}};
  p.clock_avg_mhz = 2000.0;
  p.clock_min_mhz = 1800.0;
  p.reference_clock_mhz = 2100.0;
  p.throttle_limit = "none";
  p.thermal = true;
  r.power = p;
  CollectiveUse c;
  c.kind = "all_reduce";
  c.algorithm = "ring";
  c.protocol = "simple";
  c.chosen = true;
  c.calls = 3;
  c.bytes = 3e6;
  r.collectives.push_back(c);
  r.fabric.multipath = "ecmp";
  r.reduction.fidelity = "auto";
  r.reduction.reason = "only <generated> steps";
  return r;
}

SweepRow sweep_row(std::size_t point, std::vector<std::string> values, double time, double mfu) {
  SweepRow r;
  r.point = point;
  r.values = std::move(values);
  r.metrics = {{"simulated_time_s", time}, {"workload.mfu", mfu}};
  return r;
}

// cluster.domains in {1, 2, 4} x collectives.algorithm in {ring, direct}; point 3 (2, direct) failed.
SweepTable two_axis_sweep() {
  SweepTable t;
  t.scenario = "tiny.yaml";
  t.axes = {{"cluster.domains", {"1", "2", "4"}}, {"collectives.algorithm", {"ring", "direct"}}};
  t.points = 6;
  t.rows = {sweep_row(0, {"1", "ring"}, 0.004, 0.5), sweep_row(1, {"1", "direct"}, 0.003, 0.55),
            sweep_row(2, {"2", "ring"}, 0.005, 0.45)};
  SweepRow failed;
  failed.point = 3;
  failed.values = {"2", "direct"};
  failed.ok = false;
  failed.error = "deadlock: rank 3 waits for <rank 7> & \"never\" posts";
  t.rows.push_back(failed);
  t.rows.push_back(sweep_row(4, {"4", "ring"}, 0.006, 0.4));
  t.rows.push_back(sweep_row(5, {"4", "direct"}, 0.0055, 0.42));
  return t;
}

// ---- headless Chromium --------------------------------------------------------------------------

std::string find_chromium() {
  if (const char* e = std::getenv("RACKSIM_CHROMIUM"); e != nullptr && *e != '\0') return e;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    for (const char* name : {"chromium", "chromium-browser", "google-chrome"})
      if (!dir.empty() && fs::exists(fs::path(dir) / name)) return (fs::path(dir) / name).string();
  return "";
}

bool chromium_required() {
  const char* e = std::getenv("RACKSIM_REQUIRE_CHROMIUM");
  return e != nullptr && std::string(e) == "1";
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Rendered {
  int status = -1;
  std::string dom;
  std::vector<std::string> console;  // console messages and uncaught exceptions
};

// Renders `html` (a file) in headless Chromium with its own profile folder under `dir`; returns
// the DOM after scripts and what went to the console. Chromium 156 logs every console message
// and uncaught exception with --enable-logging=stderr as
//   [pid:tid:date:INFO:CONSOLE:2] "message", source: file:///... (2)
// whatever its level (console.error and console.log look the same), older versions as
// "...:CONSOLE(2)] ...". A page that logs nothing is the only clean page: every CONSOLE line
// counts. Checked against a page with a deliberate console.error and an undefined function in
// the "Chromium's console detection" test below.
Rendered render(const std::string& chromium, const fs::path& html, const fs::path& dir, const std::string& name) {
  const fs::path dom = dir / (name + ".dom.html");
  const fs::path log = dir / (name + ".log");
  const std::string cmd = fmt::format(
      "timeout 60 '{}' --headless=new --no-sandbox --disable-gpu --no-first-run --disable-background-networking --disable-component-update --disable-sync --disable-quic --user-data-dir='{}' "
      "--virtual-time-budget=2000 --enable-logging=stderr --v=0 --dump-dom 'file://{}' > '{}' 2> '{}' < /dev/null",
      chromium, (dir / (name + "-profile")).string(), fs::absolute(html).string(), dom.string(), log.string());
  Rendered r;
  r.status = std::system(cmd.c_str());
  r.dom = slurp(dom);
  std::stringstream lines(slurp(log));
  std::string line;
  while (std::getline(lines, line))
    if (contains(line, ":CONSOLE") || contains(line, "CONSOLE(") || contains(line, "Uncaught")) r.console.push_back(line);
  return r;
}

// A scratch folder for one test, removed at the end.
struct ScratchDir {
  fs::path path;
  explicit ScratchDir(const std::string& name)
      : path(fs::temp_directory_path() / fmt::format("racksim-test-report-{}-{}", name, ::getpid())) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
};

// Chromium's path, or "" after a WARN (absent: skipped) or a FAIL (absent but required).
std::string chromium_or_skip() {
  const std::string c = find_chromium();
  if (c.empty()) {
    if (chromium_required()) FAIL("RACKSIM_REQUIRE_CHROMIUM=1 but no chromium on PATH (or RACKSIM_CHROMIUM)");
    WARN("SKIPPED: no chromium on PATH (set RACKSIM_CHROMIUM=/path/to/chromium to run this test)");
  }
  return c;
}

}  // namespace

// ---- ticks, labels, escaping, units -------------------------------------------------------------

TEST_CASE("ticks: the smallest 1-2-5 step with at most 6 ticks", "[report][svg]") {
  // 0..7.3: step 1 needs 0..8 = 9 ticks (> 6); step 2 covers 0..8 with 5.
  auto t = svg::nice_ticks(0.0, 7.3);
  CHECK(t.step == Approx(2.0));
  REQUIRE(t.values.size() == 5);
  for (std::size_t i = 0; i < 5; ++i) CHECK(t.values[i] == Approx(2.0 * static_cast<double>(i)));
  CHECK(svg::tick_labels(t) == std::vector<std::string>{"0", "2", "4", "6", "8"});

  // 0..1: step 0.1 needs 11 ticks; step 0.2 gives 0, 0.2, ..., 1 (6), printed with one decimal.
  t = svg::nice_ticks(0.0, 1.0);
  CHECK(t.step == Approx(0.2));
  REQUIRE(t.values.size() == 6);
  CHECK(t.values.back() == Approx(1.0));
  CHECK(svg::tick_labels(t) == std::vector<std::string>{"0", "0.2", "0.4", "0.6", "0.8", "1.0"});

  // -3..12: step 2 needs -4..12 = 9 ticks; step 5 covers -5..15 with 5.
  t = svg::nice_ticks(-3.0, 12.0);
  CHECK(t.step == Approx(5.0));
  REQUIRE(t.values.size() == 5);
  CHECK(t.values.front() == Approx(-5.0));
  CHECK(t.values.back() == Approx(15.0));

  // 0.0012..0.0047: step 0.0005 needs 0.001..0.005 = 9 ticks; step 0.001 covers it with 5.
  t = svg::nice_ticks(0.0012, 0.0047);
  CHECK(t.step == Approx(0.001));
  REQUIRE(t.values.size() == 5);
  CHECK(t.values.front() == Approx(0.001));
  CHECK(t.values.back() == Approx(0.005));

  // 0..1.4e6: step 2e5 needs 8 ticks; 5e5 covers 0..1.5e6 with 4; labelled in M with 0.5's decimal.
  t = svg::nice_ticks(0.0, 1.4e6);
  CHECK(t.step == Approx(5e5));
  CHECK(svg::tick_labels(t) == std::vector<std::string>{"0", "0.5M", "1.0M", "1.5M"});

  // An empty span is widened: 0 -> [0, 1] (step 0.2); 5 -> [4.5, 5.5]: step 0.2 needs 4.4..5.6 =
  // 7 ticks, step 0.5 gives 4.5, 5.0, 5.5.
  t = svg::nice_ticks(0.0, 0.0);
  CHECK(t.values.front() == 0.0);
  CHECK(t.values.back() == Approx(1.0));
  t = svg::nice_ticks(5.0, 5.0);
  CHECK(t.step == Approx(0.5));
  REQUIRE(t.values.size() == 3);
  CHECK(t.values.front() == Approx(4.5));
  // Non-finite bounds fall back to [0, 1].
  t = svg::nice_ticks(kNaN, 3.0);
  CHECK(t.values.back() == Approx(1.0));
}

TEST_CASE("escape: the five HTML special characters", "[report][svg]") {
  CHECK(svg::escape("a<b & \"c\" 'd'>") == "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
  CHECK(svg::escape("plain") == "plain");
}

TEST_CASE("display units: seconds go down, watts/joules/bytes go up", "[report][svg]") {
  // 0.0123 s is between 1 ms and 1 s: shown in ms (x 1000).
  auto s = svg::display_scale("s", 0.0123);
  CHECK(s.unit == "ms");
  CHECK(s.factor == Approx(1e3));
  CHECK(svg::with_unit(0.0123, "s") == "12.3 ms");
  // 4.2e-5 s: in us.
  CHECK(svg::display_scale("s", 4.2e-5).unit == "\u00b5s");
  // 123456 W: kW; 3e6 B: MB; MHz is never prefixed.
  CHECK(svg::with_unit(123456.0, "W") == "123.5 kW");
  CHECK(svg::with_unit(3e6, "B") == "3 MB");
  CHECK(svg::display_scale("MHz", 2e3).unit == "MHz");
  CHECK(svg::with_unit(kNaN, "W") == "n/a");
}

// ---- the run's page -----------------------------------------------------------------------------

TEST_CASE("run report: plots, escaped text, hand-derived values, no network", "[report]") {
  const RunResult r = small_run();
  const std::string html = report_html(r);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(contains(html, "<meta charset=\"utf-8\">"));
  check_self_contained(html);

  // Every plot, each with drawn content.
  for (const char* id : {"plot-step", "plot-ranks", "plot-power", "plot-gpu-power", "plot-clock", "plot-temp"}) {
    INFO(id);
    const std::string svg = svg_element(html, id);
    REQUIRE_FALSE(svg.empty());
    CHECK((contains(svg, "<rect") || contains(svg, "<path")));
    CHECK(contains(svg, "<text"));  // ticks, labels, legend
  }
  // 4 ranks: one bar per rank, no histogram.
  CHECK_FALSE(contains(html, "id=\"plot-rank-hist\""));

  // The scenario name is escaped wherever it appears; the raw text never.
  CHECK(contains(html, "tiny &lt;rack&gt; &amp; &quot;friends&quot;"));
  CHECK_FALSE(contains(html, "<rack>"));
  CHECK(contains(html, "only &lt;generated&gt; steps"));

  // plot-step, the mean rank: compute (6+6+5+7)/4 = 6 ms, exposed comm (3+2+3+0)/4 = 2 ms,
  // idle (1+2+2+3)/4 = 2 ms. Longest bar 10 ms: shown in ms.
  const std::string step = svg_element(html, "plot-step");
  CHECK(contains(step, "mean rank \u2014 compute: 6 ms"));
  CHECK(contains(step, "mean rank \u2014 exposed comm: 2 ms"));
  CHECK(contains(step, "mean rank \u2014 idle: 2 ms"));
  CHECK(contains(step, "time (ms)"));
  // Exposed comm by dimension: tp 1.5, pp 0.5, dp 0.25 ms.
  CHECK(contains(step, "exposed comm by dimension \u2014 exposed tp: 1.5 ms"));
  CHECK(contains(step, "exposed comm by dimension \u2014 exposed dp: 0.25 ms"));
  // Pipeline bubble: 0.2 x T = 0.2 x 10 ms = 2 ms.
  CHECK(contains(step, "pipeline bubble \u2014 bubble (upper bound): 2 ms"));

  // Throughput 819,200 tokens/s = 819.2 k; per GPU 819,200 / 4 = 204,800 = 204.8 k.
  CHECK(contains(html, "819.2 k tokens/s (204.8 k tokens/s per GPU)"));
  CHECK(contains(html, "40.0 % / 50.0 %"));  // MFU 0.4, HFU 0.5

  // plot-ranks: rank 3 computes 7 ms and is idle 3 ms.
  const std::string ranks = svg_element(html, "plot-ranks");
  CHECK(contains(ranks, "3 \u2014 compute: 7 ms"));
  CHECK(contains(ranks, "3 \u2014 idle: 3 ms"));
  // 4 ranks x 3 segments, less rank 3's empty comm, and 3 legend boxes: 14 rectangles.
  CHECK(count(ranks, "<rect") == 4 * 3 - 1 + 3);

  // plot-power: two racks, one line each; 100 kW and 110 kW: in kW, axis from 0 (y_from_zero):
  // step 20 would need 0..120 = 7 ticks, step 50 gives 0, 50, 100, 150.
  const std::string power = svg_element(html, "plot-power");
  CHECK(contains(power, ">rack 0<"));
  CHECK(contains(power, ">rack 1<"));
  CHECK(contains(power, "power (kW)"));
  CHECK(contains(power, ">150<"));
  // Time axis: windows end at 5 and 10 ms.
  CHECK(contains(power, "simulated time (ms)"));
  // plot-temp: HBM is NaN everywhere, so only the junction and the coolant are drawn.
  const std::string temp = svg_element(html, "plot-temp");
  CHECK(contains(temp, "hottest GPU junction"));
  CHECK(contains(temp, "coolant out"));
  CHECK_FALSE(contains(temp, "hottest HBM"));
  CHECK_FALSE(contains(temp, "nan"));
  // Power summary: rack 105 kW average / 110 kW peak; energy 2.1 kJ.
  CHECK(contains(html, "105 kW / 110 kW"));
  CHECK(contains(html, "2.1 kJ / 2.31 kJ"));
  // Collectives: 3 calls of 3 MB in all.
  CHECK(contains(html, "<td>all_reduce</td><td>ring</td><td>simple</td><td>chosen by the run</td><td class=\"num\">3</td><td class=\"num\">3 MB</td>"));

  // Deterministic.
  CHECK(report_html(r) == html);
}

TEST_CASE("run report: a trace run without training, power or samples still renders", "[report]") {
  RunResult r;
  r.scenario_name = "bare";
  r.workload_kind = "trace";
  r.simulated_time_s = 2e-6;
  RankBreakdown b;
  b.compute_s = 1e-6;
  b.idle_s = 1e-6;
  r.per_rank = {b};
  const std::string html = report_html(r);
  check_self_contained(html);
  // 1 us compute + 1 us idle: shown in us.
  CHECK(contains(svg_element(html, "plot-step"), "mean rank \u2014 compute: 1 \u00b5s"));
  CHECK(contains(html, "recorded no power samples"));
  CHECK_FALSE(contains(html, "id=\"plot-power\""));
  CHECK(contains(html, "no collective calls"));
}

TEST_CASE("run report: 1152 ranks and 16 racks stay small", "[report]") {
  RunResult r = small_run();
  r.per_rank.clear();
  r.power_samples.clear();
  // 1,152 ranks; rank i computes (i % 10 + 0.25) ms of T = 10 ms (a quarter of a ms keeps the
  // shares k / 10 + 2.5 % away from the histogram's bin edges).
  for (int i = 0; i < 1152; ++i) {
    RankBreakdown b;
    b.rank = i;
    b.compute_s = (i % 10 + 0.25) * 1e-3;
    b.idle_s = 0.010 - b.compute_s;
    r.per_rank.push_back(b);
  }
  // 16 racks x 5,000 windows of 2 us.
  for (int w = 1; w <= 5000; ++w)
    for (int rack = 0; rack < 16; ++rack) {
      PowerSample s;
      s.time = w * 2e-6;
      s.rack = rack;
      s.rack_power_w = 100000.0 + rack + (w % 7);
      s.gpu_power_avg_w = 900.0;
      s.gpu_power_max_w = 1000.0;
      s.clock_avg_mhz = 2000.0;
      s.clock_min_mhz = 1900.0;
      s.junction_max_c = 70.0;
      s.hbm_max_c = 75.0;
      s.coolant_out_c = 40.0;
      r.power_samples.push_back(s);
    }
  const std::string html = report_html(r);
  CHECK(html.size() < 2u * 1024u * 1024u);
  check_self_contained(html);
  // ceil(1152 / 64) = 18 ranks per bar: 64 bars, the first 0-17, the last 1134-1151.
  const std::string ranks = svg_element(html, "plot-ranks");
  CHECK(contains(ranks, "group of 18 ranks"));
  CHECK(contains(ranks, ">0\u201317 \u2014 compute:"));
  CHECK(contains(ranks, ">1134\u20131151 \u2014 compute:"));
  // The histogram of compute / T: ranks with i % 10 = k compute 10k + 2.5 % of T, in the bin
  // 10k..10k+5 %: 0-5 %, 10-15 %, ..., 90-95 % hold 115 or 116 ranks each: 1152 = 115 x 10 + 2,
  // so k = 0 and 1 have 116 ranks, the others 115.
  const std::string hist = svg_element(html, "plot-rank-hist");
  REQUIRE_FALSE(hist.empty());
  CHECK(contains(hist, "0\u20135 % \u2014 ranks: 116 ranks"));
  CHECK(contains(hist, "10\u201315 % \u2014 ranks: 116 ranks"));
  CHECK(contains(hist, "20\u201325 % \u2014 ranks: 115 ranks"));
  // 16 racks > 8: max, mean and min over racks instead of one line each.
  const std::string power = svg_element(html, "plot-power");
  CHECK(contains(power, ">max over racks<"));
  CHECK_FALSE(contains(power, ">rack 15<"));
}

// ---- the sweep's page ---------------------------------------------------------------------------

TEST_CASE("sweep report: 2 axes, one line per value of the second, the failed point and its error", "[report]") {
  const SweepTable t = two_axis_sweep();
  const std::vector<std::string> metrics = {"simulated_time_s", "workload.mfu"};
  const std::string html = sweep_report_html(t, metrics);
  check_self_contained(html);
  const std::string time = svg_element(html, "plot-simulated_time_s");
  const std::string mfu = svg_element(html, "plot-workload-mfu");
  REQUIRE_FALSE(time.empty());
  REQUIRE_FALSE(mfu.empty());
  // One series per algorithm.
  CHECK(contains(time, ">collectives.algorithm=ring<"));
  CHECK(contains(time, ">collectives.algorithm=direct<"));
  CHECK(count(time, "<g class=\"series\">") == 2);
  // Times up to 6 ms: in ms; x numeric (1, 2, 4): ticks 1..4 by 1 (step 0.5 would need 7).
  CHECK(contains(time, "simulated_time_s (ms)"));
  CHECK(contains(time, "collectives.algorithm=ring: 4 = 6 ms"));
  // The failed point, marked on the plot and listed with its escaped error.
  CHECK(contains(time, "class=\"failed\""));
  CHECK(contains(html, "deadlock: rank 3 waits for &lt;rank 7&gt; &amp; &quot;never&quot; posts"));
  CHECK_FALSE(contains(html, "<rank 7>"));
  CHECK(contains(html, "<tr class=\"failed\"><td class=\"num\">3</td><td>2</td><td>direct</td><td>failed</td>"));
  // The table of all points: a header row and 6 rows, one of them failed.
  const auto table_at = html.find("<table class=\"sweep-rows\">");
  REQUIRE(table_at != std::string::npos);
  const std::string table = html.substr(table_at, html.find("</table>", table_at) - table_at);
  CHECK(count(table, "<tr") == 1 + 6);
  CHECK(count(table, "<tr class=\"failed\">") == 1);
  CHECK(contains(html, "6 of 6 done, 1 failed"));
  CHECK(sweep_report_html(t, metrics) == html);
}

TEST_CASE("sweep report: 1 axis, categorical values, 3 axes as small multiples", "[report]") {
  SECTION("one categorical axis: one series named after the metric, values evenly spaced") {
    SweepTable t;
    t.scenario = "x.yaml";
    t.axes = {{"collectives.algorithm", {"ring", "tree", "100 GB/s"}}};
    t.points = 3;
    t.rows = {sweep_row(0, {"ring"}, 1.0, 0.1), sweep_row(1, {"tree"}, 2.0, 0.2), sweep_row(2, {"100 GB/s"}, 3.0, 0.3)};
    const std::string html = sweep_report_html(t, {"simulated_time_s"});
    const std::string svg = svg_element(html, "plot-simulated_time_s");
    REQUIRE_FALSE(svg.empty());
    CHECK(count(svg, "<g class=\"series\">") == 1);
    CHECK(contains(svg, ">simulated_time_s<"));
    // Categorical: the values are the tick labels; tooltips name the category.
    CHECK(contains(svg, ">100 GB/s<"));
    CHECK(contains(svg, "simulated_time_s: tree = 2 s"));
  }
  SECTION("three axes with 4 x 4 = 16 > 12 combinations: one plot per value of the second axis") {
    SweepTable t;
    t.scenario = "x.yaml";
    t.axes = {{"a", {"1", "2"}}, {"b", {"x", "y", "z", "w"}}, {"c", {"p", "q", "r", "s"}}};
    t.points = 32;
    for (std::size_t i = 0; i < 32; ++i) {
      // point = ((a * 4) + b) * 4 + c, the last axis fastest
      const std::size_t a = i / 16, b = (i / 4) % 4, c = i % 4;
      t.rows.push_back(sweep_row(i, {t.axes[0].values[a], t.axes[1].values[b], t.axes[2].values[c]}, 1.0 + static_cast<double>(i), 0.5));
    }
    const std::string html = sweep_report_html(t, {"simulated_time_s"});
    for (int k = 1; k <= 4; ++k) {
      const std::string svg = svg_element(html, fmt::format("plot-simulated_time_s-{}", k));
      REQUIRE_FALSE(svg.empty());
      CHECK(count(svg, "<g class=\"series\">") == 4);  // c = p, q, r, s
    }
    // Plot 2 is b = y: the point (a=2, b=y, c=q) is 16 + 4 + 1 = 21, simulated_time 22 s.
    CHECK(contains(svg_element(html, "plot-simulated_time_s-2"), "c=q: 2 = 22 s"));
    CHECK_FALSE(contains(html, "id=\"plot-simulated_time_s\""));
  }
  SECTION("three axes with 2 x 2 = 4 combinations: one plot, series named by both") {
    SweepTable t;
    t.scenario = "x.yaml";
    t.axes = {{"a", {"1", "2"}}, {"b", {"x", "y"}}, {"c", {"p", "q"}}};
    t.points = 8;
    t.rows = {sweep_row(0, {"1", "x", "p"}, 1.0, 0.5), sweep_row(7, {"2", "y", "q"}, 2.0, 0.5)};
    const std::string svg = svg_element(sweep_report_html(t, {"simulated_time_s"}), "plot-simulated_time_s");
    CHECK(count(svg, "<g class=\"series\">") == 4);
    CHECK(contains(svg, ">b=y, c=q<"));
  }
  SECTION("a metric no row has: an empty plot that says so") {
    const std::string html = sweep_report_html(two_axis_sweep(), {"thermal.max_junction_c"});
    CHECK(contains(svg_element(html, "plot-thermal-max_junction_c"), "no data"));
  }
}

// ---- in a browser -------------------------------------------------------------------------------

TEST_CASE("Chromium's console detection catches a deliberate error", "[report][chromium]") {
  const std::string chromium = chromium_or_skip();
  if (chromium.empty()) return;
  ScratchDir dir("canary");
  std::ofstream(dir.path / "canary.html") << "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>c</title></head>"
                                             "<body><p id=\"canary\">x</p><script>console.error('canary-error');"
                                             "undefinedFunction();</script></body></html>\n";
  const Rendered r = render(chromium, dir.path / "canary.html", dir.path, "canary");
  REQUIRE(r.status == 0);
  CHECK(contains(r.dom, "id=\"canary\""));
  // Both the console.error and the uncaught ReferenceError must be seen, or the checks of the
  // reports below would pass whatever they logged.
  REQUIRE(r.console.size() >= 2);
  std::string all;
  for (const auto& l : r.console) all += l + "\n";
  CHECK(contains(all, "canary-error"));
  CHECK(contains(all, "Uncaught ReferenceError"));
}

TEST_CASE("run and sweep reports render in headless Chromium without console errors", "[report][chromium]") {
  const std::string chromium = chromium_or_skip();
  if (chromium.empty()) return;
  ScratchDir dir("pages");
  std::ofstream(dir.path / "run.html") << report_html(small_run());
  std::ofstream(dir.path / "sweep.html") << sweep_report_html(two_axis_sweep(), {"simulated_time_s", "workload.mfu"});
  const std::vector<std::pair<std::string, std::vector<std::string>>> pages = {
      {"run", {"plot-step", "plot-ranks", "plot-power", "plot-gpu-power", "plot-clock", "plot-temp"}},
      {"sweep", {"plot-simulated_time_s", "plot-workload-mfu"}}};
  for (const auto& [name, ids] : pages) {
    INFO(name);
    const Rendered r = render(chromium, dir.path / (name + ".html"), dir.path, name);
    REQUIRE(r.status == 0);
    std::string console;
    for (const auto& l : r.console) console += l + "\n";
    INFO("console:\n" << console);
    CHECK(r.console.empty());
    for (const auto& id : ids) {
      INFO(id);
      // The DOM as the browser parsed it: the svg is there and has drawn shapes.
      const auto at = r.dom.find("id=\"" + id + "\"");
      REQUIRE(at != std::string::npos);
      const std::string svg = r.dom.substr(at, r.dom.find("</svg>", at) - at);
      CHECK((contains(svg, "<rect") || contains(svg, "<path")));
    }
  }
}
