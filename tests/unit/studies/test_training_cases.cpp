// racksim validate --training's pure part (sim/studies/training_cases.hpp, docs/validation.md):
// reading kind: training_step cases strictly, mapping each onto scenario overrides, the outcome's
// text form, the judgement and the summary. Every expected value is derived from the case's own
// fields in a comment.
#include "sim/studies/training_cases.hpp"

#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace racksim;
using racksim::test::input_error_of;
using Catch::Matchers::Contains;

namespace {

const char* kMeta = "meta:\n"
                    "  title: t\n"
                    "  sources:\n"
                    "    foundry: llm-foundry benchmark tables\n"
                    "    titan: torchtitan benchmark tables\n"
                    "cases:\n";

// An llm-foundry case as the reference file writes one; `config_extra` replaces nothing, it adds.
std::string foundry_case(const std::string& model = "MPT-70b", const std::string& precision = "amp_bf16",
                         const std::string& global = "4096") {
  return "- id: foundry_70b\n"
         "  kind: training_step\n"
         "  hardware: NVIDIA H100 80GB (MosaicML cloud)\n"
         "  num_gpus: 512\n"
         "  config:\n"
         "    model: " + model + "\n"
         "    params: 64862437376\n"
         "    seq_len: 2048\n"
         "    micro_batch_size: 8\n"
         "    grad_accum: 1\n"
         "    global_batch_size: " + global + "\n"
         "    precision: " + precision + "\n"
         "    sharding: FULL_SHARD\n"
         "    activation_checkpointing: 'True'\n"
         "  metric: tokens_per_sec_per_gpu\n"
         "  value: 1007\n"
         "  unit: tokens/s/GPU\n"
         "  also: {mfu_percent: 41.25}\n"
         "  source: foundry\n"
         "  confidence: high\n";
}

// A torchtitan 2D case: FSDP 32 x TP 8 on 256 GPUs of the 500 W Grand Teton H100.
std::string titan_case(const std::string& id = "titan_70b_2d", const std::string& extra = "    fsdp: 32\n    tp: 8\n",
                       const std::string& precision = "float8 + compile", const std::string& model = "Llama 3.1 70B",
                       int gpus = 256, int local = 16) {
  return "- id: " + id + "\n"
         "  kind: training_step\n"
         "  hardware: NVIDIA H100 96GB HBM2e (Grand Teton, 500 W limit)\n"
         "  num_gpus: " + std::to_string(gpus) + "\n"
         "  config:\n"
         "    model: " + model + "\n"
         "    technique: 2D (FSDP32 TP8)\n"
         "    local_batch_size: " + std::to_string(local) + "\n"
         "    seq_len: 8192\n"
         "    activation_checkpointing: full AC\n"
         "    precision: " + precision + "\n" + extra +
         "  metric: tokens_per_sec_per_gpu\n"
         "  value: 829\n"
         "  unit: tokens/s/GPU\n"
         "  source: titan\n"
         "  confidence: high\n";
}

TrainingCaseFile read(const std::string& cases) { return read_training_cases_text(std::string(kMeta) + cases, "dir/steps.yaml"); }

std::string override_of(const TrainingMapping& m, const std::string& key) {
  for (const auto& [k, v] : m.overrides)
    if (k == key) return v;
  return "<absent>";
}

}  // namespace

TEST_CASE("a training-step file is read with every key of its cases", "[training]") {
  const TrainingCaseFile f = read(foundry_case() + titan_case());
  REQUIRE(f.sources.size() == 2);
  CHECK(f.sources[0].first == "foundry");
  REQUIRE(f.cases.size() == 2);
  const TrainingCase& a = f.cases[0];
  CHECK(a.id == "foundry_70b");
  CHECK(a.num_gpus == 512);
  CHECK(a.config.model == "MPT-70b");
  CHECK(a.config.params == 64862437376);
  CHECK(a.config.micro_batch_size == 8);
  CHECK(a.config.grad_accum == 1);
  CHECK(a.config.global_batch_size == 4096);
  CHECK(a.config.sharding == "FULL_SHARD");
  CHECK(a.config.activation_checkpointing == "True");
  CHECK(a.value == 1007.0);
  REQUIRE(a.also.size() == 1);
  CHECK(a.also[0].second == 41.25);
  CHECK(a.where.line == 7);  // the case's map starts on the line after "cases:" (line 6)
  const TrainingCase& b = f.cases[1];
  CHECK(b.config.local_batch_size == 16);
  CHECK(b.config.fsdp == 32);
  CHECK(b.config.tp == 8);
  CHECK_FALSE(b.config.pp);
}

