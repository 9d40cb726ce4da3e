// The transformer training generator (sim/workload/training_generator.cpp) and its analytical model
// (models/transformer.cpp): FLOPs against Megatron-LM's published formulas, the generated op
// graphs' FLOPs against the same count, model state per ZeRO stage against the ZeRO paper's
// formulas, activation memory, and the errors for impossible layouts.
#include "models/transformer.hpp"
#include "sim/workload/chakra.hpp"
#include "sim/workload/training_generator.hpp"
#include "catalog_support.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <cctype>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <string>

using namespace racksim;
using racksim::test::input_error_of;
using racksim::test::near;

namespace {

TransformerSpec spec_from(const std::string& yaml, const std::string& gpu_id = "mi300x") {
  const ConfigDoc doc = ConfigDoc::load_string(yaml, "workload.yaml");
  MapReader wm(doc.root(), "workload");
  (void)wm.required("kind");
  TransformerSpec s = read_transformer_spec(wm, racksim::test::gpu(gpu_id), RACKSIM_SOURCE_DIR);
  wm.finish();
  return s;
}

// Sums the FLOPs of a workload's GEMM ops and of its attention ops over every rank.
struct FlopSums {
  double gemm = 0.0, attention = 0.0;
};
FlopSums sum_flops(const Workload& w) {
  FlopSums f;
  for (const auto& prog : w.programs)
    for (const auto& op : prog) {
      if (op.gemm) f.gemm += op.flops.value();
      if (op.attention) f.attention += op.flops.value();
    }
  return f;
}

TransformerShape gpt3_175b() {
  TransformerShape m;
  m.name = "gpt3";
  m.hidden = 12288;
  m.layers = 96;
  m.heads = 96;
  m.kv_heads = 96;
  m.ffn = 4 * 12288;
  m.vocab = 50257;
  m.gated_ffn = false;
  return m;
}

}  // namespace

TEST_CASE("model FLOPs per step equal Megatron-LM's formula, with and without full recompute", "[transformer]") {
  // Narayanan et al. 2021, eq. (3) and the text before it: a GPT model with g = a, F = 4h and a
  // GELU FFN does 72 B s L h^2 (1 + s/6h + V/12hL) FLOPs per step without recomputation, and
  // 96 B s L h^2 (1 + s/6h + V/16hL) with full activation recomputation.
  struct Case {
    std::int64_t h, L, a, V, s, B;
  };
  for (const Case c : {Case{12288, 96, 96, 50257, 2048, 1536}, Case{4096, 32, 32, 51200, 4096, 512},
                       Case{20480, 105, 128, 51200, 2048, 2240}}) {
    TransformerShape m = gpt3_175b();
    m.hidden = c.h;
    m.layers = c.L;
    m.heads = c.a;
    m.kv_heads = c.a;
    m.ffn = 4 * c.h;
    m.vocab = c.V;
    TrainingBatch b;
    b.seq = c.s;
    b.global = c.B;
    const double h = static_cast<double>(c.h), L = static_cast<double>(c.L), V = static_cast<double>(c.V),
                 s = static_cast<double>(c.s), B = static_cast<double>(c.B);
    const double plain = 72.0 * B * s * L * h * h * (1.0 + s / (6.0 * h) + V / (12.0 * h * L));
    const double full = 96.0 * B * s * L * h * h * (1.0 + s / (6.0 * h) + V / (16.0 * h * L));
    CHECK(training_flops(m, b, Recompute::None).model == near(plain));
    CHECK(training_flops(m, b, Recompute::None).hardware == near(plain));
    CHECK(training_flops(m, b, Recompute::Full).model == near(plain));
    CHECK(training_flops(m, b, Recompute::Full).hardware == near(full));
    // Selective recompute (Korthikanti et al. 2022) redoes only the attention core, 4 s h FLOPs
    // per token per layer forward: + B s L 4 s h.
    CHECK(training_flops(m, b, Recompute::Selective).hardware == near(plain + B * s * L * 4.0 * s * h));
  }
}

TEST_CASE("GPT-3 175B has 175 billion parameters", "[transformer]") {
  // Brown et al. 2020 report 175.0 B. Per layer 12 h^2 + 2h (no biases) x 96 layers = 173.95 B,
  // plus input and output embeddings 2 x 50257 x 12288 = 1.235 B: 175.18 B. (GPT-3 ties its
  // embeddings and has biases, which the model leaves out; both are within 1%.)
  const ParameterCount p = count_parameters(gpt3_175b());
  const double h = 12288.0;
  CHECK(p.total == near(96.0 * (12.0 * h * h + 2.0 * h) + 2.0 * 50257.0 * h + h));
  CHECK(p.total == Approx(175.0e9).epsilon(0.01));
}

TEST_CASE("generated GEMMs and attention kernels add up to the analytical FLOP count", "[transformer]") {
  // The generator's GEMM shapes must reproduce the analytical count exactly: model FLOPs minus
  // the attention core (4 s h per token per layer forward, which runs as attention kernels), plus
  // the recomputed forward GEMMs. The attention kernels are causal FlashAttention: forward 2 s^2 h
  // per sequence per layer (half of 4 s^2 h), backward 2.5 x that (models/kernel.hpp); a
  // recompute pass (full or selective) adds one more forward.
  struct Case {
    std::string yaml;
    double recomputed_attention_passes;
    bool full_recompute;
  };
  const std::string model = "model: {hidden: 1024, layers: 8, heads: 16, kv_heads: 4, ffn: 2816, vocab: 32000}\n";
  const std::string moe =
      "model: {hidden: 512, layers: 4, heads: 8, kv_heads: 8, ffn: 1024, vocab: 4096, experts: 8, top_k: 2}\n";
  const std::string shared =
      "model: {hidden: 512, layers: 4, heads: 8, kv_heads: 8, ffn: 1024, vocab: 4096, experts: 8, top_k: 2, shared_experts: 2}\n";
  const std::vector<Case> cases = {
      {model + "parallel: {tp: 2, pp: 2, dp: 2, sequence_parallel: true, zero: 1}\nbatch: {sequence: 1024, global: 8}\n", 0, false},
      {model + "parallel: {tp: 1, pp: 4, dp: 1, virtual_stages: 2}\nbatch: {sequence: 512, micro: 2, global: 16}\n"
               "options: {recompute: full}\n", 1, true},
      {model + "parallel: {tp: 4, pp: 1, dp: 2, cp: 2, zero: 3}\nbatch: {sequence: 2048, global: 4}\n"
               "options: {recompute: selective}\n", 1, false},
      {moe + "parallel: {tp: 2, pp: 1, dp: 4, ep: 4, sequence_parallel: true}\nbatch: {sequence: 256, micro: 2, global: 16}\n", 0,
       false},
      {shared + "parallel: {tp: 2, pp: 1, dp: 4, ep: 4, sequence_parallel: true}\nbatch: {sequence: 256, micro: 2, global: 16}\n",
       0, false},
  };
  for (const Case& c : cases) {
    INFO(c.yaml);
    const TransformerSpec s = spec_from("kind: transformer_training\n" + c.yaml);
    const Workload w = generate_transformer(s, racksim::test::gpu("mi300x"));
    const FlopSums got = sum_flops(w);
    const StepFlops f = training_flops(s.model, s.batch, s.recompute);
    const double h = static_cast<double>(s.model.hidden), sq = static_cast<double>(s.batch.seq),
                 L = static_cast<double>(s.model.layers), tokens = static_cast<double>(s.batch.global) * sq;
    const double gemm_per_token_layer = f.forward_per_token_layer - 4.0 * sq * h;
    double gemm = 3.0 * tokens * (L * gemm_per_token_layer + f.logits_per_token);
    if (c.full_recompute) gemm += tokens * L * gemm_per_token_layer;
    CHECK(got.gemm == Approx(gemm).epsilon(1e-12));
    const double fwd_attention = static_cast<double>(s.batch.global) * L * 2.0 * sq * sq * h;
    CHECK(got.attention == Approx(fwd_attention * (1.0 + 2.5 + c.recomputed_attention_passes)).epsilon(1e-12));
    // The workload's own totals are the analytical ones.
    REQUIRE(w.training);
    CHECK(w.training->model_flops_per_step == near(f.model));
    CHECK(w.training->tokens_per_step == near(tokens));
    CHECK(w.ranks == s.layout.world());
  }
}

TEST_CASE("model state per GPU follows the ZeRO paper for each stage", "[transformer][memory]") {
  // Rajbhandari et al. 2020, section 5 (K = 12): stage 0 holds (2 + 2 + K) psi, stage 1
  // 4 psi + K psi/N, stage 2 2 psi + (2 + K) psi/N, stage 3 (4 + K) psi/N.
  const double psi = 7.5e9;
  const std::int64_t n = 64;
  CHECK(model_state_bytes(psi, n, 0).total() == near(16.0 * psi));
  CHECK(model_state_bytes(psi, n, 1).total() == near(4.0 * psi + 12.0 * psi / 64.0));
  CHECK(model_state_bytes(psi, n, 2).total() == near(2.0 * psi + 14.0 * psi / 64.0));
  CHECK(model_state_bytes(psi, n, 3).total() == near(16.0 * psi / 64.0));
  // The paper's example (Figure 1): 7.5 B parameters on 64 GPUs need 120 GB, 31.4 GB, 16.6 GB and
  // 1.88 GB, printed to three digits (16.64 shows as 16.6).
  CHECK(model_state_bytes(psi, n, 0).total() / 1e9 == Approx(120.0));
  CHECK(model_state_bytes(psi, n, 1).total() / 1e9 == Approx(31.4).epsilon(0.001));
  CHECK(model_state_bytes(psi, n, 2).total() / 1e9 == Approx(16.6).epsilon(0.005));
  CHECK(model_state_bytes(psi, n, 3).total() / 1e9 == Approx(1.875).epsilon(0.001));
}

