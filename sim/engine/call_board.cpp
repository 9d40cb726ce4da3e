// racksim engine: the call board (call_board.hpp).
#include "sim/engine/call_board.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace racksim {

CallBoard::CallBoard(const Workload& w, PairCosts costs, ReduceTime reduce)
    : w_(w), costs_(std::move(costs)), reduce_(std::move(reduce)), class_of_plan_(w.plans.size(), -1) {
  // The group of each plan, from its calls (a plan is one call: one group, one sequence).
  std::vector<int> group_of(w.plans.size(), -1);
  for (const auto& ops : w.programs)
    for (const Op& op : ops)
      if (op.kind == OpKind::Collective && op.plan >= 0) group_of[static_cast<std::size_t>(op.plan)] = op.group;
  std::map<std::string, int> classes;
  for (std::size_t i = 0; i < w.plans.size(); ++i) {
    const CollectiveMethod& pl = w.plans[i];
    if (!pl.isolated) continue;
    const std::string key = fmt::format("{}|{}", group_of[i], call_timing_key(pl));
    class_of_plan_[i] = classes.emplace(key, static_cast<int>(classes.size())).first->second;
  }
}

std::uint64_t CallBoard::key_of(const Op& op) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(op.group)) << 32) | static_cast<std::uint32_t>(op.sequence);
}

bool CallBoard::completed_by(const Op& op) const {
  const auto n = static_cast<int>(w_.groups[static_cast<std::size_t>(op.group)].ranks.size());
  const auto it = calls_.find(key_of(op));
  return (it == calls_.end() ? 0 : it->second.arrived) + 1 == n;
}

bool CallBoard::arrive(int rank, const Op& op, double now, MemberSpeed speed) {
  if (op.plan < 0 || class_of_plan_[static_cast<std::size_t>(op.plan)] < 0)
    throw Error(fmt::format("internal error: op '{}' on rank {} is not a call timed in closed form", op.id, rank));
  const Group& g = w_.groups[static_cast<std::size_t>(op.group)];
  const int pos = rank >= 0 && static_cast<std::size_t>(rank) < g.position.size() ? g.position[static_cast<std::size_t>(rank)] : -1;
  if (pos < 0) throw Error(fmt::format("internal error: rank {} is not a member of group '{}'", rank, g.name));
  Open& c = calls_[key_of(op)];
  if (c.starts.empty()) {
    c.group = op.group;
    c.plan = op.plan;
    c.starts.assign(g.ranks.size(), std::numeric_limits<double>::quiet_NaN());
    c.speeds.assign(g.ranks.size(), MemberSpeed{});
  }
  const auto p = static_cast<std::size_t>(pos);
  if (!std::isnan(c.starts[p])) throw Error(fmt::format("internal error: rank {} reached call '{}' twice", rank, op.id));
  c.starts[p] = now;
  c.speeds[p] = speed;
  c.last = std::max(c.last, now);
  if (++c.arrived < static_cast<int>(g.ranks.size())) return false;
  evaluate(c);
  return true;
}

void CallBoard::evaluate(Open& c) {
  const CollectiveMethod& plan = w_.plans[static_cast<std::size_t>(c.plan)];
  const Group& g = w_.groups[static_cast<std::size_t>(c.group)];
  const bool together = std::all_of(c.starts.begin(), c.starts.end(), [&](double t) { return t == c.starts.front(); }) &&
                        std::all_of(c.speeds.begin(), c.speeds.end(), [&](const MemberSpeed& s) { return s == c.speeds.front(); });
  auto count = [this](const CallTiming& t) {
    ++stats_.evaluations;
    for (const auto x : t.transfers) stats_.evaluated_transfers += x;
  };
  if (together) {
    const std::tuple<int, double, double> key{class_of_plan_[static_cast<std::size_t>(c.plan)], c.speeds.front().clock,
                                              c.speeds.front().hbm};
    auto it = offsets_.find(key);
    if (it == offsets_.end()) {
      it = offsets_
               .emplace(key, evaluate_call(plan, g, costs_, reduce_, std::vector<double>(c.starts.size(), 0.0),
                                           std::vector<MemberSpeed>(c.speeds.size(), c.speeds.front())))
               .first;
      count(it->second);
    }
    c.timing = it->second;
    for (double& f : c.timing.finish) f += c.starts.front();
    for (double& f : c.timing.reduce_end) f += c.starts.front();
  } else {
    c.timing = evaluate_call(plan, g, costs_, reduce_, c.starts, c.speeds);
    count(c.timing);
  }
}

CallBoard::Part CallBoard::take(int rank, std::uint64_t key) {
  const auto it = calls_.find(key);
  if (it == calls_.end() || it->second.timing.finish.empty())
    throw Error(fmt::format("internal error: rank {} takes its part of a call not evaluated yet", rank));
  Open& c = it->second;
  const auto p = static_cast<std::size_t>(w_.groups[static_cast<std::size_t>(c.group)].position[static_cast<std::size_t>(rank)]);
  Part part;
  part.finish = c.timing.finish[p];
  if (part.finish < c.last) {  // cannot happen for the kinds isolation.cpp admits; counted if it does
    part.finish = c.last;
    ++stats_.clamped;
  }
  part.transfers = c.timing.transfers[p];
  part.wire_bytes = c.timing.wire_bytes[p];
  part.compute_busy = c.timing.compute_busy[p];
  part.memory_busy = c.timing.memory_busy[p];
  part.reduce_end = c.timing.reduce_end[p];
  ++stats_.member_calls;
  if (++c.taken == static_cast<int>(c.starts.size())) calls_.erase(it);
  return part;
}

void CallBoard::finished(bool overlapped) {
  if (overlapped) ++stats_.overlapped;
}

}  // namespace racksim
