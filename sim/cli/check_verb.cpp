// racksim cli: `racksim check` — the baselines, the comparison and the JUnit report (check_verb.hpp).
#include "sim/cli/check_verb.hpp"

#include "core/error.hpp"
#include "core/utf8.hpp"
#include "core/json_writer.hpp"
#include "core/yaml_doc.hpp"
#include "sim/cli/child_run.hpp"
#include "core/atomic_file.hpp"
#include "sim/output/results.hpp"
#include "sim/engine/run.hpp"
#include "sim/output/metrics.hpp"
#include "sim/scenario/scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>

namespace racksim {

namespace fs = std::filesystem;

namespace {

constexpr int kBaselineSchemaVersion = 1;
constexpr double kDefaultTolerance = 1e-9;

using Metrics = std::vector<std::pair<std::string, double>>;

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

Location opt_loc(const std::string& name, const std::string& value) {
  return Location{fmt::format("{} {}", name, value), 0, 0, ""};
}

// The baseline file's name for a scenario name: letters, digits, '-', '_' and '.' kept, any
// other character made '_'.
std::string file_stem(const std::string& name) {
  std::string s;
  for (const char c : name)
    s += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  if (s.empty() || s == "." || s == "..") s = "scenario";
  return s;
}

// ---- options ------------------------------------------------------------------------------

struct Options {
  std::vector<std::string> scenarios;
  std::string baseline;
  double default_tolerance = kDefaultTolerance;
  std::map<std::string, double> tolerance;  // per metric, over the default
  std::string junit;
  bool update = false;

  [[nodiscard]] double tolerance_of(const std::string& metric) const {
    const auto it = tolerance.find(metric);
    return it == tolerance.end() ? default_tolerance : it->second;
  }
};

double parse_tolerance_value(const std::string& arg, const std::string& text) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || errno != 0 || !std::isfinite(v) || v < 0.0)
    throw InputError(opt_loc("--tolerance", arg),
                     fmt::format("expected a relative tolerance, a number >= 0 (0.01 = 1%), got '{}'", text));
  return v;
}

// `--tolerance REL` sets every metric (and drops earlier per-metric values); `--tolerance
// METRIC=REL` one metric. Later options win.
void apply_tolerance(Options& o, const std::string& arg) {
  const auto eq = arg.find('=');
  if (eq == std::string::npos) {
    o.default_tolerance = parse_tolerance_value(arg, arg);
    o.tolerance.clear();
  } else {
    const std::string metric = arg.substr(0, eq);
    const auto& known = check_metric_names();
    if (std::find(known.begin(), known.end(), metric) == known.end())
      throw InputError(opt_loc("--tolerance", arg), fmt::format("unknown metric '{}'; known metrics: {}", metric, join(known)));
    o.tolerance[metric] = parse_tolerance_value(arg, arg.substr(eq + 1));
  }
}

Options options_of(const ParsedArgs& a) {
  Options o;
  o.scenarios = a.positional();
  o.baseline = *a.text("--baseline");
  o.junit = a.text("--junit").value_or("");
  o.update = a.flag("--update");
  for (const auto& t : a.texts("--tolerance")) apply_tolerance(o, t);
  return o;
}

// ---- baselines -------------------------------------------------------------------------------

std::string baseline_json(const std::string& scenario, const Metrics& m) {
  JsonWriter w;
  w.begin_object();
  w.field("schema_version", kBaselineSchemaVersion);
  w.field("scenario", scenario);
  w.field("racksim_version", RACKSIM_VERSION);
  w.key("metrics").begin_object();
  for (const auto& [name, v] : m) w.key(name).value_exact(v);
  w.end_object();
  w.end_object();
  return w.str();
}

Metrics read_baseline(const fs::path& file, const std::string& scenario) {
  const ConfigDoc doc = ConfigDoc::load_file(file.string());
  MapReader top(doc.root(), "baseline");
  const ConfigNode ver = top.required("schema_version");
  if (ver.as_int(1, 1000) != kBaselineSchemaVersion)
    ver.fail(fmt::format("unsupported baseline schema_version; this racksim reads version {}", kBaselineSchemaVersion));
  const ConfigNode name = top.required("scenario");
  if (name.as_string() != scenario)
    name.fail(fmt::format("expected the baseline of scenario '{}', found '{}' (run racksim check --update to rewrite it)",
                          scenario, name.as_string()));
  if (auto v = top.optional("racksim_version")) (void)v->as_string();
  Metrics m;
  for (const auto& [key, node] : top.required("metrics").entries()) m.emplace_back(key, node.as_number());
  top.finish();
  return m;
}

