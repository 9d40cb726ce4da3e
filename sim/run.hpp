// racksim sim: one run of a scenario, end to end — topology, checks, workload, platform,
// engine, results. The CLI and the tests call this; nothing here prints.
#pragma once

#include "sim/results.hpp"
#include "sim/scenario.hpp"

#include <memory>
#include <string>

namespace racksim {

struct RunPlan;  // topology, workload and platform of one run (run.cpp)

class Run {
public:
  explicit Run(const Scenario& scenario);
  ~Run();
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  // Human-readable header: scenario, cluster, workload and the resolved engine configuration.
  [[nodiscard]] std::string header() const;
  // Simulates (once per process) and returns the results.
  [[nodiscard]] RunResult execute();

private:
  const Scenario& s_;
  std::unique_ptr<RunPlan> plan_;
};

}  // namespace racksim
