// Unit tests for sim/engine/serving_scheduler: the iteration-level scheduler of one serving
// instance (continuous batching, chunked prefill, paged KV blocks, recompute preemption,
// disaggregated hand-off) and the router, without SimGrid.
//
// A test plays the executor with a fake clock: unless it says otherwise, iteration k runs from
// t = k - 1 to t = k seconds (so a request whose first token comes out of iteration 2 has
// first_token_s = 2). Every iteration is followed by check_invariants(), which checks block
// conservation (free + held == kv_blocks), that each running sequence holds ceil(cached /
// block_tokens) blocks and that the incremental load() equals its definition.
#include "core/error.hpp"
#include "models/serving.hpp"
#include "sim/engine/serving_scheduler.hpp"
#include "sim/output/serving_record.hpp"
#include "sim/workload/requests.hpp"

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

using namespace racksim;
using Catch::Matchers::Contains;

namespace {

Request req(std::int64_t id, double arrival, std::int64_t in, std::int64_t out) {
  Request r;
  r.id = id;
  r.arrival_s = arrival;
  r.input_tokens = in;
  r.output_tokens = out;
  return r;
}

SchedulerConfig config(std::int64_t budget, std::int64_t kv_blocks, std::int64_t block_tokens = 16, bool chunked = true,
                       std::int64_t max_num_seqs = 256) {
  SchedulerConfig c;
  c.max_batch_tokens = budget;
  c.max_num_seqs = max_num_seqs;
  c.chunked_prefill = chunked;
  c.block_tokens = block_tokens;
  c.kv_blocks = kv_blocks;
  return c;
}

// One iteration from `start` to `end`: what was planned, the blocks in use while it ran, and
// what it produced.
struct Step {
  IterationBatch batch;
  std::int64_t used_blocks = 0;
  std::vector<RequestRecord> finished, handed_off;
};

Step step(InstanceScheduler& s, double start, double end) {
  Step out;
  REQUIRE(s.plan(start, out.batch));
  s.check_invariants();  // planned: conservation still holds
  out.used_blocks = s.used_blocks();
  s.complete(end, out.finished, out.handed_off);
  s.check_invariants();
  return out;
}

// Iteration k runs from k - 1 to k.
Step iteration(InstanceScheduler& s, int k) { return step(s, k - 1.0, static_cast<double>(k)); }

}  // namespace

// ---- chunked prefill ---------------------------------------------------------------------------

TEST_CASE("scheduler: one request of 100 in / 3 out, budget 64, chunked", "[scheduler]") {
  // Block 16, 100 blocks: the cache is never short.
  //   it 1: chunk 64 after 0: pairs 64*0 + 64^2/2 = 2048, context 64, no token; blocks ceil(64/16) = 4
  //   it 2: chunk 36 after 64: pairs 36*64 + 36^2/2 = 2304 + 648 = 2952, context 100, first token
  //         (TTFT = 2 s); blocks ceil(100/16) = 7
  //   it 3: decode with 100 cached: context 101, token 2; blocks ceil(101/16) = 7
  //   it 4: decode with 101 cached: context 102, token 3: finished at 4 s
  // load = prompt left + outputs left: 100 + 3 = 103, then 36 + 3 = 39, 0 + 2 = 2, 1, 0.
  InstanceScheduler s(0, config(64, 100));
  s.add(req(0, 0.0, 100, 3), 0.0);
  CHECK(s.load() == 103.0);
  CHECK(s.waiting() == 1);

  const Step a = iteration(s, 1);
  CHECK(a.batch.prefill_seqs == 1);
  CHECK(a.batch.prefill_tokens == 64);
  CHECK(a.batch.prefill_attention_pairs == 2048.0);
  CHECK(a.batch.prefill_context_tokens == 64.0);
  CHECK(a.batch.sampled_seqs == 0);
  CHECK(a.batch.decode_seqs == 0);
  CHECK(a.used_blocks == 4);
  CHECK(s.load() == 39.0);
  CHECK(s.running() == 1);
  CHECK(s.waiting() == 0);

  const Step b = iteration(s, 2);
  CHECK(b.batch.prefill_tokens == 36);
  CHECK(b.batch.prefill_attention_pairs == 2952.0);
  CHECK(b.batch.prefill_context_tokens == 100.0);
  CHECK(b.batch.sampled_seqs == 1);
  CHECK(b.used_blocks == 7);
  CHECK(s.load() == 2.0);

  const Step c = iteration(s, 3);
  CHECK(c.batch.prefill_tokens == 0);
  CHECK(c.batch.decode_seqs == 1);
  CHECK(c.batch.sampled_seqs == 1);
  CHECK(c.batch.decode_context_tokens == 101.0);
  CHECK(c.batch.tokens() == 1);
  CHECK(c.used_blocks == 7);
  CHECK(c.finished.empty());

  const Step d = iteration(s, 4);
  CHECK(d.batch.decode_context_tokens == 102.0);
  REQUIRE(d.finished.size() == 1);
  const RequestRecord& r = d.finished[0];
  CHECK(r.id == 0);
  CHECK(r.generated == 3);
  CHECK(r.first_scheduled_s == 0.0);
  CHECK(r.first_token_s == 2.0);
  CHECK(r.finish_s == 4.0);
  CHECK(r.preemptions == 0);
  CHECK(r.instance == 0);
  CHECK(r.decode_instance == 0);

  CHECK(s.idle());
  CHECK(s.used_blocks() == 0);
  CHECK(s.load() == 0.0);
  IterationBatch none;
  CHECK_FALSE(s.plan(4.0, none));
  CHECK(none.empty());
  CHECK(s.unfinished().empty());
}

