// racksim studies: published whole training steps (`kind: training_step` cases) and how each one
// maps onto a racksim scenario, for `racksim validate CASES... --training` (docs/validation.md).
//
// A cases file (../shared/reference/training-steps.yaml is the shipped example) holds `meta`
// (title, description, `sources`: id -> provenance text) and `cases`: each one a published run
// with its hardware, GPU count, `config` (model, sequence length, batch, precision, sharding,
// activation checkpointing, layout) and one measured figure (`metric: tokens_per_sec_per_gpu`).
//
// Reading is strict and located: an unknown key, a missing key, a value outside the vocabulary
// this file knows (a model, a precision, a hardware string, a sharding strategy ...) is an
// InputError naming file, line, key and the valid values. A value that is known but that racksim
// cannot simulate (FP8 row-wise scaling, an interleaved pipeline whose stages per rank are unstated) is not an
// error: map_case() lists the case as not expressible, with its reasons.
//
// The mapping (map_case) turns a case into overrides of a scenario (`--set`-style dotted keys and
// YAML values): the catalog system and its GPU cap, the domains and the scale-out fabric, the
// model shape, the parallel layout, the batch and the training options. mapped_scenario_yaml()
// writes them out as one scenario file that `racksim run` reads. Each mapping decision and its
// source is in docs/validation.md; what a case could only approximate is listed per case
// (TrainingMapping::approximations).
//
// After the runs: TrainingOutcome (what one simulated step reported, as text between a child process
// and its parent), TrainingCaseResult (predicted vs measured), summarize() (per-source medians of |error|,
// the worst case, the bias) and the table and JSON of `racksim validate --training`.
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

// A case's `config` map, as published. Optional keys are those only one source gives.
struct TrainingCaseConfig {
  std::string model;                              // "MPT-7b", "Llama 3.1 70B": known_training_models()
  std::optional<std::int64_t> params;             // the source's parameter count
  std::int64_t seq_len = 0;                       // tokens per sequence
  std::optional<std::int64_t> micro_batch_size;   // llm-foundry: sequences per GPU per micro batch
  std::optional<std::int64_t> grad_accum;         // llm-foundry: micro batches per step
  std::optional<std::int64_t> global_batch_size;  // sequences per step
  std::optional<std::int64_t> local_batch_size;   // torchtitan: sequences per data-parallel rank per step
  std::string precision;                          // known_training_precisions()
  std::optional<std::string> sharding;            // FULL_SHARD, SHARD_GRAD_OP
  std::string activation_checkpointing;           // known_activation_checkpointing()
  std::optional<std::int64_t> fsdp, tp, pp, cp;   // torchtitan's parallel degrees
  std::optional<std::string> tp_mode;             // vanilla_tp, async_tp
  std::optional<std::string> technique;           // free text ("3D Interleaved 1F1B")
  std::optional<std::string> table;               // the source's table
  bool compile = false;                           // torch.compile
  std::map<std::string, Location> where;          // each key given -> its location
};

struct TrainingCase {
  std::string id;
  Location where;              // the case's map
  std::string hardware;        // known_training_hardware()
  std::int64_t num_gpus = 0;
  TrainingCaseConfig config;
  std::string metric;          // tokens_per_sec_per_gpu
  double value = 0.0;          // the measured figure, in `unit`
  std::string unit;
  std::string source;          // an id of meta.sources
  std::string confidence;      // high, medium, low
  std::string notes;
  std::vector<std::pair<std::string, double>> also;  // other published figures (mfu_percent, ...)
};

struct TrainingCaseFile {
  std::string file;
  std::vector<std::pair<std::string, std::string>> sources;  // id -> provenance, in file order
  std::vector<TrainingCase> cases;
};

// The vocabulary the reader accepts (each value's meaning is in docs/validation.md).
[[nodiscard]] std::vector<std::string> known_training_models();
[[nodiscard]] std::vector<std::string> known_training_precisions();
[[nodiscard]] std::vector<std::string> known_training_hardware();
[[nodiscard]] std::vector<std::string> known_activation_checkpointing();

[[nodiscard]] TrainingCaseFile read_training_cases(const std::string& path);
// The same from text; `path` names it in messages.
[[nodiscard]] TrainingCaseFile read_training_cases_text(const std::string& text, const std::string& path);

// A case as a racksim scenario, or why it cannot be one.
struct TrainingMapping {
  std::vector<std::string> not_expressible;                    // reasons; empty: expressible
  std::vector<std::pair<std::string, std::string>> overrides;  // dotted key -> YAML value, in order
  std::vector<std::string> approximations;                     // what is only approximated, and how
  std::int64_t gpus = 0;                                       // the ranks of the step
  std::int64_t sequences_per_step = 0;
  [[nodiscard]] bool expressible() const { return not_expressible.empty(); }
};

// Throws InputError (at the key) when the case's own numbers disagree (a global batch that is not
// micro x accumulation x GPUs, a layout whose degrees do not multiply to num_gpus).
[[nodiscard]] TrainingMapping map_case(const TrainingCase& c);
// The mapped case as a whole scenario file (`racksim run` reads it).
[[nodiscard]] std::string mapped_scenario_yaml(const TrainingCase& c, const TrainingMapping& m);

// What one simulated step reported (from summary.json's quantities).
struct TrainingOutcome {
  double step_time_s = 0.0;
  double tokens_per_s_per_gpu = 0.0;
  double compute_s = 0.0;           // mean per rank
  double idle_s = 0.0;              // mean per rank
  double bubble_fraction = 0.0;     // pipeline bubble, of the step
  std::vector<std::pair<std::string, double>> exposed_comm_s;  // (tp|pp|dp|ep|cp, seconds), mean per rank
  double hbm_peak_bytes = 0.0;      // the largest rank's
  double hbm_capacity_bytes = 0.0;
  std::int64_t oom_events = 0;      // allocations past the HBM (out_of_memory: warn)
  bool reduced = false;             // simulated as one data-parallel replica
};
// The text a child sends its parent, and back.
[[nodiscard]] std::string encode_outcome(const TrainingOutcome& o);
[[nodiscard]] TrainingOutcome decode_outcome(const std::string& text);

struct TrainingCaseResult {
  const TrainingCase* c = nullptr;
  TrainingMapping mapping;
  std::optional<TrainingOutcome> outcome;  // set when simulated
  std::string failure;                 // why a mapped case gave no outcome
  double predicted = 0.0;              // tokens/s/GPU
  double error = 0.0;                  // (predicted - measured) / measured; > 0: optimistic
};
// Predicted and error filled from the outcome.
[[nodiscard]] TrainingCaseResult judge_case(const TrainingCase& c, TrainingMapping m, std::optional<TrainingOutcome> o, std::string failure);

// The comparison (case_files.hpp); optimistic: predicted faster than measured.
using TrainingSummary = CaseSummary<TrainingCaseResult>;
[[nodiscard]] TrainingSummary summarize(const std::vector<TrainingCaseResult>& results,
                                        const std::vector<std::pair<std::string, std::string>>& sources);

// The report of `racksim validate --training`: per case predicted vs measured, the error and the
// breakdown; the medians; the cases not expressed and those that failed.
[[nodiscard]] std::string training_validation_table(const std::vector<TrainingCaseResult>& results, const TrainingSummary& s,
                                                    double budget);
[[nodiscard]] std::string training_validation_json(const std::vector<TrainingCaseResult>& results, const TrainingSummary& s,
                                                   double budget, const std::vector<std::string>& files);

}  // namespace racksim
