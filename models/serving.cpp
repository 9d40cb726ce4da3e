// The serving iteration's cost and HBM budget (models/serving.hpp; docs/inference.md derives
// every formula used here).
#include "models/serving.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace racksim {

double IterationCost::device_time_s() const {
  return std::max(compute_bound_compute_s, compute_bound_memory_s) + std::max(memory_bound_compute_s, memory_bound_memory_s);
}

double IterationCost::exposed_launch_s() const {
  if (kernels <= 0 || launch_s <= 0.0) return 0.0;
  return std::max(launch_s - device_time_s(), launch_s / static_cast<double>(kernels));
}

double IterationCost::kernel_time_s() const { return device_time_s() + exposed_launch_s(); }

double distinct_experts(std::int64_t experts, std::int64_t top_k, double tokens) {
  if (experts <= 0 || top_k <= 0 || top_k > experts || tokens < 0.0)
    throw Error(fmt::format("distinct_experts needs 0 < top_k <= experts and tokens >= 0, got E={} k={} T={}", experts,
                            top_k, tokens));
  const double E = static_cast<double>(experts);
  return E * (1.0 - std::pow(1.0 - static_cast<double>(top_k) / E, tokens));
}

namespace {

constexpr double kAct = 2.0;  // bytes per activation element between kernels (bf16)

double as_double(std::int64_t v) { return static_cast<double>(v); }

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// Adds kernels to an IterationCost, each on the side its estimate says bounds it.
struct Accumulator {
  IterationCost& cost;
  void add(const KernelEstimate& e, double times, double useful_flops, std::int64_t launches) {
    const double compute = e.compute_time.value() * times, memory = e.memory_time.value() * times;
    const double bytes = e.work.bytes.value() * times;
    if (e.compute_bound) {
      cost.compute_bound_compute_s += compute;
      cost.compute_bound_memory_s += memory;
      cost.compute_bound_hbm_bytes += bytes;
    } else {
      cost.memory_bound_compute_s += compute;
      cost.memory_bound_memory_s += memory;
      cost.memory_bound_hbm_bytes += bytes;
    }
    cost.flops += useful_flops * times;
    cost.kernels += launches;
  }
};

// A bandwidth-bound kernel of `bytes` HBM traffic and `flops` (elementwise ops, paged decode
// attention): a STREAM-class kernel at the triad's memory efficiency.
KernelWork memory_work(double bytes, double flops, Precision dtype) {
  KernelWork w;
  w.cls = KernelClass::Stream;
  w.stream_op = StreamOp::Triad;
  w.dtype = dtype;
  w.bytes = Bytes(bytes);
  w.flops = Flops(flops);
  w.size_key = bytes;
  return w;
}

}  // namespace