TEST_CASE("scheduler: chunked prefill runs decodes beside a new prompt's chunk", "[scheduler]") {
  // Budget 64. A (40 in / 3 out) at 0, B (100 in / 2 out) at 1.
  //   it 1: A's 40 (token 1)
  //   it 2: A decodes (1 token), then B's first chunk takes the 63 left
  //   it 3: A decodes (token 3: finished at 3), B's last 37 (first token at 3)
  //   it 4: B decodes (token 2: finished at 4)
  InstanceScheduler s(0, config(64, 100));
  s.add(req(0, 0.0, 40, 3), 0.0);
  iteration(s, 1);
  s.add(req(1, 1.0, 100, 2), 1.0);
  const Step b = iteration(s, 2);
  CHECK(b.batch.decode_seqs == 1);
  CHECK(b.batch.prefill_tokens == 63);
  CHECK(b.batch.tokens() == 64);
  const Step c = iteration(s, 3);
  CHECK(c.batch.decode_seqs == 1);
  CHECK(c.batch.prefill_tokens == 37);
  CHECK(c.batch.sampled_seqs == 2);
  REQUIRE(c.finished.size() == 1);
  CHECK(c.finished[0].id == 0);
  const Step d = iteration(s, 4);
  REQUIRE(d.finished.size() == 1);
  CHECK(d.finished[0].first_token_s == 3.0);
  CHECK(d.finished[0].first_scheduled_s == 1.0);
  CHECK(d.finished[0].finish_s == 4.0);
}

// ---- whole prompts (no chunked prefill) --------------------------------------------------------

TEST_CASE("scheduler: without chunked prefill, admitting prompts pauses the decodes", "[scheduler]") {
  // Budget 64. A (40 in / 3 out) at 0; B (30 in / 2 out) arrives at 1.
  //   it 1: A's whole prompt (40 <= 64): prefill only, A's token 1
  //   it 2: B is admitted whole (30 <= 64): prefill only, A does not decode; B's token 1
  //   it 3: nothing to admit: A and B decode (contexts 41 + 31 = 72); B has its 2 tokens: done at 3
  //   it 4: A decodes (context 42): its 3rd token, done at 4
  InstanceScheduler s(0, config(64, 100, 16, false));
  s.add(req(0, 0.0, 40, 3), 0.0);
  const Step a = iteration(s, 1);
  CHECK(a.batch.prefill_tokens == 40);
  CHECK(a.batch.sampled_seqs == 1);
  s.add(req(1, 1.0, 30, 2), 1.0);
  const Step b = iteration(s, 2);
  CHECK(b.batch.prefill_tokens == 30);
  CHECK(b.batch.decode_seqs == 0);
  const Step c = iteration(s, 3);
  CHECK(c.batch.prefill_tokens == 0);
  CHECK(c.batch.decode_seqs == 2);
  CHECK(c.batch.decode_context_tokens == 72.0);
  REQUIRE(c.finished.size() == 1);
  CHECK(c.finished[0].id == 1);
  const Step d = iteration(s, 4);
  CHECK(d.batch.decode_context_tokens == 42.0);
  REQUIRE(d.finished.size() == 1);
  CHECK(d.finished[0].id == 0);
  CHECK(d.finished[0].first_token_s == 1.0);
  CHECK(d.finished[0].finish_s == 4.0);
}

TEST_CASE("scheduler: without chunked prefill, prompts are admitted whole, a too-long one alone", "[scheduler]") {
  // Budget 64, all at 0: C (100 in / 1 out), D (10 in / 1 out), E (30 in / 1 out), F (30 in / 1 out).
  //   it 1: C is longer than the whole budget: admitted alone (100 tokens); D is not (budget spent)
  //   it 2: D (10) and E (30) fit (40 <= 64); F does not (30 > 24 left): it waits, though the cache
  //         has room
  //   it 3: F
  InstanceScheduler s(0, config(64, 100, 16, false));
  s.add(req(0, 0.0, 100, 1), 0.0);
  s.add(req(1, 0.0, 10, 1), 0.0);
  s.add(req(2, 0.0, 30, 1), 0.0);
  s.add(req(3, 0.0, 30, 1), 0.0);
  const Step a = iteration(s, 1);
  CHECK(a.batch.prefill_seqs == 1);
  CHECK(a.batch.prefill_tokens == 100);
  REQUIRE(a.finished.size() == 1);
  CHECK(a.finished[0].id == 0);
  const Step b = iteration(s, 2);
  CHECK(b.batch.prefill_seqs == 2);
  CHECK(b.batch.prefill_tokens == 40);
  CHECK(s.waiting() == 1);
  const Step c = iteration(s, 3);
  CHECK(c.batch.prefill_tokens == 30);
  REQUIRE(c.finished.size() == 1);
  CHECK(c.finished[0].id == 3);
  CHECK(c.finished[0].first_scheduled_s == 2.0);
  CHECK(s.idle());
}

