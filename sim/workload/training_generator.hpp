// racksim sim: the transformer training generator — one training step of a dense or MoE decoder
// under a tensor/sequence/pipeline/data/expert/context-parallel layout, as per-rank op graphs with
// exact GEMM and attention shapes, collectives on named parallel groups, pipeline send/recv, and
// HBM allocations for weights, gradients, optimizer state and activations.
//
// Scenario form (docs/transformer.md has every key):
//   workload:
//     kind: transformer_training
//     model: {preset: llama3-70b} | {hidden, layers, heads, kv_heads, ffn, vocab, ffn_kind, experts, top_k}
//     parallel: {tp, pp, dp, ep, cp, virtual_stages, sequence_parallel, zero, order,
//                stage_layers: [n, ...] | first_stage_layers, last_stage_layers}
//     batch: {sequence, micro, global}
//     options: {recompute, precision: P | {gemm, attention, logits}, overlap_grad_reduce, overlap_tp_comm, overlap_param_gather,
//               fp8: {scaling, weight_cache}, attention: flash | unfused, attention_dropout}
//     train: {steps: N} | {tokens: T}          # optional: the whole run, for its time to train
//
// FP8 linear layers (the GEMMs whose precision is fp8) also run the scaling, cast and transpose
// kernels of their recipe (sim/workload/fp8_casts.hpp has the ops and their bytes), emitted as
// memory ops before each FP8 GEMM: the forward pass's X and W ops before the forward GEMM, the
// backward pass's before its dgrad and wgrad GEMMs, the once-per-step ones (weight_cache) in the
// layer's first forward pass of the step (micro batch 0, not a recompute pass).
//
// Layers per pipeline stage. The model's L layers are cut, in order, into S = pp x virtual_stages
// virtual stages; virtual stage k is model chunk k / pp of pipeline rank k mod pp (Megatron-LM's
// and torchtitan's looped placement). Without stage keys (pipeline_stage_layers):
//   n_k = floor(L / S) + [1 <= k <= L mod S]
// an even split when S divides L (Megatron-LM's only split without its uneven-stage flags, and
// every layout racksim accepted before), otherwise the L mod S extra layers go one each to the
// stages after the first: 126 layers on 8 stages are 15, 16, 16, 16, 16, 16, 16, 15; 10 on 4 are
// 2, 3, 3, 2; 11 on 4 are 2, 3, 3, 3. Why this rule: (1) it is torchtitan's own default split
// (generate_split_points in torchtitan/parallelisms/pipelining_utils.py, Dec 2024: the first
// stage gets floor(L / S), the middle stages one more while extras remain, the last stage the
// rest, which is the formula above), the software of the published pipeline runs racksim is
// validated against (docs/validation.md); (2) the first stage, which also runs the embedding,
// and (unless L mod S = S - 1) the last, which runs the output layer and the loss, carry the
// fewer layers, the balance Megatron-LM's --decoder-first/last-pipeline-num-layers and Llama 3's
// training (arXiv:2407.21783 section 3.3.2: one layer fewer on the first and last stages) aim at;
// (3) every stage gets at least one layer whenever S <= L, and the rule never depends on anything
// but L and S, so a layout's split is known from its keys alone.
// parallel.stage_layers lists the S counts (virtual stage 0 first); first_stage_layers and
// last_stage_layers are Megatron-LM's --decoder-first/last-pipeline-num-layers: the layers of
// pipeline rank 0 and of rank pp - 1 (each split evenly over its virtual_stages chunks), the rest
// split evenly over the other ranks and their chunks (each must divide, as Megatron-LM requires).
// Everything per stage follows from its own count: its forward, backward, recompute, FP8 and
// ZeRO-3 gather ops, its parameters (so its weights, gradients, optimizer state and its
// data-parallel gradient reductions and parameter all-gathers), its activations. The step is as
// long as the simulated pipeline makes it: the slowest stage sets it.
//
// Rank order (parallel.order): tp-cp-dp-pp (the default, Megatron-LM's default order) numbers
// ranks TP innermost, then CP, DP, PP: rank = tp_i + tp (cp_i + cp (dp_i + dp pp_i)).
// tp-cp-pp-dp (Megatron-LM's --use-tp-pp-dp-mapping) puts PP before DP: rank = tp_i + tp (cp_i +
// cp (pp_i + pp dp_i)), so one data-parallel replica (tp x cp x pp ranks) is a block of
// consecutive ranks (TP 8 x PP 9 fills one 72-GPU Helios rack, and each data-parallel group holds
// the same local GPU index in every rack).
#pragma once

#include "core/yaml_doc.hpp"
#include "models/gpu.hpp"
#include "models/transformer.hpp"
#include "sim/workload/fp8_casts.hpp"
#include "sim/workload/workload.hpp"

