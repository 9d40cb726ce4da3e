// racksim sim/workload: the requests of an inference-serving workload (see requests.hpp and
// docs/inference.md): the key table of workload.requests, its reader, the trace readers
// (csv, jsonl, azure) and the synthetic generator.
//
// The generator (exact, so that anyone can reproduce its output):
//   words    x_1, x_2, ... from std::mt19937_64 seeded with `seed` (its output is fixed by the
//            C++ standard, unlike the std::*_distribution adaptors);
//   uniform  u = (x >> 11) * 2^-53, in [0, 1) with 53 random bits;
//   gap      poisson: -ln(1 - u) / rate (exponential of mean 1/rate; 1 - u lies in (0, 1]);
//   int      uniform in [min, max]: min + floor(x * n / 2^64), n = max - min + 1 < 2^32, computed
//            exactly from x's two 32-bit halves. No rejection: a value's probability is off from
//            1/n by less than n / 2^64 (below 6e-13 for n <= 10^7), far below what any test of a
//            simulation could see;
//   normal   Box-Muller from two uniforms u1, u2: z = sqrt(-2 ln(1 - u1)) cos(2 pi u2) (the sine
//            half is not used: one normal costs two words, whatever came before);
//   lognormal  round(median * exp(sigma z)) half away from zero, clamped to [min, max];
//   histogram  bin i of weights w_1..w_k (total W, cumulative C_i) when C_{i-1} <= u W < C_i.
// Per request the words are drawn in the order gap (poisson only), input, output; a fixed length
// draws nothing, a uniform or histogram length one word, a lognormal one two.
//   arrivals  poisson: t_1 = gap_1, t_k = t_{k-1} + gap_k (the first gap drawn like the rest);
//             fixed: t_k = (k - 1) / rate (the first at 0, each computed, not accumulated);
//             offline: every t_k = 0. With `duration` T: the requests with t_k < T.
#include "sim/workload/requests.hpp"

#include "core/input_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string_view>
#include <system_error>
#include <utility>