TEST_CASE("an llm-foundry FSDP case maps onto the hgx-h100 scenario it describes", "[training]") {
  const TrainingCaseFile f = read(foundry_case());
  const TrainingMapping m = map_case(f.cases[0]);
  REQUIRE(m.expressible());
  // 512 GPUs, micro batch 8, grad_accum 1 -> 8 x 1 x 512 = 4096 sequences per step; every GPU a
  // data-parallel rank; FULL_SHARD -> ZeRO 3; activation_checkpointing True -> full recompute;
  // amp_bf16 -> BF16 GEMMs. MPT-70b (llm-foundry mpt-70b.yaml): d_model 8192, 64 heads, 80 layers,
  // FFN 4 x 8192 = 32768 GELU, vocab 50368. 512 GPUs / 8 per HGX node = 64 nodes.
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"workload.kind", "transformer_training"},
      {"workload.model.name", "MPT-70b"},
      {"workload.model.hidden", "8192"},
      {"workload.model.layers", "80"},
      {"workload.model.heads", "64"},
      {"workload.model.ffn", "32768"},
      {"workload.model.vocab", "50368"},
      {"workload.model.ffn_kind", "gelu"},
      {"workload.parallel.tp", "1"},
      {"workload.parallel.pp", "1"},
      {"workload.parallel.cp", "1"},
      {"workload.parallel.dp", "512"},
      {"workload.parallel.zero", "3"},
      {"workload.parallel.order", "tp-cp-pp-dp"},
      {"workload.batch.sequence", "2048"},
      {"workload.batch.micro", "8"},
      {"workload.batch.global", "4096"},
      {"workload.options.recompute", "full"},
      {"workload.options.precision.gemm", "bf16"},
      {"workload.options.precision.attention", "bf16"},
      {"workload.options.precision.logits", "bf16"},
      {"cluster.system", "hgx-h100"},
      {"cluster.domains", "64"},
      {"cluster.scale_out.kind", "rail_leaf_spine"},
      {"cluster.scale_out.cable", "ethernet_400g"},
      {"cluster.scale_out.leaf", "tomahawk5"},
      {"cluster.scale_out.spine", "tomahawk5"},
      {"simulation.out_of_memory", "warn"},
  };
  CHECK(m.overrides == expected);
  CHECK(m.gpus == 512);
  CHECK(m.sequences_per_step == 4096);
  CHECK(m.approximations.empty());
}

TEST_CASE("the MPT shape's parameters are the published count", "[training]") {
  // A GELU block of width h holds 4h^2 (QKV and projection) + 2 x 4h^2 (the MLP) = 12h^2; the
  // embedding V h. 80 x 12 x 8192^2 + 50368 x 8192 = 64,424,509,440 + 412,614,656 = 64,837,124,096,
  // within 0.1% of the source's 64,862,437,376 (it also counts norms and positions, which racksim
  // does not model).
  const TrainingCaseFile f = read(foundry_case());
  const TrainingMapping m = map_case(f.cases[0]);
  const double h = std::stod(override_of(m, "workload.model.hidden"));
  const double layers = std::stod(override_of(m, "workload.model.layers"));
  const double ffn = std::stod(override_of(m, "workload.model.ffn"));
  const double vocab = std::stod(override_of(m, "workload.model.vocab"));
  const double params = layers * (4.0 * h * h + 2.0 * h * ffn) + vocab * h;
  CHECK(params == 64837124096.0);
  CHECK(params == Approx(static_cast<double>(*f.cases[0].config.params)).epsilon(1e-3));
}