TEST_CASE("generated allocations hold the ZeRO footprint and 1F1B's in-flight activations", "[transformer][memory]") {
  // h = 1024, L = 8, a = g = 8, F = 4096 (GELU), V = 32000, tp 2, pp 2, dp 4.
  // Per layer per TP rank: attention (4 h^2)/2 = 2,097,152; FFN (2 h F)/2 = 4,194,304; two norms
  // 2h = 2048 (replicated): 6,293,504. Four layers per stage: 25,174,016.
  // Stage 0 adds the input embedding V h / t = 16000 x 1024 = 16,384,000: psi = 41,558,016.
  // Stage 1 adds the output layer 16,384,000 and the final norm 1024: psi = 41,559,040.
  const double psi0 = 41'558'016.0, psi1 = 41'559'040.0;
  for (int zero = 0; zero <= 3; ++zero) {
    INFO("ZeRO stage " << zero);
    const TransformerSpec s = spec_from(fmt::format(
        "kind: transformer_training\nmodel: {{hidden: 1024, layers: 8, heads: 8, ffn: 4096, vocab: 32000, ffn_kind: gelu}}\n"
        "parallel: {{tp: 2, pp: 2, dp: 4, zero: {}}}\nbatch: {{sequence: 2048, micro: 1, global: 32}}\n",
        zero));
    const Workload w = generate_transformer(s, racksim::test::gpu("mi300x"));
    for (const auto& [rank, psi] : {std::pair<int, double>{0, psi0}, {7, psi0}, {8, psi1}, {15, psi1}}) {
      INFO("rank " << rank);
      const StateBytes want = model_state_bytes(psi, 4, zero);
      std::map<std::string, double> got;
      for (const Op& op : w.programs[static_cast<std::size_t>(rank)])
        if (op.kind == OpKind::Alloc && (op.label == "weights" || op.label == "gradients" || op.label == "optimizer state"))
          got[op.label] += static_cast<double>(op.bytes);
      CHECK(got["weights"] == Approx(want.weights).margin(1.0));
      CHECK(got["gradients"] == Approx(want.gradients).margin(1.0));
      CHECK(got["optimizer state"] == Approx(want.optimizer).margin(1.0));
    }
    // Peak along rank 0's program (every alloc and free runs on its compute stream, so program
    // order is time order): model state + activations of the p = 2 micro batches 1F1B keeps in
    // flight on stage 0, 4 layers each, + for ZeRO 3 two layers' gathered weights (the first
    // backward layer's and the one prefetched behind it, while all 8 activations are held) and
    // the root unit's part on stage 0, the embedding, held through the step. Per layer (T = 2048,
    // t = 2, no sequence parallelism; layer_activation_bytes): attention 2Th + 2Th + 2T(3h)/2 +
    // 2Th/2 + 4Ta/2 = 4Th + 3Th + Th + 2Ta = 8Th + 2Ta; MLP 2Th + 2Th + 2TF/2 + 2TF/2 = 4Th + 2TF:
    // 12 Th + 2Ta + 2TF = 12 x 2,097,152 + 2 x 16,384 + 2 x 8,388,608 = 41,975,808 bytes.
    const double act = 41'975'808.0;
    CHECK(layer_activation_bytes(s.model, s.layout, 2048, Recompute::None) == near(act));
    double in_use = 0.0, peak = 0.0;
    for (const Op& op : w.programs[0]) {
      if (op.kind == OpKind::Alloc) in_use += static_cast<double>(op.bytes);
      if (op.kind == OpKind::Free) in_use -= static_cast<double>(op.bytes);
      peak = std::max(peak, in_use);
    }
    // 2 layers x 2 bytes x params, + the embedding's 16,384,000 parameters x 2 bytes
    const double gathered = zero == 3 ? 2.0 * (2.0 * 6'293'504.0) + 2.0 * 16'384'000.0 : 0.0;
    CHECK(peak == Approx(model_state_bytes(psi0, 4, zero).total() + gathered + 2.0 * 4.0 * act).margin(16.0));
  }
}

TEST_CASE("unfused attention runs as batched GEMMs and softmax passes and keeps the s x s probabilities",
          "[transformer][attention]") {
  // h = 1024, a = g = 8 heads of d = 128, tp 2: B = micro x a/t = 4 (batch, head) pairs per rank,
  // s = 2048 (one micro batch, cp 1): the rank's score elements are 4 x 2048^2 = 16,777,216.
  const std::string base =
      "kind: transformer_training\nmodel: {hidden: 1024, layers: 2, heads: 8, ffn: 4096, vocab: 32000, ffn_kind: gelu}\n"
      "parallel: {tp: 2, dp: 1}\nbatch: {sequence: 2048, micro: 1, global: 1}\n";
  const double elems = 4.0 * 2048.0 * 2048.0;
  const TransformerSpec s = spec_from(base + "options: {attention: unfused}\n");
  CHECK(s.unfused_attention);
  CHECK_FALSE(spec_from(base).unfused_attention);  // flash is the default
  const Workload w = generate_transformer(s, racksim::test::gpu("mi300x"));
  std::map<std::string, const Op*> first;  // the first op of each attention step, by the id's last part
  double act = 0.0;
  for (const Op& op : w.programs[0]) {
    CHECK_FALSE(op.attention);  // no flash kernel
    const auto dot = op.id.rfind('.');
    const std::string tail = op.id.substr(dot + 1);
    if (op.id.find(".attn") != std::string::npos && !first.count(tail)) first[tail] = &op;
    if (op.kind == OpKind::Alloc && op.label == "activations" && act == 0.0) act = static_cast<double>(op.bytes);
  }
  // Forward: S = Q K^T, a batch of 4 GEMMs 2048 x 2048 x 128: F = 2 x 2048^2 x 128 x 4 = 2^32;
  // B = 4 (2048 x 128 x 2 + 128 x 2048 x 2 + 2048^2 x 2) = 37,748,736 (S written in bf16).
  REQUIRE(first.count("scores") == 1);
  REQUIRE(first["scores"]->gemm);
  CHECK(first["scores"]->gemm->m == 2048);
  CHECK(first["scores"]->gemm->n == 2048);
  CHECK(first["scores"]->gemm->k == 128);
  CHECK(first["scores"]->gemm->batch == 4);
  CHECK(first["scores"]->flops.value() == near(4294967296.0));
  CHECK(first["scores"]->hbm_bytes.value() == near(37748736.0));
  // O = P V: 2048 x 128 x 2048, batch 4: F = 2^32 as well. The causal mask saves nothing.
  REQUIRE(first.count("pv") == 1);
  CHECK(first["pv"]->flops.value() == near(4294967296.0));
  // The softmax pass reads S and writes P in bf16: 4 B x 16,777,216 = 67,108,864 B; the
  // backward's reads P and dP and writes dS: 6 B per element = 100,663,296 B.
  REQUIRE(first.count("softmax") == 1);
  CHECK(first["softmax"]->hbm_bytes.value() == near(4.0 * elems));
  for (const char* g : {"dprobs", "dv", "dq", "dk"}) {
    INFO(g);
    REQUIRE(first.count(g) == 1);
    CHECK(first[g]->flops.value() == near(4294967296.0));
  }
  double softmax_bwd = 0.0;
  for (const Op& op : w.programs[0])
    if (op.id.find("attn_bwd.softmax") != std::string::npos) softmax_bwd = op.hbm_bytes.value();
  CHECK(softmax_bwd == near(6.0 * elems));
  // Saved for backward: P in bf16, 2 B x 16,777,216 = 33,554,432 B on top of the flash layer's.
  const double flash_act = layer_activation_bytes(s.model, s.layout, 2048, Recompute::None);
  CHECK(act == near(flash_act + 2.0 * elems));
  // With dropout: a 5 B/element pass each way, and the mask (1 B) and output (2 B) kept too.
  const TransformerSpec sd = spec_from(base + "options: {attention: unfused, attention_dropout: true}\n");
  const Workload wd = generate_transformer(sd, racksim::test::gpu("mi300x"));
  double act_d = 0.0, dropout_fwd = 0.0;
  for (const Op& op : wd.programs[0]) {
    if (op.kind == OpKind::Alloc && op.label == "activations" && act_d == 0.0) act_d = static_cast<double>(op.bytes);
    if (op.id.find(".attn.dropout") != std::string::npos && dropout_fwd == 0.0) dropout_fwd = op.hbm_bytes.value();
  }
  CHECK(act_d == near(flash_act + 5.0 * elems));
  CHECK(dropout_fwd == near(5.0 * elems));
  // Full recompute keeps the layer input only: the probabilities live in the recompute buffer.
  const TransformerSpec sf = spec_from(base + "options: {attention: unfused, recompute: full}\n");
  const Workload wf = generate_transformer(sf, racksim::test::gpu("mi300x"));
  for (const Op& op : wf.programs[0])
    if (op.kind == OpKind::Alloc && op.label == "activations" && op.id.find("recompute_buf") != std::string::npos) {
      CHECK(static_cast<double>(op.bytes) ==
            near(flash_act + 2.0 * elems - layer_activation_bytes(sf.model, sf.layout, 2048, Recompute::Full)));
      break;
    }
}

TEST_CASE("activation memory shrinks with sequence parallelism and recompute as derived", "[transformer][memory]") {
  // GPT-3 shapes, t = 1: 32 sbh + 4 sba (models/transformer.hpp: Korthikanti's 34 sbh without
  // the 2 sbh of dropout masks; the attention matrix is never stored with FlashAttention).
  TransformerShape m = gpt3_175b();
  ParallelLayout l;
  const double s = 2048.0, h = 12288.0, a = 96.0;
  CHECK(layer_activation_bytes(m, l, 2048, Recompute::None) == near(32.0 * s * h + 4.0 * s * a));
  // Full recompute keeps the layer input only: 2 sbh; with tp 8 and sequence parallelism 2sbh/8.
  CHECK(layer_activation_bytes(m, l, 2048, Recompute::Full) == near(2.0 * s * h));
  l.tp = 8;
  l.sequence_parallel = true;
  CHECK(layer_activation_bytes(m, l, 2048, Recompute::Full) == near(2.0 * s * h / 8.0));
  // Tensor and sequence parallelism together split everything by t: (32 sbh + 4 sba) / 8.
  CHECK(layer_activation_bytes(m, l, 2048, Recompute::None) == near((32.0 * s * h + 4.0 * s * a) / 8.0));
}

