// racksim engine: the iteration-level scheduler of one LLM serving instance, with vLLM's (v1)
// semantics, and the router that spreads requests over instances. No SimGrid: the engine
// (serving executor) calls it at each iteration boundary with the simulated time; unit-tested
// alone (docs/inference.md "Scheduler", tests/unit/engine/test_serving_scheduler.cpp).
//
// Continuous batching. Each iteration gets a token budget (max_batch_tokens); at most
// max_num_seqs sequences are running (admitted and holding KV blocks) at any time, as vLLM v1's
// max_num_running_reqs, so an iteration never has more:
//   1. running sequences first, in admission order: a decoding one takes 1 token; one whose
//      prompt is still being prefilled (chunked prefill) takes min(remaining prompt, budget left);
//      once the budget is spent the rest of the running sequences sit this iteration out;
//   2. then waiting requests, first come first served (a preempted one goes back to the head of
//      the queue): with chunked_prefill, the first chunk is min(prompt, budget left); without, a
//      prompt is admitted only whole (prompt <= budget left; a prompt longer than the whole
//      budget is admitted alone, as vLLM does when max_num_batched_tokens >= max_model_len is not
//      enforced: racksim refuses such a configuration before the run instead, see config checks)
//      and an iteration that admits prompts runs no decodes (vLLM v0's prefill-first iterations:
//      admission is tried first, and only when it admits nothing do the running sequences
//      decode); admission stops at the first request that does not fit (FCFS: no overtaking),
//      and none is tried in an iteration that preempted (vLLM v1).
// Paged KV cache: a sequence with n tokens in its cache holds ceil(n / block_tokens) blocks; an
// iteration allocates, before it runs, the blocks its tokens will write (a prefill chunk of c
// after p cached: blocks for p + c; a decode with n cached: blocks for n + 1). When a running
// sequence cannot get its blocks, the most recently admitted running sequence is preempted
// (vLLM's recompute policy: its blocks are freed, it returns to the head of the waiting queue,
// and when readmitted it prefills its prompt and the tokens it had generated), repeatedly, until
// the blocks are there or the sequence itself is the one preempted. A sequence already given
// its tokens this iteration is never preempted (it is earlier in admission order than the one
// asking). A waiting request is admitted only when its first chunk's blocks are free.
// Token accounting: the iteration that computes a prompt's last chunk produces its first output
// token (after a preemption: its next token; first_token_s keeps the first); each later
// iteration in which it decodes produces one more; a request is finished when it has produced
// output_tokens tokens (its blocks are freed at that iteration's end). So a decoding sequence
// with g tokens generated has input + g - 1 tokens cached (its newest token is the input of its
// next decode), and a preempted one recomputes a prompt of input + g tokens, which produces
// token g + 1.
// IterationBatch (models/serving.hpp), per planned sequence: a prefill chunk of c tokens after p
// cached adds 1 to prefill_seqs, c to prefill_tokens, c p + c^2 / 2 to prefill_attention_pairs,
// p + c to prefill_context_tokens, and 1 to sampled_seqs when p + c ends its prompt; a decode with
// n tokens cached adds 1 to decode_seqs and sampled_seqs and n + 1 to decode_context_tokens: the
// KV entries its attention reads, its own new token's included (written to the cache before
// attention, as paged-attention kernels do; the same convention as prefill's p + c).
// Disaggregated serving: a prefill-only scheduler hands a request off when its first token is
// produced (its KV cache of input_tokens tokens then moves to a decode instance); a request
// asking for one output token is finished there instead (nothing is left to decode). A decode
// instance takes requests whose prompt is already cached (add with `cached` = input_tokens),
// which need blocks for it before they can run: such a waiting request holds no blocks, and is
// admitted as a decode (1 token of budget, blocks for cached + 1) — in an admitting iteration
// without chunked prefill, too. If preempted it is recomputed locally like any other.
// Errors: a request that could never run (its longest KV, input + output - 1 tokens, or input
// alone on a prefill-only instance, needs more blocks than the cache holds) is refused by add()
// with a SimulationError naming it, its tokens and the capacity, so that a run fails clearly
// instead of looping; any positive max_num_seqs and budget then make progress (a running
// sequence always gets at least one token, and when nothing runs the head of the queue is
// admitted), which plan() checks.
// Cost: plan() and complete() are linear in the running set plus the requests admitted, with O(1)
// work per sequence (preemption pops the newest running sequence); load() is kept incrementally.
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
  std::int64_t max_num_seqs = 256;        // sequences running at once, so per iteration (vLLM max_num_seqs)
  bool chunked_prefill = true;
  std::int64_t block_tokens = 16;         // tokens per KV block
  std::int64_t kv_blocks = 0;             // blocks the instance's KV cache holds (> 0)
  bool prefill_only = false;              // disaggregated prefill instance: hand requests off after their first token
  // Admission reserves the blocks of a request's longest sequence (prompt + output - 1 tokens;
  // the prompt alone on a prefill-only instance), held to its end: TensorRT-LLM's default
  // capacity policy GUARANTEED_NO_EVICT. Nothing is then ever preempted. False: vLLM's blocks on
  // demand, with recompute preemption when they run out.
  bool reserve_whole = false;
};

