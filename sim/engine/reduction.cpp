#include "sim/engine/reduction.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace racksim {

std::string replica_layout_problem(const Scenario& s, int gpus, int gpus_per_domain, ReplicaLayout& out) {
  if (s.full_fidelity) return "simulation.fidelity is full";
  if (!s.workload.transformer)
    return "only generated training steps are reduced (a trace's or Chakra file's ranks may all differ)";
  const ParallelLayout& l = s.workload.transformer->layout;
  if (l.dp < 2) return "one data-parallel replica: nothing to replicate";
  if (l.ep > 1) return "expert parallelism spans data-parallel replicas";
  const std::int64_t block = l.tp * l.cp * l.pp;
  if (l.order != RankOrder::TpCpPpDp)
    return fmt::format("parallel.order is {}: a replica's ranks are not one block (set order: tp-cp-pp-dp)", to_string(l.order));
  if (gpus_per_domain <= 0 || block != gpus_per_domain)
    return fmt::format("a replica (tp x cp x pp = {} ranks) does not fill exactly one scale-up domain of {} GPUs", block,
                       gpus_per_domain);
  if (l.world() != gpus) return fmt::format("{} of the {} GPUs run no rank, so the domains differ", gpus - l.world(), gpus);
  if (!s.cluster.out.enabled) return "no scale-out fabric";
  if (s.power.site_cap) return "a site power cap couples every rack's clocks";
  for (const FaultSpec& f : s.faults)
    if (f.at.value() > 0.0) return "a fault after t = 0 changes the fabric during the step";
  out.block = static_cast<int>(block);
  out.replicas = static_cast<int>(l.dp);
  return "";
}

namespace {
std::uint64_t pair_key(int src, int dst) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(src)) << 32) | static_cast<std::uint32_t>(dst);
}
}  // namespace

