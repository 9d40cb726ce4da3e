// racksim cli: predict collective and validate --system — collectives simulated on catalog systems.
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
#include <utility>

namespace racksim {

namespace {

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

Location opt_loc(const std::string& name, const std::string& value) {
  return Location{fmt::format("{} {}", name, value), 0, 0, ""};
}

std::string collective_names() {
  std::string names;
  for (auto k : {CollectiveKind::AllReduce, CollectiveKind::AllGather, CollectiveKind::ReduceScatter, CollectiveKind::AllToAll,
                 CollectiveKind::Broadcast, CollectiveKind::Reduce})
    names += (names.empty() ? "" : ", ") + to_string(k);
  return names;
}

// The request of `predict collective`, its op and algorithm checked.
Request request_of(const ParsedArgs& a) {
  Request r;
  r.system = *a.text("--system");
  r.op = *a.text("--op");
  r.gpus = static_cast<int>(*a.integer("--gpus"));
  r.nodes = static_cast<int>(a.integer("--nodes").value_or(0));
  r.bytes = a.bytes("--bytes");
  r.algorithm = *a.text("--algorithm");
  r.sets = a.texts("--set");
  r.json = a.flag("--json");
  if (!collective_kind_from_string(r.op))
    throw InputError(opt_loc("--op", r.op), fmt::format("unknown collective; valid: {}", collective_names()));
  if (!collective_algorithm_from_string(r.algorithm)) {
    std::string names = "auto";
    for (auto k : algorithms_for(*collective_kind_from_string(r.op))) names += ", " + to_string(k);
    throw InputError(opt_loc("--algorithm", r.algorithm), fmt::format("unknown algorithm; valid for {}: {}", r.op, names));
  }
  return r;
}

// The scenario of the request's cluster, as YAML (collective_verbs.hpp says how it is chosen): one
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

// One case of validate --system: the measurement, the simulation, and how far apart they are.
struct CaseRow {
  const CollectiveCase* c;
  Outcome o;
  double predicted = 0.0;  // bus bandwidth, B/s
  double error = 0.0;      // (predicted - measured) / measured
  bool counted = false;    // at least --min-bytes: part of the median
};

// Each case simulated on one system in a child process.
std::vector<CaseRow> simulate_cases(const std::vector<CollectiveCase>& cases, const std::string& system, const std::string& data_dir,
                                    const Catalog& catalog, std::uint64_t min_bytes) {
  std::vector<CaseRow> rows;
  for (const auto& c : cases) {
    Request r;
    r.system = system;
    r.op = c.op;
    r.gpus = c.gpus;
    r.algorithm = c.algorithm;
    CaseRow row{&c, simulate_in_child(r, data_dir, catalog, c.bytes, 1, c.gpus)};
    row.predicted = row.o.time_s > 0.0 ? static_cast<double>(c.bytes) / row.o.time_s * busbw_factor(c.op, c.gpus) : 0.0;
    row.error = (row.predicted - c.busbw) / c.busbw;
    row.counted = c.bytes >= min_bytes;
    rows.push_back(row);
  }
  return rows;
}

// The median |error| of the counted rows, and how many there are.
std::pair<double, std::size_t> median_counted_error(const std::vector<CaseRow>& rows) {
  std::vector<double> errs;
  for (const auto& r : rows)
    if (r.counted) errs.push_back(std::fabs(r.error));
  std::sort(errs.begin(), errs.end());
  if (errs.empty()) return {0.0, 0};
  const std::size_t m = errs.size() / 2;
  return {errs.size() % 2 ? errs[m] : 0.5 * (errs[m - 1] + errs[m]), errs.size()};
}

std::string cases_json(const std::string& system, double med, double budget, std::uint64_t min_bytes,
                       const std::vector<CaseRow>& rows) {
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
  return j.str() + "\n";
}

// Zero cases to compare is no validation at all (it used to print "0.00%, within budget"): an
// error naming the system, the files and the catalog systems they do hold cases for; and one
// naming --min-bytes when it leaves no case in the median (checked before anything simulates).
void require_cases(const std::vector<CollectiveCase>& cases, const SystemSpec& sys, const Catalog& catalog,
                   const std::vector<std::string>& files, std::uint64_t min_bytes) {
  std::string list;
  for (const auto& f : files) list += (list.empty() ? "" : ", ") + f;
  if (cases.empty()) {
    std::vector<std::string> have;
    for (const auto& id : catalog.system_ids()) {
      const SystemSpec* other = catalog.find_system(id);
      if (other && !read_collective_cases(files, other->gpu, other->gpus).empty()) have.push_back(id);
    }
    throw InputError(opt_loc("--system", sys.id),
                     fmt::format("no collective bus-bandwidth case for its GPU '{}' on at most {} GPUs in {}; {}", sys.gpu, sys.gpus,
                                 list, have.empty() ? "they hold no such case for any catalog system"
                                                    : "they hold cases for the systems: " + join_ids(have)));
  }
  std::uint64_t largest = 0;
  for (const auto& c : cases) largest = std::max(largest, c.bytes);
  if (largest < min_bytes)
    throw InputError(opt_loc("--min-bytes", std::to_string(min_bytes)),
                     fmt::format("no case of system '{}' in {} is that large (the largest is {} B), so the median would count "
                                 "no case; expected at most {} B",
                                 sys.id, list, largest, largest));
}

int cmd_validate_collectives(const ParsedArgs& a, const CliContext& ctx) {
  std::ostream& out = ctx.out;
  const std::vector<std::string>& files = a.positional();
  const std::string system = *a.text("--system");
  const double budget = *a.number("--budget") / 100.0;
  const std::uint64_t min_bytes = *a.bytes("--min-bytes");
  const std::string data_dir = ctx.data_dir();
  const Catalog catalog = Catalog::load(shipped_catalog_files(data_dir));
  const SystemSpec* sys = catalog.find_system(system);
  if (!sys) throw InputError(opt_loc("--system", system), fmt::format("unknown system; catalog systems: {}", join_ids(catalog.system_ids())));
  const auto cases = read_collective_cases(files, sys->gpu, sys->gpus);
  require_cases(cases, *sys, catalog, files, min_bytes);
  const std::vector<CaseRow> rows = simulate_cases(cases, system, data_dir, catalog, min_bytes);
  const auto [med, counted] = median_counted_error(rows);
  const bool pass = counted > 0 && med <= budget;
  if (a.flag("--json")) {
    out << cases_json(system, med, budget, min_bytes, rows);
    return pass ? 0 : 1;
  }
  out << fmt::format("{} collectives vs {} ({} cases; median over sizes >= {} B):\n", system, files.front(), rows.size(), min_bytes);
  out << fmt::format("  {:<48} {:>12} {:>10} {:>10} {:>8} {:>17} {:>7}\n", "case", "size (B)", "predicted", "measured", "error",
                     "algorithm", "proto");
  for (const auto& r : rows)
    out << fmt::format("  {:<48} {:>12} {:>10.2f} {:>10.2f} {:>+7.1f}% {:>17} {:>7}{}\n", r.c->id, r.c->bytes, r.predicted / 1e9,
                       r.c->busbw / 1e9, 100.0 * r.error, r.o.algorithm, r.o.protocol.empty() ? "-" : r.o.protocol,
                       r.counted ? "" : "  (not counted)");
  out << fmt::format("  bus bandwidth in GB/s; median |error| {:.1f}% over {} cases (budget {:.1f}%): {}\n", 100.0 * med, counted,
                     100.0 * budget, pass ? "within budget" : "PAST BUDGET");
  return pass ? 0 : 1;
}

}  // namespace

double busbw_factor(const std::string& op, int n) {
  if (n <= 1) return 0.0;
  const double nn = static_cast<double>(n);
  if (op == "all_reduce") return 2.0 * (nn - 1.0) / nn;
  if (op == "broadcast" || op == "reduce") return 1.0;
  return (nn - 1.0) / nn;  // all_gather, reduce_scatter, all_to_all
}

namespace {

int cmd_predict_collective(const ParsedArgs& a, const CliContext& ctx) {
  std::ostream& out = ctx.out;
  const Request r = request_of(a);
  const std::string data_dir = ctx.data_dir();
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

}  // namespace

Verb predict_collective_verb() {
  VerbSpec s;
  s.name = "predict collective";
  s.words = {"predict", "collective"};
  s.summary = "One collective simulated on M systems of the catalog (joined by a rail-optimized fabric when M > 1): "
              "time, algorithm and bus bandwidth as nccl-tests defines them, the algorithm and protocol chosen, and the "
              "cost model's time. Without --bytes, a table from 1 KiB to 8 GiB like all_reduce_perf prints (each size "
              "simulated in its own process).";
  s.options = {
      text("--system", "ID", "the catalog system (helios, mi300x-platform, hgx-h100, ...)").required(),
      text("--op", "OP", "the collective: " + collective_names()).required(),
      integer("--gpus", "N", 1, 10'000'000, "the GPUs taking part").required(),
      integer("--nodes", "M", 1, 10'000'000, "the systems they are spread over").default_shown("as few as hold the GPUs"),
      byte_count("--bytes", "SIZE", 1, "the message size").default_shown("a table from 1 KiB to 8 GiB"),
      text("--algorithm", "A", "the algorithm, or auto for the one NCCL/RCCL would choose").defaults_to("auto"),
      text("--set", "KEY=VALUE", "override a key of the cluster's scenario, e.g. cluster.scale_out.multipath=ecmp").repeatable(),
      flag("--json", "print one JSON object instead of the table")};
  s.exits = {{3, "invalid input: an unknown system, op or algorithm, a size, GPU or node count out of range, or a --set value"},
               {4, "the simulation failed"}};
  return {s, cmd_predict_collective};
}

Verb validate_collectives_verb() {
  VerbSpec s;
  s.name = "validate --system";
  s.words = {"validate"};
  s.selected_by = "--system";
  s.summary = "Collective bus bandwidth predicted vs measured for every collective case of the files measured on the "
              "system's GPU (simulated like predict collective, each in its own process); exit status 1 when the median "
              "|error| over sizes >= --min-bytes exceeds the budget.";
  s.positionals = {{"MEASUREMENTS", "a measurements file",
                    "measurements files holding collective bus-bandwidth cases (validation/reference/*.yaml)", true, true}};
  s.options = {text("--system", "ID", "the catalog system the cases are simulated on").required(),
               byte_count("--min-bytes", "SIZE", 0, "the smallest case size the median counts").defaults_to("1"),
               number_above("--budget", "PERCENT", 0.0, "the largest median |error| that passes, in percent").defaults_to("10"),
               flag("--json", "print one JSON object instead of the table")};
  s.exits = {{1, "the median |error| is past the budget"},
               {3, "invalid input: a measurements file, an unknown system, no case of its GPU to compare, or --min-bytes "
                   "above every case"},
               {4, "a case's simulation failed"}};
  return {s, cmd_validate_collectives};
}

}  // namespace racksim