TEST_CASE("impossible layouts are rejected naming the key and the rule", "[transformer][errors]") {
  const std::string model = "kind: transformer_training\nmodel: {preset: llama3-8b}\n";
  struct Case {
    std::string yaml, expect;
  };
  const std::vector<Case> cases = {
      {model + "parallel: {tp: 3, dp: 1}\nbatch: {sequence: 8192, global: 8}\n",
       "tp (3) dividing the attention heads (32)"},
      {model + "parallel: {tp: 16, dp: 1}\nbatch: {sequence: 8192, global: 8}\n",
       "tp (16) dividing the key/value heads (8)"},
      {model + "parallel: {pp: 33, dp: 1}\nbatch: {sequence: 8192, global: 33}\n",
       "pp x virtual_stages (33 x 1) at most the layers (32): every virtual stage holds at least one layer"},
      {model + "parallel: {pp: 4, virtual_stages: 9, dp: 1}\nbatch: {sequence: 8192, global: 8}\n",
       "pp x virtual_stages (4 x 9) at most the layers (32)"},
      {model + "parallel: {dp: 3}\nbatch: {sequence: 8192, micro: 2, global: 16}\n",
       "a global batch (16) divisible by micro x dp (2 x 3)"},
      {model + "parallel: {pp: 4, virtual_stages: 2, dp: 1}\nbatch: {sequence: 8192, global: 6}\n",
       "micro batches per step (6) divisible by pp (4)"},
      {model + "parallel: {dp: 2, ep: 2}\nbatch: {sequence: 8192, global: 8}\n", "ep: 1 for a dense model"},
      {model + "parallel: {dp: 1, sequence_parallel: true}\nbatch: {sequence: 8192, global: 8}\n",
       "tp > 1 for sequence_parallel"},
      {"kind: transformer_training\nmodel: {preset: mixtral-8x7b}\nparallel: {dp: 6, ep: 3}\nbatch: {sequence: 4096, "
       "global: 12}\n",
       "ep (3) dividing the experts (8)"},
      {"kind: transformer_training\nmodel: {preset: llama3-9b}\nparallel: {dp: 1}\nbatch: {sequence: 8192, global: "
       "8}\n",
       "one of: gpt3-175b, llama3-8b, llama3-70b, llama3-405b, mixtral-8x7b"},
      {"kind: transformer_training\nmodel: {hidden: 1000, layers: 2, heads: 3, ffn: 10, vocab: 10}\nparallel: {dp: 1}\n"
       "batch: {sequence: 8, global: 1}\n",
       "heads (3) dividing hidden (1000)"},
      {model + "parallel: {dp: 1}\nbatch: {sequence: 8192, global: 8}\noptions: {precision: fp4}\n",
       "a precision GPU 'mi300x' computes in"},
  };
  for (const Case& c : cases) {
    INFO(c.yaml);
    const InputError e = input_error_of([&] { (void)spec_from(c.yaml); });
    CHECK_THAT(std::string(e.what()), Catch::Contains(c.expect));
    CHECK_THAT(std::string(e.what()), Catch::Contains("workload.yaml:"));
  }
}

TEST_CASE("pipeline stages that do not divide the layers get the default split", "[transformer][stages]") {
  // pipeline_stage_layers (training_generator.hpp): floor(L / S) per virtual stage, one more on
  // stages 1 .. L mod S. 10 layers on 4: floor 2, 2 extra on stages 1 and 2 -> 2, 3, 3, 2.
  // 126 (Llama 3 405B) on 8: floor 15, 6 extra -> 15, 16 x 6, 15 (torchtitan's split, and Llama
  // 3's one layer fewer on the first and last stages). 11 on 4: floor 2, 3 extra on stages 1-3 ->
  // 2, 3, 3, 3. 32 on 4 divides: 8 each. Interleaved, 10 layers on pp 2 x 2 chunks = 4 virtual
  // stages: 2, 3, 3, 2, virtual stage k on rank k mod 2, so each rank holds 2 + 3 = 5.
  ParallelLayout l;
  l.pp = 4;
  CHECK(pipeline_stage_layers(10, l) == std::vector<std::int64_t>{2, 3, 3, 2});
  CHECK(pipeline_stage_layers(11, l) == std::vector<std::int64_t>{2, 3, 3, 3});
  CHECK(pipeline_stage_layers(32, l) == std::vector<std::int64_t>{8, 8, 8, 8});
  l.pp = 8;
  CHECK(pipeline_stage_layers(126, l) == std::vector<std::int64_t>{15, 16, 16, 16, 16, 16, 16, 15});
  l.pp = 2;
  l.virtual_stages = 2;
  CHECK(pipeline_stage_layers(10, l) == std::vector<std::int64_t>{2, 3, 3, 2});
  // Given counts are used as they are, and checked against the layers.
  l.stage_layers = {1, 4, 4, 1};
  CHECK(pipeline_stage_layers(10, l) == std::vector<std::int64_t>{1, 4, 4, 1});
  CHECK_THROWS_AS(pipeline_stage_layers(11, l), Error);
  l.stage_layers.clear();
  CHECK_THROWS_AS(pipeline_stage_layers(3, l), Error);  // 4 virtual stages, 3 layers

  // The generated step runs each stage's own layers: op ids carry the layer number ("f0.l4...").
  const TransformerSpec s = spec_from(
      "kind: transformer_training\nmodel: {hidden: 256, layers: 10, heads: 4, ffn: 512, vocab: 1000}\n"
      "parallel: {pp: 4, dp: 1}\nbatch: {sequence: 128, global: 4}\n");
  CHECK(s.layout.stage_layers.empty());  // nothing given: the default split
  const Workload w = generate_transformer(s, racksim::test::gpu("mi300x"));
  const std::vector<std::set<std::string>> expect = {
      {"l0", "l1"}, {"l2", "l3", "l4"}, {"l5", "l6", "l7"}, {"l8", "l9"}};
  for (int r = 0; r < 4; ++r) {  // pp 4, dp 1: rank r is stage r
    std::set<std::string> layers;
    for (const Op& op : w.programs[static_cast<std::size_t>(r)])
      if (op.id.rfind("f0.l", 0) == 0 && std::isdigit(static_cast<unsigned char>(op.id[4])))
        layers.insert(op.id.substr(3, op.id.find('.', 3) - 3));
    INFO("rank " << r);
    CHECK(layers == expect[static_cast<std::size_t>(r)]);
  }
}

TEST_CASE("stage_layers and first/last_stage_layers set each stage's layers", "[transformer][stages]") {
  const std::string model =
      "kind: transformer_training\nmodel: {hidden: 256, layers: 10, heads: 4, ffn: 512, vocab: 1000}\n";
  // The list, one count per virtual stage in the model's order.
  TransformerSpec s =
      spec_from(model + "parallel: {pp: 4, dp: 1, stage_layers: [1, 4, 4, 1]}\nbatch: {sequence: 128, global: 4}\n");
  CHECK(pipeline_stage_layers(10, s.layout) == std::vector<std::int64_t>{1, 4, 4, 1});
  // Megatron-LM's first/last: 126 layers on 8 stages with 15 on the first and the last leave 96
  // for the 6 others, 16 each: the default split again.
  s = spec_from(
      "kind: transformer_training\nmodel: {preset: llama3-405b}\n"
      "parallel: {tp: 8, pp: 8, dp: 1, first_stage_layers: 15, last_stage_layers: 15}\n"
      "batch: {sequence: 8192, global: 8}\n");
  CHECK(s.layout.stage_layers == std::vector<std::int64_t>{15, 16, 16, 16, 16, 16, 16, 15});
  // Interleaved: 10 layers, pp 3 x 2 chunks, 2 on rank 0 and 2 on rank 2 (1 per chunk); rank 1
  // holds the other 6, 3 per chunk. Virtual stage k is chunk k / 3 of rank k mod 3: 1, 3, 1, 1, 3, 1.
  s = spec_from(model +
                "parallel: {pp: 3, virtual_stages: 2, dp: 1, first_stage_layers: 2, last_stage_layers: 2}\n"
                "batch: {sequence: 128, global: 6}\n");
  CHECK(s.layout.stage_layers == std::vector<std::int64_t>{1, 3, 1, 1, 3, 1});
  // Only the first given: the last of pp 2 takes the rest.
  s = spec_from(model + "parallel: {pp: 2, dp: 1, first_stage_layers: 3}\nbatch: {sequence: 128, global: 4}\n");
  CHECK(s.layout.stage_layers == std::vector<std::int64_t>{3, 7});
}

TEST_CASE("each uneven stage holds and reduces its own parameters", "[transformer][stages]") {
  // 10 layers on pp 4 (2, 3, 3, 2), dp 2, ZeRO 1, tp 1. h = 256, a = g = 4 (d = 64), F = 512
  // SwiGLU, V = 1000. Per layer: attention 4 h^2 = 262,144, norms 2h = 512, FFN 3 h F = 393,216:
  // 655,872. Stage 0: 2 layers + embedding V h = 256,000 -> 1,567,744; stages 1 and 2: 3 layers
  // -> 1,967,616; stage 3: 2 layers + output layer V h + final norm h -> 1,568,000.
  // ZeRO 1 (model_state_bytes): weights 2 psi, gradients 2 psi, optimizer 12 psi / 2 = 6 psi.
  // Data-parallel reduce-scatters, bf16 gradients: one per layer of 2 x 655,872 = 1,311,744 B,
  // plus stage 0's embedding bucket 2 x 256,000 = 512,000 B and stage 3's output bucket
  // 2 x 256,256 = 512,512 B; per stage 2 x psi: 3,135,488, 3,935,232, 3,935,232, 3,136,000.
  const TransformerSpec s = spec_from(
      "kind: transformer_training\nmodel: {hidden: 256, layers: 10, heads: 4, ffn: 512, vocab: 1000}\n"
      "parallel: {pp: 4, dp: 2, zero: 1, order: tp-cp-pp-dp}\nbatch: {sequence: 128, global: 8}\n");
  const Workload w = generate_transformer(s, racksim::test::gpu("mi300x"));
  const std::vector<double> psi = {1'567'744.0, 1'967'616.0, 1'967'616.0, 1'568'000.0};
  for (int r = 0; r < 4; ++r) {  // tp-cp-pp-dp: ranks 0-3 are stages 0-3 of replica 0
    INFO("stage " << r);
    std::map<std::string, double> alloc;
    double reduce_scatter = 0.0;
    int layer_buckets = 0;
    for (const Op& op : w.programs[static_cast<std::size_t>(r)]) {
      if (op.kind == OpKind::Alloc && (op.id == "weights" || op.id == "gradients" || op.id == "optimizer"))
        alloc[op.id] = static_cast<double>(op.bytes);
      if (op.kind == OpKind::Collective && op.collective == CollectiveKind::ReduceScatter &&
          op.dim == ParallelDim::DP) {
        reduce_scatter += static_cast<double>(op.bytes);
        if (op.bytes == 1'311'744) ++layer_buckets;
      }
    }
    const double p = psi[static_cast<std::size_t>(r)];
    CHECK(alloc["weights"] == 2.0 * p);
    CHECK(alloc["gradients"] == 2.0 * p);
    CHECK(alloc["optimizer"] == 6.0 * p);
    CHECK(reduce_scatter == 2.0 * p);
    CHECK(layer_buckets == (r == 0 || r == 3 ? 2 : 3));
  }
  // The step's model FLOPs are the whole model's, however it is split.
  CHECK(w.training->model_flops_per_step == training_flops(s.model, s.batch, Recompute::None).model);
}

