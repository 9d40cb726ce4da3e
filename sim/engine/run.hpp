// racksim engine: one run of a scenario, in stages that each take values and return a new one
// (README.md, "The stages of a run"). Constructing a Run sets it up and describes it
// (prepare_run: the cluster, what is simulated — one replica or every rank —, the platform, the
// power setup, the description); execute() then measures the faults' baseline when asked,
// simulates and assembles the result. The CLI and the tests call this; nothing here prints.
#pragma once

#include "sim/engine/platform.hpp"
#include "sim/engine/power_loop.hpp"
#include "sim/engine/serving_setup.hpp"
#include "sim/engine/setup.hpp"
#include "sim/output/results.hpp"
#include "sim/output/run_description.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/workload/workload.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

namespace racksim {

// A run set up and described: everything execute() needs, built once and never changed after.
struct PreparedRun {
  ClusterSetup cluster;
  SimulatedStep step;
  PlatformSpec platform;
  PowerSetup power;
  RunDescription description;
  std::optional<ServingSetup> serving;  // an inference_serving run: its instances and requests (step is then empty)
};

// The set-up stages in order (setup.hpp, describe.hpp). `given`: a workload to run instead of
// the scenario's (never reduced).
[[nodiscard]] PreparedRun prepare_run(const Scenario& s, std::optional<Workload> given);

class Run {
public:
  explicit Run(const Scenario& scenario);
  // Runs `workload` on the scenario's cluster instead of the scenario's own workload (tests, and
  // workloads transformed after they were built).
  Run(const Scenario& scenario, Workload workload);
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  // What runs: scenario, cluster, workload, fidelity and the resolved engine configuration.
  [[nodiscard]] const RunDescription& description() const { return prepared_.description; }
  // The description as the header `racksim run` prints (sim/output/run_description.hpp).
  [[nodiscard]] std::string header() const;
  // Asks execute() to collect the ranks' spans for timeline.json (RunResult::timeline,
  // sim/output/timeline.hpp): ranks in order, whole, while their events stay within
  // `max_events`. Off by default (recording costs 8 bytes per op of the kept ranks, plus their
  // spans). Call before execute().
  void keep_timeline(std::size_t max_events = kTimelineMaxEvents);
  // Called while execute() runs, every few hundred advances of the simulated clock: the simulated
  // time, the ops finished so far and the ops of the simulated ranks (a progress meter). It
  // observes only: results are the same with it or without it.
  using Progress = std::function<void(double simulated_s, std::size_t ops_done, std::size_t ops_total)>;
  void on_progress(Progress progress) { progress_ = std::move(progress); }
  // Runs `f` in a process of its own and returns its text; `what` names that run in its errors
  // (the CLI passes run_in_child, sim/cli/child_run.hpp).
  using InChild = std::function<std::string(const std::function<std::string()>& f, const std::string& what)>;
  // Asks execute() to measure what the scenario's faults cost (RunResult::fabric.baseline_time_s:
  // the same run without its faults) through `in_child`. Off by default, and nothing to do for a
  // scenario without faults.
  void measure_fault_baseline(InChild in_child) { in_child_ = std::move(in_child); }
  // Simulates (once per process) and returns the results.
  [[nodiscard]] RunResult execute();

private:
  const Scenario& s_;
  const PreparedRun prepared_;
  std::optional<std::size_t> timeline_events_;  // keep_timeline's cap; unset: no timeline
  Progress progress_;
  InChild in_child_;
};

}  // namespace racksim