TEST_CASE("a torchtitan 2D case: FSDP2 is ZeRO 3, TP with sequence parallelism, the 500 W cap", "[training]") {
  const TrainingCaseFile f = read(titan_case());
  const TrainingMapping m = map_case(f.cases[0]);
  REQUIRE(m.expressible());
  // FSDP 32 x TP 8 = 256 GPUs; local batch 16 per data-parallel rank, no pipeline -> micro 16 and
  // 16 x 32 = 512 sequences per step.
  CHECK(override_of(m, "workload.model.preset") == "llama3-70b");
  CHECK(override_of(m, "workload.parallel.dp") == "32");
  CHECK(override_of(m, "workload.parallel.tp") == "8");
  CHECK(override_of(m, "workload.parallel.zero") == "3");
  CHECK(override_of(m, "workload.parallel.sequence_parallel") == "true");
  CHECK(override_of(m, "workload.batch.micro") == "16");
  CHECK(override_of(m, "workload.batch.global") == "512");
  CHECK(override_of(m, "workload.options.recompute") == "full");
  CHECK(override_of(m, "workload.options.precision.gemm") == "fp8");
  CHECK(override_of(m, "workload.options.precision.logits") == "bf16");
  // torchtitan's float8 is torchao's dynamic tensor-wise scaling, weights cast in every forward.
  CHECK(override_of(m, "workload.options.fp8.scaling") == "tensorwise");
  CHECK(override_of(m, "workload.options.fp8.weight_cache") == "false");
  CHECK(override_of(m, "workload.options.overlap_tp_comm") == "<absent>");
  CHECK(override_of(m, "power.gpu_cap") == "500 W");
  CHECK(override_of(m, "cluster.domains") == "32");  // 256 / 8
  // The 96 GB HBM2e part runs as the 80 GB catalog H100, FP8 without its extra kernels, compile
  // not modelled: each said.
  REQUIRE(m.approximations.size() == 2);
  CHECK_THAT(m.approximations[0], Contains("96 GB"));
  CHECK_THAT(m.approximations[1], Contains("FP8"));
}

TEST_CASE("SHARD_GRAD_OP is ZeRO 2 with the parameters gathered in the forward pass", "[training][overlap]") {
  // FSDP's SHARD_GRAD_OP shards gradients and optimizer state (ZeRO 2) and gathers each unit's
  // parameters as the forward pass reaches it, keeping them through the backward: racksim's
  // overlap_param_gather. FULL_SHARD (ZeRO 3) gathers before every use and sets no such key.
  std::string c = foundry_case();
  c.replace(c.find("FULL_SHARD"), 10, "SHARD_GRAD_OP");
  const TrainingMapping grad_op = map_case(read(c).cases[0]);
  REQUIRE(grad_op.expressible());
  CHECK(override_of(grad_op, "workload.parallel.zero") == "2");
  CHECK(override_of(grad_op, "workload.options.overlap_param_gather") == "true");
  const TrainingMapping full = map_case(read(foundry_case()).cases[0]);
  CHECK(override_of(full, "workload.options.overlap_param_gather") == "<absent>");
}

TEST_CASE("llm-foundry's amp_fp8 maps to TransformerEngine's delayed scaling, bf16 cases to no FP8 recipe", "[training]") {
  // amp_fp8: te.Linear under DelayedScaling, called without is_first_microbatch (no weight cache).
  const TrainingMapping fp8 = map_case(read(foundry_case("MPT-70b", "amp_fp8")).cases[0]);
  REQUIRE(fp8.expressible());
  CHECK(override_of(fp8, "workload.options.precision.gemm") == "fp8");
  CHECK(override_of(fp8, "workload.options.fp8.scaling") == "delayed");
  CHECK(override_of(fp8, "workload.options.fp8.weight_cache") == "false");
  bool said = false;
  for (const auto& a : fp8.approximations) said = said || a.find("delayed-scaling cast-transpose") != std::string::npos;
  CHECK(said);
  const TrainingMapping bf16 = map_case(read(foundry_case("MPT-70b", "amp_bf16")).cases[0]);
  CHECK(override_of(bf16, "workload.options.fp8.scaling") == "<absent>");
  CHECK(override_of(bf16, "workload.options.fp8.weight_cache") == "<absent>");
}

TEST_CASE("a torchtitan pipeline: one micro batch per stage, torchtitan's rank order", "[training]") {
  // FSDP 8 x TP 8 x PP 8 = 512 GPUs; local batch 32 in 8 micro batches (one per stage) of 4;
  // 32 x 8 = 256 sequences. Llama 3.1 70B's 80 layers split into 8 stages of 10. AsyncTP ->
  // overlap_tp_comm, approximated.
  const TrainingCaseFile f = read(titan_case("titan_70b_3d", "    fsdp: 8\n    tp: 8\n    pp: 8\n", "float8 + compile + AsyncTP",
                                             "Llama 3.1 70B", 512, 32));
  const TrainingMapping m = map_case(f.cases[0]);
  REQUIRE(m.expressible());
  CHECK(override_of(m, "workload.parallel.pp") == "8");
  CHECK(override_of(m, "workload.batch.micro") == "4");
  CHECK(override_of(m, "workload.batch.global") == "256");
  CHECK(override_of(m, "workload.parallel.order") == "<absent>");
  CHECK(override_of(m, "workload.options.overlap_tp_comm") == "true");
}

