// racksim validate --inference's pure part (sim/studies/inference_cases.hpp, docs/validation.md
// "Inference cases"): reading kind: inference cases strictly, mapping each onto inference_serving
// scenario overrides, the outcome's text form, the judgement and the summary. The cases are
// written as ../shared/reference/inference-measurements.yaml writes them; every expected value is
// derived from the case's own text and the documented rules in a comment.
#include "sim/studies/inference_cases.hpp"

#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <string>
#include <vector>

using namespace racksim;
using racksim::test::input_error_of;
using Catch::Matchers::Contains;

namespace {

const char* kMeta = "meta:\n"
                    "  title: t\n"
                    "  sources:\n"
                    "    trtllm:\n"
                    "      repo: NVIDIA/TensorRT-LLM\n"
                    "      notes: trtllm-bench throughput\n"
                    "    oci: Oracle blog\n"
                    "    dstack: dstack benchmarks\n"
                    "cases:\n";

// A trtllm-bench case (the TRT-LLM 0.17 perf-overview table).
std::string trt_case(const std::string& id = "trt_70b_h200_tp2", const std::string& hardware = "2x NVIDIA H200 141GB HBM3e (SXM)",
                     int gpus = 2, const std::string& tp = "2", const std::string& model = "Llama 3.1 70B (dense, GQA)",
                     int isl = 1000, int osl = 1000) {
  return "- id: " + id + "\n"
         "  kind: inference\n"
         "  hardware: " + hardware + "\n"
         "  num_gpus: " + std::to_string(gpus) + "\n"
         "  config:\n"
         "    model: " + model + "\n"
         "    precision: fp8 weights/activations + fp8 KV cache (trtllm-bench build --quantization FP8)\n"
         "    tp: " + tp + "\n"
         "    pp: 1\n"
         "    framework: TensorRT-LLM 0.17 (trtllm-bench, TensorRT engine flow)\n"
         "    input_tokens: " + std::to_string(isl) + "\n"
         "    output_tokens: " + std::to_string(osl) + "\n"
         "    request_mix: synthetic fixed lengths (stdev 0), all requests queued at t=0 (infinite rate), max-throughput;\n"
         "      num_requests per doc table\n"
         "    batching: in-flight batching; max_batch_size/max_num_tokens from trtllm-bench build heuristics (not\n"
         "      published); kv_cache_free_gpu_mem_fraction 0.95 in the majority of cases\n"
         "  metric: output_tokens_per_s\n"
         "  value: 5164.76\n"
         "  unit: tokens/s (generated tokens, whole TP group)\n"
         "  derived: per-GPU = value / tp (not stored)\n"
         "  source: trtllm\n"
         "  confidence: high\n";
}

// An OCI benchmark_latency.py static batch on MI300X.
std::string oci_latency_case(int batch = 512) {
  return "- id: oci_latency_bs" + std::to_string(batch) + "\n"
         "  kind: inference\n"
         "  hardware: 8x AMD Instinct MI300X 192GB (OCI BM.GPU.MI300X.8)\n"
         "  num_gpus: 8\n"
         "  config:\n"
         "    model: Llama 3.1 405B (dense, GQA)\n"
         "    precision: fp8 (model checkpoint not named)\n"
         "    tp: 8 (all eight GPUs serve one instance; TP degree implied, not stated)\n"
         "    framework: vLLM (ROCm; version not stated) benchmarks/benchmark_latency.py\n"
         "    input_tokens: 128\n"
         "    output_tokens: 128\n"
         "    batch_size: " + std::to_string(batch) + "\n"
         "    request_mix: static batch of batch_size prompts, 128 in / 128 out; average latency per batch\n"
         "  metric: e2e_latency_s\n"
         "  value: 17.75\n"
         "  unit: s (average end-to-end latency of the whole batch)\n"
         "  also:\n"
         "    output_tokens_per_s: 1846\n"
         "  source: oci\n"
         "  confidence: high\n";
}

// An OCI benchmark_throughput.py run, its number of prompts not stated.
std::string oci_throughput_case() {
  return "- id: oci_throughput_128_2048\n"
         "  kind: inference\n"
         "  hardware: 8x AMD Instinct MI300X 192GB (OCI BM.GPU.MI300X.8)\n"
         "  num_gpus: 8\n"
         "  config:\n"
         "    model: Llama 3.1 405B (dense, GQA)\n"
         "    precision: fp8\n"
         "    tp: 8 (implied)\n"
         "    framework: vLLM (ROCm; version not stated) benchmarks/benchmark_throughput.py\n"
         "    input_tokens: 128\n"
         "    output_tokens: 2048\n"
         "    request_mix: offline throughput run (generation heavy); number of prompts not stated\n"
         "  metric: output_tokens_per_s\n"
         "  value: 2794\n"
         "  unit: tokens/s\n"
         "  source: oci\n"
         "  confidence: medium\n";
}

// A dstack benchmark_throughput.py run with --max-model-len in its request mix.
std::string dstack_offline_case(const std::string& hardware = "8x AMD Instinct MI300X 192GB (bare metal; host not named in this README)",
                                const std::string& precision = "fp8 checkpoint amd/Llama-3.1-405B-Instruct-FP8-KV (FP8 with KV-cache scales, per its name;\n"
                                                               "      kv dtype flag not shown)") {
  return "- id: dstack_405b_tp8_2048_2048_n64\n"
         "  kind: inference\n"
         "  hardware: " + hardware + "\n"
         "  num_gpus: 8\n"
         "  config:\n"
         "    model: Llama 3.1 405B (dense, GQA)\n"
         "    precision: " + precision + "\n"
         "    tp: 8\n"
         "    pp: 1\n"
         "    framework: vLLM 0.6.4.dev4+gc9fc1608 (ROCm 6.2.41133), --num-scheduler-steps 1, --enforce-eager\n"
         "    input_tokens: 2048\n"
         "    output_tokens: 2048\n"
         "    num_prompts: 64\n"
         "    request_mix: 'vLLM benchmarks/benchmark_throughput.py: 64 prompts of exactly 2048 input tokens, 2048\n"
         "      output tokens, all submitted at once (offline); --max-model-len 91680'\n"
         "  metric: total_tokens_per_s\n"
         "  value: 2091.2\n"
         "  unit: tokens/s (input + output tokens / elapsed time)\n"
         "  also:\n"
         "    elapsed_time_s: 125.36\n"
         "  derived: output_tokens_per_s = requests_per_s x output_len (derived here); value rounded to 0.1\n"
         "  source: dstack\n"
         "  source_path: comparison/h100sxm5_vs_mi300x/csv_data/throughput_comparsion.csv\n"
         "  confidence: medium\n"
         "  notes: MI300X run used --enforce-eager (no HIP graphs)\n";
}

// A dstack benchmark_serving.py ShareGPT run at 16 req/s.
std::string sharegpt_case() {
  return "- id: dstack_405b_h100_tp8_sharegpt_qps16\n"
         "  kind: inference\n"
         "  hardware: 8x NVIDIA H100 80GB HBM3 SXM5\n"
         "  num_gpus: 8\n"
         "  config:\n"
         "    model: Llama 3.1 405B (dense, GQA)\n"
         "    precision: fp8 (meta-llama/Llama-3.1-405B-FP8)\n"
         "    tp: 8\n"
         "    pp: 1\n"
         "    framework: vLLM 0.6.3.post2.dev308 (chunked prefill on, max-num-batched-tokens 512, max-num-seqs 512)\n"
         "    request_rate_qps: 16\n"
         "    num_requests: 1000\n"
         "    total_input_tokens: 215196\n"
         "    total_output_tokens: 120689\n"
         "    request_mix: vLLM benchmark_serving.py, ShareGPT_V3 dataset, 1000 prompts, Poisson arrivals at 16\n"
         "      req/s\n"
         "  metric: tpot_mean_ms\n"
         "  value: 106.5\n"
         "  unit: ms\n"
         "  also:\n"
         "    ttft_mean_ms: 1486.4\n"
         "  source: dstack\n"
         "  confidence: medium\n";
}

InferenceCaseFile read(const std::string& cases) {
  return read_inference_cases_text(std::string(kMeta) + cases, "dir/inference.yaml");
}

std::string override_of(const InferenceMapping& m, const std::string& key) {
  for (const auto& [k, v] : m.overrides)
    if (k == key) return v;
  return "<absent>";
}

bool says(const InferenceMapping& m, const std::string& text) {
  for (const auto& a : m.approximations)
    if (a.find(text) != std::string::npos) return true;
  return false;
}

// E[clamp(exp(N(ln median, sigma^2)), lo, hi)] by the trapezoid rule over z in [-12, 12]: an
// independent check of lognormal_median_for_mean's closed form.
double clamped_mean_numeric(double median, double sigma, double lo, double hi) {
  const int n = 200000;
  const double a = -12.0, b = 12.0, h = (b - a) / n;
  double sum = 0.0;
  for (int i = 0; i <= n; ++i) {
    const double z = a + h * i;
    const double x = std::min(hi, std::max(lo, median * std::exp(sigma * z)));
    const double w = (i == 0 || i == n) ? 0.5 : 1.0;
    sum += w * x * std::exp(-0.5 * z * z);
  }
  return sum * h / std::sqrt(2.0 * M_PI);
}

}  // namespace

