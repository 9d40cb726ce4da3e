#include "models/transformer.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace racksim {

std::string to_string(Recompute r) {
  switch (r) {
    case Recompute::None: return "none";
    case Recompute::Selective: return "selective";
    case Recompute::Full: return "full";
    case Recompute::PerOp: return "per_op";
  }
  return "none";
}

std::string to_string(RankOrder o) {
  switch (o) {
    case RankOrder::TpCpDpPp: return "tp-cp-dp-pp";
    case RankOrder::TpCpPpDp: return "tp-cp-pp-dp";
  }
  return "tp-cp-dp-pp";
}

namespace {
double ffn_matrices(const TransformerShape& m) { return m.gated_ffn ? 3.0 : 2.0; }
}  // namespace

ParameterCount count_parameters(const TransformerShape& m) {
  const double h = static_cast<double>(m.hidden), g = static_cast<double>(m.kv_heads),
               d = static_cast<double>(m.head_dim()), F = static_cast<double>(m.ffn), V = static_cast<double>(m.vocab),
               L = static_cast<double>(m.layers), E = static_cast<double>(m.experts),
               w = static_cast<double>(m.attention_width());  // a d (= h unless head_size is given)
  ParameterCount c;
  const double attention = h * (w + 2.0 * g * d) + w * h;  // W_q, W_k, W_v, W_o (no biases)
  const double norms = 2.0 * h;                             // two RMSNorm/LayerNorm scales per layer
  const double ffn = ffn_matrices(m) * h * F;
  const double shared = static_cast<double>(m.shared_experts) * ffn;   // MoE shared experts (dense, every token)
  c.per_layer_dense = attention + norms + (m.moe() ? h * E + shared : ffn);  // MoE: the router instead of the FFN
  c.per_layer_expert = m.moe() ? ffn : 0.0;
  c.embedding = V * h;
  c.total = L * (c.per_layer_dense + E * c.per_layer_expert) + 2.0 * c.embedding + h;  // + final norm
  return c;
}

StepFlops training_flops(const TransformerShape& m, const TrainingBatch& b, Recompute r) {
  const double h = static_cast<double>(m.hidden), g = static_cast<double>(m.kv_heads),
               d = static_cast<double>(m.head_dim()), F = static_cast<double>(m.ffn), V = static_cast<double>(m.vocab),
               L = static_cast<double>(m.layers), s = static_cast<double>(b.seq), E = static_cast<double>(m.experts),
               k = static_cast<double>(m.top_k), w = static_cast<double>(m.attention_width());
  StepFlops f;
  const double S = static_cast<double>(m.shared_experts);
  const double ffn = m.moe() ? 2.0 * h * E + (k + S) * 2.0 * ffn_matrices(m) * h * F : 2.0 * ffn_matrices(m) * h * F;
  // Projections Q, K, V (h x (w + 2 g d)) and O (w x h); scores and context 2 x 2 s w per token
  // (the whole s x s, as Megatron-LM counts it). A sliding-window layer counts its window's keys,
  // min(window, s), instead of s: `keys` is the mean over the layers.
  double keys = s;
  if (m.sliding_window > 0) {
    double sum = 0.0;
    for (std::int64_t layer = 0; layer < m.layers; ++layer) {
      const std::int64_t window = m.window_of(layer);
      sum += window > 0 ? std::min(static_cast<double>(window), s) : s;
    }
    keys = sum / L;
  }
  f.forward_per_token_layer = 2.0 * h * (w + 2.0 * g * d) + 2.0 * w * h + 4.0 * keys * w + ffn;
  f.logits_per_token = 2.0 * h * V;
  const double tokens = static_cast<double>(b.global) * s;
  f.model = 3.0 * tokens * (L * f.forward_per_token_layer + f.logits_per_token);
  f.hardware = f.model;
  if (r == Recompute::Full) f.hardware += tokens * L * f.forward_per_token_layer;
  if (r == Recompute::Selective) f.hardware += tokens * L * 4.0 * keys * w;
  // per_op recomputes the even-numbered matmuls of each layer's forward: W_k, W_o and the FFN's
  // second (W_3 gated, W_2 GELU; an MoE layer's experts are not recomputed).
  if (r == Recompute::PerOp) f.hardware += tokens * L * (2.0 * h * g * d + 2.0 * w * h + (m.moe() ? 0.0 : 2.0 * h * F));
  return f;
}

StateBytes model_state_bytes(double psi, std::int64_t dp, int zero_stage) {
  if (dp < 1 || zero_stage < 0 || zero_stage > 3)
    throw Error("model_state_bytes: dp must be at least 1 and the ZeRO stage 0 to 3");
  const double n = static_cast<double>(dp);
  StateBytes s;
  s.weights = 2.0 * psi / (zero_stage >= 3 ? n : 1.0);
  s.gradients = 2.0 * psi / (zero_stage >= 2 ? n : 1.0);
  s.optimizer = 12.0 * psi / (zero_stage >= 1 ? n : 1.0);
  return s;
}

}  // namespace racksim

namespace racksim {

double layer_activation_bytes(const TransformerShape& m, const ParallelLayout& l, std::int64_t tokens, Recompute r) {
  const double T = static_cast<double>(tokens), t = static_cast<double>(l.tp), h = static_cast<double>(m.hidden),
               a = static_cast<double>(m.heads), g = static_cast<double>(m.kv_heads),
               d = static_cast<double>(m.head_dim()), F = static_cast<double>(m.ffn), E = static_cast<double>(m.experts),
               k = static_cast<double>(m.top_k), nu = m.gated_ffn ? 2.0 : 1.0;
  const double w = a * d;  // the attention output's width (= h unless head_size is given)
  const double Tt = l.sequence_parallel ? T / t : T;
  if (r == Recompute::Full) return 2.0 * Tt * h;
  double mlp = 0.0;
  if (m.moe()) {
    const double Tm = Tt;
    const double SF = static_cast<double>(m.shared_experts) * F;
    mlp = 2.0 * Tt * h + 2.0 * Tt * h + 4.0 * Tm * E + 2.0 * Tm * k * h + 2.0 * Tm * k * nu * F + 2.0 * Tm * k * F +
          2.0 * T * nu * SF / t + 2.0 * T * SF / t;
  } else {
    mlp = 2.0 * Tt * h + 2.0 * Tt * h + 2.0 * T * nu * F / t + 2.0 * T * F / t;
  }
  if (r == Recompute::PerOp) {
    // What torchtitan's op-level SAC saves (transformer.hpp); the rest is recomputed.
    const double rs_out = l.sequence_parallel && l.tp > 1 ? 2.0 * Tt * h : 0.0;  // a saved reduce-scatter's output
    const double attention_kept =
        2.0 * Tt * h + 2.0 * T * a * d / t + 2.0 * T * g * d / t + 2.0 * T * w / t + 4.0 * T * a / t + rs_out;
    if (m.moe()) return attention_kept + mlp;
    return attention_kept + 2.0 * T * F / t + (m.gated_ffn ? 2.0 * T * h : 0.0) + rs_out;
  }
  double attention = 2.0 * Tt * h + 2.0 * Tt * h + 2.0 * T * (a + 2.0 * g) * d / t;
  if (r != Recompute::Selective) attention += 2.0 * T * w / t + 4.0 * T * a / t;
  return attention + mlp;
}

}  // namespace racksim