IterationCostModel::IterationCostModel(TransformerShape model, InstanceLayout layout, ServingPrecision precision,
                                       GpuSpec gpu, const GpuCalibration* cal)
    : model_(std::move(model)), layout_(layout), precision_(precision), gpu_(std::move(gpu)), cal_(cal) {
  const TransformerShape& m = model_;
  const std::int64_t t = layout_.tp, p = layout_.pp, e = layout_.ep;
  const std::string who = fmt::format("serving layout tp={} pp={} ep={} of '{}'", t, p, e, m.name);
  if (t < 1 || p < 1 || e < 1) throw Error(who + ": tp, pp and ep must be at least 1");
  if (m.hidden <= 0 || m.layers <= 0 || m.heads <= 0 || m.kv_heads <= 0 || m.ffn <= 0 || m.vocab <= 0)
    throw Error(who + ": the model needs positive hidden, layers, heads, kv_heads, ffn and vocab");
  if (m.heads % m.kv_heads != 0)
    throw Error(fmt::format("{}: kv_heads ({}) must divide heads ({})", who, m.kv_heads, m.heads));
  if (m.heads % t != 0) throw Error(fmt::format("{}: tp ({}) must divide the attention heads ({})", who, t, m.heads));
  // kv heads: split when tp divides them, replicated (one per GPU) when tp is a multiple of them.
  if (t <= m.kv_heads ? m.kv_heads % t != 0 : t % m.kv_heads != 0)
    throw Error(fmt::format("{}: tp ({}) must divide the kv heads ({}) or be a multiple of them (replicated)", who, t,
                            m.kv_heads));
  if (p > m.layers) throw Error(fmt::format("{}: pp ({}) must not exceed the layers ({})", who, p, m.layers));
  const double s_act = bytes_per_element(precision_.activations), s_w = bytes_per_element(precision_.weights);
  if (s_act < s_w)
    throw Error(fmt::format("{}: activations ({}) narrower than the weights ({}) are not a serving precision", who,
                            to_string(precision_.activations), to_string(precision_.weights)));
  for (const Precision q : {precision_.activations, precision_.embeddings, Precision::bf16})
    if (!gpu_.peak(q))
      throw Error(fmt::format("{}: GPU '{}' has no {} rate in the catalog", who, gpu_.id, to_string(q)));
  up_factor_ = m.gated_ffn ? 2 : 1;
  if (m.moe()) {
    if (m.top_k <= 0 || m.top_k > m.experts)
      throw Error(fmt::format("{}: top_k ({}) must be 1 to experts ({})", who, m.top_k, m.experts));
    if (t % e != 0) throw Error(fmt::format("{}: ep ({}) must divide tp ({})", who, e, t));
    if (m.experts % e != 0) throw Error(fmt::format("{}: ep ({}) must divide the experts ({})", who, e, m.experts));
    const std::int64_t split = t / e;  // GPUs each expert is TP-split over
    if (m.ffn % split != 0)
      throw Error(fmt::format("{}: tp/ep ({}) must divide each expert's ffn ({})", who, split, m.ffn));
    if ((m.shared_experts * m.ffn) % t != 0)
      throw Error(
          fmt::format("{}: tp ({}) must divide the shared experts' ffn ({})", who, t, m.shared_experts * m.ffn));
    local_experts_ = m.experts / e;
    expert_ffn_gpu_ = m.ffn / split;
    shared_ffn_gpu_ = m.shared_experts * m.ffn / t;
  } else {
    if (e != 1) throw Error(fmt::format("{}: ep ({}) needs a mixture-of-experts model", who, e));
    if (m.ffn % t != 0) throw Error(fmt::format("{}: tp ({}) must divide the ffn ({})", who, t, m.ffn));
    ffn_gpu_ = m.ffn / t;
  }
  heads_gpu_ = m.heads / t;
  kv_heads_gpu_ = t <= m.kv_heads ? m.kv_heads / t : 1;
  vocab_gpu_ = ceil_div(m.vocab, t);
  tile_act_ = gemm_tile(gpu_, precision_.activations);
  tile_emb_ = gemm_tile(gpu_, precision_.embeddings);
  tile_bf16_ = gemm_tile(gpu_, Precision::bf16);
  s_w_ = s_w;
  s_act_ = s_act;
  s_kv_ = bytes_per_element(precision_.kv_cache);
  s_emb_ = bytes_per_element(precision_.embeddings);

  // Per layer, per GPU: the linear weights (at s_w), the router and the two norms (bf16).
  const double h = as_double(m.hidden), d = as_double(m.head_dim()), nm = as_double(up_factor_ + 1);
  const double linear =
      h * as_double(heads_gpu_ + 2 * kv_heads_gpu_) * d + as_double(heads_gpu_) * d * h +
      (m.moe() ? as_double(local_experts_) * nm * h * as_double(expert_ffn_gpu_) + nm * h * as_double(shared_ffn_gpu_)
               : nm * h * as_double(ffn_gpu_));
  const double bf16_params = 2.0 * h + (m.moe() ? h * as_double(m.experts) : 0.0);
  const double embedding = as_double(vocab_gpu_) * h;
  const std::int64_t base = m.layers / p, extra = m.layers % p;
  std::int64_t first = 0;
  for (std::int64_t s = 0; s < p; ++s) {
    Stage st;
    st.layers = base + (s < extra ? 1 : 0);
    for (std::int64_t l = first; l < first + st.layers; ++l)
      if (m.window_of(l) > 0) ++st.windowed;
    first += st.layers;
    const double L = as_double(st.layers);
    st.parameters = L * (linear + bf16_params);
    st.weight_bytes = L * (linear * s_w_ + bf16_params * 2.0);
    if (s == 0) {
      st.parameters += embedding;
      st.weight_bytes += embedding * s_emb_;
    }
    if (s == p - 1) {
      st.parameters += embedding + h;  // output layer and final norm
      st.weight_bytes += embedding * s_emb_ + h * 2.0;
    }
    st.kv_bytes_per_token = 2.0 * L * as_double(kv_heads_gpu_) * d * s_kv_;
    stages_.push_back(st);
  }
}

