// racksim engine: the iteration-level scheduler of one serving instance and the router
// (serving_scheduler.hpp has the semantics; docs/inference.md "Scheduler" a worked example).
#include "sim/engine/serving_scheduler.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace racksim {

InstanceScheduler::InstanceScheduler(int instance, SchedulerConfig config) : instance_(instance), config_(config) {
  const auto positive = [&](std::int64_t v, const char* name) {
    if (v < 1) throw Error(fmt::format("serving instance {}: scheduler {} must be >= 1 (got {})", instance, name, v));
  };
  positive(config_.max_batch_tokens, "max_batch_tokens");
  positive(config_.max_num_seqs, "max_num_seqs");
  positive(config_.block_tokens, "block_tokens");
  positive(config_.kv_blocks, "kv_blocks");
  free_blocks_ = config_.kv_blocks;
}

std::int64_t InstanceScheduler::longest_of(const RequestRecord& rec) const {
  return config_.prefill_only ? rec.input_tokens : rec.input_tokens + rec.output_tokens - 1;
}

std::int64_t InstanceScheduler::blocks_for(std::int64_t tokens) const {
  return (tokens + config_.block_tokens - 1) / config_.block_tokens;
}

double InstanceScheduler::remaining(const Seq& s) const {
  const std::int64_t prompt_left = std::max<std::int64_t>(0, s.prompt - s.computed);
  const std::int64_t output_left = config_.prefill_only ? 0 : s.rec.output_tokens - s.rec.generated;
  return static_cast<double>(prompt_left + output_left);
}

void InstanceScheduler::add(const Request& r, double now, std::int64_t cached) {
  RequestRecord rec;
  rec.id = r.id;
  rec.arrival_s = r.arrival_s;
  rec.input_tokens = r.input_tokens;
  rec.output_tokens = r.output_tokens;
  add(rec, now, cached);
}

void InstanceScheduler::add(const RequestRecord& rec, double /*now*/, std::int64_t cached) {
  if (rec.input_tokens < 1 || rec.output_tokens < 1)
    throw Error(fmt::format("request {}: input_tokens ({}) and output_tokens ({}) must be >= 1", rec.id,
                            rec.input_tokens, rec.output_tokens));
  if (cached != 0) {
    if (config_.prefill_only)
      throw Error(fmt::format("request {}: a prefill-only instance ({}) takes no cached prompt", rec.id, instance_));
    if (cached != rec.input_tokens || rec.output_tokens < 2)
      throw Error(
          fmt::format("request {}: a cached prompt must be its {} input tokens, with more than one output "
                      "token (got cached {}, output {})",
                      rec.id, rec.input_tokens, cached, rec.output_tokens));
  }
  // Its longest KV: the last decode of token `output` reads input + output - 1 tokens (a
  // recompute after a preemption never needs more); a prefill-only instance holds the prompt only.
  const std::int64_t longest = longest_of(rec);
  if (blocks_for(longest) > config_.kv_blocks)
    throw SimulationError(fmt::format(
        "request {} ({} input + {} output tokens) needs {} KV cache tokens ({} blocks of {}) at its longest, but "
        "serving instance {} holds {} blocks ({} tokens): it can never run",
        rec.id, rec.input_tokens, rec.output_tokens, longest, blocks_for(longest), config_.block_tokens, instance_,
        config_.kv_blocks, config_.kv_blocks * config_.block_tokens));
  Seq s;
  s.rec = rec;
  s.rec.generated = cached > 0 ? 1 : 0;
  s.prompt = rec.input_tokens;
  s.computed = cached;
  load_ += remaining(s);
  waiting_.push_back(s);
}

void InstanceScheduler::preempt_newest() {
  Seq s = running_.back();
  running_.pop_back();
  load_ -= remaining(s);
  free_blocks_ += s.blocks;
  s.blocks = 0;
  s.prompt = s.rec.input_tokens + s.rec.generated;  // recompute what it had, and produce its next token
  s.computed = 0;
  s.chunk = 0;
  s.decoding = false;
  ++s.rec.preemptions;
  ++preemptions_;
  load_ += remaining(s);
  waiting_.push_front(s);
}

