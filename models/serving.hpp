// racksim models: the cost of one iteration of an LLM serving instance, and what its HBM holds
// (issue 18; docs/inference.md derives every formula, with a worked example by hand). Pure:
// no SimGrid, no YAML, no scheduler.
//
// An instance runs a decoder (TransformerShape, dense or MoE, GQA, head_dim, sliding window) on
// tp x pp GPUs: tensor parallel inside each of pp pipeline stages; MoE experts spread over ep of
// the tp GPUs of a stage (ep divides tp; each expert TP-split over tp / ep). One iteration of
// continuous batching runs, on every GPU of a stage, each layer of the stage once over the
// iteration's tokens: prefill chunks (new prompt tokens, attending to their cached prefix and to
// themselves, causally) and decode sequences (one new token each, attending to their whole KV
// cache). The iteration is the unit of cost: an IterationBatch holds what the cost depends on,
// as sums over the batch's sequences, so its cost is O(1) in the batch size.
//
// Precision: weights (bytes read per weight), activations (the GEMMs' compute precision: fp8
// weights with bf16 activations are dequantized and run at bf16), KV cache (bytes per cached
// element), embeddings (the input embedding and the output layer: fp8 checkpoints and vLLM's fp8
// quantization leave both unquantized, bf16). Activations between layers, and so the TP
// all-reduces, are bf16 (2 bytes). The MoE router runs at bf16 (left unquantized likewise);
// attention at bf16 (the calibrated FlashAttention-2 kernel).
//
// Notation, per GPU of a stage (t = tp, e = ep, s_x = bytes per element of precision x):
//   h hidden, a heads, g kv heads, d head_dim, F ffn (per expert), V vocab, E experts, k top_k,
//   S shared experts, n_u = 2 gated (gate and up) else 1; a_t = a/t query heads, g_t = g/t kv
//   heads (1 when t > g: replicated), V_t = ceil(V/t), T = tokens of the iteration, L_s layers of
//   the stage.
// Kernels of one layer (vLLM's Llama/Mixtral forward), each estimated by models/kernel.hpp:
//   QKV GEMM   M = T, N = (a_t + 2 g_t) d, K = h
//   attention  prefill part: FLOPs 4 a_t d P (P = prefill_attention_pairs), on the tiled
//              FlashAttention-2 model of a causal square of the same pairs (b = prefill_seqs,
//              s = sqrt(2P/b)); bytes 4 T_p a_t d (Q in, O out) + 2 C_p g_t d s_kv (C_p =
//              prefill_context_tokens). decode part: FLOPs 4 a_t d C_d, bytes 2 C_d g_t d s_kv +
//              4 D a_t d (C_d = decode_context_tokens, D = decode_seqs), a bandwidth-bound kernel
//              at the STREAM triad efficiency. Sliding-window layers read min(context, window).
//   O GEMM     M = T, N = h, K = a_t d
//   dense FFN  gate/up M = T, N = n_u F/t, K = h;  down M = T, N = h, K = F/t
//   MoE FFN    router M = T, N = E, K = h (bf16); shared experts as a dense FFN of S F; experts:
//              grouped GEMMs over the D_e distinct local experts some token chose,
//              D_e = (E/e)(1 - (1 - k/E)^T) (uniform routing), M = ceil(T k / (e D_e)) each,
//              N = n_u F e/t then h, K = h then F e/t; weights read: D_e matrices, not E/e.
//   elementwise (memory): 2 fused residual-add + RMSNorm (16 h bytes per token), RoPE
//              (4 (a_t + g_t) d), KV-cache write (2 g_t d (2 + s_kv)), activation (dense:
//              2 (n_u + 1) F/t; MoE: routing 2E + 8k, activation 2 (n_u + 1) k F/t + shared,
//              combine 2 (k + 1) h / e).
//   first stage: the vocabulary-parallel embedding gather (T h (s_emb/t + 2) bytes); last stage:
//   the final norm (8 h bytes per token) and the logits GEMM M = sampled_seqs, N = V_t, K = h.
// A GEMM's bytes are M K s_act + K N s_w + 2 M N (weights and activations at their own
// precisions: gemm_work's one s_in is replaced), so a decode GEMM at small M is the weights' read.
// Its compute side is kernel.hpp's calibrated eta_full(F) q, with q taken on the shape a serving
// library runs rather than on one fixed tile: (1) fewer rows than a tile (M < Mt, decode) are not
// padded to the tile: small-M kernels (vLLM's SM90 FP8 dispatch picks a 64x64 tile for M <= 64,
// csrc/quantization/cutlass_w8a8/c3x/scaled_mm_sm90_fp8_dispatch.cuh; swap-AB and GEMV kernels
// go further), and their compute hides behind the weights' read; (2) a GEMM of fewer output tiles
// than compute units is split over K (split-K / stream-K, as cuBLASLt and CUTLASS do for such
// shapes) into min(S / tiles, K / kMinSplitK) pieces to fill one wave. Without them a TP-sliced
// decode GEMM (M = 64, N = 1280: 10 tiles on 132 SMs) would be charged 13x its work.
// Launch overhead: a decode-only iteration of at most cuda_graph_max_tokens() tokens replays one
// CUDA/HIP graph (one launch_overhead); any other iteration launches every kernel (kernels x
// launch_overhead, an upper bound: eager launches overlap a busy GPU).
// Communication (counted, not timed here): tp > 1: 2 all-reduces per layer (after attention,
// after the FFN) + 1 on the first stage (the vocabulary-parallel embedding) of 2 T h bytes, and
// the gather of the sampled rows' logits to the first TP rank (2 sampled V_t bytes per GPU);
// ep > 1: dispatch and combine all-to-alls per MoE layer, each GPU sending its T/e tokens' k
// copies less those that stay local, 2 (T/e) k h (e - 1)/e bytes; pp: hidden states and residual
// (vLLM's IntermediateTensors) to the next stage, 4 T h bytes.
// Worked example (docs/inference.md, by hand; tests/unit/models/test_serving.cpp): Llama 3
// 70B, fp8 weights and activations, TP 8 on H100 with the shipped calibration. Decode of 64
// sequences of 1000 cached tokens: every kernel memory-bound, 12.642 GB per GPU (8.56 GB of fp8
// weights, 0.26 GB bf16 output layer, 2.64 GB of KV) at 0.8866 x 3.35 TB/s = 4.256 ms (its one
// graph launch hidden). Prefill of one 1000-token prompt: GEMMs and attention compute-bound
// 18.47 ms, elementwise and logits memory-bound 4.38 ms, 803 eager launches (4.02 ms of host time,
// issued while the GPU runs: 5 us exposed): 22.86 ms.
// Accuracy: each kernel is as accurate as models/kernel.hpp (docs/gpu-model.md); the iteration adds
// the assumptions named in docs/inference.md (uniform routing, sums for sliding windows,
// additive eager launches). Not yet compared with measured serving iterations.
#pragma once