// ---- comparison ------------------------------------------------------------------------------

struct Moved {
  std::string metric;
  std::optional<double> base;
  std::optional<double> now;
  double tolerance = 0.0;
};

struct Outcome {
  std::string name;
  fs::path baseline_file;
  std::string failure;           // non-empty: the scenario could not be checked
  bool failure_is_input = false; // ... because of invalid input (else: the simulation failed)
  std::size_t compared = 0;
  std::vector<Moved> moved;
};

// |now - base| / |base|, or |now - base| when base is 0.
double change(double base, double now) {
  return base == 0.0 ? std::fabs(now - base) : std::fabs(now - base) / std::fabs(base);
}

void compare(const Metrics& base, const Metrics& now, const Options& o, Outcome& out) {
  std::map<std::string, double> b(base.begin(), base.end());
  std::set<std::string> seen;
  for (const auto& [name, v] : now) {
    seen.insert(name);
    ++out.compared;
    const auto it = b.find(name);
    const double tol = o.tolerance_of(name);
    if (it == b.end()) out.moved.push_back({name, std::nullopt, v, tol});
    else if (change(it->second, v) > tol) out.moved.push_back({name, it->second, v, tol});
  }
  for (const auto& [name, v] : base)
    if (!seen.count(name)) {
      ++out.compared;
      out.moved.push_back({name, v, std::nullopt, o.tolerance_of(name)});
    }
}

std::string show(const std::optional<double>& v) { return v ? fmt::format("{}", *v) : std::string("(absent)"); }

// "+1.234%", "n/a (metric gone, absent now)", "+0.5 (absolute: the baseline is 0)".
std::string show_change(const Moved& m) {
  if (!m.base) return "n/a (new metric, absent from the baseline)";
  if (!m.now) return "n/a (metric gone, absent now)";
  if (*m.base == 0.0) return fmt::format("{:+.6g} (absolute: the baseline is 0)", *m.now - *m.base);
  return fmt::format("{:+.6g}%", (*m.now - *m.base) / std::fabs(*m.base) * 100.0);
}

// ---- JUnit -----------------------------------------------------------------------------------

// Text for an attribute value (`attribute`: line breaks and tabs as character references, which
// an attribute keeps) or for element content.
std::string xml_escape(const std::string& s, bool attribute) {
  std::string o;
  for (const char c : valid_utf8(s)) {  // XML is UTF-8 here: no byte outside a UTF-8 sequence
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&apos;"; break;
      case '\n': o += attribute ? "&#10;" : "\n"; break;
      case '\t': o += attribute ? "&#9;" : "\t"; break;
      case '\r': o += "&#13;"; break;
      default:
        // XML 1.0 allows no other control character, not even escaped.
        o += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
    }
  }
  return o;
}

std::string moved_line(const Moved& m) {
  return fmt::format("{}: baseline {}, now {}, change {} (tolerance {})", m.metric, show(m.base), show(m.now), show_change(m),
                     m.tolerance);
}

std::string junit_xml(const std::vector<Outcome>& outcomes) {
  std::size_t failures = 0;
  for (const auto& r : outcomes) failures += (!r.failure.empty() || !r.moved.empty()) ? 1 : 0;
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += fmt::format("<testsuites name=\"racksim check\" tests=\"{}\" failures=\"{}\" errors=\"0\">\n", outcomes.size(), failures);
  x += fmt::format("  <testsuite name=\"racksim check\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">\n",
                   outcomes.size(), failures);
  for (const auto& r : outcomes) {
    const std::string head = fmt::format("    <testcase classname=\"racksim.check\" name=\"{}\"", xml_escape(r.name, true));
    if (!r.failure.empty()) {
      const char* type = r.failure_is_input ? "invalid_input" : "simulation_failed";
      x += head + ">\n";
      x += fmt::format("      <failure type=\"{}\" message=\"{}\">{}</failure>\n", type, xml_escape(r.failure, true),
                       xml_escape(r.failure, false));
      x += "    </testcase>\n";
    } else if (!r.moved.empty()) {
      std::vector<std::string> names;
      std::string body;
      for (const auto& m : r.moved) {
        names.push_back(m.metric);
        body += moved_line(m) + "\n";
      }
      const std::string msg = fmt::format("{} of {} metric{} moved past tolerance: {}", r.moved.size(), r.compared,
                                          r.compared == 1 ? "" : "s", join(names));
      x += head + ">\n";
      x += fmt::format("      <failure type=\"moved\" message=\"{}\">{}</failure>\n", xml_escape(msg, true),
                       xml_escape(body, false));
      x += "    </testcase>\n";
    } else {
      x += head + "/>\n";
    }
  }
  x += "  </testsuite>\n</testsuites>\n";
  return x;
}

