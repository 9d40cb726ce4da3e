// Simulations against alpha-beta oracles. Each TEST_CASE runs in its own process (SimGrid has
// one engine per process; catch_discover_tests registers each case as its own CTest entry).
//
// The oracle cluster (tests/data/sim/switched.yaml): GPUs on one non-blocking switch, per-GPU
// bandwidth B = 50 GB/s per direction, link latency 2 us, switch latency 1 us, so one transfer
// pays alpha = 2 + 1 + 2 = 5 us. The test GPU (oracle-parts.yaml): 100 TFLOP/s BF16, 10 TB/s
// HBM, no launch overhead.
#include "models/collective.hpp"
#include "sim/engine/run.hpp"
#include "core/error.hpp"
#include "sim/scenario/scenario.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace racksim;
using namespace racksim::literals;

namespace {

const std::string kData = std::string(RACKSIM_TEST_DATA) + "/sim/";

RunResult simulate(const std::string& scenario, const std::vector<std::string>& sets) {
  const Scenario s = load_scenario(kData + scenario, sets, RACKSIM_SOURCE_DIR);
  Run run(s);
  return run.execute();
}

constexpr Seconds kAlpha = Seconds(5e-6);
constexpr BytesPerSecond kB = BytesPerSecond(50e9);

}  // namespace

TEST_CASE("point-to-point transfer takes alpha plus S over B", "[sim][oracle]") {
  const RunResult r = simulate("switched.yaml", {"workload.file=p2p.yaml"});
  // 5 us + 1 GB / 50 GB/s = 5e-6 + 0.02 = 0.020005 s, exactly (CM02, no TCP-gamma bound).
  const double expected = kAlpha.value() + 1e9 / 50e9;
  CHECK(r.simulated_time_s == Approx(expected).epsilon(1e-9));
  REQUIRE(r.per_rank.size() == 2);
  // Both ranks communicate for the whole run: comm_s = T, compute 0, idle 0.
  CHECK(r.per_rank[0].comm_s == Approx(expected).epsilon(1e-9));
  CHECK(r.per_rank[1].idle_s == Approx(0.0).margin(1e-12));
}

TEST_CASE("two flows into one GPU share its downlink", "[sim][oracle]") {
  const RunResult r = simulate("switched.yaml", {"workload.file=incast.yaml"});
  // Max-min sharing: each flow gets B/2 on rank 0's downlink, so both finish at
  // alpha + 2 * 1 GB / 50 GB/s = 5e-6 + 0.04 = 0.040005 s.
  CHECK(r.simulated_time_s == Approx(5e-6 + 2.0 * 1e9 / 50e9).epsilon(1e-9));
}

TEST_CASE("ring all-reduce over 8 GPUs matches 2(n-1)(alpha + S/(nB))", "[sim][oracle]") {
  const RunResult r = simulate("switched.yaml", {"workload.file=ring-allreduce-8.yaml"});
  // 2 * 7 * (5e-6 + 1e9 / (8 * 50e9)) = 14 * (5e-6 + 2.5e-3) = 0.03507 s. Each reduce-scatter
  // step also reduces a 125 MB chunk on the GPU (3 * 125 MB / 10 TB/s = 37.5 us), which runs
  // alongside the 2.5 ms transfer and stays hidden.
  const double expected = ring_all_reduce_time(8, Bytes(1e9), kAlpha, kB).value();
  CHECK(expected == Approx(0.03507).epsilon(1e-12));
  CHECK(r.simulated_time_s == Approx(expected).epsilon(1e-9));
  // Every rank sent 2 * 7 chunks of 125 MB.
  for (const auto& b : r.per_rank) {
    CHECK(b.transfers == 14);
    CHECK(b.bytes_sent == 14ULL * 125'000'000ULL);
  }
}

