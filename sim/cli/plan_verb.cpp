#include "sim/cli/plan_verb.hpp"

#include "core/error.hpp"
#include "sim/cli/child_run.hpp"
#include "core/atomic_file.hpp"
#include "sim/studies/capacity_plan.hpp"
#include "sim/cli/progress.hpp"
#include "sim/output/metrics.hpp"
#include "sim/output/results.hpp"
#include "sim/engine/run.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/workload/training_generator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <thread>

namespace racksim {

namespace fs = std::filesystem;

namespace {

constexpr const char* kUsageLine = "usage: racksim plan PLAN [--set KEY=VALUE]... [--jobs N] [--json FILE] [--out DIR]";

struct Options {
  std::string plan;
  std::vector<std::string> sets;
  int jobs = 0;  // 0: the machine's cores
  std::string json;
  std::string out;
};

Options parse_options(const std::vector<std::string>& args) {
  Options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    if (name.empty() || name[0] != '-') {
      if (!o.plan.empty()) throw UsageError(fmt::format("'plan' takes one plan file, got a second: '{}'; {}", name, kUsageLine));
      o.plan = name;
      continue;
    }
    std::string value;
    if (const auto eq = name.find('='); eq != std::string::npos && name.rfind("--", 0) == 0) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (name == "--set" || name == "--jobs" || name == "--json" || name == "--out") {
      if (i + 1 >= args.size()) throw UsageError(fmt::format("{} needs a value; {}", name, kUsageLine));
      value = args[++i];
    } else {
      throw UsageError(fmt::format("unknown option '{}' for 'plan'; {}", name, kUsageLine));
    }
    if (value.empty()) throw UsageError(fmt::format("{} needs a value; {}", name, kUsageLine));
    if (name == "--set") o.sets.push_back(value);
    else if (name == "--json") o.json = value;
    else if (name == "--out") o.out = value;
    else if (name == "--jobs") {
      char* end = nullptr;
      errno = 0;
      const long n = std::strtol(value.c_str(), &end, 10);
      if (end != value.c_str() + value.size() || errno != 0 || n < 1 || n > 1024)
        throw UsageError(fmt::format("--jobs needs a number of processes from 1 to 1024, got '{}'", value));
      o.jobs = static_cast<int>(n);
    } else {
      throw UsageError(fmt::format("unknown option '{}' for 'plan'; {}", name, kUsageLine));
    }
  }
  if (o.plan.empty()) throw UsageError(fmt::format("'plan' needs a plan file; {}", kUsageLine));
  return o;
}

// What an InputError says without its location (the point's overrides are listed beside it).
std::string what_without_location(const InputError& e, bool expected = false) {
  const std::string& rest = e.expected();
  if (e.where().key.empty() || !expected) return e.where().key.empty() ? rest : fmt::format("{}: {}", e.where().key, rest);
  return rest.rfind("expected", 0) == 0 || rest.rfind("unknown", 0) == 0 ? fmt::format("{}: {}", e.where().key, rest)
                                                                         : fmt::format("{}: expected {}", e.where().key, rest);
}

// ---- in the child -----------------------------------------------------------------------------

PointMetrics metrics_of(const RunResult& r) {
  if (!r.training) throw Error("internal error: a plan point's run has no training metrics");
  if (!r.power) throw Error("internal error: a plan point's run has no power summary");
  // Every figure that exists for a training run with power, by its name (sim/output/metrics.hpp).
  auto get = [&](const char* name) {
    const auto v = metric(r, name);
    if (!v) throw Error(fmt::format("internal error: a plan point's run has no metric {}", name));
    return *v;
  };
  PointMetrics m;
  m.step_time_s = get("workload.step_time_s");
  m.tokens_per_s = get("workload.tokens_per_s");
  m.mfu = get("workload.mfu");
  m.energy_j = get("power.energy_j");
  m.site_energy_j = get("power.site_energy_j");
  m.it_avg_w = get("power.it_avg_w");
  m.site_avg_w = get("power.site_avg_w");
  m.rack_peak_w = get("power.rack_peak_w");
  m.gpu_peak_w = get("power.gpu_peak_w");
  m.switch_w = get("power.scale_out_switches_avg_w");
  m.clock_avg_mhz = get("power.clock_avg_mhz");
  m.throttle_limit = r.power->throttle_limit;
  m.hbm_peak_bytes = get("memory.hbm_peak_bytes");
  m.hbm_capacity_bytes = get("memory.hbm_capacity_bytes");
  m.racks = r.domains;
  m.gpus = r.gpus;
  m.oom_events = static_cast<std::int64_t>(r.oom_events.size());
  if (!r.oom_events.empty()) {
    const OomEvent& e = r.oom_events.front();
    m.oom_first = fmt::format("rank {} allocates {} for '{}'{} with {} free", e.rank, format_bytes(Bytes(static_cast<double>(e.requested))),
                              e.op, e.label.empty() ? "" : fmt::format(" ({})", e.label),
                              format_bytes(Bytes(static_cast<double>(e.free))));
  }
  m.reduced = r.reduction.applied;
  m.simulated_ranks = r.reduction.applied ? r.reduction.simulated_ranks : r.ranks;
  m.replicas = r.reduction.applied ? r.reduction.replicas : 1;
  m.not_reduced_because = r.reduction.reason;
  return m;
}

// The child's one answer: "metrics\n..." or "input <why>" (the run refused the point) or
// "failed <why>" (the simulation could not complete).
// "oom <why>": the model state alone overflows the HBM (one replica's ranks generated, nothing
// simulated; sim/plan.hpp model_state_overflow).
std::string evaluate_point(const Scenario& s, const std::string& summary_file) {
  try {
    {
      const TransformerSpec& t = *s.workload.transformer;
      const std::int64_t block = std::min(t.layout.world(), t.layout.tp * t.layout.cp * t.layout.pp);
      const Workload replica = generate_transformer(t, s.gpu, static_cast<int>(block));
      const std::string why = model_state_overflow(replica, static_cast<std::uint64_t>(s.gpu.hbm_capacity.value()));
      if (!why.empty()) return "oom " + why;
    }
    Run run(s);
    const RunResult r = run.execute();
    if (!summary_file.empty()) {
      std::error_code ec;
      fs::create_directories(fs::path(summary_file).parent_path(), ec);
      write_atomic(summary_file, summary_json(r));
    }
    return "metrics\n" + encode_metrics(metrics_of(r));
  } catch (const InputError& e) {
    return "input " + what_without_location(e);
  } catch (const std::exception& e) {
    return std::string("failed ") + e.what();
  }
}

// Runs f(i) for every i in `slots`, each in a child (ChildPool), up to `jobs` at once; returns each
// one's text by slot. A child that throws or dies without an answer gets "failed <why>".
std::map<std::size_t, std::string> run_children(const std::vector<std::size_t>& slots, int jobs,
                                                const std::function<std::string(std::size_t)>& f, std::ostream* tty) {
  std::map<std::size_t, std::string> done;
  ProgressMeter meter(tty, "plan", static_cast<double>(slots.size()), "points");
  ChildPool pool(jobs);
  std::size_t next = 0;
  while (next < slots.size() || !pool.idle()) {
    while (next < slots.size() && !pool.full()) {
      const std::size_t slot = slots[next++];
      pool.start(slot, [&f, slot] { return f(slot); });
    }
    ChildPool::Finished fin = pool.wait_any();
    done[fin.id] = fin.ok ? std::move(fin.text) : "failed " + fin.text;
    meter.update(static_cast<double>(done.size()));
  }
  return done;
}

}  // namespace

