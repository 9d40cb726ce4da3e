// racksim engine: the serving executor — the instances of an inference_serving workload, their
// schedulers and the router, driven by the engine one iteration at a time. No SimGrid: like
// RankExecutor (replay.hpp) it hands the engine actions and is told when each completes, so it is
// unit-testable with a fake clock (tests/unit/engine/test_serving_executor.cpp).
//
// One iteration of an instance, per pipeline stage in order (docs/inference.md "Engine"):
//   1. the stage's compute-bound kernels: on every GPU of the stage a Compute part (seconds at the
//      nominal clock: the GPU's DVFS level stretches it) and a Memory part (HBM bytes: the GPU's
//      HBM link, shared with nothing else on that GPU, and slowed by the HBM clock);
//   2. its memory-bound kernels, the same way (the split keeps each kernel's roofline exact at
//      nominal clocks: models/serving.hpp IterationCost);
//   3. a Timer: kernel launches, the stage's TP all-reduces and EP all-to-alls in closed form
//      (the collective cost model on an idle fabric, models/collective.hpp: the instance's group
//      sits inside one scale-up domain, whose switched links no other instance's traffic
//      crosses), and on stage 0 the host's per-iteration overhead;
//   4. unless last, its activations to the next stage: one Transfer per GPU (bytes / tp each) to
//      the GPU of the same TP index in the next stage, over the simulated fabric.
// Then the scheduler learns the iteration ended, and the next one is planned at once.
// Disaggregated serving: a prefill instance hands each request off when its first token is out;
// its KV cache (input tokens x the prefill GPU's KV bytes per token, from every prefill GPU) moves
// as Transfers to the decode instance the decode router picks (prefill GPU k to decode GPU k mod
// its GPUs), contending with everything on those links; the decode instance takes the request
// when the last of them lands.
// Arrivals are Timers; each request is routed when it arrives.
#pragma once

#include "models/serving.hpp"
#include "sim/engine/serving_scheduler.hpp"
#include "sim/output/serving_record.hpp"
#include "sim/workload/requests.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace racksim {

struct ServingAction {
  enum class Kind { Compute, Memory, Transfer, Timer } kind = Kind::Compute;
  std::uint64_t token = 0;  // report it back in on_complete
  double seconds = 0.0;     // Compute (at the nominal clock), Timer
  double bytes = 0.0;       // Memory (HBM bytes at the link's catalog bandwidth), Transfer
  int host = -1;            // Compute, Memory: the GPU; Transfer: the source GPU
  int dst = -1;             // Transfer: the destination GPU
};

// One instance as the run set it up.
struct ServingInstanceSetup {
  int id = 0;
  InstanceLayout layout;
  std::vector<int> gpus;                    // tp x pp GPUs, stage-major: stage s is gpus[s tp .. s tp + tp - 1]
  std::shared_ptr<const IterationCostModel> cost;
  SchedulerConfig scheduler;
  double kv_bytes_per_token = 0.0;          // per GPU (disaggregated prefill: what each GPU sends per cached token)
  double hbm_bandwidth = 0.0;               // B/s, the GPU's catalog HBM bandwidth (Memory actions carry seconds x it)
  enum class Role { Both, Prefill, Decode } role = Role::Both;
  // Seconds of one TP all-reduce / EP all-to-all of `bytes` over a stage's GPUs (closed form).
  std::function<double(double bytes)> allreduce_time;
  std::function<double(double bytes)> alltoall_time;
};

class ServingExecutor {
public:
  // `requests` sorted by arrival. Throws Error for an empty instance list or a disaggregated set
  // without both roles.
  // The host's time per iteration, in the first stage's timer (with its launches and collectives): iteration_overhead_s +
  // sequence_overhead_s x the sequences the iteration schedules.
  ServingExecutor(std::vector<ServingInstanceSetup> instances, std::vector<Request> requests, bool least_loaded,
                  double iteration_overhead_s, double sequence_overhead_s = 0.0);

  [[nodiscard]] std::vector<ServingAction> start(double now);
  [[nodiscard]] std::vector<ServingAction> on_complete(std::uint64_t token, double now);
  [[nodiscard]] bool done() const;

  // Every request (finished or not, in id order) and every iteration, after the run.
  [[nodiscard]] std::vector<RequestRecord> requests() const;
  [[nodiscard]] const std::vector<IterationRecord>& iterations() const { return iterations_; }
  [[nodiscard]] std::size_t instance_count() const { return inst_.size(); }
  [[nodiscard]] std::int64_t preemptions() const;
  // Iterations and requests finished so far (a progress meter).
  [[nodiscard]] std::size_t finished_requests() const { return done_.size(); }
  [[nodiscard]] std::size_t total_requests() const { return requests_.size(); }
  // What is still pending, for deadlock reports.
  [[nodiscard]] std::string describe_pending() const;

private:
  struct Instance {
    ServingInstanceSetup setup;
    InstanceScheduler scheduler;
    bool busy = false;        // an iteration in flight
    IterationBatch batch;
    std::int64_t stage = 0;
    int phase = 0;            // 0 compute-bound, 1 memory-bound, 2 timer, 3 pp transfer
    int pending = 0;
    IterationCost cost;
    IterationRecord record;
  };
  struct Handoff {
    RequestRecord rec;
    int decode = -1;
    int pending = 0;
    double start = 0.0;
  };

  void route(std::size_t request, double now, std::vector<ServingAction>& out);
  // A handed-off request whose KV cache has arrived joins decode instance `decode`, its prompt cached.
  void deliver(int decode, const RequestRecord& rec, double now, std::vector<ServingAction>& out);
  void try_start(int instance, double now, std::vector<ServingAction>& out);
  void run_phase(int instance, double now, std::vector<ServingAction>& out);
  void end_iteration(int instance, double now, std::vector<ServingAction>& out);
  void hand_off(const RequestRecord& rec, int from, double now, std::vector<ServingAction>& out);

  std::vector<Instance> inst_;
  std::vector<Request> requests_;
  std::size_t next_arrival_ = 0;
  bool arrival_pending_ = false;
  Router router_;
  Router decode_router_;
  std::vector<int> entry_;          // instances arrivals go to (Both or Prefill)
  std::vector<int> decoders_;       // decode instances (disaggregated)
  double overhead_;
  double seq_overhead_;
  std::map<std::uint64_t, Handoff> handoffs_;
  std::uint64_t next_handoff_ = 0;
  std::vector<RequestRecord> done_;
  std::vector<IterationRecord> iterations_;
};

}  // namespace racksim