TEST_CASE("an inference cases file is read with every key of its cases", "[inference]") {
  const InferenceCaseFile f = read(trt_case() + oci_latency_case() + sharegpt_case());
  REQUIRE(f.sources.size() == 3);
  CHECK(f.sources[0].first == "trtllm");
  CHECK(f.sources[0].second == "repo: NVIDIA/TensorRT-LLM; notes: trtllm-bench throughput");  // a map of texts, joined
  CHECK(f.sources[1].second == "Oracle blog");
  REQUIRE(f.cases.size() == 3);
  const InferenceCase& a = f.cases[0];
  CHECK(a.id == "trt_70b_h200_tp2");
  CHECK(a.where.line == 10);  // the case's map starts on the line after "cases:" (line 9)
  CHECK(a.num_gpus == 2);
  CHECK(a.config.tp == 2);
  CHECK(a.config.tp_note.empty());
  CHECK(a.config.pp == 1);
  CHECK(a.config.input_tokens == 1000);
  CHECK(a.config.output_tokens == 1000);
  CHECK_THAT(a.config.batching, Contains("kv_cache_free_gpu_mem_fraction 0.95"));
  CHECK(a.metric == "output_tokens_per_s");
  CHECK(a.value == 5164.76);
  CHECK(a.derived == "per-GPU = value / tp (not stored)");
  const InferenceCase& b = f.cases[1];
  CHECK(b.config.tp == 8);
  CHECK(b.config.tp_note == "(all eight GPUs serve one instance; TP degree implied, not stated)");
  CHECK_FALSE(b.config.pp);
  CHECK(b.config.batch_size == 512);
  REQUIRE(b.also.size() == 1);
  CHECK(b.also[0] == std::pair<std::string, double>("output_tokens_per_s", 1846.0));
  const InferenceCase& c = f.cases[2];
  CHECK(c.config.request_rate_qps == 16.0);
  CHECK(c.config.num_requests == 1000);
  CHECK(c.config.total_input_tokens == 215196);
  CHECK(c.config.total_output_tokens == 120689);
  CHECK_FALSE(c.config.input_tokens);
}

