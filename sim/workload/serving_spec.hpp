// racksim sim/workload: the inference-serving workload of a scenario (workload: {kind:
// inference_serving}, docs/inference.md) read into a typed ServingSpec: the model, its
// precisions, the instances and their layout (or a disaggregated pair of prefill and decode
// pools), the scheduler's settings, the requests (sim/workload/requests.hpp) and the SLOs.
//
// Scenario form (docs/inference.md "Scenario keys" has every key):
//   workload:
//     kind: inference_serving
//     model: {preset: llama3-70b} | {hidden, layers, ...}     # as for transformer_training
//     dtypes: {weights: fp8, activations: fp8, kv_cache: fp8}   # each defaults to bf16
//     instance: {tp: 8, pp: 1, ep: 1}                         # one serving instance's GPUs
//     instances: 9                                            # default: as many as the cluster holds
//     disaggregation: {prefill: {instances, tp, pp, ep}, decode: {instances, tp, pp, ep}}   # instead
//     scheduler: {max_batch_tokens, max_num_seqs, chunked_prefill, block_tokens, memory_fraction,
//                 kv_reservation: on_demand | whole_request, routing: round_robin | least_loaded,
//                 iteration_overhead}
//     requests: {...}                                         # sim/workload/requests.hpp
//     slo: {ttft, tpot}                                       # optional: goodput counts requests meeting both
#pragma once

#include "core/key_table.hpp"
#include "core/yaml_doc.hpp"
#include "models/gpu.hpp"
#include "models/serving.hpp"
#include "models/transformer.hpp"
#include "sim/workload/requests.hpp"

#include <optional>
#include <string>

namespace racksim {

// A set of identical serving instances.
struct ServingPool {
  std::int64_t instances = 0;   // 0: as many as the cluster holds (not disaggregated only)
  InstanceLayout layout;
  Location where;
};

struct ServingSpec {
  TransformerShape model;
  ServingPrecision precision;
  ServingPool pool;                       // not disaggregated: every instance
  std::optional<ServingPool> prefill;     // disaggregated: the prefill instances (placed first)
  std::optional<ServingPool> decode;      //                and the decode instances after them
  std::int64_t max_batch_tokens = 8192;
  std::int64_t max_num_seqs = 256;
  bool chunked_prefill = true;
  std::int64_t block_tokens = 16;
  double memory_fraction = 0.9;
  std::optional<double> kv_cache_fraction;  // of the HBM left after weights and activations (TensorRT-LLM)
  bool reserve_whole = false;             // kv_reservation: whole_request (TensorRT-LLM), else on_demand (vLLM)
  bool least_loaded = false;              // routing: least_loaded, else round_robin
  double iteration_overhead_s = 0.0;      // host-side time per iteration (scheduling, sampling, detokenizing)
  double sequence_overhead_s = 0.0;       // host-side time per iteration per scheduled sequence
  std::optional<double> ttft_slo_s, tpot_slo_s;
  RequestSpec requests;
  Location where;
  [[nodiscard]] bool disaggregated() const { return prefill.has_value(); }
};

// The key rows of kind inference_serving (except workload.model.*, shared with
// transformer_training, and workload.requests.*, request_keys()).
[[nodiscard]] const KeyTable& serving_keys();

// Reads the kind's keys of a scenario's workload map (kind already read). `gpu` checks that it
// has a rate for the activations' precision and stores the KV cache's and weights' formats.
[[nodiscard]] ServingSpec read_serving_spec(MapReader& wm, const GpuSpec& gpu, const std::string& base_dir,
                                            const std::string& data_dir);

}  // namespace racksim
