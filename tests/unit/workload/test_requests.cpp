// Unit tests: the requests of an inference-serving workload (sim/workload/requests.hpp) — the
// synthetic generator against the distributions it promises (each bound derived below from the
// distribution, at three standard deviations: a correct generator fails one such check with
// probability about 0.3%, and the seeds are fixed, so a pass is a pass every time), its
// determinism (one value pinned by the C++ standard's own mt19937_64 check value), the three
// trace formats read back from small files, and every error naming its key, or its file and line.
#include "core/error.hpp"
#include "core/yaml_doc.hpp"
#include "sim/workload/requests.hpp"

#include "test_support.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace racksim;
using Catch::Matchers::Contains;
using test::cells_of;
using test::input_error_of;
using test::trim_cell;

namespace {

namespace fs = std::filesystem;

// A folder of this test process's own, removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() : path(fs::temp_directory_path() / fmt::format("racksim-requests-{}", ::getpid())) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `body` to `name` in the folder; returns its full path.
  [[nodiscard]] std::string write(const std::string& name, const std::string& body) const {
    const fs::path p = path / name;
    std::ofstream out(p, std::ios::binary);
    out << body;
    return p.string();
  }
  [[nodiscard]] std::string dir() const { return path.string(); }
};

// The YAML of a scenario's workload.requests map, `body` being its keys (indented by 4).
std::string scenario(const std::string& body) { return "workload:\n  kind: inference_serving\n  requests:\n" + body; }

RequestSpec spec_of(const std::string& body, const std::string& base_dir = ".") {
  const ConfigDoc doc = ConfigDoc::load_string(scenario(body), "scenario.yaml");
  return read_request_spec(doc.root().child("workload").child("requests"), base_dir);
}

InputError spec_error(const std::string& body, const std::string& base_dir = ".") {
  return input_error_of([&] { (void)spec_of(body, base_dir); });
}