TEST_CASE("cases racksim cannot express are listed with their reasons", "[training]") {
  // Row-wise FP8 scaling's GEMM rate is not measured. (126 layers on 8 stages are expressible.)
  const TrainingCaseFile f = read(titan_case("titan_405b", "    fsdp: 8\n    tp: 8\n    pp: 8\n", "float8 rowwise", "Llama 3.1 405B",
                                             512, 32));
  const TrainingMapping m = map_case(f.cases[0]);
  CHECK_FALSE(m.expressible());
  REQUIRE(m.not_expressible.size() == 1);
  CHECK_THAT(m.not_expressible[0], Contains("row-wise"));
  CHECK(m.overrides.empty());
}

TEST_CASE("Llama 3.1 405B on 8 pipeline stages is mapped with the generator's default split", "[training]") {
  // torchtitan's T5 1F1B case: 126 layers on pp 8. torchtitan (no split points given) cut them
  // 15, 16 x 6, 15, which is the generator's default split, so the mapping sets no stage key
  // (the layout and batch are mapped as for the 70B 3D case above).
  const TrainingCaseFile f = read(titan_case("titan_405b", "    fsdp: 8\n    tp: 8\n    pp: 8\n",
                                             "float8 + compile + AsyncTP", "Llama 3.1 405B", 512, 32));
  const TrainingMapping m = map_case(f.cases[0]);
  REQUIRE(m.expressible());
  CHECK(m.not_expressible.empty());
  CHECK(override_of(m, "workload.model.preset") == "llama3-405b");
  for (const char* key : {"workload.parallel.stage_layers", "workload.parallel.first_stage_layers",
                          "workload.parallel.last_stage_layers"})
    CHECK(override_of(m, key) == "<absent>");
}

TEST_CASE("the mapped scenario file holds the overrides as nested keys", "[training]") {
  const TrainingCaseFile f = read(foundry_case());
  const TrainingMapping m = map_case(f.cases[0]);
  const YAML::Node y = YAML::Load(mapped_scenario_yaml(f.cases[0], m));
  CHECK(y["schema_version"].as<int>() == 1);
  CHECK(y["name"].as<std::string>() == "foundry_70b");
  CHECK(y["workload"]["parallel"]["dp"].as<int>() == 512);
  CHECK(y["workload"]["options"]["precision"]["gemm"].as<std::string>() == "bf16");
  CHECK(y["cluster"]["scale_out"]["kind"].as<std::string>() == "rail_leaf_spine");
}

TEST_CASE("bad training-step input names file, line, key and the valid values", "[training]") {
  SECTION("an unknown model") {
    const InputError e = input_error_of([] { (void)read(foundry_case("MPT-71b")); });
    CHECK(e.where().file == "dir/steps.yaml");
    CHECK(e.where().line == 12);  // "model:" is line 6 (cases:) + 6
    CHECK(e.where().key == "cases[0].config.model");
    CHECK_THAT(e.expected(), Contains("'MPT-71b'") && Contains("MPT-70b") && Contains("Llama 3.1 405B"));
  }
  SECTION("an unknown precision") {
    const InputError e = input_error_of([] { (void)read(foundry_case("MPT-70b", "fp4")); });
    CHECK(e.where().key == "cases[0].config.precision");
    CHECK(e.where().line == 18);
    CHECK_THAT(e.expected(), Contains("'fp4'") && Contains("amp_fp8") && Contains("float8 rowwise"));
  }
  SECTION("a missing key") {
    std::string text = foundry_case();
    text.erase(text.find("    seq_len: 2048\n"), 18);
    const InputError e = input_error_of([&] { (void)read(text); });
    CHECK(e.where().key == "cases[0].config");
    CHECK(e.where().line == 12);
    CHECK_THAT(e.expected(), Contains("seq_len"));
  }
  SECTION("an unknown key") {
    const InputError e = input_error_of([] { (void)read(foundry_case() + "  colour: blue\n"); });
    CHECK(e.where().key == "cases[0].colour");
    CHECK_THAT(e.expected(), Contains("valid keys") && Contains("hardware"));
  }
  SECTION("an unknown source") {
    std::string text = foundry_case();
    text.replace(text.find("source: foundry"), 15, "source: mlperf");
    const InputError e = input_error_of([&] { (void)read(text); });
    CHECK(e.where().key == "cases[0].source");
    CHECK_THAT(e.expected(), Contains("foundry, titan"));
  }
  SECTION("a global batch the case's own numbers contradict") {
    // 8 x 1 x 512 = 4096, not 4000
    const TrainingCaseFile f = read(foundry_case("MPT-70b", "amp_bf16", "4000"));
    const InputError e = input_error_of([&] { (void)map_case(f.cases[0]); });
    CHECK(e.where().key == "cases[0].config.global_batch_size");
    CHECK_THAT(e.expected(), Contains("8 x 1 x 512 = 4096"));
  }
  SECTION("a layout that does not multiply to the GPUs") {
    // FSDP 16 x TP 8 = 128, not 256
    const TrainingCaseFile f = read(titan_case("titan", "    fsdp: 16\n    tp: 8\n"));
    const InputError e = input_error_of([&] { (void)map_case(f.cases[0]); });
    CHECK(e.where().key == "cases[0].config.fsdp");
    CHECK_THAT(e.expected(), Contains("= 128 is not num_gpus = 256"));
  }
}

