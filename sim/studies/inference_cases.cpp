// racksim studies: inference serving cases, their mapping onto inference_serving scenarios, the
// comparison and its report (inference_cases.hpp; the mapping's reasons and sources are in
// docs/validation.md, "Inference cases").
#include "sim/studies/inference_cases.hpp"

#include "core/json_writer.hpp"
#include "core/yaml_doc.hpp"
#include "sim/studies/case_files.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <regex>
#include <set>
#include <sstream>

namespace racksim {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

bool starts_with_word(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0 && (text.size() == prefix.size() || text[prefix.size()] == ' ');
}

const std::vector<std::string> kMetrics = {"output_tokens_per_s", "total_tokens_per_s", "e2e_latency_s", "tpot_mean_ms"};
const std::vector<std::string> kConfidence = {"high", "medium", "low"};

}  // namespace

std::vector<std::string> known_inference_metrics() { return kMetrics; }

bool higher_is_better(const std::string& metric) { return metric == "output_tokens_per_s" || metric == "total_tokens_per_s"; }

// ---- reading ---------------------------------------------------------------------------------

namespace {

// A parallel degree as the cases write it: `8`, or `8 (implied)` with a note after the number.
std::int64_t read_degree(const ConfigNode& n, std::string& note) {
  const std::string s = n.as_string();
  std::size_t digits = 0;
  while (digits < s.size() && std::isdigit(static_cast<unsigned char>(s[digits]))) ++digits;
  if (digits == 0 || digits > 6 || (digits < s.size() && s[digits] != ' '))
    n.fail(fmt::format("expected a positive integer, optionally followed by a note ('8 (implied)'), got '{}'", s));
  const std::int64_t v = std::stoll(s.substr(0, digits));
  if (v < 1) n.fail(fmt::format("expected a positive integer, got {}", v));
  note = trim(s.substr(digits));
  return v;
}

// Long: one read per key of the config map, in the order docs/validation.md lists them, then the
// checks between them.
InferenceCaseConfig read_config(const ConfigNode& node) {
  InferenceCaseConfig c;
  MapReader r(node, "config");
  auto req = [&](const char* key) {
    ConfigNode n = r.required(key);
    c.where[key] = n.location();
    return n;
  };
  auto text = [&](const char* key) -> std::string {
    auto n = r.optional(key);
    if (!n) return "";
    c.where[key] = n->location();
    return n->as_text();
  };
  c.model = req("model").as_string();
  c.precision = req("precision").as_string();
  c.tp = read_degree(req("tp"), c.tp_note);
  if (auto n = r.optional("pp")) {
    c.where["pp"] = n->location();
    std::string note;
    c.pp = read_degree(*n, note);
  }
  c.framework = req("framework").as_string();
  c.input_tokens = optional_count(r, "input_tokens", c.where);
  c.output_tokens = optional_count(r, "output_tokens", c.where);
  c.batch_size = optional_count(r, "batch_size", c.where);
  c.num_prompts = optional_count(r, "num_prompts", c.where);
  c.num_requests = optional_count(r, "num_requests", c.where);
  if (auto n = r.optional("request_rate_qps")) {
    c.where["request_rate_qps"] = n->location();
    c.request_rate_qps = n->as_number();
    if (!(*c.request_rate_qps > 0.0) || !std::isfinite(*c.request_rate_qps))
      n->fail(fmt::format("expected requests per second greater than zero, got {}", *c.request_rate_qps));
  }
  c.total_input_tokens = optional_count(r, "total_input_tokens", c.where);
  c.total_output_tokens = optional_count(r, "total_output_tokens", c.where);
  c.request_mix = req("request_mix").as_string();
  c.batching = text("batching");
  r.finish();

  if (c.input_tokens.has_value() != c.output_tokens.has_value())
    node.fail(fmt::format("config is missing required key '{}' (fixed lengths need input_tokens and output_tokens)",
                          c.input_tokens ? "output_tokens" : "input_tokens"));
  const bool totals = c.total_input_tokens || c.total_output_tokens;
  if (c.input_tokens && totals)
    node.child(c.total_input_tokens ? "total_input_tokens" : "total_output_tokens").fail(
        "give either input_tokens and output_tokens (fixed lengths) or total_input_tokens, total_output_tokens and "
        "num_requests (a dataset's totals), not both");
  if (!c.input_tokens && !totals)
    node.fail("config needs the request lengths: input_tokens and output_tokens (fixed lengths) or total_input_tokens, "
              "total_output_tokens and num_requests (a dataset's totals)");
  if (totals && (!c.total_input_tokens || !c.total_output_tokens || !c.num_requests))
    node.fail(fmt::format("config is missing required key '{}' (a dataset's totals need total_input_tokens, "
                          "total_output_tokens and num_requests)",
                          !c.total_input_tokens ? "total_input_tokens" : !c.total_output_tokens ? "total_output_tokens" : "num_requests"));
  const int counts = (c.batch_size ? 1 : 0) + (c.num_prompts ? 1 : 0) + (c.num_requests ? 1 : 0);
  if (counts > 1)
    node.fail("give at most one request count: batch_size (a static batch), num_prompts (an offline run) or "
              "num_requests (a rate-driven run)");
  if (c.batch_size && c.request_rate_qps)
    node.child("batch_size").fail("a static batch (batch_size) has no request rate; drop request_rate_qps or batch_size");
  return c;
}

void check_unit(const ConfigNode& unit, const std::string& metric, const std::string& u) {
  const std::string want = higher_is_better(metric) ? "tokens/s" : metric == "e2e_latency_s" ? "s" : "ms";
  const bool ok = higher_is_better(metric) ? u.rfind(want, 0) == 0 : (u == want || u.rfind(want + " ", 0) == 0);
  if (!ok) unit.fail(fmt::format("expected the unit of {}, {} (a note may follow), got '{}'", metric, want, u));
}

// Long: one read per key of a case, then the checks between them.
InferenceCase read_case(const ConfigNode& node, const std::set<std::string>& source_ids) {
  InferenceCase c;
  c.where = node.location();
  MapReader r(node, "case");
  c.id = r.required("id").as_string();
  const ConfigNode kind = r.required("kind");
  if (kind.as_string() != "inference")
    kind.fail(fmt::format("unknown case kind '{}'; expected one of: inference (racksim validate --inference reads "
                          "inference serving runs only)",
                          kind.as_string()));
  const ConfigNode hw = r.required("hardware");
  c.hardware = hw.as_string();
  c.hardware_where = hw.location();
  c.num_gpus = positive_count(r.required("num_gpus"));
  c.config = read_config(r.required("config"));
  c.metric = r.required("metric").as_choice(kMetrics);
  const ConfigNode value = r.required("value");
  c.value = value.as_number();
  if (!(c.value > 0.0) || !std::isfinite(c.value))
    value.fail(fmt::format("expected a measured value greater than zero, got {}", c.value));
  const ConfigNode unit = r.required("unit");
  c.unit = unit.as_string();
  check_unit(unit, c.metric, c.unit);
  if (auto n = r.optional("derived")) c.derived = n->as_text();
  if (auto n = r.optional("also")) c.also = read_also(*n, "{ttft_mean_ms: 1486.4}");
  c.source = read_source(r.required("source"), source_ids);
  if (auto n = r.optional("source_path")) c.source_path = n->as_text();
  c.confidence = r.required("confidence").as_choice(kConfidence);
  if (auto n = r.optional("notes")) c.notes = n->as_text();
  r.finish();
  return c;
}

// A source's provenance: its text, or its map's fields as "key: value" joined by "; ".
std::string provenance(const ConfigNode& v) {
  if (v.is_scalar()) return v.as_string();
  if (!v.is_map()) v.fail("expected where the source's numbers come from: a text, or a map of texts (repo, path, commit, ...)");
  std::vector<std::string> parts;
  for (const auto& [k, child] : v.entries()) {
    if (!child.is_scalar()) child.fail("expected a text");
    parts.push_back(k + ": " + child.as_text());
  }
  return join_texts(parts, "; ");
}

InferenceCaseFile read_file(const ConfigDoc& doc) {
  return read_case_file<InferenceCaseFile>(doc, "inference cases file", read_case, provenance);
}

}  // namespace

