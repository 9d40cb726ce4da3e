// racksim engine: the reduced simulation (reduction.hpp).
#include "sim/engine/reduction.hpp"

#include "core/error.hpp"
#include "models/kernel.hpp"
#include "sim/workload/training_generator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <thread>
#include <tuple>

namespace racksim {

std::int64_t reduced_block(std::int64_t replica, std::int64_t gpus_per_domain) {
  return replica > 0 && gpus_per_domain > 0 && gpus_per_domain % replica == 0 ? gpus_per_domain : 0;
}

std::string replica_layout_problem(const Scenario& s, int gpus, int gpus_per_domain, ReplicaLayout& out) {
  if (s.full_fidelity) return "simulation.fidelity is full";
  if (!s.workload.transformer)
    return "only generated training steps are reduced (a trace's or Chakra file's ranks may all differ)";
  const ParallelLayout& l = s.workload.transformer->layout;
  if (l.dp < 2) return "one data-parallel replica: nothing to replicate";
  if (l.ep > 1) return "expert parallelism spans data-parallel replicas";
  const std::int64_t replica = l.tp * l.cp * l.pp;
  if (l.order != RankOrder::TpCpPpDp)
    return fmt::format("parallel.order is {}: a replica's ranks are not one block (set order: tp-cp-pp-dp)", to_string(l.order));
  const std::int64_t block = reduced_block(replica, gpus_per_domain);  // one domain: one replica, or several
  if (block == 0)
    return fmt::format("a replica (tp x cp x pp = {} ranks) neither fills one scale-up domain of {} GPUs nor divides it",
                       replica, gpus_per_domain);
  if (l.world() != gpus) return fmt::format("{} of the {} GPUs run no rank, so the domains differ", gpus - l.world(), gpus);
  if (!s.cluster.out.enabled) return "no scale-out fabric";
  if (s.power.site_cap) return "a site power cap couples every rack's clocks";
  for (const FaultSpec& f : s.faults)
    if (f.at.value() > 0.0) return "a fault after t = 0 changes the fabric during the step";
  out.block = static_cast<int>(block);
  out.replicas = static_cast<int>(l.world() / block);
  out.per_block = static_cast<int>(block / replica);
  if (out.replicas < 2) return "the step's ranks fill one scale-up domain: nothing to replicate";
  return "";
}

namespace {

// The replica's collective calls that leave it: its ranks' calls on groups reaching past its
// last rank.
struct LeavingCalls {
  std::vector<int> plan_ids;       // their plans, sorted and unique
  std::vector<int> group_of_plan;  // by plan id: the plan's group (-1: a call inside the replica)
  std::size_t calls = 0;           // one per rank and call
};

LeavingCalls leaving_calls(const Workload& w, int block) {
  std::vector<char> leaves(w.groups.size(), 0);
  for (std::size_t gi = 0; gi < w.groups.size(); ++gi)
    leaves[gi] = !w.groups[gi].ranks.empty() && w.groups[gi].ranks.back() >= block ? 1 : 0;
  LeavingCalls lc;
  lc.group_of_plan.assign(w.plans.size(), -1);
  for (int r = 0; r < block; ++r)
    for (const Op& op : w.programs[static_cast<std::size_t>(r)])
      if (op.kind == OpKind::Collective && leaves[static_cast<std::size_t>(op.group)]) {
        ++lc.calls;
        lc.plan_ids.push_back(op.plan);
        lc.group_of_plan[static_cast<std::size_t>(op.plan)] = op.group;
      }
  std::sort(lc.plan_ids.begin(), lc.plan_ids.end());
  lc.plan_ids.erase(std::unique(lc.plan_ids.begin(), lc.plan_ids.end()), lc.plan_ids.end());
  return lc;
}

// The (source, destination) pairs of the leaving groups over all their calls' schedules.
struct DpPairs {
  std::map<int, std::set<std::pair<int, int>>> by_group;  // group -> pairs of positions
  std::vector<std::pair<int, int>> ranks;                 // all of them as ranks, sorted and unique
};

// Unset when an NVLS call leaves the replica (its transfers go to the switch: no pair cost).
std::optional<DpPairs> dp_pairs(const Workload& w, const LeavingCalls& lc) {
  DpPairs dp;
  std::set<ScheduleLayout> walked;
  for (const int id : lc.plan_ids) {
    const CollectiveMethod& pl = w.plans[static_cast<std::size_t>(id)];
    if (pl.shape.algorithm == CollectiveAlgorithm::Nvls) return std::nullopt;
    const int group = lc.group_of_plan[static_cast<std::size_t>(id)];
    const CollectiveShape& sh = pl.shape;
    if (!walked.insert(schedule_layout(group, sh)).second) continue;
    const auto peers = send_peers(sh);
    auto& set = dp.by_group[group];
    for (std::size_t p = 0; p < peers.size(); ++p)
      for (const int q : peers[p]) set.emplace(static_cast<int>(p), q);
  }
  for (const auto& [gi, set] : dp.by_group) {
    const Group& g = w.groups[static_cast<std::size_t>(gi)];
    for (const auto& [p, q] : set)
      dp.ranks.emplace_back(g.ranks[static_cast<std::size_t>(p)], g.ranks[static_cast<std::size_t>(q)]);
  }
  std::sort(dp.ranks.begin(), dp.ranks.end());
  dp.ranks.erase(std::unique(dp.ranks.begin(), dp.ranks.end()), dp.ranks.end());
  return dp;
}

// The whole fabric with the routes of `pairs` and the faults' changes (all at t = 0, which
// PairCosts and max_link_load apply).
PlatformSpec fabric_after_faults(const Scenario& s, const ClusterSetup& c, const Workload& w,
                                 const std::vector<std::pair<int, int>>& pairs) {
  FabricOptions fo = c.fabric;
  fo.nvls = uses_nvls(w);
  return at_cluster(s, [&] { return emit_platform(c.topology, pairs, 0.0, fo); });
}

// Groups alike for an evaluation — the same pair costs in position order and the same domains —
// share a class: group -> class.
std::map<int, int> cost_classes(const Workload& w, const DpPairs& dp, const PairCosts& costs, int gpus_per_domain) {
  std::map<std::vector<double>, int> classes;
  std::map<int, int> class_of;
  for (const auto& [gi, set] : dp.by_group) {
    const Group& g = w.groups[static_cast<std::size_t>(gi)];
    std::vector<double> print;
    for (const auto& [p, q] : set) {
      const PairCost& c = costs.at(g.ranks[static_cast<std::size_t>(p)], g.ranks[static_cast<std::size_t>(q)]);
      print.insert(print.end(), {static_cast<double>(p), static_cast<double>(q), c.latency, c.bandwidth});
    }
    for (const int r : g.ranks) print.push_back(static_cast<double>(r / gpus_per_domain));
    class_of[gi] = classes.emplace(std::move(print), static_cast<int>(classes.size())).first->second;
  }
  return class_of;
}

// The distinct evaluations — a class of groups and a call shape — of the leaving plans.
struct Evaluations {
  std::vector<std::pair<int, int>> jobs;  // (plan id, group) of each distinct evaluation
  std::vector<std::size_t> of_plan;       // by position in LeavingCalls::plan_ids: its job
};

Evaluations distinct_evaluations(const Workload& w, const LeavingCalls& lc, const std::map<int, int>& class_of) {
  Evaluations ev;
  std::map<std::string, std::size_t> job_of;
  ev.of_plan.resize(lc.plan_ids.size());
  for (std::size_t i = 0; i < lc.plan_ids.size(); ++i) {
    const int id = lc.plan_ids[i];
    const CollectiveMethod& pl = w.plans[static_cast<std::size_t>(id)];
    const int group = lc.group_of_plan[static_cast<std::size_t>(id)];
    const std::string key = fmt::format("{}|{}", class_of.at(group), call_timing_key(pl));
    const auto [it, fresh] = job_of.emplace(key, ev.jobs.size());
    if (fresh) ev.jobs.emplace_back(id, group);
    ev.of_plan[i] = it->second;
  }
  return ev;
}

// Runs the evaluations: independent pure computations, spread over the machine's cores; each
// result lands in its own slot, so the outcome does not depend on the threads.
std::vector<IsolatedTiming> run_evaluations(const Workload& w, const Evaluations& ev, const PairCosts& costs,
                                            const ReduceTime& reduce_time) {
  const auto& jobs = ev.jobs;
  std::vector<IsolatedTiming> timing(jobs.size());
  std::vector<std::string> failure(jobs.size());
  const auto work = [&](std::size_t first, std::size_t stride) {
    for (std::size_t j = first; j < jobs.size(); j += stride) {
      try {
        timing[j] = evaluate_isolated(w.plans[static_cast<std::size_t>(jobs[j].first)],
                                      w.groups[static_cast<std::size_t>(jobs[j].second)], costs, reduce_time);
      } catch (const std::exception& e) {
        failure[j] = e.what();
      }
    }
  };
  const std::size_t threads = std::max<std::size_t>(1, std::min<std::size_t>(std::thread::hardware_concurrency(), jobs.size()));
  std::vector<std::thread> pool;
  for (std::size_t k = 1; k < threads; ++k) pool.emplace_back(work, k, threads);
  work(0, threads);
  for (auto& th : pool) th.join();
  for (const auto& f : failure)
    if (!f.empty()) throw Error(f);
  return timing;
}

// All data-parallel pairs at once is too coarse a bound for schedules whose steps use different
// peers (halving-doubling, hierarchical phases): bound each member by its busiest step instead
// (isolation.hpp group_calls_load), valid when each rank's calls on a stream run one at a time.
// Lowers `load` (and renames `worst`) when that bound is tighter.
void tighten_by_steps(const PlatformSpec& fabric, const Workload& w, const LeavingCalls& lc, int block, double& load,
                      std::string& worst) {
  const std::vector<char> ordered = sends_in_order(w);
  if (!std::all_of(ordered.begin(), ordered.end(), [](char o) { return o != 0; })) return;
  std::set<std::tuple<int, int, int>> seen;
  std::vector<GroupCall> calls;
  for (int r = 0; r < block; ++r)
    for (const Op& op : w.programs[static_cast<std::size_t>(r)])
      if (op.kind == OpKind::Collective && lc.group_of_plan[static_cast<std::size_t>(op.plan)] >= 0 &&
          seen.emplace(op.plan, op.group, op.stream).second)
        calls.push_back({op.plan, op.group, op.stream});
  std::string step_worst;
  const double by_step = group_calls_load(fabric, w, calls, step_worst);
  if (by_step < load) {
    load = by_step;
    worst = step_worst;
  }
}

// Several replicas per domain: a link that both a data-parallel pair (`dp`) and the replicas' own
// traffic (what stays in SimGrid once the leaving calls are timed) cross, or "". Marks the leaving
// plans closed form with a placeholder, which with_closed_forms replaces.
std::string link_shared_with_own_traffic(const Scenario& s, const ClusterSetup& c, Workload& w, const LeavingCalls& lc,
                                         const std::vector<std::pair<int, int>>& dp) {
  for (const int id : lc.plan_ids) w.plans[static_cast<std::size_t>(id)].closed_form = Seconds(0.0);
  const std::vector<std::pair<int, int>> own = communicating_pairs(w);
  if (own.empty()) return "";
  std::vector<std::pair<int, int>> both = dp;
  both.insert(both.end(), own.begin(), own.end());
  std::sort(both.begin(), both.end());
  both.erase(std::unique(both.begin(), both.end()), both.end());
  return shared_link(fabric_after_faults(s, c, w, both), dp, own);
}

// `w` with each leaving plan timed in closed form by its evaluation.
Workload with_closed_forms(Workload w, const LeavingCalls& lc, const Evaluations& ev, const std::vector<IsolatedTiming>& timing) {
  for (std::size_t i = 0; i < lc.plan_ids.size(); ++i)
    w.plans[static_cast<std::size_t>(lc.plan_ids[i])].closed_form = Seconds(timing[ev.of_plan[i]].makespan);
  return w;
}

}  // namespace

ReducedStep reduce_step(const Scenario& s, const ClusterSetup& c) {
  ReducedStep out;
  ReductionReport& rep = out.report;
  rep.fidelity = s.full_fidelity ? "full" : "auto";
  ReplicaLayout layout;
  rep.reason = replica_layout_problem(s, static_cast<int>(c.topology.gpus.size()), c.topology.gpus_per_domain, layout);
  if (!rep.reason.empty()) return out;
  Workload w = choose_collective_methods(generate_transformer(*s.workload.transformer, s.gpu, layout.block), s.collectives, c.levels);
  const LeavingCalls lc = leaving_calls(w, layout.block);
  const std::optional<DpPairs> dp = dp_pairs(w, lc);
  if (!dp) {
    rep.reason = "an NVLS call leaves the replica";
    return out;
  }
  for (const auto& f : c.fabric.faults)
    for (const int e : f.edges)
      if (c.topology.link(e).kind != LinkKind::ScaleOut) {
        rep.reason = "a fault inside a scale-up domain makes the domains differ";
        return out;
      }
  const PlatformSpec fabric = fabric_after_faults(s, c, w, dp->ranks);
  rep.dp_pairs = dp->ranks.size();
  std::string worst;
  rep.max_link_load = max_link_load(fabric, dp->ranks, worst);
  if (rep.max_link_load > 1.0 + 1e-9) tighten_by_steps(fabric, w, lc, layout.block, rep.max_link_load, worst);
  if (rep.max_link_load > 1.0 + 1e-9) {
    rep.reason = fmt::format("the data-parallel transfers would contend: all at once, each at its idle-fabric rate, they ask "
                             "{:.1f}% of link {}",
                             100.0 * rep.max_link_load, worst);
    return out;
  }
  if (layout.per_block > 1) {
    const std::string link = link_shared_with_own_traffic(s, c, w, lc, dp->ranks);
    if (!link.empty()) {
      rep.reason = fmt::format("{} data-parallel replicas share each scale-up domain, and link {} would carry both "
                               "data-parallel transfers and a replica's own traffic",
                               layout.per_block, link);
      return out;
    }
  }
  const PairCosts costs(fabric);
  const Evaluations ev = distinct_evaluations(w, lc, cost_classes(w, *dp, costs, c.topology.gpus_per_domain));
  const std::vector<IsolatedTiming> timing = run_evaluations(w, ev, costs, reduce_time_of(s.gpu, s.calibration ? &*s.calibration : nullptr));
  for (std::size_t i = 0; i < lc.plan_ids.size(); ++i) {
    const IsolatedTiming& t = timing[ev.of_plan[i]];
    rep.max_member_spread_s = std::max(rep.max_member_spread_s, t.makespan - t.first_finish);
  }
  rep.evaluations = ev.jobs.size();
  for (const auto& x : timing) rep.evaluated_transfers += x.transfers;
  rep.closed_form_calls = lc.calls;
  rep.applied = true;
  rep.simulated_ranks = layout.block;
  rep.replicas = layout.replicas;
  rep.replicas_simulated = layout.per_block;
  out.replica = with_closed_forms(std::move(w), lc, ev, timing);
  out.fabric_split = SplitLinks{fabric.split_links, fabric.mixed_weight_links};
  return out;
}

}  // namespace racksim
