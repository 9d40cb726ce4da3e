// Unit tests for sim/engine/serving_executor: the phases of an iteration, arrivals, routing and
// the KV-cache hand-off of disaggregated serving, without SimGrid.
//
// FakeClock below plays the engine: a Compute action takes `seconds`, a Memory action bytes /
// the GPU's HBM bandwidth (each GPU's HBM is its own), a Transfer bytes / kLinkBandwidth (no
// contention), a Timer `seconds`. The iteration's costs come from the real cost model
// (models/serving.hpp) on a plain-roofline GPU: what these tests check is the executor's
// plumbing — which actions an iteration issues, in which order, and what the records say — so
// the expected times are the sums of the cost model's phase times, derived below per test.
#include "core/error.hpp"
#include "models/gpu.hpp"
#include "models/serving.hpp"
#include "sim/engine/serving_executor.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include <catch2/catch.hpp>

using namespace racksim;

namespace {

constexpr double kLinkBandwidth = 1e11;  // 100 GB/s per transfer
constexpr double kAllReduce = 1e-4;      // seconds per TP all-reduce, whatever its size (a test stand-in)

GpuSpec test_gpu() {
  GpuSpec g;
  g.id = "serving_gpu";
  g.peak_dense[Precision::bf16] = FlopRate(1000e12);
  g.hbm_bandwidth = BytesPerSecond(3e12);
  g.hbm_capacity = Bytes(80e9);
  g.launch_overhead = Seconds(5e-6);
  return g;
}

// A small dense model: 4 layers of h = 1024, 8 heads, 8 KV heads, FFN 4096, vocabulary 32000.
TransformerShape small_model() {
  TransformerShape m;
  m.name = "small";
  m.hidden = 1024;
  m.layers = 4;
  m.heads = 8;
  m.kv_heads = 8;
  m.ffn = 4096;
  m.vocab = 32000;
  return m;
}

ServingInstanceSetup instance(std::vector<int> gpus, std::int64_t tp, ServingInstanceSetup::Role role,
                              std::int64_t kv_blocks = 1000) {
  ServingInstanceSetup in;
  in.layout.tp = tp;
  in.gpus = std::move(gpus);
  in.cost = std::make_shared<const IterationCostModel>(small_model(), in.layout, ServingPrecision{}, test_gpu(), nullptr);
  in.scheduler.max_batch_tokens = 64;
  in.scheduler.max_num_seqs = 16;
  in.scheduler.block_tokens = 16;
  in.scheduler.kv_blocks = kv_blocks;
  in.scheduler.prefill_only = role == ServingInstanceSetup::Role::Prefill;
  in.role = role;
  in.hbm_bandwidth = test_gpu().hbm_bandwidth.value();
  in.kv_bytes_per_token = in.cost->memory(64, 0.9).kv_bytes_per_token;
  if (tp > 1) in.allreduce_time = [](double) { return kAllReduce; };
  return in;
}

// The engine's part: runs the executor to its end with the fake clock; returns the end time and
// counts the actions by kind.
struct FakeClock {
  std::multimap<double, std::uint64_t> due;  // completion time -> token, in issue order on ties
  std::map<ServingAction::Kind, int> issued;
  std::vector<ServingAction> transfers;
  double hbm = test_gpu().hbm_bandwidth.value();

