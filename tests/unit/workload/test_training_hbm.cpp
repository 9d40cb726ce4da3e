// The generator's HBM peak for torchtitan's Llama 3.1 8B FSDP run (issue 17, cause 6), derived
// by hand category by category, and recompute: per_op (torchtitan's op-level selective AC): its
// saved activations and its recomputed GEMMs against the analytical model.
#include "catalog_support.hpp"
#include "models/transformer.hpp"
#include "sim/workload/training_generator.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <string>

using namespace racksim;
using racksim::test::near;

namespace {

TransformerSpec spec_from(const std::string& yaml, const std::string& gpu_id) {
  const ConfigDoc doc = ConfigDoc::load_string(yaml, "workload.yaml");
  MapReader wm(doc.root(), "workload");
  (void)wm.required("kind");
  TransformerSpec s = read_transformer_spec(wm, racksim::test::gpu(gpu_id), RACKSIM_SOURCE_DIR);
  wm.finish();
  return s;
}

// The largest sum of live allocations along a rank's program (every alloc and free runs on the
// compute stream, so program order is time order), and what each label holds at that moment.
struct Peak {
  double bytes = 0.0;
  std::map<std::string, double> by_label;
};
Peak program_peak(const std::vector<Op>& prog) {
  Peak p;
  std::map<std::string, double> live;
  double in_use = 0.0;
  for (const Op& op : prog) {
    if (op.kind == OpKind::Alloc) {
      in_use += static_cast<double>(op.bytes);
      live[op.label] += static_cast<double>(op.bytes);
    }
    if (op.kind == OpKind::Free) {
      in_use -= static_cast<double>(op.bytes);
      live[op.label] -= static_cast<double>(op.bytes);
    }
    if (in_use > p.bytes) {
      p.bytes = in_use;
      p.by_label = live;
    }
  }
  return p;
}

}  // namespace

TEST_CASE("torchtitan's Llama 3.1 8B on 8 H100s under FSDP and op-level SAC peaks as derived by hand",
          "[transformer][memory][hbm]") {
  // torchtitan_h100_T1_8B_8gpu_fsdp: FSDP2 (ZeRO 3) over 8 ranks, seq 8192, local batch 2, BF16,
  // selective AC "op". h = 4096, L = 32, a = 32, g = 8, d = 128, F = 14336 (SwiGLU), V = 128256.
  const TransformerSpec s = spec_from(
      "kind: transformer_training\nmodel: {preset: llama3-8b}\nparallel: {dp: 8, zero: 3}\n"
      "batch: {sequence: 8192, micro: 2, global: 16}\noptions: {recompute: per_op}\n",
      "h100");
  const Workload w = generate_transformer(s, racksim::test::gpu("h100"));
  const Peak p = program_peak(w.programs[0]);

  // Parameters. Per layer: W_q, W_o 4096^2 = 16,777,216 each; W_k, W_v 4096 x 1024 = 4,194,304
  // each; W_1, W_2, W_3 4096 x 14336 = 58,720,256 each; two norms 8192: 218,112,000. Embedding and
  // output 128256 x 4096 = 525,336,576 each, final norm 4096:
  //   psi = 32 x 218,112,000 + 2 x 525,336,576 + 4096 = 8,030,261,248.
  // Model state, ZeRO 3 over 8 ranks, 16 bytes a parameter (racksim: 2 weights + 2 gradients + 12
  // Adam; torchtitan: fp32 sharded parameter 4 + fp32 gradient 4 + two fp32 moments 8, the same
  // 16): 16 psi / 8 = 16,060,522,496.
  const double state = 16'060'522'496.0;
  // Activations per layer kept by op-level SAC, T = 2 x 8192 = 16,384 tokens, 2 bytes each:
  //   layer input 2Th 134,217,728 + W_q out 2T(4096) 134,217,728 + W_v out 2T(1024) 33,554,432
  //   + attention out 2Th 134,217,728 + fp32 log-sum-exp 4T(32) 2,097,152
  //   + W_1 out 2T(14336) 469,762,048 + W_2 out 2Th 134,217,728 = 1,042,284,544;
  // the peak comes at the end of the forward pass, all 32 layers held: 33,353,105,408.
  const double act_layer = 1'042'284'544.0;
  CHECK(layer_activation_bytes(s.model, s.layout, 16384, Recompute::PerOp) == near(act_layer));
  const double activations = 32.0 * act_layer;
  // Logits, T x V x (2 + 4) (bf16 logits + fp32 softmax) = 16,384 x 128,256 x 6 = 12,608,077,824.
  const double logits = 12'608'077'824.0;
  // Gathered weights: the last layer's are freed before the logits are allocated; FSDP's root
  // unit (embedding, final norm, output layer) stays gathered through the micro batch, in bf16:
  // 2 x (2 x 525,336,576 + 4096) = 2,101,354,496.
  const double root = 2'101'354'496.0;
  // Peak: 16,060,522,496 + 33,353,105,408 + 12,608,077,824 + 2,101,354,496 = 64,123,060,224
  // bytes (64.1 GB, under the H100's 80 GB; Megatron's selective count, 2,147,483,648 a layer,
  // gave 97.4 GB). Tolerance 1 kB: each alloc's bytes are truncated to an integer.
  CHECK(p.bytes == Approx(state + activations + logits + root).margin(1024.0));
  CHECK(p.by_label.at("activations") == Approx(activations).margin(1024.0));
  CHECK(p.by_label.at("logits") == Approx(logits).margin(1024.0));
  CHECK(p.by_label.at("gathered weights") == Approx(root).margin(1024.0));
  CHECK(p.by_label.at("weights") + p.by_label.at("gradients") + p.by_label.at("optimizer state") ==
        Approx(state).margin(1024.0));
}