bool InstanceScheduler::schedule_running(std::size_t i, std::int64_t& budget) {
  const bool decoding = running_[i].computed >= running_[i].prompt;
  const std::int64_t tokens = decoding ? 1 : std::min(running_[i].prompt - running_[i].computed, budget);
  const std::int64_t need = std::max<std::int64_t>(0, blocks_for(running_[i].computed + tokens) - running_[i].blocks);
  while (need > free_blocks_) {
    const bool self = running_.size() - 1 == i;
    preempt_newest();
    if (self) return false;
  }
  Seq& s = running_[i];
  free_blocks_ -= need;
  s.blocks += need;
  s.decoding = decoding;
  s.chunk = decoding ? 0 : tokens;
  budget -= tokens;
  return true;
}

std::int64_t InstanceScheduler::admit(double now, std::int64_t& budget, bool prompts_whole) {
  std::int64_t admitted = 0;
  while (!waiting_.empty() && budget > 0 && static_cast<std::int64_t>(running_.size()) < config_.max_num_seqs) {
    Seq& h = waiting_.front();
    const bool decoding = h.computed >= h.prompt;  // a cached prompt (disaggregated decode instance)
    const std::int64_t left = h.prompt - h.computed;
    std::int64_t tokens = decoding ? 1 : prompts_whole ? left : std::min(left, budget);
    // Whole prompts: one longer than the whole budget goes alone.
    if (tokens > budget && admitted > 0) break;
    // Whole-request reservation (TensorRT-LLM's GUARANTEED_NO_EVICT): the blocks of its longest
    // sequence, held to its end, so that it never needs more and nothing is ever preempted.
    const std::int64_t need = config_.reserve_whole ? blocks_for(longest_of(h.rec)) : blocks_for(h.computed + tokens);
    if (need > free_blocks_) break;
    free_blocks_ -= need;
    h.blocks = need;
    h.decoding = decoding;
    h.chunk = decoding ? 0 : tokens;
    if (!decoding && h.rec.first_scheduled_s < 0.0) h.rec.first_scheduled_s = now;
    running_.push_back(h);
    waiting_.pop_front();
    budget = std::max<std::int64_t>(0, budget - tokens);
    ++admitted;
  }
  return admitted;
}

void InstanceScheduler::fill(const Seq& s, IterationBatch& batch) const {
  if (s.decoding) {
    ++batch.decode_seqs;
    ++batch.sampled_seqs;
    batch.decode_context_tokens += static_cast<double>(s.computed + 1);
    return;
  }
  const auto p = static_cast<double>(s.computed);
  const auto c = static_cast<double>(s.chunk);
  ++batch.prefill_seqs;
  batch.prefill_tokens += s.chunk;
  batch.prefill_attention_pairs += c * p + c * c / 2.0;
  batch.prefill_context_tokens += p + c;
  if (s.computed + s.chunk == s.prompt) ++batch.sampled_seqs;
}

bool InstanceScheduler::plan(double now, IterationBatch& batch) {
  if (planned_) throw Error(fmt::format("serving instance {}: plan() called again before complete()", instance_));
  batch = IterationBatch{};
  if (idle()) return false;
  std::int64_t budget = config_.max_batch_tokens;
  const auto decode_running = [&] {
    for (std::size_t i = 0; i < running_.size() && budget > 0; ++i)
      if (!schedule_running(i, budget)) break;
  };
  if (config_.chunked_prefill) {
    const std::int64_t before = preemptions_;
    decode_running();
    if (preemptions_ == before) admit(now, budget, false);
  } else {
    // vLLM v0: prompts first, whole; the running sequences decode only when none is admitted.
    if (admit(now, budget, true) == 0) decode_running();
  }
  for (const Seq& s : running_)
    if (s.chunk > 0 || s.decoding) fill(s, batch);
  if (batch.empty())  // cannot happen: add() refuses what could never run (a bug if it does)
    throw Error(
        fmt::format("serving instance {}: nothing could be scheduled with {} running and {} waiting "
                    "({} of {} KV blocks free)",
                    instance_, running_.size(), waiting_.size(), free_blocks_, config_.kv_blocks));
  planned_ = true;
  return true;
}