InferenceCaseFile read_inference_cases(const std::string& path) { return read_file(ConfigDoc::load_file(path)); }

InferenceCaseFile read_inference_cases_text(const std::string& text, const std::string& path) {
  return read_file(ConfigDoc::load_string(text, path));
}

// ---- the vocabulary of the free-text fields ----------------------------------------------------

namespace {

// The GPU a hardware string names (after its "<N>x " count) and the catalog system it runs on.
struct HardwareSpec {
  const char* name;     // how the cases begin the GPU's name
  const char* system;   // catalog system id (models/catalog/systems.yaml)
  int gpus_per_node;
};

constexpr HardwareSpec kHardware[] = {
    {"NVIDIA H100 80GB HBM3", "hgx-h100", 8},
    {"NVIDIA H200 141GB HBM3e", "hgx-h200", 8},
    {"AMD Instinct MI300X 192GB", "mi300x-platform", 8},
};

// A model the cases name (the text up to its parenthesis) -> a preset of
// models/catalog/transformers.yaml, and its context length (vLLM's max_model_len when the run
// does not give --max-model-len: the released config.json's max_position_embeddings).
struct ModelSpec {
  const char* name;
  const char* preset;
  std::int64_t context;
  bool moe;
};

constexpr ModelSpec kModels[] = {
    {"Llama 3.1 70B", "llama3-70b", 131072, false},
    {"Llama 3.1 405B", "llama3-405b", 131072, false},
    {"Mixtral 8x7B", "mixtral-8x7b", 32768, true},
    {"Mixtral 8x22B", "mixtral-8x22b", 65536, true},
};

// "<N>x <GPU> (...)": the count (0 when the string gives none) and the GPU's entry (null: unknown).
std::pair<std::int64_t, const HardwareSpec*> parse_hardware(const std::string& text) {
  static const std::regex count(R"(^(\d{1,6})x\s+(.*)$)");
  std::smatch m;
  std::int64_t n = 0;
  std::string rest = text;
  if (std::regex_match(text, m, count)) {
    n = std::stoll(m[1].str());
    rest = m[2].str();
  }
  for (const auto& h : kHardware)
    if (starts_with_word(rest, h.name)) return {n, &h};
  return {n, nullptr};
}

const ModelSpec* parse_model(const std::string& text) {
  for (const auto& m : kModels)
    if (starts_with_word(text, m.name)) return &m;
  return nullptr;
}

// The serving flags a case's framework, request mix and batching texts state.
struct Flags {
  std::optional<std::int64_t> max_num_seqs, max_batched_tokens, max_model_len, scheduler_steps;
  std::optional<bool> chunked_prefill;
  bool enforce_eager = false;
};

std::optional<std::int64_t> find_int(const std::string& text, const char* pattern) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(pattern))) return std::nullopt;
  return std::stoll(m[1].str());
}