// ---- scenarios -------------------------------------------------------------------------------

std::vector<std::string> default_scenarios(const std::string& data_dir) {
  const fs::path dir = fs::path(data_dir) / "scenarios";
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".yaml" && it->is_regular_file()) files.push_back(it->path().string());
  std::sort(files.begin(), files.end());
  if (files.empty())
    throw InputError(Location{dir.string(), 0, 0, ""},
                     "no scenarios/*.yaml in the data directory (name the scenarios to check, or set RACKSIM_DATA_DIR)");
  return files;
}

struct Planned {
  Scenario scenario;
  fs::path baseline_file;
  Metrics baseline;
};

// Every input, read before anything is simulated: the scenarios, and, unless `update`, each
// one's baseline file.
std::vector<Planned> read_inputs(const std::vector<std::string>& files, const fs::path& dir, bool update, const std::string& data_dir) {
  std::vector<Planned> plan;
  std::map<std::string, std::string> by_file;  // baseline file name -> the scenario file that uses it
  for (const auto& f : files) {
    Planned p{load_scenario(f, {}, data_dir), {}, {}};
    p.baseline_file = dir / (file_stem(p.scenario.name) + ".json");
    const auto [it, fresh] = by_file.emplace(p.baseline_file.filename().string(), f);
    if (!fresh)
      throw InputError(Location{f, 0, 0, "name"},
                       fmt::format("scenario '{}' would share the baseline file {} with {}; give scenarios distinct names",
                                   p.scenario.name, p.baseline_file.string(), it->second));
    if (!update) {
      std::error_code ec;
      if (!fs::is_regular_file(p.baseline_file, ec))
        throw InputError(Location{p.baseline_file.string(), 0, 0, ""},
                         fmt::format("no baseline for scenario '{}' (from {}); run racksim check with --update to write it",
                                     p.scenario.name, f));
      p.baseline = read_baseline(p.baseline_file, p.scenario.name);
    }
    plan.push_back(std::move(p));
  }
  return plan;
}

// The baseline folder (with --update) and the JUnit report's folder, created now, so that a bad
// path fails before the simulations, not after.
void create_output_folders(const Options& o, const fs::path& dir) {
  if (o.update) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw OutputError(fmt::format("cannot create the baseline folder {}: {}", dir.string(), ec.message()));
  }
  if (!o.junit.empty()) {
    const fs::path parent = fs::path(o.junit).parent_path();
    std::error_code ec;
    if (!parent.empty()) fs::create_directories(parent, ec);
    if (ec) throw OutputError(fmt::format("cannot create the folder of the JUnit report {}: {}", o.junit, ec.message()));
  }
}

// The scenario simulated in a child: its metrics, or, in r.failure, why there are none.
std::optional<Metrics> simulate(const Planned& p, Outcome& r) {
  try {
    // In the child: "metrics\n" and the metrics, or "input " and why the inputs are invalid.
    const std::string text = run_in_child(
        [&]() -> std::string {
          try {
            Run run(p.scenario);
            return "metrics\n" + encode_metric_lines(check_metrics(run.execute()));
          } catch (const InputError& e) {
            return std::string("input ") + e.what();
          }
        },
        fmt::format("scenario '{}'", p.scenario.name));
    if (text.rfind("metrics\n", 0) == 0) return decode_metric_lines(text.substr(8));
    r.failure = "invalid input: " + (text.rfind("input ", 0) == 0 ? text.substr(6) : text);
    r.failure_is_input = true;
  } catch (const SimulationError& e) {
    r.failure = std::string("simulation failed: ") + e.what();
  }
  return std::nullopt;
}

// What the scenarios came to, for the summary line and the exit status.
struct Tally {
  std::size_t compared = 0, moved = 0, moved_scenarios = 0, failed = 0;
  bool input_failed = false;
};

