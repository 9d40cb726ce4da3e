// racksim cli: `racksim plan` — screening, the points simulated in children, the report (plan_verb.hpp).
#include "sim/cli/plan_verb.hpp"

#include "core/error.hpp"
#include "sim/cli/child_run.hpp"
#include "sim/cli/out_folder.hpp"
#include "core/atomic_file.hpp"
#include "core/output_folder.hpp"
#include "sim/studies/capacity_plan.hpp"
#include "sim/studies/serving_plan.hpp"
#include "sim/cli/progress.hpp"
#include "sim/output/metrics.hpp"
#include "sim/output/results.hpp"
#include "sim/engine/run.hpp"
#include "sim/engine/setup.hpp"
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

struct Options {
  std::string plan;
  std::vector<std::string> sets;
  int jobs = 0;  // 0: the machine's cores
  std::string json;
  std::string out;
};

Options options_of(const ParsedArgs& a) {
  Options o;
  o.plan = a.positional()[0];
  o.sets = a.texts("--set");
  o.jobs = static_cast<int>(a.integer("--jobs").value_or(0));
  o.json = a.text("--json").value_or("");
  o.out = a.text("--out").value_or("");
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

// A figure of the run by its name (sim/output/metrics.hpp), which it must have.
double required_metric(const RunResult& r, const char* name) {
  const auto v = metric(r, name);
  if (!v) throw Error(fmt::format("internal error: a plan point's run has no metric {}", name));
  return *v;
}

// What every plan point reports of its run's power, and its size.
void power_metrics(const RunResult& r, PointMetrics& m) {
  if (!r.power) throw Error("internal error: a plan point's run has no power summary");
  auto get = [&](const char* name) { return required_metric(r, name); };
  m.energy_j = get("power.energy_j");
  m.site_energy_j = get("power.site_energy_j");
  m.it_avg_w = get("power.it_avg_w");
  m.site_avg_w = get("power.site_avg_w");
  m.rack_peak_w = get("power.rack_peak_w");
  m.gpu_peak_w = get("power.gpu_peak_w");
  m.switch_w = get("power.scale_out_switches_avg_w");
  m.clock_avg_mhz = get("power.clock_avg_mhz");
  m.throttle_limit = r.power->throttle_limit;
  m.racks = r.domains;
  m.gpus = r.gpus;
}

// A serving run's figures by name, with its power.
PointMetrics serving_metrics_of(const RunResult& r) {
  if (!r.serving) throw Error("internal error: a serving plan point's run has no serving metrics");
  auto get = [&](const char* name) { return required_metric(r, name); };
  auto get_or_zero = [&](const char* name) { return metric(r, name).value_or(0.0); };  // no SLO, no requests: none
  PointMetrics m;
  m.serving = true;
  m.ttft_p99_s = get("serving.ttft_p99_s");
  m.tpot_p99_s = get("serving.tpot_p99_s");
  m.e2e_p99_s = get("serving.e2e_p99_s");
  m.ttft_p50_s = get("serving.ttft_p50_s");
  m.tpot_p50_s = get("serving.tpot_p50_s");
  m.output_tokens_per_s = get("serving.output_tokens_per_s");
  m.requests_per_s = get("serving.requests_per_s");
  m.goodput_requests_per_s = get_or_zero("serving.goodput_requests_per_s");
  m.slo_attainment = get_or_zero("serving.slo_attainment");
  m.energy_per_output_token_j = get_or_zero("serving.energy_per_output_token_j");
  m.requests = r.serving->requests;
  m.finished = r.serving->finished;
  m.unfinished = r.serving->unfinished;
  power_metrics(r, m);
  return m;
}

PointMetrics metrics_of(const RunResult& r) {
  if (r.serving) return serving_metrics_of(r);
  if (!r.training) throw Error("internal error: a plan point's run has no training metrics");
  // Every figure that exists for a training run with power, by its name.
  auto get = [&](const char* name) { return required_metric(r, name); };
  PointMetrics m;
  m.step_time_s = get("workload.step_time_s");
  m.tokens_per_s = get("workload.tokens_per_s");
  m.mfu = get("workload.mfu");
  power_metrics(r, m);
  m.hbm_peak_bytes = get("memory.hbm_peak_bytes");
  m.hbm_capacity_bytes = get("memory.hbm_capacity_bytes");
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
// simulated; sim/studies/capacity_plan.hpp model_state_overflow).
std::string evaluate_point(const Scenario& s, const std::string& summary_file) {
  try {
    // The sizes first (as a run does): the replica generated below could otherwise exhaust memory.
    check_sizes(s);
    if (s.workload.transformer) {
      const TransformerSpec& t = *s.workload.transformer;
      const std::int64_t block = std::min(t.layout.world(), t.layout.tp * t.layout.cp * t.layout.pp);
      const Workload replica = generate_transformer(t, s.gpu, static_cast<int>(block));
      const std::string why = model_state_overflow(replica, static_cast<std::uint64_t>(s.gpu.hbm_capacity.value()));
      if (!why.empty()) return "oom " + why;
    }
    Run run(s);
    if (!summary_file.empty()) check_output_folder(fs::path(summary_file).parent_path(), summary_file);
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

// What a serving plan needs of its base scenario: a serving workload of one kind of instance with
// synthetic requests at a rate (the plan sets workload.requests.rate).
PlanBase serving_base_of(const PlanSpec& plan, const Scenario& base_s) {
  if (!base_s.workload.serving)
    throw InputError(plan.scenario_where,
                     fmt::format("expected a base scenario whose workload serves requests (kind: inference_serving, "
                                 "docs/inference.md) for a serving plan; {} runs a workload of kind '{}'",
                                 plan.scenario, base_s.workload.kind));
  const ServingSpec& sv = *base_s.workload.serving;
  if (sv.disaggregated())
    throw InputError(plan.scenario_where,
                     fmt::format("expected a base scenario of one kind of instance (workload.instance); {} disaggregates "
                                 "prefill and decode, which a serving plan does not vary",
                                 plan.scenario));
  if (!sv.requests.file.empty() || (sv.requests.arrival != "poisson" && sv.requests.arrival != "fixed"))
    throw InputError(plan.scenario_where,
                     fmt::format("expected a base scenario whose requests arrive at a rate (workload.requests.arrival: "
                                 "poisson or fixed), since each point sets workload.requests.rate; {} has {} requests ({})",
                                 plan.scenario, sv.requests.file.empty() ? sv.requests.arrival : "trace",
                                 sv.requests.where.file.empty() ? plan.scenario : fmt::format("{}:{}", sv.requests.where.file, sv.requests.where.line)));
  PlanBase base;
  base.gpus_per_rack = base_s.cluster.up.gpus;
  base.tp = sv.pool.layout.tp;
  base.pp = sv.pool.layout.pp;
  base.ep = sv.pool.layout.ep;
  base.domains = base_s.cluster.domains;
  base.site = base_s.power.site;
  return base;
}

// What the grid needs of the plan's base scenario, read with the plan's overrides (its errors are
// the plan's).
PlanBase base_of(const PlanSpec& plan, const std::string& data_dir) {
  Scenario base_s;
  try {
    base_s = load_scenario(plan.scenario, plan.overrides, data_dir);
  } catch (const InputError& e) {
    const bool from_override = e.where().file.rfind("--set ", 0) == 0;
    throw InputError(from_override ? plan.overrides_where : plan.scenario_where,
                     fmt::format("the base scenario is not valid: {}", e.what()));
  }
  if (plan.kind == PlanKind::Serving) return serving_base_of(plan, base_s);
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
  return base;
}

// Output places first, so that a bad path fails before minutes of simulation; --out DIR is
// checked to hold no other command's results and locked while the plan runs (out_folder.hpp).
std::optional<FolderLock> create_output_folders(const Options& o) {
  std::optional<FolderLock> lock;
  if (!o.out.empty()) {
    require_folder_for(o.out, FolderKind::Plan, "--out " + o.out);
    std::error_code ec;
    fs::create_directories(fs::path(o.out) / "points", ec);
    if (ec) throw OutputError(fmt::format("cannot create the output folder {}: {}", o.out, ec.message()));
    lock.emplace(o.out, ".lock");
  }
  if (!o.json.empty()) {
    const fs::path parent = fs::path(o.json).parent_path();
    std::error_code ec;
    if (!parent.empty()) fs::create_directories(parent, ec);
    if (ec) throw OutputError(fmt::format("cannot create the folder of {}: {}", o.json, ec.message()));
  }
  return lock;
}

// Screening: the grid's own checks, then the generator's, by building each point's scenario.
// Returns the points left to simulate; fills their scenarios.
std::vector<std::size_t> screen(std::vector<PlanPoint>& points, std::vector<std::optional<Scenario>>& scenarios,
                                const PlanSpec& plan, const std::string& data_dir) {
  std::vector<std::size_t> to_simulate;
  ScenarioFileCache files;
  for (std::size_t i = 0; i < points.size(); ++i) {
    PlanPoint& p = points[i];
    if (p.status == PointStatus::Rejected) continue;
    try {
      scenarios[i] = load_scenario(plan.scenario, p.overrides, data_dir, &files);
    } catch (const InputError& e) {
      if (plan.kind == PlanKind::Serving) {
        const std::string why = what_without_location(e, true);
        reject(p, serving_refusal(why), fmt::format("the run refuses it: {}", why));
      } else {
        reject(p, Reject::InvalidLayout, fmt::format("the generator rejects it: {}", what_without_location(e, true)));
      }
      continue;
    }
    to_simulate.push_back(i);
  }
  return to_simulate;
}

// Each child's answer judged into its point; true when a simulation failed.
bool judge_answers(std::vector<PlanPoint>& points, const std::map<std::size_t, std::string>& answers, const PlanSpec& plan,
                   const PlanBase& base) {
  bool failed = false;
  for (const auto& [i, text] : answers) {
    PlanPoint& p = points[i];
    if (text.rfind("metrics\n", 0) == 0) {
      if (plan.kind == PlanKind::Serving) judge_serving(p, decode_metrics(text.substr(8)), plan, base);
      else judge(p, decode_metrics(text.substr(8)), plan, base);
    } else if (plan.kind == PlanKind::Serving && text.rfind("input ", 0) == 0) {
      const std::string why = text.substr(6);
      const Reject r = serving_refusal(why);
      reject(p, r, fmt::format("{}: {}", r == Reject::OutOfMemory ? "out of HBM, the run refuses it" : "the run refuses it", why));
    } else if (text.rfind("oom ", 0) == 0) {
      reject(p, Reject::OutOfMemory, fmt::format("out of HBM before the step starts: {} (not simulated)", text.substr(4)));
    } else if (text.rfind("input ", 0) == 0) {
      reject(p, Reject::CannotEvaluate, fmt::format("the run refuses it: {}", text.substr(6)));
    } else {
      failed = true;
      reject(p, Reject::SimulationFailed, text.rfind("failed ", 0) == 0 ? text.substr(7) : text);
    }
  }
  return failed;
}

// --json FILE and --out DIR; returns the paths written.
std::vector<std::string> write_outputs(const Options& o, const PlanSpec& plan, const PlanBase& base,
                                       const std::vector<PlanPoint>& points, const std::string& table) {
  std::vector<std::string> written;
  const auto json = [&] { return plan.kind == PlanKind::Serving ? serving_plan_json(plan, base, points) : plan_json(plan, base, points); };
  if (!o.json.empty()) {
    write_atomic(o.json, json());
    written.push_back(o.json);
  }
  if (!o.out.empty()) {
    write_atomic(fs::path(o.out) / "plan.json", json());
    write_atomic(fs::path(o.out) / "plan.txt", table);
    written.push_back((fs::path(o.out) / "plan.json").string());
    written.push_back((fs::path(o.out) / "plan.txt").string());
    written.push_back((fs::path(o.out) / "points" / "<id>" / "summary.json").string());
  }
  return written;
}

int cmd_plan(const ParsedArgs& a, const CliContext& ctx) {
  std::ostream& out = ctx.out;
  const Options o = options_of(a);
  const std::string data_dir = ctx.data_dir();
  const PlanSpec plan = load_plan(o.plan, o.sets);
  const PlanBase base = base_of(plan, data_dir);
  const std::optional<FolderLock> lock = create_output_folders(o);  // held until the plan ends

  const bool serving = plan.kind == PlanKind::Serving;
  std::vector<PlanPoint> points = serving ? expand_serving_grid(plan, base) : expand_grid(plan, base);
  std::vector<std::optional<Scenario>> scenarios(points.size());
  const std::vector<std::size_t> to_simulate = screen(points, scenarios, plan, data_dir);
  const int jobs = o.jobs > 0 ? o.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (serving)
    out << fmt::format("racksim plan: {} points, {} rejected by the plan or the scenario, {} to evaluate (one serving run each)\n",
                       points.size(), points.size() - to_simulate.size(), to_simulate.size())
        << std::flush;
  else
    out << fmt::format("racksim plan: {} points, {} rejected by the plan or the generator, {} to evaluate (one training step each)\n", points.size(),
                       points.size() - to_simulate.size(), to_simulate.size())
        << std::flush;
  const auto answers = run_children(to_simulate, jobs, [&](std::size_t i) {
    const std::string summary =
        o.out.empty() ? std::string() : (fs::path(o.out) / "points" / fmt::format("{:03}", points[i].id) / "summary.json").string();
    return evaluate_point(*scenarios[i], summary);
  }, ctx.tty);
  const bool failed = judge_answers(points, answers, plan, base);
  if (serving) mark_serving_pareto(points);
  else mark_pareto(points);

  const std::string table = serving ? serving_plan_table(plan, base, points) : plan_table(plan, base, points);
  out << "\n" << table;
  const std::vector<std::string> written = write_outputs(o, plan, base, points, table);
  if (!written.empty()) {
    std::string list;
    for (const auto& f : written) list += (list.empty() ? "" : ", ") + f;
    out << fmt::format("\nwrote {}\n", list);
  }
  return failed ? static_cast<int>(ExitCode::SimFailed) : 0;
}

}  // namespace

Verb plan_verb() {
  VerbSpec s;
  s.name = "plan";
  s.words = {"plan"};
  s.summary = "Capacity planning (docs/plan.md): for the plan's base training scenario, try every rack count x layout x "
              "global batch of its search, simulate one training step of each point that passes screening (each in its "
              "own process), and print the Pareto set of time to train, energy, GPUs and peak site power, the dominated "
              "points, and every rejected point with its reason (over limit, invalid layout, out of memory, cannot "
              "evaluate, over power, too slow). A plan with kind: serving searches request rates x rack counts x instance "
              "layouts x instance counts of a serving scenario, runs each point, and prints, per rate, the Pareto set of GPUs, "
              "peak site power, p99 TTFT and p99 TPOT, and every rejected point with its reason (SLO missed and by how much, "
              "out of memory, unfinished, over power, over limit, invalid layout).";
  s.positionals = {{"PLAN", "a plan file", "the plan file (scenarios/plans/llama3-405b.yaml and serving-llama3-70b.yaml are examples)"}};
  s.options = {text("--set", "KEY=VALUE", "override a key of the plan file").repeatable(),
               integer("--jobs", "N", 1, 1024, "the points simulated at once").default_shown("the machine's cores"),
               text("--json", "FILE", "write every point as JSON"),
               text("--out", "DIR", "write plan.txt, plan.json and each simulated point's points/<id>/summary.json")};
  s.exits = {{3, "invalid input: the plan, its base scenario or a --set value; or --out holds a run's or a sweep's results, "
                   "or another command is using it"},
               {4, "a point's simulation failed (every point is still reported)"},
               {5, "results could not be written"}};
  return {s, cmd_plan};
}

}  // namespace racksim
