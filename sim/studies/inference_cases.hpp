// racksim studies: published LLM inference serving measurements (`kind: inference` cases) and how
// each one maps onto an inference_serving scenario, for `racksim validate CASES... --inference`
// (docs/validation.md, "Inference cases"). The counterpart of training_cases.hpp.
//
// A cases file (../shared/reference/inference-measurements.yaml is the shipped example) holds
// `meta` (title, description, `sources`: id -> provenance, text or a map of texts) and `cases`:
// each one a published run with its hardware, GPU count, `config` (model, precision, tp, pp, the
// serving framework and its benchmark, the request mix) and one measured figure (`metric`:
// output_tokens_per_s, total_tokens_per_s, e2e_latency_s or tpot_mean_ms).
//
// Reading is strict and located: an unknown key, a missing key, a metric outside the vocabulary,
// an unknown source, a request mix that is neither fixed lengths nor totals of a rate-driven run,
// is an InputError naming file, line, key and the valid values. The free-text fields (hardware,
// model, precision, framework) are read as text: map_case() recognises what it knows and lists a
// case it cannot read as not expressible, with the reason, never dropping it silently.
//
// The mapping (map_case) turns a case into overrides of a scenario (`--set`-style dotted keys and
// YAML values): workload.kind inference_serving, the model preset, the precisions, one instance
// of tp x pp GPUs, the framework's scheduler settings, the requests (offline, a static batch or
// Poisson arrivals) and the one-node cluster. Every decision and its source is in
// docs/validation.md; what a case could only approximate, or had to assume, is listed per case
// (InferenceMapping::approximations).
//
// After the runs: InferenceOutcome (what one simulated serving run reported, as text between a
// child process and its parent), InferenceCaseResult (predicted vs measured), summarize() (per-
// source medians of |error|, the worst case, the bias) and the table and JSON of
// `racksim validate --inference`.
//
// Pure: no SimGrid, no scenario reader, no processes, no printing (sim/studies/README.md).
#pragma once

#include "core/error.hpp"
#include "sim/studies/case_files.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace racksim {

// A case's `config` map, as published. Optional keys are those only some sources give.
struct InferenceCaseConfig {
  std::string model;                               // "Llama 3.1 70B (dense, GQA)": free text, map_case reads it
  std::string precision;                           // "fp8 weights/activations + fp8 KV cache (...)": free text
  std::int64_t tp = 0;                             // `tp: 8` or `tp: 8 (implied)`
  std::string tp_note;                             // the text after the number ("(implied)"), empty when none
  std::optional<std::int64_t> pp;
  std::string framework;                           // "TensorRT-LLM 0.17 (...)", "vLLM 0.6.3 (...)": free text
  std::optional<std::int64_t> input_tokens, output_tokens;   // fixed lengths
  std::optional<std::int64_t> batch_size;          // benchmark_latency: one static batch
  std::optional<std::int64_t> num_prompts;         // benchmark_throughput: requests
  std::optional<std::int64_t> num_requests;        // benchmark_serving: requests
  std::optional<double> request_rate_qps;          // benchmark_serving: Poisson arrivals per second
  std::optional<std::int64_t> total_input_tokens;  // benchmark_serving on a dataset: the run's totals
  std::optional<std::int64_t> total_output_tokens;
  std::string request_mix;                         // free text (flags such as --max-model-len are read from it)
  std::string batching;                            // free text, optional
  std::map<std::string, Location> where;           // each key given -> its location
};

struct InferenceCase {
  std::string id;
  Location where;              // the case's map
  std::string hardware;        // "8x NVIDIA H200 141GB HBM3e (SXM)": free text, map_case reads it
  std::int64_t num_gpus = 0;
  InferenceCaseConfig config;
  std::string metric;          // known_inference_metrics()
  double value = 0.0;          // the measured figure, in `unit`
  std::string unit;
  std::string source;          // an id of meta.sources
  std::string source_path;
  std::string confidence;      // high, medium, low
  std::string notes;
  std::string derived;
  std::vector<std::pair<std::string, double>> also;  // other published figures (ttft_mean_ms, ...)
  Location hardware_where;
};

struct InferenceCaseFile {
  std::string file;
  std::vector<std::pair<std::string, std::string>> sources;  // id -> provenance, in file order
  std::vector<InferenceCase> cases;
};

// The metrics the reader accepts (each one's meaning is in docs/validation.md).
[[nodiscard]] std::vector<std::string> known_inference_metrics();
// Whether a larger value of `metric` is better (throughputs) or worse (latencies).
[[nodiscard]] bool higher_is_better(const std::string& metric);

[[nodiscard]] InferenceCaseFile read_inference_cases(const std::string& path);
// The same from text; `path` names it in messages.
[[nodiscard]] InferenceCaseFile read_inference_cases_text(const std::string& text, const std::string& path);