namespace racksim {

// ---------------------------------------------------------------------------------------------
// The key table
// ---------------------------------------------------------------------------------------------
namespace {

const std::vector<std::string> kSyntheticKeys = {"arrival", "rate", "count", "duration", "seed", "input", "output"};
const std::vector<std::string> kDists = {"fixed", "uniform", "lognormal", "histogram"};
// The keys of a length map each dist uses (besides `dist`).
std::vector<std::string> dist_keys(const std::string& dist) {
  if (dist == "fixed") return {"tokens"};
  if (dist == "uniform") return {"min", "max"};
  if (dist == "lognormal") return {"median", "sigma", "min", "max"};
  return {"file"};
}

std::vector<KeySpec> length_rows(const std::string& which) {
  const std::string p = "workload.requests." + which + ".";
  const std::string max_tokens = fmt::format("{}", kMaxRequestTokens);
  return {
      KeySpec(p + "dist").one_of(kDists).required()
          .describe("The distribution of the " + which + " lengths, in tokens"),
      KeySpec(p + "tokens").integer(1, kMaxRequestTokens).default_is("required with `fixed`")
          .describe("fixed: every request's length"),
      KeySpec(p + "min").integer(1, kMaxRequestTokens).default_is("required with `uniform`; `1` with `lognormal`")
          .describe("uniform: the shortest length (inclusive); lognormal: the clamp's low end"),
      KeySpec(p + "max").integer(1, kMaxRequestTokens)
          .default_is("required with `uniform`; `" + max_tokens + "` with `lognormal`")
          .describe("uniform: the longest length (inclusive); lognormal: the clamp's high end"),
      KeySpec(p + "median").number().above(0).at_most(static_cast<double>(kMaxRequestTokens))
          .default_is("required with `lognormal`").describe("lognormal: the median length, exp(mu)"),
      KeySpec(p + "sigma").number().at_least(0).at_most(10).default_is("required with `lognormal`")
          .describe("lognormal: the standard deviation of the length's logarithm"),
      KeySpec(p + "file").text().with_note(" (a path)").default_is("required with `histogram`")
          .describe("histogram: a CSV file `tokens,weight`, relative to the scenario's folder"),
  };
}

KeyTable build_request_keys() {
  const std::vector<std::string> serving{"inference_serving"};
  std::vector<KeySpec> rows{
      KeySpec("workload.requests").as_map().required().for_kinds(serving)
          .describe("The requests: a trace file, or the synthetic generator's keys"),
      KeySpec("workload.requests.trace").text().with_note(" (a path)").optional()
          .describe("A trace file of requests, relative to the scenario's folder (instead of the synthetic keys)"),
      KeySpec("workload.requests.format").one_of({"csv", "jsonl", "azure"})
          .default_is("by the file's extension and header")
          .describe("The trace's format"),
      KeySpec("workload.requests.arrival").one_of({"poisson", "fixed", "offline"}).default_value("poisson")
          .describe("Synthetic arrivals: exponential gaps (MLPerf Server), equal gaps, or all at 0 (MLPerf Offline)"),
      KeySpec("workload.requests.rate").number().above(0).at_most(1e9)
          .default_is("required with `poisson` and `fixed`")
          .describe("Requests per second"),
      KeySpec("workload.requests.count").integer(1, kMaxRequests)
          .default_is("required with `offline`; with `poisson` and `fixed`, this or `duration`")
          .describe("The number of requests"),
      KeySpec("workload.requests.duration").quantity(UnitFamily::Seconds).above(0).at_most(kMaxArrivalSeconds)
          .default_is("with `poisson` and `fixed`, this or `count`")
          .describe("The requests arriving before this time"),
      KeySpec("workload.requests.seed").integer(0, 4'294'967'295).default_value("1")
          .describe("The seed of the generator (std::mt19937_64)"),
      KeySpec("workload.requests.input").as_map().default_is("required without `trace`")
          .describe("The input (prompt) lengths"),
      KeySpec("workload.requests.output").as_map().default_is("required without `trace`")
          .describe("The output (generated) lengths"),
  };
  for (const char* which : {"input", "output"})
    for (auto& r : length_rows(which)) rows.push_back(std::move(r));
  return KeyTable("workload", std::move(rows));
}

}  // namespace

const KeyTable& request_keys() {
  static const KeyTable t = build_request_keys();
  return t;
}

// ---------------------------------------------------------------------------------------------
// Reading workload.requests
// ---------------------------------------------------------------------------------------------
namespace {

std::vector<std::pair<std::int64_t, double>> read_histogram(const std::string& file);  // below

std::string resolve(const std::string& p, const std::string& base_dir) {
  if (p.front() == '/' || base_dir.empty()) return p;
  return base_dir + "/" + p;
}

// Fails at `at` unless `path` is a regular file.
void check_file(const ConfigNode& at, const std::string& path, const std::string& what, const std::string& base_dir) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) return;
  const bool exists = std::filesystem::exists(path, ec);
  at.fail(fmt::format("{} '{}' {}{}", what, path, exists ? "is not a regular file" : "does not exist",
                      base_dir.empty() ? "" : fmt::format(" (a relative path is taken from '{}')", base_dir)));
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const auto comma = line.find(',', start);
    out.push_back(trim(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// The first non-blank line of `path` (at most 4 KiB of it), BOM removed; "" if none.
std::string first_line(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string buf(4096, '\0');
  in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
  buf.resize(static_cast<std::size_t>(in.gcount()));
  std::string_view v = buf;
  if (v.substr(0, kBom.size()) == kBom) v.remove_prefix(kBom.size());
  while (!v.empty()) {
    const auto nl = v.find('\n');
    const std::string_view line = trim(v.substr(0, nl));
    if (!line.empty()) return std::string(line);
    if (nl == std::string_view::npos) break;
    v.remove_prefix(nl + 1);
  }
  return {};
}

bool header_has(const std::string& line, std::string_view column) {
  const auto fields = split_fields(line);
  return std::find(fields.begin(), fields.end(), column) != fields.end();
}

// The format of a trace without `format:`: .jsonl/.ndjson are jsonl; a .csv is azure when its
// header has a TIMESTAMP column, csv otherwise; any other name is told by its first line.
std::string detect_format(const ConfigNode& at, const std::string& path) {
  const std::string ext = lower(std::filesystem::path(path).extension().string());
  if (ext == ".jsonl" || ext == ".ndjson") return "jsonl";
  const std::string head = first_line(path);
  if (ext == ".csv") return header_has(head, "TIMESTAMP") ? "azure" : "csv";
  if (!head.empty() && head.front() == '{') return "jsonl";
  if (header_has(head, "TIMESTAMP")) return "azure";
  if (header_has(head, "arrival_s")) return "csv";
  at.fail(fmt::format("cannot tell the format of trace '{}' from its name or first line; give format: csv, jsonl or azure",
                      path));
}

LengthDistribution read_length(const ConfigNode& n, const std::string& which, const std::string& base_dir) {
  const std::string map = "workload.requests." + which;
  MapReader r(n, request_keys(), map);
  LengthDistribution d;
  const std::string dist = *r.text("dist");
  const auto tokens = r.integer("tokens");
  const auto min = r.integer("min");
  const auto max = r.integer("max");
  const auto median = r.number("median");
  const auto sigma = r.number("sigma");
  const auto file = r.text("file");
  r.finish();

  const auto used = dist_keys(dist);
  for (const auto& [key, child] : n.entries()) {
    if (key == "dist" || std::find(used.begin(), used.end(), key) != used.end()) continue;
    std::string list;
    for (const auto& u : used) list += (list.empty() ? "" : ", ") + u;
    child.fail(fmt::format("key '{}' does not apply to dist {} (its keys: {})", key, dist, list));
  }
  auto need = [&](const std::string& key, bool given) {
    if (!given) n.fail(fmt::format("{} with dist {} is missing required key '{}'", map, dist, key));
  };
  if (dist == "fixed") {
    need("tokens", tokens.has_value());
    d.kind = LengthDistribution::Kind::Fixed;
    d.tokens = *tokens;
  } else if (dist == "uniform" || dist == "lognormal") {
    const bool uniform = dist == "uniform";
    if (uniform) {
      need("min", min.has_value());
      need("max", max.has_value());
    } else {
      need("median", median.has_value());
      need("sigma", sigma.has_value());
      d.median = *median;
      d.sigma = *sigma;
    }
    d.kind = uniform ? LengthDistribution::Kind::Uniform : LengthDistribution::Kind::Lognormal;
    d.min = min.value_or(1);
    d.max = max.value_or(kMaxRequestTokens);
    if (d.min > d.max)
      n.child(min ? "min" : "max").fail(fmt::format("min ({}) greater than max ({})", d.min, d.max));
  } else {
    need("file", file.has_value());
    d.kind = LengthDistribution::Kind::Histogram;
    d.file = resolve(*file, base_dir);
    check_file(n.child("file"), d.file, "histogram file", base_dir);
    d.histogram = read_histogram(d.file);
  }
  return d;
}

}  // namespace

RequestSpec read_request_spec(const ConfigNode& node, const std::string& base_dir) {
  MapReader r(node, request_keys(), "workload.requests");
  RequestSpec s;
  s.where = node.location();
  const auto trace = r.text("trace");
  const auto format = r.text("format");
  const std::string arrival = *r.text("arrival");
  const auto rate = r.number("rate");
  const auto count = r.integer("count");
  const auto duration = r.number("duration");
  const auto seed = r.integer("seed");
  const auto input = r.optional("input");
  const auto output = r.optional("output");
  r.finish();

  if (trace) {
    for (const auto& key : kSyntheticKeys)
      if (node.has(key))
        node.child(key).fail(fmt::format("'{}' is a key of synthetic requests, but 'trace' is given: a trace gives "
                                         "every arrival and length (remove '{}' or 'trace')", key, key));
    s.file = resolve(*trace, base_dir);
    const ConfigNode at = node.child("trace");
    check_file(at, s.file, "trace file", base_dir);
    s.format = format ? *format : detect_format(at, s.file);
    return s;
  }
  if (format) node.child("format").fail("'format' is the format of a trace file, but no 'trace' is given");

  s.arrival = arrival;
  s.seed = static_cast<std::uint64_t>(*seed);
  if (arrival == "offline") {
    if (rate) node.child("rate").fail("arrival offline puts every request at t = 0: it takes no 'rate'");
    if (duration) node.child("duration").fail("arrival offline puts every request at t = 0: give 'count', not 'duration'");
    if (!count) node.fail("workload.requests with arrival offline is missing required key 'count'");
  } else {
    if (!rate) node.fail(fmt::format("workload.requests with arrival {} is missing required key 'rate' (requests/s)", arrival));
    if (!count && !duration)
      node.fail(fmt::format("workload.requests with arrival {} needs 'count' (requests) or 'duration' (a time)", arrival));
    if (count && duration) node.child("duration").fail("give one of 'count' and 'duration', not both");
    s.rate = *rate;
    if (duration) {
      // Poisson: rate x T requests expected; fixed: ceil(rate x T) exactly.
      const double expected = *rate * *duration;
      if (expected > static_cast<double>(kMaxRequests))
        node.child("duration").fail(fmt::format(
            "rate x duration = {:.0f} requests, more than the limit of {} requests per run (docs/limits.md)",
            expected, kMaxRequests));
    }
  }
  s.count = count;
  s.duration_s = duration;
  if (!input) node.fail("workload.requests is missing required key 'input' (or give a 'trace')");
  if (!output) node.fail("workload.requests is missing required key 'output' (or give a 'trace')");
  s.input = read_length(*input, "input", base_dir);
  s.output = read_length(*output, "output", base_dir);
  return s;
}

std::optional<std::int64_t> request_count(const RequestSpec& spec) {
  if (!spec.file.empty() || spec.duration_s) return std::nullopt;
  return spec.count;
}

double LengthDistribution::mean() const {
  switch (kind) {
    case Kind::Fixed: return static_cast<double>(tokens);
    case Kind::Uniform: return 0.5 * (static_cast<double>(min) + static_cast<double>(max));
    case Kind::Lognormal: return median * std::exp(0.5 * sigma * sigma);
    case Kind::Histogram: {
      double sum = 0.0, weight = 0.0;
      for (const auto& [t, w] : histogram) {
        sum += static_cast<double>(t) * w;
        weight += w;
      }
      return weight > 0.0 ? sum / weight : 0.0;
    }
  }
  return 0.0;
}

// ---------------------------------------------------------------------------------------------
// Reading files: lines, fields and numbers, with file:line errors
// ---------------------------------------------------------------------------------------------
namespace {

struct Line {
  int number = 0;          // 1-based
  std::string_view text;   // without its newline (and \r)
};

// Calls f(line) for each non-blank line of `data` (a leading UTF-8 BOM dropped), one at a time:
// a trace of millions of rows is never held twice.
template <class F>
void for_each_line(std::string_view data, F&& f) {
  if (data.substr(0, kBom.size()) == kBom) data.remove_prefix(kBom.size());
  int number = 0;
  while (!data.empty()) {
    ++number;
    const auto nl = data.find('\n');
    std::string_view l = data.substr(0, nl);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (!trim(l).empty()) f(Line{number, l});
    if (nl == std::string_view::npos) break;
    data.remove_prefix(nl + 1);
  }
}

[[noreturn]] void fail_at(const std::string& file, int line, int column, const std::string& key, const std::string& what) {
  throw InputError(Location{file, line, column, key}, what);
}

// A field read as a number of seconds or an integer of tokens; `what` names it in errors.
std::optional<double> parse_double(std::string_view s) {
  double v = 0.0;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// A run of decimal digits (nothing else), as long as it fits an int64.
std::optional<std::int64_t> parse_digits(std::string_view s) {
  std::int64_t v = 0;
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// Checks for one field; each fails naming file, line, column and the field's name.
struct FieldCheck {
  const std::string& file;
  int line;
  int column;
  std::string name;

  [[noreturn]] void fail(const std::string& what) const { fail_at(file, line, column, name, what); }

  double arrival(std::string_view text) const {
    const auto v = parse_double(text);
    if (!v) fail(fmt::format("expected an arrival time in seconds (a number), got '{}'", text));
    if (!std::isfinite(*v) || *v < 0.0) fail(fmt::format("expected an arrival time >= 0 s, got '{}'", text));
    if (*v > kMaxArrivalSeconds)
      fail(fmt::format("arrival {} s is past the limit of {} (docs/limits.md)", text,
                       format_quantity(UnitFamily::Seconds, kMaxArrivalSeconds)));
    return *v;
  }

  std::int64_t tokens(std::string_view text, const char* zero_hint = "") const {
    const auto v = parse_digits(text);
    if (!v) fail(fmt::format("expected a whole number of tokens (digits only), got '{}'", text));
    if (*v < 1) fail(fmt::format("expected at least 1 token, got {}{}", *v, zero_hint));
    if (*v > kMaxRequestTokens)
      fail(fmt::format("{} tokens is more than the limit of {} tokens per request (docs/limits.md)", *v, kMaxRequestTokens));
    return *v;
  }
};

// Room for the rows of `data` (at most its lines, at most `max_rows`), reserved once.
std::size_t rows_hint(std::string_view data, std::int64_t max_rows) {
  const auto lines = static_cast<std::int64_t>(std::count(data.begin(), data.end(), '\n')) + 1;
  return static_cast<std::size_t>(std::min(lines, max_rows));
}

int column_of(std::string_view line, std::string_view field) {
  return static_cast<int>(field.data() - line.data()) + 1;
}

// The index in the header `names` of each of `columns`; fails at the header line if one is
// missing or named twice.
std::vector<std::size_t> header_index(const std::string& file, const Line& head, const std::vector<std::string_view>& names,
                                      const std::vector<std::string_view>& columns, const std::string& hint) {
  std::vector<std::size_t> index;
  for (const auto c : columns) {
    const auto at = std::find(names.begin(), names.end(), c);
    if (at == names.end()) {
      std::string want, have;
      for (const auto w : columns) want += (want.empty() ? "" : ",") + std::string(w);
      for (const auto h : names) have += (have.empty() ? "" : ",") + std::string(h);
      fail_at(file, head.number, 0, "",
              fmt::format("the header has no column '{}': expected a header with the columns {} (any order), got '{}'{}",
                          c, want, have, hint));
    }
    if (std::find(at + 1, names.end(), c) != names.end())
      fail_at(file, head.number, 0, "", fmt::format("the header names column '{}' twice", c));
    index.push_back(static_cast<std::size_t>(at - names.begin()));
  }
  return index;
}

// A CSV table with a header: finds each of `columns` in the header (any order, extra columns
// ignored), then calls row(line, wanted) for each data row, `wanted` the fields of `columns` in
// that order, after checking that the row has as many fields as the header and that it is
// within `max_rows`.
template <class F>
void read_csv(const std::string& file, std::string_view data, const std::vector<std::string_view>& columns,
              std::int64_t max_rows, const std::string& rows_what, const std::string& hint, F&& row) {
  std::vector<std::string_view> names;
  std::vector<std::size_t> index;  // per wanted column
  std::vector<std::string_view> wanted(columns.size());
  std::int64_t rows = 0;
  bool header = true;
  for_each_line(data, [&](const Line& l) {
    if (header) {
      header = false;
      names = split_fields(l.text);
      index = header_index(file, l, names, columns, hint);
      return;
    }
    if (++rows > max_rows)
      fail_at(file, l.number, 0, "", fmt::format("more than {} {} (the limit; docs/limits.md): cut the file", max_rows, rows_what));
    const auto fields = split_fields(l.text);
    if (fields.size() != names.size())
      fail_at(file, l.number, 0, "", fmt::format("{} fields, but the header has {}", fields.size(), names.size()));
    for (std::size_t i = 0; i < index.size(); ++i) wanted[i] = fields[index[i]];
    row(l, wanted);
  });
  if (header) fail_at(file, 0, 0, "", "the file is empty; expected a header line");
}

// ---------------------------------------------------------------------------------------------
// jsonl: one flat JSON object per line
// ---------------------------------------------------------------------------------------------

// A cursor over one line of JSON; errors name file, line and column.
class JsonLine {
public:
  JsonLine(const std::string& file, const Line& line) : file_(file), line_(line), s_(line.text) {}

  [[noreturn]] void fail(const std::string& what, std::string_view key = {}) const {
    fail_at(file_, line_.number, static_cast<int>(pos_) + 1, std::string(key), what);
  }
  void ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\r')) ++pos_;
  }
  bool eat(char c) {
    ws();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c, const char* what) {
    if (!eat(c)) fail(fmt::format("expected {} ('{}')", what, c));
  }
  [[nodiscard]] bool at_end() {
    ws();
    return pos_ >= s_.size();
  }
  [[nodiscard]] std::size_t pos() const { return pos_; }

  // A string; escapes decoded except \u, which is kept as written (keys we look for have none).
  std::string string() {
    expect('"', "a string");
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      char c = s_[pos_++];
      if (c == '\\') {
        if (pos_ >= s_.size()) break;
        c = s_[pos_++];
        switch (c) {
          case 'n': c = '\n'; break;
          case 't': c = '\t'; break;
          case 'r': c = '\r'; break;
          case 'b': c = '\b'; break;
          case 'f': c = '\f'; break;
          case 'u': out += "\\"; break;
          default: break;  // \" \\ \/
        }
      }
      out += c;
    }
    if (pos_ >= s_.size()) fail("an unterminated string");
    ++pos_;
    return out;
  }
  // A number's text as written (JSON's grammar is checked by its reader).
  std::string_view number() {
    ws();
    const std::size_t b = pos_;
    while (pos_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '-' ||
                                s_[pos_] == '+' || s_[pos_] == '.' || s_[pos_] == 'e' || s_[pos_] == 'E'))
      ++pos_;
    return s_.substr(b, pos_ - b);
  }
  // Skips any value (strings, numbers, literals, nested arrays and objects).
  void skip_value(int depth = 0) {
    ws();
    if (depth > 64) fail("values nested deeper than 64 levels");
    if (pos_ >= s_.size()) fail("expected a value");
    const char c = s_[pos_];
    if (c == '"') {
      (void)string();
    } else if (c == '{' || c == '[') {
      const char close = c == '{' ? '}' : ']';
      ++pos_;
      if (eat(close)) return;
      do {
        if (c == '{') {
          (void)string();
          expect(':', "a colon");
        }
        skip_value(depth + 1);
      } while (eat(','));
      expect(close, c == '{' ? "the end of an object" : "the end of an array");
    } else {
      const std::size_t b = pos_;
      while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '-' ||
                                  s_[pos_] == '+' || s_[pos_] == '.'))
        ++pos_;
      if (pos_ == b) fail("expected a value");
    }
  }

private:
  const std::string& file_;
  const Line& line_;
  std::string_view s_;
  std::size_t pos_ = 0;
};

std::vector<Request> read_jsonl(const std::string& file, std::string_view data, std::int64_t max_rows) {
  std::vector<Request> out;
  static const std::array<std::string_view, 3> kKeys = {"arrival_s", "input_tokens", "output_tokens"};
  for_each_line(data, [&](const Line& l) {
    if (static_cast<std::int64_t>(out.size()) >= max_rows)
      fail_at(file, l.number, 0, "", fmt::format("more than {} requests (the limit; docs/limits.md): cut the file", max_rows));
    JsonLine j(file, l);
    j.expect('{', "a JSON object per line");
    std::array<std::optional<std::pair<std::string_view, int>>, 3> found;  // text, column
    if (!j.eat('}')) {
      do {
        const std::size_t key_at = j.pos();
        const std::string key = j.string();
        j.expect(':', "a colon after the key");
        const auto k = std::find(kKeys.begin(), kKeys.end(), key);
        if (k == kKeys.end()) {
          j.skip_value();
          continue;
        }
        auto& slot = found[static_cast<std::size_t>(k - kKeys.begin())];
        if (slot) fail_at(file, l.number, static_cast<int>(key_at) + 1, key, "the key is given twice");
        j.ws();
        const int col = static_cast<int>(j.pos()) + 1;
        const std::string_view v = j.number();
        if (v.empty()) fail_at(file, l.number, col, key, "expected a number");
        slot = std::make_pair(v, col);
      } while (j.eat(','));
      j.expect('}', "',' or the end of the object");
    }
    if (!j.at_end()) j.fail("text after the object (one object per line)");
    for (std::size_t i = 0; i < kKeys.size(); ++i)
      if (!found[i]) fail_at(file, l.number, 0, "", fmt::format("the object has no key '{}'", kKeys[i]));
    Request r;
    r.arrival_s = FieldCheck{file, l.number, found[0]->second, "arrival_s"}.arrival(found[0]->first);
    r.input_tokens = FieldCheck{file, l.number, found[1]->second, "input_tokens"}.tokens(found[1]->first);
    r.output_tokens = FieldCheck{file, l.number, found[2]->second, "output_tokens"}.tokens(found[2]->first);
    out.push_back(r);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// csv and azure
// ---------------------------------------------------------------------------------------------

std::vector<Request> read_native_csv(const std::string& file, std::string_view data, std::int64_t max_rows) {
  std::vector<Request> out;
  out.reserve(rows_hint(data, max_rows));
  read_csv(file, data, {"arrival_s", "input_tokens", "output_tokens"}, max_rows, "requests",
           "; an Azure trace (TIMESTAMP,ContextTokens,GeneratedTokens) needs format: azure",
           [&](const Line& l, const std::vector<std::string_view>& f) {
             Request r;
             r.arrival_s = FieldCheck{file, l.number, column_of(l.text, f[0]), "arrival_s"}.arrival(f[0]);
             r.input_tokens = FieldCheck{file, l.number, column_of(l.text, f[1]), "input_tokens"}.tokens(f[1]);
             r.output_tokens = FieldCheck{file, l.number, column_of(l.text, f[2]), "output_tokens"}.tokens(f[2]);
             out.push_back(r);
           });
  return out;
}

// A UTC instant: whole seconds since 1970-01-01 and nanoseconds (0..999,999,999).
struct Instant {
  std::int64_t seconds = 0;
  std::int64_t nanos = 0;
  bool operator<(const Instant& o) const { return seconds != o.seconds ? seconds < o.seconds : nanos < o.nanos; }
};

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, std::int64_t m, std::int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;                                  // [0, 399]
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;  // [0, 365]
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          // [0, 146096]
  return era * 146097 + doe - 719468;
}

bool leap_year(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// "YYYY-MM-DD HH:MM:SS[.f...][Z|+HH:MM|-HH:MM]" ('T' also separates date and time); nullopt if
// it is not one, with `why` saying what is wrong.
std::optional<Instant> parse_timestamp(std::string_view s, std::string& why) {
  std::size_t p = 0;
  auto digits = [&](std::size_t n, std::int64_t& v) {
    if (p + n > s.size()) return false;
    v = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const char c = s[p + i];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    p += n;
    return true;
  };
  auto sep = [&](char c) {
    if (p < s.size() && s[p] == c) {
      ++p;
      return true;
    }
    return false;
  };
  std::int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  why = "expected a date-time YYYY-MM-DD HH:MM:SS[.ffffff]";
  if (!(digits(4, y) && sep('-') && digits(2, mo) && sep('-') && digits(2, d) && (sep(' ') || sep('T')) &&
        digits(2, h) && sep(':') && digits(2, mi) && sep(':') && digits(2, sec)))
    return std::nullopt;
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12) return why = "month out of 01..12", std::nullopt;
  const std::int64_t month_days = kDays[static_cast<std::size_t>(mo - 1)] + (mo == 2 && leap_year(y) ? 1 : 0);
  if (d < 1 || d > month_days) return why = fmt::format("day out of 01..{} for that month", month_days), std::nullopt;
  if (h > 23 || mi > 59 || sec > 59) return why = "time of day out of 00:00:00..23:59:59", std::nullopt;
  std::int64_t nanos = 0;
  if (sep('.')) {
    const std::size_t b = p;
    std::int64_t scale = 100'000'000;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
      nanos += scale * (s[p] - '0');  // digits past the ninth (scale 0) are dropped
      scale /= 10;
      ++p;
    }
    if (p == b) return why = "expected digits after the decimal point", std::nullopt;
  }
  std::int64_t offset = 0;  // seconds east of UTC
  if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
    const std::int64_t sign = s[p] == '+' ? 1 : -1;
    ++p;
    std::int64_t oh = 0, om = 0;
    bool ok = digits(2, oh);
    if (ok) {
      (void)sep(':');  // +HH:MM or +HHMM
      ok = digits(2, om);
    }
    if (!ok || oh > 23 || om > 59) return why = "expected a UTC offset +HH:MM", std::nullopt;
    offset = sign * (oh * 3600 + om * 60);
  } else {
    (void)sep('Z');
  }
  if (p != s.size()) return why = "unexpected text after the date-time", std::nullopt;
  Instant t;
  t.seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
  t.nanos = nanos;
  return t;
}

std::vector<Request> read_azure(const std::string& file, std::string_view data, std::int64_t max_rows) {
  const std::vector<std::string_view> columns = {"TIMESTAMP", "ContextTokens", "GeneratedTokens"};
  const std::string hint = "; a trace of racksim's own csv format needs format: csv";
  constexpr const char* kZeroHint =
      " (the request generated nothing; racksim does not drop rows silently: filter such rows out of the file, "
      "e.g. with awk -F, 'NR==1 || ($2 > 0 && $3 > 0)')";
  std::vector<Instant> when;
  std::vector<Request> out;
  when.reserve(rows_hint(data, max_rows));
  out.reserve(rows_hint(data, max_rows));
  read_csv(file, data, columns, max_rows, "requests", hint, [&](const Line& l, const std::vector<std::string_view>& f) {
    std::string why;
    const auto at = parse_timestamp(f[0], why);
    if (!at) fail_at(file, l.number, column_of(l.text, f[0]), "TIMESTAMP", fmt::format("{}, got '{}'", why, f[0]));
    when.push_back(*at);
    Request r;
    r.input_tokens = FieldCheck{file, l.number, column_of(l.text, f[1]), "ContextTokens"}.tokens(f[1], kZeroHint);
    r.output_tokens = FieldCheck{file, l.number, column_of(l.text, f[2]), "GeneratedTokens"}.tokens(f[2], kZeroHint);
    out.push_back(r);
  });
  if (out.empty()) return out;
  // Relative to the earliest timestamp (the first row of the published, sorted files), computed
  // from whole seconds and nanoseconds apart so that 100 ns ticks survive the subtraction.
  const Instant first = *std::min_element(when.begin(), when.end());
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double s = static_cast<double>(when[i].seconds - first.seconds) +
                     static_cast<double>(when[i].nanos - first.nanos) / 1e9;
    if (s > kMaxArrivalSeconds) {
      // An error: read the file again to find row i's line (rather than keep every row's).
      std::size_t row = 0;
      read_csv(file, data, columns, max_rows, "requests", hint, [&](const Line& l, const std::vector<std::string_view>& f) {
        if (row++ == i)
          fail_at(file, l.number, column_of(l.text, f[0]), "TIMESTAMP",
                  fmt::format("{:.0f} s after the earliest request, past the limit of {} (docs/limits.md)", s,
                              format_quantity(UnitFamily::Seconds, kMaxArrivalSeconds)));
      });
    }
    out[i].arrival_s = s;
  }
  return out;
}

