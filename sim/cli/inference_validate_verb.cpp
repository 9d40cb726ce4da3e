// racksim cli: `racksim validate CASES... --inference` (inference_validate_verb.hpp): read the
// cases, map each onto a serving scenario, simulate each in a child process, compare and report.
// The steps are case_runner.hpp's (shared with validate --training); here, the serving run's
// metrics and the inference kind's types.
#include "sim/cli/inference_validate_verb.hpp"

#include "core/error.hpp"
#include "sim/cli/case_runner.hpp"
#include "sim/output/results.hpp"
#include "sim/output/serving_metrics.hpp"
#include "sim/studies/inference_cases.hpp"

namespace racksim {

namespace {

// ---- in the child -----------------------------------------------------------------------------

// What one serving run reported, as the comparison needs it: the only code of validate
// --inference that reads a serving run's metrics (RunResult::serving). The KV capacity is the
// last pool's: the decoding one when disaggregated.
InferenceOutcome outcome_of(const RunResult& r) {
  if (!r.serving) throw Error("internal error: an inference case's run has no serving metrics");
  const ServingMetrics& m = *r.serving;
  InferenceOutcome o;
  o.finished = m.finished;
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
}

// The inference kind of validate_cases (case_runner.hpp).
struct InferenceKind {
  using File = InferenceCaseFile;
  using Case = InferenceCase;
  using Mapping = InferenceMapping;
  using Outcome = InferenceOutcome;
  using Result = InferenceCaseResult;
  static constexpr const char* title = "racksim validate --inference";
  static File read(const std::string& path) { return read_inference_cases(path); }
  static std::string outcome_text(const RunResult& r) { return encode_outcome(outcome_of(r)); }
  static Outcome decode(const std::string& text, const Mapping& m) {
    Outcome o = decode_inference_outcome(text);
    o.requests = m.requests;  // the parent knows how many it asked for
    return o;
  }
  static std::string table(const std::vector<Result>& results, const InferenceSummary& s, double budget) {
    return inference_validation_table(results, s, budget);
  }
  static std::string json(const std::vector<Result>& results, const InferenceSummary& s, double budget,
                          const std::vector<std::string>& files) {
    return inference_validation_json(results, s, budget, files);
  }
};

int cmd_validate_inference(const ParsedArgs& a, const CliContext& ctx) { return validate_cases<InferenceKind>(a, ctx); }

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
  s.options = case_validation_options(
      flag("--inference", "the files hold inference serving runs (kind: inference)").required(), "15");
  s.exits = case_validation_exits();
  return {s, cmd_validate_inference};
}

}  // namespace racksim
