// racksim sim: the transformer training generator — one training step of a dense or MoE decoder
// under a tensor/sequence/pipeline/data/expert/context-parallel layout, as per-rank op graphs with
// exact GEMM and attention shapes, collectives on named parallel groups, pipeline send/recv, and
// HBM allocations for weights, gradients, optimizer state and activations.
//
// Scenario form (docs/transformer.md has every key):
//   workload:
//     kind: transformer_training
//     model: {preset: llama3-70b} | {hidden, layers, heads, kv_heads, ffn, vocab, ffn_kind, experts, top_k}
//     parallel: {tp, pp, dp, ep, cp, virtual_stages, sequence_parallel, zero}
//     batch: {sequence, micro, global}
//     options: {recompute, precision: P | {gemm, attention, logits}, overlap_grad_reduce, overlap_tp_comm}
#pragma once

#include "core/yaml_doc.hpp"
#include "models/gpu.hpp"
#include "models/transformer.hpp"
#include "sim/workload.hpp"

#include <string>

namespace racksim {

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
  Location where;
};

// Reads the generator's keys of a scenario's workload map (kind already read) and checks that the
// layout is possible (TP divides heads and kv heads, PP x virtual stages divides layers, the
// global batch divides into micro batches, EP divides experts, ...). `gpu` checks precision.
[[nodiscard]] TransformerSpec read_transformer_spec(MapReader& wm, const GpuSpec& gpu, const std::string& data_dir);

// Generates one training step (throws Error if `gpu` has no rate for one of the spec's precisions): tp x cp x dp x pp ranks, TP innermost (rank = tp_i + tp (cp_i +
// cp (dp_i + dp pp_i))), like Megatron-LM's default order.
[[nodiscard]] Workload generate_transformer(const TransformerSpec& spec, const GpuSpec& gpu);

}  // namespace racksim