TEST_CASE("ring all-gather over 4 GPUs with the cluster size set by an override", "[sim][oracle]") {
  // --set cluster.scale_up.gpus=4 must reach the topology: the summary counts 4 GPUs.
  const RunResult r = simulate("switched.yaml", {"cluster.scale_up.gpus=4", "workload.file=ring-allgather-4.yaml"});
  CHECK(r.gpus == 4);
  // Ring all-gather: (n-1)(alpha + S/(nB)) = 3 * (5e-6 + 1e9 / (4 * 50e9)) = 3 * 0.005005 = 0.015015 s.
  CHECK(r.simulated_time_s == Approx(0.015015).epsilon(1e-9));
}

TEST_CASE("ring reduce-scatter over 4 GPUs matches (n-1)(alpha + S/(nB))", "[sim][oracle]") {
  const RunResult r = simulate("switched.yaml", {"cluster.scale_up.gpus=4", "workload.file=ring-reducescatter-4.yaml"});
  // 3 * (5 us + 250 MB / 50 GB/s) = 3 * 0.005005 = 0.015015 s; reductions (75 us each) hidden.
  CHECK(r.simulated_time_s == Approx(ring_reduce_scatter_time(4, Bytes(1e9), kAlpha, kB).value()).epsilon(1e-9));
  CHECK(r.simulated_time_s == Approx(0.015015).epsilon(1e-9));
}

TEST_CASE("direct all-to-all over 4 GPUs shares each GPU link among 3 flows", "[sim][oracle]") {
  const RunResult r = simulate("switched.yaml", {"cluster.scale_up.gpus=4", "workload.file=direct-alltoall-4.yaml"});
  // Each rank sends 3 chunks of 250 MB at once over its 50 GB/s uplink (and receives 3 on its
  // downlink): alpha + 750 MB / 50 GB/s = 5e-6 + 0.015 = 0.015005 s.
  CHECK(r.simulated_time_s == Approx(direct_all_to_all_time(4, Bytes(1e9), kAlpha, kB).value()).epsilon(1e-9));
  CHECK(r.simulated_time_s == Approx(0.015005).epsilon(1e-9));
}

TEST_CASE("compute of F FLOP at rate R takes F over R and delays count as idle", "[sim][oracle]") {
  const RunResult r = simulate("switched.yaml", {"workload.file=compute.yaml"});
  // gemm: 1e12 FLOP / 100e12 FLOP/s = 10 ms; delay 1 ms; memory-bound kernel: 10 GB / 10 TB/s
  // = 1 ms. Total 12 ms; compute 11 ms, idle 1 ms.
  CHECK(r.simulated_time_s == Approx(0.012).epsilon(1e-9));
  REQUIRE(r.per_rank.size() == 1);
  CHECK(r.per_rank[0].compute_s == Approx(0.011).epsilon(1e-9));
  CHECK(r.per_rank[0].idle_s == Approx(0.001).epsilon(1e-6));
  CHECK(r.per_rank[0].comm_s == Approx(0.0).margin(1e-12));
}

TEST_CASE("communication overlaps compute on another stream", "[sim][oracle]") {
  // Transfer by transfer: the derivation below follows each reduction beside the kernel (timed in
  // closed form, the call's reductions would not share the GPU: tests/sim/test_isolation_sim.cpp).
  const RunResult r = simulate("switched.yaml", {"workload.file=overlap.yaml", "simulation.collective_timing=transfers"});
  // The 1 GB all-reduce (35.07 ms) runs beside the 10 ms kernel; 'after' waits for the
  // all-reduce and then runs 10 ms: 0.03507 + 0.01 = 0.04507 s. Each reduce-scatter step's
  // reduction moves 3 x 125 MB over the GPU's HBM (37.5 us at 10 TB/s, shared with nothing) and
  // does 125 MB / 2 B = 62.5 MFLOP on its cores (0.625 us), hidden under 2.5 ms steps.
  CHECK(r.simulated_time_s == Approx(0.04507).epsilon(1e-6));
  for (const auto& b : r.per_rank) {
    // compute: reduce-scatter steps start every 2.505 ms (0, 2.505, 5.01, 7.515, 10.02 ms). A
    // reduction's memory part uses HBM, not the cores; its 0.625 us arithmetic part halves the
    // kernel's share of the cores while it runs, so the kernel loses 0.625 us per reduction it
    // meets: four (it ends at 10.0025 ms < 10.02 ms), 10 ms + 4 x 0.625 us = 10.0025 ms. The
    // second kernel runs alone: 10 ms. Total 20.0025 ms.
    CHECK(b.compute_s == Approx(0.0200025).epsilon(1e-9));
    // exposed communication: the all-reduce minus the time the first kernel hid.
    CHECK(b.comm_s + b.overlap_s == Approx(0.03507).epsilon(1e-6));
    CHECK(b.compute_s + b.comm_s + b.idle_s == Approx(r.simulated_time_s).epsilon(1e-9));
  }
}