// ---- limits ------------------------------------------------------------------------------------

TEST_CASE("scheduler: max_num_seqs bounds the running set", "[scheduler]") {
  // max_num_seqs 2, budget 64; three requests of 10 in / 2 out at 0.
  //   it 1: R0 and R1 admitted (20 tokens); R2 waits: 2 running already
  //   it 2: R0 and R1 decode their 2nd token and finish; R2 still waits (they were running when
  //         admission was tried)
  //   it 3: R2's prompt; it 4: its decode: finished at 4, first scheduled at 2
  InstanceScheduler s(0, config(64, 100, 16, true, 2));
  for (int i = 0; i < 3; ++i) s.add(req(i, 0.0, 10, 2), 0.0);
  const Step a = iteration(s, 1);
  CHECK(a.batch.prefill_seqs == 2);
  CHECK(a.batch.prefill_tokens == 20);
  CHECK(s.running() == 2);
  CHECK(s.waiting() == 1);
  const Step b = iteration(s, 2);
  CHECK(b.batch.decode_seqs == 2);
  CHECK(b.batch.prefill_seqs == 0);
  CHECK(b.finished.size() == 2);
  const Step c = iteration(s, 3);
  CHECK(c.batch.prefill_tokens == 10);
  const Step d = iteration(s, 4);
  REQUIRE(d.finished.size() == 1);
  CHECK(d.finished[0].id == 2);
  CHECK(d.finished[0].first_scheduled_s == 2.0);
  CHECK(d.finished[0].finish_s == 4.0);
}

TEST_CASE("scheduler: first come first served, a big request blocks a small one behind it", "[scheduler]") {
  // Block 16, 8 blocks (128 tokens), budget 256.
  //   it 1: R0 (64 in / 10 out): 64 tokens, 4 blocks, token 1
  //   R1 (80 in / 1 out, 5 blocks) and R2 (10 in / 1 out, 1 block) arrive at 1
  //   it 2: R0 decodes with 64 cached: blocks for 65 = 5, 3 free. R1 needs 5 > 3: admission stops,
  //         and R2 (1 block, which would fit) is not admitted past it
  //   its 2..10: R0 decodes tokens 2..10 with 64..72 cached (5 blocks): done at 10
  //   it 11: R1 (5 blocks) and R2 (1 block) both admitted: 90 tokens; both done at 11
  InstanceScheduler s(0, config(256, 8));
  s.add(req(0, 0.0, 64, 10), 0.0);
  CHECK(iteration(s, 1).used_blocks == 4);
  s.add(req(1, 1.0, 80, 1), 1.0);
  s.add(req(2, 1.0, 10, 1), 1.0);
  for (int k = 2; k <= 10; ++k) {
    const Step st = iteration(s, k);
    CHECK(st.batch.decode_seqs == 1);
    CHECK(st.batch.prefill_seqs == 0);
    CHECK(st.used_blocks == 5);
    CHECK(s.waiting() == 2);
    CHECK(st.finished.size() == (k == 10 ? 1U : 0U));
  }
  const Step last = iteration(s, 11);
  CHECK(last.batch.prefill_seqs == 2);
  CHECK(last.batch.prefill_tokens == 90);
  CHECK(last.used_blocks == 6);
  REQUIRE(last.finished.size() == 2);
  CHECK(last.finished[0].id == 1);
  CHECK(last.finished[1].id == 2);
  CHECK(last.finished[1].first_scheduled_s == 10.0);
  CHECK(s.idle());
}

TEST_CASE("scheduler: KV blocks at block boundaries", "[scheduler]") {
  // Block 16. A prompt of 15 tokens holds ceil(15/16) = 1 block, of 16: 1, of 17: 2. A decode with
  // n cached allocates blocks for n + 1 before it runs: 15 cached -> 16 -> 1 block; 16 -> 17 -> 2.
  const auto blocks_per_iteration = [](std::int64_t prompt) {
    InstanceScheduler s(0, config(64, 10));
    s.add(req(0, 0.0, prompt, 3), 0.0);
    std::vector<std::int64_t> used;
    for (int k = 1; k <= 3; ++k) used.push_back(iteration(s, k).used_blocks);
    CHECK(s.idle());
    CHECK(s.used_blocks() == 0);
    return used;
  };
  // 15: prefill 15 (1), decode 15 -> 16 (1), decode 16 -> 17 (2)
  CHECK(blocks_per_iteration(15) == std::vector<std::int64_t>{1, 1, 2});
  // 16: prefill 16 (1), decode 16 -> 17 (2), decode 17 -> 18 (2)
  CHECK(blocks_per_iteration(16) == std::vector<std::int64_t>{1, 2, 2});
  // 17: prefill 17 (2), 18 (2), 19 (2)
  CHECK(blocks_per_iteration(17) == std::vector<std::int64_t>{2, 2, 2});
}