TEST_CASE("a trtllm-bench case maps onto one fp8 instance of the H200 node with TensorRT-LLM's scheduler", "[inference]") {
  const InferenceCaseFile f = read(trt_case());
  const InferenceMapping m = map_case(f.cases[0]);
  REQUIRE(m.expressible());
  // "fp8 weights/activations + fp8 KV cache": all three fp8. tp 2 of the 8-GPU HGX H200 node: one
  // instance. TensorRT-LLM: max_num_tokens 8192 and max_batch_size 2048 (assumed), chunked context,
  // 64-token blocks, kv_cache_free_gpu_mem_fraction 0.95 of what the weights and activations leave
  // of the whole HBM (memory_fraction 1, kv_cache_fraction 0.95), the capacity policy
  // GUARANTEED_NO_EVICT (kv_reservation whole_request). 1000/1000 is in trtllm-bench's table:
  // 3000 requests, all at t = 0.
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"workload.kind", "inference_serving"},
      {"workload.model.preset", "llama3-70b"},
      {"workload.dtypes.weights", "fp8"},
      {"workload.dtypes.activations", "fp8"},
      {"workload.dtypes.kv_cache", "fp8"},
      {"workload.instance.tp", "2"},
      {"workload.instance.pp", "1"},
      {"workload.instance.ep", "1"},
      {"workload.instances", "1"},
      {"workload.scheduler.max_batch_tokens", "8192"},
      {"workload.scheduler.max_num_seqs", "2048"},
      {"workload.scheduler.chunked_prefill", "true"},
      {"workload.scheduler.block_tokens", "64"},
      {"workload.scheduler.memory_fraction", "1"},
      {"workload.scheduler.kv_cache_fraction", "0.95"},
      {"workload.scheduler.kv_reservation", "whole_request"},
      {"workload.requests.arrival", "offline"},
      {"workload.requests.count", "3000"},
      {"workload.requests.input.dist", "fixed"},
      {"workload.requests.input.tokens", "1000"},
      {"workload.requests.output.dist", "fixed"},
      {"workload.requests.output.tokens", "1000"},
      {"cluster.system", "hgx-h200"},
      {"cluster.domains", "1"},
      {"cluster.scale_out.kind", "none"},
  };
  CHECK(m.overrides == expected);
  CHECK(m.system == "hgx-h200");
  CHECK(m.gpus == 2);
  CHECK(m.requests == 3000);
  // Each assumption is named: the scheduler's sizes, the memory fraction, the request count.
  REQUIRE(m.approximations.size() == 3);
  CHECK_THAT(m.approximations[0], Contains("8192 tokens and 2048 sequences"));
  CHECK_THAT(m.approximations[1], Contains("kv_cache_free_gpu_mem_fraction 0.95 of the memory left after the weights"));
  CHECK_THAT(m.approximations[1], Contains("GUARANTEED_NO_EVICT"));
  CHECK_THAT(m.approximations[2], Contains("3000 requests: trtllm-bench's num_requests for 1000/1000"));
}

