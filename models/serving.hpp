// racksim models: the cost of one iteration of an LLM serving instance, and what its HBM holds
// (issue 18; docs/inference.md "Cost of one iteration" derives every formula). Pure: no SimGrid,
// no YAML, no scheduler.
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
// element). Activations between layers, and so the TP all-reduces, are bf16 (2 bytes).
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
};

struct InstanceLayout {
  std::int64_t tp = 1, pp = 1, ep = 1;
  [[nodiscard]] std::int64_t gpus() const { return tp * pp; }
};

// What one iteration of one instance computes, as sums over its sequences.
struct IterationBatch {
  std::int64_t prefill_seqs = 0;            // sequences with a prefill chunk this iteration
  std::int64_t prefill_tokens = 0;          // new prompt tokens computed (sum of the chunks)
  double prefill_attention_pairs = 0.0;     // sum over chunks of c p + c^2 / 2 (c new tokens after p cached): the
                                            // (query, key) pairs of causal attention, the FLOP convention of kernel.hpp
  double prefill_context_tokens = 0.0;      // sum over chunks of p + c: the keys/values attention reads
  std::int64_t sampled_seqs = 0;            // sequences that produce a token this iteration (decode ones, and prefill
                                            // chunks that end their prompt): the logits GEMM's M
  std::int64_t decode_seqs = 0;             // sequences generating one token each
  double decode_context_tokens = 0.0;       // sum over decode sequences of the tokens in their KV cache
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
  double launch_s = 0.0;                 // launch overheads not hidden (kernels x launch_overhead, or one graph launch)
  std::int64_t kernels = 0;
  double flops = 0.0;                    // useful FLOPs (per GPU)
  std::int64_t tp_allreduces = 0;        // all-reduces over the stage's tp GPUs
  double tp_allreduce_bytes = 0.0;       // bytes of each
  std::int64_t ep_alltoalls = 0;         // all-to-alls over the ep GPUs (MoE, ep > 1): dispatch and combine per layer
  double ep_alltoall_bytes = 0.0;        // bytes each GPU sends in each
  double pp_send_bytes = 0.0;            // activations sent to the next stage (0 for the last)
  // The kernels' time at nominal clocks: max(cc, cm) + max(mc, mm) + launch_s.
  [[nodiscard]] double kernel_time_s() const;
};

// What one GPU of the instance holds in HBM (bytes), and the KV cache that is left.
struct ServingMemory {
  double weights = 0.0;              // the most loaded stage's weights per GPU (embeddings on the first stage, the
                                     // output layer on the last)
  double activations = 0.0;          // peak activations of an iteration of max_batch_tokens tokens (reserved)
  double kv_bytes_per_token = 0.0;   // per GPU: 2 (K and V) x layers of its stage x kv heads on it x head_dim x bytes
  double usable = 0.0;               // hbm_capacity x memory_fraction
  double kv_capacity_tokens = 0.0;   // floor((usable - weights - activations) / kv_bytes_per_token); <= 0: does not fit
  [[nodiscard]] bool fits() const { return kv_capacity_tokens >= 1.0; }
};

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
  [[nodiscard]] ServingMemory memory(std::int64_t max_batch_tokens, double memory_fraction) const;
  [[nodiscard]] std::int64_t layers_of_stage(std::int64_t stage) const;
  [[nodiscard]] const TransformerShape& model() const { return model_; }
  [[nodiscard]] const InstanceLayout& layout() const { return layout_; }

private:
  TransformerShape model_;
  InstanceLayout layout_;
  ServingPrecision precision_;
  GpuSpec gpu_;
  const GpuCalibration* cal_;
};

}  // namespace racksim
