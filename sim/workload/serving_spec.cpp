// racksim sim/workload: reading the inference_serving workload (serving_spec.hpp). The key rows
// are here (serving_keys); the model's are the training generator's (transformer_keys), the
// requests' are request_keys() (requests.cpp).
#include "sim/workload/serving_spec.hpp"

#include "sim/workload/training_generator.hpp"

#include <fmt/format.h>

namespace racksim {

namespace {

const std::vector<std::string> kServing{"inference_serving"};

KeyTable build_serving_keys() {
  constexpr std::int64_t max_degree = 1 << 16;
  return KeyTable(
      "workload",
      {
          KeySpec("workload.dtypes").as_map().optional().for_kinds(kServing)
              .describe("Precisions of the weights, the activations (GEMMs) and the KV cache"),
          KeySpec("workload.instance").as_map().optional().for_kinds(kServing)
              .describe("One serving instance's layout: {tp, pp, ep} (not with `disaggregation`)"),
          KeySpec("workload.instances").integer(1, 1 << 24).default_is("as many as the cluster holds").for_kinds(kServing)
              .describe("Serving instances (not with `disaggregation`)"),
          KeySpec("workload.disaggregation").as_map().optional().for_kinds(kServing)
              .describe("Separate prefill and decode instances: {prefill, decode}, each {instances, tp, pp, ep}"),
          KeySpec("workload.scheduler").as_map().optional().for_kinds(kServing)
              .describe("The iteration-level scheduler (vLLM semantics)"),
          KeySpec("workload.slo").as_map().optional().for_kinds(kServing)
              .describe("Latency objectives for goodput: {ttft, tpot}"),

          KeySpec("workload.dtypes.weights").text().with_note(" (a precision)").default_value("bf16")
              .describe("Bytes per weight read from HBM"),
          KeySpec("workload.dtypes.activations").text().with_note(" (a precision)").default_value("bf16")
              .describe("The GEMMs' compute precision (fp8 weights with bf16 activations run at bf16)"),
          KeySpec("workload.dtypes.kv_cache").text().with_note(" (a precision)").default_value("bf16")
              .describe("Bytes per cached key or value element"),

          KeySpec("workload.instance.tp").integer(1, max_degree).default_value("1").describe("Tensor-parallel GPUs per stage"),
          KeySpec("workload.instance.pp").integer(1, max_degree).default_value("1").describe("Pipeline stages"),
          KeySpec("workload.instance.ep").integer(1, max_degree).default_value("1")
              .describe("MoE: GPUs of a stage the experts are spread over (divides tp)"),

          KeySpec("workload.disaggregation.prefill").as_map().required().describe("The prefill instances"),
          KeySpec("workload.disaggregation.decode").as_map().required().describe("The decode instances"),
          KeySpec("workload.disaggregation.prefill.instances").integer(1, 1 << 24).required().describe("Prefill instances"),
          KeySpec("workload.disaggregation.prefill.tp").integer(1, max_degree).default_value("1").describe("Tensor-parallel GPUs"),
          KeySpec("workload.disaggregation.prefill.pp").integer(1, max_degree).default_value("1").describe("Pipeline stages"),
          KeySpec("workload.disaggregation.prefill.ep").integer(1, max_degree).default_value("1").describe("Expert-parallel GPUs"),
          KeySpec("workload.disaggregation.decode.instances").integer(1, 1 << 24).required().describe("Decode instances"),
          KeySpec("workload.disaggregation.decode.tp").integer(1, max_degree).default_value("1").describe("Tensor-parallel GPUs"),
          KeySpec("workload.disaggregation.decode.pp").integer(1, max_degree).default_value("1").describe("Pipeline stages"),
          KeySpec("workload.disaggregation.decode.ep").integer(1, max_degree).default_value("1").describe("Expert-parallel GPUs"),

          KeySpec("workload.scheduler.max_batch_tokens").integer(1, 1 << 24).default_value("8192")
              .describe("Tokens per iteration (vLLM max_num_batched_tokens)"),
          KeySpec("workload.scheduler.max_num_seqs").integer(1, 1 << 20).default_value("256")
              .describe("Sequences per iteration"),
          KeySpec("workload.scheduler.chunked_prefill").flag().default_value("true")
              .describe("Prompts split over iterations beside decodes; false: whole prompts in prefill-only iterations"),
          KeySpec("workload.scheduler.block_tokens").integer(1, 1 << 16).default_value("16")
              .describe("Tokens per KV-cache block"),
          KeySpec("workload.scheduler.memory_fraction").fraction().default_value("0.9")
              .describe("Share of HBM the server may use (vLLM gpu_memory_utilization)"),
          KeySpec("workload.scheduler.kv_cache_fraction").fraction().optional()
              .describe("The KV cache's share of the HBM left after the weights and activations (TensorRT-LLM's "
                        "kv_cache_free_gpu_mem_fraction); instead of memory_fraction's rule"),
          KeySpec("workload.scheduler.kv_reservation").one_of({"on_demand", "whole_request"}).default_value("on_demand")
              .describe("KV blocks taken as tokens are written, preempting when full (vLLM), or a request's whole "
                        "prompt + output reserved when it is admitted (TensorRT-LLM's GUARANTEED_NO_EVICT)"),
          KeySpec("workload.scheduler.routing").one_of({"round_robin", "least_loaded"}).default_value("round_robin")
              .describe("Which instance a request goes to"),
          KeySpec("workload.scheduler.iteration_overhead").quantity(UnitFamily::Seconds).at_least(0.0).at_most(10.0)
              .default_value("0 s").describe("Host time per iteration beside the GPUs' (scheduling, sampling)"),
          KeySpec("workload.scheduler.sequence_overhead").quantity(UnitFamily::Seconds).at_least(0.0).at_most(1.0)
              .default_value("0 s").describe("Host time per iteration per scheduled sequence (its sampling, bookkeeping)"),

          KeySpec("workload.slo.ttft").quantity(UnitFamily::Seconds).above(0.0).at_most(1e6).optional()
              .describe("Time to first token a request must meet"),
          KeySpec("workload.slo.tpot").quantity(UnitFamily::Seconds).above(0.0).at_most(1e6).optional()
              .describe("Time per output token (after the first) a request must meet"),
      });
}

Precision read_precision(MapReader& r, const std::string& key, const GpuSpec& gpu, bool computes) {
  const ConfigNode n = *r.value(key);
  const auto p = precision_from_string(n.as_string());
  if (!p) n.fail(fmt::format("a precision ({})", precision_names()));
  if (computes && !gpu.peak(*p))
    n.fail(fmt::format("a precision GPU '{}' computes in (it has no {} rate)", gpu.id, to_string(*p)));
  return *p;
}

InstanceLayout read_layout(MapReader& r) {
  InstanceLayout l;
  l.tp = *r.integer("tp");
  l.pp = *r.integer("pp");
  l.ep = *r.integer("ep");
  return l;
}

ServingPool read_pool(const ConfigNode& n, const std::string& map) {
  MapReader r(n, serving_keys(), map);
  ServingPool p;
  p.instances = *r.integer("instances");
  p.layout = read_layout(r);
  p.where = n.location();
  r.finish();
  return p;
}

}  // namespace

const KeyTable& serving_keys() {
  static const KeyTable t = build_serving_keys();
  return t;
}

ServingSpec read_serving_spec(MapReader& wm, const GpuSpec& gpu, const std::string& base_dir, const std::string& data_dir) {
  ServingSpec s;
  s.where = wm.node().location();
  s.model = read_transformer_model(wm.required("model"), data_dir);

  auto section = [&](const char* key) { return section_or_empty(wm.optional(key), wm.node(), key); };
  {
    MapReader r(section("dtypes"), serving_keys(), "workload.dtypes");
    s.precision.weights = read_precision(r, "weights", gpu, false);
    s.precision.activations = read_precision(r, "activations", gpu, true);
    s.precision.kv_cache = read_precision(r, "kv_cache", gpu, false);
    r.finish();
  }
  const auto inst = wm.optional("instance");
  const auto count = wm.optional("instances");
  if (auto dn = wm.optional("disaggregation")) {
    if (inst) inst->fail("no 'instance' with 'disaggregation' (give each pool's layout there)");
    if (count) count->fail("no 'instances' with 'disaggregation' (give each pool's count there)");
    MapReader r(*dn, serving_keys(), "workload.disaggregation");
    s.prefill = read_pool(r.required("prefill"), "workload.disaggregation.prefill");
    s.decode = read_pool(r.required("decode"), "workload.disaggregation.decode");
    r.finish();
  } else {
    MapReader r(section("instance"), serving_keys(), "workload.instance");
    s.pool.layout = read_layout(r);
    s.pool.where = inst ? inst->location() : s.where;
    r.finish();
    if (count) s.pool.instances = count->as_int(1, 1 << 24);
  }
  {
    MapReader r(section("scheduler"), serving_keys(), "workload.scheduler");
    s.max_batch_tokens = *r.integer("max_batch_tokens");
    s.max_num_seqs = *r.integer("max_num_seqs");
    s.chunked_prefill = *r.flag("chunked_prefill");
    s.block_tokens = *r.integer("block_tokens");
    s.memory_fraction = *r.number("memory_fraction");
    s.kv_cache_fraction = r.number("kv_cache_fraction");
    s.reserve_whole = *r.text("kv_reservation") == "whole_request";
    s.least_loaded = *r.text("routing") == "least_loaded";
    s.iteration_overhead_s = *r.number("iteration_overhead");
    s.sequence_overhead_s = *r.number("sequence_overhead");
    r.finish();
  }
  if (auto sn = wm.optional("slo")) {
    MapReader r(*sn, serving_keys(), "workload.slo");
    s.ttft_slo_s = r.number("ttft");
    s.tpot_slo_s = r.number("tpot");
    r.finish();
  }
  s.requests = read_request_spec(wm.required("requests"), base_dir);
  return s;
}

}  // namespace racksim
