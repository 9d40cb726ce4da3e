#include "sim/cli/cli.hpp"

#include "core/error.hpp"
#include "core/text.hpp"
#include "sim/workload/chakra.hpp"
#include "sim/cli/child_run.hpp"
#include "sim/cli/check_verb.hpp"
#include "sim/cli/collective_verbs.hpp"
#include "sim/cli/kernel_verbs.hpp"
#include "sim/cli/plan_verb.hpp"
#include "sim/cli/sweep_verbs.hpp"
#include "core/atomic_file.hpp"
#include "sim/cli/progress.hpp"
#include "sim/output/report.hpp"
#include "sim/engine/run.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/output/timeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>

namespace racksim {

namespace fs = std::filesystem;

namespace {

constexpr const char* kUsage = R"(racksim - predicts how AI workloads run on rack-scale GPU clusters

usage:
  racksim run [SCENARIO] [--out DIR] [--set KEY=VALUE]... [--no-timeline] [--no-timeseries] [--no-report]
              [--summary-only] [--timeline-events N] [--quiet]
      Simulate SCENARIO (default: scenarios/helios.yaml of the racksim data directory), print
      a summary and write into DIR (default: a fresh racksim-out/<name>-NNN folder under the
      current directory) summary.json, timeline.json (Chrome trace events: Perfetto,
      chrome://tracing), timeseries.csv and report.html (self-contained); --no-<file> skips
      one, --summary-only all but summary.json. The timeline holds whole ranks, in order, up to
      --timeline-events events (default 200000, about 50 MB); the run says which it left out.
      --set KEY=VALUE  override any scenario key, e.g. --set cluster.domains=4 (repeatable);
                       VALUE is YAML and is checked like the file's own values
      --quiet          print nothing but errors (and no progress)
      On a terminal, progress (simulated time, ops done, ETA) shows on stderr while it runs.
  racksim sweep SCENARIO --axis KEY=V1,V2,... [--axis ...] [--set KEY=VALUE]... [--out DIR] [--jobs N]
                [--shard I/N] [--max-points K] [--metric NAME]... [--no-report] [--quiet]
      Simulate every point of the axes' grid (values: YAML; A..B or A..B:STEP for integer ranges),
      --jobs at once (default: all cores), each in its own process; append each finished point to
      DIR/results.jsonl and DIR/results.csv (default DIR: racksim-out/<name>-sweep) and draw
      DIR/report.html. Rerunning the same command resumes. --shard I/N runs the points p with
      p mod N = I-1 into DIR/shard-I-of-N.*; --max-points K stops after K new points (docs/sweep.md).
  racksim sweep SCENARIO --axis ... --slurm FILE --shards N [--jobs N] [--out DIR]
      Write a Slurm job-array script running the sweep as N shards; run nothing.
  racksim merge DIR [--metric NAME]... [--no-report] [--quiet]
      Join a sweep's shard files into DIR/results.{jsonl,csv} and DIR/report.html; exit status 1
      when points are missing (they are named).
  racksim plan PLAN [--set KEY=VALUE]... [--jobs N] [--json FILE] [--out DIR]
      Capacity planning (docs/plan.md): for the plan's base training scenario, try every rack
      count x layout x global batch of its search, simulate one training step of each point
      that passes screening (each in its own process, N at once; default: the machine's
      cores), and print the Pareto set of time to train, energy, GPUs and peak site power,
      the dominated points, and every rejected point with its reason (over limit, invalid
      layout, out of memory, cannot evaluate, over power, too slow). --set overrides a key of
      the plan file; --json FILE writes every point; --out DIR writes plan.txt, plan.json and
      each simulated point's points/<id>/summary.json.
  racksim predict kernel --gpu ID (--gemm MxNxK[xBATCH] | --stream copy|scale|add|triad|dot --bytes SIZE
                 | --attention BxHxSxD [--causal]) [--dtype DT] [--clock MHz] [--hbm-clock-ratio R] [--json]
      The GPU kernel model alone: time, achieved rate, compute- or memory-bound, and the
      calibration points used. --bytes is the size of each STREAM array.
  racksim predict collective --system ID --op OP --gpus N [--nodes M] [--bytes SIZE] [--algorithm A]
                 [--set KEY=VALUE]... [--json]
      One collective simulated on M systems of the catalog (joined by a rail-optimized fabric
      when M > 1): time, algorithm and bus bandwidth as nccl-tests defines them, the algorithm
      and protocol chosen, and the cost model's time. OP: all_reduce, all_gather,
      reduce_scatter, all_to_all, broadcast, reduce. Without --bytes, a table from 1 KiB to
      8 GiB like all_reduce_perf prints (each size simulated in its own process).
  racksim calibrate MEASUREMENTS... --gpu ID --out FILE [--force]
      Fit the GPU's kernel-model efficiency tables from measurements files (published ones like
      validation/reference/*.yaml, or the racksim-measurements JSON that tools/microbench.sh
      writes from the HIP microbenchmarks of validation/hip), print predicted vs measured per
      case before and after the fit and with each case left out, write the tables to FILE
      (never over an existing file without --force).
  racksim validate MEASUREMENTS... --gpu ID [--budget PERCENT] [--leave-one-out] [--json]
      Predicted vs measured for every kernel case of the GPU; exit status 1 when the median
      |error| exceeds the budget (default 5%). --leave-one-out refits without each case.
  racksim validate MEASUREMENTS... --system ID [--min-bytes SIZE] [--budget PERCENT] [--json]
      Collective bus bandwidth predicted vs measured for every collective case of the files
      measured on the system's GPU (simulated like predict collective); exit status 1 when the
      median |error| over sizes >= --min-bytes exceeds the budget (default 10%).
  racksim export-chakra SCENARIO DIR [--set KEY=VALUE]... [--force]
      Write the scenario's workload as Chakra ET files, one per rank: DIR/<name>.<rank>.et
      (<name> is the workload's name, other characters than letters, digits, '-' and '_' made
      '_'). A scenario with workload {kind: chakra, prefix: DIR/<name>} replays them
      identically; other tools (astra-sim) read them too (docs/chakra.md). Existing files of
      that name are never replaced without --force.
  racksim check [SCENARIO...] --baseline DIR [--tolerance [METRIC=]REL]... [--junit FILE] [--update]
      Regression of the predictions: simulate each SCENARIO (default: every scenarios/*.yaml of
      the data directory), each in its own process, and compare its metrics (simulated time,
      step time, tokens/s, MFU, energy, power, clock, temperatures, HBM peak, collective model
      time) with DIR/<scenario name>.json. Prints ok or MOVED per scenario and each moved metric;
      exit status 1 when one moved past its tolerance (relative; default 1e-9, --tolerance 0.01
      for all, --tolerance power.energy_j=0.02 for one; later wins). --junit FILE writes a JUnit
      report; --update (re)writes the baseline files instead (docs/check.md).
  racksim version      print the version
  racksim --help       print this help

exit codes:
  0 success   1 internal error (validate: past the error budget; check: a metric moved past its tolerance;
              merge: points missing)
  2 bad command line   3 invalid input (scenario, catalog, trace, --set; check: a missing or invalid baseline file)
  4 simulation failed (e.g. deadlock)   5 results could not be written

environment:
  RACKSIM_DATA_DIR  where models/catalog and scenarios live (default: ../share/racksim next to
                    the racksim executable when it holds models/catalog, as after cmake --install;
                    otherwise the source tree racksim was built from)
)";

// The folder holding models/catalog and scenarios: RACKSIM_DATA_DIR when set; otherwise
// <folder of the executable>/../share/racksim when it holds models/catalog (an installed racksim,
// wherever its prefix was moved: `cmake --install` puts the binary in bin/ and the data in
// share/racksim/); otherwise the source tree racksim was built from (a build tree's binary).
std::string data_dir() {
  if (const char* d = std::getenv("RACKSIM_DATA_DIR"); d && *d) return d;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);  // Linux: the running executable
  if (!ec) {
    const fs::path installed = (exe.parent_path() / ".." / "share" / "racksim").lexically_normal();
    if (fs::is_directory(installed / "models" / "catalog", ec)) return installed.string();
  }
  return RACKSIM_DATA_DIR;
}

// `name` is a scenario's name, never empty.
fs::path fresh_out_dir(const std::string& name) {
  const std::string safe = safe_file_name(name, "run");
  for (int i = 1; i < 100000; ++i) {
    const fs::path p = fs::path("racksim-out") / fmt::format("{}-{:03}", safe, i);
    if (!fs::exists(p)) return p;
  }
  throw OutputError("no free output folder name under racksim-out/");
}

int cmd_export_chakra(const std::vector<std::string>& args, std::ostream& out) {
  std::vector<std::string> positional;
  std::vector<std::string> sets;
  bool force = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--set") {
      if (i + 1 >= args.size()) throw UsageError("--set needs a value");
      sets.push_back(args[++i]);
    } else if (a.rfind("--set=", 0) == 0) {
      sets.push_back(a.substr(6));
    } else if (a == "--force") {
      force = true;
    } else if (!a.empty() && a[0] == '-') {
      throw UsageError(fmt::format("unknown option '{}' for 'export-chakra'", a));
    } else {
      positional.push_back(a);
    }
  }
  if (positional.size() != 2)
    throw UsageError(fmt::format("usage: racksim export-chakra SCENARIO DIR [--set KEY=VALUE]... [--force] (got {} of the 2 "
                                 "arguments SCENARIO and DIR)",
                                 positional.size()));
  const std::string& scenario = positional[0];
  const fs::path dir(positional[1]);
  const Scenario s = load_scenario(scenario, sets, data_dir());
  const Workload w = build_workload(s);
  const std::string name = safe_file_name(w.name, "workload");
  const std::string prefix = (dir / name).string();
  // Files of an earlier export under the same name: refused, or with --force replaced, and the
  // ranks beyond this workload's removed (a reader would take them for more ranks).
  const auto existing = find_chakra_files(prefix);
  if (!existing.empty() && !force)
    throw OutputError(fmt::format("{} exists ({} file{} {}.<rank>.et); racksim never replaces Chakra files without --force",
                                  existing.begin()->second, existing.size(), existing.size() == 1 ? "" : "s", prefix));
  write_chakra(w, dir.string(), name);
  std::size_t removed = 0;
  for (const auto& [rank, path] : existing)
    if (rank >= w.ranks) {
      std::error_code ec;
      if (!fs::remove(path, ec) || ec) throw OutputError(fmt::format("cannot remove the stale file {}: {}", path, ec.message()));
      ++removed;
    }
  std::uintmax_t bytes = 0;
  for (int r = 0; r < w.ranks; ++r) bytes += fs::file_size(fmt::format("{}.{}.et", prefix, r));
  out << fmt::format("wrote {} Chakra ET file{} of workload '{}' ({} ranks, {} ops, {} bytes): {}.{}.et\n", w.ranks,
                     w.ranks == 1 ? "" : "s", w.name, w.ranks, w.total_ops(), bytes, prefix,
                     w.ranks == 1 ? std::string("0") : fmt::format("{{0..{}}}", w.ranks - 1));
  if (removed > 0) out << fmt::format("removed {} stale file{} of an earlier export ({}.<rank>.et, rank >= {})\n", removed,
                                      removed == 1 ? "" : "s", prefix, w.ranks);
  // A scenario resolves a relative prefix against its own folder: name the files absolutely.
  std::error_code ec;
  const fs::path absolute = fs::absolute(dir / name, ec);
  out << fmt::format("replay them with: workload: {{kind: chakra, prefix: {}}}\n", ec ? prefix : absolute.lexically_normal().string());
  return 0;
}

int cmd_run(const std::vector<std::string>& args, std::ostream& out, std::ostream* tty) {
  std::string scenario;
  std::string out_dir;
  std::vector<std::string> sets;
  bool quiet = false;
  bool want_timeline = true, want_timeseries = true, want_report = true;
  std::size_t timeline_events = kTimelineMaxEvents;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* opt) -> std::string {
      if (i + 1 >= args.size()) throw UsageError(fmt::format("{} needs a value", opt));
      return args[++i];
    };
    if (a == "--no-timeline") want_timeline = false;
    else if (a == "--no-timeseries") want_timeseries = false;
    else if (a == "--no-report") want_report = false;
    else if (a == "--summary-only") want_timeline = want_timeseries = want_report = false;
    else if (a == "--timeline-events" || a.rfind("--timeline-events=", 0) == 0) {
      const std::string v = a == "--timeline-events" ? value("--timeline-events") : a.substr(18);
      char* end = nullptr;
      const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || end != v.c_str() + v.size() || v[0] == '-' || n < 1)
        throw InputError(Location{"--timeline-events " + v, 0, 0, ""}, "expected a whole number of events >= 1");
      timeline_events = static_cast<std::size_t>(n);
    }
    else if (a == "--out") out_dir = value("--out");
    else if (a.rfind("--out=", 0) == 0) out_dir = a.substr(6);
    else if (a == "--set") sets.push_back(value("--set"));
    else if (a.rfind("--set=", 0) == 0) sets.push_back(a.substr(6));
    else if (a == "--quiet" || a == "-q") quiet = true;
    else if (!a.empty() && a[0] == '-') throw UsageError(fmt::format("unknown option '{}' for 'run'", a));
    else if (scenario.empty()) scenario = a;
    else throw UsageError(fmt::format("'run' takes one scenario, got a second: '{}'", a));
  }
  if (scenario.empty()) scenario = data_dir() + "/scenarios/helios.yaml";
  const Scenario s = load_scenario(scenario, sets, data_dir());
  Run run(s);
  if (!quiet) out << run.header() << std::flush;
  run.measure_fault_baseline(run_in_child);  // with faults: what they cost, in a child process
  if (want_timeline) run.keep_timeline(timeline_events);
  std::optional<ProgressMeter> meter;
  if (!quiet && tty) {
    meter.emplace(tty, "simulating", 0.0, "ops");
    run.on_progress([&meter](double now, std::size_t done, std::size_t total) {
      meter->set_total(static_cast<double>(total));
      meter->update(static_cast<double>(done), fmt::format("t = {:.6g} s simulated", now));
    });
  }
  RunResult result = run.execute();
  if (meter) meter->finish();
  const std::string json = summary_json(result);
  const fs::path dir = out_dir.empty() ? fresh_out_dir(s.name) : fs::path(out_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw OutputError(fmt::format("cannot create output folder {}: {}", dir.string(), ec.message()));
  std::vector<std::string> written;
  auto write = [&](const char* file, const std::string& content) {
    write_atomic(dir / file, content);
    written.push_back((dir / file).string());
  };
  write("summary.json", json);
  if (want_timeline) write("timeline.json", timeline_json(result));
  if (want_timeseries) write("timeseries.csv", timeseries_csv(result));
  if (want_report) write("report.html", report_html(result));
  if (!quiet) {
    out << summary_table(result);
    std::string list;
    for (const auto& f : written) list += (list.empty() ? "" : ", ") + f;
    out << fmt::format("\n  wrote               {}\n", list);
    if (want_timeline)
      if (const std::string left_out = timeline_coverage(result); !left_out.empty())
        out << fmt::format("  timeline            {} (--timeline-events N raises the cap)\n", left_out);
  }
  return 0;
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, std::ostream* tty) {
  try {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      out << kUsage;
      return args.empty() ? static_cast<int>(ExitCode::Usage) : 0;
    }
    const std::string verb = args[0];
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (verb == "version" || verb == "--version") {
      out << "racksim " << RACKSIM_VERSION << "\n";
      return 0;
    }
    // These verbs answer --help (or -h) anywhere among their arguments with the usage; the
    // others (predict, calibrate, validate) read their arguments themselves.
    const bool help = std::find(rest.begin(), rest.end(), "--help") != rest.end() ||
                      std::find(rest.begin(), rest.end(), "-h") != rest.end();
    for (const char* v : {"run", "export-chakra", "check", "sweep", "merge", "plan"})
      if (verb == v && help) {
        out << kUsage;
        return 0;
      }
    if (verb == "run") return cmd_run(rest, out, tty);
    if (verb == "export-chakra") return cmd_export_chakra(rest, out);
    if (verb == "predict") {
      if (!rest.empty() && rest.front() == "collective") return cmd_predict_collective(rest, data_dir(), out);
      return cmd_predict(rest, data_dir(), out);
    }
    if (verb == "check") return cmd_check(rest, data_dir(), out);
    if (verb == "sweep") return cmd_sweep(rest, data_dir(), out, tty);
    if (verb == "merge") return cmd_merge(rest, out);
    if (verb == "plan") return cmd_plan(rest, data_dir(), out, tty);
    if (verb == "calibrate") return cmd_calibrate(rest, data_dir(), out);
    if (verb == "validate" && std::find(rest.begin(), rest.end(), "--system") != rest.end())
      return cmd_validate_collectives(rest, data_dir(), out);
    if (verb == "validate") return cmd_validate(rest, data_dir(), out);
    throw UsageError(fmt::format("unknown verb '{}'; verbs: run, sweep, merge, plan, predict, calibrate, validate, version, export-chakra, check (see racksim --help)", verb));
  } catch (const UsageError& e) {
    err << "racksim: " << e.what() << "\n(racksim --help lists verbs and options)\n";
    return static_cast<int>(e.exit_code());
  } catch (const Error& e) {
    const char* what = e.exit_code() == ExitCode::BadInput      ? "invalid input"
                       : e.exit_code() == ExitCode::SimFailed    ? "simulation failed"
                       : e.exit_code() == ExitCode::OutputFailed ? "cannot write results"
                                                                 : "internal error";
    err << "racksim: " << what << ": " << e.what() << "\n";
    return static_cast<int>(e.exit_code());
  } catch (const std::exception& e) {
    err << "racksim: internal error: " << e.what() << "\n";
    return static_cast<int>(ExitCode::Internal);
  }
}

}  // namespace racksim