void InstanceScheduler::complete(double now, std::vector<RequestRecord>& finished,
                                 std::vector<RequestRecord>& handed_off) {
  if (!planned_)
    throw Error(fmt::format("serving instance {}: complete() called with no planned iteration", instance_));
  planned_ = false;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < running_.size(); ++i) {
    Seq& s = running_[i];
    if (s.chunk > 0 || s.decoding) {
      load_ -= remaining(s);
      bool token = s.decoding;
      s.computed += s.decoding ? 1 : s.chunk;
      if (!s.decoding) token = s.computed == s.prompt;
      s.chunk = 0;
      s.decoding = false;
      if (token) {
        ++s.rec.generated;
        if (s.rec.generated == 1) {
          s.rec.first_token_s = now;
          s.rec.instance = instance_;
        }
      }
      const bool done = token && s.rec.generated >= s.rec.output_tokens;
      const bool hand = token && !done && config_.prefill_only;
      if (done || hand) {
        free_blocks_ += s.blocks;
        s.blocks = 0;
        if (done) {
          s.rec.finish_s = now;
          if (s.rec.decode_instance < 0) s.rec.decode_instance = instance_;
          finished.push_back(s.rec);
        } else {
          handed_off.push_back(s.rec);
        }
        continue;
      }
      load_ += remaining(s);
    }
    if (kept != i) running_[kept] = s;
    ++kept;
  }
  running_.erase(running_.begin() + static_cast<std::ptrdiff_t>(kept), running_.end());
}

bool InstanceScheduler::idle() const { return waiting_.empty() && running_.empty(); }
std::int64_t InstanceScheduler::waiting() const { return static_cast<std::int64_t>(waiting_.size()); }
std::int64_t InstanceScheduler::running() const { return static_cast<std::int64_t>(running_.size()); }
std::int64_t InstanceScheduler::used_blocks() const { return config_.kv_blocks - free_blocks_; }
double InstanceScheduler::load() const { return load_; }

std::vector<RequestRecord> InstanceScheduler::unfinished() const {
  std::vector<RequestRecord> out;
  out.reserve(running_.size() + waiting_.size());
  for (const Seq& s : running_) out.push_back(s.rec);
  for (const Seq& s : waiting_) out.push_back(s.rec);
  std::sort(out.begin(), out.end(), [](const RequestRecord& a, const RequestRecord& b) { return a.id < b.id; });
  return out;
}

void InstanceScheduler::check_invariants() const {
  const auto fail = [&](const std::string& what) {
    throw Error(fmt::format("serving instance {}: scheduler invariant broken: {}", instance_, what));
  };
  if (free_blocks_ < 0) fail(fmt::format("{} free blocks", free_blocks_));
  std::int64_t held = 0;
  double load = 0.0;
  for (const Seq& s : running_) {
    held += s.blocks;
    load += remaining(s);
    if (!planned_ && s.blocks != (config_.reserve_whole ? blocks_for(longest_of(s.rec)) : blocks_for(s.computed)))
      fail(fmt::format("request {} holds {} blocks for {} cached tokens", s.rec.id, s.blocks, s.computed));
    if (s.rec.generated > s.rec.output_tokens) fail(fmt::format("request {} generated too many", s.rec.id));
  }
  for (const Seq& s : waiting_) {
    load += remaining(s);
    if (s.blocks != 0) fail(fmt::format("waiting request {} holds {} blocks", s.rec.id, s.blocks));
  }
  if (free_blocks_ + held != config_.kv_blocks)
    fail(fmt::format("{} free + {} held != {} blocks", free_blocks_, held, config_.kv_blocks));
  if (static_cast<std::int64_t>(running_.size()) > config_.max_num_seqs)
    fail(fmt::format("{} running > max_num_seqs {}", running_.size(), config_.max_num_seqs));
  if (std::abs(load - load_) > 0.5) fail(fmt::format("load {} kept, {} recomputed", load_, load));
}

Router::Router(Routing routing, int instances) : routing_(routing), instances_(instances) {
  if (instances < 1) throw Error(fmt::format("router: instances must be >= 1 (got {})", instances));
}

int Router::route(const std::vector<double>& loads) {
  if (routing_ == Routing::RoundRobin) {
    const int chosen = next_;
    next_ = (next_ + 1) % instances_;
    return chosen;
  }
  if (static_cast<int>(loads.size()) != instances_)
    throw Error(fmt::format("router: {} loads for {} instances", loads.size(), instances_));
  // The first smallest: ties go to the lowest index.
  return static_cast<int>(std::min_element(loads.begin(), loads.end()) - loads.begin());
}

}  // namespace racksim
