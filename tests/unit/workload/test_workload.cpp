// Unit tests for sim/workload: the native trace reader and its cross-rank checks.
//
// The traces live in tests/data/unit/trace_*.yaml. Each invalid trace has a two-line header, so
// the first key (racksim_trace) is on line 3; the line each test expects is the line of the
// offending op or value in that file, counted in the comment next to it.
#include "core/error.hpp"
#include "sim/workload/workload.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace racksim;
using Catch::Matchers::Contains;

namespace {

using test::input_error_of;

std::string trace(const std::string& name) { return std::string(RACKSIM_TEST_DATA) + "/unit/" + name; }

const Workload& valid() {
  static const Workload w = load_native_trace(trace("trace_valid.yaml"));
  return w;
}

// The op with `id` on `rank` of the valid trace.
const Op& op(int rank, const std::string& id) {
  for (const Op& o : valid().programs.at(static_cast<std::size_t>(rank)))
    if (o.id == id) return o;
  throw std::runtime_error("no op '" + id + "' on rank " + std::to_string(rank));
}

int stream_of(const std::string& name) {
  const auto& s = valid().streams;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (s[i] == name) return static_cast<int>(i);
  return -1;
}

// Loads an invalid trace and returns its error.
InputError error_of(const std::string& name) {
  return input_error_of([&] { (void)load_native_trace(trace(name)); });
}

}  // namespace

// ---- a valid trace ----------------------------------------------------------------------------

TEST_CASE("workload: a valid trace loads with its name and ranks", "[workload]") {
  const Workload& w = valid();
  CHECK(w.name == "unit-valid");
  CHECK(w.source == trace("trace_valid.yaml"));
  CHECK(w.ranks == 4);
  REQUIRE(w.programs.size() == 4);
  // 10 ops for all 4 ranks, plus 2 more for ranks 0 and 1: 4 * 10 + 2 * 2 = 44
  CHECK(w.programs[0].size() == 12);
  CHECK(w.programs[1].size() == 12);
  CHECK(w.programs[2].size() == 10);
  CHECK(w.programs[3].size() == 10);
  CHECK(w.total_ops() == 44);
}

TEST_CASE("workload: world is predefined and custom groups follow in file order", "[workload][groups]") {
  const Workload& w = valid();
  REQUIRE(w.groups.size() == 4);  // world, then quad, pair, mixed as written
  CHECK(w.groups[0].name == "world");
  CHECK(w.groups[0].ranks == std::vector<int>{0, 1, 2, 3});
  CHECK(w.groups[1].name == "quad");
  CHECK(w.groups[1].ranks == std::vector<int>{0, 1, 2, 3});  // "0-3" is the range 0..3 inclusive
  CHECK(w.groups[2].name == "pair");
  CHECK(w.groups[2].ranks == std::vector<int>{0, 1});
}

TEST_CASE("workload: a group mixing ranks and ranges is sorted with positions", "[workload][groups]") {
  const Group& mixed = valid().groups.at(3);
  CHECK(mixed.name == "mixed");
  // [3, "0-1"] -> {3} + {0, 1}, sorted: 0, 1, 3
  CHECK(mixed.ranks == std::vector<int>{0, 1, 3});
  // position[rank] is the index in that sorted list; rank 2 is not a member
  CHECK(mixed.position == std::vector<int>{0, 1, -1, 2});
}

TEST_CASE("workload: streams default by op kind and named streams are added", "[workload][streams]") {
  const Workload& w = valid();
  // First use order: fwd (compute), ar0 (comm), side (aux)
  CHECK(w.streams == std::vector<std::string>{"compute", "comm", "aux"});
  CHECK(op(0, "fwd").stream == stream_of("compute"));   // compute -> 'compute'
  CHECK(op(0, "pause").stream == stream_of("compute"));  // delay -> 'compute'
  CHECK(op(0, "ar0").stream == stream_of("comm"));      // collectives -> 'comm'
  CHECK(op(0, "tx").stream == stream_of("comm"));       // send -> 'comm'
  CHECK(op(0, "rx").stream == stream_of("comm"));       // recv -> 'comm'
  CHECK(op(0, "side").stream == stream_of("aux"));      // explicit stream
}

