// racksim engine: the platform emitted from the topology graph (platform.hpp).
#include "sim/engine/platform.hpp"

#include "core/error.hpp"
#include "topologies/routing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace racksim {

namespace {

// A capacity that constrains nothing (a link no flow uses in an epoch, a latency link).
constexpr double kUnbounded = 1e15;

CollectiveShape shape_of(const Workload& w, const Op& op) {
  if (op.plan >= 0) return w.plans[static_cast<std::size_t>(op.plan)].shape;
  const Group& g = w.groups[static_cast<std::size_t>(op.group)];
  CollectiveShape s = make_shape(op.collective, op.algorithm, static_cast<int>(g.ranks.size()), op.bytes);
  if (op.collective == CollectiveKind::Broadcast || op.collective == CollectiveKind::Reduce)
    s.root = g.position[static_cast<std::size_t>(op.root)];
  s.counts = op.counts;
  return s;
}

}  // namespace

std::vector<std::vector<int>> send_peers(const CollectiveShape& shape) {
  const int n = shape.group_size;
  std::vector<std::vector<int>> peers(static_cast<std::size_t>(n));
  if (n < 2 || shape.algorithm == CollectiveAlgorithm::Nvls) return peers;  // to and from the switch only
  if (shape.algorithm == CollectiveAlgorithm::Ring && shape.channels == 1) {  // reduce's chain runs toward the root: backwards
    for (int p = 0; p < n; ++p)
      peers[static_cast<std::size_t>(p)] = {shape.kind == CollectiveKind::Reduce ? (p + n - 1) % n : (p + 1) % n};
    return peers;
  }
  if (shape.algorithm == CollectiveAlgorithm::Direct) {
    for (int p = 0; p < n; ++p)
      for (int q = 0; q < n; ++q)
        if (q != p) peers[static_cast<std::size_t>(p)].push_back(q);
    return peers;
  }
  // Walk the schedule once for every position: which peers does each one send to?
  CollectiveShape probe = shape;
  probe.bytes = std::max<std::uint64_t>(shape.bytes, static_cast<std::uint64_t>(n) * 64);  // no empty chunks
  probe.chunks = 1;
  const CollectiveSchedule sched(probe);
  for (int pos = 0; pos < n; ++pos) {
    std::set<int> set;
    for (int s = 0; s < sched.num_steps(); ++s)
      for (const auto& t : sched.step(pos, s).sends)
        if (t.peer != kSwitchPeer) set.insert(t.peer);
    peers[static_cast<std::size_t>(pos)].assign(set.begin(), set.end());
  }
  return peers;
}

ScheduleLayout schedule_layout(int group, const CollectiveShape& sh) {
  return {group, static_cast<int>(sh.kind), static_cast<int>(sh.algorithm), sh.domain_size, sh.root,
          static_cast<int>(sh.intra), static_cast<int>(sh.inter), sh.channels};
}

bool uses_nvls(const Workload& w) {
  return std::any_of(w.plans.begin(), w.plans.end(),
                     [](const CollectiveMethod& pl) { return pl.shape.algorithm == CollectiveAlgorithm::Nvls; });
}

std::vector<std::pair<int, int>> communicating_pairs(const Workload& w) {
  std::vector<std::pair<int, int>> pairs;
  // Peers by position of each distinct schedule layout of a group (bytes aside).
  std::map<ScheduleLayout, std::vector<std::vector<int>>> peers_memo;
  for (int r = 0; r < w.ranks; ++r) {
    for (const Op& op : w.programs[static_cast<std::size_t>(r)]) {
      if (op.kind == OpKind::Send) pairs.emplace_back(r, op.peer);
      if (op.kind != OpKind::Collective) continue;
      if (op.plan >= 0 && w.plans[static_cast<std::size_t>(op.plan)].closed_form) continue;
      const Group& g = w.groups[static_cast<std::size_t>(op.group)];
      const int n = static_cast<int>(g.ranks.size());
      if (n < 2) continue;
      const int p = g.position[static_cast<std::size_t>(r)];
      const CollectiveShape shape = shape_of(w, op);
      if (shape.algorithm == CollectiveAlgorithm::Direct) {
        for (const int q : g.ranks)
          if (q != r) pairs.emplace_back(r, q);
        continue;
      }
      const ScheduleLayout key = schedule_layout(op.group, shape);
      auto it = peers_memo.find(key);
      if (it == peers_memo.end()) it = peers_memo.emplace(key, send_peers(shape)).first;
      for (const int q : it->second[static_cast<std::size_t>(p)]) pairs.emplace_back(r, g.ranks[static_cast<std::size_t>(q)]);
    }
  }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  return pairs;
}

namespace {

// Emits the directed links of one platform, each once, when a route first uses it.
class LinkEmitter {
public:
  LinkEmitter(const Topology& t, PlatformSpec& p) : t_(t), p_(p), emitted_(2 * t.num_links(), -1) {}