Flags parse_flags(const InferenceCaseConfig& k) {
  const std::string t = lower(k.framework + " | " + k.request_mix + " | " + k.batching);
  Flags f;
  f.max_num_seqs = find_int(t, R"(max[-_]num[-_]seqs[ =](\d{1,7}))");
  f.max_batched_tokens = find_int(t, R"(max[-_]num[-_]batched[-_]tokens[ =](\d{1,9}))");
  f.max_model_len = find_int(t, R"(max[-_]model[-_]len[ =](\d{1,9}))");
  f.scheduler_steps = find_int(t, R"(num[-_]scheduler[-_]steps[ =](\d{1,4}))");
  if (t.find("chunked prefill on") != std::string::npos || t.find("--enable-chunked-prefill") != std::string::npos)
    f.chunked_prefill = true;
  else if (t.find("chunked prefill off") != std::string::npos)
    f.chunked_prefill = false;
  f.enforce_eager = t.find("enforce-eager") != std::string::npos;
  return f;
}

}  // namespace

// ---- the mapping -----------------------------------------------------------------------------

// trtllm-bench's $num_requests per ISL/OSL: the table of TensorRT-LLM's
// docs/source/performance/perf-overview.md ("Preparing a Dataset", read at commit 00f37686, a
// later revision than the cases' 258c7540; assumed unchanged since 0.17); pairs it does not list by
// ISL + OSL, as the table's own steps go (up to 256: 30000; up to 2500: 3000; up to 5500: 1500;
// longer: 1000).
std::int64_t trtllm_bench_requests(std::int64_t input_tokens, std::int64_t output_tokens) {
  struct Row {
    std::int64_t isl, osl, n;
  };
  constexpr Row kTable[] = {{128, 128, 30000},  {128, 2048, 3000},  {128, 4096, 1500},  {1000, 2000, 1500},
                            {2048, 128, 3000},  {2048, 2048, 1500}, {5000, 500, 1500},  {1000, 1000, 3000},
                            {500, 2000, 3000},  {20000, 2000, 1000}};
  for (const auto& r : kTable)
    if (r.isl == input_tokens && r.osl == output_tokens) return r.n;
  const std::int64_t seq = input_tokens + output_tokens;
  return seq <= 256 ? 30000 : seq <= 2500 ? 3000 : seq <= 5500 ? 1500 : 1000;
}

namespace {

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// E[clamp(X, lo, hi)] for X lognormal of median `median` and `sigma`.
double clamped_lognormal_mean(double median, double sigma, double lo, double hi) {
  const double mu = std::log(median);
  const double a = (std::log(lo) - mu) / sigma, b = (std::log(hi) - mu) / sigma;
  const double inside = std::exp(mu + 0.5 * sigma * sigma) * (normal_cdf(b - sigma) - normal_cdf(a - sigma));
  return lo * normal_cdf(a) + inside + hi * (1.0 - normal_cdf(b));
}

}  // namespace

double lognormal_median_for_mean(double mean, double sigma, double lo, double hi) {
  if (!(mean > lo && mean < hi) || !(sigma > 0.0))
    throw Error(fmt::format("internal error: no lognormal of sigma {} clamped to [{}, {}] has mean {}", sigma, lo, hi, mean));
  double a = lo, b = hi;  // the clamped mean rises with the median, from about lo to about hi
  for (int i = 0; i < 200; ++i) {
    const double m = 0.5 * (a + b);
    (clamped_lognormal_mean(m, sigma, lo, hi) < mean ? a : b) = m;
  }
  return 0.5 * (a + b);
}