TEST_CASE("the hardware strings map onto the catalog's 8-GPU systems", "[inference]") {
  // H100 (with or without "(SXM)" or a VM note), H200, MI300X; Mixtral 8x7B and 8x22B onto their
  // presets, experts split over the tp GPUs.
  const InferenceMapping h100 = map_case(read(trt_case("a", "8x NVIDIA H100 80GB HBM3 SXM5 (KVM VM, 2x Xeon 8480+)", 8, "8",
                                                       "Mixtral 8x22B (MoE, 8 experts top-2)"))
                                             .cases[0]);
  REQUIRE(h100.expressible());
  CHECK(override_of(h100, "cluster.system") == "hgx-h100");
  CHECK(override_of(h100, "workload.model.preset") == "mixtral-8x22b");
  CHECK(override_of(h100, "workload.instance.ep") == "1");
  CHECK(says(h100, "expert sharding not stated"));
  const InferenceMapping one = map_case(read(trt_case("b", "1x NVIDIA H100 80GB HBM3 (SXM)", 1, "1",
                                                      "Mixtral 8x7B (MoE, 8 experts top-2)"))
                                            .cases[0]);
  CHECK(override_of(one, "workload.model.preset") == "mixtral-8x7b");
  CHECK(override_of(one, "workload.instance.tp") == "1");
  CHECK(override_of(one, "workload.instances") == "1");  // 1 of the node's 8 GPUs serves
  const InferenceMapping mi = map_case(read(oci_throughput_case()).cases[0]);
  CHECK(override_of(mi, "cluster.system") == "mi300x-platform");
}

TEST_CASE("trtllm-bench's request counts: its table, else by ISL + OSL", "[inference]") {
  CHECK(trtllm_bench_requests(1000, 1000) == 3000);
  CHECK(trtllm_bench_requests(2048, 128) == 3000);
  CHECK(trtllm_bench_requests(128, 2048) == 3000);
  CHECK(trtllm_bench_requests(20000, 2000) == 1000);
  CHECK(trtllm_bench_requests(128, 128) == 30000);
  CHECK(trtllm_bench_requests(1000, 2000) == 1500);  // 3000 tokens, in the table
  CHECK(trtllm_bench_requests(100, 100) == 30000);   // not in it: 200 <= 256
  CHECK(trtllm_bench_requests(1024, 1024) == 3000);  // 2048 <= 2500
  CHECK(trtllm_bench_requests(4000, 1000) == 1500);  // 5000 <= 5500
  CHECK(trtllm_bench_requests(8000, 1000) == 1000);
}

TEST_CASE("a vLLM static batch: one offline batch, max_num_seqs at least the batch, chunked prefill off", "[inference]") {
  const InferenceMapping m = map_case(read(oci_latency_case(512)).cases[0]);
  REQUIRE(m.expressible());
  // "fp8 (model checkpoint not named)": weights and activations fp8, KV cache the model's dtype.
  CHECK(override_of(m, "workload.dtypes.weights") == "fp8");
  CHECK(override_of(m, "workload.dtypes.activations") == "fp8");
  CHECK(override_of(m, "workload.dtypes.kv_cache") == "bf16");
  CHECK(override_of(m, "workload.instance.tp") == "8");
  // vLLM's max_num_seqs 256 raised to the batch of 512; no chunking, so max_num_batched_tokens =
  // max(max_model_len, 2048) with max_model_len Llama 3.1's 131072 (no --max-model-len given).
  CHECK(override_of(m, "workload.scheduler.max_num_seqs") == "512");
  CHECK(override_of(m, "workload.scheduler.chunked_prefill") == "false");
  CHECK(override_of(m, "workload.scheduler.max_batch_tokens") == "131072");
  CHECK(override_of(m, "workload.scheduler.block_tokens") == "16");
  CHECK(override_of(m, "workload.scheduler.memory_fraction") == "0.9");
  CHECK(override_of(m, "workload.requests.arrival") == "offline");
  CHECK(override_of(m, "workload.requests.count") == "512");
  CHECK(override_of(m, "workload.requests.input.tokens") == "128");
  CHECK(override_of(m, "workload.requests.output.tokens") == "128");
  CHECK(override_of(m, "workload.requests.seed") == "<absent>");  // nothing random
  CHECK(says(m, "KV cache bf16"));
  CHECK(says(m, "tp 8 (all eight GPUs serve one instance; TP degree implied, not stated): taken as stated"));
  CHECK(says(m, "max_num_seqs 512 (the default 256 raised to the batch)"));
  CHECK(says(m, "chunked prefill off (the benchmark script's default; not stated); max_num_batched_tokens = max(max_model_len "
                "131072 (the model's context; not stated), 2048) = 131072"));
  // A batch under 256 keeps vLLM's 256.
  CHECK(override_of(map_case(read(oci_latency_case(32)).cases[0]), "workload.scheduler.max_num_seqs") == "256");
}

