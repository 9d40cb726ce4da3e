// racksim engine: calls that contend with nothing (isolation.hpp).
#include "sim/engine/isolation.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <set>
#include <tuple>

namespace racksim {

namespace {

std::uint64_t pair_key(int src, int dst) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(src)) << 32) | static_cast<std::uint32_t>(dst);
}

// The routes of `p` by (source, destination), for lookups.
class RouteIndex {
public:
  explicit RouteIndex(const PlatformSpec& p) {
    routes_.reserve(p.routes.size());
    for (const auto& r : p.routes) routes_.emplace_back(pair_key(r.src, r.dst), &r);
    std::sort(routes_.begin(), routes_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  // Throws Error when the platform has no route for the pair.
  [[nodiscard]] const PlatformSpec::Route& at(int src, int dst) const {
    const std::uint64_t k = pair_key(src, dst);
    const auto it =
        std::lower_bound(routes_.begin(), routes_.end(), k, [](const auto& e, std::uint64_t key) { return e.first < key; });
    if (it == routes_.end() || it->first != k) throw Error(fmt::format("internal error: no route from rank {} to rank {}", src, dst));
    return *it->second;
  }

private:
  std::vector<std::pair<std::uint64_t, const PlatformSpec::Route*>> routes_;
};

// The rate a route gives one transfer alone: its slowest link, at bandwidths `bw`.
double route_rate(const std::vector<double>& bw, const PlatformSpec::Route& r) {
  double rate = std::numeric_limits<double>::infinity();
  for (const int l : r.links) rate = std::min(rate, bw[static_cast<std::size_t>(l)]);
  return rate;
}

}  // namespace

std::vector<double> initial_bandwidths(const PlatformSpec& p) {
  std::vector<double> bw;
  bw.reserve(p.links.size());
  for (const auto& l : p.links) bw.push_back(l.bandwidth);
  for (const auto& ch : p.changes)
    if (ch.time <= 0.0) bw[static_cast<std::size_t>(ch.link)] = ch.bandwidth;
  return bw;
}

PairCosts::PairCosts(const PlatformSpec& p) {
  const std::vector<double> bw = initial_bandwidths(p);
  table_.reserve(p.routes.size());
  for (const auto& r : p.routes) {
    PairCost c;
    c.bandwidth = route_rate(bw, r);
    for (const int l : r.links) c.latency += p.links[static_cast<std::size_t>(l)].latency;
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
  const RouteIndex routes(p);
  const std::vector<double> bw = initial_bandwidths(p);
  std::vector<double> demand(p.links.size(), 0.0);
  for (const auto& [src, dst] : pairs) {
    const PlatformSpec::Route& r = routes.at(src, dst);
    const double rate = route_rate(bw, r);
    for (const int l : r.links) demand[static_cast<std::size_t>(l)] += rate;
  }
  double load = 0.0;
  for (std::size_t l = 0; l < demand.size(); ++l) {
    const double x = demand[l] / bw[l];
    if (x > load) {
      load = x;
      worst = p.links[l].name;
    }
  }
  return load;
}

std::string shared_link(const PlatformSpec& p, const std::vector<std::pair<int, int>>& a,
                        const std::vector<std::pair<int, int>>& b) {
  const RouteIndex routes(p);
  std::vector<char> on_a(p.links.size(), 0);
  for (const auto& [src, dst] : a)
    for (const int l : routes.at(src, dst).links) on_a[static_cast<std::size_t>(l)] = 1;
  int first = -1;
  for (const auto& [src, dst] : b)
    for (const int l : routes.at(src, dst).links)
      if (on_a[static_cast<std::size_t>(l)] && (first < 0 || l < first)) first = l;
  return first < 0 ? std::string() : p.links[static_cast<std::size_t>(first)].name;
}

ReduceTime reduce_time_of(const GpuSpec& gpu, const GpuCalibration* cal) {
  const double hbm = gpu.hbm_bandwidth.value();
  return [&gpu, cal, hbm](std::uint64_t bytes) {
    const KernelEstimate e = estimate_kernel(gpu, cal, reduction_work(Bytes(static_cast<double>(bytes)), Precision::bf16));
    ReduceParts r;
    r.compute = e.compute_time.value();
    r.memory = static_cast<double>(std::llround(e.memory_time.value() * hbm)) / hbm;
    return r;
  };
}

CallTiming evaluate_call(const CollectiveMethod& plan, const Group& g, const PairCosts& costs, const ReduceTime& reduce,
                         const std::vector<double>& starts, const std::vector<MemberSpeed>& speeds) {
  const CollectiveSchedule sched(plan.shape);
  const int n = sched.group_size();
  const auto un = static_cast<std::size_t>(n);
  if (starts.size() != un || (!speeds.empty() && speeds.size() != un))
    throw Error(fmt::format("internal error: a call of {} members evaluated with {} start times and {} speeds", n,
                            starts.size(), speeds.size()));
  const double fraction = plan.bandwidth_fraction;
  auto wire = [&](std::uint64_t b) {
    return fraction >= 1.0 ? b : static_cast<std::uint64_t>(std::llround(static_cast<double>(b) / fraction));
  };
  CallTiming out;
  out.transfers.assign(un, 0);
  out.wire_bytes.assign(un, 0);
  out.compute_busy.assign(un, 0.0);
  out.memory_busy.assign(un, 0.0);
  out.reduce_end = starts;
  // t[m]: when member m's current step begins (after the previous step); s[m]: when its transfers
  // and reduction begin (after the step's hop latency).
  std::vector<double> t(un), s(un, 0.0);
  for (std::size_t m = 0; m < un; ++m) t[m] = starts[m] + plan.launch.value();
  std::vector<StepWork> steps(un);
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
  std::vector<std::pair<int, std::uint64_t>> by_peer;  // one step's wire bytes per peer, in first-seen order
  const auto add_to = [](std::vector<std::pair<int, std::uint64_t>>& v, int q, std::uint64_t w) {
    for (auto& e : v)
      if (e.first == q) {
        e.second += w;
        return;
      }
    v.emplace_back(q, w);
  };
  std::uint64_t last_reduce = 0;
  ReduceParts parts;
  for (int k = 0; k < sched.num_steps(); ++k) {
    for (std::size_t m = 0; m < un; ++m) {
      StepWork& sp = steps[m];
      sched.step_into(static_cast<int>(m), k, sp);
      bool crosses = false;
      for (const auto& x : sp.sends) crosses = crosses || (x.bytes > 0 && peer(static_cast<int>(m), x.peer).crosses);
      for (const auto& x : sp.recvs) crosses = crosses || (x.bytes > 0 && peer(x.peer, static_cast<int>(m)).crosses);
      const bool busy = !sp.sends.empty() || !sp.recvs.empty() || sp.reduce_bytes > 0;
      const double hop = crosses ? hop_inter : hop_intra;
      s[m] = t[m] + (busy && hop > 0.0 ? hop : 0.0);
    }
    for (std::size_t m = 0; m < un; ++m) {
      const StepWork& sp = steps[m];
      double end = s[m];
      // A step's transfers to (from) one peer start together on one route, which nothing else
      // crosses (the proof): they share its bottleneck and the last ends when all their bytes
      // are through, latency + their wire bytes together / bandwidth (max-min sharing is work-
      // conserving), as one transfer of their sum would.
      by_peer.clear();
      for (const auto& x : sp.sends) {
        if (x.bytes == 0) continue;
        const std::uint64_t w = wire(x.bytes);
        ++out.transfers[m];
        out.wire_bytes[m] += w;
        add_to(by_peer, x.peer, w);
      }
      // The last of member m's transfers with each peer of by_peer: sending (from m) or receiving.
      const auto finish = [&](bool sending) {
        for (const auto& [q, w] : by_peer) {
          const PairCost& c = sending ? peer(static_cast<int>(m), q).cost : peer(q, static_cast<int>(m)).cost;
          end = std::max(end, std::max(s[m], s[static_cast<std::size_t>(q)]) + c.latency + static_cast<double>(w) / c.bandwidth);
        }
      };
      finish(true);
      by_peer.clear();
      for (const auto& x : sp.recvs)
        if (x.bytes > 0) add_to(by_peer, x.peer, wire(x.bytes));
      finish(false);
      if (sp.reduce_bytes > 0) {
        if (sp.reduce_bytes != last_reduce) {  // pieces differ by at most a byte: two sizes in all
          last_reduce = sp.reduce_bytes;
          parts = reduce(last_reduce);
        }
        const double rc = speeds.empty() ? parts.compute : parts.compute / speeds[m].clock;
        const double rm = speeds.empty() ? parts.memory : parts.memory / speeds[m].hbm;
        out.compute_busy[m] += rc;
        out.memory_busy[m] += rm;
        end = std::max(end, s[m] + std::max(rc, rm));
        out.reduce_end[m] = s[m] + std::max(rc, rm);
      }
      t[m] = end;
    }
  }
  out.finish = std::move(t);
  return out;
}

std::string call_timing_key(const CollectiveMethod& pl) {
  const CollectiveShape& sh = pl.shape;
  std::string counts;
  for (const auto c : sh.counts) counts += fmt::format("{},", c);
  return fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{:a}|{:a}|{:a}|{:a}|{}", static_cast<int>(sh.kind),
                     static_cast<int>(sh.algorithm), sh.group_size, sh.bytes, sh.root, sh.chunks, sh.domain_size,
                     static_cast<int>(sh.intra), static_cast<int>(sh.inter), sh.channels, counts, pl.bandwidth_fraction,
                     pl.launch.value(), pl.hop_intra.value(), pl.hop_inter.value(), pl.gpus_per_domain);
}

IsolatedTiming evaluate_isolated(const CollectiveMethod& plan, const Group& g, const PairCosts& costs, const ReduceTime& reduce) {
  const CallTiming c = evaluate_call(plan, g, costs, reduce, std::vector<double>(g.ranks.size(), 0.0));
  IsolatedTiming r;
  r.makespan = *std::max_element(c.finish.begin(), c.finish.end());
  r.first_finish = *std::min_element(c.finish.begin(), c.finish.end());
  for (const auto x : c.transfers) r.transfers += x;
  return r;
}

std::vector<char> sends_in_order(const Workload& w) {
  std::vector<char> ordered(static_cast<std::size_t>(w.ranks), 1);
  std::vector<int> indegree, height, queue, streams;
  std::vector<std::vector<int>> dependents;
  std::vector<char> seen_height;
  for (int r = 0; r < w.ranks; ++r) {
    const std::vector<Op>& ops = w.programs[static_cast<std::size_t>(r)];
    const std::size_t n = ops.size();
    auto sends = [&](const Op& o) {
      if (o.kind == OpKind::Send) return true;
      return o.kind == OpKind::Collective && w.groups[static_cast<std::size_t>(o.group)].ranks.size() >= 2;
    };
    streams.clear();
    for (const Op& o : ops)
      if (sends(o)) streams.push_back(o.stream);
    std::sort(streams.begin(), streams.end());
    streams.erase(std::unique(streams.begin(), streams.end()), streams.end());
    if (streams.empty()) continue;
    // Kahn's order, once per rank.
    indegree.assign(n, 0);
    dependents.assign(n, {});
    for (std::size_t i = 0; i < n; ++i) {
      indegree[i] = static_cast<int>(ops[i].deps.size());
      for (const int d : ops[i].deps) dependents[static_cast<std::size_t>(d)].push_back(static_cast<int>(i));
    }
    queue.clear();
    for (std::size_t i = 0; i < n; ++i)
      if (indegree[i] == 0) queue.push_back(static_cast<int>(i));
    for (std::size_t head = 0; head < queue.size(); ++head)
      for (const int d : dependents[static_cast<std::size_t>(queue[head])])
        if (--indegree[static_cast<std::size_t>(d)] == 0) queue.push_back(d);
    // Per stream, height[op]: the most sending ops of the stream on one dependency chain ending at
    // op. Ops of equal height are unordered (Mirsky), so a stream's sending ops form one chain
    // exactly when their heights are all different.
    for (const int st : streams) {
      height.assign(n, 0);
      seen_height.clear();
      for (const int q : queue) {
        const auto i = static_cast<std::size_t>(q);
        int h = 0;
        for (const int d : ops[i].deps) h = std::max(h, height[static_cast<std::size_t>(d)]);
        if (ops[i].stream == st && sends(ops[i])) {
          ++h;
          if (seen_height.size() <= static_cast<std::size_t>(h)) seen_height.resize(static_cast<std::size_t>(h) + 1, 0);
          if (seen_height[static_cast<std::size_t>(h)]) ordered[static_cast<std::size_t>(r)] = 0;
          seen_height[static_cast<std::size_t>(h)] = 1;
        }
        height[i] = h;
      }
    }
  }
  return ordered;
}

std::vector<MemberPatterns> step_patterns(const CollectiveShape& shape) {
  const int n = shape.group_size;
  std::vector<MemberPatterns> out(static_cast<std::size_t>(n));
  if (n < 2 || shape.algorithm == CollectiveAlgorithm::Nvls) return out;  // to and from the switch only
  if (shape.algorithm == CollectiveAlgorithm::Direct ||
      (shape.algorithm == CollectiveAlgorithm::Ring && shape.channels == 1)) {
    // One step pattern: a single ring's neighbour, or direct's one block to every peer at once.
    const std::vector<std::vector<int>> peers = send_peers(shape);
    std::vector<StepPattern> from(static_cast<std::size_t>(n));
    for (std::size_t p = 0; p < peers.size(); ++p) {
      StepPattern pat;
      for (const int q : peers[p]) {
        pat.emplace_back(q, 1);
        from[static_cast<std::size_t>(q)].emplace_back(static_cast<int>(p), 1);
      }
      std::sort(pat.begin(), pat.end());
      if (!pat.empty()) out[p].sends.push_back(std::move(pat));
    }
    for (std::size_t q = 0; q < from.size(); ++q)
      if (!from[q].empty()) out[q].recvs.push_back(std::move(from[q]));
    return out;
  }
  // Walk the schedule once for every position, keeping each distinct step.
  CollectiveShape probe = shape;
  probe.bytes = std::max<std::uint64_t>(shape.bytes, static_cast<std::uint64_t>(n) * 64);  // no empty chunks
  probe.chunks = 1;
  const CollectiveSchedule sched(probe);
  StepWork sp;
  std::map<int, int> count;
  auto keep = [&count](const std::vector<StepTransfer>& xs, std::vector<StepPattern>& into) {
    count.clear();
    for (const auto& x : xs)
      if (x.peer != kSwitchPeer) ++count[x.peer];
    if (count.empty()) return;
    StepPattern pat(count.begin(), count.end());
    if (std::find(into.begin(), into.end(), pat) == into.end()) into.push_back(std::move(pat));
  };
  for (int pos = 0; pos < n; ++pos) {
    auto& mine = out[static_cast<std::size_t>(pos)];
    for (int k = 0; k < sched.num_steps(); ++k) {
      sched.step_into(pos, k, sp);
      keep(sp.sends, mine.sends);
      keep(sp.recvs, mine.recvs);
    }
  }
  return out;
}

namespace {

bool closed_form_kind(CollectiveKind k) {
  // Every member's part ends after every member has arrived (each receives what all others
  // contribute), so the last arrival can time them all. Broadcast and reduce let some members
  // finish before others arrive.
  return k == CollectiveKind::AllReduce || k == CollectiveKind::AllGather || k == CollectiveKind::ReduceScatter ||
         k == CollectiveKind::AllToAll;
}

// Calls the engine runs transfer by transfer, as communicating_pairs() walks them.
template <class F>
void for_each_member_call(const Workload& w, F&& f) {
  for (int r = 0; r < w.ranks; ++r)
    for (const Op& op : w.programs[static_cast<std::size_t>(r)]) {
      if (op.kind != OpKind::Collective || op.plan < 0) continue;
      const CollectiveMethod& pl = w.plans[static_cast<std::size_t>(op.plan)];
      if (pl.closed_form || w.groups[static_cast<std::size_t>(op.group)].ranks.size() < 2) continue;
      f(r, op, pl);
    }
}

}  // namespace

namespace {

// step_patterns of each call's shape, computed once per group and schedule layout.
class PatternMemo {
public:
  const MemberPatterns& of(const Op& op, const CollectiveShape& sh, int position) {
    const ScheduleLayout key = schedule_layout(op.group, sh);
    auto it = memo_.find(key);
    if (it == memo_.end()) it = memo_.emplace(key, step_patterns(sh)).first;
    return it->second[static_cast<std::size_t>(position)];
  }

private:
  std::map<ScheduleLayout, std::vector<MemberPatterns>> memo_;
};

// Every link's demand bound (isolation.hpp: per source and stream the most one step puts on it,
// added up), and whether a rank whose sends are not ordered uses it.
struct LinkLoads {
  std::vector<double> load;   // demand / capacity
  std::vector<char> fits;     // load <= 1 and no unordered rank's traffic
  double worst = 0.0;
  std::string worst_name;
};

// The proof's demand bound (isolation.hpp), added up one rank at a time: per side (0 sending,
// 1 receiving) and stream, the most any one step of the rank puts on each link; when the rank is
// done (end_rank) those maxima join the links' demand.
class StepDemand {
public:
  StepDemand(const PlatformSpec& p, const std::vector<double>& bw, const RouteIndex& routes)
      : bw_(bw), routes_(routes), demand_{std::vector<double>(p.links.size(), 0.0), std::vector<double>(p.links.size(), 0.0)} {}