namespace {

[[noreturn]] void fail_at(const InferenceCase& c, const char* key, const std::string& what) {
  const auto it = c.config.where.find(key);
  throw InputError(it != c.config.where.end() ? it->second : c.where, what);
}

enum class Framework { Unknown, TrtLlm, Vllm };

Framework framework_of(const std::string& text) {
  if (starts_with_word(text, "TensorRT-LLM")) return Framework::TrtLlm;
  if (starts_with_word(text, "vLLM")) return Framework::Vllm;
  return Framework::Unknown;
}

// vLLM's benchmark scripts that ShareGPT runs sample through (benchmark_serving.py
// sample_sharegpt_requests): prompts and outputs of fewer than 4 tokens, prompts over 1024 and
// prompt + output over 2048 tokens are dropped. racksim clamps instead; the median is chosen so
// that the clamped mean is the run's mean (lognormal_median_for_mean).
constexpr double kDatasetSigma = 1.0;
constexpr std::int64_t kDatasetMin = 4, kDatasetInputMax = 1024, kDatasetOutputMax = 2048;

struct Scheduler {
  std::int64_t max_batch_tokens = 8192, max_num_seqs = 256, block_tokens = 16;
  bool chunked_prefill = true;
  double memory_fraction = 0.9;
  std::optional<double> kv_cache_fraction;  // TensorRT-LLM: of the memory left after weights and activations
  bool reserve_whole = false;               // TensorRT-LLM's GUARANTEED_NO_EVICT
  double iteration_overhead_s = 0.0;        // the engine's host time per iteration ...
  double sequence_overhead_s = 0.0;         // ... and per scheduled sequence
};

// vLLM 0.6's host time per iteration, a + b x sequences scheduled (docs/validation.md, "Inference
// cases"): fitted by tools/fit_serving_overhead.py on the 19 offline vLLM cases of
// ../shared/reference/inference-measurements.yaml (2026-12-07): median |error| 14.1% in sample,
// 16.2% leave-one-out. TensorRT-LLM's C++ runtime overlaps its host work with the GPU: 0.
constexpr double kVllmIterationOverhead = 22.641e-3;  // s
constexpr double kVllmSequenceOverhead = 0.1359e-3;   // s per sequence

// Long: one rule per scheduler key and framework, each said in docs/validation.md.
Scheduler scheduler_of(const InferenceCase& c, Framework fw, const ModelSpec& model, const Flags& f,
                       std::vector<std::string>& approx) {
  const InferenceCaseConfig& k = c.config;
  Scheduler s;
  if (fw == Framework::TrtLlm) {
    s.max_batch_tokens = f.max_batched_tokens.value_or(8192);
    s.max_num_seqs = f.max_num_seqs.value_or(2048);
    s.chunked_prefill = f.chunked_prefill.value_or(true);
    s.block_tokens = 64;
    s.memory_fraction = 1.0;
    s.kv_cache_fraction = 0.95;
    s.reserve_whole = true;
    approx.emplace_back("TensorRT-LLM's max_num_tokens and max_batch_size (trtllm-bench build heuristics, not published) "
                        "assumed 8192 tokens and 2048 sequences per iteration; chunked context on; 64-token KV blocks");
    approx.emplace_back("TensorRT-LLM's KV cache: kv_cache_free_gpu_mem_fraction 0.95 of the memory left after the weights "
                        "and activations (scheduler.kv_cache_fraction); its default capacity policy GUARANTEED_NO_EVICT "
                        "(scheduler.kv_reservation: whole_request)");
    return s;
  }
  // vLLM 0.6: benchmark_latency.py and benchmark_throughput.py pass --enable-chunked-prefill
  // (default off) and --max-num-batched-tokens (default None: max(max_model_len, 2048) without
  // chunking, 512 with it); max_num_seqs 256, gpu_memory_utilization 0.9, block_size 16.
  s.chunked_prefill = f.chunked_prefill.value_or(false);
  s.max_num_seqs = f.max_num_seqs.value_or(256);
  if (k.batch_size && *k.batch_size > s.max_num_seqs) s.max_num_seqs = *k.batch_size;
  const std::int64_t model_len = f.max_model_len.value_or(model.context);
  s.max_batch_tokens = f.max_batched_tokens.value_or(s.chunked_prefill ? 512 : std::max<std::int64_t>(model_len, 2048));
  s.block_tokens = 16;
  s.memory_fraction = 0.9;
  std::string said = fmt::format("vLLM: gpu_memory_utilization 0.9 and block_size 16 (its defaults); max_num_seqs {} ({})",
                                 s.max_num_seqs, f.max_num_seqs                                ? "stated"
                                                 : k.batch_size && *k.batch_size > 256 ? "the default 256 raised to the batch"
                                                                                       : "its default");
  said += s.chunked_prefill ? "; chunked prefill on (stated)"
          : f.chunked_prefill ? "; chunked prefill off (stated)"
                              : "; chunked prefill off (the benchmark script's default; not stated)";
  if (f.max_batched_tokens)
    said += fmt::format("; max_num_batched_tokens {} (stated)", s.max_batch_tokens);
  else if (s.chunked_prefill)
    said += "; max_num_batched_tokens 512 (vLLM 0.6's default with chunked prefill)";
  else
    said += fmt::format("; max_num_batched_tokens = max(max_model_len {}{}, 2048) = {}", model_len,
                        f.max_model_len ? "" : " (the model's context; not stated)", s.max_batch_tokens);
  approx.push_back(said);
  // Multi-step scheduling (--num-scheduler-steps k) schedules, samples on the host and returns
  // outputs once per k decode steps: the host time is paid once per k iterations.
  const double steps = f.scheduler_steps && *f.scheduler_steps > 1 ? static_cast<double>(*f.scheduler_steps) : 1.0;
  s.iteration_overhead_s = kVllmIterationOverhead / steps;
  s.sequence_overhead_s = kVllmSequenceOverhead / steps;
  approx.push_back(fmt::format("vLLM 0.6's host time per iteration {:.1f} ms + {:.3f} ms per scheduled sequence (fitted on the "
                               "offline vLLM cases, tools/fit_serving_overhead.py)",
                               1e3 * kVllmIterationOverhead, 1e3 * kVllmSequenceOverhead));
  if (steps > 1.0)
    approx.push_back(fmt::format("multi-step scheduling (--num-scheduler-steps {0}): the host time paid once per {0} "
                                 "iterations, spread evenly over them (prefill iterations, which vLLM schedules alone, "
                                 "pay it whole there)",
                                 *f.scheduler_steps));
  if (f.enforce_eager)
    approx.emplace_back("--enforce-eager (no CUDA/HIP graphs): its extra launch time per kernel not modelled");
  return s;
}

void add_precision(InferenceMapping& out, const InferenceCase& c, Framework fw) {
  auto set = [&](const char* key, const std::string& v) { out.overrides.emplace_back(key, v); };
  const std::string p = lower(c.config.precision);
  const bool fp8 = p.rfind("fp8", 0) == 0;
  const bool kv_fp8 = fp8 && (p.find("fp8 kv") != std::string::npos || p.find("fp8-kv") != std::string::npos);
  const char* w = fp8 ? "fp8" : "bf16";
  set("workload.dtypes.weights", w);
  set("workload.dtypes.activations", w);
  set("workload.dtypes.kv_cache", kv_fp8 ? "fp8" : "bf16");
  if (fw == Framework::Vllm && fp8)
    out.approximations.emplace_back(
        kv_fp8 ? "KV cache fp8: the checkpoint carries KV-cache scales (its name says FP8-KV); that the run stored the "
                 "cache in fp8 is assumed"
               : "KV cache bf16: vLLM's kv_cache_dtype 'auto' keeps the model's dtype (the checkpoint does not say FP8-KV)");
}

// Long: the requests of the three kinds of run (a static batch, offline, Poisson), each rule said
// in docs/validation.md.
void add_requests(InferenceMapping& out, const InferenceCase& c, Framework fw) {
  auto set = [&](const std::string& key, const std::string& v) { out.overrides.emplace_back(key, v); };
  const InferenceCaseConfig& k = c.config;
  std::int64_t count = 0;
  if (k.request_rate_qps) {
    set("workload.requests.arrival", "poisson");
    set("workload.requests.rate", fmt::format("{}", *k.request_rate_qps));
    count = k.num_requests ? *k.num_requests : k.num_prompts ? *k.num_prompts : 1000;
    if (!k.num_requests && !k.num_prompts)
      out.approximations.emplace_back("number of requests not stated: 1000 (benchmark_serving.py's default --num-prompts)");
  } else {
    set("workload.requests.arrival", "offline");
    if (k.batch_size) {
      count = *k.batch_size;
    } else if (k.num_prompts || k.num_requests) {
      count = k.num_prompts ? *k.num_prompts : *k.num_requests;
    } else if (fw == Framework::TrtLlm) {
      count = trtllm_bench_requests(*k.input_tokens, *k.output_tokens);
      out.approximations.push_back(fmt::format("{} requests: trtllm-bench's num_requests for {}/{} (the perf-overview "
                                               "page's table; not in the case)",
                                               count, *k.input_tokens, *k.output_tokens));
    } else {
      count = 1000;
      out.approximations.emplace_back("number of prompts not stated: 1000 (benchmark_throughput.py's default --num-prompts)");
    }
  }
  set("workload.requests.count", std::to_string(count));
  out.requests = count;
  if (k.input_tokens) {
    set("workload.requests.input.dist", "fixed");
    set("workload.requests.input.tokens", std::to_string(*k.input_tokens));
    set("workload.requests.output.dist", "fixed");
    set("workload.requests.output.tokens", std::to_string(*k.output_tokens));
  } else {
    const double n = static_cast<double>(*k.num_requests);
    const auto lengths = [&](const char* which, double mean, std::int64_t max) {
      const double median =
          lognormal_median_for_mean(mean, kDatasetSigma, static_cast<double>(kDatasetMin), static_cast<double>(max));
      const std::string base = std::string("workload.requests.") + which;
      set(base + ".dist", "lognormal");
      set(base + ".median", fmt::format("{:.2f}", median));
      set(base + ".sigma", fmt::format("{}", kDatasetSigma));
      set(base + ".min", std::to_string(kDatasetMin));
      set(base + ".max", std::to_string(max));
      return median;
    };
    const double in_mean = static_cast<double>(*k.total_input_tokens) / n;
    const double out_mean = static_cast<double>(*k.total_output_tokens) / n;
    const double in_median = lengths("input", in_mean, kDatasetInputMax);
    const double out_median = lengths("output", out_mean, kDatasetOutputMax);
    out.approximations.push_back(fmt::format(
        "dataset lengths as lognormals of sigma {} (assumed), clamped to [{}, {}] input and [{}, {}] output tokens, medians "
        "{:.2f} and {:.2f} so that the means are the run's {:.2f} and {:.2f} (totals / num_requests)",
        kDatasetSigma, kDatasetMin, kDatasetInputMax, kDatasetMin, kDatasetOutputMax, in_median, out_median, in_mean, out_mean));
  }
  if (k.request_rate_qps || !k.input_tokens) set("workload.requests.seed", "1");
}

}  // namespace