#include "models/gpu.hpp"
#include "models/kernel.hpp"
#include "models/transformer.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace racksim {

struct ServingPrecision {
  Precision weights = Precision::bf16;
  Precision activations = Precision::bf16;
  Precision kv_cache = Precision::bf16;
  Precision embeddings = Precision::bf16;  // input embedding and output layer (logits GEMM), kept unquantized
};

struct InstanceLayout {
  std::int64_t tp = 1, pp = 1, ep = 1;
  [[nodiscard]] std::int64_t gpus() const { return tp * pp; }
};

// What one iteration of one instance computes, as sums over its sequences.
struct IterationBatch {
  std::int64_t prefill_seqs = 0;         // sequences with a prefill chunk this iteration
  std::int64_t prefill_tokens = 0;       // new prompt tokens computed (sum of the chunks)
  double prefill_attention_pairs = 0.0;  // sum over chunks of c p + c^2 / 2 (c new tokens after p cached): the
                                         // (query, key) pairs of causal attention, the FLOP convention of kernel.hpp
  double prefill_context_tokens = 0.0;   // sum over chunks of p + c: the keys/values attention reads
  std::int64_t sampled_seqs = 0;         // sequences that produce a token this iteration (decode ones, and prefill
                                         // chunks that end their prompt): the logits GEMM's M
  std::int64_t decode_seqs = 0;          // sequences generating one token each
  double decode_context_tokens = 0.0;    // sum over decode sequences of the tokens in their KV cache
  [[nodiscard]] std::int64_t tokens() const { return prefill_tokens + decode_seqs; }
  [[nodiscard]] bool empty() const { return tokens() == 0; }
};