TEST_CASE("an outcome survives its text form", "[training]") {
  TrainingOutcome o;
  o.step_time_s = 0.1234567890123;
  o.tokens_per_s_per_gpu = 45455.5;
  o.compute_s = 0.1;
  o.idle_s = 0.002;
  o.bubble_fraction = 0.25;
  o.exposed_comm_s = {{"tp", 0.01}, {"dp", 0.02}};
  o.hbm_peak_bytes = 8.5e10;
  o.hbm_capacity_bytes = 8e10;
  o.oom_events = 3;
  o.reduced = true;
  const TrainingOutcome b = decode_outcome(encode_outcome(o));
  CHECK(b.step_time_s == o.step_time_s);
  CHECK(b.tokens_per_s_per_gpu == o.tokens_per_s_per_gpu);
  CHECK(b.exposed_comm_s == o.exposed_comm_s);
  CHECK(b.oom_events == 3);
  CHECK(b.reduced);
}

TEST_CASE("the summary: medians of |error| per source and overall, the worst case, the bias", "[training]") {
  const TrainingCaseFile f = read(foundry_case() + titan_case("t1") + titan_case("t2"));
  // Measured 1007, 829, 829. Predicted 1107.7 (+10%), 663.2 (-20%), 1077.7 (+30%).
  auto outcome = [](double tps) {
    TrainingOutcome o;
    o.tokens_per_s_per_gpu = tps;
    return o;
  };
  std::vector<TrainingCaseResult> rs;
  rs.push_back(judge_case(f.cases[0], map_case(f.cases[0]), outcome(1107.7), ""));
  rs.push_back(judge_case(f.cases[1], map_case(f.cases[1]), outcome(663.2), ""));
  rs.push_back(judge_case(f.cases[2], map_case(f.cases[2]), outcome(1077.7), ""));
  CHECK(rs[0].error == Approx(0.10));
  CHECK(rs[1].error == Approx(-0.20));
  const TrainingSummary s = summarize(rs, f.sources);
  CHECK(s.compared == 3);
  CHECK(s.median_abs_error == Approx(0.20));  // |errors| 0.1, 0.2, 0.3
  REQUIRE(s.per_source.size() == 2);
  CHECK(s.per_source[0].median_abs_error == Approx(0.10));
  CHECK(s.per_source[1].median_abs_error == Approx(0.25));  // (0.2 + 0.3) / 2
  CHECK(s.optimistic == 2);
  CHECK(s.pessimistic == 1);
  REQUIRE(s.worst != nullptr);
  CHECK(s.worst->c->id == "t2");
  const std::string table = training_validation_table(rs, s, 0.10);
  CHECK_THAT(table, Contains("PAST BUDGET") && Contains("worst: t2 +30.0%"));
}

TEST_CASE("AsyncTP named in the technique turns on the TP overlap", "[training]") {
  // torchtitan's T4 table writes "2D + AsyncTP" as the technique and leaves it out of the precision.
  std::string text = titan_case();
  text.replace(text.find("2D (FSDP32 TP8)"), 15, "2D + AsyncTP");
  const TrainingMapping m = map_case(read(text).cases[0]);
  CHECK(override_of(m, "workload.options.overlap_tp_comm") == "true");
}