TEST_CASE("invalid stage keys are refused naming the key and what was expected", "[transformer][stages][errors]") {
  const std::string model = "kind: transformer_training\nmodel: {preset: llama3-8b}\n";  // 32 layers
  const std::string batch = "batch: {sequence: 8192, global: 8}\n";
  struct Case {
    std::string parallel, key, expect;
  };
  const std::vector<Case> cases = {
      {"{pp: 4, dp: 1, stage_layers: [8, 8, 16]}", "parallel.stage_layers",
       "a list of pp x virtual_stages = 4 x 1 = 4 layer counts, one per virtual stage in the model's order, got 3"},
      {"{pp: 4, dp: 1, stage_layers: [8, 8, 8, 9]}", "parallel.stage_layers",
       "layer counts summing to the model's layers (32), got 33"},
      {"{pp: 4, dp: 1, stage_layers: [0, 8, 8, 16]}", "parallel.stage_layers[0]",
       "expected an integer from 1 to 32, got 0"},
      {"{pp: 4, dp: 1, stage_layers: 8}", "parallel.stage_layers", "expected a list"},
      {"{pp: 4, dp: 1, stage_layers: [8, 8, 8, 8], first_stage_layers: 8}", "parallel.stage_layers",
       "either stage_layers or first_stage_layers / last_stage_layers, not both"},
      {"{pp: 1, dp: 1, first_stage_layers: 8}", "parallel.first_stage_layers", "pp > 1 for first_stage_layers"},
      {"{pp: 4, virtual_stages: 2, dp: 1, last_stage_layers: 5}", "parallel.last_stage_layers",
       "last_stage_layers (5) divisible by virtual_stages (2)"},
      {"{pp: 4, dp: 1, first_stage_layers: 7}", "parallel.first_stage_layers",
       "the layers left for the other 3 pipeline ranks (25 of 32) divisible by those ranks x virtual_stages (3 x 1)"},
      {"{pp: 2, dp: 1, first_stage_layers: 15, last_stage_layers: 15}", "parallel.first_stage_layers",
       "first_stage_layers + last_stage_layers (15 + 15) equal to the layers (32)"},
      {"{pp: 2, dp: 1, first_stage_layers: 0}", "parallel.first_stage_layers", "1"},
  };
  for (const Case& c : cases) {
    INFO(c.parallel);
    const InputError e = input_error_of([&] { (void)spec_from(model + "parallel: " + c.parallel + "\n" + batch); });
    CHECK_THAT(std::string(e.what()), Catch::Contains(c.expect));
    CHECK_THAT(std::string(e.what()), Catch::Contains("workload.yaml:3:"));  // the file and the parallel line
    CHECK(e.where().key == c.key);
  }
}

TEST_CASE("presets match their published shapes", "[transformer]") {
  // Llama 3 paper, Table 3: 405B has 126 layers, model dimension 16,384, FFN 53,248, 128 heads,
  // 8 key/value heads; the released vocabulary is 128,256. 8B is within 1% of 8.03 B parameters.
  const TransformerSpec s = spec_from(
      "kind: transformer_training\nmodel: {preset: llama3-405b}\nparallel: {tp: 8, pp: 9, dp: 1}\nbatch: {sequence: 8192, global: 16}\n");
  CHECK(s.model.layers == 126);
  CHECK(s.model.hidden == 16384);
  CHECK(s.model.ffn == 53248);
  CHECK(s.model.heads == 128);
  CHECK(s.model.kv_heads == 8);
  CHECK(s.model.vocab == 128256);
  CHECK(count_parameters(s.model).total == Approx(405.8e9).epsilon(0.01));  // Meta's model card: 405.85 B
  const TransformerSpec e = spec_from(
      "kind: transformer_training\nmodel: {preset: llama3-8b}\nparallel: {dp: 1}\nbatch: {sequence: 8192, global: 1}\n");
  CHECK(count_parameters(e.model).total == Approx(8.03e9).epsilon(0.01));
  // Mixtral 8x7B: 46.7 B parameters in all (Jiang et al. 2024, section 2).
  const TransformerSpec x = spec_from(
      "kind: transformer_training\nmodel: {preset: mixtral-8x7b}\nparallel: {dp: 1}\nbatch: {sequence: 4096, global: 1}\n");
  CHECK(count_parameters(x.model).total == Approx(46.7e9).epsilon(0.01));
}

TEST_CASE("head_dim: Qwen3-32B's 64 heads of 128 on a 5120-wide model", "[transformer][head_dim]") {
  // Qwen3 Technical Report (arXiv:2505.09388) Table 1 and the released config: h = 5120, 64
  // layers, a = 64, g = 8, d = 128 (so the queries are a d = 8192 wide, not h), F = 25600 SwiGLU,
  // V = 151936, untied embeddings; the model card gives 32.8 B parameters, 31.2 B without the
  // embeddings. By hand, per layer: W_q h a d = 5120 x 8192 = 41.94 M, W_k + W_v 2 h g d =
  // 2 x 5120 x 1024 = 10.49 M, W_o a d h = 41.94 M, FFN 3 h F = 393.22 M, norms 2h = 10,240:
  // 487.60 M; x 64 = 31.21 B; embeddings 2 V h = 1.556 B; final norm h: 32.76 B.
  const TransformerSpec q = spec_from(
      "kind: transformer_training\nmodel: {preset: qwen3-32b}\nparallel: {tp: 8, dp: 1}\nbatch: {sequence: 4096, global: 1}\n");
  CHECK(q.model.head_dim() == 128);
  CHECK(q.model.attention_width() == 8192);
  const ParameterCount p = count_parameters(q.model);
  const double per_layer = 5120.0 * 8192 + 2.0 * 5120 * 1024 + 8192.0 * 5120 + 3.0 * 5120 * 25600 + 2.0 * 5120;
  CHECK(p.per_layer_dense == near(per_layer));
  CHECK(p.total - 2.0 * p.embedding - 5120.0 == Approx(31.2e9).epsilon(0.005));
  CHECK(p.total == Approx(32.8e9).epsilon(0.005));
  // With d = h/a = 80 (no head_dim) the same keys would give 28.9 B without embeddings: the key matters.
  TransformerShape wrong = q.model;
  wrong.head_size = 0;
  CHECK(count_parameters(wrong).total - 2.0 * p.embedding - 5120.0 == Approx(28.9e9).epsilon(0.005));

  // The generated step's GEMMs are the analytical count with a d in place of h: per token and
  // layer forward 2 h (a d + 2 g d) + 2 a d h + 2 x 3 h F, and the attention kernels 2 s^2 a d per
  // sequence and layer forward (causal: half of 4 s^2 a d), backward 2.5 x that.
  const std::string yaml =
      "kind: transformer_training\nmodel: {hidden: 640, layers: 4, heads: 8, kv_heads: 2, head_dim: 128, ffn: 1024, "
      "vocab: 4096}\nparallel: {tp: 2, pp: 2, dp: 1}\nbatch: {sequence: 512, global: 4}\n";
  const TransformerSpec s = spec_from(yaml);
  const Workload w = generate_transformer(s, racksim::test::gpu("mi300x"));
  const FlopSums got = sum_flops(w);
  const double h = 640, ad = 8 * 128, gd = 2 * 128, F = 1024, V = 4096, L = 4, sq = 512, seqs = 4, T = seqs * sq;
  const double gemm_fwd_per_token_layer = 2.0 * h * (ad + 2.0 * gd) + 2.0 * ad * h + 2.0 * 3.0 * h * F;
  CHECK(got.gemm == Approx(3.0 * T * (L * gemm_fwd_per_token_layer + 2.0 * h * V)).epsilon(1e-12));
  CHECK(got.attention == Approx(seqs * L * 2.0 * sq * sq * ad * (1.0 + 2.5)).epsilon(1e-12));
  // FLOPs per token and layer include the attention core at 4 s a d.
  CHECK(training_flops(s.model, s.batch, Recompute::None).forward_per_token_layer ==
        near(gemm_fwd_per_token_layer + 4.0 * sq * ad));
  // Activations: the attention output is a d wide (2 T a d / t bytes, not 2 T h / t).
  ParallelLayout one;
  const TransformerShape& m = s.model;
  const double Tm = 1000, a = 8, g = 2, d = 128;
  const double attention = 2 * Tm * h + 2 * Tm * h + 2 * Tm * (a + 2 * g) * d + 2 * Tm * a * d + 4 * Tm * a;
  const double mlp = 2 * Tm * h + 2 * Tm * h + 2 * Tm * 2 * F + 2 * Tm * F;
  CHECK(layer_activation_bytes(m, one, 1000, Recompute::None) == near(attention + mlp));
}

