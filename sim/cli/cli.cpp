// racksim cli: run_cli, the verbs run, export-chakra and version, the list of every verb and the
// top-level usage made from their declarations.
#include "sim/cli/cli.hpp"

#include "core/error.hpp"
#include "core/text.hpp"
#include "sim/workload/chakra.hpp"
#include "sim/cli/child_run.hpp"
#include "sim/cli/out_folder.hpp"
#include "sim/cli/check_verb.hpp"
#include "sim/cli/collective_verbs.hpp"
#include "sim/cli/kernel_verbs.hpp"
#include "sim/cli/plan_verb.hpp"
#include "sim/cli/sweep_verbs.hpp"
#include "sim/cli/inference_validate_verb.hpp"
#include "sim/cli/training_validate_verb.hpp"
#include "core/atomic_file.hpp"
#include "core/output_folder.hpp"
#include "sim/cli/progress.hpp"
#include "sim/output/report.hpp"
#include "sim/engine/run.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/output/timeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <optional>
#include <ostream>

namespace racksim {

namespace fs = std::filesystem;

namespace {

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

int cmd_export_chakra(const ParsedArgs& a, const CliContext& ctx) {
  std::ostream& out = ctx.out;
  const std::string& scenario = a.positional()[0];
  const fs::path dir(a.positional()[1]);
  const bool force = a.flag("--force");
  const Scenario s = load_scenario(scenario, a.texts("--set"), ctx.data_dir());
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

Verb export_chakra_verb() {
  VerbSpec s;
  s.name = "export-chakra";
  s.words = {"export-chakra"};
  s.summary = "Write the scenario's workload as Chakra ET files, one per rank: DIR/<name>.<rank>.et (<name> is the "
              "workload's name, other characters than letters, digits, '-' and '_' made '_'). A scenario with workload "
              "{kind: chakra, prefix: DIR/<name>} replays them identically; other tools (astra-sim) read them too "
              "(docs/chakra.md). Existing files of that name are never replaced without --force.";
  s.positionals = {{"SCENARIO", "a scenario file", "the scenario whose workload is written"},
                   {"DIR", "an output folder DIR", "the folder of the .et files (created if missing)"}};
  s.options = {text("--set", "KEY=VALUE", "override a scenario key; VALUE is YAML, checked like the file's own values").repeatable(),
               flag("--force", "replace the files of an earlier export")};
  s.exits = {{3, "invalid input: the scenario or a --set value"},
               {5, "the files exist (without --force) or could not be written"}};
  return {s, cmd_export_chakra};
}

// What `run` writes besides summary.json.
struct RunFiles {
  bool timeline = true;
  bool timeseries = true;
  bool report = true;
};

// The run's folder, before anything is simulated: --out DIR (refused when it holds a sweep's or
// a plan's results: sim/cli/out_folder.hpp) or a fresh racksim-out/<name>-NNN, created now, so
// that a path that cannot be a folder fails before the simulation. `created`: it did not exist.
fs::path run_folder(const std::optional<std::string>& out_dir, const std::string& name, bool& created) {
  const fs::path dir = out_dir ? fs::path(*out_dir) : fresh_out_dir(name);
  if (out_dir) require_folder_for(dir, FolderKind::Run, "--out " + *out_dir);
  std::error_code ec;
  created = !fs::exists(dir, ec);
  // Created now, and a probe file written and removed in it: a folder that cannot be created or
  // written is refused (exit 3) before the simulation, not after it.
  check_output_folder(dir, out_dir ? "--out " + *out_dir : dir.string());
  return dir;
}

// Writes the run's files into `dir` (which exists); returns their paths.
std::vector<std::string> write_run_files(const RunResult& result, const fs::path& dir, const RunFiles& files) {
  std::vector<std::string> written;
  auto write = [&](const char* file, const std::string& content) {
    write_atomic(dir / file, content);
    written.push_back((dir / file).string());
  };
  write("summary.json", summary_json(result));
  if (files.timeline) write("timeline.json", timeline_json(result));
  if (files.timeseries) write("timeseries.csv", timeseries_csv(result));
  if (files.timeseries && result.serving_series) write("serving_timeseries.csv", serving_timeseries_csv(result));
  if (files.report) write("report.html", report_html(result));
  return written;
}

// `run` after its folder is ready: the simulation, its files, the summary on stdout.
int simulate_and_write(const ParsedArgs& a, const CliContext& ctx, const Scenario& s, const fs::path& dir, const RunFiles& files) {
  std::ostream& out = ctx.out;
  const bool quiet = a.flag("--quiet");
  Run run(s);
  if (!quiet) out << run.header() << std::flush;
  run.measure_fault_baseline(run_in_child);  // with faults: what they cost, in a child process
  if (files.timeline) run.keep_timeline(static_cast<std::size_t>(*a.integer("--timeline-events")));
  std::optional<ProgressMeter> meter;
  if (!quiet && ctx.tty) {
    meter.emplace(ctx.tty, "simulating", 0.0, "ops");
    run.on_progress([&meter](double now, std::size_t done, std::size_t total) {
      meter->set_total(static_cast<double>(total));
      meter->update(static_cast<double>(done), fmt::format("t = {:.6g} s simulated", now));
    });
  }
  RunResult result = run.execute();
  if (meter) meter->finish();
  const std::vector<std::string> written = write_run_files(result, dir, files);
  if (!quiet) {
    out << summary_table(result);
    std::string list;
    for (const auto& f : written) list += (list.empty() ? "" : ", ") + f;
    out << fmt::format("\n  wrote               {}\n", list);
    if (files.timeline)
      if (const std::string left_out = timeline_coverage(result); !left_out.empty())
        out << fmt::format("  timeline            {} (--timeline-events N raises the cap)\n", left_out);
  }
  return 0;
}

int cmd_run(const ParsedArgs& a, const CliContext& ctx) {
  const std::string scenario = a.positional().empty() ? ctx.data_dir() + "/scenarios/helios.yaml" : a.positional()[0];
  const bool summary_only = a.flag("--summary-only");
  const RunFiles files{!summary_only && !a.flag("--no-timeline"), !summary_only && !a.flag("--no-timeseries"),
                       !summary_only && !a.flag("--no-report")};
  const Scenario s = load_scenario(scenario, a.texts("--set"), ctx.data_dir());
  bool created = false;
  const fs::path dir = run_folder(a.text("--out"), s.name, created);
  try {
    return simulate_and_write(a, ctx, s, dir, files);
  } catch (...) {
    std::error_code ec;
    if (created) fs::remove(dir, ec);  // the folder this run made, if it is still empty
    throw;
  }
}

Verb run_verb() {
  VerbSpec s;
  s.name = "run";
  s.words = {"run"};
  s.summary = "Simulate SCENARIO, print a summary and write into DIR summary.json, timeline.json (Chrome trace events: "
              "Perfetto, chrome://tracing), timeseries.csv and report.html (self-contained); --no-<file> skips one, "
              "--summary-only all but summary.json. The timeline holds whole ranks, in order, up to --timeline-events "
              "events; the run says which it left out. On a terminal, progress (simulated time, ops done, ETA) shows "
              "on stderr while it runs.";
  s.positionals = {{"SCENARIO", "a scenario file", "the scenario (default: scenarios/helios.yaml of the racksim data directory)",
                    false}};
  s.options = {
      text("--out", "DIR", "the folder to write into").default_shown("a fresh racksim-out/<name>-NNN folder under the current directory"),
      text("--set", "KEY=VALUE", "override any scenario key, e.g. --set cluster.domains=4; VALUE is YAML and is checked like "
                                 "the file's own values")
          .repeatable(),
      flag("--no-timeline", "do not write timeline.json"),
      flag("--no-timeseries", "do not write timeseries.csv"),
      flag("--no-report", "do not write report.html"),
      flag("--summary-only", "write summary.json alone"),
      integer("--timeline-events", "N", 1, std::numeric_limits<std::int64_t>::max(),
              "the most events timeline.json holds (200000 is about 50 MB)")
          .defaults_to(std::to_string(kTimelineMaxEvents)),
      flag("--quiet", "print nothing but errors (and no progress)").alias("-q")};
  s.exits = {{3, "invalid input: the scenario, a trace, the catalog or a --set value; or --out holds a sweep's or a plan's results"},
               {4, "the simulation failed: the inputs are valid but it cannot complete (a deadlock, named by rank and op)"},
               {5, "results could not be written"}};
  return {s, cmd_run};
}

int cmd_version(const ParsedArgs&, const CliContext& ctx) {
  ctx.out << "racksim " << RACKSIM_VERSION << "\n";
  return 0;
}

Verb version_verb() {
  VerbSpec s;
  s.name = "version";
  s.words = {"version"};
  s.summary = "Print the version (racksim --version does the same).";
  return {s, cmd_version};
}

// ---- the verbs, the top-level usage, dispatch -------------------------------------------------

constexpr const char* kUsageTail = R"(
command line, for every verb:
  --opt=VALUE and --opt VALUE are the same; repeatable options keep their order; another option
  given twice: the last wins; -- ends the options. Byte counts (--bytes, --min-bytes) take a bare
  number of bytes (1048576) or a size with a unit (1MiB, 1.5 GB); scenario files always need units.

exit codes:
  0 success   1 internal error (validate: past the error budget; check: a metric moved past its tolerance;
              merge: points missing)
  2 bad command line   3 invalid input (scenario, catalog, trace, --set, an option's value; check: a missing
              or invalid baseline file; an output folder holding another command's results or in use)
  4 simulation failed (e.g. deadlock)   5 results could not be written
  (racksim VERB --help lists the codes the verb can return and what each means there)

environment:
  RACKSIM_DATA_DIR  where models/catalog and scenarios live (default: ../share/racksim next to
                    the racksim executable when it holds models/catalog, as after cmake --install;
                    otherwise the source tree racksim was built from)
)";

// Whether `args` ask for help before a "--".
bool asks_help(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--") return false;
    if (a == "--help" || a == "-h") return true;
  }
  return false;
}

bool gives_option(const std::vector<std::string>& args, const std::string& option) {
  return std::any_of(args.begin(), args.end(), [&](const std::string& a) { return a == option || a.rfind(option + "=", 0) == 0; });
}

// Among the verbs reached by the same first word, the one `rest` asks for: by its second word
// (predict kernel, predict collective; the word is taken off `rest`) or by the option that
// selects it (validate --system). Null: `rest` asks for the help of them all.
const Verb* choose_form(const std::vector<const Verb*>& forms, std::vector<std::string>& rest) {
  if (forms.size() == 1) return forms.front();
  if (forms.front()->spec.words.size() > 1) {
    for (const Verb* v : forms)
      if (!rest.empty() && rest.front() == v->spec.words[1]) {
        rest.erase(rest.begin());
        return v;
      }
    if (asks_help(rest)) return nullptr;
    std::vector<std::string> words, usages;
    for (const Verb* v : forms) {
      words.push_back(v->spec.words[1]);
      usages.push_back(synopsis(v->spec));
    }
    std::string usage;
    for (const auto& u : usages) usage += (usage.empty() ? "usage: " : "\n       ") + u;
    std::string choices;
    for (const auto& w : words) choices += (choices.empty() ? "" : " or ") + w;
    throw UsageError(fmt::format("'{}' needs {} first; {}", forms.front()->spec.words[0], choices, usage));
  }
  if (asks_help(rest)) return nullptr;
  const Verb* fallback = nullptr;
  for (const Verb* v : forms) {
    if (v->spec.selected_by.empty()) fallback = v;
    else if (gives_option(rest, v->spec.selected_by)) return v;
  }
  return fallback;
}

int dispatch(const std::vector<Verb>& verbs, const std::vector<std::string>& args, const CliContext& ctx) {
  const std::string word = args[0] == "--version" ? "version" : args[0];
  std::vector<const Verb*> forms;
  std::vector<std::string> words;
  for (const auto& v : verbs) {
    if (v.spec.words.front() == word) forms.push_back(&v);
    if (std::find(words.begin(), words.end(), v.spec.words.front()) == words.end()) words.push_back(v.spec.words.front());
  }
  if (forms.empty()) {
    std::string list;
    for (const auto& w : words) list += (list.empty() ? "" : ", ") + w;
    throw UsageError(fmt::format("unknown verb '{}'; verbs: {} (see racksim --help)", word, list));
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  const Verb* verb = choose_form(forms, rest);
  if (!verb) {
    for (std::size_t i = 0; i < forms.size(); ++i) ctx.out << (i ? "\n" : "") << verb_help(forms[i]->spec);
    return 0;
  }
  const ParsedArgs parsed = parse_args(verb->spec, rest);
  if (parsed.help()) {
    ctx.out << verb_help(verb->spec);
    return 0;
  }
  return verb->run(parsed, ctx);
}

}  // namespace

std::vector<Verb> all_verbs() {
  return {run_verb(),     sweep_verb(),         merge_verb(),        plan_verb(),
          predict_kernel_verb(), predict_collective_verb(), calibrate_verb(), validate_kernels_verb(),
          validate_collectives_verb(), validate_training_verb(), validate_inference_verb(), export_chakra_verb(),
          check_verb(), version_verb()};
}

std::string usage_text() {
  const std::vector<Verb> verbs = all_verbs();
  std::string s = "racksim - predicts how AI workloads run on rack-scale GPU clusters\n\nusage:\n";
  for (const auto& v : verbs) s += wrapped_synopsis(v.spec, "    ", 100) + "\n";
  s += "    racksim --help\n";
  s += "\nverbs (racksim VERB --help lists a verb's options, their ranges and defaults):\n";
  std::size_t width = 0;
  for (const auto& v : verbs) width = std::max(width, v.spec.name.size());
  for (const auto& v : verbs) {
    const std::size_t indent = width + 4;
    s += fmt::format("  {:<{}}  {}\n", v.spec.name, width, wrap_text(v.spec.summary, indent, 100));
  }
  return s + kUsageTail;
}

namespace {

// Text for a Markdown table cell: a '|' (as in "median |error|") would end the cell.
std::string markdown_cell(const std::string& text) {
  std::string out;
  for (const char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

}  // namespace

std::string exit_status_table() {
  std::string s = "| verb | exit statuses besides 0 (success), 1 (internal error) and 2 (bad command line) |\n|---|---|\n";
  for (const auto& v : all_verbs()) {
    std::string cell;
    for (const auto& e : v.spec.exits) cell += fmt::format("{}**{}** {}", cell.empty() ? "" : "; ", e.code, markdown_cell(e.meaning));
    s += fmt::format("| `{}` | {} |\n", v.spec.name, cell.empty() ? "none" : cell);
  }
  return s;
}

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, std::ostream* tty) {
  try {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      out << usage_text();
      return args.empty() ? static_cast<int>(ExitCode::Usage) : 0;
    }
    const CliContext ctx{out, tty, &data_dir};
    return dispatch(all_verbs(), args, ctx);
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
