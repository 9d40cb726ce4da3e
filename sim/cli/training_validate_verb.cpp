// racksim cli: `racksim validate CASES... --training` (training_validate_verb.hpp): read the cases,
// map each onto a scenario, simulate each in a child process, compare and report.
#include "sim/cli/training_validate_verb.hpp"

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/text.hpp"
#include "sim/cli/child_run.hpp"
#include "sim/cli/progress.hpp"
#include "sim/engine/run.hpp"
#include "sim/output/results.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/studies/training_cases.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <ostream>
#include <regex>
#include <thread>

namespace racksim {

namespace fs = std::filesystem;

namespace {

Location opt_loc(const std::string& option, const std::string& value) { return Location{option + " " + value, 0, 0, ""}; }

// An InputError's message with its key but without its file and line (the case names the place).
std::string short_message(const InputError& e) {
  return e.where().key.empty() ? e.expected() : fmt::format("{}: {}", e.where().key, e.expected());
}

// Every case of every file, in order, the sources merged (a source id keeps its first text).
TrainingCaseFile read_all(const std::vector<std::string>& files) {
  TrainingCaseFile all;
  std::map<std::string, Location> seen;
  for (const auto& path : files) {
    TrainingCaseFile f = read_training_cases(path);
    for (auto& src : f.sources)
      if (std::none_of(all.sources.begin(), all.sources.end(), [&](const auto& s) { return s.first == src.first; }))
        all.sources.push_back(src);
    for (auto& c : f.cases) {
      if (auto it = seen.find(c.id); it != seen.end())
        throw InputError(c.where, fmt::format("case id '{}' is given twice (first at {})", c.id, it->second.str()));
      seen[c.id] = c.where;
      all.cases.push_back(std::move(c));
    }
  }
  return all;
}

// The cases whose id matches --case (all without it).
std::vector<const TrainingCase*> select_cases(const TrainingCaseFile& f, const std::optional<std::string>& pattern) {
  std::vector<const TrainingCase*> out;
  std::regex re;
  if (pattern) {
    try {
      re = std::regex(*pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      throw InputError(opt_loc("--case", *pattern), fmt::format("expected a regular expression (ECMAScript): {}", e.what()));
    }
  }
  for (const auto& c : f.cases)
    if (!pattern || std::regex_search(c.id, re)) out.push_back(&c);
  if (out.empty())
    throw InputError(opt_loc("--case", pattern.value_or("")),
                     fmt::format("no case id matches; the {} case(s) start with '{}'", f.cases.size(), f.cases.front().id));
  return out;
}

// ---- in the child -----------------------------------------------------------------------------

TrainingOutcome outcome_of(const RunResult& r) {
  if (!r.training) throw Error("internal error: a training case's run has no training metrics");
  TrainingOutcome o;
  o.step_time_s = r.training->step_time_s;
  o.tokens_per_s_per_gpu = r.training->tokens_per_s_per_gpu;
  o.bubble_fraction = r.training->pipeline_bubble_fraction;
  o.exposed_comm_s = r.training->exposed_comm_s;
  double compute = 0.0, idle = 0.0, peak = 0.0;
  for (const auto& b : r.per_rank) {
    compute += b.compute_s;
    idle += b.idle_s;
    peak = std::max(peak, static_cast<double>(b.hbm_peak));
  }
  const double n = r.per_rank.empty() ? 1.0 : static_cast<double>(r.per_rank.size());
  o.compute_s = compute / n;
  o.idle_s = idle / n;
  o.hbm_peak_bytes = peak;
  o.hbm_capacity_bytes = static_cast<double>(r.hbm_capacity);
  o.oom_events = static_cast<std::int64_t>(r.oom_events.size());
  o.reduced = r.reduction.applied;
  return o;
}

// The child's one answer: "outcome\n..." or "refused <why>" (the run does not take the scenario)
// or "failed <why>" (the simulation could not complete).
std::string evaluate(const Scenario& s) {
  try {
    Run run(s);
    return "outcome\n" + encode_outcome(outcome_of(run.execute()));
  } catch (const InputError& e) {
    return "refused the run refuses it: " + short_message(e);
  } catch (const std::exception& e) {
    return std::string("failed ") + e.what();
  }
}

// ---- in the parent ----------------------------------------------------------------------------

struct Prepared {
  const TrainingCase* c = nullptr;
  TrainingMapping mapping;
  std::optional<Scenario> scenario;  // expressible and accepted by the scenario reader
};

// Each case mapped and read as a scenario; a scenario the reader or the generator's checks refuse
// makes the case not expressible, with their reason. Writes the scenarios to `dir` when given.
std::vector<Prepared> prepare(const std::vector<const TrainingCase*>& cases, const std::string& data_dir, const std::string& dir) {
  std::vector<Prepared> out;
  for (const TrainingCase* c : cases) {
    Prepared p{c, map_case(*c), std::nullopt};
    if (p.mapping.expressible()) {
      const std::string yaml = mapped_scenario_yaml(*c, p.mapping);
      if (!dir.empty()) write_atomic(fs::path(dir) / (safe_file_name(c->id, "case") + ".yaml"), yaml);
      try {
        p.scenario = load_scenario_text(yaml, c->where.file + "#" + c->id, {}, data_dir);
      } catch (const InputError& e) {
        p.mapping.not_expressible.push_back("racksim's scenario reader refuses the mapped scenario: " + short_message(e));
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

// Each prepared scenario in a child (ChildPool), up to `jobs` at once; the answers by index.
std::map<std::size_t, std::string> simulate_all(const std::vector<Prepared>& cases, int jobs, std::ostream* tty) {
  std::vector<std::size_t> todo;
  for (std::size_t i = 0; i < cases.size(); ++i)
    if (cases[i].scenario) todo.push_back(i);
  std::map<std::size_t, std::string> done;
  if (todo.empty()) return done;
  ProgressMeter meter(tty, "validate", static_cast<double>(todo.size()), "cases");
  ChildPool pool(jobs);
  std::size_t next = 0;
  while (next < todo.size() || !pool.idle()) {
    while (next < todo.size() && !pool.full()) {
      const std::size_t i = todo[next++];
      pool.start(i, [&cases, i] { return evaluate(*cases[i].scenario); });
    }
    ChildPool::Finished fin = pool.wait_any();
    done[fin.id] = fin.ok ? std::move(fin.text) : "failed " + fin.text;
    meter.update(static_cast<double>(done.size()));
  }
  meter.finish();
  return done;
}

std::vector<TrainingCaseResult> judge_all(std::vector<Prepared>& cases, const std::map<std::size_t, std::string>& answers, bool& failed) {
  std::vector<TrainingCaseResult> results;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    Prepared& p = cases[i];
    std::optional<TrainingOutcome> o;
    std::string failure;
    if (auto it = answers.find(i); it != answers.end()) {
      const std::string& text = it->second;
      if (text.rfind("outcome\n", 0) == 0) {
        o = decode_outcome(text.substr(8));
      } else if (text.rfind("refused ", 0) == 0) {
        failure = text.substr(8);
      } else {
        failed = true;
        failure = "the simulation failed: " + (text.rfind("failed ", 0) == 0 ? text.substr(7) : text);
      }
    }
    results.push_back(judge_case(*p.c, std::move(p.mapping), std::move(o), std::move(failure)));
  }
  return results;
}

int cmd_validate_training(const ParsedArgs& a, const CliContext& ctx) {
  const std::vector<std::string>& files = a.positional();
  const double budget = *a.number("--budget") / 100.0;
  const int jobs = static_cast<int>(a.integer("--jobs").value_or(std::max(1u, std::thread::hardware_concurrency())));
  const std::string dir = a.text("--scenarios").value_or("");
  const std::string data_dir = ctx.data_dir();
  const TrainingCaseFile all = read_all(files);
  const std::vector<const TrainingCase*> chosen = select_cases(all, a.text("--case"));
  if (!dir.empty()) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw OutputError(fmt::format("cannot create the folder {}: {}", dir, ec.message()));
  }
  std::vector<Prepared> cases = prepare(chosen, data_dir, dir);
  const auto answers = simulate_all(cases, jobs, ctx.tty);
  bool failed = false;
  const std::vector<TrainingCaseResult> results = judge_all(cases, answers, failed);
  const TrainingSummary s = summarize(results, all.sources);
  std::string list;
  for (const auto& f : files) list += (list.empty() ? "" : ", ") + f;
  if (a.flag("--json")) ctx.out << training_validation_json(results, s, budget, files);
  else ctx.out << "racksim validate --training: " << list << "\n" << training_validation_table(results, s, budget);
  if (failed) return static_cast<int>(ExitCode::SimFailed);
  return s.compared > 0 && s.median_abs_error <= budget ? 0 : 1;
}

}  // namespace

Verb validate_training_verb() {
  VerbSpec s;
  s.name = "validate --training";
  s.words = {"validate"};
  s.selected_by = "--training";
  s.summary = "Whole training steps predicted vs measured (docs/validation.md): every kind: training_step case of the "
              "files (../shared/reference/training-steps.yaml's format) mapped onto a scenario and simulated, each in its "
              "own process; prints predicted vs measured tokens/s/GPU, the error and the step's breakdown per case, the "
              "median |error| per source and overall, the bias, and the cases racksim cannot express with the reason. "
              "Exit status 1 when the median |error| exceeds the budget, 4 when a simulation failed.";
  s.positionals = {{"CASES", "a training-step cases file", "files of kind: training_step cases", true, true}};
  s.options = {flag("--training", "the files hold whole training steps (kind: training_step)").required(),
               text("--case", "REGEX", "only the cases whose id matches (ECMAScript regular expression)"),
               integer("--jobs", "N", 1, 1024, "the cases simulated at once").default_shown("the machine's cores"),
               number_above("--budget", "PERCENT", 0.0, "the largest median |error| that passes, in percent").defaults_to("10"),
               text("--scenarios", "DIR", "also write each mapped scenario to DIR/<case id>.yaml (racksim run reads it)"),
               flag("--json", "print one JSON object instead of the table")};
  s.exits = {{1, "the median |error| is past the budget, or no case could be expressed"},
             {3, "invalid input: a cases file, or a --case that matches no case"},
             {4, "a case's simulation failed"},
             {5, "the --scenarios folder or a scenario in it could not be written"}};
  return {s, cmd_validate_training};
}

}  // namespace racksim
