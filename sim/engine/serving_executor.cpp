// racksim engine: the serving executor (serving_executor.hpp).
#include "sim/engine/serving_executor.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace racksim {

namespace {

// Tokens: an instance's current phase is its index; the next arrival and each KV hand-off have
// their own ranges.
constexpr std::uint64_t kArrival = std::uint64_t{1} << 62;
constexpr std::uint64_t kHandoff = std::uint64_t{1} << 61;

}  // namespace

ServingExecutor::ServingExecutor(std::vector<ServingInstanceSetup> instances, std::vector<Request> requests,
                                 bool least_loaded, double iteration_overhead_s, double sequence_overhead_s)
    : requests_(std::move(requests)),
      router_(least_loaded ? Routing::LeastLoaded : Routing::RoundRobin, 1),
      decode_router_(least_loaded ? Routing::LeastLoaded : Routing::RoundRobin, 1),
      overhead_(iteration_overhead_s),
      seq_overhead_(sequence_overhead_s) {
  if (instances.empty()) throw Error("internal error: a serving run with no instance");
  inst_.reserve(instances.size());
  for (auto& s : instances) {
    const int id = static_cast<int>(inst_.size());
    const SchedulerConfig cfg = s.scheduler;
    Instance in{std::move(s), InstanceScheduler(id, cfg), false, {}, 0, 0, 0, {}, {}};
    in.setup.id = id;
    if (in.setup.role != ServingInstanceSetup::Role::Decode) entry_.push_back(id);
    if (in.setup.role == ServingInstanceSetup::Role::Decode) decoders_.push_back(id);
    inst_.push_back(std::move(in));
  }
  const bool has_prefill = std::any_of(inst_.begin(), inst_.end(), [](const Instance& i) {
    return i.setup.role == ServingInstanceSetup::Role::Prefill;
  });
  if (entry_.empty() || has_prefill != !decoders_.empty())
    throw Error("internal error: a disaggregated serving run needs both prefill and decode instances");
  router_ = Router(least_loaded ? Routing::LeastLoaded : Routing::RoundRobin, static_cast<int>(entry_.size()));
  if (!decoders_.empty())
    decode_router_ = Router(least_loaded ? Routing::LeastLoaded : Routing::RoundRobin, static_cast<int>(decoders_.size()));
}

std::vector<ServingAction> ServingExecutor::start(double now) {
  std::vector<ServingAction> out;
  if (!requests_.empty()) {
    arrival_pending_ = true;
    out.push_back({ServingAction::Kind::Timer, kArrival, std::max(0.0, requests_.front().arrival_s - now), 0.0, -1, -1});
  }
  return out;
}

std::vector<ServingAction> ServingExecutor::on_complete(std::uint64_t token, double now) {
  std::vector<ServingAction> out;
  if (token == kArrival) {
    arrival_pending_ = false;
    // Every request due by now, and at least the one the timer was set for (the clock may land a
    // rounding error short of its arrival time).
    const double due = std::max(now, requests_[next_arrival_].arrival_s);
    while (next_arrival_ < requests_.size() && requests_[next_arrival_].arrival_s <= due) route(next_arrival_++, now, out);
    if (next_arrival_ < requests_.size()) {
      arrival_pending_ = true;
      out.push_back(
          {ServingAction::Kind::Timer, kArrival, std::max(0.0, requests_[next_arrival_].arrival_s - now), 0.0, -1, -1});
    }
  } else if (token >= kHandoff) {
    auto it = handoffs_.find(token);
    if (it == handoffs_.end()) throw Error("internal error: an unknown KV-cache transfer completed");
    if (--it->second.pending == 0) {
      Handoff h = std::move(it->second);
      handoffs_.erase(it);
      h.rec.kv_transfer_s = now - h.start;
      h.rec.decode_instance = h.decode;
      deliver(h.decode, h.rec, now, out);
    }
  } else {
    const auto i = static_cast<std::size_t>(token);
    if (i >= inst_.size() || inst_[i].pending <= 0) throw Error("internal error: an unknown serving activity completed");
    if (--inst_[i].pending == 0) {
      ++inst_[i].phase;
      run_phase(static_cast<int>(i), now, out);
    }
  }
  return out;
}

