// racksim cli: what `racksim validate CASES... --training` (training_validate_verb.cpp) and
// `--inference` (inference_validate_verb.cpp) share: read every cases file (a case id once over
// all of them), pick the cases by --case, map each onto a scenario (written to --scenarios DIR
// when given) and read it as one, simulate each in a child process (ChildPool, --jobs at once),
// judge the answers and print the table or the JSON. validate_cases<Kind>() is the whole verb;
// a Kind names the types and the few steps that differ:
//
//   struct Kind {
//     using File = ...; using Case = ...; using Mapping = ...; using Outcome = ...; using Result = ...;
//     static constexpr const char* title = "racksim validate --training";  // the table's first line
//     static File read(const std::string& path);                // the cases file
//     static std::string outcome_text(const RunResult& r);      // in the child: the run's outcome as text
//     static Outcome decode(const std::string& text, const Mapping& m);  // in the parent: back
//     static std::string table(const std::vector<Result>&, const Summary&, double budget);
//     static std::string json(const std::vector<Result>&, const Summary&, double budget, const
//     std::vector<std::string>& files);
//   };
//
// map_case, mapped_scenario_yaml, judge_case and summarize are the studies' overloads for the
// Kind's types (sim/studies/training_cases.hpp, inference_cases.hpp).
#pragma once

#include "core/error.hpp"
#include "sim/cli/verb.hpp"
#include "sim/scenario/scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace racksim {

struct RunResult;

// The options of `validate --<kind>` after the kind's own flag (which comes first): --case, --jobs,
// --budget (default `budget_percent`), --scenarios, --json.
[[nodiscard]] std::vector<OptionSpec> case_validation_options(OptionSpec kind_flag, const char* budget_percent);
// The exit statuses of `validate --<kind>` besides 0 and 2.
[[nodiscard]] std::vector<ExitStatus> case_validation_exits();

// An InputError's message with its key but without its file and line (the case names the place).
[[nodiscard]] std::string short_message(const InputError& e);

// The indexes of the ids that match --case `pattern` (all without it); an InputError at --case
// when the pattern is not a regular expression or matches none. `ids` is not empty.
[[nodiscard]] std::vector<std::size_t> select_ids(const std::vector<std::string>& ids,
                                                  const std::optional<std::string>& pattern);

// Makes the --scenarios folder (nothing when `dir` is empty); an OutputError when it cannot.
void create_scenarios_folder(const std::string& dir);

// A mapped case's scenario: written to DIR/<id>.yaml when `dir` is given, then read (`name` names
// it in messages); a scenario the reader refuses adds its reason to `not_expressible`.
[[nodiscard]] std::optional<Scenario> load_mapped_scenario(const std::string& yaml, const std::string& id,
                                                           const std::string& name, const std::string& data_dir,
                                                           const std::string& dir,
                                                           std::vector<std::string>& not_expressible);

// Each scenario given (a null one is skipped) in a child (ChildPool), up to `jobs` at once; the
// answers by index. A child answers "outcome\n" + outcome_text(its run's result), or "refused
// <why>" (the run does not take the scenario) or "failed <why>" (the simulation could not complete).
[[nodiscard]] std::map<std::size_t, std::string> simulate_all(
    const std::vector<const Scenario*>& scenarios, int jobs, std::ostream* tty,
    const std::function<std::string(const RunResult&)>& outcome_text);

// A child's answer as the parent reads it: the outcome's text, or why there is none; `failed`
// when the simulation failed (exit status 4).
struct CaseAnswer {
  std::optional<std::string> outcome;
  std::string failure;
  bool failed = false;
};
[[nodiscard]] CaseAnswer read_answer(const std::string& text);

// Every case of every file, in order, the sources merged (a source id keeps its first text).
template <class File, class Read>
File read_all_cases(const std::vector<std::string>& files, Read read) {
  File all;
  std::map<std::string, Location> seen;
  for (const auto& path : files) {
    File f = read(path);
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

// The whole verb: read, select, map, simulate, judge, print; the exit status.
template <class Kind>
int validate_cases(const ParsedArgs& a, const CliContext& ctx) {
  using Case = typename Kind::Case;
  struct Prepared {
    const Case* c = nullptr;
    typename Kind::Mapping mapping;
    std::optional<Scenario> scenario;  // expressible and accepted by the scenario reader
  };
  const std::vector<std::string>& files = a.positional();
  const double budget = *a.number("--budget") / 100.0;
  const int jobs = static_cast<int>(a.integer("--jobs").value_or(std::max(1u, std::thread::hardware_concurrency())));
  const std::string dir = a.text("--scenarios").value_or("");
  const std::string data_dir = ctx.data_dir();
  const typename Kind::File all = read_all_cases<typename Kind::File>(files, Kind::read);
  std::vector<std::string> ids;
  for (const auto& c : all.cases) ids.push_back(c.id);
  const std::vector<std::size_t> chosen = select_ids(ids, a.text("--case"));
  create_scenarios_folder(dir);

  // Each case mapped and read as a scenario; a scenario the reader refuses makes the case not
  // expressible, with its reason.
  std::vector<Prepared> cases;
  for (const std::size_t i : chosen) {
    const Case& c = all.cases[i];
    Prepared p{&c, map_case(c), std::nullopt};
    if (p.mapping.expressible())
      p.scenario = load_mapped_scenario(mapped_scenario_yaml(c, p.mapping), c.id, c.where.file + "#" + c.id, data_dir,
                                        dir, p.mapping.not_expressible);
    cases.push_back(std::move(p));
  }
  std::vector<const Scenario*> scenarios;
  for (const auto& p : cases) scenarios.push_back(p.scenario ? &*p.scenario : nullptr);
  const auto answers = simulate_all(scenarios, jobs, ctx.tty, Kind::outcome_text);

  bool failed = false;
  std::vector<typename Kind::Result> results;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    Prepared& p = cases[i];
    std::optional<typename Kind::Outcome> o;
    std::string failure;
    if (auto it = answers.find(i); it != answers.end()) {
      CaseAnswer answer = read_answer(it->second);
      if (answer.outcome) o = Kind::decode(*answer.outcome, p.mapping);
      failure = std::move(answer.failure);
      failed = failed || answer.failed;
    }
    results.push_back(judge_case(*p.c, std::move(p.mapping), std::move(o), std::move(failure)));
  }

  const auto s = summarize(results, all.sources);
  std::string list;
  for (const auto& f : files) list += (list.empty() ? "" : ", ") + f;
  if (a.flag("--json")) ctx.out << Kind::json(results, s, budget, files);
  else ctx.out << Kind::title << ": " << list << "\n" << Kind::table(results, s, budget);
  if (failed) return static_cast<int>(ExitCode::SimFailed);
  return s.compared > 0 && s.median_abs_error <= budget ? 0 : 1;
}

}  // namespace racksim