TEST_CASE("a vLLM offline run: num_prompts, --max-model-len, an FP8-KV checkpoint", "[inference]") {
  const InferenceMapping m = map_case(read(dstack_offline_case()).cases[0]);
  REQUIRE(m.expressible());
  // amd/...-FP8-KV: the KV cache fp8 too (assumed from the name).
  CHECK(override_of(m, "workload.dtypes.kv_cache") == "fp8");
  CHECK(says(m, "FP8-KV"));
  // --max-model-len 91680 without chunking: max(91680, 2048) tokens per iteration.
  CHECK(override_of(m, "workload.scheduler.max_batch_tokens") == "91680");
  CHECK(override_of(m, "workload.scheduler.max_num_seqs") == "256");
  CHECK(override_of(m, "workload.requests.count") == "64");
  CHECK(m.requests == 64);
  CHECK(says(m, "--enforce-eager"));
  CHECK_FALSE(says(m, "multi-step"));  // --num-scheduler-steps 1 is the ordinary scheduler
  // meta-llama/Llama-3.1-405B-FP8 "(KV dtype: vLLM default)" keeps the KV cache bf16.
  const InferenceMapping meta = map_case(read(dstack_offline_case("8x NVIDIA H100 80GB HBM3 SXM5 (KVM VM, 2x Xeon 8480+, driver 550.90)",
                                                                  "'fp8 checkpoint meta-llama/Llama-3.1-405B-FP8 (KV dtype: vLLM default)'"))
                                             .cases[0]);
  CHECK(override_of(meta, "workload.dtypes.kv_cache") == "bf16");
  CHECK(override_of(meta, "cluster.system") == "hgx-h100");
  // No number of prompts: benchmark_throughput.py's default 1000, said.
  const InferenceMapping oci = map_case(read(oci_throughput_case()).cases[0]);
  CHECK(override_of(oci, "workload.requests.count") == "1000");
  CHECK(says(oci, "number of prompts not stated: 1000"));
}

TEST_CASE("a ShareGPT serving run: Poisson arrivals and lognormal lengths with the run's means", "[inference]") {
  const InferenceMapping m = map_case(read(sharegpt_case()).cases[0]);
  REQUIRE(m.expressible());
  // "chunked prefill on, max-num-batched-tokens 512, max-num-seqs 512", as stated.
  CHECK(override_of(m, "workload.scheduler.chunked_prefill") == "true");
  CHECK(override_of(m, "workload.scheduler.max_batch_tokens") == "512");
  CHECK(override_of(m, "workload.scheduler.max_num_seqs") == "512");
  CHECK(override_of(m, "workload.requests.arrival") == "poisson");
  CHECK(override_of(m, "workload.requests.rate") == "16");
  CHECK(override_of(m, "workload.requests.count") == "1000");
  CHECK(override_of(m, "workload.requests.seed") == "1");
  CHECK(override_of(m, "workload.requests.input.dist") == "lognormal");
  CHECK(override_of(m, "workload.requests.input.sigma") == "1");
  CHECK(override_of(m, "workload.requests.input.min") == "4");
  CHECK(override_of(m, "workload.requests.input.max") == "1024");
  CHECK(override_of(m, "workload.requests.output.max") == "2048");
  // The means are 215196 / 1000 = 215.196 input and 120689 / 1000 = 120.689 output tokens; the
  // medians make the clamped lognormals' means those (checked by numeric integration), and lie
  // above the unclamped mean / e^(sigma^2 / 2) (130.52 and 73.20) since the top clamp cuts the tail.
  const double in_median = std::stod(override_of(m, "workload.requests.input.median"));
  const double out_median = std::stod(override_of(m, "workload.requests.output.median"));
  CHECK(clamped_mean_numeric(in_median, 1.0, 4, 1024) == Approx(215.196).epsilon(2e-4));
  CHECK(clamped_mean_numeric(out_median, 1.0, 4, 2048) == Approx(120.689).epsilon(2e-4));
  CHECK(in_median > 215.196 / std::exp(0.5));
  CHECK(out_median > 120.689 / std::exp(0.5));
  CHECK(says(m, "lognormals of sigma 1 (assumed)"));
}

TEST_CASE("the lognormal's median for a clamped mean", "[inference]") {
  const double med = lognormal_median_for_mean(300.0, 0.5, 1.0, 1e9);
  // Without a clamp that bites, the mean is median x e^(sigma^2 / 2).
  CHECK(med == Approx(300.0 / std::exp(0.125)).epsilon(1e-6));
  CHECK(clamped_mean_numeric(lognormal_median_for_mean(50.0, 1.5, 4, 200), 1.5, 4, 200) == Approx(50.0).epsilon(1e-4));
  CHECK_THROWS_AS(lognormal_median_for_mean(5000.0, 1.0, 4, 1024), Error);  // past the top clamp
}

