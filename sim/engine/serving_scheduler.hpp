// racksim engine: the iteration-level scheduler of one LLM serving instance, with vLLM's (v1)
// semantics, and the router that spreads requests over instances. No SimGrid: the engine
// (serving executor) calls it at each iteration boundary with the simulated time; unit-tested
// alone (docs/inference.md "Scheduler").
//
// Continuous batching. Each iteration gets a token budget (max_batch_tokens) and at most
// max_num_seqs sequences:
//   1. running sequences first, in admission order: a decoding one takes 1 token; one whose
//      prompt is still being prefilled (chunked prefill) takes min(remaining prompt, budget left);
//   2. then waiting requests, first come first served (a preempted one goes back to the head of
//      the queue): with chunked_prefill, the first chunk is min(prompt, budget left); without, a
//      prompt is admitted only whole (prompt <= budget left; a prompt longer than the whole
//      budget is admitted alone, as vLLM does when max_num_batched_tokens >= max_model_len is not
//      enforced: racksim refuses such a configuration before the run instead, see config checks)
//      and an iteration that admits prompts runs no decodes (vLLM v0's prefill-first iterations);
//      admission stops at the first request that does not fit (FCFS: no overtaking).
// Paged KV cache: a sequence with n tokens in its cache holds ceil(n / block_tokens) blocks; an
// iteration allocates, before it runs, the blocks its tokens will write (a prefill chunk of c
// after p cached: blocks for p + c; a decode with n cached: blocks for n + 1). When a running
// sequence cannot get its blocks, the most recently admitted running sequence is preempted
// (vLLM's recompute policy: its blocks are freed, it returns to the head of the waiting queue,
// and when readmitted it prefills its prompt and the tokens it had generated), repeatedly, until
// the blocks are there or the sequence itself is the one preempted. A waiting request is
// admitted only when its first chunk's blocks are free.
// Token accounting: the iteration that computes a prompt's last chunk produces its first output
// token; each later iteration in which it decodes produces one more; a request is finished when
// it has produced output_tokens tokens (its blocks are freed at that iteration's end).
// Disaggregated serving: a prefill-only scheduler hands a request off when its first token is
// produced (its KV cache of input_tokens tokens then moves to a decode instance); a decode
// instance takes requests whose prompt is already cached (add with `cached`), which need blocks
// for it before they can run.
#pragma once

#include "models/serving.hpp"
#include "sim/output/serving_record.hpp"
#include "sim/workload/requests.hpp"

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace racksim {

struct SchedulerConfig {
  std::int64_t max_batch_tokens = 8192;   // tokens per iteration (vLLM max_num_batched_tokens)
  std::int64_t max_num_seqs = 256;        // sequences per iteration
  bool chunked_prefill = true;
  std::int64_t block_tokens = 16;         // tokens per KV block
  std::int64_t kv_blocks = 0;             // blocks the instance's KV cache holds (> 0)
  bool prefill_only = false;              // disaggregated prefill instance: hand requests off after their first token
};

class InstanceScheduler {
public:
  // Throws Error for a configuration that cannot run (non-positive sizes).
  InstanceScheduler(int instance, SchedulerConfig config);

  // A request arrives at `now`. `cached` > 0: its prompt's KV cache (cached tokens, and the one
  // output token produced by the prefill instance) arrives with it (disaggregated decode instance).
  void add(const Request& r, double now, std::int64_t cached = 0);

  // Forms the next iteration at `now` into `batch`; false when there is nothing to run (then
  // nothing changed). At most one iteration is planned at a time: call complete() first.
  [[nodiscard]] bool plan(double now, IterationBatch& batch);
  // The planned iteration ended at `now`: tokens produced, requests finished (appended to
  // `finished`) and, for a prefill-only instance, requests handed off (appended to `handed_off`,
  // first_token_s set; their blocks are freed here, when the KV cache has been sent: the executor
  // sends it before calling this only if it models that, else immediately).
  void complete(double now, std::vector<RequestRecord>& finished, std::vector<RequestRecord>& handed_off);

  [[nodiscard]] bool idle() const;                  // nothing waiting or running
  [[nodiscard]] std::int64_t waiting() const;
  [[nodiscard]] std::int64_t running() const;
  [[nodiscard]] std::int64_t used_blocks() const;
  [[nodiscard]] std::int64_t total_blocks() const { return config_.kv_blocks; }
  [[nodiscard]] std::int64_t preemptions() const { return preemptions_; }
  // Tokens still to compute for everything queued or running (prompts left + outputs left): the
  // least-loaded router's measure.
  [[nodiscard]] double load() const;
  [[nodiscard]] const SchedulerConfig& config() const { return config_; }
  // Requests still held (waiting or running) at the end of a run, as records (unfinished).
  [[nodiscard]] std::vector<RequestRecord> unfinished() const;

private:
  struct Seq {
    RequestRecord rec;
    std::int64_t prompt = 0;      // tokens to prefill: input (+ generated, after a preemption)
    std::int64_t computed = 0;    // tokens whose KV is cached
    std::int64_t chunk = 0;       // tokens planned this iteration
    bool decoding = false;        // planned to decode this iteration
    std::int64_t blocks = 0;      // blocks held
  };
  int instance_;
  SchedulerConfig config_;
  std::deque<Seq> waiting_;
  std::vector<Seq> running_;      // admission order
  std::int64_t free_blocks_ = 0;
  std::int64_t preemptions_ = 0;
  bool planned_ = false;
  double load_ = 0.0;
};

// Which instance each arriving request goes to.
enum class Routing { RoundRobin, LeastLoaded };
class Router {
public:
  Router(Routing routing, int instances);
  // The instance for the next request, given each candidate instance's load() (LeastLoaded: the
  // smallest; ties to the lowest index; RoundRobin: 0, 1, 2, ... regardless of load).
  [[nodiscard]] int route(const std::vector<double>& loads);

private:
  Routing routing_;
  int instances_;
  int next_ = 0;
};

}  // namespace racksim