PairCosts::PairCosts(const PlatformSpec& p) {
  table_.reserve(p.routes.size());
  for (const auto& r : p.routes) {
    PairCost c;
    c.bandwidth = std::numeric_limits<double>::infinity();
    for (const int l : r.links) {
      const auto& link = p.links[static_cast<std::size_t>(l)];
      c.latency += link.latency;
      c.bandwidth = std::min(c.bandwidth, link.bandwidth);
    }
    table_.emplace_back(pair_key(r.src, r.dst), c);
  }
  std::sort(table_.begin(), table_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
}

const PairCost& PairCosts::at(int src, int dst) const {
  const std::uint64_t k = pair_key(src, dst);
  const auto it = std::lower_bound(table_.begin(), table_.end(), k, [](const auto& e, std::uint64_t key) { return e.first < key; });
  if (it == table_.end() || it->first != k) throw Error(fmt::format("internal error: no route from rank {} to rank {}", src, dst));
  return it->second;
}

double max_link_load(const PlatformSpec& p, const std::vector<std::pair<int, int>>& pairs, std::string& worst) {
  std::vector<std::pair<std::uint64_t, const PlatformSpec::Route*>> routes;
  routes.reserve(p.routes.size());
  for (const auto& r : p.routes) routes.emplace_back(pair_key(r.src, r.dst), &r);
  std::sort(routes.begin(), routes.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<double> demand(p.links.size(), 0.0);
  for (const auto& [src, dst] : pairs) {
    const std::uint64_t k = pair_key(src, dst);
    const auto it = std::lower_bound(routes.begin(), routes.end(), k, [](const auto& e, std::uint64_t key) { return e.first < key; });
    if (it == routes.end() || it->first != k) throw Error(fmt::format("internal error: no route from rank {} to rank {}", src, dst));
    double rate = std::numeric_limits<double>::infinity();
    for (const int l : it->second->links) rate = std::min(rate, p.links[static_cast<std::size_t>(l)].bandwidth);
    for (const int l : it->second->links) demand[static_cast<std::size_t>(l)] += rate;
  }
  double load = 0.0;
  for (std::size_t l = 0; l < demand.size(); ++l) {
    const double x = demand[l] / p.links[l].bandwidth;
    if (x > load) {
      load = x;
      worst = p.links[l].name;
    }
  }
  return load;
}

IsolatedTiming evaluate_isolated(const CollectivePlan& plan, const Group& g, const PairCosts& costs,
                                 const std::function<double(std::uint64_t)>& reduce_time) {
  const CollectiveSchedule sched(plan.shape);
  const int n = sched.group_size();
  const auto un = static_cast<std::size_t>(n);
  const double fraction = plan.bandwidth_fraction;
  auto wire = [&](std::uint64_t b) {
    return fraction >= 1.0 ? static_cast<double>(b) : static_cast<double>(std::llround(static_cast<double>(b) / fraction));
  };
  // t[m]: when member m's current step begins (after the previous step); s[m]: when its transfers
  // and reduction begin (after the step's hop latency).
  std::vector<double> t(un, plan.launch.value()), s(un, 0.0);
  std::vector<StepPlan> steps(un);
  // Each position's few peers: cost and whether the pair crosses domains, looked up once.
  struct Peer {
    int to;
    PairCost cost;
    bool crosses;
  };
  std::vector<std::vector<Peer>> known(un);
  auto peer = [&](int from, int to) -> const Peer& {
    if (to == kSwitchPeer) throw Error("internal error: a transfer to the scale-up switch has no closed form on the fabric");
    auto& list = known[static_cast<std::size_t>(from)];
    for (const auto& e : list)
      if (e.to == to) return e;
    const int a = g.ranks[static_cast<std::size_t>(from)], b = g.ranks[static_cast<std::size_t>(to)];
    list.push_back({to, costs.at(a, b), plan.gpus_per_domain > 0 && a / plan.gpus_per_domain != b / plan.gpus_per_domain});
    return list.back();
  };
  const double hop_intra = plan.hop_intra.value(), hop_inter = plan.hop_inter.value();
  std::uint64_t transfers = 0;
  std::uint64_t last_reduce = 0;
  double last_reduce_time = 0.0;
  for (int k = 0; k < sched.num_steps(); ++k) {
    for (std::size_t m = 0; m < un; ++m) {
      StepPlan& sp = steps[m];
      sched.step_into(static_cast<int>(m), k, sp);
      bool crosses = false;
      for (const auto& x : sp.sends) crosses = crosses || (x.bytes > 0 && peer(static_cast<int>(m), x.peer).crosses);
      for (const auto& x : sp.recvs) crosses = crosses || (x.bytes > 0 && peer(x.peer, static_cast<int>(m)).crosses);
      const bool busy = !sp.sends.empty() || !sp.recvs.empty() || sp.reduce_bytes > 0;
      const double hop = crosses ? hop_inter : hop_intra;
      s[m] = t[m] + (busy && hop > 0.0 ? hop : 0.0);
    }
    for (std::size_t m = 0; m < un; ++m) {
      const StepPlan& sp = steps[m];
      double end = s[m];
      for (const auto& x : sp.sends) {
        if (x.bytes == 0) continue;
        ++transfers;
        const PairCost& c = peer(static_cast<int>(m), x.peer).cost;
        end = std::max(end, std::max(s[m], s[static_cast<std::size_t>(x.peer)]) + c.latency + wire(x.bytes) / c.bandwidth);
      }
      for (const auto& x : sp.recvs) {
        if (x.bytes == 0) continue;
        const PairCost& c = peer(x.peer, static_cast<int>(m)).cost;
        end = std::max(end, std::max(s[m], s[static_cast<std::size_t>(x.peer)]) + c.latency + wire(x.bytes) / c.bandwidth);
      }
      if (sp.reduce_bytes > 0) {
        if (sp.reduce_bytes != last_reduce) {  // pieces differ by at most a byte: two sizes in all
          last_reduce = sp.reduce_bytes;
          last_reduce_time = reduce_time(last_reduce);
        }
        end = std::max(end, s[m] + last_reduce_time);
      }
      t[m] = end;
    }
  }
  IsolatedTiming r;
  r.makespan = *std::max_element(t.begin(), t.end());
  r.first_finish = *std::min_element(t.begin(), t.end());
  r.transfers = transfers;
  return r;
}

}  // namespace racksim