  // Directed link 2*edge is end_a->end_b, 2*edge+1 is end_b->end_a. With latency: the edge's,
  // plus half of each NIC or switch at its ends; without: 0 (spray/adaptive, whose routes carry
  // their latency on a link of their own).
  int directed(int edge, bool forward, bool with_latency) {
    const std::size_t key = 2 * static_cast<std::size_t>(edge) + (forward ? 0 : 1);
    if (emitted_[key] < 0) {
      const Graph& g = t_.graph;
      const LinkProps& lp = t_.link(edge);
      const Vertex from = forward ? lp.end_a : lp.end_b;
      const Vertex to = forward ? lp.end_b : lp.end_a;
      PlatformSpec::Link l;
      l.name = g[from].name + "->" + g[to].name;
      l.bandwidth = lp.bandwidth.value();
      l.latency = with_latency ? lp.latency.value() + half_latency(from) + half_latency(to) : 0.0;
      emitted_[key] = static_cast<int>(p_.links.size());
      p_.links.push_back(std::move(l));
    }
    return emitted_[key];
  }
  // The platform link of a directed edge key, or -1 when none was emitted.
  [[nodiscard]] int emitted(std::size_t key) const { return emitted_[key]; }

private:
  [[nodiscard]] double half_latency(Vertex v) const {
    const NodeProps& n = t_.graph[v];
    return (n.kind == NodeKind::Switch || n.kind == NodeKind::Nic) ? n.latency.value() / 2.0 : 0.0;
  }
  const Topology& t_;
  PlatformSpec& p_;
  std::vector<int> emitted_;
};

// Bandwidth left on every edge after each fault (epoch k follows fault k-1).
std::vector<std::vector<double>> epoch_scales(const Topology& t, const FabricOptions& opts) {
  std::vector<std::vector<double>> epoch_scale(1, std::vector<double>(t.num_links(), 1.0));
  for (const auto& f : opts.faults) {
    auto scale = epoch_scale.back();
    for (const int e : f.edges) scale[static_cast<std::size_t>(e)] = f.fraction;
    epoch_scale.push_back(std::move(scale));
  }
  return epoch_scale;
}

// ECMP: each pair's route is its hashed path. A pinned flow stays on its path: a degraded edge
// slows the flows hashed onto it.
void emit_ecmp(const Topology& t, const std::vector<std::pair<int, int>>& pairs, const FabricOptions& opts,
               LinkEmitter& links, PlatformSpec& p) {
  const std::vector<FlowSplit> splits = compute_splits(t, pairs, Multipath::Ecmp, opts.ecmp_seed);
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    PlatformSpec::Route r;
    r.src = pairs[i].first;
    r.dst = pairs[i].second;
    for (const WeightedHop& h : splits[i].hops) r.links.push_back(links.directed(h.edge, h.forward, true));
    p.routes.push_back(std::move(r));
  }
  const auto epoch_scale = epoch_scales(t, opts);
  for (std::size_t k = 0; k < opts.faults.size(); ++k)
    for (const int e : opts.faults[k].edges)
      for (const bool fwd : {true, false}) {
        const int li = links.emitted(2 * static_cast<std::size_t>(e) + (fwd ? 0 : 1));
        if (li >= 0)
          p.changes.push_back({opts.faults[k].time, li, t.link(e).bandwidth.value() * epoch_scale[k + 1][static_cast<std::size_t>(e)]});
      }
}

