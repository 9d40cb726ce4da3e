// racksim engine: one rank's replay (replay.hpp).
#include "sim/engine/replay.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace racksim {

RankExecutor::RankExecutor(int rank, const Workload& workload, const GpuSpec& gpu, const GpuCalibration* cal,
                           MemoryPolicy memory)
    : rank_(rank), w_(workload), gpu_(gpu), cal_(cal), mem_(memory), ops_(workload.programs.at(static_cast<std::size_t>(rank))) {
  st_.resize(ops_.size());
  record_.op_finish.assign(ops_.size(), -1.0);
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    st_[i].remaining_deps = static_cast<int>(ops_[i].deps.size());
    for (const int d : ops_[i].deps) st_[static_cast<std::size_t>(d)].dependents.push_back(static_cast<int>(i));
  }
}

void RankExecutor::keep_op_starts() { record_.op_start.assign(ops_.size(), -1.0); }

std::vector<Action> RankExecutor::start(double now) {
  std::vector<Action> out;
  // An instant op (alloc, free) finishes inside launch() and may start its dependents first.
  for (std::size_t i = 0; i < ops_.size(); ++i)
    if (st_[i].remaining_deps == 0 && !st_[i].started) launch(static_cast<int>(i), now, out);
  if (ops_.empty()) record_.finish = now;
  return out;
}

void RankExecutor::issue(int op, Action a, std::vector<Action>& out) {
  // The token is the op's index: an op knows how many of its actions are pending, so nothing
  // per action needs to be remembered (a 4,608-rank ring issues ~23,000 actions per rank).
  a.token = static_cast<std::uint64_t>(op);
  if (a.kind == Action::Kind::Send || a.kind == Action::Kind::SwitchSend) {
    ++record_.transfers;
    record_.bytes_sent += a.bytes;
  }
  ++st_[static_cast<std::size_t>(op)].pending;
  out.push_back(std::move(a));
}

void RankExecutor::launch(int op, double now, std::vector<Action>& out) {
  OpState& s = st_[static_cast<std::size_t>(op)];
  const Op& o = ops_[static_cast<std::size_t>(op)];
  s.started = true;
  s.start_time = now;
  if (!record_.op_start.empty()) record_.op_start[static_cast<std::size_t>(op)] = now;
  switch (o.kind) {
    case OpKind::Compute: launch_compute(op, now, out); return;
    case OpKind::Alloc: launch_alloc(op, now, out); return;
    case OpKind::Free:
      record_.hbm_in_use -= std::min(record_.hbm_in_use, o.bytes);
      finish_op(op, now, out);
      return;
    case OpKind::Delay: {
      Action a;
      a.kind = Action::Kind::Timer;
      a.seconds = o.duration->value();
      issue(op, a, out);
      return;
    }
    case OpKind::Send: {
      Action a;
      a.kind = Action::Kind::Send;
      a.bytes = o.bytes;
      a.peer = o.peer;
      a.channel = fmt::format("p{}.{}.t{}", rank_, o.peer, o.tag);
      issue(op, a, out);
      return;
    }
    case OpKind::Recv: {
      Action a;
      a.kind = Action::Kind::Recv;
      a.peer = o.peer;
      a.channel = fmt::format("p{}.{}.t{}", o.peer, rank_, o.tag);
      issue(op, a, out);
      return;
    }
    case OpKind::Collective: launch_collective(op, now, out); return;
  }
}

// A measured duration replays as it is; otherwise the kernel model's estimate, after the
// launch overhead when there is one.
void RankExecutor::launch_compute(int op, double now, std::vector<Action>& out) {
  OpState& s = st_[static_cast<std::size_t>(op)];
  const Op& o = ops_[static_cast<std::size_t>(op)];
  if (o.duration) {
    Action a;
    a.kind = Action::Kind::Compute;
    a.seconds = o.duration->value();
    issue(op, a, out);
    return;
  }
  KernelEstimate e;
  try {
    const KernelWork kw = o.gemm        ? gemm_work(*o.gemm, o.precision)
                          : o.attention ? attention_work(*o.attention, o.precision)
                                        : generic_work(o.flops, o.precision, o.hbm_bytes);
    e = estimate_kernel(gpu_, cal_, kw);
  } catch (const Error& err) {
    throw InputError(o.where, fmt::format("op '{}': {}", o.id, err.what()));
  }
  if (e.launch_overhead.value() > 0.0) {
    s.kernel = std::make_unique<KernelEstimate>(std::move(e));
    Action a;
    a.kind = Action::Kind::Timer;
    a.seconds = s.kernel->launch_overhead.value();
    issue(op, a, out);
    return;
  }
  s.step = 1;
  issue_kernel(op, e, out);
  if (s.pending == 0) finish_op(op, now, out);  // an empty kernel
}