TEST_CASE("workload: stream order adds a dependency on the previous op of the stream", "[workload][deps]") {
  // Rank 2 runs ops 0..9: fwd ar0 bwd ar1 pause ag side tx rx qr
  CHECK(op(2, "fwd").deps.empty());                       // first on 'compute'
  CHECK(op(2, "ar0").deps.empty());                       // first on 'comm'
  CHECK(op(2, "pause").deps == std::vector<int>{2});      // previous on 'compute' is bwd (2)
  CHECK(op(2, "ag").deps == std::vector<int>{3});         // previous on 'comm' is ar1 (3)
  CHECK(op(2, "side").deps.empty());                      // alone on 'aux'
  CHECK(op(2, "tx").deps == std::vector<int>{5});         // previous on 'comm' is ag (5)
  CHECK(op(2, "rx").deps == std::vector<int>{7});         // tx (7)
  CHECK(op(2, "qr").deps == std::vector<int>{8});         // rx (8)
}

TEST_CASE("workload: explicit deps resolve to op indices and merge with stream order", "[workload][deps]") {
  // bwd: deps [fwd] = 0, and stream order also gives fwd (0): one entry after de-duplication
  CHECK(op(1, "bwd").deps == std::vector<int>{0});
  // ar1: deps [bwd] = 2, stream order on 'comm' gives ar0 = 1: sorted {1, 2}
  CHECK(op(1, "ar1").deps == std::vector<int>{1, 2});
  // The second program continues rank 0's streams: pa follows qr (9) on 'comm',
  // the unnamed delay (index 11) follows pause (4) on 'compute'.
  CHECK(op(0, "pa").deps == std::vector<int>{9});
  CHECK(valid().programs[0][11].deps == std::vector<int>{4});
}

TEST_CASE("workload: an op without an id is named after its index", "[workload]") {
  // The delay of the second program is op 11 of rank 0 (10 from the first program, then pa)
  CHECK(valid().programs[0][11].id == "op11");
  CHECK(valid().programs[0][11].kind == OpKind::Delay);
}

TEST_CASE("workload: collective sequence numbers count per group", "[workload][collectives]") {
  for (int r = 0; r < 4; ++r) {
    INFO("rank " << r);
    CHECK(op(r, "ar0").group == 0);  // world
    CHECK(op(r, "ar0").sequence == 0);
    CHECK(op(r, "ar1").sequence == 1);
    CHECK(op(r, "ag").sequence == 2);
    CHECK(op(r, "qr").group == 1);  // quad has its own count, starting at 0
    CHECK(op(r, "qr").sequence == 0);
  }
  CHECK(op(0, "pa").group == 2);  // pair
  CHECK(op(0, "pa").sequence == 0);
}

TEST_CASE("workload: collective kinds algorithms and sizes", "[workload][collectives]") {
  CHECK(op(0, "ar0").collective == CollectiveKind::AllReduce);
  CHECK(op(0, "ar0").algorithm == CollectiveAlgorithm::Auto);  // default: the run chooses
  CHECK(op(0, "ar0").bytes == 1000000);                         // 1 MB = 1e6 B
  CHECK(op(0, "ag").collective == CollectiveKind::AllGather);
  CHECK(op(0, "ag").algorithm == CollectiveAlgorithm::Direct);  // as written
  CHECK(op(0, "ag").bytes == 4000000);
  CHECK(op(0, "qr").collective == CollectiveKind::ReduceScatter);
  CHECK(op(0, "pa").collective == CollectiveKind::AllToAll);
  CHECK(op(0, "pa").algorithm == CollectiveAlgorithm::Auto);  // not named: the run chooses (direct is all-to-all's only one)
}