// A histogram file: CSV `tokens,weight`.
std::vector<std::pair<std::int64_t, double>> read_histogram(const std::string& file) {
  const std::string data = read_input_file(file, kMaxRequestFileBytes, "request-length histogram");
  std::vector<std::pair<std::int64_t, double>> h;
  double total = 0.0;
  read_csv(file, data, {"tokens", "weight"}, kMaxHistogramBins, "histogram rows", "",
           [&](const Line& l, const std::vector<std::string_view>& f) {
    const auto tok = f[0], w = f[1];
    const std::int64_t tokens = FieldCheck{file, l.number, column_of(l.text, tok), "tokens"}.tokens(tok);
    const auto weight = parse_double(w);
    if (!weight || !std::isfinite(*weight) || *weight < 0.0)
      fail_at(file, l.number, column_of(l.text, w), "weight", fmt::format("expected a weight >= 0 (a number), got '{}'", w));
    h.emplace_back(tokens, *weight);
    total += *weight;
  });
  if (h.empty()) fail_at(file, 0, 0, "", "the histogram has no rows");
  if (!(total > 0.0) || !std::isfinite(total))
    fail_at(file, 0, 0, "", "the histogram's weights must add up to a finite number greater than 0");
  return h;
}

// ---------------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------------

class Draws {
public:
  explicit Draws(std::uint64_t seed) : gen_(seed) {}
  // u in [0, 1), 53 random bits.
  double uniform() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }
  // min + floor(x n / 2^64): the high 64 bits of the 96-bit product x n, n < 2^32.
  std::int64_t integer(std::int64_t min, std::int64_t max) {
    const std::uint64_t n = static_cast<std::uint64_t>(max - min) + 1;
    const std::uint64_t x = gen_();
    const std::uint64_t hi = (x >> 32) * n, lo = (x & 0xFFFFFFFFu) * n;
    return min + static_cast<std::int64_t>((hi + (lo >> 32)) >> 32);
  }
  double exponential(double rate) { return -std::log(1.0 - uniform()) / rate; }
  double normal() {
    const double u1 = uniform(), u2 = uniform();
    constexpr double kPi = 3.14159265358979323846;
    return std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(2.0 * kPi * u2);
  }

