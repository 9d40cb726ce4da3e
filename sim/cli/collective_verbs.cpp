#include "sim/cli/collective_verbs.hpp"

#include "core/error.hpp"
#include "core/json_writer.hpp"
#include "core/yaml_doc.hpp"
#include "sim/cli/child_run.hpp"
#include "sim/engine/run.hpp"
#include "sim/scenario/scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>
#include <tuple>
#include <utility>

namespace racksim {

namespace {

constexpr const char* kUsageLine =
    "usage: racksim predict collective --system ID --op OP --gpus N [--nodes M] [--bytes SIZE] [--algorithm A] "
    "[--set KEY=VALUE]... [--json]";

struct Request {
  std::string system;
  std::string op;
  int gpus = 0;
  int nodes = 0;  // 0: as few as hold the GPUs
  std::optional<std::uint64_t> bytes;
  std::string algorithm = "auto";
  std::vector<std::string> sets;
  bool json = false;
};

struct Outcome {
  std::uint64_t bytes = 0;
  double time_s = 0.0;
  double model_time_s = 0.0;
  std::string algorithm;
  std::string protocol;
  std::uint64_t transfers = 0;  // point-to-point transfers the engine simulated, all ranks
};

std::string join_ids(const std::vector<std::string>& ids) {
  std::string s;
  for (const auto& i : ids) s += (s.empty() ? "" : ", ") + i;
  return s;
}

// Splits "--name=value" or "--name value" (advancing i); throws when the value is missing.
std::pair<std::string, std::string> option_value(const std::vector<std::string>& args, std::size_t& i) {
  std::string name = args[i];
  if (const auto eq = name.find('='); eq != std::string::npos) return {name.substr(0, eq), name.substr(eq + 1)};
  if (i + 1 >= args.size()) throw UsageError(fmt::format("{} needs a value", name));
  return {name, args[++i]};
}

Location opt_loc(const std::string& name, const std::string& value) {
  return Location{fmt::format("{} {}", name, value), 0, 0, ""};
}

int positive_int(const std::string& name, const std::string& v) {
  char* end = nullptr;
  const long x = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || x < 1 || x > 10'000'000)
    throw InputError(opt_loc(name, v), "expected a positive whole number");
  return static_cast<int>(x);
}

Request parse(const std::vector<std::string>& args) {
  Request r;
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string name = args[i];
    std::string value;
    const bool flag = name == "--json";
    if (flag) {
      r.json = true;
      continue;
    }
    if (name.rfind("--", 0) != 0) throw UsageError(fmt::format("unexpected argument '{}'; {}", name, kUsageLine));
    std::tie(name, value) = option_value(args, i);
    if (name == "--system") r.system = value;
    else if (name == "--op") r.op = value;
    else if (name == "--gpus") r.gpus = positive_int(name, value);
    else if (name == "--nodes") r.nodes = positive_int(name, value);
    else if (name == "--algorithm") r.algorithm = value;
    else if (name == "--set") r.sets.push_back(value);
    else if (name == "--bytes") {
      Bytes b;
      try {
        b = parse_bytes(value);
      } catch (const Error& e) {
        throw InputError(opt_loc(name, value), e.what());
      }
      if (!(b.value() >= 1.0)) throw InputError(opt_loc(name, value), "expected a size of at least 1 B");
      r.bytes = static_cast<std::uint64_t>(std::llround(b.value()));
    } else {
      throw UsageError(fmt::format("unknown option '{}' for 'predict collective'; {}", name, kUsageLine));
    }
  }
  if (r.system.empty() || r.op.empty() || r.gpus == 0)
    throw UsageError(fmt::format("predict collective needs --system, --op and --gpus; {}", kUsageLine));
  if (!collective_kind_from_string(r.op)) {
    std::string names;
    for (auto k : {CollectiveKind::AllReduce, CollectiveKind::AllGather, CollectiveKind::ReduceScatter, CollectiveKind::AllToAll,
                   CollectiveKind::Broadcast, CollectiveKind::Reduce})
      names += (names.empty() ? "" : ", ") + to_string(k);
    throw InputError(opt_loc("--op", r.op), fmt::format("unknown collective; valid: {}", names));
  }
  const auto algo = collective_algorithm_from_string(r.algorithm);
  if (!algo) {
    std::string names = "auto";
    for (auto a : algorithms_for(*collective_kind_from_string(r.op))) names += ", " + to_string(a);
    throw InputError(opt_loc("--algorithm", r.algorithm), fmt::format("unknown algorithm; valid for {}: {}", r.op, names));
  }
  return r;
}

