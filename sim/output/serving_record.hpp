// racksim output: what a serving run records — each request's life, each iteration of each
// instance — from which sim/output/serving_metrics.hpp computes latencies, throughput and goodput.
// Plain data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace racksim {

// One request, as the scheduler saw it. Times in simulated seconds; -1 = never happened.
struct RequestRecord {
  std::int64_t id = 0;
  double arrival_s = 0.0;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;     // asked for
  std::int64_t generated = 0;         // produced by the end of the run
  double first_scheduled_s = -1.0;    // its first prefill chunk started (queueing delay = this - arrival)
  double first_token_s = -1.0;        // its prompt's last chunk ended: the first output token (TTFT = this - arrival)
  double finish_s = -1.0;             // its last token (end-to-end latency = this - arrival)
  double kv_transfer_s = 0.0;         // disaggregated: seconds its KV cache spent moving to the decode instance
  int preemptions = 0;                // times evicted and recomputed
  int instance = -1;                  // the instance that produced its first token
  int decode_instance = -1;           // disaggregated: the decode instance (else = instance)
  [[nodiscard]] bool finished() const { return finish_s >= 0.0; }
};

// One iteration of one instance.
struct IterationRecord {
  int instance = 0;
  double start_s = 0.0;
  double end_s = 0.0;
  std::int64_t prefill_tokens = 0;
  std::int64_t prefill_seqs = 0;     // sequences with a prefill chunk in it
  std::int64_t decode_seqs = 0;
  std::int64_t running = 0;          // sequences holding KV blocks when it started
  std::int64_t waiting = 0;          // requests queued when it started
  double kv_used_fraction = 0.0;     // blocks in use / blocks, when it started
};

}  // namespace racksim