void IterationCostModel::set_cuda_graph_max_tokens(std::int64_t tokens) {
  if (tokens < 0) throw Error(fmt::format("the CUDA graph batch limit must not be negative, got {}", tokens));
  graph_max_tokens_ = tokens;
}

std::int64_t IterationCostModel::layers_of_stage(std::int64_t stage) const {
  if (stage < 0 || stage >= layout_.pp)
    throw Error(fmt::format("stage {} is not a pipeline stage of {} (0 to {})", stage, model_.name, layout_.pp - 1));
  return stages_[static_cast<std::size_t>(stage)].layers;
}

double IterationCostModel::parameters_per_gpu(std::int64_t stage) const {
  static_cast<void>(layers_of_stage(stage));  // range check
  return stages_[static_cast<std::size_t>(stage)].parameters;
}

GemmShape IterationCostModel::shown_shape(const GemmShape& real, Precision compute) const {
  if (!gpu_.compute_units || *gpu_.compute_units <= 0) return real;
  const GemmTile& tile =
      compute == precision_.activations ? tile_act_ : (compute == precision_.embeddings ? tile_emb_ : tile_bf16_);
  GemmShape s = real;
  s.m = std::max(real.m, tile.m);  // fewer rows than a tile: small-M (swap-AB, GEMV-like) kernels, no row padding
  const std::int64_t tiles = ceil_div(s.m, tile.m) * ceil_div(s.n, tile.n) * s.batch;
  const std::int64_t units = *gpu_.compute_units;
  if (tiles < units) {  // split-K: the K loop cut into pieces of at least kMinSplitK to fill one wave
    const std::int64_t split = std::max<std::int64_t>(1, std::min(units / tiles, real.k / kMinSplitK));
    s.k = ceil_div(real.k, split);
    s.batch *= split;
  }
  return s;
}