// Long: the checks between the case's numbers, what cannot be expressed, then one block per part
// of the scenario (model, precision, instance, scheduler, requests, cluster).
InferenceMapping map_case(const InferenceCase& c) {
  InferenceMapping out;
  const InferenceCaseConfig& k = c.config;
  const auto [hw_count, hw] = parse_hardware(c.hardware);
  if (hw_count != 0 && hw_count != c.num_gpus)
    throw InputError(c.hardware_where,
                     fmt::format("the hardware names {} GPUs ('{}'), but num_gpus is {}", hw_count, c.hardware, c.num_gpus));
  const std::int64_t pp = k.pp.value_or(1);
  if (k.tp * pp != c.num_gpus)
    fail_at(c, "tp", fmt::format("tp x pp = {} x {} = {} is not num_gpus = {} (one instance serves each case)", k.tp, pp,
                                 k.tp * pp, c.num_gpus));
  out.gpus = k.tp * pp;
  const ModelSpec* model = parse_model(k.model);
  const Framework fw = framework_of(k.framework);
  const std::string p = lower(k.precision);
  if (!hw)
    out.not_expressible.push_back(fmt::format("hardware '{}' is none racksim knows ({} GPUs, after '<N>x ')",
                                              c.hardware, join_texts(names_of(kHardware))));
  if (!model)
    out.not_expressible.push_back(
        fmt::format("model '{}' is none racksim maps ({})", k.model, join_texts(names_of(kModels))));
  if (p.rfind("fp8", 0) != 0 && p.rfind("bf16", 0) != 0)
    out.not_expressible.push_back(fmt::format("precision '{}' is not read (racksim reads one beginning fp8 or bf16)", k.precision));
  if (fw == Framework::Unknown)
    out.not_expressible.push_back(fmt::format("framework '{}' is not read (racksim reads TensorRT-LLM and vLLM)", k.framework));
  if (hw && out.gpus > hw->gpus_per_node)
    out.not_expressible.push_back(fmt::format("an instance of {} GPUs spans more than one {}-GPU node", out.gpus,
                                              hw->gpus_per_node));
  if (!out.expressible()) return out;
  out.system = hw->system;
  const Flags flags = parse_flags(k);

  auto set = [&](const char* key, const std::string& v) { out.overrides.emplace_back(key, v); };
  set("workload.kind", "inference_serving");
  set("workload.model.preset", model->preset);
  add_precision(out, c, fw);
  set("workload.instance.tp", std::to_string(k.tp));
  set("workload.instance.pp", std::to_string(pp));
  set("workload.instance.ep", "1");
  set("workload.instances", "1");
  if (!k.tp_note.empty()) out.approximations.push_back(fmt::format("tp {} {}: taken as stated", k.tp, k.tp_note));
  if (model->moe)
    out.approximations.emplace_back("expert sharding not stated: every expert split over the instance's tp GPUs (ep 1, "
                                    "the frameworks' default)");
  const Scheduler s = scheduler_of(c, fw, *model, flags, out.approximations);
  set("workload.scheduler.max_batch_tokens", std::to_string(s.max_batch_tokens));
  set("workload.scheduler.max_num_seqs", std::to_string(s.max_num_seqs));
  set("workload.scheduler.chunked_prefill", s.chunked_prefill ? "true" : "false");
  set("workload.scheduler.block_tokens", std::to_string(s.block_tokens));
  set("workload.scheduler.memory_fraction", fmt::format("{}", s.memory_fraction));
  if (s.kv_cache_fraction) set("workload.scheduler.kv_cache_fraction", fmt::format("{}", *s.kv_cache_fraction));
  if (s.reserve_whole) set("workload.scheduler.kv_reservation", "whole_request");
  if (s.iteration_overhead_s > 0.0)
    set("workload.scheduler.iteration_overhead", fmt::format("{:.6g} s", s.iteration_overhead_s));
  if (s.sequence_overhead_s > 0.0)
    set("workload.scheduler.sequence_overhead", fmt::format("{:.6g} s", s.sequence_overhead_s));
  add_requests(out, c, fw);
  set("cluster.system", hw->system);
  set("cluster.domains", "1");
  set("cluster.scale_out.kind", "none");
  return out;
}