// ---- preemption --------------------------------------------------------------------------------

TEST_CASE("scheduler: preemption of the newest sequence when blocks run out", "[scheduler]") {
  // Block 4, 4 blocks (16 tokens), budget 64. A (6 in / 6 out), B (5 in / 5 out), both at 0.
  //   it 1: A's 6 (2 blocks), B's 5 (2 blocks): 0 free; tokens A1, B1 (cached A 6, B 5)
  //   it 2: A decodes 6 -> 7 (2 blocks), B 5 -> 6 (2): A2, B2
  //   it 3: A 7 -> 8 (2), B 6 -> 7 (2): A3, B3
  //   it 4: A 8 -> 9 needs a 3rd block, none free: B, the newest, is preempted (frees 2); A takes 1
  //         (1 free). B's prompt becomes 5 + 3 = 8, nothing cached; no admission this iteration.
  //         Only A decodes (context 9): A4. load: A 0 + (6 - 4) = 2, B 8 + (5 - 3) = 10: 12
  //   it 5: A 9 -> 10 (3 blocks); B needs ceil(8/4) = 2 > 1 free: waits. A5
  //   it 6: A 10 -> 11 (3): A6, done at 6; its 3 blocks freed (B still needed 2 > 1 at planning)
  //   it 7: B readmitted: recomputes 8 tokens (2 blocks) and produces its 4th token
  //   it 8: B 8 -> 9 (3 blocks): B5, done at 8
  InstanceScheduler s(0, config(64, 4, 4));
  s.add(req(0, 0.0, 6, 6), 0.0);
  s.add(req(1, 0.0, 5, 5), 0.0);
  const Step a = iteration(s, 1);
  CHECK(a.batch.prefill_tokens == 11);
  CHECK(a.used_blocks == 4);
  iteration(s, 2);
  iteration(s, 3);
  const Step d = iteration(s, 4);
  CHECK(s.preemptions() == 1);
  CHECK(d.batch.decode_seqs == 1);
  CHECK(d.batch.decode_context_tokens == 9.0);
  CHECK(d.used_blocks == 3);
  CHECK(s.running() == 1);
  CHECK(s.waiting() == 1);
  CHECK(s.load() == 12.0);
  const Step e = iteration(s, 5);
  CHECK(e.batch.prefill_seqs == 0);
  const Step f = iteration(s, 6);
  REQUIRE(f.finished.size() == 1);
  CHECK(f.finished[0].id == 0);
  CHECK(f.finished[0].preemptions == 0);
  CHECK(f.finished[0].finish_s == 6.0);
  const Step g = iteration(s, 7);
  CHECK(g.batch.prefill_tokens == 8);
  CHECK(g.batch.prefill_attention_pairs == 32.0);  // 8 * 0 + 8^2 / 2
  CHECK(g.batch.sampled_seqs == 1);
  CHECK(g.used_blocks == 2);
  const Step h = iteration(s, 8);
  CHECK(h.batch.decode_context_tokens == 9.0);
  CHECK(h.used_blocks == 3);
  REQUIRE(h.finished.size() == 1);
  const RequestRecord& b = h.finished[0];
  CHECK(b.id == 1);
  CHECK(b.generated == 5);
  CHECK(b.preemptions == 1);
  CHECK(b.first_scheduled_s == 0.0);
  CHECK(b.first_token_s == 1.0);  // kept from before the preemption
  CHECK(b.finish_s == 8.0);
  CHECK(s.idle());
}

TEST_CASE("scheduler: a sequence that is itself the newest preempts itself", "[scheduler]") {
  // Block 4, 4 blocks, budget 64. A (4 in / 6 out) then B (8 in / 4 out) at 0.
  //   it 1: A's 4 (1 block), B's 8 (2 blocks): 1 free; A1, B1 (cached A 4, B 8)
  //   it 2: A 4 -> 5 takes the last block (2 held). B 8 -> 9 needs a 3rd, none free, and B is the
  //         newest: B is preempted (2 freed: 2 free), its prompt 8 + 1 = 9. Only A decodes. A2
  //   it 3..5: A 5 -> 6, 6 -> 7, 7 -> 8 (2 blocks); B needs ceil(9/4) = 3 > 2 free. A3..A5
  //   it 6: A 8 -> 9 takes a 3rd block (1 free; B still waits): A6, done at 6, 4 free
  //   it 7: B recomputes 9 tokens (3 blocks): B2;  it 8: 9 -> 10: B3;  it 9: 10 -> 11: B4, done at 9
  InstanceScheduler s(0, config(64, 4, 4));
  s.add(req(0, 0.0, 4, 6), 0.0);
  s.add(req(1, 0.0, 8, 4), 0.0);
  CHECK(iteration(s, 1).used_blocks == 3);
  const Step b = iteration(s, 2);
  CHECK(s.preemptions() == 1);
  CHECK(b.batch.decode_seqs == 1);
  CHECK(b.batch.decode_context_tokens == 5.0);
  CHECK(b.used_blocks == 2);
  for (int k = 3; k <= 5; ++k) CHECK(iteration(s, k).batch.prefill_seqs == 0);
  const Step f = iteration(s, 6);
  REQUIRE(f.finished.size() == 1);
  CHECK(f.finished[0].id == 0);
  const Step g = iteration(s, 7);
  CHECK(g.batch.prefill_tokens == 9);
  CHECK(g.used_blocks == 3);
  iteration(s, 8);
  const Step i = iteration(s, 9);
  REQUIRE(i.finished.size() == 1);
  CHECK(i.finished[0].generated == 4);
  CHECK(i.finished[0].preemptions == 1);
  CHECK(i.finished[0].first_token_s == 1.0);
  CHECK(i.finished[0].finish_s == 9.0);
}