  // One step of rank r on `stream`: transfers to (side 0) or from (side 1) the peers of `pat`, by
  // position in `g` (ranks when `g` is null). A step's transfers with one peer share one route:
  // together at most its rate. Every link crossed is marked in `touched` when one is given.
  void add_step(int r, int side, int stream, const StepPattern& pat, const Group* g, std::vector<char>* touched) {
    step_.clear();
    for (const auto& pc : pat) {
      const int peer = g ? g->ranks[static_cast<std::size_t>(pc.first)] : pc.first;
      const PlatformSpec::Route& route = side == 0 ? routes_.at(r, peer) : routes_.at(peer, r);
      const double rate = route_rate(bw_, route);
      for (const int l : route.links) {
        step_[l] += rate;
        if (touched) (*touched)[static_cast<std::size_t>(l)] = 1;
      }
    }
    auto& best = stream_best_[static_cast<std::size_t>(side)][stream];
    for (const auto& [l, d] : step_) best[l] = std::max(best[l], d);
  }
  // The current rank's steps are all in.
  void end_rank() {
    for (std::size_t side = 0; side < 2; ++side) {
      for (const auto& [stream, best] : stream_best_[side])
        for (const auto& [l, d] : best) demand_[side][static_cast<std::size_t>(l)] += d;
      stream_best_[side].clear();
    }
  }
  // Link l's bound over its capacity: the smaller of the senders' and the receivers' demand.
  [[nodiscard]] double load(std::size_t l) const { return std::min(demand_[0][l], demand_[1][l]) / bw_[l]; }

private:
  const std::vector<double>& bw_;
  const RouteIndex& routes_;
  std::array<std::vector<double>, 2> demand_;                        // side -> link -> demand
  std::array<std::map<int, std::map<int, double>>, 2> stream_best_;  // side -> stream -> link -> the most one step puts there
  std::map<int, double> step_;                                       // link -> this step's demand
};

LinkLoads link_loads(const Workload& w, const PlatformSpec& p, const std::vector<double>& bw, const RouteIndex& routes,
                     const std::vector<char>& ordered, PatternMemo& memo) {
  StepDemand demand(p, bw, routes);
  std::vector<char> tainted(p.links.size(), 0);
  for (int r = 0; r < w.ranks; ++r) {
    std::vector<char>* taint = ordered[static_cast<std::size_t>(r)] ? nullptr : &tainted;
    for (const Op& op : w.programs[static_cast<std::size_t>(r)]) {
      if (op.kind == OpKind::Send) demand.add_step(r, 0, op.stream, StepPattern{{op.peer, 1}}, nullptr, taint);
      if (op.kind == OpKind::Recv) demand.add_step(r, 1, op.stream, StepPattern{{op.peer, 1}}, nullptr, taint);
      if (op.kind != OpKind::Collective || op.plan < 0) continue;
      const CollectiveMethod& pl = w.plans[static_cast<std::size_t>(op.plan)];
      const Group& g = w.groups[static_cast<std::size_t>(op.group)];
      if (pl.closed_form || g.ranks.size() < 2) continue;
      const MemberPatterns& mp = memo.of(op, pl.shape, g.position[static_cast<std::size_t>(r)]);
      for (const StepPattern& pat : mp.sends) demand.add_step(r, 0, op.stream, pat, &g, taint);
      for (const StepPattern& pat : mp.recvs) demand.add_step(r, 1, op.stream, pat, &g, taint);
    }
    demand.end_rank();
  }
  LinkLoads out;
  out.load.resize(p.links.size());
  out.fits.resize(p.links.size());
  for (std::size_t l = 0; l < p.links.size(); ++l) {
    out.load[l] = demand.load(l);
    out.fits[l] = !tainted[l] && out.load[l] <= 1.0 + 1e-9 ? 1 : 0;
    if (out.load[l] > out.worst) {
      out.worst = out.load[l];
      out.worst_name = p.links[l].name;
    }
  }
  return out;
}

}  // namespace

double group_calls_load(const PlatformSpec& p, const Workload& w, const std::vector<GroupCall>& calls, std::string& worst) {
  const std::vector<double> bw = initial_bandwidths(p);
  const RouteIndex routes(p);
  // Each distinct (schedule layout, stream) once, its members' patterns listed by rank.
  struct MemberCall {
    int stream;
    const Group* group;
    const MemberPatterns* patterns;
  };
  std::deque<std::vector<MemberPatterns>> patterns;  // stable storage
  std::map<int, std::vector<MemberCall>> by_rank;
  std::set<std::pair<ScheduleLayout, int>> walked;
  for (const GroupCall& gc : calls) {
    const CollectiveMethod& pl = w.plans[static_cast<std::size_t>(gc.plan)];
    const Group& g = w.groups[static_cast<std::size_t>(gc.group)];
    if (g.ranks.size() < 2 || !walked.emplace(schedule_layout(gc.group, pl.shape), gc.stream).second) continue;
    const std::vector<MemberPatterns>& mp = patterns.emplace_back(step_patterns(pl.shape));
    for (std::size_t pos = 0; pos < g.ranks.size(); ++pos) by_rank[g.ranks[pos]].push_back({gc.stream, &g, &mp[pos]});
  }
  StepDemand demand(p, bw, routes);
  for (const auto& [r, members] : by_rank) {
    for (const MemberCall& m : members) {
      for (const StepPattern& pat : m.patterns->sends) demand.add_step(r, 0, m.stream, pat, m.group, nullptr);
      for (const StepPattern& pat : m.patterns->recvs) demand.add_step(r, 1, m.stream, pat, m.group, nullptr);
    }
    demand.end_rank();
  }
  double load = 0.0;
  for (std::size_t l = 0; l < p.links.size(); ++l)
    if (demand.load(l) > load) {
      load = demand.load(l);
      worst = p.links[l].name;
    }
  return load;
}

IsolationReport mark_isolated_calls(Workload& w, const PlatformSpec& built, IsolationReport rep) {
  for (auto& pl : w.plans) pl.isolated = false;
  rep.plans = static_cast<std::size_t>(
      std::count_if(w.plans.begin(), w.plans.end(), [](const CollectiveMethod& pl) { return !pl.closed_form; }));
  if (!rep.reason.empty() || rep.plans == 0) return rep;
  if (uses_nvls(w)) {
    rep.reason = "NVLS calls move data through the scale-up switch, which the proof does not cover";
    return rep;
  }
  const PlatformSpec& p = built;
  const std::vector<double> bw = initial_bandwidths(p);
  const RouteIndex routes(p);
  const std::vector<char> ordered = sends_in_order(w);
  rep.ranks_out_of_order = static_cast<int>(std::count(ordered.begin(), ordered.end(), 0));
  PatternMemo memo;
  const LinkLoads links = link_loads(w, p, bw, routes, ordered, memo);
  // A plan is isolated when every link its members send over fits.
  std::vector<char> ok(w.plans.size(), 0);
  for (std::size_t i = 0; i < w.plans.size(); ++i) ok[i] = !w.plans[i].closed_form && closed_form_kind(w.plans[i].shape.kind) ? 1 : 0;
  const bool any_kind = std::find(ok.begin(), ok.end(), 1) != ok.end();
  std::vector<double> load_of(w.plans.size(), 0.0);
  for_each_member_call(w, [&](int r, const Op& op, const CollectiveMethod& pl) {
    const auto id = static_cast<std::size_t>(op.plan);
    const Group& g = w.groups[static_cast<std::size_t>(op.group)];
    for (const StepPattern& pat : memo.of(op, pl.shape, g.position[static_cast<std::size_t>(r)]).sends)
      for (const auto& [q, c] : pat)
        for (const int l : routes.at(r, g.ranks[static_cast<std::size_t>(q)]).links) {
          if (!ok[id]) return;
          load_of[id] = std::max(load_of[id], links.load[static_cast<std::size_t>(l)]);
          if (!links.fits[static_cast<std::size_t>(l)]) ok[id] = 0;
        }
  });
  for (std::size_t i = 0; i < w.plans.size(); ++i) {
    if (!ok[i]) continue;
    w.plans[i].isolated = true;
    ++rep.isolated_plans;
    rep.max_link_load = std::max(rep.max_link_load, load_of[i]);
  }
  if (rep.isolated_plans > 0) return rep;
  if (!any_kind)
    rep.reason = "no call is an all-reduce, all-gather, reduce-scatter or all-to-all (the kinds whose members all wait for each other)";
  else if (rep.ranks_out_of_order > 0)
    rep.reason = fmt::format("{} of {} ranks send from ops their dependencies do not order (their transfers may overlap), and "
                             "the busiest link, {}, would carry {:.0f}% of its capacity",
                             rep.ranks_out_of_order, w.ranks, links.worst_name, 100.0 * links.worst);
  else
    rep.reason = fmt::format("every call's transfers may contend: the busiest link, {}, would carry {:.0f}% of its capacity",
                             links.worst_name, 100.0 * links.worst);
  return rep;
}

}  // namespace racksim
