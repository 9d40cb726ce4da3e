// racksim sim: one run of a scenario, end to end — topology, checks, workload, platform,
// engine, results. The CLI and the tests call this; nothing here prints.
#pragma once

#include "sim/output/results.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/workload/workload.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace racksim {

// The scenario's workload as per-rank op graphs: a native trace read, Chakra ET files read, or a
// transformer training step generated. Throws InputError for a workload that cannot be built.
[[nodiscard]] Workload build_workload(const Scenario& s);

struct RunPlan;  // topology, workload and platform of one run (run.cpp)
struct ReplicaLayout;  // sim/reduction.hpp
struct FabricOptions;  // sim/platform.hpp

class Run {
public:
  explicit Run(const Scenario& scenario);
  // Runs `workload` on the scenario's cluster instead of the scenario's own workload (tests, and
  // workloads transformed after they were built).
  Run(const Scenario& scenario, Workload workload);
  ~Run();
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  // Human-readable header: scenario, cluster, workload and the resolved engine configuration.
  [[nodiscard]] std::string header() const;
  // Asks execute() to collect the ranks' spans for timeline.json (RunResult::timeline,
  // sim/timeline.hpp): ranks in order, whole, while their events stay within `max_events`. Off
  // by default (recording costs 8 bytes per op of the kept ranks, plus their spans). Call before
  // execute().
  void keep_timeline(std::size_t max_events = kTimelineMaxEvents);
  // Called while execute() runs, every few hundred advances of the simulated clock: the simulated
  // time, the ops finished so far and the ops of the simulated ranks (a progress meter). It
  // observes only: results are the same with it or without it.
  using Progress = std::function<void(double simulated_s, std::size_t ops_done, std::size_t ops_total)>;
  void on_progress(Progress progress) { progress_ = std::move(progress); }
  // Simulates (once per process) and returns the results.
  [[nodiscard]] RunResult execute();

private:
  void build_topology();
  void setup_levels();
  void prepare(Workload workload);                          // every rank simulated
  [[nodiscard]] std::string prepare_reduced(const ReplicaLayout& layout);  // "" or why not
  [[nodiscard]] FabricOptions fabric_options(const Workload& w);
  void refuse_oversized_full_run(const std::string& why) const;
  const Scenario& s_;
  std::unique_ptr<RunPlan> plan_;
  std::optional<std::size_t> timeline_events_;  // keep_timeline's cap; unset: no timeline
  Progress progress_;
};

}  // namespace racksim