// One pipeline stage's iteration, per GPU of the stage (they all run the same kernels). Each
// kernel is a roofline of a compute part and a memory part (models/kernel.hpp): the kernels whose
// compute part is the longer are summed into compute_bound_*, the others into memory_bound_*, so
// that max(compute_bound_compute_s, compute_bound_memory_s) + max(memory_bound_compute_s,
// memory_bound_memory_s) is the sum of the kernels' times at nominal clocks, and the engine can
// still slow the compute parts with the clock and the memory parts with HBM.
struct IterationCost {
  double compute_bound_compute_s = 0.0;  // calibrated compute time at the nominal clock
  double compute_bound_memory_s = 0.0;   // calibrated HBM time at nominal HBM clock
  double memory_bound_compute_s = 0.0;
  double memory_bound_memory_s = 0.0;
  double compute_bound_hbm_bytes = 0.0;  // bytes moved (for the engine's HBM link: memory_s x eta_m x BW)
  double memory_bound_hbm_bytes = 0.0;
  double launch_s = 0.0;  // launch overheads not hidden (kernels x launch_overhead, or one graph launch)
  std::int64_t kernels = 0;
  double flops = 0.0;                   // useful FLOPs (per GPU)
  std::int64_t tp_allreduces = 0;       // all-reduces over the stage's tp GPUs
  double tp_allreduce_bytes = 0.0;      // bytes of each
  std::int64_t ep_alltoalls = 0;        // all-to-alls over the ep GPUs (MoE, ep > 1): dispatch and combine per layer
  double ep_alltoall_bytes = 0.0;       // bytes each GPU sends in each
  double tp_logits_gather_bytes = 0.0;  // last stage, tp > 1: each GPU's logits shard gathered to the first TP rank
  double pp_send_bytes = 0.0;           // hidden states and residual sent to the next stage (0 for the last)
  // The kernels' device time at nominal clocks: max(cc, cm) + max(mc, mm).
  [[nodiscard]] double device_time_s() const;
  // The launch time the GPU waits for. The host enqueues kernels asynchronously, so the GPU idles
  // on launches only when it runs them faster than the host issues them: the host needs launch_s
  // for the iteration's kernels, the device device_time_s(); what the device waits beyond its own
  // time is max(launch_s - device_time_s(), one launch) (the first kernel always waits for its
  // launch). A graph replay is one launch: launch_s / kernels is then its share, and the first
  // term is negative for any real iteration.
  [[nodiscard]] double exposed_launch_s() const;
  // device_time_s() + exposed_launch_s().
  [[nodiscard]] double kernel_time_s() const;
};

// What one GPU of the instance holds in HBM (bytes), and the KV cache that is left.
struct ServingMemory {
  double weights = 0.0;             // weights per GPU of the stage that leaves the fewest KV tokens (embeddings on
                                    // the first stage, the output layer on the last); the fields below are its own
  double activations = 0.0;         // peak activations of an iteration of max_batch_tokens tokens (reserved)
  double kv_bytes_per_token = 0.0;  // per GPU: 2 (K and V) x layers of its stage x kv heads on it x head_dim x bytes
  double usable = 0.0;              // hbm_capacity x memory_fraction
  double kv_capacity_tokens = 0.0;  // floor((usable - weights - activations) / kv_bytes_per_token); <= 0: does not fit
  [[nodiscard]] bool fits() const { return kv_capacity_tokens >= 1.0; }
};

// Expected number of distinct experts that `tokens` tokens choose, each picking `top_k` of
// `experts` (uniform, independent routing): a given expert escapes one token with probability
// 1 - k/E, all T with (1 - k/E)^T, so by linearity of expectation D = E (1 - (1 - k/E)^T).
// Worked: E = 8, k = 2: T = 1 gives 2, T = 4 gives 8 (1 - 0.75^4) = 5.46875, T = 64 gives 8 - 8e-8.
[[nodiscard]] double distinct_experts(std::int64_t experts, std::int64_t top_k, double tokens);

class IterationCostModel {
public:
  // Throws Error when the layout does not divide the model (tp divides heads; kv heads are
  // replicated when tp > kv_heads, as vLLM and TensorRT-LLM do; ep divides tp and experts; pp <=
  // layers, layers spread as evenly as possible, the first stages taking the extra ones) or the
  // GPU has no rate for the activations' precision. `cal` may be null (plain roofline).
  IterationCostModel(TransformerShape model, InstanceLayout layout, ServingPrecision precision, GpuSpec gpu,
                     const GpuCalibration* cal);

