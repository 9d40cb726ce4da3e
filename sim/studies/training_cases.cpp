// racksim studies: training-step cases, their mapping onto scenarios, the comparison and its report
// (training_cases.hpp; the mapping's reasons and sources are in docs/validation.md).
#include "sim/studies/training_cases.hpp"

#include "core/json_writer.hpp"
#include "core/yaml_doc.hpp"
#include "sim/studies/case_files.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

namespace racksim {

namespace {

// ---- the vocabulary -------------------------------------------------------------------------

// A model the cases name: a preset of models/catalog/transformers.yaml, or an explicit shape.
// MPT shapes: mosaicml/llm-foundry scripts/train/yamls/pretrain/mpt-<size>.yaml at commit
// 495218376830947dce625efabc4d86be7c47cc45 (the benchmark README's commit): d_model, n_heads,
// n_layers, expansion_ratio 4 (a GELU MLP of 4 d_model), vocab_size 50368.
struct ModelShape {
  const char* name;
  const char* preset;  // "" for an explicit shape
  int hidden, layers, heads, kv_heads, ffn, vocab;
  const char* ffn_kind;
};

constexpr ModelShape kModels[] = {
    {"MPT-760m", "", 1536, 24, 12, 12, 6144, 50368, "gelu"},
    {"MPT-1b", "", 2048, 24, 16, 16, 8192, 50368, "gelu"},
    {"MPT-3b", "", 2560, 32, 20, 20, 10240, 50368, "gelu"},
    {"MPT-7b", "", 4096, 32, 32, 32, 16384, 50368, "gelu"},
    {"MPT-13b", "", 5120, 40, 40, 40, 20480, 50368, "gelu"},
    {"MPT-30b", "", 7168, 48, 56, 56, 28672, 50368, "gelu"},
    {"MPT-70b", "", 8192, 80, 64, 64, 32768, 50368, "gelu"},
    // Llama 3 and 3.1 share their shapes (the Llama 3 Herd paper, Table 3).
    {"Llama3 8B", "llama3-8b", 4096, 32, 32, 8, 14336, 128256, "swiglu"},
    {"Llama 3.1 8B", "llama3-8b", 4096, 32, 32, 8, 14336, 128256, "swiglu"},
    {"Llama3 70B", "llama3-70b", 8192, 80, 64, 8, 28672, 128256, "swiglu"},
    {"Llama 3.1 70B", "llama3-70b", 8192, 80, 64, 8, 28672, 128256, "swiglu"},
    {"Llama 3.1 405B", "llama3-405b", 16384, 126, 128, 8, 53248, 128256, "swiglu"},
};

const ModelShape& model_shape(const std::string& name) {
  for (const auto& m : kModels)
    if (name == m.name) return m;
  throw std::logic_error("model_shape: '" + name + "' was not checked by the reader");
}

// A precision as the sources write it: the GEMM precision, and what else it implies. FP8 cases
// also name their recipe (workload.options.fp8): llm-foundry's amp_fp8 is TransformerEngine's
// DelayedScaling through te.Linear, which llm-foundry calls without is_first_microbatch, so TE
// casts the weights in every forward (no weight cache); torchtitan's float8 is torchao's dynamic
// tensor-wise scaling, which casts the weights in every forward too.
struct PrecisionSpec {
  const char* name;
  const char* gemm;          // "" : not expressible
  bool async_tp;             // the string also says AsyncTP
  const char* fp8_scaling;   // workload.options.fp8.scaling ("" : not fp8)
  const char* why_not;       // when gemm is ""
};

constexpr PrecisionSpec kPrecisions[] = {
    {"bf16", "bf16", false, "", ""},
    {"amp_bf16", "bf16", false, "", ""},
    {"amp_fp8", "fp8", false, "delayed", ""},
    {"float8 linears", "fp8", false, "tensorwise", ""},
    {"float8 tensorwise", "fp8", false, "tensorwise", ""},
    {"float8 + compile", "fp8", false, "tensorwise", ""},
    {"float8 + compile + AsyncTP", "fp8", true, "tensorwise", ""},
    {"float8 + compile + AsyncTP, 1F1B", "fp8", true, "tensorwise", ""},
    {"float8 rowwise", "", false, "",
     "FP8 with row-wise scaling: its row-wise-scaled GEMM kernels are slower than tensor-wise ones by an amount racksim "
     "has no measurement of (one FP8 GEMM rate), so it would predict about the tensor-wise case; "
     "workload.options.fp8.scaling refuses rowwise for the same reason"},
};

const PrecisionSpec& precision_spec(const std::string& name) {
  for (const auto& p : kPrecisions)
    if (name == p.name) return p;
  throw std::logic_error("precision_spec: '" + name + "' was not checked by the reader");
}

// The hardware strings of the cases and the catalog system each one runs on.
struct HardwareSpec {
  const char* name;
  const char* system;   // catalog system id
  int gpus_per_node;
  const char* gpu_cap;  // "" : the board's own limit
  const char* approximation;
};

constexpr HardwareSpec kHardware[] = {
    {"NVIDIA H100 80GB (MosaicML cloud)", "hgx-h100", 8, "", ""},
    {"NVIDIA H100 96GB HBM2e (Grand Teton, 500 W limit)", "hgx-h100", 8, "500 W",
     "H100 96 GB HBM2e (2.4 TB/s) simulated as the catalog's H100 SXM 80 GB HBM3 (3.35 TB/s): no scenario key changes "
     "a GPU's HBM; its 500 W limit is power.gpu_cap"},
};

const HardwareSpec& hardware_spec(const std::string& name) {
  for (const auto& h : kHardware)
    if (name == h.name) return h;
  throw std::logic_error("hardware_spec: '" + name + "' was not checked by the reader");
}

// Activation checkpointing as written -> racksim's options.recompute, and what is approximated.
struct CheckpointSpec {
  const char* name;
  const char* recompute;
  const char* approximation;
};

constexpr CheckpointSpec kCheckpointing[] = {
    {"True", "full", ""},
    {"False", "none", ""},
    {"full AC", "full", ""},
    // torchtitan's op-level SAC (selective_ac_option = 'op'): racksim's per_op recompute is that
    // policy (docs/transformer.md): every second matmul recomputed, the attention outputs kept.
    {"selective AC", "per_op", ""},
    {"per-op SAC", "per_op", ""},
};

const CheckpointSpec& checkpoint_spec(const std::string& name) {
  for (const auto& c : kCheckpointing)
    if (name == c.name) return c;
  throw std::logic_error("checkpoint_spec: '" + name + "' was not checked by the reader");
}

const std::vector<std::string> kShardings = {"FULL_SHARD", "SHARD_GRAD_OP", "NO_SHARD"};
const std::vector<std::string> kTpModes = {"vanilla_tp", "async_tp"};
const std::vector<std::string> kMetrics = {"tokens_per_sec_per_gpu"};
const std::vector<std::string> kConfidence = {"high", "medium", "low"};

}  // namespace

std::vector<std::string> known_training_models() { return names_of(kModels); }
std::vector<std::string> known_training_precisions() { return names_of(kPrecisions); }
std::vector<std::string> known_training_hardware() { return names_of(kHardware); }
std::vector<std::string> known_activation_checkpointing() { return names_of(kCheckpointing); }

// ---- reading ---------------------------------------------------------------------------------

namespace {

std::optional<std::string> optional_text(MapReader& r, const char* key, TrainingCaseConfig& c,
                                         const std::vector<std::string>* choices = nullptr) {
  auto n = r.optional(key);
  if (!n) return std::nullopt;
  c.where[key] = n->location();
  return choices ? n->as_choice(*choices) : n->as_string();
}

// Long: one read per key of the config map, in the order docs/validation.md lists them.
TrainingCaseConfig read_config(const ConfigNode& node) {
  TrainingCaseConfig c;
  MapReader r(node, "config");
  auto req = [&](const char* key) {
    ConfigNode n = r.required(key);
    c.where[key] = n.location();
    return n;
  };
  c.model = req("model").as_choice(known_training_models());
  if (auto p = optional_count(r, "params", c.where)) c.params = *p;
  c.seq_len = positive_count(req("seq_len"));
  c.micro_batch_size = optional_count(r, "micro_batch_size", c.where);
  c.grad_accum = optional_count(r, "grad_accum", c.where);
  c.global_batch_size = optional_count(r, "global_batch_size", c.where);
  c.local_batch_size = optional_count(r, "local_batch_size", c.where);
  c.precision = req("precision").as_choice(known_training_precisions());
  c.sharding = optional_text(r, "sharding", c, &kShardings);
  c.activation_checkpointing = req("activation_checkpointing").as_choice(known_activation_checkpointing());
  c.fsdp = optional_count(r, "fsdp", c.where);
  c.tp = optional_count(r, "tp", c.where);
  c.pp = optional_count(r, "pp", c.where);
  c.cp = optional_count(r, "cp", c.where);
  c.tp_mode = optional_text(r, "tp_mode", c, &kTpModes);
  c.technique = optional_text(r, "technique", c);
  c.table = optional_text(r, "table", c);
  if (auto n = r.optional("compile")) {
    c.where["compile"] = n->location();
    const std::string v = n->as_choice({"True", "False", "true", "false"});
    c.compile = v == "True" || v == "true";
  }
  r.finish();
  const bool foundry = c.micro_batch_size || c.grad_accum;
  if (foundry && c.local_batch_size)
    node.child("local_batch_size")
        .fail("give either micro_batch_size and grad_accum (llm-foundry: per GPU) or local_batch_size (torchtitan: per "
              "data-parallel rank), not both");
  if (!foundry && !c.local_batch_size)
    node.fail("config needs the batch: micro_batch_size, grad_accum and global_batch_size (llm-foundry: per GPU) or "
              "local_batch_size (torchtitan: per data-parallel rank)");
  if (foundry && (!c.micro_batch_size || !c.grad_accum || !c.global_batch_size))
    node.fail(fmt::format("config is missing required key '{}' (an llm-foundry batch needs micro_batch_size, grad_accum "
                          "and global_batch_size)",
                          !c.micro_batch_size ? "micro_batch_size" : !c.grad_accum ? "grad_accum" : "global_batch_size"));
  return c;
}

// Long: one read per key of a case, then the checks between them.
TrainingCase read_case(const ConfigNode& node, const std::set<std::string>& source_ids) {
  TrainingCase c;
  c.where = node.location();
  MapReader r(node, "case");
  c.id = r.required("id").as_string();
  const ConfigNode kind = r.required("kind");
  if (kind.as_string() != "training_step")
    kind.fail(fmt::format("unknown case kind '{}'; expected one of: training_step (racksim validate --training reads "
                          "whole training steps only)",
                          kind.as_string()));
  c.hardware = r.required("hardware").as_choice(known_training_hardware());
  c.num_gpus = positive_count(r.required("num_gpus"));
  c.config = read_config(r.required("config"));
  c.metric = r.required("metric").as_choice(kMetrics);
  const ConfigNode value = r.required("value");
  c.value = value.as_number();
  if (!(c.value > 0.0)) value.fail(fmt::format("expected a measured value greater than zero, got {}", c.value));
  const ConfigNode unit = r.required("unit");
  c.unit = unit.as_string();
  if (c.unit.rfind("tokens/s/GPU", 0) != 0)
    unit.fail(fmt::format("expected the unit of tokens_per_sec_per_gpu, tokens/s/GPU (a note may follow), got '{}'", c.unit));
  c.source = read_source(r.required("source"), source_ids);
  c.confidence = r.required("confidence").as_choice(kConfidence);
  if (auto n = r.optional("notes")) c.notes = n->as_text();
  if (auto n = r.optional("also")) c.also = read_also(*n, "{mfu_percent: 41.2}");
  r.finish();
  return c;
}

TrainingCaseFile read_file(const ConfigDoc& doc) {
  return read_case_file<TrainingCaseFile>(doc, "training-step cases file", read_case,
                                          [](const ConfigNode& v) { return v.as_string(); });
}

}  // namespace

TrainingCaseFile read_training_cases(const std::string& path) { return read_file(ConfigDoc::load_file(path)); }

TrainingCaseFile read_training_cases_text(const std::string& text, const std::string& path) {
  return read_file(ConfigDoc::load_string(text, path));
}

// ---- the mapping -----------------------------------------------------------------------------

namespace {

[[noreturn]] void fail_at(const TrainingCase& c, const char* key, const std::string& what) {
  const auto it = c.config.where.find(key);
  throw InputError(it != c.config.where.end() ? it->second : c.where, what);
}

struct Layout {
  std::int64_t dp = 1, tp = 1, pp = 1, cp = 1, micro = 1, global = 1;
  int zero = 0;
};

// llm-foundry: every GPU is a data-parallel rank; global = micro x accumulation x GPUs.
Layout foundry_layout(const TrainingCase& c) {
  const TrainingCaseConfig& k = c.config;
  Layout l;
  l.dp = c.num_gpus;
  l.micro = *k.micro_batch_size;
  l.global = *k.global_batch_size;
  if (*k.micro_batch_size * *k.grad_accum * c.num_gpus != l.global)
    fail_at(c, "global_batch_size",
            fmt::format("global_batch_size {} is not micro_batch_size x grad_accum x num_gpus = {} x {} x {} = {}", l.global,
                        *k.micro_batch_size, *k.grad_accum, c.num_gpus, *k.micro_batch_size * *k.grad_accum * c.num_gpus));
  const std::string sharding = k.sharding.value_or("NO_SHARD");
  l.zero = sharding == "FULL_SHARD" ? 3 : sharding == "SHARD_GRAD_OP" ? 2 : 0;
  return l;
}

// torchtitan: FSDP2 over `fsdp` ranks (ZeRO-3), TP, PP and CP degrees as given; local_batch_size
// sequences per data-parallel rank per step; with PP, as many micro batches as stages (torchtitan's
// default when pipeline_parallel_microbatches is not set).
Layout titan_layout(const TrainingCase& c) {
  const TrainingCaseConfig& k = c.config;
  Layout l;
  l.dp = k.fsdp.value_or(1);
  l.tp = k.tp.value_or(1);
  l.pp = k.pp.value_or(1);
  l.cp = k.cp.value_or(1);
  if (l.dp * l.tp * l.pp * l.cp != c.num_gpus)
    fail_at(c, k.fsdp ? "fsdp" : "local_batch_size",
            fmt::format("the layout fsdp x tp x pp x cp = {} x {} x {} x {} = {} is not num_gpus = {}", l.dp, l.tp, l.pp, l.cp,
                        l.dp * l.tp * l.pp * l.cp, c.num_gpus));
  const std::int64_t local = *k.local_batch_size;
  l.global = local * l.dp;
  if (k.global_batch_size && *k.global_batch_size != l.global)
    fail_at(c, "global_batch_size",
            fmt::format("global_batch_size {} is not local_batch_size x fsdp = {} x {} = {}", *k.global_batch_size, local, l.dp,
                        l.global));
  if (local % l.pp != 0)
    fail_at(c, "local_batch_size",
            fmt::format("local_batch_size {} does not split into {} pipeline micro batches (one per stage)", local, l.pp));
  l.micro = local / l.pp;
  l.zero = k.sharding ? (*k.sharding == "FULL_SHARD" ? 3 : *k.sharding == "SHARD_GRAD_OP" ? 2 : 0) : (k.fsdp ? 3 : 0);
  return l;
}

// What racksim cannot express about this case (empty: nothing).
// Pipeline stages that do not divide the layers are expressible: torchtitan's default split
// (generate_split_points, no pipeline_parallel_split_points given) is the generator's default one
// (sim/workload/training_generator.hpp), so the mapping sets no stage key.
std::vector<std::string> inexpressible(const TrainingCase& c) {
  std::vector<std::string> why;
  const PrecisionSpec& p = precision_spec(c.config.precision);
  if (*p.gemm == '\0') why.emplace_back(p.why_not);
  const bool interleaved = c.config.technique && c.config.technique->find("Interleaved") != std::string::npos;
  if (interleaved)
    why.emplace_back("interleaved 1F1B: the source does not say how many stages each rank holds (virtual_stages)");
  if (c.num_gpus % 8 != 0)
    why.push_back(fmt::format("{} GPUs do not fill whole 8-GPU nodes", c.num_gpus));
  return why;
}

void add_model(TrainingMapping& out, const ModelShape& m) {
  auto set = [&](const char* key, const std::string& v) { out.overrides.emplace_back(key, v); };
  if (*m.preset != '\0') {
    set("workload.model.preset", m.preset);
    return;
  }
  set("workload.model.name", m.name);
  set("workload.model.hidden", std::to_string(m.hidden));
  set("workload.model.layers", std::to_string(m.layers));
  set("workload.model.heads", std::to_string(m.heads));
  if (m.kv_heads != m.heads) set("workload.model.kv_heads", std::to_string(m.kv_heads));
  set("workload.model.ffn", std::to_string(m.ffn));
  set("workload.model.vocab", std::to_string(m.vocab));
  set("workload.model.ffn_kind", m.ffn_kind);
}

void add_cluster(TrainingMapping& out, const HardwareSpec& h, std::int64_t gpus) {
  auto set = [&](const char* key, const std::string& v) { out.overrides.emplace_back(key, v); };
  const std::int64_t nodes = (gpus + h.gpus_per_node - 1) / h.gpus_per_node;
  set("cluster.system", h.system);
  set("cluster.domains", std::to_string(nodes));
  if (nodes == 1) {
    set("cluster.scale_out.kind", "none");
  } else {
    // One 400G NIC per GPU on a rail-optimized non-blocking leaf/spine of 400G ports, as
    // racksim predict collective builds it for a 400G NIC.
    set("cluster.scale_out.kind", "rail_leaf_spine");
    set("cluster.scale_out.cable", "ethernet_400g");
    set("cluster.scale_out.leaf", "tomahawk5");
    set("cluster.scale_out.spine", "tomahawk5");
  }
  if (*h.gpu_cap != '\0') set("power.gpu_cap", h.gpu_cap);
  // The runs ran: an HBM peak past the capacity is a model error to report, not a reason to stop.
  set("simulation.out_of_memory", "warn");
}

// Long: the workload keys, one decision per key, each said in docs/validation.md.
void add_workload(TrainingMapping& out, const TrainingCase& c, const Layout& l) {
  auto set = [&](const char* key, const std::string& v) { out.overrides.emplace_back(key, v); };
  const TrainingCaseConfig& k = c.config;
  const PrecisionSpec& p = precision_spec(k.precision);
  const CheckpointSpec& ac = checkpoint_spec(k.activation_checkpointing);
  set("workload.parallel.tp", std::to_string(l.tp));
  set("workload.parallel.pp", std::to_string(l.pp));
  set("workload.parallel.cp", std::to_string(l.cp));
  set("workload.parallel.dp", std::to_string(l.dp));
  set("workload.parallel.zero", std::to_string(l.zero));
  if (l.tp > 1) set("workload.parallel.sequence_parallel", "true");
  // With one stage, tp-cp-pp-dp numbers ranks as torchtitan's mesh does (tp innermost, then cp,
  // then dp) and lets a replica that fills a node be simulated reduced; with stages, torchtitan's
  // order (pp outermost) is racksim's default.
  if (l.pp == 1) set("workload.parallel.order", "tp-cp-pp-dp");
  set("workload.batch.sequence", std::to_string(k.seq_len));
  set("workload.batch.micro", std::to_string(l.micro));
  set("workload.batch.global", std::to_string(l.global));
  set("workload.options.recompute", ac.recompute);
  set("workload.options.precision.gemm", p.gemm);
  set("workload.options.precision.attention", "bf16");
  set("workload.options.precision.logits", "bf16");
  if (*p.fp8_scaling != '\0') {
    set("workload.options.fp8.scaling", p.fp8_scaling);
    set("workload.options.fp8.weight_cache", "false");
  }
  const bool async_tp = p.async_tp || (k.tp_mode && *k.tp_mode == "async_tp") ||
                        (k.technique && k.technique->find("AsyncTP") != std::string::npos);
  if (async_tp && l.tp > 1) set("workload.options.overlap_tp_comm", "true");
  // FSDP's SHARD_GRAD_OP gathers the parameters in each step's forward pass, each layer's unit as
  // it is reached, the next one already queued (the CPU runs ahead and limit_all_gathers lets two
  // be in flight), and keeps them through the backward: ZeRO 2's gathers at their first forward use.
  if (l.zero == 2 && l.dp > 1) set("workload.options.overlap_param_gather", "true");

  if (*ac.approximation != '\0') out.approximations.emplace_back(ac.approximation);
  if (std::string(p.fp8_scaling) == "delayed")
    out.approximations.emplace_back("FP8 linear layers (attention and the output layer BF16) with TransformerEngine's "
                                    "delayed-scaling cast-transpose kernels; amax history updates and reductions not modelled");
  if (std::string(p.fp8_scaling) == "tensorwise")
    out.approximations.emplace_back("FP8 linear layers (attention and the output layer BF16) with torchao's tensor-wise "
                                    "amax, cast and transpose kernels, one kernel each (unfused); FP8 all-gather not modelled");
  if (async_tp && l.tp > 1)
    out.approximations.emplace_back("async TP as overlap_tp_comm (each TP GEMM in 4 chunks overlapping its collective)");
  if (k.compile) out.approximations.emplace_back("torch.compile not modelled (its fusion of memory-bound kernels)");
  if (l.cp > 1)
    out.approximations.emplace_back("context parallelism as racksim's per-layer all-gather of K and V (not ring attention); "
                                    "model state sharded over dp only, not dp x cp as FSDP2 does");
}

}  // namespace

TrainingMapping map_case(const TrainingCase& c) {
  TrainingMapping out;
  const ModelShape& m = model_shape(c.config.model);
  const HardwareSpec& h = hardware_spec(c.hardware);
  const Layout l = c.config.local_batch_size ? titan_layout(c) : foundry_layout(c);
  out.gpus = c.num_gpus;
  out.sequences_per_step = l.global;
  out.not_expressible = inexpressible(c);
  if (!out.expressible()) return out;
  out.overrides.emplace_back("workload.kind", "transformer_training");
  add_model(out, m);
  add_workload(out, c, l);
  add_cluster(out, h, c.num_gpus);
  if (*h.approximation != '\0') out.approximations.insert(out.approximations.begin(), h.approximation);
  return out;
}

std::string mapped_scenario_yaml(const TrainingCase& c, const TrainingMapping& m) {
  return fmt::format("# {}: {} GPUs, {}, measured {} {} ({})\n", c.id, c.num_gpus, c.config.model, c.value, c.unit,
                     c.source) +
         scenario_yaml_of(c.id, fmt::format("{} ({}), mapped by racksim validate --training", c.id, c.source),
                          m.overrides) +
         "\n";
}

// ---- outcomes, results, summary -------------------------------------------------------------

std::string encode_outcome(const TrainingOutcome& o) {
  std::string s = fmt::format("step_time_s {:.17g}\ntokens_per_s_per_gpu {:.17g}\ncompute_s {:.17g}\nidle_s {:.17g}\n"
                              "bubble_fraction {:.17g}\nhbm_peak_bytes {:.17g}\nhbm_capacity_bytes {:.17g}\n"
                              "oom_events {}\nreduced {}\n",
                              o.step_time_s, o.tokens_per_s_per_gpu, o.compute_s, o.idle_s, o.bubble_fraction, o.hbm_peak_bytes,
                              o.hbm_capacity_bytes, o.oom_events, o.reduced ? 1 : 0);
  for (const auto& [dim, t] : o.exposed_comm_s) s += fmt::format("exposed_{} {:.17g}\n", dim, t);
  return s;
}

TrainingOutcome decode_outcome(const std::string& text) {
  TrainingOutcome o;
  std::istringstream in(text);
  std::string key;
  double v = 0.0;
  while (in >> key >> v) {
    if (key == "step_time_s") o.step_time_s = v;
    else if (key == "tokens_per_s_per_gpu") o.tokens_per_s_per_gpu = v;
    else if (key == "compute_s") o.compute_s = v;
    else if (key == "idle_s") o.idle_s = v;
    else if (key == "bubble_fraction") o.bubble_fraction = v;
    else if (key == "hbm_peak_bytes") o.hbm_peak_bytes = v;
    else if (key == "hbm_capacity_bytes") o.hbm_capacity_bytes = v;
    else if (key == "oom_events") o.oom_events = static_cast<std::int64_t>(v);
    else if (key == "reduced") o.reduced = v != 0.0;
    else if (key.rfind("exposed_", 0) == 0) o.exposed_comm_s.emplace_back(key.substr(8), v);
    else throw Error("internal error: unknown field '" + key + "' in a training case's outcome");
  }
  return o;
}

TrainingCaseResult judge_case(const TrainingCase& c, TrainingMapping m, std::optional<TrainingOutcome> o, std::string failure) {
  TrainingCaseResult r;
  r.c = &c;
  r.mapping = std::move(m);
  r.outcome = std::move(o);
  r.failure = std::move(failure);
  if (r.outcome) {
    r.predicted = r.outcome->tokens_per_s_per_gpu;
    r.error = (r.predicted - c.value) / c.value;
  }
  return r;
}

TrainingSummary summarize(const std::vector<TrainingCaseResult>& results, const std::vector<std::pair<std::string, std::string>>& sources) {
  return summarize_cases(results, sources, [](const TrainingCaseResult& r) { return r.error > 0.0; });
}

// ---- the report ----------------------------------------------------------------------------

namespace {

double exposed(const TrainingOutcome& o, const char* dim) {
  for (const auto& [d, t] : o.exposed_comm_s)
    if (d == dim) return t;
  return 0.0;
}

std::string case_row(const TrainingCaseResult& r) {
  const TrainingOutcome& o = *r.outcome;
  const bool over = o.hbm_peak_bytes > o.hbm_capacity_bytes;
  return fmt::format("  {:<58} {:>5} {:>9.0f} {:>9.0f} {:>+7.1f}% {:>9.1f} {:>9.1f} {:>7.1f} {:>7.1f} {:>7.1f} {:>7.1f} {:>6.1f}% "
                     "{:>7.1f} {:>5.0f}{:<1} {}{}\n",
                     r.c->id, r.c->num_gpus, r.c->value, r.predicted, 100.0 * r.error, 1e3 * o.step_time_s, 1e3 * o.compute_s,
                     1e3 * exposed(o, "tp"), 1e3 * exposed(o, "pp"), 1e3 * exposed(o, "dp"), 1e3 * exposed(o, "cp"),
                     100.0 * o.bubble_fraction, 1e3 * o.idle_s, o.hbm_peak_bytes / 1e9, over ? "!" : "",
                     o.reduced ? "r" : "f", r.mapping.approximations.empty() ? "" : " ~");
}

}  // namespace

// Long: the report's sections one after the other (cases, legend, medians, approximations, the
// cases not expressed, the failures).
std::string training_validation_table(const std::vector<TrainingCaseResult>& results, const TrainingSummary& s, double budget) {
  std::string out = fmt::format("training steps: {} cases, {} simulated, {} not expressible, {} not simulated\n", results.size(),
                                s.compared, s.not_expressible, s.failed);
  out += fmt::format("  {:<58} {:>5} {:>9} {:>9} {:>8} {:>9} {:>9} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>6} {}\n", "case", "GPUs",
                     "measured", "predicted", "error", "step ms", "compute", "tp", "pp", "dp", "cp", "bubble", "idle", "HBM GB",
                     "sim");
  for (const auto& r : results)
    if (r.outcome) out += case_row(r);
  out += "  measured and predicted in tokens/s/GPU; error = (predicted - measured) / measured: + optimistic (predicted\n"
         "  faster), - pessimistic. Per step, the mean rank: compute, exposed communication per dimension (tp, pp, dp,\n"
         "  cp: not hidden behind compute), idle, all in ms; bubble: the pipeline bubble. HBM: the largest rank's peak\n"
         "  ('!': over the GPU's capacity, run on with out_of_memory: warn). sim: r reduced (one replica), f every rank.\n"
         "  ~: the mapping approximates something (listed below).\n";
  out += medians_section(s, budget);
  if (s.worst) out += fmt::format("  worst: {} {:+.1f}%\n", s.worst->c->id, 100.0 * s.worst->error);
  out += fmt::format("  bias: {} optimistic (predicted faster than measured), {} pessimistic\n", s.optimistic, s.pessimistic);

  out += case_lists_section(results, s, "approximated by the mapping (cases)");
  return out;
}

// Long: one JSON field after another, the order of the table.
std::string training_validation_json(const std::vector<TrainingCaseResult>& results, const TrainingSummary& s, double budget,
                                     const std::vector<std::string>& files) {
  JsonWriter j;
  j.begin_object();
  summary_json_fields(j, s, budget, files);
  j.key("cases").begin_array();
  for (const auto& r : results) {
    j.begin_object().field("id", r.c->id).field("source", r.c->source).field("num_gpus", r.c->num_gpus);
    j.field("measured", r.c->value).field("unit", r.c->unit);
    j.field("status", case_status(r));
    if (r.outcome) {
      const TrainingOutcome& o = *r.outcome;
      j.field("predicted", r.predicted).field("error", r.error).field("step_time_s", o.step_time_s);
      j.field("compute_s", o.compute_s).field("idle_s", o.idle_s).field("bubble_fraction", o.bubble_fraction);
      j.key("exposed_comm_s").begin_object();
      for (const auto& [d, t] : o.exposed_comm_s) j.field(d, t);
      j.end_object();
      j.field("hbm_peak_bytes", o.hbm_peak_bytes).field("hbm_capacity_bytes", o.hbm_capacity_bytes);
      j.field("oom_events", o.oom_events).field("reduced", o.reduced);
    }
    case_json_tail(j, r);
    j.end_object();
  }
  j.end_array();
  j.end_object();
  return j.str();
}

}  // namespace racksim