// The scenario of the request's cluster, as YAML (the defaults are in cli_collective.hpp): one
// plane per NIC of a GPU; two tiers while a plane's NICs fit under P/2 leaves x P spine ports,
// three (pods and cores of the same switch) beyond.
std::string scenario_text(const Request& r, const Catalog& cat, const SystemSpec& sys, int nodes) {
  std::string out = fmt::format("schema_version: 1\nname: predict-{}-{}\ncluster:\n  domains: {}\n  system: {}\n", r.op,
                                r.system, nodes, r.system);
  if (nodes > 1) {
    const NicSpec* nic = cat.find_nic(sys.nic);
    const bool fast = nic && nic->line_rate.value() >= 99e9;
    const std::string sw = fast ? "tomahawk6" : "tomahawk5";
    const SwitchSpec* spec = cat.find_switch(sw);
    const int ports = (spec && nic) ? spec->ports_at(nic->line_rate).value_or(0) : 0;
    const long per_plane = static_cast<long>(nodes) * sys.gpus;
    const bool three = ports > 0 && per_plane > static_cast<long>(ports / 2) * ports;
    out += fmt::format("  scale_out:\n    kind: {}\n    cable: {}\n    leaf: {}\n    spine: {}\n    planes: {}\n",
                       three ? "fat_tree" : "rail_leaf_spine", fast ? "ethernet_800g" : "ethernet_400g", sw, sw,
                       std::max(1, sys.nics_per_gpu));
    if (three) out += fmt::format("    tiers: 3\n    core: {}\n", sw);
  } else {
    out += "  scale_out: {kind: none}\n";
  }
  // The run's workload is built below; the scenario names a shipped trace only because a
  // scenario must have a workload.
  out += "workload: {kind: trace, file: traces/mi300x-collectives.yaml}\n";
  return out;
}

// `catalog` is the shipped catalog the caller loaded (it holds r.system).
Outcome simulate(const Request& r, const std::string& data_dir, const Catalog& catalog, std::uint64_t bytes, int nodes,
                 int per_node) {
  const SystemSpec* sys = catalog.find_system(r.system);
  const Scenario s = load_scenario_text(scenario_text(r, catalog, *sys, nodes),
                                        data_dir + "/scenarios/predict-collective.yaml", r.sets, data_dir);
  Workload w;
  w.name = fmt::format("{} of {} B", r.op, bytes);
  w.source = "racksim predict collective";
  w.ranks = nodes * sys->gpus;
  w.programs.resize(static_cast<std::size_t>(w.ranks));
  std::vector<int> members;
  for (int d = 0; d < nodes; ++d)
    for (int i = 0; i < per_node; ++i) members.push_back(d * sys->gpus + i);
  const int group = add_group(w, "members", members);
  w.streams.push_back("comm");
  const CollectiveKind kind = *collective_kind_from_string(r.op);
  for (const int m : members) {
    Op op;
    op.id = r.op;
    op.kind = OpKind::Collective;
    op.collective = kind;
    op.algorithm = *collective_algorithm_from_string(r.algorithm);
    op.group = group;
    op.bytes = bytes;
    op.root = members.front();
    op.where = Location{"--op", 0, 0, ""};
    w.programs[static_cast<std::size_t>(m)].push_back(op);
  }
  Run run(s, std::move(w));
  const RunResult res = run.execute();
  Outcome o;
  o.bytes = bytes;
  o.time_s = res.simulated_time_s;
  if (!res.collectives.empty()) {
    o.algorithm = res.collectives.front().algorithm;
    o.protocol = res.collectives.front().protocol;
  }
  o.model_time_s = res.collective_model_time_s;
  for (const auto& b : res.per_rank) o.transfers += b.transfers;
  return o;
}