TEST_CASE("workload: compute ops keep flops precision bytes or duration", "[workload]") {
  CHECK(op(0, "fwd").kind == OpKind::Compute);
  CHECK(op(0, "fwd").flops.value() == 2e12);  // 2 TFLOP
  CHECK(op(0, "fwd").precision == Precision::bf16);
  CHECK_FALSE(op(0, "fwd").duration.has_value());
  REQUIRE(op(0, "bwd").duration.has_value());
  CHECK(op(0, "bwd").duration->value() == 1e-3);  // 1 ms
  CHECK(op(0, "side").hbm_bytes.value() == 1e9);  // 1 GB
  CHECK(op(0, "side").flops.value() == 0.0);
  REQUIRE(op(0, "pause").duration.has_value());
  CHECK(op(0, "pause").duration->value() == Approx(10e-6));  // 10 us
}

TEST_CASE("workload: next and prev peers wrap around the ranks", "[workload][p2p]") {
  // to: next is (r + 1) mod 4; from: prev is (r + 4 - 1) mod 4
  CHECK(op(0, "tx").peer == 1);
  CHECK(op(3, "tx").peer == 0);  // 4 mod 4
  CHECK(op(0, "rx").peer == 3);  // 3 mod 4
  CHECK(op(2, "rx").peer == 1);
  CHECK(op(0, "tx").tag == 3);
  CHECK(op(0, "tx").bytes == 1000);  // 1 kB = 1e3 B
  CHECK(op(0, "tx").kind == OpKind::Send);
  CHECK(op(0, "rx").kind == OpKind::Recv);
}

TEST_CASE("workload: ops remember where they were written", "[workload]") {
  // ar0 is on line 15 of trace_valid.yaml
  CHECK(op(0, "ar0").where.file == trace("trace_valid.yaml"));
  CHECK(op(0, "ar0").where.line == 15);
}

// ---- invalid traces ---------------------------------------------------------------------------

TEST_CASE("workload: a dependency cycle is named", "[workload][errors]") {
  // a (stream s1) depends on b, b (stream s2) on a; the search starts at a: a -> b -> a
  const InputError e = error_of("trace_cycle.yaml");
  CHECK(e.where().line == 9);  // op a
  CHECK_THAT(e.what(), Contains("dependency cycle on rank 0: a -> b -> a"));
}

TEST_CASE("workload: a cycle through stream order is named", "[workload][errors]") {
  // first depends on second, and second follows first on the 'compute' stream
  const InputError e = error_of("trace_stream_cycle.yaml");
  CHECK(e.where().line == 9);  // op first
  CHECK_THAT(e.what(), Contains("dependency cycle on rank 0: first -> second -> first"));
  CHECK_THAT(e.what(), Contains("stream order"));
}

TEST_CASE("workload: an unknown dependency id is rejected", "[workload][errors]") {
  const InputError e = error_of("trace_unknown_dep.yaml");
  CHECK(e.where().line == 10);  // op b
  CHECK_THAT(e.what(), Contains("op 'b' on rank 0 depends on 'nope', which rank 0 does not run"));
}

TEST_CASE("workload: a duplicate op id is rejected at its second use", "[workload][errors]") {
  const InputError e = error_of("trace_duplicate_id.yaml");
  CHECK(e.where().line == 11);  // the second 'step'
  CHECK_THAT(e.what(), Contains("op id 'step' is used twice on rank 0"));
}

TEST_CASE("workload: an unknown group is rejected and the defined groups listed", "[workload][errors]") {
  const InputError e = error_of("trace_unknown_group.yaml");
  CHECK(e.where().line == 11);
  // "      - {id: ar, kind: all_reduce, group: " is 6 + 2 + 34 = 42 characters: 'tp' is at column 43
  CHECK(e.where().column == 43);
  CHECK_THAT(e.what(), Contains("unknown group 'tp'; groups defined: dp, world"));
}

