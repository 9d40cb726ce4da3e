// racksim sim/workload: the requests of an inference-serving workload (workload.requests,
// docs/inference.md "Requests") — read from a trace file or generated — as one list sorted by
// arrival time. Pure: no SimGrid, no engine.
//
// Trace files (format chosen by `format:`, or by the file's extension and header when absent):
//   csv    header `arrival_s,input_tokens,output_tokens` (any column order; extra columns
//          ignored); arrival in seconds from the start of the run
//   jsonl  one object per line: {"arrival_s": 0.12, "input_tokens": 1000, "output_tokens": 200}
//   azure  the public Azure LLM inference trace (Patel et al., Splitwise, ISCA'24; github.com/Azure/
//          AzurePublicDataset, AzureLLMInferenceTrace_{code,conv}.csv): header
//          `TIMESTAMP,ContextTokens,GeneratedTokens`, TIMESTAMP a date-time
//          "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC, as published); arrivals are taken relative to the
//          first row's timestamp.
// Every row is checked (file, line, column named in errors): arrivals finite, >= 0 and
// non-decreasing after sorting is NOT assumed — the list is sorted stably by arrival; tokens
// integers >= 1 (input) and >= 1 (output), at most kMaxRequestTokens. At most kMaxRequests rows.
//
// Synthetic requests:
//   arrival: poisson | fixed | offline   (offline: every request at t = 0, MLPerf Offline;
//            poisson: exponential gaps of mean 1/rate, MLPerf Server; fixed: gaps of 1/rate)
//   rate: requests/s (poisson, fixed);  count: N  or  duration: T (poisson, fixed: the requests
//   arriving before T); seed (default 1)
//   input / output: {dist: fixed, tokens} | {dist: uniform, min, max} (integers, inclusive) |
//   {dist: lognormal, median, sigma, min, max} (rounded to the nearest integer, clamped to
//   [min, max]) | {dist: histogram, file} (CSV `tokens,weight`: a value is drawn with probability
//   weight / total weight)
// The generator is std::mt19937_64 seeded with `seed` and racksim's own transforms (no
// std::*_distribution, whose output differs between standard libraries), so the same seed gives
// the same requests everywhere. Inputs and outputs draw from one stream in the order
// (gap, input, output) per request.
#pragma once

#include "core/error.hpp"
#include "core/key_table.hpp"
#include "core/yaml_doc.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace racksim {

constexpr std::int64_t kMaxRequests = 10'000'000;         // per run, trace or synthetic
constexpr std::int64_t kMaxRequestTokens = 10'000'000;    // input or output tokens of one request

struct Request {
  std::int64_t id = 0;          // 0..n-1 in arrival order (ties: file order / generation order)
  double arrival_s = 0.0;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
};

struct LengthDistribution {
  enum class Kind { Fixed, Uniform, Lognormal, Histogram } kind = Kind::Fixed;
  std::int64_t tokens = 0;               // fixed
  std::int64_t min = 1, max = 1;         // uniform; lognormal clamp
  double median = 0.0, sigma = 0.0;      // lognormal: exp(N(ln median, sigma^2))
  std::vector<std::pair<std::int64_t, double>> histogram;  // (tokens, weight), read from the file
  std::string file;                      // histogram: resolved path
  [[nodiscard]] double mean() const;     // the distribution's mean (lognormal: before clamping)
};

struct RequestSpec {
  // Trace
  std::string file;                      // resolved path; empty: synthetic
  std::string format;                    // "csv" | "jsonl" | "azure" (resolved, never empty with a file)
  // Synthetic
  std::string arrival = "poisson";       // poisson | fixed | offline
  double rate = 0.0;                     // requests/s (poisson, fixed)
  std::optional<std::int64_t> count;
  std::optional<double> duration_s;
  std::uint64_t seed = 1;
  LengthDistribution input, output;
  Location where;                        // the requests: map
};

// The key rows of workload.requests.* (kind inference_serving), for the scenario's key table.
[[nodiscard]] const KeyTable& request_keys();

// Reads workload.requests (`node` is that map); paths relative to `base_dir`. Histogram files
// and trace files are not read here (only their paths are resolved and checked to exist).
[[nodiscard]] RequestSpec read_request_spec(const ConfigNode& node, const std::string& base_dir);

// The requests, sorted by arrival (stable), ids renumbered 0..n-1. Reads the trace or histogram
// files; throws InputError naming file and line for bad rows, and for more than kMaxRequests.
[[nodiscard]] std::vector<Request> make_requests(const RequestSpec& spec);

// The number of requests make_requests will produce, without producing them, when known in
// advance (synthetic with a count, offline); nullopt otherwise.
[[nodiscard]] std::optional<std::int64_t> request_count(const RequestSpec& spec);

}  // namespace racksim