// A case as a racksim scenario, or why it cannot be one.
struct InferenceMapping {
  std::vector<std::string> not_expressible;                    // reasons; empty: expressible
  std::vector<std::pair<std::string, std::string>> overrides;  // dotted key -> YAML value, in order
  std::vector<std::string> approximations;                     // what is only approximated or assumed, and how
  std::string system;                                          // the catalog system
  std::int64_t gpus = 0;                                       // the instance's GPUs (tp x pp)
  std::int64_t requests = 0;                                   // requests simulated
  [[nodiscard]] bool expressible() const { return not_expressible.empty(); }
};

// Throws InputError (at the key) when the case's own numbers disagree (a hardware count that is
// not num_gpus, tp x pp that is not num_gpus).
[[nodiscard]] InferenceMapping map_case(const InferenceCase& c);
// The mapped case as a whole scenario file (`racksim run` reads it).
[[nodiscard]] std::string mapped_scenario_yaml(const InferenceCase& c, const InferenceMapping& m);

// trtllm-bench's request counts per input/output length (its perf-overview page's table; the
// cases do not carry them): the table's entry, or by ISL + OSL where the table has no such pair.
[[nodiscard]] std::int64_t trtllm_bench_requests(std::int64_t input_tokens, std::int64_t output_tokens);
// The median of a lognormal of `sigma` whose mean, once clamped to [lo, hi] as racksim's requests
// generator clamps it, is `mean` (bisection; the generator's rounding to integers is left out).
[[nodiscard]] double lognormal_median_for_mean(double mean, double sigma, double lo, double hi);

// What one simulated serving run reported (from its ServingMetrics).
struct InferenceOutcome {
  std::int64_t requests = 0;               // requests of the run
  std::int64_t finished = 0;               // of them, finished
  double duration_s = 0.0;                 // the run's span
  double output_tokens_per_s = 0.0;
  double total_tokens_per_s = 0.0;         // input + output tokens of the finished requests / duration
  double requests_per_s = 0.0;
  double ttft_mean_s = 0.0, ttft_p99_s = 0.0;
  double tpot_mean_s = 0.0, tpot_p99_s = 0.0;
  double e2e_mean_s = 0.0, e2e_max_s = 0.0;  // end-to-end latency; max: the last request's finish (offline)
  // The breakdown, when the run's metrics give it.
  std::optional<double> mean_decode_batch;   // decode sequences per iteration, mean over iterations with decodes
  std::optional<double> kv_capacity_tokens;  // per instance
  std::optional<std::int64_t> preemptions;   // requests evicted and recomputed, summed
  std::int64_t iterations = 0;               // iterations of every instance (what a per-iteration host cost multiplies)
  double mean_seqs_per_iteration = 0.0;      // sequences scheduled per iteration (what a per-sequence host cost multiplies)
};
// The text a child sends its parent, and back.
[[nodiscard]] std::string encode_outcome(const InferenceOutcome& o);
[[nodiscard]] InferenceOutcome decode_inference_outcome(const std::string& text);
// The outcome's value of `metric`, in the metric's unit (tpot_mean_ms in ms, e2e_latency_s in s).
[[nodiscard]] double predicted_value(const std::string& metric, const InferenceOutcome& o);

struct InferenceCaseResult {
  const InferenceCase* c = nullptr;
  InferenceMapping mapping;
  std::optional<InferenceOutcome> outcome;  // set when simulated
  std::string failure;                      // why a mapped case gave no outcome
  double predicted = 0.0;                   // in the case's metric and unit
  double error = 0.0;                       // (predicted - measured) / measured; > 0: predicted larger
  // Predicted better than measured: more throughput, or less latency.
  [[nodiscard]] bool optimistic() const;
};
// Predicted and error filled from the outcome.
[[nodiscard]] InferenceCaseResult judge_case(const InferenceCase& c, InferenceMapping m, std::optional<InferenceOutcome> o,
                                             std::string failure);

// The comparison (case_files.hpp); optimistic: predicted better than measured (more throughput,
// less latency).
using InferenceSummary = CaseSummary<InferenceCaseResult>;
[[nodiscard]] InferenceSummary summarize(const std::vector<InferenceCaseResult>& results,
                                         const std::vector<std::pair<std::string, std::string>>& sources);

// The report of `racksim validate --inference`: per case predicted vs measured, the error and the
// run's breakdown; the medians; the cases not expressed and those that failed.
[[nodiscard]] std::string inference_validation_table(const std::vector<InferenceCaseResult>& results,
                                                     const InferenceSummary& s, double budget);
[[nodiscard]] std::string inference_validation_json(const std::vector<InferenceCaseResult>& results,
                                                    const InferenceSummary& s, double budget,
                                                    const std::vector<std::string>& files);

}  // namespace racksim