TEST_CASE("per_op recompute keeps torchtitan's saved tensors and reruns the even-numbered matmuls",
          "[transformer][memory]") {
  // GPT-3 shapes (GELU: matmuls W_q, W_k, W_v, W_o, W_1, W_2), t = 1: kept 2sbh (input) + 2sbh
  // (W_q) + 2sbh (W_v, g = a) + 2sbh (attention out) + 4sba + 8sbh (W_1 out, F = 4h) = 16 sbh +
  // 4 sba, against 32 sbh + 4 sba with no recompute.
  TransformerShape m;
  m.name = "gpt3";
  m.hidden = 12288;
  m.layers = 96;
  m.heads = 96;
  m.kv_heads = 96;
  m.ffn = 4 * 12288;
  m.vocab = 50257;
  m.gated_ffn = false;
  ParallelLayout l;
  const double sq = 2048.0, h = 12288.0, a = 96.0;
  CHECK(layer_activation_bytes(m, l, 2048, Recompute::PerOp) == near(16.0 * sq * h + 4.0 * sq * a));
  // tp 8 with sequence parallelism: the input 2sbh/8, the matmul and attention outputs /8, and
  // the two saved reduce-scatter outputs 2 x 2sbh/8: (16 sbh + 4 sba) / 8 + 4sbh/8.
  l.tp = 8;
  l.sequence_parallel = true;
  CHECK(layer_activation_bytes(m, l, 2048, Recompute::PerOp) == near((20.0 * sq * h + 4.0 * sq * a) / 8.0));

  // The generated GEMMs add up to the analytical hardware FLOPs: model FLOPs less the attention
  // core, plus W_k, W_o and W_3 once more per token and layer (2hgd + 2h^2 + 2hF).
  const std::string model = "model: {hidden: 1024, layers: 8, heads: 16, kv_heads: 4, ffn: 2816, vocab: 32000}\n";
  for (const std::string& par : {std::string("parallel: {tp: 2, pp: 2, dp: 2, sequence_parallel: true, zero: 3}\n"),
                                 std::string("parallel: {tp: 1, pp: 1, dp: 4, zero: 3}\n")}) {
    INFO(par);
    const TransformerSpec s =
        spec_from("kind: transformer_training\n" + model + par +
                      "batch: {sequence: 1024, micro: 2, global: 16}\noptions: {recompute: per_op}\n",
                  "mi300x");
    const Workload w = generate_transformer(s, racksim::test::gpu("mi300x"));
    double gemm = 0.0;
    for (const auto& prog : w.programs)
      for (const Op& op : prog)
        if (op.gemm) gemm += op.flops.value();
    const StepFlops f = training_flops(s.model, s.batch, s.recompute);
    const double H = 1024.0, sqn = 1024.0, L = 8.0, tokens = 16.0 * sqn, g = 4.0, d = 64.0, F = 2816.0;
    const double recomputed = tokens * L * (2.0 * H * g * d + 2.0 * H * H + 2.0 * H * F);
    CHECK(f.hardware == Approx(f.model + recomputed).epsilon(1e-12));
    CHECK(gemm == Approx(f.hardware - 3.0 * tokens * L * 4.0 * sqn * H).epsilon(1e-12));
  }
}

TEST_CASE("each uneven pipeline stage peaks with its own layers' state and activations",
          "[transformer][memory][stages]") {
  // 10 layers on pp 4 split 2, 3, 3, 2 (training_generator.hpp's default), dp 2, ZeRO 1, 1F1B over
  // m = 8 / (1 x 2) = 4 micro batches of T = 128 tokens. h = 256, a = g = 4, d = 64, F = 512
  // SwiGLU, V = 1000. Parameters (test_training_generator.cpp derives them): stage 0 1,567,744,
  // stage 1 1,967,616, stage 3 1,568,000; ZeRO 1 state 2 + 2 + 12/2 = 10 bytes each.
  // Activations per layer and micro batch (layer_activation_bytes, no recompute, tp 1):
  //   attention 2Th + 2Th + 2T(a + 2g)d + 2Th + 4Ta = 65,536 x 2 + 196,608 + 65,536 + 2,048 = 395,264
  //   MLP 2Th + 2Th + 2T(2F) + 2TF = 131,072 + 262,144 + 131,072 = 524,288;  together 919,552.
  // 1F1B: stage s runs p - s - 1 warm-up forwards, so it holds at most min(p - s, m) micro batches:
  //   stage 0: 4 x 2 layers; 15,677,440 + 8 x 919,552 = 23,033,856
  //   stage 1: 3 x 3 layers; 19,676,160 + 9 x 919,552 = 27,952,128
  //   stage 3: 1 x 2 layers and the logits, T V (2 + 4) = 768,000; 15,680,000 + 1,839,104 + 768,000
  //            = 18,287,104.
  const TransformerSpec s = spec_from(
      "kind: transformer_training\nmodel: {hidden: 256, layers: 10, heads: 4, ffn: 512, vocab: 1000}\n"
      "parallel: {pp: 4, dp: 2, zero: 1, order: tp-cp-pp-dp}\nbatch: {sequence: 128, global: 8}\n",
      "mi300x");
  const double act_layer = 919'552.0;
  CHECK(layer_activation_bytes(s.model, s.layout, 128, Recompute::None) == near(act_layer));
  const Workload w = generate_transformer(s, racksim::test::gpu("mi300x"));
  CHECK(program_peak(w.programs[0]).bytes == 23'033'856.0);
  CHECK(program_peak(w.programs[1]).bytes == 27'952'128.0);
  CHECK(program_peak(w.programs[3]).bytes == 18'287'104.0);
  CHECK(program_peak(w.programs[1]).by_label.at("activations") == 9.0 * act_layer);
}
