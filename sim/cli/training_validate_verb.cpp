// racksim cli: `racksim validate CASES... --training` (training_validate_verb.hpp): read the cases,
// map each onto a scenario, simulate each in a child process, compare and report. The steps are
// case_runner.hpp's (shared with validate --inference); here, the training run's outcome and the
// training kind's types.
#include "sim/cli/training_validate_verb.hpp"

#include "core/error.hpp"
#include "sim/cli/case_runner.hpp"
#include "sim/output/results.hpp"
#include "sim/studies/training_cases.hpp"

#include <algorithm>

namespace racksim {

namespace {

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

// The training kind of validate_cases (case_runner.hpp).
struct TrainingKind {
  using File = TrainingCaseFile;
  using Case = TrainingCase;
  using Mapping = TrainingMapping;
  using Outcome = TrainingOutcome;
  using Result = TrainingCaseResult;
  static constexpr const char* title = "racksim validate --training";
  static File read(const std::string& path) { return read_training_cases(path); }
  static std::string outcome_text(const RunResult& r) { return encode_outcome(outcome_of(r)); }
  static Outcome decode(const std::string& text, const Mapping& /*m*/) { return decode_outcome(text); }
  static std::string table(const std::vector<Result>& results, const TrainingSummary& s, double budget) {
    return training_validation_table(results, s, budget);
  }
  static std::string json(const std::vector<Result>& results, const TrainingSummary& s, double budget,
                          const std::vector<std::string>& files) {
    return training_validation_json(results, s, budget, files);
  }
};

int cmd_validate_training(const ParsedArgs& a, const CliContext& ctx) { return validate_cases<TrainingKind>(a, ctx); }

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
  s.options = case_validation_options(
      flag("--training", "the files hold whole training steps (kind: training_step)").required(), "10");
  s.exits = case_validation_exits();
  return {s, cmd_validate_training};
}

}  // namespace racksim
