// Unit tests for sim/output/results: interval arithmetic (union_length, intersection_length) and the
// per-rank breakdown, whose compute, exposed comm and idle times add up to the total time.
// Interval ends are binary fractions (0.25, 0.5, 1.5 ...) so sums are exact; each expected
// length is worked out in the comment beside it.
//
#include "sim/output/run_record.hpp"
#include "sim/output/results.hpp"

#include <utility>
#include <vector>

#include <catch2/catch.hpp>

using namespace racksim;

namespace {

Interval iv(double start, double end) {
  Interval i;
  i.start = start;
  i.end = end;
  return i;
}

RankRecord record(std::vector<Interval> compute, std::vector<Interval> comm) {
  RankRecord r;
  r.compute = std::move(compute);
  r.comm = std::move(comm);
  return r;
}

}  // namespace

// ---- union_length ------------------------------------------------------------------------------

TEST_CASE("union: no interval has length zero", "[results]") {
  CHECK(union_length({}) == 0.0);
}

TEST_CASE("union: a single interval is its own length", "[results]") {
  CHECK(union_length({iv(1.5, 4.0)}) == 2.5);  // 4 - 1.5
}

TEST_CASE("union: overlapping intervals count the overlap once", "[results]") {
  // [0,2] U [1,3] = [0,3]: 3, not 2 + 2 = 4.
  CHECK(union_length({iv(0, 2), iv(1, 3)}) == 3.0);
  // Given in the other order: the same.
  CHECK(union_length({iv(1, 3), iv(0, 2)}) == 3.0);
}

TEST_CASE("union: a nested interval adds nothing", "[results]") {
  // [2,3] inside [0,10]: 10.
  CHECK(union_length({iv(0, 10), iv(2, 3)}) == 10.0);
  CHECK(union_length({iv(2, 3), iv(0, 10)}) == 10.0);
  // Equal intervals: 1.
  CHECK(union_length({iv(4, 5), iv(4, 5), iv(4, 5)}) == 1.0);
}

TEST_CASE("union: touching intervals join without a gap or double count", "[results]") {
  // [0,1] U [1,2] = [0,2]: 2.
  CHECK(union_length({iv(0, 1), iv(1, 2)}) == 2.0);
  // A chain [0,1] [1,2] [2,3.5]: 3.5.
  CHECK(union_length({iv(2, 3.5), iv(0, 1), iv(1, 2)}) == 3.5);
}

TEST_CASE("union: disjoint intervals add", "[results]") {
  // [4,5] and [0,1] with a gap: 1 + 1 = 2.
  CHECK(union_length({iv(4, 5), iv(0, 1)}) == 2.0);
  // [0,0.5], [1,1.25], [3,4]: 0.5 + 0.25 + 1 = 1.75.
  CHECK(union_length({iv(3, 4), iv(0, 0.5), iv(1, 1.25)}) == 1.75);
}

TEST_CASE("union: empty and inverted intervals are ignored", "[results]") {
  // [5,5] has length 0; [3,2] ends before it starts.
  CHECK(union_length({iv(5, 5), iv(3, 2)}) == 0.0);
  // They do not extend a real one either: [0,1] alone counts, 1.
  CHECK(union_length({iv(0, 1), iv(0.5, 0.25), iv(1, 1)}) == 1.0);
}

TEST_CASE("union: an interval spanning several others merges them all", "[results]") {
  // [1,2], [3,4], [5,6] all inside [0.5,5.5] except [5.5,6]: union = [0.5,6] = 5.5.
  CHECK(union_length({iv(1, 2), iv(3, 4), iv(5, 6), iv(0.5, 5.5)}) == 5.5);
}

// ---- intersection_length -------------------------------------------------------------------------

TEST_CASE("intersection: overlapping intervals share their overlap", "[results]") {
  // [0,2] and [1,3] share [1,2]: 1.
  CHECK(intersection_length({iv(0, 2)}, {iv(1, 3)}) == 1.0);
  CHECK(intersection_length({iv(1, 3)}, {iv(0, 2)}) == 1.0);  // symmetric
}

TEST_CASE("intersection: a nested interval is wholly shared", "[results]") {
  // [2,3] inside [0,10]: 1.
  CHECK(intersection_length({iv(0, 10)}, {iv(2, 3)}) == 1.0);
  CHECK(intersection_length({iv(2, 3)}, {iv(0, 10)}) == 1.0);
}

TEST_CASE("intersection: touching intervals share nothing", "[results]") {
  // [0,1] and [1,2] meet at a point: 0.
  CHECK(intersection_length({iv(0, 1)}, {iv(1, 2)}) == 0.0);
  // Disjoint: 0.
  CHECK(intersection_length({iv(0, 1)}, {iv(2, 3)}) == 0.0);
}