TEST_CASE("inference cases racksim cannot express are listed with their reasons", "[inference]") {
  std::string text = trt_case("x", "2x NVIDIA B300 288GB", 2, "2", "Llama 2 13B");
  text.replace(text.find("TensorRT-LLM 0.17"), 17, "SGLang 0.4");
  const InferenceMapping m = map_case(read(text).cases[0]);
  CHECK_FALSE(m.expressible());
  REQUIRE(m.not_expressible.size() == 3);
  CHECK_THAT(m.not_expressible[0], Contains("hardware '2x NVIDIA B300 288GB'") && Contains("AMD Instinct MI300X 192GB"));
  CHECK_THAT(m.not_expressible[1], Contains("model 'Llama 2 13B'") && Contains("Mixtral 8x22B"));
  CHECK_THAT(m.not_expressible[2], Contains("framework 'SGLang"));
  CHECK(m.overrides.empty());
}

TEST_CASE("the mapped serving scenario file holds the overrides as nested keys", "[inference]") {
  const InferenceCaseFile f = read(sharegpt_case());
  const InferenceMapping m = map_case(f.cases[0]);
  const YAML::Node y = YAML::Load(mapped_scenario_yaml(f.cases[0], m));
  CHECK(y["schema_version"].as<int>() == 1);
  CHECK(y["name"].as<std::string>() == "dstack_405b_h100_tp8_sharegpt_qps16");
  CHECK(y["workload"]["kind"].as<std::string>() == "inference_serving");
  CHECK(y["workload"]["instance"]["tp"].as<int>() == 8);
  CHECK(y["workload"]["scheduler"]["chunked_prefill"].as<bool>());
  CHECK(y["workload"]["requests"]["rate"].as<double>() == 16.0);
  CHECK(y["workload"]["requests"]["input"]["dist"].as<std::string>() == "lognormal");
  CHECK(y["cluster"]["scale_out"]["kind"].as<std::string>() == "none");
}

TEST_CASE("bad inference input names file, line, key and the valid values", "[inference]") {
  SECTION("an unknown metric") {
    std::string text = trt_case();
    text.replace(text.find("metric: output_tokens_per_s"), 27, "metric: goodput");
    const InputError e = input_error_of([&] { (void)read(text); });
    CHECK(e.where().file == "dir/inference.yaml");
    CHECK(e.where().key == "cases[0].metric");
    CHECK(e.where().line == 26);  // line 9 (cases:) + 17 (request_mix and batching take two lines each)
    CHECK_THAT(e.expected(), Contains("'goodput'") && Contains("tpot_mean_ms"));
  }
  SECTION("a unit that is not the metric's") {
    std::string text = oci_latency_case();
    text.replace(text.find("unit: s (average"), 16, "unit: ms (average");
    const InputError e = input_error_of([&] { (void)read(text); });
    CHECK(e.where().key == "cases[0].unit");
    CHECK_THAT(e.expected(), Contains("the unit of e2e_latency_s, s"));
  }
  SECTION("a missing key") {
    std::string text = trt_case();
    text.erase(text.find("    framework: "), text.find("    input_tokens") - text.find("    framework: "));
    const InputError e = input_error_of([&] { (void)read(text); });
    CHECK(e.where().key == "cases[0].config");
    CHECK(e.where().line == 15);
    CHECK_THAT(e.expected(), Contains("framework"));
  }
  SECTION("an unknown key") {
    std::string text = trt_case();
    text.replace(text.find("    pp: 1\n"), 10, "    pp: 1\n    ep: 2\n");
    const InputError e = input_error_of([&] { (void)read(text); });
    CHECK(e.where().key == "cases[0].config.ep");
    CHECK_THAT(e.expected(), Contains("valid keys") && Contains("request_rate_qps"));
  }
  SECTION("an unknown source") {
    std::string text = trt_case();
    text.replace(text.find("source: trtllm"), 14, "source: mlperf");
    const InputError e = input_error_of([&] { (void)read(text); });
    CHECK(e.where().key == "cases[0].source");
    CHECK_THAT(e.expected(), Contains("dstack, oci, trtllm"));
  }
  SECTION("a tp that is not a number") {
    const InputError e = input_error_of([] { (void)read(trt_case("t", "2x NVIDIA H200 141GB HBM3e (SXM)", 2, "two")); });
    CHECK(e.where().key == "cases[0].config.tp");
    CHECK_THAT(e.expected(), Contains("'8 (implied)'") && Contains("'two'"));
  }
  SECTION("no request lengths") {
    std::string text = trt_case();
    text.erase(text.find("    input_tokens: 1000\n"), 23);
    const InputError e = input_error_of([&] { (void)read(text); });
    CHECK(e.where().key == "cases[0].config");
    CHECK_THAT(e.expected(), Contains("'input_tokens'"));
  }
  SECTION("dataset totals without their request count") {
    std::string text = sharegpt_case();
    text.erase(text.find("    num_requests: 1000\n"), 23);
    const InputError e = input_error_of([&] { (void)read(text); });
    CHECK_THAT(e.expected(), Contains("'num_requests'"));
  }
  SECTION("a hardware count the case's num_gpus contradicts") {
    // "4x" but num_gpus 2 (and tp 2)
    const InferenceCaseFile f = read(trt_case("t", "4x NVIDIA H200 141GB HBM3e (SXM)", 2, "2"));
    const InputError e = input_error_of([&] { (void)map_case(f.cases[0]); });
    CHECK(e.where().key == "cases[0].hardware");
    CHECK_THAT(e.expected(), Contains("names 4 GPUs") && Contains("num_gpus is 2"));
  }
  SECTION("a tp x pp that is not the GPUs") {
    const InferenceCaseFile f = read(trt_case("t", "2x NVIDIA H200 141GB HBM3e (SXM)", 2, "4"));
    const InputError e = input_error_of([&] { (void)map_case(f.cases[0]); });
    CHECK(e.where().key == "cases[0].config.tp");
    CHECK_THAT(e.expected(), Contains("4 x 1 = 4 is not num_gpus = 2"));
  }
}