#include <optional>
#include <string>
#include <vector>

namespace racksim {

// workload.train: a whole run of identical steps, for its time to train (docs/transformer.md#train).
// Exactly one of the two is set.
struct TrainGoal {
  std::optional<std::int64_t> steps;  // optimizer steps
  std::optional<double> tokens;       // training tokens: ceil(tokens / tokens per step) steps
};

struct TransformerSpec {
  TransformerShape model;
  ParallelLayout layout;
  TrainingBatch batch;
  Recompute recompute = Recompute::None;
  Precision precision = Precision::bf16;   // the layers' GEMMs (MFU's peak is this precision's)
  Precision attention_precision = Precision::bf16;
  Precision logits_precision = Precision::bf16;  // the output layer's GEMMs
  bool overlap_grad_reduce = true;         // gradient reduction per layer during backward
  bool overlap_tp_comm = false;            // TP collectives on their own stream, overlapping compute
  bool overlap_param_gather = false;       // ZeRO 1/2: the parameter all-gathers overlap the next forward pass
  Fp8Recipe fp8;                           // the FP8 GEMMs' recipe (options.fp8; unused without one)
  bool unfused_attention = false;          // options.attention: unfused (batched GEMMs + softmax passes), not flash
  bool attention_dropout = false;          // options.attention_dropout: the unfused path's dropout passes and mask
  std::optional<TrainGoal> train;          // workload.train (none: one step only)
  Location where;
};

// Reads workload.model (`mn` is that map): a preset and/or shape keys, checked (heads divide into
// kv heads and, without head_dim, hidden; MoE keys together). Shared with inference_serving.
[[nodiscard]] TransformerShape read_transformer_model(const ConfigNode& mn, const std::string& data_dir);

// Reads the generator's keys of a scenario's workload map (kind already read) and checks that the
// layout is possible (TP divides heads and kv heads, every virtual stage gets at least one layer
// and the stage keys add up to the layers, the global batch divides into micro batches, EP
// divides experts, ...). `gpu` checks precision.
[[nodiscard]] TransformerSpec read_transformer_spec(MapReader& wm, const GpuSpec& gpu, const std::string& data_dir);

// The layers of each of the layout's pp x virtual_stages virtual stages, in the model's order
// (virtual stage k is chunk k / pp of pipeline rank k mod pp): `l.stage_layers` when the scenario
// gave them, else the default split above for a model of `layers` layers. Throws Error when the
// given counts are not pp x virtual_stages positive numbers summing to `layers`, or when the
// default split would leave a stage empty (read_transformer_spec refuses both first).
[[nodiscard]] std::vector<std::int64_t> pipeline_stage_layers(std::int64_t layers, const ParallelLayout& l);

// Generates one training step (throws Error if `gpu` has no rate for one of the spec's
// precisions): tp x cp x dp x pp ranks numbered in spec.layout.order — TP innermost, then CP,
// then DP and PP (tp-cp-dp-pp, rank = tp_i + tp (cp_i + cp (dp_i + dp pp_i)), Megatron-LM's
// default) or PP and DP (tp-cp-pp-dp, rank = tp_i + tp (cp_i + cp (pp_i + pp dp_i)), Megatron-LM's
// --use-tp-pp-dp-mapping). Every group, pipeline peer and group name follows that order.
//
// `materialize` < 0 builds every rank's program. `materialize` = M (0 <= M <= world size; more is
// an Error) builds only ranks 0..M-1, to simulate one representative part (say one replica, under
// tp-cp-pp-dp the first tp x cp x pp ranks) of a cluster too large to generate whole: the
// workload still has the full world's `ranks` and as many `programs`, those of ranks >= M empty;
// only the groups with at least one member below M exist (with their full membership and usual
// names; their indices differ from a full generation's), plus "world"; `training` is the whole
// step's (last_backward_op is -1 for the ranks not built). validate_workload is not run in this
// mode: its cross-rank checks (collective sequences agree within a group, every send has its
// receive) cannot hold with the other members' programs empty.
[[nodiscard]] Workload generate_transformer(const TransformerSpec& spec, const GpuSpec& gpu, int materialize = -1);

// The number of ops generate_transformer(spec, gpu, materialize) builds, in closed form from the
// layout, without building anything (the derivation is at its definition): exact, so a run can
// refuse a step too large to hold before generating it. `materialize` as above (< 0: every rank;
// larger than the world: the world). A double: the count of a scenario's extreme values exceeds
// any integer type's range.
[[nodiscard]] double estimate_transformer_ops(const TransformerSpec& spec, std::int64_t materialize = -1);

}  // namespace racksim
