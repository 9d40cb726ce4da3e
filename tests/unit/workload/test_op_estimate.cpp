// estimate_transformer_ops (sim/workload/training_generator.cpp): the closed-form op count of a
// generated training step against the ops the generator really builds, over layouts that switch
// every term of the formula on and off (tensor, sequence, context, pipeline with even and uneven
// stages, interleaved, expert and data parallelism, every ZeRO stage, recomputation, TP overlap), whole and
// partially materialized in both rank orders; and one count derived by hand.
#include "sim/workload/training_generator.hpp"
#include "catalog_support.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <string>

using namespace racksim;

namespace {

// A small dense model (8 layers, 8 heads, 2 KV heads) or a MoE one (8 experts, top 2) under
// `parallel`, `batch` and `options` (YAML flow maps' contents).
TransformerSpec small_spec(const std::string& parallel, const std::string& batch, const std::string& options, bool moe,
                           int shared_experts = 0) {
  const std::string shared = shared_experts > 0 ? fmt::format(", shared_experts: {}", shared_experts) : "";
  const std::string model = moe ? "{hidden: 256, layers: 8, heads: 8, kv_heads: 2, ffn: 512, vocab: 1000, experts: 8, top_k: 2" +
                                      shared + "}"
                                : "{hidden: 256, layers: 8, heads: 8, kv_heads: 2, ffn: 512, vocab: 1000}";
  const std::string yaml = fmt::format("kind: transformer_training\nmodel: {}\nparallel: {{{}}}\nbatch: {{{}}}\noptions: {{{}}}\n",
                                       model, parallel, batch, options);
  const ConfigDoc doc = ConfigDoc::load_string(yaml, "workload.yaml");
  MapReader wm(doc.root(), "workload");
  (void)wm.required("kind");
  TransformerSpec s = read_transformer_spec(wm, racksim::test::gpu("mi300x"), RACKSIM_SOURCE_DIR);
  wm.finish();
  return s;
}

}  // namespace

TEST_CASE("the closed-form op count of one rank, derived by hand", "[transformer][estimate]") {
  // tp 1, pp 1, dp 1, cp 1, ZeRO 0, no recompute, dense: no group exists, so no collective.
  // GTR = 1, GTG(n) = n. LF = 4 + 1 + 0 + 1 + 1 + (1 + 1 + 1) = 10; LB = 5 + (2 + 1 + 0 + 1 + 1)
  // + 2 + 1 + 0 + 0 + 1 = 14. 8 layers, m = 4 micro batches (global 4 / micro 1 / dp 1), v = 1:
  // 3 + 4 x 8 x (1 + 10) + 4 x 8 x (14 + 1) + 1 (optimizer) + 4 x 4 x 1 (send/recv slots)
  // = 3 + 352 + 480 + 1 + 16 = 852; first stage: 4 x (0 + 0) + 0; last stage (the same):
  // 4 x (5 + 1 + 0 + 0 + 1) = 28. Total 880.
  const TransformerSpec s = small_spec("tp: 1, dp: 1", "sequence: 128, micro: 1, global: 4", "recompute: none", false);
  CHECK(estimate_transformer_ops(s) == 880.0);
  CHECK(static_cast<double>(generate_transformer(s, racksim::test::gpu("mi300x")).total_ops()) == 880.0);

  // The same on pp 3, whose 8 layers split 2, 3, 3: a rank of L layers builds 3 + 4 L (1 + 10)
  // + 4 L (14 + 1) + 1 + 4 x 4 = 20 + 104 L ops (still no collective: every group is of one),
  // 228, 332 and 332, and the last stage its loss slots, 28: 920.
  const TransformerSpec u =
      small_spec("tp: 1, pp: 3, dp: 1", "sequence: 128, micro: 1, global: 4", "recompute: none", false);
  CHECK(estimate_transformer_ops(u) == 920.0);
  const Workload w = generate_transformer(u, racksim::test::gpu("mi300x"));
  CHECK(static_cast<double>(w.total_ops()) == 920.0);
  CHECK(w.programs[0].size() == 228u);
  CHECK(w.programs[1].size() == 332u);
  CHECK(w.programs[2].size() == 332u + 28u);
}

