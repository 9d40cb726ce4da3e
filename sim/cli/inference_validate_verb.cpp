// racksim cli: `racksim validate CASES... --inference` (inference_validate_verb.hpp): read the
// cases, map each onto a serving scenario, simulate each in a child process, compare and report.
// The structure of training_validate_verb.cpp, with the serving run's metrics.
#include "sim/cli/inference_validate_verb.hpp"

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/text.hpp"
#include "sim/cli/child_run.hpp"
#include "sim/cli/progress.hpp"
#include "sim/engine/run.hpp"
#include "sim/output/results.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/studies/inference_cases.hpp"

// The serving run's metrics (ServingMetrics, RunResult::serving) are written beside this verb
// (issue 18) and are not in every tree yet: outcome_of() below is the only code that reads them.
#if __has_include("sim/output/serving_metrics.hpp")
#include "sim/output/serving_metrics.hpp"
#define RACKSIM_INFERENCE_VALIDATE_HAS_SERVING_METRICS
#endif

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
InferenceCaseFile read_all(const std::vector<std::string>& files) {
  InferenceCaseFile all;
  std::map<std::string, Location> seen;
  for (const auto& path : files) {
    InferenceCaseFile f = read_inference_cases(path);
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
std::vector<const InferenceCase*> select_cases(const InferenceCaseFile& f, const std::optional<std::string>& pattern) {
  std::vector<const InferenceCase*> out;
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

// THE MERGE POINT: the only code of validate --inference that reads a serving run's metrics
// (RunResult::serving, a std::optional<ServingMetrics> of sim/output/serving_metrics.hpp). The
// body under the #ifdef is written against the fields ServingMetrics was announced with
// (finished, duration_s, output_tokens_per_s, total_tokens_per_s, requests_per_s, and ttft, tpot,
// e2e as LatencyStats {count, mean, p50, p90, p99, max}); at merge, check those names and fill the
// breakdown (mean decode batch, KV capacity in tokens per instance, preemptions) from what the
// metrics report; each left unset is printed as '-'. Without the header (a tree before the merge)
// the verb builds and says that it cannot read a serving run.
InferenceOutcome outcome_of(const RunResult& r) {
#ifdef RACKSIM_INFERENCE_VALIDATE_HAS_SERVING_METRICS
  if (!r.serving) throw Error("internal error: an inference case's run has no serving metrics");
  const ServingMetrics& m = *r.serving;
  InferenceOutcome o;
  o.finished = static_cast<std::int64_t>(m.finished);
  o.duration_s = m.duration_s;
  o.output_tokens_per_s = m.throughput.output_tokens_per_s;
  o.total_tokens_per_s = m.throughput.total_tokens_per_s;
  o.requests_per_s = m.throughput.requests_per_s;
  o.ttft_mean_s = m.ttft.mean;
  o.ttft_p99_s = m.ttft.p99;
  o.tpot_mean_s = m.tpot.mean;
  o.tpot_p99_s = m.tpot.p99;
  o.e2e_mean_s = m.e2e.mean;
  o.e2e_max_s = m.e2e.max;
  o.requests = m.requests;
  o.mean_decode_batch = m.mean_decode_batch;
  if (!m.pools.empty()) o.kv_capacity_tokens = m.pools.back().kv_capacity_tokens;  // the decoding pool's
  o.preemptions = m.preemptions;
  o.iterations = m.iterations;
  o.mean_seqs_per_iteration = m.mean_seqs_per_iteration;
  return o;
#else
  (void)r;
  throw Error("this racksim was built without the serving run's metrics (sim/output/serving_metrics.hpp), so "
              "validate --inference cannot read a serving run");
#endif
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
  const InferenceCase* c = nullptr;
  InferenceMapping mapping;
  std::optional<Scenario> scenario;  // expressible and accepted by the scenario reader
};

// Each case mapped and read as a scenario; a scenario the reader refuses (a model preset the
// catalog lacks, a precision the GPU has no rate for) makes the case not expressible, with its
// reason. Writes the scenarios to `dir` when given.
std::vector<Prepared> prepare(const std::vector<const InferenceCase*>& cases, const std::string& data_dir,
                              const std::string& dir) {
  std::vector<Prepared> out;
  for (const InferenceCase* c : cases) {
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

std::vector<InferenceCaseResult> judge_all(std::vector<Prepared>& cases, const std::map<std::size_t, std::string>& answers,
                                           bool& failed) {
  std::vector<InferenceCaseResult> results;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    Prepared& p = cases[i];
    std::optional<InferenceOutcome> o;
    std::string failure;
    if (auto it = answers.find(i); it != answers.end()) {
      const std::string& text = it->second;
      if (text.rfind("outcome\n", 0) == 0) {
        o = decode_inference_outcome(text.substr(8));
        o->requests = p.mapping.requests;  // the parent knows how many it asked for
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

int cmd_validate_inference(const ParsedArgs& a, const CliContext& ctx) {
  const std::vector<std::string>& files = a.positional();
  const double budget = *a.number("--budget") / 100.0;
  const int jobs = static_cast<int>(a.integer("--jobs").value_or(std::max(1u, std::thread::hardware_concurrency())));
  const std::string dir = a.text("--scenarios").value_or("");
  const std::string data_dir = ctx.data_dir();
  const InferenceCaseFile all = read_all(files);
  const std::vector<const InferenceCase*> chosen = select_cases(all, a.text("--case"));
  if (!dir.empty()) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw OutputError(fmt::format("cannot create the folder {}: {}", dir, ec.message()));
  }
  std::vector<Prepared> cases = prepare(chosen, data_dir, dir);
  const auto answers = simulate_all(cases, jobs, ctx.tty);
  bool failed = false;
  const std::vector<InferenceCaseResult> results = judge_all(cases, answers, failed);
  const InferenceSummary s = summarize(results, all.sources);
  std::string list;
  for (const auto& f : files) list += (list.empty() ? "" : ", ") + f;
  if (a.flag("--json")) ctx.out << inference_validation_json(results, s, budget, files);
  else ctx.out << "racksim validate --inference: " << list << "\n" << inference_validation_table(results, s, budget);
  if (failed) return static_cast<int>(ExitCode::SimFailed);
  return s.compared > 0 && s.median_abs_error <= budget ? 0 : 1;
}

}  // namespace

Verb validate_inference_verb() {
  VerbSpec s;
  s.name = "validate --inference";
  s.words = {"validate"};
  s.selected_by = "--inference";
  s.summary = "LLM inference serving predicted vs measured (docs/validation.md, \"Inference cases\"): every kind: inference "
              "case of the files (../shared/reference/inference-measurements.yaml's format) mapped onto an "
              "inference_serving scenario and simulated, each in its own process; prints per case the measured and "
              "predicted figure (output or total tokens/s, a static batch's end-to-end time, or the mean TPOT), the "
              "signed error (> 0: predicted larger) and the run's breakdown, the median |error| per source and overall, "
              "the worst case, the bias, and the cases racksim cannot express with the reason. Exit status 1 when the "
              "median |error| exceeds the budget, 4 when a simulation failed.";
  s.positionals = {{"CASES", "an inference cases file", "files of kind: inference cases", true, true}};
  s.options = {flag("--inference", "the files hold inference serving runs (kind: inference)").required(),
               text("--case", "REGEX", "only the cases whose id matches (ECMAScript regular expression)"),
               integer("--jobs", "N", 1, 1024, "the cases simulated at once").default_shown("the machine's cores"),
               number_above("--budget", "PERCENT", 0.0, "the largest median |error| that passes, in percent").defaults_to("15"),
               text("--scenarios", "DIR", "also write each mapped scenario to DIR/<case id>.yaml (racksim run reads it)"),
               flag("--json", "print one JSON object instead of the table")};
  s.exits = {{1, "the median |error| is past the budget, or no case could be expressed"},
             {3, "invalid input: a cases file, or a --case that matches no case"},
             {4, "a case's simulation failed"},
             {5, "the --scenarios folder or a scenario in it could not be written"}};
  return {s, cmd_validate_inference};
}

}  // namespace racksim