TEST_CASE("head_dim: heads need not divide hidden when it is given", "[transformer][head_dim][errors]") {
  // GPT-OSS-like: 64 heads of 64 on a 2880-wide model (h/a = 45 would be the wrong head size).
  const TransformerSpec s = spec_from(
      "kind: transformer_training\nmodel: {hidden: 2880, layers: 2, heads: 64, kv_heads: 8, head_dim: 64, ffn: 2880, "
      "vocab: 1024}\nparallel: {dp: 1}\nbatch: {sequence: 128, global: 1}\n");
  CHECK(s.model.attention_width() == 4096);
  const InputError e = input_error_of([] {
    (void)spec_from("kind: transformer_training\nmodel: {hidden: 2900, layers: 2, heads: 64, ffn: 2880, vocab: 1024}\n"
                    "parallel: {dp: 1}\nbatch: {sequence: 128, global: 1}\n");
  });
  CHECK_THAT(std::string(e.what()), Catch::Contains("heads (64) dividing hidden (2900) into whole head dimensions, or 'head_dim'"));
  // With head_dim the same 2900-wide model is accepted.
  CHECK(spec_from("kind: transformer_training\nmodel: {hidden: 2900, layers: 2, heads: 64, head_dim: 64, ffn: 2880, "
                  "vocab: 1024}\nparallel: {dp: 1}\nbatch: {sequence: 128, global: 1}\n")
            .model.head_dim() == 64);
  const InputError z = input_error_of([] {
    (void)spec_from("kind: transformer_training\nmodel: {preset: llama3-8b, head_dim: 0}\n"
                    "parallel: {dp: 1}\nbatch: {sequence: 128, global: 1}\n");
  });
  CHECK(z.where().key == "model.head_dim");  // the document here is the workload map alone
}

TEST_CASE("a generated step survives the round trip through Chakra ET op for op", "[transformer][chakra]") {
  // Generator -> write_chakra -> load_chakra must give the same op graphs: same ops, streams,
  // dependencies, shapes, sizes, groups and peers, hence the same simulation (the CLI test
  // chakra_cli.cmake compares the two runs' summaries).
  const std::vector<std::string> layouts = {
      "model: {hidden: 512, layers: 4, heads: 8, kv_heads: 2, ffn: 1408, vocab: 1000}\n"
      "parallel: {tp: 2, pp: 2, dp: 2, sequence_parallel: true, zero: 1, virtual_stages: 2}\n"
      "batch: {sequence: 256, global: 8}\noptions: {recompute: full, overlap_tp_comm: true}\n",
      "model: {hidden: 256, layers: 2, heads: 4, ffn: 512, vocab: 512, experts: 4, top_k: 2}\n"
      "parallel: {tp: 1, pp: 1, dp: 4, ep: 2, cp: 2, zero: 3}\nbatch: {sequence: 128, global: 4}\n",
  };
  for (std::size_t i = 0; i < layouts.size(); ++i) {
    INFO(layouts[i]);
    const TransformerSpec s = spec_from("kind: transformer_training\n" + layouts[i]);
    const Workload w = generate_transformer(s, racksim::test::gpu("mi300x"));
    const std::string dir =
        (std::filesystem::temp_directory_path() / fmt::format("racksim-{}-transformer-roundtrip-{}", ::getpid(), i)).string();
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    write_chakra(w, dir, "step");
    ChakraSpec cs;
    cs.prefix = dir + "/step";
    cs.files = w.ranks;
    cs.ranks = w.ranks;
    const Workload back = load_chakra(cs, racksim::test::gpu("mi300x"));
    REQUIRE(back.ranks == w.ranks);
    REQUIRE(back.programs.size() == w.programs.size());
    for (std::size_t r = 0; r < w.programs.size(); ++r) {
      const auto& a = w.programs[r];
      const auto& b = back.programs[r];
      REQUIRE(a.size() == b.size());
      for (std::size_t k = 0; k < a.size(); ++k) {
        const Op& x = a[k];
        const Op& y = b[k];
        INFO("rank " << r << " op " << x.id);
        CHECK(x.id == y.id);
        CHECK(x.kind == y.kind);
        CHECK(w.streams[static_cast<std::size_t>(x.stream)] == back.streams[static_cast<std::size_t>(y.stream)]);
        CHECK(x.deps == y.deps);
        CHECK(x.flops.value() == y.flops.value());
        CHECK(x.hbm_bytes.value() == y.hbm_bytes.value());
        CHECK(x.precision == y.precision);
        CHECK(x.gemm.has_value() == y.gemm.has_value());
        if (x.gemm && y.gemm)
          CHECK((x.gemm->m == y.gemm->m && x.gemm->n == y.gemm->n && x.gemm->k == y.gemm->k && x.gemm->batch == y.gemm->batch));
        CHECK(x.attention.has_value() == y.attention.has_value());
        if (x.attention && y.attention)
          CHECK((x.attention->seq == y.attention->seq && x.attention->heads == y.attention->heads &&
                 x.attention->kv_heads == y.attention->kv_heads && x.attention->backward == y.attention->backward &&
                 x.attention->causal == y.attention->causal));
        CHECK(x.duration.has_value() == y.duration.has_value());
        CHECK(x.bytes == y.bytes);
        if (x.kind == OpKind::Collective) {
          CHECK(x.collective == y.collective);
          CHECK(x.algorithm == y.algorithm);
          CHECK(x.sequence == y.sequence);
          CHECK(w.groups[static_cast<std::size_t>(x.group)].ranks == back.groups[static_cast<std::size_t>(y.group)].ranks);
        }
        if (x.kind == OpKind::Send || x.kind == OpKind::Recv) {
          CHECK(x.peer == y.peer);
          CHECK(x.tag == y.tag);
        }
        if (x.kind == OpKind::Free) CHECK(x.frees == y.frees);
      }
    }
    std::filesystem::remove_all(dir);
  }
}

TEST_CASE("precision is set per kind of op", "[transformer]") {
  // One precision for the GEMMs leaves attention in bf16; the map form sets each kind.
  const std::string base = "kind: transformer_training\nmodel: {hidden: 256, layers: 2, heads: 4, ffn: 512, vocab: 512}\n"
                           "parallel: {dp: 1}\nbatch: {sequence: 128, global: 1}\n";
  auto kinds = [](const Workload& w) {
    std::map<std::string, std::set<Precision>> k;
    for (const Op& op : w.programs[0]) {
      if (op.attention) k["attention"].insert(op.precision);
      if (op.gemm) k[op.id.find("logits") != std::string::npos ? "logits" : "gemm"].insert(op.precision);
    }
    return k;
  };
  const auto& gpu = racksim::test::gpu("mi300x");
  auto k = kinds(generate_transformer(spec_from(base + "options: {precision: fp8}\n"), gpu));
  CHECK(k["gemm"] == std::set<Precision>{Precision::fp8});
  CHECK(k["logits"] == std::set<Precision>{Precision::fp8});
  CHECK(k["attention"] == std::set<Precision>{Precision::bf16});
  k = kinds(generate_transformer(spec_from(base + "options: {precision: {gemm: fp8, attention: fp8, logits: bf16}}\n"), gpu));
  CHECK(k["gemm"] == std::set<Precision>{Precision::fp8});
  CHECK(k["logits"] == std::set<Precision>{Precision::bf16});
  CHECK(k["attention"] == std::set<Precision>{Precision::fp8});
  const InputError e = input_error_of([&] { (void)spec_from(base + "options: {precision: {gemm: fp8, attn: fp8}}\n"); });
  CHECK_THAT(std::string(e.what()), Catch::Contains("valid keys: gemm, attention, logits"));
}

namespace {

// The coordinates of rank r, derived independently of the generator from docs/transformer.md:
// tp-cp-dp-pp: rank = tp_i + tp (cp_i + cp (dp_i + dp pp_i)); tp-cp-pp-dp: rank = tp_i + tp (cp_i +
// cp (pp_i + pp dp_i)).
struct TestCoords {
  std::int64_t tp = 0, cp = 0, dp = 0, pp = 0;
};
TestCoords coords_by_formula(const ParallelLayout& l, int r) {
  TestCoords c;
  std::int64_t x = r;
  c.tp = x % l.tp;
  x /= l.tp;
  c.cp = x % l.cp;
  x /= l.cp;
  if (l.order == RankOrder::TpCpPpDp) {
    c.pp = x % l.pp;
    c.dp = x / l.pp;
  } else {
    c.dp = x % l.dp;
    c.pp = x / l.dp;
  }
  return c;
}

const Group* group_named(const Workload& w, const std::string& name) {
  for (const Group& g : w.groups)
    if (g.name == name) return &g;
  return nullptr;
}

// Per rank: the peer of every send and receive, by op id ("f0.c0.send" -> 2).
std::map<std::string, int> p2p_peers(const Workload& w, int rank) {
  std::map<std::string, int> out;
  for (const Op& op : w.programs[static_cast<std::size_t>(rank)])
    if (op.kind == OpKind::Send || op.kind == OpKind::Recv) out[op.id] = op.peer;
  return out;
}

const std::string kTinyOrderModel =
    "kind: transformer_training\nmodel: {hidden: 256, layers: 3, heads: 4, kv_heads: 2, ffn: 512, vocab: 512}\n";

}  // namespace