// 1-based line of the first occurrence of `needle` in the scenario made of `body`.
int yaml_line(const std::string& body, const std::string& needle) {
  const std::string text = scenario(body);
  const auto at = text.find(needle);
  REQUIRE(at != std::string::npos);
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

const std::string kFixedLengths =
    "    input: {dist: fixed, tokens: 100}\n"
    "    output: {dist: fixed, tokens: 10}\n";

RequestSpec trace_spec(const std::string& path, const std::string& format = "") {
  RequestSpec s;
  s.file = path;
  s.format = format;
  return s;
}

InputError trace_error(const TempDir& d, const std::string& name, const std::string& body, const std::string& format) {
  const std::string path = d.write(name, body);
  return input_error_of([&] { (void)make_requests(trace_spec(path, format)); });
}

// The error names `file` and `line`, in its location and in its text.
void check_names_line(const InputError& e, const std::string& file, int line) {
  INFO(e.what());
  CHECK(e.where().file == file);
  CHECK(e.where().line == line);
  CHECK_THAT(std::string(e.what()), Contains(fmt::format("{}:{}", file, line)));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Arrivals
// ---------------------------------------------------------------------------------------------

TEST_CASE("requests: offline puts every request at t = 0", "[workload][requests]") {
  const RequestSpec s = spec_of("    arrival: offline\n    count: 5\n" + kFixedLengths);
  // MLPerf Offline: the whole count at once: 5 arrivals, all at 0, ids 0..4 in generation order.
  REQUIRE(request_count(s) == std::optional<std::int64_t>(5));
  const auto r = make_requests(s);
  REQUIRE(r.size() == 5);
  for (std::size_t i = 0; i < r.size(); ++i) {
    CHECK(r[i].id == static_cast<std::int64_t>(i));
    CHECK(r[i].arrival_s == 0.0);
    CHECK(r[i].input_tokens == 100);
    CHECK(r[i].output_tokens == 10);
  }
}

TEST_CASE("requests: fixed arrivals are k / rate, the first at 0", "[workload][requests]") {
  SECTION("a count") {
    const RequestSpec s = spec_of("    arrival: fixed\n    rate: 4\n    count: 3\n" + kFixedLengths);
    REQUIRE(request_count(s) == std::optional<std::int64_t>(3));
    const auto r = make_requests(s);
    // t_k = (k - 1) / 4 s: 0, 0.25, 0.5 (exact in binary).
    REQUIRE(r.size() == 3);
    CHECK(r[0].arrival_s == 0.0);
    CHECK(r[1].arrival_s == 0.25);
    CHECK(r[2].arrival_s == 0.5);
  }
  SECTION("a duration: the requests arriving before it") {
    const RequestSpec s = spec_of("    arrival: fixed\n    rate: 4\n    duration: 1 s\n" + kFixedLengths);
    CHECK_FALSE(request_count(s).has_value());
    const auto r = make_requests(s);
    // 0, 0.25, 0.5, 0.75 are before 1 s; the fifth, at 1 s, is not.
    REQUIRE(r.size() == 4);
    CHECK(r.back().arrival_s == 0.75);
  }
}

TEST_CASE("requests: Poisson arrivals have exponential gaps of mean 1 / rate", "[workload][requests]") {
  const RequestSpec s = spec_of("    rate: 50\n    count: 20000\n    seed: 7\n" + kFixedLengths);
  CHECK(s.arrival == "poisson");  // the default
  const auto r = make_requests(s);
  REQUIRE(r.size() == 20000);
  const double n = 20000.0;
  // The first arrival is one gap after 0, drawn like the others (an exponential is > 0 but for
  // u = 0 exactly, probability 2^-53).
  CHECK(r[0].arrival_s > 0.0);
  // t_n is the sum of the n gaps, so t_n / n is their mean. Each gap: mean 1/50 = 0.02 s and
  // standard deviation 0.02 s (an exponential's equals its mean); their mean's standard
  // deviation is 0.02 / sqrt(20000) = 1.414e-4 s: 3 sigma = 4.24e-4 s.
  const double mean_gap = r.back().arrival_s / n;
  CHECK(std::fabs(mean_gap - 0.02) < 3.0 * 0.02 / std::sqrt(n));
  // The shape: P(gap > mean) = e^-1 = 0.3679 for an exponential (0 for equal gaps, 0.5 for a
  // symmetric distribution). The fraction of the n gaps above 0.02 s is binomial: standard
  // deviation sqrt(p (1 - p) / n) = 0.00341: 3 sigma = 0.0102.
  double prev = 0.0;
  int above = 0;
  for (const auto& q : r) {
    above += (q.arrival_s - prev > 0.02) ? 1 : 0;
    prev = q.arrival_s;
  }
  const double p = std::exp(-1.0);
  CHECK(std::fabs(above / n - p) < 3.0 * std::sqrt(p * (1.0 - p) / n));
}

TEST_CASE("requests: Poisson arrivals over a duration", "[workload][requests]") {
  const RequestSpec s = spec_of("    rate: 50\n    duration: 100 s\n" + kFixedLengths);
  CHECK_FALSE(request_count(s).has_value());
  const auto r = make_requests(s);
  // The number arriving in 100 s at 50/s is Poisson of mean 5000 and standard deviation
  // sqrt(5000) = 70.7: 3 sigma = 212.
  CHECK(std::fabs(static_cast<double>(r.size()) - 5000.0) < 3.0 * std::sqrt(5000.0));
  CHECK(r.back().arrival_s < 100.0);
  CHECK(std::is_sorted(r.begin(), r.end(), [](const Request& a, const Request& b) { return a.arrival_s < b.arrival_s; }));
}

TEST_CASE("requests: the generator's words are std::mt19937_64's, through the documented transform", "[workload][requests]") {
  // The C++ standard ([rand.predef]) requires the 10000th output of a default-constructed
  // mt19937_64 (seed 5489) to be 9981545732273789042. With seed 5489, Poisson arrivals and fixed
  // lengths draw one word per request (the gap), so request 10000's gap uses exactly that word:
  // u = (x >> 11) 2^-53, gap = -ln(1 - u) / rate, rate 1.
  const RequestSpec s = spec_of("    rate: 1\n    count: 10000\n    seed: 5489\n" + kFixedLengths);
  const auto r = make_requests(s);
  REQUIRE(r.size() == 10000);
  const std::uint64_t x = 9981545732273789042ULL;
  const double u = static_cast<double>(x >> 11) * 0x1.0p-53;
  const double gap = -std::log(1.0 - u);
  // Both arrivals are sums of the same doubles in the same order; their difference is the gap up
  // to the rounding of the sum near t = 10^4 (ulp 1.8e-12).
  CHECK(r[9999].arrival_s - r[9998].arrival_s == Approx(gap).margin(1e-11));
}

TEST_CASE("requests: the same seed gives the same requests, another seed others", "[workload][requests]") {
  const std::string body =
      "    rate: 10\n    count: 1000\n    seed: {}\n"
      "    input: {{dist: lognormal, median: 500, sigma: 1.0, min: 1, max: 8000}}\n"
      "    output: {{dist: uniform, min: 1, max: 1000}}\n";
  auto as_tuples = [](const std::vector<Request>& v) {
    std::vector<std::tuple<std::int64_t, double, std::int64_t, std::int64_t>> out;
    for (const auto& q : v) out.emplace_back(q.id, q.arrival_s, q.input_tokens, q.output_tokens);
    return out;
  };
  const auto a = as_tuples(make_requests(spec_of(fmt::format(body, 3))));
  const auto b = as_tuples(make_requests(spec_of(fmt::format(body, 3))));
  const auto c = as_tuples(make_requests(spec_of(fmt::format(body, 4))));
  CHECK(a == b);
  CHECK(a != c);
}

// ---------------------------------------------------------------------------------------------
// Lengths
// ---------------------------------------------------------------------------------------------

TEST_CASE("requests: lognormal lengths have the median and sigma asked for", "[workload][requests]") {
  const RequestSpec s = spec_of(
      "    arrival: offline\n    count: 20000\n"
      "    input: {dist: lognormal, median: 1000, sigma: 0.5}\n"
      "    output: {dist: fixed, tokens: 1}\n");
  // Unclamped: min 1, max 10^7 by default.
  CHECK(s.input.min == 1);
  CHECK(s.input.max == kMaxRequestTokens);
  // mean() = median exp(sigma^2 / 2) = 1000 e^0.125 = 1133.148...
  CHECK(s.input.mean() == Approx(1000.0 * std::exp(0.125)));
  const auto r = make_requests(s);
  const double n = 20000.0;
  // The median: the number of draws below 1000 is binomial (n, p), p = P(round(X) < 1000) =
  // P(X < 999.5) = Phi(ln(0.9995) / 0.5) = 0.4996 (0.5 but for rounding); its standard deviation
  // sqrt(n p (1 - p)) / n = 0.00354: 3 sigma = 0.0106 around 0.4996.
  const double below = static_cast<double>(std::count_if(r.begin(), r.end(), [](const Request& q) { return q.input_tokens < 1000; }));
  CHECK(std::fabs(below / n - 0.4996) < 3.0 * 0.5 / std::sqrt(n));
  // The logarithms are normal with mean ln 1000 and standard deviation 0.5 (rounding to whole
  // tokens moves a log by at most 0.5/length, ~5e-4 here). Their sample mean has standard
  // deviation 0.5 / sqrt(n) = 0.00354 (3 sigma: 0.0106); their sample standard deviation about
  // 0.5 / sqrt(2 n) = 0.0025 (3 sigma: 0.0075).
  double sum = 0.0, sum2 = 0.0;
  for (const auto& q : r) {
    const double l = std::log(static_cast<double>(q.input_tokens));
    sum += l;
    sum2 += l * l;
  }
  const double m = sum / n;
  const double sd = std::sqrt(sum2 / n - m * m);
  CHECK(std::fabs(m - std::log(1000.0)) < 3.0 * 0.5 / std::sqrt(n));
  CHECK(std::fabs(sd - 0.5) < 3.0 * 0.5 / std::sqrt(2.0 * n));
  // The sample mean: the lognormal's variance is (e^{s^2} - 1) e^{2 mu + s^2} = (e^0.25 - 1)
  // e^0.25 10^6 = 3.647e5, standard deviation 603.9; the mean of n has 603.9 / sqrt(n) = 4.27
  // (3 sigma: 12.8) around 1133.15.
  double total = 0.0;
  for (const auto& q : r) total += static_cast<double>(q.input_tokens);
  const double var = (std::exp(0.25) - 1.0) * std::exp(0.25) * 1e6;
  CHECK(std::fabs(total / n - 1000.0 * std::exp(0.125)) < 3.0 * std::sqrt(var / n));
}

TEST_CASE("requests: lognormal lengths are clamped to [min, max]", "[workload][requests]") {
  const auto r = make_requests(spec_of(
      "    arrival: offline\n    count: 1000\n"
      "    input: {dist: lognormal, median: 100, sigma: 2, min: 50, max: 200}\n"
      "    output: {dist: lognormal, median: 100, sigma: 10, min: 1, max: 10000000}\n"));
  // P(X < 50) = Phi(ln(0.5) / 2) = Phi(-0.347) = 0.36 and P(X > 200) the same: of 1000 draws
  // both ends are hit (the chance that one is not is 0.64^1000). sigma 10 reaches exp(+-86):
  // far past both ends of the output's clamp, which must hold without overflow.
  std::set<std::int64_t> seen;
  for (const auto& q : r) {
    CHECK(q.input_tokens >= 50);
    CHECK(q.input_tokens <= 200);
    CHECK(q.output_tokens >= 1);
    CHECK(q.output_tokens <= kMaxRequestTokens);
    seen.insert(q.input_tokens);
  }
  CHECK(seen.count(50) == 1);
  CHECK(seen.count(200) == 1);
}

TEST_CASE("requests: uniform lengths are each value of [min, max] equally often", "[workload][requests]") {
  const RequestSpec s = spec_of(
      "    arrival: offline\n    count: 40000\n"
      "    input: {dist: uniform, min: 1, max: 4}\n"
      "    output: {dist: uniform, min: 7, max: 7}\n");
  CHECK(s.input.mean() == 2.5);  // (1 + 4) / 2
  const auto r = make_requests(s);
  std::map<std::int64_t, int> freq;
  for (const auto& q : r) {
    ++freq[q.input_tokens];
    CHECK(q.output_tokens == 7);  // a range of one value
  }
  // Four values, p = 1/4 each; a frequency's standard deviation sqrt(p (1 - p) / n) = 0.00217:
  // 3 sigma = 0.0065.
  REQUIRE(freq.size() == 4);
  for (std::int64_t v = 1; v <= 4; ++v) {
    INFO("value " << v);
    CHECK(std::fabs(freq[v] / 40000.0 - 0.25) < 3.0 * std::sqrt(0.25 * 0.75 / 40000.0));
  }
}

TEST_CASE("requests: histogram lengths are drawn with probability weight / total", "[workload][requests]") {
  const TempDir d;
  (void)d.write("lengths.csv", "tokens,weight\n100,1\n200,3\n300,0\n400,4\n");
  const RequestSpec s = spec_of(
      "    arrival: offline\n    count: 40000\n"
      "    input: {dist: histogram, file: lengths.csv}\n"
      "    output: {dist: fixed, tokens: 1}\n",
      d.dir());
  REQUIRE(s.input.histogram.size() == 4);  // read with the spec
  // mean() = (100 x 1 + 200 x 3 + 300 x 0 + 400 x 4) / 8 = 2300 / 8 = 287.5
  CHECK(s.input.mean() == 287.5);
  const auto r = make_requests(s);
  std::map<std::int64_t, int> freq;
  for (const auto& q : r) ++freq[q.input_tokens];
  // p = 1/8, 3/8, 0, 4/8: the weight-0 bin is never drawn; each other frequency within
  // 3 sqrt(p (1 - p) / n) (0.0050, 0.0073, 0.0075) of its p.
  CHECK(freq.count(300) == 0);
  for (const auto& [tokens, p] : std::vector<std::pair<std::int64_t, double>>{{100, 0.125}, {200, 0.375}, {400, 0.5}}) {
    INFO("tokens " << tokens);
    CHECK(std::fabs(freq[tokens] / 40000.0 - p) < 3.0 * std::sqrt(p * (1.0 - p) / 40000.0));
  }
}

TEST_CASE("requests: a histogram file's bad row is refused at its line", "[workload][requests]") {
  const TempDir d;
  const std::string body =
      "    arrival: offline\n    count: 1\n"
      "    input: {dist: histogram, file: h.csv}\n"
      "    output: {dist: fixed, tokens: 1}\n";
  SECTION("a negative weight") {
    const std::string path = d.write("h.csv", "tokens,weight\n100,1\n200,-1\n");
    const InputError e = spec_error(body, d.dir());
    check_names_line(e, path, 3);
    CHECK(e.where().key == "weight");
  }
  SECTION("every weight 0") {
    (void)d.write("h.csv", "tokens,weight\n100,0\n");
    CHECK_THAT(spec_error(body, d.dir()).what(), Contains("add up to"));
  }
  SECTION("a length of 0 tokens") {
    const std::string path = d.write("h.csv", "weight,tokens\n1,0\n");
    check_names_line(spec_error(body, d.dir()), path, 2);
  }
}

// ---------------------------------------------------------------------------------------------
// Trace files
// ---------------------------------------------------------------------------------------------

TEST_CASE("requests: a csv trace reads back, sorted stably by arrival", "[workload][requests]") {
  const TempDir d;
  // Columns in another order, an extra one, CRLF line ends, a blank line, rows out of order, and
  // two at 0.5 s (kept in file order).
  (void)d.write("t.csv",
                "output_tokens,arrival_s,input_tokens,note\r\n"
                "20,0.5,200,b\r\n"
                "10,0,100,a\r\n"
                "\r\n"
                "30,0.5,300,c\r\n");
  const RequestSpec s = spec_of("    trace: t.csv\n", d.dir());
  CHECK(s.format == "csv");
  CHECK(s.file == d.dir() + "/t.csv");
  CHECK_FALSE(request_count(s).has_value());
  const auto r = make_requests(s);
  REQUIRE(r.size() == 3);
  CHECK(r[0].id == 0);
  CHECK(r[0].arrival_s == 0.0);
  CHECK(r[0].input_tokens == 100);
  CHECK(r[0].output_tokens == 10);
  CHECK(r[1].id == 1);
  CHECK(r[1].arrival_s == 0.5);
  CHECK(r[1].input_tokens == 200);
  CHECK(r[2].id == 2);
  CHECK(r[2].input_tokens == 300);
  CHECK(r[2].output_tokens == 30);
}

TEST_CASE("requests: a jsonl trace reads back, other keys skipped", "[workload][requests]") {
  const TempDir d;
  (void)d.write("t.jsonl",
                "{\"arrival_s\": 1.25, \"input_tokens\": 1000, \"output_tokens\": 200}\n"
                "{\"user\": \"a \\\"b\\\" {c}\", \"meta\": {\"x\": [1, 2, {\"y\": null}]}, \"output_tokens\": 3,"
                " \"input_tokens\": 7, \"arrival_s\": 0.5e-1, \"ok\": true}\n");
  const RequestSpec s = spec_of("    trace: t.jsonl\n", d.dir());
  CHECK(s.format == "jsonl");
  const auto r = make_requests(s);
  REQUIRE(r.size() == 2);
  // 0.5e-1 = 0.05 s comes first.
  CHECK(r[0].arrival_s == 0.05);
  CHECK(r[0].input_tokens == 7);
  CHECK(r[0].output_tokens == 3);
  CHECK(r[1].arrival_s == 1.25);
  CHECK(r[1].input_tokens == 1000);
  CHECK(r[1].output_tokens == 200);
}

TEST_CASE("requests: an Azure trace's timestamps become seconds after the earliest", "[workload][requests]") {
  const TempDir d;
  (void)d.write("AzureLLMInferenceTrace_conv.csv",
                "TIMESTAMP,ContextTokens,GeneratedTokens\n"
                "2023-11-16 18:15:46.6805900,374,44\n"
                "2023-11-16 18:15:50.9951690,396,109\n"
                "2023-11-17 00:00:00,1,1\n");
  const RequestSpec s = spec_of("    trace: AzureLLMInferenceTrace_conv.csv\n", d.dir());
  CHECK(s.format == "azure");  // told by its header
  const auto r = make_requests(s);
  REQUIRE(r.size() == 3);
  CHECK(r[0].arrival_s == 0.0);
  CHECK(r[0].input_tokens == 374);
  CHECK(r[0].output_tokens == 44);
  // 50.9951690 - 46.6805900 = 4.3145790 s
  CHECK(r[1].arrival_s == Approx(4.314579).margin(1e-9));
  // From 18:15:46.68059 to midnight: 5 h 44 min 13.31941 s = 18000 + 2640 + 13.31941 = 20653.31941 s
  CHECK(r[2].arrival_s == Approx(20653.31941).margin(1e-9));
  CHECK(r[2].input_tokens == 1);
}

TEST_CASE("requests: Azure timestamps across a leap day, a year's end and UTC offsets", "[workload][requests]") {
  const TempDir d;
  // Rows out of order: times are relative to the earliest, 2023-12-31 23:59:59.5.
  //   2024-01-01 00:00:00        0.5 s later
  //   2024-02-28 23:59:59        0.5 s + 58 days (31 of January, 27 of February) + 86399 s
  //                              = 0.5 + 5011200 + 86399 = 5097599.5 s
  //   2024-03-01 00:00:00        0.5 s + 60 days (31 + 29: 2024 is a leap year) = 5184000.5 s,
  //                              86401 s (the 29th and 1 s) after the row above
  //   2024-01-01 02:00:00+02:00  is 00:00:00 UTC: 0.5 s, after the first 0.5 s row (stable)
  //   2024-01-01T00:00:01Z       1.5 s
  (void)d.write("az.csv",
                "TIMESTAMP,ContextTokens,GeneratedTokens\n"
                "2024-01-01 00:00:00,1,1\n"
                "2024-02-28 23:59:59,2,1\n"
                "2024-03-01 00:00:00,3,1\n"
                "2023-12-31 23:59:59.5,4,1\n"
                "2024-01-01 02:00:00+02:00,5,1\n"
                "2024-01-01T00:00:01Z,6,1\n");
  const auto r = make_requests(trace_spec(d.dir() + "/az.csv", "azure"));
  REQUIRE(r.size() == 6);
  const std::vector<std::pair<std::int64_t, double>> expected = {
      {4, 0.0}, {1, 0.5}, {5, 0.5}, {6, 1.5}, {2, 5097599.5}, {3, 5184000.5}};
  for (std::size_t i = 0; i < r.size(); ++i) {
    INFO("request " << i);
    CHECK(r[i].input_tokens == expected[i].first);
    CHECK(r[i].arrival_s == expected[i].second);
  }
}

TEST_CASE("requests: a trace's format is told by its name and first line", "[workload][requests]") {
  const TempDir d;
  (void)d.write("a.txt", "{\"arrival_s\": 0, \"input_tokens\": 1, \"output_tokens\": 1}\n");
  (void)d.write("b.txt", "arrival_s,input_tokens,output_tokens\n0,1,1\n");
  (void)d.write("c.log", "TIMESTAMP,ContextTokens,GeneratedTokens\n2024-01-01 00:00:00,1,1\n");
  (void)d.write("d.ndjson", "");
  (void)d.write("e.dat", "when,in,out\n");
  CHECK(spec_of("    trace: a.txt\n", d.dir()).format == "jsonl");
  CHECK(spec_of("    trace: b.txt\n", d.dir()).format == "csv");
  CHECK(spec_of("    trace: c.log\n", d.dir()).format == "azure");
  CHECK(spec_of("    trace: d.ndjson\n", d.dir()).format == "jsonl");
  CHECK(spec_of("    trace: e.dat\n    format: csv\n", d.dir()).format == "csv");
  const InputError e = spec_error("    trace: e.dat\n", d.dir());
  CHECK(e.where().key == "workload.requests.trace");
  CHECK_THAT(e.what(), Contains("format: csv, jsonl or azure"));
}

TEST_CASE("requests: a bad trace row is refused naming its file and line", "[workload][requests]") {
  const TempDir d;
  const std::string head = "arrival_s,input_tokens,output_tokens\n";
  SECTION("csv: a row of too few fields") {
    const InputError e = trace_error(d, "t.csv", head + "0,1,1\n1,2\n", "csv");
    check_names_line(e, d.dir() + "/t.csv", 3);
    CHECK_THAT(e.what(), Contains("2 fields, but the header has 3"));
  }
  SECTION("csv: a negative arrival") {
    const InputError e = trace_error(d, "t.csv", head + "0,1,1\n\n-0.5,2,2\n", "csv");
    check_names_line(e, d.dir() + "/t.csv", 4);  // the blank line counts
    CHECK(e.where().key == "arrival_s");
    CHECK(e.where().column == 1);
  }
  SECTION("csv: an arrival that is not a number") {
    const InputError e = trace_error(d, "t.csv", head + "soon,1,1\n", "csv");
    check_names_line(e, d.dir() + "/t.csv", 2);
  }
  SECTION("csv: tokens that are not whole") {
    const InputError e = trace_error(d, "t.csv", head + "0,12.5,1\n", "csv");
    check_names_line(e, d.dir() + "/t.csv", 2);
    CHECK(e.where().key == "input_tokens");
    CHECK(e.where().column == 3);  // "0,12.5": the field starts at the third character
    CHECK_THAT(e.what(), Contains("12.5"));
  }
  SECTION("csv: 0 output tokens") {
    const InputError e = trace_error(d, "t.csv", head + "0,5,0\n", "csv");
    check_names_line(e, d.dir() + "/t.csv", 2);
    CHECK(e.where().key == "output_tokens");
  }
  SECTION("csv: more tokens than the limit") {
    const InputError e = trace_error(d, "t.csv", head + "0,10000001,1\n", "csv");
    check_names_line(e, d.dir() + "/t.csv", 2);
    CHECK_THAT(e.what(), Contains("limit"));
  }
  SECTION("csv: a missing column") {
    const InputError e = trace_error(d, "t.csv", "arrival_s,input_tokens\n0,1\n", "csv");
    check_names_line(e, d.dir() + "/t.csv", 1);
    CHECK_THAT(e.what(), Contains("output_tokens"));
  }
  SECTION("csv: an Azure file read as csv says so") {
    const InputError e = trace_error(d, "t.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n2024-01-01 00:00:00,1,1\n", "csv");
    check_names_line(e, d.dir() + "/t.csv", 1);
    CHECK_THAT(e.what(), Contains("format: azure"));
  }
  SECTION("csv: a header and no rows") {
    const InputError e = trace_error(d, "t.csv", head, "csv");
    CHECK(e.where().file == d.dir() + "/t.csv");
    CHECK_THAT(e.what(), Contains("no requests"));
  }
  SECTION("csv: more rows than the cap") {
    RequestSpec s = trace_spec(d.write("t.csv", head + "0,1,1\n1,1,1\n2,1,1\n"), "csv");
    s.max_requests = 2;
    // The third data row, line 4, passes a cap of 2.
    const InputError e = input_error_of([&] { (void)make_requests(s); });
    check_names_line(e, s.file, 4);
    CHECK_THAT(e.what(), Contains("more than 2 requests"));
  }
  SECTION("jsonl: a malformed line") {
    const InputError e = trace_error(
        d, "t.jsonl", "{\"arrival_s\": 0, \"input_tokens\": 1, \"output_tokens\": 1}\n{\"arrival_s\": 1, \n", "jsonl");
    check_names_line(e, d.dir() + "/t.jsonl", 2);
  }
  SECTION("jsonl: a missing key") {
    const InputError e = trace_error(d, "t.jsonl", "{\"arrival_s\": 0, \"input_tokens\": 1}\n", "jsonl");
    check_names_line(e, d.dir() + "/t.jsonl", 1);
    CHECK_THAT(e.what(), Contains("output_tokens"));
  }
  SECTION("jsonl: tokens as a string or a fraction") {
    const InputError a = trace_error(d, "t.jsonl", "{\"arrival_s\": 0, \"input_tokens\": \"5\", \"output_tokens\": 1}\n", "jsonl");
    check_names_line(a, d.dir() + "/t.jsonl", 1);
    CHECK(a.where().key == "input_tokens");
    const InputError b = trace_error(d, "t.jsonl", "{\"arrival_s\": 0, \"input_tokens\": 5, \"output_tokens\": 1.5}\n", "jsonl");
    CHECK(b.where().key == "output_tokens");
  }
  SECTION("jsonl: a key given twice") {
    const InputError e = trace_error(d, "t.jsonl", "{\"arrival_s\": 0, \"arrival_s\": 1, \"input_tokens\": 1, \"output_tokens\": 1}\n", "jsonl");
    check_names_line(e, d.dir() + "/t.jsonl", 1);
  }
  SECTION("azure: a request that generated 0 tokens") {
    const InputError e = trace_error(d, "az.csv",
                                     "TIMESTAMP,ContextTokens,GeneratedTokens\n2024-01-01 00:00:00,10,5\n"
                                     "2024-01-01 00:00:01,10,0\n",
                                     "azure");
    check_names_line(e, d.dir() + "/az.csv", 3);
    CHECK(e.where().key == "GeneratedTokens");
    CHECK_THAT(e.what(), Contains("filter"));
  }
  SECTION("azure: a date that does not exist") {
    const InputError e = trace_error(d, "az.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-02-29 00:00:00,10,5\n", "azure");
    check_names_line(e, d.dir() + "/az.csv", 2);
    CHECK(e.where().key == "TIMESTAMP");
  }
  SECTION("azure: a request past the arrival limit") {
    // 2024-01-01 to 2030-01-01 is about 6 years, past 10,000 h (417 days); the row is line 4.
    const InputError e = trace_error(d, "az.csv",
                                     "TIMESTAMP,ContextTokens,GeneratedTokens\n2024-01-01 00:00:00,10,5\n"
                                     "2024-01-01 00:00:01,10,5\n2030-01-01 00:00:00,10,5\n",
                                     "azure");
    check_names_line(e, d.dir() + "/az.csv", 4);
    CHECK(e.where().key == "TIMESTAMP");
    CHECK_THAT(e.what(), Contains("10000 h"));
  }
  SECTION("csv: an arrival past the limit") {
    // 10,000 h = 3.6e7 s
    const InputError e = trace_error(d, "t.csv", head + "36000001,1,1\n", "csv");
    check_names_line(e, d.dir() + "/t.csv", 2);
    CHECK_THAT(e.what(), Contains("10000 h"));
  }
  SECTION("azure: a timestamp that is not one") {
    const InputError e = trace_error(d, "az.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n1700000000,10,5\n", "azure");
    check_names_line(e, d.dir() + "/az.csv", 2);
  }
}

// ---------------------------------------------------------------------------------------------
// The spec's errors, at their keys
// ---------------------------------------------------------------------------------------------

TEST_CASE("requests: an inconsistent workload.requests is refused at the offending key", "[workload][requests]") {
  const TempDir d;
  (void)d.write("t.csv", "arrival_s,input_tokens,output_tokens\n0,1,1\n");
  struct Case {
    const char* name;
    std::string body;
    std::string key;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"a trace and a synthetic key", "    trace: t.csv\n    rate: 5\n", "workload.requests.rate", "synthetic"},
      {"a trace and lengths", "    trace: t.csv\n" + kFixedLengths, "workload.requests.input", "'trace' is given"},
      {"a format without a trace", "    format: csv\n    arrival: offline\n    count: 1\n" + kFixedLengths,
       "workload.requests.format", "no 'trace'"},
      {"a trace that does not exist", "    trace: nowhere.csv\n", "workload.requests.trace", "does not exist"},
      {"poisson without a rate", "    count: 5\n" + kFixedLengths, "workload.requests", "'rate'"},
      {"fixed without count or duration", "    arrival: fixed\n    rate: 5\n" + kFixedLengths, "workload.requests",
       "'count' (requests) or 'duration'"},
      {"both count and duration", "    rate: 5\n    count: 5\n    duration: 1 s\n" + kFixedLengths,
       "workload.requests.duration", "not both"},
      {"a duration without its unit", "    rate: 5\n    duration: 10\n" + kFixedLengths, "workload.requests.duration", ""},
      {"more requests than the limit", "    rate: 1000000\n    duration: 11 s\n" + kFixedLengths,
       "workload.requests.duration", "11000000 requests"},
      {"offline without a count", "    arrival: offline\n" + kFixedLengths, "workload.requests", "'count'"},
      {"offline with a rate", "    arrival: offline\n    rate: 5\n    count: 5\n" + kFixedLengths, "workload.requests.rate",
       "no 'rate'"},
      {"a rate of 0", "    rate: 0\n    count: 5\n" + kFixedLengths, "workload.requests.rate", ""},
      {"no output", "    arrival: offline\n    count: 1\n    input: {dist: fixed, tokens: 1}\n", "workload.requests",
       "'output'"},
      {"min greater than max",
       "    arrival: offline\n    count: 1\n    input: {dist: uniform, min: 10, max: 5}\n    output: {dist: fixed, tokens: 1}\n",
       "workload.requests.input.min", "min (10) greater than max (5)"},
      {"lognormal min above its default max",
       "    arrival: offline\n    count: 1\n    input: {dist: fixed, tokens: 1}\n"
       "    output: {dist: lognormal, median: 9, sigma: 1, min: 10000000}\n",
       "", ""},  // min 10^7 = max 10^7: allowed (checked below not to throw)
      {"uniform without max",
       "    arrival: offline\n    count: 1\n    input: {dist: uniform, min: 10}\n    output: {dist: fixed, tokens: 1}\n",
       "workload.requests.input", "'max'"},
      {"a key of another dist",
       "    arrival: offline\n    count: 1\n    input: {dist: uniform, min: 1, max: 5, tokens: 3}\n"
       "    output: {dist: fixed, tokens: 1}\n",
       "workload.requests.input.tokens", "does not apply to dist uniform"},
      {"an unknown dist",
       "    arrival: offline\n    count: 1\n    input: {dist: zipf, tokens: 3}\n    output: {dist: fixed, tokens: 1}\n",
       "workload.requests.input.dist", "histogram"},
      {"a histogram file that does not exist",
       "    arrival: offline\n    count: 1\n    input: {dist: fixed, tokens: 1}\n    output: {dist: histogram, file: no.csv}\n",
       "workload.requests.output.file", "does not exist"},
      {"a misspelt key", "    arrival: offline\n    cuont: 5\n" + kFixedLengths, "workload.requests.cuont", "'count'"},
      {"0 tokens", "    arrival: offline\n    count: 1\n    input: {dist: fixed, tokens: 0}\n    output: {dist: fixed, tokens: 1}\n",
       "workload.requests.input.tokens", ""},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    if (c.key.empty()) {
      CHECK_NOTHROW(spec_of(c.body, d.dir()));
      continue;
    }
    const InputError e = spec_error(c.body, d.dir());
    INFO(e.what());
    CHECK(e.where().key == c.key);
    CHECK(e.where().file == "scenario.yaml");
    const std::string leaf = c.key.substr(c.key.find_last_of('.') + 1);
    // The map's own errors point at the map (the line after `requests:`); a key's at that key.
    CHECK(e.where().line == (leaf == "requests" ? yaml_line(c.body, "    ") : yaml_line(c.body, leaf + ":")));
    if (!c.says.empty()) CHECK_THAT(std::string(e.what()), Contains(c.says));
  }
}

TEST_CASE("requests: more synthetic requests than the cap are refused at count or duration", "[workload][requests]") {
  RequestSpec s = spec_of("    arrival: offline\n    count: 11\n" + kFixedLengths);
  s.max_requests = 10;
  const InputError a = input_error_of([&] { (void)make_requests(s); });
  CHECK(a.where().key == "workload.requests.count");
  CHECK_THAT(a.what(), Contains("more than 10 requests"));
  RequestSpec t = spec_of("    arrival: fixed\n    rate: 100\n    duration: 1 s\n" + kFixedLengths);
  t.max_requests = 10;  // 100 would arrive
  const InputError b = input_error_of([&] { (void)make_requests(t); });
  CHECK(b.where().key == "workload.requests.duration");
}

// ---------------------------------------------------------------------------------------------
// The key table and its documentation
// ---------------------------------------------------------------------------------------------

TEST_CASE("requests: the key table's rows lie under workload.requests, for inference_serving", "[workload][requests]") {
  const KeyTable& t = request_keys();
  for (const auto& row : t.rows()) CHECK(row.path.rfind("workload.requests", 0) == 0);
  const KeySpec* top = t.find("workload.requests");
  REQUIRE(top != nullptr);
  CHECK(top->kinds == std::vector<std::string>{"inference_serving"});
  CHECK(top->dflt.kind == DefaultKind::Required);
  CHECK(t.names("workload.requests") ==
        std::vector<std::string>{"trace", "format", "arrival", "rate", "count", "duration", "seed", "input", "output"});
  CHECK(t.names("workload.requests.input") == std::vector<std::string>{"dist", "tokens", "min", "max", "median", "sigma", "file"});
  CHECK(t.names("workload.requests.output") == t.names("workload.requests.input"));
}


TEST_CASE("requests: docs/inference.md's key tables are the key table's", "[workload][requests][docs]") {
  // Tables marked `<!-- key-table map="..." -->`, as docs/scenario-format.md's: the first cell
  // names the key(s) in backquotes, then Type and Default as render_type / render_default write them.
  std::ifstream in(std::string(RACKSIM_SOURCE_DIR) + "/docs/inference.md");
  REQUIRE(in.good());
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  static const std::regex marker(R"re(^<!-- key-table map="([^"]*)" -->$)re");
  static const std::regex name("`([a-z_0-9]+)`");
  const KeyTable& t = request_keys();
  std::set<std::string> maps;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::smatch m;
    if (!std::regex_match(lines[i], m, marker)) continue;
    const std::string map = m[1];
    INFO("docs/inference.md:" << i + 1 << ", map " << map);
    maps.insert(map);
    std::size_t j = i + 1;
    while (j < lines.size() && trim_cell(lines[j]).empty()) ++j;
    std::vector<std::string> headers;
    std::vector<std::string> documented;
    for (; j < lines.size() && !lines[j].empty() && lines[j][0] == '|'; ++j) {
      const auto cells = cells_of(lines[j]);
      if (headers.empty()) {
        headers = cells;
        continue;
      }
      if (cells.at(0).rfind("---", 0) == 0) continue;
      const auto type_col = static_cast<std::size_t>(std::find(headers.begin(), headers.end(), "Type") - headers.begin());
      const auto dflt_col = static_cast<std::size_t>(std::find(headers.begin(), headers.end(), "Default") - headers.begin());
      REQUIRE(type_col < headers.size());
      REQUIRE(dflt_col < headers.size());
      for (auto it = std::sregex_iterator(cells[0].begin(), cells[0].end(), name); it != std::sregex_iterator(); ++it) {
        const std::string key = (*it)[1];
        documented.push_back(key);
        const KeySpec* row = t.find(map + "." + key);
        INFO("key " << key);
        REQUIRE(row != nullptr);
        CHECK(cells.at(type_col) == render_type(*row));
        CHECK(cells.at(dflt_col) == render_default(*row));
      }
    }
    std::vector<std::string> expected = t.names(map);
    std::sort(expected.begin(), expected.end());
    std::sort(documented.begin(), documented.end());
    CHECK(documented == expected);
  }
  // workload.requests, and its input and output maps (one table: their keys are the same).
  CHECK(maps.count("workload.requests") == 1);
  CHECK(maps.count("workload.requests.input") == 1);
}