std::string mapped_scenario_yaml(const InferenceCase& c, const InferenceMapping& m) {
  return fmt::format("# {}: {}, {}, measured {} = {} {} ({})\n", c.id, c.hardware, c.config.model, c.metric, c.value,
                     c.unit, c.source) +
         scenario_yaml_of(c.id, fmt::format("{} ({}), mapped by racksim validate --inference", c.id, c.source),
                          m.overrides) +
         "\n";
}

// ---- outcomes, results, summary -------------------------------------------------------------

std::string encode_outcome(const InferenceOutcome& o) {
  std::string s = fmt::format("requests {}\nfinished {}\nduration_s {:.17g}\noutput_tokens_per_s {:.17g}\n"
                              "total_tokens_per_s {:.17g}\nrequests_per_s {:.17g}\nttft_mean_s {:.17g}\nttft_p99_s {:.17g}\n"
                              "tpot_mean_s {:.17g}\ntpot_p99_s {:.17g}\ne2e_mean_s {:.17g}\ne2e_max_s {:.17g}\n",
                              o.requests, o.finished, o.duration_s, o.output_tokens_per_s, o.total_tokens_per_s,
                              o.requests_per_s, o.ttft_mean_s, o.ttft_p99_s, o.tpot_mean_s, o.tpot_p99_s, o.e2e_mean_s,
                              o.e2e_max_s);
  if (o.mean_decode_batch) s += fmt::format("mean_decode_batch {:.17g}\n", *o.mean_decode_batch);
  if (o.kv_capacity_tokens) s += fmt::format("kv_capacity_tokens {:.17g}\n", *o.kv_capacity_tokens);
  if (o.preemptions) s += fmt::format("preemptions {}\n", *o.preemptions);
  s += fmt::format("iterations {}\nmean_seqs_per_iteration {:.17g}\n", o.iterations, o.mean_seqs_per_iteration);
  return s;
}