TEST_CASE("parallel.order tp-cp-pp-dp numbers one replica as consecutive ranks", "[transformer][order]") {
  // tp 2, pp 3, dp 2 (cp 1): rank = tp_i + 2 (pp_i + 3 dp_i).
  //   dp 0: (pp 0) 0 1, (pp 1) 2 3, (pp 2) 4 5      dp 1: (pp 0) 6 7, (pp 1) 8 9, (pp 2) 10 11
  // So replica 0 (dp_i = 0) is ranks 0..5; the DP group of (tp 1, pp 2) is 1 + 2 (2 + 3 dp_i) for
  // dp_i = 0, 1: {5, 11}; the TP group of (pp p, dp d) is {2 (p + 3d), 2 (p + 3d) + 1}; a stage's
  // next stage (pp_i + 1) is rank + 2 and its previous one rank - 2.
  const TransformerSpec s = spec_from(kTinyOrderModel +
                                      "parallel: {tp: 2, pp: 3, dp: 2, order: tp-cp-pp-dp}\n"
                                      "batch: {sequence: 128, global: 4}\n");
  REQUIRE(s.layout.order == RankOrder::TpCpPpDp);
  CHECK(to_string(s.layout.order) == "tp-cp-pp-dp");
  const Workload w = generate_transformer(s, racksim::test::gpu("mi300x"));
  REQUIRE(w.ranks == 12);

  // Replica 0: ranks 0..5 are every (tp, pp) of dp 0.
  for (int r = 0; r < 6; ++r) {
    const TestCoords c = coords_by_formula(s.layout, r);
    CHECK(c.dp == 0);
  }
  for (int r = 6; r < 12; ++r) CHECK(coords_by_formula(s.layout, r).dp == 1);

  const Group* dp = group_named(w, "dp.pp2.tp1");
  REQUIRE(dp != nullptr);
  CHECK(dp->ranks == std::vector<int>{5, 11});
  CHECK(dp->dim == ParallelDim::DP);
  const Group* dp0 = group_named(w, "dp.pp0.tp0");
  REQUIRE(dp0 != nullptr);
  CHECK(dp0->ranks == std::vector<int>{0, 6});

  for (int p = 0; p < 3; ++p)
    for (int d = 0; d < 2; ++d) {
      const Group* tp = group_named(w, fmt::format("tp.pp{}.dp{}.cp0", p, d));
      REQUIRE(tp != nullptr);
      const int base = 2 * (p + 3 * d);
      CHECK(tp->ranks == std::vector<int>{base, base + 1});
    }

  // Pipeline peers: forward sends and backward receives go to the next stage (rank + 2), forward
  // receives and backward sends to the previous one (rank - 2).
  const std::map<int, std::map<std::string, int>> want = {
      {0, {{"f0.c0.send", 2}, {"b0.c0.recv", 2}}},
      {2, {{"f0.c0.recv", 0}, {"f0.c0.send", 4}, {"b0.c0.recv", 4}, {"b0.c0.send", 0}}},
      {5, {{"f0.c0.recv", 3}, {"b0.c0.send", 3}}},
      {7, {{"f0.c0.send", 9}, {"b0.c0.recv", 9}}},
      {9, {{"f0.c0.recv", 7}, {"f0.c0.send", 11}, {"b0.c0.recv", 11}, {"b0.c0.send", 7}}},
  };
  for (const auto& [rank, peers] : want) {
    INFO("rank " << rank);
    const auto got = p2p_peers(w, rank);
    for (const auto& [id, peer] : peers) {
      INFO(id);
      REQUIRE(got.count(id) == 1);
      CHECK(got.at(id) == peer);
    }
  }
  // Every send and receive of every rank is with the same (tp, dp) one stage away.
  for (int r = 0; r < w.ranks; ++r)
    for (const auto& [id, peer] : p2p_peers(w, r)) {
      INFO("rank " << r << " op " << id);
      const TestCoords a = coords_by_formula(s.layout, r), b = coords_by_formula(s.layout, peer);
      CHECK(a.tp == b.tp);
      CHECK(a.dp == b.dp);
      const bool towards_next = (id[0] == 'f') == (id.find(".send") != std::string::npos);
      CHECK(b.pp == a.pp + (towards_next ? 1 : -1));
    }
}

TEST_CASE("the default rank order is tp-cp-dp-pp, unchanged", "[transformer][order]") {
  // tp 2, pp 3, dp 2: rank = tp_i + 2 (dp_i + 2 pp_i). The TP group of (pp p, dp d) is
  // {2 (d + 2p), 2 (d + 2p) + 1}, the DP group of (pp p, tp t) {t + 4p, t + 2 + 4p}, and the next
  // stage of a rank is rank + 4.
  const TransformerSpec s = spec_from(kTinyOrderModel + "parallel: {tp: 2, pp: 3, dp: 2}\nbatch: {sequence: 128, global: 4}\n");
  CHECK(s.layout.order == RankOrder::TpCpDpPp);
  CHECK(to_string(s.layout.order) == "tp-cp-dp-pp");
  const Workload w = generate_transformer(s, racksim::test::gpu("mi300x"));
  REQUIRE(w.ranks == 12);
  for (int p = 0; p < 3; ++p) {
    for (int d = 0; d < 2; ++d) {
      const Group* tp = group_named(w, fmt::format("tp.pp{}.dp{}.cp0", p, d));
      REQUIRE(tp != nullptr);
      CHECK(tp->ranks == std::vector<int>{2 * (d + 2 * p), 2 * (d + 2 * p) + 1});
    }
    for (int t = 0; t < 2; ++t) {
      const Group* dp = group_named(w, fmt::format("dp.pp{}.tp{}", p, t));
      REQUIRE(dp != nullptr);
      CHECK(dp->ranks == std::vector<int>{t + 4 * p, t + 2 + 4 * p});
    }
  }
  CHECK(w.groups.size() == 1 + 6 + 6);  // world, 6 TP, 6 DP
  CHECK(p2p_peers(w, 1) == std::map<std::string, int>{{"f0.c0.send", 5}, {"f1.c0.send", 5}, {"b0.c0.recv", 5}, {"b1.c0.recv", 5}});
  CHECK(p2p_peers(w, 6).at("f0.c0.recv") == 2);
  CHECK(p2p_peers(w, 6).at("f0.c0.send") == 10);
}

TEST_CASE("every parallel group holds the ranks its coordinates say, under both orders", "[transformer][order]") {
  // A mixture-of-experts model with every dimension: tp 2, cp 2, pp 2, dp 4, ep 2 (32 ranks).
  // Each group's members, mapped back to coordinates by the formula, must agree on every
  // coordinate but the group's own: TP over tp; CP over cp; DP over dp x cp; EP over ep
  // consecutive dp starting at a multiple of ep; EDP over the dp of one residue mod ep, x cp.
  for (const std::string order : {"tp-cp-dp-pp", "tp-cp-pp-dp"}) {
    INFO(order);
    const TransformerSpec s = spec_from(
        "kind: transformer_training\nmodel: {hidden: 256, layers: 2, heads: 4, ffn: 512, vocab: 512, experts: 4, top_k: 2}\n"
        "parallel: {tp: 2, cp: 2, pp: 2, dp: 4, ep: 2, sequence_parallel: true, order: " + order +
        "}\nbatch: {sequence: 128, global: 8}\n");
    const Workload w = generate_transformer(s, racksim::test::gpu("mi300x"));  // validate_workload passes
    const ParallelLayout& l = s.layout;
    REQUIRE(w.ranks == 32);
    std::map<std::string, std::vector<int>> per_rank_count;  // prefix -> groups per rank
    for (const std::string prefix : {"tp.", "cp.", "dp.", "ep.", "edp."}) per_rank_count[prefix].assign(32, 0);
    for (const Group& g : w.groups) {
      if (g.name == "world") continue;
      INFO(g.name);
      const std::string prefix = g.name.substr(0, g.name.find('.') + 1);
      REQUIRE(per_rank_count.count(prefix) == 1);
      std::set<std::int64_t> tps, cps, dps, pps;
      for (int r : g.ranks) {
        const TestCoords c = coords_by_formula(l, r);
        tps.insert(c.tp);
        cps.insert(c.cp);
        dps.insert(c.dp);
        pps.insert(c.pp);
        ++per_rank_count[prefix][static_cast<std::size_t>(r)];
      }
      CHECK(pps.size() == 1);
      const TestCoords first = coords_by_formula(l, g.ranks.front());
      if (prefix == "tp.") {
        CHECK((tps.size() == 2 && cps.size() == 1 && dps.size() == 1));
        CHECK(g.name == fmt::format("tp.pp{}.dp{}.cp{}", first.pp, first.dp, first.cp));
      } else if (prefix == "cp.") {
        CHECK((tps.size() == 1 && cps.size() == 2 && dps.size() == 1));
        CHECK(g.name == fmt::format("cp.pp{}.dp{}.tp{}", first.pp, first.dp, first.tp));
      } else if (prefix == "dp.") {
        CHECK((tps.size() == 1 && cps.size() == 2 && dps.size() == 4 && g.ranks.size() == 8));
        CHECK(g.name == fmt::format("dp.pp{}.tp{}", first.pp, first.tp));
      } else if (prefix == "ep.") {
        CHECK((tps.size() == 1 && cps.size() == 1 && g.ranks.size() == 2));
        CHECK(dps == std::set<std::int64_t>{first.dp, first.dp + 1});
        CHECK(first.dp % 2 == 0);
        CHECK(g.name == fmt::format("ep.pp{}.dp{}.cp{}.tp{}", first.pp, first.dp / 2, first.cp, first.tp));
      } else {
        CHECK((tps.size() == 1 && cps.size() == 2 && g.ranks.size() == 4));
        CHECK(dps == std::set<std::int64_t>{first.dp, first.dp + 2});
        CHECK(g.name == fmt::format("edp.pp{}.e{}.tp{}", first.pp, first.dp, first.tp));
      }
    }
    for (const auto& [prefix, counts] : per_rank_count) {
      INFO(prefix);
      CHECK(counts == std::vector<int>(32, 1));  // every rank is in exactly one group of each kind
    }
  }
}