class InstanceScheduler {
public:
  // Throws Error for a configuration that cannot run (non-positive sizes).
  InstanceScheduler(int instance, SchedulerConfig config);

  // A request arrives at `now`. `cached` > 0: its prompt's KV cache (cached tokens, and the one
  // output token produced by the prefill instance) arrives with it (disaggregated decode instance;
  // cached must equal input_tokens and output_tokens be > 1). Throws SimulationError for a request
  // that can never run here (see above), Error for non-positive token counts.
  void add(const Request& r, double now, std::int64_t cached = 0);
  // The same, keeping what `rec` already holds (a prefill instance's handed-off record: its
  // first_scheduled_s, first_token_s, instance, kv_transfer_s, preemptions); its generated is
  // taken as 1 when `cached` > 0, else 0. decode_instance is set to this instance when it finishes.
  void add(const RequestRecord& rec, double now, std::int64_t cached = 0);

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
  // Tokens still to compute for everything queued or running (prompts left + outputs left: a
  // preempted request's recompute counts; a prefill-only instance counts prompts only): the
  // least-loaded router's measure.
  [[nodiscard]] double load() const;
  [[nodiscard]] const SchedulerConfig& config() const { return config_; }
  // Requests still held (waiting or running) at the end of a run, as records (unfinished), by id.
  [[nodiscard]] std::vector<RequestRecord> unfinished() const;
  // Checks the bookkeeping, for tests (O(running + waiting)): free blocks + blocks held ==
  // kv_blocks, waiting requests hold none, between iterations each running sequence holds
  // exactly ceil(cached / block_tokens), running <= max_num_seqs, generated <= output_tokens, and
  // load() equals its definition recomputed. Throws Error naming the first broken one.
  void check_invariants() const;

private:
  struct Seq {
    RequestRecord rec;
    std::int64_t prompt = 0;      // tokens to prefill: input (+ generated, after a preemption)
    std::int64_t computed = 0;    // tokens whose KV is cached
    std::int64_t chunk = 0;       // tokens planned this iteration
    bool decoding = false;        // planned to decode this iteration
    std::int64_t blocks = 0;      // blocks held
  };
  [[nodiscard]] std::int64_t blocks_for(std::int64_t tokens) const;
  [[nodiscard]] double remaining(const Seq& s) const;  // its share of load()
  // Gives `s` its tokens for this iteration (chunk or decode), preempting the newest running
  // sequences as needed; false when `s` itself had to be preempted (it is then off running_).
  bool schedule_running(std::size_t i, std::int64_t& budget);
  void preempt_newest();
  // Admits waiting requests at `now` while they fit; returns how many.
  std::int64_t admit(double now, std::int64_t& budget, bool prompts_whole);
  void fill(const Seq& s, IterationBatch& batch) const;
  // Tokens a request caches at its longest: prompt + output - 1 (its last token is never cached),
  // the prompt alone on a prefill-only instance.
  [[nodiscard]] std::int64_t longest_of(const RequestRecord& rec) const;
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