InferenceOutcome decode_inference_outcome(const std::string& text) {
  InferenceOutcome o;
  std::istringstream in(text);
  std::string key;
  double v = 0.0;
  while (in >> key >> v) {
    if (key == "requests") o.requests = static_cast<std::int64_t>(v);
    else if (key == "finished") o.finished = static_cast<std::int64_t>(v);
    else if (key == "duration_s") o.duration_s = v;
    else if (key == "output_tokens_per_s") o.output_tokens_per_s = v;
    else if (key == "total_tokens_per_s") o.total_tokens_per_s = v;
    else if (key == "requests_per_s") o.requests_per_s = v;
    else if (key == "ttft_mean_s") o.ttft_mean_s = v;
    else if (key == "ttft_p99_s") o.ttft_p99_s = v;
    else if (key == "tpot_mean_s") o.tpot_mean_s = v;
    else if (key == "tpot_p99_s") o.tpot_p99_s = v;
    else if (key == "e2e_mean_s") o.e2e_mean_s = v;
    else if (key == "e2e_max_s") o.e2e_max_s = v;
    else if (key == "mean_decode_batch") o.mean_decode_batch = v;
    else if (key == "kv_capacity_tokens") o.kv_capacity_tokens = v;
    else if (key == "preemptions") o.preemptions = static_cast<std::int64_t>(v);
    else if (key == "iterations") o.iterations = static_cast<std::int64_t>(v);
    else if (key == "mean_seqs_per_iteration") o.mean_seqs_per_iteration = v;
    else throw Error("internal error: unknown field '" + key + "' in an inference case's outcome");
  }
  return o;
}

double predicted_value(const std::string& metric, const InferenceOutcome& o) {
  if (metric == "output_tokens_per_s") return o.output_tokens_per_s;
  if (metric == "total_tokens_per_s") return o.total_tokens_per_s;
  if (metric == "e2e_latency_s") return o.e2e_max_s;  // the static batch's time: its last request's finish
  if (metric == "tpot_mean_ms") return 1e3 * o.tpot_mean_s;
  throw Error("internal error: predicted_value of unknown metric '" + metric + "'");
}

bool InferenceCaseResult::optimistic() const { return higher_is_better(c->metric) ? error > 0.0 : error < 0.0; }

InferenceCaseResult judge_case(const InferenceCase& c, InferenceMapping m, std::optional<InferenceOutcome> o,
                               std::string failure) {
  InferenceCaseResult r;
  r.c = &c;
  r.mapping = std::move(m);
  r.outcome = std::move(o);
  r.failure = std::move(failure);
  if (r.outcome) {
    r.predicted = predicted_value(c.metric, *r.outcome);
    r.error = (r.predicted - c.value) / c.value;
  }
  return r;
}

InferenceSummary summarize(const std::vector<InferenceCaseResult>& results,
                           const std::vector<std::pair<std::string, std::string>>& sources) {
  return summarize_cases(results, sources, [](const InferenceCaseResult& r) { return r.optimistic(); });
}

// ---- the report ----------------------------------------------------------------------------