int cmd_plan(const std::vector<std::string>& args, const std::string& data_dir, std::ostream& out, std::ostream* tty) {
  const Options o = parse_options(args);
  const PlanSpec plan = load_plan(o.plan, o.sets);

  // The base scenario, with the plan's overrides: its errors are the plan's.
  Scenario base_s;
  try {
    base_s = load_scenario(plan.scenario, plan.overrides, data_dir);
  } catch (const InputError& e) {
    const bool from_override = e.where().file.rfind("--set ", 0) == 0;
    throw InputError(from_override ? plan.overrides_where : plan.scenario_where,
                     fmt::format("the base scenario is not valid: {}", e.what()));
  }
  if (!base_s.workload.transformer)
    throw InputError(plan.scenario_where,
                     fmt::format("expected a base scenario whose workload is a generated training step (kind: "
                                 "transformer_training, docs/transformer.md); {} runs a workload of kind '{}'",
                                 plan.scenario, base_s.workload.kind));
  PlanBase base;
  base.gpus_per_rack = base_s.cluster.up.gpus;
  const TransformerSpec& ts = *base_s.workload.transformer;
  base.tp = ts.layout.tp;
  base.pp = ts.layout.pp;
  base.cp = ts.layout.cp;
  base.global_batch = ts.batch.global;
  base.sequence = ts.batch.seq;
  base.site = base_s.power.site;

  // Output places first, so that a bad path fails before minutes of simulation.
  if (!o.out.empty()) {
    std::error_code ec;
    fs::create_directories(fs::path(o.out) / "points", ec);
    if (ec) throw OutputError(fmt::format("cannot create the output folder {}: {}", o.out, ec.message()));
  }
  if (!o.json.empty()) {
    const fs::path parent = fs::path(o.json).parent_path();
    std::error_code ec;
    if (!parent.empty()) fs::create_directories(parent, ec);
    if (ec) throw OutputError(fmt::format("cannot create the folder of {}: {}", o.json, ec.message()));
  }

  // Screening: the grid's own checks, then the generator's, by building each point's scenario.
  std::vector<PlanPoint> points = expand_grid(plan, base);
  std::vector<std::optional<Scenario>> scenarios(points.size());
  std::vector<std::size_t> to_simulate;
  for (std::size_t i = 0; i < points.size(); ++i) {
    PlanPoint& p = points[i];
    if (p.status == PointStatus::Rejected) continue;
    try {
      scenarios[i] = load_scenario(plan.scenario, p.overrides, data_dir);
    } catch (const InputError& e) {
      reject(p, Reject::InvalidLayout, fmt::format("the generator rejects it: {}", what_without_location(e, true)));
      continue;
    }
    to_simulate.push_back(i);
  }

  const int jobs = o.jobs > 0 ? o.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  out << fmt::format("racksim plan: {} points, {} rejected by the plan or the generator, {} to evaluate (one training step each)\n", points.size(),
                     points.size() - to_simulate.size(), to_simulate.size())
      << std::flush;
  const auto answers = run_children(to_simulate, jobs, [&](std::size_t i) {
    const std::string summary =
        o.out.empty() ? std::string() : (fs::path(o.out) / "points" / fmt::format("{:03}", points[i].id) / "summary.json").string();
    return evaluate_point(*scenarios[i], summary);
  }, tty);

  bool failed = false;
  for (const auto& [i, text] : answers) {
    PlanPoint& p = points[i];
    if (text.rfind("metrics\n", 0) == 0) {
      judge(p, decode_metrics(text.substr(8)), plan, base);
    } else if (text.rfind("oom ", 0) == 0) {
      reject(p, Reject::OutOfMemory, fmt::format("out of HBM before the step starts: {} (not simulated)", text.substr(4)));
    } else if (text.rfind("input ", 0) == 0) {
      reject(p, Reject::CannotEvaluate, fmt::format("the run refuses it: {}", text.substr(6)));
    } else {
      failed = true;
      reject(p, Reject::SimulationFailed, text.rfind("failed ", 0) == 0 ? text.substr(7) : text);
    }
  }
  mark_pareto(points);

  const std::string table = plan_table(plan, base, points);
  out << "\n" << table;
  std::vector<std::string> written;
  if (!o.json.empty()) {
    write_atomic(o.json, plan_json(plan, base, points));
    written.push_back(o.json);
  }
  if (!o.out.empty()) {
    write_atomic(fs::path(o.out) / "plan.json", plan_json(plan, base, points));
    write_atomic(fs::path(o.out) / "plan.txt", table);
    written.push_back((fs::path(o.out) / "plan.json").string());
    written.push_back((fs::path(o.out) / "plan.txt").string());
    written.push_back((fs::path(o.out) / "points" / "<id>" / "summary.json").string());
  }
  if (!written.empty()) {
    std::string list;
    for (const auto& f : written) list += (list.empty() ? "" : ", ") + f;
    out << fmt::format("\nwrote {}\n", list);
  }
  return failed ? static_cast<int>(ExitCode::SimFailed) : 0;
}

}  // namespace racksim
