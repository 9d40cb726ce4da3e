// racksim engine: the set-up stage of an inference_serving run (docs/inference.md "Engine"):
// where each instance sits, what its HBM holds and so how many KV blocks it has, its cost model
// and the closed-form times of its TP and EP collectives, the requests, and the GPU pairs the
// platform must route (pipeline stages, and prefill to decode instances).
//
// Placement: instances take consecutive GPUs in the cluster's order (GPU i of domain d is
// d x gpus_per_domain + i), prefill instances first when disaggregated; each instance's GPUs are
// stage-major (its first tp GPUs are stage 0). An instance whose tp x pp GPUs divide the domain's
// sits inside one domain. GPUs left over stay idle (they still draw idle power).
#pragma once

#include "sim/engine/serving_executor.hpp"
#include "sim/engine/setup.hpp"
#include "sim/output/serving_metrics.hpp"
#include "sim/scenario/scenario.hpp"

#include <string>
#include <utility>
#include <vector>

namespace racksim {


struct ServingSetup {
  std::vector<ServingInstanceSetup> instances;
  std::vector<Request> requests;
  std::vector<std::pair<int, int>> pairs;   // GPU pairs the platform routes
  std::vector<ServingPoolInfo> pools;     // each pool's layout and HBM budget, as summary.json reports them
  int gpus_used = 0;
  bool least_loaded = false;
  double iteration_overhead_s = 0.0;
  double sequence_overhead_s = 0.0;
};

// Throws InputError (at the workload's keys) when the instances do not fit the cluster, the model
// does not fit an instance's HBM, or a request can never fit its KV cache.
[[nodiscard]] ServingSetup build_serving_setup(const Scenario& s, const ClusterSetup& c);

}  // namespace racksim