private:
  std::mt19937_64 gen_;
};

// Cumulative weights of a histogram, for its draws.
std::vector<double> cumulative(const LengthDistribution& d) {
  std::vector<double> c;
  double sum = 0.0;
  for (const auto& [t, w] : d.histogram) c.push_back(sum += w);
  return c;
}

std::int64_t draw_length(const LengthDistribution& d, const std::vector<double>& cum, Draws& g) {
  switch (d.kind) {
    case LengthDistribution::Kind::Fixed: return d.tokens;
    case LengthDistribution::Kind::Uniform: return g.integer(d.min, d.max);
    case LengthDistribution::Kind::Lognormal: {
      const double x = d.median * std::exp(d.sigma * g.normal());
      // Compared as a double first: exp may overflow to infinity, and llround of a huge value is undefined.
      if (!(x < static_cast<double>(d.max))) return d.max;
      return std::max(d.min, static_cast<std::int64_t>(std::llround(x)));
    }
    case LengthDistribution::Kind::Histogram: {
      const double target = g.uniform() * cum.back();
      auto it = std::upper_bound(cum.begin(), cum.end(), target);
      // u W rounded up to W: the last bin with a weight.
      if (it == cum.end()) it = std::lower_bound(cum.begin(), cum.end(), cum.back());
      return d.histogram[static_cast<std::size_t>(it - cum.begin())].first;
    }
  }
  return d.tokens;
}

