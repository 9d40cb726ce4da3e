// racksim engine: the replay logic of one rank, independent of SimGrid.
//
// A RankExecutor walks one rank's op graph. It hands the engine Actions to start (a compute of
// so many seconds, a send or receive of so many bytes on a named channel, a timer) and is told
// when each completes; it then releases dependent ops and advances collectives step by step
// (models/collective.hpp). The engine (simgrid_adapter.cpp) owns time and contention; this class
// owns order and bookkeeping, so it is unit-testable with a fake clock.
//
// Channels: a collective's transfers to rank r travel on channel "c<group>.<seq>.r<r>" (ring:
// one sender per channel, steps in FIFO order); direct algorithms add ".s<step>"; the others
// (tree, halving-doubling, hierarchical, all-to-allv) use one channel per sender and receiver,
// "c<group>.<seq>.<src>><dst>", matched in FIFO order (the schedules list a pair's sends and
// receives in the same order, models/collective.hpp). Transfers to and from the scale-up
// switch (NVLS) are SwitchSend / SwitchRecv actions with no partner rank. Point-to-point ops
// use "p<src>.<dst>.t<tag>" and match in order, like MPI.
//
// A planned collective (Op::plan, collective_method.hpp) pays the library's launch latency
// once (a Timer before the first step) and its hop latency before every step (scale-up or
// scale-out hop, by whether the step talks to another domain), and puts bytes / fraction on the
// wire for its protocol. A plan with a closed_form (a reduced run's data-parallel call,
// reduction.hpp) is one Timer of that length instead. An isolated plan (a call that provably
// contends with nothing, isolation.hpp) is one Call action: the engine reports the member's
// arrival to its call board (call_board.hpp) and completes the action when the member's part of
// the call ends.
#pragma once

#include "sim/output/run_record.hpp"
#include "models/collective.hpp"
#include "models/gpu.hpp"
#include "models/kernel.hpp"
#include "sim/workload/workload.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace racksim {

// A kernel is two activities that run together: its compute part on the GPU's cores (Compute,
// seconds at the nominal clock after the calibrated compute efficiency) and its memory part on
// the GPU's HBM (Memory, bytes scaled by 1/eta_m so that the HBM link at catalog bandwidth
// delivers them at the calibrated rate). Alone, it takes max(compute, memory) as the roofline
// says; beside other kernels, compute parts share the cores and memory parts share HBM
// bandwidth, each resource by max-min fairness. A kernel's launch overhead is a Timer before both.
struct Action {
  enum class Kind { Compute, Memory, Send, Recv, Timer, SwitchSend, SwitchRecv, Call } kind = Kind::Compute;
  std::uint64_t token = 0;   // the op it belongs to (its index on the rank); report it back in on_complete
  double seconds = 0.0;      // Compute (at nominal clock) and Timer
  std::uint64_t bytes = 0;   // Send, SwitchSend, SwitchRecv; Memory (HBM bytes at the link's catalog bandwidth)
  int peer = -1;             // Send: destination rank; Recv: source rank
  std::string channel;       // Send/Recv
  const Op* call = nullptr;  // Call: the collective op (its group, sequence and plan)
};

// HBM capacity rules of a run.
struct MemoryPolicy {
  std::uint64_t capacity = 0;  // bytes per GPU
  bool oom_is_error = true;    // false: record an OomEvent and go on
};

class RankExecutor {
public:
  // `cal` (may be null: plain roofline) calibrates the kernel model for compute ops and the
  // reductions inside collectives.
  RankExecutor(int rank, const Workload& workload, const GpuSpec& gpu, const GpuCalibration* cal = nullptr,
               MemoryPolicy memory = {});

  // Actions ready at time `now` (the first call starts the rank).
  [[nodiscard]] std::vector<Action> start(double now);
  // Reports that the action with `token` completed at `now`; returns newly ready actions.
  [[nodiscard]] std::vector<Action> on_complete(std::uint64_t token, double now);
  // Counts the transfers a Call action's member sent, as its part of the call tells them.
  void count_call_transfers(std::uint64_t transfers, std::uint64_t wire_bytes);

  // Records every op's start time in record().op_start (for the timeline, sim/output/timeline.hpp).
  // Call before start(); off by default, as it costs 8 bytes per op.
  void keep_op_starts();

  [[nodiscard]] bool done() const { return completed_ == ops_.size(); }
  [[nodiscard]] std::size_t completed() const { return completed_; }  // ops finished so far
  [[nodiscard]] int rank() const { return rank_; }
  [[nodiscard]] const RankRecord& record() const { return record_; }
  // Ids of ops started but not finished, and of ops still waiting: for deadlock reports.
  [[nodiscard]] std::string describe_pending() const;

private:
  struct OpState {
    int remaining_deps = 0;
    std::vector<int> dependents;
    bool started = false;
    bool finished = false;
    double start_time = 0.0;
    int pending = 0;          // outstanding actions of the current step
    int step = 0;             // collective step in progress; compute op: 0 launching, 1 running
    bool in_latency = false;  // collective: waiting on the launch or hop latency before transfers
    std::unique_ptr<CollectiveSchedule> schedule;
    StepWork plan;            // collective: this rank's current step, from start_step to post_step
    std::unique_ptr<KernelEstimate> kernel;  // compute op waiting for its launch overhead
  };

  void launch(int op, double now, std::vector<Action>& out);
  void launch_compute(int op, double now, std::vector<Action>& out);
  void launch_alloc(int op, double now, std::vector<Action>& out);
  void launch_collective(int op, double now, std::vector<Action>& out);
  void start_step(int op, double now, std::vector<Action>& out);
  void post_step(int op, double now, std::vector<Action>& out);
  void advance_step(int op, double now, std::vector<Action>& out);
  void finish_op(int op, double now, std::vector<Action>& out);
  void issue_kernel(int op, const KernelEstimate& e, std::vector<Action>& out);
  void issue(int op, Action a, std::vector<Action>& out);

  int rank_;
  const Workload& w_;
  const GpuSpec& gpu_;
  const GpuCalibration* cal_;
  MemoryPolicy mem_;
  const std::vector<Op>& ops_;
  std::vector<OpState> st_;
  std::size_t completed_ = 0;
  RankRecord record_;
};

}  // namespace racksim
