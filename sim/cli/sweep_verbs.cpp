// racksim cli: `racksim sweep` and `racksim merge` — the points run in children, resume, shards,
// the Slurm script and the merge (sweep_verbs.hpp).
#include "sim/cli/sweep_verbs.hpp"

#include "core/error.hpp"
#include "core/text.hpp"
#include "sim/cli/child_run.hpp"
#include "sim/cli/out_folder.hpp"
#include "sim/output/metrics.hpp"
#include "core/atomic_file.hpp"
#include "sim/cli/progress.hpp"
#include "sim/output/report.hpp"
#include "sim/engine/run.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/studies/sweep.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <thread>

namespace racksim {

namespace fs = std::filesystem;

namespace {

struct SweepOptions {
  std::string scenario;
  std::vector<std::string> axis_args;
  std::vector<std::string> sets;
  std::string out_dir;
  int jobs = 0;  // 0: the machine's cores
  std::optional<Shard> shard;
  std::optional<std::size_t> max_points;
  std::vector<std::string> metrics;
  std::string slurm_file;
  std::size_t slurm_shards = 0;
  bool report = true;
  bool quiet = false;
};

void check_metric_name(const std::string& m) {
  const auto& known = check_metric_names();
  if (std::find(known.begin(), known.end(), m) == known.end()) {
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    throw InputError(Location{fmt::format("--metric {}", m), 0, 0, ""}, fmt::format("unknown metric; known metrics: {}", list));
  }
}

std::vector<std::string> metrics_of(const ParsedArgs& a) {
  const std::vector<std::string> metrics = a.texts("--metric");
  for (const auto& m : metrics) check_metric_name(m);
  return metrics;
}

SweepOptions options_of(const ParsedArgs& a) {
  SweepOptions o;
  o.scenario = a.positional()[0];
  o.axis_args = a.texts("--axis");
  o.sets = a.texts("--set");
  o.out_dir = a.text("--out").value_or("");
  o.jobs = static_cast<int>(a.integer("--jobs").value_or(0));
  if (const auto shard = a.text("--shard")) o.shard = parse_shard(*shard);
  if (const auto k = a.integer("--max-points")) o.max_points = static_cast<std::size_t>(*k);
  o.metrics = metrics_of(a);
  o.slurm_file = a.text("--slurm").value_or("");
  o.slurm_shards = static_cast<std::size_t>(a.integer("--shards").value_or(0));
  o.report = !a.flag("--no-report");
  o.quiet = a.flag("--quiet");
  return o;
}

std::string read_file(const fs::path& p, bool& exists) {
  std::ifstream in(p, std::ios::binary);
  exists = static_cast<bool>(in);
  if (!in) return "";
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Appends `line` with one write() on a file opened O_APPEND: a row is in the file whole or not
// at all (a kill between rows leaves whole rows; one during the write, at worst, a last line
// without its newline, which a resume drops).
void append_line(const fs::path& p, const std::string& line) {
  const int fd = ::open(p.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw OutputError(fmt::format("cannot open {} to append: {}", p.string(), std::strerror(errno)));
  const ssize_t n = ::write(fd, line.data(), line.size());
  const int write_errno = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(line.size()))
    throw OutputError(fmt::format("cannot append to {}: {}", p.string(), n < 0 ? std::strerror(write_errno) : "short write"));
}

// The metrics the report draws: the user's, or these where some row has them.
std::vector<std::string> report_metrics(const std::vector<std::string>& chosen, const std::vector<SweepRow>& rows) {
  if (!chosen.empty()) return chosen;
  static const std::vector<std::string> preferred = {"workload.step_time_s", "workload.tokens_per_s", "workload.mfu",
                                                     "simulated_time_s",     "power.energy_j",        "power.it_avg_w",
                                                     "power.clock_avg_mhz",  "thermal.max_coolant_c", "memory.hbm_peak_bytes"};
  std::vector<std::string> out;
  for (const auto& m : preferred) {
    if (m == "simulated_time_s" && !out.empty() && out.front() == "workload.step_time_s") continue;  // the same number
    for (const auto& r : rows)
      if (std::any_of(r.metrics.begin(), r.metrics.end(), [&](const auto& kv) { return kv.first == m; })) {
        out.push_back(m);
        break;
      }
  }
  return out;
}

SweepTable make_table(const SweepManifest& m, std::vector<SweepRow> rows) {
  SweepTable t;
  t.scenario = fs::path(m.scenario).filename().string();
  t.axes = m.axes;
  t.points = m.points;
  t.rows = std::move(rows);
  return t;
}

const double* metric_of(const SweepRow& r, const std::string& name) {
  for (const auto& kv : r.metrics)
    if (kv.first == name) return &kv.second;
  return nullptr;
}

// A table of the rows on stdout (small sweeps only: a big one is for files and the report).
std::string rows_table(const std::vector<SweepRow>& rows, const std::vector<SweepAxis>& axes) {
  static const std::vector<std::pair<std::string, std::string>> cols = {
      {"simulated_time_s", "time (s)"}, {"workload.tokens_per_s", "tokens/s"}, {"workload.mfu", "MFU"},
      {"power.energy_j", "energy (J)"}, {"power.it_avg_w", "IT power (W)"},   {"thermal.max_coolant_c", "coolant max (C)"}};
  std::vector<std::string> head = {"point"};
  for (const auto& a : axes) head.push_back(a.key);
  std::vector<std::size_t> shown;
  for (std::size_t c = 0; c < cols.size(); ++c)
    if (std::any_of(rows.begin(), rows.end(), [&](const SweepRow& r) { return metric_of(r, cols[c].first) != nullptr; })) {
      shown.push_back(c);
      head.push_back(cols[c].second);
    }
  head.push_back("status");
  std::vector<std::vector<std::string>> cells;
  for (const auto& r : rows) {
    std::vector<std::string> line = {std::to_string(r.point)};
    line.insert(line.end(), r.values.begin(), r.values.end());
    for (const auto c : shown) {
      const double* v = metric_of(r, cols[c].first);
      line.push_back(v ? fmt::format("{:.6g}", *v) : "-");
    }
    line.push_back(r.ok ? "ok" : "failed: " + r.error);
    cells.push_back(std::move(line));
  }
  std::vector<std::size_t> width(head.size());
  for (std::size_t i = 0; i < head.size(); ++i) width[i] = head[i].size();
  for (const auto& line : cells)
    for (std::size_t i = 0; i + 1 < line.size(); ++i) width[i] = std::max(width[i], line[i].size());
  auto emit = [&](const std::vector<std::string>& line) {
    std::string s = " ";
    for (std::size_t i = 0; i < line.size(); ++i) s += " " + (i + 1 < line.size() ? fmt::format("{:<{}}", line[i], width[i]) : line[i]);
    return s + "\n";
  };
  std::string s = emit(head);
  for (const auto& line : cells) s += emit(line);
  return s;
}

// What a point's child sends back: its metrics (encode_metric_lines), or it throws why not.
std::string run_point(const std::string& scenario, const std::vector<std::string>& sets, const std::string& data_dir) {
  try {
    const Scenario s = load_scenario(scenario, sets, data_dir);
    Run run(s);
    return encode_metric_lines(check_metrics(run.execute()));
  } catch (const InputError& e) {
    throw std::runtime_error(std::string("invalid input: ") + e.what());
  } catch (const SimulationError& e) {
    throw std::runtime_error(std::string("simulation failed: ") + e.what());
  }
}

std::string absolute(const std::string& p) {
  std::error_code ec;
  const fs::path a = fs::absolute(p, ec);
  return ec ? p : a.lexically_normal().string();
}

std::string self_exe() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("racksim") : p.string();
}

void write_tables(const fs::path& dir, const std::string& stem, const std::vector<SweepRow>& rows, const SweepManifest& m) {
  write_atomic(dir / (stem + ".jsonl"), table_jsonl(rows));
  write_atomic(dir / (stem + ".csv"), table_csv(rows, m.axes));
}

// The sweep's manifest from the options: the scenario (its bytes hashed), the common overrides
// and the axes, each key swept once.
SweepManifest manifest_of(const SweepOptions& o) {
  SweepManifest m;
  m.scenario = o.scenario;
  m.sets = o.sets;
  m.axes = parse_axes(o.axis_args);  // refused at the axis that passes the grid's limit, before its values are built
  std::set<std::string> keys;
  for (const auto& a : m.axes)
    if (!keys.insert(a.key).second)
      throw InputError(Location{fmt::format("--axis {}", a.key), 0, 0, ""}, "the key is swept by two --axis options; give one with all its values");
  m.points = grid_size(m.axes);
  bool exists = false;
  const std::string scenario_bytes = read_file(o.scenario, exists);
  if (!exists) throw InputError(Location{o.scenario, 0, 0, ""}, "cannot open the scenario file (does it exist and is it readable?)");
  m.scenario_hash = fnv1a64(scenario_bytes);
  return m;
}

// Every input is read before anything runs: the scenario with the common overrides (returned),
// then each axis value alone on top of them (a bad key or value is an error now, not a failed
// point).
Scenario check_inputs(const SweepOptions& o, const SweepManifest& m, const std::string& data_dir) {
  ScenarioFileCache files;
  Scenario base = load_scenario(o.scenario, o.sets, data_dir, &files);
  for (const auto& a : m.axes)
    for (const auto& v : a.values) {
      std::vector<std::string> sets = o.sets;
      sets.push_back(a.key + "=" + v);
      try {
        (void)load_scenario(o.scenario, sets, data_dir, &files);
      } catch (const InputError& e) {
        // Named as the user wrote it: the axis and the value, not the --set it became.
        if (e.where().file != "--set " + sets.back()) throw;
        Location loc = e.where();
        loc.file = fmt::format("--axis {} (value '{}')", a.key, v);
        throw InputError(loc, e.expected());
      }
    }
  return base;
}

// The sweep's folder: --out, or racksim-out/<name>-sweep.
fs::path sweep_folder(const SweepOptions& o, const std::string& name) {
  return o.out_dir.empty() ? fs::path("racksim-out") / (safe_file_name(name, "sweep") + "-sweep") : fs::path(o.out_dir);
}

// The sweep's folder, checked to hold no other command's results, created and locked for this
// sweep (or shard: the shards of one sweep run side by side; sim/cli/out_folder.hpp), holding this
// sweep's manifest (written now, or the same one from an earlier run).
FolderLock open_folder(const fs::path& dir, const SweepOptions& o, const SweepManifest& m) {
  require_folder_for(dir, FolderKind::Sweep, "--out " + dir.string());
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw OutputError(fmt::format("cannot create the sweep folder {}: {}", dir.string(), ec.message()));
  const bool sharded = o.shard && !o.shard->whole();
  FolderLock lock(dir, sharded ? "." + results_stem(*o.shard) + ".lock" : ".lock");
  const fs::path manifest_file = dir / "sweep.json";
  bool have = false;
  const std::string text = read_file(manifest_file, have);
  if (!have) {
    write_atomic(manifest_file, manifest_json(m));
    return lock;
  }
  const std::string diff = manifest_difference(parse_manifest(text, manifest_file.string()), m);
  if (!diff.empty())
    throw InputError(Location{manifest_file.string(), 0, 0, ""},
                     fmt::format("{} holds another sweep: {}. Use another --out folder, or remove this one to start over",
                                 dir.string(), diff));
  return lock;
}

// --slurm FILE: the job-array script that runs the sweep as --shards N shards.
void write_slurm(const SweepOptions& o, const SweepManifest& m, const fs::path& dir, const std::string& name, int jobs,
                 std::ostream& out) {
  std::vector<std::string> sargs = {absolute(o.scenario)};
  for (const auto& a : o.axis_args) sargs.insert(sargs.end(), {"--axis", a});
  for (const auto& s : o.sets) sargs.insert(sargs.end(), {"--set", s});
  for (const auto& mt : o.metrics) sargs.insert(sargs.end(), {"--metric", mt});
  sargs.insert(sargs.end(), {"--out", absolute(dir.string()), "--quiet"});
  const std::string script = slurm_script(self_exe(), sargs, absolute(dir.string()), o.slurm_shards, jobs,
                                          "racksim-" + safe_file_name(name, "sweep"));
  write_atomic(o.slurm_file, script);
  std::error_code ec;
  fs::permissions(o.slurm_file, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec, fs::perm_options::add, ec);
  if (!o.quiet)
    out << fmt::format("wrote {}: a Slurm job array of {} task{} ({} points, {} per task at most, {} at a time each)\n"
                       "submit it with: sbatch {}\nthen join the shards with: racksim merge {}\n",
                       o.slurm_file, o.slurm_shards, o.slurm_shards == 1 ? "" : "s", m.points,
                       (m.points + o.slurm_shards - 1) / o.slurm_shards, jobs, o.slurm_file, dir.string());
}

// The rows of an earlier run of this shard, kept for a resume; both files are rewritten from the
// JSON lines, so that a row cut short by a kill is gone from both and the CSV agrees.
ReadRows resume_rows(const fs::path& dir, const std::string& stem, const Shard& shard, const SweepManifest& m) {
  const fs::path jsonl = dir / (stem + ".jsonl");
  ReadRows r;
  bool have = false;
  const std::string text = read_file(jsonl, have);
  if (have) {
    r = parse_rows(text, jsonl.string(), m);
    for (const auto& row : r.rows)
      if (!shard.holds(row.point))
        throw InputError(Location{jsonl.string(), 0, 0, ""}, fmt::format("point {} does not belong to shard {}/{}", row.point,
                                                                           shard.index, shard.count));
  }
  write_tables(dir, stem, r.rows, m);
  return r;
}

// Runs the `todo` points, `jobs` at once, each in a child; appends each finished one to the
// shard's files and to `rows`. Returns how many failed.
std::size_t run_points(const SweepOptions& o, const SweepManifest& m, const std::vector<std::size_t>& todo, int jobs,
                       const fs::path& jsonl, const fs::path& csv, std::vector<SweepRow>& rows, const CliContext& ctx) {
  const std::string data_dir = ctx.data_dir();
  std::size_t failed_now = 0;
  ProgressMeter meter(o.quiet ? nullptr : ctx.tty, "sweep", static_cast<double>(todo.size()), "points");
  ChildPool pool(jobs);
  std::size_t next = 0, finished = 0;
  while (finished < todo.size()) {
    while (next < todo.size() && !pool.full()) {
      const std::size_t p = todo[next++];
      std::vector<std::string> sets = o.sets;
      const auto ov = point_overrides(m.axes, p);
      sets.insert(sets.end(), ov.begin(), ov.end());
      pool.start(p, [&, sets] { return run_point(o.scenario, sets, data_dir); });
    }
    const ChildPool::Finished f = pool.wait_any();
    SweepRow row;
    row.point = f.id;
    row.values = point_values(m.axes, f.id);
    row.ok = f.ok;
    if (f.ok) row.metrics = decode_metric_lines(f.text);
    else {
      row.error = f.text;
      ++failed_now;
      if (!o.quiet) {
        meter.finish();
        ctx.out << fmt::format("  point {} failed: {}\n", f.id, f.text) << std::flush;
      }
    }
    append_line(jsonl, row_jsonl(row));
    append_line(csv, row_csv(row, m.axes));
    rows.push_back(std::move(row));
    ++finished;
    meter.update(static_cast<double>(finished));
  }
  return failed_now;
}

// The points of the shard not in `rows` yet (at most --max-points of them), and how many points
// the shard holds.
std::pair<std::vector<std::size_t>, std::size_t> points_to_run(const SweepOptions& o, const SweepManifest& m, const Shard& shard,
                                                               const std::vector<SweepRow>& rows) {
  std::set<std::size_t> done;
  for (const auto& r : rows) done.insert(r.point);
  std::vector<std::size_t> todo;
  std::size_t in_shard = 0;
  for (std::size_t p = 0; p < m.points; ++p)
    if (shard.holds(p)) {
      ++in_shard;
      if (!done.count(p)) todo.push_back(p);
    }
  if (o.max_points && todo.size() > *o.max_points) todo.resize(*o.max_points);
  return {todo, in_shard};
}

void print_start(const SweepOptions& o, const SweepManifest& m, const Shard& shard, const fs::path& dir, std::size_t in_shard,
                 const ReadRows& resumed, std::size_t todo, int jobs, std::ostream& out) {
  out << fmt::format("sweep {}: {} point{}", o.scenario, m.points, m.points == 1 ? "" : "s");
  for (const auto& a : m.axes) out << fmt::format(", {} x {}", a.values.size(), a.key);
  if (!shard.whole()) out << fmt::format("; shard {}/{} holds {}", shard.index, shard.count, in_shard);
  out << fmt::format("\n  folder              {}\n", dir.string());
  const std::size_t n = resumed.rows.size();
  if (n > 0)
    out << fmt::format("  resumed             {} point{} already done{}\n", n, n == 1 ? "" : "s",
                       resumed.dropped_partial ? " (a row cut short by an interruption was dropped and runs again)" : "");
  out << fmt::format("  running             {} point{}, {} at a time\n", todo, todo == 1 ? "" : "s", jobs);
  out << std::flush;
}

// After the run: the table (small sweeps), the counts, what is left and the files.
void print_end(const std::vector<SweepRow>& rows, const SweepManifest& m, const Shard& shard, const fs::path& dir,
               const std::string& stem, std::size_t in_shard, std::size_t ran, std::size_t resumed, std::size_t failed_now,
               bool report, std::ostream& out) {
  const bool complete = rows.size() == in_shard;
  const std::size_t failed = static_cast<std::size_t>(std::count_if(rows.begin(), rows.end(), [](const SweepRow& r) { return !r.ok; }));
  if (complete && rows.size() <= 64) out << "\n" << rows_table(rows, m.axes);
  out << fmt::format("\n  points              {} of {} done ({} this run, {} before), {} failed{}\n", rows.size(), in_shard, ran,
                     resumed, failed, failed_now > 0 ? fmt::format(" ({} this run)", failed_now) : "");
  if (!complete)
    out << fmt::format("  incomplete          rerun the same command to run the other {}\n", in_shard - rows.size());
  else if (!shard.whole())
    out << fmt::format("  shard complete      join the shards with: racksim merge {}\n", dir.string());
  out << fmt::format("  wrote               {}, {}{}\n", (dir / (stem + ".jsonl")).string(), (dir / (stem + ".csv")).string(),
                     report ? ", " + (dir / "report.html").string() : "");
}

int cmd_sweep(const ParsedArgs& a, const CliContext& ctx) {
  std::ostream& out = ctx.out;
  const SweepOptions o = options_of(a);
  const SweepManifest m = manifest_of(o);
  const Scenario base = check_inputs(o, m, ctx.data_dir());
  const fs::path dir = sweep_folder(o, base.name);
  const FolderLock lock = open_folder(dir, o, m);  // held until the sweep ends
  const int jobs = o.jobs > 0 ? o.jobs : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  if (!o.slurm_file.empty()) {
    write_slurm(o, m, dir, base.name, jobs, out);
    return 0;
  }

  const Shard shard = o.shard.value_or(Shard{});
  const std::string stem = results_stem(shard);
  const ReadRows resumed = resume_rows(dir, stem, shard, m);
  std::vector<SweepRow> rows = resumed.rows;
  const auto [todo, in_shard] = points_to_run(o, m, shard, rows);
  if (!o.quiet) print_start(o, m, shard, dir, in_shard, resumed, todo.size(), jobs, out);
  const std::size_t failed_now = run_points(o, m, todo, jobs, dir / (stem + ".jsonl"), dir / (stem + ".csv"), rows, ctx);

  std::sort(rows.begin(), rows.end(), [](const SweepRow& x, const SweepRow& y) { return x.point < y.point; });
  if (rows.size() == in_shard) write_tables(dir, stem, rows, m);  // sorted by point: the same bytes however it ran
  const bool report = o.report && shard.whole();
  if (report) write_atomic(dir / "report.html", sweep_report_html(make_table(m, rows), report_metrics(o.metrics, rows)));
  if (!o.quiet) print_end(rows, m, shard, dir, stem, in_shard, todo.size(), resumed.rows.size(), failed_now, report, out);
  return 0;
}

// The row files of a sweep folder — shard-I-of-N.jsonl and results.jsonl (from an earlier merge
// or an unsharded run) — by name.
std::vector<std::string> row_files(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    if (n.size() > 6 && n.compare(n.size() - 6, 6, ".jsonl") == 0 && (n == "results.jsonl" || n.rfind("shard-", 0) == 0))
      names.push_back(n);
  }
  if (ec) throw InputError(Location{dir.string(), 0, 0, ""}, fmt::format("cannot list the folder: {}", ec.message()));
  std::sort(names.begin(), names.end());
  if (names.empty()) throw InputError(Location{dir.string(), 0, 0, ""}, "no shard-I-of-N.jsonl or results.jsonl files to merge");
  return names;
}

int cmd_merge(const ParsedArgs& a, const CliContext& ctx) {
  std::ostream& out = ctx.out;
  const fs::path dir(a.positional()[0]);
  const std::vector<std::string> metrics = metrics_of(a);
  const bool report = !a.flag("--no-report");
  bool have = false;
  const std::string mtext = read_file(dir / "sweep.json", have);
  if (!have) throw InputError(Location{(dir / "sweep.json").string(), 0, 0, ""}, "cannot open the sweep manifest: is this a sweep folder?");
  const SweepManifest m = parse_manifest(mtext, (dir / "sweep.json").string());
  const FolderLock lock(dir, ".lock");  // no sweep of the whole grid writes results.* meanwhile

  const std::vector<std::string> names = row_files(dir);
  std::vector<RowSource> sources;
  std::size_t partial = 0;
  std::set<std::size_t> shard_counts;
  for (const auto& n : names) {
    const fs::path p = dir / n;
    if (n != "results.jsonl") {
      unsigned long i = 0, c = 0;
      char tail[8] = {};
      if (std::sscanf(n.c_str(), "shard-%lu-of-%lu.%7s", &i, &c, tail) != 3 || std::string(tail) != "jsonl" || i < 1 || i > c ||
          n != fmt::format("shard-{}-of-{}.jsonl", i, c))
        throw InputError(Location{p.string(), 0, 0, ""}, "not a shard file name (expected shard-I-of-N.jsonl with 1 <= I <= N)");
      shard_counts.insert(c);
    }
    ReadRows r = parse_rows(read_file(p, have), p.string(), m);
    if (r.dropped_partial) ++partial;
    sources.push_back(RowSource{p.string(), std::move(r.rows)});
  }
  if (shard_counts.size() > 1)
    out << fmt::format("note: the shard files come from different shard counts ({}); their points are merged all the same\n",
                       shard_counts.size());
  const std::vector<SweepRow> rows = merge_rows(sources);
  write_tables(dir, "results", rows, m);
  std::vector<std::size_t> missing;
  for (std::size_t p = 0, k = 0; p < m.points; ++p) {
    if (k < rows.size() && rows[k].point == p) ++k;
    else missing.push_back(p);
  }
  if (report) write_atomic(dir / "report.html", sweep_report_html(make_table(m, rows), report_metrics(metrics, rows)));
  const std::size_t failed = static_cast<std::size_t>(std::count_if(rows.begin(), rows.end(), [](const SweepRow& r) { return !r.ok; }));
  if (!a.flag("--quiet")) {
    out << fmt::format("merged {} file{} of sweep {}: {} of {} points, {} failed\n", names.size(), names.size() == 1 ? "" : "s",
                       m.scenario, rows.size(), m.points, failed);
    if (partial > 0) out << fmt::format("  {} file{} ended in a row cut short by an interruption (dropped)\n", partial, partial == 1 ? "" : "s");
    out << fmt::format("  wrote               {}, {}{}\n", (dir / "results.jsonl").string(), (dir / "results.csv").string(),
                       report ? ", " + (dir / "report.html").string() : "");
  }
  if (!missing.empty()) {
    out << fmt::format("incomplete, missing {} (rerun their shards, then merge again)\n", describe_missing(missing));
    return 1;
  }
  return 0;
}

OptionSpec metric_option() {
  return text("--metric", "NAME", "a metric the report draws (racksim check's names)")
      .repeatable()
      .default_shown("step time, tokens/s, MFU, energy, power, clock, coolant and HBM peak where the rows have them");
}

}  // namespace