// Spray / adaptive: every epoch's split; a pair's route is its latency link and the union of
// its edges over the epochs; each edge's capacity is set per epoch from the largest share of
// itself a flow puts on it.
void emit_split(const Topology& t, const std::vector<std::pair<int, int>>& pairs, const FabricOptions& opts,
                LinkEmitter& links, PlatformSpec& p) {
  const Graph& g = t.graph;
  const auto epoch_scale = epoch_scales(t, opts);
  std::vector<std::vector<FlowSplit>> splits;
  for (const auto& scale : epoch_scale) splits.push_back(compute_splits(t, pairs, opts.multipath, opts.ecmp_seed, scale));
  const std::size_t nd = 2 * t.num_links();
  std::vector<std::vector<double>> wmax(splits.size(), std::vector<double>(nd, 0.0));
  std::vector<std::vector<double>> wmin(splits.size(), std::vector<double>(nd, 2.0));
  for (std::size_t k = 0; k < splits.size(); ++k)
    for (const auto& fs : splits[k])
      for (const WeightedHop& h : fs.hops) {
        const std::size_t key = 2 * static_cast<std::size_t>(h.edge) + (h.forward ? 0 : 1);
        wmax[k][key] = std::max(wmax[k][key], h.weight);
        wmin[k][key] = std::min(wmin[k][key], h.weight);
      }
  auto capacity = [&](std::size_t k, std::size_t key) {
    const int edge = static_cast<int>(key / 2);
    if (wmax[k][key] <= 0.0) return kUnbounded;
    return t.link(edge).bandwidth.value() * epoch_scale[k][static_cast<std::size_t>(edge)] / wmax[k][key];
  };
  const std::vector<Seconds> latency = path_latencies(t, splits[0]);
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    PlatformSpec::Route r;
    r.src = pairs[i].first;
    r.dst = pairs[i].second;
    PlatformSpec::Link lat;
    lat.name = fmt::format("{}=>{}", g[t.gpus[static_cast<std::size_t>(r.src)]].name, g[t.gpus[static_cast<std::size_t>(r.dst)]].name);
    lat.bandwidth = kUnbounded;
    lat.latency = latency[i].value();
    r.links.push_back(static_cast<int>(p.links.size()));
    p.links.push_back(std::move(lat));
    std::set<std::size_t> seen;
    for (std::size_t k = 0; k < splits.size(); ++k)
      for (const WeightedHop& h : splits[k][i].hops) {
        const std::size_t key = 2 * static_cast<std::size_t>(h.edge) + (h.forward ? 0 : 1);
        if (!seen.insert(key).second) continue;
        r.links.push_back(links.directed(h.edge, h.forward, false));
      }
    p.routes.push_back(std::move(r));
  }
  for (std::size_t key = 0; key < nd; ++key) {
    const int li = links.emitted(key);
    if (li < 0) continue;
    ++p.split_links;
    if (wmax[0][key] > 0.0 && wmin[0][key] < wmax[0][key] * (1.0 - 1e-9)) ++p.mixed_weight_links;
    p.links[static_cast<std::size_t>(li)].bandwidth = capacity(0, key);
    for (std::size_t k = 1; k < splits.size(); ++k) {
      const double c = capacity(k, key);
      if (c != capacity(k - 1, key)) p.changes.push_back({opts.faults[k - 1].time, li, c});
    }
  }
  std::stable_sort(p.changes.begin(), p.changes.end(),
                   [](const PlatformSpec::LinkChange& a, const PlatformSpec::LinkChange& b) { return a.time < b.time; });
}

// NVLS: one switch host per switched domain of the first `gpus` GPUs; a GPU reaches it over its
// own scale-up link and a private link at the switch's reduction rate, both directions.
void emit_nvls(const Topology& t, std::size_t gpus, double nvls_bandwidth, LinkEmitter& links, PlatformSpec& p) {
  const Graph& g = t.graph;
  std::map<Vertex, int> host_of_switch;
  for (std::size_t gi = 0; gi < gpus; ++gi) {
    const Vertex gv = t.gpus[gi];
    for (const Edge e : boost::make_iterator_range(boost::out_edges(gv, g))) {
      const Vertex sw = boost::target(e, g);
      if (g[sw].kind != NodeKind::Switch || g[sw].domain != g[gv].domain) continue;
      auto it = host_of_switch.find(sw);
      if (it == host_of_switch.end()) {
        it = host_of_switch.emplace(sw, static_cast<int>(p.hosts.size())).first;
        p.hosts.push_back({g[sw].name + ".nvls", 0.0});
      }
      const int sh = it->second;
      p.switch_host[gi] = sh;
      const int edge = g[e].id;
      const bool gpu_is_a = g[e].end_a == gv;
      const int up = links.directed(edge, gpu_is_a, true);
      const int down = links.directed(edge, !gpu_is_a, true);
      const int in = static_cast<int>(p.links.size());
      p.links.push_back({g[gv].name + "->nvls", nvls_bandwidth, 0.0});
      const int out = static_cast<int>(p.links.size());
      p.links.push_back({"nvls->" + g[gv].name, nvls_bandwidth, 0.0});
      p.routes.push_back({static_cast<int>(gi), sh, {up, in}});
      p.routes.push_back({sh, static_cast<int>(gi), {out, down}});
      break;
    }
  }
}

}  // namespace

PlatformSpec emit_platform(const Topology& t, const std::vector<std::pair<int, int>>& pairs, double hbm_bandwidth,
                           const FabricOptions& opts) {
  PlatformSpec p;
  const std::size_t gpus = opts.gpus < 0 ? t.gpus.size() : std::min(t.gpus.size(), static_cast<std::size_t>(opts.gpus));
  for (std::size_t gi = 0; gi < gpus; ++gi) p.hosts.push_back({t.graph[t.gpus[gi]].name, hbm_bandwidth});
  p.switch_host.assign(gpus, -1);
  LinkEmitter links(t, p);
  if (opts.multipath == Multipath::Ecmp) emit_ecmp(t, pairs, opts, links, p);
  else emit_split(t, pairs, opts, links, p);
  if (opts.nvls) emit_nvls(t, gpus, opts.nvls_bandwidth, links, p);
  return p;
}

}  // namespace racksim