// Instant. Capacity 0 means unlimited (a GPU without a capacity in the catalog cannot be).
void RankExecutor::launch_alloc(int op, double now, std::vector<Action>& out) {
  const Op& o = ops_[static_cast<std::size_t>(op)];
  const std::uint64_t free = mem_.capacity > record_.hbm_in_use ? mem_.capacity - record_.hbm_in_use : 0;
  if (mem_.capacity > 0 && o.bytes > free) {
    OomEvent ev{rank_, o.id, o.label, o.bytes, free, mem_.capacity, now};
    if (mem_.oom_is_error)
      throw SimulationError(fmt::format(
          "out of HBM on rank {}: op '{}'{} requests {} B ({}) but only {} B ({}) of the GPU's {} B ({}) are free",
          rank_, o.id, o.label.empty() ? "" : fmt::format(" ({})", o.label), o.bytes,
          format_bytes(Bytes(static_cast<double>(o.bytes))), free, format_bytes(Bytes(static_cast<double>(free))),
          mem_.capacity, format_bytes(Bytes(static_cast<double>(mem_.capacity)))));
    record_.oom.push_back(ev);
  }
  record_.hbm_in_use += o.bytes;
  record_.hbm_peak = std::max(record_.hbm_peak, record_.hbm_in_use);
  finish_op(op, now, out);
}

// A call timed in closed form is one timer; otherwise its schedule, after the launch latency of
// its plan when there is one.
void RankExecutor::launch_collective(int op, double now, std::vector<Action>& out) {
  OpState& s = st_[static_cast<std::size_t>(op)];
  const Op& o = ops_[static_cast<std::size_t>(op)];
  const Group& g = w_.groups[static_cast<std::size_t>(o.group)];
  const CollectiveMethod* plan = o.plan >= 0 ? &w_.plans[static_cast<std::size_t>(o.plan)] : nullptr;
  if (plan && plan->closed_form) {  // a reduced run's data-parallel call (reduction.hpp)
    Action a;
    a.kind = Action::Kind::Timer;
    a.seconds = plan->closed_form->value();
    issue(op, a, out);
    return;
  }
  if (plan && plan->isolated) {  // timed by the engine's call board from every member's arrival
    Action a;
    a.kind = Action::Kind::Call;
    a.call = &o;
    issue(op, a, out);
    return;
  }
  if (plan) {
    s.schedule = std::make_unique<CollectiveSchedule>(plan->shape);
  } else {  // not planned (unit tests of the executor): the op's own algorithm, no library latencies
    if (o.algorithm == CollectiveAlgorithm::Auto)
      throw Error(fmt::format("internal error: collective '{}' on rank {} has no plan", o.id, rank_));
    CollectiveShape shape = make_shape(o.collective, o.algorithm, static_cast<int>(g.ranks.size()), o.bytes);
    if (o.collective == CollectiveKind::Broadcast || o.collective == CollectiveKind::Reduce)
      shape.root = g.position[static_cast<std::size_t>(o.root)];
    shape.counts = o.counts;
    s.schedule = std::make_unique<CollectiveSchedule>(std::move(shape));
  }
  s.step = 0;
  if (s.schedule->num_steps() == 0) {
    finish_op(op, now, out);
    return;
  }
  if (plan && plan->launch.value() > 0.0) {
    s.in_latency = true;
    s.step = -1;  // the launch latency, then step 0
    Action a;
    a.kind = Action::Kind::Timer;
    a.seconds = plan->launch.value();
    issue(op, a, out);
    return;
  }
  start_step(op, now, out);
}

void RankExecutor::issue_kernel(int op, const KernelEstimate& e, std::vector<Action>& out) {
  if (e.compute_time.value() > 0.0) {
    Action a;
    a.kind = Action::Kind::Compute;
    a.seconds = e.compute_time.value();
    issue(op, a, out);
  }
  if (e.memory_time.value() > 0.0) {
    // Bytes that take memory_time on the HBM link at catalog bandwidth.
    Action a;
    a.kind = Action::Kind::Memory;
    a.bytes = static_cast<std::uint64_t>(std::llround(e.memory_time.value() * gpu_.hbm_bandwidth.value()));
    if (a.bytes > 0) issue(op, a, out);
  }
}