TEST_CASE("an inference outcome survives its text form", "[inference]") {
  InferenceOutcome o;
  o.requests = 3000;
  o.finished = 2999;
  o.duration_s = 581.123456789012;
  o.output_tokens_per_s = 5164.5;
  o.total_tokens_per_s = 10329.0;
  o.requests_per_s = 5.16;
  o.ttft_mean_s = 0.5;
  o.ttft_p99_s = 1.5;
  o.tpot_mean_s = 0.0312;
  o.tpot_p99_s = 0.04;
  o.e2e_mean_s = 31.7;
  o.e2e_max_s = 580.0;
  o.mean_decode_batch = 187.25;
  o.preemptions = 12;
  const InferenceOutcome b = decode_inference_outcome(encode_outcome(o));
  CHECK(b.requests == 3000);
  CHECK(b.finished == 2999);
  CHECK(b.duration_s == o.duration_s);
  CHECK(b.tpot_mean_s == o.tpot_mean_s);
  CHECK(b.e2e_max_s == 580.0);
  CHECK(b.mean_decode_batch == 187.25);
  CHECK_FALSE(b.kv_capacity_tokens);  // absent stays absent
  CHECK(b.preemptions == 12);
  CHECK_THROWS_AS(decode_inference_outcome("colour 1\n"), Error);
}

TEST_CASE("the prediction is the metric's quantity of the run, in the metric's unit", "[inference]") {
  InferenceOutcome o;
  o.output_tokens_per_s = 1000.0;
  o.total_tokens_per_s = 2000.0;
  o.e2e_mean_s = 10.0;
  o.e2e_max_s = 17.0;
  o.tpot_mean_s = 0.1065;
  CHECK(predicted_value("output_tokens_per_s", o) == 1000.0);
  CHECK(predicted_value("total_tokens_per_s", o) == 2000.0);
  CHECK(predicted_value("e2e_latency_s", o) == 17.0);  // the batch's end, not the mean request
  CHECK(predicted_value("tpot_mean_ms", o) == Approx(106.5));
}