TEST_CASE("intersection: an empty side shares nothing", "[results]") {
  CHECK(intersection_length({}, {iv(0, 1)}) == 0.0);
  CHECK(intersection_length({iv(0, 1)}, {}) == 0.0);
  CHECK(intersection_length({}, {}) == 0.0);
  CHECK(intersection_length({iv(2, 2)}, {iv(0, 5)}) == 0.0);  // zero-length
}

TEST_CASE("intersection: one long interval against several short ones", "[results]") {
  // a = [0,1], [2,3], [4,5]; b = [0.5,4.5]. Shared: [0.5,1] + [2,3] + [4,4.5] = 0.5 + 1 + 0.5 = 2.
  const std::vector<Interval> a{iv(0, 1), iv(2, 3), iv(4, 5)};
  const std::vector<Interval> b{iv(0.5, 4.5)};
  CHECK(intersection_length(a, b) == 2.0);
  CHECK(intersection_length(b, a) == 2.0);
}

TEST_CASE("intersection: overlaps within one side are merged first", "[results]") {
  // a = [0,2] and [1,3] (union [0,3]); b = [1,2] twice (union [1,2]). Shared: 1, not 2 or 4.
  CHECK(intersection_length({iv(0, 2), iv(1, 3)}, {iv(1, 2), iv(1, 2)}) == 1.0);
}

TEST_CASE("intersection: interleaved intervals", "[results]") {
  // a = [0,2], [3,5], [6,8]; b = [1,4], [4.5,6.5], [7.5,9].
  // Shared: [1,2] 1 + [3,4] 1 + [4.5,5] 0.5 + [6,6.5] 0.5 + [7.5,8] 0.5 = 3.5.
  const std::vector<Interval> a{iv(0, 2), iv(3, 5), iv(6, 8)};
  const std::vector<Interval> b{iv(7.5, 9), iv(1, 4), iv(4.5, 6.5)};
  CHECK(intersection_length(a, b) == 3.5);
  CHECK(intersection_length(b, a) == 3.5);
  // Inclusion-exclusion: |a| = 2 + 2 + 2 = 6, |b| = 3 + 2 + 1.5 = 6.5, so
  // |a U b| = 6 + 6.5 - 3.5 = 9 (indeed a U b = [0,9]).
  std::vector<Interval> both = a;
  both.insert(both.end(), b.begin(), b.end());
  CHECK(union_length(a) == 6.0);
  CHECK(union_length(b) == 6.5);
  CHECK(union_length(both) == 9.0);
}

// ---- breakdown ---------------------------------------------------------------------------------

TEST_CASE("breakdown: partly overlapped communication", "[results]") {
  // Compute [0,4], comm [3,6], total 10.
  //   compute = 4; comm total = 3; overlap = [3,4] = 1; exposed comm = 3 - 1 = 2;
  //   idle = 10 - |[0,6]| = 10 - 6 = 4.
  const RankBreakdown b = breakdown(3, "rack0.gpu3", record({iv(0, 4)}, {iv(3, 6)}), 10.0);
  CHECK(b.rank == 3);
  CHECK(b.gpu == "rack0.gpu3");
  CHECK(b.compute_s == 4.0);
  CHECK(b.comm_total_s == 3.0);
  CHECK(b.overlap_s == 1.0);
  CHECK(b.comm_s == 2.0);
  CHECK(b.idle_s == 4.0);
  CHECK(b.compute_s + b.comm_s + b.idle_s == 10.0);
}

TEST_CASE("breakdown: communication hidden under compute is not exposed", "[results]") {
  // Compute [0,10]; comm [2,5] and [6,8] lie inside it: comm total = 3 + 2 = 5, all overlapped.
  const RankBreakdown b = breakdown(0, "g", record({iv(0, 10)}, {iv(2, 5), iv(6, 8)}), 10.0);
  CHECK(b.comm_s == 0.0);
  CHECK(b.comm_total_s == 5.0);
  CHECK(b.overlap_s == b.comm_total_s);
  CHECK(b.compute_s == 10.0);
  CHECK(b.idle_s == 0.0);
}

TEST_CASE("breakdown: no overlap leaves comm fully exposed", "[results]") {
  // Compute [0,1] and [2,3]; comm [1,2]; total 4. compute 2, comm 1 exposed, idle 4 - 3 = 1.
  const RankBreakdown b = breakdown(1, "g", record({iv(0, 1), iv(2, 3)}, {iv(1, 2)}), 4.0);
  CHECK(b.compute_s == 2.0);
  CHECK(b.comm_s == 1.0);
  CHECK(b.comm_total_s == 1.0);
  CHECK(b.overlap_s == 0.0);
  CHECK(b.idle_s == 1.0);
}

