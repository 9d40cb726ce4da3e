// racksim engine: one run, stage by stage (run.hpp; README.md, "The stages of a run").
#include "sim/engine/run.hpp"

#include "sim/engine/call_board.hpp"
#include "sim/engine/describe.hpp"
#include "sim/engine/isolation.hpp"
#include "sim/engine/replay.hpp"
#include "sim/engine/serving_executor.hpp"
#include "sim/engine/simgrid_adapter.hpp"
#include "sim/output/serving_metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

namespace racksim {

namespace {

// What the simulation leaves: the simulated ranks (their records), the power loop and the time.
struct Simulation {
  std::vector<RankExecutor> ranks;
  PowerLoop power;
  double time = 0.0;
  CallBoardStats calls;  // what the call board did (isolated calls only)
};

// The faults' baseline: the same scenario without its faults, simulated to the end; its time is
// fabric.baseline_time_s. SimGrid's engine is a process-wide singleton that runs one simulation
// per process (a second one inherits the first one's clock), so the baseline runs in another
// process (`in_child`), before this process starts its own simulation. Unset when the scenario
// has no faults or nobody asked (Run::measure_fault_baseline).
std::optional<double> fault_baseline(const Scenario& s, const Run::InChild& in_child) {
  if (s.faults.empty() || !in_child) return std::nullopt;
  const std::string t = in_child(
      [&s] {
        Scenario healthy = s;
        healthy.faults.clear();
        Run r(healthy);
        return fmt::format("{:.17g}", r.execute().simulated_time_s);
      },
      "the same run without its faults");
  return std::stod(t);
}

std::uint64_t hbm_capacity(const Scenario& s) { return static_cast<std::uint64_t>(s.gpu.hbm_capacity.value()); }

// Whether any transfer between two GPUs runs in SimGrid: a point-to-point send, or a call of two or
// more members not timed in closed form.
bool transfers_between_hosts(const Workload& w) {
  for (const auto& pl : w.plans)
    if (!pl.isolated && !pl.closed_form && pl.shape.group_size >= 2) return true;
  for (const auto& ops : w.programs)
    for (const Op& op : ops)
      if (op.kind == OpKind::Send || (op.kind == OpKind::Collective && op.plan < 0)) return true;
  return false;
}

// Runs the simulated ranks in SimGrid with the power loop. Ranks 0..timeline_ranks-1 record their
// ops' starts for the timeline; `progress` (may be empty) hears how far the run is.
Simulation simulate(const Scenario& s, const PreparedRun& p, int timeline_ranks, const Run::Progress& progress) {
  const Workload& w = p.step.workload;
  const GpuCalibration* cal = s.calibration ? &*s.calibration : nullptr;
  MemoryPolicy mem;
  mem.capacity = hbm_capacity(s);
  mem.oom_is_error = s.oom_is_error;
  Simulation sim{{}, PowerLoop(p.power), 0.0, {}};
  sim.ranks.reserve(static_cast<std::size_t>(p.step.simulated_ranks));
  for (int r = 0; r < p.step.simulated_ranks; ++r) sim.ranks.emplace_back(r, w, s.gpu, cal, mem);
  for (int r = 0; r < timeline_ranks; ++r) sim.ranks[static_cast<std::size_t>(r)].keep_op_starts();
  std::function<void(double)> tick;
  if (progress) {
    const std::size_t total = w.total_ops();
    // Summing the ranks' counts costs a pass over them: once per 256 clock advances is enough.
    tick = [&progress, &ranks = sim.ranks, total, calls = std::uint64_t{0}](double now) mutable {
      if (++calls % 256 != 0) return;
      std::size_t done = 0;
      for (const auto& ex : ranks) done += ex.completed();
      progress(now, done, total);
    };
  }
  std::optional<CallBoard> board;
  if (p.step.isolation.isolated_plans > 0)
    board.emplace(w, PairCosts(p.platform), reduce_time_of(s.gpu, cal));
  sim.time = run_simgrid(p.platform, sim.ranks, &sim.power, tick, board ? &*board : nullptr, transfers_between_hosts(w));
  if (board) sim.calls = board->stats();
  return sim;
}

// How the run's collectives ran, one row per (kind, algorithm, protocol, chosen), and the cost
// model's times of all calls added up. A reduced run planned one replica's calls: those inside
// it happen once per replica.
std::pair<std::vector<CollectiveUse>, double> collective_uses(const Workload& w, const ReductionReport& red) {
  std::map<std::tuple<std::string, std::string, std::string, bool>, CollectiveUse> uses;
  double model_time = 0.0;
  const int replicas = red.applied ? red.replicas : 1;
  for (const auto& pl : w.plans) {
    const int times = pl.closed_form ? 1 : replicas;
    auto& u = uses[{to_string(pl.shape.kind), to_string(pl.shape.algorithm), pl.protocol, pl.chosen}];
    u.kind = to_string(pl.shape.kind);
    u.algorithm = to_string(pl.shape.algorithm);
    u.protocol = pl.protocol;
    u.chosen = pl.chosen;
    u.calls += times;
    u.bytes += static_cast<double>(pl.shape.bytes) * times;
    model_time += pl.predicted.value() * times;
  }
  std::vector<CollectiveUse> rows;
  for (auto& kv : uses) rows.push_back(std::move(kv.second));
  return {std::move(rows), model_time};
}

// The result: the run's description, with what the simulation produced (and the faults'
// baseline, when measured).
RunResult assemble_result(const Scenario& s, const PreparedRun& p, const Simulation& sim, std::optional<double> baseline,
                          std::optional<std::size_t> timeline_events, int timeline_ranks) {
  const Workload& w = p.step.workload;
  RunResult res;
  static_cast<RunDescription&>(res) = p.description;
  res.fabric.baseline_time_s = baseline;
  res.simulated_time_s = sim.time;
  res.hbm_capacity = hbm_capacity(s);
  res.isolation.member_calls = sim.calls.member_calls;
  res.isolation.overlapped = sim.calls.overlapped;
  res.isolation.clamped = sim.calls.clamped;
  res.isolation.evaluations = sim.calls.evaluations;
  res.isolation.evaluated_transfers = sim.calls.evaluated_transfers;
  std::vector<const RankRecord*> records;
  for (const auto& ex : sim.ranks) {
    records.push_back(&ex.record());
    res.oom_events.insert(res.oom_events.end(), ex.record().oom.begin(), ex.record().oom.end());
    res.per_rank.push_back(
        breakdown(ex.rank(), p.platform.hosts[static_cast<std::size_t>(ex.rank())].name, ex.record(), sim.time));
  }
  if (w.training) {
    const auto peak = s.gpu.peak(w.training->precision);
    res.training = training_metrics(*w.training, records, sim.time, peak ? peak->value() : 0.0,
                                    to_string(w.training->precision), w.ranks);
  }
  res.power = sim.power.summary(w.training ? std::optional<double>(w.training->tokens_per_step) : std::nullopt);
  if (res.training && s.workload.transformer && s.workload.transformer->train) {
    const TrainGoal& g = *s.workload.transformer->train;
    res.training->time_to_train = time_to_train(
        g.steps ? std::optional<double>(static_cast<double>(*g.steps)) : std::nullopt, g.tokens,
        w.training->tokens_per_step, res.training->step_time_s, w.ranks, res.power ? res.power->energy_j : 0.0,
        res.power ? res.power->site_energy_j : 0.0);
  }
  res.power_samples = sim.power.samples();
  std::tie(res.collectives, res.collective_model_time_s) = collective_uses(w, p.step.reduction);
  if (timeline_events) {
    records.resize(static_cast<std::size_t>(timeline_ranks));
    std::vector<std::string> gpus;
    for (int r = 0; r < timeline_ranks; ++r) gpus.push_back(p.platform.hosts[static_cast<std::size_t>(r)].name);
    res.timeline = collect_timeline(w, records, gpus, p.step.simulated_ranks, *timeline_events);
  }
  return res;
}

// An inference_serving run: the serving executor in SimGrid with the power loop; what it leaves.
struct ServingSimulation {
  std::vector<RequestRecord> requests;
  std::vector<IterationRecord> iterations;
  std::int64_t preemptions = 0;
  PowerLoop power;
  double time = 0.0;
};

ServingSimulation simulate_serving(const PreparedRun& p, const Run::Progress& progress) {
  const ServingSetup& sv = *p.serving;
  ServingExecutor ex(sv.instances, sv.requests, sv.least_loaded, sv.iteration_overhead_s, sv.sequence_overhead_s);
  ServingSimulation sim{{}, {}, 0, PowerLoop(p.power), 0.0};
  std::function<void(double)> tick;
  if (progress) {
    tick = [&progress, &ex, calls = std::uint64_t{0}](double now) mutable {
      if (++calls % 256 == 0) progress(now, ex.finished_requests(), ex.total_requests());
    };
  }
  sim.time = run_simgrid_serving(p.platform, ex, &sim.power, tick);
  sim.requests = ex.requests();
  sim.iterations = ex.iterations();
  sim.preemptions = ex.preemptions();
  return sim;
}

RunResult assemble_serving_result(const Scenario& s, const PreparedRun& p, const ServingSimulation& sim,
                                  std::optional<std::size_t> timeline_events) {
  const ServingSpec& spec = *s.workload.serving;
  RunResult res;
  static_cast<RunDescription&>(res) = p.description;
  res.simulated_time_s = sim.time;
  res.hbm_capacity = hbm_capacity(s);
  res.power = sim.power.summary(std::nullopt);
  res.power_samples = sim.power.samples();
  res.serving = serving_metrics(sim.requests, sim.iterations, sim.time, static_cast<int>(p.cluster.topology.gpus.size()),
                                static_cast<int>(s.cluster.domains), spec.ttft_slo_s, spec.tpot_slo_s,
                                res.power ? res.power->energy_j : 0.0, static_cast<int>(p.serving->instances.size()));
  res.serving->pools = p.serving->pools;
  if (timeline_events) {  // the iterations in start order, while they fit the timeline's cap
    std::vector<IterationRecord> its = sim.iterations;
    std::stable_sort(its.begin(), its.end(), [](const IterationRecord& a, const IterationRecord& b) {
      return std::tie(a.start_s, a.instance) < std::tie(b.start_s, b.instance);
    });
    const std::size_t keep = std::min(its.size(), *timeline_events);
    res.serving_iterations.assign(its.begin(), its.begin() + static_cast<std::ptrdiff_t>(keep));
    res.serving_iterations_left_out = its.size() - keep;
  }
  res.serving_series = serving_series(sim.requests, sim.iterations, sim.time, p.power.sample_period.value());
  return res;
}

// The set-up stages of a serving run: the cluster, the instances, the platform (the GPUs, their
// links and the routes of the pairs that talk), the power loop's setup and the description.
PreparedRun prepare_serving(const Scenario& s, ClusterSetup cluster) {
  ServingSetup sv = build_serving_setup(s, cluster);
  SimulatedStep step;
  step.workload.name = s.workload.serving->model.name;
  step.workload.ranks = sv.gpus_used;
  step.simulated_ranks = 0;
  FabricOptions fo = cluster.fabric;
  fo.nvls = false;
  PlatformSpec platform = at_cluster(s, [&] {
    return emit_platform(cluster.topology, sv.pairs, s.gpu.hbm_bandwidth.value(), fo);
  });
  PowerSetup power = power_setup(s, cluster.topology, step);
  RunDescription description = describe_run(s, cluster, step, platform);
  std::string pools;
  for (const ServingPoolInfo& p : sv.pools)
    pools += fmt::format("{}{} {} instance{} of tp {} x pp {}{} ({:.0f} KV tokens each)", pools.empty() ? "" : ", ",
                         p.instances, p.role, p.instances == 1 ? "" : "s", p.tp, p.pp,
                         p.ep > 1 ? fmt::format(" x ep {}", p.ep) : "", p.kv_capacity_tokens);
  description.serving = fmt::format("{} on {} GPUs, {} requests", pools, sv.gpus_used, sv.requests.size());
  return PreparedRun{std::move(cluster), std::move(step), std::move(platform), std::move(power), std::move(description),
                     std::move(sv)};
}

}  // namespace

PreparedRun prepare_run(const Scenario& s, std::optional<Workload> given) {
  ClusterSetup cluster = build_cluster_setup(s);                   // (a) topology, fabric levels, faults
  if (s.workload.serving && !given) return prepare_serving(s, std::move(cluster));
  SimulatedStep step = choose_step(s, cluster, std::move(given));  // (b) one replica or every rank, planned
  PlatformSpec platform = build_platform(s, cluster, step);        // (c) what SimGrid simulates
  choose_collective_timing(s, step, platform);                     // (c') calls timed in closed form
  PowerSetup power = power_setup(s, cluster.topology, step);
  RunDescription description = describe_run(s, cluster, step, platform);
  return PreparedRun{std::move(cluster), std::move(step), std::move(platform), std::move(power), std::move(description),
                     std::nullopt};
}

Run::Run(const Scenario& scenario) : s_(scenario), prepared_(prepare_run(scenario, std::nullopt)) {}

Run::Run(const Scenario& scenario, Workload workload) : s_(scenario), prepared_(prepare_run(scenario, std::move(workload))) {}

std::string Run::header() const { return run_header(prepared_.description); }

void Run::keep_timeline(std::size_t max_events) { timeline_events_ = max_events; }

RunResult Run::execute() {
  if (prepared_.serving) {
    const ServingSimulation sim = simulate_serving(prepared_, progress_);
    if (!(sim.time <= run_limits::kMaxSimulatedTime))
      throw InputError(Location{s_.file, 0, 0, ""},
                       fmt::format("the serving run reached {} s, past the longest simulated time racksim accepts ({:.0f} "
                                   "s, docs/scale.md); check the request rates and the units of the scenario's rates",
                                   sim.time, run_limits::kMaxSimulatedTime));
    return assemble_serving_result(s_, prepared_, sim, timeline_events_);
  }
  const std::optional<double> baseline = fault_baseline(s_, in_child_);  // (d) in another process
  // The timeline's ranks, decided from the op graphs before the run, record their ops' starts.
  const int timeline_ranks =
      timeline_events_ ? timeline_rank_count(prepared_.step.workload, prepared_.step.simulated_ranks, *timeline_events_) : 0;
  const Simulation sim = simulate(s_, prepared_, timeline_ranks, progress_);  // (e) SimGrid
  // The calls and links were checked before the run (setup.hpp, run_limits); a kernel, delay or
  // trace duration can still carry it past any real time, and nothing infinite reaches an output.
  if (!(sim.time <= run_limits::kMaxSimulatedTime))
    throw InputError(Location{s_.file, 0, 0, ""},
                     fmt::format("the simulation reached {} s, past the longest simulated time racksim accepts ({:.0f} s, "
                                 "docs/scale.md): an op took far longer than any real one; check the units of the "
                                 "scenario's rates and latencies, and of its trace's durations and its catalog's rates",
                                 sim.time, run_limits::kMaxSimulatedTime));
  return assemble_result(s_, prepared_, sim, baseline, timeline_events_, timeline_ranks);  // (f)
}

}  // namespace racksim