// One scenario checked (or its baseline written) and its lines printed; `width`: of the names.
Outcome check_one(const Planned& p, const Options& o, std::size_t width, Tally& t, std::ostream& out) {
  Outcome r;
  r.name = p.scenario.name;
  r.baseline_file = p.baseline_file;
  out << std::flush;
  const std::optional<Metrics> now = simulate(p, r);
  if (!r.failure.empty()) {
    ++t.failed;
    t.input_failed = t.input_failed || r.failure_is_input;
    out << fmt::format("{:<{}}  FAILED  {}\n", r.name, width, r.failure);
  } else if (o.update) {
    write_atomic(p.baseline_file, baseline_json(r.name, *now));
    out << fmt::format("{:<{}}  written {} ({} metrics)\n", r.name, width, p.baseline_file.string(), now->size());
  } else {
    compare(p.baseline, *now, o, r);
    t.compared += r.compared;
    t.moved += r.moved.size();
    if (r.moved.empty()) {
      out << fmt::format("{:<{}}  ok      {} metrics within tolerance\n", r.name, width, r.compared);
    } else {
      ++t.moved_scenarios;
      out << fmt::format("{:<{}}  MOVED   {} of {} metrics past tolerance\n", r.name, width, r.moved.size(), r.compared);
      std::size_t mw = 0;
      for (const auto& m : r.moved) mw = std::max(mw, m.metric.size());
      for (const auto& m : r.moved)
        out << fmt::format("  {}  {:<{}}  baseline {}  now {}  change {}  (tolerance {})\n", r.name, m.metric, mw, show(m.base),
                           show(m.now), show_change(m), m.tolerance);
    }
  }
  return r;
}

int cmd_check(const ParsedArgs& a, const CliContext& ctx) {
  std::ostream& out = ctx.out;
  const Options o = options_of(a);
  const std::string data_dir = ctx.data_dir();
  const std::vector<std::string> files = o.scenarios.empty() ? default_scenarios(data_dir) : o.scenarios;
  const fs::path dir(o.baseline);
  const std::vector<Planned> plan = read_inputs(files, dir, o.update, data_dir);
  create_output_folders(o, dir);

  std::string tolerances = fmt::format("{}", o.default_tolerance);
  for (const auto& [metric, t] : o.tolerance) tolerances += fmt::format(", {} {}", metric, t);
  out << fmt::format("racksim check: {} scenario{} {} baseline {} (relative tolerance {})\n", plan.size(),
                     plan.size() == 1 ? "" : "s", o.update ? "into" : "against", dir.string(), tolerances);
  std::size_t width = 0;
  for (const auto& p : plan) width = std::max(width, p.scenario.name.size());
  std::vector<Outcome> outcomes;
  Tally t;
  for (const auto& p : plan) outcomes.push_back(check_one(p, o, width, t, out));

  if (!o.junit.empty()) write_atomic(o.junit, junit_xml(outcomes));
  if (o.update)
    out << fmt::format("summary: {} baseline{} written to {}, {} scenario{} failed\n", plan.size() - t.failed,
                       plan.size() - t.failed == 1 ? "" : "s", dir.string(), t.failed, t.failed == 1 ? "" : "s");
  else
    out << fmt::format("summary: {} scenario{} checked, {} metrics compared, {} moved past tolerance ({} scenario{} MOVED, {} "
                       "failed)\n",
                       plan.size(), plan.size() == 1 ? "" : "s", t.compared, t.moved, t.moved_scenarios,
                       t.moved_scenarios == 1 ? "" : "s", t.failed);
  if (!o.junit.empty()) out << fmt::format("wrote {}\n", o.junit);
  if (t.input_failed) return static_cast<int>(ExitCode::BadInput);
  if (t.failed > 0) return static_cast<int>(ExitCode::SimFailed);
  return t.moved > 0 ? 1 : 0;
}

}  // namespace

Verb check_verb() {
  VerbSpec s;
  s.name = "check";
  s.words = {"check"};
  s.summary = "Regression of the predictions: simulate each SCENARIO, each in its own process, and compare its metrics "
              "(simulated time, step time, tokens/s, MFU, energy, power, clock, temperatures, HBM peak, collective model "
              "time) with DIR/<scenario name>.json. Prints ok or MOVED per scenario and each moved metric; exit status 1 "
              "when one moved past its tolerance (docs/check.md).";
  s.positionals = {{"SCENARIO", "a scenario file",
                    "the scenarios to check (default: every scenarios/*.yaml of the data directory)", false, true}};
  s.options = {text("--baseline", "DIR", "the folder of the baseline files").required(),
               text("--tolerance", "[METRIC=]REL", "the relative tolerance of every metric (0.01 = 1%), or of one metric "
                                                   "with METRIC=REL; a later one wins")
                   .repeatable()
                   .default_shown("1e-9"),
               text("--junit", "FILE", "also write a JUnit report"),
               flag("--update", "(re)write the baseline files instead of comparing")};
  s.exits = {{1, "a metric moved past its tolerance"},
               {3, "invalid input: a scenario, a missing or invalid baseline file, or --tolerance"},
               {4, "a scenario's simulation failed"},
               {5, "a baseline or the JUnit report could not be written"}};
  return {s, cmd_check};
}

}  // namespace racksim