void ServingExecutor::route(std::size_t request, double now, std::vector<ServingAction>& out) {
  std::vector<double> loads;
  loads.reserve(entry_.size());
  for (const int e : entry_) loads.push_back(inst_[static_cast<std::size_t>(e)].scheduler.load());
  const int pick = entry_[static_cast<std::size_t>(router_.route(loads))];
  inst_[static_cast<std::size_t>(pick)].scheduler.add(requests_[request], now);
  try_start(pick, now, out);
}

void ServingExecutor::deliver(int decode, const RequestRecord& rec, double now, std::vector<ServingAction>& out) {
  inst_[static_cast<std::size_t>(decode)].scheduler.add(rec, now, rec.input_tokens);
  try_start(decode, now, out);
}

void ServingExecutor::try_start(int instance, double now, std::vector<ServingAction>& out) {
  Instance& in = inst_[static_cast<std::size_t>(instance)];
  if (in.busy) return;
  IterationBatch batch;
  if (!in.scheduler.plan(now, batch)) return;
  in.busy = true;
  in.batch = batch;
  in.stage = 0;
  in.phase = 0;
  in.record = IterationRecord{};
  in.record.instance = instance;
  in.record.start_s = now;
  in.record.prefill_tokens = batch.prefill_tokens;
  in.record.prefill_seqs = batch.prefill_seqs;
  in.record.decode_seqs = batch.decode_seqs;
  in.record.running = in.scheduler.running();
  in.record.waiting = in.scheduler.waiting();
  const auto blocks = in.scheduler.total_blocks();
  in.record.kv_used_fraction =
      blocks > 0 ? static_cast<double>(in.scheduler.used_blocks()) / static_cast<double>(blocks) : 0.0;
  in.cost = in.setup.cost->stage_cost(0, batch);
  run_phase(instance, now, out);
}

// Issues the actions of the instance's current phase; a phase with nothing to do is skipped, and
// past the last phase of the last stage the iteration ends.
void ServingExecutor::run_phase(int instance, double now, std::vector<ServingAction>& out) {
  Instance& in = inst_[static_cast<std::size_t>(instance)];
  const auto tok = static_cast<std::uint64_t>(instance);
  const std::int64_t tp = in.setup.layout.tp;
  const std::int64_t pp = in.setup.layout.pp;
  for (;;) {
    const auto first = static_cast<std::size_t>(in.stage * tp);
    const IterationCost& c = in.cost;
    if (in.phase == 0 || in.phase == 1) {
      const double compute = in.phase == 0 ? c.compute_bound_compute_s : c.memory_bound_compute_s;
      const double memory = in.phase == 0 ? c.compute_bound_memory_s : c.memory_bound_memory_s;
      for (std::int64_t k = 0; k < tp; ++k) {
        const int host = in.setup.gpus[first + static_cast<std::size_t>(k)];
        if (compute > 0.0) {
          out.push_back({ServingAction::Kind::Compute, tok, compute, 0.0, host, -1});
          ++in.pending;
        }
        if (memory > 0.0) {
          out.push_back({ServingAction::Kind::Memory, tok, 0.0, memory * in.setup.hbm_bandwidth, host, -1});
          ++in.pending;
        }
      }
    } else if (in.phase == 2) {
      const double seqs = static_cast<double>(in.batch.prefill_seqs + in.batch.decode_seqs);
      double t = c.exposed_launch_s() + (in.stage == 0 ? overhead_ + seq_overhead_ * seqs : 0.0);
      if (c.tp_allreduces > 0 && in.setup.allreduce_time)
        t += static_cast<double>(c.tp_allreduces) * in.setup.allreduce_time(c.tp_allreduce_bytes);
      if (c.ep_alltoalls > 0 && in.setup.alltoall_time)
        t += static_cast<double>(c.ep_alltoalls) * in.setup.alltoall_time(c.ep_alltoall_bytes);
      if (t > 0.0) {
        out.push_back({ServingAction::Kind::Timer, tok, t, 0.0, -1, -1});
        ++in.pending;
      }
    } else if (in.phase == 3) {
      if (in.stage + 1 < pp && c.pp_send_bytes > 0.0) {
        for (std::int64_t k = 0; k < tp; ++k) {
          const int src = in.setup.gpus[first + static_cast<std::size_t>(k)];
          const int dst = in.setup.gpus[first + static_cast<std::size_t>(tp + k)];
          out.push_back({ServingAction::Kind::Transfer, tok, 0.0, c.pp_send_bytes / static_cast<double>(tp), src, dst});
          ++in.pending;
        }
      }
    } else {  // the stage is done
      if (++in.stage == pp) {
        end_iteration(instance, now, out);
        return;
      }
      in.phase = 0;
      in.cost = in.setup.cost->stage_cost(in.stage, in.batch);
      continue;
    }
    if (in.pending > 0) return;
    ++in.phase;
  }
}