TEST_CASE("the closed-form op count equals the generator's on every kind of layout", "[transformer][estimate]") {
  struct Case {
    std::string parallel, batch, options;
    bool moe = false;
    int shared = 0;  // MoE shared experts
  };
  const std::string b = "sequence: 128, micro: 1, global: 8";
  const std::vector<Case> cases = {
      {"tp: 2, dp: 2", b, "recompute: none", false},
      {"tp: 2, dp: 2, sequence_parallel: true", b, "recompute: selective", false},
      {"tp: 2, dp: 2, sequence_parallel: true", b, "recompute: full, overlap_tp_comm: true", false},
      {"tp: 2, dp: 1", b, "overlap_tp_comm: true", false},
      {"tp: 2, pp: 2, dp: 2, zero: 1", b, "recompute: none", false},
      {"tp: 1, pp: 2, dp: 2, virtual_stages: 2, zero: 2", b, "overlap_grad_reduce: false", false},
      {"tp: 2, pp: 2, dp: 2, zero: 3, order: tp-cp-pp-dp", b, "recompute: full", false},
      {"tp: 1, pp: 4, dp: 1", b, "recompute: none", false},
      {"tp: 2, cp: 2, dp: 2, zero: 3", "sequence: 128, micro: 2, global: 8", "recompute: selective", false},
      {"tp: 1, cp: 2, dp: 1", b, "recompute: none", false},
      {"tp: 2, dp: 4, ep: 2, sequence_parallel: true, zero: 1", b, "recompute: none", true},
      {"tp: 1, dp: 4, ep: 4, zero: 3", b, "recompute: full", true},
      {"tp: 1, pp: 2, dp: 2, ep: 2, cp: 2, zero: 2", b, "recompute: none", true},
      {"tp: 2, dp: 2, ep: 1, sequence_parallel: true, zero: 3", b, "overlap_tp_comm: true", true},
      {"tp: 2, dp: 2", b, "attention: unfused", false},
      {"tp: 2, cp: 2, dp: 2", b, "recompute: selective, attention: unfused, attention_dropout: true", false},
      {"tp: 1, dp: 2", b, "recompute: full, attention: unfused", false},
      {"tp: 2, dp: 2", b, "recompute: per_op", false},
      {"tp: 2, dp: 2, sequence_parallel: true", b, "recompute: per_op, overlap_tp_comm: true, precision: fp8", false},
      {"tp: 2, dp: 4, ep: 2, sequence_parallel: true, zero: 1", b, "recompute: none", true, 1},
      {"tp: 2, dp: 2, ep: 1, sequence_parallel: true, zero: 3", b, "overlap_tp_comm: true", true, 2},
      {"tp: 1, dp: 4, ep: 4, zero: 3", b, "recompute: full", true, 1},
      {"tp: 2, dp: 2, ep: 2, sequence_parallel: true", b, "recompute: per_op, precision: fp8", true, 1},
      // Uneven pipeline stages: the default split of 8 layers on 3 (2, 3, 3) and on 3 x 2
      // virtual stages (1, 2, 2, 1, 1, 1), a list, Megatron-LM's first/last, in both orders.
      {"tp: 2, pp: 3, dp: 2, sequence_parallel: true, zero: 1", "sequence: 128, micro: 1, global: 6", "recompute: full",
       false},
      {"tp: 1, pp: 3, dp: 2, virtual_stages: 2, zero: 2, order: tp-cp-pp-dp", "sequence: 128, micro: 1, global: 6",
       "recompute: selective", false},
      {"tp: 1, pp: 3, dp: 2, zero: 3, stage_layers: [1, 4, 3], order: tp-cp-pp-dp",
       "sequence: 128, micro: 1, global: 6", "recompute: per_op, precision: fp8", false},
      {"tp: 2, pp: 4, dp: 1, first_stage_layers: 1, last_stage_layers: 1, sequence_parallel: true",
       "sequence: 128, micro: 1, global: 8", "overlap_tp_comm: true", false},
      {"tp: 1, pp: 3, dp: 4, ep: 2, zero: 1, stage_layers: [3, 2, 3]", "sequence: 128, micro: 1, global: 8",
       "recompute: none", true},
  };
  const GpuSpec gpu = racksim::test::gpu("mi300x");
  for (const Case& c : cases) {
    const TransformerSpec s = small_spec(c.parallel, c.batch, c.options, c.moe, c.shared);
    INFO(fmt::format("parallel {{{}}}, batch {{{}}}, options {{{}}}, moe {}, shared experts {}", c.parallel, c.batch,
                     c.options, c.moe, c.shared));
    CHECK(estimate_transformer_ops(s) == static_cast<double>(generate_transformer(s, gpu).total_ops()));
    // Partially materialized (a reduced run's replica, or any prefix of the ranks), both orders.
    const int world = static_cast<int>(s.layout.world());
    for (const int built : {1, world / 2, world - 1, world})
      CHECK(estimate_transformer_ops(s, built) == static_cast<double>(generate_transformer(s, gpu, built).total_ops()));
  }
}