Verb sweep_verb() {
  VerbSpec s;
  s.name = "sweep";
  s.words = {"sweep"};
  s.summary = "Simulate every point of the axes' grid, --jobs at once, each in its own process; append each finished "
              "point to DIR/results.jsonl and DIR/results.csv and draw DIR/report.html. Rerunning the same command "
              "resumes. --slurm FILE --shards N writes a Slurm job-array script running the sweep as N shards and runs "
              "nothing (docs/sweep.md).";
  s.positionals = {{"SCENARIO", "a scenario file", "the scenario swept"}};
  s.options = {
      text("--axis", "KEY=V1,V2,...", "a scenario key and its values (YAML; A..B or A..B:STEP for integer ranges)")
          .repeatable()
          .required(),
      text("--set", "KEY=VALUE", "override a scenario key at every point").repeatable(),
      text("--out", "DIR", "the sweep folder").default_shown("racksim-out/<name>-sweep"),
      integer("--jobs", "N", 1, 1024, "the points simulated at once").alias("-j").default_shown("the machine's cores"),
      text("--shard", "I/N", "run the points p with p mod N = I-1 into DIR/shard-I-of-N.*"),
      integer("--max-points", "K", 1, std::numeric_limits<std::int64_t>::max(), "stop after K new points"),
      metric_option(),
      text("--slurm", "FILE", "write a Slurm job-array script instead of running (needs --shards)"),
      integer("--shards", "N", 1, std::numeric_limits<std::int64_t>::max(), "the Slurm array's tasks (with --slurm)"),
      flag("--no-report", "do not draw report.html"),
      flag("--quiet", "print nothing but errors (and no progress)").alias("-q")};
  using K = Constraint::Kind;
  s.constraints = {{K::Requires, {"--slurm", "--shards"}, "the number of array tasks"},
                   {K::Requires, {"--shards", "--slurm"}, "to run one shard, use --shard I/N"},
                   {K::Excludes, {"--slurm", "--shard"}, "--slurm writes a script for every shard"}};
  s.exits = {{3, "invalid input: the scenario, a --set or --axis value, --shard or --metric; or the folder holds "
                   "another sweep, a run's or a plan's results, or another command is using it (a point that fails is a "
                   "row, not an exit status)"},
               {5, "results could not be written"}};
  return {s, cmd_sweep};
}

Verb merge_verb() {
  VerbSpec s;
  s.name = "merge";
  s.words = {"merge"};
  s.summary = "Join a sweep's shard files into DIR/results.{jsonl,csv} and DIR/report.html; exit status 1 when points "
              "are missing (they are named).";
  s.positionals = {{"DIR", "a sweep folder", "the sweep folder holding sweep.json and the shard files"}};
  s.options = {metric_option(), flag("--no-report", "do not draw report.html"),
               flag("--quiet", "print nothing but errors").alias("-q")};
  s.exits = {{1, "points of the sweep are missing (they are named)"},
               {3, "invalid input: not a sweep folder, a malformed row file, --metric, or another command is using the folder"},
               {5, "results could not be written"}};
  return {s, cmd_merge};
}

}  // namespace racksim
