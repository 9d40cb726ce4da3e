// racksim sim/workload: the key tables of the chakra and transformer_training workloads (see
// workload_keys.hpp). The readers are read_chakra_spec (chakra.cpp) and read_transformer_spec
// (training_generator.cpp); a default here is the one they apply.
#include "sim/workload/workload_keys.hpp"

#include "core/limits.hpp"

#include "models/gpu.hpp"

namespace racksim {

namespace {

std::vector<std::string> scale_by_choices() {
  std::vector<std::string> c{"hbm"};
  for (const Precision q : all_precisions()) c.push_back(to_string(q));
  return c;
}

KeyTable build_chakra_keys() {
  const std::vector<std::string> chakra{"chakra"};
  return KeyTable(
      "workload",
      {
          KeySpec("workload.prefix").text().with_note(" (a path prefix)").required().for_kinds(chakra)
              .describe("The rank files <prefix>.<rank>.et, relative to the scenario's folder"),
          KeySpec("workload.replicate").integer(1, limits::kMaxTraceRanks).optional().for_kinds(chakra)
              .describe("Runs a one-rank trace as this many identical ranks"),
          KeySpec("workload.recorded_on").id("GPU").optional().for_kinds(chakra)
              .describe("The GPU the trace was recorded on: its durations are scaled to the cluster's GPU"),
          KeySpec("workload.scale_by").one_of(scale_by_choices()).default_value("bf16").for_kinds(chakra)
              .describe("What the scaling compares: the dense peaks at a precision, or the HBM bandwidths"),
          KeySpec("workload.precision").text().with_note(" (a precision)").default_value("bf16").for_kinds(chakra)
              .describe("The precision of compute nodes that count their FLOPs"),
          KeySpec("workload.ctrl_deps").one_of({"follow", "ignore"}).default_value("follow").for_kinds(chakra)
              .describe("Whether ctrl_deps order nodes like data_deps"),
          KeySpec("workload.p2p").one_of({"auto", "eager", "rendezvous"}).default_value("auto").for_kinds(chakra)
              .describe("The point-to-point protocol"),
          KeySpec("workload.broadcast_as").one_of({"all_gather"}).optional().for_kinds(chakra)
              .describe("Runs BROADCAST nodes as all-gathers"),
          KeySpec("workload.groups").as_map().optional().for_kinds(chakra)
              .describe("Process groups by pg_name: name -> rank set"),
      });
}

// Long: one entry per key of the generator's workload keys (model, parallel, batch, options,
// train), in one table so that each key's row is read beside its neighbours'.
KeyTable build_transformer_keys() {
  const std::vector<std::string> training{"transformer_training"};
  const std::string by_preset = "the preset's; required without one";
  constexpr std::int64_t max_dim = 1LL << 24;
  KeyTable t(
      "workload",
      {
          KeySpec("workload.model").as_map().required().for_kinds({"transformer_training", "inference_serving"}).describe("The model: a preset and/or its shape"),
          KeySpec("workload.parallel").as_map().required().for_kinds(training).describe("The parallel layout"),
          KeySpec("workload.batch").as_map().required().for_kinds(training).describe("The batch"),
          KeySpec("workload.options").as_map().optional().for_kinds(training).describe("Training options"),
          KeySpec("workload.train").as_map().optional().for_kinds(training)
              .describe("A whole training run: steps or tokens, for the time to train"),

          KeySpec("workload.model.preset").id("transformer preset").optional()
              .describe("A model of models/catalog/transformers.yaml; the other keys change it"),
          KeySpec("workload.model.hidden").integer(1, max_dim).default_is(by_preset).describe("Hidden size"),
          KeySpec("workload.model.layers").integer(1, 100'000).default_is(by_preset).describe("Transformer layers"),
          KeySpec("workload.model.heads").integer(1, max_dim).default_is(by_preset).describe("Attention heads"),
          KeySpec("workload.model.kv_heads").integer(1, max_dim).default_is("the preset's, or `heads`")
              .describe("Key/value heads (grouped-query attention)"),
          KeySpec("workload.model.head_dim").integer(1, 1 << 16).default_is("the preset's, or hidden / heads")
              .describe("Per-head dimension, when heads x head_dim is not hidden (Qwen3, GPT-OSS)"),
          KeySpec("workload.model.ffn").integer(1, max_dim).default_is(by_preset).describe("FFN inner size (per expert)"),
          KeySpec("workload.model.vocab").integer(1, 1LL << 30).default_is(by_preset).describe("Vocabulary size"),
          KeySpec("workload.model.ffn_kind").one_of({"swiglu", "gelu"}).default_is("the preset's, or `swiglu`")
              .describe("Gated (3 matrices) or plain (2) FFN"),
          KeySpec("workload.model.experts").integer(2, 1 << 16).default_is("the preset's, or none (dense)")
              .describe("Experts of a mixture-of-experts model"),
          KeySpec("workload.model.top_k").integer(1, 1 << 16).default_is("the preset's").describe("Experts per token"),
          KeySpec("workload.model.sliding_window").integer(1, max_dim).default_is("the preset's, or none")
              .describe("Keys each query sees in the windowed layers (sliding-window attention)"),
          KeySpec("workload.model.global_every").integer(1, 100'000).default_is("the preset's, or none")
              .describe("With a window: every global_every-th layer attends to the whole sequence"),
          KeySpec("workload.model.shared_experts").integer(1, 1 << 10).default_is("the preset's, or none")
              .describe("MoE: experts of size ffn every token also passes through (DeepSeek, Qwen-MoE)"),
          KeySpec("workload.model.name").text().default_is("the preset's, or `transformer`").describe("The model's name"),

          KeySpec("workload.parallel.tp").integer(1, 1 << 16).default_value("1").describe("Tensor-parallel degree"),
          KeySpec("workload.parallel.pp").integer(1, 1 << 16).default_value("1").describe("Pipeline stages"),
          KeySpec("workload.parallel.dp").integer(1, max_dim).required().describe("Data-parallel degree"),
          KeySpec("workload.parallel.ep").integer(1, 1 << 16).default_value("1").describe("Expert-parallel degree"),
          KeySpec("workload.parallel.cp").integer(1, 1 << 16).default_value("1").describe("Context-parallel degree"),
          KeySpec("workload.parallel.virtual_stages").integer(1, 1 << 10).default_value("1")
              .describe("Model chunks per pipeline rank (interleaved 1F1B)"),
          KeySpec("workload.parallel.stage_layers").as_list().with_note(" of integers >= 1, one per virtual stage")
              .default_is("an even split, the extra layers on the stages after the first")
              .describe("Layers of each virtual stage in the model's order (pp x virtual_stages of them, summing to the layers)"),
          KeySpec("workload.parallel.first_stage_layers").integer(1, 100'000).optional()
              .describe("Layers of pipeline rank 0 (Megatron-LM's --decoder-first-pipeline-num-layers)"),
          KeySpec("workload.parallel.last_stage_layers").integer(1, 100'000).optional()
              .describe("Layers of the last pipeline rank (Megatron-LM's --decoder-last-pipeline-num-layers)"),
          KeySpec("workload.parallel.sequence_parallel").flag().default_value("false")
              .describe("Splits activations over the TP group"),
          KeySpec("workload.parallel.zero").integer(0, 3).default_value("0").describe("ZeRO stage"),
          KeySpec("workload.parallel.order").one_of({"tp-cp-dp-pp", "tp-cp-pp-dp"}).default_value("tp-cp-dp-pp")
              .describe("How ranks are numbered over the parallel dimensions"),

          KeySpec("workload.batch.sequence").integer(1, max_dim).required().describe("Tokens per sequence"),
          KeySpec("workload.batch.micro").integer(1, 1 << 20).default_value("1").describe("Sequences per micro batch"),
          KeySpec("workload.batch.global").integer(1, 1LL << 32).required().describe("Sequences per step"),

          KeySpec("workload.options.recompute").one_of({"none", "selective", "full", "per_op"}).default_value("none")
              .describe("Activation recomputation"),
          KeySpec("workload.options.precision").text().with_note(" (a precision), or a map").default_value("bf16")
              .describe("The GEMMs' precision, or one per op: {gemm, attention, logits}"),
          KeySpec("workload.options.overlap_grad_reduce").flag().default_value("true")
              .describe("Gradient reduction per layer during backward"),
          KeySpec("workload.options.overlap_tp_comm").flag().default_value("false")
              .describe("TP collectives on their own stream"),
          KeySpec("workload.options.overlap_param_gather").flag().default_value("false")
              .describe("ZeRO 1/2: each layer's parameter all-gather overlaps the forward pass of the layer before it"),
          KeySpec("workload.options.fp8").as_map().optional()
              .describe("The FP8 recipe of the fp8 GEMMs (only with one): {scaling, weight_cache}"),
          KeySpec("workload.options.attention").one_of({"flash", "unfused"}).default_value("flash")
              .describe("Fused FlashAttention-2 kernels, or unfused: batched GEMMs QK^T and PV with softmax passes and "
                        "the s x s probabilities kept for backward"),
          KeySpec("workload.options.attention_dropout").flag().default_value("false")
              .describe("Unfused attention only: a dropout pass over the probabilities and its mask kept for backward"),

          KeySpec("workload.train.steps").integer(1, 1'000'000'000'000LL).optional()
              .describe("Optimizer steps of the whole run (or `tokens`)"),
          KeySpec("workload.train.tokens").number().at_least(1.0).at_most(1e18).optional()
              .describe("Training tokens of the whole run (or `steps`): ceil(tokens / tokens per step) steps"),

          KeySpec("workload.options.precision.gemm").text().with_note(" (a precision)").default_value("bf16")
              .describe("The layers' GEMMs (and the logits unless given)"),
          KeySpec("workload.options.precision.attention").text().with_note(" (a precision)").default_value("bf16")
              .describe("Attention"),
          KeySpec("workload.options.precision.logits").text().with_note(" (a precision)").default_is("`gemm`")
              .describe("The output layer's GEMMs"),

          KeySpec("workload.options.fp8.scaling").one_of({"delayed", "tensorwise", "rowwise"})
              .with_note(" (`rowwise` is refused: its GEMM rate is not measured)").default_value("delayed")
              .describe("How FP8 scales are found: TransformerEngine's delayed scaling, or torchao's dynamic tensor-wise"),
          KeySpec("workload.options.fp8.weight_cache").flag().default_is("true with `delayed`, false with `tensorwise`")
              .describe("FP8 weights (and their transpose) cast once per step, not once per micro batch"),
      });
  return t;
}

}  // namespace

const KeyTable& chakra_keys() {
  static const KeyTable t = build_chakra_keys();
  return t;
}

const KeyTable& transformer_keys() {
  static const KeyTable t = build_transformer_keys();
  return t;
}

}  // namespace racksim