  void post(const std::vector<ServingAction>& actions, double now) {
    for (const auto& a : actions) {
      ++issued[a.kind];
      double t = 0.0;
      switch (a.kind) {
        case ServingAction::Kind::Compute: t = a.seconds; break;
        case ServingAction::Kind::Memory: t = a.bytes / hbm; break;
        case ServingAction::Kind::Transfer: t = a.bytes / kLinkBandwidth; transfers.push_back(a); break;
        case ServingAction::Kind::Timer: t = a.seconds; break;
      }
      due.emplace(now + t, a.token);
    }
  }
  double run(ServingExecutor& ex) {
    double now = 0.0;
    post(ex.start(now), now);
    while (!due.empty()) {
      const auto it = due.begin();
      now = it->first;
      const std::uint64_t tok = it->second;
      due.erase(it);
      post(ex.on_complete(tok, now), now);
    }
    REQUIRE(ex.done());
    return now;
  }
};

// The time of one iteration of `batch` on an instance, as the executor must sequence it: the
// compute-bound phase (its compute and memory parts together), the memory-bound phase, then the
// timer of launches and all-reduces.
double iteration_time(const ServingInstanceSetup& in, const IterationBatch& batch) {
  const IterationCost c = in.cost->stage_cost(0, batch);
  double t = std::max(c.compute_bound_compute_s, c.compute_bound_memory_s) +
             std::max(c.memory_bound_compute_s, c.memory_bound_memory_s) + c.exposed_launch_s();
  if (in.allreduce_time) t += static_cast<double>(c.tp_allreduces) * kAllReduce;
  return t;
}

// The four iterations of one request of 100 in / 3 out with a 64-token budget (the scheduler's
// worked example, docs/inference.md): a 64-token chunk; the last 36 tokens (after 64
// cached), which produce the first token; then two decodes reading 101 and 102 KV entries.
std::vector<IterationBatch> one_request_iterations() {
  IterationBatch a;
  a.prefill_seqs = 1;
  a.prefill_tokens = 64;
  a.prefill_attention_pairs = 64.0 * 64.0 / 2.0;  // c p + c^2/2 with p = 0
  a.prefill_context_tokens = 64;
  IterationBatch b;
  b.prefill_seqs = 1;
  b.prefill_tokens = 36;
  b.prefill_attention_pairs = 36.0 * 64.0 + 36.0 * 36.0 / 2.0;
  b.prefill_context_tokens = 100;
  b.sampled_seqs = 1;
  IterationBatch d1;
  d1.decode_seqs = 1;
  d1.sampled_seqs = 1;
  d1.decode_context_tokens = 101;  // 100 cached + its own new token
  IterationBatch d2 = d1;
  d2.decode_context_tokens = 102;
  return {a, b, d1, d2};
}

}  // namespace

TEST_CASE("serving executor: one request runs its iterations in phases and its record adds up", "[serving_executor]") {
  std::vector<ServingInstanceSetup> insts{instance({0, 1}, 2, ServingInstanceSetup::Role::Both)};
  const ServingInstanceSetup probe = insts.front();
  ServingExecutor ex(insts, {Request{0, 0.0, 100, 3}}, false, 0.0);
  FakeClock clock;
  const double end = clock.run(ex);
  const auto its = one_request_iterations();
  double expect = 0.0, first_token = 0.0;
  for (std::size_t i = 0; i < its.size(); ++i) {
    expect += iteration_time(probe, its[i]);
    if (i == 1) first_token = expect;  // the second iteration computes the prompt's last chunk
  }
  CHECK(end == Approx(expect).epsilon(1e-12));
  REQUIRE(ex.iterations().size() == 4);
  CHECK(ex.iterations()[0].prefill_tokens == 64);
  CHECK(ex.iterations()[1].prefill_tokens == 36);
  CHECK(ex.iterations()[2].decode_seqs == 1);
  const auto recs = ex.requests();
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].first_scheduled_s == 0.0);
  CHECK(recs[0].first_token_s == Approx(first_token).epsilon(1e-12));
  CHECK(recs[0].finish_s == Approx(expect).epsilon(1e-12));
  CHECK(recs[0].generated == 3);
  CHECK(recs[0].instance == 0);
  // Both GPUs of the TP 2 instance run every kernel phase: each iteration issues Compute and
  // Memory parts on two GPUs per non-empty phase, and one Timer (launches + all-reduces).
  CHECK(clock.issued[ServingAction::Kind::Compute] % 2 == 0);
  CHECK(clock.issued[ServingAction::Kind::Memory] % 2 == 0);
  CHECK(clock.issued[ServingAction::Kind::Timer] == 1 + 4);  // the arrival, then one per iteration
  CHECK(clock.issued[ServingAction::Kind::Transfer] == 0);
}