TEST_CASE("breakdown: the parts add up to the total time", "[results]") {
  // Overlapping computes [0,1.5] [1,2]; comms [0.5,3] [2.5,3.25] [5,6]; total 8.
  //   compute = |[0,2]| = 2; comm total = |[0.5,3.25]| + |[5,6]| = 2.75 + 1 = 3.75;
  //   overlap = |[0.5,2]| = 1.5; exposed = 3.75 - 1.5 = 2.25; idle = 8 - 2 - 2.25 = 3.75.
  const RankBreakdown b =
      breakdown(2, "g", record({iv(0, 1.5), iv(1, 2)}, {iv(0.5, 3), iv(2.5, 3.25), iv(5, 6)}), 8.0);
  CHECK(b.compute_s == 2.0);
  CHECK(b.comm_total_s == 3.75);
  CHECK(b.overlap_s == 1.5);
  CHECK(b.comm_s == 2.25);
  CHECK(b.idle_s == 3.75);
  CHECK(b.compute_s + b.comm_s + b.idle_s == 8.0);
}

TEST_CASE("breakdown: an idle rank is idle for the whole run", "[results]") {
  const RankBreakdown b = breakdown(5, "g", RankRecord{}, 2.5);
  CHECK(b.compute_s == 0.0);
  CHECK(b.comm_s == 0.0);
  CHECK(b.comm_total_s == 0.0);
  CHECK(b.overlap_s == 0.0);
  CHECK(b.idle_s == 2.5);
}

TEST_CASE("breakdown: counters and finish time are copied", "[results]") {
  RankRecord r = record({iv(0, 1)}, {});
  r.finish = 1.25;
  r.transfers = 14;
  r.bytes_sent = 1234567;
  const RankBreakdown b = breakdown(0, "g", r, 1.25);
  CHECK(b.finish_s == 1.25);
  CHECK(b.transfers == 14u);
  CHECK(b.bytes_sent == 1234567u);
  CHECK(b.idle_s == 0.25);  // 1.25 - 1
}

// ---- time to train (workload.train) ------------------------------------------------------------

TEST_CASE("time to train: tokens round up to whole steps; time, GPU-hours and energy scale by steps", "[results][train]") {
  // Llama 3 405B's pre-training scale, by hand: 15.6e12 tokens at 2048 x 8192 = 16,777,216 tokens
  // per step is 929,832.46 steps, so 929,833 whole steps, which process 929,833 x 16,777,216 =
  // 15,600,009,084,928 tokens (>= 15.6e12). At 10 s per step on 16,384 GPUs: 9,298,330 s = 107.62
  // days; GPU-hours 9,298,330 x 16,384 / 3600 = 42,317,733; 20 MJ a step: 18.6 TJ = 5,165.7 MWh.
  const double per_step = 2048.0 * 8192.0;
  const TimeToTrain t = time_to_train(std::nullopt, 15.6e12, per_step, 10.0, 16384, 20e6, 22e6);
  CHECK(t.steps == 929833.0);
  CHECK(t.tokens == 15600009084928.0);
  CHECK(t.tokens >= 15.6e12);
  CHECK(t.time_s == Approx(9298330.0));
  CHECK(t.gpu_hours == Approx(42317733.0).epsilon(1e-7));
  CHECK(t.energy_j / 3.6e9 == Approx(5165.7).epsilon(1e-4));
  CHECK(t.site_energy_j == Approx(929833.0 * 22e6));
  // A whole number of steps' tokens is that many steps, not one more.
  CHECK(time_to_train(std::nullopt, 3.0 * per_step, per_step, 1.0, 8, 0.0, 0.0).steps == 3.0);
  // Steps given: as given.
  const TimeToTrain s = time_to_train(1000.0, std::nullopt, 4096.0, 0.5, 64, 1e6, 1.2e6);
  CHECK(s.steps == 1000.0);
  CHECK(s.tokens == 4096000.0);
  CHECK(s.time_s == 500.0);
  CHECK(s.gpu_hours == Approx(500.0 * 64 / 3600.0));
  CHECK_THROWS(time_to_train(1.0, 1.0, 4096.0, 0.5, 64, 0.0, 0.0));
  CHECK_THROWS(time_to_train(std::nullopt, std::nullopt, 4096.0, 0.5, 64, 0.0, 0.0));
}