std::vector<Request> generate(const RequestSpec& spec) {
  LengthDistribution in = spec.input, out = spec.output;
  for (LengthDistribution* d : {&in, &out})
    if (d->kind == LengthDistribution::Kind::Histogram && d->histogram.empty()) d->histogram = read_histogram(d->file);
  const std::vector<double> cum_in = cumulative(in), cum_out = cumulative(out);
  Draws g(spec.seed);
  std::vector<Request> reqs;
  const bool poisson = spec.arrival == "poisson", fixed = spec.arrival == "fixed";
  if (spec.count) reqs.reserve(static_cast<std::size_t>(std::min(*spec.count, spec.max_requests)));
  double t = 0.0;
  for (std::int64_t k = 0;; ++k) {
    if (spec.count && k >= *spec.count) break;
    if (poisson) t += g.exponential(spec.rate);
    if (fixed) t = static_cast<double>(k) / spec.rate;
    if (spec.duration_s && t >= *spec.duration_s) break;
    if (k >= spec.max_requests) {
      Location at = spec.where;
      at.key = join_key(at.key, spec.count ? "count" : "duration");
      throw InputError(at, fmt::format("more than {} requests (the limit per run; docs/limits.md): lower {}",
                                       spec.max_requests, spec.count ? "'count'" : "'rate' or 'duration'"));
    }
    Request r;
    r.id = k;
    r.arrival_s = t;
    r.input_tokens = draw_length(in, cum_in, g);
    r.output_tokens = draw_length(out, cum_out, g);
    reqs.push_back(r);
  }
  return reqs;
}

}  // namespace

std::vector<Request> make_requests(const RequestSpec& spec) {
  if (spec.file.empty()) return generate(spec);
  const std::string data = read_input_file(spec.file, kMaxRequestFileBytes, "request trace");
  std::vector<Request> reqs;
  if (spec.format == "csv") reqs = read_native_csv(spec.file, data, spec.max_requests);
  else if (spec.format == "jsonl") reqs = read_jsonl(spec.file, data, spec.max_requests);
  else if (spec.format == "azure") reqs = read_azure(spec.file, data, spec.max_requests);
  else throw std::logic_error("make_requests: unknown trace format '" + spec.format + "'");
  if (reqs.empty()) fail_at(spec.file, 0, 0, "", "the trace has no requests");
  std::stable_sort(reqs.begin(), reqs.end(), [](const Request& a, const Request& b) { return a.arrival_s < b.arrival_s; });
  for (std::size_t i = 0; i < reqs.size(); ++i) reqs[i].id = static_cast<std::int64_t>(i);
  return reqs;
}

}  // namespace racksim