// ---- disaggregated serving ---------------------------------------------------------------------

TEST_CASE("scheduler: a prefill-only instance hands requests off at their first token", "[scheduler]") {
  // Prefill-only, budget 64, block 16. R1 (10 in / 1 out) then R0 (100 in / 5 out) at 0.
  //   it 1: R1's 10 (its only token: finished here, nothing to hand off), R0's first 54
  //   it 2: R0's last 46: first token at 2: handed off with generated 1, its 7 blocks freed
  // load counts prompts only: 10 + 100 = 110, then 46, then 0.
  SchedulerConfig c = config(64, 100);
  c.prefill_only = true;
  InstanceScheduler s(2, c);
  s.add(req(1, 0.0, 10, 1), 0.0);
  s.add(req(0, 0.0, 100, 5), 0.0);
  CHECK(s.load() == 110.0);
  const Step a = iteration(s, 1);
  CHECK(a.batch.prefill_tokens == 64);
  CHECK(a.batch.sampled_seqs == 1);
  REQUIRE(a.finished.size() == 1);
  CHECK(a.finished[0].id == 1);
  CHECK(a.finished[0].decode_instance == 2);
  CHECK(a.handed_off.empty());
  CHECK(s.load() == 46.0);
  const Step b = iteration(s, 2);
  CHECK(b.used_blocks == 7);
  CHECK(b.finished.empty());
  REQUIRE(b.handed_off.size() == 1);
  const RequestRecord& r = b.handed_off[0];
  CHECK(r.id == 0);
  CHECK(r.generated == 1);
  CHECK(r.first_token_s == 2.0);
  CHECK(r.first_scheduled_s == 0.0);
  CHECK(r.instance == 2);
  CHECK(r.decode_instance == -1);
  CHECK_FALSE(r.finished());
  CHECK(s.idle());
  CHECK(s.used_blocks() == 0);
  CHECK(s.load() == 0.0);
}

TEST_CASE("scheduler: a decode instance takes requests whose prompt is cached", "[scheduler]") {
  // Decode instance 3, block 16. The record handed off by prefill instance 0 (100 in / 5 out,
  // first token at 2) arrives with its 100 cached tokens at 2.5 (0.5 s of KV transfer).
  //   it 1 (3 -> 4): admitted as a decode: blocks for 101 = 7, context 101: token 2
  //   its 2..4: contexts 102, 103, 104: tokens 3..5, done at 7
  InstanceScheduler s(3, config(64, 100));
  RequestRecord handed;
  handed.id = 0;
  handed.input_tokens = 100;
  handed.output_tokens = 5;
  handed.first_scheduled_s = 0.0;
  handed.first_token_s = 2.0;
  handed.instance = 0;
  handed.kv_transfer_s = 0.5;
  s.add(handed, 2.5, 100);
  CHECK(s.load() == 4.0);  // 5 - 1 outputs left
  const Step a = step(s, 3.0, 4.0);
  CHECK(a.batch.prefill_seqs == 0);
  CHECK(a.batch.decode_seqs == 1);
  CHECK(a.batch.sampled_seqs == 1);
  CHECK(a.batch.decode_context_tokens == 101.0);
  CHECK(a.used_blocks == 7);
  Step last;
  for (int k = 5; k <= 7; ++k) last = step(s, k - 1.0, static_cast<double>(k));
  CHECK(last.batch.decode_context_tokens == 104.0);
  REQUIRE(last.finished.size() == 1);
  const RequestRecord& r = last.finished[0];
  CHECK(r.generated == 5);
  CHECK(r.first_token_s == 2.0);
  CHECK(r.first_scheduled_s == 0.0);
  CHECK(r.instance == 0);
  CHECK(r.decode_instance == 3);
  CHECK(r.kv_transfer_s == 0.5);
  CHECK(r.finish_s == 7.0);

  SECTION("from a plain Request, and without chunked prefill its admission pauses the decodes") {
    // A (cached 20, 3 out) arrives at 0; B (cached 10, 2 out) at 1.
    //   it 1: A admitted as a decode (context 21): A2.  it 2: B admitted (context 11), A paused:
    //   B2, done.  it 3: A (context 22): A3, done. Their first tokens were made elsewhere: -1 here.
    InstanceScheduler d(1, config(64, 100, 16, false));
    d.add(req(0, 0.0, 20, 3), 0.0, 20);
    CHECK(iteration(d, 1).batch.decode_context_tokens == 21.0);
    d.add(req(1, 1.0, 10, 2), 1.0, 10);
    const Step b = iteration(d, 2);
    CHECK(b.batch.decode_seqs == 1);
    CHECK(b.batch.decode_context_tokens == 11.0);
    REQUIRE(b.finished.size() == 1);
    CHECK(b.finished[0].id == 1);
    CHECK(b.finished[0].first_token_s == -1.0);
    CHECK(b.finished[0].decode_instance == 1);
    const Step c = iteration(d, 3);
    REQUIRE(c.finished.size() == 1);
    CHECK(c.finished[0].generated == 3);
  }
  SECTION("a cached prompt must be the whole input, with something left to decode") {
    InstanceScheduler d(1, config(64, 100));
    CHECK_THROWS_AS(d.add(req(0, 0.0, 20, 3), 0.0, 19), Error);
    CHECK_THROWS_AS(d.add(req(0, 0.0, 20, 1), 0.0, 20), Error);
    SchedulerConfig p = config(64, 100);
    p.prefill_only = true;
    InstanceScheduler pre(0, p);
    CHECK_THROWS_AS(pre.add(req(0, 0.0, 20, 3), 0.0, 20), Error);
  }
}