void ServingExecutor::end_iteration(int instance, double now, std::vector<ServingAction>& out) {
  Instance& in = inst_[static_cast<std::size_t>(instance)];
  in.busy = false;
  in.record.end_s = now;
  iterations_.push_back(in.record);
  std::vector<RequestRecord> finished, handed;
  in.scheduler.complete(now, finished, handed);
  for (auto& r : finished) {  // a decode instance's records carry what the prefill instance recorded
    r.decode_instance = instance;
    done_.push_back(r);
  }
  for (const auto& r : handed) hand_off(r, instance, now, out);
  try_start(instance, now, out);
}

void ServingExecutor::hand_off(const RequestRecord& rec, int from, double now, std::vector<ServingAction>& out) {
  std::vector<double> loads;
  loads.reserve(decoders_.size());
  for (const int d : decoders_) loads.push_back(inst_[static_cast<std::size_t>(d)].scheduler.load());
  const int to = decoders_[static_cast<std::size_t>(decode_router_.route(loads))];
  const Instance& src = inst_[static_cast<std::size_t>(from)];
  const Instance& dst = inst_[static_cast<std::size_t>(to)];
  const double bytes = src.setup.kv_bytes_per_token * static_cast<double>(rec.input_tokens);
  Handoff h{rec, to, 0, now};
  h.rec.decode_instance = to;
  const std::uint64_t tok = kHandoff + next_handoff_++;
  if (bytes > 0.0) {
    for (std::size_t k = 0; k < src.setup.gpus.size(); ++k) {
      out.push_back({ServingAction::Kind::Transfer, tok, 0.0, bytes, src.setup.gpus[k],
                     dst.setup.gpus[k % dst.setup.gpus.size()]});
      ++h.pending;
    }
  }
  if (h.pending == 0) {  // nothing to move (a KV cache of 0 bytes): straight to the decoder
    deliver(to, h.rec, now, out);
    return;
  }
  handoffs_.emplace(tok, std::move(h));
}

bool ServingExecutor::done() const {
  if (next_arrival_ < requests_.size() || arrival_pending_ || !handoffs_.empty()) return false;
  return std::all_of(inst_.begin(), inst_.end(), [](const Instance& i) { return !i.busy && i.scheduler.idle(); });
}

std::vector<RequestRecord> ServingExecutor::requests() const {
  std::vector<RequestRecord> all = done_;
  for (const auto& in : inst_)
    for (auto& r : in.scheduler.unfinished()) all.push_back(r);
  for (const auto& [tok, h] : handoffs_) all.push_back(h.rec);
  for (std::size_t i = next_arrival_; i < requests_.size(); ++i) {
    RequestRecord r;
    r.id = requests_[i].id;
    r.arrival_s = requests_[i].arrival_s;
    r.input_tokens = requests_[i].input_tokens;
    r.output_tokens = requests_[i].output_tokens;
    all.push_back(r);
  }
  std::sort(all.begin(), all.end(), [](const RequestRecord& a, const RequestRecord& b) { return a.id < b.id; });
  return all;
}

std::int64_t ServingExecutor::preemptions() const {
  std::int64_t n = 0;
  for (const auto& in : inst_) n += in.scheduler.preemptions();
  return n;
}

std::string ServingExecutor::describe_pending() const {
  std::string s = fmt::format("{} of {} requests finished, {} arrived", done_.size(), requests_.size(), next_arrival_);
  for (const auto& in : inst_)
    if (in.busy || !in.scheduler.idle())
      s += fmt::format("\n  instance {}: {} waiting, {} running, {}{}", in.setup.id, in.scheduler.waiting(),
                       in.scheduler.running(), in.busy ? "an iteration in flight" : "idle",
                       in.busy ? fmt::format(" (stage {}, phase {}, {} activities pending)", in.stage, in.phase, in.pending)
                               : "");
  if (!handoffs_.empty()) s += fmt::format("\n  {} KV-cache transfers in flight", handoffs_.size());
  return s;
}

}  // namespace racksim