IterationCost IterationCostModel::stage_cost(std::int64_t stage, const IterationBatch& b) const {
  static_cast<void>(layers_of_stage(stage));  // range check
  const Stage& st = stages_[static_cast<std::size_t>(stage)];
  if (b.prefill_seqs < 0 || b.prefill_tokens < 0 || b.decode_seqs < 0 || b.sampled_seqs < 0 ||
      b.prefill_attention_pairs < 0.0 || b.prefill_context_tokens < 0.0 || b.decode_context_tokens < 0.0)
    throw Error("an iteration batch's counts must not be negative");
  if (b.prefill_tokens > 0 && b.prefill_seqs <= 0)
    throw Error("an iteration batch with prefill tokens needs prefill_seqs");
  IterationCost cost;
  if (b.empty()) return cost;
  Accumulator acc{cost};
  const TransformerShape& m = model_;
  const std::int64_t T = b.tokens(), h = m.hidden, d = m.head_dim(), a_t = heads_gpu_, g_t = kv_heads_gpu_;
  const double Td = as_double(T), hd = as_double(h), dd = as_double(d), L = as_double(st.layers);
  const Precision cp = precision_.activations;

  // A GEMM of M x N x K (x batch): FLOPs and shape from gemm_work, its bytes recomputed with the
  // weights' own precision: M K s_act + W s_w + 2 M N, W the weight elements read. `rows` is the
  // useful M (x batch) when the shape rounds it up (MoE experts). The calibrated compute side sees
  // the shape a serving library runs (shown_shape: no row padding below one tile, split-K below
  // one wave).
  auto gemm = [&](std::int64_t M, std::int64_t N, std::int64_t K, std::int64_t batch, Precision compute, double s_in,
                  double s_weight, double weight_elements, double rows, double times) {
    KernelWork w = gemm_work(GemmShape{M, N, K, batch, false, false}, compute);
    w.gemm = shown_shape(*w.gemm, compute);
    w.bytes = Bytes(rows * as_double(K) * s_in + weight_elements * s_weight + rows * as_double(N) * kAct);
    acc.add(estimate_kernel(gpu_, cal_, w), times, 2.0 * rows * as_double(N) * as_double(K),
            static_cast<std::int64_t>(times));
  };
  auto dense = [&](std::int64_t N, std::int64_t K, double times) {
    gemm(T, N, K, 1, cp, s_act_, s_w_, as_double(N) * as_double(K), Td, times);
  };

  // ---- the layers: projections and FFN (the same in every layer of the stage) ----
  dense((a_t + 2 * g_t) * d, h, L);  // QKV
  dense(h, a_t * d, L);              // O
  double elementwise = 16.0 * hd + 4.0 * as_double(a_t + g_t) * dd + 2.0 * as_double(g_t) * dd * (2.0 + s_kv_);
  std::int64_t elementwise_kernels = 4;  // two fused add+norms, RoPE, KV-cache write
  const double nm = as_double(up_factor_ + 1);
  if (!m.moe()) {
    dense(up_factor_ * ffn_gpu_, h, L);  // gate and up
    dense(h, ffn_gpu_, L);               // down
    elementwise += 2.0 * nm * as_double(ffn_gpu_);
    elementwise_kernels += 1;
  } else {
    const double E = as_double(m.experts), k = as_double(m.top_k), e = as_double(layout_.ep);
    gemm(T, m.experts, h, 1, Precision::bf16, 2.0, 2.0, E * hd, Td, L);  // router (bf16)
    if (shared_ffn_gpu_ > 0) {
      dense(up_factor_ * shared_ffn_gpu_, h, L);
      dense(h, shared_ffn_gpu_, L);
      elementwise += 2.0 * nm * as_double(shared_ffn_gpu_);
      elementwise_kernels += 1;
    }
    // Experts: uniform routing, so each local expert is chosen by some token with probability
    // 1 - (1 - k/E)^T; the D_e distinct local experts' weights are read, the T k / e token copies
    // this GPU's row routes to them computed in a grouped GEMM of ceil(D_e) groups.
    const double distinct = distinct_experts(m.experts, m.top_k, Td) / e;
    const double copies = Td * k / e;
    const std::int64_t groups =
        std::clamp<std::int64_t>(static_cast<std::int64_t>(std::ceil(distinct - 1e-9)), 1, local_experts_);
    const auto rows = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(copies / distinct - 1e-9)));
    const std::int64_t fe = expert_ffn_gpu_, up = up_factor_ * fe;
    gemm(rows, up, h, groups, cp, s_act_, s_w_, distinct * as_double(up) * hd, copies, L);
    gemm(rows, h, fe, groups, cp, s_act_, s_w_, distinct * as_double(fe) * hd, copies, L);
    elementwise +=
        (2.0 * E + 8.0 * k) + 2.0 * nm * k * as_double(m.ffn) / as_double(layout_.tp) + 2.0 * (k + 1.0) * hd / e;
    elementwise_kernels += 3;  // routing (softmax + top-k), activation, combine
    if (layout_.ep > 1) {
      cost.ep_alltoalls = 2 * st.layers;
      cost.ep_alltoall_bytes = kAct * (Td / e) * k * hd * (e - 1.0) / e;
    }
  }
  acc.add(estimate_kernel(gpu_, cal_, memory_work(elementwise * Td, 0.0, Precision::bf16)), L, 0.0,
          elementwise_kernels * st.layers);

  // ---- attention: global layers, then windowed ones (they read at most `window` keys) ----
  const double a_td = as_double(a_t) * dd, g_td = as_double(g_t) * dd;
  auto attention = [&](std::int64_t window, double layers) {
    if (layers <= 0.0) return;
    const double w = as_double(window);
    if (b.prefill_tokens > 0) {
      const double Tp = as_double(b.prefill_tokens), seqs = as_double(b.prefill_seqs);
      double pairs = b.prefill_attention_pairs, context = b.prefill_context_tokens;
      if (window > 0) {  // each query sees at most w keys; each chunk reads at most its c + w last keys
        pairs = std::min(pairs, Tp * w);
        context = std::min(context, Tp + seqs * w);
      }
      // The tiled FlashAttention-2 model on a causal square of the same pairs per sequence.
      const auto s_eq = std::max<std::int64_t>(1, std::llround(std::sqrt(2.0 * pairs / seqs)));
      KernelWork kw =
          attention_work(AttentionShape{b.prefill_seqs, a_t, s_eq, d, true, g_t, false, 0}, Precision::bf16);
      kw.bytes = Bytes(2.0 * Tp * a_td * kAct + 2.0 * context * g_td * s_kv_);
      acc.add(estimate_kernel(gpu_, cal_, kw), layers, 4.0 * a_td * pairs, 0);
    }
    if (b.decode_seqs > 0) {
      double context = b.decode_context_tokens;
      if (window > 0) context = std::min(context, as_double(b.decode_seqs) * w);
      const double flops = 4.0 * a_td * context;
      const double bytes = 2.0 * context * g_td * s_kv_ + 2.0 * as_double(b.decode_seqs) * a_td * kAct;
      acc.add(estimate_kernel(gpu_, cal_, memory_work(bytes, flops, Precision::bf16)), layers, flops, 0);
    }
  };
  attention(0, as_double(st.layers - st.windowed));
  attention(m.sliding_window, as_double(st.windowed));
  cost.kernels += st.layers;  // one attention launch per layer (prefill and decode in one varlen kernel)

  // ---- first and last stage ----
  if (stage == 0)  // each GPU gathers the rows of its vocabulary shard and writes the whole T x h
    acc.add(estimate_kernel(gpu_, cal_,
                            memory_work(Td * hd * (s_emb_ / as_double(layout_.tp) + kAct), 0.0, Precision::bf16)),
            1.0, 0.0, 1);
  if (stage == layout_.pp - 1) {
    acc.add(estimate_kernel(gpu_, cal_, memory_work(8.0 * Td * hd, 0.0, Precision::bf16)), 1.0, 0.0, 1);  // final norm
    if (b.sampled_seqs > 0) {
      gemm(b.sampled_seqs, vocab_gpu_, h, 1, precision_.embeddings, s_emb_, s_emb_, as_double(vocab_gpu_) * hd,
           as_double(b.sampled_seqs), 1.0);
      if (layout_.tp > 1) cost.tp_logits_gather_bytes = kAct * as_double(b.sampled_seqs) * as_double(vocab_gpu_);
    }
  } else {
    cost.pp_send_bytes = 2.0 * kAct * Td * hd;  // hidden states and residual
  }
  if (layout_.tp > 1) {
    cost.tp_allreduces = 2 * st.layers + (stage == 0 ? 1 : 0);
    cost.tp_allreduce_bytes = kAct * Td * hd;
  }

  // ---- launches: one graph replay for a captured decode-only batch, else every kernel ----
  const bool graph = b.prefill_tokens == 0 && T <= graph_max_tokens_;
  cost.launch_s = gpu_.launch_overhead.value() * (graph ? 1.0 : as_double(cost.kernels));
  return cost;
}