// ---- errors ------------------------------------------------------------------------------------

TEST_CASE("scheduler: a request that can never fit the cache is refused", "[scheduler]") {
  // Block 16, 4 blocks: 64 tokens. 60 in / 10 out reaches 60 + 10 - 1 = 69 cached tokens at its
  // last decode: ceil(69/16) = 5 blocks > 4. 60 in / 5 out reaches 64: 4 blocks, fits.
  InstanceScheduler s(1, config(64, 4));
  CHECK_THROWS_AS(s.add(req(7, 0.0, 60, 10), 0.0), SimulationError);
  CHECK_THROWS_WITH(s.add(req(7, 0.0, 60, 10), 0.0), Contains("request 7") && Contains("60 input + 10 output") &&
                                                         Contains("instance 1") && Contains("4 blocks (64 tokens)"));
  CHECK(s.idle());
  CHECK(s.load() == 0.0);
  s.add(req(8, 0.0, 60, 5), 0.0);
  CHECK(s.waiting() == 1);
  // A prefill-only instance holds only the prompt: 64 fits whatever the output, 65 does not.
  SchedulerConfig p = config(64, 4);
  p.prefill_only = true;
  InstanceScheduler pre(0, p);
  pre.add(req(0, 0.0, 64, 1000), 0.0);
  CHECK_THROWS_WITH(pre.add(req(1, 0.0, 65, 1), 0.0), Contains("request 1") && Contains("65 input"));
  CHECK_THROWS_AS(s.add(req(9, 0.0, 0, 5), 0.0), Error);
}

TEST_CASE("scheduler: a configuration that cannot make progress is refused", "[scheduler]") {
  CHECK_THROWS_WITH(InstanceScheduler(0, config(0, 10)), Contains("max_batch_tokens"));
  CHECK_THROWS_WITH(InstanceScheduler(0, config(64, 10, 16, true, 0)), Contains("max_num_seqs"));
  CHECK_THROWS_WITH(InstanceScheduler(0, config(64, 10, 0)), Contains("block_tokens"));
  CHECK_THROWS_WITH(InstanceScheduler(0, config(64, 0)), Contains("kv_blocks"));
  InstanceScheduler s(0, config(64, 10));
  s.add(req(0, 0.0, 10, 2), 0.0);
  IterationBatch b;
  std::vector<RequestRecord> fin, hand;
  CHECK_THROWS_AS(s.complete(1.0, fin, hand), Error);  // nothing planned
  REQUIRE(s.plan(0.0, b));
  CHECK_THROWS_AS(s.plan(0.0, b), Error);  // one iteration at a time
  // unfinished(): what is held at the end of a run, by id.
  s.add(req(2, 0.5, 10, 2), 0.5);
  s.complete(1.0, fin, hand);
  const std::vector<RequestRecord> left = s.unfinished();
  REQUIRE(left.size() == 2);
  CHECK(left[0].id == 0);
  CHECK(left[0].generated == 1);
  CHECK(left[0].first_token_s == 1.0);
  CHECK(left[1].id == 2);
  CHECK(left[1].first_scheduled_s == -1.0);
  CHECK_FALSE(left[0].finished());
}

// ---- router ------------------------------------------------------------------------------------