TEST_CASE("cross-domain transfer crosses NIC leaf NIC at the NIC line rate", "[sim][oracle]") {
  const RunResult r = simulate("two-domains.yaml", {});
  // Route GPU0 -> NIC -> leaf -> NIC -> GPU2. Latency: two NIC traversals (1 us each), one leaf
  // (0.6 us), two cables (0.2 us each) = 3.0 us. Bottleneck: min(host interface 64 GB/s,
  // 200 Gb/s = 25 GB/s x the RoCEv2 payload share at the default 4096 B MTU, 4096 / (4096 + 82)
  // header bytes (models/transport.hpp) = 24.509 GB/s). 100 MB at that rate = 4.0801 ms.
  CHECK(r.simulated_time_s == Approx(3.0e-6 + 100e6 / (25e9 * 4096.0 / 4178.0)).epsilon(1e-9));
}

TEST_CASE("HBM peak is the most ever allocated at once", "[sim][memory]") {
  const RunResult r = simulate("switched.yaml", {"workload.file=memory.yaml"});
  // 40 (weights) + 30 + 30 = 100 GB at the peak, before act1 is freed; then 40 + 30 + 25 = 95.
  // The peak equals the 100 GB capacity exactly, which fits (no more than capacity).
  REQUIRE(r.per_rank.size() == 1);
  CHECK(r.per_rank[0].hbm_peak == 100'000'000'000ULL);
  CHECK(r.hbm_capacity == 100'000'000'000ULL);
  CHECK(r.oom_events.empty());
  // Allocations take no time: the run is the 10 ms kernel (1 TFLOP at 100 TFLOP/s).
  CHECK(r.simulated_time_s == Approx(0.01).epsilon(1e-9));
}

TEST_CASE("exceeding HBM stops the run naming rank op requested free and capacity", "[sim][memory]") {
  // Rank 1 holds 40 GB and asks for 70 GB: 100 - 40 = 60 GB free.
  try {
    (void)simulate("switched.yaml", {"workload.file=memory-oom.yaml"});
    FAIL("expected an out-of-memory error");
  } catch (const SimulationError& e) {
    const std::string m = e.what();
    CHECK_THAT(m, Catch::Matchers::Contains("out of HBM on rank 1"));
    CHECK_THAT(m, Catch::Matchers::Contains("op 'big_activations' (activations)"));
    CHECK_THAT(m, Catch::Matchers::Contains("requests 70000000000 B"));
    CHECK_THAT(m, Catch::Matchers::Contains("only 60000000000 B"));
    CHECK_THAT(m, Catch::Matchers::Contains("of the GPU's 100000000000 B"));
  }
}

TEST_CASE("out_of_memory warn reports the event and goes on", "[sim][memory]") {
  const RunResult r = simulate("switched.yaml", {"workload.file=memory-oom.yaml", "simulation.out_of_memory=warn"});
  REQUIRE(r.oom_events.size() == 1);
  CHECK(r.oom_events[0].rank == 1);
  CHECK(r.oom_events[0].op == "big_activations");
  CHECK(r.oom_events[0].requested == 70'000'000'000ULL);
  CHECK(r.oom_events[0].free == 60'000'000'000ULL);
  // Accounting goes on past capacity: 40 + 70 = 110 GB on rank 1.
  CHECK(r.per_rank[1].hbm_peak == 110'000'000'000ULL);
}