ServingMemory IterationCostModel::memory(std::int64_t max_batch_tokens, double memory_fraction) const {
  return memory(max_batch_tokens, std::min(max_batch_tokens, kDefaultMaxSeqs), memory_fraction);
}

ServingMemory IterationCostModel::memory_of_free(std::int64_t max_batch_tokens, std::int64_t max_seqs,
                                                 double kv_fraction) const {
  if (!(kv_fraction > 0.0 && kv_fraction <= 1.0))
    throw Error(fmt::format("the KV cache's share of the free memory must be in (0, 1], got {}", kv_fraction));
  ServingMemory mem = memory(max_batch_tokens, max_seqs, 1.0);  // the stage with the least left
  const double left = mem.usable - mem.weights - mem.activations;
  mem.usable = mem.weights + mem.activations + std::max(0.0, left) * kv_fraction;
  mem.kv_capacity_tokens = left > 0.0 ? std::floor(left * kv_fraction / mem.kv_bytes_per_token) : 0.0;
  return mem;
}

ServingMemory IterationCostModel::memory(std::int64_t max_batch_tokens, std::int64_t max_seqs,
                                         double memory_fraction) const {
  if (max_batch_tokens < 1) throw Error(fmt::format("max_batch_tokens must be at least 1, got {}", max_batch_tokens));
  if (max_seqs < 1) throw Error(fmt::format("max_seqs must be at least 1, got {}", max_seqs));
  if (!(memory_fraction > 0.0 && memory_fraction <= 1.0))
    throw Error(fmt::format("the usable memory fraction must be in (0, 1], got {}", memory_fraction));
  const TransformerShape& m = model_;
  const double T = as_double(max_batch_tokens), h = as_double(m.hidden), d = as_double(m.head_dim()),
               t = as_double(layout_.tp), nm = as_double(up_factor_ + 1);
  // The largest live set of one layer: the hidden state and residual, plus the larger of the
  // attention block's (Q, K, V and the attention output) and the FFN's (gate/up and activation).
  const double attention = (2.0 * as_double(heads_gpu_) + 2.0 * as_double(kv_heads_gpu_)) * d;
  const double ffn =
      m.moe() ? as_double(m.experts) + nm * as_double(m.top_k) * as_double(m.ffn) / t + nm * as_double(shared_ffn_gpu_)
              : nm * as_double(ffn_gpu_);
  const double layer = kAct * T * (2.0 * h + std::max(attention, ffn));
  // Logits of the sampled rows: the shard in bf16 and the gathered vocabulary in fp32 for the sampler.
  const double logits = as_double(max_seqs) * (kAct * as_double(vocab_gpu_) + 4.0 * as_double(m.vocab));
  ServingMemory best;
  best.usable = gpu_.hbm_capacity.value() * memory_fraction;
  for (std::size_t s = 0; s < stages_.size(); ++s) {
    const Stage& st = stages_[s];
    ServingMemory mem;
    mem.usable = best.usable;
    mem.weights = st.weight_bytes;
    mem.activations = layer + (s + 1 == stages_.size() ? logits : 0.0);
    mem.kv_bytes_per_token = st.kv_bytes_per_token;
    mem.kv_capacity_tokens = std::floor((mem.usable - mem.weights - mem.activations) / mem.kv_bytes_per_token);
    if (s == 0 || mem.kv_capacity_tokens < best.kv_capacity_tokens) best = mem;
  }
  return best;
}

}  // namespace racksim

namespace racksim {

double p2p_all_reduce_time(std::int64_t n, double bytes, double barrier_s, double bandwidth) {
  if (n < 2 || bytes <= 0.0) return 0.0;
  if (!(bandwidth > 0.0)) throw Error("p2p_all_reduce_time: the scale-up bandwidth must be positive");
  const double g = static_cast<double>(n);
  const double one_shot = 2.0 * barrier_s + (g - 1.0) * bytes / bandwidth;
  const double two_shot = 3.0 * barrier_s + 2.0 * (g - 1.0) / g * bytes / bandwidth;
  return std::min(one_shot, two_shot);
}

}  // namespace racksim
