// racksim cli: the steps `validate --training` and `validate --inference` share (case_runner.hpp):
// the --case selection, the --scenarios folder, each case's scenario, the children and their answers.
#include "sim/cli/case_runner.hpp"

#include "core/atomic_file.hpp"
#include "core/text.hpp"
#include "sim/cli/child_run.hpp"
#include "sim/cli/progress.hpp"
#include "sim/engine/run.hpp"
#include "sim/output/results.hpp"

#include <filesystem>
#include <regex>

namespace racksim {

namespace fs = std::filesystem;

namespace {

Location opt_loc(const std::string& option, const std::string& value) {
  return Location{option + " " + value, 0, 0, ""};
}

// In the child: the one answer (case_runner.hpp, simulate_all).
std::string evaluate(const Scenario& s, const std::function<std::string(const RunResult&)>& outcome_text) {
  try {
    Run run(s);
    return "outcome\n" + outcome_text(run.execute());
  } catch (const InputError& e) {
    return "refused the run refuses it: " + short_message(e);
  } catch (const std::exception& e) {
    return std::string("failed ") + e.what();
  }
}

}  // namespace

std::vector<OptionSpec> case_validation_options(OptionSpec kind_flag, const char* budget_percent) {
  return {std::move(kind_flag),
          text("--case", "REGEX", "only the cases whose id matches (ECMAScript regular expression)"),
          integer("--jobs", "N", 1, 1024, "the cases simulated at once").default_shown("the machine's cores"),
          number_above("--budget", "PERCENT", 0.0, "the largest median |error| that passes, in percent")
              .defaults_to(budget_percent),
          text("--scenarios", "DIR", "also write each mapped scenario to DIR/<case id>.yaml (racksim run reads it)"),
          flag("--json", "print one JSON object instead of the table")};
}

std::vector<ExitStatus> case_validation_exits() {
  return {{1, "the median |error| is past the budget, or no case could be expressed"},
          {3, "invalid input: a cases file, or a --case that matches no case"},
          {4, "a case's simulation failed"},
          {5, "the --scenarios folder or a scenario in it could not be written"}};
}

std::string short_message(const InputError& e) {
  return e.where().key.empty() ? e.expected() : fmt::format("{}: {}", e.where().key, e.expected());
}

std::vector<std::size_t> select_ids(const std::vector<std::string>& ids, const std::optional<std::string>& pattern) {
  std::vector<std::size_t> out;
  std::regex re;
  if (pattern) {
    try {
      re = std::regex(*pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      throw InputError(opt_loc("--case", *pattern),
                       fmt::format("expected a regular expression (ECMAScript): {}", e.what()));
    }
  }
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (!pattern || std::regex_search(ids[i], re)) out.push_back(i);
  if (out.empty())
    throw InputError(opt_loc("--case", pattern.value_or("")),
                     fmt::format("no case id matches; the {} case(s) start with '{}'", ids.size(), ids.front()));
  return out;
}

void create_scenarios_folder(const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw OutputError(fmt::format("cannot create the folder {}: {}", dir, ec.message()));
}

std::optional<Scenario> load_mapped_scenario(const std::string& yaml, const std::string& id, const std::string& name,
                                             const std::string& data_dir, const std::string& dir,
                                             std::vector<std::string>& not_expressible) {
  if (!dir.empty()) write_atomic(fs::path(dir) / (safe_file_name(id, "case") + ".yaml"), yaml);
  try {
    return load_scenario_text(yaml, name, {}, data_dir);
  } catch (const InputError& e) {
    not_expressible.push_back("racksim's scenario reader refuses the mapped scenario: " + short_message(e));
    return std::nullopt;
  }
}

std::map<std::size_t, std::string> simulate_all(const std::vector<const Scenario*>& scenarios, int jobs,
                                                std::ostream* tty,
                                                const std::function<std::string(const RunResult&)>& outcome_text) {
  std::vector<std::size_t> todo;
  for (std::size_t i = 0; i < scenarios.size(); ++i)
    if (scenarios[i]) todo.push_back(i);
  std::map<std::size_t, std::string> done;
  if (todo.empty()) return done;
  ProgressMeter meter(tty, "validate", static_cast<double>(todo.size()), "cases");
  ChildPool pool(jobs);
  std::size_t next = 0;
  while (next < todo.size() || !pool.idle()) {
    while (next < todo.size() && !pool.full()) {
      const std::size_t i = todo[next++];
      pool.start(i, [&scenarios, &outcome_text, i] { return evaluate(*scenarios[i], outcome_text); });
    }
    ChildPool::Finished fin = pool.wait_any();
    done[fin.id] = fin.ok ? std::move(fin.text) : "failed " + fin.text;
    meter.update(static_cast<double>(done.size()));
  }
  meter.finish();
  return done;
}

CaseAnswer read_answer(const std::string& text) {
  CaseAnswer a;
  if (text.rfind("outcome\n", 0) == 0) {
    a.outcome = text.substr(8);
  } else if (text.rfind("refused ", 0) == 0) {
    a.failure = text.substr(8);
  } else {
    a.failed = true;
    a.failure = "the simulation failed: " + (text.rfind("failed ", 0) == 0 ? text.substr(7) : text);
  }
  return a;
}

}  // namespace racksim
