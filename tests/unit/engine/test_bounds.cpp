// The checks a run makes before anything is built (sim/engine/setup.hpp check_sizes and
// run_limits; docs/scale.md, "Sizes and times checked before anything is built"), without
// SimGrid: the memory estimate of a generated step against simulation.memory_limit, counted for
// one replica where the step may be reduced and for every rank where it may not, and refused with
// the estimate, the limit and the keys; the ranks checked against the GPUs before generating.
#include "sim/engine/run.hpp"
#include "sim/engine/setup.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/workload/training_generator.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <string>
#include <vector>

using namespace racksim;
using Catch::Matchers::Contains;

namespace {

const std::string kData = std::string(RACKSIM_TEST_DATA) + "/sim/";

Scenario scenario(const std::string& file, const std::vector<std::string>& sets = {}) {
  return load_scenario(kData + file, sets, RACKSIM_SOURCE_DIR);
}

std::string refusal(const Scenario& s) {
  try {
    check_sizes(s);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("check_sizes weighs one replica where the step may be reduced, every rank otherwise", "[unit][bounds]") {
  // replicas.yaml: TP 2 x PP 2 replicas of 4 ranks, DP 8 (32 ranks), order tp-cp-pp-dp. A limit
  // just above the replica's estimate passes in auto mode and refuses at fidelity full, where all
  // 32 ranks (8 x the ops, every replica alike) are built.
  const Scenario base = scenario("replicas.yaml");
  REQUIRE(base.workload.transformer);
  const TransformerSpec& spec = *base.workload.transformer;
  const double replica = estimate_transformer_ops(spec, 4);
  const double all = estimate_transformer_ops(spec);
  CHECK(all == Approx(8.0 * replica));
  // The graph: 8 switched domains of 4 GPUs with their switches and links, well under 1 MB.
  const double limit = replica * run_limits::kBytesPerOp + 1e6;
  const std::string at_limit = fmt::format("simulation.memory_limit={} B", limit);
  CHECK(refusal(scenario("replicas.yaml", {at_limit})).empty());
  const std::string full = refusal(scenario("replicas.yaml", {at_limit, "simulation.fidelity=full"}));
  CHECK_THAT(full, Contains("on all 32 ranks (it cannot be simulated reduced: simulation.fidelity is full)"));
  CHECK_THAT(full, Contains("reduce workload.model.layers"));
  CHECK_THAT(full, Contains("or raise simulation.memory_limit"));
  // Below the replica's own estimate, auto mode refuses too, naming the replica.
  const std::string small = refusal(scenario("replicas.yaml", {"simulation.memory_limit=1 MB"}));
  CHECK_THAT(small, Contains("on the 4 ranks of one data-parallel replica, more than simulation.memory_limit (1 MB)"));
}

TEST_CASE("check_sizes weighs one domain where several replicas share it", "[unit][bounds]") {
  // TP 1 x PP 1 x DP 32 on replicas.yaml's 8 domains of 4 GPUs: a replica is one GPU, and the
  // reduced run builds one domain, its 4 replicas (docs/scale.md). Every rank runs the same ops
  // (no pipeline stages), so the domain is 4/32 of the whole step's ops. 16 layers make the
  // domain's estimate larger than the smallest limit, 1 MB.
  const std::vector<std::string> dp32 = {"workload.parallel.tp=1", "workload.parallel.pp=1", "workload.parallel.dp=32",
                                         "workload.model.layers=16"};
  const Scenario base = scenario("replicas.yaml", dp32);
  const TransformerSpec& spec = *base.workload.transformer;
  const double domain = estimate_transformer_ops(spec, 4);
  CHECK(estimate_transformer_ops(spec) == Approx(8.0 * domain));
  std::vector<std::string> sets = dp32;
  sets.push_back(fmt::format("simulation.memory_limit={} B", domain * run_limits::kBytesPerOp + 1e6));
  CHECK(refusal(scenario("replicas.yaml", sets)).empty());
  // Below the domain's own estimate: refused, naming the domain.
  REQUIRE(domain * run_limits::kBytesPerOp > 1e6);
  sets.back() = "simulation.memory_limit=1 MB";
  CHECK_THAT(refusal(scenario("replicas.yaml", sets)),
             Contains("on the 4 ranks of one scale-up domain (several data-parallel replicas), more than"));
}

TEST_CASE("check_sizes refuses more ranks than GPUs before generating anything", "[unit][bounds]") {
  // DP 8 x 4 = 32 ranks fit the 32 GPUs; DP 9 would be 36 (the global batch 9-divisible: 72).
  const Scenario s = scenario("replicas.yaml", {"workload.parallel.dp=9", "workload.batch.global=72"});
  CHECK_THAT(refusal(s), Contains("has 36 ranks but the cluster of replicas.yaml has only 32 GPUs"));
}