// A step: its hop latency (if the op has a plan with one), then its transfers and reduction.
void RankExecutor::start_step(int op, double now, std::vector<Action>& out) {
  OpState& s = st_[static_cast<std::size_t>(op)];
  const Op& o = ops_[static_cast<std::size_t>(op)];
  const Group& g = w_.groups[static_cast<std::size_t>(o.group)];
  s.plan = s.schedule->step(g.position[static_cast<std::size_t>(rank_)], s.step);
  if (o.plan >= 0) {
    const CollectiveMethod& plan = w_.plans[static_cast<std::size_t>(o.plan)];
    const StepWork& sp = s.plan;
    bool crosses = false;
    if (plan.gpus_per_domain > 0) {
      const int mine = rank_ / plan.gpus_per_domain;
      auto other = [&](const StepTransfer& t) {
        return t.peer != kSwitchPeer && t.bytes > 0 &&
               g.ranks[static_cast<std::size_t>(t.peer)] / plan.gpus_per_domain != mine;
      };
      crosses = std::any_of(sp.sends.begin(), sp.sends.end(), other) || std::any_of(sp.recvs.begin(), sp.recvs.end(), other);
    }
    const bool busy = !sp.sends.empty() || !sp.recvs.empty() || sp.reduce_bytes > 0;
    const double hop = (crosses ? plan.hop_inter : plan.hop_intra).value();
    if (busy && hop > 0.0) {
      s.in_latency = true;
      Action a;
      a.kind = Action::Kind::Timer;
      a.seconds = hop;
      issue(op, a, out);
      return;
    }
  }
  post_step(op, now, out);
}

void RankExecutor::post_step(int op, double now, std::vector<Action>& out) {
  OpState& s = st_[static_cast<std::size_t>(op)];
  const Op& o = ops_[static_cast<std::size_t>(op)];
  const Group& g = w_.groups[static_cast<std::size_t>(o.group)];
  const StepWork plan = std::move(s.plan);  // computed by start_step
  s.plan = StepWork{};
  const CollectiveShape& shape = s.schedule->shape();
  const double fraction = o.plan >= 0 ? w_.plans[static_cast<std::size_t>(o.plan)].bandwidth_fraction : 1.0;
  auto wire = [&](std::uint64_t b) {
    return fraction >= 1.0 ? b : static_cast<std::uint64_t>(std::llround(static_cast<double>(b) / fraction));
  };
  const bool by_receiver = shape.algorithm == CollectiveAlgorithm::Ring ||
                           (shape.algorithm == CollectiveAlgorithm::Direct && shape.counts.empty());
  const bool direct = shape.algorithm == CollectiveAlgorithm::Direct;
  auto channel = [&](int sender, int receiver) {
    if (!by_receiver) return fmt::format("c{}.{}.{}>{}", o.group, o.sequence, sender, receiver);
    return direct ? fmt::format("c{}.{}.s{}.r{}", o.group, o.sequence, s.step, receiver)
                  : fmt::format("c{}.{}.r{}", o.group, o.sequence, receiver);
  };
  for (const auto& t : plan.sends) {
    if (t.bytes == 0) continue;  // both ends skip empty chunks: the schedule is symmetric
    Action a;
    a.bytes = wire(t.bytes);
    if (t.peer == kSwitchPeer) {
      a.kind = Action::Kind::SwitchSend;
    } else {
      a.kind = Action::Kind::Send;
      a.peer = g.ranks[static_cast<std::size_t>(t.peer)];
      a.channel = channel(rank_, a.peer);
    }
    issue(op, a, out);
  }
  for (const auto& t : plan.recvs) {
    if (t.bytes == 0) continue;
    Action a;
    if (t.peer == kSwitchPeer) {
      a.kind = Action::Kind::SwitchRecv;
      a.bytes = wire(t.bytes);
    } else {
      a.kind = Action::Kind::Recv;
      a.peer = g.ranks[static_cast<std::size_t>(t.peer)];
      a.channel = channel(a.peer, rank_);
    }
    issue(op, a, out);
  }
  if (plan.reduce_bytes > 0) {
    // The reduction is fused into the transfer kernel and pipelined with it: it runs alongside
    // the step's transfers on the GPU (BF16 data, its HBM traffic sharing the GPU's HBM with
    // concurrent kernels), and the step ends when both are done.
    issue_kernel(op, estimate_kernel(gpu_, cal_, reduction_work(Bytes(static_cast<double>(plan.reduce_bytes)), Precision::bf16)),
                 out);
  }
  if (s.pending == 0) advance_step(op, now, out);  // every chunk of this step was empty
}