TEST_CASE("workload: a rank outside the group of its collective is rejected", "[workload][errors]") {
  // pair = {0, 1}; the program runs on all 3 ranks, and rank 2 is the first non-member
  const InputError e = error_of("trace_not_member.yaml");
  CHECK(e.where().line == 11);
  CHECK_THAT(e.what(), Contains("rank 2 runs a all_reduce on group 'pair' but is not a member of it"));
}

TEST_CASE("workload: collective sizes that differ across ranks are rejected", "[workload][errors]") {
  // rank 0: all_reduce of 1 MB = 1000000 B; rank 1: 2 MB = 2000000 B; reported at rank 1's op
  const InputError e = error_of("trace_collective_mismatch.yaml");
  CHECK(e.where().line == 12);
  CHECK_THAT(e.what(), Contains("collective #0 on group 'world' differs between rank 0 (all_reduce 1000000 B auto) "
                                "and rank 1 (all_reduce 2000000 B auto)"));
}

TEST_CASE("workload: a collective missing on one member is rejected", "[workload][errors]") {
  const InputError e = error_of("trace_collective_missing.yaml");
  CHECK(e.where().line == 9);  // rank 0's all_reduce
  CHECK_THAT(e.what(), Contains("collective 'ar' on group 'world' is run by rank 0 but not by rank 1"));
}

TEST_CASE("workload: a send without a matching recv is rejected", "[workload][errors]") {
  const InputError e = error_of("trace_send_without_recv.yaml");
  CHECK(e.where().line == 9);  // the send
  CHECK_THAT(e.what(), Contains("send 's' from rank 0 to rank 1 (tag 0) has no matching recv on rank 1"));
}

TEST_CASE("workload: a recv without a matching send is rejected", "[workload][errors]") {
  const InputError e = error_of("trace_recv_without_send.yaml");
  CHECK(e.where().line == 12);  // the recv
  CHECK_THAT(e.what(), Contains("recv 'r' on rank 1 from rank 0 (tag 2) has no matching send"));
}

TEST_CASE("workload: a recv byte count that differs from its send is rejected", "[workload][errors]") {
  // send 1 kB = 1000 B, recv 2 kB = 2000 B; reported at the recv
  const InputError e = error_of("trace_recv_bytes_mismatch.yaml");
  CHECK(e.where().line == 12);
  CHECK_THAT(e.what(), Contains("recv 'r' on rank 1 expects 2000 B but the matching send 's' on rank 0 sends 1000 B"));
}

TEST_CASE("workload: a compute op with both duration and flops is rejected", "[workload][errors]") {
  const InputError e = error_of("trace_duration_and_flops.yaml");
  CHECK(e.where().line == 9);
  CHECK_THAT(e.what(), Contains("a compute op has exactly one of: 'duration', 'flops'/'bytes', 'gemm', 'attention'"));
}

TEST_CASE("workload: a compute op with flops but no precision is rejected", "[workload][errors]") {
  const InputError e = error_of("trace_flops_no_precision.yaml");
  CHECK(e.where().line == 9);
  CHECK_THAT(e.what(), Contains("a compute op with 'flops' needs 'precision'"));
  CHECK_THAT(e.what(), Contains("bf16"));  // the valid precisions are listed
}

TEST_CASE("workload: an unknown precision is rejected with the valid ones", "[workload][errors]") {
  const InputError e = error_of("trace_unknown_precision.yaml");
  CHECK(e.where().line == 9);
  CHECK_THAT(e.what(), Contains("unknown precision 'fp12'; expected one of: fp64, fp64_matrix, fp32, tf32, bf16, "
                                "fp16, fp8, fp6, fp4"));
}

TEST_CASE("workload: redefining world is rejected", "[workload][errors]") {
  const InputError e = error_of("trace_redefine_world.yaml");
  CHECK(e.where().line == 7);  // world: [0, 1]
  CHECK_THAT(e.what(), Contains("the group 'world' is predefined (all ranks) and cannot be redefined"));
}

