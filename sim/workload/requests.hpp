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
//          "YYYY-MM-DD HH:MM:SS[.fffffff]" (UTC, as published; a trailing Z or +HH:MM offset is
//          applied); arrivals are taken relative to the earliest timestamp (the first row of the
//          published, sorted files), to the nanosecond.
//   Without `format:`: *.jsonl / *.ndjson are jsonl; a *.csv is azure when its header has a
//   TIMESTAMP column, csv otherwise; another name is told by its first line.
// Every row is checked (file, line, column named in errors): arrivals finite, >= 0 and at most
// kMaxArrivalSeconds; rows need not be in order: the list is sorted stably by arrival; tokens
// whole numbers (digits only) >= 1, at most kMaxRequestTokens, input and output alike. A row of
// 0 tokens (the Azure traces hold some with GeneratedTokens 0) is refused at its line, never
// dropped or clamped silently. At most kMaxRequests rows, files of at most kMaxRequestFileBytes.
//
// Synthetic requests:
//   arrival: poisson | fixed | offline   (offline: every request at t = 0, MLPerf Offline;
//            poisson: exponential gaps of mean 1/rate, MLPerf Server; fixed: gaps of 1/rate)
//   rate: requests/s (poisson, fixed);  count: N  or  duration: T (poisson, fixed: the requests
//   arriving before T); seed (default 1)
//   input / output: {dist: fixed, tokens} | {dist: uniform, min, max} (integers, inclusive) |
//   {dist: lognormal, median, sigma, min, max} (rounded to the nearest integer, clamped to
//   [min, max]) | {dist: histogram, file} (CSV with the header `tokens,weight`: a value is drawn
//   with probability weight / total weight)
//   poisson: the first arrival is one gap after 0, drawn like the rest; fixed: the first is at 0.
//   The exact transforms are written out in requests.cpp and docs/inference.md.
// The generator is std::mt19937_64 seeded with `seed` and racksim's own transforms (no
// std::*_distribution, whose output differs between standard libraries), so the same seed gives
// the same requests everywhere. Inputs and outputs draw from one stream in the order
// (gap, input, output) per request (gap: poisson only; a fixed length draws nothing).
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
constexpr double kMaxArrivalSeconds = 3.6e7;                // a request's arrival, and `duration`: 10,000 h (417 days)
constexpr std::uint64_t kMaxRequestFileBytes = std::uint64_t{1} << 30;  // a trace or histogram file: 1 GiB
constexpr std::int64_t kMaxHistogramBins = 1'000'000;      // rows of a histogram file

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
  std::int64_t max_requests = kMaxRequests;  // the row / request cap; only tests lower it
};

// The key rows of workload.requests.* (kind inference_serving), for the scenario's key table.
[[nodiscard]] const KeyTable& request_keys();

// Reads workload.requests (`node` is that map); paths relative to `base_dir`. Trace files are not
// read here (only their path is resolved and checked to be a file, and a *.csv's first line read
// to tell csv from azure); histogram files, small, are read (so that mean() is known up front).
// Errors name the offending key: a trace mixed with synthetic keys, `rate` missing (poisson,
// fixed), neither `count` nor `duration` (poisson, fixed) or both, `count` missing (offline),
// min > max, a key of another dist, a file that does not exist.
[[nodiscard]] RequestSpec read_request_spec(const ConfigNode& node, const std::string& base_dir);

// The requests, sorted by arrival (stable), ids renumbered 0..n-1. Reads the trace file (and a
// histogram file whose rows are not loaded yet); throws InputError naming file and line for bad
// rows, and for more than spec.max_requests (the key `count` or `duration` when synthetic).
[[nodiscard]] std::vector<Request> make_requests(const RequestSpec& spec);

// The number of requests make_requests will produce, without producing them, when known in
// advance (synthetic with a count, offline); nullopt otherwise.
[[nodiscard]] std::optional<std::int64_t> request_count(const RequestSpec& spec);

}  // namespace racksim