// One size in a child process: SimGrid runs one simulation per process.
Outcome simulate_in_child(const Request& r, const std::string& data_dir, const Catalog& catalog, std::uint64_t bytes,
                          int nodes, int per_node) {
  const std::string text = run_in_child(
      [&] {
        const Outcome o = simulate(r, data_dir, catalog, bytes, nodes, per_node);
        return fmt::format("{} {:.17g} {:.17g} {} {} {}\n", o.bytes, o.time_s, o.model_time_s, o.algorithm,
                           o.protocol.empty() ? "-" : o.protocol, o.transfers);
      },
      fmt::format("{} B", bytes));
  std::istringstream in(text);
  Outcome o;
  in >> o.bytes >> o.time_s >> o.model_time_s >> o.algorithm >> o.protocol >> o.transfers;
  if (o.protocol == "-") o.protocol.clear();
  return o;
}

// A published collective measurement (validation/reference/published-measurements.yaml).
struct CollectiveCase {
  std::string id;
  std::string op;
  int gpus = 0;
  std::uint64_t bytes = 0;
  double busbw = 0.0;  // B/s
  std::string source;
  std::string algorithm = "auto";  // config.algo when the measurement forced one (NCCL_ALGO=NVLS)
};

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Whether `text` names GPU `gpu` as a whole word ("NVIDIA H100 80GB" names h100, not h10).
bool names_gpu(const std::string& text, const std::string& gpu) {
  const std::string t = upper(text);
  const std::string g = upper(gpu);
  for (std::size_t at = t.find(g); at != std::string::npos; at = t.find(g, at + 1)) {
    const bool left = at == 0 || !std::isalnum(static_cast<unsigned char>(t[at - 1]));
    const std::size_t end = at + g.size();
    const bool right = end >= t.size() || !std::isalnum(static_cast<unsigned char>(t[end]));
    if (left && right) return true;
  }
  return false;
}

std::vector<CollectiveCase> read_collective_cases(const std::vector<std::string>& files, const std::string& gpu, int max_gpus) {
  std::vector<CollectiveCase> out;
  for (const auto& f : files) {
    const ConfigDoc doc = ConfigDoc::load_file(f);
    const ConfigNode root = doc.root();
    const auto cases = root.child("cases");
    for (const auto& c : cases.items()) {
      if (!c.has("kind") || c.child("kind").as_string() != "collective") continue;
      if (!c.has("hardware") || !names_gpu(c.child("hardware").as_string(), gpu)) continue;
      if (!c.has("config") || !c.child("config").has("op") || !c.child("config").has("message_bytes")) continue;
      // A measured bus bandwidth (not a pass threshold such as busbw_inplace_min_pass).
      if (!c.has("metric")) continue;
      const std::string metric = c.child("metric").as_string();
      if (metric != "busbw" && metric != "busbw_inplace" && metric != "busbw_out_of_place" && metric != "busbw_outofplace")
        continue;
      CollectiveCase k;
      k.id = c.child("id").as_string();
      k.op = c.child("config").child("op").as_string();
      if (!collective_kind_from_string(k.op)) continue;
      k.gpus = static_cast<int>(c.child("num_gpus").as_int(1, 1'000'000));
      if (k.gpus > max_gpus) continue;
      k.bytes = static_cast<std::uint64_t>(c.child("config").child("message_bytes").as_int(1, std::int64_t{1} << 50));
      const std::string unit = c.child("unit").as_string();
      if (unit != "GB/s") c.child("unit").fail(fmt::format("expected GB/s for a bus bandwidth, got '{}'", unit));
      k.busbw = c.child("value").as_number() * 1e9;
      k.source = c.has("source") ? c.child("source").as_string() : std::string();
      if (c.child("config").has("algo")) {
        std::string a = c.child("config").child("algo").as_string();
        for (auto& ch : a) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (collective_algorithm_from_string(a)) k.algorithm = a;
      }
      out.push_back(std::move(k));
    }
  }
  return out;
}

}  // namespace

