// racksim sim: one run of a scenario, end to end — topology, checks, workload, platform,
// engine, results. The CLI and the tests call this; nothing here prints.
#pragma once

#include "sim/results.hpp"
#include "sim/scenario.hpp"
#include "sim/workload.hpp"

#include <memory>
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
};

}  // namespace racksim