TEST_CASE("router: round robin ignores load, least loaded breaks ties to the lowest index", "[scheduler][router]") {
  Router rr(Routing::RoundRobin, 3);
  std::vector<int> order;
  for (int i = 0; i < 5; ++i) order.push_back(rr.route({0.0, 0.0, 100.0}));
  CHECK(order == std::vector<int>{0, 1, 2, 0, 1});

  Router ll(Routing::LeastLoaded, 3);
  CHECK(ll.route({5.0, 3.0, 3.0}) == 1);  // tie between 1 and 2
  CHECK(ll.route({0.0, 0.0, 0.0}) == 0);
  CHECK(ll.route({2.0, 1.0, 0.0}) == 2);
  CHECK_THROWS_AS(ll.route({1.0, 2.0}), Error);
  CHECK_THROWS_AS(Router(Routing::RoundRobin, 0), Error);

  // With the schedulers' load(): two instances, requests of 100 in / 10 out (load 110 each) and
  // 10 in / 10 out (20): 110 -> 0; 20 -> 1 (0 < 110); 20 -> 1 (20 < 110); 110 -> 1 (40 < 110);
  // 20 -> 0 (110 < 150).
  std::vector<InstanceScheduler> inst{InstanceScheduler(0, config(64, 100)), InstanceScheduler(1, config(64, 100))};
  Router router(Routing::LeastLoaded, 2);
  const std::vector<std::int64_t> inputs{100, 10, 10, 100, 10};
  std::vector<int> chosen;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const int k = router.route({inst[0].load(), inst[1].load()});
    chosen.push_back(k);
    inst[static_cast<std::size_t>(k)].add(req(static_cast<std::int64_t>(i), 0.0, inputs[i], 10), 0.0);
  }
  CHECK(chosen == std::vector<int>{0, 1, 1, 1, 0});
  CHECK(inst[0].load() == 130.0);
  CHECK(inst[1].load() == 150.0);
}

// ---- randomized --------------------------------------------------------------------------------

namespace {

// Runs `requests` (sorted by arrival) through `s` until every one has left it; iterations last 1 s
// plus 1 ms per token. Checks the invariants after each step and the batch's limits. Returns the
// records finished and handed off.
void drain(InstanceScheduler& s, const std::vector<Request>& requests, std::vector<RequestRecord>& finished,
           std::vector<RequestRecord>& handed_off, std::int64_t& iterations) {
  const SchedulerConfig& c = s.config();
  std::size_t next = 0;
  double now = 0.0;
  while (next < requests.size() || !s.idle()) {
    while (next < requests.size() && requests[next].arrival_s <= now) s.add(requests[next++], now);
    IterationBatch b;
    if (!s.plan(now, b)) {
      REQUIRE(s.idle());
      now = requests[next].arrival_s;
      continue;
    }
    s.check_invariants();
    ++iterations;
    REQUIRE(iterations < 1'000'000);
    CHECK(b.prefill_seqs + b.decode_seqs <= c.max_num_seqs);
    CHECK(b.prefill_seqs + b.decode_seqs <= s.running());
    // Whole prompts may pass the budget only alone.
    if (c.chunked_prefill || b.prefill_seqs != 1 || b.decode_seqs != 0) CHECK(b.tokens() <= c.max_batch_tokens);
    if (!c.chunked_prefill) CHECK((b.prefill_seqs == 0 || b.decode_seqs == 0));
    CHECK(b.sampled_seqs >= b.decode_seqs);
    now += 1.0 + 1e-3 * static_cast<double>(b.tokens());
    s.complete(now, finished, handed_off);
    s.check_invariants();
  }
  CHECK(s.used_blocks() == 0);
  CHECK(s.load() == 0.0);
  CHECK(s.unfinished().empty());
}

std::vector<Request> random_requests(std::uint64_t seed, int n) {
  // Inputs 1..40, outputs 1..40: the longest sequence, 79 tokens, needs 20 blocks of 4 (the cache
  // holds 24: many must wait or be preempted). Arrivals: 0 to 2 per second.
  std::mt19937_64 rng(seed);
  std::vector<Request> out;
  double t = 0.0;
  for (int i = 0; i < n; ++i) {
    if (rng() % 2 == 0) t += 1.0;
    out.push_back(req(i, t, 1 + static_cast<std::int64_t>(rng() % 40), 1 + static_cast<std::int64_t>(rng() % 40)));
  }
  return out;
}

}  // namespace

TEST_CASE("scheduler: randomized arrivals on a small cache conserve blocks and finish every request", "[scheduler]") {
  const std::vector<Request> requests = random_requests(18, 400);
  const bool chunked = GENERATE(true, false);
  const std::int64_t budget = GENERATE(16, 48);
  InstanceScheduler s(0, config(budget, 24, 4, chunked, 6));
  std::vector<RequestRecord> finished, handed_off;
  std::int64_t iterations = 0;
  drain(s, requests, finished, handed_off, iterations);
  INFO("chunked " << chunked << ", budget " << budget << ": " << iterations << " iterations, " << s.preemptions()
                  << " preemptions");
  CHECK(s.preemptions() > 0);  // the cache is small enough to exercise preemption
  CHECK(handed_off.empty());
  REQUIRE(finished.size() == requests.size());
  int preempted = 0;
  for (const RequestRecord& r : finished) {
    CHECK(r.generated == r.output_tokens);
    CHECK(r.arrival_s <= r.first_scheduled_s);
    CHECK(r.first_scheduled_s < r.first_token_s);
    CHECK(r.first_token_s <= r.finish_s);
    preempted += r.preemptions;
  }
  CHECK(preempted == s.preemptions());
}