TEST_CASE("a partial generation builds ranks below M exactly as the full one", "[transformer][materialize]") {
  struct Case {
    std::string yaml;
    int m;
  };
  const std::vector<Case> cases = {
      // One replica of tp 2 x pp 3 under tp-cp-pp-dp: ranks 0..5.
      {kTinyOrderModel + "parallel: {tp: 2, pp: 3, dp: 2, order: tp-cp-pp-dp, zero: 1}\nbatch: {sequence: 128, global: 4}\n", 6},
      // One replica of tp 2 x cp 2 x pp 2 of a MoE model (EP and EDP groups reach other replicas).
      {"kind: transformer_training\nmodel: {hidden: 256, layers: 2, heads: 4, ffn: 512, vocab: 512, experts: 4, top_k: 2}\n"
       "parallel: {tp: 2, cp: 2, pp: 2, dp: 4, ep: 2, sequence_parallel: true, order: tp-cp-pp-dp, zero: 3}\n"
       "batch: {sequence: 128, global: 8}\n",
       8},
      // Not a whole replica, default order; and the degenerate ends.
      {kTinyOrderModel + "parallel: {tp: 2, pp: 3, dp: 2}\nbatch: {sequence: 128, global: 4}\n", 5},
      {kTinyOrderModel + "parallel: {tp: 2, pp: 3, dp: 2}\nbatch: {sequence: 128, global: 4}\n", 0},
      {kTinyOrderModel + "parallel: {tp: 2, pp: 3, dp: 2}\nbatch: {sequence: 128, global: 4}\n", 12},
  };
  const auto& gpu = racksim::test::gpu("mi300x");
  for (const Case& c : cases) {
    INFO(c.yaml << "M = " << c.m);
    const TransformerSpec s = spec_from(c.yaml);
    const Workload full = generate_transformer(s, gpu);
    const Workload part = generate_transformer(s, gpu, c.m);
    REQUIRE(part.ranks == full.ranks);
    REQUIRE(part.programs.size() == full.programs.size());
    for (std::size_t r = 0; r < full.programs.size(); ++r) {
      INFO("rank " << r);
      const auto& a = full.programs[r];
      const auto& b = part.programs[r];
      if (static_cast<int>(r) >= c.m) {
        CHECK(b.empty());
        continue;
      }
      REQUIRE(a.size() == b.size());
      for (std::size_t k = 0; k < a.size(); ++k) {
        const Op& x = a[k];
        const Op& y = b[k];
        INFO("op " << x.id);
        CHECK(x.id == y.id);
        CHECK(x.kind == y.kind);
        CHECK(x.stream == y.stream);
        CHECK(x.deps == y.deps);
        CHECK(x.bytes == y.bytes);
        CHECK(x.flops.value() == y.flops.value());
        CHECK(x.hbm_bytes.value() == y.hbm_bytes.value());
        CHECK(x.peer == y.peer);
        CHECK(x.tag == y.tag);
        CHECK(x.sequence == y.sequence);
        CHECK(x.dim == y.dim);
        CHECK((x.group < 0) == (y.group < 0));
        if (x.group >= 0 && y.group >= 0) {
          const Group& gx = full.groups[static_cast<std::size_t>(x.group)];
          const Group& gy = part.groups[static_cast<std::size_t>(y.group)];
          CHECK(gx.name == gy.name);
          CHECK(gx.ranks == gy.ranks);
        }
      }
    }
    // The groups: "world", and exactly the full generation's groups with a member below M.
    std::set<std::string> want, got;
    for (const Group& g : full.groups)
      if (g.name == "world" || g.ranks.front() < c.m) want.insert(g.name);
    for (const Group& g : part.groups) {
      INFO(g.name);
      CHECK(got.insert(g.name).second);
      CHECK((g.name == "world" || g.ranks.front() < c.m));
      const Group* f = group_named(full, g.name);
      REQUIRE(f != nullptr);
      CHECK(f->ranks == g.ranks);
      CHECK(g.position.size() == static_cast<std::size_t>(part.ranks));
    }
    CHECK(got == want);
    CHECK(part.groups.front().name == "world");
    // The training totals are the whole step's.
    REQUIRE(part.training);
    CHECK(part.training->model_flops_per_step == full.training->model_flops_per_step);
    CHECK(part.training->tokens_per_step == full.training->tokens_per_step);
    REQUIRE(part.training->last_backward_op.size() == full.training->last_backward_op.size());
    for (std::size_t r = 0; r < full.programs.size(); ++r)
      CHECK(part.training->last_backward_op[r] == (static_cast<int>(r) < c.m ? full.training->last_backward_op[r] : -1));
  }
  const TransformerSpec s = spec_from(kTinyOrderModel + "parallel: {tp: 2, pp: 3, dp: 2}\nbatch: {sequence: 128, global: 4}\n");
  CHECK_THROWS_AS((void)generate_transformer(s, gpu, 13), Error);  // more ranks than the world
}