TEST_CASE("the op count of an extreme layout is computed without building it", "[transformer][estimate]") {
  // 100,000 layers (pp 1) and 2^32 sequences per step of one micro batch each: as in the case
  // derived by hand above, each micro batch costs 11 + 15 = 26 ops per layer and 4 + 7 = 11 in
  // its send/receive slots and loss, plus 4 for the model state and the optimizer:
  // 26 x 2^32 x 10^5 + 11 x 2^32 + 4 = 1.1167 x 10^16 ops, computed at once and finite.
  TransformerSpec s = small_spec("tp: 1, dp: 1", "sequence: 128, micro: 1, global: 4", "recompute: none", false);
  s.model.layers = 100'000;
  s.batch.global = std::int64_t{1} << 32;
  const double m = 4294967296.0;
  const double ops = estimate_transformer_ops(s);
  CHECK(ops == Approx(26.0 * m * 100'000.0 + 11.0 * m + 4.0));
  CHECK(ops < 1e20);
}

TEST_CASE("the op count of Llama 3 405B on 16 Helios racks equals its golden run's", "[transformer][estimate]") {
  // scenarios/llama3-405b-16rack.yaml: TP 8 x PP 9 x DP 16 with sequence parallelism, ZeRO 1.
  // Its full simulation built 9,427,200 ops (bench/README.md's full run) before ZeRO 1 also
  // all-gathered the embedding's and the output layer's updated parameters: one all-gather more
  // on each of the 8 x 16 = 128 ranks of the first stage and of the last, 9,427,456
  // (tests/golden/llama3-405b-16rack, workload.ops), the whole of which the estimate gives
  // without building one.
  const ConfigDoc doc = ConfigDoc::load_string(
      "kind: transformer_training\nmodel: {preset: llama3-405b}\n"
      "parallel: {tp: 8, pp: 9, dp: 16, sequence_parallel: true, zero: 1, order: tp-cp-pp-dp}\n"
      "batch: {sequence: 8192, micro: 1, global: 256}\noptions: {recompute: none, precision: bf16, overlap_grad_reduce: true}\n",
      "workload.yaml");
  MapReader wm(doc.root(), "workload");
  (void)wm.required("kind");
  const TransformerSpec s = read_transformer_spec(wm, racksim::test::gpu("mi355x"), RACKSIM_SOURCE_DIR);
  CHECK(estimate_transformer_ops(s) == 9'427'456.0);
}