namespace {

const char* metric_label(const std::string& metric) {
  if (metric == "output_tokens_per_s") return "out tok/s";
  if (metric == "total_tokens_per_s") return "all tok/s";
  if (metric == "e2e_latency_s") return "batch s";
  return "TPOT ms";
}

std::string opt_number(const std::optional<double>& v, int decimals) {
  return v ? fmt::format("{:.{}f}", *v, decimals) : std::string("-");
}

// A measured or predicted figure: whole units from 1000, else 2 or 3 decimals.
std::string figure(double v) { return fmt::format("{:.{}f}", v, std::fabs(v) >= 1000.0 ? 0 : std::fabs(v) >= 10.0 ? 2 : 3); }

std::string case_row(const InferenceCaseResult& r) {
  const InferenceOutcome& o = *r.outcome;
  const std::optional<double> preempt =
      o.preemptions ? std::optional<double>(static_cast<double>(*o.preemptions)) : std::nullopt;
  return fmt::format("  {:<50} {:>4} {:<9} {:>10} {:>10} {:>+7.1f}% {:>9.1f} {:>10.1f} {:>5}/{:<5} {:>7} {:>9} {:>7}{}\n",
                     r.c->id, r.c->num_gpus, metric_label(r.c->metric), figure(r.c->value), figure(r.predicted), 100.0 * r.error,
                     o.duration_s, o.output_tokens_per_s, o.finished, o.requests, opt_number(o.mean_decode_batch, 1),
                     opt_number(o.kv_capacity_tokens, 0), opt_number(preempt, 0),
                     r.mapping.approximations.empty() ? "" : " ~");
}

}  // namespace

// Long: the report's sections one after the other (cases, legend, medians, assumptions, the cases
// not expressed, the failures).
std::string inference_validation_table(const std::vector<InferenceCaseResult>& results, const InferenceSummary& s,
                                       double budget) {
  std::string out = fmt::format("inference serving: {} cases, {} simulated, {} not expressible, {} not simulated\n",
                                results.size(), s.compared, s.not_expressible, s.failed);
  out += fmt::format("  {:<50} {:>4} {:<9} {:>10} {:>10} {:>8} {:>9} {:>10} {:>11} {:>7} {:>9} {:>7}\n", "case", "GPUs", "metric",
                     "measured", "predicted", "error", "run s", "out tok/s", "finished", "decode", "KV tokens", "preempt");
  for (const auto& r : results)
    if (r.outcome) out += case_row(r);
  out += "  metric: out tok/s output tokens per second, all tok/s input + output tokens per second (finished requests\n"
         "  over the run), batch s a static batch's end-to-end time (its last request's finish), TPOT ms the mean time\n"
         "  per output token after the first. error = (predicted - measured) / measured: > 0 predicted larger (for\n"
         "  throughput optimistic, for latency pessimistic). run s: the simulated run; finished: requests finished of\n"
         "  those simulated; decode: mean decode sequences per iteration; KV tokens: the KV cache's capacity per\n"
         "  instance; preempt: requests evicted and recomputed ('-': the run does not report it). ~: the mapping\n"
         "  approximates or assumes something (listed below).\n";
  out += medians_section(s, budget);
  if (s.worst) out += fmt::format("  worst: {} {:+.1f}% ({})\n", s.worst->c->id, 100.0 * s.worst->error, s.worst->c->metric);
  out += fmt::format("  bias: {} optimistic (more throughput or less latency than measured), {} pessimistic\n", s.optimistic,
                     s.pessimistic);

  out += case_lists_section(results, s, "approximated or assumed by the mapping (cases)");
  return out;
}

// Long: one JSON field after another, the order of the table.
std::string inference_validation_json(const std::vector<InferenceCaseResult>& results, const InferenceSummary& s,
                                      double budget, const std::vector<std::string>& files) {
  JsonWriter j;
  j.begin_object();
  summary_json_fields(j, s, budget, files);
  j.key("cases").begin_array();
  for (const auto& r : results) {
    j.begin_object().field("id", r.c->id).field("source", r.c->source).field("num_gpus", r.c->num_gpus);
    j.field("metric", r.c->metric).field("measured", r.c->value).field("unit", r.c->unit);
    j.field("status", case_status(r));
    if (r.outcome) {
      const InferenceOutcome& o = *r.outcome;
      j.field("predicted", r.predicted).field("error", r.error).field("optimistic", r.optimistic());
      j.field("requests", o.requests).field("finished", o.finished).field("duration_s", o.duration_s);
      j.field("output_tokens_per_s", o.output_tokens_per_s).field("total_tokens_per_s", o.total_tokens_per_s);
      j.field("requests_per_s", o.requests_per_s).field("ttft_mean_s", o.ttft_mean_s).field("ttft_p99_s", o.ttft_p99_s);
      j.field("tpot_mean_s", o.tpot_mean_s).field("tpot_p99_s", o.tpot_p99_s).field("e2e_mean_s", o.e2e_mean_s);
      j.field("e2e_max_s", o.e2e_max_s);
      j.optional_field("mean_decode_batch", o.mean_decode_batch);
      j.optional_field("kv_capacity_tokens", o.kv_capacity_tokens);
      j.optional_field("preemptions", o.preemptions);
      j.field("iterations", o.iterations).field("mean_seqs_per_iteration", o.mean_seqs_per_iteration);
    }
    case_json_tail(j, r);
    j.end_object();
  }
  j.end_array();
  j.end_object();
  return j.str();
}

}  // namespace racksim