TEST_CASE("workload: a group range past the last rank is rejected", "[workload][errors]") {
  // 4 ranks are 0..3; "2-5" reaches 5
  const InputError e = error_of("trace_rank_out_of_range.yaml");
  CHECK(e.where().line == 7);
  CHECK_THAT(e.what(), Contains("rank 5 does not exist: the trace has 4 ranks (0 to 3)"));
}

TEST_CASE("workload: a missing trace file is an InputError", "[workload][errors]") {
  const InputError e = error_of("no_such_trace.yaml");
  CHECK_THAT(e.what(), Contains("cannot open file"));
}

TEST_CASE("workload: next on a one-rank trace is a send to itself and is rejected", "[workload][p2p]") {
  // (0 + 1) mod 1 = 0: rank 0 would send to itself; the error is at the op on line 7.
  const InputError e = error_of("trace_next_single_rank.yaml");
  CHECK_THAT(std::string(e.what()), Catch::Matchers::Contains("rank 0 sends to or receives from itself"));
  CHECK(e.where().line == 7);
}

TEST_CASE("workload: all-to-all(v) counts and broadcast roots are checked", "[workload][collectives]") {
  // 3 members need 3 rows of 3 counts; the file has 2 rows (line 7 holds the op).
  const InputError rows = error_of("trace_alltoallv_rows.yaml");
  CHECK(rows.where().line == 7);
  CHECK_THAT(rows.what(), Contains("expected 3 rows (one per member of group 'world'), got 2"));
  // The root must be a member of the group: rank 3 is not in 'pair'.
  const InputError root = error_of("trace_broadcast_root.yaml");
  CHECK_THAT(root.what(), Contains("root 3 is not a member of group 'pair'"));
}

TEST_CASE("workload: all-to-all(v) reads one row per member", "[workload][collectives]") {
  // tests/data/sim/alltoallv-4.yaml: counts in MB, row p = what rank p sends; bytes is the
  // largest send buffer (rank 0's 300 + 100 + 100 MB), the same on every rank.
  const Workload w = load_native_trace(std::string(RACKSIM_TEST_DATA) + "/sim/alltoallv-4.yaml");
  for (const auto& prog : w.programs) {
    REQUIRE(prog.size() == 1);
    CHECK(prog[0].collective == CollectiveKind::AllToAll);
    CHECK(prog[0].bytes == 500'000'000ULL);
    REQUIRE(prog[0].counts.size() == 16);
    CHECK(prog[0].counts[1] == 300'000'000ULL);  // 0 -> 1
    CHECK(prog[0].counts[4] == 100'000'000ULL);  // 1 -> 0
  }
}

TEST_CASE("workload: an attention op may have a sliding window, on a causal attention only", "[workload][window]") {
  const std::string head = "racksim_trace: 1\nname: w\nranks: 1\nprograms:\n  - ranks: all\n    ops:\n";
  // window 256 on s = 1024: the band's s w - w^2/2 = 229,376 elements per (batch, head), 2 x 2 FLOPs
  // per element and head dimension forward: 4 x 2 x 16 x 128 x 229,376 = 3.758e9 FLOPs.
  const racksim::test::TempFile ok(
      "attn-window", head + "      - {id: a, kind: compute, attention: {batch: 2, heads: 16, seq: 1024, head_dim: 128, "
                            "causal: true, window: 256}, precision: bf16}\n");
  const Workload w = load_native_trace(ok.path);
  REQUIRE(w.programs[0][0].attention.has_value());
  CHECK(w.programs[0][0].attention->window == 256);
  CHECK(w.programs[0][0].flops.value() == Approx(4.0 * 2 * 16 * 128 * 229376.0));
  const racksim::test::TempFile bad(
      "attn-window-bad", head + "      - {id: a, kind: compute, attention: {batch: 2, heads: 16, seq: 1024, head_dim: 128, "
                                "window: 256}, precision: bf16}\n");
  const InputError e = input_error_of([&] { (void)load_native_trace(bad.path); });
  CHECK_THAT(e.what(), Contains("a causal attention ('causal: true') for a sliding window"));
}
