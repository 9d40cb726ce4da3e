// racksim models: the analytical transformer — parameter counts, FLOPs per training step and
// memory per GPU of a dense or mixture-of-experts decoder under a parallel layout. Pure: no
// SimGrid, no YAML. The generator (sim/workload/training_generator.cpp) turns the same description into per-rank
// op graphs; tests check that the two agree and that both match the published formulas.
//
// Notation (docs/transformer.md derives every formula):
//   h hidden, L layers, a attention heads, g key/value heads (GQA; g = a is multi-head), d = h/a
//   head dim, F FFN size (per expert for MoE), V vocabulary, s sequence, b micro batch, B global
//   batch (sequences), t/p/dp/e/c tensor/pipeline/data/expert/context parallel degrees.
//
// Model FLOPs per step (Megatron-LM, Narayanan et al. 2021, eq. 3, generalised to GQA, gated FFN
// and MoE; the attention matrix is counted whole, causal or not, as that formula does):
//   forward per token per layer  f_l = 2h(h + 2gd) + 2h^2 + 4sh + f_ffn
//     dense f_ffn = 2 n_m h F  (n_m = 3 for a gated (SwiGLU) FFN, 2 for GELU);
//     MoE   f_ffn = 2hE (router) + k 2 n_m h F (k experts per token)
//   logits per token             f_v = 2hV
//   model FLOPs                  = 3 B s (L f_l + f_v)     (backward = 2 x forward)
//   hardware FLOPs, recompute    full: + B s L f_l;  selective: + B s L 4sh;  none: + 0;
//                                per_op: + B s L (2hgd + 2h^2 + 2hF)  (W_k, W_o, W_3 or W_2 again)
// For GPT-3 shapes (g = a, F = 4h, GELU) this is 72 B s L h^2 (1 + s/6h + V/12hL), and with full
// recompute 96 B s L h^2 (1 + s/6h + V/16hL) — Megatron's two published forms.
#pragma once

#include "models/gpu.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace racksim {

struct TransformerShape {
  std::string name;
  std::int64_t hidden = 0;
  std::int64_t layers = 0;
  std::int64_t heads = 0;
  std::int64_t kv_heads = 0;      // = heads for multi-head attention
  std::int64_t ffn = 0;           // FFN inner size (per expert for MoE)
  std::int64_t vocab = 0;
  bool gated_ffn = true;          // SwiGLU (3 matrices) or GELU (2)
  std::int64_t experts = 0;       // 0: dense
  std::int64_t top_k = 0;         // experts per token (MoE)
  std::int64_t head_size = 0;     // per-head dimension d; 0: hidden / heads (Qwen3, GPT-OSS and Gemma give their own)
  std::int64_t shared_experts = 0;  // MoE: FFNs of size ffn that every token also passes through (DeepSeek, Qwen-MoE)
  std::int64_t sliding_window = 0;  // keys each query sees in the windowed layers; 0 = none (full causal attention)
  std::int64_t global_every = 0;    // with a window: every global_every-th layer (1-based) attends to all; 0 = none does
  // The window of layer `layer` (0-based): 0 for full attention.
  [[nodiscard]] std::int64_t window_of(std::int64_t layer) const {
    if (sliding_window <= 0 || (global_every > 0 && (layer + 1) % global_every == 0)) return 0;
    return sliding_window;
  }
  [[nodiscard]] bool moe() const { return experts > 0; }
  [[nodiscard]] std::int64_t head_dim() const { return head_size > 0 ? head_size : hidden / heads; }
  // heads x d: the width of the queries and of the attention output (W_q is h x heads d, W_o
  // heads d x h); equal to hidden unless head_size says otherwise.
  [[nodiscard]] std::int64_t attention_width() const { return heads * head_dim(); }
};

// None keeps every tensor the backward pass needs. Selective is Megatron-LM's (Korthikanti et al.
// 2022): the attention core is recomputed. PerOp is torchtitan's per-op selective activation
// checkpointing (activation_checkpoint.selective_ac_option = "op"): inside each layer the outputs
// of every odd-numbered matmul, of scaled-dot-product attention and of the TP reduce-scatters are
// saved, everything else (norms, RoPE, the even-numbered matmuls: W_k, W_o, and W_3 or the GELU
// FFN's second matrix) is recomputed when the layer's backward starts. Full keeps only each
// layer's input and reruns its forward.
enum class Recompute { None, Selective, Full, PerOp };
[[nodiscard]] std::string to_string(Recompute r);

// How ranks are numbered over the parallel dimensions, innermost first (Megatron-LM's terms):
//   TpCpDpPp "tp-cp-dp-pp"  rank = tp_i + tp (cp_i + cp (dp_i + dp pp_i))   Megatron-LM's default
//   TpCpPpDp "tp-cp-pp-dp"  rank = tp_i + tp (cp_i + cp (pp_i + pp dp_i))   --use-tp-pp-dp-mapping:
//            one data-parallel replica (tp x cp x pp ranks) is a block of consecutive ranks
enum class RankOrder { TpCpDpPp, TpCpPpDp };
[[nodiscard]] std::string to_string(RankOrder o);

struct ParallelLayout {
  std::int64_t tp = 1, pp = 1, dp = 1, ep = 1, cp = 1;
  std::int64_t virtual_stages = 1;  // interleaved 1F1B: model chunks per pipeline rank
  // Layers of each virtual stage as the scenario gives them (parallel.stage_layers, or made from
  // first_stage_layers / last_stage_layers), pp x virtual_stages of them in the model's order:
  // virtual stage k is chunk k / pp of pipeline rank k mod pp. Empty: the generator's default
  // split (pipeline_stage_layers, sim/workload/training_generator.hpp).
  std::vector<std::int64_t> stage_layers;
  bool sequence_parallel = false;
  int zero_stage = 0;               // 0: replicated; 1: optimizer; 2: + gradients; 3: + weights (FSDP)
  RankOrder order = RankOrder::TpCpDpPp;
  [[nodiscard]] std::int64_t world() const { return tp * pp * dp * cp; }
};