int cmd_validate_collectives(const std::vector<std::string>& args, const std::string& data_dir, std::ostream& out) {
  std::vector<std::string> files;
  std::string system;
  double budget = 0.10;
  std::uint64_t min_bytes = 1;
  bool json = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    if (name == "--json") {
      json = true;
      continue;
    }
    if (name.rfind("--", 0) != 0) {
      files.push_back(name);
      continue;
    }
    std::string value;
    std::tie(name, value) = option_value(args, i);
    if (name == "--system") {
      system = value;
    } else if (name == "--budget") {
      char* end = nullptr;
      budget = std::strtod(value.c_str(), &end) / 100.0;
      if (end != value.c_str() + value.size() || !(budget > 0.0))
        throw InputError(opt_loc("--budget", value), "expected a percentage greater than zero");
    } else if (name == "--min-bytes") {
      try {
        min_bytes = static_cast<std::uint64_t>(std::llround(parse_bytes(value).value()));
      } catch (const Error& e) {
        throw InputError(opt_loc(name, value), e.what());
      }
    } else {
      throw UsageError(fmt::format("unknown option '{}' for 'validate --system'", name));
    }
  }
  if (files.empty() || system.empty())
    throw UsageError("usage: racksim validate MEASUREMENTS... --system ID [--min-bytes SIZE] [--budget PERCENT] [--json]");
  const Catalog catalog = Catalog::load(shipped_catalog_files(data_dir));
  const SystemSpec* sys = catalog.find_system(system);
  if (!sys) throw InputError(opt_loc("--system", system), fmt::format("unknown system; catalog systems: {}", join_ids(catalog.system_ids())));
  const auto cases = read_collective_cases(files, sys->gpu, sys->gpus);
  if (cases.empty())
    throw InputError(opt_loc("--system", system),
                     fmt::format("no collective bus-bandwidth case for GPU '{}' on at most {} GPUs in the measurement files", sys->gpu,
                                 sys->gpus));
  struct Row {
    const CollectiveCase* c;
    Outcome o;
    double predicted = 0.0;
    double error = 0.0;
    bool counted = false;
  };
  std::vector<Row> rows;
  for (const auto& c : cases) {
    Request r;
    r.system = system;
    r.op = c.op;
    r.gpus = c.gpus;
    r.algorithm = c.algorithm;
    Row row{&c, simulate_in_child(r, data_dir, catalog, c.bytes, 1, c.gpus)};
    row.predicted = row.o.time_s > 0.0 ? static_cast<double>(c.bytes) / row.o.time_s * busbw_factor(c.op, c.gpus) : 0.0;
    row.error = (row.predicted - c.busbw) / c.busbw;
    row.counted = c.bytes >= min_bytes;
    rows.push_back(row);
  }
  std::vector<double> errs;
  for (const auto& r : rows)
    if (r.counted) errs.push_back(std::fabs(r.error));
  std::sort(errs.begin(), errs.end());
  double med = 0.0;
  if (!errs.empty()) {
    const std::size_t m = errs.size() / 2;
    med = errs.size() % 2 ? errs[m] : 0.5 * (errs[m - 1] + errs[m]);
  }
  const bool pass = !errs.empty() && med <= budget;
  if (json) {
    JsonWriter j;
    j.begin_object();
    j.field("system", system).field("median_abs_error", med).field("budget", budget).field("min_bytes", min_bytes);
    j.key("cases").begin_array();
    for (const auto& r : rows) {
      j.begin_object().field("id", r.c->id).field("bytes", r.c->bytes).field("predicted", r.predicted);
      j.field("measured", r.c->busbw).field("error", r.error).field("counted", r.counted).field("algorithm", r.o.algorithm);
      j.field("protocol", r.o.protocol).end_object();
    }
    j.end_array().end_object();
    out << j.str() << "\n";
  } else {
    out << fmt::format("{} collectives vs {} ({} cases; median over sizes >= {} B):\n", system, files.front(), rows.size(), min_bytes);
    out << fmt::format("  {:<48} {:>12} {:>10} {:>10} {:>8} {:>17} {:>7}\n", "case", "size (B)", "predicted", "measured", "error",
                       "algorithm", "proto");
    for (const auto& r : rows)
      out << fmt::format("  {:<48} {:>12} {:>10.2f} {:>10.2f} {:>+7.1f}% {:>17} {:>7}{}\n", r.c->id, r.c->bytes, r.predicted / 1e9,
                         r.c->busbw / 1e9, 100.0 * r.error, r.o.algorithm, r.o.protocol.empty() ? "-" : r.o.protocol,
                         r.counted ? "" : "  (not counted)");
    out << fmt::format("  bus bandwidth in GB/s; median |error| {:.1f}% over {} cases (budget {:.1f}%): {}\n", 100.0 * med, errs.size(),
                       100.0 * budget, pass ? "within budget" : "PAST BUDGET");
  }
  return pass ? 0 : 1;
}