TEST_CASE("scheduler: randomized disaggregated pipeline, prefill-only then decode instance", "[scheduler]") {
  // Every request leaves the prefill instance, finished (1 output token) or handed off with one
  // token; the decode instance takes the handed-off ones with their prompt cached and finishes them.
  const std::vector<Request> requests = random_requests(7, 300);
  SchedulerConfig pc = config(32, 24, 4, true, 6);
  pc.prefill_only = true;
  InstanceScheduler pre(0, pc);
  std::vector<RequestRecord> finished, handed_off;
  std::int64_t iterations = 0;
  drain(pre, requests, finished, handed_off, iterations);
  REQUIRE(finished.size() + handed_off.size() == requests.size());
  for (const RequestRecord& r : finished) CHECK(r.output_tokens == 1);
  for (const RequestRecord& r : handed_off) {
    CHECK(r.generated == 1);
    CHECK(r.instance == 0);
  }

  InstanceScheduler dec(1, config(32, 24, 4, true, 6));
  std::map<std::int64_t, RequestRecord> done;
  double now = 0.0;
  std::size_t next = 0;
  std::int64_t dec_iterations = 0;
  while (next < handed_off.size() || !dec.idle()) {
    while (next < handed_off.size() && handed_off[next].first_token_s <= now) {
      dec.add(handed_off[next], now, handed_off[next].input_tokens);
      ++next;
    }
    IterationBatch b;
    if (!dec.plan(now, b)) {
      now = handed_off[next].first_token_s;
      continue;
    }
    dec.check_invariants();
    REQUIRE(++dec_iterations < 1'000'000);
    std::vector<RequestRecord> fin, none;
    now += 1.0;
    dec.complete(now, fin, none);
    dec.check_invariants();
    CHECK(none.empty());
    for (const RequestRecord& r : fin) done[r.id] = r;
  }
  REQUIRE(done.size() == handed_off.size());
  for (const RequestRecord& h : handed_off) {
    const RequestRecord& r = done.at(h.id);
    CHECK(r.generated == r.output_tokens);
    CHECK(r.first_token_s == h.first_token_s);
    CHECK(r.instance == 0);
    CHECK(r.decode_instance == 1);
  }
}

// ---- whole-request reservation (TensorRT-LLM's GUARANTEED_NO_EVICT) -----------------------------

TEST_CASE("scheduler: whole-request reservation admits only what can finish, and never preempts", "[scheduler]") {
  // Block 16, 12 blocks (192 tokens). Two requests of 100 in / 60 out: at its longest each caches
  // 100 + 60 - 1 = 159 tokens = ceil(159/16) = 10 blocks, reserved when admitted. The first takes
  // 10 of the 12; the second waits (2 free < 10) until the first finishes, then takes its 10.
  // On demand, both would have been admitted (7 blocks each for the prompts) and one preempted
  // when they grew past 12 blocks together.
  SchedulerConfig c = config(256, 12);
  c.reserve_whole = true;
  InstanceScheduler s(0, c);
  s.add(req(0, 0.0, 100, 60), 0.0);
  s.add(req(1, 0.0, 100, 60), 0.0);
  const Step first = iteration(s, 1);
  CHECK(first.batch.prefill_seqs == 1);  // only request 0: request 1's 10 blocks are not free
  CHECK(first.batch.prefill_tokens == 100);
  CHECK(s.used_blocks() == 10);
  CHECK(s.waiting() == 1);
  // Request 0 decodes its 59 other tokens in iterations 2..60, alone; it finishes at 60 s.
  int k = 2;
  for (; k <= 60; ++k) {
    const Step st = iteration(s, k);
    CHECK(st.batch.decode_seqs == 1);
    CHECK(st.batch.prefill_seqs == 0);
    CHECK(st.used_blocks == 10);
    if (k < 60) CHECK(st.finished.empty());
  }
  CHECK(s.waiting() == 1);
  CHECK(s.used_blocks() == 0);
  // Then request 1 runs the same way, from 60 s: prefill at iteration 61, last token at 120 s.
  std::vector<RequestRecord> done;
  for (; k <= 120; ++k) {
    const Step st = iteration(s, k);
    done.insert(done.end(), st.finished.begin(), st.finished.end());
  }
  REQUIRE(done.size() == 1);
  CHECK(done[0].id == 1);
  CHECK(done[0].first_scheduled_s == 60.0);
  CHECK(done[0].first_token_s == 61.0);
  CHECK(done[0].finish_s == 120.0);
  CHECK(done[0].preemptions == 0);
  CHECK(s.preemptions() == 0);
  CHECK(s.idle());
}
