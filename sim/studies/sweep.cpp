// racksim studies: sweeps (docs/sweep.md) — parsing --axis values and ranges, the grid and its
// shards, the manifest, the rows as JSON lines and CSV and reading them back, the Slurm script.
// What each file holds is in sweep.hpp.
#include "sim/studies/sweep.hpp"

#include "core/error.hpp"
#include "core/utf8.hpp"
#include "core/json_writer.hpp"
#include "core/yaml_doc.hpp"
#include "sim/output/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>

namespace racksim {

namespace {

Location arg_loc(const std::string& arg) { return Location{fmt::format("--axis {}", arg), 0, 0, ""}; }

// Splits on commas outside brackets, braces and quotes.
std::vector<std::string> split_values(const std::string& text, const std::string& arg) {
  std::vector<std::string> parts;
  std::string cur;
  int depth = 0;
  char quote = 0;
  for (const char c : text) {
    if (quote) {
      cur += c;
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"') quote = c;
    else if (c == '[' || c == '{') ++depth;
    else if (c == ']' || c == '}') {
      if (--depth < 0) throw InputError(arg_loc(arg), fmt::format("unbalanced '{}' in the values", c));
    } else if (c == ',' && depth == 0) {
      parts.push_back(cur);
      cur.clear();
      continue;
    }
    cur += c;
  }
  if (quote) throw InputError(arg_loc(arg), fmt::format("unclosed {} quote in the values", quote));
  if (depth != 0) throw InputError(arg_loc(arg), "unclosed '[' or '{' in the values");
  parts.push_back(cur);
  return parts;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

bool parse_int(const std::string& s, long long& v) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  v = std::strtoll(s.c_str(), &end, 10);
  return end == s.c_str() + s.size() && errno == 0;
}

// An axis with more values than it may have (parse_axis and parse_axes word the error).
struct TooManyValues {};

// "A..B" or "A..B:S" with integers; false when `s` is not of that shape at all. Appends the
// range's values to `out`, which may hold at most `max_values` in all (checked before anything
// is built).
bool expand_range(const std::string& s, const std::string& arg, std::vector<std::string>& out, std::size_t max_values) {
  const auto dots = s.find("..");
  if (dots == std::string::npos) return false;
  const std::string a = s.substr(0, dots);
  std::string b = s.substr(dots + 2);
  std::string step = "1";
  if (const auto colon = b.find(':'); colon != std::string::npos) {
    step = b.substr(colon + 1);
    b = b.substr(0, colon);
  }
  long long lo = 0, hi = 0, st = 0;
  if (!parse_int(a, lo) || !parse_int(b, hi) || !parse_int(step, st))
    throw InputError(arg_loc(arg), fmt::format("'{}' is not an integer range; expected A..B or A..B:STEP with integers", s));
  if (st <= 0) throw InputError(arg_loc(arg), fmt::format("range '{}': the step must be a positive integer", s));
  if (hi < lo) throw InputError(arg_loc(arg), fmt::format("range '{}' is empty (its end is below its start)", s));
  // In unsigned arithmetic: hi - lo may exceed the largest long long (-9e18..9e18), and a last
  // value near it plus the step would overflow. Every value lo + k x step stays within [lo, hi].
  using U = unsigned long long;
  const U count = (static_cast<U>(hi) - static_cast<U>(lo)) / static_cast<U>(st);
  if (count >= 1'000'000) throw InputError(arg_loc(arg), fmt::format("range '{}' has more than a million values", s));
  if (out.size() + count + 1 > max_values) throw TooManyValues{};
  out.reserve(out.size() + count + 1);
  for (U k = 0; k <= count; ++k) out.push_back(std::to_string(static_cast<long long>(static_cast<U>(lo) + k * static_cast<U>(st))));
  return true;
}

std::string csv_field(const std::string& text) {
  const std::string s = valid_utf8(text);  // an axis value or error that is not UTF-8 (core/utf8.hpp)
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (const char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

bool same_row(const SweepRow& a, const SweepRow& b) {
  if (a.point != b.point || a.values != b.values || a.ok != b.ok || a.error != b.error || a.metrics.size() != b.metrics.size())
    return false;
  for (std::size_t i = 0; i < a.metrics.size(); ++i)
    if (a.metrics[i].first != b.metrics[i].first || !(a.metrics[i].second == b.metrics[i].second)) return false;
  return true;
}

// parse_axis with the values held to `max_values` (TooManyValues past it).
SweepAxis parse_axis_within(const std::string& arg, std::size_t max_values) {
  const auto eq = arg.find('=');
  if (eq == std::string::npos) throw InputError(arg_loc(arg), "expected --axis key.path=value1,value2,...");
  SweepAxis axis;
  axis.key = trim(arg.substr(0, eq));
  if (axis.key.empty()) throw InputError(arg_loc(arg), "the key before '=' is empty; expected --axis key.path=value1,value2,...");
  for (const auto& raw : split_values(arg.substr(eq + 1), arg)) {
    const std::string v = trim(raw);
    if (v.empty()) throw InputError(arg_loc(arg), "an empty value (two commas in a row, or a comma at either end)");
    if (!expand_range(v, arg, axis.values, max_values)) {
      if (axis.values.size() + 1 > max_values) throw TooManyValues{};
      axis.values.push_back(v);
    }
  }
  std::set<std::string> seen;
  for (const auto& v : axis.values)
    if (!seen.insert(v).second) throw InputError(arg_loc(arg), fmt::format("the value '{}' appears twice", v));
  return axis;
}

}  // namespace

SweepAxis parse_axis(const std::string& arg, std::size_t max_values) {
  try {
    return parse_axis_within(arg, max_values);
  } catch (const TooManyValues&) {
    throw InputError(arg_loc(arg), fmt::format("the axis has more than {} values", max_values));
  }
}

std::vector<SweepAxis> parse_axes(const std::vector<std::string>& args, std::size_t limit) {
  std::vector<SweepAxis> axes;
  std::size_t n = 1;  // points of the axes so far (each has at least one value)
  for (const auto& arg : args) {
    try {
      axes.push_back(parse_axis_within(arg, limit / n));
    } catch (const TooManyValues&) {
      throw InputError(Location{"--axis", 0, 0, ""}, fmt::format("the sweep has more than {} points; split it", limit));
    }
    n *= std::max<std::size_t>(1, axes.back().values.size());
  }
  return axes;
}

std::size_t grid_size(const std::vector<SweepAxis>& axes, std::size_t limit) {
  std::size_t n = 1;
  for (const auto& a : axes) {
    if (a.values.empty()) throw InputError(Location{fmt::format("--axis {}", a.key), 0, 0, ""}, "the axis has no values");
    if (n > limit / a.values.size())
      throw InputError(Location{"--axis", 0, 0, ""}, fmt::format("the sweep has more than {} points; split it", limit));
    n *= a.values.size();
  }
  return n;
}

std::vector<std::string> point_values(const std::vector<SweepAxis>& axes, std::size_t p) {
  std::vector<std::string> v(axes.size());
  for (std::size_t i = axes.size(); i-- > 0;) {
    const std::size_t n = axes[i].values.size();
    v[i] = axes[i].values[p % n];
    p /= n;
  }
  return v;
}

std::vector<std::string> point_overrides(const std::vector<SweepAxis>& axes, std::size_t p) {
  const auto v = point_values(axes, p);
  std::vector<std::string> sets;
  for (std::size_t i = 0; i < axes.size(); ++i) sets.push_back(axes[i].key + "=" + v[i]);
  return sets;
}

Shard parse_shard(const std::string& text) {
  const Location loc{fmt::format("--shard {}", text), 0, 0, ""};
  const auto slash = text.find('/');
  long long i = 0, n = 0;
  if (slash == std::string::npos || !parse_int(text.substr(0, slash), i) || !parse_int(text.substr(slash + 1), n))
    throw InputError(loc, "expected I/N with integers, e.g. --shard 3/8 for the third of eight shards");
  if (n < 1 || i < 1 || i > n) throw InputError(loc, fmt::format("expected 1 <= I <= N, got I = {} and N = {}", i, n));
  return Shard{static_cast<std::size_t>(i), static_cast<std::size_t>(n)};
}

std::uint64_t fnv1a64(const std::string& bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string manifest_json(const SweepManifest& m) {
  JsonWriter w;
  w.begin_object();
  w.field("schema_version", 1);
  w.field("scenario", m.scenario);
  w.field("scenario_fnv1a64", fmt::format("{:016x}", m.scenario_hash));
  w.key("sets").begin_array();
  for (const auto& s : m.sets) w.value(s);
  w.end_array();
  w.key("axes").begin_array();
  for (const auto& a : m.axes) {
    w.begin_object();
    w.field("key", a.key);
    w.key("values").begin_array();
    for (const auto& v : a.values) w.value(v);
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.field("points", static_cast<std::uint64_t>(m.points));
  w.end_object();
  return w.str();
}

SweepManifest parse_manifest(const std::string& text, const std::string& file) {
  const ConfigDoc doc = ConfigDoc::load_string(text, file);
  MapReader top(doc.root(), "sweep manifest");
  SweepManifest m;
  const auto version = top.required("schema_version");
  if (version.as_int(0, 1000) != 1) version.fail("expected schema_version 1 (written by this racksim)");
  m.scenario = top.required("scenario").as_string();
  const auto hash = top.required("scenario_fnv1a64");
  const std::string h = hash.as_string();
  char* end = nullptr;
  m.scenario_hash = std::strtoull(h.c_str(), &end, 16);
  if (h.size() != 16 || end != h.c_str() + h.size()) hash.fail("expected 16 hexadecimal digits");
  for (const auto& s : top.required("sets").items()) m.sets.push_back(s.as_string());
  for (const auto& a : top.required("axes").items()) {
    MapReader ar(a, "sweep axis");
    SweepAxis axis;
    axis.key = ar.required("key").as_string();
    for (const auto& v : ar.required("values").items()) axis.values.push_back(v.as_string());
    ar.finish();
    m.axes.push_back(std::move(axis));
  }
  const auto points = top.required("points");
  m.points = static_cast<std::size_t>(points.as_int(1, std::numeric_limits<std::int64_t>::max()));
  top.finish();
  if (m.points != grid_size(m.axes)) points.fail(fmt::format("expected {}, the size of the axes' grid", grid_size(m.axes)));
  return m;
}

std::string manifest_difference(const SweepManifest& a, const SweepManifest& b) {
  if (a.scenario != b.scenario) return fmt::format("the scenario differs ('{}' there, '{}' now)", a.scenario, b.scenario);
  if (a.scenario_hash != b.scenario_hash)
    return fmt::format("the scenario file {} changed since that sweep ran (its FNV-1a hash was {:016x}, now {:016x})", b.scenario,
                       a.scenario_hash, b.scenario_hash);
  if (a.sets != b.sets) return "the --set overrides differ";
  if (a.axes.size() != b.axes.size()) return fmt::format("it has {} axes, this sweep {}", a.axes.size(), b.axes.size());
  for (std::size_t i = 0; i < a.axes.size(); ++i) {
    if (a.axes[i].key != b.axes[i].key)
      return fmt::format("axis {} is '{}' there, '{}' now", i + 1, a.axes[i].key, b.axes[i].key);
    if (a.axes[i].values != b.axes[i].values) return fmt::format("the values of axis '{}' differ", a.axes[i].key);
  }
  return "";
}

std::string row_jsonl(const SweepRow& r) {
  // One line per row (JsonWriter indents over lines): written here with its escaping and numbers.
  std::string s = fmt::format("{{\"point\":{},\"values\":[", r.point);
  for (std::size_t i = 0; i < r.values.size(); ++i) s += (i ? "," : "") + JsonWriter::escape(r.values[i]);
  s += r.ok ? "],\"status\":\"ok\"" : "],\"status\":\"failed\",\"error\":" + JsonWriter::escape(r.error);
  s += ",\"metrics\":{";
  for (std::size_t i = 0; i < r.metrics.size(); ++i)
    s += (i ? "," : "") + JsonWriter::escape(r.metrics[i].first) + ":" + JsonWriter::number_exact(r.metrics[i].second);
  return s + "}}\n";
}

std::string csv_header(const std::vector<SweepAxis>& axes) {
  std::string h = "point";
  for (const auto& a : axes) h += "," + csv_field(a.key);
  h += ",status,error";
  for (const auto& m : check_metric_names()) h += "," + m;
  return h + "\n";
}

std::string row_csv(const SweepRow& r, const std::vector<SweepAxis>& axes) {
  std::string s = std::to_string(r.point);
  for (std::size_t i = 0; i < axes.size(); ++i) s += "," + csv_field(i < r.values.size() ? r.values[i] : std::string());
  s += r.ok ? ",ok," : ",failed," + csv_field(r.error);
  for (const auto& name : check_metric_names()) {
    s += ",";
    for (const auto& [n, v] : r.metrics)
      if (n == name) s += JsonWriter::number_exact(v);
  }
  return s + "\n";
}

ReadRows parse_rows(const std::string& text, const std::string& file, const SweepManifest& m) {
  ReadRows out;
  std::map<std::size_t, std::size_t> index;  // point -> position in out.rows
  std::size_t pos = 0;
  int line_no = 0;
  const auto& known = check_metric_names();
  while (pos < text.size()) {
    ++line_no;
    const auto nl = text.find('\n', pos);
    if (nl == std::string::npos) {  // cut short by a kill: the row never finished
      out.dropped_partial = true;
      break;
    }
    const std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (trim(line).empty()) continue;
    SweepRow r;
    try {
      const ConfigDoc doc = ConfigDoc::load_string(line, file);
      if (!doc.root().is_map()) doc.root().fail("expected a JSON object (one row of a sweep)");
      MapReader rr(doc.root(), "sweep row");
      const auto point = rr.required("point");
      r.point = static_cast<std::size_t>(point.as_int(0, std::numeric_limits<std::int64_t>::max()));
      if (r.point >= m.points) point.fail(fmt::format("expected a point below {}, the sweep's size", m.points));
      const auto values = rr.required("values");
      for (const auto& v : values.items()) r.values.push_back(v.as_string());
      if (r.values != point_values(m.axes, r.point))
        values.fail(fmt::format("expected the values of point {} in sweep.json's grid", r.point));
      r.ok = rr.required("status").as_choice({"ok", "failed"}) == "ok";
      if (!r.ok) r.error = rr.required("error").as_string();
      for (const auto& [name, node] : rr.required("metrics").entries()) {
        if (std::find(known.begin(), known.end(), name) == known.end())
          node.fail(fmt::format("unknown metric '{}'", name));
        r.metrics.emplace_back(name, node.as_number());
      }
      rr.finish();
    } catch (const InputError& e) {
      Location loc = e.where();
      loc.file = file;
      loc.line = line_no;
      loc.column = 0;
      throw InputError(loc, e.expected());
    }
    if (const auto it = index.find(r.point); it != index.end()) {
      if (!same_row(out.rows[it->second], r))
        throw InputError(Location{file, line_no, 0, ""},
                         fmt::format("point {} appears twice with different results", r.point));
      continue;
    }
    index[r.point] = out.rows.size();
    out.rows.push_back(std::move(r));
  }
  return out;
}

std::vector<SweepRow> merge_rows(const std::vector<RowSource>& sources) {
  std::map<std::size_t, std::pair<const SweepRow*, const std::string*>> by_point;
  for (const auto& src : sources)
    for (const auto& r : src.rows) {
      const auto [it, fresh] = by_point.emplace(r.point, std::make_pair(&r, &src.file));
      if (!fresh && !same_row(*it->second.first, r))
        throw InputError(Location{src.file, 0, 0, ""},
                         fmt::format("point {} is also in {} with different results; which one is right cannot be told "
                                     "(rerun that point's shard into a fresh folder)",
                                     r.point, *it->second.second));
    }
  std::vector<SweepRow> rows;
  rows.reserve(by_point.size());
  for (const auto& kv : by_point) rows.push_back(*kv.second.first);
  return rows;
}

std::string table_jsonl(const std::vector<SweepRow>& rows) {
  std::string s;
  for (const auto& r : rows) s += row_jsonl(r);
  return s;
}

std::string table_csv(const std::vector<SweepRow>& rows, const std::vector<SweepAxis>& axes) {
  std::string s = csv_header(axes);
  for (const auto& r : rows) s += row_csv(r, axes);
  return s;
}

std::string results_stem(const Shard& s) {
  return s.whole() ? std::string("results") : fmt::format("shard-{}-of-{}", s.index, s.count);
}

std::string describe_missing(const std::vector<std::size_t>& missing) {
  std::string s = fmt::format("{} point{}: ", missing.size(), missing.size() == 1 ? "" : "s");
  for (std::size_t i = 0; i < missing.size() && i < 10; ++i) s += (i ? ", " : "") + std::to_string(missing[i]);
  if (missing.size() > 10) s += ", ...";
  return s;
}

std::string shell_quote(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%") ==
                           std::string::npos)
    return word;
  std::string q = "'";
  for (const char c : word) {
    if (c == '\'') q += "'\\''";
    else q += c;
  }
  return q + "'";
}

std::string slurm_script(const std::string& racksim, const std::vector<std::string>& args, const std::string& out_dir,
                         std::size_t tasks, int jobs, const std::string& job_name) {
  std::string cmd = "\"$RACKSIM\" sweep";
  for (const auto& a : args) cmd += " " + shell_quote(a);
  std::string s;
  s += "#!/bin/bash\n";
  s += "# A racksim sweep as a Slurm job array: each array task runs one shard of the sweep's points\n";
  s += "# (racksim sweep --shard I/N) and appends them to its own shard file in the sweep folder, which\n";
  s += "# must be on a file system every node sees. A task that is killed and requeued resumes its shard.\n";
  s += fmt::format("# When every task has finished: racksim merge {}\n", shell_quote(out_dir));
  s += fmt::format("#SBATCH --job-name={}\n", job_name);
  s += fmt::format("#SBATCH --array=1-{}\n", tasks);
  s += "#SBATCH --ntasks=1\n";
  s += fmt::format("#SBATCH --cpus-per-task={}\n", jobs);
  s += fmt::format("#SBATCH --output={}/slurm-%A_%a.out\n", out_dir);
  s += "#SBATCH --requeue\n";
  s += "set -euo pipefail\n";
  s += fmt::format("RACKSIM=\"${{RACKSIM:-{}}}\"\n", racksim);
  s += ": \"${SLURM_ARRAY_TASK_ID:?run this script with sbatch (or set SLURM_ARRAY_TASK_ID to a shard number)}\"\n";
  s += fmt::format("exec {} --shard \"${{SLURM_ARRAY_TASK_ID}}/{}\" --jobs \"${{SLURM_CPUS_PER_TASK:-{}}}\" --no-report\n", cmd,
                   tasks, jobs);
  return s;
}

}  // namespace racksim