TEST_CASE("the summary: medians of |error| per source and overall, the worst case, the bias by metric", "[inference]") {
  const InferenceCaseFile f = read(trt_case() + oci_latency_case() + sharegpt_case());
  // Measured: 5164.76 tokens/s, 17.75 s, 106.5 ms.
  // Predicted: 5681.236 tokens/s (+10%: more throughput, optimistic), 21.3 s (+20%: slower,
  // pessimistic), 95.85 ms (-10%: faster, optimistic).
  InferenceOutcome a, b, c;
  a.output_tokens_per_s = 5681.236;
  b.e2e_max_s = 21.3;
  c.tpot_mean_s = 0.09585;
  std::vector<InferenceCaseResult> rs;
  rs.push_back(judge_case(f.cases[0], map_case(f.cases[0]), a, ""));
  rs.push_back(judge_case(f.cases[1], map_case(f.cases[1]), b, ""));
  rs.push_back(judge_case(f.cases[2], map_case(f.cases[2]), c, ""));
  CHECK(rs[0].error == Approx(0.10));
  CHECK(rs[1].error == Approx(0.20));
  CHECK(rs[2].error == Approx(-0.10));
  CHECK(rs[0].optimistic());
  CHECK_FALSE(rs[1].optimistic());
  CHECK(rs[2].optimistic());
  const InferenceSummary s = summarize(rs, f.sources);
  CHECK(s.compared == 3);
  CHECK(s.median_abs_error == Approx(0.10));  // |errors| 0.1, 0.2, 0.1
  REQUIRE(s.per_source.size() == 3);
  CHECK(s.per_source[0].source == "trtllm");
  CHECK(s.per_source[1].median_abs_error == Approx(0.20));
  CHECK(s.optimistic == 2);
  CHECK(s.pessimistic == 1);
  REQUIRE(s.worst != nullptr);
  CHECK(s.worst->c->id == "oci_latency_bs512");
  const std::string table = inference_validation_table(rs, s, 0.10);
  CHECK_THAT(table, Contains("within budget") && Contains("worst: oci_latency_bs512 +20.0% (e2e_latency_s)"));
  CHECK_THAT(table, Contains("> 0 predicted larger"));
  // Figures from 1000 in whole units, below in 2 (from 10) or 3 decimals.
  CHECK_THAT(table, Contains(" out tok/s       5165       5681   +10.0% "));
  CHECK_THAT(table, Contains(" batch s        17.75      21.30   +20.0% "));
  CHECK_THAT(table, Contains(" TPOT ms       106.50      95.85   -10.0% "));
  CHECK_THAT(inference_validation_table(rs, s, 0.05), Contains("PAST BUDGET"));
  const YAML::Node j = YAML::Load(inference_validation_json(rs, s, 0.10, {"cases.yaml"}));
  CHECK(j["compared"].as<int>() == 3);
  CHECK(j["worst"]["id"].as<std::string>() == "oci_latency_bs512");
  CHECK(j["cases"][2]["predicted"].as<double>() == Approx(95.85));
  CHECK(j["cases"][2]["preemptions"].IsNull());
  CHECK(j["cases"][0]["overrides"]["workload.requests.count"].as<std::string>() == "3000");
}

TEST_CASE("a case not expressed and a run that failed are counted and listed, not compared", "[inference]") {
  std::string text = trt_case("unknown_gpu", "2x NVIDIA GH200 96GB HBM3", 2, "2");
  const InferenceCaseFile f = read(text + sharegpt_case());
  std::vector<InferenceCaseResult> rs;
  rs.push_back(judge_case(f.cases[0], map_case(f.cases[0]), std::nullopt, ""));
  rs.push_back(judge_case(f.cases[1], map_case(f.cases[1]), std::nullopt, "the run refuses it: workload.model.preset: x"));
  const InferenceSummary s = summarize(rs, f.sources);
  CHECK(s.compared == 0);
  CHECK(s.not_expressible == 1);
  CHECK(s.failed == 1);
  CHECK_FALSE(s.worst);
  const std::string table = inference_validation_table(rs, s, 0.10);
  CHECK_THAT(table, Contains("PAST BUDGET"));  // nothing compared never passes
  CHECK_THAT(table, Contains("unknown_gpu: hardware '2x NVIDIA GH200 96GB HBM3'"));
  CHECK_THAT(table, Contains("dstack_405b_h100_tp8_sharegpt_qps16: the run refuses it"));
}

TEST_CASE("a vLLM server with chunked prefill off and multi-step scheduling stated", "[inference]") {
  // The MI300X ShareGPT run: "num-scheduler-steps 15, chunked prefill off, max-num-seqs 1024";
  // no --max-model-len, so max_num_batched_tokens = max(131072, 2048) (Llama 3.1's context).
  std::string text = sharegpt_case();
  const std::string stated = "vLLM 0.6.3.post2.dev308 (chunked prefill on, max-num-batched-tokens 512, max-num-seqs 512)";
  text.replace(text.find(stated), stated.size(), "vLLM 0.6.4.dev4 ROCm (num-scheduler-steps 15, chunked prefill off, max-num-seqs 1024)");
  const InferenceMapping m = map_case(read(text).cases[0]);
  REQUIRE(m.expressible());
  CHECK(override_of(m, "workload.scheduler.chunked_prefill") == "false");
  CHECK(override_of(m, "workload.scheduler.max_num_seqs") == "1024");
  CHECK(override_of(m, "workload.scheduler.max_batch_tokens") == "131072");
  CHECK(says(m, "max_num_seqs 1024 (stated); chunked prefill off (stated); max_num_batched_tokens = max(max_model_len 131072"));
  // The host time (22.641 ms + 0.1359 ms per sequence, the vLLM fit) is paid once per 15 steps:
  // 22.641 / 15 = 1.5094 ms and 0.1359 / 15 = 0.00906 ms per iteration.
  CHECK(says(m, "multi-step scheduling (--num-scheduler-steps 15): the host time paid once per 15 iterations"));
  CHECK(override_of(m, "workload.scheduler.iteration_overhead") == "0.0015094 s");
  CHECK(override_of(m, "workload.scheduler.sequence_overhead") == "9.06e-06 s");
}