// The current step is over: start the next one or finish the op.
void RankExecutor::advance_step(int op, double now, std::vector<Action>& out) {
  OpState& s = st_[static_cast<std::size_t>(op)];
  if (++s.step < s.schedule->num_steps()) start_step(op, now, out);
  else finish_op(op, now, out);
}

void RankExecutor::finish_op(int op, double now, std::vector<Action>& out) {
  OpState& s = st_[static_cast<std::size_t>(op)];
  const Op& o = ops_[static_cast<std::size_t>(op)];
  s.finished = true;
  s.schedule.reset();
  ++completed_;
  if (o.kind == OpKind::Compute) record_.compute.push_back({s.start_time, now});
  else if (o.kind != OpKind::Delay && o.kind != OpKind::Alloc && o.kind != OpKind::Free) {
    record_.comm.push_back({s.start_time, now});
    const ParallelDim dim = o.kind == OpKind::Collective ? w_.groups[static_cast<std::size_t>(o.group)].dim : o.dim;
    record_.comm_by_dim[static_cast<std::size_t>(dim)].push_back({s.start_time, now});
  }
  record_.op_finish[static_cast<std::size_t>(op)] = now;
  if (now > record_.finish) record_.finish = now;
  for (const int d : s.dependents) {
    if (--st_[static_cast<std::size_t>(d)].remaining_deps == 0) launch(d, now, out);
  }
}

std::vector<Action> RankExecutor::on_complete(std::uint64_t token, double now) {
  std::vector<Action> out;
  if (token >= ops_.size() || st_[token].pending == 0)
    throw Error(fmt::format("internal error: token {} on rank {} has no pending action", token, rank_));
  const int op = static_cast<int>(token);
  OpState& s = st_[static_cast<std::size_t>(op)];
  const Op& o = ops_[static_cast<std::size_t>(op)];
  if (--s.pending > 0) return out;
  if (o.kind == OpKind::Compute && s.kernel) {  // launch overhead over: run the kernel
    const std::unique_ptr<KernelEstimate> e = std::move(s.kernel);
    s.step = 1;
    issue_kernel(op, *e, out);
    if (s.pending > 0) return out;
  }
  if (o.kind == OpKind::Collective) {
    if (!s.schedule) {  // a closed-form call's timer, or an isolated call's end
      finish_op(op, now, out);
      return out;
    }
    if (s.in_latency) {  // the launch or hop latency is over
      s.in_latency = false;
      if (s.step < 0) {
        s.step = 0;
        start_step(op, now, out);
      } else {
        post_step(op, now, out);
      }
      return out;
    }
    advance_step(op, now, out);
    return out;
  }
  finish_op(op, now, out);
  return out;
}

void RankExecutor::count_call_transfers(std::uint64_t transfers, std::uint64_t wire_bytes) {
  record_.transfers += transfers;
  record_.bytes_sent += wire_bytes;
}

std::string RankExecutor::describe_pending() const {
  std::string running;
  std::string waiting;
  int nw = 0;
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    if (st_[i].finished) continue;
    if (st_[i].started) {
      running += (running.empty() ? "" : ", ") + ops_[i].id;
      const bool isolated = ops_[i].kind == OpKind::Collective && ops_[i].plan >= 0 &&
                            w_.plans[static_cast<std::size_t>(ops_[i].plan)].isolated;
      if (isolated)
        running += " (waiting for the call's other members)";
      else if (ops_[i].kind == OpKind::Collective)
        running += fmt::format(" (step {} of {})", st_[i].step + 1, st_[i].schedule ? st_[i].schedule->num_steps() : 0);
    } else if (nw++ < 3) {
      waiting += (waiting.empty() ? "" : ", ") + ops_[i].id;
    }
  }
  return fmt::format("rank {}: in progress: {}; not started: {}{}", rank_, running.empty() ? "none" : running,
                     waiting.empty() ? "none" : waiting, nw > 3 ? fmt::format(" and {} more", nw - 3) : "");
}

}  // namespace racksim