TEST_CASE("serving executor: arrivals wait for their time, and round robin alternates instances", "[serving_executor]") {
  std::vector<ServingInstanceSetup> insts{instance({0}, 1, ServingInstanceSetup::Role::Both),
                                          instance({1}, 1, ServingInstanceSetup::Role::Both)};
  // Four requests at 1, 1, 5 and 9 s: each instance is idle long before the next arrives (an
  // iteration of this model takes well under a millisecond), so each is scheduled on arrival.
  std::vector<Request> reqs{{0, 1.0, 10, 2}, {1, 1.0, 10, 2}, {2, 5.0, 10, 2}, {3, 9.0, 10, 2}};
  ServingExecutor ex(insts, reqs, false, 0.0);
  FakeClock clock;
  (void)clock.run(ex);
  const auto recs = ex.requests();
  REQUIRE(recs.size() == 4);
  for (std::size_t i = 0; i < recs.size(); ++i) {
    CHECK(recs[i].first_scheduled_s == reqs[i].arrival_s);
    CHECK(recs[i].instance == static_cast<int>(i % 2));
    CHECK(recs[i].generated == 2);
  }
}

TEST_CASE("serving executor: a host overhead per iteration is paid once, before the kernels' time", "[serving_executor]") {
  std::vector<ServingInstanceSetup> insts{instance({0}, 1, ServingInstanceSetup::Role::Both)};
  const ServingInstanceSetup probe = insts.front();
  const double overhead = 2e-3;
  ServingExecutor ex(insts, {Request{0, 0.0, 100, 3}}, false, overhead);
  FakeClock clock;
  const double end = clock.run(ex);
  double expect = 0.0;
  for (const auto& b : one_request_iterations()) expect += iteration_time(probe, b) + overhead;
  CHECK(end == Approx(expect).epsilon(1e-12));
}

TEST_CASE("serving executor: disaggregated, the KV cache moves from the prefill GPUs to the decode instance",
          "[serving_executor]") {
  std::vector<ServingInstanceSetup> insts{instance({0, 1}, 2, ServingInstanceSetup::Role::Prefill),
                                          instance({2, 3}, 2, ServingInstanceSetup::Role::Decode)};
  const ServingInstanceSetup prefill = insts[0], decode = insts[1];
  ServingExecutor ex(insts, {Request{0, 0.0, 100, 3}}, false, 0.0);
  FakeClock clock;
  const double end = clock.run(ex);
  // Prefill: the two chunk iterations on instance 0. Hand-off: each prefill GPU k sends its share
  // of the 100 tokens' KV (kv_bytes_per_token x 100) to decode GPU k, all at once, taking
  // bytes / kLinkBandwidth. Decode: two iterations on instance 1, reading 101 then 102 entries.
  const auto its = one_request_iterations();
  const double prefill_t = iteration_time(prefill, its[0]) + iteration_time(prefill, its[1]);
  const double kv_bytes = prefill.kv_bytes_per_token * 100.0;
  const double transfer_t = kv_bytes / kLinkBandwidth;
  const double decode_t = iteration_time(decode, its[2]) + iteration_time(decode, its[3]);
  CHECK(end == Approx(prefill_t + transfer_t + decode_t).epsilon(1e-12));
  REQUIRE(clock.transfers.size() == 2);
  CHECK(clock.transfers[0].host == 0);
  CHECK(clock.transfers[0].dst == 2);
  CHECK(clock.transfers[1].host == 1);
  CHECK(clock.transfers[1].dst == 3);
  CHECK(clock.transfers[0].bytes == Approx(kv_bytes));
  const auto recs = ex.requests();
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].first_token_s == Approx(prefill_t).epsilon(1e-12));
  CHECK(recs[0].kv_transfer_s == Approx(transfer_t).epsilon(1e-12));
  CHECK(recs[0].finish_s == Approx(end).epsilon(1e-12));
  CHECK(recs[0].instance == 0);
  CHECK(recs[0].decode_instance == 1);
  CHECK(recs[0].generated == 3);
}
