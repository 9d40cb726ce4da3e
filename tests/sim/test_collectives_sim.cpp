// Every collective algorithm simulated on an idle fabric against its closed form. Each
// TEST_CASE runs in its own process (SimGrid has one engine per process).
//
// The oracle cluster (tests/data/sim/switched.yaml): GPUs on one non-blocking switch, per-GPU
// bandwidth B = 50 GB/s per direction, link latency 2 us, switch latency 1 us, so one transfer
// pays alpha = 2 + 1 + 2 = 5 us. `collectives.library: none` removes the library's launch and
// hop latencies, so the engine's time is transfers only and the closed forms of
// models/collective.hpp (predict_time; each derived in docs/collectives.md and checked against
// hand-derived values in tests/unit/models/test_collective.cpp) must hold within 0.5%.
// The two-domain cluster (two-domains.yaml with 4 GPUs per domain): the same scale-up; domains
// joined through one 64-port leaf by one 200 Gb/s NIC per GPU: alpha_out = NIC 1 us x 2 +
// cable 0.2 us x 2 + leaf 0.6 us = 3.0 us, B_out = 25 GB/s x the RoCE payload share at the
// default 4096 B MTU (models/transport.hpp).
#include "models/collective.hpp"
#include "models/transport.hpp"
#include "sim/engine/run.hpp"
#include "sim/scenario/scenario.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace racksim;