double busbw_factor(const std::string& op, int n) {
  if (n <= 1) return 0.0;
  const double nn = static_cast<double>(n);
  if (op == "all_reduce") return 2.0 * (nn - 1.0) / nn;
  if (op == "broadcast" || op == "reduce") return 1.0;
  return (nn - 1.0) / nn;  // all_gather, reduce_scatter, all_to_all
}

int cmd_predict_collective(const std::vector<std::string>& args, const std::string& data_dir, std::ostream& out) {
  const Request r = parse(args);
  const Catalog catalog = Catalog::load(shipped_catalog_files(data_dir));
  const SystemSpec* sys = catalog.find_system(r.system);
  if (!sys)
    throw InputError(opt_loc("--system", r.system), fmt::format("unknown system; catalog systems: {}", join_ids(catalog.system_ids())));
  const int nodes = r.nodes > 0 ? r.nodes : (r.gpus + sys->gpus - 1) / sys->gpus;
  if (r.gpus % nodes != 0 || r.gpus / nodes > sys->gpus)
    throw InputError(opt_loc("--gpus", std::to_string(r.gpus)),
                     fmt::format("{} GPUs cannot be spread evenly over {} {} system(s) of {} GPUs", r.gpus, nodes, r.system,
                                 sys->gpus));
  const int per_node = r.gpus / nodes;
  std::vector<Outcome> rows;
  if (r.bytes) {
    rows.push_back(simulate(r, data_dir, catalog, *r.bytes, nodes, per_node));
  } else {
    for (std::uint64_t b = 1024; b <= (std::uint64_t{8} << 30); b *= 2) rows.push_back(simulate_in_child(r, data_dir, catalog, b, nodes, per_node));
  }
  const double factor = busbw_factor(r.op, r.gpus);
  if (r.json) {
    JsonWriter j;
    auto row = [&](const Outcome& o) {
      j.begin_object();
      j.field("bytes", o.bytes).field("time_s", o.time_s);
      const double algbw = o.time_s > 0.0 ? static_cast<double>(o.bytes) / o.time_s : 0.0;
      j.field("algbw_bytes_per_s", algbw).field("busbw_bytes_per_s", algbw * factor);
      j.field("algorithm", o.algorithm).field("protocol", o.protocol).field("model_time_s", o.model_time_s);
      j.field("transfers", o.transfers);
      j.end_object();
    };
    j.begin_object();
    j.field("system", r.system).field("op", r.op).field("gpus", r.gpus).field("nodes", nodes);
    if (rows.size() == 1) {
      const Outcome& o = rows.front();
      const double algbw = o.time_s > 0.0 ? static_cast<double>(o.bytes) / o.time_s : 0.0;
      j.field("bytes", o.bytes).field("time_s", o.time_s).field("algbw_bytes_per_s", algbw);
      j.field("busbw_bytes_per_s", algbw * factor).field("algorithm", o.algorithm).field("protocol", o.protocol);
      j.field("model_time_s", o.model_time_s).field("transfers", o.transfers);
    } else {
      j.key("rows").begin_array();
      for (const auto& o : rows) row(o);
      j.end_array();
    }
    j.end_object();
    out << j.str() << "\n";
    return 0;
  }
  out << fmt::format("# racksim predict collective: {} on {} GPUs of {} ({} system(s), {} GPUs each)\n", r.op, r.gpus, r.system,
                     nodes, per_node);
  out << fmt::format("# {:>12} {:>12} {:>10} {:>10} {:>17} {:>8} {:>12}\n", "size (B)", "time (us)", "algbw", "busbw", "algorithm",
                     "protocol", "model (us)");
  out << fmt::format("# {:>12} {:>12} {:>10} {:>10} {:>17} {:>8} {:>12}\n", "", "", "(GB/s)", "(GB/s)", "", "", "");
  for (const auto& o : rows) {
    const double algbw = o.time_s > 0.0 ? static_cast<double>(o.bytes) / o.time_s : 0.0;
    out << fmt::format("  {:>12} {:>12.2f} {:>10.2f} {:>10.2f} {:>17} {:>8} {:>12.2f}\n", o.bytes, o.time_s * 1e6, algbw / 1e9,
                       algbw * factor / 1e9, o.algorithm, o.protocol.empty() ? "-" : o.protocol, o.model_time_s * 1e6);
  }
  return 0;
}

}  // namespace racksim