struct TrainingBatch {
  std::int64_t seq = 0;           // tokens per sequence
  std::int64_t micro = 1;         // sequences per micro batch (per data-parallel rank)
  std::int64_t global = 0;        // sequences per step
  [[nodiscard]] std::int64_t microbatches(const ParallelLayout& l) const { return global / (micro * l.dp); }
};

// Parameters of the whole model: embeddings (V h, untied output layer another V h), per layer
// attention h(w + 2gd) + w h with w = a d the query width (w = h unless head_size is given), FFN
// n_m h F (x E for MoE, + router hE, + S n_m h F for S shared experts), two norms 2h; final norm h. Worked example (Qwen3-32B, h =
// 5120, a = 64, g = 8, d = 128 so w = 8192, F = 25600 SwiGLU, 64 layers): per layer 5120 x 10240
// + 8192 x 5120 + 3 x 5120 x 25600 + 2 x 5120 = 487.6 M, 31.2 B without the embeddings, the
// figure Qwen publishes (with d = h/a = 80 it would be 28.9 B).
struct ParameterCount {
  double total = 0.0;
  double per_layer_dense = 0.0;   // attention + norms (+ dense FFN)
  double per_layer_expert = 0.0;  // one expert's FFN (MoE)
  double embedding = 0.0;         // input embedding (V h); the output layer has as many
};
[[nodiscard]] ParameterCount count_parameters(const TransformerShape& m);

struct StepFlops {
  double forward_per_token_layer = 0.0;  // f_l
  double logits_per_token = 0.0;         // f_v
  double model = 0.0;                    // per step, all ranks
  double hardware = 0.0;                 // with recomputation
};
[[nodiscard]] StepFlops training_flops(const TransformerShape& m, const TrainingBatch& b, Recompute r);

// Bytes per GPU of weights, gradients and optimizer state (mixed-precision Adam as in the ZeRO
// paper, Rajbhandari et al. 2020: 2 bytes per parameter of weights, 2 of gradients, K = 12 of
// optimizer state — fp32 master copy, momentum, variance), for the parameters `psi` one GPU
// holds after tensor, pipeline and expert sharding, sharded further over `dp` ranks by stage:
//   stage 0: (2 + 2 + 12) psi;  1: (2 + 2) psi + 12 psi/dp;  2: 2 psi + 14 psi/dp;  3: 16 psi/dp.
struct StateBytes {
  double weights = 0.0, gradients = 0.0, optimizer = 0.0;
  [[nodiscard]] double total() const { return weights + gradients + optimizer; }
};
[[nodiscard]] StateBytes model_state_bytes(double psi, std::int64_t dp, int zero_stage);

}  // namespace racksim

namespace racksim {

// Bytes of activations one GPU keeps per layer per micro batch for the backward pass, for
// `tokens` = micro batch x sequence / cp tokens on the rank, 2-byte activations, FlashAttention
// (no s x s matrices are stored) and no dropout. With Tt = tokens/tp under sequence parallelism
// (else tokens), t = tp, n_u = 2 (gated: gate and up) or 1:
//   attention: 2Tt h (norm input) + 2Tt h (QKV input) + 2T(a + 2g)d/t (Q, K, V) + 2T a d/t
//              (output; a d = h unless head_size is given) + 4T a/t (fp32 log-sum-exp)
//   dense MLP: 2Tt h (norm input) + 2Tt h (MLP input) + 2T n_u F/t (up output) + 2T F/t (down input)
//   MoE MLP (Tm = Tt tokens enter the experts, each goes to k of them):
//              2Tt h + 2Tt h + 4 Tm E (fp32 router probabilities) + 2 Tm k h (dispatched tokens)
//              + 2 Tm k n_u F + 2 Tm k F, and for S shared experts (TP-split like a dense FFN of
//              size S F): + 2T n_u S F/t + 2T S F/t
//   selective recompute drops the attention output and log-sum-exp (recomputed from Q, K, V);
//   full recompute keeps only the layer input, 2Tt h.
//   per-op recompute (torchtitan's op-level SAC, dense layers) keeps what its policy saves, the
//   layer's input and the outputs of matmuls 1, 3, 5, 7 (W_q, W_v, W_1, W_2; GELU: W_q, W_v, W_1),
//   of attention and (tp > 1, sequence parallel) of the two reduce-scatters:
//              2Tt h (input) + 2T a d/t (W_q out) + 2T g d/t (W_v out) + 2T a d/t (attention out)
//              + 4T a/t (log-sum-exp) + 2T F/t (W_1 out) + [gated] 2Th (W_2 out: row-parallel,
//              full h, before its reduce-scatter) + [tp > 1, SP] 2 x 2Tt h (reduce-scatter outs);
//   for MoE layers the attention part so, the MoE MLP as with no recompute.
// For GPT-3 shapes (g = a, GELU, F = 4h) with t = 1 this is 12 sbh + 4 sba (attention) + 20 sbh
// (MLP) = 32 sbh + 4 sba: Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large
// Transformer Models", eq. 1) count 34 sbh + 5 a s^2 b, of which 2 sbh are dropout masks and
// 5 a s^2 b the attention matrix, neither of which exists here; the 4 sba is our log-sum-exp.
[[nodiscard]] double layer_activation_bytes(const TransformerShape& m, const ParallelLayout& l, std::int64_t tokens,
                                            Recompute r);

}  // namespace racksim