namespace {

const std::string kData = std::string(RACKSIM_TEST_DATA) + "/sim/";

// A trace of one collective over ranks 0..n-1 (of `ranks`), written next to the test binary.
std::string write_trace(const std::string& name, const std::string& kind, const std::string& algo, int ranks, int n,
                        const std::string& bytes, int root = 0) {
  const std::filesystem::path dir = std::filesystem::current_path() / "collective-traces";
  std::filesystem::create_directories(dir);
  const std::filesystem::path p = dir / (name + ".yaml");
  std::ofstream out(p);
  out << "racksim_trace: 1\nname: " << name << "\nranks: " << ranks << "\n";
  out << "groups: {members: [\"0-" << n - 1 << "\"]}\n";
  out << "programs:\n  - ranks: [\"0-" << n - 1 << "\"]\n    ops: [{id: c, kind: " << kind << ", group: members, bytes: " << bytes
      << ", algorithm: " << algo;
  if (kind == "broadcast" || kind == "reduce") out << ", root: " << root;
  out << "}]\n";
  return p.string();
}

RunResult simulate(const std::string& scenario, std::vector<std::string> sets) {
  sets.push_back("collectives.library=none");
  const Scenario s = load_scenario(kData + scenario, sets, RACKSIM_SOURCE_DIR);
  Run run(s);
  return run.execute();
}

CollectiveCostParams oracle_params() {
  CollectiveCostParams p;
  p.intra.alpha = Seconds(5e-6);
  p.intra.bandwidth = BytesPerSecond(50e9);
  p.inter = p.intra;
  return p;
}

// The shape the run builds for a fixed algorithm: 1 GB is 954 slices of 1 MiB, capped at 32.
CollectiveShape shape_of(CollectiveKind k, CollectiveAlgorithm a, int n, std::uint64_t bytes, int root = 0) {
  CollectiveShape s = make_shape(k, a, n, bytes);
  s.root = root;
  s.chunks = static_cast<int>(std::min<std::uint64_t>(32, (bytes + 1048575) / 1048576));
  return s;
}

void check_switched(const std::string& kind, const std::string& algo, int n, int root = 0) {
  const std::string name = fmt::format("{}-{}-{}", kind, algo, n);
  const std::string trace = write_trace(name, kind, algo, 8, n, "1 GB", root);
  const RunResult r = simulate("switched.yaml", {"workload.file=" + trace});
  const Seconds expected = predict_time(shape_of(*collective_kind_from_string(kind), *collective_algorithm_from_string(algo), n,
                                                 1'000'000'000ULL, root),
                                        oracle_params());
  INFO(name << ": simulated " << r.simulated_time_s << " s, closed form " << expected.value() << " s");
  CHECK(r.simulated_time_s == Approx(expected.value()).epsilon(0.005));
  REQUIRE(r.collectives.size() == 1);
  CHECK(r.collectives[0].algorithm == algo);
  CHECK_FALSE(r.collectives[0].chosen);
}

}  // namespace

TEST_CASE("closed form: ring all-reduce", "[sim][collective]") { check_switched("all_reduce", "ring", 8); }
TEST_CASE("closed form: direct all-reduce", "[sim][collective]") { check_switched("all_reduce", "direct", 8); }
TEST_CASE("closed form: double binary tree all-reduce", "[sim][collective]") { check_switched("all_reduce", "tree", 8); }
TEST_CASE("closed form: tree all-reduce on an odd group", "[sim][collective]") { check_switched("all_reduce", "tree", 7); }
TEST_CASE("closed form: halving-doubling all-reduce", "[sim][collective]") { check_switched("all_reduce", "halving_doubling", 8); }
TEST_CASE("closed form: halving-doubling all-reduce on 6 ranks", "[sim][collective]") {
  check_switched("all_reduce", "halving_doubling", 6);
}
TEST_CASE("closed form: ring all-gather", "[sim][collective]") { check_switched("all_gather", "ring", 8); }
TEST_CASE("closed form: direct all-gather", "[sim][collective]") { check_switched("all_gather", "direct", 8); }
TEST_CASE("closed form: halving-doubling all-gather on 6 ranks", "[sim][collective]") {
  check_switched("all_gather", "halving_doubling", 6);
}
TEST_CASE("closed form: ring reduce-scatter", "[sim][collective]") { check_switched("reduce_scatter", "ring", 8); }
TEST_CASE("closed form: halving-doubling reduce-scatter", "[sim][collective]") {
  check_switched("reduce_scatter", "halving_doubling", 8);
}
TEST_CASE("closed form: direct all-to-all", "[sim][collective]") { check_switched("all_to_all", "direct", 8); }
TEST_CASE("closed form: ring (chain) broadcast", "[sim][collective]") { check_switched("broadcast", "ring", 8, 3); }
TEST_CASE("closed form: tree broadcast", "[sim][collective]") { check_switched("broadcast", "tree", 8, 5); }
TEST_CASE("closed form: direct broadcast", "[sim][collective]") { check_switched("broadcast", "direct", 8, 0); }
TEST_CASE("closed form: ring (chain) reduce", "[sim][collective]") { check_switched("reduce", "ring", 8, 2); }
TEST_CASE("closed form: tree reduce", "[sim][collective]") { check_switched("reduce", "tree", 8, 0); }

TEST_CASE("closed form: ring all-reduce derived by hand", "[sim][collective]") {
  // 2(n-1)(alpha + S/(nB)) = 14 x (5 us + 125 MB / 50 GB/s) = 14 x 2.505 ms = 35.07 ms.
  const std::string trace = write_trace("ar-ring-hand", "all_reduce", "ring", 8, 8, "1 GB");
  const RunResult r = simulate("switched.yaml", {"workload.file=" + trace});
  CHECK(r.simulated_time_s == Approx(0.03507).epsilon(1e-6));
}

TEST_CASE("closed form: NVLS all-reduce through a reducing switch", "[sim][collective]") {
  // test_switch_nvls reduces at 40 GB/s per GPU port: each GPU sends its 1 GB into the switch
  // (link 50 GB/s, then the 40 GB/s reduction port) while it receives the reduced 1 GB back,
  // so T = 1 GB / 40 GB/s + the route latency of one direction (link 2 us + switch 1 us / 2 on
  // entry; the private port has none): 25 ms + 2.5 us = 25.0025 ms. No GPU reduction.
  const std::string trace = write_trace("ar-nvls", "all_reduce", "nvls", 8, 8, "1 GB");
  const RunResult r = simulate("switched.yaml", {"workload.file=" + trace, "cluster.scale_up.switch=test_switch_nvls"});
  CHECK(r.simulated_time_s == Approx(0.025 + 2.5e-6).epsilon(0.005));
  REQUIRE(r.collectives.size() == 1);
  CHECK(r.collectives[0].algorithm == "nvls");
}

TEST_CASE("closed form: hierarchical all-reduce over two domains", "[sim][collective]") {
  const std::string trace = write_trace("ar-hier", "all_reduce", "hierarchical", 8, 8, "1 GB");
  const RunResult r = simulate("two-domains.yaml", {"workload.file=" + trace, "cluster.scale_up.gpus=4"});
  REQUIRE(r.collectives.size() == 1);
  CHECK(r.collectives[0].algorithm == "hierarchical");
  // Ranks 0-3 in domain 0, 4-7 in domain 1: reduce-scatter in each domain (ring of 4 on
  // 50 GB/s, 5 us), all-reduce of each 250 MB piece between the two domains (ring of 2 over
  // the NICs: 3 us, 25 GB/s x payload share), all-gather in each domain.
  CollectiveCostParams p = oracle_params();
  const TransportEffect te = transport_efficiency(TransportParams{}, BytesPerSecond(25e9), Seconds(6e-6), 2);
  p.inter.alpha = Seconds(3e-6);
  p.inter.bandwidth = BytesPerSecond(25e9 * te.total);
  CollectiveShape s = shape_of(CollectiveKind::AllReduce, CollectiveAlgorithm::Hierarchical, 8, 1'000'000'000ULL);
  s.domain_size = 4;
  s.intra = CollectiveAlgorithm::Ring;
  s.inter = CollectiveAlgorithm::Ring;
  const Seconds expected = predict_time(s, p);
  CHECK(r.simulated_time_s == Approx(expected.value()).epsilon(0.005));
}

namespace {

// The two-domain oracle's inter level (see the header): 3 us, 25 GB/s x the RoCE payload share.
CollectiveCostParams two_domain_params() {
  CollectiveCostParams p = oracle_params();
  const TransportEffect te = transport_efficiency(TransportParams{}, BytesPerSecond(25e9), Seconds(6e-6), 2);
  p.inter.alpha = Seconds(3e-6);
  p.inter.bandwidth = BytesPerSecond(25e9 * te.total);
  return p;
}

void check_hierarchical_view(const std::string& kind) {
  const std::string trace = write_trace("hier-" + kind, kind, "hierarchical", 8, 8, "1 GB");
  const RunResult r = simulate("two-domains.yaml", {"workload.file=" + trace, "cluster.scale_up.gpus=4"});
  REQUIRE(r.collectives.size() == 1);
  CHECK(r.collectives[0].algorithm == "hierarchical");
  // Ranks 0-3 in domain 0, 4-7 in domain 1. All-gather: the rail all-gather of each rank's
  // 125 MB piece with its partner in the other domain (1 step over the NICs), then the ring
  // all-gather of 1 GB inside each domain (3 steps of 250 MB at 50 GB/s); reduce-scatter the
  // reverse. The rail has 2 ranks, where halving-doubling is the ring: the run keeps ring.
  CollectiveShape s = shape_of(*collective_kind_from_string(kind), CollectiveAlgorithm::Hierarchical, 8, 1'000'000'000ULL);
  s.domain_size = 4;
  const Seconds expected = predict_time(s, two_domain_params());
  INFO(kind << ": simulated " << r.simulated_time_s << " s, closed form " << expected.value() << " s");
  CHECK(r.simulated_time_s == Approx(expected.value()).epsilon(0.005));
  // By hand: 3 us + 125 MB / (25 GB/s x share) + 3 (5 us + 250 MB / 50 GB/s), share <= 1.
  CHECK(expected.value() >= 3e-6 + 125e6 / 25e9 + 3 * (5e-6 + 250e6 / 50e9));
}

}  // namespace

TEST_CASE("closed form: hierarchical all-gather over two domains (rail-local)", "[sim][collective]") {
  check_hierarchical_view("all_gather");
}
TEST_CASE("closed form: hierarchical reduce-scatter over two domains (rail-local)", "[sim][collective]") {
  check_hierarchical_view("reduce_scatter");
}

namespace {

// A ring all-gather / reduce-scatter on the 8-GPU mesh: the run gives it 7 channels, one ring
// per outgoing link. Closed form 7 (alpha + S/(8 x 7 x 10 GB/s / 7)) = 7 (2 us + 125 MB /
// 70 GB/s) = 7 x 1.787714 ms = 12.514 ms; one ring would take 7 (2 us + 125 MB / 10 GB/s) = 87.514 ms.
void check_mesh_channels(const std::string& kind) {
  const std::string trace = write_trace("mesh-" + kind, kind, "ring", 8, 8, "1 GB");
  const RunResult r = simulate("mesh.yaml", {"workload.file=" + trace});
  REQUIRE(r.collectives.size() == 1);
  CHECK(r.collectives[0].algorithm == "ring");
  CollectiveCostParams p;
  p.intra = {Seconds(2e-6), BytesPerSecond(70e9), true};
  p.inter = p.intra;
  CollectiveShape s = shape_of(*collective_kind_from_string(kind), CollectiveAlgorithm::Ring, 8, 1'000'000'000ULL);
  s.channels = 7;
  const Seconds expected = predict_time(s, p);
  CHECK(expected.value() == Approx(7 * (2e-6 + 125e6 / 70e9)).epsilon(1e-9));
  CHECK(r.simulated_time_s == Approx(expected.value()).epsilon(0.005));
}

}  // namespace

TEST_CASE("closed form: ring all-gather with 7 channels on a full mesh", "[sim][collective]") {
  check_mesh_channels("all_gather");
}
TEST_CASE("closed form: ring reduce-scatter with 7 channels on a full mesh", "[sim][collective]") {
  check_mesh_channels("reduce_scatter");
}

TEST_CASE("auto choice picks the algorithm the cost model ranks fastest", "[sim][collective]") {
  // A 1 KiB all-reduce is latency-bound: ring pays 14 steps of 5 us, direct and halving-
  // doubling fewer; the run's choice is the argmin of predict_time over the applicable
  // algorithms, and its simulated time matches that closed form.
  const std::string trace = write_trace("ar-auto-small", "all_reduce", "auto", 8, 8, "1 KiB");
  const RunResult r = simulate("switched.yaml", {"workload.file=" + trace});
  REQUIRE(r.collectives.size() == 1);
  CHECK(r.collectives[0].chosen);
  CHECK(r.collectives[0].algorithm != "ring");
  double best = 1e30;
  std::string best_algo;
  for (const auto a : algorithms_for(CollectiveKind::AllReduce)) {
    const CollectiveShape s = shape_of(CollectiveKind::AllReduce, a, 8, 1024);
    std::string why;
    if (!algorithm_applies(s, oracle_params(), &why)) continue;
    const double t = predict_time(s, oracle_params()).value();
    if (t < best) {
      best = t;
      best_algo = to_string(a);
    }
  }
  CHECK(r.collectives[0].algorithm == best_algo);
  CHECK(r.simulated_time_s == Approx(best).epsilon(0.005));
}

TEST_CASE("all-to-all(v): the busiest port sets the time", "[sim][collective]") {
  // tests/data/sim/alltoallv-4.yaml: rank 0 sends 300 + 100 + 100 MB, rank 1 receives
  // 300 + 100 + 100 MB; every other port carries 300 MB. On the 50 GB/s switched ports, max-min
  // sharing gives each of rank 0's three flows 16.7 GB/s until the 100 MB ones end (6 ms), then
  // the rest of 0 -> 1 (200 MB) runs alone at 50 GB/s (4 ms): alpha + 500 MB / B = 10.005 ms.
  const RunResult r = simulate("switched.yaml", {"cluster.scale_up.gpus=4", "workload.file=alltoallv-4.yaml"});
  CHECK(r.simulated_time_s == Approx(5e-6 + 500e6 / 50e9).epsilon(1e-9));
  REQUIRE(r.collectives.size() == 1);
  CHECK(r.collectives[0].algorithm == "direct");
}