TEST_CASE("one replica of a 131,112-rank Llama 3 405B step is built alone", "[transformer][materialize]") {
  // tp 8 x pp 9 = 72 ranks per replica (one Helios rack under tp-cp-pp-dp), dp 1821.
  const TransformerSpec s = spec_from(
      "kind: transformer_training\nmodel: {preset: llama3-405b}\n"
      "parallel: {tp: 8, pp: 9, dp: 1821, sequence_parallel: true, zero: 1, order: tp-cp-pp-dp}\n"
      "batch: {sequence: 8192, global: 16389}\n");  // 9 micro batches per replica
  const Workload w = generate_transformer(s, racksim::test::gpu("mi300x"), 72);
  REQUIRE(w.ranks == 131'112);
  REQUIRE(w.programs.size() == 131'112u);
  for (int r = 0; r < 72; ++r) CHECK(!w.programs[static_cast<std::size_t>(r)].empty());
  std::size_t built = 0;
  for (const auto& p : w.programs) built += p.empty() ? 0 : 1;
  CHECK(built == 72u);
  // world + 9 TP groups (one per stage) + 72 DP groups (one per (tp, pp), each 1821 ranks, one per rack).
  CHECK(w.groups.size() == 1u + 9u + 72u);
  const Group* dp = group_named(w, "dp.pp2.tp5");
  REQUIRE(dp != nullptr);
  REQUIRE(dp->ranks.size() == 1821u);
  for (std::size_t d = 0; d < dp->ranks.size(); ++d) CHECK(dp->ranks[d] == 5 + 8 * 2 + 72 * static_cast<int>(d));
}

TEST_CASE("an unknown parallel.order is rejected naming the key and the valid orders", "[transformer][errors][order]") {
  const InputError e = input_error_of([] {
    (void)spec_from(kTinyOrderModel + "parallel: {tp: 2, pp: 3, dp: 2, order: tp-pp-dp}\nbatch: {sequence: 128, global: 4}\n");
  });
  const std::string what = e.what();
  CHECK_THAT(what, Catch::Contains("workload.yaml:3:"));
  CHECK_THAT(what, Catch::Contains("key 'parallel.order'"));  // the test's document is the workload map
  CHECK_THAT(what, Catch::Contains("unknown value 'tp-pp-dp'; expected one of: tp-cp-dp-pp, tp-cp-pp-dp"));
}

TEST_CASE("workload.train: steps or tokens, exactly one", "[transformer][train]") {
  const std::string base = "kind: transformer_training\nmodel: {preset: llama3-8b}\nparallel: {dp: 1}\n"
                           "batch: {sequence: 8192, global: 1}\n";
  CHECK_FALSE(spec_from(base).train.has_value());
  const TransformerSpec a = spec_from(base + "train: {steps: 1000}\n");
  REQUIRE(a.train.has_value());
  CHECK(a.train->steps == 1000);
  CHECK_FALSE(a.train->tokens.has_value());
  const TransformerSpec b = spec_from(base + "train: {tokens: 15e12}\n");
  REQUIRE(b.train.has_value());
  CHECK(b.train->tokens == 15e12);
  CHECK_THAT(std::string(input_error_of([&] { (void)spec_from(base + "train: {steps: 10, tokens: 1e9}\n"); }).what()),
             Catch::Contains("exactly one of 'steps' and 'tokens'"));
  CHECK_THAT(std::string(input_error_of([&] { (void)spec_from(base + "train: {}\n"); }).what()),
             Catch::Contains("exactly one of 'steps' and 'tokens'"));
  CHECK(input_error_of([&] { (void)spec_from(base + "train: {steps: 0}\n"); }).where().key == "train.steps");
  CHECK(input_error_of([&] { (void)spec_from(base + "train: {tokens: 1e30}\n"); }).where().key == "train.tokens");
  CHECK(input_error_of([&] { (void)spec_from(base + "train: {epochs: 3}\n"); }).where().key == "train.epochs");
}

TEST_CASE("shared experts: Qwen1.5-MoE-A2.7B's 14.3 B parameters, 2.7 B of them active", "[transformer][moe]") {
  // Qwen1.5-MoE-A2.7B (Qwen blog and model card: 14.3 B parameters, 2.7 B activated per token;
  // config: h = 2048, 24 layers, 16 heads (MHA), 60 experts of 1408, top 4, a shared FFN of 5632 =
  // 4 x 1408, SwiGLU, V = 151936, untied). By hand, per layer: attention 4 h^2 = 16.78 M; routed
  // experts 60 x 3 x 2048 x 1408 = 519.0 M; shared 4 x 3 x 2048 x 1408 = 34.6 M; router 2048 x
  // 60 = 0.12 M; norms 4096: 570.5 M; x 24 = 13.69 B, + embeddings 2 x 151936 x 2048 = 0.62 B:
  // 14.31 B. Active per token: attention 16.78 M + 4 routed 34.6 M + shared 34.6 M + router
  // 0.12 M = 86.1 M per layer, x 24 = 2.07 B, + 0.62 B embeddings = 2.69 B. (Its QKV biases and
  // shared-expert gate, under 0.01%, are not modelled.)
  const TransformerSpec q = spec_from(
      "kind: transformer_training\nmodel: {hidden: 2048, layers: 24, heads: 16, ffn: 1408, vocab: 151936, experts: 60, "
      "top_k: 4, shared_experts: 4}\nparallel: {dp: 1}\nbatch: {sequence: 4096, global: 1}\n");
  const ParameterCount p = count_parameters(q.model);
  const double h = 2048, F = 1408;
  CHECK(p.per_layer_dense == near(4 * h * h + 2 * h + h * 60 + 4 * 3 * h * F));
  CHECK(p.total == Approx(14.3e9).epsilon(0.005));
  const double active = 24.0 * (4 * h * h + 2 * h + h * 60 + (4 + 4) * 3 * h * F) + 2.0 * p.embedding + h;
  CHECK(active == Approx(2.7e9).epsilon(0.01));
  // The model FLOPs count the active parameters: per token and layer forward, 2 x the active
  // weights (attention core aside) = 2 (4 h^2 + 60 h + 8 x 3 h F).
  const StepFlops f = training_flops(q.model, q.batch, Recompute::None);
  CHECK(f.forward_per_token_layer - 4.0 * 4096 * h == near(2.0 * (4 * h * h + 60 * h + 8 * 3 * h * F)));
  // Shared experts need a mixture of experts, and TP must divide their FFN.
  CHECK_THAT(std::string(input_error_of([] {
               (void)spec_from("kind: transformer_training\nmodel: {preset: llama3-8b, shared_experts: 1}\n"
                               "parallel: {dp: 1}\nbatch: {sequence: 128, global: 1}\n");
             }).what()),
             Catch::Contains("a mixture-of-experts model ('experts', 'top_k') for shared_experts"));
  CHECK_THAT(std::string(input_error_of([] {
               (void)spec_from("kind: transformer_training\nmodel: {hidden: 256, layers: 2, heads: 8, ffn: 100, vocab: 100, "
                               "experts: 4, top_k: 1, shared_experts: 1}\nparallel: {tp: 8, dp: 1}\n"
                               "batch: {sequence: 128, global: 1}\n");
             }).what()),
             Catch::Contains("tp (8) dividing the shared experts' FFN size (1 x 100)"));
}

TEST_CASE("sliding window: windowed layers run banded attention, every global_every-th layer full", "[transformer][window]") {
  // 4 layers, window 128 on a 512-token sequence, global_every 2: layers 0 and 2 windowed, 1 and
  // 3 full (1-based 2 and 4). Causal useful elements per (sequence, head): full 512^2/2 = 131,072,
  // windowed 512 x 128 - 128^2/2 = 57,344. Attention FLOPs forward per layer 4 a d x elements per
  // sequence; backward 2.5 x that.
  const std::string yaml =
      "kind: transformer_training\nmodel: {hidden: 512, layers: 4, heads: 8, kv_heads: 2, ffn: 1024, vocab: 1000, "
      "sliding_window: 128, global_every: 2}\nparallel: {tp: 2, dp: 1}\nbatch: {sequence: 512, global: 2}\n";
  const TransformerSpec s = spec_from(yaml);
  CHECK(s.model.window_of(0) == 128);
  CHECK(s.model.window_of(1) == 0);
  CHECK(s.model.window_of(2) == 128);
  CHECK(s.model.window_of(3) == 0);
  const Workload w = generate_transformer(s, racksim::test::gpu("mi300x"));
  const double ad = 512, seqs = 2;
  const double per_seq = 2.0 * 131072.0 + 2.0 * 57344.0;  // two full layers, two windowed
  CHECK(sum_flops(w).attention == Approx(seqs * 4.0 * ad * per_seq * (1.0 + 2.5)).epsilon(1e-12));
  // The generated kernels carry their window.
  int windowed = 0;
  for (const auto& prog : w.programs)
    for (const auto& op : prog)
      if (op.attention && op.attention->window == 128) ++windowed;
  CHECK(windowed == 2 /* ranks */ * 2 /* layers */ * 2 /* micro batches */ * 2 /* forward, backward */);
  // Model FLOPs count min(window, s) keys per query in a windowed layer where a full layer counts
  // s: the mean over the 4 layers is (2 x 512 + 2 x 128) / 4 = 320 keys.
  const StepFlops f = training_flops(s.model, s.batch, Recompute::None);
  const double h = 512, gd = 2 * 64;
  CHECK(f.forward_per_token_layer == near(2 * h * (ad + 2 * gd) + 2 * ad * h + 4 * 320.0 * ad + 2 * 3 * h * 1024));
  // A window needs cp 1; global_every needs a window.
  CHECK_THAT(std::string(input_error_of([] {
               (void)spec_from("kind: transformer_training\nmodel: {preset: llama3-8b, sliding_window: 4096}\n"
                               "parallel: {cp: 2, dp: 1}\nbatch: {sequence: 8192, global: 1}\n");
             }).what()),
             Catch::Contains("cp 1 for a model with a sliding window"));
  CHECK_THAT(std::string(input_error_of([] {
               (void)spec_from("kind: transformer_training\nmodel: {preset: llama3-8b, global_every: 2}\n"
                               "parallel: {dp: 1}\nbatch: {sequence: 8192, global: 1}\n");
             }).what()),
             Catch::Contains("a 'sliding_window' for global_every"));
}

TEST_CASE("ZeRO 1/2 all-gather every updated bucket, after the optimizer or in the next forward pass",
          "[transformer][zero][overlap]") {
  // 10 layers on pp 4 (2, 3, 3, 2), dp 2, ZeRO 1, as the test above: a layer holds 655,872
  // parameters, stage 0's embedding 256,000, stage 3's output layer 256,256. Each rank updated its
  // half of every bucket, so every bucket is all-gathered over the data-parallel group, in bf16:
  // 2 x its parameters per bucket, 2 psi per stage: 3,135,488, 3,935,232, 3,935,232, 3,136,000.
  const std::string base =
      "kind: transformer_training\nmodel: {hidden: 256, layers: 10, heads: 4, ffn: 512, vocab: 1000}\n"
      "parallel: {pp: 4, dp: 2, zero: 1, order: tp-cp-pp-dp}\nbatch: {sequence: 128, global: 8}\n";
  const std::vector<double> psi = {1'567'744.0, 1'967'616.0, 1'967'616.0, 1'568'000.0};
  for (const bool overlap : {false, true}) {
    INFO("overlap_param_gather " << overlap);
    const TransformerSpec s =
        spec_from(base + (overlap ? "options: {overlap_param_gather: true}\n" : std::string()));
    CHECK(s.overlap_param_gather == overlap);
    const Workload w = generate_transformer(s, racksim::test::gpu("mi300x"));
    for (int r = 0; r < 4; ++r) {
      INFO("stage " << r);
      const auto& prog = w.programs[static_cast<std::size_t>(r)];
      int optimizer = -1, first_gemm = -1;
      for (std::size_t i = 0; i < prog.size(); ++i) {
        if (prog[i].id == "optimizer_step") optimizer = static_cast<int>(i);
        if (first_gemm < 0 && prog[i].kind == OpKind::Compute) first_gemm = static_cast<int>(i);
      }
      REQUIRE(optimizer >= 0);
      double gathered = 0.0;
      int gathers = 0, joins = 0;
      for (std::size_t i = 0; i < prog.size(); ++i) {
        const Op& op = prog[i];
        if (op.kind == OpKind::Delay && op.id.size() > 8 && op.id.substr(op.id.size() - 8) == ".w_ready") ++joins;
        if (op.kind != OpKind::Collective || op.collective != CollectiveKind::AllGather || op.dim != ParallelDim::DP)
          continue;
        gathered += static_cast<double>(op.bytes);
        ++gathers;
        // After the optimizer without overlap; with it, in micro batch 0's forward pass ("f0.").
        if (!overlap) CHECK(static_cast<int>(i) > optimizer);
        else CHECK(op.id.rfind("f0.", 0) == 0);
      }
      CHECK(gathered == 2.0 * psi[static_cast<std::size_t>(r)]);
      // One per layer, plus the embedding's (stage 0) or the output layer's (stage 3).
      const int buckets = (r == 0 || r == 3 ? 2 : 3) + (r == 0 || r == 3 ? 1 : 0);
      CHECK(gathers == buckets);
      // With overlap each bucket's first user waits for its gather (a join on the compute
      // stream); the first gather is issued before any compute kernel of the step.
      CHECK(joins == (overlap ? buckets : 0));
      if (overlap) {
        int first_gather = -1;
        for (std::size_t i = 0; i < prog.size() && first_gather < 0; ++i)
          if (prog[i].kind == OpKind::Collective && prog[i].collective == CollectiveKind::AllGather) first_gather = static_cast<int>(i);
        CHECK(first_gather < first_gemm);
      }
    }
    // The closed-form op count (workload.hpp estimate_transformer_ops) still equals the generator's.
    std::size_t ops = 0;
    for (const auto& p : w.programs) ops += p.size();
    CHECK(estimate_transformer_ops(s, -1) == static_cast<double>(ops));
  }
}

TEST_CASE("overlap_param_gather needs ZeRO 1 or 2", "[transformer][zero][overlap][errors]") {
  for (const int zero : {0, 3}) {
    INFO("zero " << zero);
    const InputError e = input_error_of([&] {
      (void)spec_from(fmt::format("kind: transformer_training\nmodel: {{preset: llama3-8b}}\n"
                                  "parallel: {{dp: 2, zero: {}}}\nbatch: {{sequence: 128, global: 2}}\n"
                                  "options: {{overlap_param_gather: true}}\n",
                                  zero));
    });
    CHECK(e.where().key == "options.overlap_param_gather");
    CHECK_THAT(std::string(e.what()), Catch::Contains("workload.yaml:5:"));
    CHECK_THAT(std::string(e.what()), Catch::Contains(fmt::format("parallel.zero is {}", zero)));
  }
}

TEST_CASE("ZeRO 3 gathers FSDP's root unit: the embedding and the output layer", "[transformer][zero]") {
  // h = 256, V = 1000, dp 2, ZeRO 3. The root unit holds the embedding (V h = 256,000 parameters)
  // and the final norm and output layer (V h + h = 256,256): 512,256 parameters, gathered in bf16,
  // 1,024,512 bytes, before the first forward op of each micro batch (the embedding look-up waits
  // for it) and freed after the micro batch's backward. With 2 pipeline stages each stage gathers
  // its own part once per step: 512,000 bytes on stage 0, 512,512 on stage 1.
  const std::string model = "kind: transformer_training\nmodel: {hidden: 256, layers: 4, heads: 4, ffn: 512, vocab: 1000}\n";
  struct Case {
    std::string parallel;
    std::vector<double> bytes;  // per stage: each root gather's bytes
    int gathers;                // per rank
  };
  const std::vector<Case> cases = {{"{pp: 1, dp: 2, zero: 3}", {1'024'512.0}, 4},
                                   {"{pp: 2, dp: 2, zero: 3, order: tp-cp-pp-dp}", {512'000.0, 512'512.0}, 1}};
  for (const Case& c : cases) {
    INFO(c.parallel);
    const TransformerSpec s = spec_from(model + "parallel: " + c.parallel + "\nbatch: {sequence: 128, global: 8}\n");
    const Workload w = generate_transformer(s, racksim::test::gpu("mi300x"));
    for (std::size_t stage = 0; stage < c.bytes.size(); ++stage) {
      INFO("stage " << stage);
      const auto& prog = w.programs[stage];  // tp-cp-pp-dp, or pp 1: rank = stage
      int gathers = 0, allocs = 0, frees = 0;
      for (const Op& op : prog) {
        if (op.id.find(".root.w_ag") != std::string::npos) {
          ++gathers;
          CHECK(op.kind == OpKind::Collective);
          CHECK(op.collective == CollectiveKind::AllGather);
          CHECK(static_cast<double>(op.bytes) == c.bytes[stage]);
        }
        if (op.kind == OpKind::Alloc && op.id.find(".root.w") != std::string::npos) {
          ++allocs;
          CHECK(static_cast<double>(op.bytes) == c.bytes[stage]);
        }
        if (op.kind == OpKind::Free && op.id.find(".root.w_free") != std::string::npos) ++frees;
      }
      CHECK(gathers == c.gathers);
      CHECK(allocs == c.gathers);
      CHECK(frees == c.gathers);
    }
    std::size_t ops = 0;
    for (const auto& p : w.programs) ops += p.size();
    CHECK(estimate_transformer_ops(s, -1) == static_cast<double>(ops));
  }
}