  // Stage `stage` (0..pp-1) over `batch`. Deterministic and O(1) in the batch size.
  [[nodiscard]] IterationCost stage_cost(std::int64_t stage, const IterationBatch& batch) const;
  // HBM per GPU with a reserve for activations of `max_batch_tokens` tokens, `memory_fraction` of
  // HBM usable (vLLM's gpu_memory_utilization).
  // The logits of min(max_batch_tokens, kDefaultMaxSeqs) sampled sequences are reserved too.
  [[nodiscard]] ServingMemory memory(std::int64_t max_batch_tokens, double memory_fraction) const;
  // The same with the logits of `max_seqs` sampled sequences reserved (vLLM's max_num_seqs).
  [[nodiscard]] ServingMemory memory(std::int64_t max_batch_tokens, std::int64_t max_seqs,
                                     double memory_fraction) const;
  // TensorRT-LLM's rule instead of a share of the whole HBM: the KV cache takes `kv_fraction` of
  // what the weights and activations leave of it (kv_cache_free_gpu_mem_fraction):
  //   kv_capacity_tokens = floor(kv_fraction (HBM - weights - activations) / kv_bytes_per_token),
  //   usable = weights + activations + kv_fraction (HBM - weights - activations), for the stage
  // with the least left (0 tokens when nothing is left).
  [[nodiscard]] ServingMemory memory_of_free(std::int64_t max_batch_tokens, std::int64_t max_seqs,
                                             double kv_fraction) const;
  static constexpr std::int64_t kDefaultMaxSeqs = 256;  // vLLM's default max_num_seqs
  static constexpr std::int64_t kMinSplitK = 256;       // the shortest K piece of a split-K GEMM (assumption)
  [[nodiscard]] std::int64_t layers_of_stage(std::int64_t stage) const;
  [[nodiscard]] const TransformerShape& model() const { return model_; }
  [[nodiscard]] const InstanceLayout& layout() const { return layout_; }
  // Decode-only iterations of at most this many tokens replay a captured graph (one launch); 0:
  // never (eager). Default 512, the largest batch vLLM captures by default.
  void set_cuda_graph_max_tokens(std::int64_t tokens);
  [[nodiscard]] std::int64_t cuda_graph_max_tokens() const { return graph_max_tokens_; }
  // Parameters one GPU of `stage` holds (all precisions together): the count behind memory().
  [[nodiscard]] double parameters_per_gpu(std::int64_t stage) const;

private:
  // What does not depend on the batch, per stage.
  struct Stage {
    std::int64_t layers = 0;
    std::int64_t windowed = 0;  // layers with a sliding window (the others attend to all keys)
    double weight_bytes = 0.0;  // per GPU, all precisions
    double parameters = 0.0;    // per GPU
    double kv_bytes_per_token = 0.0;
  };
  TransformerShape model_;
  InstanceLayout layout_;
  ServingPrecision precision_;
  GpuSpec gpu_;
  const GpuCalibration* cal_;
  std::int64_t graph_max_tokens_ = 512;
  // Per GPU shapes (header comment's notation).
  std::int64_t heads_gpu_ = 0, kv_heads_gpu_ = 0, ffn_gpu_ = 0, shared_ffn_gpu_ = 0, expert_ffn_gpu_ = 0,
               local_experts_ = 0, vocab_gpu_ = 0, up_factor_ = 1;
  double s_w_ = 2.0, s_act_ = 2.0, s_kv_ = 2.0, s_emb_ = 2.0;
  GemmTile tile_act_, tile_emb_, tile_bf16_;  // gemm_tile of the GEMMs' compute precisions (cached)
  // The shape whose tiles and waves the kernel model charges for a serving GEMM (header comment).
  [[nodiscard]] GemmShape shown_shape(const GemmShape& real, Precision compute) const;
  std::vector<Stage> stages_;
};

}  // namespace racksim

namespace racksim {

// The serving frameworks' own all-reduce for the small messages of TP inference (vLLM's
// custom_all_reduce, TensorRT-LLM's AllReduce plugin), inside one scale-up domain: peer to peer
// over the scale-up links, with a flag barrier in place of NCCL's pipelined steps:
//   one-shot  t1 = 2a + (n - 1) S / B           each GPU reads its n - 1 peers' whole buffers
//   two-shot  t2 = 3a + 2 (n - 1)/n x S / B      a reduce-scatter then an all-gather, peer to peer
// and the faster of the two. a is one barrier across the fabric (a hop of the library's
// low-latency protocol plus the route's latency): the one-shot kernel has one before it reads its
// peers and one at its end (so that no peer overwrites a buffer still read), the two-shot kernel
// one more between its halves (vLLM csrc/custom_all_reduce.cuh: barrier_at_start,
// barrier_at_end). B is the GPU's scale-up bandwidth per direction (on
// a full mesh each peer's link carries 1/(n-1) of it, and the forms are the same). vLLM uses it up
// to 8 MiB (its custom_all_reduce max_size default) and for 2, 4, 6 or 8 GPUs; beyond, NCCL/RCCL.
// Worked example: n = 8, S = 512 KiB, a = 1 us, B = 450 GB/s: t1 = 2 us + 7 x 524288 / 450e9 =
// 10.16 us; t2 = 3 us + 1.75 x 524288 / 450e9 = 5.04 us, so two-shot.
[[nodiscard]] double p2p_all_reduce_time(std::int64_t n, double bytes, double barrier_s, double bandwidth);
inline constexpr double kP2pAllReduceMaxBytes = 8.0 * 1024 * 1024;
inline constexpr std::int64_t kP2pAllReduceMaxGpus = 8;

}  // namespace racksim
